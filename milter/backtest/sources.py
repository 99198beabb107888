"""sources -- the messages of a backtest: mbox, Maildir, directory of .eml files, Postfix queue.

`detect(path)` names the kind of a source; `locate(path)` yields one `Locator` per message
(where it is, never its bytes), streaming: an mbox is read line by line for its message
boundaries, directories are walked in sorted order, so nothing grows with the number of
messages.  `load(locator, limit)` reads one message's bytes (at most `limit` + 1, so the
scanner can say "truncated") and, for a queue file, its real envelope.

Postfix queue files are read here, in Postfix's record format (type byte, length in 7-bit
groups, data), not through ``postcat``: postcat needs Postfix's configuration and, for a copy
of a queue directory, root, and its output mixes its own markers with the message lines.  The
reader follows pointer records (how cleanup links in headers a milter added), skips deleted
and delivered recipients, and refuses a file that ends without its end record.

Refuses: a source that is none of the four kinds (`SourceError`, naming it); a message that
cannot be read (`MessageError`, with a fixed reason: it is counted and listed, the run goes on).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, Literal

from milter.content.mask import mask_tail

SourceKind = Literal["mbox", "maildir", "eml", "queue", "file"]
KIND_NAMES: dict[SourceKind, str] = {
    "mbox": "mbox",
    "maildir": "Maildir",
    "eml": "directory of .eml files",
    "queue": "Postfix queue directory",
    "file": "one .eml file",
}

# Postfix record types (src/global/rec_type.h) that the reader acts on.
REC_SIZE = ord("C")
REC_FROM = ord("S")
REC_RCPT = ord("R")
REC_MESG = ord("M")
REC_NORM = ord("N")
REC_CONT = ord("L")
REC_XTRA = ord("X")
REC_END = ord("E")
REC_PTR = ord("p")
MAX_RECORDS = 10_000_000  # a pointer loop in a damaged file must end
_QUEUE_ID = re.compile(r"[0-9A-Za-z]{6,32}")
_SIZE_DATA = re.compile(rb"\s*\d+(\s+-?\d+)*\s*")


# A run of 8 or 9 digits could be a BSN (an export named after the client number, a case tool's
# Message-ID): masked wherever the report shows a name, an id or an address.  Only a run that
# stands alone (no letter or digit either side): digits inside a hex id are not a number, and
# masking them would make the message impossible to find.
_BSN_SHAPED = re.compile(r"(?<![0-9A-Za-z])\d{8,9}(?![0-9A-Za-z])")


def shown(text: str) -> str:
    """`text` (a file name, Message-ID or address) with BSN-shaped digit runs masked."""
    return _BSN_SHAPED.sub(lambda m: mask_tail(m.group(), 2), text)


class SourceError(Exception):
    """The source is not one of the kinds a backtest reads."""


class MessageError(Exception):
    """One message could not be read; the text is a fixed reason, never message content."""


@dataclass(frozen=True, slots=True)
class Locator:
    """Where one message is: a file, or a byte range of an mbox."""

    kind: SourceKind
    path: str
    position: str  # shown in the report (masked by `shown`): file, or "mbox: message N (line L)"
    start: int = 0
    end: int = -1  # -1: to the end of the file


@dataclass(frozen=True, slots=True)
class Loaded:
    """One message's bytes, and its envelope when the source has one (queue files)."""

    raw: bytes
    sender: str | None = None
    recipients: tuple[str, ...] | None = None


def detect(path: str) -> SourceKind:
    """The kind of source at `path`, or SourceError naming it and what was looked for."""
    if os.path.isfile(path):
        with open(path, "rb") as fh:
            head = fh.read(5)
        if head == b"From ":
            return "mbox"
        if path.lower().endswith(".eml"):
            return "file"
        raise SourceError(
            f"{path}: not an mbox (it does not start with a 'From ' line) nor an .eml file"
        )
    if not os.path.isdir(path):
        raise SourceError(f"{path}: no such file or directory")
    if os.path.isdir(os.path.join(path, "cur")) and os.path.isdir(os.path.join(path, "new")):
        return "maildir"
    if next(_walk(path, _is_eml), None) is not None:
        return "eml"
    first = next(_walk(path, lambda name: not name.startswith(".")), None)
    if first is not None and _is_queue_file(first):
        return "queue"
    raise SourceError(
        f"{path}: not an mbox, a Maildir (cur/ and new/), a directory of .eml files or a "
        "Postfix queue directory"
    )


def locate(path: str, kind: SourceKind) -> Iterator[Locator]:
    """Every message of the source, in a stable order (sorted names; mbox file order)."""
    if kind == "mbox":
        yield from _mbox(path)
    elif kind == "file":
        yield Locator("file", path, shown(path))
    elif kind == "maildir":
        for sub in ("new", "cur"):
            folder = os.path.join(path, sub)
            for name in sorted(os.listdir(folder)):
                full = os.path.join(folder, name)
                if not name.startswith(".") and os.path.isfile(full):
                    yield Locator("maildir", full, shown(full))
    elif kind == "eml":
        for full in _walk(path, _is_eml):
            yield Locator("eml", full, shown(full))
    else:
        for full in _walk(path, lambda name: _QUEUE_ID.fullmatch(name) is not None):
            yield Locator("queue", full, shown(full))


