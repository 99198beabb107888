# ruff: noqa: E501 -- mail text is written out as people write it, long lines included
"""Write the blind corpus (tests/corpus/blind): mail as Samen Veilig Midden-Nederland sends it.

The fourth corpus, written without reading Postwarden's detectors or the other corpora, to
measure how the detectors generalise (issue 13: 100 % of client data sent outside held, at most
1 % of ordinary external mail held). Most of it is ordinary mail to external recipients that is
full of numbers, dates and care words without being client data: crisis-placement logistics
without client identifiers, rosters, invoices and purchase orders, municipal contract
management, certificates, conference programmes, vacancies, HR notices, IT tickets, Outlook
reply chains, minutes, annual figures, newsletters, auto-replies, travel, parking, facility
mail, anonymised case discussions, questionnaires and invitations. About a quarter is real
client data to external recipients (dossier extracts, reports, client lists, a screenshot, a
scan, a voicemail), labelled as a careful security officer would.

Everything is made with the real tools (Faker nl_NL with its own seed, python-docx, openpyxl,
odfpy, reportlab and fpdf2 PDFs with an embedded DejaVu font, Pillow images, .ics, lame,
stdlib ``email`` in the shapes Outlook, Apple Mail, Gmail and Thunderbird write) and is
deterministic: every date, boundary, Message-ID and archive timestamp is fixed, so running it
twice gives the same bytes. It refuses nothing; it writes into the folder given as its argument
(default: its own folder) the .eml files and manifest.yaml.

    python tests/corpus/blind/make_blind.py [OUTDIR]
"""

from __future__ import annotations

import datetime as dt
import io
import math
import random
import re
import struct
import subprocess
import sys
import tempfile
import wave
import zipfile
from collections.abc import Callable
from email import charset as email_charset
from email import policy as email_policy
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.base import MIMEBase
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Any

import yaml
from faker import Faker

SEED = 7_2026_13
HERE = Path(__file__).resolve().parent
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
FONT_MONO = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
FIXED = dt.datetime(2026, 11, 16, 9, 0, tzinfo=dt.UTC)
ORG = "Samen Veilig Midden-Nederland"
OWN = "samen-veilig.nl"
OWN_VT = "veiligthuisutrecht.nl"

fake = Faker("nl_NL")
fake.seed_instance(SEED)
rng = random.Random(SEED)

QP = email_charset.Charset("utf-8")
QP.body_encoding = email_charset.QP
B64 = email_charset.Charset("utf-8")
B64.body_encoding = email_charset.BASE64

MONTHS = [
    "januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
    "oktober", "november", "december",
]  # fmt: skip
DAYS = ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"]

# Partners outside the organisation (none of them looks like an owned domain).
EXT = {
    "gemeente": ["utrecht-gemeente.example", "amersfoort.example", "nieuwegein.example",
                 "zeist-gemeente.example", "regio-jeugdinkoop.example"],
    "zorg": ["jeugdhuis-de-linde.example", "kwadraad-jeugd.example", "altrecht-ggz.example",
             "pluryn-jeugd.example", "lindenhout.example", "ggd-regio-utrecht.example"],
    "supplier": ["kantoorpartner.example", "ictbeheer-midden.example", "schoonmaak-bv.example",
                 "cateraar-utrecht.example", "drukkerij-vanrijn.example", "mobiliteit-lease.example"],
    "school": ["obs-de-wissel.example", "csg-het-baken.example", "mbo-utrecht.example"],
    "edu": ["hu-onderzoek.example", "uu-pedagogiek.example", "nji-kennis.example",
            "skj-register.example", "academie-jeugd.example"],
    "hr": ["arbo-vitaal.example", "salarisdienst.example", "pensioen-pfzw.example",
           "uitzend-zorgflex.example", "werving-jeugd.example"],
    "travel": ["ns-zakelijk.example", "hotel-domstad.example", "reisbureau-zakelijk.example"],
    "court": ["rechtspraak-midden.example", "kinderbescherming-raad.example", "advocaat-jeugdrecht.example"],
}  # fmt: skip

MANIFEST: list[dict[str, Any]] = []
COUNTS: dict[str, int] = {}


# ------------------------------------------------------------------------------------------
# Small value makers
# ------------------------------------------------------------------------------------------


def person() -> tuple[str, str]:
    """A colleague: full name and mailbox at samen-veilig.nl."""
    first, last = fake.first_name(), fake.last_name()
    local = f"{first[0].lower()}.{re.sub(r'[^a-z]', '', last.lower())}"
    return f"{first} {last}", local


def ext_person(group: str) -> tuple[str, str]:
    name, local = person()
    return name, f"{local}@{rng.choice(EXT[group])}"


def nl_date(d: dt.date, weekday: bool = False) -> str:
    text = f"{d.day} {MONTHS[d.month - 1]} {d.year}"
    return f"{DAYS[d.weekday()]} {text}" if weekday else text


def work_date(days: int = 60) -> dt.date:
    return (FIXED + dt.timedelta(days=rng.randint(-days, days))).date()


def phone() -> str:
    return rng.choice(["030", "033", "088", "0343"]) + "-" + "".join(rng.choices("0123456789", k=7))


def mobile() -> str:
    d = "".join(rng.choices("0123456789", k=8))
    return f"06-{d[:4]} {d[4:]}" if rng.random() < 0.5 else f"06 {d[:2]} {d[2:4]} {d[4:6]} {d[6:]}"


def digits(n: int) -> str:
    return str(rng.randint(1, 9)) + "".join(rng.choices("0123456789", k=n - 1))


def money(lo: int, hi: int) -> str:
    v = rng.randint(lo * 100, hi * 100) / 100
    s = f"{v:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
    return f"€ {s}"


def bsn() -> str:
    return fake.ssn()


def dob(lo: int = 2006, hi: int = 2023) -> dt.date:
    return dt.date(rng.randint(lo, hi), rng.randint(1, 12), rng.randint(1, 28))


def dob_text(d: dt.date) -> str:
    return rng.choice(
        [d.strftime("%d-%m-%Y"), nl_date(d), d.strftime("%d/%m/%Y"), d.strftime("%-d-%-m-%Y")]
    )


ORG_IBAN = "NL" + "00"  # replaced below by a Faker IBAN with a valid check
ORG_KVK = "41187623"
ORG_BTW = "NL8012.34.567.B01"


def org_footer() -> str:
    return (
        f"{ORG}\nPostbus 2360, 3500 GJ Utrecht | Bezoekadres Vliegend Hertlaan 35, 3526 KT Utrecht\n"
        f"T 030 - 230 41 00 | www.{OWN}\nKvK {ORG_KVK} | IBAN {ORG_IBAN}"
    )


DISCLAIMER = (
    "Dit bericht is uitsluitend bestemd voor de geadresseerde. Als dit bericht niet voor u "
    "bestemd is, wordt u verzocht de afzender hiervan op de hoogte te stellen en het bericht "
    "te verwijderen. Aan dit bericht kunnen geen rechten worden ontleend."
)

FUNCTIONS = [
    "Jeugdbeschermer", "Gezinsvoogd", "Gedragswetenschapper", "Teamleider Jeugdbescherming Oost",
    "Medewerker Veilig Thuis", "Planner crisisdienst", "Inkoper", "Contractmanager",
    "HR-adviseur", "Functioneel beheerder", "Secretaresse bestuur", "Officemanager",
    "Beleidsadviseur kwaliteit", "Trainer/opleidingsadviseur", "Medewerker Facilitair",
]  # fmt: skip


def signature(name: str, function: str, footer: bool = True) -> str:
    lines = ["Met vriendelijke groet,", "", name, function]
    if rng.random() < 0.6:
        lines.append(f"T {phone()} | M {mobile()}")
    lines.append("Werkdagen: ma, di, do" if rng.random() < 0.3 else "")
    if footer:
        lines += ["", org_footer()]
    return "\n".join(lines).replace("\n\n\n", "\n\n")


def html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def paras_html(text: str, cls: str = "MsoNormal") -> str:
    out = []
    for block in text.split("\n"):
        out.append(f'<p class="{cls}">{html_escape(block) or "&nbsp;"}</p>')
    return "\n".join(out)


# ------------------------------------------------------------------------------------------
# Attachments made with the real tools
# ------------------------------------------------------------------------------------------


def _normalise_zip(blob: bytes) -> bytes:
    """Office files carry the time they were written: fix it so the corpus is reproducible."""
    src = zipfile.ZipFile(io.BytesIO(blob))
    out = io.BytesIO()
    stamp = "2026-11-16T09:00:00Z"
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename in ("docProps/core.xml", "meta.xml", "docProps/app.xml"):
                data = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?", stamp.encode(), data)
            new = zipfile.ZipInfo(info.filename, date_time=(2026, 11, 16, 9, 0, 0))
            new.compress_type = info.compress_type
            new.external_attr = 0o600 << 16
            dst.writestr(new, data)
    return out.getvalue()


def make_docx(title: str, paragraphs: list[str], table: list[list[str]] | None = None) -> bytes:
    import docx

    doc = docx.Document()
    doc.core_properties.author = ORG
    doc.core_properties.created = FIXED.replace(tzinfo=None)
    doc.core_properties.modified = FIXED.replace(tzinfo=None)
    doc.add_heading(title, level=1)
    for p in paragraphs:
        if p.startswith("## "):
            doc.add_heading(p[3:], level=2)
        else:
            doc.add_paragraph(p)
    if table:
        t = doc.add_table(rows=len(table), cols=len(table[0]))
        t.style = "Table Grid"
        for r, row in enumerate(table):
            for c, cell in enumerate(row):
                t.cell(r, c).text = cell
    buf = io.BytesIO()
    doc.save(buf)
    return _normalise_zip(buf.getvalue())


def make_xlsx(sheets: dict[str, list[list[Any]]]) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.properties.creator = ORG
    wb.properties.created = FIXED.replace(tzinfo=None)
    wb.properties.modified = FIXED.replace(tzinfo=None)
    buf = io.BytesIO()
    wb.save(buf)
    return _normalise_zip(buf.getvalue())


def make_ods(rows: list[list[str]]) -> bytes:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Blad1")
    for row in rows:
        tr = TableRow()
        for value in row:
            cell = TableCell(valuetype="string")
            cell.addElement(P(text=str(value)))
            tr.addElement(cell)
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    buf = io.BytesIO()
    doc.write(buf)
    return _normalise_zip(buf.getvalue())


def make_odt(title: str, paragraphs: list[str]) -> bytes:
    from odf.opendocument import OpenDocumentText
    from odf.text import H, P

    doc = OpenDocumentText()
    doc.text.addElement(H(outlinelevel=1, text=title))
    for p in paragraphs:
        doc.text.addElement(P(text=p))
    buf = io.BytesIO()
    doc.write(buf)
    return _normalise_zip(buf.getvalue())


def make_pdf(title: str, lines: list[str], *, logo: bool = True) -> bytes:
    """A text PDF (reportlab, DejaVu embedded), as Word's 'Opslaan als PDF' would give."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("DejaVu", FONT))
    pdfmetrics.registerFont(TTFont("DejaVuB", FONT_BOLD))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    c.setTitle(title)
    c.setAuthor(ORG)
    _width, height = A4
    y = height - 60
    if logo:
        c.setFont("DejaVuB", 11)
        c.drawString(50, y, ORG)
        y -= 30
    c.setFont("DejaVuB", 14)
    c.drawString(50, y, title)
    y -= 28
    c.setFont("DejaVu", 10)
    for line in lines:
        if y < 60:
            c.showPage()
            c.setFont("DejaVu", 10)
            y = height - 60
        if "\t" in line:
            x = 50
            for cell in line.split("\t"):
                c.drawString(x, y, cell)
                x += 120
        else:
            c.drawString(50, y, line)
        y -= 15
    c.showPage()
    c.save()
    return buf.getvalue()


def make_fpdf(title: str, rows: list[list[str]], widths: list[int]) -> bytes:
    """A table PDF from fpdf2 (the way web tools export invoices and lists)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_creation_date(FIXED)
    pdf.add_font("DejaVu", "", FONT)
    pdf.add_font("DejaVu", "B", FONT_BOLD)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 13)
    pdf.cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    for i, row in enumerate(rows):
        pdf.set_font("DejaVu", "B" if i == 0 else "", 9)
        for w, cell in zip(widths, row, strict=True):
            pdf.cell(w, 7, cell, border=1)
        pdf.ln()
    return bytes(pdf.output())


def text_image(lines: list[str], size: tuple[int, int] = (1000, 620), *, title: str = "",
               fmt: str = "PNG", scan: bool = False) -> bytes:  # fmt: skip
    """A screenshot (window with title bar) or a scan (grey paper) with the lines drawn in DejaVu."""
    from PIL import Image, ImageDraw, ImageFont

    bg = (244, 242, 236) if scan else (255, 255, 255)
    img = Image.new("RGB", size, bg)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 20 if scan else 17)
    y = 20
    if title:
        draw.rectangle([0, 0, size[0], 40], fill=(0, 84, 147))
        draw.text((14, 9), title, font=ImageFont.truetype(FONT_BOLD, 18), fill=(255, 255, 255))
        y = 60
    for line in lines:
        draw.text((30, y), line, font=font, fill=(20, 20, 20))
        y += 30 if scan else 26
    if scan:
        img = img.convert("L").rotate(0.6, expand=False, fillcolor=244)
    out = io.BytesIO()
    if fmt == "JPEG":
        img.save(out, "JPEG", quality=82)
    else:
        img.save(out, "PNG", optimize=False)
    return out.getvalue()


def scanned_pdf(image: bytes) -> bytes:
    """A scanner's PDF: one JPEG per page, no text layer."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    w, h = A4
    c.drawImage(ImageReader(io.BytesIO(image)), 20, h - 560, width=w - 40, height=520)
    c.showPage()
    c.save()
    return buf.getvalue()


_LOGO: bytes | None = None


def logo() -> bytes:
    """The organisation's signature logo: a small PNG with the name in it."""
    global _LOGO
    if _LOGO is None:
        from PIL import Image, ImageDraw, ImageFont

        img = Image.new("RGB", (240, 64), (255, 255, 255))
        d = ImageDraw.Draw(img)
        d.ellipse([6, 8, 54, 56], fill=(230, 120, 30))
        d.text((64, 12), "Samen Veilig", font=ImageFont.truetype(FONT_BOLD, 18), fill=(0, 84, 147))
        d.text((64, 36), "Midden-Nederland", font=ImageFont.truetype(FONT, 13), fill=(0, 84, 147))
        out = io.BytesIO()
        img.save(out, "PNG")
        _LOGO = out.getvalue()
    return _LOGO


