"""Unit tests for the native office reader (milter/native/src/office.rs) against formats/ooxml.py.

Each XML part of an office document must get exactly the text expat and ooxml.py's collectors
give, or None (then expat reads it): on every office document of the corpora, on documents
made here with python-docx, openpyxl and odfpy, on generated XML and on damaged and hostile
files, where the Unscannable reason, the truncation and the decompressed bytes spent must be
the same with the native core and without. The module fails (it does not skip) when
milter._native is missing, unless POSTWARDEN_NATIVE=0 asks for the Python code on purpose.
"""

from __future__ import annotations

import datetime
import io
import struct
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path

import docx
import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from odf import opendocument, table, text
from openpyxl.utils.datetime import CALENDAR_MAC_1904

import milter.content.leaf as leaf
import milter.content.native as native
from milter.content import ScanConfig, ScanLimits, compile_config
from milter.content.findings import ContentFacts
from milter.content.formats import Unscannable, ooxml
from milter.content.formats.archive import open_zip, read_member
from milter.policy import load_policy
from tests.unit.content.native_support import NATIVE, generated, require_built

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT / "tests" / "corpus"
POLICY = load_policy(ROOT / "policies" / "example.yaml")
MAX_CHARS = 10_000_000

require_built()

OFFICE_FUNCTIONS = ("office_part_text", "office_shared_strings", "office_date_styles",
                    "office_sheet_text", "office_zip_text")  # fmt: skip


def python_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    """Choose the Python code, as POSTWARDEN_NATIVE=0 does (the loader's switch, not a mock)."""
    for name in ("html_to_text", "html_to_utf8", *OFFICE_FUNCTIONS):
        monkeypatch.setattr(native, name, None)


def native_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    """Choose the native office reader (also under POSTWARDEN_NATIVE=0, where it is built)."""
    for name in OFFICE_FUNCTIONS:
        monkeypatch.setattr(native, name, getattr(NATIVE, name))


Outcome = tuple[str, object]


def outcome(work: Callable[[], object]) -> Outcome:
    """("ok", the result) or ("unscannable", the reason): both readers must agree on either."""
    try:
        return "ok", work()
    except Unscannable as exc:
        return "unscannable", exc.reason


def read_document(
    data: bytes, cap: int = 50 << 20, budget: int = 200 << 20
) -> tuple[Outcome, list[tuple[str, int]]]:
    """office_text of the zip `data` as leaf._zip reads it (member cap, decompression budget):
    the outcome and the (member, bytes) spent, in order."""
    spent: list[tuple[str, int]] = []
    archive = open_zip(data)
    kind = ooxml.office_kind(set(archive.namelist()))
    assert kind is not None

    def read(info: zipfile.ZipInfo) -> bytes | None:
        left = budget - sum(size for _, size in spent)
        content = read_member(archive, info, min(cap, left))
        if content is not None:
            spent.append((info.filename, len(content)))
        return content

    with archive:
        result = outcome(lambda: ooxml.office_text(archive, kind, read, MAX_CHARS))
    return result, spent


def both(data: bytes, **limits: int) -> tuple[tuple[Outcome, list[tuple[str, int]]], ...]:
    """read_document with the native reader and with the Python one."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        native_loader(monkeypatch)
        with_native = read_document(data, **limits)
        python_loader(monkeypatch)
        with_python = read_document(data, **limits)
    return with_native, with_python


def assert_same_document(data: bytes, *, natively: bool, cap: int = 50 << 20) -> None:
    """office_zip_text of `data` is the Python path's (text, bytes read), or None."""
    found = NATIVE.office_zip_text(data, cap, MAX_CHARS)
    with pytest.MonkeyPatch.context() as monkeypatch:
        python_loader(monkeypatch)
        (result, spent) = read_document(data, cap=cap, budget=1 << 40)
    if found is None:
        assert not natively, "document left to Python"
        return
    assert result == ("ok", found[0])
    assert [size for _, size in spent] == found[1]


