"""Unit tests for milter.content.formats.pdf_simple: the fast path before PDFium, its refusals.

pypdf (the reader before PDFium) stays the reference for the words and every encoded byte;
PDFium, which reads what the fast path refuses, must find the same words too.
"""

from __future__ import annotations

import io
import re
import time
import zlib

import pypdf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from milter.content.formats import Unscannable, pdf_simple
from milter.content.formats.pdf import pdf_text, pdfium_text
from milter.content.formats.pdf_simple import simple_pdf_text
from tests.corpus.make_corpus import pdf as corpus_pdf
from tests.support.pdf import assemble

HELVETICA = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"


def build(objects: list[bytes], *, xref: bool = True) -> bytes:
    """A PDF of numbered `objects` (1 = catalog, 2 = pages, ...), with a classic xref table."""
    return assemble(objects, header=b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n", xref=xref)


def stream(data: bytes, extra: bytes = b"", *, deflate: bool = False) -> bytes:
    """A stream object's text, optionally FlateDecode'd."""
    if deflate:
        data = zlib.compress(data)
        extra += b" /Filter /FlateDecode"
    return b"<< /Length %d%s >>\nstream\n%s\nendstream" % (len(data), extra, data)


def one_page(content: bytes, font: bytes = HELVETICA, *, deflate: bool = False) -> bytes:
    """A one-page PDF showing `content` with font /F1 = `font` (object 5)."""
    return build(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
            b" /Resources << /Font << /F1 5 0 R >> /XObject << /Im1 6 0 R /Fm1 7 0 R >> >> >>",
            stream(content, deflate=deflate),
            font,
            stream(b"\xff\xd8\xff\xd9", b" /Type /XObject /Subtype /Image /Width 1 /Height 1"),
            stream(
                b"BT /F1 9 Tf (in a form) Tj ET",
                b" /Type /XObject /Subtype /Form /BBox [0 0 100 100]"
                b" /Resources << /Font << /F1 5 0 R >> >>",
            ),
        ]
    )


def fast(data: bytes) -> str | None:
    """The fast path's text, or None when it hands the document to PDFium."""
    found = simple_pdf_text(data, 1_000_000, time.monotonic() + 10)
    return None if found is None else found[0]


def slow(data: bytes) -> str:
    """pypdf's text, pages joined as pdf_text joins them."""
    return "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)


def pdfium(data: bytes) -> str:
    """PDFium's text (the reader the fast path hands everything else to)."""
    return pdfium_text(data, 1_000_000, time.monotonic() + 10)[0]


def words(text: str) -> list[str]:
    return text.split()


