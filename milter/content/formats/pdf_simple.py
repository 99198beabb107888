"""pdf_simple -- the text of simple PDFs without PDFium: a fast path, or None to use PDFium.

PDFium's text page analysis costs about 1.8 ms for a one-page letter in a standard font, this
module about 0.6 ms (bench/bench_pdf.py, 2026-12-07; pypdf, the reader before PDFium, 4 ms).
Most PDFs attached to mail are simpler than what PDFium is built for, so this module
reads them directly: every `N G obj` in the file (and in object streams), the page tree from the
catalog, each page's content streams (uncompressed or FlateDecode), and the strings shown by the
text operators (Tj, TJ, ', ") in fonts with a standard single-byte encoding -- StandardEncoding,
WinAnsiEncoding or MacRomanEncoding, without /Differences or /ToUnicode -- decoded with pypdf's
own encoding tables.  A new line starts where the text moves to another line (Td/TD/T*/Tm, ',
"); a large TJ gap or a move along the line is a space.

Anything else gives None, and the caller uses PDFium: encryption, forms (/AcroForm), an object
defined twice (incremental updates), fonts that are composite, embedded without an encoding,
symbolic, or mapped with /Differences or /ToUnicode, form XObjects, inline images, other stream
filters, damaged syntax, and streams that would inflate past `max_inflated` bytes.
(ASCII85Decode, as reportlab writes it before FlateDecode, is undone here.)  So what this
returns is exactly the text shown by the simple fonts of a simple document, or nothing at all.

`simple_text` is what pdf.py calls: the native core's port of this reader
(milter/native/src/pdf.rs, the same answer; tests/unit/content/test_native_pdf.py) where it
is built and answers, else `simple_pdf_text` here, which stays the reference and the fallback.

Refuses: nothing (None means 'not simple').
"""

from __future__ import annotations

import base64
import re
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import milter.content.native as native

MAX_INFLATED = 64 * 2**20  # per document: past it, PDFium (and pdf.py's limits) decide

# 'N G' just before an 'obj' keyword (searched backwards from each 'obj': a regex scanning the
# whole file for digits would crawl through every embedded image byte by byte)
_OBJ_NUMBERS = re.compile(rb"(?<![0-9])(\d{1,10})[ \t\r\n\f\x00]+\d{1,5}[ \t\r\n\f\x00]+\Z")
_OBJ = re.compile(rb"obj")
_WORD = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_TOKEN = re.compile(
    rb"(?:[ \t\r\n\f\x00]|%[^\r\n]*)*"
    rb"(\d+[ \t\r\n\f\x00]+\d+[ \t\r\n\f\x00]+R(?![^ \t\r\n\f\x00()<>\[\]{}/%])"  # N G R
    rb"|<<|>>|\[|\]|\(|<|/[^ \t\r\n\f\x00()<>\[\]{}/%]*|[^ \t\r\n\f\x00()<>\[\]{}/%]+|\{|\}|\)|>)"
)
_STRING_SPECIAL = re.compile(rb"[()\\]")
_NUMBER = re.compile(rb"[+-]?(?:\d+\.?\d*|\.\d+)\Z")
_INT = re.compile(rb"\d+\Z")
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_ESCAPES = {
    ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b", ord("f"): b"\f",
    ord("("): b"(", ord(")"): b")", ord("\\"): b"\\",
}  # fmt: skip
_STANDARD_14 = frozenset(
    [
        "Helvetica", "Helvetica-Bold", "Helvetica-Oblique", "Helvetica-BoldOblique",
        "Times-Roman", "Times-Bold", "Times-Italic", "Times-BoldItalic",
        "Courier", "Courier-Bold", "Courier-Oblique", "Courier-BoldOblique",
    ]
)  # fmt: skip
_ENCODINGS = ("StandardEncoding", "WinAnsiEncoding", "MacRomanEncoding")
TJ_SPACE = -200  # a TJ adjustment this negative (thousandths of an em) reads as a space


class NotSimple(Exception):
    """The document needs PDFium."""


class Name(str):
    """A PDF name, without its slash."""


class Op(str):
    """A content-stream operator."""


@dataclass(frozen=True, slots=True)
class Ref:
    """An indirect reference `N 0 R`."""

    number: int


Value = object