def xml_parts(data: bytes) -> Iterator[tuple[str, bytes]]:
    """The XML parts office_text reads from the document `data`, with the part's role."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        kind = ooxml.office_kind(names)
        for name in sorted(names):
            role = {
                "xl/sharedStrings.xml": "shared",
                "xl/styles.xml": "styles",
            }.get(name)
            if kind == "docx" and ooxml._DOCX_PARTS.fullmatch(name):
                role = "docx"
            elif kind == "pptx" and ooxml._SLIDE.fullmatch(name):
                role = "pptx"
            elif kind == "odf" and name == "content.xml":
                role = "odf"
            elif kind == "xlsx" and ooxml._SHEET.fullmatch(name):
                role = "sheet"
            if role is not None:
                yield role, archive.read(name)


def part_outcomes(role: str, xml: bytes) -> tuple[object, Outcome]:
    """(the native answer, the Python outcome) for one part; sheets use no shared strings."""
    if role in ("docx", "pptx", "odf"):
        return NATIVE.office_part_text(role, xml, MAX_CHARS), outcome(
            lambda: ooxml.py_part_text(role, xml, MAX_CHARS)
        )
    if role == "shared":
        return NATIVE.office_shared_strings(xml, MAX_CHARS), outcome(
            lambda: ooxml.py_shared_strings(xml, MAX_CHARS)
        )
    if role == "styles":
        found = NATIVE.office_date_styles(xml)
        return (None if found is None else frozenset(found)), outcome(
            lambda: ooxml.py_date_styles(xml)
        )
    styles = frozenset({0, 1, 2})
    return NATIVE.office_sheet_text(xml, ["a", "b"], MAX_CHARS, styles, False), outcome(
        lambda: ooxml.py_sheet_text(xml, ["a", "b"], MAX_CHARS, styles)
    )


def assert_same_part(role: str, xml: bytes, *, natively: bool) -> None:
    """The native answer is the Python one (or None, unless `natively`)."""
    found, expected = part_outcomes(role, xml)
    if found is None:
        assert not natively, f"{role} part left to Python"
        return
    assert expected == ("ok", found)


# -- the corpora ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus_documents() -> dict[str, list[bytes]]:
    """file -> the office documents (zip bytes) its scan reads (every .eml under tests/corpus)."""
    found: dict[str, list[bytes]] = {}
    original = leaf.office_text
    assert POLICY.content is not None
    with pytest.MonkeyPatch.context() as monkeypatch:

        def recording(archive: zipfile.ZipFile, *args: object) -> str:
            assert isinstance(archive.fp, io.BytesIO)
            seen.append(archive.fp.getvalue())
            return original(archive, *args)  # type: ignore[arg-type]

        monkeypatch.setattr(leaf, "office_text", recording)
        python_loader(monkeypatch)  # the native path does not call office_text
        for path in sorted(CORPUS.rglob("*.eml")):
            seen: list[bytes] = []
            POLICY.content.scanner.scan_message(path.read_bytes(), ocr=False)
            if seen:
                found[str(path.relative_to(CORPUS))] = seen
    return found


class TestCorpusIdentity:
    def test_corpus_has_office_documents(self, corpus_documents: dict[str, list[bytes]]) -> None:
        """The corpora hold docx and xlsx for the identity tests to mean something."""
        kinds = [
            ooxml.office_kind(set(zipfile.ZipFile(io.BytesIO(d)).namelist()))
            for documents in corpus_documents.values()
            for d in documents
        ]
        assert kinds.count("docx") >= 5 and kinds.count("xlsx") >= 3

    def test_every_part_reads_natively_and_the_same(
        self, corpus_documents: dict[str, list[bytes]]
    ) -> None:
        """Each XML part of each corpus document: native text == expat's, never left to it."""
        for documents in corpus_documents.values():
            for document in documents:
                for role, xml in xml_parts(document):
                    assert_same_part(role, xml, natively=True)

    def test_every_document_reads_natively_and_the_same(
        self, corpus_documents: dict[str, list[bytes]]
    ) -> None:
        """Each corpus document, zip and all: native (text, bytes read) == the Python path's."""
        for documents in corpus_documents.values():
            for document in documents:
                assert_same_document(document, natively=True)

    def test_every_document_reads_the_same(self, corpus_documents: dict[str, list[bytes]]) -> None:
        """Each corpus document: office_text and the bytes spent, native == Python."""
        differ = [
            file
            for file, documents in corpus_documents.items()
            for document in documents
            if len(set(map(repr, both(document)))) != 1
        ]
        assert differ == []

    @pytest.mark.parametrize("folder", ["realistic", "holdout", "blind", "."])
    def test_whole_message_facts_are_the_same(
        self, folder: str, corpus_documents: dict[str, list[bytes]]
    ) -> None:
        """Each corpus message with an office document: the same facts with and without."""
        files = sorted(f for f in corpus_documents if Path(f).parent == Path(folder))
        assert files
        assert POLICY.content is not None
        scanner = POLICY.content.scanner
        with pytest.MonkeyPatch.context() as monkeypatch:
            native_loader(monkeypatch)
            with_native = {
                f: scanner.scan_message((CORPUS / f).read_bytes(), ocr=False) for f in files
            }
            python_loader(monkeypatch)
            differ = [
                f
                for f in files
                if scanner.scan_message((CORPUS / f).read_bytes(), ocr=False) != with_native[f]
            ]
        assert differ == []


# -- documents made here --------------------------------------------------------------------------


def saved(document: object) -> bytes:
    out = io.BytesIO()
    document.save(out)  # type: ignore[attr-defined]
    return out.getvalue()


def word_document() -> bytes:
    document = docx.Document()
    document.add_heading("Verslag & <overdracht>", 1)
    paragraph = document.add_paragraph("BSN ")
    paragraph.add_run("111")
    paragraph.add_run("222").bold = True
    paragraph.add_run("333\tna tab")
    paragraph.add_run().add_break()
    paragraph.add_run("ëéü 😀 \u00a0 'quotes' \"dubbel\"")
    grid = document.add_table(rows=2, cols=3)
    for row_number, row in enumerate(grid.rows):
        for column, cell in enumerate(row.cells):
            cell.text = f"r{row_number}c{column}"
    section = document.sections[0]
    section.header.paragraphs[0].text = "Kop: vertrouwelijk"
    section.footer.paragraphs[0].text = "Voet 1/1"
    return saved(document)


