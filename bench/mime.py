"""Realistic test messages: a Dutch text body plus a PDF attachment, at a chosen size.

Outbound mail from a care organisation is mostly a short letter with a scanned or exported
document attached, so that is what the benchmarks send: multipart/mixed, a text/plain part
(quoted-printable) and an application/pdf part (base64) holding a small but valid PDF (one
page of text and an embedded image) padded to size. The content is neutral: no citizen
service numbers, birth dates or case keywords, so every policy accepts it and throughput runs
measure the accept path. Deterministic for a given size and seed.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import itertools
import random
from email.message import EmailMessage
from pathlib import Path

from PIL import Image

from tests.support.pdf import assemble

SENDER = "medewerker@samen-veilig.nl"
RECIPIENTS = ("contact@partner.example", "secretariaat@partner.example")

_PARAGRAPHS = (
    "Beste collega's,\n\nHierbij stuur ik jullie de notulen van het overleg van afgelopen "
    "dinsdag. Graag ontvang ik eventuele aanvullingen voor het einde van de week, dan kan ik "
    "de definitieve versie op tijd rondsturen.",
    "Tijdens het overleg is afgesproken dat de werkgroep de planning voor het komende kwartaal "
    "opnieuw bekijkt. De nieuwe roosters worden besproken in de teamvergadering en daarna "
    "gedeeld via het intranet.",
    "Voor de training over veilig mailen zijn nog enkele plaatsen beschikbaar. Aanmelden kan "
    "via de afdeling opleidingen; de training duurt een ochtend en wordt op locatie gegeven.",
    "De evaluatie van het nieuwe werkproces laat zien dat de doorlooptijd korter is geworden. "
    "We willen de ervaringen van de teams graag meenemen in de volgende versie van de handleiding.",
    "Wil je bij vragen contact opnemen met het secretariaat? Zij kunnen je verder helpen met "
    "het maken van een afspraak of het reserveren van een vergaderruimte.",
)
_CLOSING = (
    "\n\nMet vriendelijke groet,\n\nA. de Vries\nSecretariaat Samen Veilig Midden-Nederland\n"
)


def letter_text(size: int, seed: int = 0) -> str:
    """Plain text of about `size` characters made of whole paragraphs."""
    rng = random.Random(seed)
    parts = [_PARAGRAPHS[0]]
    while sum(len(p) + 2 for p in parts) < size - len(_CLOSING):
        parts.append(rng.choice(_PARAGRAPHS[1:]))
    return "\n\n".join(parts) + _CLOSING


def make_pdf(size: int, seed: int = 0) -> bytes:
    """A valid one-page PDF of exactly max(size, minimum) bytes: text plus a padded image."""
    rng = random.Random(seed)
    # A text layer with more than ocr.SCANNED_PAGE_MAX_CHARS characters: with one short line
    # beside the image the page looked like a scan and OCR read it (~0.2 s a message) in every
    # benchmark since OCR came (found 2026-12-07); a letter's page has its text.
    text = (
        b"BT /F1 11 Tf 14 TL 72 760 Td (Notulen overleg werkgroep planning) Tj T*"
        b" (Aanwezig: de leden van de werkgroep en het secretariaat.) Tj T*"
        b" (Besproken: de planning van het komende kwartaal en de roosters.) Tj ET\n"
    )
    content = text + b"q 200 0 0 150 72 560 cm /Im1 Do Q\n"

    def build(image: bytes) -> bytes:
        objects = [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
            b" /Resources << /Font << /F1 5 0 R >> /XObject << /Im1 6 0 R >> >> >>",
            b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            b"<< /Type /XObject /Subtype /Image /Width 200 /Height 150 /ColorSpace /DeviceRGB"
            b" /BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n%s\nendstream"
            % (len(image), image),
        ]
        return assemble(objects)

    # JPEG markers around random bytes: looks like a scan to a file-type sniffer.
    overhead = len(build(b"\xff\xd8\xff\xd9"))
    filler = rng.randbytes(max(0, size - overhead))
    return build(b"\xff\xd8" + filler + b"\xff\xd9")


def build_message(size: int, seed: int = 0, subject: str | None = None) -> bytes:
    """A multipart message of about `size` bytes (CRLF line ends), text plus PDF."""
    text_size = min(3000, max(600, size // 5))

    def render(pdf_size: int) -> bytes:
        msg = EmailMessage(policy=email.policy.SMTP)
        msg["From"] = f"A. de Vries <{SENDER}>"
        msg["To"] = ", ".join(RECIPIENTS)
        msg["Subject"] = subject or "Notulen overleg werkgroep planning"
        msg["Date"] = "Mon, 02 Mar 2026 10:15:00 +0100"
        msg["Message-ID"] = f"<bench-{size}-{seed}@samen-veilig.nl>"
        msg.set_content(letter_text(text_size, seed), cte="quoted-printable")
        msg.add_attachment(
            make_pdf(pdf_size, seed),
            maintype="application",
            subtype="pdf",
            filename="notulen-overleg.pdf",
        )
        msg.set_boundary(f"=_bench_{size}_{seed}")  # deterministic bytes
        return msg.as_bytes()

    guess = max(0, int((size - text_size - 1200) * 57 / 78))
    first = render(guess)
    # base64 grows by 78/57 with line ends: one correction lands within a line of the target.
    corrected = max(0, guess + int((size - len(first)) * 57 / 78))
    return render(corrected)


def split_message(message: bytes) -> tuple[list[tuple[str, str]], bytes]:
    """Headers (name, unfolded value) and body, as Postfix hands them to a milter."""
    head, _, body = message.partition(b"\r\n\r\n")
    headers: list[tuple[str, str]] = []
    for line in head.decode("ascii", "replace").split("\r\n"):
        if line[:1] in (" ", "\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + "\r\n" + line)
        else:
            name, _, value = line.partition(":")
            headers.append((name, value.lstrip(" ")))
    return headers, body


# The realistic mix (issue 19): ordinary outbound mail from the realistic corpus
# (tests/corpus/realistic, made with the tools that make real mail: Outlook-style HTML,
# python-docx, openpyxl, reportlab/fpdf2 with embedded DejaVu fonts, Pillow), one message of
# each kind, plus a multi-page report exported with an embedded TrueType font, as Word and
# LibreOffice export theirs.  All of it is mail the example policy delivers to a partner
# (tests/bench/test_smoke.py checks that), so every configuration measures the accept path.
REALISTIC_DIR = Path(__file__).resolve().parents[1] / "tests" / "corpus" / "realistic"
MIX_FILES = (
    ("plain", "short_reply_01.eml"),  # a plain-text reply with the quoted thread
    ("outlook_html", "meeting_planning_01.eml"),  # Outlook: text/plain + Word-style HTML
    ("html_banner", "signature_banner_01.eml"),  # HTML with an inline signature image
    ("docx", "docx_agenda_01.eml"),
    ("xlsx", "xlsx_budget_01.eml"),
    ("pdf_invoice", "invoice_01.eml"),  # fpdf2, embedded DejaVu
    ("pdf_flyer", "pdf_flyer_01.eml"),  # reportlab, embedded DejaVu
    ("image", "screenshot_ordinary_01.eml"),  # a PNG screenshot
    ("zip", "zip_ordinary_01.eml"),  # two PDFs in a zip
)
REPORT_PAGES = 8
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")  # fonts-dejavu-core


def report_pdf(pages: int) -> bytes:
    """A `pages`-page report (about 45 lines of prose a page) in embedded DejaVu (fpdf2)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_creation_date(dt.datetime(2026, 3, 2, 10, 15, tzinfo=dt.UTC))  # same bytes each run
    pdf.add_font("DejaVu", "", str(DEJAVU))
    pdf.set_font("DejaVu", size=10)
    rng = random.Random(pages)
    for page in range(pages):
        pdf.add_page()
        text = " ".join(rng.choice(_PARAGRAPHS[1:]) for _ in range(9))
        pdf.multi_cell(0, 5, f"{page + 1}. {text}")
    return bytes(pdf.output())


