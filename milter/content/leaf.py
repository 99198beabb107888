"""leaf -- what one non-multipart part contains, and what of it is text.

Order of questions for a part (or an archive member):
1. Signatures, keys, PGP control parts: nothing to read.
2. The first bytes (after transfer decoding) decide over the declared type: audio (voicemail),
   images and video are unscannable with their reason, whatever the Content-Type claims --
   except images when the scan has an OCR reader (sink.ocr): those are read by OCR
   (formats/ocr.py) and their text is scanned as found at '<where> (read by OCR)'; what OCR
   cannot read is unscannable ('image: <why>').  A PDF without a text layer likewise.
3. Too large (max_attachment_bytes): text parts are scanned up to the limit, others not at all;
   both are reported as truncated.
4. S/MIME (application/(x-)pkcs7-mime, .p7m): enveloped -> protected; signed -> the signed
   content is unwrapped (tiny DER walker) and walked as a message; other CMS -> unscannable.
5. PGP: .pgp/.gpg files are protected; armored text has its real PGP blocks cut out.
6. PDF (pdf_simple, else PDFium), docx/xlsx/pptx/odf (their XML), zip (recursed), rtf (control
   words dropped).
7. text/html (html.parser), other text/* and text-like attachments (txt, csv, ics, vcf, ...),
   and application/octet-stream that reads as text; a .eml attachment is walked as a message.
8. Anything else: unscannable ('binary attachment (unknown type)', 'legacy Office document',
   'archive format not supported', 'TNEF (winmail.dat)').

Refuses: nothing; the reasons above are the only strings that leave this module.
"""

from __future__ import annotations

import re
import zipfile
from email.message import Message
from typing import TYPE_CHECKING
from urllib.parse import unquote

import milter.content.crypto as crypto
import milter.content.der as der
from milter.content._re2 import compile_re2, first_match
from milter.content.findings import OCR_WHERE_SUFFIX
from milter.content.formats import NoTextLayer, Unscannable
from milter.content.formats.archive import member_cap, open_zip, read_member, walk_zip
from milter.content.formats.html import html_to_utf8, mark_signatures, meta_charset
from milter.content.formats.ooxml import native_document_text, office_kind, office_text
from milter.content.formats.pdf import ScannedPages, pdf_text
from milter.content.formats.sniff import AUDIO, IMAGE, looks_textual, sniff
from milter.content.formats.text import (
    PARAM_ERRORS,
    to_str,
    to_utf8,
    transfer_decode,
    transfer_decode_span,
)

if TYPE_CHECKING:
    from milter.content.mime import Buffer, Walker

AUDIO_REASON = "audio (voicemail?) — cannot be inspected"
# An inline image referenced from HTML within these bounds is a logo, icon or banner, not
# content (mime.py).  Bytes alone do not tell: a pasted screenshot of a case tool (flat colours)
# is a 7 KiB PNG.  Pixels do: signature logos are ~180x54 (Outlook, Apple Mail, Gmail), social
# icons 32x32, campaign banners 600x100 and 728x90; a screenshot with a few lines of a client
# file is 300 px high or more.  An image whose size cannot be read is content.
DECORATION_MAX_BYTES = 64 * 1024
DECORATION_MAX_HEIGHT = 200
DECORATION_MAX_PIXELS = 80_000
SNIFF_BYTES = 64
OCR_FORMATS = frozenset({"png", "jpeg", "gif", "tiff", "bmp", "webp"})

NOTHING_TO_READ = frozenset({
    "application/pkcs7-signature", "application/x-pkcs7-signature", "application/pgp-signature",
    "application/pgp-keys", "application/pgp-encrypted",
})  # fmt: skip
PKCS7 = frozenset({"application/pkcs7-mime", "application/x-pkcs7-mime"})
TEXT_EXTENSIONS = frozenset(
    [
        "txt",
        "csv",
        "tsv",
        "ics",
        "vcf",
        "vcard",
        "xml",
        "json",
        "md",
        "log",
        "tab",
        "text",
        "ini",
        "yaml",
        "yml",
        "sql",
    ]
)
HTML_EXTENSIONS = frozenset({"htm", "html", "xhtml"})
_MESSAGE_START = re.compile(
    rb"(?:From |Return-Path:|Received:|Date:|From:|Message-ID:|MIME-Version:|Subject:)", re.I
)
_IMAGE_XOBJECT = re.compile(rb"/Subtype\s*/Image\b")
_RTF_CONTROL = re.compile(rb"\\[a-zA-Z]+-?\d* ?|\\'[0-9a-fA-F]{2}|\\[^a-zA-Z]|[{}]")