def workbook(epoch_1904: bool = False) -> bytes:
    book = openpyxl.Workbook()
    if epoch_1904:
        book.epoch = CALENDAR_MAC_1904
    sheet = book.active
    assert sheet is not None
    sheet.append(["naam", "geboren", "bsn", "bedrag", "tijd"])
    formats = ["dd-mm-yyyy", "d mmm yyyy", "yyyy-mm-dd hh:mm", '[$-413]d mmmm yyyy;@', "mm/dd/yy",
               '"dag" 0', "0.00", "[Red]0", "General", "\\d0"]  # fmt: skip
    for number, code in enumerate(formats):
        sheet.append(["Jan " + code, datetime.date(2012, 3, 12 + number), 111222333, 12.5 * number,
                      datetime.datetime(2020, 1, 2, 3, 4)])  # fmt: skip
        for cell in sheet[sheet.max_row]:
            if not isinstance(cell.value, str):
                cell.number_format = code
    sheet.append(["Jan", "Jan", 0, -1, 1e20])
    second = book.create_sheet("tweede")
    second.append(["gedeeld", "Jan", 3.25])
    return saved(book)


def odf_documents() -> list[bytes]:
    out = []
    document = opendocument.OpenDocumentText()
    paragraph = text.P(text="Cliënt 111222333")
    paragraph.addElement(text.Tab())
    paragraph.addText("na tab")
    paragraph.addElement(text.S(c=3))
    paragraph.addElement(text.LineBreak())
    paragraph.addText("regel & <twee>")
    document.text.addElement(text.H(outlinelevel=1, text="Kop"))
    document.text.addElement(paragraph)
    listing = text.List()
    item = text.ListItem()
    item.addElement(text.P(text="punt"))
    listing.addElement(item)
    document.text.addElement(listing)
    out.append(saved(document))
    sheet_document = opendocument.OpenDocumentSpreadsheet()
    grid = table.Table(name="blad")
    for values in (["a", "b"], ["111222333", "12-03-2012"]):
        row = table.TableRow()
        for value in values:
            cell = table.TableCell()
            cell.addElement(text.P(text=value))
            row.addElement(cell)
        grid.addElement(row)
    sheet_document.spreadsheet.addElement(grid)
    out.append(saved(sheet_document))
    presentation = opendocument.OpenDocumentPresentation()
    out.append(saved(presentation))
    return out


