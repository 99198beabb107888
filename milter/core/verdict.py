"""Typed SMTP replies.

A reply is built once, validated once, and then trusted: a permanent refusal always carries a
5xx code with a 5.x.x enhanced status, a temporary one a 4xx with 4.x.x. The wrong combination
cannot be constructed. Reply text from the policy is made SMTP-safe here (printable ASCII, one
line, bounded length); nothing from outside the policy ever goes into a reply.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

MAX_TEXT = 480
_STATUS = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})$")


def smtp_safe(text: str, limit: int = MAX_TEXT) -> str:
    """Return `text` as one line of printable ASCII, accents stripped, at most `limit` chars."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    one_line = " ".join(folded.split())
    # '%' can be misread as a format directive by some MTAs' reply handling.
    printable = "".join(c for c in one_line if " " <= c <= "~" and c != "%")
    return printable[:limit]


@dataclass(frozen=True, slots=True)
class SmtpReply:
    """An SMTP reply: code (e.g. 550), enhanced status (e.g. 5.7.1) and text."""

    code: int
    status: str
    text: str

    def __post_init__(self) -> None:
        match = _STATUS.match(self.status)
        if not 400 <= self.code <= 599 or match is None:
            raise ValueError(f"not an SMTP refusal: {self.code} {self.status}")
        if str(self.code)[0] != match.group(1):
            raise ValueError(f"code {self.code} and status {self.status} disagree")
        if self.text != smtp_safe(self.text):
            raise ValueError("reply text must be one line of printable ASCII")

    @property
    def kind(self) -> Literal["reject", "tempfail"]:
        return "reject" if self.code >= 500 else "tempfail"

    def __str__(self) -> str:
        return f"{self.code} {self.status} {self.text}"


def reject(text: str, status: str = "5.7.1", code: int = 550) -> SmtpReply:
    """A permanent refusal (5xx)."""
    if code < 500:
        raise ValueError("reject needs a 5xx code")
    return SmtpReply(code, status, smtp_safe(text))


def tempfail(text: str, status: str = "4.7.1", code: int = 451) -> SmtpReply:
    """A temporary refusal (4xx): the client keeps the message and retries."""
    if code >= 500:
        raise ValueError("tempfail needs a 4xx code")
    return SmtpReply(code, status, smtp_safe(text))


INTERNAL_ERROR = tempfail(
    "Postwarden could not check this message; it stays queued and will be retried",
    status="4.3.0",
)
