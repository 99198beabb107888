"""What a notice's text may be checked for client digits in.

A notice's own identifiers carry random digits: the Message-ID (time, pid and a random 64-bit
number), the Received and Date headers, Postfix queue ids (``4jjlmr5N9zz1SRyp``). Four digits of a
client's BSN can turn up in them by chance (in about 2 % of Message-IDs for an 11-window value),
which would fail a no-client-data check at random. ``without_identifiers`` drops those headers
and every token that mixes letters and digits; what is left is the text a person reads.
"""

from __future__ import annotations

import re

_ID_HEADERS = re.compile(
    r"^(message-id|received|date|x-postfix-queue-id):.*(\n[ \t].*)*$", re.I | re.M
)
_MIXED = re.compile(r"\b(?=\w*[A-Za-z])(?=\w*\d)\w+\b")


def without_identifiers(text: str) -> str:
    """``text`` without identifier headers and mixed letter-digit tokens."""
    return _MIXED.sub("", _ID_HEADERS.sub("", text))
