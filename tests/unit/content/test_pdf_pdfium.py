"""PDFs read by PDFium (formats/pdf.py): the same words as the reference reader, the same
limits and refusals as before, hostile files refused and never crashing, one thread at a time.

The PDFs here have an embedded TrueType font (fpdf2, reportlab with Vera or DejaVu), so
pdf_simple hands them on and PDFium reads them.  pypdf, the reader PDFium replaced, stays the
reference the words are compared with.
"""

from __future__ import annotations

import io
import os
import threading
import time
import zlib

import pypdf
import pytest
import reportlab
from fpdf import FPDF
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from milter.content.formats import NoTextLayer, Unscannable
from milter.content.formats.pdf import MAX_FIELDS, _inflates_within, join_boxed_digits, pdf_text
from milter.content.formats.pdf_simple import simple_pdf_text
from tests.support.pdf import assemble

VERA = os.path.join(os.path.dirname(reportlab.__file__), "fonts", "Vera.ttf")  # ships with it
pdfmetrics.registerFont(TTFont("Vera", VERA))
BSN = "101956782"  # passes the 11-proef


def fpdf_lines(pages: list[list[str]]) -> bytes:
    """fpdf2 with an embedded TrueType font: each string one line, each list one page."""
    pdf = FPDF()
    pdf.add_font("Vera", fname=VERA)
    pdf.set_font("Vera", size=10)
    for lines in pages:
        pdf.add_page()
        for line in lines:
            pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def fpdf_table(rows: list[list[str]]) -> bytes:
    """fpdf2: a table drawn cell by cell, as a case system's export draws one."""
    pdf = FPDF()
    pdf.add_font("Vera", fname=VERA)
    pdf.set_font("Vera", size=10)
    pdf.add_page()
    for row in rows:
        for cell in row:
            pdf.cell(40, 7, cell, border=1)
        pdf.ln()
    return bytes(pdf.output())


def words(text: str) -> list[str]:
    return text.split()


def reference(data: bytes) -> str:
    """pypdf's text, pages joined and boxed digits joined as pdf_text does it."""
    pages = pypdf.PdfReader(io.BytesIO(data)).pages
    return join_boxed_digits("\n".join(p.extract_text() for p in pages))


def read(data: bytes, max_chars: int = 1_000_000) -> tuple[str, str | None]:
    assert simple_pdf_text(data, max_chars, time.monotonic() + 10) is None  # PDFium's
    return pdf_text(data, max_chars)


LINE = st.text(
    alphabet=st.sampled_from(list("abcdefghijklmnopqrstuvwxyzABCXYZ0123456789 .,:;-/()€ëéï")),
    min_size=1,
    max_size=60,
).filter(lambda s: s.strip() != "")


class TestSameWordsAsReference:
    """PDFium reads the words pypdf read, in the same order."""

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(st.lists(LINE, min_size=1, max_size=8), min_size=1, max_size=3))
    def test_generated_documents(self, pages: list[list[str]]) -> None:
        """Generated lines on generated pages: the same characters in the same order as pypdf
        (where a line of single digits ends is layout, which the two readers may join apart)."""
        data = fpdf_lines(pages)
        assert "".join(words(read(data)[0])) == "".join(words(reference(data)))

    def test_ten_page_letter(self) -> None:
        """A ten-page letter: every page read, words as pypdf reads them."""
        pages = [[f"Pagina {n} regel {i}: cliënt BSN {BSN}" for i in range(40)] for n in range(10)]
        data = fpdf_lines(pages)
        text, cut = read(data)
        assert cut is None and words(text) == words(reference(data))
        assert text.count(BSN) == 400

    def test_lines_are_lines(self) -> None:
        """Each line of the page is one line of text (PDFium's CRLF becomes LF)."""
        text, _ = read(fpdf_lines([["Naam: Sanne", f"BSN: {BSN}"]]))
        assert text == f"Naam: Sanne\nBSN: {BSN}"  # (and no empty line for form fields)


class TestTables:
    """Cells drawn side by side: PDFium's gap between two numbers is a cell boundary."""

    def test_date_and_bsn_in_adjacent_cells_are_two_numbers(self) -> None:
        """A birth date cell next to a BSN cell reads as two cells (a tab), not one number."""
        data = fpdf_table([["Naam", "Geboortedatum", "BSN"], ["Noa Salet", "08-03-2025", BSN]])
        text, _ = read(data)
        assert f"08-03-2025\t{BSN}" in text
        assert "Noa Salet" in text  # a gap between words stays a space

    def test_written_spaces_stay(self) -> None:
        """A number the PDF itself writes in groups ('101 956 782') keeps its spaces."""
        text, _ = read(fpdf_lines([["BSN 101 956 782"]]))
        assert "101 956 782" in text


