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
_CLOSING_WORDS = "|".join(
    re.escape(c).replace(r"\ ", r"[ \t]+") for c in sorted(_CLOSINGS, key=len)[::-1]
)
# One RE2 pass over the text finds the lines that may start a block: '-- ' and closings with
# anything short after them (RE2: linear time, no Python per byte); each candidate line is then
# checked with _CLOSING_LINE.
_STARTS = first_match(
    compile_re2(
        rf"(?im)^(?:--[ \t]?\r?$|[ \t]*(?:{_CLOSING_WORDS})[ \t]*[,.!]?[^\n]{{0,80}}$)",
        latin1=True,
    )
)
# A closing alone on its line ('Met vriendelijke groet,'), or with a name after a comma
# ('Groet, Jan de Vries': a capital, at most four words), not prose ('Bedankt voor de melding').
_CLOSING_LINE = re.compile(
    rb"[ \t]*(?:" + _CLOSING_WORDS.encode() + rb")"
    rb"(?:[ \t]*[,.!]?|[ \t]*,[ \t]*(?P<rest>(?-i:[A-Z]|\xc3[\x80-\x9e])[^\s,;:!?]*"
    rb"(?:[ \t]+[^\s,;:!?]+){0,3}))[ \t]*\r?",
    re.IGNORECASE,
)
_REPLY_HEADER = re.compile(
    rb"^[ \t]*(?:>|(?:van|from|verzonden|sent|aan|to|onderwerp|subject|datum|date)[ \t]*:"
    rb"|-{2,}[ \t]*(?:original message|oorspronkelijk bericht|forwarded message|doorgestuurd"
    rb" bericht)|(?:op|on)[ \t][^\n]{0,200}(?:schreef|wrote)[ \t]*[^\n]{0,80}:?[ \t]*\r?$)",
    re.IGNORECASE | re.MULTILINE,
)
_LINE_MAX = 160  # longer than any line _STARTS matches (a closing and 80 more bytes)
_NAME_LINE_MAX = 60  # a name (or 'Jan de Vries | Gezinsvoogd') fits on one short line
_BLANK_LINES_MAX = 8  # HTML turned into text has a few empty lines between every paragraph


def signature_spans(data: bytes, near: list[int] | None = None) -> list[tuple[int, int]]:
    """The signature blocks in `data` (UTF-8 text): (start, end) byte offsets, in order.

    With `near` (sorted positions), only blocks that could hold one of those positions are
    looked for: a block starts at most SIGNATURE_MAX_BYTES before what it holds.
    """
    size = len(data)
    if near is None or len(near) * SIGNATURE_MAX_BYTES >= size:
        windows = [(0, size)]  # one pass over all of it is cheaper than many windows
    else:
        windows = _windows(near, size)
    spans: list[tuple[int, int]] = []
    first = _STARTS
    for low, high in windows:
        pos = max(low, spans[-1][1]) if spans else low
        stop = min(size, high + _LINE_MAX)  # a start line that begins before `high` ends here
        while pos < high:
            begin, end = first(data, pos, stop)[0]
            if begin < 0 or begin >= high:
                break
            pos = end + 1
            line = data[begin:end]
            if not line.lstrip().startswith(b"--"):
                closing = _CLOSING_LINE.fullmatch(line)
                if closing is None or not (closing.group("rest") or _name_follows(data, end)):
                    continue
            spans.append((begin, _block_end(data, begin)))
            pos = max(pos, spans[-1][1])
    return spans


def _windows(near: list[int], size: int) -> list[tuple[int, int]]:
    """Merged (low, high) ranges in which a block holding one of `near` must start."""
    merged: list[tuple[int, int]] = []
    low = high = -1
    for at in near:  # sorted: each window starts at or after the one before
        if at - SIGNATURE_MAX_BYTES <= high:
            high = at + 1
            continue
        if high >= 0:
            merged.append((low, high))
        low, high = max(0, at - SIGNATURE_MAX_BYTES), at + 1
    if high >= 0:
        merged.append((low, min(size, high)))
    return merged


def _name_follows(data: bytes, pos: int) -> bool:
    """True when the next non-empty line after `pos` (after a few blank lines) is short."""
    blank = 0
    for line in data[pos : pos + 400].split(b"\n")[1:]:
        stripped = line.strip()
        if not stripped:
            blank += 1
            if blank > _BLANK_LINES_MAX:
                return False
            continue
        return len(stripped) <= _NAME_LINE_MAX and not _REPLY_HEADER.match(line)
    return False


def _block_end(data: bytes, start: int) -> int:
    """Where the signature block starting at `start` ends."""
    limit = min(len(data), start + SIGNATURE_MAX_BYTES)
    reply = _REPLY_HEADER.search(data, start + 1, limit)
    if reply is not None:
        limit = reply.start()
    lines = 0
    pos = start
    while pos < limit:
        newline = data.find(b"\n", pos, limit)
        line_end = limit if newline < 0 else newline
        if data[pos:line_end].strip():
            lines += 1
            if lines > SIGNATURE_MAX_LINES:
                return pos
        pos = line_end + 1
    return limit
