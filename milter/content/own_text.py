"""own_text -- the organisation's own text: its phrases, and the signature blocks of its staff.

Two things in ordinary mail look like case data and are not:

- **Own phrases** (policy `content.own_phrases`): the organisation's names and standard footer
  lines ("Veilig Thuis Utrecht", "KvK 30276543 | IBAN NL91 ABNA 0417 1643 00").  Every
  occurrence is blanked (replaced by spaces of the same length) before any detector sees the
  text, so nothing inside it is a finding: not "Veilig Thuis" as a case keyword, not the KvK
  number as a BSN candidate, not the IBAN.  Matching is the keyword matcher's: whole words, case
  and accents ignored, any run of spaces or hyphens where the phrase has one.
- **Signature blocks**: a care worker's "Met vriendelijke groet, / Jan / Gezinsvoogd / Team
  Jeugdbescherming" gives every one of her mails two case keywords.  `signature_spans` finds the
  blocks mail clients mark -- the '-- ' separator line (RFC 3676), which formats/html.py writes
  where Outlook (`id="Signature"`), Gmail (`gmail_signature`), Apple Mail
  (`AppleMailSignature`) and Thunderbird (`moz-signature`) mark their HTML signatures -- and a
  closing ("Met vriendelijke groet", "Groet", "Kind regards", ...) followed by a short line (a
  name).  Inside such a block **case keywords only** are not counted (case_keywords asks for
  the spans, and only when it has a hit in the segment); a BSN, IBAN or date of birth in a
  signature still counts.  A block ends at a reply header ("Van:", "From:", "Op ... schreef",
  "-----Original Message-----", a '>' quote), after SIGNATURE_MAX_LINES non-empty lines or
  SIGNATURE_MAX_BYTES: what follows a signature in a reply is the quoted history, which is
  scanned as usual.

Refuses: own phrases with fewer than MIN_PHRASE_CHARS letters or digits (a short phrase would
blank too much; the policy loader says so with the line).
"""

from __future__ import annotations

import re

from milter.content._re2 import compile_re2, first_match
from milter.content.keywords import (
    ASCII_WORD,
    is_word_char_at,
    is_word_char_before,
    word_key,
    word_pattern,
)

MIN_PHRASE_CHARS = 4
SIGNATURE_MAX_LINES = 15
SIGNATURE_MAX_BYTES = 1500


def check_phrase(phrase: str) -> str:
    """The phrase if it can be used; raises ValueError saying why not."""
    if len(word_key(phrase)) < MIN_PHRASE_CHARS:
        raise ValueError(f"needs at least {MIN_PHRASE_CHARS} letters or digits")
    return phrase


class OwnPhrases:
    """The compiled own phrases of one policy: `blank(data)` hides them from the detectors."""

    def __init__(self, phrases: tuple[str, ...]) -> None:
        fragments = sorted(
            {word_pattern(check_phrase(p)) for p in phrases}, key=lambda f: (-len(f), f)
        )
        self.first = first_match(compile_re2("(?:" + "|".join(fragments) + ")", latin1=True))

    def spans(self, data: bytes) -> list[tuple[int, int]]:
        """Where whole-word occurrences of the phrases are in `data`."""
        found: list[tuple[int, int]] = []
        first = self.first
        size = len(data)
        pos = 0
        while pos < size:
            begin, end = first(data, pos, size)[0]
            if begin < 0:
                break
            pos = end if end > begin else end + 1
            if end == begin:
                continue
            before = data[begin - 1] if begin else 0x20
            if (before in ASCII_WORD) if before < 0x80 else is_word_char_before(data, begin):
                continue
            if end < size:
                after = data[end]
                if (after in ASCII_WORD) if after < 0x80 else is_word_char_at(data, end):
                    continue
            found.append((begin, end))
        return found

    def blank(self, data: bytes) -> bytes:
        """`data` with every occurrence replaced by as many spaces (the same object if none)."""
        spans = self.spans(data)
        if not spans:
            return data
        out = bytearray(data)
        for begin, end in spans:
            out[begin:end] = b" " * (end - begin)
        return bytes(out)


