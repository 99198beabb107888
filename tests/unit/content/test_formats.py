"""Unit tests for milter.content.formats: text decoding, HTML, sniffing, PDF, office, zip."""

from __future__ import annotations

import base64
import io
import mmap
import tempfile
import zipfile
from random import Random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from milter.content.formats import Unscannable
from milter.content.formats.archive import open_zip
from milter.content.formats.html import html_to_text
from milter.content.formats.ooxml import office_kind, office_text
from milter.content.formats.pdf import pdf_text
from milter.content.formats.sniff import looks_textual, sniff
from milter.content.formats.text import (
    _lenient_base64,
    decode_base64,
    decode_header,
    to_utf8,
    transfer_decode,
    transfer_decode_span,
)
from milter.core.fastpaths import REFERENCE
from tests.corpus.make_corpus import amr, docx, m4a, mp3_id3, mp3_sync, pdf, png, wav, xlsx
from tests.unit.content.helpers import DEFAULT, message


class TestTransferDecoding:
    """Base64 and quoted-printable, leniently."""

    @pytest.mark.parametrize(
        ("encoded", "decoded"),
        [
            (b"aGVsbG8=", b"hello"),
            (b"aGVsbG8", b"hello"),
            (b"aGVs\r\nbG8=\r\n", b"hello"),
            (b"aGVs!!bG8=", b"hello"),
            (b"aGVsbG8=d29ybGQ=", b"helloworld"),
            (b"", b""),
            (b"a", b""),
        ],
    )
    def test_base64(self, encoded: bytes, decoded: bytes) -> None:
        """Junk is skipped, padding repaired, chunks after '=' read too."""
        assert decode_base64(encoded) == decoded

    def test_quoted_printable_soft_break(self) -> None:
        """A soft line break inside a number disappears."""
        assert transfer_decode(b"BSN 1017=\r\n22333 =3D", "Quoted-Printable") == b"BSN 101722333 ="

    def test_unknown_encoding_passes_through(self) -> None:
        """x-unknown encodings are read as they are."""
        assert transfer_decode(b"abc", "x-uuencode") == b"abc"


class TestCharsets:
    """to_utf8 never raises."""

    @pytest.mark.parametrize(
        ("data", "charset", "expected"),
        [
            ("cliënt".encode(), "utf-8", "cliënt"),
            ("cliënt".encode("latin-1"), "iso-8859-1", "cliënt"),
            ("cliënt".encode("latin-1"), "utf-8", "cliënt"),
            ("cliënt".encode(), "x-bogus", "cliënt"),
            ("cliënt".encode("cp1252"), None, "cliënt"),
            (b"abc", "base64_codec", "abc"),
            ("cliënt".encode("utf-16"), "utf-16", "cliënt"),
        ],
    )
    def test_table(self, data: bytes, charset: str | None, expected: str) -> None:
        """Declared, wrong, unknown and non-text charsets all give UTF-8 text."""
        assert to_utf8(data, charset).decode("utf-8") == expected

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            (
                "=?UTF-8?B?" + base64.b64encode(b"BSN 101722333").decode() + "?=",
                "BSN 101722333",
            ),
            ("=?iso-8859-1?q?Cli=EBnt?=", "Cliënt"),
            ("=?x-bogus?q?abc?=", "abc"),
            ("plain", "plain"),
            ("=?utf-8?b?!!!?=", ""),
        ],
    )
    def test_decode_header(self, value: str, expected: str) -> None:
        """RFC 2047 encoded words are decoded; broken ones survive."""
        assert decode_header(value) == expected


class TestHtml:
    """HTML to text."""

    @pytest.mark.parametrize(
        ("markup", "expected"),
        [
            ("<p>a</p><p>b</p>", "\na\n\nb\n"),
            ("<td>1</td><td>2</td>", "\t1\t\t2\t"),
            ("BSN&nbsp;&#49;01<b>722</b>333", "BSN 101722333"),
            ("<script>x</script>y", "y"),
            ("<head><title>t</title><body>z", "z"),
            ("<img alt='foto'>", " foto "),
            ("<p>unclosed <b>tags", "\nunclosed tags"),
        ],
    )
    def test_text(self, markup: str, expected: str) -> None:
        """Tags go, entities decode, blocks and cells become white space, scripts vanish."""
        assert html_to_text(markup) == expected