def _literal(data: bytes, pos: int) -> tuple[bytes, int]:
    """The literal string starting after '(' at `pos`, and the position after its ')'."""
    close = data.find(b")", pos)
    if close < 0:
        raise NotSimple
    chunk = data[pos:close]
    if b"\\" not in chunk and b"(" not in chunk:
        return chunk, close + 1
    out: list[bytes] = []
    depth = 1
    size = len(data)
    while True:
        special = _STRING_SPECIAL.search(data, pos)
        if special is None:
            raise NotSimple
        at = special.start()
        out.append(data[pos:at])
        byte = data[at]
        pos = at + 1
        if byte == 0x28:  # (
            depth += 1
            out.append(b"(")
        elif byte == 0x29:  # )
            depth -= 1
            if depth == 0:
                return b"".join(out), pos
            out.append(b")")
        elif pos < size:  # a backslash escape
            nxt = data[pos]
            if 0x30 <= nxt <= 0x37:
                end = pos
                while end < size and end - pos < 3 and 0x30 <= data[end] <= 0x37:
                    end += 1
                out.append(bytes((int(data[pos:end], 8) & 0xFF,)))
                pos = end
            elif nxt == 0x0D:  # line continuation
                pos += 2 if data[pos + 1 : pos + 2] == b"\n" else 1
            elif nxt == 0x0A:
                pos += 1
            else:
                out.append(_ESCAPES.get(nxt, bytes((nxt,))))
                pos += 1


class _Reader:
    """Values from PDF syntax (objects or a content stream) starting at a position."""

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data = data
        self.pos = pos

    def token(self) -> bytes | None:
        match = _TOKEN.match(self.data, self.pos)
        if match is None:
            return None
        self.pos = match.end()
        return match[1]

    def value(self, token: bytes | None = None) -> Value:
        if token is None:
            token = self.token()
            if token is None:
                raise NotSimple
        first = token[0]
        # The commonest first (names, integers); no two of these tests accept the same token.
        if first == 0x2F:
            return Name(_name(token) if b"#" in token else token.decode("latin-1")[1:])
        if token.isdigit():  # what _INT matches
            return int(token)
        if token == b"<<":
            # The loops read names and integers themselves (what self.value would return).
            result: dict[str, Value] = {}
            match = _TOKEN.match
            data = self.data
            while True:
                found = match(data, self.pos)
                if found is None:
                    raise NotSimple
                self.pos = found.end()
                key = found[1]
                if key == b">>":
                    return result
                if key[0] != 0x2F:
                    raise NotSimple
                name = _name(key) if b"#" in key else key.decode("latin-1")[1:]
                found = match(data, self.pos)
                if found is None:
                    raise NotSimple
                self.pos = found.end()
                item = found[1]
                if item[0] == 0x2F and b"#" not in item:
                    result[name] = Name(item.decode("latin-1")[1:])
                elif item.isdigit():
                    result[name] = int(item)
                else:
                    result[name] = self.value(item)
        if token == b"[":
            items: list[Value] = []
            while True:
                item = self.token()
                if item == b"]":
                    return items
                if item is None:
                    raise NotSimple
                if item.isdigit():
                    items.append(int(item))
                else:
                    items.append(self.value(item))
        if token == b"(":
            text, self.pos = _literal(self.data, self.pos)
            return text
        if token == b"<":
            close = self.data.find(b">", self.pos)
            if close < 0:
                raise NotSimple
            digits = bytes(self.data[self.pos : close]).translate(None, b" \t\r\n\f\x00")
            self.pos = close + 1
            try:
                return bytes.fromhex((digits + b"0" if len(digits) % 2 else digits).decode())
            except (ValueError, UnicodeDecodeError) as exc:
                raise NotSimple from exc
        if _NUMBER.match(token):
            return float(token)  # (integers were taken above)
        if token[-1] == 0x52 and 0x30 <= first <= 0x39:  # 'N G R', one token
            return Ref(int(token.split()[0]))
        if token in (b"true", b"false"):
            return token == b"true"
        if token == b"null":
            return None
        if token in (b"]", b">>", b")", b">", b"{", b"}"):
            raise NotSimple
        return Op(token.decode("latin-1"))


def _name(token: bytes) -> str:
    if b"#" not in token:
        return token.decode("latin-1")[1:]
    raw = _NAME_ESCAPE.sub(lambda m: bytes.fromhex(m.group(1).decode()), token[1:])
    return raw.decode("latin-1")


