"""pdf -- the text of a PDF attachment: simple PDFs directly (pdf_simple), the rest via pypdf.

Encrypted PDFs are tried with the empty user password (common for 'no printing' PDFs); if that
does not open them they are unscannable ('encrypted pdf').  A PDF whose pages give no text at all
is a scan or a photo: `NoTextLayer` ('pdf without text (scanned image?)'), which the caller may
hand to OCR (formats/ocr.py).  Extraction stops once
`max_chars` characters were read, or (checked between pages) after 10 seconds of CPU-heavy
pypdf work -- then the caller reports `truncated` ('pdf time budget exceeded').

Layout: a form that draws a number one digit per box (each digit its own text object, placed
by Td/Tm) comes out of either reader as one digit per line, or as digits with a space between
each; `join_boxed_digits` joins such a row into one number, so a BSN in boxes is one number
(letters in boxes become one word -- on separate lines, or capitals one space apart -- and
eight boxed digits that form a date become dd-mm-yyyy).
Form fields: the values of a form's fields (/AcroForm /Fields, /V) are not on the page but in
the form; they are read too, each as 'field name: value' (the name is often the label: 'BSN').

Refuses (Unscannable): anything pypdf cannot read -- pypdf raises a wide range of exceptions on
damaged input, and they all mean the same to us: 'damaged pdf'.
"""

from __future__ import annotations

import io
import logging
import re
import time
from typing import Any

from milter.content._re2 import compile_re2, first_match
from milter.content.formats import NoTextLayer, Unscannable
from milter.content.formats.pdf_simple import simple_pdf_text

logging.getLogger("pypdf").setLevel(logging.CRITICAL)  # pypdf warns about every quirk

TIME_BUDGET_SECONDS = 10.0  # checked between pages: one hostile PDF must not hold the milter


# A row of at least two lines holding one character or 1-4 digits each ('1\n0\n1\n...',
# '101\n956\n782', 'O\nT\nS') (blank lines between them too: some writers end every text
# object with a line break)
_DIGIT_LINES = re.compile(
    r"(?m)^[ \t]*(?:\d{1,4}|\w)[ \t]*(?:(?:\n[ \t]*){1,3}(?:\d{1,4}|\w)[ \t]*)+$"
)
# eight or more single digits, each apart by one space or tab: '1 0 1 9 5 6 7 8 2' (no
# lookbehind: the search then skips to digits quickly; the edges are checked in _join_spaced)
_SPACED_DIGITS = re.compile(r"\d[ \t]\d[ \t]\d[ \t]\d[ \t]\d[ \t]\d[ \t]\d[ \t]\d(?:[ \t]\d)*")
# three or more capitals (and digits) in boxes, one space apart: 'O T S', '3 5 3 8 P H'
_SPACED_CAPITALS = re.compile(r"[A-Z0-9][ \t][A-Z0-9](?:[ \t][A-Z0-9])+")
# Any of those shapes in the text: one RE2 pass (over UTF-8) before the slower Python ones
_BOXED_HINT = first_match(
    compile_re2(
        r"\d[ \t]\d[ \t]\d[ \t]\d[ \t]\d[ \t]\d[ \t]\d[ \t]\d"
        r"|[A-Z0-9][ \t][A-Z0-9][ \t][A-Z0-9]"
        r"|\n[ \t]*(?:\d{1,4}|\w)[ \t]*(?:\n[ \t]*){1,3}(?:\d{1,4}|\w)[ \t]*(?:\n|$)",
        latin1=True,
    )
)
MAX_FIELDS = 1000  # form fields read per document


def join_boxed_digits(text: str) -> str:
    """`text` with rows of boxed digits joined into numbers (see the module docstring)."""
    data = text.encode("utf-8", "surrogatepass")
    if _BOXED_HINT(data, 0, len(data))[0][0] < 0:
        return text
    if "\n" in text:
        text = _DIGIT_LINES.sub(_join_lines, text)
    text = _SPACED_DIGITS.sub(_join_spaced, text)
    return _SPACED_CAPITALS.sub(_join_capitals, text)