def zipped(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


SHEET_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def handmade_workbook(sheet_xml: str, date1904: str = "", styles: str | None = None) -> bytes:
    """An xlsx of hand-written parts: inline strings, odd cell values, both date systems."""
    members = {
        "[Content_Types].xml": b"<Types/>",
        "xl/workbook.xml": f"<workbook {SHEET_NS}><workbookPr {date1904}/></workbook>".encode(),
        "xl/sharedStrings.xml": (
            f"<sst {SHEET_NS}><si><t>een</t></si><si><r><t>t</t></r><r><t>wee</t></r></si>"
            '<si><t xml:space="preserve"> drie </t><rPh><t>fon</t></rPh></si></sst>'
        ).encode(),
        "xl/worksheets/sheet1.xml": f"<worksheet {SHEET_NS}><sheetData>{sheet_xml}"
        "</sheetData></worksheet>".encode(),
    }
    members["xl/styles.xml"] = (
        styles
        or f'<styleSheet {SHEET_NS}><numFmts><numFmt numFmtId="164" formatCode="d/m/yyyy"/>'
        '<numFmt numFmtId="165" formatCode="&quot;d&quot;0"/></numFmts><cellXfs>'
        '<xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/><xf numFmtId="165"/>'
        '<xf numFmtId=" +22 "/><xf numFmtId="x"/></cellXfs></styleSheet>'
    ).encode()
    return zipped(members)


ODD_CELLS = (
    '<row><c t="s"><v>0</v></c><c t="s"><v>-1</v></c><c t="s"><v>-4</v></c><c t="s"><v> 1 </v></c>'
    '<c t="s"><v>1_0</v></c><c t="s"><v>9</v></c><c t="s"><v>x</v></c></row>'
    '<row><c t="inlineStr"><is><t>inline 111222333</t></is></c><c t="inlineStr" s="1"><is><r>'
    '<t>a</t></r><r><t>b</t></r></is></c><c t="str"><f>A1</f><v>formule</v></c></row>'
    '<row><c s="1"><v>40980</v></c><c s="2"><v>40980.75</v></c><c s="3"><v>40980</v></c>'
    '<c s="4" t="n"><v>1e4</v></c><c s="1"><v>0</v></c><c s="1"><v>2958465</v></c>'
    '<c s="1"><v>2958466</v></c><c s="1"><v>-5</v></c><c s="1"><v>inf</v></c>'
    '<c s="1"><v>nan</v></c><c s="1"><v> 60 </v></c><c s="1" t="b"><v>1</v></c>'
    '<c s="01"><v>61</v></c><c s="5"><v>1</v></c><c s="1"><v>.5e1</v></c>'
    '<c s="1"><v>1.</v></c></row>'
)


class TestMadeDocuments:
    @pytest.mark.parametrize(
        "document",
        [
            pytest.param(word_document, id="docx"),
            pytest.param(workbook, id="xlsx"),
            pytest.param(lambda: workbook(epoch_1904=True), id="xlsx-1904"),
            pytest.param(lambda: handmade_workbook(ODD_CELLS), id="xlsx-odd-cells"),
            pytest.param(
                lambda: handmade_workbook(ODD_CELLS, 'date1904="1"'), id="xlsx-odd-cells-1904"
            ),
            pytest.param(lambda: odf_documents()[0], id="odt"),
            pytest.param(lambda: odf_documents()[1], id="ods"),
            pytest.param(lambda: odf_documents()[2], id="odp"),
        ],
    )
    def test_made_document_reads_natively_and_the_same(self, document: Callable[[], bytes]) -> None:
        """A document from python-docx, openpyxl, odfpy or by hand: same text, read natively."""
        data = document()
        for role, xml in xml_parts(data):
            assert_same_part(role, xml, natively=True)
        assert_same_document(data, natively=True)
        with_native, with_python = both(data)
        assert with_native == with_python
        assert with_native[0][0] == "ok"

    def test_dates_are_read_as_dates(self) -> None:
        """The date cells of a workbook come out as 'serial dd-mm-yyyy' in both date systems."""
        (result, _), _ = both(workbook())
        assert "40980 12-03-2012" in str(result[1])
        (result, _), _ = both(workbook(epoch_1904=True))
        assert "39518 12-03-2012" in str(result[1])

    def test_pptx_slides_read_the_same(self) -> None:
        """Slides and notes of a hand-made pptx: paragraphs, breaks, the same text."""
        slide = (
            b'<p:sld xmlns:p="urn:p" xmlns:a="urn:a"><p:cSld><p:spTree><p:sp><p:txBody>'
            b"<a:p><a:r><a:t>BSN 111</a:t></a:r><a:r><a:t>222333</a:t></a:r><a:br/>"
            b"<a:r><a:t>tweede &amp; regel</a:t></a:r></a:p><a:p><a:r><a:t>derde</a:t></a:r></a:p>"
            b"</p:txBody></p:sp></p:spTree></p:cSld></p:sld>"
        )
        data = zipped({"ppt/presentation.xml": b"<p/>", "ppt/slides/slide1.xml": slide,
                       "ppt/notesSlides/notesSlide1.xml": slide})  # fmt: skip
        assert_same_part("pptx", slide, natively=True)
        assert_same_document(data, natively=True)
        with_native, with_python = both(data)
        assert with_native == with_python and with_native[0][0] == "ok"


# -- damaged and hostile documents ----------------------------------------------------------------

BODY = (
    b'<w:document xmlns:w="urn:w"><w:body><w:p><w:r><w:t>BSN 111222333</w:t></w:r></w:p>'
    b"</w:body></w:document>"
)
LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (n, b"&lol%d;" % (n - 1) * 10 if n > 1 else b"&lol;" * 10)
        for n in range(1, 10)
    )
    + b']><w:document xmlns:w="urn:w"><w:t>&lol9;</w:t></w:document>'
)
HOSTILE_XML = {
    "doctype": b'<?xml version="1.0"?><!DOCTYPE w:document>' + BODY,
    "billion laughs": LAUGHS,
    "external entity": b'<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>',
    "undefined entity": BODY.replace(b"BSN", b"&nbsp;"),
    "truncated": BODY[:-20],
    "mismatched tag": BODY.replace(b"</w:t>", b"</w:x>"),
    "unbound prefix": BODY.replace(b' xmlns:w="urn:w"', b""),
    "junk after root": BODY + b"<extra/>",
    "text after root": BODY + b"x",
    "no root": b'<?xml version="1.0"?>',
    "empty": b"",
    "latin-1 declared": b'<?xml version="1.0" encoding="ISO-8859-1"?>'
    + BODY.replace(b"BSN", b"\xe9"),
    "utf-16": "<a><t>x</t></a>".encode("utf-16"),
    "invalid utf-8": BODY.replace(b"BSN", b"\xff"),
    "control character": BODY.replace(b"BSN", b"\x01"),
    "nul reference": BODY.replace(b"BSN", b"&#0;"),
    "surrogate reference": BODY.replace(b"BSN", b"&#xD800;"),
    "double dash comment": BODY.replace(b"<w:body>", b"<w:body><!-- a -- b -->"),
    "duplicate attribute": BODY.replace(b"<w:p>", b'<w:p a="1" a="2">'),
    "duplicate expanded attribute": BODY.replace(
        b"<w:p>", b'<w:p xmlns:v="urn:w" w:a="1" v:a="2">'
    ),
    "lt in attribute": BODY.replace(b"<w:p>", b'<w:p a="<">'),
    "cdata end in text": BODY.replace(b"BSN", b"a]]>b"),
    "xml pi later": BODY.replace(b"<w:body>", b'<w:body><?xml version="1.0"?>'),
    "unbinding a prefix": BODY.replace(b"<w:p>", b'<w:p xmlns:w="">'),
    "prefix declared twice": BODY.replace(b' xmlns:w="urn:w"', b' xmlns:w="urn:w" xmlns:w="urn:v"'),
    "default namespace twice": BODY.replace(b"<w:body>", b'<w:body xmlns="a" xmlns="b">'),
    "space in a namespace": BODY.replace(b'"urn:w"', b'"urn: w"'),
    "tab in a namespace": BODY.replace(b'"urn:w"', b'"urn:\tw"'),
    "version 1.1": b'<?xml version="1.1"?>' + BODY,
    "attribute without space": BODY.replace(b"<w:p>", b'<w:p a="1"b="2">'),
}

