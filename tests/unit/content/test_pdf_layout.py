"""PDF layout: a BSN drawn one digit per box is one number; form field values are read.

The PDFs are made by the tools care organisations' systems use (reportlab, fpdf2), with the
standard fonts (read by pdf_simple) and with an embedded TrueType font (read by PDFium).
"""

from __future__ import annotations

import base64
import io
import os
import time
from collections.abc import Callable

import pytest
import reportlab
from fpdf import FPDF
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from milter.content.formats.pdf import join_boxed_digits, pdf_text
from milter.content.formats.pdf_simple import simple_pdf_text
from tests.unit.content.helpers import DEFAULT

BSN = "101956782"  # passes the 11-proef
VERA = os.path.join(os.path.dirname(reportlab.__file__), "fonts", "Vera.ttf")  # ships with it
pdfmetrics.registerFont(TTFont("Vera", VERA))


def reportlab_boxes(font: str = "Helvetica", groups: int = 1) -> bytes:
    """A form with 'BSN:' and the number drawn in boxes: one digit (or group) per drawString."""
    buf = io.BytesIO()
    page = canvas.Canvas(buf)
    page.setFont(font, 11)
    page.drawString(72, 720, "Aanmeldformulier")
    page.drawString(72, 700, "BSN:")
    size = len(BSN) // groups
    for i in range(groups):
        cell = BSN[i * size : (i + 1) * size] if groups > 1 else None
        cells = [cell] if cell else list(BSN)
        for j, text in enumerate(cells):
            x = 120 + (i * 3 + j) * 16 if groups == 1 else 120 + i * 40
            page.rect(x - 4, 696, 14 if groups == 1 else 34, 16)
            page.drawString(x, 700, text)
    page.drawString(72, 680, "Handtekening:")
    page.save()
    return buf.getvalue()


def fpdf_boxes(embedded: bool) -> bytes:
    """fpdf2: the same form, each digit placed with its own text() call."""
    pdf = FPDF()
    pdf.add_page()
    if embedded:
        pdf.add_font("Vera", fname=VERA)
        pdf.set_font("Vera", size=11)
    else:
        pdf.set_font("helvetica", size=11)
    pdf.text(20, 20, "BSN:")
    for i, digit in enumerate(BSN):
        pdf.rect(40 + i * 6, 16, 5, 6)
        pdf.text(41 + i * 6, 20, digit)
    return bytes(pdf.output())


def reportlab_form() -> bytes:
    """An AcroForm whose fields hold the values: nothing of them is on the page itself."""
    buf = io.BytesIO()
    page = canvas.Canvas(buf)
    page.setFont("Helvetica", 11)
    page.drawString(72, 700, "Aanmelding")
    form = page.acroForm
    form.textfield(name="bsn", tooltip="BSN", x=200, y=690, width=120, height=20, value=BSN)
    form.textfield(name="naam", x=200, y=660, width=120, height=20, value="J. Jansen")
    form.textfield(name="leeg", x=200, y=630, width=120, height=20)
    page.save()
    return buf.getvalue()


def bsn_in_attachment(data: bytes) -> str | None:
    """The BSN finding's confidence when `data` is a PDF attachment of an external mail."""
    encoded = base64.encodebytes(data).decode("ascii")
    raw = (
        "From: a@samen-veilig.nl\r\nTo: b@partner.example\r\nSubject: formulier\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nZie bijlage.\r\n--b\r\n"
        'Content-Type: application/pdf; name="f.pdf"\r\nContent-Transfer-Encoding: base64\r\n'
        f'Content-Disposition: attachment; filename="f.pdf"\r\n\r\n{encoded}\r\n--b--\r\n'
    )
    found = DEFAULT.scan_message(raw.encode("ascii")).by_detector("bsn")
    return None if found is None else found.confidence


