"""Drive a milter the way Postfix's smtpd does, and time it.

``BenchClient`` extends tests/support/milterclient.py's client with what a full SMTP
transaction sends (connect, HELO, DATA, headers, end of headers, body in 65 535-byte chunks,
the macros Postfix 3.7 sends by default) and honours every "no such event" and "no reply"
flag the milter negotiated, exactly as Postfix does. ``run_connection`` sends messages over
one connection and returns per-message latencies; ``run_parallel`` does that on several
connections from separate processes (so the client's GIL is not what is measured).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.queues
import multiprocessing.synchronize
import signal
import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from bench.mime import RECIPIENTS, SENDER, split_message
from milter.protocol import codec
from milter.protocol.codec import packet
from tests.support.milterclient import EomResult, MilterClient, Reply

BODY_CHUNK = 65535  # Postfix's milter8 body chunk size
CONNECT_MACROS = {
    "j": "mail.samen-veilig.nl",
    "{daemon_name}": "smtpd",
    "{daemon_addr}": "127.0.0.1",
    "v": "Postfix 3.7.11",
    "_": "client.samen-veilig.nl [10.1.2.3]",
}

Address = tuple[str, int] | str


WARMUP = 3  # messages a connection sends before it is timed


@dataclass(frozen=True)
class Transaction:
    """One message as Postfix would hand it over: envelope, headers, CRLF body."""

    sender: str
    recipients: tuple[str, ...]
    headers: tuple[tuple[str, str], ...]
    body: bytes
    # One-off kinds (bench/mime.ONE_OFF_KINDS): a body per message sent, by `body_index`;
    # empty: `body` every time.
    bodies: tuple[bytes, ...] = ()

    @classmethod
    def from_message(
        cls, message: bytes, sender: str = SENDER, recipients: Sequence[str] = RECIPIENTS
    ) -> Transaction:
        headers, body = split_message(message)
        return cls(sender, tuple(recipients), tuple(headers), body)

    def message(self) -> bytes:
        """The message again (headers as folded, CRLF)."""
        head = "".join(f"{name}: {value}\r\n" for name, value in self.headers)
        return head.encode("ascii", "replace") + b"\r\n" + self.body

    def with_envelope(
        self, sender: str, recipients: Sequence[str], body_index: int = 0
    ) -> Transaction:
        body = self.bodies[body_index % len(self.bodies)] if self.bodies else self.body
        return Transaction(sender, tuple(recipients), self.headers, body)


class BenchClient(MilterClient):
    """The MTA side of one milter connection, sending whole SMTP transactions."""

    def __init__(self, address: Address, timeout: float = 30.0) -> None:
        super().__init__(address, timeout)
        self._queue_number = 0

    def _wants(self, skip_flag: int) -> bool:
        return not self.milter_protocol & skip_flag

    def _send_event(self, cmd: bytes, data: bytes, skip: int, noreply: int) -> Reply | None:
        """Send one event unless skipped; read its reply unless the milter declined to reply."""
        if not self._wants(skip):
            return None
        self.sock.sendall(packet(cmd, data))
        if self.milter_protocol & noreply:
            return None
        return self.read()

    def connect_event(self, hostname: str = "client.samen-veilig.nl") -> Reply | None:
        if not self._wants(codec.P_NOCONNECT):
            return None
        data = hostname.encode() + b"\0" + b"4" + struct.pack("!H", 42424) + b"10.1.2.3\0"
        self.sock.sendall(codec.macro_packet(b"C", CONNECT_MACROS))
        return self._send_event(b"C", data, codec.P_NOCONNECT, codec.P_NR_CONN)

    def helo_event(self, name: str = "client.samen-veilig.nl") -> Reply | None:
        return self._send_event(b"H", name.encode() + b"\0", codec.P_NOHELO, codec.P_NR_HELO)

    def open_session(self) -> None:
        """Negotiate and send the per-connection events (connect, HELO)."""
        self.negotiate()
        self.connect_event()
        self.helo_event()

    def start_message(self, tx: Transaction) -> Reply | None:
        """MAIL and RCPTs (macros as smtpd sends them); the first non-continue reply, if any."""
        self._queue_number += 1
        queue_id = f"4BENCH{self._queue_number:010d}"
        reply = self.mail(tx.sender, {"{mail_addr}": tx.sender})
        if reply is not None and reply.cmd != b"c":
            return reply
        for index, rcpt in enumerate(tx.recipients):
            # smtpd opens the queue file after the first valid RCPT: no `i` before that.
            macros = {"{rcpt_addr}": rcpt} | ({"i": queue_id} if index else {})
            self.rcpt(rcpt, macros)
        if self._wants(codec.P_NODATA):
            self.sock.sendall(codec.macro_packet(b"T", {"i": queue_id}))
            self._send_event(b"T", b"", codec.P_NODATA, codec.P_NR_DATA)
        for name, value in tx.headers:
            self._send_event(
                b"L", name.encode() + b"\0" + value.encode() + b"\0", codec.P_NOHDRS, codec.P_NR_HDR
            )
        self._send_event(b"N", b"", codec.P_NOEOH, codec.P_NR_EOH)
        return None

    def send_body(self, body: bytes) -> None:
        for start in range(0, len(body), BODY_CHUNK):
            self._send_event(
                b"B", body[start : start + BODY_CHUNK], codec.P_NOBODY, codec.P_NR_BODY
            )

    def end_message(self) -> EomResult:
        return self.eom({"i": f"4BENCH{self._queue_number:010d}"})

    def transaction(self, tx: Transaction) -> tuple[float, float, bytes]:
        """One whole message; (seconds for the message, seconds from EOM to verdict, verdict)."""
        t0 = time.perf_counter()
        early = self.start_message(tx)
        if early is not None:
            return time.perf_counter() - t0, 0.0, early.cmd
        self.send_body(tx.body)
        t_eom = time.perf_counter()
        result = self.end_message()
        t_end = time.perf_counter()
        return t_end - t0, t_end - t_eom, result.final.cmd


def unique_envelope(n: int, connection: int = 0) -> tuple[str, tuple[str, str]]:
    """Sender and two recipients (external partners) unique to message n: no cache hits."""
    tag = f"{connection}x{n}"
    return SENDER, (f"p{tag}@partner.example", f"q{tag}@zorgpartner.example")


@dataclass
class ConnectionResult:
    """What one connection measured."""

    message_s: list[float] = field(default_factory=list)
    eom_s: list[float] = field(default_factory=list)
    verdicts: dict[str, int] = field(default_factory=dict)
    started: float = 0.0  # time.monotonic(): comparable across processes on Linux
    finished: float = 0.0


def run_connection(
    address: Address,
    tx: Transaction,
    messages: int,
    *,
    connection: int = 0,
    warmup: int = WARMUP,
    deadline_s: float = 120.0,
    start_barrier: multiprocessing.synchronize.Barrier | None = None,
) -> ConnectionResult:
    """Send `messages` messages (unique envelopes) over one connection, after `warmup` ones."""
    result = ConnectionResult()
    client = BenchClient(address)
    try:
        client.open_session()
        first_body = connection * (warmup + messages)  # one-off bodies: none sent twice
        for n in range(warmup):
            client.transaction(
                tx.with_envelope(*unique_envelope(-1 - n, connection), first_body + n)
            )
        if start_barrier is not None:
            start_barrier.wait(60)
        result.started = time.monotonic()
        stop_at = result.started + deadline_s
        for n in range(messages):
            whole, eom, verdict = client.transaction(
                tx.with_envelope(*unique_envelope(n, connection), first_body + warmup + n)
            )
            result.message_s.append(whole)
            result.eom_s.append(eom)
            key = verdict.decode(errors="replace")
            result.verdicts[key] = result.verdicts.get(key, 0) + 1
            if time.monotonic() > stop_at:
                break
        result.finished = time.monotonic()
    finally:
        client.close()
    return result


def _worker(
    results: multiprocessing.queues.Queue[tuple[int, ConnectionResult | str]],
    barrier: multiprocessing.synchronize.Barrier,
    address: Address,
    tx: Transaction,
    messages: int,
    connection: int,
    deadline_s: float,
) -> None:
    """One client process: its connection's result (or the error) goes back on `results`."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's unwinding handler
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    try:
        result: ConnectionResult | str = run_connection(
            address,
            tx,
            messages,
            connection=connection,
            deadline_s=deadline_s,
            start_barrier=barrier,
        )
    except Exception as exc:
        result = f"{type(exc).__name__}: {exc}"
    results.put((connection, result))