OTHER_ENCODINGS = frozenset({"latin-1 declared", "utf-16", "version 1.1"})


class TestHostileXml:
    @pytest.mark.parametrize("case", sorted(HOSTILE_XML))
    def test_hostile_part_is_left_to_expat_with_the_same_reason(self, case: str) -> None:
        """Damaged or hostile XML: the native reader declines; the document's reason is the same."""
        xml = HOSTILE_XML[case]
        assert NATIVE.office_part_text("docx", xml, MAX_CHARS) is None
        assert NATIVE.office_shared_strings(xml, MAX_CHARS) is None
        assert NATIVE.office_date_styles(xml) is None
        assert NATIVE.office_sheet_text(xml, [], MAX_CHARS, frozenset(), False) is None
        data = zipped({"word/document.xml": xml})
        assert NATIVE.office_zip_text(data, 1 << 20, MAX_CHARS) is None
        with_native, with_python = both(data)
        assert with_native == with_python
        if case in OTHER_ENCODINGS:  # well-formed for expat, just unusual: expat reads them
            assert with_native[0][0] == "ok"
        else:
            assert with_native[0] == ("unscannable", "damaged office document")

    @pytest.mark.parametrize(
        "xml",
        [
            BODY.replace(b"BSN", b"<![CDATA[a <b> & c]]>"),
            BODY.replace(b"BSN", b"a\r\nb\rc&#13;d&#x9;e"),
            BODY.replace(b"<w:p>", b"<w:p a=\"x&#10;\ty\r\nz\" b='&quot;'>"),
            b"\xef\xbb\xbf" + BODY,
            b'<?xml version="1.0" encoding="utf-8" standalone="no"?>\n<!-- c -->\n'
            + BODY
            + b"\n<!-- d -->\n",
            BODY.replace(b"<w:body>", b"<w:body><?mso-application progid?>"),
            BODY.replace(b"<w:t>", b'<w:t xml:space="preserve">'),
        ],
    )
    def test_unusual_but_well_formed_parts_are_read_natively(self, xml: bytes) -> None:
        """CDATA, line ends, references, a BOM, comments, PIs: native text == expat's."""
        assert_same_part("docx", xml, natively=True)

    def test_many_attributes_are_left_to_expat(self) -> None:
        """An element with thousands of attributes (quadratic checks natively): expat reads it."""
        many = b"".join(b' a%d="1"' % n for n in range(5000))
        xml = BODY.replace(b"<w:p>", b"<w:p" + many + b">")
        assert NATIVE.office_part_text("docx", xml, MAX_CHARS) is None
        assert ooxml.py_part_text("docx", xml, MAX_CHARS) == "BSN 111222333\n"
        few = b"".join(b' a%d="1"' % n for n in range(200))
        assert_same_part("docx", BODY.replace(b"<w:p>", b"<w:p" + few + b">"), natively=True)

    def test_text_at_the_character_limit_is_left_to_expat(self) -> None:
        """Past max_chars, what Python keeps depends on expat's chunks: native declines."""
        assert NATIVE.office_part_text("docx", BODY, 13) is None
        assert NATIVE.office_part_text("docx", BODY, 14) == "BSN 111222333\n"
        assert ooxml.py_part_text("docx", BODY, 14) == "BSN 111222333\n"


def flip_crc(data: bytes) -> bytes:
    """`data` (a one-member stored zip) with the member's CRC wrong in both headers."""
    local = data.index(b"PK\x03\x04")
    central = data.index(b"PK\x01\x02")
    out = bytearray(data)
    for offset in (local + 14, central + 16):
        (crc,) = struct.unpack_from("<I", out, offset)
        struct.pack_into("<I", out, offset, crc ^ 1)
    return bytes(out)


def encrypted_flag(data: bytes) -> bytes:
    """`data` with the encryption bit set on every member (both headers)."""
    out = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (at := out.find(signature, start)) >= 0:
            out[at + offset] |= 1
            start = at + 4
    return bytes(out)


