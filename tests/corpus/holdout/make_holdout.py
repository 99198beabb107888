"""Write the held-out corpus: outbound mail of Samen Veilig Midden-Nederland, written independently.

Issue 13 asks that a corpus "of the same kind, written by someone else" gives the same figures as
the team's own realistic corpus.  This generator was written without reading that corpus or the
detectors: the mail is what a Dutch youth-care organisation sends all day (school and GP
appointments, Wmo/Jeugdwet contract management, invoices, IT tickets, HR, e-learning,
newsletters, invitations, auto-replies, court schedules) and the client data that leaves it by
mistake (dossier extracts, reports, spreadsheets, screenshots, scans, voicemail).  Each message is
labelled by what a careful security officer would decide; Postwarden's output is never used for a
label.

Refuses nothing on purpose: it writes .eml files and manifest.yaml into the directory given
(default: beside this file).  Deterministic: seeded Faker and random, fixed dates, MIME
boundaries and Message-IDs, and office files whose zip timestamps are normalised.  Numbers that
are not BSNs (tickets, orders, dial-in IDs, KvK) are made to pass the 11-proef about half the
time, more often than in real mail, so the corpus probes the label handling rather than luck.

Run:  .venv/bin/python tests/corpus/holdout/make_holdout.py [OUTDIR]
"""

# The mail texts are long Dutch sentences kept whole so they read as written; wrapping them to
# 100 columns would only scatter them.
# ruff: noqa: E501

from __future__ import annotations

import email.policy
import io
import random
import re
import subprocess
import sys
import tempfile
import unicodedata
import wave
import zipfile
from dataclasses import dataclass, field
from email.charset import QP, Charset
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.audio import MIMEAudio
from email.mime.base import MIMEBase
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr
from pathlib import Path
from typing import Any

import yaml
from faker import Faker

SEED = 20261207
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
FONT_MONO = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
ORG = "Samen Veilig Midden-Nederland"
ZIP_DATE = (2026, 11, 2, 9, 0, 0)

fake = Faker("nl_NL")
fake.seed_instance(SEED)
rng = random.Random(SEED)

MONTHS = "januari februari maart april mei juni juli augustus september oktober november december"
MONTHS_NL = MONTHS.split()


# --------------------------------------------------------------------------------------------
# Numbers


def elf_ok(digits: str) -> bool:
    """The 11-proef as for a BSN (last weight -1)."""
    if len(digits) != 9 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True))
    return (total - int(digits[8])) % 11 == 0


def number9(valid: bool | None = None) -> str:
    """A 9-digit business number; passes the 11-proef when valid (None: half the time)."""
    want = rng.random() < 0.5 if valid is None else valid
    while True:
        n = str(rng.randint(100_000_000, 999_999_999))
        if elf_ok(n) == want:
            return n


def kvk() -> str:
    """An 8-digit KvK number; its 0-prefixed form passes the 11-proef about half the time."""
    want = rng.random() < 0.5
    while True:
        n = str(rng.randint(10_000_000, 99_999_999))
        if elf_ok("0" + n) == want:
            return n


def bsn() -> str:
    return str(fake.ssn())


def spaced_bsn(b: str) -> str:
    style = rng.choice(["plain", "dots", "spaces", "plain"])
    if style == "dots":
        return f"{b[:4]}.{b[4:6]}.{b[6:]}"
    if style == "spaces":
        return f"{b[:3]} {b[3:6]} {b[6:]}"
    return b


def dob(min_age: int = 1, max_age: int = 17) -> tuple[int, int, int]:
    y = 2026 - rng.randint(min_age, max_age)
    return y, rng.randint(1, 12), rng.randint(1, 28)


def fmt_date(d: tuple[int, int, int], style: str | None = None) -> str:
    y, m, dd = d
    style = style or rng.choice(["dash", "long", "slash", "dash", "iso"])
    if style == "dash":
        return f"{dd:02d}-{m:02d}-{y}"
    if style == "slash":
        return f"{dd}/{m}/{y}"
    if style == "iso":
        return f"{y}-{m:02d}-{dd:02d}"
    return f"{dd} {MONTHS_NL[m - 1]} {y}"


def future_day() -> str:
    d = rng.randint(1, 28)
    m = rng.choice([12, 1, 2])
    y = 2026 if m == 12 else 2027
    days = ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag"]
    return f"{rng.choice(days)} {d} {MONTHS_NL[m - 1]} {y}"


def phone_office() -> str:
    return rng.choice(
        ["030 - 2 85 40 00", "030-2854000", "088 - 345 67 00", "+31 (0)30 285 40 00", "0800-2000"]
    )


def mobile() -> str:
    n = f"{rng.randint(10000000, 99999999)}"
    return rng.choice([f"06-{n}", f"06 {n[:2]} {n[2:4]} {n[4:6]} {n[6:]}", f"+31 6 {n}"])


# --------------------------------------------------------------------------------------------
# People and signatures

STAFF_TITLES = [
    "Gezinsvoogd",
    "Jeugdbeschermer",
    "Medewerker Veilig Thuis",
    "Teamleider Jeugdbescherming Utrecht-Oost",
    "Gedragswetenschapper",
    "Contractmanager",
    "Medewerker Financiën",
    "HR-adviseur",
    "Functioneel beheerder",
    "Communicatieadviseur",
    "Secretaresse Raad van Bestuur",
    "Vertrouwensarts Veilig Thuis",
    "Casusregisseur",
    "Medewerker Planning & Zittingen",
]


@dataclass
class Person:
    first: str
    last: str
    title: str
    domain: str = "samen-veilig.nl"

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def addr(self) -> str:
        ascii_name = unicodedata.normalize("NFKD", f"{self.first[0]}.{self.last}")
        local = "".join(c for c in ascii_name.lower() if c.isascii() and (c.isalnum() or c == "."))
        return f"{local}@{self.domain}"


def staff(title: str | None = None) -> Person:
    return Person(
        fake.first_name(), fake.last_name(), title or rng.choice(STAFF_TITLES), "samen-veilig.nl"
    )


def vt_staff() -> Person:
    p = staff(rng.choice(["Medewerker Veilig Thuis", "Vertrouwensarts Veilig Thuis"]))
    p.domain = rng.choice(["veiligthuisutrecht.nl", "samen-veilig.nl"])
    return p


def external(domain: str, title: str = "") -> Person:
    return Person(fake.first_name(), fake.last_name(), title, domain)


def signature(p: Person, own_footer: bool = False) -> str:
    """A signature block as care workers really write them; own_footer: the listed KvK/IBAN."""
    style = rng.randrange(6)
    greet = rng.choice(
        [
            "Met vriendelijke groet,",
            "Met vriendelijke groet,",
            "Hartelijke groet,",
            "Groet,",
            "Vriendelijke groeten,",
            "Mvg,",
        ]
    )
    team = rng.choice(
        [
            "Team Utrecht-West",
            "Team Amersfoort",
            "Team Zeist/Heuvelrug",
            "Regio Utrecht Stad",
            "Team Nieuwegein-IJsselstein",
        ]
    )
    lines = [greet, "", p.name]
    if style == 0:
        lines += [
            f"{p.title} | {team}",
            ORG,
            f"T {phone_office()} | M {mobile()}",
            "Postbus 13160, 3507 LD Utrecht",
            "www.samen-veilig.nl",
            "",
            "Mijn werkdagen zijn maandag, dinsdag en donderdag.",
        ]
    elif style == 1:
        lines += [
            p.title,
            "Veilig Thuis Utrecht",
            "Bezoekadres: Kruisstraat 40, 3581 GK Utrecht",
            "Bereikbaar via 0800-2000 (gratis, 24 uur per dag)",
        ]
    elif style == 2:
        lines = ["Groeten,", p.first]
    elif style == 3:
        lines += [
            p.title,
            "",
            "Samen Veilig",
            "Jeugdbescherming en Veilig Thuis in Midden-Nederland",
            f"{mobile()}",
        ]
    elif style == 4:
        lines += [p.title, f"{ORG} - {team}", f"Tel. {phone_office()}", "Afwezig op woensdag"]
    else:
        lines += [
            f"{p.title}",
            "Samen Veilig Midden-Nederland",
            "Catharijnesingel 47 | 3511 GC Utrecht",
            f"Direct {mobile()}",
        ]
    if own_footer:
        lines += ["", "Samen Veilig Midden-Nederland | KvK 30276548 | IBAN NL81 RABO 0312 3456 78"]
    if rng.random() < 0.35:
        lines += [
            "",
            "Dit e-mailbericht is uitsluitend bestemd voor de geadresseerde(n) en kan "
            "vertrouwelijke informatie bevatten. Bent u niet de geadresseerde, informeer dan "
            "de afzender en verwijder het bericht. Aan dit bericht kunnen geen rechten worden "
            "ontleend.",
        ]
    return "\n".join(lines)


def partner_sig(p: Person, org: str, extra: list[str]) -> str:
    return "\n".join(["Met vriendelijke groet,", "", p.name, p.title, org, *extra])


# --------------------------------------------------------------------------------------------
# Images and files


def _font(size: int, path: str = FONT) -> Any:
    from PIL import ImageFont

    return ImageFont.truetype(path, size)


def logo_png(text: str = "Samen Veilig") -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (180, 48), (255, 255, 255))
    d = ImageDraw.Draw(img)
    d.ellipse((4, 6, 40, 42), fill=(230, 90, 30))
    d.ellipse((16, 6, 52, 42), fill=(20, 90, 160))
    d.text((60, 14), text, font=_font(16, FONT_BOLD), fill=(20, 90, 160))
    out = io.BytesIO()
    img.save(out, "PNG", optimize=True)
    return out.getvalue()


def icon_png(color: tuple[int, int, int]) -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (24, 24), (255, 255, 255))
    ImageDraw.Draw(img).rectangle((3, 3, 20, 20), fill=color)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def screenshot_png(title: str, rows: list[tuple[str, str]], notes: list[str]) -> bytes:
    """A screen capture of a case-management system window (text drawn in DejaVu)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (1280, 760), (243, 245, 248))
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, 1280, 42), fill=(32, 60, 110))
    d.text((16, 10), title, font=_font(18, FONT_BOLD), fill=(255, 255, 255))
    d.rectangle((0, 42, 220, 760), fill=(225, 230, 238))
    for i, item in enumerate(
        ["Overzicht", "Cliëntgegevens", "Netwerk", "Plan van aanpak", "Rapportages", "Documenten"]
    ):
        d.text((16, 64 + 34 * i), item, font=_font(15), fill=(30, 30, 30))
    y = 64
    for label, value in rows:
        d.text((250, y), label, font=_font(17), fill=(90, 90, 90))
        d.text((480, y), value, font=_font(17), fill=(0, 0, 0))
        y += 34
    y += 20
    for line in notes:
        d.text((250, y), line, font=_font(16), fill=(20, 20, 20))
        y += 28
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def poster_png(lines: list[str]) -> bytes:
    """A large event poster / infographic: an ordinary big image."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (1000, 1400), (250, 240, 220))
    d = ImageDraw.Draw(img)
    y = 80
    for i, line in enumerate(lines):
        d.text(
            (70, y),
            line,
            font=_font(44 if i == 0 else 30, FONT_BOLD if i == 0 else FONT),
            fill=(40, 40, 80),
        )
        y += 90 if i == 0 else 56
    for k in range(12):
        d.ellipse((60 + 70 * k, 1200, 110 + 70 * k, 1250), fill=(200, 80 + 10 * k, 60))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def scan_jpeg(lines: list[str]) -> bytes:
    """A scanned paper form: grey paper, slight noise, JPEG as a multifunction printer sends it."""
    from PIL import Image, ImageDraw, ImageFilter

    local = random.Random(len(lines) * 7919 + sum(map(len, lines)))
    img = Image.new("L", (1654, 2339), 238)  # A4 at 200 dpi
    d = ImageDraw.Draw(img)
    y = 160
    for line in lines:
        d.text((150, y), line, font=_font(34), fill=25)
        y += 64
    px = img.load()
    assert px is not None
    for _ in range(6000):
        px[local.randrange(1654), local.randrange(2339)] = local.choice((120, 200, 60))
    img = img.rotate(0.6, fillcolor=238).filter(ImageFilter.GaussianBlur(0.6))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=78)
    return out.getvalue()


def photo_jpeg() -> bytes:
    """A team-outing photo: no text at all."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (1600, 1200), (120, 170, 220))
    d = ImageDraw.Draw(img)
    d.rectangle((0, 800, 1600, 1200), fill=(70, 140, 60))
    for k in range(9):
        x = 150 + 150 * k
        d.ellipse((x, 520, x + 70, 590), fill=(230, 190, 160))
        d.rectangle((x - 10, 590, x + 80, 820), fill=(40 + 20 * k, 60, 120))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()


def normalise_zip(data: bytes) -> bytes:
    """Rewrite an office file with fixed member timestamps, so the corpus regenerates exactly."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            new = zipfile.ZipInfo(info.filename, ZIP_DATE)
            new.compress_type = (
                zipfile.ZIP_STORED if info.filename == "mimetype" else zipfile.ZIP_DEFLATED
            )
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                # openpyxl stamps the save time into dcterms:modified whatever was set
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2026-11-02T09:00:00Z", data
                )
            dst.writestr(new, data)
    return out.getvalue()


