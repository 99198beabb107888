"""sniff -- what a file really is, from its first bytes, whatever its declared type says.

Voicemail recordings leave the phone exchange as application/octet-stream; what matters is the
magic: ID3 tags or an MPEG audio frame sync (mp3), RIFF....WAVE (wav), ftyp M4A/M4B/3gp (m4a,
3gp), '#!AMR' (amr), OggS (ogg/opus), fLaC (flac), the ASF header (wma).  Images, PDF, zip
(and the OOXML formats inside), OLE2 (old Office, .msg), and a few archives are recognised too.

With the native content core (content.native) `sniff` runs natively (milter/native/src/
mime.rs), the same tests in the same order: the leaf asks it several times a part; `sniff_python`
is the reference and the code without the core (tests/unit/content/test_native_mime.py).

Refuses: nothing; unknown bytes are `None`.
"""

from __future__ import annotations

import milter.content.native as native

AUDIO = "audio"
IMAGE = "image"

_ASF = bytes.fromhex("3026B2758E66CF11A6D900AA0062CE6C")


def _mp3_frame(head: bytes) -> bool:
    """An MPEG audio frame header: 11 sync bits, valid version, layer, bitrate and rate."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version = (head[1] >> 3) & 0x3
    layer = (head[1] >> 1) & 0x3
    bitrate = head[2] >> 4
    rate = (head[2] >> 2) & 0x3
    return version != 1 and layer != 0 and bitrate not in (0, 15) and rate != 3


def sniff(head: bytes) -> tuple[str, str] | None:
    """(family, name) of the content starting with `head`, e.g. ('audio', 'mp3'), or None."""
    fast = native.sniff
    if fast is not None:
        return fast(head)
    return sniff_python(head)


def sniff_python(head: bytes) -> tuple[str, str] | None:
    """`sniff` in Python: the reference, and the code without the native core."""
    if head.startswith(b"ID3") or _mp3_frame(head):
        return AUDIO, "mp3"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return AUDIO, "wav"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return IMAGE, "webp"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"M4A ", b"M4B ", b"M4P ") or brand.startswith(b"3g"):
            return AUDIO, "m4a" if brand.startswith(b"M4") else "3gp"
        if brand in (b"heic", b"heix", b"mif1", b"avif"):
            return IMAGE, "heic"
        return "video", "mp4"
    if head.startswith((b"#!AMR", b"#!AMR-WB")):
        return AUDIO, "amr"
    if head.startswith(b"OggS"):
        return AUDIO, "ogg"
    if head.startswith(b"fLaC"):
        return AUDIO, "flac"
    if head.startswith(_ASF):
        return AUDIO, "wma"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return IMAGE, "png"
    if head.startswith(b"\xff\xd8\xff"):
        return IMAGE, "jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return IMAGE, "gif"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return IMAGE, "tiff"
    if head.startswith(b"BM") and len(head) >= 14 and head[6:10] == b"\x00\x00\x00\x00":
        return IMAGE, "bmp"
    if head.startswith(b"%PDF-"):
        return "document", "pdf"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return "archive", "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "document", "ole2"
    if head.startswith(b"Rar!\x1a\x07"):
        return "archive", "rar"
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "archive", "7z"
    if head.startswith(b"\x1f\x8b"):
        return "archive", "gzip"
    if head.startswith(b"{\\rtf"):
        return "document", "rtf"
    return None


def looks_textual(head: bytes) -> bool:
    """True when `head` reads as text: no NUL bytes, and UTF-8 or almost all printable."""
    if not head or b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:  # a character cut at the end of the sample
            return True
    printable = sum(1 for b in head if b >= 0x20 or b in (9, 10, 13))
    return printable >= 0.97 * len(head)
