# ruff: noqa: E501 -- mail text and HTML are written out as people write them, long lines included
"""Write the realistic outbound-mail corpus (issue 13, point 7): tests/corpus/realistic/*.eml
and tests/corpus/realistic/manifest.yaml.

    .venv/bin/python tests/corpus/realistic/make_realistic.py            # rewrite in place
    .venv/bin/python tests/corpus/realistic/make_realistic.py OUT_DIR    # write elsewhere

This is the mail Samen Veilig Midden-Nederland (samen-veilig.nl, veiligthuisutrecht.nl) really
sends, made with the tools that make it: Faker nl_NL for people, BSNs (11-proef), addresses and
dates; python-docx, openpyxl and odfpy for office files; reportlab and fpdf2 for PDFs with
embedded DejaVu fonts, forms with one digit per box and AcroForms; Pillow for logos,
screenshots and scans; Debian's `lame` for voicemail MP3s; the stdlib `email` package for
Outlook-, Apple Mail-, Gmail- and Thunderbird-shaped MIME.  Everything is synthetic: every
person, number and case note is invented here.

The labels are written by a human reading the mail, not by running Postwarden: `kind` is
`client_data` when the mail (body, attachment, image or recording) identifies a client of the
organisation, `ordinary` otherwise -- also when it is full of case words, 11-proef numbers that
are KvK/ticket/meeting numbers, test BSNs or the organisation's own names.  `decision` is what
the example policy must do with that envelope: client data to any recipient outside the owned
domains is held (`quarantine`), everything else is delivered (`accept`).  `detectors` says which
evidence of client data a reader sees (bsn, date_of_birth, case_keywords, postcode, iban,
audio); `where` says where it sits (body, html, subject, quoted, docx, xlsx, odt, csv, pdf,
pdf_boxes, acroform, pdf_scan, image, ics, zip, rfc822, mp3).

Deterministic on purpose: Faker is seeded per message (adding a message changes no other),
dates, Message-IDs, MIME boundaries, zip member times, office core properties and PDF creation
dates are fixed, so re-running gives byte-identical files (tests/unit/content/
test_realistic_corpus.py checks this).  Refuses nothing: it is a test-data writer, and it fails
loudly (an exception) if a tool is missing -- `lame` and fonts-dejavu-core are Debian packages
the Makefile installs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import unicodedata
import wave
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import encoders
from email.charset import BASE64, QP, Charset
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import SMTP
from email.utils import format_datetime
from html import escape
from pathlib import Path
from typing import Any

import yaml
from faker import Faker

HERE = Path(__file__).resolve().parent
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT = FONT_DIR / "DejaVuSans.ttf"
FONT_BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"
FONT_MONO = FONT_DIR / "DejaVuSansMono.ttf"
FONT_SERIF = FONT_DIR / "DejaVuSerif.ttf"
POL = SMTP  # CRLF line ends, as mail travels
OWNED = ("samen-veilig.nl", "veiligthuisutrecht.nl")
TZ = dt.timezone(dt.timedelta(hours=1))
BASE_DATE = dt.datetime(2026, 11, 2, 8, 30, tzinfo=TZ)
ZIP_TIME = (2026, 11, 2, 8, 30, 0)
FIXED_ISO = "2026-11-02T08:30:00Z"

# ------------------------------------------------------------------------------ the organisation


def elfproef(digits: str) -> bool:
    """The BSN/RSIN 11-proef (last weight -1); 8-digit numbers count with a leading 0."""
    digits = digits.rjust(9, "0")
    weights = (9, 8, 7, 6, 5, 4, 3, 2, -1)
    return (
        digits != "000000000"
        and sum(w * int(d) for w, d in zip(weights, digits, strict=True)) % 11 == 0
    )


def first_elf(start: int, width: int = 9) -> str:
    """The first number from `start` up that passes the 11-proef (a trap for BSN detectors)."""
    n = start
    while not elfproef(f"{n:0{width}d}"):
        n += 1
    return f"{n:0{width}d}"


def iban(bank: str, account: str) -> str:
    number = int("".join(str(int(c, 36)) for c in bank + account + "NL00"))
    return f"NL{98 - number % 97:02d}{bank}{account}"


def spaced_iban(value: str) -> str:
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))


ORG = "Samen Veilig Midden-Nederland"
ORG_KVK = first_elf(30276540, 8)  # 8 digits; with a leading 0 it passes the 11-proef
ORG_RSIN = first_elf(815370210)  # an RSIN passes the 11-proef by construction
ORG_BTW = f"NL{ORG_RSIN}B01"
ORG_IBAN = spaced_iban(iban("RABO", "0312345678"))
ORG_ADDRESS = "Catharijnesingel 47, 3511 GC Utrecht"
ORG_POSTBUS = "Postbus 85087, 3508 AB Utrecht"
ORG_PHONE = "030 276 80 00"
VT_PHONE = "0800-2000"
TEST_BSNS = ("111222333", "123456782", "999999990")

SHORT_DISCLAIMER = (
    "Dit bericht kan vertrouwelijke informatie bevatten. Bent u niet de geadresseerde, "
    "verwijder het dan en informeer de afzender."
)
DISCLAIMER = (
    "Dit bericht is uitsluitend bestemd voor de geadresseerde en kan vertrouwelijke informatie "
    "bevatten. Bent u niet de geadresseerde, meld dit dan aan de afzender en verwijder het "
    f"bericht. {ORG} is ingeschreven bij de KvK onder nummer {ORG_KVK}. "
    "Veilig Thuis Utrecht is onderdeel van Samen Veilig Midden-Nederland."
)

EXTERNAL = {
    "hospital": "ziekenhuis.example",
    "gemeente": "gemeente-utrecht.example",
    "school": "school.example",
    "gp": "huisartsenpraktijk-zeist.example",
    "it": "it-partner.example",
    "office": "kantoorvakhuis.example",
    "hotel": "congrescentrum-bunnik.example",
    "elearning": "leerplein-jeugd.example",
    "press": "rtv-utrecht.example",
    "recruit": "werving-zorg.example",
    "landlord": "vastgoedbeheer.example",
    "police": "politie-midden.example",
    "ggd": "ggd-regio-utrecht.example",
    "accountant": "accountants-zeist.example",
    "parent": "ziggo-mail.example",
}

# ----------------------------------------------------------------------------- small helpers


def ascii_fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def mailbox(first: str, last: str, domain: str) -> str:
    local = re.sub(r"[^a-z0-9.-]", "", ascii_fold(f"{first[0]}.{last}").lower())
    return f"{local}@{domain}"


def stable_hex(*parts: object, n: int = 16) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:n]


def nl_date(d: dt.date) -> str:
    return d.strftime("%d-%m-%Y")


MONTHS = "januari februari maart april mei juni juli augustus september oktober november december"
DAYS = "maandag dinsdag woensdag donderdag vrijdag zaterdag zondag"


def nl_long_date(d: dt.date) -> str:
    return f"{DAYS.split()[d.weekday()]} {d.day} {MONTHS.split()[d.month - 1]} {d.year}"


def postcode(fake: Faker) -> str:
    raw = fake.postcode().replace(" ", "")
    return f"{raw[:4]} {raw[4:]}"


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    role: str
    domain: str = "samen-veilig.nl"
    phone: str = ""

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def email(self) -> str:
        return mailbox(self.first, self.last, self.domain)


@dataclass(frozen=True)
class Client:
    first: str
    last: str
    bsn: str
    born: dt.date
    street: str
    postcode: str
    city: str
    mother: str
    phone: str
    case_no: str

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


def make_client(fake: Faker) -> Client:
    last = fake.last_name()
    return Client(
        first=fake.first_name(),
        last=last,
        bsn=fake.ssn(),
        born=fake.date_between_dates(dt.date(2009, 1, 1), dt.date(2024, 6, 30)),
        street=fake.street_address(),
        postcode=postcode(fake),
        city=fake.city(),
        mother=f"{fake.first_name_female()} {last}",
        phone=fake.phone_number(),
        case_no=f"SV-{fake.random_int(2019, 2026)}-{fake.random_int(10000, 99999)}",
    )


ROLES = [
    "Gezinsvoogd",
    "Medewerker Veilig Thuis Utrecht",
    "Jeugdbeschermer",
    "Teamleider Jeugdbescherming regio Amersfoort",
    "Vertrouwensarts Veilig Thuis Utrecht",
    "Aandachtsfunctionaris huiselijk geweld en kindermishandeling",
    "Gedragswetenschapper",
    "Jeugdreclasseerder",
]
STAFF_ROLES = [
    "Medewerker Facilitair Bedrijf",
    "Financieel administrateur",
    "Medewerker Servicedesk ICT",
    "Communicatieadviseur",
    "HR-adviseur",
    "Managementassistent",
    "Inkoper",
    "Opleidingsadviseur",
]


def make_person(fake: Faker, roles: list[str], domain: str = "samen-veilig.nl") -> Person:
    role = roles[fake.random_int(0, len(roles) - 1)]
    if "Veilig Thuis" in role and fake.random_int(0, 1):
        domain = "veiligthuisutrecht.nl"
    return Person(
        fake.first_name(),
        fake.last_name(),
        role,
        domain,
        f"06 {fake.random_int(10000000, 99999999)}",
    )


def external_person(fake: Faker, kind: str) -> tuple[str, str]:
    first, last = fake.first_name(), fake.last_name()
    return f"{first} {last}", mailbox(first, last, EXTERNAL[kind])


# ------------------------------------------------------------------------------- images (Pillow)


def _font(size: int, bold: bool = False, mono: bool = False) -> Any:
    from PIL import ImageFont

    path = FONT_MONO if mono else FONT_BOLD if bold else FONT
    return ImageFont.truetype(str(path), size)


def png_bytes(img: Any, **kw: Any) -> bytes:
    out = io.BytesIO()
    img.save(out, "PNG", optimize=True, **kw)
    return out.getvalue()


def jpeg_bytes(img: Any, quality: int = 70) -> bytes:
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()


def logo(
    text: str = "Samen Veilig", sub: str = "Midden-Nederland", color: str = "#00607a"
) -> bytes:
    """A signature logo: small, a few kB, like the ones mail clients paste."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (180, 54), "white")
    d = ImageDraw.Draw(img)
    d.ellipse((4, 7, 44, 47), fill=color)
    d.polygon([(14, 30), (24, 16), (34, 30), (24, 40)], fill="white")
    d.text((52, 8), text, font=_font(17, bold=True), fill=color)
    d.text((52, 31), sub, font=_font(11), fill="#555555")
    return png_bytes(img.quantize(16))


def icon(letter: str, color: str) -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (24, 24), color)
    ImageDraw.Draw(img).text((7, 3), letter, font=_font(14, bold=True), fill="white")
    return png_bytes(img.quantize(8))