def social_icon(colour: tuple[int, int, int]) -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (24, 24), colour)
    ImageDraw.Draw(img).rectangle([6, 6, 17, 17], fill=(255, 255, 255))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def voicemail_mp3(seconds: float = 4.0) -> bytes:
    """A real MP3 from lame: a voice-like tone sequence, as the phone exchange mails it."""
    rate = 8000
    frames = bytearray()
    for i in range(int(rate * seconds)):
        t = i / rate
        v = 0.4 * math.sin(2 * math.pi * (180 + 40 * math.sin(3 * t)) * t)
        v += 0.2 * math.sin(2 * math.pi * 420 * t) * (1 if int(t * 5) % 2 else 0.2)
        frames += struct.pack("<h", int(v * 12000))
    with tempfile.TemporaryDirectory() as tmp:
        wav, mp3 = Path(tmp) / "vm.wav", Path(tmp) / "vm.mp3"
        with wave.open(str(wav), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes(bytes(frames))
        subprocess.run(["lame", "--quiet", "-b", "32", str(wav), str(mp3)], check=True)
        return mp3.read_bytes()


def ics(summary: str, start: dt.datetime, minutes: int, location: str, description: str,
        organizer: str, attendees: list[str]) -> bytes:  # fmt: skip
    uid = f"{digits(12)}-{digits(6)}@{OWN}"
    end = start + dt.timedelta(minutes=minutes)

    def fold(line: str) -> str:
        out, raw = [], line.encode()
        while len(raw) > 73:
            cut = 73
            while raw[cut] & 0xC0 == 0x80:
                cut -= 1
            out.append(raw[:cut].decode())
            raw = raw[cut:]
        out.append(raw.decode())
        return "\r\n ".join(out)

    desc = description.replace("\n", "\\n").replace(",", "\\,").replace(";", "\\;")
    lines = [
        "BEGIN:VCALENDAR", "PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN",
        "VERSION:2.0", "METHOD:REQUEST", "BEGIN:VEVENT",
        f"ORGANIZER;CN=Organisator:mailto:{organizer}",
        *[f"ATTENDEE;ROLE=REQ-PARTICIPANT;RSVP=TRUE:mailto:{a}" for a in attendees],
        f"DESCRIPTION;LANGUAGE=nl-NL:{desc}", f"UID:{uid}", f"SUMMARY;LANGUAGE=nl-NL:{summary}",
        f"DTSTART;TZID=W. Europe Standard Time:{start:%Y%m%dT%H%M%S}",
        f"DTEND;TZID=W. Europe Standard Time:{end:%Y%m%dT%H%M%S}",
        f"DTSTAMP:{FIXED:%Y%m%dT%H%M%SZ}", f"LOCATION;LANGUAGE=nl-NL:{location}",
        "SEQUENCE:0", "STATUS:CONFIRMED", "END:VEVENT", "END:VCALENDAR",
    ]  # fmt: skip
    return ("\r\n".join(fold(x) for x in lines) + "\r\n").encode()


# ------------------------------------------------------------------------------------------
# Mail shapes (Outlook, Apple Mail, Gmail, Thunderbird, plain programs)
# ------------------------------------------------------------------------------------------

_boundary_no = 0


def _boundary() -> str:
    global _boundary_no
    _boundary_no += 1
    return f"_blind_{_boundary_no:05d}_{digits(8)}"


def _attach(outer: MIMEMultipart, att: tuple[str, str, bytes]) -> None:
    filename, ctype, blob = att
    main, sub = ctype.split("/")
    part: MIMEBase
    if main == "image":
        part = MIMEImage(blob, sub)
    elif main == "text":
        part = MIMEText(blob.decode(), sub, "utf-8")
    else:
        part = MIMEApplication(blob, sub)
    if filename.isascii():
        part.add_header("Content-Disposition", "attachment", filename=filename)
    else:
        part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", filename))
    outer.attach(part)


def build(
    *,
    sender: tuple[str, str],
    to: list[tuple[str, str]],
    subject: str,
    body: str,
    client: str = "outlook",
    attachments: list[tuple[str, str, bytes]] | None = None,
    html_extra: str = "",
    headers: dict[str, str] | None = None,
    inline_screenshot: bytes | None = None,
    cc: list[tuple[str, str]] | None = None,
) -> bytes:
    """One message in the shape the named mail client writes."""
    attachments = attachments or []
    cs = QP if rng.random() < 0.7 else B64
    plain = MIMEText(body, "plain", cs)
    html_body = paras_html(body) + html_extra
    root: MIMEBase
    if client == "plain":
        root = plain
    elif client == "thunderbird":
        root = MIMEText(
            body.replace("\nMet vriendelijke groet,", "\n-- \nMet vriendelijke groet,", 1),
            "plain",
            cs,
        )
    else:
        related_imgs: list[MIMEBase] = []
        if client == "outlook":
            cid = f"image001.png@01DB{digits(4)}.{digits(8)}"
            sig = f'<p class="MsoNormal"><img width="240" height="64" src="cid:{cid}" alt="{ORG}"></p>'
            shot = ""
            if inline_screenshot:
                shot_cid = f"image002.png@01DB{digits(4)}.{digits(8)}"
                shot = f'<p class="MsoNormal"><img width="1000" src="cid:{shot_cid}"></p>'
            html = (
                '<html xmlns:o="urn:schemas-microsoft-com:office:office"><head>'
                '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
                '<style>p.MsoNormal{margin:0cm;font-size:11.0pt;font-family:"Calibri",sans-serif;}</style>'
                f'</head><body lang="NL" link="#0563C1"><div class="WordSection1">{shot}{html_body}{sig}</div></body></html>'
            )
            img = MIMEImage(logo(), "png")
            img.add_header("Content-ID", f"<{cid}>")
            img.add_header("Content-Disposition", "inline", filename="image001.png")
            related_imgs.append(img)
            if inline_screenshot:
                s = MIMEImage(inline_screenshot, "png")
                s.add_header("Content-ID", f"<{shot_cid}>")
                s.add_header("Content-Disposition", "inline", filename="image002.png")
                related_imgs.append(s)
        elif client == "gmail":
            cid = f"ii_{digits(10)}"
            html = (
                f'<div dir="ltr">{paras_html(body, "gmail")}{html_extra}<div class="gmail_signature">'
                f'<img src="cid:{cid}" width="240"></div></div>'
            )
            img = MIMEImage(logo(), "png")
            img.add_header("Content-ID", f"<{cid}>")
            img.add_header("X-Attachment-Id", cid)
            img.add_header("Content-Disposition", "inline", filename="logo.png")
            related_imgs.append(img)
        else:  # apple
            cid = f"{digits(8)}-{digits(4)}-{digits(4)}@apple.mail"
            html = (
                '<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head>'
                f'<body style="overflow-wrap: break-word;">{paras_html(body, "apple")}{html_extra}'
                f'<div><img apple-inline="yes" src="cid:{cid}"></div></body></html>'
            )
            img = MIMEImage(logo(), "png")
            img.add_header("Content-ID", f"<{cid}>")
            img.add_header("Content-Disposition", "inline", filename="Logo SVMN.png")
            related_imgs.append(img)
        alt = MIMEMultipart("alternative", boundary=_boundary())
        alt.attach(plain)
        alt.attach(MIMEText(html, "html", cs))
        if client == "apple":
            # Apple Mail: the image sits inline in multipart/mixed, not in multipart/related
            root = MIMEMultipart("mixed", boundary=_boundary())
            root.attach(alt)
            for i in related_imgs:
                root.attach(i)
        else:
            root = MIMEMultipart("related", boundary=_boundary())
            root.attach(alt)
            for i in related_imgs:
                root.attach(i)
    if attachments:
        mixed = MIMEMultipart("mixed", boundary=_boundary())
        mixed.attach(root)
        for att in attachments:
            _attach(mixed, att)
        root = mixed
    msg = root
    msg["From"] = formataddr(sender)
    msg["To"] = ", ".join(formataddr(t) for t in to)
    if cc:
        msg["Cc"] = ", ".join(formataddr(t) for t in cc)
    msg["Subject"] = subject if subject.isascii() else Header(subject, "utf-8").encode()
    when = FIXED + dt.timedelta(minutes=rng.randint(-60 * 24 * 30, 60 * 24 * 20))
    msg["Date"] = format_datetime(when.astimezone(dt.timezone(dt.timedelta(hours=1))))
    msg["Message-ID"] = f"<{digits(12)}.{digits(6)}@{sender[1].split('@')[1]}>"
    for sub in msg.walk():
        if sub is not msg:
            del sub["MIME-Version"]  # email.mime puts one on every part; mail clients do not
    if client == "outlook":
        msg["X-Mailer"] = "Microsoft Outlook 16.0"
        msg["Thread-Index"] = "AdtB" + digits(10)
    elif client == "apple":
        msg["X-Mailer"] = "Apple Mail (2.3776.700.51)"
    elif client == "thunderbird":
        msg["User-Agent"] = (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Thunderbird/128.4.0"
        )
    for k, v in (headers or {}).items():
        msg[k] = v
    return msg.as_bytes(policy=email_policy.SMTP)


def add(
    category: str,
    kind: str,
    *,
    sender: tuple[str, str],
    to: list[tuple[str, str]],
    raw: bytes,
    detectors: list[str] | None = None,
    where: str = "body",
    note: str = "",
    local: bool = False,
) -> None:
    COUNTS[category] = COUNTS.get(category, 0) + 1
    name = f"{category}_{COUNTS[category]:02d}.eml"
    own = (OWN, OWN_VT)
    internal = all(t[1].split("@")[1] in own for t in to)
    external = all(t[1].split("@")[1] not in own for t in to)
    recipients = "internal" if internal else "external" if external else "mixed"
    decision = "quarantine" if kind == "client_data" and recipients != "internal" else "accept"
    MANIFEST.append(
        {
            "file": name,
            "from": sender[1],
            "to": [t[1] for t in to],
            "local": local,
            "recipients": recipients,
            "category": category,
            "kind": kind,
            "decision": decision,
            "detectors": sorted(detectors or []) if kind == "client_data" else [],
            "where": where,
            "note": note,
        }
    )
    OUT.append((name, raw))


OUT: list[tuple[str, bytes]] = []


def me(function: str | None = None, domain: str = OWN) -> tuple[str, str, str]:
    name, local = person()
    return name, f"{local}@{domain}", function or rng.choice(FUNCTIONS)


def client_mix() -> str:
    return rng.choices(["outlook", "gmail", "apple", "thunderbird", "plain"], [55, 10, 15, 10, 10])[
        0
    ]


def greet(name: str) -> str:
    first = name.split()[0]
    return rng.choice(
        [
            f"Beste {first},",
            f"Hoi {first},",
            f"Goedemiddag {first},",
            "Beste collega,",
            f"Dag {first},",
        ]
    )


# ------------------------------------------------------------------------------------------
# Ordinary mail to external recipients
# ------------------------------------------------------------------------------------------


def crisis_logistics() -> None:
    """Placement logistics between institutions: times, beds, transport; no client identifiers."""
    for _i in range(7):
        n, a, f = me(
            rng.choice(
                [
                    "Planner crisisdienst",
                    "Medewerker Crisisinterventieteam",
                    "Bereikbaarheidsdienst",
                ]
            )
        )
        rn, ra = ext_person("zorg")
        d = work_date(10)
        t = f"{rng.randint(18, 23)}:{rng.choice(['00', '15', '30', '45'])}"
        age = rng.randint(8, 17)
        body = rng.choice(
            [
                f"{greet(rn)}\n\nZoals telefonisch besproken: vannacht ({nl_date(d, True)}) komt er een crisisplaatsing "
                f"naar jullie groep. Verwachte aankomst rond {t} uur. Het gaat om een jeugdige van {age} jaar; "
                f"de overdracht doen we mondeling bij aankomst en het dossier volgt via het beveiligde kanaal.\n\n"
                f"Vervoer: taxi via Regiotaxi Zorg, ritnummer {digits(7)}. Begeleiding door twee medewerkers van ons CIT.\n"
                f"Bereikbaar vannacht: bereikbaarheidsdienst {phone()} (toets 2).\n\nKun je bevestigen dat bed 3 op "
                f"De Linde beschikbaar blijft tot morgen 10.00 uur? Dan plannen wij om 09.30 het eerste overleg met de "
                f"gezinsvoogd.",
                f"{greet(rn)}\n\nDank voor het snel schakelen vanmiddag. Ter bevestiging de afspraken over de "
                f"crisisplaatsing van {nl_date(d)}:\n- opname: {t} uur, ingang Achterweg {rng.randint(2, 90)}\n"
                f"- plaatsing voor maximaal 4 weken (crisismachtiging aangevraagd, zitting {nl_date(d + dt.timedelta(days=3))})\n"
                f"- medicatie wordt door de GI meegegeven in een gesloten envelop\n- contactpersoon GI: {n}, {mobile()}\n\n"
                f"Het perspectiefplan bespreken we op {nl_date(d + dt.timedelta(days=7), True)} om 14.00 uur. Teams-link volgt.",
                f"{greet(rn)}\n\nWij hebben op dit moment {rng.randint(2, 6)} jongeren op de wachtlijst voor een crisisbed "
                f"in de regio Utrecht-Oost. Hebben jullie deze week nog capaciteit? Specifiek zoeken we een plek voor een "
                f"jongen van {age} (geen bijzonderheden qua medicatie) en een plek voor een zussenpaar van {age - 3} en {age - 1}.\n\n"
                f"Graag een reactie voor {t} uur vandaag; bij geen plek schakelen we het Regionaal Expertteam in "
                f"(meldnummer RET-{d.year}-{digits(4)}).",
            ]
        )
        body += "\n\n" + signature(n, f)
        to = [(rn, ra)]
        add(
            "crisis_logistics",
            "ordinary",
            sender=(n, a),
            to=to,
            raw=build(
                sender=(n, a),
                to=to,
                subject=rng.choice(
                    [
                        "Crisisplaatsing vannacht",
                        f"Bevestiging crisisplaatsing {d:%d-%m}",
                        "Capaciteit crisisbedden deze week",
                        "RE: crisisbed beschikbaar?",
                    ]
                ),
                body=body,
                client=client_mix(),
            ),
            note="placement logistics: age and times, no name or identifier",
        )


def rosters() -> None:
    """Rosters and on-call schedules for the flex pool and partner teams (staff only)."""
    for _i in range(6):
        n, a, f = me("Planner")
        rn, ra = ext_person(rng.choice(["hr", "zorg"]))
        start = work_date(20)
        start -= dt.timedelta(days=start.weekday())
        rows: list[list[Any]] = [
            ["Datum", "Dag", "Dienst", "Tijd", "Medewerker", "Telefoon", "Achterwacht"]
        ]
        for day in range(14):
            d = start + dt.timedelta(days=day)
            for shift, time in (
                ("Vroeg", "07:00-15:00"),
                ("Laat", "15:00-23:00"),
                ("Slaap", "23:00-07:00"),
            ):
                rows.append(
                    [
                        d.strftime("%d-%m-%Y"),
                        DAYS[d.weekday()],
                        shift,
                        time,
                        fake.name(),
                        mobile(),
                        fake.name(),
                    ]
                )
        week = start.isocalendar()[1]
        body = (
            f"{greet(rn)}\n\nIn de bijlage het rooster van de bereikbaarheidsdienst en de groepsdiensten voor week "
            f"{week} en {week + 1}. Er staan nog {rng.randint(2, 9)} open diensten in (geel gemarkeerd); kunnen jullie "
            f"daar flexkrachten voor inplannen? Uurtarief volgens raamovereenkomst RO-{start.year}-{digits(3)}.\n\n"
            f"Let op: op {nl_date(start + dt.timedelta(days=rng.randint(0, 13)))} is er een training meldcode, "
            f"de vaste medewerkers zijn dan tot 12.00 uur niet beschikbaar.\n\n" + signature(n, f)
        )
        if rng.random() < 0.5:
            att = (
                f"Rooster week {week}-{week + 1}.xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                make_xlsx({"Rooster": rows}),
            )
        else:
            att = (
                f"rooster_wk{week}.pdf",
                "application/pdf",
                make_fpdf(
                    f"Rooster week {week}-{week + 1}",
                    [r[:5] for r in rows[:40]],
                    [25, 22, 18, 30, 60],
                ),
            )
        to = [(rn, ra)]
        add(
            "roster",
            "ordinary",
            sender=(n, a),
            to=to,
            raw=build(
                sender=(n, a),
                to=to,
                subject=f"Rooster week {week} en {week + 1}",
                body=body,
                client=client_mix(),
                attachments=[att],
            ),
            where="attachment",
            note="staff roster with dates, names and phone numbers",
        )


def invoices() -> None:
    """Invoices, purchase orders and payment reminders with many numbers and IBANs."""
    for i in range(10):
        incoming = i % 2 == 0
        n, a, f = me(rng.choice(["Crediteurenadministratie", "Inkoper", "Medewerker Financiën"]))
        rn, ra = ext_person("supplier")
        company = fake.company()
        inv, order, cust = (
            digits(rng.choice([8, 9, 10])),
            f"PO{digits(7)}",
            digits(rng.choice([6, 8, 9])),
        )
        iban = fake.iban()
        d = work_date(30)
        amount = money(150, 24000)
        lines = [
            f"Factuurnummer: {inv}",
            f"Factuurdatum: {d:%d-%m-%Y}",
            f"Vervaldatum: {(d + dt.timedelta(days=30)):%d-%m-%Y}",
            f"Klantnummer: {cust}",
            f"Uw ordernummer: {order}",
            f"Debiteurnummer {digits(6)}",
            "",
            "Omschrijving\tAantal\tPrijs\tBedrag",
        ]
        for _ in range(rng.randint(2, 7)):
            q = rng.randint(1, 40)
            lines.append(
                f"{rng.choice(['Kantoorstoel Ergo', 'Toner HP 59A', 'Laptop Dell Latitude', 'Schoonmaak locatie Zeist', 'Lunch training', 'Drukwerk folders', 'Licentie Office 365 E3'])}\t{q}\t{money(5, 900)}\t{money(20, 6000)}"
            )
        lines += [
            "",
            f"Totaal excl. btw: {amount}",
            f"BTW 21%: {money(30, 5000)}",
            f"Gelieve te betalen op {iban} t.n.v. {company} o.v.v. factuurnummer {inv}.",
            f"KvK {digits(8)} | BTW NL{digits(9)}B01",
        ]
        pdf = (
            make_pdf(f"Factuur {inv}", lines)
            if rng.random() < 0.6
            else make_fpdf(
                f"FACTUUR {inv}",
                [
                    ["Omschrijving", "Bedrag"],
                    ["Totaal", amount],
                    ["IBAN", iban],
                    ["Klantnr.", cust],
                ],
                [90, 80],
            )
        )
        if incoming:
            # Our accounts payable asks a supplier about an invoice
            body = (
                f"{greet(rn)}\n\nWij hebben uw factuur {inv} d.d. {d:%d-%m-%Y} ontvangen, maar kunnen deze niet "
                f"verwerken: het inkoopordernummer ({order}) ontbreekt of klopt niet. Op onze facturen moet altijd "
                f"ons PO-nummer en kostenplaats {digits(4)} staan. Wilt u een creditnota en een nieuwe factuur sturen "
                f"naar facturen@{OWN}?\n\nUw klantnummer bij ons: {cust}. Betaling vindt plaats binnen 30 dagen "
                f"op {iban}.\n\n" + signature(n, f)
            )
            subj = f"Factuur {inv} - ontbrekend ordernummer"
        else:
            body = (
                f"{greet(rn)}\n\nHierbij onze inkooporder {order} voor de levering van "
                f"{rng.choice(['meubilair voor locatie Amersfoort', 'laptops voor de nieuwe teams', 'catering van de regiodag', 'drukwerk jaarverslag'])}. "
                f"Totaalbedrag {amount} excl. btw. Afleveradres: {fake.street_address()}, {fake.postcode()} {fake.city()}, "
                f"t.a.v. {fake.name()} (facilitair, {phone()}).\n\nVermeld op de factuur ons ordernummer {order} "
                f"en ons BTW-nummer {ORG_BTW}.\n\n" + signature(n, f)
            )
            subj = f"Inkooporder {order}"
        to = [(rn, ra)]
        add(
            "invoice",
            "ordinary",
            sender=(n, a),
            to=to,
            raw=build(
                sender=(n, a),
                to=to,
                subject=subj,
                body=body,
                client=client_mix(),
                attachments=[(f"Factuur_{inv}.pdf", "application/pdf", pdf)],
            ),
            where="body+attachment",
            note="invoice/order numbers, customer number, supplier IBAN, KvK/BTW",
        )


def municipality_contracts() -> None:
    """Contract management with municipalities: Jeugdwet/Wmo volumes, tenders, product codes."""
    for _i in range(8):
        n, a, f = me(rng.choice(["Contractmanager", "Accountmanager gemeenten", "Controller"]))
        rn, ra = ext_person("gemeente")
        q = rng.randint(1, 4)
        year = 2026
        tender = f"{rng.choice(['JU', 'RIU', 'IJU'])}-{year}-{digits(3)}"
        rows = [["Productcode", "Omschrijving", "Toewijzingen", "Cliënten", "Uren", "Bedrag"]]
        for code, desc in (
            ("54001", "Jeugdbescherming OTS"),
            ("54002", "Voogdij"),
            ("54003", "Jeugdreclassering"),
            ("45A22", "Ambulante jeugdhulp licht"),
            ("45A53", "Crisisinterventie"),
            ("43A01", "Wmo begeleiding"),
        ):
            rows.append(
                [
                    code,
                    desc,
                    str(rng.randint(10, 400)),
                    str(rng.randint(8, 350)),
                    str(rng.randint(100, 9000)),
                    money(10000, 900000),
                ]
            )
        body = rng.choice(
            [
                f"{greet(rn)}\n\nIn de bijlage de productieverantwoording Q{q} {year} voor de Jeugdwet (perceel 2, "
                f"contractnummer {tender}). Ten opzichte van Q{max(q - 1, 1)} zien we een stijging van "
                f"{rng.randint(3, 19)}% in het aantal ondertoezichtstellingen; het aantal cliënten met een voogdijmaatregel "
                f"is stabiel ({rng.randint(80, 160)}). De wachtlijst voor de jeugdbeschermingstafel is {rng.randint(2, 7)} weken.\n\n"
                f"Graag bespreken we in het contractgesprek op {nl_date(work_date(20), True)} de tariefindexatie "
                f"({rng.choice(['OVA', 'CAO'])} {rng.randint(2, 5)},{rng.randint(1, 9)}%).",
                f"{greet(rn)}\n\nNaar aanleiding van de aanbesteding {tender} (Specialistische Jeugdhulp en Wmo, regio "
                f"Utrecht-Midden) hierbij onze vragen voor de nota van inlichtingen:\n"
                f"1. Paragraaf 4.2: geldt de maximale doorlooptijd van {rng.randint(5, 10)} werkdagen ook voor "
                f"spoedtoewijzingen (iJW 315-bericht)?\n2. Bijlage 3, regel {rng.randint(10, 99)}: het tarief voor product "
                f"{rng.choice(['45A22', '54001', '43A01'])} is {money(60, 140)} per uur; is dat inclusief reiskosten?\n"
                f"3. Wordt de inschrijving op perceel 3 ({rng.randint(200, 900)} cliënten per jaar) gegund aan maximaal "
                f"{rng.randint(2, 5)} aanbieders?\n\nOnze KvK is {ORG_KVK}; de Uniforme Europese Aanbestedingsdocumenten "
                f"volgen via TenderNed (kenmerk {digits(6)}).",
                f"{greet(rn)}\n\nWe zien in VECOZO {rng.randint(3, 60)} afgekeurde declaraties (retourcode 8001 en 8085) "
                f"over periode {year}-{rng.randint(1, 9):02d}. Het gaat om toewijzingen die in het 301-bericht een andere "
                f"productcode hebben dan in de beschikking. Kunnen jullie de toewijzingen met ingangsdatum "
                f"{work_date(60):%d-%m-%Y} opnieuw versturen? Een overzicht met alleen de toewijzingsnummers "
                f"(geen cliëntgegevens) staat in de bijlage.",
            ]
        )
        body += "\n\n" + signature(n, f)
        att = (
            f"Productieverantwoording Q{q} {year}.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            make_xlsx(
                {
                    "Q" + str(q): rows,
                    "Toewijzingen": [["Toewijzingsnummer", "Product", "Ingangsdatum"]]
                    + [
                        [
                            digits(9),
                            rng.choice(["54001", "45A22"]),
                            work_date(90).strftime("%d-%m-%Y"),
                        ]
                        for _ in range(15)
                    ],
                }
            ),
        )
        to = [(rn, ra)]
        add(
            "municipality_contract",
            "ordinary",
            sender=(n, a),
            to=to,
            raw=build(
                sender=(n, a),
                to=to,
                subject=rng.choice(
                    [
                        f"Productieverantwoording Q{q} {year}",
                        f"Vragen NvI {tender}",
                        "Afgekeurde declaraties VECOZO",
                    ]
                ),
                body=body,
                client=client_mix(),
                attachments=[att],
            ),
            where="body+attachment",
            note="aggregated client counts, product codes, allocation numbers, tender numbers",
        )