def _extension(name: str | None) -> str:
    if not name or "." not in name:
        return ""
    return name.rsplit(".", 1)[1].strip().lower()


# cid: references or signature markup somewhere in an HTML part (then look for them)
_HTML_HINT = first_match(compile_re2(r"(?i)(?:cid:|signature|_mailautosig)", latin1=True))
_CID_REF = re.compile(rb"""cid:([^\s"'<>)]{1,200})""", re.IGNORECASE)


def cid_references(data: bytes) -> set[str]:
    """The 'cid:' references in HTML bytes (lower case, %-escapes decoded: RFC 2392)."""
    return {
        unquote(found.group(1).decode("utf-8", "replace")).strip().lower()
        for found in _CID_REF.finditer(data)
    }


def is_decoration(headers: Message, buf: Buffer, start: int, end: int) -> bool:
    """Could be decoration: inline (no 'attachment' disposition), an image, small enough.

    Whether the HTML references it is settled at the end of the walk (Walker.finish).
    """
    disposition = str(headers.get("content-disposition", "")).split(";", 1)[0]
    if disposition.strip().lower() == "attachment":
        return False
    cte = str(headers.get("content-transfer-encoding", "")).strip().lower()
    size = (end - start) * 3 // 4 if cte == "base64" else end - start
    if size > DECORATION_MAX_BYTES:
        return False
    data = transfer_decode_span(buf, start, end, cte)
    kind = sniff(data[:SNIFF_BYTES])
    if kind is None or kind[0] != IMAGE:
        return False
    dimensions = image_dimensions(data)
    if dimensions is None:
        return False
    width, height = dimensions
    return 0 < height <= DECORATION_MAX_HEIGHT and width * height <= DECORATION_MAX_PIXELS


_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}  # frame headers (not DHT/JPG/DAC)