def docx_file(heading: str, paras: list[str], table: list[list[str]] | None = None) -> bytes:
    import datetime as dt

    from docx import Document

    doc = Document()
    cp = doc.core_properties
    cp.created = cp.modified = dt.datetime(2026, 11, 2, 9, 0)
    cp.author = cp.last_modified_by = "Samen Veilig"
    cp.revision = 1
    doc.add_heading(heading, level=1)
    for p in paras:
        doc.add_paragraph(p)
    if table:
        t = doc.add_table(rows=len(table), cols=len(table[0]))
        t.style = "Table Grid"
        for r, row in enumerate(table):
            for c, cell in enumerate(row):
                t.cell(r, c).text = cell
    out = io.BytesIO()
    doc.save(out)
    return normalise_zip(out.getvalue())


def xlsx_file(sheet: str, rows: list[list[Any]]) -> bytes:
    import datetime as dt

    from openpyxl import Workbook

    wb = Workbook()
    wb.properties.created = wb.properties.modified = dt.datetime(2026, 11, 2, 9, 0)
    wb.properties.creator = "Samen Veilig"
    ws = wb.active
    assert ws is not None
    ws.title = sheet
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return normalise_zip(out.getvalue())


def odt_file(heading: str, paras: list[str]) -> bytes:
    from odf.opendocument import OpenDocumentText
    from odf.text import H, P

    doc = OpenDocumentText()
    doc.text.addElement(H(outlinelevel=1, text=heading))
    for p in paras:
        doc.text.addElement(P(text=p))
    out = io.BytesIO()
    doc.write(out)
    return normalise_zip(out.getvalue())


def ods_file(rows: list[list[str]]) -> bytes:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Blad1")
    for row in rows:
        tr = TableRow()
        for cell in row:
            tc = TableCell(valuetype="string")
            tc.addElement(P(text=cell))
            tr.addElement(tc)
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    out = io.BytesIO()
    doc.write(out)
    return normalise_zip(out.getvalue())


def reportlab_pdf(title: str, paras: list[str], table: list[list[str]] | None = None) -> bytes:
    from reportlab import rl_config

    rl_config.invariant = 1
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    pdfmetrics.registerFont(TTFont("DejaVu", FONT))
    styles = getSampleStyleSheet()
    body = styles["BodyText"].clone("dv", fontName="DejaVu")
    head = styles["Heading1"].clone("dvh", fontName="DejaVu")
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=A4, title=title, author="Samen Veilig", creator="Samen Veilig", invariant=1
    )
    story: list[Any] = [Paragraph(title, head), Spacer(1, 8)]
    story += [Paragraph(p, body) for p in paras]
    if table:
        t = Table(table)
        t.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), "DejaVu", 9),
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ]
            )
        )
        story += [Spacer(1, 10), t]
    doc.build(story)
    return out.getvalue()


def fpdf_pdf(title: str, lines: list[str], boxes: tuple[str, str] | None = None) -> bytes:
    """An fpdf2 PDF; boxes=(label, digits) draws a number one digit per box, as forms do."""
    import datetime as dt

    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_creation_date(dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC))
    pdf.set_producer("fpdf2")
    pdf.add_font("DejaVu", "", FONT)
    pdf.add_page()
    pdf.set_font("DejaVu", size=15)
    pdf.cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=11)
    for line in lines:
        pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    if boxes:
        label, digits = boxes
        pdf.ln(4)
        pdf.cell(60, 8, label)
        for ch in digits:
            pdf.cell(7, 8, ch, border=1, align="C")
        pdf.ln(10)
    return bytes(pdf.output())


