"""pdf -- the text of a PDF attachment: simple PDFs directly (pdf_simple), the rest by PDFium.

Simple PDFs (standard single-byte fonts, no forms, no encryption: see pdf_simple) are read
by formats/pdf_simple.py, which costs a third of PDFium's text page analysis on such a page
(bench/bench_pdf.py).  Everything else is read by PDFium (pypdfium2's text page API): every
page's text, as PDFium lays it out (a line break where the text moves to another line),
and the values of the document's form fields.  Encrypted PDFs open when the user password is
empty (common for 'no printing' PDFs; PDFium tries the empty password itself); otherwise they
are unscannable ('encrypted pdf').  A PDF with pages that give no text at all is a scan or a
photo: `NoTextLayer` ('pdf without text (scanned image?)'), which the caller may hand to OCR
(formats/ocr.py).  Extraction stops once `max_chars` characters were read, or (checked between
pages) after 10 seconds -- then the caller reports `truncated` ('max_total_bytes exceeded',
'pdf time budget exceeded').

PDFium is not thread-safe: every call into it holds `PDFIUM_LOCK` (the one OCR uses, one per
process), taken per page so that one long document does not stall the other sessions' PDFs
for longer than a page; its objects are closed explicitly under the lock, never left to a
finaliser in another thread.

Layout: a form that draws a number one digit per box (each digit its own text object, placed
by Td/Tm) comes out as one digit per line, or as digits with a space between each;
`join_boxed_digits` joins such a row into one number, so a BSN in boxes is one number
(letters in boxes become one word -- on separate lines, or capitals one space apart -- and
eight boxed digits that form a date become dd-mm-yyyy).  A space PDFium puts between two
digits (it fills the gap between two table cells with one) is written as a tab, as between a
spreadsheet's cells: a birth date and a BSN in adjacent cells are two numbers, not one grouped.
Form fields: the values of a form's fields (/AcroForm, /V) are not on the page but in the form;
they are read too (through the pages' widget annotations, at most `MAX_FIELDS`, each field
once), each as 'field name: value' (the alternate name /TU if there is one: often the label,
'BSN').  A field without a widget on any page is not read (PDFium reaches fields through their
widgets; a form filled in by a person always has them).

Refuses (Unscannable): anything PDFium cannot open -- 'damaged pdf' -- or fails on while
reading a page (a damaged page ends the document: 'damaged pdf', never a partial accept).
"""

from __future__ import annotations

import ctypes
import re
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from milter.content._re2 import compile_re2, first_match
from milter.content.formats import NoTextLayer, Unscannable
from milter.content.formats.ocr import PDFIUM_LOCK, SCANNED_PAGE_MAX_CHARS
from milter.content.formats.pdf_simple import simple_text

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
MAX_FIELDS = 1000  # form field widgets read per document


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


@dataclass(slots=True)
class ScannedPages:
    """Which pages look scanned (an image and fewer than SCANNED_PAGE_MAX_CHARS characters of
    text: what OCR's `_scanned_page` asks), as reading the text layer learnt it on the way.

    `known` is True only when every page was read and asked: then OCR reads `pages` and looks
    at no other page, and needs no second pass over the document to find them."""

    known: bool = False
    pages: list[int] = field(default_factory=list)


# A page of the simple path with at least this many characters other than white space has
# text of its own (twice OCR's bound: PDFium counts every character pdf_simple reads, and more).
_SIMPLE_PAGE_HAS_TEXT = 2 * SCANNED_PAGE_MAX_CHARS
_PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![A-Za-z])")


def pdf_text(
    data: bytes,
    max_chars: int,
    time_budget: float = TIME_BUDGET_SECONDS,
    scanned: ScannedPages | None = None,
) -> tuple[str, str | None]:
    """(text, cut): the text of the PDF `data`; `cut` names the limit that stopped reading.
    With `scanned`, also which pages look scanned, where reading could tell (see ScannedPages)."""
    text, cut = _pdf_text(data, max_chars, time_budget, scanned)
    return join_boxed_digits(text), cut


ENCRYPTED = "encrypted pdf"
DAMAGED = "damaged pdf"


def _pdf_text(
    data: bytes, max_chars: int, time_budget: float, scanned: ScannedPages | None = None
) -> tuple[str, str | None]:
    deadline = time.monotonic() + time_budget
    page_texts: list[int] | None = [] if scanned is not None else None
    simple = simple_text(data, max_chars, deadline, page_texts)
    if simple is not None:
        if simple[1] is None and not simple[0].strip():
            raise NoTextLayer()
        if scanned is not None and page_texts is not None and simple[1] is None:
            # Every page has text of its own, and every page object was read: none is a scan.
            # (An object stream can hide page objects from the count: then it is not known.)
            counted = len(_PAGE_OBJECT.findall(data))
            if (
                page_texts
                and counted == len(page_texts)
                and min(page_texts) >= _SIMPLE_PAGE_HAS_TEXT
            ):
                scanned.known = True
        return simple
    return pdfium_text(data, max_chars, deadline, scanned)