def screenshot(title: str, rows: list[list[str]], widths: list[int], size: tuple[int, int]) -> Any:
    """A window-like screenshot with a title bar and a grid of text (readable: 15 px type)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", size, "#f3f3f3")
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, size[0], 34), fill="#2b579a")
    d.text((12, 8), title, font=_font(16, bold=True), fill="white")
    y = 50
    for r, row in enumerate(rows):
        x = 12
        if r == 0:
            d.rectangle((8, y - 4, size[0] - 8, y + 22), fill="#dde6f3")
        for cell, width in zip(row, widths, strict=False):
            d.text((x, y), cell, font=_font(15, bold=r == 0), fill="#111111")
            x += width
        y += 30
        d.line((8, y - 5, size[0] - 8, y - 5), fill="#cccccc")
    return img


def scan_image(lines: list[str], seed: int, size: tuple[int, int] = (850, 1100)) -> Any:
    """A grey, slightly noisy 'scanned' A4 page with typed text."""
    import random

    from PIL import Image, ImageDraw, ImageFilter

    rng = random.Random(seed)
    img = Image.new("L", size, 238)
    d = ImageDraw.Draw(img)
    y = 60
    for line in lines:
        bold = line.startswith("#")
        d.text((70, y), line.lstrip("#"), font=_font(24 if bold else 19, bold=bold), fill=25)
        y += 42 if bold else 32
    for _ in range(900):
        x, yy = rng.randrange(size[0]), rng.randrange(size[1])
        d.point((x, yy), fill=rng.randrange(150, 230))
    return img.filter(ImageFilter.GaussianBlur(0.6))


def photo(seed: int, size: tuple[int, int] = (640, 480)) -> bytes:
    """A photo-like JPEG without any text (a room, a broken printer): gradients and shapes."""
    import random

    from PIL import Image, ImageDraw, ImageFilter

    rng = random.Random(seed)
    img = Image.new("RGB", size)
    d = ImageDraw.Draw(img)
    for y in range(size[1]):
        d.line((0, y, size[0], y), fill=(90 + y // 6, 110 + y // 8, 140 + y // 10))
    for _ in range(14):
        x0, y0 = rng.randrange(size[0]), rng.randrange(size[1])
        d.rectangle(
            (x0, y0, x0 + rng.randrange(40, 200), y0 + rng.randrange(30, 160)),
            fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)),
        )
    return jpeg_bytes(img.filter(ImageFilter.GaussianBlur(3)), quality=60)


# ----------------------------------------------------------------------------- office documents


def normalise_zip(data: bytes) -> bytes:
    """Rewrite a zip container with fixed member times and fixed document dates.

    python-docx, openpyxl and odfpy stamp the current time into zip members and into
    docProps/core.xml or meta.xml; the corpus must be byte-identical on every run.
    """
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename in ("docProps/core.xml", "meta.xml"):
                text = body.decode("utf-8")
                text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?", FIXED_ISO, text)
                text = re.sub(
                    r"<meta:editing-duration>[^<]*<", "<meta:editing-duration>PT0S<", text
                )
                body = text.encode("utf-8")
            new = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            new.compress_type = info.compress_type
            new.external_attr = 0o644 << 16
            dst.writestr(new, body)
    return out.getvalue()


def docx(title: str, paragraphs: list[str], table: list[list[str]] | None = None) -> bytes:
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    props = doc.core_properties
    props.author = ORG
    props.title = title
    props.created = props.modified = dt.datetime(2026, 11, 2, 8, 30)
    props.last_modified_by = ORG
    props.revision = 1
    doc.styles["Normal"].font.name = "Calibri"
    doc.styles["Normal"].font.size = Pt(11)
    doc.add_heading(title, level=1)
    for para in paragraphs:
        if para.startswith("## "):
            doc.add_heading(para[3:], level=2)
        else:
            doc.add_paragraph(para)
    if table:
        grid = doc.add_table(rows=len(table), cols=len(table[0]))
        grid.style = "Table Grid"
        for r, row in enumerate(table):
            for c, cell in enumerate(row):
                grid.cell(r, c).text = cell
    out = io.BytesIO()
    doc.save(out)
    return normalise_zip(out.getvalue())


def xlsx(sheets: dict[str, list[list[Any]]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for col, width in zip("ABCDEFGH", (22, 16, 16, 18, 16, 16, 16, 16), strict=True):
            ws.column_dimensions[col].width = width
    wb.properties.creator = ORG
    wb.properties.created = wb.properties.modified = dt.datetime(2026, 11, 2, 8, 30)
    out = io.BytesIO()
    wb.save(out)
    return normalise_zip(out.getvalue())


def odt(title: str, paragraphs: list[str]) -> bytes:
    from odf.opendocument import OpenDocumentText
    from odf.text import H, P

    doc = OpenDocumentText()
    doc.text.addElement(H(outlinelevel=1, text=title))
    for para in paragraphs:
        doc.text.addElement(P(text=para))
    out = io.BytesIO()
    doc.write(out)
    return normalise_zip(out.getvalue())


# ------------------------------------------------------------------------------------------- PDFs


def _reportlab_canvas(out: io.BytesIO, title: str) -> Any:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    for name, path in (("DejaVu", FONT), ("DejaVu-Bold", FONT_BOLD)):
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(path)))
    c = canvas.Canvas(out, invariant=1, pagesize=(595.27, 841.89))
    c.setTitle(title)
    c.setAuthor(ORG)
    return c


def reportlab_text(title: str, lines: list[str], footer: str = "") -> bytes:
    """A text PDF (reportlab, embedded DejaVu subset): flyers, reports, letters."""
    out = io.BytesIO()
    c = _reportlab_canvas(out, title)
    y = 780.0
    c.setFont("DejaVu-Bold", 18)
    c.drawString(60, y, title)
    y -= 34
    for line in lines:
        if y < 80:
            c.showPage()
            y = 780.0
        if line.startswith("## "):
            c.setFont("DejaVu-Bold", 13)
            c.drawString(60, y, line[3:])
            y -= 22
        else:
            c.setFont("DejaVu", 11)
            c.drawString(60, y, line)
            y -= 16
    if footer:
        c.setFont("DejaVu", 7)
        c.drawString(60, 40, footer)
    c.showPage()
    c.save()
    return out.getvalue()


def reportlab_box_form(title: str, fields: list[tuple[str, str, int]]) -> bytes:
    """A paper-style form: each value drawn one character per box (BSN, date, postcode)."""
    out = io.BytesIO()
    c = _reportlab_canvas(out, title)
    c.setFont("DejaVu-Bold", 16)
    c.drawString(60, 780, title)
    c.setFont("DejaVu", 9)
    c.drawString(60, 762, "Invullen in blokletters, één teken per vak.")
    y = 720.0
    for label, value, boxes in fields:
        c.setFont("DejaVu", 11)
        c.drawString(60, y + 6, label)
        for i in range(boxes):
            x = 230 + i * 20
            c.rect(x, y, 18, 22)
            if i < len(value) and value[i] != " ":
                c.setFont("DejaVu", 14)
                c.drawCentredString(x + 9, y + 5, value[i])
        y -= 44
    c.setFont("DejaVu", 7)
    c.drawString(60, 40, f"{ORG} · {ORG_ADDRESS} · KvK {ORG_KVK}")
    c.showPage()
    c.save()
    return out.getvalue()


def reportlab_acroform(title: str, fields: list[tuple[str, str, str]]) -> bytes:
    """An AcroForm with (name, label, value) text fields; empty values leave the form blank."""
    out = io.BytesIO()
    c = _reportlab_canvas(out, title)
    c.setFont("DejaVu-Bold", 16)
    c.drawString(60, 780, title)
    y = 730.0
    for name, label, value in fields:
        c.setFont("DejaVu", 11)
        c.drawString(60, y + 6, label)
        c.acroForm.textfield(
            name=name,
            value=value,
            x=230,
            y=y,
            width=280,
            height=20,
            fontName="Helvetica",
            fontSize=10,
            borderWidth=1,
        )
        y -= 36
    c.showPage()
    c.save()
    return out.getvalue()


def reportlab_scan(jpeg: bytes, title: str) -> bytes:
    """A scanned page: one JPEG image per page, no text layer (what a copier sends)."""
    from reportlab.lib.utils import ImageReader

    out = io.BytesIO()
    c = _reportlab_canvas(out, title)
    c.drawImage(ImageReader(io.BytesIO(jpeg)), 0, 0, width=595.27, height=841.89)
    c.showPage()
    c.save()
    return out.getvalue()


def fpdf_doc(title: str, lines: list[str], table: list[list[str]] | None = None) -> bytes:
    """A PDF from fpdf2 with embedded DejaVu: invoices, referral letters."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_creation_date(dt.datetime(2026, 11, 2, 8, 30, tzinfo=dt.UTC))
    pdf.set_producer("fpdf2")
    pdf.set_creator(ORG)
    pdf.set_title(title)
    pdf.add_font("DejaVu", "", str(FONT))
    pdf.add_font("DejaVu", "B", str(FONT_BOLD))
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 16)
    pdf.cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    for line in lines:
        if line.startswith("## "):
            pdf.set_font("DejaVu", "B", 12)
            pdf.cell(0, 9, line[3:], new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("DejaVu", "", 10)
        else:
            pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    if table:
        pdf.ln(4)
        with pdf.table() as grid:
            for row in table:
                cells = grid.row()
                for cell in row:
                    cells.cell(cell)
    pdf.set_y(-25)
    pdf.set_font("DejaVu", "", 7)
    pdf.multi_cell(0, 4, f"{ORG} · {ORG_ADDRESS} · KvK {ORG_KVK} · BTW {ORG_BTW} · IBAN {ORG_IBAN}")
    return bytes(pdf.output())


# ------------------------------------------------------------------------------ voicemail (lame)


def voicemail_mp3(seed: int, seconds: float = 4.0) -> bytes:
    """A voice-like recording (formant tones at a syllable rhythm) encoded by Debian's lame."""
    lame = shutil.which("lame")
    if lame is None:
        raise RuntimeError("lame is missing: apt-get install lame (the Makefile's DEB_PACKAGES)")
    rate = 8000
    pitch = 110 + seed % 7 * 15
    frames = bytearray()
    for i in range(int(rate * seconds)):
        t = i / rate
        syllable = max(0.0, math.sin(2 * math.pi * (3.1 + seed % 3 * 0.4) * t)) ** 0.7
        voice = sum(math.sin(2 * math.pi * pitch * k * t) / k for k in (1, 2, 3, 5))
        formant = 0.3 * math.sin(2 * math.pi * (700 + 300 * math.sin(t * 2.3)) * t)
        value = int(5000 * syllable * (voice + formant))
        frames += struct.pack("<h", max(-32767, min(32767, value)))
    with tempfile.TemporaryDirectory() as tmp:
        wav, mp3 = Path(tmp) / "in.wav", Path(tmp) / "out.mp3"
        with wave.open(str(wav), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes(bytes(frames))
        subprocess.run(
            [lame, "--quiet", "-m", "m", "-b", "16", "--tt", "Voicemail", str(wav), str(mp3)],
            check=True,
        )
        return mp3.read_bytes()


# ------------------------------------------------------------------------------------- calendar


def ics(
    uid: str,
    summary: str,
    start: dt.datetime,
    minutes: int,
    organizer: Person,
    attendees: list[str],
    description: str,
    location: str,
) -> str:
    def esc(text: str) -> str:
        return (
            text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")
        )

    def fold(line: str) -> list[str]:
        out, raw = [], line.encode("utf-8")
        while len(raw) > 74:
            cut = 74
            while raw[cut] & 0xC0 == 0x80:
                cut -= 1
            out.append(raw[:cut].decode())
            raw = b" " + raw[cut:]
        return [*out, raw.decode()]

    stamp = "20261102T073000Z"
    fmt = "%Y%m%dT%H%M%S"
    end = start + dt.timedelta(minutes=minutes)
    lines = [
        "BEGIN:VCALENDAR",
        "METHOD:REQUEST",
        "PRODID:Microsoft Exchange Server 2019",
        "VERSION:2.0",
        "BEGIN:VTIMEZONE",
        "TZID:W. Europe Standard Time",
        "BEGIN:STANDARD",
        "DTSTART:16010101T030000",
        "TZOFFSETFROM:+0200",
        "TZOFFSETTO:+0100",
        "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10",
        "END:STANDARD",
        "END:VTIMEZONE",
        "BEGIN:VEVENT",
        f"ORGANIZER;CN={organizer.name}:mailto:{organizer.email}",
        *[
            f"ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:{a}"
            for a in attendees
        ],
        f"DESCRIPTION;LANGUAGE=nl-NL:{esc(description)}",
        f"UID:{uid}",
        f"SUMMARY;LANGUAGE=nl-NL:{esc(summary)}",
        f"DTSTART;TZID=W. Europe Standard Time:{start.strftime(fmt)}",
        f"DTEND;TZID=W. Europe Standard Time:{end.strftime(fmt)}",
        "CLASS:PUBLIC",
        "PRIORITY:5",
        f"DTSTAMP:{stamp}",
        "TRANSP:OPAQUE",
        "STATUS:CONFIRMED",
        "SEQUENCE:0",
        f"LOCATION;LANGUAGE=nl-NL:{esc(location)}",
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        "DESCRIPTION:REMINDER",
        "TRIGGER;RELATED=START:-PT15M",
        "END:VALARM",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(folded for line in lines for folded in fold(line)) + "\r\n"


# ---------------------------------------------------------------------------------- MIME shapes


@dataclass
class Attachment:
    data: bytes
    mime: str
    filename: str


@dataclass
class Body:
    """What the writer typed: paragraphs (a paragraph starting with '|' is a table row)."""

    greeting: str
    paragraphs: list[str]
    closing: str = "Met vriendelijke groet,"
    quoted: list[tuple[str, str, str, list[str]]] = field(
        default_factory=list
    )  # from, to, date, text


def _qp_text(text: str, subtype: str, charset: str = "utf-8") -> MIMEText:
    cs = Charset(charset)
    cs.body_encoding = QP
    return MIMEText(text, subtype, cs, policy=POL)


def _outlook_charset(*texts: str) -> str:
    """Outlook writes us-ascii when it can, else windows-1252 when that holds every character."""
    joined = "".join(texts)
    for charset in ("us-ascii", "windows-1252"):
        try:
            joined.encode(charset)
        except UnicodeEncodeError:
            continue
        return charset
    return "utf-8"


def _b64_text(text: str, subtype: str) -> MIMEText:
    cs = Charset("utf-8")
    cs.body_encoding = BASE64
    return MIMEText(text, subtype, cs, policy=POL)


def _binary(att: Attachment, disposition: str = "attachment", **params: str) -> MIMEBase:
    main, sub = att.mime.split("/")
    part = MIMEBase(main, sub, policy=POL, name=att.filename)
    part.set_payload(att.data)
    encoders.encode_base64(part)
    part.add_header("Content-Disposition", disposition, filename=att.filename, **params)
    return part


def _multipart(subtype: str, parts: list[Message], boundary: str, **params: str) -> MIMEMultipart:
    return MIMEMultipart(subtype, boundary=boundary, _subparts=parts, policy=POL, **params)


def disclaimer(person: Person) -> str:
    """The organisation's full footer (KvK) for most; some mailboxes still have the short one."""
    return SHORT_DISCLAIMER if zlib.crc32(person.email.encode()) % 3 == 0 else DISCLAIMER


def signature_lines(person: Person) -> list[str]:
    org = "Veilig Thuis Utrecht" if person.domain == "veiligthuisutrecht.nl" else ORG
    return [
        person.name,
        person.role,
        org,
        f"T {ORG_PHONE} | M {person.phone}",
        ORG_ADDRESS,
        "www.samen-veilig.nl"
        if org == ORG
        else f"www.veiligthuisutrecht.nl | Advies of melden: {VT_PHONE}",
    ]


def plain_text(body: Body, person: Person, *, marker: str = "", dashes: bool = False) -> str:
    """The text a client writes: paragraphs, closing, signature, quoted history."""
    out = [body.greeting, ""] if body.greeting else []
    for para in body.paragraphs:
        if para.startswith("|"):
            out.append(" | ".join(c.strip() for c in para.strip("|").split("|")))
        else:
            out += [para, ""]
    if body.closing:
        out += ["", body.closing, ""] if not dashes else ["", body.closing, "", "-- "]
    out += signature_lines(person)
    if marker:
        out.append(marker)
    out += ["", disclaimer(person)]
    for sender, to, date, text in body.quoted:
        out += (
            ["", f"Op {date} schreef {sender}:"]
            if dashes
            else [
                "",
                "-----Oorspronkelijk bericht-----" if not marker else "",
                f"Van: {sender}",
                f"Verzonden: {date}",
                f"Aan: {to}",
                "",
            ]
        )
        out += [(f"> {line}" if dashes else line) for line in text]
    return "\r\n".join(out) + "\r\n"


def _html_paragraphs(body: Body, p: Callable[[str], str]) -> list[str]:
    html: list[str] = [p(escape(body.greeting))] if body.greeting else []
    rows = []
    for para in body.paragraphs:
        if para.startswith("|"):
            cells = "".join(
                f"<td style='padding:2px 8px;border:1px solid #ccc'>{escape(c.strip())}</td>"
                for c in para.strip("|").split("|")
            )
            rows.append(f"<tr>{cells}</tr>")
            continue
        if rows:
            html.append("<table style='border-collapse:collapse'>" + "".join(rows) + "</table>")
            rows = []
        html += [p(escape(para)), p("&nbsp;")]
    if rows:
        html.append("<table style='border-collapse:collapse'>" + "".join(rows) + "</table>")
    return html


OUTLOOK_HEAD = """<html xmlns:v="urn:schemas-microsoft-com:vml" \
xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:w="urn:schemas-microsoft-com:office:word" \
xmlns:m="http://schemas.microsoft.com/office/2004/12/omml" xmlns="http://www.w3.org/TR/REC-html40">
<head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta name="Generator" content="Microsoft Word 15 (filtered medium)">
<!--[if !mso]><style>v\\:* {behavior:url(#default#VML);}
o\\:* {behavior:url(#default#VML);}
</style><![endif]--><style><!--
@font-face {font-family:"Cambria Math"; panose-1:2 4 5 3 5 4 6 3 2 4;}
@font-face {font-family:Aptos;}
p.MsoNormal, li.MsoNormal, div.MsoNormal {margin:0cm; font-size:11.0pt; font-family:"Aptos",sans-serif;}
a:link, span.MsoHyperlink {mso-style-priority:99; color:#467886; text-decoration:underline;}
span.E-mailStijl18 {mso-style-type:personal-reply; font-family:"Aptos",sans-serif; color:windowtext;}
.MsoChpDefault {mso-style-type:export-only; font-size:10.0pt;}
@page WordSection1 {size:612.0pt 792.0pt; margin:72.0pt 72.0pt 72.0pt 72.0pt;}
div.WordSection1 {page:WordSection1;}
--></style><!--[if gte mso 9]><xml>
<o:shapedefaults v:ext="edit" spidmax="1026" />
</xml><![endif]--></head>
<body lang="NL" link="#467886" vlink="#96607D" style="word-wrap:break-word">
<div class="WordSection1">
"""


def outlook_html(body: Body, person: Person, logo_cid: str | None, inline_cids: list[str]) -> str:
    def p(text: str) -> str:
        return f'<p class="MsoNormal">{text}<o:p></o:p></p>'

    html = [OUTLOOK_HEAD, *_html_paragraphs(body, p)]
    for cid in inline_cids:
        html.append(
            p(
                f'<img width="640" height="400" style="width:6.6666in;height:4.1666in" '
                f'id="Afbeelding_x0020_2" src="cid:{cid}">'
            )
        )
    html.append(p(escape(body.closing)) + p("&nbsp;"))
    sig = signature_lines(person)
    html.append(p(f'<b><span style="font-size:10.0pt;color:#00607A">{escape(sig[0])}</span></b>'))
    for line in sig[1:]:
        html.append(p(f'<span style="font-size:9.0pt;color:#595959">{escape(line)}</span>'))
    if logo_cid:
        html.append(
            p(
                f'<img width="180" height="54" style="width:1.875in;height:.5625in" '
                f'id="Afbeelding_x0020_1" src="cid:{logo_cid}" alt="{escape(ORG)}">'
            )
        )
    html.append(
        p(f'<span style="font-size:7.0pt;color:#808080">{escape(disclaimer(person))}</span>')
    )
    for sender, to, date, text in body.quoted:
        html.append(
            '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">'
            + p(
                f"<b>Van:</b> {escape(sender)}<br><b>Verzonden:</b> {escape(date)}<br>"
                f"<b>Aan:</b> {escape(to)}"
            )
            + "</div>"
        )
        html += [p(escape(line) or "&nbsp;") for line in text]
    html.append("</div>\n</body>\n</html>\n")
    return "\n".join(html)


def simple_html(body: Body, person: Person, logo_cid: str | None, *, gmail: bool = False) -> str:
    def p(text: str) -> str:
        return f"<div>{text}</div>"

    html = [
        '<div dir="ltr">'
        if gmail
        else '<html><head><meta http-equiv="content-type" '
        'content="text/html; charset=utf-8"></head><body style="overflow-wrap: break-word;">'
    ]
    html += _html_paragraphs(body, p)
    html.append(p(escape(body.closing)))
    sig = "<br>".join(escape(line) for line in signature_lines(person))
    img = f'<img src="cid:{logo_cid}" width="180" height="54" alt="logo">' if logo_cid else ""
    if gmail:
        html.append(
            f'<div><br></div><span class="gmail_signature_prefix">-- </span><br>'
            f'<div dir="ltr" class="gmail_signature" data-smartmail="gmail_signature">'
            f'<div dir="ltr">{sig}<br>{img}</div></div></div>'
        )
    else:
        html.append(f"<div><br></div><div>{sig}</div><div>{img}</div>")
    html.append(f'<div style="font-size:8pt;color:#888">{escape(disclaimer(person))}</div>')
    for sender, _to, date, text in body.quoted:
        quote = "<br>".join(escape(line) for line in text)
        cls = "gmail_quote" if gmail else "AppleOriginalContents"
        html.append(
            f'<div class="{cls}"><div>Op {escape(date)} schreef {escape(sender)}:</div>'
            f'<blockquote style="margin:0 0 0 .8ex;border-left:1px #ccc solid;'
            f'padding-left:1ex">{quote}</blockquote></div>'
        )
    html.append("</div>" if gmail else "</body></html>")
    return "\n".join(html) + "\n"


def html_to_text(html: str) -> str:
    text = re.sub(r"<(br|/p|/div|/tr)[^>]*>", "\n", html)
    text = re.sub(r"<[^>]+>", "", text)
    return re.sub(r"\n{3,}", "\n\n", text.replace("&nbsp;", " ")).strip() + "\n"


@dataclass
class Mail:
    """One generated message and its label."""

    name: str
    sender: str
    to: list[str]
    subject: str
    root: Message
    category: str
    kind: str
    detectors: list[str]
    where: list[str]
    local: bool = False
    cc: list[str] = field(default_factory=list)
    sender_name: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    note: str = ""


def build(
    shape: str,
    key: str,
    person: Person,
    body: Body,
    attachments: list[Attachment] = (),  # type: ignore[assignment]
    *,
    logo_png: bytes | None = None,
    inline_images: list[Attachment] = (),  # type: ignore[assignment]
    ics_text: str | None = None,
) -> tuple[Message, dict[str, str]]:
    """The MIME tree each client builds for the same typed mail, plus the client's headers."""
    h = stable_hex(key)
    b = iter(range(10))

    def boundary() -> str:
        n = next(b)
        if shape == "outlook":
            return f"_00{n}_AM0PR04MB{h[:4].upper()}{n}EURP_"
        if shape == "apple":
            return f"Apple-Mail={h[:8].upper()}-{h[8:12].upper()}-{n}"
        if shape == "gmail":
            return f"000000000000{h[:10]}{n:02d}"
        return f"------------{h[:12]}{n}"

    headers: dict[str, str] = {}
    if shape == "outlook":
        cid = f"image001.png@01DB{h[:4].upper()}.{h[4:12].upper()}" if logo_png else None
        image_cids = [
            f"image00{i + 2}.png@01DB{h[:4].upper()}.{h[4:12].upper()}"
            for i in range(len(inline_images))
        ]
        html = outlook_html(body, person, cid, image_cids)
        text = plain_text(body, person, marker=f"[cid:{cid}]" if cid else "")
        cs = _outlook_charset(text, html)
        alt = _multipart(
            "alternative", [_qp_text(text, "plain", cs), _qp_text(html, "html", cs)], boundary()
        )
        related_parts: list[Message] = [alt]
        if logo_png and cid:
            img = _binary(
                Attachment(logo_png, "image/png", "image001.png"),
                "inline",
                size=str(len(logo_png)),
                **{
                    "creation-date": "Mon, 02 Nov 2026 07:30:00 GMT",
                    "modification-date": "Mon, 02 Nov 2026 07:30:00 GMT",
                },
            )
            img["Content-ID"] = f"<{cid}>"
            img["Content-Description"] = "image001.png"
            related_parts.append(img)
        for i, att in enumerate(inline_images):
            img = _binary(att, "inline", size=str(len(att.data)))
            img["Content-ID"] = f"<{image_cids[i]}>"
            related_parts.append(img)
        root: Message = (
            _multipart("related", related_parts, boundary(), type="multipart/alternative")
            if len(related_parts) > 1
            else alt
        )
        if ics_text:
            cal = _qp_text(ics_text, "calendar")
            cal.set_param("method", "REQUEST")
            root = _multipart(
                "alternative",
                [_qp_text(text, "plain", cs), _qp_text(html, "html", cs), cal],
                boundary(),
            )
        if attachments:
            root = _multipart("mixed", [root, *[_binary(a) for a in attachments]], boundary())
        headers = {
            "Thread-Topic": "",
            "Thread-Index": "AQHb" + stable_hex(key, "ti", n=20),
            "Accept-Language": "nl-NL, en-US",
            "Content-Language": "nl-NL",
            "X-MS-Has-Attach": "yes" if attachments or logo_png else "",
            "X-MS-TNEF-Correlator": "",
        }
    elif shape == "apple":
        cid = (
            f"{h[:8].upper()}-{h[8:12].upper()}-4C2B-9E1F-{h[12:16].upper()}0A1B2C3D"
            if logo_png
            else None
        )
        html = simple_html(body, person, cid)
        text = plain_text(body, person)
        parts: list[Message] = []
        if logo_png and cid:
            head, tail = html.split(f'<div><img src="cid:{cid}"', 1)
            img = _binary(Attachment(logo_png, "image/png", "SVMN-logo.png"), "inline")
            img.set_param("x-unix-mode", "0644")
            img["Content-Id"] = f"<{cid}>"
            parts = [
                _qp_text(head + "</body></html>\n", "html"),
                img,
                _qp_text('<html><head></head><body><div><img src="cid:' + cid + '"' + tail, "html"),
            ]
        else:
            parts = [_qp_text(html, "html")]
        for att in inline_images:
            parts.append(_binary(att, "inline"))
        for att in attachments:
            part = _binary(att, "attachment")
            parts.append(part)
        inner: Message = _multipart("mixed", parts, boundary()) if len(parts) > 1 else parts[0]
        root = _multipart("alternative", [_qp_text(text, "plain"), inner], boundary())
        if ics_text:
            root = _multipart(
                "mixed",
                [root, _binary(Attachment(ics_text.encode(), "text/calendar", "invite.ics"))],
                boundary(),
            )
        headers = {"X-Mailer": "Apple Mail (2.3826.300.87.4.3)"}
    elif shape == "gmail":
        cid = f"ii_m{h[:9]}" if logo_png else None
        html = simple_html(body, person, cid, gmail=True)
        text = plain_text(body, person, dashes=True)
        alt = _multipart(
            "alternative", [_qp_text(text, "plain"), _qp_text(html, "html")], boundary()
        )
        root = alt
        if logo_png and cid:
            img = _binary(Attachment(logo_png, "image/png", "logo-svmn.png"), "inline")
            img["Content-ID"] = f"<{cid}>"
            img["X-Attachment-Id"] = cid
            icons = []
            for letter, color in (("in", "#0a66c2"), ("X", "#111111")):
                icid = f"ii_m{stable_hex(key, letter, n=9)}"
                ic = _binary(
                    Attachment(icon(letter[0].upper(), color), "image/png", f"{letter}.png"),
                    "inline",
                )
                ic["Content-ID"] = f"<{icid}>"
                ic["X-Attachment-Id"] = icid
                icons.append(ic)
            root = _multipart("related", [alt, img, *icons], boundary())
        if inline_images or attachments or ics_text:
            extra = [_binary(a) for a in [*inline_images, *attachments]]
            if ics_text:
                extra.append(
                    _binary(Attachment(ics_text.encode(), "application/ics", "invite.ics"))
                )
            root = _multipart("mixed", [root, *extra], boundary())
    else:  # plain text: case tool, phone exchange, Thunderbird
        text = (
            plain_text(body, person, dashes=True)
            if shape == "thunderbird"
            else "\r\n".join([body.greeting, "", *body.paragraphs]).strip() + "\r\n"
        )
        root = _qp_text(text, "plain") if shape == "thunderbird" else _b64_text(text, "plain")
        if shape == "thunderbird":
            root.set_param("format", "flowed")
            headers = {"User-Agent": "Mozilla Thunderbird"}
        if attachments:
            root = _multipart("mixed", [root, *[_binary(a) for a in attachments]], boundary())
    return root, headers


def finish(mail: Mail, n: int) -> bytes:
    """Top-level headers, in the order clients write them, then the bytes."""
    msg = mail.root
    date = BASE_DATE + dt.timedelta(minutes=37 * n)
    if date.weekday() >= 5:
        date += dt.timedelta(days=7 - date.weekday())
    top = [
        ("From", f"{mail.sender_name} <{mail.sender}>" if mail.sender_name else mail.sender),
        ("To", ", ".join(mail.to)),
    ]
    if mail.cc:
        top.append(("Cc", ", ".join(mail.cc)))
    top += [
        ("Subject", mail.subject),
        ("Date", format_datetime(date)),
        ("Message-ID", f"<{stable_hex(mail.name, n=24)}@{mail.sender.split('@')[1]}>"),
    ]
    for k, v in mail.headers.items():
        top.append((k, mail.subject if k == "Thread-Topic" else v))
    for part in msg.walk():  # email.mime stamps every part; clients write it once, on top
        del part["MIME-Version"]
    existing = list(msg.items())
    for k in list(msg.keys()):
        del msg[k]
    for k, v in [*top, ("MIME-Version", "1.0"), *existing]:
        if v != "" or k.startswith("X-MS"):
            msg[k] = v
    return msg.as_bytes(policy=POL)


# ===================================================================== the messages, by category

Builder = Callable[[Faker, int, str], Mail]
CATEGORIES: list[tuple[str, int, Builder]] = []


def category(name: str, count: int) -> Callable[[Builder], Builder]:
    def register(fn: Builder) -> Builder:
        CATEGORIES.append((name, count, fn))
        return fn

    return register


SHAPES = ("outlook", "outlook", "apple", "gmail", "outlook", "thunderbird")


def shape_of(i: int) -> str:
    return SHAPES[i % len(SHAPES)]


def logo_for(person: Person) -> bytes:
    if person.domain == "veiligthuisutrecht.nl":
        return logo("Veilig Thuis", "Utrecht", "#c0392b")
    return logo()


def mail_from(
    fake: Faker,
    i: int,
    name: str,
    *,
    person: Person,
    to: list[str],
    subject: str,
    body: Body,
    category_: str,
    kind: str = "ordinary",
    detectors: list[str] | None = None,
    where: list[str] | None = None,
    attachments: list[Attachment] | None = None,
    inline_images: list[Attachment] | None = None,
    ics_text: str | None = None,
    shape: str | None = None,
    with_logo: bool = True,
    cc: list[str] | None = None,
    note: str = "",
) -> Mail:
    shape = shape or shape_of(i)
    root, headers = build(
        shape,
        name,
        person,
        body,
        attachments or [],
        logo_png=logo_for(person) if with_logo and shape in ("outlook", "apple", "gmail") else None,
        inline_images=inline_images or [],
        ics_text=ics_text,
    )
    return Mail(
        name,
        person.email,
        to,
        subject,
        root,
        category_,
        kind,
        detectors or [],
        where or [],
        cc=cc or [],
        sender_name=person.name,
        headers=headers,
        note=note or f"{shape} mail",
    )


def worker(fake: Faker) -> Person:
    return make_person(fake, ROLES)


def staff(fake: Faker) -> Person:
    return make_person(fake, STAFF_ROLES)


def when(fake: Faker) -> dt.datetime:
    day = dt.date(2026, 11, 9) + dt.timedelta(days=fake.random_int(0, 30))
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(fake.random_int(9, 15), 30 * fake.random_int(0, 1)))


def elf(fake: Faker, digits: int = 9) -> str:
    """A random number that passes the 11-proef: what tickets, bookings and IDs look like."""
    return first_elf(fake.random_int(10 ** (digits - 1), 10**digits - 200), digits)


# ------------------------------------------------------------------------------- ordinary mail


@category("meeting_planning", 12)
def meeting_planning(fake: Faker, i: int, name: str) -> Mail:
    me = worker(fake)
    kind = ["school", "gp", "gemeente", "hospital", "ggd", "police"][i % 6]
    them, addr = external_person(fake, kind)
    slot1, slot2 = when(fake), when(fake)
    topics = [
        "de samenwerkingsafspraken rond de Meldcode voor het nieuwe schooljaar",
        "het regionale casusoverleg: hoe we de werkwijze kunnen verbeteren",
        "de evaluatie van het convenant Zorg en Veiligheid",
        "een kennismaking met ons nieuwe team Jeugdbescherming",
        "de voorlichting over huiselijk geweld voor jullie medewerkers",
        "de planning van de scholingsmiddag over kindermishandeling",
    ]
    body = Body(
        f"Beste {them.split()[0]},",
        [
            f"Graag plan ik een overleg met je over {topics[i % len(topics)]}.",
            f"Zou {nl_long_date(slot1)} om {slot1:%H:%M} uur of {nl_long_date(slot2)} om "
            f"{slot2:%H:%M} uur je schikken? We kunnen afspreken op ons kantoor aan de "
            f"{ORG_ADDRESS} of via Teams.",
            "Laat maar weten wat je voorkeur heeft, dan stuur ik een uitnodiging.",
        ],
    )
    return mail_from(
        fake,
        i,
        name,
        person=me,
        to=[addr],
        subject="Overleg plannen",
        body=body,
        category_="meeting_planning",
    )


def teams_block(fake: Faker) -> tuple[str, str]:
    conf = elf(fake)
    meeting = f"{fake.random_int(100, 999)} {fake.random_int(100, 999)} {fake.random_int(100, 999)} {fake.random_int(100, 999)}"
    text = (
        "________________________________________________________________________________\n"
        "Microsoft Teams Hulp nodig?\n"
        "Nu deelnemen aan de vergadering\n"
        f"Vergadering-ID: {meeting}\n"
        f"Wachtwoord: {fake.lexify('??????').capitalize()}{fake.random_int(1, 9)}\n"
        "________________________________\n"
        "Inbellen via telefoon\n"
        "+31 20 794 8520,,{0}#   Netherlands, Amsterdam\n"
        f"Telefonische vergaderings-ID: {conf[:3]} {conf[3:6]} {conf[6:]}#\n"
        "Lokaal nummer zoeken | Pincode opnieuw instellen\n"
        "Voor organisatoren: Vergaderopties\n"
        "________________________________________________________________________________"
    ).replace("{0}", conf)
    return text, conf


@category("teams_invite", 7)
def teams_invite(fake: Faker, i: int, name: str) -> Mail:
    me = make_person(fake, ROLES + STAFF_ROLES)
    kind = ["gemeente", "school", "gp", "ggd", "hospital", "police", "gemeente"][i]
    them, addr = external_person(fake, kind)
    start = when(fake)
    summary = [
        "Casusoverleg (werkwijze) regio Utrecht-Oost",
        "Afstemming Veilig Thuis en wijkteams",
        "Voorbereiding convenant",
        "Overleg jeugdbescherming en onderwijs",
        "Evaluatie pilot meldingen",
        "Kwartaaloverleg",
        "Stuurgroep Zorg en Veiligheid",
    ][i]
    teams, _ = teams_block(fake)
    desc = f"Hallo {them.split()[0]},\n\nHierbij de uitnodiging voor het overleg.\n\n{teams}"
    cal = ics(
        f"040000008200E00074C5B7101A82E008000000{stable_hex(name, n=32).upper()}",
        summary,
        start,
        60,
        me,
        [addr],
        desc,
        "Microsoft Teams-vergadering",
    )
    body = Body("", [desc])
    body.closing = ""
    m = mail_from(
        fake,
        i,
        name,
        person=me,
        to=[addr],
        subject=summary,
        body=body,
        category_="teams_invite",
        ics_text=cal,
        shape="outlook",
        with_logo=False,
        note="Teams invitation, .ics with dial-in conference ID passing the 11-proef",
    )
    return m


@category("zoom_invite", 4)
def zoom_invite(fake: Faker, i: int, name: str) -> Mail:
    me = make_person(fake, ROLES + STAFF_ROLES)
    them, addr = external_person(fake, ["elearning", "gemeente", "hospital", "school"][i])
    zoom_id = elf(fake)
    start = when(fake)
    body = Body(
        f"Beste {them.split()[0]},",
        [
            f"{me.name} nodigt u uit voor een geplande Zoom-vergadering.",
            "Onderwerp: Intervisie aandachtsfunctionarissen",
            f"Tijd: {nl_long_date(start)} {start:%H:%M} Amsterdam",
            f"Deelnemen aan Zoom-vergadering: https://zoom.us/j/{zoom_id}?pwd={stable_hex(name, n=22)}",
            f"Meeting-ID: {zoom_id[:3]} {zoom_id[3:6]} {zoom_id[6:]}",
            f"Toegangscode: {fake.random_int(100000, 999999)}",
            f"Snel mobiel inbellen: +31207947375,,{zoom_id}# Nederland",
        ],
    )
    return mail_from(
        fake,
        i,
        name,
        person=me,
        to=[addr],
        subject="Uitnodiging Zoom-vergadering",
        body=body,
        category_="zoom_invite",
        note="Zoom meeting ID passing the 11-proef",
    )


@category("invoice", 8)
def invoice(fake: Faker, i: int, name: str) -> Mail:
    me = Person("Financiële", "Administratie", "Debiteurenadministratie")
    _them, addr = external_person(fake, ["gemeente", "school", "ggd", "hospital"][i % 4])
    number = f"2026{fake.random_int(10000, 99999)}"
    debtor = elf(fake)
    amount = f"{fake.random_int(450, 24000)},{fake.random_int(10, 99)}"
    lines = [
        f"Factuurnummer: {number}",
        "Factuurdatum: 02-11-2026",
        f"Debiteurnummer: {debtor}",
        f"Uw kenmerk: {elf(fake)}",
        f"Contractdossier: JB-{fake.random_int(1000, 9999)}",
        "",
        "## Omschrijving",
        "Training Meldcode huiselijk geweld en kindermishandeling (2 dagdelen)",
        f"Totaal te betalen: EUR {amount} (vrijgesteld van btw)",
        "",
        f"Gelieve binnen 30 dagen over te maken op {ORG_IBAN} t.n.v. {ORG}",
        f"onder vermelding van factuurnummer {number}.",
    ]
    pdf = fpdf_doc("Factuur", lines)
    body = Body(
        "Geachte heer/mevrouw,",
        [
            f"In de bijlage vindt u factuur {number} voor de geleverde training.",
            f"Wij verzoeken u het bedrag van EUR {amount} binnen 30 dagen over te maken op "
            f"rekeningnummer {ORG_IBAN} ten name van {ORG}, onder vermelding van het "
            f"factuurnummer en uw debiteurnummer {debtor}.",
            f"KvK {ORG_KVK} | BTW {ORG_BTW}",
        ],
    )
    m = mail_from(
        fake,
        i,
        name,
        person=me,
        to=[addr],
        subject=f"Factuur {number}",
        body=body,
        category_="invoice",
        attachments=[Attachment(pdf, "application/pdf", f"Factuur_{number}.pdf")],
        note="invoice, fpdf2 PDF, KvK/BTW/IBAN of the organisation",
    )
    m.sender, m.sender_name = "debiteuren@samen-veilig.nl", "Debiteurenadministratie SVMN"
    return m


@category("supplier_ticket", 8)
def supplier_ticket(fake: Faker, i: int, name: str) -> Mail:
    me = make_person(fake, ["Medewerker Servicedesk ICT", "Medewerker Facilitair Bedrijf"])
    them, addr = external_person(fake, ["it", "landlord", "office", "it"][i % 4])
    ticket = "123456782" if i == 0 else elf(fake)
    issues = [
        "de printer op de tweede verdieping geeft steeds een papierstoring",
        "de lift aan de Catharijnesingel staat weer stil",
        "een aantal laptops krijgt de update van het dossierbeheersysteem niet binnen",
        "de toegangspas van een nieuwe medewerker werkt niet",
        "de melding over de storing in het telefoonsysteem is nog niet opgelost",
        "het koffieapparaat in de kantine lekt",
        "de VPN-verbinding valt 's middags regelmatig weg",
        "de airco in vergaderzaal 3 maakt veel lawaai",
    ]
    label = [
        "Uw melding",
        "Ticketnummer:",
        "Incident",
        "Meldingnummer",
        "Uw melding",
        "Ticket #",
        "Referentie",
        "Storingsnummer",
    ][i]
    body = Body(
        "Beste servicedesk,",
        [
            f"{label} {ticket}",
            f"Graag vraag ik nogmaals aandacht voor deze melding: {issues[i]}.",
            f"Klantnummer {ORG}: {elf(fake)}. Locatie: {ORG_ADDRESS}, contactpersoon {me.name}.",
            "Kunnen jullie aangeven wanneer er een monteur langskomt?",
        ],
        quoted=[
            (
                f"{them} <{addr}>",
                me.email,
                nl_long_date(dt.date(2026, 10, 29)),
                [
                    "Beste klant,",
                    f"Wij hebben uw melding in goede orde ontvangen onder nummer {ticket}.",
                    "Wij nemen binnen 2 werkdagen contact met u op.",
                    "Met vriendelijke groet, Servicedesk",
                ],
            )
        ],
    )
    return mail_from(
        fake,
        i,
        name,
        person=me,
        to=[addr],
        subject=f"RE: [{label.strip(':#')} {ticket}] {issues[i][:40]}",
        body=body,
        category_="supplier_ticket",
        note="supplier ticket numbers passing the 11-proef next to 'melding'",
    )


@category("booking_confirmation", 6)
def booking_confirmation(fake: Faker, i: int, name: str) -> Mail:
    me = make_person(fake, ["Managementassistent", "Opleidingsadviseur"])
    them, addr = external_person(fake, "hotel")
    booking = elf(fake)
    start = when(fake)
    body = Body(
        f"Beste {them.split()[0]},",
        [
            "Hartelijk dank voor de bevestiging. Ter controle nog de gegevens:",
            f"| Reserveringsnummer | {booking} |",
            f"| Datum | {nl_long_date(start)} |",
            "| Zaal | Zaal Kromme Rijn (U-opstelling, 24 personen) |",
            f"| Facturatie | {ORG}, {ORG_POSTBUS} |",
            f"| Inkoopordernummer | 4500{fake.random_int(100000, 999999)} |",
            "Wij nemen graag ook de lunch af. Het dagprogramma (thema: jeugdbescherming en "
            "veiligheid) sturen we uiterlijk een week van tevoren.",
        ],
    )
    return mail_from(
        fake,
        i,
        name,
        person=me,
        to=[addr],
        subject=f"Bevestiging reservering {booking}",
        body=body,
        category_="booking_confirmation",
        note="booking number, 11-proef, table",
    )


NEWS_IMG = "https://cdn.samen-veilig.nl/nieuwsbrief/2026-11/"


@category("newsletter", 5)
def newsletter(fake: Faker, i: int, name: str) -> Mail:
    _them, addr = external_person(fake, ["gemeente", "school", "gp", "ggd", "police"][i])
    items = [
        (
            "Week tegen Kindermishandeling",
            "Van 16 tot en met 22 november organiseren we "
            "bijeenkomsten in de hele regio. Het aantal meldingen bij Veilig Thuis Utrecht steeg in "
            "2025 met 8 procent; huiselijk geweld blijft vaak lang onzichtbaar.",
        ),
        (
            "Nieuwe werkwijze jeugdbescherming",
            "Vanaf 1 januari 2027 werken de gezinsvoogden in "
            "vaste wijkteams. Elke cliënt houdt zo één aanspreekpunt.",
        ),
        (
            "Webinar Meldcode",
            f"Op {nl_long_date(dt.date(2026, 12, 3))} van 15.00 tot 16.30 uur: "
            "wat doet u bij een vermoeden van kindermishandeling? Aanmelden via de website.",
        ),
        ("Vacatures", "We zoeken gezinsvoogden en medewerkers Veilig Thuis. Bekijk de vacatures."),
    ]
    html = [
        "<html><body style='font-family:Arial'><table width='600' align='center'>",
        f"<tr><td><img src='{NEWS_IMG}header.png' width='600' alt='Nieuwsbrief {ORG}'></td></tr>",
    ]
    text = [f"Nieuwsbrief {ORG} - november 2026", ""]
    for j, (title, para) in enumerate(items):
        html.append(
            f"<tr><td><h2>{escape(title)}</h2><img src='{NEWS_IMG}item{j}.jpg' width='560'>"
            f"<p>{escape(para)}</p><a href='https://www.samen-veilig.nl/nieuws/{j}'>Lees meer</a></td></tr>"
        )
        text += [title, para, f"Lees meer: https://www.samen-veilig.nl/nieuws/{j}", ""]
    footer = (
        f"{ORG} | {ORG_ADDRESS} | KvK {ORG_KVK} | IBAN {ORG_IBAN}. U ontvangt deze "
        f"nieuwsbrief omdat u zich heeft aangemeld met {addr}."
    )
    html.append(
        f"<tr><td style='font-size:10px'>{escape(footer)} <a href='https://nieuwsbrief."
        f"samen-veilig.nl/afmelden?id={stable_hex(name)}'>Afmelden</a></td></tr></table></body></html>"
    )
    text += [
        footer,
        f"Afmelden: https://nieuwsbrief.samen-veilig.nl/afmelden?id={stable_hex(name)}",
    ]
    h = stable_hex(name)
    root = _multipart(
        "alternative",
        [_qp_text("\r\n".join(text) + "\r\n", "plain"), _qp_text("\n".join(html) + "\n", "html")],
        f"_----------=_MCPart_{h}",
    )
    return Mail(
        name,
        "nieuwsbrief@samen-veilig.nl",
        [addr],
        "Nieuwsbrief november: Week tegen Kindermishandeling",
        root,
        "newsletter",
        "ordinary",
        [],
        [],
        sender_name=ORG,
        headers={
            "List-Unsubscribe": f"<https://nieuwsbrief.samen-veilig.nl/afmelden?id={h}>",
            "Precedence": "bulk",
            "X-Mailer": "MailChimp Mailer - **CID" + h[:10] + "**",
        },
        note="newsletter: case words, statistics, KvK/IBAN footer, remote images",
    )


@category("hr_facility", 8)
def hr_facility(fake: Faker, i: int, name: str) -> Mail:
    me = make_person(fake, ["HR-adviseur", "Medewerker Facilitair Bedrijf", "Inkoper"])
    kind = [
        "recruit",
        "landlord",
        "recruit",
        "office",
        "landlord",
        "recruit",
        "office",
        "landlord",
    ][i]
    them, addr = external_person(fake, kind)
    texts = [
        (
            "Vacature Gezinsvoogd (32-36 uur)",
            [
                "Hierbij de vacaturetekst voor de functie Gezinsvoogd. Als gezinsvoogd begeleid je "
                "gezinnen bij een ondertoezichtstelling of na een uithuisplaatsing.",
                "Salaris: schaal 9 cao Jeugdzorg (max. EUR 5.088 bruto). Reageren voor 1 december.",
                f"Vacaturenummer: {elf(fake)}",
            ],
        ),
        (
            "Storingsmelding toegangsdeur",
            [
                f"Meldingnummer {elf(fake)}: de toegangsdeur aan de achterzijde sluit niet meer.",
                "Dit is voor ons een veiligheidsrisico, omdat cliënten en bezoekers via de voordeur "
                "moeten binnenkomen. Graag zo snel mogelijk een monteur.",
            ],
        ),
        (
            "Referentiecheck",
            [
                "Dank voor de kandidaten die u voorstelde voor de functie Medewerker Veilig Thuis.",
                "Met twee kandidaten plannen we een tweede gesprek in week 48.",
            ],
        ),
        (
            "Bestelling kantoorartikelen",
            [
                f"Klantnummer: {elf(fake)}",
                "Graag bestellen we 20 dozen A4-papier, 10 dossiermappen (art. 44021) en 5 archiefdozen.",
                f"Afleveradres: {ORG_ADDRESS}, t.a.v. Facilitair Bedrijf.",
            ],
        ),
        (
            "Parkeervergunningen 2027",
            [
                "Voor 2027 vragen we 14 parkeervergunningen aan voor de garage aan de Catharijnesingel.",
                f"Ons huurcontractnummer is {elf(fake)}; factuur graag naar {ORG_POSTBUS}.",
            ],
        ),
        (
            "Introductieprogramma nieuwe medewerkers",
            [
                "Voor de vijf nieuwe gezinsvoogden zoeken we een trainer voor de module "
                "'Veiligheid in gezinnen'. Kunt u een offerte sturen?"
            ],
        ),
        (
            "Schoonmaakrooster december",
            [
                "In de kerstweek is het kantoor dicht van 24 december tot en met 1 januari. "
                "De schoonmaak kan dan vervallen, behalve de spreekkamers op de begane grond."
            ],
        ),
        (
            "Sleuteloverdracht",
            [
                f"Op {nl_long_date(when(fake))} dragen we de sleutels van het pand in Amersfoort over.",
                "Graag ontvangen we vooraf het opleverrapport.",
            ],
        ),
    ]
    subject, paras = texts[i]
    return mail_from(
        fake,
        i,
        name,
        person=me,
        to=[addr],
        subject=subject,
        body=Body(f"Beste {them.split()[0]},", paras),
        category_="hr_facility",
    )


@category("school_gp_no_client", 10)
def school_gp_no_client(fake: Faker, i: int, name: str) -> Mail:
    me = worker(fake)
    kind = [
        "school",
        "gp",
        "school",
        "gp",
        "hospital",
        "school",
        "ggd",
        "school",
        "gp",
        "gemeente",
    ][i]
    them, addr = external_person(fake, kind)
    texts = [
        [
            "Dank voor het prettige gesprek vanochtend. Zoals beloofd stuur ik de folder over de "
            "Meldcode en het telefoonnummer van Veilig Thuis voor advies: 0800-2000.",
            "Jullie intern begeleider kan altijd anoniem overleggen.",
        ],
        [
            "Graag maak ik een afspraak om kennis te maken met de praktijk. Ik ben sinds kort de "
            "vaste contactpersoon jeugdbescherming voor de huisartsen in Zeist."
        ],
        [
            "Volgende week donderdag geef ik de voorlichting over huiselijk geweld aan het team. "
            "Kunnen jullie een beamer regelen? Ik heb ongeveer een uur nodig."
        ],
        [
            "Ik heb uw vraag over het doorverwijzen doorgezet naar onze aandachtsfunctionaris. "
            "Zij neemt deze week contact met u op."
        ],
        ["Hierbij bevestig ik dat ik morgen aanwezig ben bij het MDO. Ik schuif aan om 14.00 uur."],
        [
            "Wilt u de contactgegevens van de zorgcoördinator sturen? Dan kunnen we de afspraken "
            "over de signaleringsroute vastleggen."
        ],
        [
            "Ons team is per 1 december verhuisd. Ons nieuwe bezoekadres is Catharijnesingel 47 in "
            "Utrecht; telefoonnummers blijven gelijk."
        ],
        [
            "Ik ben de komende twee weken met verlof. Voor dringende zaken kunt u bellen met ons "
            f"algemene nummer {ORG_PHONE}."
        ],
        [
            "Dank voor het toesturen van de verwijsformulieren (blanco). We gebruiken ze in de "
            "scholing voor de praktijkondersteuners."
        ],
        [
            "Zullen we de evaluatie van het wijkteamoverleg verplaatsen naar januari? Het "
            "casusoverleg van december gaat gewoon door."
        ],
    ]
    return mail_from(
        fake,
        i,
        name,
        person=me,
        to=[addr],
        subject=[
            "Folder Meldcode",
            "Kennismaking",
            "Voorlichting huiselijk geweld",
            "Uw vraag",
            "MDO",
            "Signaleringsroute",
            "Verhuizing team",
            "Afwezigheid",
            "Verwijsformulieren",
            "Evaluatie overleg",
        ][i],
        body=Body(f"Beste {them.split()[0]},", texts[i]),
        category_="school_gp_no_client",
        note="care worker's mail with role signature, no client",
    )


@category("elearning_test_bsn", 5)
def elearning_test_bsn(fake: Faker, i: int, name: str) -> Mail:
    me = make_person(fake, ["Opleidingsadviseur", *ROLES])
    them, addr = external_person(fake, "elearning")
    texts = [
        [
            "In de module 'Meldcode stap 1' accepteert het oefenformulier het BSN 111222333 niet, "
            "terwijl de handleiding dit test-BSN noemt. Kunnen jullie dit nakijken?"
        ],
        [
            "In de oefencasus staat 'BSN: 123456782, geboortedatum 01-01-2015, Jan Jansen (fictief)'. "
            "Deelnemers vragen of ze deze voorbeeldgegevens mogen gebruiken bij de toets."
        ],
        [
            "Voor de training registratie in het dossier gebruiken we de testgegevens uit jullie "
            "handleiding (test-BSN 999999990). Graag een bevestiging dat dit de juiste testomgeving is."
        ],
        [
            "Twaalf medewerkers hebben de e-learning Kindermishandeling afgerond. Kunnen jullie de "
            "certificaten naar de teamleiders sturen?"
        ],
        [
            "Bij het invullen van een voorbeeldmelding (BSN 123456782) krijgen cursisten een "
            "foutmelding. Schermafdrukken volgen als dat nodig is."
        ],
    ]
    return mail_from(
        fake,
        i,
        name,
        person=me,
        to=[addr],
        subject="Vraag over e-learning Meldcode",
        body=Body(f"Beste {them.split()[0]},", texts[i]),
        category_="elearning_test_bsn",
        note="well-known test BSNs in a training context",
    )


@category("reply_chain", 8)
def reply_chain(fake: Faker, i: int, name: str) -> Mail:
    me = make_person(fake, ROLES + STAFF_ROLES)
    them, addr = external_person(fake, ["gemeente", "school", "gp", "hospital"][i % 4])
    first = when(fake)
    quoted = [
        (
            f"{them} <{addr}>",
            f"{me.name} <{me.email}>",
            nl_long_date(first.date() - dt.timedelta(days=3)),
            [
                f"Hoi {me.first},",
                "",
                "Past het jullie om het overleg te verplaatsen? Wij hebben die "
                "ochtend de audit van de inspectie.",
                "",
                f"Groet, {them}",
            ],
        ),
        (
            f"{me.name} <{me.email}>",
            f"{them} <{addr}>",
            nl_long_date(first.date() - dt.timedelta(days=5)),
            [
                f"Beste {them.split()[0]},",
                "",
                f"Bij deze de bevestiging van ons overleg op {nl_long_date(first)}.",
                "",
                "Met vriendelijke groet,",
                me.name,
                me.role,
            ],
        ),
    ]
    body = Body(
        f"Hoi {them.split()[0]},",
        [
            f"Geen probleem. Dan schuiven we door naar {nl_long_date(first)} om {first:%H:%M} uur.",
            "Ik pas de uitnodiging aan.",
        ],
        closing="Groet,",
        quoted=quoted,
    )
    return mail_from(
        fake,
        i,
        name,
        person=me,
        to=[addr],
        subject="RE: RE: Overleg verplaatsen",
        body=body,
        category_="reply_chain",
        note="reply chain with quoted history",
    )


@category("screenshot_ordinary", 5)
def screenshot_ordinary(fake: Faker, i: int, name: str) -> Mail:
    me = make_person(fake, ROLES + STAFF_ROLES)
    them, addr = external_person(fake, ["it", "hotel", "gemeente", "it", "elearning"][i])
    if i % 2 == 0:
        rows = [["Tijd", "maandag", "dinsdag", "woensdag", "donderdag"]] + [
            [
                f"{h:02d}:00",
                *[
                    [
                        "Teamoverleg",
                        "Casusoverleg (intern)",
                        "Lunch",
                        "",
                        "Scholing",
                        "Reistijd",
                        "1-op-1",
                    ][(h + d) % 7]
                    for d in range(4)
                ],
            ]
            for h in range(9, 17)
        ]
        img = screenshot("Agenda - week 47", rows, [90, 190, 190, 190, 190], (880, 340))
        subject, para = (
            "Beschikbaarheid week 47",
            "Zie de schermafdruk van mijn agenda; de lege vakken zijn vrij.",
        )
    else:
        rows = [["Kostenplaats", "Omschrijving", "Begroting", "Realisatie"]] + [
            [
                f"{4000 + k * 15}",
                ["Scholing", "Reiskosten", "Huisvesting", "ICT-licenties", "Catering"][k],
                f"{fake.random_int(10, 90)}.{fake.random_int(100, 999)}",
                f"{fake.random_int(10, 90)}.{fake.random_int(100, 999)}",
            ]
            for k in range(5)
        ]
        img = screenshot("Begroting 2027.xlsx - Excel", rows, [150, 220, 160, 160], (720, 260))
        subject, para = (
            "Vraag over licenties",
            "Hieronder een schermafdruk van het overzicht; regel 4 klopt volgens mij niet.",
        )
    att = Attachment(
        png_bytes(img.quantize(32)),
        "image/png",
        "image002.png"
        if shape_of(i) == "outlook"
        else "Schermafbeelding 2026-11-02 om 10.14.22.png",
    )
    body = Body(f"Beste {them.split()[0]},", [para])
    return mail_from(
        fake,
        i,
        name,
        person=me,
        to=[addr],
        subject=subject,
        body=body,
        category_="screenshot_ordinary",
        inline_images=[att],
        note="pasted screenshot (calendar/spreadsheet) without client data",
    )


@category("pdf_flyer", 4)
def pdf_flyer(fake: Faker, i: int, name: str) -> Mail:
    me = make_person(fake, ["Communicatieadviseur", *ROLES])
    them, addr = external_person(fake, ["school", "gp", "gemeente", "ggd"][i])
    pdf = reportlab_text(
        "Week tegen Kindermishandeling 2026",
        [
            "Praat erover. Ook als je twijfelt.",
            "",
            "## Bijeenkomsten",
            "Dinsdag 17 november 2026, 19.30 uur - Bibliotheek Neude, Utrecht",
            "Donderdag 19 november 2026, 15.00 uur - Online webinar Meldcode",
            "",
            "## Advies of melden",
            f"Veilig Thuis Utrecht: {VT_PHONE} (gratis, 24/7)",
            "Twijfel je over een situatie? Een melding doen kan ook anoniem.",
            "Huiselijk geweld en kindermishandeling komen in alle lagen van de samenleving voor.",
        ],
        footer=f"{ORG} · KvK {ORG_KVK} · {ORG_ADDRESS}",
    )
    body = Body(
        f"Beste {them.split()[0]},",
        [
            "In de bijlage de flyer voor de Week tegen "
            "Kindermishandeling. Wilt u deze ophangen of verspreiden?"
        ],
    )
    return mail_from(
        fake,
        i,
        name,
        person=me,
        to=[addr],
        subject="Flyer Week tegen Kindermishandeling",
        body=body,
        category_="pdf_flyer",
        attachments=[Attachment(pdf, "application/pdf", "Flyer_WtK_2026.pdf")],
        note="reportlab PDF flyer, embedded DejaVu",
    )


@category("docx_agenda", 5)
def docx_agenda(fake: Faker, i: int, name: str) -> Mail:
    me = make_person(fake, [*ROLES, "Managementassistent"])
    them, addr = external_person(fake, ["gemeente", "school", "police", "ggd", "hospital"][i])
    start = when(fake)
    doc = docx(
        f"Agenda regio-overleg Zorg en Veiligheid {nl_date(start.date())}",
        [
            f"Locatie: {ORG_ADDRESS}, zaal 2.14",
            "## Agendapunten",
            "1. Opening en vaststellen verslag",
            "2. Cijfers meldingen Veilig Thuis derde kwartaal (presentatie)",
            "3. Werkwijze casusoverleg en privacy: wat delen we wel en niet?",
            "4. Jeugdbescherming: wachttijden en capaciteit",
            "5. Rondvraag en sluiting",
        ],
        table=[
            ["Tijd", "Onderwerp", "Wie"],
            ["09:30", "Opening", "Voorzitter"],
            ["09:45", "Cijfers meldingen", "Veilig Thuis"],
            ["10:30", "Casusoverleg", "Allen"],
        ],
    )
    body = Body(f"Beste {them.split()[0]},", ["Bijgaand de agenda voor het regio-overleg."])
    return mail_from(
        fake,
        i,
        name,
        person=me,
        to=[addr],
        subject="Agenda regio-overleg",
        body=body,
        category_="docx_agenda",
        attachments=[
            Attachment(
                doc,
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "Agenda regio-overleg.docx",
            )
        ],
        note="python-docx agenda",
    )


@category("xlsx_budget", 5)
def xlsx_budget(fake: Faker, i: int, name: str) -> Mail:
    me = make_person(
        fake, ["Financieel administrateur", "Teamleider Jeugdbescherming regio Amersfoort"]
    )
    them, addr = external_person(
        fake, ["accountant", "gemeente", "accountant", "gemeente", "accountant"][i]
    )
    rows: list[list[Any]] = [
        ["Kostenplaats", "Omschrijving", "Grootboek", "Begroting 2027", "Realisatie 2026"]
    ]
    for k, label in enumerate(
        [
            "Personeel jeugdbescherming",
            "Veilig Thuis bereikbaarheid",
            "Huisvesting",
            "ICT en dossierbeheer",
            "Scholing Meldcode",
            "Reiskosten",
        ]
    ):
        rows.append(
            [
                f"KP{410 + k}",
                label,
                elf(fake, 8),
                fake.random_int(40000, 4000000),
                fake.random_int(40000, 4000000),
            ]
        )
    rows.append(["", "Totaal", "", "=SUM(D2:D7)", "=SUM(E2:E7)"])
    data = xlsx(
        {
            "Begroting": rows,
            "Toelichting": [["Opmerking"], [f"Bank: {ORG_IBAN}"], [f"KvK: {ORG_KVK}"]],
        }
    )
    body = Body(
        f"Beste {them.split()[0]},",
        [
            "Hierbij de conceptbegroting 2027 per kostenplaats, "
            "zoals besproken. De cijfers zijn nog niet door het MT vastgesteld."
        ],
    )
    return mail_from(
        fake,
        i,
        name,
        person=me,
        to=[addr],
        subject="Conceptbegroting 2027",
        body=body,
        category_="xlsx_budget",
        attachments=[
            Attachment(
                data,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "Begroting 2027 concept.xlsx",
            )
        ],
        note="openpyxl budget",
    )


# ---------------------------------------------------------------------------------- client data

CASE_NOTES = [
    "Huisbezoek afgelegd. Moeder geeft aan dat de spanningen thuis zijn toegenomen sinds vader "
    "weer in beeld is.",
    "Melding ontvangen van school: {first} kwam met blauwe plekken op de bovenarm.",
    "Ondertoezichtstelling verlengd met twaalf maanden; uithuisplaatsing wordt niet voorgesteld.",
    "Gesprek met {first} op school gevoerd; {first} vertelt bang te zijn voor stiefvader.",
    "Casusoverleg met wijkteam en jeugdarts: veiligheidsplan opgesteld, volgende evaluatie over "
    "zes weken.",
    "Politie meldt huiselijk geweld op het adres; kinderen waren aanwezig.",
    "Crisisplaatsing bij pleeggezin per vandaag; moeder is geïnformeerd.",
]


def notes(fake: Faker, client: Client, k: int = 2) -> list[str]:
    start = fake.random_int(0, len(CASE_NOTES) - 1)
    return [CASE_NOTES[(start + j) % len(CASE_NOTES)].format(first=client.first) for j in range(k)]


def recipients(fake: Faker, i: int, kind: str, pattern: str = "eemie") -> tuple[list[str], str]:
    """To-list by the pattern letter for message i: e(xternal), i(nternal), m(ixed)."""
    code = pattern[i % len(pattern)]
    _, ext = external_person(fake, kind)
    colleague = mailbox(fake.first_name(), fake.last_name(), "samen-veilig.nl")
    if code == "e":
        return [ext], code
    if code == "i":
        return [colleague], code
    return [colleague, ext], code


CASETOOL = Person("CaseNet", "notificaties", "Casusregistratie")


def client_mail(
    name: str,
    sender: str,
    sender_name: str,
    to: list[str],
    subject: str,
    root: Message,
    category_: str,
    detectors: list[str],
    where: list[str],
    local: bool = False,
    note: str = "",
) -> Mail:
    return Mail(
        name,
        sender,
        to,
        subject,
        root,
        category_,
        "client_data",
        detectors,
        where,
        local=local,
        sender_name=sender_name,
        note=note,
    )


BSN_LABELS = ["BSN", "Burgerservicenummer", "BSN-nummer", "bsn", "BSN cliënt", "Sofinummer/BSN"]


def bsn_shown(bsn: str, i: int) -> str:
    """How people and tools write a BSN: plain, dotted 4-2-3, spaced 3-3-3."""
    return [bsn, f"{bsn[:4]}.{bsn[4:6]}.{bsn[6:]}", f"{bsn[:3]} {bsn[3:6]} {bsn[6:]}"][i % 3]


@category("casetool_plain", 10)
def casetool_plain(fake: Faker, i: int, name: str) -> Mail:
    c = make_client(fake)
    to, code = recipients(fake, i, ["hospital", "gemeente", "school", "gp"][i % 4], "eeime")
    lines = [
        f"Dossier {c.case_no} is gewijzigd door een medewerker van team Jeugdbescherming.",
        "",
        f"Cliënt: {c.name}",
        f"{BSN_LABELS[i % len(BSN_LABELS)]}: {bsn_shown(c.bsn, i)}",
        f"Geboortedatum: {nl_date(c.born)}",
        f"Adres: {c.street}, {c.postcode} {c.city}",
        f"Moeder: {c.mother}, tel. {c.phone}",
        "",
        "Laatste notitie:",
        *notes(fake, c),
        "",
        "Dit is een automatisch bericht van CaseNet. U kunt niet op dit bericht reageren.",
    ]
    root = (
        _b64_text("\r\n".join(lines) + "\r\n", "plain")
        if i % 2
        else _qp_text("\r\n".join(lines) + "\r\n", "plain")
    )
    return client_mail(
        name,
        "casenet@samen-veilig.nl",
        "CaseNet notificaties",
        to,
        f"Dossier gewijzigd: {c.case_no}",
        root,
        "casetool_plain",
        ["bsn", "date_of_birth", "case_keywords", "postcode"],
        ["body"],
        local=bool(i % 2),
        note=f"case-tool notification, plain text, recipients {code}",
    )


@category("casetool_html", 6)
def casetool_html(fake: Faker, i: int, name: str) -> Mail:
    c = make_client(fake)
    to, code = recipients(fake, i, ["hospital", "ggd", "school"][i % 3], "eiemee")
    rows = [
        ("Cliënt", c.name),
        ("BSN", bsn_shown(c.bsn, i + 1)),
        ("Geboortedatum", nl_date(c.born)),
        ("Adres", f"{c.street}, {c.postcode} {c.city}"),
        ("Zaaknummer", c.case_no),
        ("Maatregel", "Ondertoezichtstelling (OTS)"),
    ]
    table = "".join(
        f"<tr><td style='color:#666;padding:4px'>{escape(k)}</td>"
        f"<td style='padding:4px'><b>{escape(v)}</b></td></tr>"
        for k, v in rows
    )
    note = " ".join(notes(fake, c))
    html = (
        f"<!DOCTYPE html><html><body style='font-family:Segoe UI,Arial'>"
        f"<h3 style='color:#00607a'>Nieuwe taak in CaseNet</h3><p>Er is een taak aan u toegewezen.</p>"
        f"<table>{table}</table><p><i>{escape(note)}</i></p>"
        f"<p style='font-size:11px;color:#999'>Automatisch bericht - {escape(ORG)}</p></body></html>\n"
    )
    h = stable_hex(name)
    root: Message = _qp_text(html, "html")
    if i % 2 == 0:
        root = _multipart(
            "alternative", [_qp_text(html_to_text(html), "plain"), root], f"=_casenet_{h}"
        )
    return client_mail(
        name,
        "casenet@samen-veilig.nl",
        "CaseNet",
        to,
        f"Taak: evaluatie {c.case_no}",
        root,
        "casetool_html",
        ["bsn", "date_of_birth", "case_keywords", "postcode"],
        ["html"],
        note=f"case-tool HTML table notification, recipients {code}",
    )


@category("worker_client_mail", 8)
def worker_client_mail(fake: Faker, i: int, name: str) -> Mail:
    me = worker(fake)
    c = make_client(fake)
    kind = ["gp", "school", "hospital", "gp", "ggd", "school", "hospital", "gp"][i]
    them, addr = external_person(fake, kind)
    to = [addr] if i != 5 else [mailbox(fake.first_name(), fake.last_name(), "samen-veilig.nl")]
    dob = [
        f"geboren {nl_date(c.born)}",
        f"geb. {nl_date(c.born)}",
        f"geboortedatum {c.born:%d-%m-%Y}",
        f"({nl_date(c.born)})",
        f"geb. {c.born.day} {MONTHS.split()[c.born.month - 1]} {c.born.year}",
    ][i % 5]
    paras = [
        f"Betreft: {c.name}, {dob}, {c.street}, {c.postcode} {c.city}.",
        f"Wij zijn betrokken bij het gezin in het kader van een ondertoezichtstelling. "
        f"{notes(fake, c, 1)[0]}",
        "Wilt u mij laten weten of u recent zorgen heeft gehad? Ik ben bereikbaar op mijn mobiele nummer.",
    ]
    if i % 3 == 0:
        paras.insert(1, f"BSN: {c.bsn}")
    detectors = ["date_of_birth", "case_keywords", "postcode"] + (["bsn"] if i % 3 == 0 else [])
    return mail_from(
        fake,
        i,
        name,
        person=me,
        to=to,
        subject=f"Overleg over {c.first}" if i % 2 else "Zorgen over een gezamenlijke cliënt",
        body=Body(f"Beste {them.split()[0]},", paras),
        category_="worker_client_mail",
        kind="client_data",
        detectors=detectors,
        where=["body", "html"],
        note="care worker asks a GP/school about a named client",
    )


@category("docx_report", 5)
def docx_report(fake: Faker, i: int, name: str) -> Mail:
    me = worker(fake)
    c = make_client(fake)
    to, code = recipients(fake, i, ["gemeente", "hospital", "school"][i % 3], "eeiem")
    doc = docx(
        f"Rapportage ondertoezichtstelling - {c.name}",
        [
            f"Naam: {c.name}",
            f"Geboortedatum: {nl_date(c.born)}",
            f"BSN: {c.bsn}",
            f"Adres: {c.street}, {c.postcode} {c.city}",
            "## Aanleiding",
            *notes(fake, c, 3),
            "## Advies",
            "Voortzetting van de ondertoezichtstelling; geen uithuisplaatsing.",
        ],
        table=[["Betrokkene", "Rol"], [c.mother, "Moeder"], [me.name, "Gezinsvoogd"]],
    )
    body = Body("Geachte heer/mevrouw,", ["Bijgaand ontvangt u de rapportage zoals besproken."])
    return mail_from(
        fake,
        i,
        name,
        person=me,
        to=to,
        subject="Rapportage",
        body=body,
        category_="docx_report",
        kind="client_data",
        detectors=["bsn", "date_of_birth", "case_keywords", "postcode"],
        where=["docx"],
        attachments=[
            Attachment(
                doc,
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                f"Rapportage OTS {c.last}.docx",
            )
        ],
        note=f"python-docx report with name, BSN, date of birth; recipients {code}",
    )


@category("xlsx_clientlist", 4)
def xlsx_clientlist(fake: Faker, i: int, name: str) -> Mail:
    me = make_person(fake, ["Teamleider Jeugdbescherming regio Amersfoort", "Gedragswetenschapper"])
    to, code = recipients(fake, i, ["gemeente", "ggd"][i % 2], "eemi")
    rows: list[list[Any]] = [
        ["Naam", "BSN", "Geboortedatum", "Woonplaats", "Maatregel", "Gezinsvoogd"]
    ]
    for _ in range(8):
        c = make_client(fake)
        rows.append(
            [
                c.name,
                c.bsn,
                c.born if i % 2 else nl_date(c.born),
                c.city,
                ["OTS", "Voogdij", "Jeugdreclassering", "Vrijwillig kader"][fake.random_int(0, 3)],
                fake.name(),
            ]
        )
    data = xlsx({"Wachtlijst": rows})
    body = Body(
        "Beste collega's,",
        [
            "Hierbij de actuele wachtlijst jeugdbescherming voor de "
            "gemeente, zoals gevraagd voor het bestuurlijk overleg."
        ],
    )
    return mail_from(
        fake,
        i,
        name,
        person=me,
        to=to,
        subject="Wachtlijst jeugdbescherming",
        body=body,
        category_="xlsx_clientlist",
        kind="client_data",
        detectors=["bsn", "date_of_birth", "case_keywords"],
        where=["xlsx"],
        attachments=[
            Attachment(
                data,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "wachtlijst_nov.xlsx",
            )
        ],
        note=f"openpyxl client list (name, BSN, birth date); recipients {code}",
    )


@category("pdf_report", 5)
def pdf_report(fake: Faker, i: int, name: str) -> Mail:
    me = worker(fake)
    c = make_client(fake)
    to, code = recipients(fake, i, ["hospital", "gemeente", "gp"][i % 3], "eeeim")
    lines = [
        f"Cliënt: {c.name}",
        f"Geboortedatum: {nl_date(c.born)}",
        f"BSN: {c.bsn}",
        f"Adres: {c.street}, {c.postcode} {c.city}",
        "",
        "## Verloop",
        *notes(fake, c, 3),
        "",
        "## Conclusie",
        "De veiligheid van het kind is onvoldoende gewaarborgd.",
    ]
    if i % 2:
        pdf = fpdf_doc("Verslag Veilig Thuis - onderzoek na melding", lines)
    else:
        pdf = reportlab_text(
            "Voortgangsrapportage jeugdbescherming",
            lines,
            footer=f"{ORG} · KvK {ORG_KVK} · vertrouwelijk",
        )
    body = Body(
        "Geachte collega,",
        ["In de bijlage het verslag, met het verzoek dit vertrouwelijk te behandelen."],
    )
    return mail_from(
        fake,
        i,
        name,
        person=me,
        to=to,
        subject="Verslag",
        body=body,
        category_="pdf_report",
        kind="client_data",
        detectors=["bsn", "date_of_birth", "case_keywords", "postcode"],
        where=["pdf"],
        attachments=[Attachment(pdf, "application/pdf", f"Verslag_{c.last.replace(' ', '_')}.pdf")],
        note=f"{'fpdf2' if i % 2 else 'reportlab'} PDF report; recipients {code}",
    )


@category("pdf_boxes", 4)
def pdf_boxes(fake: Faker, i: int, name: str) -> Mail:
    me = worker(fake)
    c = make_client(fake)
    to, code = recipients(fake, i, ["hospital", "gp", "school", "ggd"][i], "eeme")
    pdf = reportlab_box_form(
        "Aanmeldformulier jeugdhulp",
        [
            ("Achternaam", c.last.upper(), 18),
            ("Voornaam", c.first.upper(), 18),
            ("Burgerservicenummer", c.bsn, 9),
            ("Geboortedatum", c.born.strftime("%d%m%Y"), 8),
            ("Postcode", c.postcode.replace(" ", ""), 6),
            ("Reden aanmelding", "OTS", 12),
        ],
    )
    body = Body("Beste collega,", ["Hierbij het ingevulde aanmeldformulier."])
    return mail_from(
        fake,
        i,
        name,
        person=me,
        to=to,
        subject="Aanmeldformulier",
        body=body,
        category_="pdf_boxes",
        kind="client_data",
        detectors=["bsn", "date_of_birth"],
        where=["pdf_boxes"],
        attachments=[Attachment(pdf, "application/pdf", "aanmeldformulier_ingevuld.pdf")],
        note=f"reportlab form: BSN and birth date one digit per box; recipients {code}",
    )


@category("acroform", 4)
def acroform(fake: Faker, i: int, name: str) -> Mail:
    me = worker(fake)
    c = make_client(fake)
    to, code = recipients(fake, i, ["hospital", "gemeente", "gp", "school"][i], "eeie")
    pdf = reportlab_acroform(
        "Verzoek informatie (art. 7.3.11 Jeugdwet)",
        [
            ("naam", "Naam jeugdige", c.name),
            ("bsn", "BSN", c.bsn),
            ("geboortedatum", "Geboortedatum", nl_date(c.born)),
            ("adres", "Adres", f"{c.street}, {c.postcode} {c.city}"),
            ("reden", "Reden verzoek", "Onderzoek na melding kindermishandeling"),
        ],
    )
    body = Body(
        "Geachte heer/mevrouw,", ["Bijgaand ons verzoek om informatie (ingevuld formulier)."]
    )
    return mail_from(
        fake,
        i,
        name,
        person=me,
        to=to,
        subject="Verzoek om informatie",
        body=body,
        category_="acroform",
        kind="client_data",
        detectors=["bsn", "date_of_birth", "case_keywords"],
        where=["acroform"],
        attachments=[Attachment(pdf, "application/pdf", "verzoek_informatie.pdf")],
        note=f"reportlab AcroForm with filled fields; recipients {code}",
    )


@category("voicemail", 9)
def voicemail(fake: Faker, i: int, name: str) -> Mail:
    to, code = recipients(fake, i, ["parent", "hospital", "gemeente"][i % 3], "eieemeiee")
    if code == "e" and i % 4 == 0:
        # an old address-book entry pointing outside: the incident's shape
        to = [mailbox(fake.first_name(), fake.last_name(), "ziggo-mail.example")]
    caller = fake.phone_number()
    stamp = dt.datetime(2026, 11, 2, 9, 0) + dt.timedelta(minutes=53 * i)
    text = (
        f"U heeft een nieuw voicemailbericht ontvangen.\r\n\r\nVan: {caller}\r\n"
        f"Voor: toestel {fake.random_int(2000, 2999)} (team Jeugdbescherming)\r\n"
        f"Ontvangen: {nl_long_date(stamp.date())} {stamp:%H:%M}\r\nDuur: 00:0{4 + i % 5}\r\n\r\n"
        "Het bericht is bijgevoegd als MP3-bestand.\r\n"
    )
    mp3 = Attachment(voicemail_mp3(i), "audio/mpeg", f"voicemail-{stamp:%Y%m%d-%H%M%S}.mp3")
    root = _multipart(
        "mixed", [_qp_text(text, "plain"), _binary(mp3)], f"----=_voicemail_{stable_hex(name)}"
    )
    m = client_mail(
        name,
        "telefooncentrale@samen-veilig.nl",
        "Telefooncentrale",
        to,
        f"Voicemail van {caller}",
        root,
        "voicemail",
        ["audio"],
        ["mp3"],
        local=True,
        note=f"voicemail MP3 from the phone exchange (lame); recipients {code}",
    )
    return m


@category("screenshot_client", 4)
def screenshot_client(fake: Faker, i: int, name: str) -> Mail:
    me = worker(fake)
    c = make_client(fake)
    to, code = recipients(fake, i, ["it", "hospital", "it", "gp"][i], "eeie")
    rows = [
        ["Veld", "Waarde"],
        ["Cliënt", c.name],
        ["BSN", c.bsn],
        ["Geboortedatum", nl_date(c.born)],
        ["Adres", f"{c.street}, {c.postcode} {c.city}"],
        ["Dossier", c.case_no],
        ["Maatregel", "Ondertoezichtstelling"],
        ["Gezinsvoogd", me.name],
    ]
    img = screenshot(f"CaseNet - Dossier {c.case_no}", rows, [200, 520], (760, 320))
    att = Attachment(png_bytes(img.quantize(32)), "image/png", "image002.png")
    body = Body(
        "Hallo,",
        [
            "Bij het openen van dit dossier krijg ik een foutmelding, zie de schermafdruk."
            if i % 2 == 0
            else "Zie hieronder de gegevens uit ons systeem."
        ],
    )
    return mail_from(
        fake,
        i,
        name,
        person=me,
        to=to,
        subject="Foutmelding CaseNet" if i % 2 == 0 else "Gegevens",
        body=body,
        category_="screenshot_client",
        kind="client_data",
        detectors=["bsn", "date_of_birth", "case_keywords", "postcode"],
        where=["image"],
        inline_images=[att],
        shape="outlook",
        note=f"pasted screenshot of a client file (PNG, inline, cid); recipients {code}",
    )


@category("scan_client", 4)
def scan_client(fake: Faker, i: int, name: str) -> Mail:
    me = worker(fake)
    c = make_client(fake)
    to, code = recipients(fake, i, ["hospital", "gemeente", "gp", "school"][i], "eeee")
    lines = [
        "#Veilig Thuis Utrecht - Meldingsformulier",
        "",
        f"Naam kind: {c.name}",
        f"Geboortedatum: {nl_date(c.born)}",
        f"BSN: {c.bsn}",
        f"Adres: {c.street}",
        f"{c.postcode} {c.city}",
        "",
        "Aard van de melding: vermoeden kindermishandeling",
        "Melder: school (intern begeleider)",
    ]
    jpeg = jpeg_bytes(scan_image(lines, i), quality=55)
    if i % 2 == 0:
        att = Attachment(jpeg, "image/jpeg", f"IMG_{2041 + i}.jpg")
        where, what = ["image"], "photo/scan of a paper form (JPEG)"
    else:
        att = Attachment(
            reportlab_scan(jpeg, "Scan"), "application/pdf", f"Scan_{20261102 + i}.pdf"
        )
        where, what = ["pdf_scan"], "scanned PDF without a text layer"
    body = Body("Beste collega,", ["Zie de scan in de bijlage."])
    return mail_from(
        fake,
        i,
        name,
        person=me,
        to=to,
        subject="Scan meldingsformulier",
        body=body,
        category_="scan_client",
        kind="client_data",
        detectors=["bsn", "date_of_birth", "case_keywords", "postcode"],
        where=where,
        attachments=[att],
        note=f"{what}; recipients {code}",
    )


# ------------------------------------------------------------------------- more ordinary mail


@category("press_release", 3)
def press_release(fake: Faker, i: int, name: str) -> Mail:
    me = make_person(fake, ["Communicatieadviseur"])
    _, addr = external_person(fake, "press")
    paras = [
        [
            "PERSBERICHT - Utrecht, 2 november 2026",
            "Veilig Thuis Utrecht ontving in het derde kwartaal 4.812 meldingen van huiselijk geweld "
            "en kindermishandeling, 6 procent meer dan een jaar eerder. Bij 1.204 meldingen ging het "
            "om kinderen jonger dan vier jaar.",
            "Noot voor de redactie: voor interviews kunt u contact opnemen met de woordvoerder.",
        ],
        [
            "PERSBERICHT - Amersfoort, 9 november 2026",
            "De wachttijd voor jeugdbescherming in de regio is gedaald van 9 naar 5 weken. Het aantal "
            "ondertoezichtstellingen bleef gelijk (1.930); het aantal uithuisplaatsingen daalde licht.",
        ],
        [
            "PERSBERICHT - Utrecht, 16 november 2026",
            "Tijdens de Week tegen Kindermishandeling opent Samen Veilig een nieuw meldpunt voor "
            "professionals. Dossiervorming en privacy staan centraal in het symposium op 19 november.",
        ],
    ][i]
    return mail_from(
        fake,
        i,
        name,
        person=me,
        to=[addr],
        subject="Persbericht " + ["cijfers Veilig Thuis", "wachttijden", "meldpunt"][i],
        body=Body("Geachte redactie,", paras),
        category_="press_release",
        note="press release: statistics and case words, no client",
    )


@category("blank_forms", 4)
def blank_forms(fake: Faker, i: int, name: str) -> Mail:
    me = worker(fake)
    _, addr = external_person(fake, ["gp", "school", "hospital", "ggd"][i])
    if i == 0:
        att = Attachment(
            reportlab_box_form(
                "Aanmeldformulier jeugdhulp",
                [
                    ("Achternaam", "", 18),
                    ("Voornaam", "", 18),
                    ("Burgerservicenummer", "", 9),
                    ("Geboortedatum", "", 8),
                    ("Postcode", "", 6),
                ],
            ),
            "application/pdf",
            "aanmeldformulier_blanco.pdf",
        )
    elif i == 1:
        att = Attachment(
            reportlab_acroform(
                "Verzoek informatie (art. 7.3.11 Jeugdwet)",
                [
                    ("naam", "Naam jeugdige", ""),
                    ("bsn", "BSN", ""),
                    ("geboortedatum", "Geboortedatum", ""),
                    ("reden", "Reden verzoek", ""),
                ],
            ),
            "application/pdf",
            "verzoek_informatie_invulbaar.pdf",
        )
    elif i == 2:
        att = Attachment(
            docx(
                "Sjabloon brief ouders",
                [
                    "Aan de ouder(s)/verzorger(s) van «Voornaam» «Achternaam»",
                    "Geboortedatum: «Geboortedatum»    BSN: «BSN»",
                    "Betreft: uw melding bij Veilig Thuis Utrecht, dossiernummer «Dossiernummer»",
                    "Geachte «Aanhef»,",
                    "Naar aanleiding van de melding nemen wij binnen vijf werkdagen contact met u op.",
                ],
            ),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "Sjabloon brief ouders.docx",
        )
    else:
        att = Attachment(
            odt(
                "Intakeformulier (leeg)",
                [
                    "Naam cliënt: ____________________",
                    "BSN: _________   Geboortedatum: __-__-____",
                    "Reden van aanmelding: melding / zorgmelding / verzoek jeugdbescherming",
                ],
            ),
            "application/vnd.oasis.opendocument.text",
            "intakeformulier_leeg.odt",
        )
    body = Body(
        "Beste collega,",
        [
            "Zoals gevraagd het lege formulier; u kunt het invullen en via Zorgmail terugsturen, "
            "niet per gewone e-mail."
        ],
    )
    return mail_from(
        fake,
        i,
        name,
        person=me,
        to=[addr],
        subject="Leeg formulier",
        body=body,
        category_="blank_forms",
        attachments=[att],
        note="blank form / template with BSN boxes or placeholders, no data filled in",
    )


@category("out_of_office", 4)
def out_of_office(fake: Faker, i: int, name: str) -> Mail:
    me = make_person(fake, ROLES + STAFF_ROLES)
    _, addr = external_person(fake, ["gemeente", "school", "gp", "it"][i])
    colleague = make_person(fake, ROLES)
    text = (
        f"Dank voor uw bericht. Ik ben afwezig tot en met {nl_long_date(dt.date(2026, 11, 20 + i))} "
        "en lees mijn e-mail niet.\r\n\r\n"
        f"Voor dringende zaken kunt u contact opnemen met mijn collega {colleague.name} "
        f"({colleague.email}, {colleague.phone}).\r\n"
        f"Wilt u een melding doen van huiselijk geweld of kindermishandeling? Bel Veilig Thuis: "
        f"{VT_PHONE}.\r\n\r\n{me.name}\r\n{me.role}\r\n"
    )
    root = _qp_text(text, "plain")
    m = Mail(
        name,
        me.email,
        [addr],
        "Automatisch antwoord: " + ["Overleg", "Vraag", "Verwijzing", "Ticket"][i],
        root,
        "out_of_office",
        "ordinary",
        [],
        [],
        sender_name=me.name,
        headers={"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"},
        note="automatic reply naming a colleague and the Veilig Thuis number",
    )
    return m


@category("photo_ordinary", 3)
def photo_ordinary(fake: Faker, i: int, name: str) -> Mail:
    me = make_person(fake, STAFF_ROLES)
    _, addr = external_person(fake, ["office", "landlord", "hotel"][i])
    att = Attachment(photo(i), "image/jpeg", f"IMG_{4410 + i}.JPG")
    body = Body(
        "Hallo,",
        [
            [
                "Hierbij een foto van de kapotte printer.",
                "Zie de foto van de lekkage in de kelder.",
                "Een foto van de opstelling die we graag weer zo hebben.",
            ][i]
        ],
    )
    return mail_from(
        fake,
        i,
        name,
        person=me,
        to=[addr],
        subject="Foto",
        body=body,
        category_="photo_ordinary",
        attachments=[att],
        note="photo (JPEG) without any text",
    )


@category("scanned_contract", 2)
def scanned_contract(fake: Faker, i: int, name: str) -> Mail:
    me = make_person(fake, ["Inkoper", "Managementassistent"])
    _, addr = external_person(fake, ["office", "it"][i])
    lines = [
        "#OPDRACHTBEVESTIGING",
        "",
        f"Offertenummer: {elf(fake)}",
        f"Opdrachtgever: {ORG}",
        f"KvK: {ORG_KVK}",
        "Omschrijving: levering en installatie vergadersystemen",
        "Totaal: EUR 18.450,00 excl. btw",
        "",
        "Voor akkoord, namens opdrachtgever:",
        "Datum: 02-11-2026",
    ]
    pdf = reportlab_scan(jpeg_bytes(scan_image(lines, 100 + i), quality=55), "Scan")
    body = Body("Beste leverancier,", ["Bijgaand de getekende opdrachtbevestiging (scan)."])
    return mail_from(
        fake,
        i,
        name,
        person=me,
        to=[addr],
        subject="Getekende opdrachtbevestiging",
        body=body,
        category_="scanned_contract",
        attachments=[Attachment(pdf, "application/pdf", f"Scan_{20261102 + i}.pdf")],
        note="scanned PDF (no text layer) of a signed order: KvK and quote number",
    )


@category("odt_minutes", 3)
def odt_minutes(fake: Faker, i: int, name: str) -> Mail:
    me = make_person(fake, ["Managementassistent", *ROLES])
    _, addr = external_person(fake, ["gemeente", "ggd", "police"][i])
    data = odt(
        "Verslag regio-overleg Zorg en Veiligheid",
        [
            f"Aanwezig: {fake.name()} (gemeente), {fake.name()} (GGD), {me.name} ({ORG})",
            "1. Cijfers: Veilig Thuis ontving 1.612 meldingen in oktober.",
            "2. Casusoverleg: afgesproken wordt dat casussen alleen anoniem worden besproken.",
            "3. Jeugdbescherming: de wachtlijst is gedaald naar 41 gezinnen.",
            f"Volgend overleg: {nl_long_date(dt.date(2026, 12, 14))}.",
        ],
    )
    body = Body("Beste allen,", ["Hierbij het verslag van het regio-overleg."])
    return mail_from(
        fake,
        i,
        name,
        person=me,
        to=[addr],
        subject="Verslag regio-overleg",
        body=body,
        category_="odt_minutes",
        attachments=[Attachment(data, "application/vnd.oasis.opendocument.text", "verslag.odt")],
        note="odfpy minutes: case words and aggregate numbers, no client",
    )


@category("track_trace", 2)
def track_trace(fake: Faker, i: int, name: str) -> Mail:
    me = make_person(fake, ["Medewerker Facilitair Bedrijf"])
    _, addr = external_person(fake, "office")
    code = f"3SSVMN{elf(fake)}"
    body = Body(
        "Goedemiddag,",
        [
            f"Het pakket met de dossierkasten is nog niet aangekomen. Track & trace: {code}, "
            f"ordernummer {elf(fake)}.",
            f"Afleveradres: {ORG_ADDRESS}, laadperron achterzijde.",
        ],
    )
    return mail_from(
        fake,
        i,
        name,
        person=me,
        to=[addr],
        subject=f"Zending {code}",
        body=body,
        category_="track_trace",
        note="track & trace and order number",
    )


@category("internal_ordinary", 5)
def internal_ordinary(fake: Faker, i: int, name: str) -> Mail:
    me = make_person(fake, ROLES + STAFF_ROLES)
    to = [mailbox(fake.first_name(), fake.last_name(), OWNED[i % 2]) for _ in range(2)]
    paras = [
        [
            "Morgen is het casusoverleg in zaal 3 in plaats van zaal 5.",
            "Neem je laptop mee voor de demo van CaseNet.",
        ],
        ["Wie neemt de bereikbaarheidsdienst Veilig Thuis van vrijdag over?"],
        ["De gebakjes staan in de keuken: ik ben vandaag tien jaar in dienst!"],
        ["Herinnering: de e-learning Meldcode moet voor 1 december zijn afgerond."],
        ["De printer op de tweede verdieping doet het weer."],
    ][i]
    return mail_from(
        fake,
        i,
        name,
        person=me,
        to=to,
        subject=["Zaalwijziging", "Dienst vrijdag", "Gebak", "E-learning", "Printer"][i],
        body=Body("Hoi allemaal,", paras),
        category_="internal_ordinary",
        note="internal team mail",
    )


@category("mixed_ordinary", 3)
def mixed_ordinary(fake: Faker, i: int, name: str) -> Mail:
    me = worker(fake)
    _, addr = external_person(fake, ["school", "gemeente", "gp"][i])
    colleague = mailbox(fake.first_name(), fake.last_name(), "samen-veilig.nl")
    start = when(fake)
    body = Body(
        "Beste allen,",
        [
            f"Bij deze de bevestiging van de scholing op {nl_long_date(start)} om {start:%H:%M} uur. "
            "Mijn collega (in cc) verzorgt het deel over de Meldcode en de rol van Veilig Thuis."
        ],
    )
    return mail_from(
        fake,
        i,
        name,
        person=me,
        to=[addr],
        cc=[colleague],
        subject="Bevestiging scholing",
        body=body,
        category_="mixed_ordinary",
        note="external + internal recipients, no client",
    )


@category("statistics_xlsx", 3)
def statistics_xlsx(fake: Faker, i: int, name: str) -> Mail:
    me = make_person(fake, ["Financieel administrateur", "Communicatieadviseur"])
    _, addr = external_person(fake, "gemeente")
    rows: list[list[Any]] = [["Gemeente", "Meldingen", "Adviezen", "OTS", "Uithuisplaatsingen"]]
    for town in ("Utrecht", "Amersfoort", "Zeist", "Nieuwegein", "Veenendaal", "Houten"):
        rows.append(
            [
                town,
                fake.random_int(80, 2400),
                fake.random_int(50, 900),
                fake.random_int(5, 300),
                fake.random_int(0, 40),
            ]
        )
    data = xlsx({"Q3 2026": rows})
    body = Body(
        "Beste beleidsadviseur,",
        ["Hierbij de kwartaalcijfers per gemeente (geaggregeerd, geen cliëntgegevens)."],
    )
    return mail_from(
        fake,
        i,
        name,
        person=me,
        to=[addr],
        subject="Kwartaalcijfers Q3",
        body=body,
        category_="statistics_xlsx",
        attachments=[
            Attachment(
                data,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "Kwartaalcijfers Q3 2026.xlsx",
            )
        ],
        note="aggregate figures per municipality: case words and numbers",
    )


@category("english_partner", 3)
def english_partner(fake: Faker, i: int, name: str) -> Mail:
    me = make_person(fake, ROLES + STAFF_ROLES)
    first, last = fake.first_name(), fake.last_name()
    addr = mailbox(first, last, "childprotection-network.example")
    texts = [
        [
            f"Thank you for inviting us to the European child protection conference. Our invoice "
            f"no. {elf(fake)} is attached; our VAT number is {ORG_BTW}.",
            f"Meeting ID for the preparatory call: {elf(fake)}, passcode 4471.",
        ],
        [
            "Could you share the programme of the workshop on domestic violence? Our case workers "
            "(family guardians) would like to attend.",
            f"Booking reference: {elf(fake)}.",
        ],
        [
            "Our presentation covers how Veilig Thuis handles reports of child abuse; no case "
            "files will be shown.",
        ],
    ][i]
    return mail_from(
        fake,
        i,
        name,
        person=me,
        to=[addr],
        subject=["Conference invoice", "Workshop programme", "Presentation"][i],
        body=Body(f"Dear {first},", texts, closing="Kind regards,"),
        category_="english_partner",
        note="English mail to a foreign partner with invoice/meeting/booking numbers",
    )


@category("calendar_reply", 3)
def calendar_reply(fake: Faker, i: int, name: str) -> Mail:
    me = make_person(fake, ROLES)
    _, addr = external_person(fake, ["gemeente", "school", "ggd"][i])
    summary = ["Casusoverleg werkwijze", "Overleg jeugdbescherming", "Stuurgroep"][i]
    start = when(fake)
    cal = (
        "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nPRODID:Microsoft Exchange Server 2019\r\nVERSION:2.0\r\n"
        f"BEGIN:VEVENT\r\nATTENDEE;PARTSTAT=ACCEPTED;CN={me.name}:mailto:{me.email}\r\n"
        f"SUMMARY;LANGUAGE=nl-NL:Geaccepteerd: {summary}\r\n"
        f"DTSTART;TZID=W. Europe Standard Time:{start:%Y%m%dT%H%M%S}\r\n"
        f"UID:040000008200E00074C5B7101A82E008{stable_hex(name, n=32).upper()}\r\n"
        "DTSTAMP:20261102T073000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    part = _qp_text(cal, "calendar")
    part.set_param("method", "REPLY")
    root = _multipart(
        "alternative", [_qp_text("\r\n", "plain"), part], f"_000_{stable_hex(name, n=12)}_"
    )
    return Mail(
        name,
        me.email,
        [addr],
        f"Geaccepteerd: {summary}",
        root,
        "calendar_reply",
        "ordinary",
        [],
        [],
        sender_name=me.name,
        note="Outlook meeting acceptance (METHOD:REPLY)",
    )


@category("share_notification", 3)
def share_notification(fake: Faker, i: int, name: str) -> Mail:
    me = make_person(fake, ROLES + STAFF_ROLES)
    _, addr = external_person(fake, ["gemeente", "ggd", "school"][i])
    doc = ["Werkwijze casusoverleg.docx", "Presentatie Meldcode.pptx", "Jaarplanning 2027.xlsx"][i]
    link = f"https://samenveilig.sharepoint.com/:w:/s/Samenwerking/E{stable_hex(name, n=22)}"
    html = (
        f"<html><body><table><tr><td><b>{escape(me.name)}</b> heeft een bestand met u gedeeld"
        f"</td></tr><tr><td><a href='{link}'>{escape(doc)}</a></td></tr><tr><td>Deze koppeling "
        "werkt alleen voor de directe ontvangers van dit bericht.</td></tr><tr><td style="
        "'font-size:10px'>Privacyverklaring van Microsoft</td></tr></table></body></html>\n"
    )
    root = _multipart(
        "alternative",
        [_qp_text(html_to_text(html), "plain"), _qp_text(html, "html")],
        f"_000_{stable_hex(name, n=12)}_",
    )
    return Mail(
        name,
        me.email,
        [addr],
        f"{me.name} heeft '{doc}' met u gedeeld",
        root,
        "share_notification",
        "ordinary",
        [],
        [],
        sender_name=f"{me.name} (via SharePoint Online)",
        note="SharePoint share notification naming a document about case work",
    )


@category("training_certificate", 2)
def training_certificate(fake: Faker, i: int, name: str) -> Mail:
    me = make_person(fake, ["Opleidingsadviseur"])
    _, addr = external_person(fake, "elearning")
    pdf = fpdf_doc(
        "Certificaat",
        [
            f"{fake.name()} heeft met goed gevolg de e-learning",
            "'Meldcode huiselijk geweld en kindermishandeling' afgerond.",
            f"Certificaatnummer: {elf(fake)}",
            "Accreditatie SKJ: 4 punten, registratienummer 110002233",
            "Datum: 29-10-2026",
        ],
    )
    body = Body(
        "Beste leerplein,",
        ["Graag een correctie: op bijgaand certificaat staat het verkeerde aantal punten."],
    )
    return mail_from(
        fake,
        i,
        name,
        person=me,
        to=[addr],
        subject="Correctie certificaat",
        body=body,
        category_="training_certificate",
        attachments=[Attachment(pdf, "application/pdf", "certificaat.pdf")],
        note="employee training certificate (fpdf2): certificate and registration numbers",
    )


@category("phone_list", 2)
def phone_list(fake: Faker, i: int, name: str) -> Mail:
    me = make_person(fake, ROLES)
    _, addr = external_person(fake, ["school", "gp"][i])
    rows: list[list[Any]] = [["Naam", "Functie", "Telefoon", "E-mail"]]
    for _ in range(6):
        p = make_person(fake, ROLES)
        rows.append([p.name, p.role, p.phone, p.email])
    body = Body(
        "Beste intern begeleider,",
        ["Zoals afgesproken de bereikbaarheidslijst van ons wijkteam jeugdbescherming."],
    )
    return mail_from(
        fake,
        i,
        name,
        person=me,
        to=[addr],
        subject="Bereikbaarheid wijkteam",
        body=body,
        category_="phone_list",
        attachments=[
            Attachment(
                xlsx({"Team": rows}),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "bereikbaarheid.xlsx",
            )
        ],
        note="staff phone list (employees, not clients)",
    )


@category("zip_ordinary", 2)
def zip_ordinary(fake: Faker, i: int, name: str) -> Mail:
    me = make_person(fake, ["Communicatieadviseur", "Opleidingsadviseur"])
    _, addr = external_person(fake, ["school", "ggd"][i])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for k, title in enumerate(["Meldcode in 5 stappen", "Signalen kindermishandeling"]):
            info = zipfile.ZipInfo(f"scholing/{title}.pdf", date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, reportlab_text(title, [f"Stap {j + 1}" for j in range(5 + k)]))
    body = Body("Beste collega,", ["In de zip de hand-outs van de scholing."])
    return mail_from(
        fake,
        i,
        name,
        person=me,
        to=[addr],
        subject="Hand-outs scholing",
        body=body,
        category_="zip_ordinary",
        attachments=[Attachment(out.getvalue(), "application/zip", "handouts.zip")],
        note="zip with PDF hand-outs",
    )


@category("short_reply", 4)
def short_reply(fake: Faker, i: int, name: str) -> Mail:
    me = make_person(fake, ROLES + STAFF_ROLES)
    them, addr = external_person(fake, ["school", "gp", "gemeente", "hospital"][i])
    body = Body(
        f"Hoi {them.split()[0]},",
        [
            [
                "Dank je, goed ontvangen!",
                "Prima, tot dan.",
                "Akkoord.",
                "Top, dank voor het regelen.",
            ][i]
        ],
        closing="Groet,",
        quoted=[
            (
                f"{them} <{addr}>",
                me.email,
                nl_long_date(dt.date(2026, 10, 30)),
                ["Hierbij de stukken voor volgende week.", "", f"Groet, {them}"],
            )
        ],
    )
    return mail_from(
        fake,
        i,
        name,
        person=me,
        to=[addr],
        subject="RE: Stukken",
        body=body,
        category_="short_reply",
        note="one-line reply with signature logo and quoted mail",
    )


# --------------------------------------------------------------------------- more client data


@category("ics_client", 2)
def ics_client(fake: Faker, i: int, name: str) -> Mail:
    me = worker(fake)
    c = make_client(fake)
    _, addr = external_person(fake, ["school", "gp"][i])
    start = when(fake)
    desc = (
        f"Huisbezoek gezin {c.last}, {c.street}, {c.postcode} {c.city}.\n"
        f"Kind: {c.name}, geboren {nl_date(c.born)}. Aanleiding: zorgmelding school; "
        "ondertoezichtstelling loopt. Moeder is op de hoogte."
    )
    cal = ics(
        f"040000008200E00074C5B7101A82E008{stable_hex(name, n=32).upper()}",
        f"Huisbezoek fam. {c.last}",
        start,
        60,
        me,
        [addr],
        desc,
        f"{c.street}, {c.city}",
    )
    body = Body("", [desc])
    body.closing = ""
    return mail_from(
        fake,
        i,
        name,
        person=me,
        to=[addr],
        subject=f"Huisbezoek fam. {c.last}",
        body=body,
        category_="ics_client",
        kind="client_data",
        detectors=["date_of_birth", "case_keywords", "postcode"],
        where=["ics", "body"],
        ics_text=cal,
        shape="outlook",
        with_logo=False,
        note="meeting invitation whose description names a child with birth date",
    )


@category("forward_rfc822", 2)
def forward_rfc822(fake: Faker, i: int, name: str) -> Mail:
    me = worker(fake)
    c = make_client(fake)
    _, addr = external_person(fake, ["hospital", "gemeente"][i])
    inner_text = (
        f"Dossier {c.case_no} is gewijzigd.\r\n\r\nCliënt: {c.name}\r\nBSN: {c.bsn}\r\n"
        f"Geboortedatum: {nl_date(c.born)}\r\n\r\n{notes(fake, c, 1)[0]}\r\n"
    )
    inner = _qp_text(inner_text, "plain")
    inner["From"] = "CaseNet notificaties <casenet@samen-veilig.nl>"
    inner["To"] = me.email
    inner["Subject"] = f"Dossier gewijzigd: {c.case_no}"
    inner["Date"] = "Fri, 30 Oct 2026 16:02:00 +0100"
    from email.mime.message import MIMEMessage

    wrapper = MIMEMessage(inner, policy=POL)
    wrapper.add_header("Content-Disposition", "attachment", filename="Dossier gewijzigd.eml")
    text = _qp_text(
        "Zie het doorgestuurde bericht; kun jij dit oppakken?\r\n\r\n" + me.name + "\r\n", "plain"
    )
    root = _multipart("mixed", [text, wrapper], f"----=_fwd_{stable_hex(name)}")
    return Mail(
        name,
        me.email,
        [addr],
        f"FW: Dossier gewijzigd: {c.case_no}",
        root,
        "forward_rfc822",
        "client_data",
        ["bsn", "date_of_birth", "case_keywords"],
        ["rfc822"],
        sender_name=me.name,
        note="case-tool notification forwarded as an attached message (message/rfc822)",
    )


@category("zip_client", 2)
def zip_client(fake: Faker, i: int, name: str) -> Mail:
    me = worker(fake)
    c = make_client(fake)
    _, addr = external_person(fake, ["gemeente", "hospital"][i])
    report = docx(
        f"Plan van aanpak - {c.name}",
        [
            f"Naam: {c.name}",
            f"BSN: {c.bsn}",
            f"Geboortedatum: {nl_date(c.born)}",
            *notes(fake, c, 2),
        ],
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo(f"Plan van aanpak {c.last}.docx", date_time=ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, report)
    body = Body("Beste collega,", ["Het plan van aanpak zit in de zip (te groot voor Zorgmail)."])
    return mail_from(
        fake,
        i,
        name,
        person=me,
        to=[addr],
        subject="Plan van aanpak",
        body=body,
        category_="zip_client",
        kind="client_data",
        detectors=["bsn", "date_of_birth", "case_keywords"],
        where=["zip", "docx"],
        attachments=[Attachment(out.getvalue(), "application/zip", "plan_van_aanpak.zip")],
        note="zip holding a DOCX plan with name, BSN and birth date",
    )


@category("csv_client", 2)
def csv_client(fake: Faker, i: int, name: str) -> Mail:
    me = make_person(fake, ["Gedragswetenschapper", "Teamleider Jeugdbescherming regio Amersfoort"])
    _, addr = external_person(fake, ["gemeente", "ggd"][i])
    lines = ["naam;bsn;geboortedatum;postcode;maatregel"]
    for _ in range(6):
        c = make_client(fake)
        lines.append(f"{c.name};{c.bsn};{nl_date(c.born)};{c.postcode};OTS")
    data = ("\r\n".join(lines) + "\r\n").encode("utf-8")
    body = Body("Beste collega,", ["Hierbij de export uit CaseNet voor de afstemming."])
    return mail_from(
        fake,
        i,
        name,
        person=me,
        to=[addr],
        subject="Export",
        body=body,
        category_="csv_client",
        kind="client_data",
        detectors=["bsn", "date_of_birth", "postcode"],
        where=["csv"],
        attachments=[Attachment(data, "text/csv", "export_casenet.csv")],
        note="CSV export of clients (name, BSN, birth date)",
    )


@category("subject_only_client", 1)
def subject_only_client(fake: Faker, i: int, name: str) -> Mail:
    me = worker(fake)
    c = make_client(fake)
    _, addr = external_person(fake, "gp")
    body = Body("Beste dokter,", ["Wilt u mij terugbellen? Zie onderwerpregel."], closing="Groet,")
    return mail_from(
        fake,
        i,
        name,
        person=me,
        to=[addr],
        subject=f"Terugbelverzoek over {c.name}, BSN {c.bsn}, geb. {nl_date(c.born)}",
        body=body,
        category_="subject_only_client",
        kind="client_data",
        detectors=["bsn", "date_of_birth"],
        where=["subject"],
        note="client name, BSN and birth date only in the subject",
    )


@category("english_client", 1)
def english_client(fake: Faker, i: int, name: str) -> Mail:
    me = worker(fake)
    c = make_client(fake)
    first, last = fake.first_name(), fake.last_name()
    addr = mailbox(first, last, "kinderklinik-aachen.example")
    body = Body(
        f"Dear Dr {last},",
        [
            f"We are the child protection agency responsible for {c.name} (date of birth "
            f"{c.born:%d/%m/%Y}, citizen service number {c.bsn}).",
            "A supervision order is in place following reports of child abuse. Could you send us "
            "the discharge letter?",
        ],
        closing="Kind regards,",
    )
    return mail_from(
        fake,
        i,
        name,
        person=me,
        to=[addr],
        subject="Request for discharge letter",
        body=body,
        category_="english_client",
        kind="client_data",
        detectors=["bsn", "date_of_birth", "case_keywords"],
        where=["body", "html"],
        note="English mail to a foreign hospital with BSN and birth date",
    )


@category("reply_chain_client", 4)
def reply_chain_client(fake: Faker, i: int, name: str) -> Mail:
    me = worker(fake)
    c = make_client(fake)
    them, addr = external_person(fake, ["gp", "school", "hospital", "gp"][i])
    colleague = make_person(fake, ROLES)
    quoted = [
        (
            f"{colleague.name} <{colleague.email}>",
            f"{me.name} <{me.email}>",
            nl_long_date(dt.date(2026, 10, 28)),
            [
                f"Hoi {me.first},",
                "",
                f"Kun jij de huisarts bellen over {c.name}?",
                f"BSN {c.bsn}, geboortedatum {nl_date(c.born)}, {c.street}, {c.postcode} {c.city}.",
                notes(fake, c, 1)[0],
                "",
                f"Groet, {colleague.name}",
            ],
        )
    ]
    body = Body(
        f"Beste {them.split()[0]},",
        ["Ik stuur u het bericht van mijn collega door; kunt u ons terugbellen?"],
        quoted=quoted,
    )
    return mail_from(
        fake,
        i,
        name,
        person=me,
        to=[addr],
        subject="FW: terugbellen huisarts",
        body=body,
        category_="reply_chain_client",
        kind="client_data",
        detectors=["bsn", "date_of_birth", "case_keywords", "postcode"],
        where=["quoted"],
        note="internal mail with client data forwarded outside: the data sits in the quoted part",
    )


@category("odt_verslag", 2)
def odt_verslag(fake: Faker, i: int, name: str) -> Mail:
    me = worker(fake)
    c = make_client(fake)
    to, code = recipients(fake, i, ["gemeente", "ggd"][i], "ei")
    data = odt(
        f"Verslag casusoverleg {c.last}",
        [
            f"Jeugdige: {c.name}, geboren {nl_date(c.born)}",
            f"Adres: {c.street}, {c.postcode} {c.city}",
            *notes(fake, c, 3),
        ],
    )
    body = Body("Beste deelnemers,", ["Hierbij het verslag van het casusoverleg van dinsdag."])
    return mail_from(
        fake,
        i,
        name,
        person=me,
        to=to,
        subject="Verslag casusoverleg",
        body=body,
        category_="odt_verslag",
        kind="client_data",
        detectors=["date_of_birth", "case_keywords", "postcode"],
        where=["odt"],
        attachments=[
            Attachment(data, "application/vnd.oasis.opendocument.text", f"verslag_{c.last}.odt")
        ],
        note=f"odfpy minutes of a case conference naming a child; recipients {code}",
    )


@category("crisis_placement", 2)
def crisis_placement(fake: Faker, i: int, name: str) -> Mail:
    me = worker(fake)
    c = make_client(fake)
    first, last = fake.first_name(), fake.last_name()
    addr = mailbox(first, last, "pleegzorg-utrecht.example")
    body = Body(
        f"Beste {first},",
        [
            f"Vanavond komt {c.first} ({nl_date(c.born)}) via een crisisplaatsing bij jullie "
            "pleeggezin. Moeder weet niet waar de kinderen zijn; geef het adres aan niemand door.",
            f"Huisarts: praktijk in {c.city}. Medicatie: geen. BSN: {c.bsn}.",
        ],
    )
    return mail_from(
        fake,
        i,
        name,
        person=me,
        to=[addr],
        subject="Crisisplaatsing vanavond",
        body=body,
        category_="crisis_placement",
        kind="client_data",
        detectors=["bsn", "date_of_birth", "case_keywords"],
        where=["body", "html"],
        shape="gmail" if i else "apple",
        note="crisis placement announced to a foster care organisation",
    )


# ------------------------------------------------------------------------------------ the corpus


def is_external(address: str) -> bool:
    domain = address.rsplit("@", 1)[1].lower()
    return not any(domain == d or domain.endswith("." + d) for d in OWNED)


def decision(mail: Mail) -> str:
    """What the example policy must do: hold client data that goes outside, deliver the rest."""
    external = any(is_external(a) for a in [*mail.to, *mail.cc])
    return "quarantine" if mail.kind == "client_data" and external else "accept"


def generate() -> Iterator[tuple[Mail, bytes]]:
    n = 0
    for name, count, builder in CATEGORIES:
        for i in range(count):
            file = f"{name}_{i + 1:02d}"
            fake = Faker("nl_NL")
            fake.seed_instance(zlib.crc32(file.encode()))
            mail = builder(fake, i, file)
            mail.name = file
            yield mail, finish(mail, n)
            n += 1


def write(out: Path) -> list[dict[str, Any]]:
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.eml"):
        old.unlink()
    entries = []
    for mail, data in generate():
        (out / f"{mail.name}.eml").write_bytes(data)
        external = [a for a in [*mail.to, *mail.cc] if is_external(a)]
        entries.append(
            {
                "file": f"{mail.name}.eml",
                "from": mail.sender,
                "to": [*mail.to, *mail.cc],
                "local": mail.local,
                "category": mail.root.get("X-Category", mail.category),
                "kind": mail.kind,
                "recipients": "external"
                if len(external) == len(mail.to) + len(mail.cc)
                else "mixed"
                if external
                else "internal",
                "decision": decision(mail),
                "detectors": mail.detectors,
                "where": mail.where,
                "note": mail.note,
            }
        )
    header = (
        "# Realistic outbound mail of Samen Veilig Midden-Nederland -- generated by\n"
        "# make_realistic.py; do not edit by hand.  Labels are what a reader sees: kind\n"
        "# client_data | ordinary; decision = what the example policy must do with this envelope;\n"
        "# detectors = the evidence of client data in the mail; where = where it sits.\n"
    )
    text = yaml.safe_dump({"messages": entries}, sort_keys=False, allow_unicode=True, width=100)
    (out / "manifest.yaml").write_text(header + text, encoding="utf-8")
    return entries


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else HERE
    entries = write(out)
    ordinary = sum(1 for e in entries if e["kind"] == "ordinary")
    size = sum(p.stat().st_size for p in out.glob("*.eml"))
    print(
        f"{len(entries)} messages ({ordinary} ordinary, {len(entries) - ordinary} client data), "
        f"{size / 1e6:.1f} MB in {out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