MAKERS: dict[str, Callable[[], bytes]] = {
    "reportlab-standard-font": reportlab_boxes,
    "reportlab-embedded-font": lambda: reportlab_boxes("Vera"),
    "reportlab-three-groups": lambda: reportlab_boxes(groups=3),
    "fpdf2-standard-font": lambda: fpdf_boxes(embedded=False),
    "fpdf2-embedded-font": lambda: fpdf_boxes(embedded=True),
}


class TestBoxes:
    @pytest.mark.parametrize("maker", MAKERS.values(), ids=MAKERS.keys())
    def test_bsn_in_boxes_is_one_number(self, maker: Callable[[], bytes]) -> None:
        """A BSN drawn digit by digit (or in groups) in boxes is found, at high confidence."""
        text, cut = pdf_text(maker(), 1_000_000)
        assert cut is None
        assert BSN in text.replace(" ", "")
        assert bsn_in_attachment(maker()) == "high"

    def test_reportlab_standard_font_takes_the_fast_path(self) -> None:
        """reportlab's [/ASCII85Decode /FlateDecode] content is read without PDFium."""
        assert simple_pdf_text(reportlab_boxes(), 1_000_000, time.monotonic() + 10) is not None


class TestFormFields:
    def test_field_values_are_read_with_their_names(self) -> None:
        """/AcroForm field values come out as 'label: value' (the tooltip is the label)."""
        text, cut = pdf_text(reportlab_form(), 1_000_000)
        assert cut is None
        assert f"BSN: {BSN}" in text and "naam: J. Jansen" in text
        assert "leeg" not in text  # an empty field says nothing

    def test_bsn_in_a_form_field_is_found(self) -> None:
        """The BSN typed into a form field is a finding like one on the page."""
        assert bsn_in_attachment(reportlab_form()) == "high"

    def test_form_goes_to_pdfium(self) -> None:
        """A document with a form is not simple: the fast path would miss the fields."""
        assert simple_pdf_text(reportlab_form(), 1_000_000, time.monotonic() + 10) is None


class TestJoinBoxedDigits:
    @pytest.mark.parametrize(
        ("text", "joined"),
        [
            ("BSN:\n1\n0\n1\n9\n5\n6\n7\n8\n2\nNaam", "BSN:\n101956782\nNaam"),
            ("BSN:\n\n1\n\n0\n\n1\n\n9\n\nNaam", "BSN:\n\n1019\n\nNaam"),
            ("Reden\nO\nT\nS\nEinde", "Reden\nOTS\nEinde"),  # letters in boxes: a word
            ("Geboortedatum\n1\n7\n0\n9\n2\n0\n1\n9\nx y", "Geboortedatum\n17-09-2019\nx y"),
            ("geb. 1 7 0 9 2 0 1 9", "geb. 17-09-2019"),  # eight boxed digits that are a date
            ("Reden O T S\nNaam V A N  D A M", "Reden OTS\nNaam VAN  DAM"),  # capitals in boxes
            ("101\n956\n782", "101 956 782"),
            ("BSN: 1 0 1 9 5 6 7 8 2.", "BSN: 101956782."),
            ("1\t0\t1\t9\t5\t6\t7\t8\t2", "101956782"),
        ],
    )
    def test_joined(self, text: str, joined: str) -> None:
        """Rows of single digits (per line, or one space apart) become one number."""
        assert join_boxed_digits(text) == joined

    @pytest.mark.parametrize(
        "text",
        [
            "stap 1 2 3 en 4",  # fewer than eight spaced digits
            "12 34 56 78 90",  # groups, not single digits
            "pagina 1\nvan 2",  # digits on lines with words
            "1,2 3 4 5 6 7 8 9",  # a list that starts after a comma
            "Kunt u a b c doen",  # lower case single letters are words
            "stap 1 2 3",  # digits only, fewer than eight
        ],
    )
    def test_left_alone(self, text: str) -> None:
        """Ordinary text with digits is not changed."""
        assert join_boxed_digits(text) == text