def pdfium_text(
    data: bytes, max_chars: int, deadline: float, scanned: ScannedPages | None = None
) -> tuple[str, str | None]:
    """(text, cut) of the PDF `data` read by PDFium, stopping between pages at `deadline`
    (time.monotonic()); the text as it comes, before boxed digits are joined."""
    import pypdfium2 as pdfium  # imported late: many messages carry no PDF

    if not _inflates_within(data, MAX_INFLATED):
        # PDFium inflates a stream whole, in memory: a 1 MB attachment whose content stream
        # unpacks to 1 GB took 1.9 GB of RSS (2026-12-07).  pypdf refused such files at its own
        # limit ('damaged pdf'), and so does this.
        raise Unscannable(DAMAGED)
    with PDFIUM_LOCK:
        try:
            doc = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            password = exc.err_code == _ERR_PASSWORD
            raise Unscannable(ENCRYPTED if password else DAMAGED) from exc
        except Exception as exc:  # whatever hostile input provokes in the binding
            raise Unscannable(DAMAGED) from exc
    try:
        with PDFIUM_LOCK:
            try:
                doc.init_forms()  # before any page is loaded: widgets then carry their values
                count = len(doc)
            except Exception as exc:
                raise Unscannable(DAMAGED) from exc
        texts: list[str] = []
        fields = _Fields()
        size = 0
        for index in range(count):
            if time.monotonic() > deadline:
                return "\n".join(texts), "pdf time budget exceeded"
            with PDFIUM_LOCK:
                try:
                    text = _page(doc, index, fields, scanned)
                except Exception as exc:  # PDFium (or the binding) on a damaged page
                    raise Unscannable(DAMAGED) from exc
            texts.append(text)
            size += len(text)
            if size >= max_chars:
                return "\n".join(texts)[:max_chars], "max_total_bytes exceeded"
        texts.extend(fields.lines)
    finally:
        with PDFIUM_LOCK:
            doc.close()  # pages, text pages and the form environment were closed with it
    joined = "\n".join(texts)
    if count and not joined.strip():
        raise NoTextLayer()
    if scanned is not None:
        scanned.known = True  # every page was read and asked
    return joined[:max_chars], "max_total_bytes exceeded" if len(joined) > max_chars else None


MAX_INFLATED = 64 * 2**20  # bytes all FlateDecode streams of one PDF may unpack to (as pdf_simple)
_INFLATE_STEP = 2**20


def _inflates_within(data: bytes, limit: int) -> bool:
    """False when the PDF's FlateDecode streams unpack to more than `limit` bytes together.

    Found without a parser: each `stream` keyword after a dictionary naming /FlateDecode, up to
    its `endstream`.  Deflate unpacks at most ~1032 times its size, so streams are inflated (a
    megabyte at a time and thrown away: memory stays flat) only while what is left could still
    go past the limit -- most PDFs are never inflated here.  A stream zlib cannot read is not
    counted (PDFium decides what it is), nor one whose first filter is another (ASCII85Decode
    before FlateDecode: PDFium unpacks those unbounded)."""
    spans = list(_flate_streams(data))
    left = _DEFLATE_MAX_RATIO * sum(end - start for start, end in spans)
    total = 0
    for start, end in spans:
        if total + left <= limit:
            return True
        left -= _DEFLATE_MAX_RATIO * (end - start)
        inflater = zlib.decompressobj()
        chunk = memoryview(data)[start:end]
        try:
            while chunk and total <= limit and not inflater.eof:
                out = len(inflater.decompress(chunk, _INFLATE_STEP))
                total += out
                tail = inflater.unconsumed_tail
                if not out and len(tail) == len(chunk):
                    break  # no progress: nothing more to count
                chunk = memoryview(tail)
        except zlib.error:
            pass  # damaged: PDFium reads or refuses it
        if total > limit:
            return False
    return True


_DEFLATE_MAX_RATIO = 1032  # deflate's best case: 258 bytes from one 2-bit code, plus slack