def certificates() -> None:
    """Training and e-learning certificates for employees (SKJ points, BHV)."""
    for i in range(6):
        _provider_name, _provider = ext_person("edu")
        emp, ea, f = me()
        d = work_date(60)
        cert = f"CERT-{d.year}-{digits(6)}"
        course = rng.choice(
            [
                "Meldcode huiselijk geweld en kindermishandeling",
                "Signs of Safety basis",
                "Werken met het Delta-model",
                "Motiverende gespreksvoering",
                "Traumasensitief werken",
                "BHV herhaling",
            ]
        )
        lines = [
            f"Hierbij verklaren wij dat {emp}",
            f"op {nl_date(d)} met goed gevolg heeft deelgenomen aan",
            f"de training '{course}'.",
            "",
            f"Accreditatie SKJ: {digits(6)} ({rng.randint(2, 12)} punten)",
            f"SKJ-registratienummer deelnemer: {digits(9)}",
            f"Certificaatnummer: {cert}",
            f"Geldig tot: {(d + dt.timedelta(days=730)):%d-%m-%Y}",
        ]
        if i == 5:
            lines.insert(1, f"geboren op {dob(1968, 1998):%d-%m-%Y} te {fake.city()}")
        pdf = make_pdf("Certificaat van deelname", lines)
        # The employee sends the certificate to the registry or the provider sends it to us and we forward it
        rn, ra = ext_person("edu")
        body = (
            f"{greet(rn)}\n\nIn de bijlage mijn certificaat van de training '{course}' ({nl_date(d)}). Wilt u de "
            f"{rng.randint(2, 12)} punten bijschrijven in mijn SKJ-dossier? Mijn registratienummer staat op het "
            f"certificaat.\n\n" + signature(emp, f)
        )
        to = [(rn, ra)]
        add(
            "certificate",
            "ordinary",
            sender=(emp, ea),
            to=to,
            raw=build(
                sender=(emp, ea),
                to=to,
                subject=f"Certificaat {course}",
                body=body,
                client=client_mix(),
                attachments=[(f"{cert}.pdf", "application/pdf", pdf)],
            ),
            where="attachment",
            note="employee certificate; one with the employee's date of birth (staff, not client)"
            if i == 5
            else "employee certificate with registration numbers",
        )


def conference() -> None:
    """Conference and symposium programmes with times, rooms and care themes."""
    for _i in range(5):
        n, a, f = me("Trainer/opleidingsadviseur")
        d = work_date(60)
        prog = [
            f"{nl_date(d, True)} - Jaarcongres Jeugdbescherming Midden-Nederland",
            f"Locatie: Jaarbeurs Utrecht, zaal {rng.randint(1, 12)}",
            "",
        ]
        t = dt.datetime(2026, 1, 1, 9, 0)
        for topic in [
            "Ontvangst en koffie",
            "Opening door de bestuurder",
            "Keynote: de stem van het kind in de jeugdbescherming",
            "Workshopronde 1: veiligheidsplannen met het netwerk",
            "Lunch",
            "Workshopronde 2: complexe scheidingen",
            "Casuïstiek: wat leren we van calamiteitenonderzoek?",
            "Paneldiscussie met jongeren van de cliëntenraad",
            "Borrel",
        ]:
            prog.append(f"{t:%H:%M}\t{topic}")
            t += dt.timedelta(minutes=rng.choice([30, 45, 60]))
        prog += [
            "",
            "Accreditatie aangevraagd bij SKJ (5 punten) en NIP/NVO.",
            f"Kosten: {money(95, 245)} p.p. (leden: gratis)",
        ]
        rn, ra = ext_person(rng.choice(["zorg", "gemeente", "edu"]))
        body = (
            f"{greet(rn)}\n\nGraag nodigen we je uit voor ons jaarcongres op {nl_date(d, True)}. Het programma "
            f"staat in de bijlage. Aanmelden kan tot {nl_date(d - dt.timedelta(days=14))} via de link op onze "
            f"website (code JC{d.year}-{digits(4)}).\n\nWil je een workshop geven over jullie ervaringen met "
            f"gezinsgericht werken? Laat het ons weten voor 1 december.\n\n" + signature(n, f)
        )
        to = [(rn, ra)]
        add(
            "conference",
            "ordinary",
            sender=(n, a),
            to=to,
            raw=build(
                sender=(n, a),
                to=to,
                subject=f"Uitnodiging jaarcongres {nl_date(d)}",
                body=body,
                client=client_mix(),
                attachments=[
                    (
                        "Programma jaarcongres.pdf",
                        "application/pdf",
                        make_pdf("Programma jaarcongres", prog),
                    )
                ],
            ),
            where="body+attachment",
            note="programme with times, rooms, care themes",
        )


def vacancies() -> None:
    for _i in range(5):
        n, a, f = me("HR-adviseur")
        rn, ra = ext_person("hr")
        role = rng.choice(
            [
                "Jeugdbeschermer",
                "Gezinsvoogd",
                "Gedragswetenschapper",
                "Medewerker Veilig Thuis",
                "Teamleider",
            ]
        )
        vac = f"VAC-{digits(4)}"
        body = (
            f"{greet(rn)}\n\nVoor team {rng.choice(['Utrecht-West', 'Amersfoort', 'Zeist', 'Nieuwegein'])} zoeken wij per direct een "
            f"{role} ({rng.randint(24, 36)} uur, vacaturenummer {vac}). Wil je deze vacature in jullie pool uitzetten?\n\n"
            f"Wat we vragen: hbo-diploma Social Work of Pedagogiek, SKJ-registratie, ervaring met jeugdbescherming, "
            f"crisisinterventie en het werken met gezinnen in complexe scheidingen.\nWat we bieden: CAO Jeugdzorg schaal "
            f"{rng.randint(8, 11)} ({money(3200, 3900)} - {money(4600, 5800)} bruto per maand bij 36 uur), "
            f"eindejaarsuitkering 8,33%, reiskosten.\n\nSluitingsdatum: {nl_date(work_date(30))}. Gesprekken op "
            f"{nl_date(work_date(40), True)}. Een VOG is vereist.\n\n" + signature(n, f)
        )
        to = [(rn, ra)]
        add(
            "vacancy",
            "ordinary",
            sender=(n, a),
            to=to,
            raw=build(
                sender=(n, a),
                to=to,
                subject=f"Vacature {role} ({vac})",
                body=body,
                client=client_mix(),
            ),
            note="vacancy with salary scale and care words",
        )


def hr_notices() -> None:
    """Payroll, holiday planning, sick-leave process and pension mail (no one's own data)."""
    subjects = [
        ("Salarisrun november", "salarisdienst"),
        ("Vakantieplanning 2027", "uitzend"),
        ("Verzuimprotocol: nieuwe werkwijze", "arbo"),
        ("Pensioenaangifte oktober", "pensioen"),
        ("Mutaties loonheffing 2027", "salarisdienst"),
        ("Aanmelding werkplekonderzoek", "arbo"),
        ("Inzet flexkrachten kerstperiode", "uitzend"),
        ("Eindejaarsuitkering en IKB", "salarisdienst"),
    ]
    for subj, kind in subjects:
        n, a, f = me(rng.choice(["HR-adviseur", "Salarisadministrateur", "Medewerker P&O"]))
        rn, ra = ext_person("hr")
        d = work_date(20)
        body = {
            "salarisdienst": (
                f"{greet(rn)}\n\nDe mutaties voor de salarisrun van {MONTHS[d.month - 1]} staan klaar in het "
                f"portaal (batch {digits(6)}, {rng.randint(20, 90)} mutaties). De verwerking moet uiterlijk "
                f"{nl_date(d)} om 12.00 uur klaar zijn; de uitbetaling is op de {rng.randint(20, 25)}e. "
                f"Let op: per 1 januari stijgt de reiskostenvergoeding naar € 0,23 per km en de "
                f"eindejaarsuitkering (8,33%) wordt in december uitbetaald. Loonheffingennummer "
                f"{digits(9)}L{digits(2)}.\n\nAlle {rng.randint(300, 700)} medewerkers ontvangen hun "
                f"loonstrook via Youforce."
            ),
            "uitzend": (
                f"{greet(rn)}\n\nVoor de periode {nl_date(d)} t/m {nl_date(d + dt.timedelta(days=21))} hebben we "
                f"{rng.randint(4, 15)} diensten per week extra nodig op de crisisgroep en de bereikbaarheidsdienst. "
                f"De vakantieplanning van onze vaste medewerkers is rond: {rng.randint(20, 45)}% is in week 52 vrij. "
                f"Kunnen jullie per week aangeven hoeveel gediplomeerde krachten (SKJ, VOG niet ouder dan 6 "
                f"maanden) beschikbaar zijn? Tarief conform raamovereenkomst {digits(6)}."
            ),
            "arbo": (
                f"{greet(rn)}\n\nPer {nl_date(d)} werken we met het aangepaste verzuimprotocol. Samengevat: ziekmelding "
                f"voor 09.00 uur bij de leidinggevende, na 7 dagen contact met de casemanager, in week 6 de "
                f"probleemanalyse door de bedrijfsarts en in week 8 het plan van aanpak (Wet verbetering "
                f"poortwachter). Graag ontvangen we jullie nieuwe tarieven voor spreekuren en het "
                f"werkplekonderzoek (contractnummer {digits(8)}). Het verzuimpercentage was vorig jaar "
                f"{rng.randint(5, 9)},{rng.randint(0, 9)}%."
            ),
            "pensioen": (
                f"{greet(rn)}\n\nDe pensioenaangifte over {MONTHS[d.month - 1]} is verstuurd (aansluitnummer "
                f"{digits(7)}, {rng.randint(300, 700)} deelnemers, premiesom {money(100000, 900000)}). De "
                f"correctie over september volgt volgende week. Incasso van {money(50000, 400000)} op "
                f"{ORG_IBAN} mag op {nl_date(d + dt.timedelta(days=5))}."
            ),
        }[kind]
        body += "\n\n" + signature(n, f)
        to = [(rn, ra)]
        add(
            "hr_notice",
            "ordinary",
            sender=(n, a),
            to=to,
            raw=build(sender=(n, a), to=to, subject=subj, body=body, client=client_mix()),
            note="HR process mail with numbers and dates, no person's data",
        )