class TestSniff:
    """Magic bytes win over declared types."""

    @pytest.mark.parametrize(
        ("data", "expected"),
        [
            (mp3_id3(), ("audio", "mp3")),
            (mp3_sync(), ("audio", "mp3")),
            (wav(), ("audio", "wav")),
            (amr(), ("audio", "amr")),
            (m4a(), ("audio", "m4a")),
            (png(100), ("image", "png")),
            (b"\xff\xd8\xff\xe0", ("image", "jpeg")),
            (b"%PDF-1.4", ("document", "pdf")),
            (b"PK\x03\x04", ("archive", "zip")),
            (b"hello", None),
            (b"\xff\xfb\xf0\x00", None),
        ],
    )
    def test_table(self, data: bytes, expected: tuple[str, str] | None) -> None:
        """Audio by ID3/frame sync/RIFF/ftyp/#!AMR, images, pdf, zip; unknown is None."""
        assert sniff(data[:64]) == expected

    @pytest.mark.parametrize(
        ("data", "textual"),
        [
            (b"Naam;BSN\n", True),
            ("cliënt".encode("latin-1") * 3, True),
            (b"\x00\x01\x02", False),
            (b"", False),
        ],
    )
    def test_looks_textual(self, data: bytes, textual: bool) -> None:
        """Text without NUL bytes reads as text."""
        assert looks_textual(data) is textual


class TestPdf:
    """PDF text extraction (pdf_simple, then PDFium) and its refusals."""

    def test_text(self) -> None:
        """Text of a simple PDF is extracted."""
        text, cut = pdf_text(pdf(["BSN 101722333", "Cliënt"]), 10_000)
        assert "101722333" in text and "Cliënt" in text and cut is None

    def test_limits(self) -> None:
        """Text past max_chars, or pages past the time budget, are cut with the reason."""
        assert pdf_text(pdf(["a" * 50]), 10)[1] == "max_total_bytes exceeded"
        assert pdf_text(pdf(["a"]), 10, time_budget=-1.0) == ("", "pdf time budget exceeded")

    @pytest.mark.parametrize(
        ("data", "reason"),
        [
            (pdf(["x"], encrypted=True), "encrypted pdf"),
            (pdf([]), "pdf without text (scanned image?)"),
            (pdf(["x"])[:100], "damaged pdf"),
            (b"%PDF-garbage", "damaged pdf"),
        ],
    )
    def test_unscannable(self, data: bytes, reason: str) -> None:
        """Encrypted, text-less and damaged PDFs are unscannable with a fixed reason."""
        with pytest.raises(Unscannable) as caught:
            pdf_text(data, 10_000)
        assert caught.value.reason == reason