def _object_headers(data: bytes) -> Iterator[tuple[int, int]]:
    """(object number, offset after 'obj') of every 'N G obj' in `data`."""
    size = len(data)
    for keyword in _OBJ.finditer(data):  # (re's literal search beats bytes.find on binary data)
        at = keyword.start()
        pos = at + 3
        if pos < size and data[pos] in _WORD:
            continue  # 'objects', 'ObjStm' (case matters: only 'obj' is the keyword)
        found = _OBJ_NUMBERS.search(data, max(0, at - 24), at)
        if found is not None:
            yield int(found.group(1)), pos


class _Document:
    """The objects of one PDF, read without its cross-reference table."""

    def __init__(self, data: bytes, max_inflated: int) -> None:
        self.data = data
        self.inflate_left = max_inflated
        self.spans: dict[int, int] = {}  # object number -> offset after its header
        self.objects: dict[int, Value] = {}
        self.in_streams: dict[int, tuple[int, int]] = {}  # number -> (stream object, index)
        for number, end in _object_headers(data):
            if number in self.spans:
                raise NotSimple  # an incremental update or a damaged file: PDFium's xref decides
            self.spans[number] = end

    def get(self, value: Value) -> Value:
        """`value`, or the object it refers to."""
        if not isinstance(value, Ref):
            return value
        number = value.number
        if number in self.objects:
            return self.objects[number]
        if number in self.spans:
            found = self._read(self.spans[number])
        elif number in self.in_streams:
            found = self._from_object_stream(number)
        else:
            raise NotSimple
        self.objects[number] = found
        return found

    def _read(self, pos: int) -> Value:
        reader = _Reader(self.data, pos)
        found = reader.value()
        if isinstance(found, dict):
            after = reader.token()
            if after == b"stream":
                start = reader.pos
                if self.data[start : start + 2] == b"\r\n":
                    start += 2
                elif self.data[start : start + 1] in (b"\n", b"\r"):
                    start += 1
                length = self.get(found.get("Length"))
                end = -1
                if isinstance(length, int) and length >= 0:
                    tail = self.data[start + length : start + length + 32].lstrip()
                    if tail.startswith(b"endstream"):
                        end = start + length
                if end < 0:
                    end = self.data.find(b"endstream", start)
                    if end < 0:
                        raise NotSimple
                return Stream(found, self.data, start, end)
        return found

    def scan_object_streams(self) -> None:
        """Register the objects stored inside object streams (PDF 1.5+)."""
        for number in list(self.spans):
            head = self.data[self.spans[number] : self.spans[number] + 256]
            if b"/ObjStm" not in head:
                continue
            stream = self.get(Ref(number))
            if not isinstance(stream, Stream) or stream.dict.get("Type") != "ObjStm":
                continue
            count = stream.dict.get("N")
            if not isinstance(count, int) or count < 0:
                raise NotSimple
            reader = _Reader(self.decode(stream))
            for index in range(count):
                inner = reader.value()
                reader.value()  # its offset: read again when the object is needed
                if not isinstance(inner, int):
                    raise NotSimple
                if inner in self.spans or inner in self.in_streams:
                    raise NotSimple
                self.in_streams[inner] = (number, index)

    def _from_object_stream(self, number: int) -> Value:
        container, index = self.in_streams[number]
        stream = self.get(Ref(container))
        assert isinstance(stream, Stream)
        first = stream.dict.get("First")
        if not isinstance(first, int):
            raise NotSimple
        data = self.decode(stream)
        reader = _Reader(data)
        offset = -1
        for _ in range(index + 1):
            reader.value()
            found = reader.value()
            offset = found if isinstance(found, int) else -1
        if offset < 0:
            raise NotSimple
        return _Reader(data, first + offset).value()

    def decode(self, stream: Stream) -> bytes:
        """The stream's data with its filters undone: FlateDecode without predictors, and
        ASCII85Decode before it (reportlab writes [/ASCII85Decode /FlateDecode])."""
        if stream.decoded is not None:
            return stream.decoded
        filters = stream.dict.get("Filter")
        raw = stream.raw
        if isinstance(filters, list) and filters and filters[0] == "ASCII85Decode":
            raw = _ascii85(raw)
            filters = filters[1:] or None
        elif filters == "ASCII85Decode":
            raw = _ascii85(raw)
            filters = None
        if isinstance(filters, list) and len(filters) == 1:
            filters = filters[0]
        if filters is None:
            decoded = raw
        elif filters == "FlateDecode" and self.get(stream.dict.get("DecodeParms")) in (None, {}):
            inflater = zlib.decompressobj()
            try:
                decoded = inflater.decompress(raw, self.inflate_left + 1)
            except zlib.error as exc:
                raise NotSimple from exc
            if len(decoded) > self.inflate_left:
                raise NotSimple
        else:
            raise NotSimple
        self.inflate_left -= len(decoded)
        stream.decoded = decoded
        return decoded