def it_tickets() -> None:
    """Tickets with the IT supplier and the case-tool vendor: numbers, hosts, IPs."""
    for i in range(8):
        n, a, f = me(rng.choice(["Functioneel beheerder", "Medewerker ICT", "Applicatiebeheerder"]))
        rn, ra = ext_person("supplier")
        ticket = rng.choice(
            [f"M{digits(4)}-{digits(4)}", f"INC{digits(7)}", f"#{digits(6)}", digits(9)]
        )
        app = rng.choice(
            [
                "het cliëntvolgsysteem",
                "het dossiersysteem (Jeugdbescherming module)",
                "Outlook",
                "de VPN-client",
                "de printer op verdieping 3",
                "het roosterprogramma",
                "Teams",
            ]
        )
        err = rng.choice(
            ["0x80070005", "HTTP 502", "ORA-12541", "ERR_CERT_DATE_INVALID", "timeout na 30 s"]
        )
        body = (
            f"{greet(rn)}\n\nOnder melding {ticket}: sinds {nl_date(work_date(5), True)} {rng.randint(7, 17)}:{rng.randint(10, 59)} "
            f"krijgen {rng.randint(3, 60)} gebruikers een foutmelding ({err}) bij het openen van {app}. Het gaat om de "
            f"werkplekken op locatie {rng.choice(['Utrecht', 'Amersfoort', 'Zeist'])} (VLAN {rng.randint(10, 300)}, "
            f"subnet 10.{rng.randint(1, 250)}.{rng.randint(1, 250)}.0/24). Server: app{rng.randint(1, 9):02d}.intern.{OWN}, "
            f"versie {rng.randint(3, 12)}.{rng.randint(0, 9)}.{rng.randint(0, 30)}.\n\nPrioriteit: {rng.choice(['P1', 'P2', 'P3'])} "
            f"(gebruikers kunnen geen rapportages voor de rechtbank maken). Graag een terugbelverzoek op {phone()}.\n\n"
            + signature(n, f)
        )
        shot = None
        if i < 3:
            shot = text_image(
                [
                    f"{app.capitalize()} - Fout",
                    "",
                    f"Er is een fout opgetreden: {err}",
                    f"Foutcode {digits(6)}",
                    f"Sessie-ID: {digits(10)}",
                    f"Tijdstip: {work_date(5):%d-%m-%Y} 09:{rng.randint(10, 59)}",
                    "Neem contact op met uw systeembeheerder.",
                ],
                (900, 360),
                title="Foutmelding",
            )
        to = [(rn, ra)]
        add(
            "it_ticket",
            "ordinary",
            sender=(n, a),
            to=to,
            raw=build(
                sender=(n, a),
                to=to,
                subject=f"Storing {app} - melding {ticket}",
                body=body,
                client="outlook" if shot else client_mix(),
                inline_screenshot=shot,
            ),
            where="body+inline screenshot" if shot else "body",
            note="ticket numbers, hosts, error codes; care tool named",
        )


def reply_chains() -> None:
    """Long Outlook reply chains with quoted Van/Verzonden/Aan headers about arrangements."""
    for _i in range(8):
        people = [me() for _ in range(2)] + [
            (
                *ext_person(rng.choice(["gemeente", "zorg", "school"])),
                rng.choice(["Beleidsmedewerker", "Teamleider", "Intern begeleider"]),
            )
        ]
        topic = rng.choice(
            [
                "Overleg zorgroute scheidingen",
                "Planning jeugdbeschermingstafel",
                "Afspraken wijkteam en GI",
                "Evaluatie samenwerking Veilig Thuis en school",
                "Inzet crisisdienst tijdens feestdagen",
                "Regionaal overleg meldcode",
            ]
        )
        chain = ""
        d = work_date(10)
        for k in range(rng.randint(3, 5)):
            who = people[k % 3]
            other = people[(k + 1) % 3]
            when = d - dt.timedelta(days=k, hours=rng.randint(1, 5))
            text = rng.choice(
                [
                    f"Prima, dan zet ik {nl_date(when + dt.timedelta(days=8), True)} om 10.00 uur vast. Ik neem de cijfers van Q3 mee "
                    f"({rng.randint(30, 200)} meldingen, waarvan {rng.randint(10, 60)} met een crisisplaatsing).",
                    "Goed idee. Kunnen we ook de casus bespreken die vorige week in de jeugdbeschermingstafel zat? Zonder namen "
                    "graag, het gaat mij om de route via de Raad.",
                    f"Ik ben die week met verlof (tot {nl_date(when + dt.timedelta(days=12))}). Mijn collega {fake.first_name()} kan "
                    f"aansluiten, bereikbaar op {mobile()}.",
                    f"Ter info: het convenant is getekend op {nl_date(when - dt.timedelta(days=40))} en loopt tot 31-12-{when.year + 2}. "
                    f"Kenmerk {digits(4)}/{when.year}/{digits(3)}.",
                    f"Dank voor jullie reactie. Wij hebben nu {rng.randint(4, 20)} gezinnen per maand waarbij school de eerste "
                    f"signalen geeft. Daar willen we een vast aanspreekpunt voor.",
                ]
            )
            block = f"{text}\n\nGroet,\n{who[0]}\n{who[2]}"
            if chain:
                block += (
                    f"\n\nVan: {other[0]} <{other[1]}>\nVerzonden: {DAYS[when.weekday()]} {nl_date(when)} "
                    f"{rng.randint(8, 17)}:{rng.randint(10, 59)}\nAan: {who[0]} <{who[1]}>\nOnderwerp: RE: {topic}\n\n"
                    + chain
                )
            chain = block
        sender = people[0] if people[0][1].endswith(OWN) else people[1]
        rec = people[2]
        body = f"{greet(rec[0])}\n\n{chain}\n\n{signature(sender[0], sender[2])}"
        to = [(rec[0], rec[1])]
        cc = [(people[1][0], people[1][1])]
        add(
            "reply_chain",
            "ordinary",
            sender=(sender[0], sender[1]),
            to=to + cc,
            raw=build(
                sender=(sender[0], sender[1]),
                to=to,
                cc=cc,
                subject=f"RE: RE: {topic}",
                body=body,
                client="outlook",
            ),
            note="quoted reply headers, counts, dates, case words without clients",
        )


def minutes() -> None:
    """Minutes of policy meetings (docx/odt) with action lists."""
    for i in range(6):
        n, a, f = me(
            rng.choice(["Secretaresse bestuur", "Beleidsadviseur kwaliteit", "Managementassistent"])
        )
        d = work_date(20)
        meeting = rng.choice(
            [
                "Regionaal Overleg Jeugdbescherming",
                "Stuurgroep Informatieveiligheid",
                "Kwaliteitscommissie",
                "Overleg Veilig Thuis - gemeenten",
                "Werkgroep Meldcode",
                "Cliëntenraad (openbaar deel)",
            ]
        )
        paras = [
            f"Datum: {nl_date(d, True)}, 13.30-15.30 uur, {rng.choice(['Teams', 'Stadskantoor zaal 4.12', 'Vliegend Hertlaan'])}",
            f"Aanwezig: {', '.join(fake.name() for _ in range(5))}",
            f"Afwezig met bericht: {fake.name()}",
            "## 1. Opening en vaststellen agenda",
            "De voorzitter opent de vergadering. De notulen van de vorige keer worden vastgesteld.",
            "## 2. Cijfers",
            f"Het aantal meldingen bij Veilig Thuis steeg in Q3 met {rng.randint(4, 16)}% tot {rng.randint(900, 1600)}. "
            f"{rng.randint(60, 95)}% van de adviesvragen werd binnen 5 werkdagen afgerond. Er waren {rng.randint(1, 5)} datalekken, "
            f"allemaal gemeld bij de AP (meldnummers bekend bij de FG).",
            "## 3. Dossiervorming en AVG",
            "De bewaartermijn van dossiers (20 jaar na meerderjarigheid) wordt getoetst. "
            "Besloten wordt dat het cliëntdossier niet meer per mail wordt gedeeld; Zivver is de standaard.",
            "## 4. Rondvraag",
            "Geen.",
        ]
        actions = [["Nr", "Actie", "Wie", "Wanneer"]] + [
            [
                f"{d.year}-{k:03d}",
                rng.choice(
                    [
                        "Notitie bewaartermijnen",
                        "Evaluatie meldcode",
                        "Cijfers naar gemeenten",
                        "Uitnodiging cliëntenraad",
                    ]
                ),
                fake.first_name(),
                (d + dt.timedelta(days=rng.randint(7, 60))).strftime("%d-%m-%Y"),
            ]
            for k in range(rng.randint(3, 8))
        ]
        if i % 2:
            att = (
                f"Notulen {meeting} {d:%Y%m%d}.docx",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                make_docx(f"Notulen {meeting}", paras, actions),
            )
        else:
            att = (
                f"Notulen {meeting} {d:%d-%m-%Y}.odt",
                "application/vnd.oasis.opendocument.text",
                make_odt(f"Notulen {meeting}", [p.lstrip("# ") for p in paras]),
            )
        recips = [ext_person(rng.choice(["gemeente", "zorg"])) for _ in range(rng.randint(2, 4))]
        body = (
            f"Beste leden van het {meeting},\n\nIn de bijlage de conceptnotulen en de actielijst van {nl_date(d)}. Opmerkingen graag voor {nl_date(d + dt.timedelta(days=7))}.\n\n"
            + signature(n, f)
        )
        add(
            "minutes",
            "ordinary",
            sender=(n, a),
            to=recips,
            raw=build(
                sender=(n, a),
                to=recips,
                subject=f"Conceptnotulen {meeting}",
                body=body,
                client=client_mix(),
                attachments=[att],
            ),
            where="attachment",
            note="policy meeting minutes: statistics, AVG, dossier words",
        )


def annual_report() -> None:
    for _i in range(4):
        n, a, f = me("Beleidsadviseur kwaliteit")
        year = 2025
        lines = [f"Jaarcijfers {year}", ""]
        for label in [
            "Meldingen Veilig Thuis",
            "Adviesvragen",
            "Onderzoeken",
            "Ondertoezichtstellingen (OTS)",
            "Voogdijmaatregelen",
            "Jeugdreclassering",
            "Crisisplaatsingen",
            "Klachten",
            "Calamiteitenmeldingen IGJ",
            "Medewerkers (fte)",
        ]:
            lines.append(
                f"{label}\t{rng.randint(10, 9000):,}".replace(",", ".")
                + f"\t{rng.choice(['+', '-'])}{rng.randint(1, 25)}%"
            )
        lines += [
            "",
            f"Gemiddelde doorlooptijd onderzoek: {rng.randint(40, 120)} dagen (norm 70).",
            f"Cliënttevredenheid: {rng.randint(6, 8)},{rng.randint(0, 9)} (n = {rng.randint(300, 1200)}).",
            f"Omzet: {money(40_000_000, 90_000_000)}; resultaat {money(-900_000, 1_500_000)}.",
            f"Gemiddelde leeftijd jeugdigen bij start OTS: {rng.randint(8, 12)},{rng.randint(0, 9)} jaar.",
        ]
        rn, ra = ext_person(rng.choice(["gemeente", "edu"]))
        body = (
            f"{greet(rn)}\n\nZoals toegezegd in de bestuurlijke overleggen: het publieksjaarverslag {year} met de kerncijfers. Het volledige jaarverslag staat vanaf 1 juni op onze website.\n\n"
            + signature(n, f)
        )
        to = [(rn, ra)]
        add(
            "annual_report",
            "ordinary",
            sender=(n, a),
            to=to,
            raw=build(
                sender=(n, a),
                to=to,
                subject=f"Jaarverslag {year} - kerncijfers",
                body=body,
                client=client_mix(),
                attachments=[
                    (
                        f"Jaarverslag {year}.pdf",
                        "application/pdf",
                        make_pdf(f"Publieksjaarverslag {year}", lines),
                    )
                ],
            ),
            where="attachment",
            note="aggregated statistics with years and percentages",
        )


def newsletters() -> None:
    for _i in range(6):
        _n, _a, _f = me("Communicatieadviseur")
        sender = ("Nieuwsbrief Samen Veilig", f"nieuwsbrief@{OWN}")
        d = work_date(30)
        items = [
            f"<h2>Nieuwe locatie in Amersfoort</h2><p>Vanaf {nl_date(d)} zit team Eemland aan de {fake.street_address()}, {fake.postcode()} Amersfoort.</p>",
            f"<h2>Week tegen Kindermishandeling</h2><p>Van 17 t/m 23 november: {rng.randint(5, 30)} activiteiten in de regio. Meer dan {rng.randint(100, 400)} professionals volgden de meldcode-training.</p>",
            f"<h2>Pleegouders gezocht</h2><p>Er wachten {rng.randint(20, 80)} kinderen op een pleeggezin. Informatieavond op {nl_date(d + dt.timedelta(days=10), True)}, 19.30 uur.</p>",
            f"<h2>Uit de cliëntenraad</h2><p>De cliëntenraad gaf advies over de nieuwe klachtenregeling (versie {rng.randint(2, 5)}.{rng.randint(0, 9)}).</p>",
            f"<h2>In gesprek met een gezinsvoogd</h2><p>'Elk gezin is anders. Wat ik leerde in {rng.randint(8, 25)} jaar jeugdbescherming...'</p>",
        ]
        rng.shuffle(items)
        html = "".join(items[:3]) + (
            f'<p style="font-size:9px">U ontvangt deze nieuwsbrief omdat u zich heeft aangemeld. '
            f'<a href="https://{OWN}/afmelden?id={digits(10)}">Afmelden</a>. {ORG}, KvK {ORG_KVK}.</p>'
            f'<img src="https://{OWN}/t/open.gif?u={digits(9)}" width="1" height="1">'
        )
        plain = re.sub(r"<[^>]+>", "\n", html)
        rn, ra = ext_person(rng.choice(["zorg", "gemeente", "school", "edu"]))
        msg = MIMEMultipart("alternative", boundary=_boundary())
        msg.attach(MIMEText(plain, "plain", QP))
        msg.attach(
            MIMEText(
                f"<html><body><table width=600><tr><td>{html}</td></tr></table></body></html>",
                "html",
                QP,
            )
        )
        msg["From"] = formataddr(sender)
        msg["To"] = formataddr((rn, ra))
        msg["Subject"] = f"Nieuwsbrief {MONTHS[d.month - 1]} {d.year}"
        msg["Date"] = format_datetime(dt.datetime.combine(d, dt.time(7, 30), dt.UTC))
        msg["Message-ID"] = f"<nb{digits(10)}@{OWN}>"
        msg["List-Unsubscribe"] = f"<https://{OWN}/afmelden?id={digits(10)}>"
        msg["Precedence"] = "bulk"
        add(
            "newsletter",
            "ordinary",
            sender=sender,
            to=[(rn, ra)],
            raw=msg.as_bytes(policy=email_policy.SMTP),
            local=True,
            note="bulk newsletter from a local program",
        )


def auto_replies() -> None:
    for _i in range(6):
        n, a, f = me()
        rn, ra = ext_person(rng.choice(["zorg", "gemeente", "supplier", "school"]))
        back = work_date(20)
        colleague = fake.name()
        body = rng.choice(
            [
                f"Dank voor je bericht. Ik ben afwezig tot en met {nl_date(back, True)} en lees mijn mail niet. Voor zaken "
                f"rond lopende ondertoezichtstellingen kun je terecht bij {colleague} ({mobile()}). Bij acute zorgen over "
                f"de veiligheid van een kind: bel Veilig Thuis, 0800-2000 (24/7), of bij direct gevaar 112.",
                f"Ik ben vanwege verlof afwezig van {nl_date(back - dt.timedelta(days=10))} t/m {nl_date(back)}. Uw mail wordt "
                f"niet doorgestuurd. Voor de crisisdienst: {phone()}. Voor facturen: facturen@{OWN}.",
                f"Thank you for your message. I am out of office until {back:%d/%m/%Y}. For urgent matters please contact "
                f"{colleague}, {phone()}.",
            ]
        )
        body += f"\n\n{n}\n{f}\n{ORG}"
        to = [(rn, ra)]
        raw = build(
            sender=(n, a),
            to=to,
            subject=f"Automatisch antwoord: {rng.choice(['Overleg', 'Factuur', 'Vraag', 'RE: planning'])}",
            body=body,
            client=rng.choice(["outlook", "plain"]),
            headers={"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"},
        )
        add(
            "auto_reply",
            "ordinary",
            sender=(n, a),
            to=to,
            raw=raw,
            note="out-of-office with dates and phone numbers",
        )