class TestFastPath:
    """Simple documents are read without PDFium, with the same words pypdf and PDFium find."""

    @pytest.mark.parametrize(
        "content",
        [
            b"BT /F1 11 Tf 14 TL 50 790 Td (BSN 101722333) Tj T* (Cli\xebnt) Tj ET",
            b"BT /F1 11 Tf 50 790 Td (BSN) Tj 30 0 Td (101 722 333) Tj 0 -14 Td (tweede) Tj ET",
            b"BT /F1 11 Tf 1 0 0 1 50 700 Tm [(Geboorte) -20 (datum:) -300 (12-03-2011)] TJ ET",
            b"BT /F1 11 Tf 50 700 Td (a \\(haakjes\\) \\\\ \\101\\102 \\\nnaad) Tj ET",
            b"BT /F1 11 Tf 50 700 Td <42534E20313131> Tj 12 TL (eerste) ' 1 2 (tweede) \" ET",
            b"BT /F1 11 Tf 50 700 Td (nested (paren) text) Tj ET q 1 0 0 1 0 0 cm /Im1 Do Q",
            b"BT /F1 11 Tf 1 0 0 1 50 700 Tm (links) Tj 1 0 0 1 300 700 Tm (rechts) Tj ET",
        ],
        ids=["lines", "td-moves", "tj-kerning", "escapes", "hex-quote-ops", "image", "tm-same"],
    )
    def test_same_words_as_pypdf(self, content: bytes) -> None:
        """Tj, TJ, ' and " in a WinAnsi Type1 font give the words pypdf and PDFium give."""
        data = one_page(content)
        found = fast(data)
        assert found is not None
        assert words(found) == words(slow(data))
        assert "".join(words(found)) == "".join(words(pdfium(data)))  # spaces are layout

    def test_corpus_pdf_is_read_the_same(self) -> None:
        """The corpus generator's PDF: same text as pypdf and PDFium, line by line."""
        data = corpus_pdf(["BSN 101722333", "Cliënt: J. Jansen", "Geboortedatum: 12-03-2011"])
        assert fast(data) == slow(data)
        assert (fast(data) or "").splitlines() == pdfium(data).splitlines()

    def test_standard_font_without_encoding(self) -> None:
        """A standard-14 font without /Encoding is read with StandardEncoding, as pypdf does."""
        font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman >>"
        data = one_page(b"BT /F1 11 Tf 50 700 Td (it\x27s \xe9n 123) Tj ET", font)
        assert fast(data) == slow(data)

    @pytest.mark.parametrize(
        "encoding", [b"StandardEncoding", b"WinAnsiEncoding", b"MacRomanEncoding"]
    )
    def test_every_byte_of_each_encoding_as_pypdf(self, encoding: bytes) -> None:
        """Bytes 1-255 in each standard encoding give exactly pypdf's characters."""
        font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /%s >>" % encoding
        shown = b"".join(b"\\%03o" % code for code in range(1, 256))
        data = one_page(b"BT /F1 11 Tf 50 700 Td (" + shown + b") Tj ET", font)
        found = fast(data)
        assert found is not None and len(found) == 255
        assert found == slow(data)

    def test_flate_content_and_object_stream(self) -> None:
        """FlateDecode content and objects stored in an object stream (PDF 1.5) are read."""
        inner = [b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", HELVETICA]
        header = b"2 0 7 %d " % (len(inner[0]) + 1)
        body = header + inner[0] + b" " + inner[1]
        objstm = stream(body, b" /Type /ObjStm /N 2 /First %d" % len(header), deflate=True)
        data = build(
            [
                b"<< /Type /Catalog /Pages 2 0 R >>",
                b"<< /Type /Null >>",  # replaced by the object stream's object 2
                b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font"
                b" << /F1 7 0 R >> >> >>",
                stream(b"BT /F1 11 Tf 50 700 Td (BSN 101722333) Tj ET", deflate=True),
                objstm,
            ]
        ).replace(b"2 0 obj\n<< /Type /Null >>", b"9 0 obj\n<< /Type /Null >>")
        assert fast(data) == "BSN 101722333"

    def test_no_text_operators_is_empty(self) -> None:
        """A page that only draws (a scan) has no text; pdf_text calls it unscannable."""
        data = one_page(b"q 200 0 0 150 72 560 cm /Im1 Do Q")
        assert fast(data) == ""
        with pytest.raises(Unscannable, match="pdf without text"):
            pdf_text(data, 10_000)

    def test_limits_as_pdfium_path(self) -> None:
        """max_chars and the time budget cut the fast path as they cut PDFium."""
        data = one_page(b"BT /F1 11 Tf 50 700 Td (" + b"a" * 50 + b") Tj ET")
        assert pdf_text(data, 10) == ("a" * 10, "max_total_bytes exceeded")
        assert pdf_text(data, 10, time_budget=-1.0) == ("", "pdf time budget exceeded")


class TestFallback:
    """Anything not simple goes to PDFium (None here), and pdf_text still reads it."""

    @pytest.mark.parametrize(
        ("font", "content"),
        [
            (
                b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica"
                b" /Encoding << /Differences [65 /B] >> >>",
                b"BT /F1 11 Tf 50 700 Td (A) Tj ET",
            ),
            (
                b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode 6 0 R >>",
                b"BT /F1 11 Tf 50 700 Td (BSN) Tj ET",
            ),
            (b"<< /Type /Font /Subtype /Type0 /BaseFont /X >>", b"BT /F1 11 Tf (x) Tj ET"),
            (b"<< /Type /Font /Subtype /Type1 /BaseFont /Symbol >>", b"BT /F1 11 Tf (x) Tj ET"),
            (HELVETICA, b"q /Fm1 Do Q"),
            (HELVETICA, b"BI /W 1 /H 1 /BPC 8 /CS /G ID \x00 EI BT /F1 9 Tf (x) Tj ET"),
            (HELVETICA, b"BT /F9 11 Tf (unknown font) Tj ET"),
        ],
        ids=["differences", "tounicode", "type0", "symbolic", "form", "inline-image", "no-font"],
    )
    def test_not_simple(self, font: bytes, content: bytes) -> None:
        """Encodings we do not know exactly, forms and inline images are left to PDFium."""
        assert fast(one_page(content, font)) is None

    def test_form_text_still_found(self) -> None:
        """A form XObject's text is found through PDFium."""
        text, cut = pdf_text(one_page(b"q /Fm1 Do Q BT /F1 9 Tf (BSN 101722333) Tj ET"), 10_000)
        assert "in a form" in text and "101722333" in text and cut is None

    def test_encrypted_and_incremental(self) -> None:
        """Encrypted files and files with an object defined twice are left to PDFium."""
        assert fast(corpus_pdf(["x"], encrypted=True)) is None
        data = one_page(b"BT /F1 9 Tf (oud) Tj ET")
        update = b"\n4 0 obj\n" + stream(b"BT /F1 9 Tf (nieuw) Tj ET") + b"\nendobj\n"
        assert fast(data + update) is None

    @pytest.mark.parametrize(
        "data",
        [
            one_page(b"BT /F1 9 Tf (x) Tj ET")[:120],
            b"%PDF-garbage",
            one_page(b"BT /F1 9 Tf (never closed Tj ET"),
            one_page(b"BT /F1 9 Tf (x) Tj ET").replace(b"/Length", b"/Filter /LZWDecode /Length"),
        ],
        ids=["truncated", "garbage", "open-string", "other-filter"],
    )
    def test_damaged_or_unknown(self, data: bytes) -> None:
        """Damaged syntax and filters other than FlateDecode are left to PDFium."""
        assert fast(data) is None

    def test_inflate_cap(self) -> None:
        """A content stream inflating past the cap is left to PDFium."""
        data = one_page(b"BT /F1 9 Tf (x) Tj ET" + b" " * 100_000, deflate=True)
        assert simple_pdf_text(data, 10**6, time.monotonic() + 10, max_inflated=50_000) is None
        assert simple_pdf_text(data, 10**6, time.monotonic() + 10) is not None


class TestBudgetInsideAPage:
    """A page with a huge content stream is cut by the time budget, not read to the end."""

    def test_cut_within_the_page(self) -> None:
        """The clock is consulted every few thousand operators inside one page."""
        content = b"BT /F1 9 Tf " + b"(BSN 101722333) Tj T* " * 20_000 + b"ET"
        ticks = iter(range(1_000_000))
        found = simple_pdf_text(one_page(content), 10**8, 3.0, clock=lambda: next(ticks))
        assert found is not None
        text, cut = found
        assert cut == "pdf time budget exceeded"
        assert text.startswith("BSN 101722333") and text.count("BSN") < 20_000


# --------------------------------------------------------------------------- the value reader


class ReferenceReader(pdf_simple._Reader):
    """`_Reader.value` as it was before its tests were reordered for speed (the reference)."""

    def value(self, token: bytes | None = None) -> pdf_simple.Value:
        if token is None:
            token = self.token()
            if token is None:
                raise pdf_simple.NotSimple
        first = token[0]
        if token == b"<<":
            result: dict[str, pdf_simple.Value] = {}
            while True:
                key = self.token()
                if key == b">>":
                    return result
                if key is None or key[0] != 0x2F:
                    raise pdf_simple.NotSimple
                result[reference_name(key)] = self.value()
        if token == b"[":
            items: list[pdf_simple.Value] = []
            while True:
                item = self.token()
                if item == b"]":
                    return items
                if item is None:
                    raise pdf_simple.NotSimple
                items.append(self.value(item))
        if token == b"(":
            text, self.pos = pdf_simple._literal(self.data, self.pos)
            return text
        if token == b"<":
            close = self.data.find(b">", self.pos)
            if close < 0:
                raise pdf_simple.NotSimple
            digits = bytes(self.data[self.pos : close]).translate(None, b" \t\r\n\f\x00")
            self.pos = close + 1
            try:
                return bytes.fromhex((digits + b"0" if len(digits) % 2 else digits).decode())
            except (ValueError, UnicodeDecodeError) as exc:
                raise pdf_simple.NotSimple from exc
        if first == 0x2F:
            return pdf_simple.Name(reference_name(token))
        if pdf_simple._NUMBER.match(token):
            return int(token) if re.match(rb"\d+\Z", token) else float(token)
        if token[-1] == 0x52 and 0x30 <= first <= 0x39:
            return pdf_simple.Ref(int(token.split()[0]))
        if token in (b"true", b"false"):
            return token == b"true"
        if token == b"null":
            return None
        if token in (b"]", b">>", b")", b">", b"{", b"}"):
            raise pdf_simple.NotSimple
        return pdf_simple.Op(token.decode("latin-1"))


def reference_name(token: bytes) -> str:
    raw = token[1:]
    if b"#" in raw:
        raw = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes.fromhex(m.group(1).decode()), raw)
    return raw.decode("latin-1")