def voicemail_mp3(seconds: float = 3.0) -> bytes:
    """A voicemail: synthetic speech-band noise and tones, encoded by lame as the exchange does."""
    import math

    local = random.Random(int(seconds * 1000))
    rate = 8000
    frames = bytearray()
    for i in range(int(rate * seconds)):
        v = 0.3 * math.sin(2 * math.pi * 220 * i / rate) * (1 + math.sin(i / 900))
        v += 0.2 * (local.random() - 0.5)
        frames += int(max(-1, min(1, v)) * 12000).to_bytes(2, "little", signed=True)
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "vm.wav"
        with wave.open(str(wav), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes(bytes(frames))
        mp3 = Path(tmp) / "vm.mp3"
        subprocess.run(
            ["lame", "--quiet", "-b", "32", "--tt", "Voicemail", str(wav), str(mp3)], check=True
        )
        return mp3.read_bytes()


def ics(summary: str, description: str, location: str, organizer: str, uid: str) -> bytes:
    start = f"2027{rng.randint(1, 3):02d}{rng.randint(10, 28):02d}T{rng.choice([9, 10, 13, 14]):02d}0000"
    lines = [
        "BEGIN:VCALENDAR",
        "PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN",
        "VERSION:2.0",
        "METHOD:REQUEST",
        "BEGIN:VEVENT",
        f"ORGANIZER;CN=Organisator:mailto:{organizer}",
        f"DTSTART;TZID=W. Europe Standard Time:{start}",
        f"SUMMARY:{summary}",
        f"LOCATION:{location}",
        "DESCRIPTION:" + description.replace("\n", "\\n"),
        f"UID:{uid}",
        "DTSTAMP:20261130T080000Z",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


# --------------------------------------------------------------------------------------------
# MIME in the shapes mail clients produce


@dataclass
class Att:
    name: str
    mime: str
    data: bytes


@dataclass
class Mail:
    category: str
    kind: str  # client_data | ordinary
    sender: Person | str
    to: list[str]
    subject: str
    body: str
    client: str = "outlook"  # outlook | apple | gmail | thunderbird | plain
    attachments: list[Att] = field(default_factory=list)
    inline_big: bytes | None = None  # a screenshot pasted into the body
    local: bool = False
    detectors: list[str] = field(default_factory=list)
    where: list[str] = field(default_factory=list)
    note: str = ""


_counter = [0]


def _boundary() -> str:
    _counter[0] += 1
    return f"_{_counter[0]:05d}_HOLDOUT_{rng.randrange(16**8):08x}_"


def _html(text: str, client: str, logo_cid: str | None, big_cid: str | None) -> str:
    import html

    paras = text.split("\n\n")
    if client == "outlook":
        p = "".join(
            "<p class=MsoNormal>" + html.escape(x).replace("\n", "<br>\n") + "<o:p></o:p></p>\n"
            for x in paras
        )
        head = (
            '<html xmlns:o="urn:schemas-microsoft-com:office:office"><head>'
            '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
            '<style>p.MsoNormal{margin:0cm;font-size:11.0pt;font-family:"Calibri",sans-serif}'
            '</style></head><body lang=NL link="#0563C1"><div class=WordSection1>\n'
        )
        tail = "</div></body></html>"
    elif client == "apple":
        p = "".join(
            "<div>" + html.escape(x).replace("\n", "<br>") + "</div><div><br></div>\n"
            for x in paras
        )
        head = (
            '<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8">'
            '</head><body style="overflow-wrap: break-word; -webkit-nbsp-mode: space;">'
        )
        tail = "</body></html>"
    else:
        p = "".join(
            '<div dir="ltr">' + html.escape(x).replace("\n", "<br>") + "</div><br>\n" for x in paras
        )
        head = '<div dir="ltr">'
        tail = "</div>"
    if big_cid:
        p = p.replace("[screenshot]", f'<img src="cid:{big_cid}" width="960">', 1)
    if logo_cid:
        p += f'<p><img width="180" height="48" src="cid:{logo_cid}" alt="Samen Veilig"></p>\n'
    elif client == "gmail":
        p += (
            '<div><img src="https://ci3.googleusercontent.com/mail-sig/AIorK4x_logo" '
            'width="96" height="32"></div>'
        )
    return head + p + tail


def _qp(text: str, subtype: str) -> MIMEText:
    cs = Charset("utf-8")
    cs.body_encoding = QP
    return MIMEText(text, subtype, cs)  # type: ignore[arg-type]


def _multi(kind: str, parts: list[Any], **params: str) -> MIMEMultipart:
    m = MIMEMultipart(kind, boundary=_boundary(), **params)
    for p in parts:
        m.attach(p)
    return m


def _image(name: str, data: bytes, cid: str, outlook: bool) -> MIMEImage:
    img = MIMEImage(data, "png", name=name)
    img["Content-ID"] = f"<{cid}>"
    if outlook:
        img["Content-Disposition"] = f'inline; filename="{name}"; size={len(data)}'
    else:
        img["Content-Disposition"] = f'inline; filename="{name}"'
        img["X-Attachment-Id"] = cid.split("@")[0]
    return img


def _attachment(att: Att) -> MIMEBase:
    main, sub = att.mime.split("/")
    if main == "text":
        part: MIMEBase = _qp(att.data.decode("utf-8"), sub)
        if sub == "calendar":
            part.set_param("method", "REQUEST")
    elif main == "image":
        part = MIMEImage(att.data, sub, name=att.name)
    elif main == "audio":
        part = MIMEAudio(att.data, sub, name=att.name)
    else:
        part = MIMEApplication(att.data, sub, name=att.name)
    if att.name.isascii():
        part["Content-Disposition"] = f'attachment; filename="{att.name}"'
    else:  # RFC 2231, as Outlook and Thunderbird write an accented file name
        del part["Content-Type"]
        part.add_header("Content-Type", att.mime, name=("utf-8", "", att.name))
        part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", att.name))
    return part


def build(mail: Mail, idx: int) -> bytes:
    sender = mail.sender if isinstance(mail.sender, str) else mail.sender.addr
    sender_name = "" if isinstance(mail.sender, str) else mail.sender.name
    day = 1 + idx % 28
    date = (
        f"{['Mon', 'Tue', 'Wed', 'Thu', 'Fri'][idx % 5]}, {day:02d} Nov 2026 "
        f"{8 + idx % 9:02d}:{(idx * 7) % 60:02d}:00 +0100"
    )
    text = mail.body.replace("[screenshot]", "[afbeelding]")
    atts = [_attachment(a) for a in mail.attachments]
    top: Any
    if mail.client in ("thunderbird", "plain"):
        body = _qp(text, "plain")
        body.set_param("format", "flowed")
        top = _multi("mixed", [body, *atts]) if atts else body
    else:
        logo_cid = None
        if mail.client != "gmail" or rng.random() < 0.5:
            logo_cid = f"image001.png@01DB{rng.randrange(16**8):08X}.{rng.randrange(16**8):08X}"
        big_cid = f"image002.png@01DB{idx:08X}.SCREEN" if mail.inline_big else None
        html = _qp(_html(mail.body, mail.client, logo_cid, big_cid), "html")
        images = []
        if logo_cid:
            name = "logo.png" if mail.client == "gmail" else "image001.png"
            images.append(_image(name, logo_png(), logo_cid, mail.client == "outlook"))
        if big_cid and mail.inline_big:
            images.append(
                _image("image002.png", mail.inline_big, big_cid, mail.client == "outlook")
            )
        plain = _qp(text, "plain")
        if mail.client == "apple":
            # Apple Mail: alternative(plain, related(html, images)); with attachments the
            # images and files sit inline in a multipart/mixed between html parts.
            if atts:
                tail = _qp("<html><body><div><br></div></body></html>", "html")
                inner = _multi("mixed", [html, *images, *atts, tail])
            elif images:
                inner = _multi("related", [html, *images], type="text/html")
            else:
                inner = html
            top = _multi("alternative", [plain, inner])
        else:
            top = _multi("alternative", [plain, html])
            if images:
                top = _multi("related", [top, *images], type="multipart/alternative")
            if atts:
                top = _multi("mixed", [top, *atts])
    top["From"] = formataddr((sender_name, sender)) if sender_name else sender
    top["To"] = ", ".join(mail.to)
    top["Subject"] = (
        mail.subject if mail.subject.isascii() else Header(mail.subject, "utf-8").encode()
    )
    top["Date"] = date
    top["Message-ID"] = f"<{idx:04d}.{rng.randrange(16**12):012x}@{sender.split('@')[1]}>"
    if mail.client == "outlook":
        top["X-Mailer"] = "Microsoft Outlook 16.0"
        top["Thread-Index"] = f"AdtH{rng.randrange(16**10):010x}=="
    elif mail.client == "apple":
        top["X-Mailer"] = "Apple Mail (2.3774.500.171.1.1)"
    elif mail.client == "thunderbird":
        top["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Thunderbird/128.5.0"
    return bytes(top.as_bytes(policy=email.policy.SMTP))


# --------------------------------------------------------------------------------------------
# The mail itself

SCHOOLS = [
    "obs-de-regenboog.example",
    "cbs-het-kompas.example",
    "vmbo-amersfoort.example",
    "kindcentrum-zuilen.example",
    "sg-nieuwegein.example",
]
GPS = [
    "huisartsen-overvecht.example",
    "gezondheidscentrum-leidsche-rijn.example",
    "praktijk-de-linde.example",
]
GEMEENTES = [
    "utrecht.nl",
    "amersfoort.nl",
    "zeist.nl",
    "nieuwegein.nl",
    "regio-utrecht-jeugd.example",
]
SUPPLIERS = [
    "topdesk-hosting.example",
    "kantoorpartner.example",
    "cateringhuis.example",
    "ict-zorgservice.example",
    "leasedirect.example",
    "schoonmaakgroep.example",
]
PRIVATE = ["gmail.com", "hotmail.com", "ziggo.nl", "kpnmail.nl", "outlook.com"]


def pick(i: int, templates: list[str]) -> str:
    """Templates in turn, so every variant of a category is in the corpus."""
    return templates[i % len(templates)]


def client_person() -> dict[str, Any]:
    d = dob()
    return {
        "name": f"{fake.first_name()} {fake.last_name()}",
        "dob": d,
        "bsn": bsn(),
        "addr": fake.street_address(),
        "pc": fake.postcode(),
        "city": rng.choice(
            ["Utrecht", "Amersfoort", "Zeist", "Nieuwegein", "Houten", "Veenendaal"]
        ),
        "parent": f"{fake.first_name()} {fake.last_name()}",
    }


def quoted(prev_from: str, when: str, text: str) -> str:
    q = "\n".join("> " + line if line else ">" for line in text.split("\n"))
    return f"Op {when} schreef {prev_from}:\n{q}"


def outlook_quote(p: Person, to: str, subject: str, when: str, text: str) -> str:
    return f"Van: {p.name} <{p.addr}>\nVerzonden: {when}\nAan: {to}\nOnderwerp: {subject}\n\n{text}"


def ordinary_mails() -> list[Mail]:
    out: list[Mail] = []

    # 1. Meetings with schools, no client data (an initial or "de leerling" at most)
    for i in range(6):
        s = staff(rng.choice(["Gezinsvoogd", "Jeugdbeschermer", "Casusregisseur"]))
        t = external(
            rng.choice(SCHOOLS),
            rng.choice(["Intern begeleider", "Zorgcoördinator", "Mentor klas 2B"]),
        )
        day = future_day()
        body = pick(
            i,
            [
                f"Beste {t.first},\n\nDank voor je bericht. {day.capitalize()} om 10.30 uur komt mij "
                f"goed uit voor het overleg over de leerling die we telefonisch bespraken. Ik kom naar "
                f"school; zou je een ruimte willen reserveren?\n\nNamen en verdere gegevens bespreken we "
                f"daar, niet per mail.",
                f"Hoi {t.first},\n\nZoals afgesproken stuur ik je hierbij de uitnodiging voor het "
                f"ronde-tafelgesprek op {day}, 14.00 - 15.30 uur, op ons kantoor aan de Catharijnesingel "
                f"47 in Utrecht (3511 GC). Parkeren kan in garage Hoog Catharijne.\n\nWil je laten weten "
                f"of de mentor ook aansluit?",
                f"Beste heer/mevrouw {t.last},\n\nIk ben vanaf deze week de nieuwe gezinsvoogd van "
                f"een leerling bij u op school; mijn collega heeft de ouders hierover geïnformeerd. Ik "
                f"maak graag kennis. Kunt u mij bellen op {mobile()}? Ik ben bereikbaar op maandag, "
                f"dinsdag en donderdag.",
            ],
        )
        if i == 5:
            body += "\n\nP.S. Het dossier ligt bij ons; jullie hoeven niets op te sturen."
        out.append(
            Mail(
                "school_meeting",
                "ordinary",
                s,
                [t.addr],
                rng.choice(
                    [
                        "Afspraak overleg",
                        "RE: overleg leerling",
                        "Kennismaking",
                        "Uitnodiging ronde tafel",
                    ]
                ),
                body + "\n\n" + signature(s),
                rng.choice(["outlook", "outlook", "apple", "gmail"]),
            )
        )

    # 2. GP practice: call-back requests and practical matters
    for i in range(4):
        s = staff(
            rng.choice(["Gezinsvoogd", "Medewerker Veilig Thuis", "Vertrouwensarts Veilig Thuis"])
        )
        t = external(rng.choice(GPS), "Doktersassistente")
        agb = f"0{rng.randint(1000000, 9999999)}"
        body = pick(
            i,
            [
                f"Geachte collega,\n\nGraag zou ik dr. {fake.last_name()} telefonisch spreken over een "
                f"gezamenlijke patiënt/cliënt. Wilt u doorgeven dat ik bereikbaar ben op {mobile()}, "
                f"bij voorkeur tussen 12.00 en 13.00 uur? Ik noem de naam alleen telefonisch.",
                f"Beste {t.first},\n\nDank voor het terugbellen. Zoals besproken sturen we de "
                f"toestemmingsverklaring via Zorgmail, niet via gewone e-mail.\n\nUw praktijk staat bij "
                f"ons geregistreerd onder AGB-code {agb}; klopt dat nog?",
                "Goedemiddag,\n\nWij organiseren op 14 januari een informatiebijeenkomst voor "
                "huisartsen over de meldcode huiselijk geweld en kindermishandeling en de rol van "
                "Veilig Thuis. Aanmelden kan via de link in de bijlage. Accreditatie is aangevraagd "
                "(2 punten).",
            ],
        )
        out.append(
            Mail(
                "gp_practice",
                "ordinary",
                s,
                [t.addr],
                rng.choice(
                    ["Verzoek terugbellen", "Toestemming", "Informatiebijeenkomst meldcode"]
                ),
                body + "\n\n" + signature(s),
                rng.choice(["outlook", "thunderbird", "outlook"]),
            )
        )

    # 3. Municipality contract management: aggregates, contract numbers, budgets
    for i in range(7):
        s = staff(
            rng.choice(
                [
                    "Contractmanager",
                    "Medewerker Financiën",
                    "Teamleider Jeugdbescherming Utrecht-Oost",
                ]
            )
        )
        t = external(
            rng.choice(GEMEENTES),
            rng.choice(["Contractmanager Jeugd", "Beleidsadviseur Wmo", "Inkoper Sociaal Domein"]),
        )
        contract = f"{rng.choice(['JW', 'JGD', 'SD'])}-{2025 + i % 2}-{rng.randint(100, 999)}"
        n_ots = rng.randint(300, 900)
        atts: list[Att] = []
        body = pick(
            i,
            [
                f"Beste {t.first},\n\nIn de bijlage de kwartaalrapportage Q3 over contract {contract} "
                f"(Jeugdwet, jeugdbescherming en jeugdreclassering). Kort samengevat: {n_ots} lopende "
                f"ondertoezichtstellingen, {rng.randint(20, 90)} voogdijmaatregelen en "
                f"{rng.randint(100, 400)} meldingen bij Veilig Thuis die zijn doorgezet naar het "
                f"lokale veld. De wachttijd voor een eerste gesprek met de gezinsvoogd is gedaald naar "
                f"{rng.randint(3, 12)} werkdagen.\n\nDe cijfers zijn geaggregeerd; aantallen onder de "
                f"10 tonen we niet.",
                f"Hallo {t.first},\n\nHierbij onze reactie op de concept-subsidiebeschikking, kenmerk "
                f"{number9()}. Wij vragen u het tarief per cliënt per maand te indexeren met de OVA "
                f"({rng.randint(2, 5)},{rng.randint(0, 9)}%). De productieafspraak voor 2027 is "
                f"{rng.randint(1000, 2000)} trajecten.",
                f"Beste {t.first},\n\nVoor het bestuurlijk overleg Jeugd van {future_day()} stuur ik je "
                f"de agenda. Punt 3 is de regionale aanpak crisisplaatsingen; punt 4 de "
                f"doorontwikkeling van het casusoverleg met de wijkteams. Contractnummer voor de "
                f"administratie: {contract}.",
            ],
        )
        if i % 3 == 0:
            atts.append(
                Att(
                    f"Kwartaalrapportage Q3 2026 {contract}.xlsx",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    xlsx_file(
                        "Q3",
                        [
                            ["Product", "Instroom", "Uitstroom", "Lopend"],
                            ["OTS", 88, 75, n_ots],
                            ["Voogdij", 12, 9, 61],
                            ["Jeugdreclassering", 40, 44, 230],
                            ["Veilig Thuis meldingen", 1210, 1180, 0],
                        ],
                    ),
                )
            )
        if i % 3 == 1:
            atts.append(
                Att(
                    "Reactie subsidiebeschikking 2027.pdf",
                    "application/pdf",
                    reportlab_pdf(
                        "Reactie concept-subsidiebeschikking 2027",
                        [
                            f"Kenmerk gemeente: {number9()}",
                            "Samen Veilig Midden-Nederland vraagt de gemeente het "
                            "tarief per cliënt te indexeren en de productieafspraak "
                            "aan te passen aan de instroom van 2026.",
                            "Bijlage: onderbouwing kostprijs per traject.",
                        ],
                        [
                            ["Product", "Tarief 2026", "Voorstel 2027"],
                            ["OTS", "€ 1.245", "€ 1.302"],
                            ["Voogdij", "€ 1.560", "€ 1.631"],
                        ],
                    ),
                )
            )
        out.append(
            Mail(
                "municipality_contract",
                "ordinary",
                s,
                [t.addr],
                rng.choice(
                    [
                        "Kwartaalrapportage Q3",
                        "Subsidiebeschikking 2027",
                        "Agenda bestuurlijk overleg Jeugd",
                    ]
                ),
                body + "\n\n" + signature(s, own_footer=(i == 2)),
                "outlook",
                atts,
            )
        )

    # 4. Invoices and payments with suppliers
    for i in range(7):
        s = staff(rng.choice(["Medewerker Financiën", "Secretaresse Raad van Bestuur"]))
        sup = rng.choice(SUPPLIERS)
        t = external(sup, "Debiteurenadministratie")
        inv = rng.choice([number9(), f"F2026-{rng.randint(1000, 9999)}", number9(True)])
        sup_kvk = kvk()
        iban = fake.iban()
        label = rng.choice(["Factuurnummer", "Factuurnr.", "Uw factuur", "Invoice no."])
        body = pick(
            i,
            [
                f"Geachte heer/mevrouw,\n\n{label}: {inv}\nBedrag: € {rng.randint(100, 9000)},{rng.randint(10, 99)}\n\n"
                f"Wij hebben deze factuur niet kunnen verwerken: het inkoopordernummer ontbreekt. Wilt u "
                f"een creditfactuur sturen en een nieuwe factuur met PO-nummer {number9()}?\n\n"
                f"Uw gegevens bij ons: KvK {sup_kvk}, IBAN {iban}.",
                f"Beste {t.first},\n\nDe betaling van {label.lower()} {inv} staat ingepland voor "
                f"{future_day()}. Debiteurnummer bij jullie: {number9()}.",
                f"Goedemorgen,\n\nIn de bijlage de getekende offerte voor de catering van de "
                f"medewerkersdag (offertenummer {inv}). Afleveradres: Catharijnesingel 47, 3511 GC "
                f"Utrecht, ingang aan de achterzijde.",
            ],
        )
        atts = []
        if i % 2 == 0:
            atts.append(
                Att(
                    f"Factuur {inv}.pdf",
                    "application/pdf",
                    fpdf_pdf(
                        f"Factuur {inv}",
                        [
                            f"{sup.split('.')[0].title()} B.V.",
                            f"KvK {sup_kvk}  BTW NL{rng.randint(100000000, 999999999)}B01",
                            f"IBAN {iban}",
                            "Aan: Samen Veilig Midden-Nederland, t.a.v. crediteurenadministratie",
                            "Postbus 13160, 3507 LD Utrecht",
                            f"Debiteurnummer {number9()}",
                            "Omschrijving: licenties en ondersteuning, november 2026",
                            f"Totaal incl. BTW € {rng.randint(1000, 20000)},00",
                        ],
                    ),
                )
            )
        out.append(
            Mail(
                "invoice",
                "ordinary",
                s,
                [t.addr],
                rng.choice([f"Factuur {inv}", "Betaling", "Getekende offerte"]),
                body + "\n\n" + signature(s, own_footer=(i == 4)),
                rng.choice(["outlook", "thunderbird"]),
                atts,
            )
        )

    # 5. IT supplier tickets (melding = incident report; client = software client)
    for i in range(7):
        s = staff("Functioneel beheerder")
        t = external(
            rng.choice(["ict-zorgservice.example", "topdesk-hosting.example"]), "Servicedesk"
        )
        tic = number9() if i % 2 else f"M{rng.randint(2600000, 2699999)}"
        body = pick(
            i,
            [
                f"Hallo servicedesk,\n\nGraag een update over melding {tic}. Sinds de update van "
                f"vannacht start de Citrix-client bij ongeveer 40 collega's niet meer op (foutcode "
                f"0x{rng.randrange(16**8):08X}). Het dossiersysteem is daardoor niet bereikbaar voor "
                f"de teams in Amersfoort.\n\nPrioriteit: hoog.",
                f"Beste {t.first},\n\nUw melding {tic} is door ons getest: de koppeling werkt weer. "
                f"De melding mag wat ons betreft gesloten worden.",
                f"Goedemiddag,\n\nWij willen een wijziging aanvragen: de mailclient Outlook moet bij "
                f"20 gebruikers van Veilig Thuis worden vervangen door de nieuwe versie. Contractnummer "
                f"{number9()}, klantnummer {number9()}.\n\nIncidentnummer van de eerdere storing: {tic}.",
                f"Ticket #{tic}\n\nDe VPN-client geeft bij thuiswerkers de melding 'certificate expired'. "
                f"Kunnen jullie het certificaat vernieuwen? Testaccount: testgebruiker01.",
            ],
        )
        out.append(
            Mail(
                "it_ticket",
                "ordinary",
                s,
                [t.addr],
                f"RE: [{tic}] storing"
                if i % 3 == 0
                else rng.choice([f"Melding {tic}", "Wijzigingsverzoek Outlook", "VPN certificaat"]),
                body + "\n\n" + signature(s),
                rng.choice(["outlook", "plain"]),
            )
        )

    # 6. HR: vacancies, recruitment agencies, references
    for i in range(6):
        s = staff("HR-adviseur")
        t = external(
            rng.choice(
                [
                    "werkenindezorg.example",
                    "jeugdzorgvacatures.example",
                    "detacheerder-plus.example",
                    "hogeschool-utrecht.example",
                ]
            ),
            "Accountmanager",
        )
        vac = rng.choice([f"2026-{rng.randint(10, 99)}", number9(), f"V{rng.randint(1000, 9999)}"])
        body = pick(
            i,
            [
                f"Beste {t.first},\n\nGraag plaatsen wij onderstaande vacature vanaf maandag op jullie "
                f"site.\n\nVacaturenummer: {vac}\nFunctie: Gezinsvoogd / jeugdbeschermer (32-36 uur)\n"
                f"Standplaats: Amersfoort\nSchaal 10 cao Jeugdzorg\n\nWat ga je doen? Als gezinsvoogd "
                f"begeleid je gezinnen bij een ondertoezichtstelling of uithuisplaatsing. Je werkt "
                f"samen met Veilig Thuis, de Raad voor de Kinderbescherming en de wijkteams.\n\n"
                f"Reageren vóór 31 december.",
                f"Hallo {t.first},\n\nDank voor het cv van de kandidaat voor vacature {vac}. We "
                f"nodigen haar uit voor een eerste gesprek op {future_day()}. Kun je haar laten weten "
                f"dat ze een VOG moet aanvragen (screeningsprofiel 45 en 84)?",
                "Beste stagecoördinator,\n\nVoor het voorjaar hebben we weer plaats voor vier "
                "derdejaars SPH-studenten in de teams jeugdbescherming. De stagiair werkt mee aan "
                "casussen, nooit zelfstandig, en ondertekent een geheimhoudingsverklaring.",
            ],
        )
        out.append(
            Mail(
                "hr",
                "ordinary",
                s,
                [t.addr],
                rng.choice([f"Vacature {vac}", "Kandidaat gezinsvoogd", "Stageplaatsen voorjaar"]),
                body + "\n\n" + signature(s),
                rng.choice(["outlook", "gmail"]),
            )
        )

    # 7. E-learning and training (fictional cases with test numbers)
    for i in range(5):
        s = staff(rng.choice(["Gedragswetenschapper", "HR-adviseur"]))
        t = external(
            rng.choice(["e-learning-jeugd.example", "academie-zorg.example"]), "Opleidingsadviseur"
        )
        body = pick(
            i,
            [
                f"Beste {t.first},\n\nIn module 3 (meldcode) staat in de oefencasus het fictieve BSN "
                f"111222333 en geboortedatum 01-01-2010 van de fictieve cliënt 'Kees Test'. Kunnen "
                f"jullie dat vervangen door een duidelijk fictief voorbeeld? Deelnemers vragen of het een "
                f"echt dossier is.",
                f"Hallo {t.first},\n\nDe deelnemerslijst voor de training 'Signaleren van "
                f"kindermishandeling' op {future_day()} volgt via het LMS. Het zijn 18 gezinsvoogden "
                f"en 4 medewerkers Veilig Thuis. Accreditatie SKJ: {rng.randint(10000, 99999)}.",
                "Beste opleider,\n\nBij de toets van de e-learning 'Werken met de meldcode' wordt bij "
                "vraag 7 het voorbeeld-BSN 123456782 niet geaccepteerd in het invulveld. Kunnen jullie "
                "dat bekijken?",
            ],
        )
        atts = []
        if i == 3:
            atts.append(
                Att(
                    "Oefencasus module 3.docx",
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    docx_file(
                        "Oefencasus: melding over Sanne (fictief)",
                        [
                            "Deze casus is verzonnen en dient alleen als oefening.",
                            "Sanne (8) vertelt haar juf dat ze niet naar huis wil. De juf "
                            "overlegt met de intern begeleider. Doorloop de stappen van "
                            "de meldcode: wanneer doe je een melding bij Veilig Thuis?",
                            "Vraag 1: welke signalen zie je?",
                            "Vraag 2: met wie overleg je?",
                        ],
                    ),
                )
            )
        out.append(
            Mail(
                "elearning",
                "ordinary",
                s,
                [t.addr],
                rng.choice(["Oefencasus module 3", "Deelnemers training", "Toetsvraag 7"]),
                body + "\n\n" + signature(s),
                "outlook",
                atts,
            )
        )

    # 8. Newsletters to partners (HTML, logos, statistics, case words)
    for i in range(5):
        s = "nieuwsbrief@samen-veilig.nl"
        to = [f"partners{i}@mailing.samen-veilig-lijst.example"]
        body = (
            f"Nieuwsbrief Samen Veilig - {MONTHS_NL[(i + 9) % 12]} 2026\n\n"
            f"Meer meldingen huiselijk geweld in de regio\nVeilig Thuis Utrecht ontving dit "
            f"kwartaal {rng.randint(1500, 2500)} meldingen en {rng.randint(3000, 5000)} "
            f"adviesvragen. Huiselijk geweld en kindermishandeling blijven vaak lang verborgen; "
            f"de meldcode helpt professionals.\n\n"
            f"Nieuw: casusoverleg met de wijkteams\nVanaf januari sluiten onze gezinsvoogden "
            f"aan bij het casusoverleg in elke wijk.\n\n"
            f"Agenda\n{future_day()}: webinar 'De cliënt centraal'\n{future_day()}: "
            f"regiobijeenkomst jeugdbescherming\n\n"
            f"U ontvangt deze nieuwsbrief omdat u partner bent van Samen Veilig. Afmelden: "
            f"stuur een mail naar nieuwsbrief@samen-veilig.nl.\n"
            f"{ORG}, Postbus 13160, 3507 LD Utrecht"
        )
        atts = []
        if i == 1:
            atts.append(
                Att(
                    "infographic-jaarcijfers.png",
                    "image/png",
                    poster_png(
                        [
                            "Jaarcijfers 2025",
                            "Meldingen: 9.812",
                            "Adviezen: 15.430",
                            "Ondertoezichtstellingen: 2.104",
                            "Gemiddelde duur: 11 maanden",
                            "Tevredenheid cliënten: 7,4",
                        ]
                    ),
                )
            )
        out.append(
            Mail(
                "newsletter",
                "ordinary",
                s,
                to,
                f"Nieuwsbrief Samen Veilig {MONTHS_NL[(i + 9) % 12]}",
                body,
                rng.choice(["outlook", "gmail"]),
                atts,
            )
        )

    # 9. Conference / meeting invitations with .ics and Teams dial-in
    for _ in range(6):
        s = staff(
            rng.choice(
                [
                    "Communicatieadviseur",
                    "Teamleider Jeugdbescherming Utrecht-Oost",
                    "Secretaresse Raad van Bestuur",
                ]
            )
        )
        t = external(rng.choice(GEMEENTES + SCHOOLS + ["raadvoordekinderbescherming.example"]), "")
        vid = f"{number9()[:3]} {number9()[3:6]} {number9()[6:]}"
        vid = number9()
        vid_s = f"{vid[:3]} {vid[3:6]} {vid[6:]}"
        code = f"{rng.randint(100000, 999999)}"
        desc = (
            f"Microsoft Teams-vergadering\nDeelnemen via computer of mobiele app\n"
            f"Vergader-ID: {vid_s}\nWachtwoordcode: {rng.choice(['aB3xQ9', 'Hz7mK2', 'pQ4tR8'])}\n"
            f"Inbellen via telefoon: +31 20 794 {rng.randint(1000, 9999)},,{code}#\n"
            f"Telefonische conferentie-id: {code}#"
        )
        subj = rng.choice(
            [
                "Regionaal casusoverleg jeugdbescherming (geanonimiseerd)",
                "Themamiddag huiselijk geweld",
                "Ketenoverleg Veilig Thuis - wijkteams",
                "Afstemming crisisplaatsingen regio",
            ]
        )
        body = (
            f"Beste {t.first},\n\nHierbij de uitnodiging voor '{subj}' op {future_day()}. "
            f"Casussen worden anoniem besproken.\n\n{desc}\n\n" + signature(s)
        )
        atts = [
            Att(
                "invite.ics",
                "text/calendar",
                ics(
                    subj,
                    desc,
                    "Microsoft Teams-vergadering",
                    s.addr,
                    f"{rng.randrange(16**16):016x}",
                ),
            )
        ]
        out.append(
            Mail(
                "invitation", "ordinary", s, [t.addr], f"Uitnodiging: {subj}", body, "outlook", atts
            )
        )

    # 10. Auto-replies
    for i in range(5):
        s = staff()
        t = external(rng.choice(GEMEENTES + SCHOOLS + PRIVATE), "")
        body = pick(
            i,
            [
                f"Dank voor uw bericht. Ik ben tot en met {future_day()} afwezig en lees mijn mail niet. "
                f"Voor dringende zaken over een cliënt kunt u contact opnemen met het teamnummer "
                f"{phone_office()}. Wilt u een melding doen van huiselijk geweld of kindermishandeling? "
                f"Bel Veilig Thuis: 0800-2000 (gratis, 24/7).",
                f"Ik ben met zwangerschapsverlof. Uw mail wordt niet doorgestuurd. Mijn zaken zijn "
                f"overgedragen aan het team; bel {phone_office()} en vraag naar de dienstdoende "
                f"gezinsvoogd.",
                "Thank you for your e-mail. I am out of the office until January 6th. For urgent "
                "matters concerning a client please call +31 30 285 40 00.",
            ],
        )
        out.append(
            Mail(
                "auto_reply",
                "ordinary",
                s,
                [t.addr],
                "Automatisch antwoord: " + rng.choice(["overleg", "RE: dossier", "vraag"]),
                body,
                "plain",
            )
        )

    # 11. Court planning without client data (zaaknummers only, to the court that issued them)
    for _ in range(4):
        s = staff("Medewerker Planning & Zittingen")
        t = external("rechtspraak.nl", "Griffie familie- en jeugdrecht")
        rows = [
            f"C/16/{rng.randint(500000, 599999)} / JE RK 26-{rng.randint(1000, 2999)}  -  "
            f"{future_day()} {rng.choice(['09.30', '11.00', '13.30'])} uur"
            for _ in range(4)
        ]
        body = (
            f"Geachte griffie,\n\nVoor de zittingen jeugdbescherming in week "
            f"{rng.randint(2, 9)} kan de gezinsvoogd bij de volgende zaken niet aanwezig zijn; "
            f"wij verzoeken om uitstel of een vervangende datum:\n\n"
            + "\n".join(rows)
            + "\n\nIn alle zaken is een verlenging van de ondertoezichtstelling verzocht. De "
            "vervangende gezinsvoogd wordt via het portaal doorgegeven.\n\n" + signature(s)
        )
        out.append(
            Mail(
                "court_planning",
                "ordinary",
                s,
                [t.addr],
                "Beschikbaarheid zittingen",
                body,
                "outlook",
            )
        )

    # 12. Long reply chains about practical matters
    for _ in range(5):
        s = staff()
        t = external(
            rng.choice(GEMEENTES + SUPPLIERS), rng.choice(["Facilitair", "Beleidsmedewerker"])
        )
        a1 = (
            f"Beste {s.first},\n\nKunnen jullie op {future_day()} de vergaderzaal op de "
            f"tweede verdieping gebruiken voor de training? We zijn met 14 personen.\n\n"
            f"{partner_sig(t, t.domain.split('.')[0].title(), [f'T {phone_office()}'])}"
        )
        a2 = (
            f"Hoi {t.first},\n\nDat kan. Wil je de deelnemers laten melden bij de receptie "
            f"(Catharijnesingel 47, 3511 GC Utrecht)? Lunch regelen wij.\n\n{signature(s)}"
        )
        a3 = (
            f"Top, dank! Ik stuur de deelnemerslijst (namen en organisaties) volgende week.\n\n"
            f"{t.first}"
        )
        body = (
            f"Helemaal goed. Tot dan!\n\n{s.first}\n\n"
            + outlook_quote(t, s.addr, "RE: zaalreservering", "maandag 16 november 2026 10:12", a3)
            + "\n\n"
            + outlook_quote(s, t.addr, "RE: zaalreservering", "vrijdag 13 november 2026 15:40", a2)
            + "\n\n"
            + outlook_quote(t, s.addr, "zaalreservering", "vrijdag 13 november 2026 09:01", a1)
        )
        out.append(
            Mail(
                "reply_chain",
                "ordinary",
                s,
                [t.addr],
                "RE: RE: RE: zaalreservering",
                body,
                "outlook",
            )
        )

    # 13. Office addresses, phone numbers, postcodes
    for _ in range(4):
        s = staff(rng.choice(["Secretaresse Raad van Bestuur", "Communicatieadviseur"]))
        t = external(rng.choice(GEMEENTES + SUPPLIERS + PRIVATE), "")
        body = (
            "Beste relatie,\n\nPer 1 januari verhuist ons team Amersfoort. Onze nieuwe "
            "adressen:\n\nTeam Amersfoort\nStationsplein 12\n3818 LE Amersfoort\nT 033 - 460 "
            "12 00\n\nTeam Zeist\nSlotlaan 3\n3701 GA Zeist\nT 030 - 692 44 00\n\n"
            "Het postadres blijft Postbus 13160, 3507 LD Utrecht. Veilig Thuis blijft bereikbaar "
            "via 0800-2000.\n\n" + signature(s)
        )
        out.append(
            Mail(
                "office_address",
                "ordinary",
                s,
                [t.addr],
                "Nieuwe adresgegevens per 1 januari",
                body,
                rng.choice(["outlook", "apple"]),
            )
        )

    # 14. Bookings, orders, lease cars, hotel for a conference
    for i in range(5):
        s = staff()
        t = external(
            rng.choice(
                [
                    "hotel-vanderwerf.example",
                    "ns-zakelijk.example",
                    "kantoorpartner.example",
                    "leasedirect.example",
                ]
            ),
            "Reserveringen",
        )
        num = number9()
        body = pick(
            i,
            [
                f"Goedemiddag,\n\nGraag bevestig ik de boeking voor het congres Jeugdbescherming op "
                f"{future_day()}.\nReserveringsnummer: {num}\nAantal kamers: 3 (eenpersoons)\n"
                f"Gasten: {fake.name()}, {fake.name()} en {fake.name()} (medewerkers).",
                f"Beste {t.first},\n\nBestelling {num} (toner en kopieerpapier) is gisteren niet "
                f"geleverd op Stationsplein 12, 3818 LE Amersfoort. Kunt u de track & trace code "
                f"3SABCD{rng.randint(10000000, 99999999)} nakijken?",
                f"Hallo,\n\nDe leaseauto met kenteken {rng.choice(['XK-123-B', 'H-456-TG', 'GZ-88-PL'])} "
                f"moet voor onderhoud. Contractnummer {num}. Berijder is bereikbaar op {mobile()}.",
            ],
        )
        out.append(
            Mail(
                "booking_order",
                "ordinary",
                s,
                [t.addr],
                rng.choice([f"Reservering {num}", f"Bestelling {num}", "Onderhoud leaseauto"]),
                body + "\n\n" + signature(s),
                rng.choice(["outlook", "gmail", "apple"]),
            )
        )

    # 15. Team outing photo to an external photographer / staff private address
    for _ in range(2):
        s = staff("Communicatieadviseur")
        t = external(rng.choice([*PRIVATE, "fotostudio-licht.example"]), "")
        out.append(
            Mail(
                "photo",
                "ordinary",
                s,
                [t.addr],
                "Foto teamuitje",
                f"Hoi {t.first},\n\nHierbij de foto van de heidag voor de website.\n\n"
                + signature(s),
                rng.choice(["apple", "gmail"]),
                [Att("IMG_4821.jpeg", "image/jpeg", photo_jpeg())],
            )
        )

    # 16. Policy documents with case words, to partners (no client)
    for _ in range(3):
        s = staff(rng.choice(["Gedragswetenschapper", "Teamleider Jeugdbescherming Utrecht-Oost"]))
        t = external(rng.choice([*GEMEENTES, "raadvoordekinderbescherming.example"]), "")
        atts = [
            Att(
                "Werkafspraken crisisplaatsing.odt",
                "application/vnd.oasis.opendocument.text",
                odt_file(
                    "Werkafspraken crisisplaatsing en uithuisplaatsing",
                    [
                        "1. Bij een crisisplaatsing informeert de gezinsvoogd binnen 24 uur de "
                        "gemeente en de Raad voor de Kinderbescherming.",
                        "2. De melding bij Veilig Thuis wordt in het dossier vastgelegd.",
                        "3. Het casusoverleg vindt binnen vijf werkdagen plaats.",
                        "Versie 2.1, vastgesteld 12 oktober 2026.",
                    ],
                ),
            )
        ]
        out.append(
            Mail(
                "policy_document",
                "ordinary",
                s,
                [t.addr],
                "Werkafspraken crisisplaatsing",
                f"Beste {t.first},\n\nZoals toegezegd de geactualiseerde werkafspraken. "
                f"Graag jullie reactie vóór {future_day()}.\n\n" + signature(s),
                "outlook",
                atts,
            )
        )

    # 17. A pasted screenshot of an IT error (large inline image, no client data)
    for _ in range(2):
        s = staff("Functioneel beheerder")
        t = external("ict-zorgservice.example", "Servicedesk")
        shot = screenshot_png(
            "Foutmelding - Citrix Workspace",
            [
                ("Foutcode", f"0x{rng.randrange(16**8):08X}"),
                ("Server", "ctx-farm-03"),
                ("Tijdstip", "23-11-2026 08:14"),
            ],
            ["De verbinding met de server is verbroken.", "Neem contact op met uw beheerder."],
        )
        out.append(
            Mail(
                "it_screenshot",
                "ordinary",
                s,
                [t.addr],
                "Foutmelding Citrix",
                "Hallo,\n\nZie de schermafdruk hieronder:\n\n[screenshot]\n\n"
                "Dit gebeurt bij alle gebruikers op locatie Zeist.\n\n" + signature(s),
                "outlook",
                inline_big=shot,
            )
        )

    # 18. Internal ordinary mail
    for _ in range(6):
        s = staff()
        t = staff()
        out.append(
            Mail(
                "internal_chat",
                "ordinary",
                s,
                [t.addr],
                "Lunch vrijdag?",
                f"Hoi {t.first},\n\nZin om vrijdag samen te lunchen na het casusoverleg?\n\n"
                f"{s.first}",
                rng.choice(["outlook", "thunderbird"]),
            )
        )
    return out


def client_mails() -> list[Mail]:
    out: list[Mail] = []

    # A. Referral by mail body to a local team: name, date of birth, address
    for i in range(5):
        s = vt_staff() if i % 2 else staff("Gezinsvoogd")
        t = external(rng.choice(GEMEENTES), "Wijkteam")
        c = client_person()
        b = c["bsn"]
        lines = [
            f"Naam: {c['name']}",
            f"Geboortedatum: {fmt_date(c['dob'])}",
            f"Adres: {c['addr']}, {c['pc']} {c['city']}",
        ]
        det = ["case_keywords", "date_of_birth", "postcode"]
        if i % 2 == 0:
            lines.append(f"BSN: {spaced_bsn(b)}")
            det.append("bsn")
        body = (
            f"Beste {t.first},\n\nNaar aanleiding van de melding bij Veilig Thuis dragen wij "
            f"onderstaand gezin over aan het wijkteam voor vrijwillige hulp.\n\n"
            + "\n".join(lines)
            + f"\nMoeder: {c['parent']}\n\nAanleiding: zorgen over "
            f"huiselijk geweld tussen de ouders; het kind is getuige geweest. Er is geen "
            f"ondertoezichtstelling.\n\n" + signature(s)
        )
        out.append(
            Mail(
                "referral_body",
                "client_data",
                s,
                [t.addr],
                "Overdracht gezin",
                body,
                rng.choice(["outlook", "apple"]),
                detectors=det,
                where=["body"],
            )
        )

    # B. Dossier extract as .docx
    for _ in range(4):
        s = staff("Gezinsvoogd")
        t = external(rng.choice(SCHOOLS + GPS + ["jeugdggz-utrecht.example"]), "")
        c = client_person()
        atts = [
            Att(
                f"Dossieruittreksel {c['name'].split()[-1]}.docx",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                docx_file(
                    "Uittreksel dossier jeugdbescherming",
                    [
                        "Vertrouwelijk - alleen voor de geadresseerde.",
                        f"De ondertoezichtstelling is uitgesproken door de kinderrechter op "
                        f"{fmt_date((2026, rng.randint(1, 10), rng.randint(1, 28)), 'long')}.",
                        "Doelen: veilige thuissituatie, schoolgang, contact met vader begeleid.",
                    ],
                    [
                        ["Naam cliënt", c["name"]],
                        ["Geboortedatum", fmt_date(c["dob"])],
                        ["BSN", c["bsn"]],
                        ["Adres", f"{c['addr']}, {c['pc']} {c['city']}"],
                        ["Gezinsvoogd", s.name],
                    ],
                ),
            )
        ]
        out.append(
            Mail(
                "dossier_docx",
                "client_data",
                s,
                [t.addr],
                "Gevraagde informatie",
                f"Beste {t.first},\n\nIn de bijlage het gevraagde uittreksel.\n\n" + signature(s),
                "outlook",
                atts,
                detectors=["bsn", "date_of_birth", "case_keywords", "postcode"],
                where=["docx"],
            )
        )

    # C. Spreadsheet of clients to the municipality (declaration check)
    for i in range(4):
        s = staff("Medewerker Financiën")
        t = external(rng.choice(GEMEENTES), "Team Backoffice Jeugd")
        rows: list[list[Any]] = [
            ["BSN", "Naam", "Geboortedatum", "Product", "Startdatum", "Bedrag"]
        ]
        for _ in range(rng.randint(6, 15)):
            c = client_person()
            rows.append(
                [
                    c["bsn"],
                    c["name"],
                    fmt_date(c["dob"], "dash"),
                    rng.choice(["OTS", "JR", "Voogdij"]),
                    "01-0" + str(rng.randint(1, 9)) + "-2026",
                    rng.randint(800, 1600),
                ]
            )
        if i % 2:
            att = Att(
                "Controle declaraties oktober.xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                xlsx_file("Declaraties", rows),
            )
        else:
            att = Att(
                "Controle declaraties oktober.ods",
                "application/vnd.oasis.opendocument.spreadsheet",
                ods_file([[str(x) for x in r] for r in rows]),
            )
        out.append(
            Mail(
                "client_spreadsheet",
                "client_data",
                s,
                [t.addr],
                "Controle declaraties",
                f"Beste {t.first},\n\nHierbij de lijst met de trajecten waarover jullie een "
                f"vraag hadden.\n\n" + signature(s),
                rng.choice(["outlook", "thunderbird"]),
                [att],
                detectors=["bsn", "date_of_birth"],
                where=["spreadsheet"],
            )
        )

    # D. Reports as PDF (reportlab / fpdf2), incl. a form with boxed BSN digits
    for i in range(5):
        s = staff(rng.choice(["Gezinsvoogd", "Gedragswetenschapper"]))
        t = external(
            rng.choice(
                [
                    "raadvoordekinderbescherming.example",
                    "jeugdggz-utrecht.example",
                    "pleegzorg-midden.example",
                    *SCHOOLS,
                ]
            ),
            "",
        )
        c = client_person()
        if i < 3:
            pdf = reportlab_pdf(
                f"Rapportage ondertoezichtstelling {c['name']}",
                [
                    f"Cliënt: {c['name']}, geboren {fmt_date(c['dob'], 'long')}",
                    f"Burgerservicenummer: {c['bsn']}",
                    "De gezinsvoogd constateert dat de afspraken uit het plan van aanpak deels "
                    "zijn nagekomen. Een uithuisplaatsing is op dit moment niet nodig.",
                    f"Woonadres: {c['addr']}, {c['pc']} {c['city']}",
                ],
            )
            det = ["bsn", "date_of_birth", "case_keywords", "postcode"]
        else:
            pdf = fpdf_pdf(
                "Aanmeldformulier pleegzorg",
                [
                    f"Naam kind: {c['name']}",
                    f"Geboortedatum: {fmt_date(c['dob'], 'dash')}",
                    "Reden aanmelding: crisisplaatsing na melding Veilig Thuis",
                    f"Gezinsvoogd: {s.name}",
                ],
                boxes=("Burgerservicenummer", c["bsn"]),
            )
            det = ["bsn", "date_of_birth", "case_keywords"]
        out.append(
            Mail(
                "report_pdf",
                "client_data",
                s,
                [t.addr],
                rng.choice(["Rapportage", "Aanmelding", "Stukken voor het overleg"]),
                f"Beste {t.first},\n\nZie bijlage.\n\n" + signature(s),
                rng.choice(["outlook", "gmail"]),
                [
                    Att(
                        f"{'Rapportage' if i < 3 else 'Aanmelding'}_{i + 1}.pdf",
                        "application/pdf",
                        pdf,
                    )
                ],
                detectors=det,
                where=["pdf"],
            )
        )

    # E. ODT report
    for _ in range(2):
        s = staff("Jeugdbeschermer")
        t = external(
            rng.choice(["jeugdreclassering-partner.example", "pleegzorg-midden.example"]), ""
        )
        c = client_person()
        att = Att(
            "Verslag casusoverleg.odt",
            "application/vnd.oasis.opendocument.text",
            odt_file(
                "Verslag casusoverleg",
                [
                    f"Betreft: {c['name']} (geb. {fmt_date(c['dob'], 'dash')})",
                    f"BSN {c['bsn']}",
                    "Aanwezig: gezinsvoogd, mentor, wijkteam, moeder.",
                    "Besproken: schoolverzuim, zorgen over huiselijk geweld, vervolg casusoverleg.",
                ],
            ),
        )
        out.append(
            Mail(
                "report_odt",
                "client_data",
                s,
                [t.addr],
                "Verslag casusoverleg",
                f"Hoi {t.first},\n\nHet verslag van vanochtend.\n\n" + signature(s),
                "thunderbird",
                [att],
                detectors=["bsn", "date_of_birth", "case_keywords"],
                where=["odt"],
            )
        )

    # F. Screenshot of the case system (attached or pasted inline)
    for i in range(4):
        s = staff(rng.choice(["Gezinsvoogd", "Medewerker Veilig Thuis"]))
        t = external(rng.choice(["ict-zorgservice.example", *PRIVATE, *SCHOOLS]), "")
        c = client_person()
        shot = screenshot_png(
            f"Dossier - {c['name']}",
            [
                ("Naam", c["name"]),
                ("Geboortedatum", fmt_date(c["dob"], "dash")),
                ("BSN", c["bsn"]),
                ("Adres", c["addr"]),
                ("Postcode", f"{c['pc']} {c['city']}"),
                ("Maatregel", "Ondertoezichtstelling"),
            ],
            [
                "Melding Veilig Thuis ontvangen; zorgen over huiselijk geweld.",
                "Volgende stap: casusoverleg met school en wijkteam.",
            ],
        )
        if i % 2:
            m = Mail(
                "screenshot",
                "client_data",
                s,
                [t.addr],
                "Scherm loopt vast",
                "Hoi,\n\nBij dit scherm loopt het systeem steeds vast:\n\n[screenshot]\n\n"
                + signature(s),
                "outlook",
                inline_big=shot,
            )
        else:
            m = Mail(
                "screenshot",
                "client_data",
                s,
                [t.addr],
                "schermafdruk",
                "Zie bijlage\n\n" + signature(s),
                rng.choice(["apple", "gmail"]),
                [Att("Schermafbeelding 2026-11-23 om 10.14.32.png", "image/png", shot)],
            )
        m.detectors = ["bsn", "date_of_birth", "case_keywords", "postcode"]
        m.where = ["image"]
        out.append(m)

    # G. Scanned form (JPEG from the multifunction printer)
    for i in range(3):
        t = external(rng.choice([*GPS, "jeugdggz-utrecht.example"]), "")
        c = client_person()
        scan = scan_jpeg(
            [
                "VERWIJSBRIEF JEUGDHULP",
                "",
                f"Naam jeugdige: {c['name']}",
                f"Geboortedatum: {fmt_date(c['dob'], 'dash')}",
                f"BSN: {c['bsn']}",
                f"Adres: {c['addr']}",
                f"{c['pc']} {c['city']}",
                "",
                "Reden: ondertoezichtstelling, zorgen over huiselijk geweld.",
                "Gezinsvoogd Samen Veilig",
            ]
        )
        out.append(
            Mail(
                "scan",
                "client_data",
                "scanner-3e-verdieping@samen-veilig.nl",
                [t.addr],
                "Gescand document",
                "Gescand met de Ricoh IM C3000.\n",
                "plain",
                [Att(f"SCAN_2026112{i}_0931.jpg", "image/jpeg", scan)],
                local=True,
                detectors=["bsn", "date_of_birth", "case_keywords", "postcode"],
                where=["image"],
            )
        )

    # H. Voicemail MP3 from the phone exchange, forwarded to an external mailbox (local path)
    for i in range(3):
        t = external(rng.choice(PRIVATE), "")
        out.append(
            Mail(
                "voicemail",
                "client_data",
                "telefooncentrale@samen-veilig.nl",
                [t.addr],
                f"Voicemail van {rng.choice(['+31612345678', 'onbekend', '0302854000'])}",
                f"U heeft een nieuw voicemailbericht ({rng.randint(10, 90)} seconden).\n",
                "plain",
                [Att("voicemail.mp3", "audio/mpeg", voicemail_mp3(2 + i))],
                local=True,
                detectors=["audio"],
                where=["mp3"],
            )
        )

    # I. Court: hearing documents with name and date of birth
    for _ in range(3):
        s = staff("Gezinsvoogd")
        t = external("rechtspraak.nl", "Griffie")
        c = client_person()
        body = (
            f"Geachte griffie,\n\nIn de zaak C/16/{rng.randint(500000, 599999)} / JE RK "
            f"26-{rng.randint(1000, 2999)} betreffende de minderjarige {c['name']}, geboren op "
            f"{fmt_date(c['dob'], 'long')} te {c['city']}, stuur ik u hierbij het verzoek tot "
            f"verlenging van de ondertoezichtstelling. De zitting staat gepland op "
            f"{future_day()}.\n\n" + signature(s)
        )
        out.append(
            Mail(
                "court_client",
                "client_data",
                s,
                [t.addr],
                "Verzoek verlenging OTS",
                body,
                "outlook",
                detectors=["date_of_birth", "case_keywords"],
                where=["body"],
            )
        )

    # J. English mail to an international partner
    for _ in range(2):
        s = staff("Casusregisseur")
        t = external(rng.choice(["jugendamt-kleve.example", "childprotection-be.example"]), "")
        c = client_person()
        body = (
            f"Dear colleague,\n\nRegarding our client {c['name']} (date of birth "
            f"{fmt_date(c['dob'], 'iso')}, citizen service number {c['bsn']}), who moved to your "
            f"area with her mother: the child protection order (ondertoezichtstelling) is still "
            f"in force until {future_day()}.\n\nKind regards,\n\n{s.name}\n{ORG}"
        )
        out.append(
            Mail(
                "english_partner",
                "client_data",
                s,
                [t.addr],
                "Transfer of case",
                body,
                "gmail",
                detectors=["bsn", "date_of_birth", "case_keywords"],
                where=["body"],
            )
        )

    # K. Reply chain where the client data is further down (quoted)
    for _ in range(4):
        s = staff("Gezinsvoogd")
        t = external(rng.choice(SCHOOLS), "Intern begeleider")
        c = client_person()
        first = (
            f"Beste {t.first},\n\nHet gaat om {c['name']}, geb. {fmt_date(c['dob'])}, "
            f"groep 6. Wij zijn als jeugdbescherming betrokken sinds de melding in september. "
            f"Kunt u de verzuimgegevens sturen?\n\n{signature(s)}"
        )
        body = (
            f"Dank je, ontvangen!\n\n{s.first}\n\n"
            + outlook_quote(
                t,
                s.addr,
                "RE: verzuim",
                "dinsdag 17 november 2026 11:02",
                "Hoi, zie bijlage. Groet, " + t.first,
            )
            + "\n\n"
            + outlook_quote(s, t.addr, "verzuim", "maandag 16 november 2026 09:15", first)
        )
        out.append(
            Mail(
                "reply_chain_client",
                "client_data",
                s,
                [t.addr],
                "RE: RE: verzuim",
                body,
                "outlook",
                detectors=["date_of_birth", "case_keywords"],
                where=["quoted"],
            )
        )

    # L. BSN written with the label, without a date of birth (the team's 'high' case)
    for i in range(3):
        s = staff(rng.choice(["Gezinsvoogd", "Medewerker Financiën"]))
        t = external(rng.choice([*GEMEENTES, "zorgverzekeraar-zilveren.example"]), "")
        c = client_person()
        body = pick(
            i,
            [
                f"Beste {t.first},\n\nKunt u nagaan of de beschikking voor {c['name']} (bsn "
                f"{spaced_bsn(c['bsn'])}) is afgegeven? De jeugdhulp start volgende week.",
                f"Goedemorgen,\n\nBurgerservicenummer van de jeugdige: {c['bsn']}. Graag de "
                f"toewijzing via het berichtenverkeer, de naam is {c['name']}.",
                f"Hoi,\n\nBSN-nr. {spaced_bsn(c['bsn'])} ({c['name']}) staat nog niet in jullie "
                f"systeem. Kan dat worden aangepast?",
            ],
        )
        out.append(
            Mail(
                "bsn_labelled",
                "client_data",
                s,
                [t.addr],
                "Beschikking jeugdhulp",
                body + "\n\n" + signature(s),
                rng.choice(["outlook", "apple"]),
                detectors=["bsn"],
                where=["body"],
            )
        )

    # M. Invitation (.ics) with client details in the description
    for _ in range(2):
        s = staff("Gezinsvoogd")
        t = external(rng.choice(SCHOOLS + GEMEENTES), "")
        c = client_person()
        desc = (
            f"Casusoverleg {c['name']} (geb. {fmt_date(c['dob'], 'dash')})\n"
            f"Aanleiding: melding Veilig Thuis, zorgen over kindermishandeling."
        )
        out.append(
            Mail(
                "invite_client",
                "client_data",
                s,
                [t.addr],
                "Uitnodiging casusoverleg",
                f"Beste {t.first},\n\nZie de uitnodiging.\n\n" + signature(s),
                "outlook",
                [
                    Att(
                        "invite.ics",
                        "text/calendar",
                        ics(
                            "Casusoverleg",
                            desc,
                            "Kantoor Utrecht",
                            s.addr,
                            f"{rng.randrange(16**16):016x}",
                        ),
                    )
                ],
                detectors=["date_of_birth", "case_keywords"],
                where=["ics"],
            )
        )

    # N. Internal client data (stays inside: delivered)
    for i in range(6):
        s = staff()
        t = staff() if i % 2 else vt_staff()
        c = client_person()
        atts = []
        if i == 2:
            atts.append(Att("voicemail.mp3", "audio/mpeg", voicemail_mp3(2.5)))
        body = (
            f"Hoi {t.first},\n\nKun jij de zaak van {c['name']} (geb. {fmt_date(c['dob'])}, "
            f"BSN {c['bsn']}) overnemen tijdens mijn verlof? Het dossier staat klaar.\n\n"
            + signature(s)
        )
        det = ["bsn", "date_of_birth", "case_keywords"] + (["audio"] if atts else [])
        out.append(
            Mail(
                "internal_handover",
                "client_data",
                s,
                [t.addr],
                "Overdracht",
                body,
                rng.choice(["outlook", "thunderbird"]),
                atts,
                detectors=det,
                where=["body"],
            )
        )
    return out


def rsin() -> str:
    """An RSIN (fiscal number of a legal entity): by law it passes the same 11-proef as a BSN."""
    return number9(True)


def ordinary_hard() -> list[Mail]:
    """Second round: ordinary mail with the patterns a DLP filter trips over."""
    out: list[Mail] = []

    # 19. Supplier and partner footers with RSIN / BTW-id / loonheffingennummer (11-proef valid)
    for i in range(5):
        s = staff(rng.choice(["Contractmanager", "Medewerker Financiën"]))
        t = external(
            rng.choice([*SUPPLIERS, "jeugdggz-utrecht.example", "pleegzorg-midden.example"]),
            "Financiële administratie",
        )
        r = rsin()
        footer = pick(
            i,
            [
                f"Stichting Jeugdhulp Partners | KvK {kvk()} | RSIN {r} | ANBI-status",
                f"BTW-nummer NL{r}B01 | KvK {kvk()}",
                f"Loonheffingennummer {r}L01",
                f"Fiscaal nummer: {r}",
                f"BTW-id: NL {r[:4]}.{r[4:6]}.{r[6:]}.B01",
            ],
        )
        quote = partner_sig(t, t.domain.split(".")[0].title(), [footer, f"T {phone_office()}"])
        body = (
            f"Beste {t.first},\n\nDank voor de factuur voor de inzet van de ambulante "
            f"hulpverlener bij het casusoverleg en de jeugdbescherming in oktober. Wij "
            f"betalen binnen 30 dagen. Graag vermelden jullie voortaan ons "
            f"inkoopordernummer.\n\n{signature(s)}\n\n"
            + outlook_quote(
                t,
                s.addr,
                "Factuur oktober",
                "dinsdag 17 november 2026 08:30",
                f"Goedemorgen,\n\nBijgaand de factuur over oktober.\n\n{quote}",
            )
        )
        out.append(
            Mail("supplier_rsin", "ordinary", s, [t.addr], "RE: Factuur oktober", body, "outlook")
        )

    # 20. Reference numbers under labels that are not on any list
    labels = [
        "Referentie",
        "Uw ref.",
        "Zaak-ID",
        "Polisnummer",
        "Offertenummer",
        "PO-nummer",
        "Registratienummer",
        "Relatienummer",
        "Aanvraagnummer",
        "Dossiernr. leverancier",
    ]
    for i in range(6):
        s = staff(rng.choice(["Gezinsvoogd", "Contractmanager", "Functioneel beheerder"]))
        t = external(rng.choice(GEMEENTES + SUPPLIERS + ["zorgverzekeraar-zilveren.example"]), "")
        lab = labels[i % len(labels)]
        lab2 = labels[(i + 5) % len(labels)]
        body = pick(
            i,
            [
                f"Beste {t.first},\n\n{lab}: {number9(True)}\n\nWij hebben uw vraag over de "
                f"aanbesteding jeugdbescherming ontvangen. U hoort binnen tien werkdagen van ons. "
                f"Vermeld bij correspondentie altijd het nummer hierboven.",
                f"Hallo,\n\nNaar aanleiding van de melding over de storing in het cliëntportaal: "
                f"{lab} {number9(True)}. De leverancier heeft een patch uitgerold.",
                f"Goedemiddag,\n\nDe verzekering van de dienstauto's loopt per 1 januari over naar "
                f"de nieuwe maatschappij. {lab} {number9(True)}, {lab2} {number9(True)}. Schade "
                f"melden via het formulier in de bijlage.",
            ],
        )
        out.append(
            Mail(
                "unlisted_label",
                "ordinary",
                s,
                [t.addr],
                f"{lab} {number9()}",
                body + "\n\n" + signature(s),
                rng.choice(["outlook", "gmail", "thunderbird"]),
            )
        )

    # 21. A data-breach notification to the regulator: talks about BSNs, contains none
    for _ in range(2):
        s = staff("Functionaris Gegevensbescherming")
        t = external("autoriteitpersoonsgegevens.example", "")
        body = (
            f"Geachte heer/mevrouw,\n\nAanvullend op onze melding datalek (meldnummer "
            f"{number9(True)}) het volgende. Bij het incident zijn gegevens van "
            f"{rng.randint(8, 40)} cliënten ingezien door een onbevoegde: naam, adres, "
            f"geboortedatum en BSN. Er zijn geen gegevens gekopieerd. De betrokken gezinnen "
            f"zijn op {fmt_date((2026, 11, rng.randint(1, 20)), 'long')} geïnformeerd.\n\n"
            f"Ons interne kenmerk: DL-2026-{rng.randint(10, 99)}.\n\n" + signature(s)
        )
        out.append(
            Mail(
                "breach_notice",
                "ordinary",
                s,
                [t.addr],
                "Aanvulling melding datalek",
                body,
                "outlook",
            )
        )

    # 22. "geb." for gebouw (building) next to a meeting date, with case words
    for i in range(3):
        s = staff(rng.choice(["Gezinsvoogd", "Vertrouwensarts Veilig Thuis"]))
        t = external(
            rng.choice(
                ["umcutrecht.example", "ziekenhuis-meander.example", "hogeschool-utrecht.example"]
            ),
            "",
        )
        body = pick(
            i,
            [
                f"Beste {t.first},\n\nHet casusoverleg kindermishandeling met de kinderartsen is op "
                f"{fmt_date((2027, 1, rng.randint(10, 28)), 'dash')} in geb. {rng.choice(['B', 'Noord', '3'])}, "
                f"kamer {rng.randint(100, 400)}. Casussen worden geanonimiseerd ingebracht.",
                f"Hoi {t.first},\n\nLocatie training meldcode: Heidelberglaan 7, geb. "
                f"{rng.choice(['Educatorium', 'Wilhelmina'])}, zaal 2. Datum: "
                f"{fmt_date((2027, 2, rng.randint(1, 28)), 'dash')}. Medewerkers van Veilig Thuis "
                f"verzorgen het tweede deel.",
                f"Beste collega,\n\nGeboortezorg en jeugdbescherming: het ketenoverleg Kansrijke "
                f"Start is verplaatst naar {fmt_date((2027, 3, rng.randint(1, 28)), 'long')}. Ook "
                f"de verloskundigen en de kraamzorg sluiten aan.",
            ],
        )
        out.append(
            Mail(
                "building_abbrev",
                "ordinary",
                s,
                [t.addr],
                "Locatie overleg",
                body + "\n\n" + signature(s),
                "outlook",
            )
        )

    # 23. In memoriam of a colleague in a partner newsletter (public, not a client)
    for _ in range(1):
        d = dob(55, 66)
        body = (
            f"Nieuwsbrief Samen Veilig - december 2026\n\nIn memoriam\nMet verdriet delen wij "
            f"het overlijden van onze collega {fake.name()}, gezinsvoogd in team Amersfoort. "
            f"Geboren {fmt_date(d, 'long')}, overleden {fmt_date((2026, 11, 12), 'long')}. "
            f"Zij werkte ruim twintig jaar in de jeugdbescherming en was voor veel gezinnen "
            f"en collega's een vaste kracht.\n\nMeldingen en adviesvragen\nVeilig Thuis "
            f"ontving in november {rng.randint(700, 900)} meldingen.\n\n{ORG}, Postbus 13160, "
            f"3507 LD Utrecht"
        )
        out.append(
            Mail(
                "newsletter_memoriam",
                "ordinary",
                "nieuwsbrief@samen-veilig.nl",
                ["partners@mailing.samen-veilig-lijst.example"],
                "Nieuwsbrief december",
                body,
                "outlook",
            )
        )

    # 24. A job applicant's CV returned to the recruitment agency that sent it
    for _ in range(2):
        s = staff("HR-adviseur")
        t = external("detacheerder-plus.example", "Recruiter")
        cand = f"{fake.first_name()} {fake.last_name()}"
        cv = docx_file(
            f"Curriculum vitae {cand}",
            [
                f"Geboortedatum: {fmt_date(dob(24, 45), 'dash')}",
                f"Woonplaats: {rng.choice(['Utrecht', 'Zeist', 'Houten'])}",
                "Werkervaring: 2019-heden gezinsvoogd bij een gecertificeerde instelling; "
                "casusoverleg, ondertoezichtstelling, uithuisplaatsing, samenwerking met Veilig Thuis.",
                "Opleiding: HBO Social Work, registratie SKJ.",
            ],
        )
        out.append(
            Mail(
                "hr_cv",
                "ordinary",
                s,
                [t.addr],
                f"Kandidaat {cand}",
                f"Beste {t.first},\n\nWij hebben besloten deze kandidaat niet uit te "
                f"nodigen. Het cv sturen we retour; wij bewaren het niet.\n\n" + signature(s),
                "outlook",
                [
                    Att(
                        f"CV {cand}.docx",
                        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                        cv,
                    )
                ],
            )
        )

    # 25. Employee sick-leave notification to the occupational health service (not a client)
    for _ in range(2):
        s = staff("HR-adviseur")
        t = external("arbodienst-midden.example", "Casemanager verzuim")
        body = (
            f"Beste {t.first},\n\nHierbij de ziekmelding van een medewerker.\n\n"
            f"Personeelsnummer: {rng.randint(10000, 99999)}\nNaam: {fake.name()}\n"
            f"Geboortedatum: {fmt_date(dob(25, 60), 'dash')}\nFunctie: gezinsvoogd\n"
            f"Eerste ziektedag: {fmt_date((2026, 11, rng.randint(1, 20)), 'dash')}\n\n"
            f"Graag een afspraak met de bedrijfsarts.\n\n" + signature(s)
        )
        out.append(Mail("hr_sick_leave", "ordinary", s, [t.addr], "Ziekmelding", body, "outlook"))

    # 26. Aggregated figures per postcode area for the municipality (no person)
    for _ in range(2):
        s = staff("Contractmanager")
        t = external(rng.choice(GEMEENTES), "Beleidsadviseur Jeugd")
        rows = [["Postcodegebied", "Meldingen", "OTS", "Uithuisplaatsingen"]]
        for pc in ["3511", "3512", "3521", "3531", "3541", "3561", "3572", "3583"]:
            rows.append([pc, str(rng.randint(10, 90)), str(rng.randint(10, 40)), "<10"])
        out.append(
            Mail(
                "aggregate_postcode",
                "ordinary",
                s,
                [t.addr],
                "Cijfers per wijk",
                f"Beste {t.first},\n\nZoals gevraagd de cijfers per postcodegebied "
                f"(4 cijfers, aantallen onder 10 afgeschermd).\n\n" + signature(s),
                "outlook",
                [
                    Att(
                        "Cijfers per wijk 2026.pdf",
                        "application/pdf",
                        reportlab_pdf(
                            "Meldingen en maatregelen per wijk",
                            ["Peildatum 1 november 2026."],
                            rows,
                        ),
                    )
                ],
            )
        )

    # 27. Zoom / Webex / Teams meeting IDs in English
    for i in range(3):
        s = staff()
        t = external(rng.choice(["childprotection-be.example", "eurochild.example"]), "")
        mid = number9(True)
        body = pick(
            i,
            [
                f"Dear colleagues,\n\nJoin Zoom Meeting\nhttps://zoom.us/j/{mid}\nMeeting ID: "
                f"{mid[:3]} {mid[3:6]} {mid[6:]}\nPasscode: 4411\n\nTopic: cross-border child "
                f"protection cases (anonymised).",
                f"Hello,\n\nWebex meeting number (access code): {mid[:4]} {mid[4:7]} {mid[7:]}\n"
                f"Meeting password: Jeugd2027\n\nWe will discuss the referral protocol between "
                f"Veilig Thuis and your helpline.",
                f"Hi,\n\nMicrosoft Teams Need help?\nMeeting ID: {mid[:3]} {mid[3:6]} {mid[6:]}\n"
                f"Passcode: x7Yq2A\nDial in by phone +31 20 708 {rng.randint(1000, 9999)},,{mid}#\n"
                f"Phone conference ID: {mid[:3]} {mid[3:6]} {mid[6:]}#",
            ],
        )
        out.append(
            Mail(
                "meeting_id_english",
                "ordinary",
                s,
                [t.addr],
                "Meeting invitation",
                body + "\n\n" + signature(s),
                "outlook",
            )
        )
    return out


def client_hard() -> list[Mail]:
    """Second round: client data written the way people actually write it."""
    out: list[Mail] = []

    # O. Name and date of birth to a GP / foster parent, no BSN, few or no listed case words
    for i in range(4):
        s = staff("Gezinsvoogd")
        t = external(rng.choice(GPS + PRIVATE), "")
        c = client_person()
        body = pick(
            i,
            [
                f"Beste {t.first},\n\nKunt u de afspraak van {c['name']} (geb. "
                f"{fmt_date(c['dob'], 'dash')}) op donderdag verzetten? Moeder kan dan niet; zij "
                f"belt u zelf nog.",
                f"Hoi {t.first},\n\nVoor de inschrijving bij de huisarts: {c['name']}, geboren "
                f"{fmt_date(c['dob'], 'long')}, woonachtig bij jullie als pleeggezin sinds vorige "
                f"week. Medicatie: Ritalin 10 mg, 2x per dag.",
                f"Beste {t.first},\n\nKorte terugkoppeling over {c['name']} ({fmt_date(c['dob'], 'slash')}): "
                f"het gaat beter op school, de verwijzing naar de jeugd-GGZ loopt.",
                f"Hallo,\n\n{c['name']}, *{fmt_date(c['dob'], 'dash')}, {c['addr']}, {c['pc']} "
                f"{c['city']} - graag een afspraak voor de intake.",
            ],
        )
        out.append(
            Mail(
                "name_dob_no_keyword",
                "client_data",
                s,
                [t.addr],
                pick(i, ["Afspraak", "Inschrijving huisarts", "Terugkoppeling", "Intake"]),
                body + "\n\n" + signature(s),
                rng.choice(["outlook", "apple", "gmail"]),
                detectors=["date_of_birth"] + (["postcode"] if i == 3 else []),
                where=["body"],
            )
        )

    # P. BSN under labels people use other than "BSN"
    for i in range(4):
        s = staff(rng.choice(["Gezinsvoogd", "Medewerker Financiën"]))
        t = external(rng.choice([*GEMEENTES, "zorgverzekeraar-zilveren.example"]), "")
        c = client_person()
        lab = ["Burgerservicenr.", "Sofinummer", "Persoonsnummer (BRP)", "Burger service nummer"][i]
        body = (
            f"Beste {t.first},\n\nVoor de aanvraag jeugdhulp van de jeugdige {c['name']}:\n"
            f"{lab}: {spaced_bsn(c['bsn'])}\nGeboortedatum: {fmt_date(c['dob'])}\n\n"
            f"Graag de beschikking aan moeder sturen.\n\n" + signature(s)
        )
        out.append(
            Mail(
                "bsn_other_label",
                "client_data",
                s,
                [t.addr],
                "Aanvraag jeugdhulp",
                body,
                "outlook",
                detectors=["bsn", "date_of_birth"],
                where=["body"],
            )
        )

    # Q. Client name and date of birth in the subject only
    for _ in range(2):
        s = staff("Jeugdbeschermer")
        t = external(rng.choice(SCHOOLS), "")
        c = client_person()
        out.append(
            Mail(
                "subject_only",
                "client_data",
                s,
                [t.addr],
                f"{c['name']} geb. {fmt_date(c['dob'], 'dash')} - verslag OTS",
                "Zie onderwerp, graag jullie verslag voor de zitting.\n\n" + signature(s),
                "outlook",
                detectors=["date_of_birth", "case_keywords"],
                where=["subject"],
            )
        )

    # R. PDF table: BSN header once, many rows below
    for _ in range(2):
        s = staff("Medewerker Financiën")
        t = external(rng.choice(GEMEENTES), "Backoffice")
        rows = [["Naam", "Geboortedatum", "BSN", "Product"]]
        for _ in range(10):
            c = client_person()
            rows.append(
                [c["name"], fmt_date(c["dob"], "dash"), c["bsn"], rng.choice(["OTS", "JR"])]
            )
        out.append(
            Mail(
                "pdf_table",
                "client_data",
                s,
                [t.addr],
                "Overzicht trajecten",
                f"Beste {t.first},\n\nZie bijlage.\n\n" + signature(s),
                "outlook",
                [
                    Att(
                        "Overzicht trajecten november.pdf",
                        "application/pdf",
                        reportlab_pdf("Lopende trajecten november 2026", [], rows),
                    )
                ],
                detectors=["bsn", "date_of_birth"],
                where=["pdf"],
            )
        )

    # S. Phone photo of a paper letter (JPEG), sent from a phone to a private address
    for _ in range(2):
        s = staff("Gezinsvoogd")
        c = client_person()
        scan = scan_jpeg(
            [
                "Rechtbank Midden-Nederland",
                "Kinderrechter",
                "",
                "BESCHIKKING",
                f"inzake de minderjarige {c['name']},",
                f"geboren op {fmt_date(c['dob'], 'long')}",
                f"wonende te {c['city']}",
                "",
                "verlengt de ondertoezichtstelling",
                "tot 1 juni 2027.",
            ]
        )
        out.append(
            Mail(
                "photo_letter",
                "client_data",
                s,
                [f"{s.addr.split('@')[0]}{rng.randint(1, 99)}@{rng.choice(PRIVATE)}"],
                "foto",
                "Verstuurd vanaf mijn iPhone\n",
                "plain",
                [Att("IMG_2231.jpg", "image/jpeg", scan)],
                detectors=["date_of_birth", "case_keywords"],
                where=["image"],
            )
        )
    return out


def round_three() -> list[Mail]:
    """Third round: international phone numbers, big amounts, more birth-date spellings."""
    out: list[Mail] = []

    # 28. Phone numbers written internationally: the 9-digit national part can pass the 11-proef
    for i in range(4):
        s = staff(rng.choice(["Medewerker Veilig Thuis", "Gezinsvoogd", "Casusregisseur"]))
        t = external(rng.choice([*GEMEENTES, *SCHOOLS, "childprotection-be.example"]), "")
        n = number9(True)
        num = pick(
            i,
            [
                f"+31 {n[:2]} {n[2:5]} {n[5:]}",
                f"+31{n}",
                f"0031 {n[:2]} {n[2:]}",
                f"(+31) {n[:2]}-{n[2:]}",
            ],
        )
        body = pick(
            i,
            [
                f"Beste {t.first},\n\nVoor de melding van huiselijk geweld die u wilt bespreken: u "
                f"bereikt de dienstdoende medewerker van Veilig Thuis rechtstreeks op {num}.",
                f"Hi,\n\nFor the casusoverleg on Thursday you can reach me on {num} (mobile, also "
                f"WhatsApp).",
                f"Hallo {t.first},\n\nNieuw nummer van het crisisteam jeugdbescherming: {num}. Het "
                f"oude nummer vervalt per 1 januari.",
                f"Beste collega,\n\nBel voor overleg over een cliënt gerust naar {num}; ik ben er "
                f"op dinsdag en donderdag.",
            ],
        )
        out.append(
            Mail(
                "phone_international",
                "ordinary",
                s,
                [t.addr],
                "Bereikbaarheid",
                body + "\n\n" + signature(s),
                rng.choice(["outlook", "apple"]),
            )
        )

    # 29. Budgets and amounts with thousand separators (8-9 digits), annual report figures
    for i in range(3):
        s = staff(
            rng.choice(["Contractmanager", "Medewerker Financiën", "Secretaresse Raad van Bestuur"])
        )
        t = external(rng.choice(GEMEENTES), "Controller Sociaal Domein")
        a = number9(True)
        b = number9(True)
        amount = f"{a[:3]}.{a[3:6]}.{a[6:]}"
        body = pick(
            i,
            [
                f"Beste {t.first},\n\nDe regionale begroting Jeugd 2027 komt uit op € {amount}, "
                f"waarvan € {b[:2]}.{b[2:5]}.{b[5:8]} voor jeugdbescherming en jeugdreclassering. Het "
                f"aantal cliënten met een ondertoezichtstelling daalt licht.",
                f"Hallo {t.first},\n\nIn het jaarverslag staan de totale baten op € {amount},- en de "
                f"kosten van crisisplaatsingen op € {b[:1]}.{b[1:4]}.{b[4:7]},-. De accountant "
                f"heeft een goedkeurende verklaring afgegeven.",
                f"Beste {t.first},\n\nVerantwoording subsidie, beschikking {number9()}: besteed "
                f"€ {amount}; aantal meldingen Veilig Thuis {rng.randint(8000, 9999)}.",
            ],
        )
        out.append(
            Mail(
                "budget_amounts",
                "ordinary",
                s,
                [t.addr],
                "Begroting en verantwoording",
                body + "\n\n" + signature(s),
                "outlook",
            )
        )

    # 30. Birthdays and anniversaries of colleagues mentioned to partners (no birth year)
    for i in range(2):
        s = staff("Teamleider Jeugdbescherming Utrecht-Oost")
        t = external(rng.choice(GEMEENTES), "")
        body = pick(
            i,
            [
                f"Beste {t.first},\n\nVrijdag vieren we het afscheid van onze gezinsvoogd "
                f"{fake.name()}, die na 30 jaar met pensioen gaat (jarig op 14 december!). Je bent "
                f"van harte welkom vanaf 16.00 uur.",
                f"Hoi {t.first},\n\nOnze collega is 1 december 2001 in dienst gekomen bij toen nog "
                f"Bureau Jeugdzorg; 25 jaar jeugdbescherming. We vieren het op "
                f"{fmt_date((2026, 12, 11), 'long')}.",
            ],
        )
        out.append(
            Mail(
                "colleague_party",
                "ordinary",
                s,
                [t.addr],
                "Uitnodiging afscheid/jubileum",
                body + "\n\n" + signature(s),
                "outlook",
            )
        )

    # T. More spellings of a date of birth, with case words
    for i in range(5):
        s = staff(rng.choice(["Gezinsvoogd", "Medewerker Veilig Thuis"]))
        t = external(rng.choice([*SCHOOLS, *GPS, "advocatenkantoor-dekker.example"]), "")
        c = client_person()
        y, m, d = c["dob"]
        mon = MONTHS_NL[m - 1][:3]
        dob_s = pick(
            i,
            [
                f"geb. {d} {mon}. {y}",
                f"geboortedatum: {d:02d}.{m:02d}.{y}",
                f"d.o.b. {d:02d}/{m:02d}/{y}",
                f"geboren {d}-{m}-'{str(y)[2:]}",
                f"geb.datum {y}{m:02d}{d:02d}",
            ],
        )
        body = (
            f"Beste {t.first},\n\nBetreft de ondertoezichtstelling van {c['name']} "
            f"({dob_s}). De gezinsvoogd verzoekt u de informatie over de thuissituatie vóór "
            f"de zitting aan te leveren.\n\n" + signature(s)
        )
        out.append(
            Mail(
                "dob_spellings",
                "client_data",
                s,
                [t.addr],
                "Informatieverzoek",
                body,
                rng.choice(["outlook", "thunderbird"]),
                detectors=["date_of_birth", "case_keywords"],
                where=["body"],
                note="date of birth spelt "
                + [
                    "with an abbreviated month",
                    "with dots",
                    "d.o.b.",
                    "with a two-digit year",
                    "yyyymmdd",
                ][i],
            )
        )

    # U. Foster-parent mail: name, date of birth and BSN without the word BSN
    for _ in range(2):
        s = staff("Gezinsvoogd")
        t = external(rng.choice(PRIVATE), "")
        c = client_person()
        body = (
            f"Hoi {t.first},\n\nVoor de zorgverzekering van {c['name'].split()[0]}: "
            f"{c['name']}, {fmt_date(c['dob'], 'dash')}, {c['bsn']}. Geef dit door aan de "
            f"verzekeraar, dan regel ik de rest met de pleegzorgbegeleider.\n\n" + signature(s)
        )
        out.append(
            Mail(
                "foster_parent",
                "client_data",
                s,
                [t.addr],
                "Zorgverzekering",
                body,
                "gmail",
                detectors=["bsn", "date_of_birth"],
                where=["body"],
                note="name, birth date and an unlabelled BSN to a foster parent; no listed case word",
            )
        )

    # V. Spreadsheet with a BSN column but no dates of birth
    for _ in range(2):
        s = staff("Medewerker Financiën")
        t = external(rng.choice(GEMEENTES), "Backoffice Jeugd")
        rows: list[list[Any]] = [
            ["Burgerservicenummer", "Achternaam", "Voorletters", "Product", "Periode"]
        ]
        for _ in range(rng.randint(8, 20)):
            c = client_person()
            last = c["name"].split(" ", 1)[1]
            rows.append(
                [
                    int(c["bsn"]),
                    last,
                    c["name"][0] + ".",
                    rng.choice(["OTS", "JR", "Voogdij"]),
                    "2026-10",
                ]
            )
        out.append(
            Mail(
                "bsn_column",
                "client_data",
                s,
                [t.addr],
                "Afwijzingen iJW-berichten",
                f"Beste {t.first},\n\nDeze declaraties zijn afgewezen; kunnen jullie de "
                f"toewijzingen controleren?\n\n" + signature(s),
                "outlook",
                [
                    Att(
                        "Afwijzingen oktober.xlsx",
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        xlsx_file("Afwijzingen", rows),
                    )
                ],
                detectors=["bsn"],
                where=["xlsx"],
                note="BSN column stored as numbers, header only in row 1",
            )
        )
    return out


# Why a label is what it is, where a reader could hesitate (written into the manifest).
NOTES = {
    "elearning": "fictitious training case (called fictief, test BSN, placeholder birth date)",
    "court_planning": "judgement: zaaknummers only, to the court that issued them; no name or "
    "date of birth",
    "breach_notice": "names BSN and geboortedatum as data categories; contains no values",
    "building_abbrev": "geb. = gebouw (building), or geboortezorg, next to a meeting date",
    "newsletter_memoriam": "judgement: a colleague's dates of birth and death, published in a "
    "newsletter",
    "hr_cv": "judgement: an applicant's own CV returned to the agency that sent it; personal "
    "data, not client data",
    "hr_sick_leave": "judgement: an employee's sick report to the occupational health service; "
    "personal data, not client data",
    "name_dob_no_keyword": "a child's name and date of birth without a listed case word "
    "(pleeggezin, afspraak, intake)",
    "subject_only": "name and date of birth in the subject; the case word only as the "
    "abbreviation OTS",
    "supplier_rsin": "RSIN / BTW-id / loonheffingennummer: 9 digits that pass the 11-proef by law",
    "unlisted_label": "reference numbers that pass the 11-proef under labels not in any list",
    "phone_international": "an international phone number whose 9-digit national part passes the 11-proef",
    "budget_amounts": "amounts with thousand separators (8-9 digits) next to case words",
    "voicemail": "voicemail from the phone exchange (local submission): audio nobody can scan",
}


def slug(m: Mail, n: int) -> str:
    return f"{m.category}_{n:02d}.eml"


def write(outdir: Path) -> None:
    outdir.mkdir(parents=True, exist_ok=True)
    mails = ordinary_mails() + client_mails() + ordinary_hard() + client_hard() + round_three()
    counts: dict[str, int] = {}
    entries = []
    owned = ("samen-veilig.nl", "veiligthuisutrecht.nl")
    for idx, m in enumerate(mails):
        counts[m.category] = counts.get(m.category, 0) + 1
        name = slug(m, counts[m.category])
        (outdir / name).write_bytes(build(m, idx))
        internal = all(a.split("@")[1].endswith(owned) for a in m.to)
        recipients = "internal" if internal else "external"
        entries.append(
            {
                "file": name,
                "from": m.sender if isinstance(m.sender, str) else m.sender.addr,
                "to": m.to,
                "local": m.local,
                "category": m.category,
                "kind": m.kind,
                "recipients": recipients,
                "decision": "quarantine" if m.kind == "client_data" and not internal else "accept",
                "detectors": m.detectors,
                "where": m.where,
                "client": m.client,
                "note": m.note or NOTES.get(m.category, ""),
            }
        )
    header = (
        "# Held-out corpus of outbound mail of Samen Veilig Midden-Nederland -- generated by\n"
        "# make_holdout.py; do not edit by hand.  kind/decision are what a careful security\n"
        "# officer decides; detectors = the evidence of client data a reader sees.\n"
    )
    (outdir / "manifest.yaml").write_text(
        header + yaml.safe_dump({"messages": entries}, sort_keys=False, allow_unicode=True), "utf-8"
    )


if __name__ == "__main__":
    write(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent)