def travel() -> None:
    for _i in range(5):
        n, a, f = me()
        rn, ra = ext_person("travel")
        d = work_date(40)
        body = rng.choice(
            [
                f"{greet(rn)}\n\nGraag boek ik een hotelkamer voor {rng.randint(1, 6)} collega's van {nl_date(d)} tot "
                f"{nl_date(d + dt.timedelta(days=2))} (reserveringsnummer offerte {digits(8)}). Facturering op naam van "
                f"{ORG}, Postbus 2360, 3500 GJ Utrecht, BTW {ORG_BTW}, o.v.v. kostenplaats {digits(4)}.",
                f"{greet(rn)}\n\nMijn NS Business Card (kaartnummer 3528 {digits(4)} {digits(4)} {digits(4)}) is verlopen op "
                f"{d:%d-%m-%Y}. Kunt u een vervangende kaart sturen naar {fake.street_address()}, {fake.postcode()} {fake.city()}? "
                f"Contractnummer werkgever {digits(7)}.",
                f"{greet(rn)}\n\nBevestiging van uw boeking: vlucht KL{rng.randint(1000, 1999)} Amsterdam - Kopenhagen, "
                f"{nl_date(d, True)} 07:{rng.randint(10, 55)}, boekingscode {''.join(rng.choices('ABCDEFGHJKLMNPQRSTUVWXYZ', k=6))}, "
                f"e-ticket 074-{digits(10)}. Deelname aan de conferentie 'EUSARF {d.year}'.",
            ]
        )
        body += "\n\n" + signature(n, f)
        to = [(rn, ra)]
        add(
            "travel",
            "ordinary",
            sender=(n, a),
            to=to,
            raw=build(
                sender=(n, a),
                to=to,
                subject=rng.choice(
                    ["Hotelreservering", "Vervangende NS Business Card", "Boekingsbevestiging"]
                ),
                body=body,
                client=client_mix(),
            ),
            note="booking/card/ticket numbers, addresses",
        )


def parking() -> None:
    for _i in range(4):
        n, a, f = me("Medewerker Facilitair")
        rn, ra = ext_person("gemeente")
        plates = [
            f"{rng.choice(['G', 'H', 'K', 'T', 'X'])}-{digits(3)}-{''.join(rng.choices('BDFGHJKLNPRSTXZ', k=2))}"
            for _ in range(rng.randint(2, 6))
        ]
        body = (
            f"{greet(rn)}\n\nWij vragen {len(plates)} bedrijfsvergunningen aan voor de parkeerzone "
            f"{rng.choice(['Binnenstad', 'Wittevrouwen', 'Lombok'])} (vergunningnummer huidige vergunning {digits(8)}), "
            f"voor ons pand aan de {fake.street_address()}, {fake.postcode()} Utrecht. Kentekens: {', '.join(plates)}. "
            f"De auto's worden gebruikt voor huisbezoeken en crisisinterventies en moeten 24/7 kunnen parkeren.\n\n"
            f"KvK {ORG_KVK}. Incasso mag van {ORG_IBAN}.\n\n" + signature(n, f)
        )
        to = [(rn, ra)]
        add(
            "parking",
            "ordinary",
            sender=(n, a),
            to=to,
            raw=build(
                sender=(n, a),
                to=to,
                subject="Aanvraag bedrijfsvergunningen parkeren",
                body=body,
                client=client_mix(),
            ),
            note="licence plates, permit numbers, address and postcode",
        )


def facility() -> None:
    for _i in range(5):
        n, a, f = me("Medewerker Facilitair")
        rn, ra = ext_person("supplier")
        addr = f"{fake.street_address()}, {fake.postcode()} {fake.city()}"
        body = rng.choice(
            [
                f"{greet(rn)}\n\nOp {nl_date(work_date(20), True)} verhuist team Zuid naar {addr}. Kunnen jullie 24 "
                f"werkplekken, 3 spreekkamers en de kindvriendelijke gespreksruimte (speelhoek, geen scherpe randen) "
                f"inrichten? De sleuteloverdracht is om 08.00 uur; sleutelnummers {digits(3)} t/m {digits(3)}. "
                f"Contactpersoon ter plaatse: {fake.name()}, {mobile()}.",
                f"{greet(rn)}\n\nDe schoonmaak op {addr} is deze week {rng.randint(2, 4)} keer niet uitgevoerd (werkorder "
                f"{digits(7)}). In de bezoekersruimte voor ouders en kinderen lag afval. Graag een oplossing voor vrijdag.",
                f"{greet(rn)}\n\nDe alarminstallatie op {addr} (object-ID {digits(6)}) gaf vannacht om 03:12 een storing. "
                f"De meldkamer belde de sleutelhouder ({mobile()}). Kunt u een monteur sturen? Pincode-wijziging volgt apart.",
            ]
        )
        body += "\n\n" + signature(n, f)
        to = [(rn, ra)]
        add(
            "facility",
            "ordinary",
            sender=(n, a),
            to=to,
            raw=build(
                sender=(n, a),
                to=to,
                subject=rng.choice(
                    ["Verhuizing team Zuid", "Klacht schoonmaak", "Storing alarminstallatie"]
                ),
                body=body,
                client=client_mix(),
            ),
            note="addresses with postcodes, work order numbers",
        )


def bank_details() -> None:
    for _i in range(3):
        rn, ra = ext_person("supplier")
        n, a, f = me("Crediteurenadministratie")
        old, new = fake.iban(), fake.iban()
        body = (
            f"{greet(rn)}\n\nWij hebben uw bericht over het nieuwe rekeningnummer ontvangen. Volgens onze "
            f"procedure bellen wij altijd terug op het bij ons bekende nummer voordat we een IBAN wijzigen. "
            f"Ter controle: oud {old}, nieuw {new}, crediteurnummer {digits(6)}, KvK {digits(8)}. Na "
            f"bevestiging verwerken wij de wijziging per {nl_date(work_date(10))}.\n\n"
            + signature(n, f)
        )
        to = [(rn, ra)]
        add(
            "bank_details",
            "ordinary",
            sender=(n, a),
            to=to,
            raw=build(
                sender=(n, a),
                to=to,
                subject="Wijziging bankgegevens",
                body=body,
                client=client_mix(),
            ),
            note="supplier IBANs, creditor number",
        )


def intervision() -> None:
    """Anonymised case discussions: care words, ages, family situations, no identifier."""
    for _i in range(6):
        n, a, f = me(rng.choice(["Gedragswetenschapper", "Jeugdbeschermer", "Gezinsvoogd"]))
        rn, ra = ext_person("edu")
        age = rng.randint(3, 16)
        body = (
            f"{greet(rn)}\n\nVoor de intervisie van {nl_date(work_date(10), True)} breng ik een casus in (geanonimiseerd):\n\n"
            f"Casus: {rng.choice(['meisje', 'jongen'])} van {age}, sinds {rng.randint(1, 3)} jaar onder toezicht (OTS). Ouders "
            f"zijn gescheiden en hebben een hoog conflict; er is een omgangsregeling die steeds vastloopt. Vader woont in "
            f"een andere provincie, moeder heeft een nieuwe partner. School meldt verzuim ({rng.randint(10, 40)} uur dit "
            f"schooljaar). Er loopt een verzoek tot verlenging van de OTS; de zitting is over {rng.randint(2, 8)} weken.\n\n"
            f"Mijn vraag: hoe houd ik de stem van het kind centraal als beide ouders mij als partijdig zien?\n\n"
            f"Ik heb alle herleidbare gegevens weggelaten; het dossier blijft in ons systeem.\n\n"
            + signature(n, f)
        )
        to = [(rn, ra)]
        add(
            "intervision",
            "ordinary",
            sender=(n, a),
            to=to,
            raw=build(
                sender=(n, a),
                to=to,
                subject="Casus voor intervisie",
                body=body,
                client=client_mix(),
            ),
            note="anonymised case: age, family situation, care words; no name, date of birth or number",
        )