def image_dimensions(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG, GIF, JPEG or BMP header; None for anything else."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    if data[:2] == b"BM" and len(data) >= 26:
        width = int.from_bytes(data[18:22], "little", signed=True)
        height = int.from_bytes(data[22:26], "little", signed=True)
        return abs(width), abs(height)
    if data[:2] == b"\xff\xd8":
        pos = 2
        while pos + 9 <= len(data):
            if data[pos] != 0xFF:
                return None
            marker = data[pos + 1]
            if marker == 0xFF:  # fill byte
                pos += 1
                continue
            if marker in _JPEG_SOF:
                height = int.from_bytes(data[pos + 5 : pos + 7], "big")
                width = int.from_bytes(data[pos + 7 : pos + 9], "big")
                return width, height
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                pos += 2
                continue
            pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
    return None


def inspect(
    walker: Walker,
    headers: Message,
    buf: Buffer,
    start: int,
    end: int,
    where: str,
    depth: int,
    ctype: str,
    filename: str | None,
) -> None:
    """Decode the part at buf[start:end] and report its text or why it has none."""
    if ctype in NOTHING_TO_READ:
        return
    sink = walker.sink
    cte = str(headers.get("content-transfer-encoding", "")).strip().lower()
    size = end - start
    estimated = size * 3 // 4 if cte == "base64" else size
    head = transfer_decode(bytes(buf[start : min(end, start + 4096)]), cte)
    limit = walker.limits.max_attachment_bytes
    if walker.sink.ocr is not None and _ocr_readable(head):
        if estimated > limit:
            sink.unscannable(where, "image larger than max_attachment_bytes: not read by OCR")
        else:
            read_image(walker, transfer_decode_span(buf, start, end, cte), where)
        return
    if _unscannable_by_magic(walker, head, where):
        return
    if estimated > limit:
        sink.truncated(where, "max_attachment_bytes exceeded")
        if ctype.startswith("text/") and ctype != "text/html":
            raw_cut = limit * 4 // 3 + 4 if cte == "base64" else limit
            data = transfer_decode_span(buf, start, start + raw_cut, cte, sink.fast_paths)[:limit]
            emit_text(walker, where, to_utf8(data, _charset(headers)), None)
        return
    data = transfer_decode_span(buf, start, end, cte, sink.fast_paths)  # no copy of the part
    inspect_content(walker, data, ctype, _charset(headers), filename, where, depth)


def _charset(headers: Message) -> str | None:
    try:
        return headers.get_content_charset()
    except PARAM_ERRORS:  # a charset that does not decode: the text fallbacks apply
        return None


def _ocr_readable(head: bytes) -> bool:
    """An image in a format OCR reads (HEIC is not: Pillow has no decoder for it)."""
    kind = sniff(head[:SNIFF_BYTES])
    return kind is not None and kind[0] == IMAGE and kind[1] in OCR_FORMATS


def read_image(walker: Walker, data: bytes, where: str) -> None:
    """OCR the image `data`: its text is scanned as text found at '<where> (read by OCR)'."""
    ocr = walker.sink.ocr
    assert ocr is not None
    try:
        text = ocr.image(data)
    except Unscannable as exc:
        walker.sink.unscannable(where, f"image: {exc.reason}")
        return
    _ocr_text(walker, where, text)


def read_decoration(
    walker: Walker, headers: Message, buf: Buffer, start: int, end: int, where: str
) -> None:
    """A small inline image counted as decoration: read by OCR too, best effort (a small
    pasted screenshot of a client file looks like a logo in size)."""
    if walker.sink.ocr is None or not walker.sink.ocr.settings.inline_images:
        return
    cte = str(headers.get("content-transfer-encoding", "")).strip().lower()
    try:
        text = walker.sink.ocr.decoration(transfer_decode_span(buf, start, end, cte))
    except Unscannable as exc:
        walker.sink.unscannable(where, f"image: {exc.reason}")
        return
    _ocr_text(walker, where, text)


def _ocr_text(walker: Walker, where: str, text: str) -> None:
    ocr = walker.sink.ocr
    assert ocr is not None
    if text.strip():
        ocr.read.append(where)
        walker.sink.text(where + OCR_WHERE_SUFFIX, text.encode("utf-8", "replace"))


def _unscannable_by_magic(walker: Walker, head: bytes, where: str) -> bool:
    kind = sniff(head[:SNIFF_BYTES])
    if kind is None:
        return False
    family = kind[0]
    if family == AUDIO:
        walker.sink.unscannable(where, AUDIO_REASON)
    elif family == IMAGE:
        walker.sink.unscannable(where, "image")
    elif family == "video":
        walker.sink.unscannable(where, "video")
    else:
        return False
    return True


def inspect_content(
    walker: Walker,
    data: bytes,
    ctype: str,
    charset: str | None,
    filename: str | None,
    where: str,
    depth: int,
) -> None:
    """Report the text of decoded content `data` (a part, or an archive member)."""
    sink = walker.sink
    extension = _extension(filename)
    if ctype in NOTHING_TO_READ or extension in ("p7s", "sig"):
        return
    if not data or data.isspace():  # (strip() would copy the whole part)
        return
    if walker.sink.ocr is not None and _ocr_readable(data[:SNIFF_BYTES]):
        read_image(walker, data, where)
        return
    if _unscannable_by_magic(walker, data[:SNIFF_BYTES], where):
        return
    if ctype in PKCS7 or extension in ("p7m", "p7c"):
        _smime(walker, data, where, depth)
        return
    if ctype == "application/ms-tnef" or (filename or "").lower() == "winmail.dat":
        sink.unscannable(where, "TNEF (winmail.dat)")
        return
    if extension in ("pgp", "gpg"):
        sink.protected(where)
        return
    kind = sniff(data[:SNIFF_BYTES])
    try:
        if kind == ("document", "pdf"):
            _pdf(walker, data, where)
        elif kind == ("archive", "zip"):
            _zip(walker, data, where, depth)
        elif kind == ("document", "ole2"):
            sink.unscannable(where, "legacy or encrypted Office document")
        elif kind is not None and kind[0] == "archive":
            sink.unscannable(where, f"archive format not supported ({kind[1]})")
        elif kind == ("document", "rtf"):
            emit_text(walker, where, _RTF_CONTROL.sub(b" ", data), None)
        elif ctype in ("message/rfc822", "message/global") or (
            extension == "eml" or (not ctype.startswith("text/") and _looks_like_message(data))
        ):
            _message(walker, data, where, depth)
        elif ctype == "text/html" or extension in HTML_EXTENSIONS:
            markup = to_str(data, charset or meta_charset(data))
            if _HTML_HINT(data, 0, len(data))[0][0] >= 0:  # one RE2 pass instead of several
                walker.cid_refs.update(cid_references(data))
                markup = mark_signatures(markup)
            emit_text(walker, where, html_to_utf8(markup), None)
        elif (
            ctype.startswith("text/") or extension in TEXT_EXTENSIONS or looks_textual(data[:8192])
        ):
            emit_text(walker, where, data, charset)
        else:
            sink.unscannable(where, "binary attachment (unknown type)")
    except Unscannable as exc:
        sink.unscannable(where, exc.reason)


def _looks_like_message(data: bytes) -> bool:
    head = data[:2048]
    return bool(_MESSAGE_START.match(head)) and b"\n\n" in head.replace(b"\r\n", b"\n")


def _message(walker: Walker, data: bytes, where: str, depth: int) -> None:
    if depth + 1 > walker.limits.max_depth:
        walker.sink.truncated(where, "max_depth exceeded")
        return
    walker.walk_message(data, 0, len(data), f"{where}/", depth + 1)


def emit_text(walker: Walker, where: str, data: bytes, charset: str | None) -> None:
    """Hand text to the sink: as UTF-8, with real inline-PGP blocks cut out as protected."""
    text = to_utf8(data, charset)
    text, blocks = crypto.split_inline_pgp(text)
    if blocks:
        walker.sink.protected(where)
    walker.sink.text(where, text)


def _smime(walker: Walker, data: bytes, where: str, depth: int) -> None:
    sink = walker.sink
    try:
        cms = crypto.classify_cms(data)
    except (der.DerError, IndexError, ValueError):
        sink.unscannable(where, "damaged S/MIME data")
        return
    if cms.kind == crypto.PROTECTED:
        sink.protected(where)
    elif cms.kind == crypto.SIGNED:
        if cms.content is not None:
            _message(walker, cms.content, where, depth)
    else:
        sink.unscannable(where, "S/MIME content of unknown type")


def _pdf(walker: Walker, data: bytes, where: str) -> None:
    scans = ScannedPages()
    try:
        text, cut = pdf_text(data, walker.limits.max_total_bytes, scanned=scans)
    except NoTextLayer:
        ocr = walker.sink.ocr
        if ocr is None:
            raise
        text, cut = ocr.pdf(data)  # a scan: its pages are read by OCR
        _ocr_text(walker, where, text)
        if cut is not None:
            walker.sink.unscannable(where, f"scanned pdf: {cut}")
        return
    ocr = walker.sink.ocr
    if ocr is not None and (scans.pages if scans.known else _IMAGE_XOBJECT.search(data)):
        # Text on some pages, scanned pages among them (a typed letter with a scanned form)?
        # The text pass has usually found them on the way (then OCR looks at no other page);
        # else, image XObjects are streams, never inside compressed object streams: their
        # dictionaries are plain bytes, so one regex finds whether there are any.
        try:
            scanned, scan_cut = ocr.pdf(
                data, scanned_pages_only=True, pages=scans.pages if scans.known else None
            )
        except Unscannable as exc:
            walker.sink.unscannable(where, f"scanned pdf: {exc.reason}")
        else:
            _ocr_text(walker, where, scanned)
            if scan_cut is not None:
                walker.sink.unscannable(where, f"scanned pdf: {scan_cut}")
    if cut is not None:
        walker.sink.truncated(where, cut)
    walker.sink.text(where, text.encode("utf-8", "replace"))


def _zip(walker: Walker, data: bytes, where: str, depth: int) -> None:
    sink = walker.sink
    text = native_document_text(data, sink, walker.limits.max_total_bytes)
    if text is not None:  # an office document, read natively (None: the Python path below)
        sink.text(where, text.encode("utf-8", "replace"))
        return
    archive = open_zip(data)
    names = set(archive.namelist())
    kind = office_kind(names)
    if kind is not None:
        with archive:

            def read(info: zipfile.ZipInfo) -> bytes | None:
                content = read_member(archive, info, member_cap(sink))
                if content is not None:
                    sink.spend_decompressed(len(content))
                return content

            text = office_text(archive, kind, read, walker.limits.max_total_bytes)
        walker.sink.text(where, text.encode("utf-8", "replace"))
        return
    archive.close()
    if depth + 1 > walker.limits.max_depth:
        sink.truncated(where, "max_depth exceeded")
        return

    def member(name: str, content: bytes, member_where: str, member_depth: int) -> None:
        inspect_content(
            walker, content, "application/octet-stream", None, name, member_where, member_depth
        )

    walk_zip(data, where, depth, sink, member)
