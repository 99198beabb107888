"""Images and scans for the OCR tests, drawn with Pillow in DejaVu Sans (fonts-dejavu-core).

Text is drawn at screen size (15 px, as in a case tool's window) for screenshots, and at
300 dpi print size for scans. The BSNs pass the 11-proef and are not the well-known test numbers.
"""

from __future__ import annotations

import io
import random
import struct
import zlib
from email.message import EmailMessage

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
BSN = "231547821"  # passes the 11-proef
CLIENT_FILE = [
    "Cliëntdossier - Jeugdbescherming Midden",
    "Naam: Sanne de Vries",
    f"BSN: {BSN}",
    "Geboortedatum: 14-02-2012",
    "Gezinsvoogd: P. Jansen",
]
ORDINARY = ["Agenda teamoverleg", "1. Opening", "2. Planning voorjaar", "3. Rondvraag"]


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT, size)


def screenshot(lines: list[str] = CLIENT_FILE, size: tuple[int, int] = (1280, 800)) -> Image.Image:
    """A case-tool window: title bar, then `lines` in 15 px text on white."""
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, size[0], 32), fill=(225, 230, 240))
    font = _font(15)
    for i, line in enumerate(lines):
        draw.text((40, 60 + i * 28), line, font=font, fill=(20, 20, 20))
    return img


def page(lines: list[str] = CLIENT_FILE) -> Image.Image:
    """An A4 page scanned at 300 dpi: 11 pt text (46 px), slightly grey paper."""
    img = Image.new("L", (2480, 3508), 245)
    draw = ImageDraw.Draw(img)
    font = _font(46)
    for i, line in enumerate(lines):
        draw.text((250, 300 + i * 80), line, font=font, fill=25)
    return img


def photo(size: tuple[int, int] = (1600, 1200), seed: int = 7) -> Image.Image:
    """A picture without text: soft coloured shapes and sensor noise, like a holiday photo."""
    rng = random.Random(seed)
    img = Image.new("RGB", size, (110, 150, 200))
    draw = ImageDraw.Draw(img)
    for _ in range(40):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        r = rng.randrange(40, 300)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    noise = Image.effect_noise(size, 24).convert("RGB")
    return Image.blend(img, noise, 0.15)


def phone_photo(upright: Image.Image) -> bytes:
    """A JPEG as a phone held upright stores it: pixels sideways, EXIF orientation 6."""
    exif = Image.Exif()
    exif[0x0112] = 6
    return encode(upright.rotate(90, expand=True), "JPEG", quality=85, exif=exif)


def encode(img: Image.Image, fmt: str, **kwargs: object) -> bytes:
    out = io.BytesIO()
    img.save(out, fmt, **kwargs)
    return out.getvalue()


def scanned_pdf(pages: list[Image.Image]) -> bytes:
    """An image-only PDF (no text layer), as a scanner or 'print to PDF' of a scan makes."""
    out = io.BytesIO()
    pages[0].save(out, "PDF", resolution=300.0, save_all=True, append_images=pages[1:])
    return out.getvalue()


def mixed_pdf(typed: list[str], scan: Image.Image) -> bytes:
    """A typed cover letter (real text layer, reportlab) followed by a scanned page (image)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    for i, line in enumerate(typed):
        pdf.drawString(72, 770 - i * 16, line)
    pdf.showPage()
    pdf.drawImage(ImageReader(scan), 0, 0, width=A4[0], height=A4[1])
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims width x height pixels (a pixel bomb): header and one empty IDAT."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def mail(
    *attachments: tuple[bytes, str, str],
    to: str = "jeugdarts@ziekenhuis.example",
    body: str = "Zie bijlage.",
) -> bytes:
    """A message from the organisation with `attachments` (data, mime type, file name)."""
    msg = EmailMessage()
    msg["From"] = "medewerker@samen-veilig.nl"
    msg["To"] = to
    msg["Subject"] = "Stukken"
    msg.set_content(body)
    for data, ctype, name in attachments:
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()