def _ascii85(raw: bytes) -> bytes:
    """ASCII85Decode (PDF: no '<~', ends with '~>'); NotSimple when it does not decode."""
    end = raw.find(b"~>")
    body = raw if end < 0 else raw[:end]
    try:
        return base64.a85decode(body.translate(None, b" \t\r\n\f\x00"))
    except ValueError as exc:
        raise NotSimple from exc


@dataclass(slots=True)
class Stream:
    """A stream object: its dictionary and where its raw (still encoded) data lies in the file.

    The data is cut out only when it is decoded: an image's bytes are never copied.
    """

    dict: dict[str, Value]
    source: bytes
    start: int
    end: int
    decoded: bytes | None = None

    @property
    def raw(self) -> bytes:
        return self.source[self.start : self.end]


# The three encodings as pypdf (7.1) reads them (the same text as pypdf; a test compares every
# byte).  StandardEncoding: each byte as its code point, except these; WinAnsiEncoding:
# windows-1252, its five undefined bytes as their code points; MacRomanEncoding: mac_roman.
_STANDARD_DIFFERENCES = {
    0x27: "\u2019", 0x60: "\u2018", 0xA4: "\u2044", 0xA6: "\u0192", 0xA8: "\u00a4", 0xA9: "'",
    0xAA: "\u201c", 0xAC: "\u2039", 0xAD: "\u203a", 0xAE: "\ufb01", 0xAF: "\ufb02",
    0xB1: "\u2013", 0xB2: "\u2020", 0xB3: "\u2021", 0xB4: "\u00b7", 0xB7: "\u2022",
    0xB8: "\u201a", 0xB9: "\u201e", 0xBA: "\u201d", 0xBC: "\u2026", 0xBD: "\u2030", 0xC1: "`",
    0xC2: "\u00b4", 0xC3: "\u02c6", 0xC4: "\u02dc", 0xC5: "\u00af", 0xC6: "\u02d8",
    0xC7: "\u02d9", 0xC8: "\u00a8", 0xCA: "\u02da", 0xCB: "\u00b8", 0xCD: "\u02dd",
    0xCE: "\u02db", 0xCF: "\u02c7", 0xD0: "\u2014", 0xE1: "\u00c6", 0xE3: "\u00aa",
    0xE8: "\u0141", 0xE9: "\u00d8", 0xEA: "\u0152", 0xEB: "\u00ba", 0xF1: "\u00e6",
    0xF5: "\u0131", 0xF8: "\u0142", 0xF9: "\u00f8", 0xFA: "\u0153", 0xFB: "\u00df",
}  # fmt: skip


_BYTES = range(256)


def _single_byte(code: int, codec: str) -> str:
    try:
        return bytes([code]).decode(codec)
    except UnicodeDecodeError:
        return chr(code)


def _tables() -> dict[str, dict[int, str]]:
    tables: dict[str, dict[int, str]] = {
        "StandardEncoding": {code: _STANDARD_DIFFERENCES.get(code, chr(code)) for code in _BYTES},
        "WinAnsiEncoding": {code: _single_byte(code, "cp1252") for code in _BYTES},
        "MacRomanEncoding": {code: _single_byte(code, "mac_roman") for code in _BYTES},
    }
    for table in tables.values():
        del table[0]  # NUL shows nothing
    return tables


_TABLES: dict[str, dict[int, str]] = {}


def _font_table(doc: _Document, font: Value) -> dict[int, str]:
    """The byte -> text table of a simple font with a standard encoding (else NotSimple)."""
    font = doc.get(font)
    if not isinstance(font, dict) or font.get("Subtype") not in ("Type1", "TrueType"):
        raise NotSimple
    if "ToUnicode" in font:
        raise NotSimple
    encoding = doc.get(font.get("Encoding"))
    if encoding is None:
        base = font.get("BaseFont")
        descriptor = doc.get(font.get("FontDescriptor"))
        embedded = isinstance(descriptor, dict) and any(
            key in descriptor for key in ("FontFile", "FontFile2", "FontFile3")
        )
        if base not in _STANDARD_14 or embedded:
            raise NotSimple  # a built-in or symbolic encoding
        encoding = "StandardEncoding"
    if encoding not in _ENCODINGS:
        raise NotSimple  # /Differences, or an unknown name
    if not _TABLES:
        _TABLES.update(_tables())
    return _TABLES[str(encoding)]


