"""Write tests/corpus/blind2: a fifth corpus of realistic outgoing mail (issue 13, round 2).

Written blind: without reading Postwarden's detectors or the other corpora, from what a Dutch
youth-care organisation (Samen Veilig Midden-Nederland) really sends. Most of it is ordinary
mail that is full of numbers, dates, names and care words without being client data: tenders,
audits, facilities, invites, staff events, obituaries, research tables, privacy and training
material, release notes, bank and expense mail, vacancies, empty forms, English project mail,
reply chains with other organisations' signatures and system notifications. About a quarter is
client data going out (dossier extracts, letters, spreadsheets, a scan, a screenshot), so
recall is measured too. Labels are a careful security officer's reading, not Postwarden's.

Seeded and deterministic: the same bytes on every run (fixed dates, Message-IDs, MIME
boundaries, zip timestamps and document metadata). Refuses nothing; writes into the folder
given as the first argument (default: its own folder).

    python tests/corpus/blind2/make_blind2.py [OUTDIR]
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import random
import re
import sys
import unicodedata
import zipfile
from dataclasses import dataclass, field
from email import charset as email_charset
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.base import MIMEBase
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr
from pathlib import Path

import yaml
from faker import Faker

SEED = 20261208
OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
ORG = "Samen Veilig Midden-Nederland"
OWN = "samen-veilig.nl"
OWN2 = "veiligthuisutrecht.nl"
FIXED = dt.datetime(2026, 11, 16, 9, 30)
TZ = dt.timezone(dt.timedelta(hours=1))
MONTHS = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
]

LEDGER_NAMES = [
    "Salarissen", "Sociale lasten", "Huur", "Opbrengst Jeugdwet", "Opbrengst Wmo", "Reiskosten",
]  # fmt: skip
SLOGANS = ["Geboren om te beschermen?", "Ben jij een geboren verbinder?", "Geboren doorzetter?"]

rng = random.Random(SEED)
fake = Faker("nl_NL")
fake.seed_instance(SEED + 1)

PARTNERS = [
    "gemeente-amersfoort.example",
    "utrecht.example",
    "regio-foodvalley.example",
    "rvdk.example",
    "accountants-vdberg.example",
    "pfzw-service.example",
    "facilitair-groep.example",
    "eneco-zakelijk.example",
    "kinderarts-umc.example",
    "huisartsen-dehoek.example",
    "stichting-lindegaard.example",
    "jeugdhulp-eemland.example",
    "politie-midden.example",
    "leerplicht-regio.example",
    "hogeschool-utrecht.example",
    "kindernet.example",
    "partner-ghent.example",
    "youthcare-leuven.example",
    "softwarehuis-caseware.example",
    "bank-zakelijk.example",
    "salaris-online.example",
    "werkenin-zorg.example",
    "restaurant-dekas.example",
    "bedrijvenloop.example",
    "inspectie-ij.example",
    "nji-kennis.example",
    "uitvaart-dalen.example",
    "leasepartner.example",
    "skj-register.example",
    "onderwijs-eemland.example",
]


# --------------------------------------------------------------------------- helpers


def ascii_slug(text: str) -> str:
    norm = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]", "", norm.lower())


def person() -> tuple[str, str]:
    """A Faker name and its address-book local part."""
    first, last = fake.first_name(), fake.last_name()
    return f"{first} {last}", f"{ascii_slug(first)[:1]}.{ascii_slug(last.split()[-1])}"


def staff() -> tuple[str, str]:
    name, local = person()
    return name, f"{local}@{OWN}"


def external(domain: str | None = None) -> tuple[str, str]:
    name, local = person()
    return name, f"{local}@{domain or rng.choice(PARTNERS)}"


def elfproef(digits: str) -> bool:
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True))
    return (total - int(digits[8])) % 11 == 0


def bsn(prefix: str = "") -> str:
    while True:
        n = prefix + "".join(str(rng.randint(0, 9)) for _ in range(9 - len(prefix)))
        if n[0] != "0" and elfproef(n):
            return n


def fmt_bsn(n: str) -> str:
    style = rng.randint(0, 3)
    if style == 0:
        return n
    if style == 1:
        return f"{n[:4]}.{n[4:6]}.{n[6:]}"
    if style == 2:
        return f"{n[:3]} {n[3:6]} {n[6:]}"
    return f"{n[:3]}.{n[3:6]}.{n[6:]}"


def rdate(y0: int, y1: int) -> dt.date:
    start = dt.date(y0, 1, 1).toordinal()
    return dt.date.fromordinal(rng.randint(start, dt.date(y1, 12, 31).toordinal()))


def fmt_date(d: dt.date, style: int | None = None) -> str:
    style = rng.randint(0, 4) if style is None else style
    if style == 0:
        return d.strftime("%d-%m-%Y")
    if style == 1:
        return f"{d.day} {MONTHS[d.month - 1]} {d.year}"
    if style == 2:
        return d.isoformat()
    if style == 3:
        return d.strftime("%d/%m/%Y")
    return f"{d.day}-{d.month}-{d.year}"


def digits(n: int) -> str:
    return str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(n - 1))


def money() -> str:
    v = rng.randint(1_000, 2_500_000) / 100 * rng.choice([1, 1, 10])
    s = f"{v:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    return f"€ {s}"


def postcode() -> str:
    return (
        f"{rng.randint(3400, 3999)} {rng.choice('ABCDEGHJKLMNPRSTVWXZ')}{rng.choice('ABEHKLNPRST')}"
    )


def signature(name: str, role: str) -> str:
    mobile = f"06 {digits(4)} {digits(4)}"
    return (
        f"Met vriendelijke groet,\n\n{name}\n{role}\n{ORG}\n"
        f"T 030 {digits(3)} {digits(4)} | M {mobile}\nwww.{OWN}\n"
    )


def normalize_zip(data: bytes) -> bytes:
    """Office files are zips: fixed entry times and document dates, so bytes repeat."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            blob = src.read(info.filename)
            if info.filename.endswith(("core.xml", "meta.xml")):
                text = blob.decode("utf-8")
                text = re.sub(
                    r"(<(dcterms:created|dcterms:modified|meta:creation-date|dc:date)[^>]*>)"
                    r"[^<]*(</\2>)",
                    r"\g<1>2026-11-02T09:00:00Z\g<3>",
                    text,
                )
                blob = text.encode("utf-8")
            zi = zipfile.ZipInfo(info.filename, date_time=(2026, 11, 2, 9, 0, 0))
            zi.compress_type = (
                zipfile.ZIP_STORED if info.filename == "mimetype" else zipfile.ZIP_DEFLATED
            )
            dst.writestr(zi, blob)
    return out.getvalue()


# --------------------------------------------------------------------------- documents


def make_docx(
    title: str, paras: list[str], table: list[list[str]] | None = None, header: str = ""
) -> bytes:
    from docx import Document

    doc = Document()
    doc.core_properties.author = "Samen Veilig"
    doc.core_properties.created = FIXED
    doc.core_properties.modified = FIXED
    doc.core_properties.last_modified_by = "Samen Veilig"
    if header:  # Word's page header: printed on every page, stored in its own part
        doc.sections[0].header.paragraphs[0].text = header
    doc.add_heading(title, level=1)
    for p in paras:
        doc.add_paragraph(p)
    if table:
        t = doc.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, cell in enumerate(row):
                t.cell(r, c).text = cell
    buf = io.BytesIO()
    doc.save(buf)
    return normalize_zip(buf.getvalue())