DOCX = word_document()
HOSTILE_ZIPS = {
    "truncated": DOCX[: len(DOCX) // 2],
    "central directory cut": DOCX[:-30],
    "bad crc": flip_crc(zipped({"word/document.xml": BODY}, zipfile.ZIP_STORED)),
    "encrypted flag": encrypted_flag(DOCX),
    "bomb ratio": zipped({"word/document.xml": BODY[:-20] + b" " * (30 << 20) + BODY[-20:]}),
    "many parts": zipped(
        {"word/document.xml": BODY, **{f"word/header{n}.xml": BODY for n in range(3000)}}
    ),
    "bzip2": zipped({"word/document.xml": BODY}, zipfile.ZIP_BZIP2),
    "lzma": zipped({"word/document.xml": BODY}, zipfile.ZIP_LZMA),
}


class TestHostileZips:
    @pytest.mark.parametrize("case", sorted(HOSTILE_ZIPS))
    def test_same_reason_and_budget(self, case: str) -> None:
        """A damaged or hostile container: the same outcome and bytes spent either way."""
        data = HOSTILE_ZIPS[case]
        try:
            open_zip(data)
        except Unscannable as exc:
            assert exc.reason == "damaged zip"
            return
        with_native, with_python = both(data, cap=1 << 20, budget=4 << 20)
        assert with_native == with_python
        assert_same_document(data, natively=False, cap=1 << 20)
        if with_python[0][0] == "unscannable":
            assert NATIVE.office_zip_text(data, 1 << 20, MAX_CHARS) is None

    @pytest.mark.parametrize("case", sorted(HOSTILE_ZIPS))
    def test_whole_message_facts_are_the_same(self, case: str) -> None:
        """The hostile document attached to a message: the same facts either way."""
        assert facts_either_way(HOSTILE_ZIPS[case], "verslag.docx")


class TestBudget:
    @pytest.mark.parametrize("slack", [-1000, -1, 0, 1, 1000])
    def test_decompression_budget_edges(self, slack: int) -> None:
        """A budget just under, at and over what a message's documents decompress to: the same
        facts (truncation included) with the native reader and without."""
        documents = [word_document(), workbook(), word_document()]
        need = sum(size for document in documents for _, size in read_document(document)[1])
        limits = ScanLimits(max_decompressed_bytes=need + slack)
        scanner = compile_config(ScanConfig(limits=limits))
        raw = messages_with(documents)
        with pytest.MonkeyPatch.context() as monkeypatch:
            native_loader(monkeypatch)
            with_native = scanner.scan_message(raw, ocr=False)
            python_loader(monkeypatch)
            assert scanner.scan_message(raw, ocr=False) == with_native
        # past the budget a part is too large (unscannable) or the reading stops (truncated)
        refused = with_native.by_detector("unscannable") or with_native.by_detector("truncated")
        assert (refused is not None) == (slack < 0)

    @pytest.mark.parametrize("cap", [100, 3000, 1 << 20])
    def test_member_cap(self, cap: int) -> None:
        """A per-attachment cap below, within and above the members' sizes: the same facts."""
        scanner = compile_config(ScanConfig(limits=ScanLimits(max_attachment_bytes=cap)))
        raw = messages_with([word_document(), workbook()])
        with pytest.MonkeyPatch.context() as monkeypatch:
            native_loader(monkeypatch)
            with_native = scanner.scan_message(raw, ocr=False)
            python_loader(monkeypatch)
            assert scanner.scan_message(raw, ocr=False) == with_native


def messages_with(documents: list[bytes]) -> bytes:
    """A message with each of `documents` attached."""
    message = EmailMessage()
    message["From"] = "a@samen-veilig.nl"
    message["To"] = "b@partner.example"
    message["Subject"] = "stukken"
    message.set_content("Zie bijlagen.")
    for number, document in enumerate(documents):
        message.add_attachment(
            document, maintype="application", subtype="octet-stream", filename=f"d{number}.docx"
        )
    return message.as_bytes()


def message_with(document: bytes, filename: str) -> bytes:
    message = EmailMessage()
    message["From"] = "a@samen-veilig.nl"
    message["To"] = "b@partner.example"
    message["Subject"] = "verslag"
    message.set_content("Zie bijlage.")
    message.add_attachment(
        document, maintype="application", subtype="octet-stream", filename=filename
    )
    return message.as_bytes()


def facts_either_way(document: bytes, filename: str) -> ContentFacts:
    """The facts of a message with `document` attached; asserts native and Python agree."""
    raw = message_with(document, filename)
    assert POLICY.content is not None
    with pytest.MonkeyPatch.context() as monkeypatch:
        native_loader(monkeypatch)
        with_native = POLICY.content.scanner.scan_message(raw, ocr=False)
        python_loader(monkeypatch)
        assert POLICY.content.scanner.scan_message(raw, ocr=False) == with_native
    return with_native


# -- generated XML --------------------------------------------------------------------------------

GENERATED = generated(1000)
# Characters XML 1.0 allows (expat refuses the C0 controls but tab and line ends, and U+FFFE/F).
NOT_XML = "".join(chr(n) for n in range(0x20) if chr(n) not in "\t\n\r") + "\ufffe\uffff"
TEXT = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="<&]" + NOT_XML), max_size=10
)
XML_CHAR = st.integers(1, 0x10FFFF).filter(
    lambda n: not 0xD800 <= n <= 0xDFFF and chr(n) not in NOT_XML
)
REFERENCE = st.one_of(
    st.sampled_from(["&lt;", "&gt;", "&amp;", "&quot;", "&apos;", "&#13;", "&#x9;", "&#10;"]),
    XML_CHAR.map(lambda n: f"&#{n};"),
    XML_CHAR.map(lambda n: f"&#x{n:X};"),
)
CDATA = TEXT.map(lambda t: f"<![CDATA[{t}]]>")
RUN = st.builds(
    lambda pieces, preserve: f"<w:r><w:t{preserve}>{''.join(pieces)}</w:t></w:r>",
    st.lists(st.one_of(TEXT, REFERENCE, CDATA), max_size=4),
    st.sampled_from(["", ' xml:space="preserve"']),
)
INLINE = st.sampled_from(["<w:tab/>", "<w:br/>", "<w:cr/>", "<w:s/>", "<w:delText>weg</w:delText>",
                          "<w:r><w:rPr><w:b/></w:rPr></w:r>", "<!-- c -->", "<?pi x?>", "\r\n",
                          "<v:shape xmlns:v=\"urn:v\"><v:t>vml</v:t></v:shape>",
                          "<w:tc><w:p><w:r><w:t>cel</w:t></w:r></w:p></w:tc>",
                          "<w:tr/>"])  # fmt: skip