PDF_PIECES = st.sampled_from(
    [
        b"<<", b">>", b"[", b"]", b"(", b")", b"<", b">", b"{", b"}", b"/Type", b"/", b"/A#20B",
        b"/#zz", b"/\xe9", b"12", b"007", b"-3.5", b"+5", b".5", b"5.", b"1_000", b"12a", b"1 0 R",
        b"3 0 Rx", b"true", b"false", b"null", b"Tj", b"'", b"<4142>", b"<41 4>", b"(a\\)b)",
        b"(x(y)z)", b"(\\101\\\n)", b"%c\n", b" ", b"\n", b"\r\n", b"\x00", b"\xff",
    ]
)  # fmt: skip


def read_all(reader: pdf_simple._Reader) -> list[object]:
    """Every value until the end or a refusal, with the position after each."""
    out: list[object] = []
    for _ in range(50):
        try:
            out.append((reader.value(), reader.pos))
        except pdf_simple.NotSimple:
            out.append(("NotSimple", reader.pos))
            break
        except (ValueError, IndexError) as exc:
            out.append((type(exc).__name__, reader.pos))
            break
    return out


class TestValueReader:
    """The reordered value reader reads what the reference reader reads."""

    @settings(max_examples=2000, deadline=None)
    @given(st.lists(PDF_PIECES, max_size=30), st.lists(st.sampled_from([b" ", b""]), max_size=30))
    def test_same_values_and_positions(self, pieces: list[bytes], gaps: list[bytes]) -> None:
        """Same values (integers stay integers), same positions, same refusals on PDF-like soup."""
        data = b"".join(p + (gaps[i] if i < len(gaps) else b" ") for i, p in enumerate(pieces))
        got = read_all(pdf_simple._Reader(data))
        expected = read_all(ReferenceReader(data))
        assert [(repr(v), pos) for v, pos in got] == [(repr(v), pos) for v, pos in expected]