_CLOSINGS = (
    "met vriendelijke groet",
    "met vriendelijke groeten",
    "vriendelijke groet",
    "vriendelijke groeten",
    "met hartelijke groet",
    "hartelijke groet",
    "hartelijke groeten",
    "met groet",
    "groet",
    "groeten",
    "groetjes",
    "mvg",
    "hoogachtend",
    "met collegiale groet",
    "collegiale groet",
    "kind regards",
    "best regards",
    "warm regards",
    "kindest regards",
    "with kind regards",
    "regards",
    "best wishes",
    "best",
    "sincerely",
    "yours sincerely",
    "thanks",
    "thank you",
    "bedankt",
    "dank je wel",
    "alvast bedankt",
)
_CLOSING = re.compile(
    r"^[ \t]*(?:"
    + "|".join(re.escape(c).replace(r"\ ", r"[ \t]+") for c in sorted(_CLOSINGS, key=len)[::-1])
    + r")(?:[ \t]*[,.!]?|[ \t]*,[ \t]*(?P<rest>"
    + r"(?-i:[A-Z\u00c0-\u00de])[\w.'-]*(?:[ \t]+[\w.'-]+){0,3}))"  # 'Groet, Jan de Vries'
    + r"[ \t]*\r?$",
    re.IGNORECASE | re.MULTILINE,
)
_SEPARATOR = re.compile(r"^--[ \t]?\r?$", re.MULTILINE)
_REPLY_HEADER = re.compile(
    r"^[ \t]*(?:>|(?:van|from|verzonden|sent|aan|to|onderwerp|subject|datum|date)[ \t]*:"
    r"|-{2,}[ \t]*(?:original message|oorspronkelijk bericht|forwarded message|doorgestuurd"
    r" bericht)|(?:op|on)[ \t][^\n]{0,200}(?:schreef|wrote)[ \t]*[^\n]{0,80}:?[ \t]*\r?$)",
    re.IGNORECASE | re.MULTILINE,
)
_NAME_LINE_MAX = 60  # a name (or 'Jan de Vries | Gezinsvoogd') fits on one short line


def signature_spans(data: bytes) -> list[tuple[int, int]]:
    """The signature blocks in `data` (UTF-8 text): (start, end) byte offsets, in order."""
    if b"--" not in data and not _maybe_closing(data):
        return []
    text = data.decode("utf-8", "surrogateescape")  # (1:1 on bytes would need latin-1)
    starts: list[int] = [m.start() for m in _SEPARATOR.finditer(text)]
    for found in _CLOSING.finditer(text):
        if found.group("rest") or _name_follows(text, found.end()):
            starts.append(found.start())
    if not starts:
        return []
    spans: list[tuple[int, int]] = []
    for start in sorted(starts):
        if spans and start < spans[-1][1]:
            continue
        spans.append((start, _block_end(text, start)))
    if text.isascii():
        return spans
    # character offsets -> byte offsets
    return [(_byte_offset(text, s), _byte_offset(text, e)) for s, e in spans]


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8", "surrogateescape"))


_CLOSING_HINTS = (b"groet", b"Groet", b"GROET", b"egards", b"EGARDS", b"mvg", b"MVG", b"Mvg")


_MORE_HINTS = (b"hoogachtend", b"best", b"sincerely", b"thank", b"bedankt", b"dank je")


def _maybe_closing(data: bytes) -> bool:
    """A cheap test before the regex: could any closing be in `data`?"""
    if any(hint in data for hint in _CLOSING_HINTS):
        return True
    lowered = data.lower()
    return any(hint in lowered for hint in _MORE_HINTS)


_BLANK_LINES_MAX = 8  # HTML turned into text has a few empty lines between every paragraph


def _name_follows(text: str, pos: int) -> bool:
    """True when the next non-empty line after `pos` (after a few blank lines) is short."""
    blank = 0
    for line in text[pos : pos + 400].split("\n")[1:]:
        stripped = line.strip()
        if not stripped:
            blank += 1
            if blank > _BLANK_LINES_MAX:
                return False
            continue
        return len(stripped) <= _NAME_LINE_MAX and not _REPLY_HEADER.match(line)
    return False


def _block_end(text: str, start: int) -> int:
    """Where the signature block starting at `start` ends."""
    limit = min(len(text), start + SIGNATURE_MAX_BYTES)
    reply = _REPLY_HEADER.search(text, start + 1, limit)
    if reply is not None:
        limit = reply.start()
    lines = 0
    pos = start
    while pos < limit:
        newline = text.find("\n", pos, limit)
        line_end = limit if newline < 0 else newline
        if text[pos:line_end].strip():
            lines += 1
            if lines > SIGNATURE_MAX_LINES:
                return pos
        pos = line_end + 1
    return limit