def load(loc: Locator, limit: int) -> Loaded:
    """Read one message (at most `limit` + 1 bytes of it); MessageError when it cannot be."""
    try:
        with open(loc.path, "rb") as fh:
            if loc.kind == "queue":
                return _queue_message(fh, limit)
            fh.seek(loc.start)
            want = limit + 1 if loc.end < 0 else min(limit + 1, loc.end - loc.start)
            raw = fh.read(want)
    except OSError as exc:
        raise MessageError(f"cannot be read ({exc.strerror or type(exc).__name__})") from None
    if not raw.strip():
        raise MessageError("empty message")
    return Loaded(raw)


def _is_eml(name: str) -> bool:
    return name.lower().endswith(".eml") and not name.startswith(".")


def _walk(root: str, keep: Callable[[str], bool]) -> Iterator[str]:
    """Files under `root` whose name `keep(name)` accepts, sorted, depth first."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            full = os.path.join(folder, name)
            if keep(name) and os.path.isfile(full):
                yield full


def _mbox(path: str) -> Iterator[Locator]:
    """Message boundaries of an mbox: a 'From ' line at the start or after an empty line.
    The 'From ' line itself is not part of the message; bodies keep their '>From ' quoting."""
    with open(path, "rb") as fh:
        start: int | None = None
        number = 0
        start_line = 0
        previous_blank = True
        offset = 0
        for line_no, line in enumerate(fh, start=1):
            if previous_blank and line.startswith(b"From "):
                if start is not None:
                    yield _mbox_locator(path, number, start_line, start, offset)
                number += 1
                start, start_line = offset + len(line), line_no
            previous_blank = line in (b"\n", b"\r\n")
            offset += len(line)
        if start is not None:
            yield _mbox_locator(path, number, start_line, start, offset)


def _mbox_locator(path: str, number: int, line: int, start: int, end: int) -> Locator:
    return Locator("mbox", path, f"{shown(path)}: message {number} (line {line})", start, end)


def _record(fh: BinaryIO) -> tuple[int, bytes]:
    kind = fh.read(1)
    if not kind:
        raise MessageError("queue file ends without its end record")
    length = shift = 0
    while True:
        byte = fh.read(1)
        if not byte:
            raise MessageError("queue file cut short in a record")
        length |= (byte[0] & 0x7F) << shift
        if not byte[0] & 0x80:
            break
        shift += 7
        if shift > 28:
            raise MessageError("queue file has a record of impossible length")
    data = fh.read(length)
    if len(data) != length:
        raise MessageError("queue file cut short in a record")
    return kind[0], data


def _is_queue_file(path: str) -> bool:
    """A Postfix queue file starts with its size record ('C', then numbers)."""
    try:
        with open(path, "rb") as fh:
            kind, data = _record(fh)
    except (OSError, MessageError):
        return False
    return kind == REC_SIZE and _SIZE_DATA.fullmatch(data) is not None


def _queue_message(fh: BinaryIO, limit: int) -> Loaded:
    """The envelope and content of one queue file (records, following pointer records)."""
    kind, data = _record(fh)
    if kind != REC_SIZE:
        raise MessageError("not a Postfix queue file (no size record first)")
    sender: str | None = None
    recipients: list[str] = []
    content = bytearray()
    segment = "envelope"
    jumped: set[int] = set()
    for _ in range(MAX_RECORDS):
        kind, data = _record(fh)
        if kind == REC_PTR:
            target = int(data.strip() or b"0") if data.strip().isdigit() else -1
            if target < 0:
                raise MessageError("queue file has a damaged pointer record")
            if target in jumped:
                raise MessageError("queue file has a pointer loop")
            if target:
                jumped.add(target)
                fh.seek(target)
            continue
        if kind == REC_END:
            break
        if segment == "content":
            if kind in (REC_NORM, REC_CONT) and len(content) <= limit:
                content += data
                if kind == REC_NORM:
                    content += b"\n"
            elif kind == REC_XTRA:
                segment = "extracted"
            continue
        if kind == REC_MESG:
            segment = "content"
        elif kind == REC_FROM and sender is None:
            sender = data.decode("utf-8", "replace")
        elif kind == REC_RCPT:  # deleted ('@') and delivered ('D') recipients are other types
            recipients.append(data.decode("utf-8", "replace"))
    else:
        raise MessageError("queue file has too many records (a pointer loop?)")
    if segment == "envelope":
        raise MessageError("queue file has no message content")
    return Loaded(bytes(content[: limit + 1]), sender or "", tuple(recipients))