PARAGRAPH = st.lists(st.one_of(RUN, INLINE), max_size=6).map(
    lambda items: f"<w:p>{''.join(items)}</w:p>"
)
DOCUMENT = st.lists(PARAGRAPH, max_size=5).map(
    lambda ps: f'<w:document xmlns:w="urn:w"><w:body>{"".join(ps)}</w:body></w:document>'.encode()
)
NOISE = st.sampled_from([b"<", b"&", b"]]>", b"</w:p>", b"<w:p>", b"&nbsp;", b"\x00", b"\xff",
                         b"<x:y>", b"<!DOCTYPE a>", b'<?xml version="1.0"?>', b"--", b"<!--",
                         b"&#0;", b' a="1"'])  # fmt: skip


def mutated(xml: bytes, noise: list[tuple[int, bytes]]) -> bytes:
    out = xml
    for at, piece in noise:
        position = at % (len(out) + 1)
        out = out[:position] + piece + out[position:]
    return out


CELL_VALUE = st.sampled_from(["0", "1", "-1", "2", " 3 ", "+1", "1_0", "x", "", "40980", "40980.5",
                              "1e4", "2958465", "2958466", "inf", "nan", ".5", "5.", "1e", "-0",
                              "٣", "1__0", "0x10", "60"])  # fmt: skip
CELL = st.builds(
    lambda kind, style, value, element: f"<c{kind}{style}><{element}>{value}</{element}></c>",
    st.sampled_from(["", ' t="s"', ' t="n"', ' t="str"', ' t="b"', ' t="inlineStr"']),
    st.sampled_from(["", ' s="0"', ' s="1"', ' s="2"', ' s="01"', ' s="x"', ' s="٣"']),
    CELL_VALUE,
    st.sampled_from(["v", "t", "is"]),
)
SHEET = st.lists(
    st.lists(CELL, max_size=5).map(lambda cs: f"<row>{''.join(cs)}</row>"), max_size=5
).map(
    lambda rows: (
        f"<worksheet {SHEET_NS}><sheetData>{''.join(rows)}</sheetData></worksheet>".encode()
    )
)


def attribute(value: str) -> str:
    """`value` as a double-quoted attribute's text (a newline as a reference: it stays one)."""
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("\n", "&#10;")


FORMAT_CODE = st.text(st.sampled_from('dDyYmM0#"[]\\ .,;-/@hs\n€'), max_size=12)


ZIP_SEEDS = [word_document(), workbook(), odf_documents()[0],
             zipped({"word/document.xml": BODY}, zipfile.ZIP_STORED)]  # fmt: skip


class TestGeneratedZips:
    @GENERATED
    @given(
        st.sampled_from(range(len(ZIP_SEEDS))),
        st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 255)), min_size=1, max_size=4),
        st.sampled_from([100, 4000, 1 << 20]),
    )
    def test_damaged_zips_are_the_same_or_left_to_python(
        self, seed: int, changes: list[tuple[int, int]], cap: int
    ) -> None:
        """A document with bytes overwritten (headers, names, sizes, CRCs, streams): the native
        (text, bytes read) is the Python path's, or None."""
        data = bytearray(ZIP_SEEDS[seed])
        for at, value in changes:
            data[at % len(data)] = value
        try:
            kind = ooxml.office_kind(set(open_zip(bytes(data)).namelist()))
        except Unscannable:
            kind = None
        if kind is None:  # not (or no longer) an office zip: walk_zip's business
            assert NATIVE.office_zip_text(bytes(data), cap, MAX_CHARS) is None
            return
        assert_same_document(bytes(data), natively=False, cap=cap)