class TestLimits:
    """The limits of the PDF path, on documents PDFium reads."""

    def test_max_chars(self) -> None:
        """Text past max_chars is cut, and says so."""
        text, cut = read(fpdf_lines([["a" * 50] * 10]), max_chars=120)
        assert cut == "max_total_bytes exceeded" and len(text) == 120

    def test_time_budget(self) -> None:
        """Past the time budget (checked between pages) the text read so far is returned."""
        data = fpdf_lines([["x"]] * 3)
        assert pdf_text(data, 10_000, time_budget=-1.0) == ("", "pdf time budget exceeded")

    def test_no_text_layer(self) -> None:
        """Pages without any text: a scan, for OCR."""
        pdf = FPDF()
        pdf.add_font("Vera", fname=VERA)  # an embedded font, never used
        pdf.add_page()
        pdf.rect(10, 10, 100, 100, style="F")
        with pytest.raises(NoTextLayer):
            pdf_text(bytes(pdf.output()), 10_000)


def encrypted(data: bytes, user: str) -> bytes:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user, owner_password="eigenaar", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


class TestEncryption:
    """Encrypted PDFs: read with the empty password, or unscannable."""

    def test_empty_user_password_is_read(self) -> None:
        """A 'no printing' PDF (owner password only) is read."""
        text, cut = pdf_text(encrypted(fpdf_lines([[f"BSN {BSN}"]]), ""), 10_000)
        assert BSN in text and cut is None

    def test_user_password_is_unscannable(self) -> None:
        """A PDF that needs a password is 'encrypted pdf'."""
        with pytest.raises(Unscannable) as caught:
            pdf_text(encrypted(fpdf_lines([[f"BSN {BSN}"]]), "geheim"), 10_000)
        assert caught.value.reason == "encrypted pdf"


