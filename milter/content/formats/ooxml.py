"""ooxml -- the text of docx, xlsx, pptx and OpenDocument files, read from their XML directly.

- docx: word/document.xml plus headers, footers, footnotes, endnotes and comments; runs inside
  a paragraph are joined without spaces (Word splits '111222333' over runs after a spell check),
  paragraphs end in a line break, table cells in a tab.
- xlsx: xl/sharedStrings.xml and every xl/worksheets/sheet*.xml; cells become tab-separated
  values, rows lines.  Numbers are read as written in the file (a BSN stored as a number is
  found); a number in a cell with a date format (xl/styles.xml: built-in date formats, or a
  custom format with day/month/year codes) is an Excel serial date and is read as
  'serial dd-mm-yyyy' (1900 or 1904 date system), so a birth date column is seen as dates.
- pptx: slides and notes; odt/ods/odp: content.xml.

XML is parsed with expat, with no DTD allowed (OOXML never has one; this shuts out entity tricks).
With the native core (milter.content.native), milter/native/src/office.rs reads the whole
document first (native_document_text: the zip, the member caps, the parts), and then each part
that reaches this module's own readers; it gives the same text or None, and on None (a DOCTYPE,
damage, a cap reached, anything unusual) zipfile and expat read as before, so the reasons and
limits stay this module's.

Refuses (Unscannable): a package without the expected parts ('unrecognised office document'),
malformed XML ('damaged office document'), members past the size caps (the caller's limits).
"""

from __future__ import annotations

import datetime
import re
import zipfile
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn
from xml.parsers import expat

import milter.content.native as native
from milter.content.formats import Unscannable

if TYPE_CHECKING:
    from milter.content.sink import Sink

Reader = Callable[[zipfile.ZipInfo], bytes | None]

_DOCX_PARTS = re.compile(r"word/(document|header\d*|footer\d*|footnotes|endnotes|comments)\.xml")
_SHEET = re.compile(r"xl/worksheets/sheet\d+\.xml")
_SLIDE = re.compile(r"ppt/(slides/slide|notesSlides/notesSlide)\d+\.xml")


def _refuse_doctype(*_: object) -> NoReturn:
    raise Unscannable("damaged office document")


class _Collector:
    """Collects character data of `text_tags`, emitting separators at `breaks` end tags."""

    def __init__(self, text_tags: frozenset[str], breaks: dict[str, str], max_chars: int) -> None:
        self.text_tags = text_tags
        self.breaks = breaks
        self.parts: list[str] = []
        self.size = 0
        self.max_chars = max_chars
        self.inside = 0
        self.all_text = not text_tags

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = name.rsplit(" ", 1)[-1]
        if local in self.text_tags:
            self.inside += 1
        elif local in ("tab", "br", "cr", "s"):
            self.parts.append(self.breaks.get(local, " "))

    def end(self, name: str) -> None:
        local = name.rsplit(" ", 1)[-1]
        if local in self.text_tags:
            self.inside = max(0, self.inside - 1)
        separator = self.breaks.get(local)
        if separator is not None and local not in ("tab", "br", "cr", "s"):
            self.parts.append(separator)

    def data(self, text: str) -> None:
        if (self.inside or self.all_text) and self.size < self.max_chars:
            self.parts.append(text)
            self.size += len(text)


def _parse(xml: bytes, collector: _Collector | _StylesCollector) -> None:
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.StartElementHandler = collector.start
    parser.EndElementHandler = collector.end
    if isinstance(collector, _Collector):
        parser.CharacterDataHandler = collector.data
    try:
        parser.Parse(xml, True)
    except expat.ExpatError as exc:
        raise Unscannable("damaged office document") from exc


def _xml_text(xml: bytes, text_tags: set[str], breaks: dict[str, str], max_chars: int) -> str:
    collector = _Collector(frozenset(text_tags), breaks, max_chars)
    _parse(xml, collector)
    return "".join(collector.parts)


_DOCX_BREAKS = {"p": "\n", "tab": "\t", "br": "\n", "cr": "\n", "tc": "\t", "tr": "\n"}
_PPTX_BREAKS = {"p": "\n", "br": "\n"}
_ODF_BREAKS = {"p": "\n", "h": "\n", "tab": "\t", "s": " ", "line-break": "\n",
               "table-cell": "\t", "table-row": "\n", "list-item": "\n"}  # fmt: skip
# What each kind's text parts collect (src/office.rs has the same tables).
PART_RULES: dict[str, tuple[set[str], dict[str, str]]] = {
    "docx": ({"t", "delText"}, _DOCX_BREAKS),
    "pptx": ({"t"}, _PPTX_BREAKS),
    "odf": (set(), _ODF_BREAKS),
}