class TestGenerated:
    @GENERATED
    @given(DOCUMENT)
    def test_well_formed_parts_are_read_natively(self, xml: bytes) -> None:
        """Runs, references, CDATA, unicode, tabs and breaks: read natively, expat's text."""
        assert_same_part("docx", xml, natively=True)
        assert_same_part("pptx", xml, natively=True)
        assert_same_part("odf", xml, natively=True)
        assert_same_part("shared", xml, natively=True)

    @GENERATED
    @given(DOCUMENT, st.lists(st.tuples(st.integers(0, 1 << 16), NOISE), min_size=1, max_size=3))
    def test_damaged_parts_are_the_same_or_left_to_expat(
        self, xml: bytes, noise: list[tuple[int, bytes]]
    ) -> None:
        """Well-formed parts with junk put in: expat's text, or None (expat decides)."""
        damaged = mutated(xml, noise)
        for role in ("docx", "odf", "shared", "styles", "sheet"):
            assert_same_part(role, damaged, natively=False)

    @GENERATED
    @given(SHEET, st.frozensets(st.integers(0, 3)), st.booleans())
    def test_sheets_read_the_same(self, xml: bytes, styles: frozenset[int], date1904: bool) -> None:
        """Cells of every type, odd indexes and serials, both date systems: the same text."""
        shared = ["een", "twee", ""]
        epoch = ooxml._EPOCH_1904 if date1904 else ooxml._EPOCH_1900
        found = NATIVE.office_sheet_text(xml, shared, MAX_CHARS, styles, date1904)
        expected = outcome(lambda: ooxml.py_sheet_text(xml, shared, MAX_CHARS, styles, epoch))
        if found is not None:
            assert expected == ("ok", found)
        else:  # only what int()/float() might read otherwise: underscores, non-ASCII digits
            assert b"_" in xml or "٣".encode() in xml

    @GENERATED
    @given(
        st.lists(
            st.tuples(st.sampled_from(["14", "164", "165", " 2 ", "x", "٣", "0"]), FORMAT_CODE),
            max_size=5,
        )
    )
    def test_styles_read_the_same(self, formats: list[tuple[str, str]]) -> None:
        """Built-in and custom number formats, quoted and bracketed sections: same date styles."""
        custom = "".join(
            f'<numFmt numFmtId="{n}" formatCode="{attribute(code)}"/>' for n, code in formats
        )
        xfs = "".join(f'<xf numFmtId="{n}"/>' for n, _ in formats)
        xml = f"<styleSheet {SHEET_NS}><numFmts>{custom}</numFmts>"
        xml += f"<cellXfs>{xfs}</cellXfs></styleSheet>"
        found = NATIVE.office_date_styles(xml.encode())
        expected = ooxml.py_date_styles(xml.encode())
        if found is None:
            assert "٣" in xml
        else:
            assert frozenset(found) == expected

    def test_long_format_codes_read_the_same(self) -> None:
        """Format codes of unclosed quotes and brackets, thousands long: the same date styles."""
        for code in ("[" * 5000 + "0", '"' * 5001 + "d", "[" * 3000 + "]y", '"' + "[" * 3000 + "d"):
            xml = (
                f'<styleSheet><numFmts><numFmt numFmtId="200" formatCode="{attribute(code)}"/>'
                '</numFmts><cellXfs><xf numFmtId="200"/></cellXfs></styleSheet>'
            ).encode()
            found = NATIVE.office_date_styles(xml)
            assert found is not None and (found == [0]) == ooxml.is_date_format(code)

    @GENERATED
    @given(st.text(st.sampled_from('dDyY"[]\\ \n'), max_size=10))
    def test_date_format_detection_is_the_same(self, code: str) -> None:
        """is_date_format on quotes, brackets, escapes and newlines: native == the regex."""
        xml = (
            f'<styleSheet><numFmts><numFmt numFmtId="200" formatCode="{attribute(code)}"/>'
            '</numFmts><cellXfs><xf numFmtId="200"/></cellXfs></styleSheet>'
        )
        found = NATIVE.office_date_styles(xml.encode())
        assert found is not None
        assert (found == [0]) == ooxml.is_date_format(code)


# -- the fuzz harness ---------------------------------------------------------------------------


class TestFuzzHarness:
    def test_office_target_runs_seeded_and_bounded(self) -> None:
        """`make fuzz`'s office target, a fixed seed and 3000 runs: no difference, no crash."""
        command = [sys.executable, "-m", "tests.fuzz.atheris_fuzz", "office"]
        command += ["-atheris_runs=3000", "-seed=1", "-max_len=65536"]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=240, cwd=ROOT, check=False
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert "Done 3000 " in done.stderr