def questionnaire() -> None:
    for i in range(4):
        n, a, f = me("Beleidsadviseur kwaliteit")
        rn, ra = ext_person("edu")
        rows = [["Respondent", "Functie", "Jaren ervaring", "V1", "V2", "V3", "V4", "Toelichting"]]
        for r in range(25):
            rows.append(
                [
                    f"R{r + 1:03d}",
                    rng.choice(
                        ["Jeugdbeschermer", "Gezinsvoogd", "Gedragswetenschapper", "Teamleider"]
                    ),
                    rng.randint(1, 30),
                    *(rng.randint(1, 5) for _ in range(4)),
                    rng.choice(
                        ["", "werkdruk hoog", "te veel dossiers per fte", "goede ondersteuning"]
                    ),
                ]
            )
        body = (
            f"{greet(rn)}\n\nIn de bijlage de geanonimiseerde antwoorden op de vragenlijst 'Werkdruk en caseload' "
            f"(n = 25, respons {rng.randint(40, 80)}%). Goedkeuring ethische commissie: ECO-{rng.randint(2025, 2026)}-{digits(3)}. "
            f"Gemiddelde caseload: {rng.randint(12, 18)} gezinnen per fte.\n\n" + signature(n, f)
        )
        blob, name, ctype = (
            (
                make_xlsx({"Antwoorden": rows}),
                "antwoorden_vragenlijst.xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
            if i % 2
            else (
                make_ods([[str(c) for c in r] for r in rows]),
                "antwoorden_vragenlijst.ods",
                "application/vnd.oasis.opendocument.spreadsheet",
            )
        )
        to = [(rn, ra)]
        add(
            "questionnaire",
            "ordinary",
            sender=(n, a),
            to=to,
            raw=build(
                sender=(n, a),
                to=to,
                subject="Data vragenlijst werkdruk",
                body=body,
                client=client_mix(),
                attachments=[(name, ctype, blob)],
            ),
            where="attachment",
            note="research data of staff respondents, numbers only",
        )


def invites() -> None:
    for _i in range(5):
        n, a, f = me()
        recips = [
            ext_person(rng.choice(["gemeente", "zorg", "school"])) for _ in range(rng.randint(1, 3))
        ]
        d = work_date(20)
        start = dt.datetime(d.year, d.month, d.day, rng.choice([9, 10, 13, 14]), 0)
        meeting_id = f"{digits(3)} {digits(3)} {digits(3)} {digits(3)}"
        desc = (
            f"Microsoft Teams-vergadering\nDeelnemen: https://teams.microsoft.com/l/meetup-join/19%3ameeting_{digits(12)}\n"
            f"Vergader-ID: {meeting_id}\nWachtwoord: {''.join(rng.choices('abcdefghjkmnpqrstuvwxyz23456789', k=6))}\n"
            f"Inbellen: +31 20 {digits(3)} {digits(4)},,{digits(9)}# \nTelefonische vergadering-id: {digits(3)} {digits(3)} {digits(3)}#"
        )
        topic = rng.choice(
            [
                "Overleg zorgroute jeugdbescherming",
                "Evaluatie crisisdienst",
                "Kwartaalgesprek contractmanagement",
                "Afstemming meldcode scholen",
            ]
        )
        inv = ics(topic, start, 60, "Microsoft Teams", desc, a, [r[1] for r in recips])
        body = f"{topic}\n\n{desc}\n\n{n}\n{f}"
        msg = MIMEMultipart("alternative", boundary=_boundary())
        msg.attach(MIMEText(body, "plain", QP))
        cal = MIMEText(inv.decode(), "calendar", "utf-8")
        cal.set_param("method", "REQUEST")
        msg.attach(cal)
        mixed = MIMEMultipart("mixed", boundary=_boundary())
        mixed.attach(msg)
        att = MIMEApplication(inv, "ics")
        att.add_header("Content-Disposition", "attachment", filename="invite.ics")
        mixed.attach(att)
        mixed["From"] = formataddr((n, a))
        mixed["To"] = ", ".join(formataddr(r) for r in recips)
        mixed["Subject"] = topic
        mixed["Date"] = format_datetime(FIXED - dt.timedelta(days=rng.randint(1, 20)))
        mixed["Message-ID"] = f"<{digits(12)}@{OWN}>"
        add(
            "invite",
            "ordinary",
            sender=(n, a),
            to=recips,
            raw=mixed.as_bytes(policy=email_policy.SMTP),
            where="body+ics",
            note="Teams invitation: meeting and dial-in IDs",
        )


def meldcode_info() -> None:
    """General information about the reporting code to schools: care words, no case."""
    for _i in range(3):
        n, a, f = me("Medewerker Veilig Thuis", OWN_VT)
        rn, ra = ext_person("school")
        body = (
            f"{greet(rn)}\n\nDank voor de vraag over de meldcode huiselijk geweld en kindermishandeling. Kort de vijf "
            f"stappen: 1. signalen in kaart brengen, 2. collegiale consultatie en zo nodig Veilig Thuis raadplegen, "
            f"3. gesprek met ouders en kind, 4. wegen (afwegingskader), 5. beslissen: hulp organiseren en/of melden.\n\n"
            f"Een adviesvraag kan altijd anoniem: 0800-2000. Bij een melding vragen wij naam, adres en geboortedatum "
            f"van het kind en de ouders; die gegevens stuur je niet per gewone mail maar bel je door of geef je via "
            f"het beveiligde meldformulier.\n\nOp {nl_date(work_date(40), True)} geven wij een scholing voor "
            f"intern begeleiders (max. {rng.randint(15, 30)} deelnemers, kosten {money(0, 50)}).\n\n"
            + signature(n, f).replace(OWN, OWN_VT)
        )
        to = [(rn, ra)]
        add(
            "meldcode_info",
            "ordinary",
            sender=(n, a),
            to=to,
            raw=build(
                sender=(n, a),
                to=to,
                subject="Vraag over de meldcode",
                body=body,
                client=client_mix(),
            ),
            note="explains which data a report needs (names the words) but carries none",
        )


def foster_recruitment() -> None:
    for _i in range(3):
        n, a, f = me("Pleegzorgwerver")
        rn, ra = ext_person(rng.choice(["gemeente", "school"]))
        body = (
            f"{greet(rn)}\n\nMag onze poster voor de informatieavond pleegzorg op {nl_date(work_date(30), True)} "
            f"(19.30 uur, {fake.street_address()}, {fake.postcode()} {fake.city()}) in jullie nieuwsbrief? Er wachten in de "
            f"regio {rng.randint(30, 90)} kinderen van 0 tot 18 jaar op een pleeggezin, waarvan {rng.randint(5, 20)} voor "
            f"crisisopvang. Aanmelden via pleegzorg@{OWN} of {phone()}.\n\n" + signature(n, f)
        )
        poster = text_image(
            [
                "Word pleegouder!",
                "",
                "Informatieavond pleegzorg",
                f"{nl_date(work_date(30), True)} 19.30 uur",
                "Samen Veilig Midden-Nederland",
                f"pleegzorg@{OWN}",
            ],
            (700, 420),
            title="Pleegzorg Midden-Nederland",
            fmt="JPEG",
        )
        to = [(rn, ra)]
        add(
            "foster_recruitment",
            "ordinary",
            sender=(n, a),
            to=to,
            raw=build(
                sender=(n, a),
                to=to,
                subject="Poster informatieavond pleegzorg",
                body=body,
                client=client_mix(),
                attachments=[("poster_pleegzorg.jpg", "image/jpeg", poster)],
            ),
            where="body+image",
            note="recruitment poster image (OCR) with dates",
        )


def complaints() -> None:
    for _i in range(3):
        n, a, f = me("Klachtenfunctionaris")
        rn, ra = ext_person("edu")
        body = (
            f"{greet(rn)}\n\nHierbij de geanonimiseerde uitspraak van de klachtencommissie in klacht {digits(4)}/{2026} "
            f"voor de jurisprudentiebundel. Klager (een ouder) klaagde over de bejegening door een jeugdbeschermer en "
            f"over de termijn waarbinnen het verslag werd aangepast. De commissie verklaart de klacht deels gegrond. "
            f"Alle namen, data en plaatsen zijn verwijderd.\n\n" + signature(n, f)
        )
        to = [(rn, ra)]
        add(
            "complaint",
            "ordinary",
            sender=(n, a),
            to=to,
            raw=build(
                sender=(n, a),
                to=to,
                subject="Geanonimiseerde uitspraak klacht",
                body=body,
                client=client_mix(),
                attachments=[
                    (
                        "uitspraak_geanonimiseerd.docx",
                        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                        make_docx(
                            "Uitspraak klachtencommissie",
                            [
                                "Klager: [geanonimiseerd]",
                                "Beklaagde: [medewerker A]",
                                "## Overwegingen",
                                "De commissie stelt vast dat het verslag pas na zes weken is aangepast.",
                                "## Oordeel",
                                "Deels gegrond.",
                            ],
                        ),
                    )
                ],
            ),
            where="body+attachment",
            note="anonymised complaint ruling",
        )


def misc_ordinary() -> None:
    """Press, sponsoring, a price quote, a survey invitation, a recommendation letter for staff."""
    specs = [
        (
            "press",
            "Persvraag over wachtlijsten",
            lambda rn: (
                f"{greet(rn)}\n\nOp uw vraag: op 1 november stonden {rng.randint(40, 150)} kinderen met een kinderbeschermingsmaatregel op de wachtlijst voor een vaste jeugdbeschermer (gemiddelde wachttijd {rng.randint(20, 90)} dagen). Wij lichten dit graag toe in een interview; bel de woordvoerder op {mobile()}."
            ),
        ),
        (
            "quote",
            "Offerte training meldcode",
            lambda rn: (
                f"{greet(rn)}\n\nDank voor de offerte {digits(6)} van {money(1200, 6000)} voor {rng.randint(2, 6)} trainingsdagen. Kunt u de btw apart vermelden en de datum {nl_date(work_date(60))} reserveren? Ons inkoopnummer: PO{digits(7)}."
            ),
        ),
        (
            "reference",
            "Referentie oud-medewerker",
            lambda rn: (
                f"{greet(rn)}\n\nGraag geef ik een referentie voor onze oud-collega {fake.name()}, die van 2019 tot 2025 bij ons werkte als gezinsvoogd. Zij had een caseload van ongeveer 15 gezinnen en was sterk in crisissituaties. U kunt mij bellen op {phone()}."
            ),
        ),
        (
            "survey",
            "Uitnodiging cliëntervaringsonderzoek (aanbieders)",
            lambda rn: (
                f"{greet(rn)}\n\nNamens de regio nodigen wij jullie uit om mee te doen aan het cliëntervaringsonderzoek {2026}. Jullie ontvangen een unieke link per locatie (code {digits(5)}); de resultaten worden alleen geaggregeerd gedeeld (minimaal 10 respondenten per groep)."
            ),
        ),
        (
            "sponsoring",
            "Sponsoring sinterklaasactie",
            lambda rn: (
                f"{greet(rn)}\n\nDankzij uw bijdrage van {money(500, 3000)} konden we {rng.randint(100, 400)} cadeautjes uitdelen aan kinderen in pleeggezinnen en op onze crisisgroepen. Een kwitantie volgt; ons RSIN is {digits(9)} (ANBI)."
            ),
        ),
    ]
    for key, subj, fn in specs:
        n, a, f = me()
        rn, ra = ext_person(rng.choice(["supplier", "edu", "gemeente"]))
        body = fn(rn) + "\n\n" + signature(n, f)
        to = [(rn, ra)]
        add(
            "misc",
            "ordinary",
            sender=(n, a),
            to=to,
            raw=build(sender=(n, a), to=to, subject=subj, body=body, client=client_mix()),
            note=key,
        )


def system_mail() -> None:
    """Mail from local programs: the phone exchange's report, the case tool's statistics."""
    for _i in range(3):
        sender = ("Rapportage", f"noreply@{OWN}")
        rn, ra = ext_person(rng.choice(["gemeente", "supplier"]))
        d = work_date(10)
        body = rng.choice(
            [
                f"Wachtrijrapportage telefonie {d:%d-%m-%Y}\n\nLijn Crisisdienst: {rng.randint(40, 200)} oproepen, gemiddelde wachttijd {rng.randint(5, 90)} s, "
                f"{rng.randint(0, 9)} gemist.\nLijn Veilig Thuis: {rng.randint(100, 400)} oproepen, {rng.randint(80, 99)}% binnen 30 s.\nRapport-ID {digits(10)}.",
                f"Weekoverzicht {d.isocalendar()[1]}\n\nNieuwe meldingen: {rng.randint(50, 200)}\nAfgesloten dossiers: {rng.randint(20, 150)}\nOpen onderzoeken: "
                f"{rng.randint(100, 500)}\nGemiddelde doorlooptijd: {rng.randint(20, 90)} dagen\n\nDeze mail is automatisch verzonden door het rapportagesysteem (job {digits(6)}).",
            ]
        )
        msg = MIMEText(body, "plain", "utf-8")
        msg["From"] = formataddr(sender)
        msg["To"] = ra
        msg["Subject"] = f"Rapportage {d:%d-%m-%Y}"
        msg["Date"] = format_datetime(dt.datetime.combine(d, dt.time(6, 0), dt.UTC))
        msg["Message-ID"] = f"<{digits(14)}@app01.{OWN}>"
        msg["Auto-Submitted"] = "auto-generated"
        add(
            "system_report",
            "ordinary",
            sender=sender,
            to=[(rn, ra)],
            raw=msg.as_bytes(policy=email_policy.SMTP),
            local=True,
            note="automatic statistics from a local program",
        )


# ------------------------------------------------------------------------------------------
# Client data to external recipients
# ------------------------------------------------------------------------------------------


def child() -> dict[str, str]:
    d = dob()
    return {
        "name": f"{fake.first_name()} {fake.last_name()}",
        "bsn": bsn(),
        "dob": dob_text(d),
        "dob_date": d.strftime("%d-%m-%Y"),
        "addr": f"{fake.street_address()}, {fake.postcode()} {fake.city()}",
        "parent": fake.name(),
        "dossier": f"{digits(7)}",
    }


def dossier_extracts() -> None:
    for i in range(6):
        n, a, f = me(rng.choice(["Jeugdbeschermer", "Gezinsvoogd", "Medewerker Veilig Thuis"]))
        rn, ra = ext_person(rng.choice(["zorg", "court", "school"]))
        c = child()
        extract = (
            f"Dossiernummer: {c['dossier']}\nNaam jeugdige: {c['name']}\nBSN: {c['bsn']}\nGeboortedatum: {c['dob']}\n"
            f"Adres: {c['addr']}\nGezag: {c['parent']} (moeder)\nMaatregel: ondertoezichtstelling sinds {work_date(300):%d-%m-%Y}\n\n"
            f"Journaal {work_date(20):%d-%m-%Y}: huisbezoek afgelegd, moeder gaf aan dat de situatie thuis onveilig is "
            f"door het middelengebruik van haar partner. Veiligheidsplan besproken; afspraken over dagelijkse check-in."
        )
        if i % 2:
            extract = extract.replace(f"BSN: {c['bsn']}\n", f"Burgerservicenummer {c['bsn']}\n")
        body = (
            f"{greet(rn)}\n\nZoals besproken het uittreksel uit het dossier, voor jullie intake morgen:\n\n{extract}\n\n"
            + signature(n, f)
        )
        to = [(rn, ra)]
        add(
            "dossier_extract",
            "client_data",
            sender=(n, a),
            to=to,
            raw=build(
                sender=(n, a),
                to=to,
                subject=f"Uittreksel dossier {c['dossier']}",
                body=body,
                client=client_mix(),
            ),
            detectors=["bsn", "date_of_birth", "case_keywords", "postcode"],
            note="dossier extract pasted in the body",
        )


def reports() -> None:
    for i in range(6):
        n, a, f = me(rng.choice(["Jeugdbeschermer", "Gezinsvoogd", "Gedragswetenschapper"]))
        rn, ra = ext_person(rng.choice(["court", "zorg"]))
        c = child()
        paras = [
            f"Betreft: {c['name']}, geboren {c['dob']}",
            f"BSN {c['bsn']}",
            f"Adres: {c['addr']}",
            "## Aanleiding",
            f"Sinds {work_date(400):%d-%m-%Y} staat de jeugdige onder toezicht van de gecertificeerde instelling.",
            "## Ontwikkeling",
            "Er zijn zorgen over de emotionele ontwikkeling; de jeugdige vertoont angstklachten en verzuimt school.",
            "## Advies",
            "Verlenging van de ondertoezichtstelling met twaalf maanden en een uithuisplaatsing in een pleeggezin.",
        ]
        detectors = ["bsn", "date_of_birth", "case_keywords", "postcode"]
        kind = i % 3
        if kind == 0:
            att = (
                f"Verzoekschrift verlenging OTS {c['name'].split()[-1]}.docx",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                make_docx("Rapportage verlenging ondertoezichtstelling", paras),
            )
        elif kind == 1:
            att = (
                "Rapportage_OTS.pdf",
                "application/pdf",
                make_pdf(
                    "Rapportage verlenging ondertoezichtstelling", [p.lstrip("# ") for p in paras]
                ),
            )
        else:
            att = (
                "plan_van_aanpak.odt",
                "application/vnd.oasis.opendocument.text",
                make_odt("Plan van aanpak", [p.lstrip("# ") for p in paras]),
            )
        body = (
            f"{greet(rn)}\n\nIn de bijlage de rapportage ten behoeve van de zitting van {nl_date(work_date(20), True)}.\n\n"
            + signature(n, f)
        )
        to = [(rn, ra)]
        add(
            "client_report",
            "client_data",
            sender=(n, a),
            to=to,
            raw=build(
                sender=(n, a),
                to=to,
                subject="Rapportage t.b.v. zitting",
                body=body,
                client=client_mix(),
                attachments=[att],
            ),
            detectors=detectors,
            where="attachment",
            note="court report with BSN, date of birth, address",
        )


def client_lists() -> None:
    for i in range(5):
        n, a, f = me(rng.choice(["Teamleider", "Planner", "Medewerker Bureau Toewijzing"]))
        rn, ra = ext_person(rng.choice(["gemeente", "zorg"]))
        header = [
            "Dossiernr",
            "Naam",
            "BSN",
            "Geboortedatum",
            "Postcode",
            "Maatregel",
            "Jeugdbeschermer",
        ]
        rows = [header]
        for _ in range(rng.randint(6, 20)):
            c = child()
            rows.append(
                [
                    c["dossier"],
                    c["name"],
                    c["bsn"],
                    c["dob_date"],
                    fake.postcode(),
                    rng.choice(["OTS", "Voogdij", "JR", "Vrijwillig"]),
                    fake.name(),
                ]
            )
        dets = ["bsn", "date_of_birth", "case_keywords", "postcode"]
        if i == 0:
            att = (
                "caseload_team_oost.xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                make_xlsx({"Caseload": rows}),
            )
        elif i == 1:
            att = ("wachtlijst.csv", "text/csv", "\n".join(";".join(r) for r in rows).encode())
        elif i == 2:
            att = (
                "overzicht_clienten.ods",
                "application/vnd.oasis.opendocument.spreadsheet",
                make_ods(rows),
            )
        elif i == 3:
            att = (
                "Lijst toewijzingen.pdf",
                "application/pdf",
                make_fpdf(
                    "Toewijzingen jeugdbescherming", [r[1:5] for r in rows], [50, 30, 35, 25]
                ),
            )
        else:
            rows = [[r[1], r[3], r[5]] for r in rows]  # names, dates of birth and measures, no BSN
            rows[0] = ["Naam", "Geb. datum", "Maatregel"]
            att = (
                "wachtlijst_crisis.xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                make_xlsx({"Wachtlijst": rows}),
            )
            dets = ["date_of_birth", "case_keywords"]
        body = (
            f"{greet(rn)}\n\nHierbij het overzicht waar je om vroeg, voor de afstemming van de caseload.\n\n"
            + signature(n, f)
        )
        to = [(rn, ra)]
        add(
            "client_list",
            "client_data",
            sender=(n, a),
            to=to,
            raw=build(
                sender=(n, a),
                to=to,
                subject="Overzicht cliënten",
                body=body,
                client=client_mix(),
                attachments=[att],
            ),
            detectors=dets,
            where="attachment",
            note="spreadsheet of clients",
        )


def screenshots_scans() -> None:
    for i in range(4):
        n, a, f = me(rng.choice(["Jeugdbeschermer", "Functioneel beheerder"]))
        c = child()
        lines = [
            f"Cliënt: {c['name']}",
            f"BSN: {c['bsn']}",
            f"Geboortedatum: {c['dob_date']}",
            f"Adres: {c['addr']}",
            f"Dossier: {c['dossier']}    Maatregel: OTS",
            f"Jeugdbeschermer: {n}",
        ]
        if i < 2:
            # A screenshot pasted in the mail to the case tool's vendor ("this screen shows the wrong date")
            rn, ra = ext_person("supplier")
            shot = text_image(lines, (1000, 400), title="Cliëntvolgsysteem - Dossier")
            body = (
                f"{greet(rn)}\n\nIn het scherm hieronder ziet u dat de einddatum van de maatregel niet wordt getoond. "
                f"Graag een oplossing.\n\n" + signature(n, f)
            )
            to = [(rn, ra)]
            add(
                "screenshot",
                "client_data",
                sender=(n, a),
                to=to,
                raw=build(
                    sender=(n, a),
                    to=to,
                    subject="Fout in dossierscherm",
                    body=body,
                    client="outlook",
                    inline_screenshot=shot,
                ),
                detectors=["bsn", "date_of_birth", "case_keywords", "postcode"],
                where="inline screenshot",
                note="screenshot of a client file sent to a vendor",
            )
        else:
            rn, ra = ext_person(rng.choice(["court", "zorg"]))
            letter = [
                "Raad voor de Kinderbescherming",
                "",
                f"Betreft: {c['name']}",
                f"Geboren: {c['dob_date']}",
                f"BSN: {c['bsn']}",
                "",
                "Verzoek tot onderzoek naar een kinderbeschermingsmaatregel.",
                "Zorgen over de veiligheid thuis.",
            ]
            img = text_image(letter, (1240, 700), scan=True, fmt="JPEG")
            att = (
                ("scan_0042.pdf", "application/pdf", scanned_pdf(img))
                if i == 2
                else ("IMG_2207.jpg", "image/jpeg", img)
            )
            body = f"{greet(rn)}\n\nBijgaand de scan van de brief.\n\n" + signature(n, f)
            to = [(rn, ra)]
            add(
                "scan",
                "client_data",
                sender=(n, a),
                to=to,
                raw=build(
                    sender=(n, a),
                    to=to,
                    subject="Scan brief",
                    body=body,
                    client=client_mix(),
                    attachments=[att],
                ),
                detectors=["bsn", "date_of_birth", "case_keywords"],
                where="scanned attachment",
                note="scanned letter about a child",
            )


def referrals() -> None:
    """Referrals and reports to schools, GPs and care providers: names, dates of birth, no BSN."""
    for _i in range(8):
        n, a, f = me(
            rng.choice(["Medewerker Veilig Thuis", "Gezinsvoogd"]), rng.choice([OWN, OWN_VT])
        )
        rn, ra = ext_person(rng.choice(["zorg", "school"]))
        c = child()
        body = rng.choice(
            [
                f"{greet(rn)}\n\nGraag melden wij {c['name']} (geboortedatum {c['dob']}) aan voor traumabehandeling. Er is sprake van "
                f"huiselijk geweld tussen de ouders; de jeugdige heeft dit meerdere keren gezien. Veilig Thuis heeft het "
                f"onderzoek afgerond en draagt over aan het wijkteam. Moeder, {c['parent']}, is op de hoogte van de verwijzing.",
                f"{greet(rn)}\n\nNaar aanleiding van de melding over {c['name']}, geb. {c['dob']}, leerling in groep {rng.randint(3, 8)}: "
                f"wij starten een onderzoek. Wilt u de signalen die u op school ziet (blauwe plekken, verzuim) met ons delen? "
                f"Wij bellen u morgen om {rng.randint(9, 15)}.00 uur.",
                f"{greet(rn)}\n\nOverdracht jeugdige {c['name']}, geboren op {c['dob']}, wonend op {c['addr']}. De "
                f"ondertoezichtstelling is uitgesproken op {work_date(100):%d-%m-%Y}. Aandachtspunten: ADHD-medicatie, "
                f"contact met vader alleen begeleid.",
            ]
        )
        body += "\n\n" + signature(n, f)
        to = [(rn, ra)]
        add(
            "referral",
            "client_data",
            sender=(n, a),
            to=to,
            raw=build(
                sender=(n, a),
                to=to,
                subject=rng.choice(["Aanmelding", "Melding leerling", "Overdracht"]),
                body=body,
                client=client_mix(),
            ),
            detectors=["date_of_birth", "case_keywords"],
            note="name + date of birth + case words, no BSN",
        )


def allocation_requests() -> None:
    for _i in range(3):
        n, a, f = me("Medewerker Bureau Toewijzing")
        rn, ra = ext_person("gemeente")
        c = child()
        body = (
            f"{greet(rn)}\n\nGraag een spoedtoewijzing voor product 54001 (OTS) per {work_date(5):%d-%m-%Y}:\n"
            f"Jeugdige: {c['name']}\nBSN: {c['bsn']}\nGeboortedatum: {c['dob_date']}\nWoonplaats (postcode): {c['addr'].split(', ')[-1]}\n"
            f"Beschikking kinderrechter d.d. {work_date(5):%d-%m-%Y}, zaaknummer C/16/{digits(6)} / JE RK {digits(2)}-{digits(4)}.\n\n"
            + signature(n, f)
        )
        to = [(rn, ra)]
        add(
            "allocation_request",
            "client_data",
            sender=(n, a),
            to=to,
            raw=build(
                sender=(n, a), to=to, subject="Spoedtoewijzing OTS", body=body, client=client_mix()
            ),
            detectors=["bsn", "date_of_birth", "case_keywords", "postcode"],
            note="allocation request with BSN and date of birth",
        )


def quoted_client_data() -> None:
    """Reply chains whose quoted part carries a client's data."""
    for _i in range(3):
        n, a, f = me("Gezinsvoogd")
        rn, ra = ext_person(rng.choice(["zorg", "school"]))
        c = child()
        when = work_date(10)
        quoted = (
            f"Van: {n} <{a}>\nVerzonden: {DAYS[when.weekday()]} {nl_date(when)} 10:{rng.randint(10, 59)}\nAan: {rn} <{ra}>\n"
            f"Onderwerp: {c['name']}\n\nHierbij de gegevens: {c['name']}, geboortedatum {c['dob']}, BSN {c['bsn']}. "
            f"Het gezin staat onder toezicht; er is een crisisplaatsing geweest in {MONTHS[rng.randint(0, 11)]}."
        )
        body = f"{greet(rn)}\n\nIk had je nog geen antwoord gehad; heb je mijn mail hieronder gezien?\n\n{signature(n, f)}\n\n{quoted}"
        to = [(rn, ra)]
        add(
            "quoted_client",
            "client_data",
            sender=(n, a),
            to=to,
            raw=build(
                sender=(n, a), to=to, subject=f"RE: {c['name']}", body=body, client="outlook"
            ),
            detectors=["bsn", "date_of_birth", "case_keywords"],
            note="client data in the quoted part of a reply",
        )


def home_forward() -> None:
    for _i in range(2):
        n, a, _f = me("Jeugdbeschermer")
        priv = f"{n.split()[0].lower()}.{digits(2)}@gmail.com"
        rows = [["Naam", "BSN", "Geboortedatum", "Volgende bezoek"]]
        for _ in range(8):
            c = child()
            rows.append([c["name"], c["bsn"], c["dob_date"], work_date(20).strftime("%d-%m-%Y")])
        body = f"voor thuis, caseload bijwerken dit weekend\n\n{n}"
        to = [(n, priv)]
        add(
            "home_forward",
            "client_data",
            sender=(n, a),
            to=to,
            raw=build(
                sender=(n, a),
                to=to,
                subject="FW: caseload",
                body=body,
                client="outlook",
                attachments=[
                    (
                        "caseload.xlsx",
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        make_xlsx({"Blad1": rows}),
                    )
                ],
            ),
            detectors=["bsn", "date_of_birth"],
            where="attachment",
            note="caseload with BSNs forwarded to a private mailbox (no case word)",
        )


def voicemail() -> None:
    sender = ("Telefooncentrale", f"voicemail@{OWN}")
    rn, ra = ext_person("court")
    msg = MIMEMultipart("mixed", boundary=_boundary())
    msg.attach(
        MIMEText(
            f"U heeft een nieuw voicemailbericht van {phone()} (duur 0:04) op lijn Jeugdbescherming team Oost.",
            "plain",
            "utf-8",
        )
    )
    att = MIMEBase("audio", "mpeg")
    att.set_payload(voicemail_mp3())
    from email import encoders

    encoders.encode_base64(att)
    att.add_header("Content-Disposition", "attachment", filename="voicemail_0304.mp3")
    msg.attach(att)
    msg["From"] = formataddr(sender)
    msg["To"] = ra
    msg["Subject"] = "Nieuw voicemailbericht"
    msg["Date"] = format_datetime(FIXED)
    msg["Message-ID"] = f"<vm{digits(10)}@{OWN}>"
    add(
        "voicemail",
        "client_data",
        sender=sender,
        to=[(rn, ra)],
        raw=msg.as_bytes(policy=email_policy.SMTP),
        local=True,
        detectors=["audio"],
        where="audio attachment",
        note="a team line's voicemail forwarded by the exchange to an outside address",
    )


def english_partner() -> None:
    for _i in range(2):
        n, a, f = me("Gezinsvoogd")
        name, local = person()
        ra = f"{local}@youthcare-belgium.example"
        c = child()
        d = dt.datetime.strptime(c["dob_date"], "%d-%m-%Y")
        body = (
            f"Dear {name.split()[0]},\n\nAs agreed, the details for the cross-border placement: {c['name']}, date of birth "
            f"{d:%d %B %Y}, currently under a supervision order (OTS) by the juvenile court in Utrecht. The child "
            f"protection case file number is {c['dossier']}. Citizen service number (BSN): {c['bsn']}.\n\nKind regards,\n{n}\n{f}"
        )
        to = [(name, ra)]
        add(
            "english_partner",
            "client_data",
            sender=(n, a),
            to=to,
            raw=build(
                sender=(n, a), to=to, subject="Cross-border placement", body=body, client="outlook"
            ),
            detectors=["bsn", "date_of_birth", "case_keywords"],
            note="client data in English",
        )


# ------------------------------------------------------------------------------------------
# Internal mail (both kinds): delivered
# ------------------------------------------------------------------------------------------


def internal() -> None:
    for _i in range(5):
        n, a, f = me("Jeugdbeschermer")
        rn, ra, _ = me()
        c = child()
        body = (
            f"{greet(rn)}\n\nKun jij mijn huisbezoek bij {c['name']} (BSN {c['bsn']}, geboortedatum {c['dob']}) overnemen? "
            f"Het dossier staat in het systeem; er is een zorgmelding van school.\n\n"
            + signature(n, f, footer=False)
        )
        to = [(rn, ra)]
        add(
            "internal_client",
            "client_data",
            sender=(n, a),
            to=to,
            raw=build(
                sender=(n, a), to=to, subject="Huisbezoek overnemen", body=body, client=client_mix()
            ),
            detectors=["bsn", "date_of_birth", "case_keywords"],
            note="client data between colleagues",
        )
    for _i in range(5):
        n, a, f = me()
        rn, ra, _ = me(domain=rng.choice([OWN, OWN_VT]))
        body = (
            f"{greet(rn)}\n\nDe teamdag is verplaatst naar {nl_date(work_date(30), True)}, lokaal {rng.randint(1, 5)}.{rng.randint(10, 40)}. "
            f"Lunch wordt verzorgd; graag voor vrijdag doorgeven of je komt.\n\n"
            + signature(n, f, footer=False)
        )
        to = [(rn, ra)]
        add(
            "internal_ordinary",
            "ordinary",
            sender=(n, a),
            to=to,
            raw=build(
                sender=(n, a), to=to, subject="Teamdag verplaatst", body=body, client=client_mix()
            ),
        )


def blank_forms() -> None:
    """Empty intake and report forms sent to partners: the labels without any values."""
    for i in range(2):
        n, a, f = me("Medewerker Veilig Thuis", OWN_VT)
        rn, ra = ext_person("school")
        labels = [
            "Naam kind:",
            "Geboortedatum: __-__-____",
            "BSN: .........",
            "Adres:",
            "Postcode en woonplaats:",
            "Naam ouder/verzorger:",
            "Gezag: ja / nee",
            "Aard van de zorgen (huiselijk geweld, kindermishandeling):",
            "Is de ouder geïnformeerd over de melding? ja / nee",
            "Naam melder en functie:",
            "Datum:",
        ]
        att = (
            (
                "Meldformulier Veilig Thuis (leeg).docx",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                make_docx("Meldformulier Veilig Thuis", labels),
            )
            if i == 0
            else (
                "aanmeldformulier_leeg.pdf",
                "application/pdf",
                make_pdf("Aanmeldformulier jeugdbescherming", labels),
            )
        )
        body = (
            f"{greet(rn)}\n\nZoals beloofd het lege formulier. Vul het in en stuur het via het beveiligde "
            f"uploadportaal, niet per mail. Bij twijfel eerst bellen voor advies: 0800-2000.\n\n"
            + signature(n, f).replace(OWN, OWN_VT)
        )
        to = [(rn, ra)]
        add(
            "blank_form",
            "ordinary",
            sender=(n, a),
            to=to,
            raw=build(
                sender=(n, a),
                to=to,
                subject="Leeg meldformulier",
                body=body,
                client=client_mix(),
                attachments=[att],
            ),
            where="attachment",
            note="an empty form: the labels BSN and date of birth with no values",
        )


def processing_agreements() -> None:
    """Data processing agreements with suppliers: they list the kinds of personal data."""
    for _i in range(2):
        n, a, f = me(rng.choice(["Privacy officer", "Contractmanager"]))
        rn, ra = ext_person("supplier")
        body = (
            f"{greet(rn)}\n\nIn de bijlage de verwerkersovereenkomst (versie {rng.randint(2, 4)}.{rng.randint(0, 9)}) voor "
            f"het hosten van ons dossiersysteem. In bijlage 1 staan de categorieën persoonsgegevens: NAW-gegevens, "
            f"BSN, geboortedatum, gezinssamenstelling, gegevens over gezondheid en justitiële gegevens van cliënten "
            f"(jeugdigen en ouders). Bewaartermijn: 20 jaar na het einde van de jeugdbeschermingsmaatregel. "
            f"Graag getekend retour voor {nl_date(work_date(30))}; contractnummer {digits(8)}.\n\n"
            + signature(n, f)
        )
        paras = [
            "## Artikel 1 Definities",
            "Verwerker verwerkt persoonsgegevens uitsluitend in opdracht van Verwerkingsverantwoordelijke.",
            "## Bijlage 1: Categorieën",
            "Betrokkenen: cliënten (jeugdigen, ouders), medewerkers.",
            "Gegevens: naam, adres, BSN, geboortedatum, dossiergegevens, medische en justitiële gegevens.",
            "## Bijlage 2: Beveiliging",
            "Versleuteling in rust (AES-256), NEN 7510 en ISO 27001 gecertificeerd.",
        ]
        to = [(rn, ra)]
        add(
            "processing_agreement",
            "ordinary",
            sender=(n, a),
            to=to,
            raw=build(
                sender=(n, a),
                to=to,
                subject="Verwerkersovereenkomst dossiersysteem",
                body=body,
                client=client_mix(),
                attachments=[
                    (
                        "Verwerkersovereenkomst.docx",
                        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                        make_docx("Verwerkersovereenkomst", paras),
                    )
                ],
            ),
            where="body+attachment",
            note="lists BSN and date of birth as kinds of data; carries none",
        )


def court_scheduling() -> None:
    """Hearing logistics with the court: case numbers and times, no names."""
    for _i in range(3):
        n, a, f = me(rng.choice(["Jeugdbeschermer", "Secretariaat jeugdbescherming"]))
        rn, ra = ext_person("court")
        d = work_date(20)
        zaak = f"C/16/{digits(6)} / JE RK {d.year % 100}-{digits(4)}"
        body = rng.choice(
            [
                f"{greet(rn)}\n\nWij bevestigen onze aanwezigheid bij de zitting in zaak {zaak} op {nl_date(d, True)} om "
                f"{rng.randint(9, 15)}:{rng.choice(['00', '30'])} uur. Namens de GI komt de jeugdbeschermer; de gedragswetenschapper "
                f"sluit via Teams aan. Het verweerschrift is op {nl_date(d - dt.timedelta(days=7))} via het digitale portaal ingediend.",
                f"{greet(rn)}\n\nIn zaak {zaak} verzoeken wij om uitstel van de zitting van {nl_date(d)}: de rapportage van "
                f"de Raad voor de Kinderbescherming is nog niet gereed. Wij stellen een nieuwe datum na {nl_date(d + dt.timedelta(days=21))} voor.",
                f"{greet(rn)}\n\nVoor de zittingen van week {d.isocalendar()[1]} (kinderrechter, zaal {rng.randint(1, 9)}) hebben wij "
                f"{rng.randint(3, 9)} zaken. Kunnen de zaken met zaaknummers eindigend op {digits(4)} en {digits(4)} na elkaar "
                f"gepland worden? Dan hoeft onze jeugdbeschermer maar één keer te reizen.",
            ]
        )
        body += "\n\n" + signature(n, f)
        to = [(rn, ra)]
        add(
            "court_scheduling",
            "ordinary",
            sender=(n, a),
            to=to,
            raw=build(
                sender=(n, a), to=to, subject=f"Zitting {zaak}", body=body, client=client_mix()
            ),
            note="hearing logistics: case numbers, dates and times, no name",
        )


def research_selection() -> None:
    """Research requests: selection criteria with birth-year ranges, aggregated results."""
    for _i in range(2):
        n, a, f = me("Beleidsadviseur kwaliteit")
        rn, ra = ext_person("edu")
        y = rng.randint(2008, 2012)
        body = (
            f"{greet(rn)}\n\nVoor het onderzoek naar doorlooptijden selecteren wij alle jeugdigen geboren tussen "
            f"01-01-{y} en 31-12-{y + 3} met een ondertoezichtstelling die startte na 1 januari 2023. Dat zijn er "
            f"{rng.randint(150, 600)}. Wij leveren alleen geaggregeerde cijfers per geboortejaar en per gemeente "
            f"(cellen kleiner dan 10 onderdrukt). Toetsingscommissie: METC-{2026}-{digits(3)}.\n\n"
            f"Geboortejaar\tAantal\tMediaan doorlooptijd (dagen)\n"
            + "\n".join(
                f"{y + k}\t{rng.randint(20, 180)}\t{rng.randint(30, 140)}" for k in range(4)
            )
            + "\n\n"
            + signature(n, f)
        )
        to = [(rn, ra)]
        add(
            "research_selection",
            "ordinary",
            sender=(n, a),
            to=to,
            raw=build(
                sender=(n, a),
                to=to,
                subject="Selectiecriteria onderzoek doorlooptijden",
                body=body,
                client=client_mix(),
            ),
            note="selection criteria with birth-date ranges and aggregated counts",
        )


def training_cases() -> None:
    """Training material with an invented case (a made-up child) for an external trainer."""
    for _i in range(2):
        n, a, f = me("Trainer/opleidingsadviseur")
        rn, ra = ext_person("edu")
        body = (
            f"{greet(rn)}\n\nVoor de training 'Risicotaxatie' op {nl_date(work_date(30), True)} heb ik de oefencasus "
            f"aangepast. Het is een verzonnen gezin, alle gegevens zijn fictief:\n\n"
            f"Casus 'Familie De Boer' (fictief). Tim (9) en Lotte (6) wonen bij moeder. Vader is uit beeld na een "
            f"melding van huiselijk geweld bij Veilig Thuis. School maakt zich zorgen over Tim: hij komt vaak te "
            f"laat en heeft blauwe plekken. Opdracht: vul het LIRIK-instrument in en bespreek in tweetallen of een "
            f"ondertoezichtstelling nodig is.\n\n" + signature(n, f)
        )
        to = [(rn, ra)]
        add(
            "training_case",
            "ordinary",
            sender=(n, a),
            to=to,
            raw=build(
                sender=(n, a),
                to=to,
                subject="Oefencasus training risicotaxatie",
                body=body,
                client=client_mix(),
            ),
            note="an invented training case: first names, ages and care words, all fictional",
        )


def staff_personal() -> None:
    """Staff matters with a staff member's own dates: a pension list and a birth announcement."""
    n, a, f = me("Salarisadministrateur")
    rn, ra = ext_person("hr")
    rows = [["Personeelsnummer", "Naam", "Geboortedatum", "Datum in dienst", "Parttimefactor"]]
    for _ in range(6):
        rows.append(
            [
                digits(6),
                fake.name(),
                dob(1962, 2000).strftime("%d-%m-%Y"),
                work_date(2000).strftime("%d-%m-%Y"),
                f"0,{rng.randint(5, 9)}",
            ]
        )
    body = (
        f"{greet(rn)}\n\nIn de bijlage de nieuwe deelnemers per 1 december voor de pensioenregeling "
        f"(aansluitnummer {digits(7)}).\n\n" + signature(n, f)
    )
    to = [(rn, ra)]
    add(
        "staff_personal",
        "ordinary",
        sender=(n, a),
        to=to,
        raw=build(
            sender=(n, a),
            to=to,
            subject="Nieuwe deelnemers pensioen",
            body=body,
            client=client_mix(),
            attachments=[
                (
                    "nieuwe_deelnemers_december.xlsx",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    make_xlsx({"Deelnemers": rows}),
                )
            ],
        ),
        where="attachment",
        note="employees' dates of birth to the pension fund: staff data, not client data (judgement)",
    )
    n, a, f = me("Teamleider Jeugdbescherming Oost")
    rn, ra = ext_person("zorg")
    baby = fake.first_name()
    born = work_date(10)
    body = (
        f"{greet(rn)}\n\nLeuk nieuws om te delen, omdat jullie haar zo goed kennen van het ketenoverleg: onze collega "
        f"{fake.first_name()} is moeder geworden van {baby}, geboren op {born:%d-%m-%Y}, {rng.randint(2800, 4100)} gram. "
        f"Moeder en kind maken het goed. Haar verlof loopt tot {nl_date(born + dt.timedelta(days=112))}; tot die tijd "
        f"neemt {fake.name()} het ketenoverleg over.\n\n" + signature(n, f)
    )
    to = [(rn, ra)]
    add(
        "staff_personal",
        "ordinary",
        sender=(n, a),
        to=to,
        raw=build(sender=(n, a), to=to, subject="Geboren!", body=body, client=client_mix()),
        note="a colleague's baby: a name and a birth date, not a client (judgement)",
    )


# ------------------------------------------------------------------------------------------
# Second blind batch (still written before reading the detectors): more of the day's mail
# ------------------------------------------------------------------------------------------


def phones_and_passes() -> None:
    """Mobile phones (IMEI, SIM, PUK) and access passes: long numbers that are no BSN."""
    n, a, f = me("Medewerker ICT")
    rn, ra = ext_person("supplier")
    rows = [["Medewerker", "06-nummer", "IMEI", "SIM (ICCID)", "PUK"]]
    for _ in range(8):
        rows.append([fake.name(), mobile(), digits(15), "8931" + digits(15), digits(8)])
    body = (
        f"{greet(rn)}\n\nDe {len(rows) - 1} nieuwe toestellen voor de crisisdienst zijn uitgeleverd. Kunnen jullie de "
        f"SIM-kaarten in de tabel hieronder activeren op ons zakelijke abonnement (klantnummer {digits(8)}, "
        f"contract {digits(9)})?\n\n"
        + "\n".join(" | ".join(r) for r in rows)
        + "\n\n"
        + signature(n, f)
    )
    to = [(rn, ra)]
    add(
        "phones_passes",
        "ordinary",
        sender=(n, a),
        to=to,
        raw=build(
            sender=(n, a),
            to=to,
            subject="Activeren SIM-kaarten crisisdienst",
            body=body,
            client=client_mix(),
        ),
        note="IMEI, ICCID and PUK codes in a table",
    )
    n, a, f = me("Medewerker Facilitair")
    rn, ra = ext_person("supplier")
    rows = [["Pasnummer", "Naam", "Locatie", "Geldig tot"]] + [
        [
            digits(9),
            fake.name(),
            rng.choice(["Utrecht", "Zeist", "Amersfoort"]),
            work_date(700).strftime("%d-%m-%Y"),
        ]
        for _ in range(10)
    ]
    body = (
        f"{greet(rn)}\n\nGraag de toegangspassen in de bijlage blokkeren (uit dienst of verloren). Het gaat om "
        f"locatie Vliegend Hertlaan; meldingnummer beveiliging {digits(6)}.\n\n" + signature(n, f)
    )
    to = [(rn, ra)]
    add(
        "phones_passes",
        "ordinary",
        sender=(n, a),
        to=to,
        raw=build(
            sender=(n, a),
            to=to,
            subject="Blokkeren toegangspassen",
            body=body,
            client=client_mix(),
            attachments=[
                (
                    "passen_blokkeren.xlsx",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    make_xlsx({"Passen": rows}),
                )
            ],
        ),
        where="attachment",
        note="access-pass numbers of staff",
    )


def fleet_and_insurance() -> None:
    for _i in range(3):
        n, a, f = me(rng.choice(["Medewerker Facilitair", "Officemanager"]))
        rn, ra = ext_person("supplier")
        plate = f"{rng.choice(['G', 'H', 'K'])}-{digits(3)}-{''.join(rng.choices('BDFGHJKLNPRSTXZ', k=2))}"
        d = work_date(20)
        body = rng.choice(
            [
                f"{greet(rn)}\n\nBij een huisbezoek in {fake.city()} is op {nl_date(d)} schade ontstaan aan leaseauto {plate} "
                f"(leasecontract {digits(7)}, km-stand {rng.randint(10000, 90000)}). Het schadeformulier is ingevuld door de "
                f"bestuurder; polisnummer {digits(10)}. De tegenpartij was een geparkeerde auto.",
                f"{greet(rn)}\n\nOnze polis {digits(9)} (ongevallen inzittenden, {rng.randint(20, 60)} voertuigen) loopt af op "
                f"{nl_date(d + dt.timedelta(days=40))}. Graag een verlengingsvoorstel; het schadeverloop over {d.year - 1} was "
                f"{rng.randint(1, 9)} claims, totaal {money(2000, 30000)}.",
            ]
        )
        body += "\n\n" + signature(n, f)
        to = [(rn, ra)]
        add(
            "fleet_insurance",
            "ordinary",
            sender=(n, a),
            to=to,
            raw=build(
                sender=(n, a),
                to=to,
                subject=rng.choice(["Schademelding leaseauto", "Verlenging polis"]),
                body=body,
                client=client_mix(),
            ),
            note="licence plate, contract, policy and claim numbers",
        )


def subsidies() -> None:
    for _i in range(2):
        n, a, f = me("Beleidsadviseur kwaliteit")
        rn, ra = ext_person("edu")
        body = (
            f"{greet(rn)}\n\nHierbij de tussenrapportage van project {digits(8)} ('Snel passende hulp na een "
            f"crisisplaatsing'). Looptijd {nl_date(dt.date(2025, 3, 1))} tot {nl_date(dt.date(2027, 2, 28))}, budget "
            f"{money(150000, 600000)}, besteed {rng.randint(30, 70)}%. In de pilot zijn {rng.randint(40, 120)} jeugdigen "
            f"gevolgd; de gemiddelde duur van een crisisplaatsing daalde van {rng.randint(30, 50)} naar "
            f"{rng.randint(15, 29)} dagen.\n\n" + signature(n, f)
        )
        to = [(rn, ra)]
        add(
            "subsidy",
            "ordinary",
            sender=(n, a),
            to=to,
            raw=build(
                sender=(n, a),
                to=to,
                subject="Tussenrapportage subsidieproject",
                body=body,
                client=client_mix(),
            ),
            note="project numbers, budgets, aggregated outcomes",
        )


def interpreter_booking() -> None:
    for _i in range(2):
        n, a, f = me("Gezinsvoogd")
        rn, ra = ext_person("supplier")
        d = work_date(14)
        body = (
            f"{greet(rn)}\n\nGraag boek ik een tolk {rng.choice(['Arabisch', 'Tigrinya', 'Pools', 'Turks'])} voor een gesprek "
            f"met een gezin op {nl_date(d, True)} van 10.00 tot 11.30 uur, op ons kantoor Vliegend Hertlaan 35, 3526 KT "
            f"Utrecht (spreekkamer 2). Het gaat om een gesprek over de voortgang van een ondertoezichtstelling. "
            f"Opdrachtnummer {digits(8)}, kostenplaats {digits(4)}, raamcontract {digits(6)}.\n\n"
            + signature(n, f)
        )
        to = [(rn, ra)]
        add(
            "interpreter",
            "ordinary",
            sender=(n, a),
            to=to,
            raw=build(sender=(n, a), to=to, subject="Tolkaanvraag", body=body, client=client_mix()),
            note="booking for a family meeting at our office, no family named",
        )


def jurisprudence() -> None:
    n, a, f = me("Jurist")
    rn, ra = ext_person("edu")
    body = (
        f"{greet(rn)}\n\nInteressante uitspraak voor de kennisbank: ECLI:NL:RBMNE:2026:{rng.randint(1000, 9999)} "
        f"(kinderrechter, {nl_date(work_date(60))}). De minderjarige (geboren in {rng.randint(2010, 2016)}) werd "
        f"uit huis geplaatst; de rechter oordeelde dat de GI het netwerk onvoldoende had betrokken. Zie r.o. 4.3 "
        f"tot en met 4.7. Ook relevant: ECLI:NL:GHARL:2025:{rng.randint(1000, 9999)} over de verlenging van een "
        f"machtiging uithuisplaatsing.\n\n" + signature(n, f)
    )
    to = [(rn, ra)]
    add(
        "jurisprudence",
        "ordinary",
        sender=(n, a),
        to=to,
        raw=build(
            sender=(n, a),
            to=to,
            subject="Uitspraak voor de kennisbank",
            body=body,
            client=client_mix(),
        ),
        note="public anonymised case law with ECLI numbers and a birth year",
    )


def cbs_delivery() -> None:
    sender = ("Datalevering", f"noreply@{OWN}")
    rn, ra = ext_person("edu")
    body = (
        f"Levering Jeugdbeschermingsstatistiek {2026} halfjaar 1\n\nBestand: JB_{digits(8)}_H1.csv.gpg (versleuteld)\n"
        f"Aantal records: {rng.randint(1000, 9000)}\nSHA-256: {''.join(rng.choices('0123456789abcdef', k=64))}\n"
        f"Aanleverdatum: {FIXED:%d-%m-%Y}\nLeveranciersnummer: {digits(6)}\n\nDit bericht is automatisch verzonden."
    )
    msg = MIMEText(body, "plain", "utf-8")
    msg["From"] = formataddr(sender)
    msg["To"] = ra
    msg["Subject"] = "Levering jeugdbeschermingsstatistiek H1"
    msg["Date"] = format_datetime(FIXED)
    msg["Message-ID"] = f"<{digits(14)}@app02.{OWN}>"
    msg["Auto-Submitted"] = "auto-generated"
    add(
        "system_report",
        "ordinary",
        sender=sender,
        to=[(rn, ra)],
        raw=msg.as_bytes(policy=email_policy.SMTP),
        local=True,
        note="delivery receipt: record counts and a checksum",
    )


def webinar_confirmations() -> None:
    for _i in range(2):
        sender = ("Academie Samen Veilig", f"academie@{OWN}")
        rn, ra = ext_person(rng.choice(["zorg", "school", "gemeente"]))
        d = work_date(30)
        body = (
            f"Beste {rn.split()[0]},\n\nBedankt voor je aanmelding voor het webinar 'Kindermishandeling herkennen in "
            f"de klas' op {nl_date(d, True)} van 15.30 tot 17.00 uur.\nRegistratienummer: {digits(9)}\n"
            f"Deelnemerscode: {digits(6)}\nDe link ontvang je een dag van tevoren. Na afloop krijg je een "
            f"certificaat (2 SKJ-punten, accreditatienummer {digits(6)}).\n\nAcademie {ORG}"
        )
        to = [(rn, ra)]
        add(
            "webinar",
            "ordinary",
            sender=sender,
            to=to,
            raw=build(
                sender=sender,
                to=to,
                subject="Bevestiging aanmelding webinar",
                body=body,
                client="plain",
            ),
            local=True,
            note="registration confirmation with registration and participant numbers",
        )


def more_client_data() -> None:
    """Client data in the shapes not covered above."""
    # An access request answered to the parent's own mail address: the whole file, in plain text.
    n, a, f = me("Privacy officer")
    c = child()
    parent_addr = f"{c['parent'].split()[0].lower()}{digits(2)}@hotmail.com"
    body = (
        f"Geachte heer/mevrouw,\n\nNaar aanleiding van uw inzageverzoek (AVG art. 15) ontvangt u in de bijlage het "
        f"dossier van uw kind {c['name']}.\n\n" + signature(n, f)
    )
    paras = [
        f"Naam: {c['name']}",
        f"Geboortedatum: {c['dob']}",
        f"BSN: {c['bsn']}",
        f"Adres: {c['addr']}",
        "## Journaal",
        "Melding Veilig Thuis ontvangen; onderzoek gestart; ondertoezichtstelling uitgesproken.",
    ]
    to = [(c["parent"], parent_addr)]
    add(
        "access_request",
        "client_data",
        sender=(n, a),
        to=to,
        raw=build(
            sender=(n, a),
            to=to,
            subject="Uw inzageverzoek",
            body=body,
            client="outlook",
            attachments=[
                (
                    "Dossier inzage.pdf",
                    "application/pdf",
                    make_pdf("Dossier (inzage)", [p.lstrip("# ") for p in paras]),
                )
            ],
        ),
        detectors=["bsn", "case_keywords", "date_of_birth", "postcode"],
        where="attachment",
        note="the file sent to a parent's private mailbox in plain text",
    )
    # Names with the date in brackets and no label, as care workers write in a hurry.
    for _i in range(2):
        n, a, f = me("Gezinsvoogd")
        rn, ra = ext_person("zorg")
        kids = [child() for _ in range(rng.randint(2, 3))]
        listing = "\n".join(f"- {k['name']} ({k['dob_date']})" for k in kids)
        body = (
            f"{greet(rn)}\n\nHet gezin waar we het over hadden (uithuisplaatsing per vandaag, crisisplaatsing bij "
            f"de grootouders):\n{listing}\nMoeder: {kids[0]['parent']}, {kids[0]['addr']}.\n\n"
            + signature(n, f)
        )
        to = [(rn, ra)]
        add(
            "client_unlabelled",
            "client_data",
            sender=(n, a),
            to=to,
            raw=build(
                sender=(n, a),
                to=to,
                subject="Gezin uithuisplaatsing",
                body=body,
                client=client_mix(),
            ),
            detectors=["case_keywords", "date_of_birth", "postcode"],
            note="children's names with dates of birth in brackets, no label",
        )
    # A child named with an address and a measure, without BSN or date of birth.
    for _i in range(2):
        n, a, f = me("Jeugdbeschermer")
        rn, ra = ext_person(rng.choice(["school", "supplier"]))
        c = child()
        body = rng.choice(
            [
                f"{greet(rn)}\n\n{c['name']} wordt morgen uit huis geplaatst in het kader van de ondertoezichtstelling. Hij/zij "
                f"wordt om 08.00 uur opgehaald op {c['addr']}. Wilt u de mentor inlichten? Vader mag het kind niet van school "
                f"ophalen (contactverbod).",
                f"{greet(rn)}\n\nGraag een taxi (jeugdvervoer) voor {c['name']} van het adres {c['addr']} naar het pleeggezin in "
                f"{fake.city()}, {nl_date(work_date(5), True)} 16.00 uur. Begeleiding door de gezinsvoogd. Machtiging "
                f"uithuisplaatsing is afgegeven.",
            ]
        )
        body += "\n\n" + signature(n, f)
        to = [(rn, ra)]
        add(
            "client_no_number",
            "client_data",
            sender=(n, a),
            to=to,
            raw=build(
                sender=(n, a),
                to=to,
                subject=rng.choice(["Uithuisplaatsing morgen", "Taxi jeugdvervoer"]),
                body=body,
                client=client_mix(),
            ),
            detectors=["case_keywords", "postcode"],
            note="a named child, home address and measure; no BSN, no date of birth",
        )
    # Client data to an external partner with a colleague in Cc (mixed recipients).
    n, a, f = me("Medewerker Veilig Thuis", OWN_VT)
    rn, ra = ext_person("zorg")
    cn, ca, _ = me()
    c = child()
    body = (
        f"{greet(rn)}\n\nOverdracht na onderzoek Veilig Thuis: {c['name']}, geboortedatum {c['dob']}, BSN {c['bsn']}. "
        f"Er is sprake van kindermishandeling; de veiligheidsafspraken staan in het veiligheidsplan.\n\n"
        + signature(n, f).replace(OWN, OWN_VT)
    )
    to = [(rn, ra)]
    cc = [(cn, ca)]
    add(
        "client_mixed",
        "client_data",
        sender=(n, a),
        to=to + cc,
        raw=build(
            sender=(n, a), to=to, cc=cc, subject="Overdracht", body=body, client=client_mix()
        ),
        detectors=["bsn", "case_keywords", "date_of_birth"],
        note="client data to a partner with a colleague in Cc",
    )


def main() -> None:
    global ORG_IBAN
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    out.mkdir(parents=True, exist_ok=True)
    ORG_IBAN = Faker("nl_NL")
    ORG_IBAN.seed_instance(7)
    ORG_IBAN = ORG_IBAN.iban()
    steps: list[Callable[[], None]] = [
        crisis_logistics, rosters, invoices, municipality_contracts, certificates, conference, vacancies,
        hr_notices, it_tickets, reply_chains, minutes, annual_report, newsletters, auto_replies, travel,
        parking, facility, bank_details, intervision, questionnaire, invites, meldcode_info,
        foster_recruitment, complaints, misc_ordinary, system_mail, blank_forms,
        processing_agreements, court_scheduling, research_selection, training_cases, staff_personal,
        dossier_extracts, reports, client_lists, screenshots_scans, referrals, allocation_requests,
        quoted_client_data, home_forward, voicemail, english_partner, internal,
        phones_and_passes, fleet_and_insurance, subsidies, interpreter_booking, jurisprudence,
        cbs_delivery, webinar_confirmations, more_client_data,
    ]  # fmt: skip
    for step in steps:
        step()
    for name, raw in OUT:
        (out / name).write_bytes(raw)
    header = (
        "# The blind corpus: written by make_blind.py (do not edit by hand). Labels are a careful\n"
        "# security officer's reading of each mail, not Postwarden's output.\n"
    )
    doc = yaml.safe_dump({"messages": MANIFEST}, allow_unicode=True, sort_keys=False, width=100)
    (out / "manifest.yaml").write_text(header + doc, "utf-8")


if __name__ == "__main__":
    main()