def _join_capitals(found: re.Match[str]) -> str:
    letters = found.group(0)
    if not any(char.isalpha() for char in letters):
        return letters  # digits only: _SPACED_DIGITS's business (eight or more)
    text, start, end = found.string, found.start(), found.end()
    if (start and text[start - 1].isalnum()) or (end < len(text) and text[end].isalnum()):
        return letters
    return letters.replace(" ", "").replace("\t", "")


def _join_spaced(found: re.Match[str]) -> str:
    text, start, end = found.string, found.start(), found.end()
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    if before.isalnum() or before in "_.,-" or after.isalnum() or after == "_":
        return found.group(0)  # part of something longer: '3.1 2 3 4 5 6 7 8', 'x1 2 ...'
    return _as_date(found.group(0).replace(" ", "").replace("\t", ""))


def _join_lines(found: re.Match[str]) -> str:
    pieces = found.group(0).split()
    if not all(len(p) == 1 for p in pieces):
        return " ".join(pieces)
    return _as_date("".join(pieces))


def _as_date(joined: str) -> str:
    """Eight boxed digits that form a date (ddmmyyyy) are written as one: 17-09-2019."""
    if len(joined) == 8 and joined.isdigit():
        day, month, year = int(joined[:2]), int(joined[2:4]), int(joined[4:])
        if 1 <= day <= 31 and 1 <= month <= 12 and 1900 <= year <= 2099:
            return f"{joined[:2]}-{joined[2:4]}-{joined[4:]}"
    return joined


def pdf_text(
    data: bytes, max_chars: int, time_budget: float = TIME_BUDGET_SECONDS
) -> tuple[str, str | None]:
    """(text, cut): the text of the PDF `data`; `cut` names the limit that stopped reading."""
    text, cut = _pdf_text(data, max_chars, time_budget)
    return join_boxed_digits(text), cut


def _pdf_text(data: bytes, max_chars: int, time_budget: float) -> tuple[str, str | None]:
    deadline = time.monotonic() + time_budget
    simple = simple_pdf_text(data, max_chars, deadline)
    if simple is not None:
        if simple[1] is None and not simple[0].strip():
            raise NoTextLayer()
        return simple

    import pypdf  # imported late: loading pypdf costs ~0.1 s, and many messages carry no PDF

    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except (NotImplementedError, pypdf.errors.PyPdfError, ValueError) as exc:
                raise Unscannable("encrypted pdf") from exc
            if not opened:
                raise Unscannable("encrypted pdf")
        texts: list[str] = []
        size = 0
        pages = 0
        for page in reader.pages:
            if time.monotonic() > deadline:
                return "\n".join(texts), "pdf time budget exceeded"
            pages += 1
            text = page.extract_text() or ""
            texts.append(text)
            size += len(text)
            if size >= max_chars:
                return "\n".join(texts)[:max_chars], "max_total_bytes exceeded"
        fields = _field_values(reader)
        texts.append(fields)
    except Unscannable:
        raise
    except RecursionError as exc:
        raise Unscannable("damaged pdf") from exc
    except Exception as exc:  # pypdf's failure modes on hostile input are not enumerable
        raise Unscannable("damaged pdf") from exc
    joined = "\n".join(texts)
    if pages and not joined.strip():
        raise NoTextLayer()
    return joined[:max_chars], "max_total_bytes exceeded" if len(joined) > max_chars else None


def _field_values(reader: Any) -> str:
    """'name: value' for each form field with a value (pypdf's get_fields walks /Kids)."""
    fields = reader.get_fields() or {}
    lines: list[str] = []
    for name, field in list(fields.items())[:MAX_FIELDS]:
        value = field.get("/V") if isinstance(field, dict) else None
        if isinstance(value, list):
            value = " ".join(str(v) for v in value)
        if value is None or str(value).strip() in ("", "/Off"):
            continue
        label = str(field.get("/TU") or name)
        lines.append(f"{label}: {str(value).lstrip('/')}")
    return "\n".join(lines)