def run_parallel(
    address: Address,
    tx: Transaction,
    connections: int,
    messages_each: int,
    deadline_s: float,
    *,
    first_connection: int = 0,
) -> list[ConnectionResult]:
    """`connections` client processes, one milter connection each, started together.

    Connection numbers (which make envelopes unique) start at `first_connection`.
    """
    if connections == 1:
        return [
            run_connection(
                address, tx, messages_each, connection=first_connection, deadline_s=deadline_s
            )
        ]
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(connections)
    queue: multiprocessing.queues.Queue[tuple[int, ConnectionResult | str]] = ctx.Queue()
    procs = [
        ctx.Process(
            target=_worker,
            args=(queue, barrier, address, tx, messages_each, first_connection + c, deadline_s),
            daemon=True,
        )
        for c in range(connections)
    ]
    for proc in procs:
        proc.start()
    try:
        collected = [queue.get(timeout=deadline_s + 120) for _ in procs]
    finally:
        for proc in procs:
            proc.join(10)
            if proc.is_alive():
                proc.kill()
                proc.join(5)
    errors = [r for _, r in collected if isinstance(r, str)]
    if errors:
        raise RuntimeError(f"{len(errors)} client connection(s) failed: {errors[0]}")
    return [r for _, r in sorted(collected, key=lambda x: x[0]) if not isinstance(r, str)]


def throughput(results: Sequence[ConnectionResult]) -> tuple[int, float]:
    """(messages, wall seconds) over all connections, first start to last finish."""
    done = sum(len(r.message_s) for r in results)
    wall = max(r.finished for r in results) - min(r.started for r in results)
    return done, wall