def reference_object_headers(data: bytes) -> list[tuple[int, int]]:
    """`_object_headers` as it was (a bytes.find loop), the reference for its regex search."""
    found: list[tuple[int, int]] = []
    pos = 0
    while True:
        at = data.find(b"obj", pos)
        if at < 0:
            return found
        pos = at + 3
        if pos < len(data) and data[pos] in pdf_simple._WORD:
            continue
        header = pdf_simple._OBJ_NUMBERS.search(data, max(0, at - 24), at)
        if header is not None:
            found.append((int(header.group(1)), pos))


OBJ_PIECES = st.sampled_from(
    [b"obj", b"objects", b"obj\n", b"ObjStm", b"1", b"12", b"0", b" ", b"\n", b"\x00", b"x", b"e"]
)


class TestObjectHeaders:
    """Every 'N G obj' is found, as the previous bytes.find loop found them."""

    @settings(max_examples=1000, deadline=None)
    @given(st.lists(OBJ_PIECES, max_size=40), st.binary(max_size=200))
    def test_same_headers_as_reference(self, pieces: list[bytes], noise: bytes) -> None:
        """Same object numbers and offsets on object-like soup with binary noise."""
        data = b"".join(pieces) + noise + b"".join(reversed(pieces))
        assert list(pdf_simple._object_headers(data)) == reference_object_headers(data)