def _root(doc: _Document) -> Value:
    """The catalog reference, from the last trailer or cross-reference stream."""
    data = doc.data
    at = data.rfind(b"trailer")
    if at >= 0:
        trailer = _Reader(data, at + len(b"trailer")).value()
        if isinstance(trailer, dict) and isinstance(trailer.get("Root"), Ref):
            return trailer["Root"]
    best: tuple[int, Value] | None = None
    for number, pos in doc.spans.items():
        if b"/XRef" in data[pos : pos + 512]:
            found = doc.get(Ref(number))
            is_xref = isinstance(found, Stream) and found.dict.get("Type") == "XRef"
            if is_xref and (best is None or pos > best[0]):
                assert isinstance(found, Stream)
                best = (pos, found.dict.get("Root"))
    if best is None or not isinstance(best[1], Ref):
        raise NotSimple
    return best[1]


def _pages(doc: _Document) -> Iterator[tuple[dict[str, Value], dict[str, Value]]]:
    """(page, resources) in page order, resources inherited down the page tree."""
    catalog = doc.get(_root(doc))
    if not isinstance(catalog, dict) or catalog.get("Type") != "Catalog":
        raise NotSimple
    if "AcroForm" in catalog:
        raise NotSimple  # form field values: pdf.py reads them through PDFium
    stack: list[tuple[Value, dict[str, Value], int]] = [(catalog.get("Pages"), {}, 0)]
    seen: set[int] = set()
    while stack:
        ref, inherited, depth = stack.pop()
        if isinstance(ref, Ref):
            if ref.number in seen or depth > 64:
                raise NotSimple
            seen.add(ref.number)
        node = doc.get(ref)
        if not isinstance(node, dict):
            raise NotSimple
        resources = doc.get(node.get("Resources", inherited))
        if not isinstance(resources, dict):
            raise NotSimple
        if node.get("Type") == "Pages" or "Kids" in node:
            kids = doc.get(node.get("Kids"))
            if not isinstance(kids, list):
                raise NotSimple
            stack.extend((kid, resources, depth + 1) for kid in reversed(kids))
        else:
            yield node, resources


class _OutOfTime(Exception):
    """The time budget ran out inside a page; `text` is what was read of it."""

    def __init__(self, text: str) -> None:
        super().__init__("pdf time budget exceeded")
        self.text = text


CHECK_EVERY = 8192  # operators between looks at the clock inside one page


def _page_text(
    doc: _Document,
    page: dict[str, Value],
    resources: dict[str, Value],
    out_of_time: Callable[[], bool] = lambda: False,
) -> str:
    contents = doc.get(page.get("Contents"))
    streams = contents if isinstance(contents, list) else [contents] if contents else []
    parts: list[bytes] = []
    for item in streams:
        stream = doc.get(item)
        if not isinstance(stream, Stream):
            raise NotSimple
        parts.append(doc.decode(stream))
    data = b"\n".join(parts)
    if not any(op in data for op in (b"Tj", b"TJ", b"'", b'"')) and b"Do" not in data:
        return ""  # no text-showing operator at all (a scan, a drawing)
    fonts = doc.get(resources.get("Font", {}))
    xobjects = doc.get(resources.get("XObject", {}))
    if not isinstance(fonts, dict) or not isinstance(xobjects, dict):
        raise NotSimple
    out: list[str] = []
    table: dict[int, str] | None = None
    operands: list[Value] = []
    reader = _Reader(data)
    countdown = CHECK_EVERY
    y = 0.0  # the line's vertical position in text space (enough to tell lines apart)
    leading = 0.0
    line_y: float | None = None

    def show(text: Value) -> None:
        if table is None or not isinstance(text, bytes):
            raise NotSimple
        out.append(text.decode("latin-1").translate(table))

    def move(to_y: float, along: bool) -> None:
        nonlocal y, line_y
        if line_y is not None and to_y != line_y:
            out.append("\n")
        elif along and line_y is not None:
            out.append(" ")
        y = line_y = to_y

    def next_line() -> None:
        nonlocal y, line_y
        out.append("\n")
        y = line_y = y - leading

    while True:
        token = reader.token()
        if token is None:
            break
        value = reader.value(token)
        if not isinstance(value, Op):
            operands.append(value)
            if len(operands) > 64:
                raise NotSimple
            continue
        op = str(value)
        countdown -= 1
        if not countdown:
            countdown = CHECK_EVERY
            if out_of_time():
                raise _OutOfTime("".join(out))
        if op == "Tj" and operands:
            show(operands[-1])
            operands.clear()
            continue
        numbers = [float(v) for v in operands if isinstance(v, int | float)]
        if op == "TJ" and operands and isinstance(operands[-1], list):
            for element in operands[-1]:
                if isinstance(element, int | float):
                    if element <= TJ_SPACE:
                        out.append(" ")
                else:
                    show(element)
        elif op in ("'", '"') and operands:
            next_line()
            show(operands[-1])
        elif op in ("Td", "TD") and len(numbers) >= 2:
            if op == "TD":
                leading = -numbers[-1]
            move(y + numbers[-1], numbers[-2] != 0)
        elif op == "T*":
            next_line()
        elif op == "TL" and numbers:
            leading = numbers[-1]
        elif op == "Tm" and len(numbers) >= 6:
            move(numbers[-1], True)
        elif op == "BT":
            y = 0.0  # the text matrix starts over; line_y stays to compare with
        elif op == "Tf" and len(operands) >= 2 and isinstance(operands[-2], Name):
            if operands[-2] not in fonts:
                raise NotSimple
            table = _font_table(doc, fonts[operands[-2]])
        elif op == "Do" and operands and isinstance(operands[-1], Name):
            xobject = doc.get(xobjects.get(operands[-1]))
            if not isinstance(xobject, Stream) or xobject.dict.get("Subtype") != "Image":
                raise NotSimple  # a form XObject can hold text: PDFium reads those
        elif op in ("BI", "ID"):
            raise NotSimple  # inline image data is binary
        operands.clear()
    return "".join(out)