class TestOffice:
    """docx and xlsx read from their XML."""

    def _read(self, data: bytes) -> str:
        archive = open_zip(data)
        kind = office_kind(set(archive.namelist()))
        assert kind is not None
        return office_text(archive, kind, archive.read, 100_000)

    def test_docx_runs_joined(self) -> None:
        """Runs in one paragraph join without spaces; paragraphs are lines."""
        assert (
            self._read(docx([["BSN ", "1017", "22333"], ["tweede"]])) == "BSN 101722333\ntweede\n"
        )

    def test_xlsx_cells(self) -> None:
        """Shared strings and numbers become tab-separated rows."""
        text = self._read(xlsx([["BSN", 101722333], ["x", "y"]]))
        assert text == "BSN\t101722333\t\nx\ty\t\n"

    def test_doctype_refused(self) -> None:
        """A DTD in OOXML XML is refused."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("word/document.xml", '<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>')
        with pytest.raises(Unscannable, match="damaged office document"):
            self._read(buffer.getvalue())

    def test_not_a_zip(self) -> None:
        """Garbage is a damaged zip."""
        with pytest.raises(Unscannable, match="damaged zip"):
            open_zip(b"PK\x03\x04garbage")


STYLES = (
    '<?xml version="1.0"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
    '2006/main"><numFmts count="2"><numFmt numFmtId="164" formatCode="dd\\-mm\\-yyyy"/>'
    '<numFmt numFmtId="165" formatCode="&quot;dag&quot; 0"/></numFmts><cellXfs count="4">'
    '<xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="14"/><xf numFmtId="165"/></cellXfs>'
    "</styleSheet>"
)


def dated_xlsx(cells: str, *, date1904: bool = False, styles: str | None = STYLES) -> bytes:
    """An xlsx with one row of raw `<c>` cells, a styles part and a workbook."""
    namespace = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    flag = ' date1904="1"' if date1904 else ""
    members = [
        ("xl/workbook.xml", f"<workbook {namespace}><workbookPr{flag}/></workbook>"),
        ("xl/worksheets/sheet1.xml", f"<worksheet {namespace}><sheetData><row>{cells}</row>"
         "</sheetData></worksheet>"),
    ]  # fmt: skip
    if styles is not None:
        members.append(("xl/styles.xml", styles))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in members:
            archive.writestr(name, text)
    return buffer.getvalue()


class TestXlsxDates:
    """Excel serial dates in cells with a date format are read as dates."""

    def _read(self, data: bytes) -> str:
        return TestOffice()._read(data)

    def test_custom_and_builtin_date_formats(self) -> None:
        """Serial 40980 in a dd-mm-yyyy or built-in date cell reads as 12-03-2012."""
        text = self._read(dated_xlsx('<c s="1"><v>40980</v></c><c s="2"><v>40980.5</v></c>'))
        assert text == "40980 12-03-2012\t40980.5 12-03-2012\t\n"

    def test_numbers_without_date_format_stay_numbers(self) -> None:
        """Plain and quoted-text formats, strings, and sheets without styles are untouched."""
        cells = '<c s="0"><v>40980</v></c><c s="3"><v>40980</v></c><c><v>101722333</v></c>'
        assert self._read(dated_xlsx(cells)) == "40980\t40980\t101722333\t\n"
        assert self._read(dated_xlsx('<c s="1"><v>40980</v></c>', styles=None)) == "40980\t\n"

    def test_1904_date_system(self) -> None:
        """Workbooks counting from 1904 (old Mac Excel) shift the serial."""
        text = self._read(dated_xlsx('<c s="1"><v>39518</v></c>', date1904=True))
        assert text == "39518 12-03-2012\t\n"

    def test_birth_date_column_is_found(self) -> None:
        """A geboortedatum header above a date cell gives a date_of_birth finding."""
        header = '<c t="inlineStr"><is><t>Geboortedatum</t></is></c>'
        sheet = dated_xlsx(header + '<c s="1"><v>40980</v></c>')
        raw = message(
            base64.encodebytes(sheet),
            ctype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            cte="base64",
            extra='Content-Disposition: attachment; filename="lijst.xlsx"\r\n',
        )
        found = DEFAULT.scan_message(raw).by_detector("date_of_birth")
        assert found is not None and found.confidence == "high"


NOISE = [b"\r\n", b"\n", b" ", b"\t", b"*", b"=", b"==", b"-", b"_", b"\x00", b"\xff", b"\xc3\xa9"]


def _noisy_base64(raw: bytes, noise: list[bytes], rng: Random) -> bytes:
    encoded = bytearray(base64.b64encode(raw))
    for piece in noise:
        at = rng.randint(0, len(encoded))
        encoded[at:at] = piece
    if rng.random() < 0.2:
        encoded += rng.choice([b"=", b"==", b"\r\n", b"= \r\n=", b"=" * 300, b" " * 300])
    return bytes(encoded)[: rng.randint(0, len(encoded))] if rng.random() < 0.3 else bytes(encoded)


class TestBase64FastPath:
    """decode_base64's fast paths (pybase64, binascii) read exactly what the lenient path reads."""

    @settings(max_examples=1500, deadline=None)
    @given(
        st.binary(max_size=60), st.lists(st.sampled_from(NOISE)), st.randoms(use_true_random=False)
    )
    def test_same_bytes_as_lenient(self, raw: bytes, noise: list[bytes], rng: Random) -> None:
        """Valid, damaged, cut and noisy base64 decode to the same bytes either way."""
        data = _noisy_base64(raw, noise, rng)
        assert decode_base64(data) == _lenient_base64(data)

    @settings(max_examples=500, deadline=None)
    @given(
        st.binary(max_size=600), st.lists(st.sampled_from(NOISE)), st.randoms(use_true_random=False)
    )
    def test_span_and_binascii_only_read_the_same(
        self, raw: bytes, noise: list[bytes], rng: Random
    ) -> None:
        """A span of the spool read in place, and binascii without pybase64, give the same bytes."""
        data = _noisy_base64(raw, noise, rng)
        expected = _lenient_base64(data)
        spool = b"x=\r\n" + data + b"==y"
        assert transfer_decode_span(spool, 4, 4 + len(data), "Base64") == expected
        with memoryview(spool) as whole, whole[4:-3] as view:
            assert decode_base64(view) == expected
        assert decode_base64(data, REFERENCE) == expected
        assert transfer_decode_span(spool, 4, 4 + len(data), "Base64", REFERENCE) == expected

    @pytest.mark.parametrize("encoding", ["base64", "quoted-printable", "7bit", "x-unknown"])
    def test_span_of_a_mapped_file_decodes_as_a_copy(self, encoding: str) -> None:
        """transfer_decode_span on an mmap (a spooled message) reads what a copy would give."""
        part = base64.encodebytes(b"BSN 101722333 " * 200) + b"=\r\nsoft=\r\nbreak =3D\r\n"
        with tempfile.TemporaryFile() as spool:
            spool.write(b"head\r\n" + part + b"--tail--")
            spool.flush()
            with mmap.mmap(spool.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                start, end = 6, 6 + len(part)
                got = transfer_decode_span(mapped, start, end, encoding)
                assert got == transfer_decode(part, encoding)
                assert transfer_decode_span(mapped, start, end + 10**6, encoding) == (
                    transfer_decode(part + b"--tail--", encoding)
                )
