"""server.frames -- the line between the ``--workers`` supervisor and its workers, typed.

Four frames, each a 4-byte length and a JSON object on a unix socketpair:

- ``PolicyFrame`` (supervisor -> worker): a policy the supervisor loaded and checked, as its
  exact bytes, so the worker runs what was checked;
- ``PolicyLoaded`` (worker -> supervisor): the worker swapped that policy in;
- ``AuditRequest`` (worker -> supervisor): one audit record's kind and fields to write;
- ``Ack`` (supervisor -> worker): that record is written and fsynced, or why not.

A frame is decoded into its type or refused as a whole (``None``): an unknown ``op``, a field
of the wrong type or a frame longer than ``MAX_FRAME`` is never guessed at.
"""

from __future__ import annotations

import base64
import binascii
import json
import socket
import struct
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from milter.policy.loader import MAX_POLICY_BYTES

_HEADER = struct.Struct("!I")
MAX_FRAME = 4 * MAX_POLICY_BYTES + (1 << 20)  # a policy's text in base64, with room to spare


@dataclass(frozen=True, slots=True)
class PolicyFrame:
    source: str
    sha256: str
    text: bytes


@dataclass(frozen=True, slots=True)
class PolicyLoaded:
    sha256: str


@dataclass(frozen=True, slots=True)
class AuditRequest:
    id: int
    kind: str
    fields: Mapping[str, Any]  # an audit record's fields: JSON values (see audit.records)


@dataclass(frozen=True, slots=True)
class Ack:
    id: int
    ok: bool
    error: str | None = None


Frame = PolicyFrame | PolicyLoaded | AuditRequest | Ack


def encode(frame: Frame) -> bytes:
    """The frame on the wire: length, then a JSON object with its ``op``."""
    doc: dict[str, Any]
    match frame:
        case PolicyFrame(source, sha256, text):
            doc = {"op": "policy", "source": source, "sha256": sha256}
            doc["text"] = base64.b64encode(text).decode("ascii")
        case PolicyLoaded(sha256):
            doc = {"op": "policy_loaded", "sha256": sha256}
        case AuditRequest(ident, kind, fields):
            doc = {"op": "audit", "id": ident, "kind": kind, "fields": dict(fields)}
        case Ack(ident, ok, error):
            doc = {"op": "ack", "id": ident, "ok": ok, "error": error}
    data = json.dumps(doc, ensure_ascii=True, separators=(",", ":"), default=str).encode()
    return _HEADER.pack(len(data)) + data


def decode(doc: object) -> Frame | None:
    """The typed frame of a decoded JSON object; None for anything else."""
    if not isinstance(doc, dict):
        return None
    op, ident = doc.get("op"), doc.get("id")
    try:
        if op == "policy":
            source, sha256, text = doc["source"], doc["sha256"], doc["text"]
            if isinstance(source, str) and isinstance(sha256, str) and isinstance(text, str):
                return PolicyFrame(source, sha256, base64.b64decode(text, validate=True))
        elif op == "policy_loaded" and isinstance(doc.get("sha256"), str):
            return PolicyLoaded(doc["sha256"])
        elif op == "audit" and type(ident) is int:
            kind, fields = doc.get("kind"), doc.get("fields")
            if isinstance(kind, str) and isinstance(fields, dict):
                return AuditRequest(ident, kind, fields)
        elif op == "ack" and type(ident) is int and isinstance(doc.get("ok"), bool):
            error = doc.get("error")
            return Ack(ident, doc["ok"], error if isinstance(error, str) else None)
    except (KeyError, binascii.Error, ValueError):
        return None
    return None


def send_frame(sock: socket.socket, lock: threading.Lock, frame: Frame) -> None:
    data = encode(frame)
    with lock:
        sock.sendall(data)


class FrameReader:
    """Frames from one socket, read through a buffer (one recv per frame, usually); a timeout
    leaves a partly received frame in the buffer for the next call."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = bytearray()

    def _fill(self, n: int) -> bool:
        while len(self._buffer) < n:
            data = self._sock.recv(max(65536, n - len(self._buffer)))
            if not data:
                return False
            self._buffer += data
        return True

    def next(self) -> Frame | None:
        """The next frame; None when the other end closed or sent something that is not one.
        TimeoutError (an OSError) passes through when the socket has a timeout."""
        if not self._fill(_HEADER.size):
            return None
        (length,) = _HEADER.unpack_from(self._buffer)
        if length > MAX_FRAME or not self._fill(_HEADER.size + length):
            return None
        body = bytes(self._buffer[_HEADER.size : _HEADER.size + length])
        del self._buffer[: _HEADER.size + length]
        try:
            return decode(json.loads(body))
        except ValueError:
            return None


def recv_frames(sock: socket.socket) -> Iterator[Frame]:
    """Every frame until the other end closes, fails or sends something that is not one."""
    reader = FrameReader(sock)
    while True:
        try:
            frame = reader.next()
        except OSError:
            return
        if frame is None:
            return
        yield frame