def acroform(values: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    page = canvas.Canvas(buf)
    page.setFont("Vera", 11)
    page.drawString(72, 750, "Aanmelding")
    for i, (name, value) in enumerate(values.items()):
        page.acroForm.textfield(name=name, value=value, x=72, y=700 - 30 * i, width=200)
    page.save()
    return buf.getvalue()


class TestForms:
    """Form field values are read through PDFium's form API."""

    def test_field_values(self) -> None:
        """Each filled field is 'name: value'; empty fields are left out."""
        text, _ = pdf_text(acroform({"naam": "Sanne", "bsn": BSN, "leeg": ""}), 10_000)
        assert "naam: Sanne" in text and f"bsn: {BSN}" in text and "leeg" not in text

    def test_field_count_is_bounded(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Past MAX_FIELDS widgets no further field is read."""
        monkeypatch.setattr("milter.content.formats.pdf.MAX_FIELDS", 2)
        text, _ = pdf_text(acroform({"a": "een", "b": "twee", "c": "drie"}), 10_000)
        assert "a: een" in text and "b: twee" in text and "drie" not in text
        assert MAX_FIELDS == 1000


def page_objects(kids: bytes, count: int) -> list[bytes]:
    """A catalog (with an empty form: pdf_simple leaves forms to PDFium) and a page tree."""
    return [
        b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [] >> >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % count,
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length 0 >>\nstream\n\nendstream",
    ]


def xref_loop() -> bytes:
    """A trailer whose /Prev points at its own cross-reference table: a loop."""
    data = fpdf_lines([[BSN]])
    start = int(data[data.rindex(b"startxref") + 9 :].split()[0])
    return data.replace(b"trailer\n<<", b"trailer\n<< /Prev %d" % start, 1)


DEEP_CATALOG = (
    b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [] >> /X "
    + b"[" * 5000
    + b"]" * 5000
    + b" >>"
)
HOSTILE = {
    "xref_loop": xref_loop(),
    "truncated_xref": fpdf_lines([[BSN]])[:-120],
    "truncated_half": fpdf_lines([[BSN]] * 3)[: len(fpdf_lines([[BSN]] * 3)) // 2],
    "page_tree_loop": assemble(page_objects(b"2 0 R 3 0 R", 2)),
    "huge_page_count": assemble(page_objects(b"3 0 R", 2_000_000_000)),
    "kids_not_pages": assemble(page_objects(b"4 0 R 1 0 R", 2)),
    "no_catalog": assemble([b"<< /Type /Pages /Kids [] /Count 0 >>"]),
    "garbage_after_header": b"%PDF-1.7\n" + bytes(range(256)) * 40,
    "deep_arrays": assemble([DEEP_CATALOG, *page_objects(b"3 0 R", 1)[1:]]),
    "bad_stream_length": fpdf_lines([[BSN]]).replace(b"/Length ", b"/Length 9", 1),
}


class TestHostile:
    """Damaged and hostile files: a text, or Unscannable/NoTextLayer -- never a crash."""

    @pytest.mark.parametrize("name", sorted(HOSTILE))
    def test_refused_or_read(self, name: str) -> None:
        """Each hostile shape ends in a result or a refusal with a fixed reason."""
        assert simple_pdf_text(HOSTILE[name], 10_000, time.monotonic() + 10) is None  # PDFium's
        try:
            text, cut = pdf_text(HOSTILE[name], 10_000, time_budget=5.0)
        except NoTextLayer:
            pass  # pages without text: a scan, for OCR
        except Unscannable as exc:
            assert exc.reason in ("damaged pdf", "encrypted pdf")
        else:
            assert isinstance(text, str) and cut in (None, "pdf time budget exceeded")

    def test_truncated_file_is_damaged(self) -> None:
        """Half a file is refused as 'damaged pdf'."""
        with pytest.raises(Unscannable) as caught:
            pdf_text(b"%PDF-1.7\n" + b"1 0 obj << /Type /Catalog", 10_000)
        assert caught.value.reason == "damaged pdf"


class TestThreads:
    """Sessions read PDFs at the same time: PDFium is called one thread at a time."""

    def test_concurrent_reads_give_sequential_results(self) -> None:
        """Eight threads reading different PDFs get what one thread gets."""
        docs = [fpdf_lines([[f"document {n} BSN {BSN}"] * 5] * 2) for n in range(8)]
        expected = [pdf_text(d, 100_000) for d in docs]
        got: list[object] = [None] * len(docs)
        errors: list[BaseException] = []

        def work(index: int) -> None:
            try:
                for _ in range(5):
                    got[index] = pdf_text(docs[index], 100_000)
            except BaseException as exc:  # reported below, not lost in the thread
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(len(docs))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors and got == expected


def flate_bomb(unpacked: int) -> bytes:
    """A one-page PDF (with a form: PDFium's) whose content stream unpacks to `unpacked` bytes."""
    packer = zlib.compressobj(9)
    packed = packer.compress(b"BT /F1 11 Tf 72 700 Td (BSN 101956782) Tj ET\n")
    for _ in range(unpacked // 2**20):
        packed += packer.compress(b" " * 2**20)
    packed += packer.flush()
    objects = page_objects(b"3 0 R", 1)
    objects[2] = objects[2].replace(b"/Contents 4 0 R", b"/Contents 4 0 R /Resources"
                                    b" << /Font << /F1 5 0 R >> >>")  # fmt: skip
    objects[3] = b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (
        len(packed),
        packed,
    )
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    return assemble(objects)


class TestUnpackedSize:
    """PDFium unpacks a stream whole in memory: a PDF that unpacks too far is refused first."""

    def test_bomb_is_refused(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Streams unpacking past MAX_INFLATED: 'damaged pdf' (as pypdf's limit said)."""
        monkeypatch.setattr("milter.content.formats.pdf.MAX_INFLATED", 2**20)
        with pytest.raises(Unscannable) as caught:
            pdf_text(flate_bomb(3 * 2**20), 10_000)
        assert caught.value.reason == "damaged pdf"

    def test_within_the_limit_is_read(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The same document under the limit is read."""
        monkeypatch.setattr("milter.content.formats.pdf.MAX_INFLATED", 4 * 2**20)
        assert BSN in pdf_text(flate_bomb(3 * 2**20), 10_000)[0]

    def test_counting_stops_at_the_limit(self) -> None:
        """The count stops once past the limit and ends on any stream (also a damaged one)."""
        data = flate_bomb(3 * 2**20)
        assert _inflates_within(data, 4 * 2**20) and not _inflates_within(data, 2**20)
        damaged = data.replace(b"stream\n", b"stream\nxx", 1)
        assert _inflates_within(damaged, 2**20)  # zlib cannot read it: PDFium decides

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.data())
    def test_mutated_documents_never_crash(self, data: st.DataObject) -> None:
        """Bytes flipped, cut or repeated in a real document: a text or a fixed refusal."""
        doc = bytearray(MUTABLE)
        for _ in range(data.draw(st.integers(1, 8))):
            at = data.draw(st.integers(0, len(doc) - 1))
            how = data.draw(st.sampled_from(["flip", "cut", "repeat"]))
            if how == "flip":
                doc[at] = data.draw(st.integers(0, 255))
            elif how == "cut":
                del doc[at : at + data.draw(st.integers(1, 400))]
            else:
                doc[at:at] = doc[at : at + data.draw(st.integers(1, 400))] * 3
        try:
            text, cut = pdf_text(bytes(doc), 100_000, time_budget=5.0)
        except NoTextLayer:
            return
        except Unscannable as exc:
            assert exc.reason in ("damaged pdf", "encrypted pdf")
        else:
            assert isinstance(text, str) and cut in (None, "pdf time budget exceeded")


MUTABLE = acroform({"naam": "Sanne", "bsn": BSN})  # a form: PDFium's, never pdf_simple's