def _flate_streams(data: bytes) -> Iterator[tuple[int, int]]:
    """(start, end) of the data of each stream whose dictionary names /FlateDecode."""
    pos = data.find(b"stream")
    while pos >= 0:
        start = pos + 6
        if data[start : start + 2] == b"\r\n":
            start += 2
        elif data[start : start + 1] in (b"\n", b"\r"):
            start += 1
        else:  # 'endstream', or the word inside other syntax
            pos = data.find(b"stream", start)
            continue
        end = data.find(b"endstream", start)
        if end < 0:
            end = len(data)
        head = data[max(0, pos - 512) : pos]
        if b"/FlateDecode" in head[head.rfind(b"obj") + 1 :]:
            yield start, end
        pos = data.find(b"stream", end + 9)


_ERR_PASSWORD = 4  # pypdfium2.raw.FPDF_ERR_PASSWORD: it needs a password we do not have
# PDFium's text: CRLF between lines; U+0002 and U+FFFE where it found a hyphen at a line end
# (pypdf gave the hyphen itself); NUL never means anything in text.
_PDFIUM_TEXT = str.maketrans({"\r": None, "\x02": "-", "\ufffe": "-", "\x00": None})


def _page(doc: Any, index: int, fields: _Fields, scanned: ScannedPages | None = None) -> str:
    """The text of page `index`, and its form fields' values added to `fields`; with
    `scanned`, the page's index added to it if it looks scanned (under the lock)."""
    page = doc[index]
    try:
        textpage = page.get_textpage()
        try:
            text: str = textpage.get_text_range()
            if " " in text:
                text = _cell_gaps(textpage, text)
            if scanned is not None and int(textpage.count_chars()) < SCANNED_PAGE_MAX_CHARS:
                import pypdfium2.raw as pdfium_c

                images = page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=4)
                if next(iter(images), None) is not None:
                    scanned.pages.append(index)
        finally:
            textpage.close()
        if doc.formenv is not None:
            fields.read(doc, page)
    finally:
        page.close()
    return text.translate(_PDFIUM_TEXT)


# A space between two digits: a grouped number ('123 456 782') when the PDF wrote it, a gap
# between two table cells when PDFium put it there ('08-03-2025 542691784': birth date, BSN)
_DIGIT_SPACE = re.compile(r"(?<=\d) (?=\d)")


def _cell_gaps(textpage: Any, text: str) -> str:
    """`text` with each space PDFium inserted between two digits written as a tab: the
    detectors read a tab as a cell boundary (as in a spreadsheet), never as a digit group's
    separator.  (Only these spaces are asked about: one call into PDFium each.)"""
    import pypdfium2.raw as pdfium_c

    gaps = [
        found.start()
        for found in _DIGIT_SPACE.finditer(text)
        if pdfium_c.FPDFText_IsGenerated(
            textpage, pdfium_c.FPDFText_GetCharIndexFromTextIndex(textpage, found.start())
        )
        == 1
    ]
    if not gaps:
        return text
    chars = list(text)
    for at in gaps:
        chars[at] = "\t"
    return "".join(chars)


class _Fields:
    """The 'label: value' lines of a document's form fields, each field once."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._seen: set[str] = set()
        self._widgets = 0

    def read(self, doc: Any, page: Any) -> None:
        import pypdfium2.raw as pdfium_c

        form = doc.formenv
        for index in range(pdfium_c.FPDFPage_GetAnnotCount(page)):
            if self._widgets >= MAX_FIELDS:
                return
            annot = pdfium_c.FPDFPage_GetAnnot(page, index)
            if not annot:
                continue
            try:
                if pdfium_c.FPDFAnnot_GetSubtype(annot) != pdfium_c.FPDF_ANNOT_WIDGET:
                    continue
                self._widgets += 1
                name = _wide(pdfium_c.FPDFAnnot_GetFormFieldName, form, annot)
                if name and name in self._seen:
                    continue  # another widget of the same field (a radio button's options)
                value = _wide(pdfium_c.FPDFAnnot_GetFormFieldValue, form, annot)
                if value.strip() in ("", "Off"):
                    continue
                self._seen.add(name)
                label = _wide(pdfium_c.FPDFAnnot_GetFormFieldAlternateName, form, annot) or name
                self.lines.append(f"{label}: {value.lstrip('/')}")
            finally:
                pdfium_c.FPDFPage_CloseAnnot(annot)


def _wide(function: Any, form: Any, annot: Any) -> str:
    """A UTF-16 string PDFium's form API returns (asked for its size first)."""
    import pypdfium2.raw as pdfium_c

    size = int(function(form, annot, None, 0))
    if size <= 2:
        return ""
    buffer = ctypes.create_string_buffer(size)
    function(form, annot, ctypes.cast(buffer, ctypes.POINTER(pdfium_c.FPDF_WCHAR)), size)
    return buffer.raw[: size - 2].decode("utf-16-le", "replace")