def simple_pdf_text(
    data: bytes,
    max_chars: int,
    deadline: float,
    clock: Callable[[], float] = time.monotonic,
    max_inflated: int = MAX_INFLATED,
    page_chars: list[int] | None = None,
) -> tuple[str, str | None] | None:
    """(text, cut) like `pdf.pdf_text`, or None when the document is not simple. `page_chars`
    gets each page's number of characters other than white space, in page order."""
    if b"/Encrypt" in data or b"/ToUnicode" in data or b"/AcroForm" in data:
        # Never simple, and seen without parsing in the PDFs mail carries: the embedded fonts
        # of Word, LibreOffice, reportlab and fpdf2 exports all come with a /ToUnicode map.
        # Parsing to that refusal cost ~0.7 ms a document (bench/bench_pdf.py, 2026-12-07);
        # one that hides them in an object stream is still refused by the parse below.
        return None
    try:
        doc = _Document(data, max_inflated)
        doc.scan_object_streams()
        texts: list[str] = []
        size = 0
        pages = 0
        for page, resources in _pages(doc):
            if clock() > deadline:
                return "\n".join(texts), "pdf time budget exceeded"
            pages += 1
            try:
                text = _page_text(doc, page, resources, lambda: clock() > deadline)
            except _OutOfTime as cut:
                return "\n".join([*texts, cut.text])[:max_chars], "pdf time budget exceeded"
            texts.append(text)
            if page_chars is not None:
                page_chars.append(len("".join(text.split())))
            size += len(text)
            if size >= max_chars:
                return "\n".join(texts)[:max_chars], "max_total_bytes exceeded"
    except Exception:  # NotSimple, and any surprise in hostile input: PDFium has the last word
        return None
    if not pages:
        return None
    return "\n".join(texts), None


def simple_text(
    data: bytes, max_chars: int, deadline: float, page_chars: list[int] | None = None
) -> tuple[str, str | None] | None:
    """`simple_pdf_text(data, max_chars, deadline, page_chars=page_chars)`, read by the native
    core where it is built and answers (it leaves some damaged or odd files to this module)."""
    # (the native reader takes bytes and a 64-bit limit; anything else is read here)
    if native.pdf_simple_text is not None and isinstance(data, bytes) and 0 <= max_chars < 2**62:
        found = native.pdf_simple_text(data, max_chars, deadline - time.monotonic(), MAX_INFLATED)
        if found is not None:
            text, cut, counted = found
            if page_chars is not None:
                page_chars.extend(counted)
            return None if text is None else (text, cut)
    return simple_pdf_text(data, max_chars, deadline, page_chars=page_chars)