def report_message(pages: int = REPORT_PAGES) -> bytes:
    """A short letter with a `pages`-page report attached (embedded-font PDF)."""
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = f"A. de Vries <{SENDER}>"
    msg["To"] = ", ".join(RECIPIENTS)
    msg["Subject"] = "Jaarverslag werkgroep planning"
    msg["Date"] = "Mon, 02 Mar 2026 10:15:00 +0100"
    msg["Message-ID"] = f"<bench-report-{pages}@samen-veilig.nl>"
    msg.set_content(letter_text(900), cte="quoted-printable")
    msg.add_attachment(
        report_pdf(pages), maintype="application", subtype="pdf", filename="jaarverslag.pdf"
    )
    msg.set_boundary(f"=_bench_report_{pages}")
    return msg.as_bytes()


# A pasted screenshot is a one-off: every copy of this kind the benchmarks send carries its
# own image, so the milter's memory of recurring images (formats/ocr.py: a signature logo is
# read twice, then known) cannot answer it.  The logos and banners of the other kinds recur
# in real mail too, and stay as they are.
ONE_OFF_KINDS = frozenset({"image"})
_ONE_OFF = itertools.count(1)


def one_off(message: bytes) -> bytes:
    """`message` with one pixel of its largest image (the screenshot, not the logo) changed,
    differently on every call: the same OCR work, another hash.  CRLF line ends."""
    parsed = email.message_from_bytes(message, policy=email.policy.SMTP)
    images = [p for p in parsed.walk() if p.get_content_maintype() == "image"]
    if not images:
        raise ValueError("no image part")
    data = {id(p): bytes(p.get_payload(decode=True)) for p in images}
    part = max(images, key=lambda p: len(data[id(p)]))
    number = next(_ONE_OFF)
    img = Image.open(io.BytesIO(data[id(part)])).convert("RGB")
    for x in range(3):  # 24 bits a pixel, three pixels: unique well past any sitting
        img.putpixel((x, 0), ((number >> (24 * x)) & 0xFF, (number >> 8) & 0xFF, number & 0xFF))
    out = io.BytesIO()
    img.save(out, "PNG")
    part.set_content(
        out.getvalue(), "image", "png", disposition=part.get_content_disposition(),
        filename=part.get_filename(), cid=part.get("Content-ID"),
    )  # fmt: skip
    return parsed.as_bytes()


def realistic_mix() -> dict[str, bytes]:
    """The mix: kind -> message (CRLF line ends), in a fixed order."""
    mix = {
        kind: (REALISTIC_DIR / name).read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        for kind, name in MIX_FILES
    }
    mix[f"pdf_report_{REPORT_PAGES}p"] = report_message()
    return mix