def part_text(kind: str, xml: bytes, max_chars: int) -> str:
    """The text of one docx/pptx/odf XML part: natively when the core reads it, else expat."""
    if native.office_part_text is not None:
        text = native.office_part_text(kind, xml, max_chars)
        if text is not None:
            return text
    return py_part_text(kind, xml, max_chars)


def py_part_text(kind: str, xml: bytes, max_chars: int) -> str:
    """part_text with expat (the reference)."""
    text_tags, breaks = PART_RULES[kind]
    return _xml_text(xml, text_tags, breaks, max_chars)


def _shared_strings(xml: bytes, max_chars: int) -> list[str]:
    if native.office_shared_strings is not None:
        shared = native.office_shared_strings(xml, max_chars)
        if shared is not None:
            return shared
    return py_shared_strings(xml, max_chars)


def py_shared_strings(xml: bytes, max_chars: int) -> list[str]:
    """_shared_strings with expat (the reference)."""
    collector = _Collector(frozenset({"t"}), {"si": "\x00"}, max_chars)
    _parse(xml, collector)
    return "".join(collector.parts).split("\x00")


# Built-in number formats that show a date (ECMA-376 18.8.30 and the East Asian locale ones).
_DATE_FORMAT_IDS = frozenset([*range(14, 18), 22, *range(27, 37), *range(50, 59)])
_FORMAT_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')
_EPOCH_1900 = datetime.date(1899, 12, 30)  # serial 1 = 1900-01-01 past Excel's 1900-02-29
_EPOCH_1904 = datetime.date(1904, 1, 1)
MAX_SERIAL = 2_958_465  # 9999-12-31


def is_date_format(code: str) -> bool:
    """True when an Excel number format code shows a date (d, m with y, or y)."""
    bare = _FORMAT_QUOTED.sub("", code).lower()
    return "y" in bare or "d" in bare


class _StylesCollector:
    """Which cell style indexes (cellXfs) use a date number format."""

    def __init__(self) -> None:
        self.custom: dict[int, str] = {}
        self.in_cell_xfs = False
        self.formats: list[int] = []

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = name.rsplit(" ", 1)[-1]
        if local == "numFmt":
            number = attrs.get("numFmtId", "")
            if number.isdigit():
                self.custom[int(number)] = attrs.get("formatCode", "")
        elif local == "cellXfs":
            self.in_cell_xfs = True
        elif local == "xf" and self.in_cell_xfs:
            try:
                self.formats.append(int(attrs.get("numFmtId", "0")))
            except ValueError:
                self.formats.append(0)

    def end(self, name: str) -> None:
        if name.rsplit(" ", 1)[-1] == "cellXfs":
            self.in_cell_xfs = False

    def date_styles(self) -> frozenset[int]:
        return frozenset(
            index
            for index, number in enumerate(self.formats)
            if number in _DATE_FORMAT_IDS
            or (number in self.custom and is_date_format(self.custom[number]))
        )


def _date_styles(xml: bytes) -> frozenset[int]:
    if native.office_date_styles is not None:
        styles = native.office_date_styles(xml)
        if styles is not None:
            return frozenset(styles)
    return py_date_styles(xml)


def py_date_styles(xml: bytes) -> frozenset[int]:
    """_date_styles with expat (the reference)."""
    collector = _StylesCollector()
    _parse(xml, collector)
    return collector.date_styles()


def serial_date(text: str, epoch: datetime.date) -> str | None:
    """'40980' -> '12-03-2012' for a date cell; None when it is no plausible serial."""
    try:
        serial = float(text)
    except ValueError:
        return None
    if not 1 <= serial <= MAX_SERIAL:
        return None
    try:
        day = epoch + datetime.timedelta(days=int(serial))
    except OverflowError:
        return None
    return day.strftime("%d-%m-%Y")


class _SheetCollector:
    def __init__(
        self,
        shared: list[str],
        max_chars: int,
        date_styles: frozenset[int] = frozenset(),
        epoch: datetime.date = _EPOCH_1900,
    ) -> None:
        self.shared = shared
        self.parts: list[str] = []
        self.size = 0
        self.max_chars = max_chars
        self.kind = ""
        self.dated = False
        self.date_styles = date_styles
        self.epoch = epoch
        self.value: list[str] | None = None

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = name.rsplit(" ", 1)[-1]
        if local == "c":
            self.kind = attrs.get("t", "")
            style = attrs.get("s", "")
            self.dated = (
                bool(self.date_styles) and style.isdigit() and (int(style) in self.date_styles)
            )
        elif local in ("v", "t"):
            self.value = []

    def end(self, name: str) -> None:
        local = name.rsplit(" ", 1)[-1]
        if local in ("v", "t") and self.value is not None:
            text = "".join(self.value)
            if self.kind == "s" and local == "v":
                try:
                    text = self.shared[int(text)]
                except (ValueError, IndexError):
                    text = ""
            elif self.dated and local == "v" and self.kind in ("", "n"):
                day = serial_date(text, self.epoch)
                if day is not None:
                    text = f"{text} {day}"  # the number stays: a BSN in a date cell is still read
            if self.size < self.max_chars:
                self.parts.append(text)
                self.size += len(text)
            self.value = None
        elif local == "c":
            self.parts.append("\t")
        elif local == "row":
            self.parts.append("\n")

    def data(self, text: str) -> None:
        if self.value is not None:
            self.value.append(text)


