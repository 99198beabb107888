"""Milter bytes on a real socket: send a stream split at exact points, read what comes back.

``exchange`` sends chunks to a milter listening on loopback and, when it is told so, waits after
each chunk until the server has read it (its receive queue is empty), so
every split point really is a separate ``recv`` on the server side (queue lengths come from
the kernel's sock_diag netlink interface). It then half-closes and
reads until the server closes; a server that neither answers nor closes is reported as hung
rather than blocking the test. ``parse_replies`` checks that what the milter sent is a sequence
of complete, well-formed response packets.
"""

from __future__ import annotations

import contextlib
import itertools
import select
import socket
import struct
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from milter.protocol import codec

# Every response a milter may send (SMFIR_*, plus the option negotiation reply 'O').
RESPONSE_CODES = frozenset(b"O+-abcdhimpqrtyf4se2l")
# Replies that end the handling of a command (as opposed to modification actions at EOM).
FINAL_CODES = frozenset(b"Oacdrtyf4s")
_LINGER_RST = struct.pack("ii", 1, 0)


@dataclass(frozen=True)
class Reply:
    """One response packet: its command byte and payload."""

    cmd: bytes
    data: bytes = b""

    @property
    def text(self) -> str:
        return self.data.rstrip(b"\0").decode("ascii", "replace")


@dataclass
class Exchange:
    """What happened on one connection."""

    replies: list[Reply] = field(default_factory=list)
    trailing: bytes = b""  # bytes after the last complete packet (a torn reply)
    malformed: str | None = None  # why the milter's output is not a packet sequence
    closed_early: bool = False  # the milter closed before it had all our bytes
    hung: bool = False  # no close within the timeout after our half-close
    seconds: float = 0.0


def parse_replies(data: bytes) -> tuple[list[Reply], bytes, str | None]:
    """Split milter output into packets; return (replies, torn tail, what is malformed)."""
    packets, tail = codec.parse_stream(data)
    replies: list[Reply] = []
    for n, body in enumerate(packets):
        problem = (
            "zero-length response packet"
            if not body
            else None
            if body[0] in RESPONSE_CODES
            else f"unknown response code {body[:1]!r}"
        )
        if problem is not None:
            rest = b"".join(codec.packet(p[:1], p[1:]) for p in packets[n:]) + tail
            return replies, rest, problem
        replies.append(Reply(body[:1], body[1:]))
    return replies, tail, None


class _SockDiag:
    """Receive/send queue lengths of one TCP socket from the kernel (netlink sock_diag).

    O(1) per query, unlike /proc/net/tcp, which grows with every TIME_WAIT socket a fuzz run
    leaves behind."""

    _BY_FAMILY = 20  # SOCK_DIAG_BY_FAMILY
    _NO_COOKIE = 0xFFFFFFFF

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self.available = True

    def queues(self, local: tuple[str, int], remote: tuple[str, int]) -> tuple[int, int] | None:
        """(send queue, receive queue) of the IPv4 socket local->remote; None if not found."""
        sockid = (
            struct.pack("!HH", local[1], remote[1])
            + socket.inet_aton(local[0])
            + bytes(12)
            + socket.inet_aton(remote[0])
            + bytes(12)
            + struct.pack("=III", 0, self._NO_COOKIE, self._NO_COOKIE)
        )
        request = struct.pack("=BBBBI", socket.AF_INET, socket.IPPROTO_TCP, 0, 0, 0xFFFFFFFF)
        body = request + sockid
        message = struct.pack("=LHHLL", 16 + len(body), self._BY_FAMILY, 1, 0, 0) + body
        with self._lock:
            try:
                if self._sock is None:
                    self._sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 4)
                self._sock.send(message)
                data = self._sock.recv(65536)
            except OSError:
                self.available = False
                return None
        (kind,) = struct.unpack_from("=H", data, 4)
        if kind != self._BY_FAMILY:
            return None  # NLMSG_ERROR: no such socket (closed already)
        rqueue, wqueue = struct.unpack_from("=II", data, 16 + 4 + 48 + 4)
        return wqueue, rqueue


_DIAG = _SockDiag()


def wait_consumed(sock: socket.socket, timeout: float = 1.0) -> None:
    """Wait until the peer (a server on this host) has recv()'d everything we sent."""
    try:
        ours, theirs = sock.getsockname()[:2], sock.getpeername()[:2]
    except OSError:
        return
    if not _DIAG.available:
        time.sleep(0.001)
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        mine, peer = _DIAG.queues(ours, theirs), _DIAG.queues(theirs, ours)
        if mine is None or peer is None or (mine[0] == 0 and peer[1] == 0):
            return
        time.sleep(0.0001)


def _drain(sock: socket.socket, into: bytearray) -> bool:
    """Read what is there without blocking; False once the peer has closed."""
    while select.select([sock], [], [], 0)[0]:
        try:
            data = sock.recv(65536)
        except OSError:
            return False
        if not data:
            return False
        into += data
    return True


def exchange(
    address: tuple[str, int],
    chunks: Sequence[bytes],
    *,
    separate_reads: bool = True,
    timeout: float = 5.0,
) -> Exchange:
    """Send ``chunks`` (each a separate server read if ``separate_reads``), half-close, and read
    until the milter closes or ``timeout`` passes."""
    started = time.monotonic()
    result = Exchange()
    received = bytearray()
    sock = socket.create_connection(address, timeout=timeout)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RST)  # no TIME_WAIT pile-up
        open_ = True
        for chunk in chunks:
            try:
                sock.sendall(chunk)
            except OSError:
                result.closed_early = True
                break
            open_ = _drain(sock, received)
            if not open_:
                result.closed_early = True
                break
            if separate_reads:
                wait_consumed(sock)
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + timeout
        while open_:
            left = deadline - time.monotonic()
            if left <= 0:
                result.hung = True
                break
            sock.settimeout(left)
            try:
                data = sock.recv(65536)
            except TimeoutError:
                result.hung = True
                break
            except OSError:
                break
            if not data:
                break
            received += data
    finally:
        sock.close()
    result.replies, result.trailing, result.malformed = parse_replies(bytes(received))
    result.seconds = time.monotonic() - started
    return result


def split(stream: bytes, cuts: Sequence[int]) -> list[bytes]:
    """``stream`` cut at the given offsets (out-of-range and repeated offsets are ignored)."""
    points = sorted({c for c in cuts if 0 < c < len(stream)})
    edges = [0, *points, len(stream)]
    return [stream[a:b] for a, b in itertools.pairwise(edges) if b > a]