def make_xlsx(sheets: dict[str, list[list[object]]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.properties.created = FIXED
    wb.properties.modified = FIXED
    wb.properties.creator = "Samen Veilig"
    buf = io.BytesIO()
    wb.save(buf)
    return normalize_zip(buf.getvalue())


def make_xlsx_dates(rows: list[list[object]], date_format: str) -> bytes:
    """A sheet whose dates are real Excel dates (numbers with a date format), as exported."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Export"
    for row in rows:
        ws.append(row)
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, dt.date):
                cell.number_format = date_format
    wb.properties.created = FIXED
    wb.properties.modified = FIXED
    wb.properties.creator = "Samen Veilig"
    buf = io.BytesIO()
    wb.save(buf)
    return normalize_zip(buf.getvalue())


def make_pdf_columns(title: str, pairs: list[tuple[str, str]]) -> bytes:
    """A form-like PDF: labels at the left margin, values in a column far to the right."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    c.setFont("Helvetica-Bold", 14)
    c.drawString(60, 800, title)
    c.setFont("Helvetica", 10)
    y = 760
    for label, value in pairs:
        c.drawString(60, y, label)
        c.drawString(320, y, value)
        y -= 22
    c.save()
    return buf.getvalue()


def make_ods(rows: list[list[str]]) -> bytes:
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
    buf = io.BytesIO()
    doc.write(buf)
    return normalize_zip(buf.getvalue())


def make_zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(
                zipfile.ZipInfo(name, date_time=(2026, 11, 2, 9, 0, 0)),
                data,
                compress_type=zipfile.ZIP_DEFLATED,
            )
    return buf.getvalue()


def make_pdf_reportlab(title: str, lines: list[str]) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    c.setTitle(title)
    y = 800
    c.setFont("Helvetica-Bold", 14)
    c.drawString(60, y, title)
    c.setFont("Helvetica", 10)
    y -= 30
    for line in lines:
        if y < 60:
            c.showPage()
            c.setFont("Helvetica", 10)
            y = 800
        c.drawString(60, y, line)
        y -= 15
    c.save()
    return buf.getvalue()


def make_pdf_fpdf(title: str, lines: list[str]) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_creation_date(dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC))
    pdf.add_font("DejaVu", fname=FONT)
    pdf.add_page()
    pdf.set_font("DejaVu", size=14)
    pdf.cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=10)
    for line in lines:
        pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def text_image(lines: list[str], width: int = 1100, size: int = 26) -> bytes:
    """A screenshot-like PNG: black DejaVu text on white, big enough for OCR."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(FONT, size)
    bold = ImageFont.truetype(FONT_BOLD, size + 4)
    height = 60 + (size + 14) * len(lines)
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, 0, width, 8], fill=(30, 90, 160))
    y = 24
    for i, line in enumerate(lines):
        draw.text((30, y), line, fill="black", font=bold if i == 0 else font)
        y += size + 14
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def scan_pdf(lines: list[str]) -> bytes:
    """A scanned page: the text only as pixels, inside a PDF (reportlab, invariant)."""
    from PIL import Image
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    png = text_image(lines, width=1240, size=28)
    img = Image.open(io.BytesIO(png)).convert("L")
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    w, h = A4
    scale = (w - 60) / img.width
    c.drawImage(
        ImageReader(img), 30, h - 40 - img.height * scale, img.width * scale, img.height * scale
    )
    c.save()
    return buf.getvalue()


_LOGO: bytes | None = None


def logo() -> bytes:
    """The small signature logo every mail client inlines."""
    global _LOGO
    if _LOGO is None:
        from PIL import Image, ImageDraw

        img = Image.new("RGB", (120, 36), (255, 255, 255))
        d = ImageDraw.Draw(img)
        d.ellipse([4, 4, 32, 32], fill=(30, 90, 160))
        d.rectangle([40, 12, 114, 24], fill=(240, 140, 20))
        buf = io.BytesIO()
        img.save(buf, "PNG")
        _LOGO = buf.getvalue()
    return _LOGO


def ics(summary: str, start: dt.datetime, location: str, description: str, uid: str) -> bytes:
    stamp = "20261102T090000Z"
    desc = description.replace("\n", "\\n").replace(",", "\\,")
    lines = [
        "BEGIN:VCALENDAR",
        "PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN",
        "VERSION:2.0",
        "METHOD:REQUEST",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{stamp}",
        f"DTSTART;TZID=W. Europe Standard Time:{start:%Y%m%dT%H%M%S}",
        f"DTEND;TZID=W. Europe Standard Time:{start + dt.timedelta(hours=1):%Y%m%dT%H%M%S}",
        f"SUMMARY:{summary}",
        f"LOCATION:{location}",
        f"DESCRIPTION:{desc}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


# --------------------------------------------------------------------------- messages


@dataclass
class Att:
    name: str
    ctype: str
    data: bytes


@dataclass
class Mail:
    file: str
    category: str
    kind: str
    sender: tuple[str, str]
    to: list[tuple[str, str]]
    subject: str
    text: str
    note: str
    where: str = "body"
    detectors: list[str] = field(default_factory=list)
    atts: list[Att] = field(default_factory=list)
    shape: str = "plain"  # plain | outlook | apple | gmail | thunderbird | htmlonly
    html: str = ""  # the whole HTML body of an htmlonly mail
    local: bool = False


MAILS: list[Mail] = []
_COUNTERS: dict[str, int] = {}


def add(category: str, kind: str, **kw: object) -> Mail:
    n = _COUNTERS.get(category, 0) + 1
    _COUNTERS[category] = n
    if "shape" not in kw:
        kw["shape"] = rng.choice(["plain", "outlook", "outlook", "apple", "gmail", "thunderbird"])
    mail = Mail(file=f"{category}_{n:02d}.eml", category=category, kind=kind, **kw)  # type: ignore[arg-type]
    MAILS.append(mail)
    return mail


def _html(text: str, shape: str) -> str:
    esc = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    paras = "".join(
        f'<p class="MsoNormal">{p.replace(chr(10), "<br>")}</p>'
        if shape == "outlook"
        else f"<div>{p.replace(chr(10), '<br>')}</div><div><br></div>"
        for p in esc.split("\n\n")
    )
    img = '<img src="cid:image001.png@01DB3A2C.5F1E7A10" width="120" height="36" alt="logo">'
    if shape == "outlook":
        return (
            '<html xmlns:o="urn:schemas-microsoft-com:office:office"><head>'
            '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
            "<style>p.MsoNormal{margin:0cm;font-size:11.0pt;font-family:Calibri}</style>"
            f'</head><body lang="NL"><div class="WordSection1">{paras}'
            f'<p class="MsoNormal">{img}</p></div></body></html>'
        )
    if shape == "apple":
        return (
            '<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8">'
            '</head><body style="overflow-wrap: break-word; -webkit-nbsp-mode: space;">'
            f"{paras}<div>{img}</div></body></html>"
        )
    if shape == "gmail":
        return (
            f'<div dir="ltr">{paras}<div class="gmail_signature" data-smartmail='
            f'"gmail_signature">{img}</div></div>'
        )
    return (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8">'
        f'</head><body>{paras}<div class="moz-signature">{img}</div></body></html>'
    )


_QP = email_charset.Charset("utf-8")
_QP.body_encoding = email_charset.QP


def _text_part(text: str, subtype: str, qp: bool) -> MIMEText:
    return MIMEText(text, subtype, _QP if qp else "utf-8")  # type: ignore[arg-type]


MAILERS = {
    "plain": ("X-Mailer", "Postwarden-corpus sendmail"),
    "outlook": ("X-Mailer", "Microsoft Outlook 16.0"),
    "apple": ("X-Mailer", "Apple Mail (2.3776.700.51)"),
    "gmail": ("X-Mailer", "Gmail"),
    "thunderbird": ("User-Agent", "Mozilla Thunderbird 128.4.2esr"),
    "htmlonly": ("X-Mailer", "CaseTool notificaties 4.2"),
}


def build(mail: Mail, index: int) -> bytes:
    tag = hashlib.sha256(f"{SEED}/{mail.file}".encode()).hexdigest()
    bnd = iter(f"=_blind2_{tag[:16]}_{k}" for k in range(5))
    qp = index % 3 == 0
    body: MIMEBase
    if mail.shape == "plain":
        body = _text_part(mail.text, "plain", qp)
    elif mail.shape == "htmlonly":
        body = _text_part(mail.html, "html", qp)
    else:
        alt = MIMEMultipart("alternative", boundary=next(bnd))
        alt.attach(_text_part(mail.text, "plain", qp))
        html = _text_part(_html(mail.text, mail.shape), "html", qp)
        if mail.shape in ("outlook", "apple"):
            rel = MIMEMultipart("related", boundary=next(bnd))
            rel.attach(html)
            img = MIMEImage(logo(), "png")
            img.add_header("Content-ID", "<image001.png@01DB3A2C.5F1E7A10>")
            img.add_header("Content-Disposition", "inline", filename="image001.png")
            rel.attach(img)
            alt.attach(rel)
        else:
            alt.attach(html)
        body = alt
    if mail.atts:
        msg: MIMEBase = MIMEMultipart("mixed", boundary=next(bnd))
        msg.attach(body)
        for att in mail.atts:
            main, sub = att.ctype.split("/")
            part: MIMEBase
            if main == "text":
                part = MIMEText(att.data.decode("utf-8"), sub, "utf-8")
                if sub == "calendar":
                    part.set_param("method", "REQUEST")
            elif main == "image":
                part = MIMEImage(att.data, sub)
            else:
                part = MIMEApplication(att.data, sub)
            part.add_header("Content-Disposition", "attachment", filename=att.name)
            msg.attach(part)
    else:
        msg = body
    when = dt.datetime(2026, 11, 2, 8, 0, tzinfo=TZ) + dt.timedelta(minutes=97 * index)
    msg["From"] = formataddr(mail.sender, "utf-8")
    msg["To"] = ", ".join(formataddr(t, "utf-8") for t in mail.to)
    msg["Subject"] = Header(mail.subject, "utf-8").encode()
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = f"<{tag[:24]}@{mail.sender[1].split('@')[1]}>"
    key, value = MAILERS[mail.shape]
    msg[key] = value
    return msg.as_bytes()


def recipients(mail: Mail) -> str:
    own = [t[1].endswith(("@" + OWN, "@" + OWN2)) for t in mail.to]
    return "internal" if all(own) else "external"


# --------------------------------------------------------------------------- ordinary


def ordinary() -> None:
    # Municipal purchasing and tenders: lot numbers, contract numbers, budget tables.
    for i in range(6):
        me, them = staff(), external(rng.choice(PARTNERS[:3]))
        lot = rng.randint(1, 9)
        ref = f"{rng.choice(['JW', 'WMO', 'SD'])}-{2026 + i % 2}-{digits(4)}"
        rows = [["Perceel", "Omschrijving", "Plafondbudget 2027", "Tarief per etmaal"]]
        for p in range(1, 6):
            rows.append(
                [
                    f"Perceel {p}",
                    rng.choice(
                        [
                            "Crisisopvang",
                            "Pleegzorg",
                            "Jeugdbescherming",
                            "Ambulante hulp",
                            "Gezinshuis",
                        ]
                    ),
                    money(),
                    money(),
                ]
            )
        table = "\n".join(" | ".join(r) for r in rows)
        text = (
            f"Geachte heer/mevrouw {them[0].split()[-1]},\n\n"
            f"Hierbij onze vragen voor de tweede nota van inlichtingen bij aanbesteding {ref} "
            f"(Jeugdwet en Wmo, regio {rng.choice(['Eemland', 'Utrecht Stad', 'Foodvalley'])}), "
            f"perceel {lot}, contractnummer {digits(9)}.\n\n"
            f"1. Paragraaf 4.{rng.randint(1, 9)}.{rng.randint(1, 9)}: geldt het plafondbudget per "
            f"kalenderjaar of voor de looptijd 01-01-2027 tot en met 31-12-2030?\n"
            f"2. Bijlage {rng.randint(3, 9)}: moet het aantal cliënten per productcode "
            f"(45A{rng.randint(10, 99)}, 54{digits(3)}) per kwartaal worden aangeleverd?\n"
            f"3. Mag het dossier van de inschrijving in één PDF van maximaal 25 MB?\n\n"
            f"Ter controle onze lezing van het budget:\n{table}\n\n"
            f"Ons KvK-nummer is 30276548, inschrijfnummer TenderNed {digits(6)}.\n\n"
            + signature(me[0], "Contractmanager")
        )
        atts = []
        if i % 2 == 0:
            atts.append(
                Att(
                    f"NvI_vragen_{ref}.xlsx",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    make_xlsx(
                        {
                            "Vragen": [["Nr", "Paragraaf", "Vraag"]]
                            + [
                                [str(k), f"4.{k}", f"Toelichting tarief perceel {k}"]
                                for k in range(1, 8)
                            ],
                            "Budget": rows,
                        }
                    ),
                )
            )
        add(
            "tender",
            "ordinary",
            sender=me,
            to=[them],
            subject=f"Vragen nota van inlichtingen {ref} perceel {lot}",
            text=text,
            atts=atts,
            note="tender questions: lot, contract and product numbers, budget table, cliënten "
            "as a count",
            where="body" + (", xlsx" if atts else ""),
        )

    # Contract management: production figures per municipality, aggregated.
    for _ in range(4):
        me, them = staff(), external(rng.choice(PARTNERS[:3]))
        rows = [["Gemeente", "Productcode", "Aantal cliënten", "Zorgdagen", "Bedrag"]]
        for g in ["Amersfoort", "Leusden", "Soest", "Baarn", "Bunschoten", "Woudenberg"]:
            rows.append(
                [
                    g,
                    f"{rng.choice(['41', '43', '45', '54'])}A{rng.randint(10, 99)}",
                    str(rng.randint(3, 140)),
                    str(rng.randint(100, 9000)),
                    money(),
                ]
            )
        text = (
            f"Beste {them[0].split()[0]},\n\nIn de bijlage de productieverantwoording "
            f"Q{rng.randint(1, 3)} 2026 voor contract {digits(8)}, zoals afgesproken in het "
            f"contractgesprek van {fmt_date(rdate(2026, 2026))}. Het aantal unieke cliënten in "
            f"de jeugdbescherming steeg met {rng.randint(2, 19)}%; de wachtlijst pleegzorg "
            f"daalde naar {rng.randint(5, 40)}.\n\nDe declaraties via het iJW-berichtenverkeer "
            f"(JW315/JW316) zijn verstuurd in batch {digits(9)} op "
            f"{fmt_date(rdate(2026, 2026))}.\n\n" + signature(me[0], "Controller zorg")
        )
        add(
            "contract_report",
            "ordinary",
            sender=me,
            to=[them],
            subject=f"Productieverantwoording Q3 2026 contract {digits(6)}",
            text=text,
            atts=[
                Att(
                    "productie_Q3_2026.xlsx",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    make_xlsx({"Productie": rows}),
                )
            ],
            where="body, xlsx",
            note="aggregated production: counts of clients per "
            "municipality, product codes, batch numbers",
        )

    # Pension and insurance letters about staff schemes in general.
    for _ in range(4):
        me, them = staff(), external("pfzw-service.example")
        text = (
            f"Geachte {them[0]},\n\nNaar aanleiding van uw brief van "
            f"{fmt_date(rdate(2026, 2026), 1)} "
            f"(kenmerk {digits(9)}) over de overgang naar de nieuwe pensioenregeling: wij hebben "
            f"{rng.randint(180, 420)} deelnemers in dienst. Medewerkers geboren vóór 1 januari "
            f"{rng.choice([1965, 1967, 1970])} houden de overgangsregeling. Ons aansluitnummer is "
            f"{digits(8)}, loonheffingennummer {digits(9)}L0{rng.randint(1, 3)}.\n\n"
            f"Voor de collectieve ongevallenverzekering (polisnummer {digits(10)}) is de premie "
            f"per {fmt_date(dt.date(2027, 1, 1), 0)} {money()}.\n\n"
            + signature(me[0], "Adviseur HR")
        )
        add(
            "pension",
            "ordinary",
            sender=me,
            to=[them],
            subject=f"Uw kenmerk {digits(9)} - overgang pensioenregeling",
            text=text,
            note="pension scheme letter: policy, affiliation and payroll tax numbers, birth "
            "year boundary for a group",
        )

    # Accountant and audit correspondence with ledger numbers.
    for i in range(4):
        me, them = staff(), external("accountants-vdberg.example")
        ledger = "\n".join(
            f"{rng.choice([4010, 4020, 4110, 4310, 4500, 8000, 8010, 8110])}  "
            f"{rng.choice(LEDGER_NAMES)}"
            f"  {money()}  boekstuk {digits(7)}"
            for _ in range(6)
        )
        text = (
            f"Hallo {them[0].split()[0]},\n\nHierbij de antwoorden op de steekproef "
            f"(interim-controle 2026, opdracht {digits(6)}):\n\n{ledger}\n\n"
            f"De onderbouwing van de post nog te factureren Jeugdwet (dossier accountant "
            f"{digits(5)}) volgt vrijdag. De controleverklaring graag vóór "
            f"{fmt_date(dt.date(2027, 4, 15), 1)}.\n\n" + signature(me[0], "Financieel adviseur")
        )
        atts = []
        if i % 2:
            atts.append(
                Att(
                    "steekproef_antwoorden.pdf",
                    "application/pdf",
                    make_pdf_reportlab("Steekproef interim-controle 2026", ledger.split("\n")),
                )
            )
        add(
            "audit",
            "ordinary",
            sender=me,
            to=[them],
            atts=atts,
            subject="Steekproef interim-controle 2026",
            text=text,
            note="audit sample: ledger accounts, document numbers, amounts",
        )

    # Facility and building mail: meter numbers, EAN codes, addresses, postcodes.
    for _ in range(6):
        me, them = (
            staff(),
            external(rng.choice(["facilitair-groep.example", "eneco-zakelijk.example"])),
        )
        addr = f"{fake.street_name()} {rng.randint(1, 200)}, {postcode()} {fake.city()}"
        text = (
            f"Goedemorgen,\n\nVoor de verhuizing van ons kantoor naar {addr} per "
            f"{fmt_date(rdate(2027, 2027))}:\n\nEAN-code elektriciteit: 8716{digits(14)}\n"
            f"EAN-code gas: 8716{digits(14)}\nMeternummer: E00{digits(11)}\n"
            f"Meterstand bij overdracht: {rng.randint(10000, 99999)} kWh\n"
            f"Contractnummer: {digits(9)}\nKlantnummer: {digits(8)}\n\n"
            f"De sleutels (nummers {digits(4)} t/m {digits(4)}) liggen bij de receptie. "
            f"Storingsmelding toegangspas graag onder meldnummer {digits(7)}.\n\n"
            + signature(me[0], "Medewerker facilitair")
        )
        add(
            "facility",
            "ordinary",
            sender=me,
            to=[them],
            subject=f"Verhuizing {addr.split(',')[0]} - meters en contract",
            text=text,
            note="building move: EAN codes, meter, contract and customer numbers, address",
        )

    # Calendar invites (.ics) with Teams meeting ids.
    for _ in range(6):
        me = staff()
        them = [external(), external()]
        start = dt.datetime(2026, 12, rng.randint(1, 22), rng.choice([9, 10, 13, 14, 15]))
        topic = rng.choice(
            [
                "Casusoverleg regio Eemland (algemeen)",
                "Regiegroep jeugdbescherming",
                "Evaluatie convenant Veilig Thuis",
                "Werkgroep pleegzorg en gezinshuizen",
                "Afstemming zorgmelding-proces",
            ]
        )
        mid = f"{digits(3)} {digits(3)} {digits(3)} {digits(3)}"
        desc = (
            f"Agenda: 1. opening 2. verslag {fmt_date(rdate(2026, 2026), 0)} 3. cijfers "
            f"meldingen Q3 4. rondvraag\n\nMicrosoft Teams-vergadering\nVergadering-ID: {mid}\n"
            f"Wachtwoordcode: {rng.choice(['aB3', 'Xy9', 'k7M'])}{digits(3)}\n"
            f"Inbellen: +31 20 {digits(3)} {digits(4)},,{digits(9)}#"
        )
        text = f"{topic}\n{start:%d-%m-%Y %H:%M}\n\n{desc}\n"
        add(
            "invite",
            "ordinary",
            sender=me,
            to=them,
            subject=f"Uitnodiging: {topic}",
            text=text,
            shape="outlook",
            atts=[
                Att(
                    "invite.ics",
                    "text/calendar",
                    ics(topic, start, "Teams", desc, f"{digits(12)}@{OWN}"),
                )
            ],
            where="body, ics",
            note="meeting invite: case words in the title, meeting id, "
            "dial-in and dates, no client",
        )

    # Staff events with birthdays (restaurant booking, team outing).
    for _ in range(5):
        me, them = (
            staff(),
            external(rng.choice(["restaurant-dekas.example", "bedrijvenloop.example"])),
        )
        jubilee = rng.choice([40, 50, 60])
        born = dt.date(2026 - jubilee, rng.randint(1, 12), rng.randint(1, 28))
        colleague = fake.first_name()
        text = (
            f"Hallo,\n\nWij willen graag reserveren voor {rng.randint(12, 35)} personen op "
            f"{fmt_date(rdate(2026, 2026), 1)} vanaf 17.30 uur. Aanleiding: onze collega "
            f"{colleague} wordt {jubilee} (geboren {fmt_date(born, 1)}) en is tegelijk 25 jaar "
            f"in dienst bij de jeugdbescherming. Graag een taart met '{colleague} {jubilee}!'.\n\n"
            f"Eén persoon is vegetarisch, twee glutenvrij. Factuur naar ons inkoopordernummer "
            f"{digits(9)}, kostenplaats {digits(4)}.\n\n" + signature(me[0], "Teamassistent")
        )
        add(
            "staff_event",
            "ordinary",
            sender=me,
            to=[them],
            subject=f"Reservering {colleague} {jubilee} jaar",
            text=text,
            note="restaurant booking for a colleague's birthday: staff date of birth beside "
            "a care word",
        )

    # Obituaries and condolence mail for staff.
    for i in range(3):
        me = staff()
        them = [external(), external("uitvaart-dalen.example")]
        name = fake.name()
        born, died = rdate(1958, 1975), rdate(2026, 2026)
        text = (
            f"Beste collega's van de ketenpartners,\n\nMet grote verslagenheid laten wij u weten "
            f"dat onze collega {name} op {fmt_date(died, 1)} is overleden. {name.split()[0]} werd "
            f"geboren op {fmt_date(born, 1)} en werkte ruim twintig jaar als gezinsvoogd en later "
            f"als teamleider pleegzorg. Velen van u kennen {name.split()[0]} van het "
            f"casusoverleg en de "
            f"crisisdienst.\n\nDe afscheidsdienst is op {fmt_date(died + dt.timedelta(days=6), 1)} "
            f"om 14.00 uur in de aula, {fake.street_address()}, {postcode()} {fake.city()}. "
            f"Condoleances kunt u schrijven op www.{rng.choice(['mensenlinq', 'condoleance'])}"
            f".example/{digits(7)}.\n\nNamens directie en medewerkers van {ORG}.\n"
        )
        atts = []
        if i == 0:
            atts.append(
                Att(
                    "rouwkaart.pdf",
                    "application/pdf",
                    make_pdf_fpdf(
                        "In memoriam",
                        [
                            name,
                            f"* {fmt_date(born, 1)}   † {fmt_date(died, 1)}",
                            "Gezinsvoogd en teamleider pleegzorg",
                            "Wij missen je.",
                        ],
                    ),
                )
            )
        add(
            "obituary",
            "ordinary",
            sender=me,
            to=them,
            atts=atts,
            subject=f"Overlijden van onze collega {name}",
            text=text,
            note="obituary of a staff member: her dates of birth and death, job titles that "
            "are case words",
        )

    # Research reports with anonymised statistics by age group and birth cohort.
    for i in range(6):
        me, them = (
            staff(),
            external(rng.choice(["hogeschool-utrecht.example", "nji-kennis.example"])),
        )
        rows = [
            ["Geboortecohort", "Aantal meldingen", "OTS", "Uithuisplaatsing", "Gem. duur (dgn)"]
        ]
        for y in range(2008, 2020, 2):
            rows.append(
                [
                    f"{y}-{y + 1}",
                    str(rng.randint(40, 900)),
                    str(rng.randint(5, 200)),
                    str(rng.randint(1, 90)),
                    str(rng.randint(30, 700)),
                ]
            )
        text = (
            f"Beste {them[0].split()[0]},\n\nHierbij de geanonimiseerde tabellen voor het "
            f"onderzoek naar doorlooptijden ({rng.choice(['ZonMw', 'NWO'])}-projectnummer "
            f"{digits(9)}). De cohorten zijn ingedeeld naar geboortejaar; cellen onder de 10 "
            f"zijn weggelaten. Peildatum {fmt_date(dt.date(2026, 10, 1), 0)}.\n\n"
            + "\n".join("  ".join(r) for r in rows)
            + f"\n\nLeeftijdsgroepen: 0-4 jaar {rng.randint(10, 30)}%, 4-12 jaar "
            f"{rng.randint(30, 50)}%, 12-18 jaar {rng.randint(20, 40)}%. Mediaan leeftijd bij "
            f"eerste melding: {rng.randint(6, 11)},{rng.randint(0, 9)} jaar.\n\n"
            + signature(me[0], "Beleidsonderzoeker")
        )
        atts = []
        if i % 2 == 0:
            atts.append(
                Att(
                    "tabellen_doorlooptijden.docx",
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    make_docx(
                        "Doorlooptijden jeugdbescherming per geboortecohort",
                        ["Bron: registratie 2014-2026, geanonimiseerd."],
                        rows,
                    ),
                )
            )
        add(
            "research",
            "ordinary",
            sender=me,
            to=[them],
            atts=atts,
            subject="Tabellen onderzoek doorlooptijden (geanonimiseerd)",
            text=text,
            note="research tables: counts by birth cohort and age group, no person",
        )

    # Privacy officer mail about the AVG, a DPIA template.
    for i in range(5):
        me, them = staff(), external(rng.choice([*PARTNERS[:5], "jeugdhulp-eemland.example"]))
        text = (
            f"Beste {them[0].split()[0]},\n\nIn het verwerkersoverleg van "
            f"{fmt_date(rdate(2026, 2026), 1)} spraken we over de grondslag voor het delen "
            f"van gegevens bij een zorgmelding. Onze lezing: art. 6 lid 1 sub c en e AVG, voor "
            f"bijzondere persoonsgegevens art. 9 lid 2 sub h AVG jo. art. 30 UAVG, en voor het "
            f"BSN art. 46 UAVG en art. 7.3.8 Jeugdwet. Een verwerkersovereenkomst (ons kenmerk "
            f"PRIV-{digits(4)}-{digits(3)}) is nodig als u het dossier namens ons verwerkt.\n\n"
            f"Bij datalekmelding {digits(4)}-{digits(5)} bij de AP ging het om een verkeerd "
            f"geadresseerde mail; geen gevolgen voor cliënten. De DPIA voor het nieuwe "
            f"cliëntportaal volgt het model van de Rijksoverheid.\n\n"
            + signature(me[0], "Functionaris gegevensbescherming")
        )
        atts = []
        if i < 3:
            table = [["Vraag", "Antwoord"]] + [
                [q, ""]
                for q in [
                    "Naam verwerking",
                    "Categorieën betrokkenen (cliënten, medewerkers)",
                    "Worden BSN of geboortedatum verwerkt? (ja/nee)",
                    "Bewaartermijn dossier",
                    "Grondslag (artikel)",
                    "Risico's en maatregelen",
                ]
            ]
            atts.append(
                Att(
                    "DPIA_sjabloon_v3.docx",
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    make_docx("DPIA sjabloon v3", ["Vul alle velden in."], table),
                )
            )
        add(
            "privacy",
            "ordinary",
            sender=me,
            to=[them],
            atts=atts,
            subject="Grondslag gegevensdeling zorgmelding / DPIA",
            text=text,
            note="privacy officer mail: AVG and UAVG article numbers, case words, empty DPIA "
            "template",
        )

    # Training material explaining the BSN, with RvIG test numbers.
    for _ in range(3):
        me, them = staff(), external("hogeschool-utrecht.example")
        tests = [bsn("99999") for _ in range(3)]
        text = (
            f"Beste {them[0].split()[0]},\n\nVoor de module 'Privacy in de jeugdbescherming' "
            f"hierbij de oefenstof. Het burgerservicenummer (BSN) heeft 9 cijfers en voldoet "
            f"aan de elfproef: 9xa + 8xb + ... + 2xh - 1xi is deelbaar door 11. Gebruik in "
            f"oefeningen alleen de testnummers van de RvIG (reeks 99999xxxx), bijvoorbeeld "
            f"{tests[0]} of {tests[1]}; nooit een echt BSN.\n\nOpdracht 3: controleer met de "
            f"elfproef of {tests[2]} een geldig testnummer is en leg uit waarom een "
            f"geboortedatum samen met een postcode al tot één persoon kan leiden.\n\n"
            + signature(me[0], "Opleidingscoördinator")
        )
        add(
            "training_bsn",
            "ordinary",
            sender=me,
            to=[them],
            subject="Oefenstof module privacy (BSN en elfproef)",
            text=text,
            note="training material: explains the BSN with RvIG test numbers (not a person)",
        )

    # Software release notes with version and build numbers.
    for _ in range(4):
        me, them = staff(), external("softwarehuis-caseware.example")
        ver = f"{rng.randint(5, 8)}.{rng.randint(0, 20)}.{rng.randint(0, 99)}"
        text = (
            f"Hoi {them[0].split()[0]},\n\nNa de update naar versie {ver} (build "
            f"{digits(9)}, {fmt_date(rdate(2026, 2026), 2)}) zien we twee problemen in de "
            f"acceptatieomgeving:\n\n- TOPdesk-melding {rng.choice(['I', 'M'])}{digits(4)}-"
            f"{digits(4)}: het scherm 'Dossier sluiten' geeft foutcode 0x{digits(8)}.\n"
            f"- Job {digits(9)} (nachtelijke export cliëntregistratie naar het datawarehouse) "
            f"stopt om 02:14:37 met exit code 137.\n\nRelease notes {ver}: RFC {digits(5)}, "
            f"hotfix {ver}.{digits(3)}. Kunnen jullie dit oppakken onder contract "
            f"{digits(8)}?\n\n" + signature(me[0], "Applicatiebeheerder")
        )
        add(
            "release_notes",
            "ordinary",
            sender=me,
            to=[them],
            subject=f"Bevindingen release {ver}",
            text=text,
            note="software bug report: version, build, job and ticket numbers, case words in "
            "screen names",
        )

    # Bank statements of the organisation.
    for _ in range(3):
        me, them = staff(), external("accountants-vdberg.example")
        buf = io.StringIO()
        w = csv.writer(buf, delimiter=";")
        w.writerow(["Datum", "Tegenrekening", "Naam", "Bedrag", "Omschrijving"])
        for _ in range(12):
            w.writerow(
                [
                    fmt_date(rdate(2026, 2026), 0),
                    fake.iban(),
                    rng.choice(
                        [
                            "Gemeente Amersfoort",
                            "Belastingdienst",
                            "PFZW",
                            "Eneco",
                            "Staples",
                            "Lease Partner BV",
                        ]
                    ),
                    money(),
                    f"factuur {digits(9)} ref {digits(12)}",
                ]
            )
        text = (
            f"Beste {them[0].split()[0]},\n\nHierbij de rekeningafschriften oktober 2026 van "
            f"onze rekening NL81 RABO 0312 3456 78 (CSV-export) voor de jaarrekening.\n\n"
            + signature(me[0], "Medewerker financiële administratie")
        )
        add(
            "bank",
            "ordinary",
            sender=me,
            to=[them],
            text=text,
            subject="Rekeningafschriften oktober 2026",
            atts=[Att("afschriften_okt2026.csv", "text/csv", buf.getvalue().encode("utf-8"))],
            where="body, csv",
            note="the organisation's bank statement: supplier IBANs and invoice references",
        )

    # Travel expense claims to the payroll provider.
    for _ in range(3):
        me, them = staff(), external("salaris-online.example")
        trips = "\n".join(
            f"{fmt_date(rdate(2026, 2026), 0)}  {fake.city()} - {fake.city()}  "
            f"{rng.randint(8, 140)} km  huisbezoek/overleg"
            for _ in range(5)
        )
        text = (
            f"Goedemiddag,\n\nBijgaand de reiskostendeclaratie van oktober voor "
            f"personeelsnummer {digits(6)} (kenteken {rng.choice(['GX', 'KZ', 'TS'])}-"
            f"{digits(3)}-{rng.choice(['B', 'D', 'F'])}).\n\n{trips}\n\nTotaal {money()}. "
            f"Declaratienummer {digits(9)}.\n\n" + signature(me[0], "Jeugdzorgwerker")
        )
        add(
            "expenses",
            "ordinary",
            sender=me,
            to=[them],
            text=text,
            subject="Reiskostendeclaratie oktober 2026",
            note="travel expense claim: dates, kilometres, staff and claim numbers",
        )

    # Vacancy texts with 'geboren' in a slogan.
    for _ in range(4):
        me, them = staff(), external("werkenin-zorg.example")
        text = (
            f"Beste {them[0].split()[0]},\n\nGraag plaatsen wij per "
            f"{fmt_date(rdate(2026, 2026), 1)} "
            f"de volgende vacature (referentie VAC-{digits(5)}):\n\n"
            f"{rng.choice(SLOGANS)}\n"
            f"Word gezinsvoogd jeugdbescherming bij {ORG}.\n\nJe werkt met kinderen en "
            f"gezinnen na een melding bij Veilig Thuis, bij een ondertoezichtstelling of "
            f"uithuisplaatsing. Schaal {rng.randint(8, 10)} cao Jeugdzorg "
            f"({money()} - {money()}), 32-36 uur. SKJ-registratie vereist.\n\n"
            f"Sluitingsdatum: {fmt_date(rdate(2026, 2026), 0)}. Gesprekken op "
            f"{fmt_date(rdate(2026, 2026), 1)}.\n\n" + signature(me[0], "Recruiter")
        )
        add(
            "vacancy",
            "ordinary",
            sender=me,
            to=[them],
            text=text,
            subject=f"Vacature gezinsvoogd VAC-{digits(5)}",
            note="vacancy text: 'geboren' as a slogan, case words, dates and salary figures",
        )

    # School holiday calendar.
    for _ in range(2):
        me, them = staff(), external("onderwijs-eemland.example")
        text = (
            "Beste collega's,\n\nVoor de planning van de gezinshuizen en de crisisopvang de "
            "schoolvakanties 2027-2028 (regio midden):\n\n"
            "Herfstvakantie 16-10-2027 t/m 24-10-2027\nKerstvakantie 18-12-2027 t/m 02-01-2028\n"
            "Voorjaarsvakantie 19-02-2028 t/m 27-02-2028\nMeivakantie 22-04-2028 t/m 30-04-2028\n"
            "Zomervakantie 15-07-2028 t/m 27-08-2028\n\nKinderen die geboren zijn in 2023 "
            "starten in dat schooljaar in groep 1. Pleegouders krijgen dit overzicht ook.\n\n"
            + signature(me[0], "Planner")
        )
        add(
            "holidays",
            "ordinary",
            sender=me,
            to=[them],
            text=text,
            subject="Schoolvakanties 2027-2028",
            note="school holiday calendar: many dates, 'geboren in 2023' about a school year",
        )

    # Empty form templates.
    for i in range(5):
        me, them = staff(), external()
        form = [
            "Aanmeldformulier " + rng.choice(["pleegzorg", "crisisplaatsing", "zorgmelding"]),
            "Naam jeugdige: ______________________",
            "BSN: ___ ___ ___",
            "Geboortedatum: __-__-____",
            "Adres: ______________________  Postcode: ____ __",
            "Naam gezinsvoogd: ______________________",
            "Datum melding: __-__-____",
            f"Versie {rng.randint(1, 9)}.{rng.randint(0, 9)} - {fmt_date(rdate(2026, 2026), 0)}",
        ]
        kind_att = i % 3
        if kind_att == 0:
            att = Att(
                "aanmeldformulier_leeg.docx",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                make_docx(form[0], form[1:]),
            )
        elif kind_att == 1:
            att = Att(
                "aanmeldformulier_leeg.pdf", "application/pdf", make_pdf_fpdf(form[0], form[1:])
            )
        else:
            att = Att(
                "aanmeldformulier_leeg.odt.pdf",
                "application/pdf",
                make_pdf_reportlab(form[0], form[1:]),
            )
        text = (
            f"Beste {them[0].split()[0]},\n\nZoals beloofd het lege aanmeldformulier (nieuwe "
            f"versie). Vul BSN en geboortedatum van de jeugdige alleen in via het beveiligde "
            f"portaal, niet per mail.\n\n"
            + ("\n".join(form) + "\n\n" if i == 4 else "")
            + signature(me[0], "Medewerker zorgtoewijzing")
        )
        add(
            "empty_form",
            "ordinary",
            sender=me,
            to=[them],
            atts=[att],
            text=text,
            subject="Nieuw aanmeldformulier (leeg sjabloon)",
            where="body, attachment",
            note="empty form template: labels BSN and Geboortedatum with blanks",
        )

    # English mail to EU partners.
    for _ in range(6):
        me = staff()
        them = external(rng.choice(["partner-ghent.example", "youthcare-leuven.example"]))
        text = (
            f"Dear {them[0].split()[0]},\n\nThank you for hosting the transnational meeting "
            f"on {rdate(2026, 2026):%d %B %Y}. Attached the minutes for Erasmus+ project "
            f"{digits(9)} (grant agreement no. {digits(9)}), work package "
            f"WP{rng.randint(2, 6)}.\n\n"
            f"Key figures from our pilot: {rng.randint(20, 90)} families, child protection "
            f"orders (OTS) in {rng.randint(5, 40)} cases, average age 11.{rng.randint(0, 9)}. "
            f"Our DPO confirmed we only share aggregated data; no client file leaves the "
            f"organisation. Interim report due {fmt_date(rdate(2027, 2027), 2)}; budget line "
            f"{digits(4)}.{digits(2)} ({money()}).\n\nKind regards,\n\n{me[0]}\nProject "
            f"coordinator\n{ORG}\n+31 30 {digits(3)} {digits(4)}\n"
        )
        add(
            "english_partner",
            "ordinary",
            sender=me,
            to=[them],
            text=text,
            subject=f"Minutes transnational meeting - project {digits(6)}",
            note="English project mail: grant and project numbers, aggregated figures",
        )

    # Long reply chains that quote another organisation's signature.
    orgs = {
        "Stichting Lindegaard": "stichting-lindegaard.example",
        "Kindernet": "kindernet.example",
        "Jeugdhulp Eemland": "jeugdhulp-eemland.example",
    }
    for _ in range(7):
        other_org = rng.choice(sorted(orgs))
        me, them = staff(), external(orgs[other_org])
        their_sig = (
            f"Met vriendelijke groet,\n\n{them[0]}\nBeleidsmedewerker\n{other_org}\n"
            f"KvK {digits(8)} | BTW NL{digits(9)}B01 | IBAN {fake.iban()}\n"
            f"T {fake.phone_number()}\nPostbus {rng.randint(1, 9999)}, {postcode()} {fake.city()}"
        )
        lines = [
            (
                them,
                f"Beste {me[0].split()[0]},\n\nZullen we het overleg over de samenwerking "
                f"pleegzorg en de gezinshuizen plannen? Ik heb {fmt_date(rdate(2026, 2026), 1)} "
                f"of {fmt_date(rdate(2026, 2026), 1)} nog ruimte.\n\n{their_sig}",
            ),
            (
                me,
                f"Hoi {them[0].split()[0]},\n\nDe eerste datum past. Lukt het om de "
                f"intentieverklaring (kenmerk {digits(6)}) dan te tekenen?\n\n{me[0]}",
            ),
            (
                them,
                f"Prima, zaal {rng.randint(1, 9)}.{digits(2)} is vrij, parkeren met code "
                f"{digits(4)}.\n\n{their_sig}",
            ),
        ]
        chain = ""
        for who, body in lines:  # oldest first: each reply quotes everything before it
            if chain:
                body += "\n\n" + chain
            head = (
                f"Op {fmt_date(rdate(2026, 2026), 1)} om {rng.randint(8, 17)}:"
                f"{rng.randint(10, 59)} schreef {who[0]} <{who[1]}>:"
            )
            chain = head + "\n" + "\n".join(f"> {ln}" if ln else ">" for ln in body.split("\n"))
        text = (
            f"Hoi {them[0].split()[0]},\n\nTop, tot dan!\n\n"
            + signature(me[0], "Manager pleegzorg")
            + "\n"
            + chain
            + "\n"
        )
        add(
            "reply_chain",
            "ordinary",
            sender=me,
            to=[them],
            text=text,
            subject="RE: RE: RE: samenwerking pleegzorg 2027",
            note="reply chain quoting a partner's signature: KvK, VAT, IBAN, PO box, phone",
        )

    # Automated system notifications.
    for _ in range(8):
        them = external(rng.choice(["softwarehuis-caseware.example", "facilitair-groep.example"]))
        sender = ("Servicedesk", f"servicedesk@{OWN}")
        day, hh, mm, ss = (
            rdate(2026, 2026),
            rng.randint(0, 23),
            rng.randint(0, 59),
            rng.randint(0, 59),
        )
        stamp = f"{day}T{hh:02d}:{mm:02d}:{ss:02d}+01:00"
        text = (
            f"Melding {2026}{digits(6)} is gewijzigd.\n\nStatus: "
            f"{rng.choice(['In behandeling', 'Opgelost', 'Wacht op leverancier'])}\n"
            f"Categorie: "
            f"{rng.choice(['Applicatie cliëntdossier', 'Netwerk', 'Telefonie', 'Printer'])}\n"
            f"Aanmelder: {fake.name()}\nBehandelaar: {them[0]}\nTijdstip: {stamp}\n"
            f"Job-ID: {digits(9)}\nCorrelatie-ID: {hashlib.md5(stamp.encode()).hexdigest()}\n"
            f"Asset: LT-{digits(6)} (serienummer {digits(10)})\n\nDit is een automatisch "
            f"bericht; reageren kan via het portaal. Ticketnummer {digits(9)}.\n"
        )
        add(
            "notification",
            "ordinary",
            sender=sender,
            to=[them],
            text=text,
            shape="plain",
            subject=f"[Melding {digits(7)}] Status gewijzigd",
            note="automated ticket notification: 'melding', ids, timestamps, serial numbers",
        )

    # Crisis placement logistics without identifying data.
    for _ in range(5):
        me, them = (
            staff(),
            external(rng.choice(["stichting-lindegaard.example", "kindernet.example"])),
        )
        text = (
            f"Hoi {them[0].split()[0]},\n\nStand crisisbedden vanavond "
            f"{fmt_date(rdate(2026, 2026), 0)} 18:00:\n\n"
            + "\n".join(
                f"- {loc}: {rng.randint(0, 3)} vrij (leeftijd {a}-{a + 6}), bereikbaar "
                f"{fake.phone_number()}"
                for loc, a in [
                    ("Gezinshuis Amersfoort", 4),
                    ("Crisisgroep Zeist", 12),
                    ("Pleeggezin regio Oost", 0),
                ]
            )
            + f"\n\nDe aanvraag crisisplaatsing van vanmiddag (meisje, {rng.randint(8, 16)} jaar) "
            f"is geregeld; vervoer om {rng.randint(19, 21)}:{rng.choice(['00', '30'])}. "
            f"Piketnummer {fake.phone_number()}.\n\n" + signature(me[0], "Crisisdienst")
        )
        add(
            "crisis_logistics",
            "ordinary",
            sender=me,
            to=[them],
            text=text,
            subject="Stand crisisbedden vanavond",
            note="crisis bed availability: ages and phone numbers, no one identified",
        )

    # Payroll tax and supplier onboarding: RSIN, loonheffingennummer, KvK.
    for _ in range(3):
        me, them = (
            staff(),
            external(rng.choice(["salaris-online.example", "facilitair-groep.example"])),
        )
        rsin = bsn()
        text = (
            f"Beste {them[0].split()[0]},\n\nVoor het leveranciersformulier onze gegevens:\n\n"
            f"Statutaire naam: Stichting {ORG}\nKvK-nummer: 30276548\nRSIN: {rsin}\n"
            f"Btw-identificatienummer: NL{rsin}B01\nLoonheffingennummer: {rsin}L01\n"
            f"IBAN: NL81 RABO 0312 3456 78\nPostadres: Postbus {rng.randint(100, 9999)}, "
            f"{postcode()} Utrecht\n\n" + signature(me[0], "Inkoper")
        )
        add(
            "supplier_data",
            "ordinary",
            sender=me,
            to=[them],
            text=text,
            subject="Leveranciersgegevens Samen Veilig",
            note="the organisation's RSIN, VAT and payroll tax numbers (valid 11-check)",
        )

    # Inspection correspondence with aggregate incident figures.
    for _ in range(3):
        me, them = staff(), external("inspectie-ij.example")
        text = (
            f"Geachte {them[0]},\n\nIn reactie op uw brief van {fmt_date(rdate(2026, 2026), 1)} "
            f"(kenmerk IGJ-{digits(7)}): in 2026 deden wij {rng.randint(3, 15)} "
            f"calamiteitenmeldingen en {rng.randint(10, 60)} meldingen geweld in de "
            f"jeugdbescherming. Het verbeterplan (versie {rng.randint(1, 4)}.{rng.randint(0, 9)}) "
            f"sturen wij uiterlijk {fmt_date(rdate(2027, 2027), 1)}.\n\n"
            + signature(me[0], "Kwaliteitsfunctionaris")
        )
        add(
            "inspection",
            "ordinary",
            sender=me,
            to=[them],
            text=text,
            subject=f"Uw kenmerk IGJ-{digits(7)}",
            note="inspectorate correspondence: aggregate incident counts, reference numbers",
        )

    # Municipal invoices: AGB codes, assignment numbers in aggregate.
    for _ in range(4):
        me, them = staff(), external(rng.choice(PARTNERS[:3]))
        text = (
            f"Beste {them[0].split()[0]},\n\nFactuur {digits(9)} (periode "
            f"{fmt_date(dt.date(2026, 10, 1), 0)} t/m {fmt_date(dt.date(2026, 10, 31), 0)}) is "
            f"afgekeurd met retourcode {rng.choice(['8001', '0233', '9001'])}. Het gaat om "
            f"{rng.randint(2, 30)} toewijzingen onder AGB-code {digits(8)}; de toewijzingsnummers "
            f"staan in de retourinformatie van batch {digits(9)}. Kunt u de beschikkingen "
            f"controleren? Totaalbedrag {money()}.\n\n" + signature(me[0], "Medewerker declaraties")
        )
        add(
            "invoice",
            "ordinary",
            sender=me,
            to=[them],
            text=text,
            subject=f"Afgekeurde factuur {digits(9)}",
            note="invoice rejection: invoice, AGB, batch and return codes",
        )

    # Company run: staff birth years for age categories.
    for _ in range(3):
        me, them = staff(), external("bedrijvenloop.example")
        runners = "\n".join(
            f"{fake.name()}; geboortejaar {rng.randint(1965, 2000)}; shirt "
            f"{rng.choice(['S', 'M', 'L', 'XL'])}; startnummer {digits(4)}"
            for _ in range(6)
        )
        text = (
            f"Hallo,\n\nOnze inschrijving voor de bedrijvenloop van "
            f"{fmt_date(rdate(2027, 2027), 1)} (team 'Veilig op Weg', ordernummer "
            f"{digits(9)}):\n\n{runners}\n\nGraag de factuur naar kostenplaats {digits(4)}.\n\n"
            + signature(me[0], "Personeelsvereniging")
        )
        add(
            "company_run",
            "ordinary",
            sender=me,
            to=[them],
            text=text,
            subject="Inschrijving team bedrijvenloop",
            note="staff run registration: colleagues' names and birth years",
        )

    # Professional registration of staff (SKJ), training sign-ups.
    for _ in range(3):
        me, them = staff(), external("skj-register.example")
        text = (
            f"Geachte heer/mevrouw,\n\nHierbij melden wij de deelnemers aan de training "
            f"'Risicotaxatie bij huiselijk geweld' van {fmt_date(rdate(2026, 2027), 1)} aan "
            f"voor {rng.randint(4, 12)} accreditatiepunten (activiteitnummer {digits(6)}):\n\n"
            + "\n".join(f"{fake.name()} - SKJ-registratienummer {digits(9)}" for _ in range(4))
            + "\n\n"
            + signature(me[0], "Opleidingsadviseur")
        )
        add(
            "registration",
            "ordinary",
            sender=me,
            to=[them],
            text=text,
            subject="Accreditatie training risicotaxatie",
            note="staff professional registration numbers (9 digits) beside case words",
        )

    # Newsletter to partners with figures.
    for _ in range(3):
        me = (f"Nieuwsbrief {ORG}", f"nieuwsbrief@{OWN}")
        text = (
            f"Nieuwsbrief ketenpartners - {MONTHS[rng.randint(0, 11)]} 2026\n\n"
            f"Veilig Thuis ontving dit kwartaal {rng.randint(900, 3000)} meldingen en "
            f"{rng.randint(1000, 4000)} adviesvragen. {rng.randint(50, 200)} kinderen kregen "
            f"een ondertoezichtstelling. Nieuw: het meldpunt is 24/7 bereikbaar op "
            f"0800-2000. Op {fmt_date(rdate(2026, 2027), 1)} organiseren wij de "
            f"ketendag (inschrijven via code {digits(6)}).\n\nAfmelden: "
            f"https://{OWN}/afmelden?id={digits(9)}\n"
        )
        add(
            "newsletter",
            "ordinary",
            sender=me,
            to=[external(), external(), external()],
            text=text,
            shape="outlook",
            subject="Nieuwsbrief ketenpartners",
            note="newsletter: counts of reports, phone numbers, dates",
        )

    # Dashboard screenshots (read by OCR).
    for _ in range(3):
        me, them = staff(), external(rng.choice(PARTNERS[:3]))
        img = text_image(
            [
                "Dashboard wachttijden jeugdbescherming",
                f"Peildatum {fmt_date(dt.date(2026, 11, 1), 0)}",
                f"Aantal meldingen Q3: {rng.randint(300, 900)}",
                f"Gem. wachttijd: {rng.randint(10, 60)} dagen",
                f"Rapport-ID {digits(9)}",
            ]
        )
        text = (
            f"Hoi {them[0].split()[0]},\n\nZie de schermafdruk van het dashboard voor het "
            f"bestuurlijk overleg van donderdag.\n\n" + signature(me[0], "Informatieanalist")
        )
        add(
            "dashboard",
            "ordinary",
            sender=me,
            to=[them],
            text=text,
            shape="gmail",
            atts=[Att("dashboard.png", "image/png", img)],
            where="image (OCR)",
            subject="Schermafdruk dashboard wachttijden",
            note="dashboard screenshot: aggregated figures and a report id",
        )

    # Lease car damage claim.
    for _ in range(2):
        me, them = staff(), external("leasepartner.example")
        text = (
            f"Geachte heer/mevrouw,\n\nSchademelding voor leaseauto met kenteken "
            f"{rng.choice(['H', 'J', 'K'])}-{digits(3)}-{rng.choice(['BB', 'DX', 'FR'])} "
            f"(contractnummer {digits(9)}): op {fmt_date(rdate(2026, 2026), 1)} om "
            f"{rng.randint(7, 18)}:{rng.randint(10, 59)} aanrijding op de parkeerplaats, "
            f"{fake.street_address()}, {postcode()} {fake.city()}. Schadenummer tegenpartij "
            f"{digits(10)}. Bestuurder: medewerker ambulant team.\n\n"
            + signature(me[0], "Wagenparkbeheer")
        )
        add(
            "lease_car",
            "ordinary",
            sender=me,
            to=[them],
            text=text,
            subject="Schademelding leaseauto",
            note="car damage report: plate, contract and claim numbers, an address",
        )

    # On-call roster for the police: staff names, phone numbers, dates.
    for _ in range(2):
        me, them = staff(), external("politie-midden.example")
        week = rdate(2026, 2026)
        rows = "\n".join(
            f"{fmt_date(week + dt.timedelta(days=d), 0)}  {fake.name()}  06-{digits(8)}  "
            f"{rng.choice(['crisisdienst', 'achterwacht', 'piket jeugdbescherming'])}"
            for d in range(7)
        )
        text = (
            f"Beste {them[0].split()[0]},\n\nHet piketrooster voor week "
            f"{week.isocalendar()[1]}. Bij een melding buiten kantoortijd eerst de crisisdienst "
            f"bellen; bij geen gehoor de achterwacht.\n\n{rows}\n\n"
            + signature(me[0], "Coördinator crisisdienst")
        )
        add(
            "oncall_roster",
            "ordinary",
            sender=me,
            to=[them],
            text=text,
            shape="outlook",
            subject=f"Piketrooster week {week.isocalendar()[1]}",
            note="on-call roster: staff names, mobile numbers and dates beside case words",
        )

    # General information for foster parents, as a PDF leaflet.
    for _ in range(2):
        me, them = staff(), external(rng.choice(["onderwijs-eemland.example", "kindernet.example"]))
        leaflet = [
            "Pleegouders: wat verandert er per 1 januari 2027?",
            "De pleegvergoeding wordt geïndexeerd met 2,7 %.",
            "Voor kinderen geboren na 1 januari 2009 geldt de verlengde pleegzorg tot 21 jaar.",
            f"Basisbedrag per dag: € {rng.randint(20, 30)},{rng.randint(10, 99)} (0-12 jaar).",
            "Vragen? Bel 030 - 20 30 400 (werkdagen 9.00-17.00 uur).",
            f"Uitgave {MONTHS[rng.randint(0, 11)]} 2026, kenmerk PZ-{digits(6)}",
        ]
        text = (
            f"Beste {them[0].split()[0]},\n\nWil jij de bijgaande folder voor pleegouders "
            f"verspreiden onder de scholen?\n\n" + signature(me[0], "Communicatieadviseur")
        )
        add(
            "parent_info",
            "ordinary",
            sender=me,
            to=[them],
            text=text,
            atts=[
                Att(
                    "folder_pleegouders_2027.pdf",
                    "application/pdf",
                    make_pdf_fpdf(leaflet[0], leaflet[1:]),
                )
            ],
            where="body, pdf",
            subject="Folder pleegouders 2027",
            note="leaflet for foster parents: 'geboren na 1 januari 2009' as a rule, amounts",
        )

    # Internal ordinary mail.
    for _ in range(5):
        me, them = staff(), staff()
        text = (
            f"Hoi {them[0].split()[0]},\n\nHerinnering: de teamdag is op "
            f"{fmt_date(rdate(2026, 2027), 1)}. {fake.first_name()} is jarig die dag "
            f"(wordt {rng.randint(30, 60)}). Lokaal {rng.randint(1, 4)}.{digits(2)}, kamer "
            f"{digits(3)}.\n\n{me[0].split()[0]}\n"
        )
        add(
            "internal_ordinary",
            "ordinary",
            sender=me,
            to=[them],
            text=text,
            subject="Teamdag",
            note="internal reminder with a colleague's birthday",
        )


# --------------------------------------------------------------------------- client data


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def child() -> tuple[str, dt.date, str]:
    name = f"{fake.first_name()} {fake.last_name()}"
    return name, rdate(2009, 2023), bsn()


def client_data() -> None:
    # Dossier extracts in the body.
    for _ in range(3):
        me, them = staff(), external(rng.choice(["rvdk.example", "gemeente-amersfoort.example"]))
        name, born, number = child()
        addr = f"{fake.street_address()}, {postcode()} {fake.city()}"
        text = (
            f"Beste {them[0].split()[0]},\n\nHierbij het uittreksel uit het dossier voor het "
            f"verzoek tot verlenging van de ondertoezichtstelling.\n\nNaam: {name}\n"
            f"Geboortedatum: {fmt_date(born)}\nBSN: {fmt_bsn(number)}\nAdres: {addr}\n"
            f"Gezinsvoogd: {me[0]}\nIngangsdatum OTS: {fmt_date(rdate(2024, 2025))}\n\n"
            f"Samenvatting: moeder ({rng.randint(28, 45)}) is sinds de melding in "
            f"{rng.randint(2023, 2025)} nauwelijks bereikbaar; er is zorg over schoolverzuim.\n\n"
            + signature(me[0], "Gezinsvoogd")
        )
        add(
            "dossier_extract",
            "client_data",
            sender=me,
            to=[them],
            text=text,
            subject=f"Verzoek verlenging OTS {name.split()[-1]}",
            detectors=["bsn", "date_of_birth", "case_keywords", "postcode"],
            note="dossier extract: child's name, BSN, date of birth, address, measure",
        )

    # Letters to the GP / paediatrician: date of birth and case words, no BSN.
    for _ in range(3):
        me, them = (
            staff(),
            external(rng.choice(["huisartsen-dehoek.example", "kinderarts-umc.example"])),
        )
        name, born, _ = child()
        label = rng.choice(["geb.", "geboren", "geboortedatum", "geb. datum"])
        text = (
            f"Geachte collega,\n\nBetreft: {name}, {label} {fmt_date(born)}\n\nNaar aanleiding "
            f"van de melding bij Veilig Thuis van {fmt_date(rdate(2026, 2026), 1)} vragen wij "
            f"uw medische informatie over dit kind in het kader van het onderzoek naar "
            f"kindermishandeling. Ouders hebben toestemming gegeven. De casusregisseur is "
            f"{me[0]}.\n\n" + signature(me[0], "Aandachtsfunctionaris")
        )
        add(
            "letter_gp",
            "client_data",
            sender=me,
            to=[them],
            text=text,
            subject=f"Informatieverzoek {name}",
            detectors=["date_of_birth", "case_keywords"],
            note="request to a doctor: child's name and date of birth, a report of abuse",
        )

    # Client spreadsheets.
    for i in range(3):
        me, them = staff(), external(rng.choice([*PARTNERS[:3], "leerplicht-regio.example"]))
        rows: list[list[object]] = [["Naam", "BSN", "Geboortedatum", "Maatregel", "Startdatum"]]
        for _ in range(rng.randint(6, 14)):
            name, born, number = child()
            rows.append(
                [
                    name,
                    number,
                    fmt_date(born, 0),
                    rng.choice(["OTS", "Voogdij", "Pleegzorg"]),
                    fmt_date(rdate(2024, 2026), 0),
                ]
            )
        if i == 0:
            att = Att(
                "clienten_overzicht.xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                make_xlsx({"Cliënten": rows}),
            )
            where = "xlsx"
        elif i == 1:
            att = Att(
                "clientlijst.ods",
                "application/vnd.oasis.opendocument.spreadsheet",
                make_ods([[str(c) for c in r] for r in rows]),
            )
            where = "ods"
        else:
            buf = io.StringIO()
            csv.writer(buf, delimiter=";").writerows(rows)
            att = Att("export_clienten.csv", "text/csv", buf.getvalue().encode("utf-8"))
            where = "csv"
        text = (
            f"Hoi {them[0].split()[0]},\n\nZoals gevraagd het overzicht van de jeugdigen in "
            f"jullie gemeente met een lopende maatregel, voor de afstemming van de "
            f"beschikkingen.\n\n" + signature(me[0], "Teamleider")
        )
        add(
            "client_sheet",
            "client_data",
            sender=me,
            to=[them],
            text=text,
            atts=[att],
            subject="Overzicht lopende maatregelen",
            where=where,
            detectors=["bsn", "date_of_birth", "case_keywords"],
            note="spreadsheet of children: names, BSNs, dates of birth, measures",
        )

    # Reports as docx / pdf attachments.
    for i in range(4):
        me, them = staff(), external(rng.choice(["rvdk.example", "jeugdhulp-eemland.example"]))
        name, born, number = child()
        paras = [
            f"Naam jeugdige: {name}",
            f"Geboortedatum: {fmt_date(born)}",
            f"Burgerservicenummer: {fmt_bsn(number)}",
            f"Aanleiding: melding huiselijk geweld op {fmt_date(rdate(2025, 2026))}.",
            "Conclusie: uithuisplaatsing in een pleeggezin is noodzakelijk.",
        ]
        if i % 3 == 0:
            att = Att(
                f"rapportage_{ascii_slug(name)}.docx",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                make_docx("Rapportage jeugdbescherming", paras),
            )
        elif i % 3 == 1:
            att = Att(
                "rapportage.pdf",
                "application/pdf",
                make_pdf_reportlab("Rapportage jeugdbescherming", paras),
            )
        else:
            att = Att(
                "rapportage_fpdf.pdf",
                "application/pdf",
                make_pdf_fpdf("Rapportage jeugdbescherming", paras),
            )
        text = (
            f"Beste {them[0].split()[0]},\n\nIn de bijlage de rapportage voor de zitting van "
            f"{fmt_date(rdate(2026, 2027), 1)}.\n\n" + signature(me[0], "Jeugdbeschermer")
        )
        add(
            "report_attachment",
            "client_data",
            sender=me,
            to=[them],
            text=text,
            atts=[att],
            subject="Rapportage t.b.v. zitting",
            where="attachment",
            detectors=["bsn", "date_of_birth", "case_keywords"],
            note="court report: child's name, BSN, date of birth, abuse and placement",
        )

    # Scanned form and a case-system screenshot (OCR).
    for i in range(2):
        me, them = staff(), external("rvdk.example")
        name, born, number = child()
        lines = [
            "Aanmeldformulier crisisplaatsing",
            f"Naam jeugdige: {name}",
            f"BSN: {number}",
            f"Geboortedatum: {fmt_date(born, 0)}",
            "Reden: acute onveiligheid, melding Veilig Thuis",
        ]
        if i == 0:
            att = Att("scan_0012.pdf", "application/pdf", scan_pdf(lines))
        else:
            att = Att("screenshot.png", "image/png", text_image(lines))
        text = f"Zie bijlage.\n\n{me[0]}\n"
        add(
            "scan",
            "client_data",
            sender=me,
            to=[them],
            text=text,
            atts=[att],
            shape="plain",
            subject="Scan aanmelding",
            where="image (OCR)",
            detectors=["bsn", "date_of_birth", "case_keywords"],
            note="scanned/screenshotted intake form with BSN and date of birth",
        )

    # English mail about a child to a foreign partner.
    for _ in range(2):
        me, them = (
            staff(),
            external(rng.choice(["partner-ghent.example", "youthcare-leuven.example"])),
        )
        name, born, number = child()
        text = (
            f"Dear {them[0].split()[0]},\n\nRegarding our client {name} (born "
            f"{born:%d %B %Y}, date of birth {fmt_date(born, 2)}), who is under a child "
            f"protection order and may stay with relatives in Belgium: could you check whether "
            f"the family is known to your service? Dutch citizen service number (BSN) "
            f"{number}.\n\nKind regards,\n{me[0]}\nFamily guardian, {ORG}\n"
        )
        add(
            "english_client",
            "client_data",
            sender=me,
            to=[them],
            text=text,
            subject="Request for information - child protection",
            detectors=["bsn", "date_of_birth", "case_keywords"],
            note="English request about a named client: date of birth and BSN",
        )

    # Leerplicht / school: BSN without date of birth.
    for _ in range(2):
        me, them = staff(), external("leerplicht-regio.example")
        name, _, number = child()
        text = (
            f"Beste {them[0].split()[0]},\n\nWij hebben zorgen over het verzuim van {name} "
            f"(BSN {fmt_bsn(number)}), groep {rng.randint(3, 8)} van {fake.last_name()}school. "
            f"Sinds de uithuisplaatsing verblijft hij in een pleeggezin in "
            f"{fake.city()}.\n\n" + signature(me[0], "Gezinsvoogd")
        )
        add(
            "school",
            "client_data",
            sender=me,
            to=[them],
            text=text,
            subject="Verzuim leerling",
            detectors=["bsn", "case_keywords"],
            note="mail to attendance officer: child's name, BSN, placement",
        )

    # Crisis placement with a named child and date of birth.
    for _ in range(3):
        me, them = (
            staff(),
            external(rng.choice(["stichting-lindegaard.example", "kindernet.example"])),
        )
        name, born, _ = child()
        text = (
            f"Hoi {them[0].split()[0]},\n\nCrisisplaatsing vannacht: {name}, geboortedatum "
            f"{fmt_date(born)}, komt om {rng.randint(20, 23)}:00. Allergie: noten. Moeder mag "
            f"niet weten waar het kind verblijft (melding huiselijk geweld).\n\n"
            + signature(me[0], "Crisisdienst")
        )
        add(
            "crisis_named",
            "client_data",
            sender=me,
            to=[them],
            text=text,
            subject="Crisisplaatsing vannacht",
            detectors=["date_of_birth", "case_keywords"],
            note="crisis placement: child's name, date of birth, safety note",
        )

    # Forwarded police request with client data deep in a reply chain.
    for _ in range(2):
        me, them = staff(), external("politie-midden.example")
        name, born, number = child()
        text = (
            f"Hierbij de gegevens.\n\n{me[0]}\n\n-----Oorspronkelijk bericht-----\nVan: {me[0]}\n"
            f"Verzonden: {fmt_date(rdate(2026, 2026), 1)}\nAan: collega's\nOnderwerp: melding "
            f"{name.split()[-1]}\n\nCasus {name}, geb. {fmt_date(born, 0)}, BSN "
            f"{fmt_bsn(number)}. Melding kindermishandeling binnengekomen via school.\n"
        )
        add(
            "forward_police",
            "client_data",
            sender=me,
            to=[them],
            text=text,
            shape="outlook",
            subject=f"FW: melding {name.split()[-1]}",
            detectors=["bsn", "date_of_birth", "case_keywords"],
            note="forward to police: client's BSN and date of birth in the quoted part",
        )

    # Filled-in form (the counterpart of the empty template).
    for _ in range(2):
        me, them = staff(), external()
        name, born, number = child()
        form = [
            f"Naam jeugdige: {name}",
            f"BSN: {fmt_bsn(number)}",
            f"Geboortedatum: {fmt_date(born, 0)}",
            f"Adres: {fake.street_address()}  Postcode: {postcode()}",
            f"Naam gezinsvoogd: {me[0]}",
        ]
        text = (
            f"Beste {them[0].split()[0]},\n\nHet ingevulde aanmeldformulier pleegzorg:\n\n"
            + "\n".join(form)
            + "\n\n"
            + signature(me[0], "Medewerker zorgtoewijzing")
        )
        add(
            "filled_form",
            "client_data",
            sender=me,
            to=[them],
            text=text,
            subject="Aanmelding pleegzorg",
            detectors=["bsn", "date_of_birth", "case_keywords", "postcode"],
            note="filled-in intake form: name, BSN, date of birth, address",
        )

    # Harder shapes of client data: an HTML-only table, the subject line, an invite, a zip,
    # a label|value table in a document, an abbreviated month.
    me, them = staff(), external("gemeente-amersfoort.example")
    name, born, number = child()
    cells = "".join(
        f"<tr><td style='font-weight:bold'>{k}</td><td>{v}</td></tr>"
        for k, v in [
            ("Cliënt", name),
            ("BSN", number),
            ("Geboortedatum", fmt_date(born, 0)),
            ("Maatregel", "Ondertoezichtstelling"),
            ("Gezinsvoogd", me[0]),
        ]
    )
    add(
        "client_hard",
        "client_data",
        sender=("CaseTool", f"noreply@{OWN}"),
        to=[them],
        shape="htmlonly",
        text="",
        subject="Overdracht dossier (automatisch bericht)",
        html=f"<html><body><p>Overdracht van het volgende dossier:</p><table>{cells}</table>"
        "<p>Dit bericht is automatisch verzonden.</p></body></html>",
        where="html table",
        detectors=["bsn", "date_of_birth", "case_keywords"],
        note="HTML-only system mail: label and value in separate table cells",
    )

    me, them = staff(), external("kinderarts-umc.example")
    name, born, _ = child()
    add(
        "client_hard",
        "client_data",
        sender=me,
        to=[them],
        shape="plain",
        subject=f"Melding kindermishandeling {name} geb. {fmt_date(born, 0)}",
        text=f"Zie onderwerp; kunt u mij terugbellen?\n\n{me[0]}\n",
        where="subject",
        detectors=["date_of_birth", "case_keywords"],
        note="the client's name, date of birth and the report only in the subject",
    )

    me, them = staff(), external("rvdk.example")
    name, born, number = child()
    start = dt.datetime(2026, 12, 9, 10, 30)
    desc = (
        f"Zitting kinderrechter verlenging OTS\nJeugdige: {name}\nGeb.: "
        f"{fmt_date(born, 0)}\nBSN: {number}\nZaaknummer C/16/{digits(6)} JE RK "
        f"{digits(2)}-{digits(3)}"
    )
    add(
        "client_hard",
        "client_data",
        sender=me,
        to=[them],
        shape="outlook",
        subject="Zitting kinderrechter 9 december",
        text=f"Zitting kinderrechter\n09-12-2026 10:30\n\n{desc}\n",
        atts=[
            Att(
                "invite.ics",
                "text/calendar",
                ics(
                    "Zitting kinderrechter",
                    start,
                    "Rechtbank Midden-Nederland",
                    desc,
                    f"{digits(12)}@{OWN}",
                ),
            )
        ],
        where="body, ics",
        detectors=["bsn", "date_of_birth", "case_keywords"],
        note="court hearing invite: the child's name, date of birth and BSN",
    )

    me, them = staff(), external("jeugdhulp-eemland.example")
    name, born, number = child()
    inner = make_docx(
        "Overdrachtsrapport pleegzorg",
        [
            f"Jeugdige: {name}",
            f"Geboortedatum: {fmt_date(born)}",
            f"BSN: {fmt_bsn(number)}",
            "Reden: uithuisplaatsing na melding Veilig Thuis.",
        ],
    )
    add(
        "client_hard",
        "client_data",
        sender=me,
        to=[them],
        subject="Overdracht pleegzorg (zip)",
        text=f"Hoi {them[0].split()[0]},\n\nDe overdracht zit in de zip.\n\n"
        + signature(me[0], "Pleegzorgbegeleider"),
        atts=[
            Att(
                "overdracht.zip",
                "application/zip",
                make_zip({f"overdracht_{ascii_slug(name)}.docx": inner}),
            )
        ],
        where="docx in zip",
        detectors=["bsn", "date_of_birth", "case_keywords"],
        note="handover report inside a zip: BSN, date of birth, placement",
    )

    me, them = staff(), external("rvdk.example")
    name, born, number = child()
    table = [
        ["Naam jeugdige", name],
        ["Geboortedatum", fmt_date(born, 0)],
        ["BSN", fmt_bsn(number)],
        ["Maatregel", "Voogdij"],
        ["Pleeggezin", f"{fake.last_name()}, {fake.city()}"],
    ]
    add(
        "client_hard",
        "client_data",
        sender=me,
        to=[them],
        subject="Verzoekschrift voogdij",
        text="Geachte heer/mevrouw,\n\nBijgaand het verzoekschrift.\n\n"
        + signature(me[0], "Jeugdbeschermer"),
        atts=[
            Att(
                "verzoekschrift.docx",
                DOCX,
                make_docx("Verzoekschrift", ["Gegevens van de jeugdige:"], table),
            )
        ],
        where="docx table",
        detectors=["bsn", "date_of_birth", "case_keywords"],
        note="petition: label and value in separate cells of a Word table",
    )

    me, them = staff(), external("huisartsen-dehoek.example")
    name, born, _ = child()
    short = [
        "jan.",
        "feb.",
        "mrt.",
        "apr.",
        "mei",
        "jun.",
        "jul.",
        "aug.",
        "sep.",
        "okt.",
        "nov.",
        "dec.",
    ]
    add(
        "client_hard",
        "client_data",
        sender=me,
        to=[them],
        subject="Zorgmelding",
        text=(
            f"Geachte dokter,\n\nWij ontvingen een zorgmelding over {name} (geb. {born.day} "
            f"{short[born.month - 1]} {born.year}). Wilt u ons laten weten of het kind bij u "
            f"bekend is?\n\n" + signature(me[0], "Medewerker Veilig Thuis")
        ),
        detectors=["date_of_birth", "case_keywords"],
        note="a report about a named child, date of birth with an abbreviated month",
    )

    # Internal client data (delivered).
    for _ in range(5):
        me, them = staff(), staff()
        name, born, number = child()
        text = (
            f"Hoi {them[0].split()[0]},\n\nVoor het casusoverleg morgen: {name}, geb. "
            f"{fmt_date(born)}, BSN {fmt_bsn(number)}. Melding huiselijk geweld.\n\n"
            f"{me[0].split()[0]}\n"
        )
        add(
            "internal_client",
            "client_data",
            sender=me,
            to=[them],
            text=text,
            subject="Casusoverleg morgen",
            detectors=["bsn", "date_of_birth", "case_keywords"],
            note="internal case discussion with BSN and date of birth",
        )


# --------------------------------------------------------------------------- second batch
# Written after the first batch's results were seen, still without reading the detectors:
# more of the everyday mail in which staff (not clients) have dates of birth, and client data in
# shapes that real tools write (typed Excel dates, page headers, column layouts).


def ordinary2() -> None:
    # Travel bookings for a conference: the traveller's (a colleague's) date of birth.
    for _ in range(2):
        me, them = staff(), external("reisbureau-zakelijk.example")
        traveller = fake.name()
        text = (
            f"Goedemiddag,\n\nGraag boeken voor het congres 'Child Protection in Europe' "
            f"(jeugdbescherming) in Lissabon van {fmt_date(dt.date(2027, 3, 10), 1)} t/m "
            f"{fmt_date(dt.date(2027, 3, 12), 1)}:\n\nPassagier: {traveller}\n"
            f"Geboortedatum: {fmt_date(rdate(1965, 1998), 0)}\nPaspoortnummer: "
            f"N{rng.choice('PRSTUV')}{digits(7)}\nVlucht: TP {digits(4)}, heen "
            f"{fmt_date(dt.date(2027, 3, 9), 0)}\nKostenplaats: {digits(4)}, PO-nummer "
            f"{digits(9)}\n\n" + signature(me[0], "Managementassistent")
        )
        add(
            "travel_booking",
            "ordinary",
            sender=me,
            to=[them],
            text=text,
            subject="Boeking congres Lissabon maart 2027",
            note="flight booking for a colleague: her date of birth and passport number, a "
            "conference on child protection",
        )

    # VOG and pre-employment screening for a new colleague.
    for _ in range(2):
        me, them = staff(), external("screening-bureau.example")
        cand = fake.name()
        text = (
            f"Geachte heer/mevrouw,\n\nWij vragen een Verklaring Omtrent het Gedrag aan voor "
            f"onze nieuwe collega {cand}, geboren {fmt_date(rdate(1970, 2001), 1)} te "
            f"{fake.city()}, per {fmt_date(rdate(2027, 2027), 1)} in dienst als "
            f"gezinsvoogd jeugdbescherming (screeningsprofiel 45, functieaspect 84). "
            f"Aanvraagnummer {digits(9)}.\n\n" + signature(me[0], "HR-adviseur")
        )
        add(
            "vog_request",
            "ordinary",
            sender=me,
            to=[them],
            text=text,
            subject=f"VOG-aanvraag {cand}",
            note="certificate of conduct for a new colleague: her date of birth and job title "
            "(gezinsvoogd jeugdbescherming)",
        )

    # Sick-leave notification of an employee to the occupational health service.
    for _ in range(2):
        me, them = staff(), external("arbodienst-midden.example")
        emp = fake.name()
        text = (
            f"Beste {them[0].split()[0]},\n\nZiekmelding: {emp}, personeelsnummer {digits(6)}, "
            f"geboortedatum {fmt_date(rdate(1962, 1999), 0)}, functie pleegzorgbegeleider, "
            f"team {fake.city()}. Eerste ziektedag {fmt_date(rdate(2026, 2026), 0)}, "
            f"{rng.choice([24, 32, 36])} uur per week. Graag een afspraak met de "
            f"bedrijfsarts.\n\n" + signature(me[0], "Teamleider")
        )
        add(
            "sick_leave",
            "ordinary",
            sender=me,
            to=[them],
            text=text,
            subject="Ziekmelding medewerker",
            note="sick-leave report of an employee to the occupational health service: staff "
            "date of birth, a job title that is a case word",
        )

    # Internship agreement with a student (a future colleague, not a client).
    for _ in range(2):
        me, them = staff(), external("hogeschool-utrecht.example")
        student = fake.name()
        text = (
            f"Beste {them[0].split()[0]},\n\nBijgaand de getekende stageovereenkomst voor "
            f"{student} (studentnummer {digits(7)}, geboren {fmt_date(rdate(2002, 2006), 1)}), "
            f"stage van {fmt_date(dt.date(2027, 2, 1), 0)} tot {fmt_date(dt.date(2027, 6, 30), 0)} "
            f"bij het team jeugdbescherming {fake.city()}. Praktijkbegeleider: {me[0]}.\n\n"
            + signature(me[0], "Praktijkopleider")
        )
        add(
            "internship",
            "ordinary",
            sender=me,
            to=[them],
            text=text,
            subject="Stageovereenkomst",
            note="internship agreement: the student's date of "
            "birth and student number, a team name with a case word",
        )

    # Pensioners' newsletter: birthdays and anniversaries of former colleagues.
    for _ in range(2):
        me = (f"Seniorenvereniging {ORG}", f"senioren@{OWN}")
        lines = "\n".join(
            f"{rng.randint(1, 28):02d}-{rng.randint(1, 12):02d}  {fake.name()} "
            f"({rng.choice([70, 75, 80, 85])} jaar)"
            for _ in range(6)
        )
        text = (
            f"Beste oud-collega's,\n\nVerjaardagen in de komende maanden:\n\n{lines}\n\n"
            f"De jaarlijkse reünie van oud-medewerkers van Bureau Jeugdzorg en de "
            f"jeugdbescherming is op {fmt_date(rdate(2027, 2027), 1)}. Contributie {money()} "
            f"op rekening NL81 RABO 0312 3456 78 o.v.v. lidnummer.\n\nHet bestuur\n"
        )
        add(
            "pensioners",
            "ordinary",
            sender=me,
            to=[external(), external(), external()],
            text=text,
            shape="plain",
            subject="Nieuwsbrief oud-medewerkers",
            note="pensioners' newsletter: birthdays (day and month) and ages of former staff",
        )

    # Staff children's Christmas party: birth years as a rule.
    for _ in range(1):
        me, them = staff(), external("restaurant-dekas.example")
        text = (
            f"Hallo,\n\nVoor het kerstfeest van de personeelsvereniging op "
            f"{fmt_date(dt.date(2026, 12, 19), 1)}: {rng.randint(40, 90)} kinderen van "
            f"medewerkers (geboren in 2014 of later) en {rng.randint(30, 60)} volwassenen. "
            f"Sinterklaas-cadeaus per leeftijdsgroep: 0-3, 4-7, 8-12. Offertenummer "
            f"{digits(8)}.\n\n" + signature(me[0], "Personeelsvereniging")
        )
        add(
            "staff_party",
            "ordinary",
            sender=me,
            to=[them],
            text=text,
            subject="Kerstfeest personeelsvereniging",
            note="staff children's party: a birth year rule and counts",
        )

    # Press: figures on placements for a journalist.
    for _ in range(2):
        me, them = staff(), external("dagblad-midden.example")
        text = (
            f"Beste {them[0].split()[0]},\n\nOp uw vragen van {fmt_date(rdate(2026, 2026), 1)}: "
            f"in 2025 waren er {rng.randint(200, 600)} uithuisplaatsingen in onze regio, "
            f"{rng.randint(1000, 3000)} kinderen hadden een ondertoezichtstelling en Veilig "
            f"Thuis ontving {rng.randint(8000, 15000)} meldingen. Over individuele cliënten "
            f"doen wij geen uitspraken. Het jaarverslag verschijnt op "
            f"{fmt_date(rdate(2027, 2027), 1)}.\n\n" + signature(me[0], "Woordvoerder")
        )
        add(
            "press",
            "ordinary",
            sender=me,
            to=[them],
            text=text,
            subject="Uw vragen over uithuisplaatsingen",
            note="press answer: yearly figures beside case words",
        )

    # Client satisfaction survey: an empty questionnaire.
    for _ in range(2):
        me, them = staff(), external("onderzoeksbureau-panel.example")
        form = [
            "Vragenlijst cliënttevredenheid jeugdbescherming 2027",
            "1. Geboortejaar: ________",
            "2. Leeftijd bij start hulp: ____ jaar",
            "3. Postcode (alleen cijfers): ____",
            "4. Hoe tevreden bent u over uw gezinsvoogd? 1-10",
            "5. Datum invullen: __-__-____",
        ]
        text = (
            f"Beste {them[0].split()[0]},\n\nHierbij de definitieve vragenlijst voor de "
            f"meting; steekproef van {rng.randint(300, 900)} cliënten, veldwerk vanaf "
            f"{fmt_date(rdate(2027, 2027), 0)}.\n\n"
            + "\n".join(form)
            + "\n\n"
            + signature(me[0], "Kwaliteitsmedewerker")
        )
        add(
            "survey_template",
            "ordinary",
            sender=me,
            to=[them],
            text=text,
            subject="Definitieve vragenlijst cliënttevredenheid",
            note="empty questionnaire: birth-year and date fields with blanks",
        )

    # Board minutes with decision numbers.
    for _ in range(2):
        me, them = staff(), external("accountants-vdberg.example")
        text = (
            f"Geachte {them[0]},\n\nUit de notulen van de Raad van Toezicht van "
            f"{fmt_date(rdate(2026, 2026), 1)}:\n\nBesluit RvT-2026-{digits(3)}: de begroting "
            f"2027 ({money()}) wordt goedgekeurd.\nBesluit RvT-2026-{digits(3)}: het tekort bij "
            f"de pleegzorg ({money()}) wordt gedekt uit de bestemmingsreserve.\nBesluit "
            f"RvT-2026-{digits(3)}: de bestuurder, geboren 1968, wordt herbenoemd tot "
            f"{fmt_date(dt.date(2030, 12, 31), 0)}.\n\n" + signature(me[0], "Bestuurssecretaris")
        )
        add(
            "board_minutes",
            "ordinary",
            sender=me,
            to=[them],
            text=text,
            subject="Besluiten RvT ten behoeve van de jaarrekening",
            note="board decisions: numbers, amounts, a director's birth year",
        )

    # Regional youth monitor by 4-digit postcode area.
    for _ in range(2):
        me, them = staff(), external("regio-foodvalley.example")
        buf = io.StringIO()
        w = csv.writer(buf, delimiter=";")
        w.writerow(["pc4", "jeugdigen_0_17", "meldingen_2026", "ots_lopend"])
        for _ in range(15):
            w.writerow(
                [
                    str(rng.randint(3700, 3999)),
                    rng.randint(500, 4000),
                    rng.randint(5, 120),
                    rng.randint(0, 30),
                ]
            )
        text = (
            f"Beste {them[0].split()[0]},\n\nDe cijfers voor de jeugdmonitor per pc4-gebied "
            f"(aantallen onder 5 zijn afgerond). Peildatum {fmt_date(dt.date(2026, 10, 1), 0)}."
            f"\n\n" + signature(me[0], "Informatieanalist")
        )
        add(
            "youth_monitor",
            "ordinary",
            sender=me,
            to=[them],
            text=text,
            atts=[Att("jeugdmonitor_pc4.csv", "text/csv", buf.getvalue().encode("utf-8"))],
            subject="Jeugdmonitor per pc4",
            where="body, csv",
            note="aggregated figures by 4-digit postcode area",
        )

    # Training attendance list of staff (xlsx with real dates).
    for _ in range(2):
        me, them = staff(), external("skj-register.example")
        rows: list[list[object]] = [["Naam", "Personeelsnr", "Geboortedatum", "Training", "Datum"]]
        for _ in range(8):
            rows.append(
                [
                    fake.name(),
                    int(digits(6)),
                    rdate(1965, 2000),
                    "Meldcode huiselijk geweld",
                    rdate(2026, 2026),
                ]
            )
        text = (
            f"Beste {them[0].split()[0]},\n\nDe presentielijst van de training meldcode "
            f"huiselijk geweld en kindermishandeling, voor de registratie van de "
            f"accreditatiepunten van onze medewerkers.\n\n" + signature(me[0], "Opleidingen")
        )
        add(
            "attendance_list",
            "ordinary",
            sender=me,
            to=[them],
            text=text,
            atts=[
                Att(
                    "presentielijst.xlsx",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    make_xlsx_dates(rows, "dd-mm-yyyy"),
                )
            ],
            subject="Presentielijst training meldcode",
            where="xlsx",
            note="staff attendance list: colleagues' dates of birth (the registry asks for "
            "them) beside 'huiselijk geweld'",
        )


def client_data2() -> None:
    # A client export with real Excel dates and numeric BSNs.
    for _ in range(2):
        me, them = staff(), external("gemeente-amersfoort.example")
        rows: list[list[object]] = [["Cliëntnaam", "BSN", "Geboortedatum", "Product", "Start"]]
        for _ in range(rng.randint(5, 12)):
            name, born, number = child()
            rows.append([name, int(number), born, "Jeugdbescherming OTS", rdate(2024, 2026)])
        text = (
            f"Beste {them[0].split()[0]},\n\nDe export uit het cliëntsysteem voor de "
            f"controle van de toewijzingen.\n\n" + signature(me[0], "Medewerker declaraties")
        )
        add(
            "client_export",
            "client_data",
            sender=me,
            to=[them],
            text=text,
            atts=[
                Att(
                    "export.xlsx",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    make_xlsx_dates(rows, "d-m-yyyy"),
                )
            ],
            subject="Export toewijzingen",
            where="xlsx (typed dates and numbers)",
            detectors=["bsn", "date_of_birth", "case_keywords"],
            note="client export: numeric BSN cells, dates stored as Excel dates",
        )

    # The child's identity only in the Word page header of a report.
    me, them = staff(), external("rvdk.example")
    name, born, number = child()
    add(
        "client_header",
        "client_data",
        sender=me,
        to=[them],
        subject="Rapportage raadsonderzoek",
        text="Geachte heer/mevrouw,\n\nBijgaand onze rapportage.\n\n"
        + signature(me[0], "Jeugdbeschermer"),
        atts=[
            Att(
                "rapportage.docx",
                DOCX,
                make_docx(
                    "Rapportage",
                    [
                        "Het kind verblijft sinds de crisisplaatsing in een pleeggezin.",
                        "Er is sprake van huiselijk geweld tussen de ouders.",
                    ],
                    header=f"{name} | geb. {fmt_date(born, 0)} | BSN {number}",
                ),
            )
        ],
        where="docx page header",
        detectors=["bsn", "date_of_birth", "case_keywords"],
        note="report whose page header carries the child's name, date of birth and BSN",
    )

    # A form PDF with labels and values in separate columns.
    me, them = staff(), external("jeugdhulp-eemland.example")
    name, born, number = child()
    pairs = [
        ("Naam jeugdige", name),
        ("Geboortedatum", fmt_date(born, 0)),
        ("Burgerservicenummer", number),
        ("Maatregel", "Ondertoezichtstelling"),
        ("Adres", f"{fake.street_address()}, {postcode()}"),
    ]
    add(
        "client_columns",
        "client_data",
        sender=me,
        to=[them],
        subject="Verwijzing",
        text=f"Hoi {them[0].split()[0]},\n\nDe verwijzing in de bijlage.\n\n"
        + signature(me[0], "Gezinsvoogd"),
        atts=[
            Att("verwijzing.pdf", "application/pdf", make_pdf_columns("Verwijsformulier", pairs))
        ],
        where="pdf, label and value in columns",
        detectors=["bsn", "date_of_birth", "case_keywords", "postcode"],
        note="referral PDF: labels and values in two columns",
    )

    # English DOB label.
    me, them = staff(), external("youthcare-leuven.example")
    name, born, _ = child()
    add(
        "client_dob_en",
        "client_data",
        sender=me,
        to=[them],
        subject="Case transfer",
        text=(
            f"Dear {them[0].split()[0]},\n\nCase transfer for the foster care placement:\n"
            f"Name: {name}\nDOB: {born:%d/%m/%Y}\nMeasure: family supervision order (OTS)\n\n"
            f"Kind regards,\n{me[0]}\n"
        ),
        detectors=["date_of_birth", "case_keywords"],
        note="English case transfer: the child's name and DOB",
    )

    # Whiteboard-style photo of a planning board (OCR).
    me, them = staff(), external("stichting-lindegaard.example")
    lines = ["Planbord crisisplaatsingen"]
    for _ in range(3):
        name, born, _ = child()
        lines.append(f"{name}  geb. {fmt_date(born, 0)}  pleeggezin")
    add(
        "client_photo",
        "client_data",
        sender=me,
        to=[them],
        shape="plain",
        subject="Foto planbord",
        text=f"Zie foto.\n\n{me[0]}\n",
        atts=[Att("IMG_4521.png", "image/png", text_image(lines, width=1200, size=30))],
        where="image (OCR)",
        detectors=["date_of_birth", "case_keywords"],
        note="photo of a planning board: children's names and dates of birth",
    )


def main() -> None:
    ordinary()
    client_data()
    ordinary2()
    client_data2()
    OUT.mkdir(parents=True, exist_ok=True)
    entries = []
    for index, mail in enumerate(MAILS):
        (OUT / mail.file).write_bytes(build(mail, index))
        rec = recipients(mail)
        entries.append(
            {
                "file": mail.file,
                "from": mail.sender[1],
                "to": [t[1] for t in mail.to],
                "local": mail.local,
                "recipients": rec,
                "category": mail.category,
                "kind": mail.kind,
                "decision": "quarantine"
                if mail.kind == "client_data" and rec != "internal"
                else "accept",
                "detectors": mail.detectors,
                "where": mail.where,
                "note": mail.note,
            }
        )
    head = (
        "# The second blind corpus: written by make_blind2.py (do not edit by hand). Labels are\n"
        "# a careful security officer's reading of each mail, not Postwarden's output.\n"
    )
    body = yaml.safe_dump({"messages": entries}, sort_keys=False, allow_unicode=True, width=100)
    (OUT / "manifest.yaml").write_text(head + body, "utf-8")


if __name__ == "__main__":
    main()
