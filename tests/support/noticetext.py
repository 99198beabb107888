"""What a notice's text may be checked for client digits in.

A notice's own identifiers carry random digits: the Message-ID (time, pid and a random 64-bit
number), the Received and Date headers, Postfix queue ids (``4jjlmr5N9zz1SRyp``), and the
moments the notice states ("2026-12-07 20:01 UTC": run at 20:0x on 7 December, "0720" is in
it once spaces are squeezed out).
Four digits of a client's BSN or date of birth can turn up in them by chance (in about 2 % of
Message-IDs for an 11-window value), which would fail a no-client-data check at random.
``without_identifiers`` drops those headers, the stated times and every token that mixes letters
and digits; what is left is the text a person reads.
"""

from __future__ import annotations

import re

_ID_HEADERS = re.compile(
    r"^(message-id|received|date|x-postfix-queue-id):.*(\n[ \t].*)*$", re.I | re.M
)
_MIXED = re.compile(r"\b(?=\w*[A-Za-z])(?=\w*\d)\w+\b")
# A moment the notice states, date and time: 2026-12-07 20:01 (UTC), 2026-12-07T20:01:05Z. A
# date alone stays: a client's date of birth has no time of day.
_TIMES = re.compile(r"\b\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z?")


def without_identifiers(text: str) -> str:
    """``text`` without identifier headers, stated times and mixed letter-digit tokens."""
    unfolded = text.replace("=\r\n", "").replace("=\n", "")  # quoted-printable soft breaks
    return _MIXED.sub("", _TIMES.sub("", _ID_HEADERS.sub("", unfolded)))
