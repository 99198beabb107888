"""text -- transfer encodings, charsets and encoded headers, without ever raising.

- `transfer_decode`: base64 (lenient: stray characters skipped, missing padding added, chunks
  after an early '=' decoded too), quoted-printable (soft line breaks removed *before* any
  detector runs, so '1112=\\n22333' is read as 111222333), 7bit/8bit/binary as they are.
  `transfer_decode_span` reads a part of the spool in place (no copy of the encoded part).
  Base64 whose only '=' are its final padding goes through pybase64 (SIMD, ~6x binascii's
  speed), else through binascii, else the lenient reader; property tests check that all three
  read the same bytes.
- `to_utf8`: the declared charset if Python knows it as a text codec, else UTF-8, else
  windows-1252; undecodable bytes become U+FFFD.  Text declared UTF-8 (or undeclared) whose
  first 256 KiB are valid UTF-8 is passed through as it is, without a copy or a full
  validation (the fast path for most mail; a stray bad byte later only fails to match an
  accented keyword).  UTF-8 with some broken bytes keeps its good characters; text that is
  really a 1-byte charset is read as windows-1252.
- `decode_header`: RFC 2047 encoded words with the same charset fallbacks.

Refuses: nothing -- every input gives some text.
"""

from __future__ import annotations

import binascii
import codecs
import email.errors
import email.header
import mmap
import re
from email.header import Header

import pybase64

# What the stdlib raises on malformed header parameters: RFC 2231 pieces mixed with a whole
# value ('boundary*=b; boundary*0=b') make email.utils.decode_params compare int with None
# (TypeError), bad charsets and percent escapes the others.
PARAM_ERRORS = (ValueError, LookupError, UnicodeError, TypeError, IndexError, AttributeError)

_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
_B64_DELETE = bytes(b for b in range(256) if b not in _B64_ALPHABET)
UTF8_SAMPLE = 256 * 1024
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}")
_UTF8_NAMES = frozenset({"utf-8", "utf8", "us-ascii", "ascii", "", "unknown-8bit", "x-unknown"})


# pybase64 is used (tests switch this off to compare with binascii alone).
_simd = True
_PAD_OR_SPACE = b"= \t\r\n"
_TAIL = 256


def _padding_only_at_end(buf: bytes | mmap.mmap, start: int, end: int) -> bool:
    """True when every '=' in buf[start:end] is in its final run of padding and white space."""
    end = min(end, len(buf))
    while end > start:  # the final run, read backwards a little at a time (no copy of the part)
        cut = max(start, end - _TAIL)
        kept = buf[cut:end].rstrip(_PAD_OR_SPACE)
        if kept:
            end = cut + len(kept)
            break
        end = cut
    return buf.find(b"=", start, end) < 0


def decode_base64(data: bytes | memoryview) -> bytes:
    """Base64 as mail clients read it: skip non-alphabet bytes, tolerate bad padding."""
    if isinstance(data, memoryview):
        data = data.tobytes()
    return _decode_base64(data, b"=" not in data.rstrip(_PAD_OR_SPACE))


def _decode_base64(data: bytes | memoryview, padding_only_at_end: bool) -> bytes:
    if padding_only_at_end:
        # The usual part: padding at most at the end.  Both decoders skip line breaks and
        # other non-alphabet bytes themselves (no cleaned copy); what they refuse goes the
        # lenient way.
        if _simd:
            try:
                return pybase64.b64decode(data)
            except (binascii.Error, ValueError):
                pass
        try:
            return binascii.a2b_base64(data)
        except binascii.Error:
            pass
    return _lenient_base64(bytes(data))


def _lenient_base64(data: bytes) -> bytes:
    clean = data.translate(None, _B64_DELETE)
    if b"=" in clean.rstrip(b"="):
        return b"".join(_lenient_base64(chunk) for chunk in clean.split(b"=") if chunk)
    clean = clean.rstrip(b"=")
    usable = len(clean) - len(clean) % 4
    tail = clean[usable:]
    out = binascii.a2b_base64(clean[:usable]) if usable else b""
    if len(tail) >= 2:
        out += binascii.a2b_base64(tail + b"=" * (4 - len(tail)))
    return out


def transfer_decode(data: bytes | memoryview, encoding: str) -> bytes:
    """Undo a Content-Transfer-Encoding; unknown encodings are read as they are."""
    encoding = encoding.strip().lower()
    if encoding == "base64":
        return decode_base64(data)
    if encoding == "quoted-printable":
        return binascii.a2b_qp(data)
    return bytes(data)


def transfer_decode_span(buf: bytes | mmap.mmap, start: int, end: int, encoding: str) -> bytes:
    """`transfer_decode(buf[start:end], encoding)` without copying the encoded part first."""
    encoding = encoding.strip().lower()
    if encoding not in ("base64", "quoted-printable"):
        return buf[start:end]
    with memoryview(buf) as whole, whole[start:end] as view:
        if encoding == "base64":
            return _decode_base64(view, _padding_only_at_end(buf, start, end))
        return binascii.a2b_qp(view)


def _codec(charset: str | None) -> str | None:
    if not charset:
        return None
    try:
        info = codecs.lookup(charset.strip().strip('"').lower())
    except (LookupError, ValueError):
        return None
    if not getattr(info, "_is_text_encoding", True):
        return None  # 'base64_codec', 'zlib', ... are not charsets
    return info.name


def to_utf8(data: bytes, charset: str | None) -> bytes:
    """`data` in charset `charset` as UTF-8 bytes; never raises."""
    name = (charset or "").strip().strip('"').lower()
    if name in _UTF8_NAMES or _codec(name) in ("utf-8", "ascii"):
        if data.isascii():
            return data
        sample = data[:UTF8_SAMPLE]
        try:
            codecs.getincrementaldecoder("utf-8")().decode(sample, final=len(data) <= UTF8_SAMPLE)
            return data  # valid where we looked: passed on as it is, without a copy
        except UnicodeDecodeError:
            if _UTF8_SEQUENCE.search(sample):  # UTF-8 with a few broken bytes
                return data.decode("utf-8", "replace").encode("utf-8")
            return data.decode("cp1252", "replace").encode("utf-8")  # really a 1-byte charset
    return to_str(data, charset).encode("utf-8", "replace")


def to_str(data: bytes, charset: str | None) -> str:
    """`data` in charset `charset` as text; unknown charsets fall back to UTF-8, then cp1252."""
    codec = _codec(charset)
    if codec is not None and codec not in ("utf-8", "ascii"):
        try:
            return data.decode(codec, "replace")
        except (LookupError, ValueError):  # codecs that dislike the input despite 'replace'
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def decode_header(value: str | Header | None) -> str:
    """A header value with its RFC 2047 encoded words decoded; never raises."""
    if value is None:
        return ""
    try:
        chunks = email.header.decode_header(value)
    except (ValueError, LookupError, binascii.Error, AssertionError, email.errors.MessageError):
        return str(value)  # HeaderParseError (bad base64 in an encoded word) included
    out: list[str] = []
    for chunk, charset in chunks:
        if isinstance(chunk, bytes):
            out.append(to_str(chunk, charset))
        else:
            out.append(chunk)
    joined = "".join(out) if any(c for _, c in chunks) else " ".join(out)
    return " ".join(joined.split())
