"""archive -- zip files (and the zip containers of docx/xlsx/pptx/odt): bounded reading.

Every member is one more part (max_parts), is read through a size cap (the smaller of
max_attachment_bytes and what is left of max_decompressed_bytes, so a zip bomb stops after the
cap, whatever the headers claim), and is handed back to the attachment inspector one level
deeper (max_depth) -- so a zip in a zip is read, and a pdf in a zip is read.

Refuses: encrypted members (unscannable 'password-protected zip'), damaged archives and members
('damaged zip', 'damaged zip member'), compression methods the stdlib lacks ('unsupported zip
compression').
"""

from __future__ import annotations

import io
import lzma
import struct
import zipfile
import zlib
from collections.abc import Callable

from milter.content.formats import Unscannable
from milter.content.names import safe_name
from milter.content.sink import Sink

MemberInspector = Callable[[str, bytes, str, int], None]  # (name, data, where, depth)

_MEMBER_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,
    ValueError,
    struct.error,
)


def open_zip(data: bytes) -> zipfile.ZipFile:
    """The zip archive in `data`; Unscannable('damaged zip') when it is not readable."""
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (*_MEMBER_ERRORS, NotImplementedError, RuntimeError) as exc:
        raise Unscannable("damaged zip") from exc


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes | None:
    """Up to `cap` bytes of member `info`; None when it is longer.  Raises Unscannable."""
    if info.flag_bits & 0x1:
        raise Unscannable("password-protected zip")
    try:
        with archive.open(info) as member:
            content = member.read(cap + 1)
    except NotImplementedError as exc:
        raise Unscannable("unsupported zip compression") from exc
    except RuntimeError as exc:  # zipfile: 'File ... is encrypted, password required'
        raise Unscannable("password-protected zip") from exc
    except _MEMBER_ERRORS as exc:
        raise Unscannable("damaged zip member") from exc
    return None if len(content) > cap else content


def member_cap(sink: Sink) -> int:
    """How many bytes the next member may decompress to."""
    return min(sink.limits.max_attachment_bytes, sink.decompressed_left())


def walk_zip(data: bytes, where: str, depth: int, sink: Sink, inspect: MemberInspector) -> None:
    """Hand every member of the zip `data` to `inspect`; report what cannot be read."""
    archive = open_zip(data)
    protected_members = 0
    with archive:
        number = 0
        for info in archive.infolist():
            if info.is_dir():
                continue
            number += 1
            name = info.filename.rsplit("/", 1)[-1] or info.filename
            member_where = f"{where}/member {number} {safe_name(info.filename)}"
            if not sink.take_part(member_where):
                return
            sink.text(
                f"{member_where} (file name)", info.filename.encode("utf-8", "replace"), header=True
            )
            if info.flag_bits & 0x1:
                protected_members += 1
                continue
            cap = member_cap(sink)
            try:
                content = read_member(archive, info, cap)
            except Unscannable as exc:
                sink.unscannable(member_where, exc.reason)
                continue
            if content is None:
                limit = (
                    "max_decompressed_bytes exceeded"
                    if cap < sink.limits.max_attachment_bytes
                    else "max_attachment_bytes exceeded"
                )
                sink.truncated(member_where, limit)
                if cap < sink.limits.max_attachment_bytes:
                    return
                continue
            sink.spend_decompressed(len(content))
            inspect(name, content, member_where, depth + 1)
    if protected_members:
        sink.unscannable(where, "password-protected zip")
