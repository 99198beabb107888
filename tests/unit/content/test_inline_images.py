"""Inline images: small ones the HTML references by cid: are decoration, the rest is content.

Shapes as the mail clients send them: Outlook (multipart/related, `Content-Disposition: inline;
filename="image001.png"; size=...`), Gmail (`ii_...` content ids, `X-Attachment-Id`), Apple
Mail (the image inline in multipart/mixed between two HTML parts).
"""

from __future__ import annotations

import base64
import io
import struct
import zlib

import pytest
from PIL import Image

from milter.content.config import OcrSettings, ScanConfig
from milter.content.leaf import DECORATION_MAX_BYTES, cid_references, image_dimensions
from milter.content.mime import DECORATIONS_MAX
from milter.content.scan import compile_config

HEAD = (
    "From: a@samen-veilig.nl\r\nTo: b@partner.example\r\nSubject: Afspraak\r\nMIME-Version: 1.0\r\n"
)


def png(size: int, seed: int = 0) -> bytes:
    """A real PNG of about `size` bytes (incompressible pixels, so the size holds)."""
    width = 64
    rows = max(1, size // (width * 3))
    noise = bytearray()
    state = seed * 7919 + 1
    for _ in range(rows * (width * 3 + 1)):
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        noise.append(state >> 16 & 0xFF)
    for row in range(rows):
        noise[row * (width * 3 + 1)] = 0  # filter byte
    ihdr = struct.pack(">IIBBBBB", width, rows, 8, 2, 0, 0, 0)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(bytes(noise), 0))
        + chunk(b"IEND", b"")
    )


def drawn(size: tuple[int, int], kind: str = "PNG") -> bytes:
    """A flat image of `size` pixels as Pillow writes it: a few KiB whatever its size."""
    buf = io.BytesIO()
    Image.new("RGB", size, (240, 240, 240)).save(buf, kind)
    return buf.getvalue()


def image_part(
    data: bytes, cid: str | None, disposition: str = "inline", filename: str | None = None
) -> str:
    """A base64 image part; Outlook-style disposition with file name and size when given."""
    lines = ["Content-Type: image/png"]
    if filename:
        lines[0] += f'; name="{filename}"'
        lines.append(f'Content-Disposition: {disposition}; filename="{filename}"; size={len(data)}')
    elif disposition != "inline":
        lines.append(f"Content-Disposition: {disposition}")
    if cid is not None:
        lines.append(f"Content-ID: <{cid}>")
        if cid.startswith("ii_"):
            lines.append(f"X-Attachment-Id: {cid}")
    lines.append("Content-Transfer-Encoding: base64")
    encoded = base64.encodebytes(data).decode("ascii").replace("\n", "\r\n")
    return "\r\n".join(lines) + "\r\n\r\n" + encoded


def html_part(html: str) -> str:
    return f"Content-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n"


def multipart(kind: str, parts: list[str], boundary: str) -> str:
    body = "".join(f"--{boundary}\r\n{part}\r\n" for part in parts)
    return f'Content-Type: multipart/{kind}; boundary="{boundary}"\r\n\r\n{body}--{boundary}--\r\n'


# OCR off: an image that is content is then unscannable, which is what these tests look for
# (with OCR on, the noise images below are read and found empty; tests/unit/content/test_ocr.py).
NO_OCR = compile_config(ScanConfig(ocr=OcrSettings(enabled=False)))


def scan_unscannable(raw: str) -> tuple[str, ...]:
    """Where the scan (OCR off) found unscannable parts."""
    found = NO_OCR.scan_message((HEAD + raw).encode("utf-8")).by_detector("unscannable")
    return () if found is None else found.where


SIGNATURE = '<p>Met vriendelijke groet,</p><p>Jan</p><img src="cid:{cid}" alt="logo">'


class TestDecoration:
    def test_outlook_logo_with_file_name_in_related_is_decoration(self) -> None:
        """Outlook's image001.png (inline, file name, size=) referenced by cid: is no finding."""
        cid = "image001.png@01DA2B3C.4D5E6F70"
        raw = multipart(
            "related",
            [
                html_part(SIGNATURE.format(cid=cid)),
                image_part(png(6000), cid, filename="image001.png"),
            ],
            "rel",
        )
        assert scan_unscannable(raw) == ()

    def test_gmail_logo_is_decoration(self) -> None:
        """Gmail's ii_ content id, file name and X-Attachment-Id: decoration when referenced."""
        cid = "ii_lq3x9k2a0"
        raw = multipart(
            "alternative",
            [
                "Content-Type: text/plain\r\n\r\nGroet, Jan\r\n",
                multipart(
                    "related",
                    [
                        html_part(SIGNATURE.format(cid=cid)),
                        image_part(png(9000), cid, filename="logo.png"),
                    ],
                    "rel",
                ),
            ],
            "alt",
        )
        assert scan_unscannable(raw) == ()

    def test_apple_mail_inline_image_in_mixed_is_decoration(self) -> None:
        """Apple Mail: html, the inline image, html again in multipart/mixed."""
        cid = "5A3C8F2E-1B2D-4E5F-8A9B-0C1D2E3F4A5B"
        raw = multipart(
            "mixed",
            [
                html_part(f'<div>Tot dinsdag.</div><div><img src="cid:{cid}"></div>'),
                image_part(png(20_000), cid, filename="Logo.png"),
                html_part("<div>Jan</div>"),
            ],
            "mix",
        )
        assert scan_unscannable(raw) == ()

    def test_image_before_the_html_that_references_it(self) -> None:
        """The reference may come after the image: the decision waits for the whole walk."""
        cid = "logo@samen-veilig.nl"
        raw = multipart(
            "related",
            [image_part(png(3000), cid), html_part(SIGNATURE.format(cid=cid))],
            "rel",
        )
        assert scan_unscannable(raw) == ()

    def test_percent_escaped_reference(self) -> None:
        """RFC 2392: the cid: URL may %-escape characters of the Content-ID."""
        raw = multipart(
            "related",
            [html_part('<img src="cid:logo%40org">'), image_part(png(3000), "logo@org")],
            "rel",
        )
        assert scan_unscannable(raw) == ()