def _sheet_text(
    xml: bytes,
    shared: list[str],
    max_chars: int,
    date_styles: frozenset[int] = frozenset(),
    epoch: datetime.date = _EPOCH_1900,
) -> str:
    if native.office_sheet_text is not None and epoch in (_EPOCH_1900, _EPOCH_1904):
        text = native.office_sheet_text(xml, shared, max_chars, date_styles, epoch == _EPOCH_1904)
        if text is not None:
            return text
    return py_sheet_text(xml, shared, max_chars, date_styles, epoch)


def py_sheet_text(
    xml: bytes,
    shared: list[str],
    max_chars: int,
    date_styles: frozenset[int] = frozenset(),
    epoch: datetime.date = _EPOCH_1900,
) -> str:
    """_sheet_text with expat (the reference)."""
    collector = _SheetCollector(shared, max_chars, date_styles, epoch)
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.StartElementHandler = collector.start
    parser.EndElementHandler = collector.end
    parser.CharacterDataHandler = collector.data
    try:
        parser.Parse(xml, True)
    except expat.ExpatError as exc:
        raise Unscannable("damaged office document") from exc
    return "".join(collector.parts)


_DATE1904 = re.compile(rb"""date1904\s*=\s*["'](?:1|true)["']""")  # old Mac Excel


def office_kind(names: set[str]) -> str | None:
    """'docx', 'xlsx', 'pptx', 'odf' or None, from the member names of a zip."""
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "ppt/presentation.xml" in names:
        return "pptx"
    if "content.xml" in names and "mimetype" in names:
        return "odf"
    return None


def native_document_text(data: bytes, sink: Sink, max_chars: int) -> str | None:
    """office_text of the office zip `data` read by the native core, its members' bytes spent
    from the sink's budget; None, with nothing spent, when the Python path must read it."""
    if native.office_zip_text is None:
        return None
    found = native.office_zip_text(data, sink.limits.max_attachment_bytes, max_chars)
    if found is None:
        return None
    text, sizes = found
    if sizes:
        # The Python path's reads cap each member at what is left of the budget too, and stop
        # the scan's reading at an empty budget: answer only where no read comes near that.
        # (Its first read asks decompressed_left() too, so asking here notes nothing new.)
        left = sink.decompressed_left()
        for size in sizes:
            if left <= 0 or size > left:
                return None
            left -= size
        for size in sizes:
            sink.spend_decompressed(size)
    return text


def office_text(archive: zipfile.ZipFile, kind: str, read: Reader, max_chars: int) -> str:
    """The text of the office document in `archive`; `read` fetches a member within limits."""
    infos = {info.filename: info for info in archive.infolist()}

    def xml(name: str) -> bytes:
        content = read(infos[name])
        if content is None:
            raise Unscannable("office document part too large")
        return content

    texts: list[str] = []
    if kind == "docx":
        for name in sorted(n for n in infos if _DOCX_PARTS.fullmatch(n)):
            texts.append(part_text("docx", xml(name), max_chars))
    elif kind == "xlsx":
        shared = (
            _shared_strings(xml("xl/sharedStrings.xml"), max_chars)
            if "xl/sharedStrings.xml" in infos
            else []
        )
        styles = _date_styles(xml("xl/styles.xml")) if "xl/styles.xml" in infos else frozenset()
        epoch = _EPOCH_1904 if _DATE1904.search(xml("xl/workbook.xml")) else _EPOCH_1900
        for name in sorted(n for n in infos if _SHEET.fullmatch(n)):
            texts.append(_sheet_text(xml(name), shared, max_chars, styles, epoch))
    elif kind == "pptx":
        for name in sorted(n for n in infos if _SLIDE.fullmatch(n)):
            texts.append(part_text("pptx", xml(name), max_chars))
    elif kind == "odf":
        texts.append(part_text("odf", xml("content.xml"), max_chars))
    else:
        raise Unscannable("unrecognised office document")
    return "\n".join(texts)