class TestContent:
    def test_pasted_screenshot_is_content(self) -> None:
        """An inline image larger than the bound (a pasted screenshot) stays unscannable."""
        cid = "image002.png@01DA2B3C.4D5E6F70"
        raw = multipart(
            "related",
            [
                html_part(SIGNATURE.format(cid=cid)),
                image_part(png(DECORATION_MAX_BYTES + 8000), cid, filename="image002.png"),
            ],
            "rel",
        )
        assert scan_unscannable(raw) == ("attachment 2 (.png file)",)

    def test_unreferenced_inline_image_is_content(self) -> None:
        """A small image with a Content-ID that no HTML part references is not decoration."""
        raw = multipart(
            "related",
            [html_part("<p>Zie bijlage</p>"), image_part(png(3000), "foto@x", filename="foto.png")],
            "rel",
        )
        assert len(scan_unscannable(raw)) == 1

    def test_image_as_attachment_is_content(self) -> None:
        """Content-Disposition: attachment is a file the recipient opens, even when referenced."""
        cid = "scan@x"
        raw = multipart(
            "mixed",
            [
                html_part(f'<img src="cid:{cid}">'),
                image_part(png(3000), cid, disposition="attachment", filename="scan.png"),
            ],
            "mix",
        )
        assert len(scan_unscannable(raw)) == 1

    def test_image_without_content_id_is_content(self) -> None:
        """An inline image without Content-ID cannot be referenced: content."""
        raw = multipart("related", [html_part("<p>Hoi</p>"), image_part(png(3000), None)], "rel")
        assert len(scan_unscannable(raw)) == 1

    def test_more_than_the_bound_of_small_images(self) -> None:
        """Past DECORATIONS_MAX referenced small images, the rest are content again."""
        count = DECORATIONS_MAX + 2
        refs = "".join(f'<img src="cid:i{n}">' for n in range(count))
        parts = [html_part(refs)] + [image_part(png(1500, n), f"i{n}") for n in range(count)]
        assert len(scan_unscannable(multipart("related", parts, "rel"))) == 2


class TestReferences:
    def test_collects_references_case_insensitively(self) -> None:
        """src="cid:..." and CID: in any case, up to the closing quote."""
        html = b"<img src=\"cid:Image001.PNG@01DA\"><img src='CID:ii_abc'>"
        assert cid_references(html) == {"image001.png@01da", "ii_abc"}

    def test_no_reference(self) -> None:
        """HTML without cid: gives nothing."""
        assert cid_references(b"<p>geen plaatjes</p>") == set()


class TestPixels:
    def test_small_file_large_picture_is_content(self) -> None:
        """A pasted screenshot of a case tool (760x320, flat colours) is a few KiB: content."""
        data = drawn((760, 320))
        assert len(data) < 16 * 1024
        cid = "image002.png@01DB7DFA.B1526344"
        raw = multipart(
            "related",
            [html_part(SIGNATURE.format(cid=cid)), image_part(data, cid, filename="image002.png")],
            "rel",
        )
        assert len(scan_unscannable(raw)) == 1

    @pytest.mark.parametrize("size", [(180, 54), (600, 100), (728, 90), (32, 32)])
    def test_logos_icons_and_banners_are_decoration(self, size: tuple[int, int]) -> None:
        """Signature logos, social icons and campaign banners (JPEG too) are decoration."""
        for kind in ("PNG", "JPEG", "GIF"):
            cid = f"logo.{kind}@x"
            raw = multipart(
                "related",
                [html_part(SIGNATURE.format(cid=cid)), image_part(drawn(size, kind), cid)],
                "rel",
            )
            assert scan_unscannable(raw) == (), (size, kind)

    @pytest.mark.parametrize("kind", ["PNG", "JPEG", "GIF", "BMP"])
    def test_dimensions_from_the_header(self, kind: str) -> None:
        """Width and height are read from PNG, JPEG, GIF and BMP headers."""
        assert image_dimensions(drawn((123, 45), kind)) == (123, 45)

    def test_unknown_dimensions_are_content(self) -> None:
        """An image whose size cannot be read is never decoration."""
        assert image_dimensions(b"\xff\xd8\xff\xe0\x00\x10JFIF") is None
        buf = io.BytesIO()
        Image.new("RGB", (20, 20)).save(buf, "WEBP")
        assert image_dimensions(buf.getvalue()) is None
