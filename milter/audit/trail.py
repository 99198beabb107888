"""audit.trail -- the tamper-evident audit trail's writer: one hash-chained JSON line a record.

SYNOPSIS
    trail = AuditLog("/var/log/postwarden/audit.jsonl", metrics=metrics)
    trail.open()                                   # recovers the chain head, writes a checkpoint
    trail.message(decision, envelope, message_id=raw_message_id, findings=findings)
    trail.recipient_refused(refusal, queue_id, "smtp", sender, policy_sha256, client)
    trail.policy_reload("refused", policy_sha256, issues)
    trail.internal_error("local")
    trail.record("officer_release", {"queue_id": "4Zx...", "officer": "fg"})
    trail.reopen()                                 # after logrotate renamed the file (SIGUSR1)
    trail.close()                                  # writes a final checkpoint

DESCRIPTION
    AuditWriter is what the service needs of a trail: record(kind, fields), and one method
    per record kind of milter.audit.records, taking that kind's builder's arguments. An
    AuditLog writes the records itself; with serve --workers N a worker's stand-in
    (RemoteAudit in the server) has the supervisor write them and waits until it has.

    AuditLog appends each record through the processors (milter.audit.processors), which
    add the time and node, withhold unmasked samples, bound outside text and render the
    line; its own step adds seq and prev, the chain. The chain continues across rotation
    and restarts: the head (seq and hash of the last record) is kept in memory; on open it
    is recovered from the last line of the file, or of FILE.1 (FILE.1.gz) when logrotate
    has just left FILE empty.

    Checkpoints: a checkpoint record is written at open, at reopen, at close, every
    checkpoint_interval_s seconds and every checkpoint_every records. Each one's seq, time
    and hash prefix go to the metrics and (unless witness=False, for command-line tools
    whose output is not a log) to the service log as an 'audit_checkpoint' event, outside
    the file: a tail cut off after a checkpoint (or a chain rewritten before it) shows
    against them (milter.audit.verify). Edits after the last exported checkpoint cannot be
    told from the file alone.

    Files are created mode 0640 whatever the umask (os.open, then fchmod) and opened
    O_APPEND. Records are group-committed: a record is rendered and chained at once (under a
    lock, so the chain's order is the order of the calls), then queued; the first writer to
    find no commit running writes the whole queue with one write() (so lines are never
    interleaved) and one fdatasync (unless fsync=False), while records of other threads queue
    up behind it for the next commit. Concurrent sessions thus share an fsync, and each
    record() still returns only once its own record is on disk. A failed write is cut back
    (ftruncate) so no half line stays; every record of that commit, and those queued behind
    them (they chain onto them), raise the error and the head goes back to the last record
    written: the service then tempfails those messages, so no mail is decided without its
    record. Threads may share one AuditLog. A checkpoint is exported (metrics, log) only
    once it is on disk.

    It refuses to continue a file whose last line is incomplete or not a record, to write
    a kind that is not a lower-case identifier, and fields that would overwrite seq, time,
    kind, node or prev. The service opens with move_torn=True: a last line torn by a crash
    (no newline at its end) is then moved to FILE.torn-STAMP and a 'torn_tail' record (its
    size, sha256 and new name) continues the chain from the last whole record. Its records
    were never whole on disk, so their verdicts were never sent and Postfix retried them.

DIAGNOSTICS
    AuditError when the existing file's last line is incomplete (without move_torn) or not
    a record (tampering): run `postwarden audit verify FILE`, move the file aside and
    start again; also when writing to a trail that is not open. OSError from opening or
    writing the file. ValueError for a malformed kind or a field that would overwrite seq,
    time, kind, node or prev.
"""

from __future__ import annotations

import abc
import contextlib
import gzip
import hashlib
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, Protocol

import structlog
from structlog.typing import EventDict, WrappedLogger

from milter.audit.processors import pipeline
from milter.audit.records import (
    GENESIS,
    KIND,
    RESERVED,
    internal_error_fields,
    message_fields,
    refusal_fields,
    reload_fields,
)

FILE_MODE = 0o640

log = structlog.get_logger("postwarden.audit")


class AuditError(Exception):
    """The audit file cannot be continued safely."""


class AuditMetrics(Protocol):
    """What the audit trail reports to the metrics."""

    def audit_record_written(self, count: int = 1) -> None: ...

    def audit_write_failed(self) -> None: ...

    def audit_checkpoint(self, seq: int, when: float, head: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Head:
    """The end of the chain: the last record's seq and the sha256 of its line."""

    seq: int
    hash: str


START = Head(0, GENESIS)


def _parse_head(line: bytes, where: str) -> Head:
    try:
        doc = json.loads(line)
        seq = doc["seq"]
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
            raise ValueError("seq")
    except (ValueError, KeyError, TypeError):
        raise AuditError(
            f"{where}: the last line is not an audit record; run `postwarden audit verify`"
            " on it, move it aside and start again"
        ) from None
    return Head(seq, hashlib.sha256(line).hexdigest())


def _last_line_plain(path: str) -> bytes | None:
    with open(path, "rb") as fh:
        size = fh.seek(0, os.SEEK_END)
        if size == 0:
            return None
        window = 65536
        while True:
            start = max(0, size - window)
            fh.seek(start)
            data = fh.read(size - start)
            body = data[:-1] if data.endswith(b"\n") else data
            if not data.endswith(b"\n"):
                raise AuditError(
                    f"{path}: the last line is incomplete (a crash during a write?); run"
                    " `postwarden audit verify` on it, move it aside and start again"
                )
            cut = body.rfind(b"\n")
            if cut >= 0 or start == 0:
                return body[cut + 1 :]
            window *= 4


def _last_line_gz(path: str) -> bytes | None:
    last: bytes | None = None
    with gzip.open(path, "rb") as fh:
        for line in fh:
            last = line
    if last is not None and not last.endswith(b"\n"):
        raise AuditError(f"{path}: the last line is incomplete")
    return None if last is None else last[:-1]


def recover_head(path: str) -> Head:
    """The chain head from the last record of `path`, or of its rotated predecessor.

    An empty or missing `path` is what logrotate leaves (create, or no file yet): the head is
    then in FILE.1 (FILE.1.gz without delaycompress). No file at all starts a new chain.
    """
    for candidate in (path, f"{path}.1", f"{path}.1.gz"):
        try:
            read = _last_line_gz if candidate.endswith(".gz") else _last_line_plain
            line = read(candidate)
        except FileNotFoundError:
            continue
        if line is not None:
            return _parse_head(line, candidate)
    return START


@dataclass(frozen=True, slots=True)
class TornTail:
    """An incomplete last line cut off an audit file: its size, sha256 and where it went."""

    size: int
    sha256: str
    moved_to: str


def move_torn_tail(path: str, clock: Callable[[], float] = time.time) -> TornTail | None:
    """Cut an incomplete last line off `path` and keep it in PATH.torn-STAMP; None when the
    file is missing, empty or ends with a newline.

    A SIGKILL or power cut during a write leaves such a line: the records in it were never
    on disk whole, so their verdicts were never sent (Postfix retried those messages). The
    bytes are kept (mode 0640, fsync'ed) before the file is cut back, so nothing is lost
    even if this is not what happened. A complete last line that is not a record is left
    alone: that is not a crash, and recover_head refuses it.
    """
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return None
    try:
        size = os.fstat(fd).st_size
        if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
            return None
        start = size
        while start > 0:  # back to the last newline, a window at a time
            step = min(start, 65536)
            cut = os.pread(fd, step, start - step).rfind(b"\n")
            start -= step
            if cut >= 0:
                start += cut + 1
                break
        torn = os.pread(fd, size - start, start)
        moved_to = _keep_aside(f"{path}.torn-{int(clock())}", torn)
        os.ftruncate(fd, start)
        os.fsync(fd)
    finally:
        os.close(fd)
    return TornTail(len(torn), hashlib.sha256(torn).hexdigest(), moved_to)


def _keep_aside(stem: str, data: bytes) -> str:
    """Write `data` to a new file named `stem` (or stem.1, stem.2 ...), mode 0640, fsync'ed."""
    for n in range(1000):
        name = stem if n == 0 else f"{stem}.{n}"
        try:
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        except FileExistsError:
            continue
        try:
            os.fchmod(fd, FILE_MODE)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        return name
    raise AuditError(f"{stem}: no free name to keep the torn line in")


def open_append(path: str) -> int:
    """Open for appending; a file we create is mode 0640 whatever the umask."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return os.open(path, os.O_WRONLY | os.O_APPEND)
    os.fchmod(fd, FILE_MODE)
    return fd


class _Sink:
    """The structlog 'logger' at the end of the pipeline: queues the line for the next commit."""

    def __init__(self, trail: AuditLog) -> None:
        self._trail = trail

    def msg(self, line: str) -> None:
        self._trail._enqueue(line.encode("ascii"))


class _Ticket:
    """One queued record: done once its line is written (and fsync'ed), or failed with error."""

    __slots__ = ("done", "error", "head")

    def __init__(self, head: Head) -> None:
        self.head = head  # the chain's head with this record at its end
        self.done = False
        self.error: Exception | None = None


_P = ParamSpec("_P")


def _writes(
    kind: str, fields: Callable[_P, dict[str, Any]]
) -> Callable[Concatenate[AuditWriter, _P], Head]:
    """A writer method for one record kind: it takes the arguments of the kind's builder."""

    def write(self: AuditWriter, /, *args: _P.args, **kwargs: _P.kwargs) -> Head:
        return self.record(kind, fields(*args, **kwargs))

    write.__name__ = write.__qualname__ = kind
    write.__doc__ = f"Have a {kind!r} record written (raises if it was not): {fields.__doc__}"
    return write


class AuditWriter(abc.ABC):
    """What the service needs of an audit trail: ``record``, and one method per record kind
    (its arguments are those of the kind's builder in milter.audit.records)."""

    path: str

    @abc.abstractmethod
    def record(self, kind: str, fields: Mapping[str, Any]) -> Head:
        """Have one record of `kind` written; raises if it was not."""

    message = _writes("message", message_fields)
    recipient_refused = _writes("recipient_refused", refusal_fields)
    policy_reload = _writes("policy_reload", reload_fields)
    internal_error = _writes("internal_error", internal_error_fields)


class AuditLog(AuditWriter):
    """An append-only, hash-chained audit file. Thread-safe; see the module docstring."""

    def __init__(
        self,
        path: str,
        *,
        checkpoint_interval_s: float | None = 60.0,
        checkpoint_every: int | None = 1000,
        fsync: bool = True,
        node: str | None = None,
        clock: Callable[[], float] = time.time,
        metrics: AuditMetrics | None = None,
        witness: bool = True,
    ) -> None:
        self.path = path
        self._witness = witness
        self.checkpoint_interval_s = checkpoint_interval_s
        self.checkpoint_every = checkpoint_every
        self._fsync = fsync
        self._clock = clock
        self._metrics = metrics
        # _lock guards the chain (head, queue, file); _committed is signalled after each commit.
        self._lock = threading.Lock()  # not re-entrant: _commit releases it while writing
        self._committed = threading.Condition(self._lock)
        self._fd: int | None = None
        self._head = START  # the chain's end, queued records included
        self._durable = START  # the last record written (and fsync'ed)
        self._queue: list[tuple[bytes, _Ticket]] = []
        self._last: _Ticket | None = None  # the ticket _enqueue made last (under the lock)
        self._committing = False  # a thread is writing a batch, outside the lock
        self._since_checkpoint = 0
        self._stop = threading.Event()
        self._timer: threading.Thread | None = None
        self._logger = structlog.wrap_logger(
            _Sink(self),
            processors=pipeline(clock, node or socket.gethostname(), self._chain),
            wrapper_class=structlog.BoundLogger,
            context_class=dict,
        ).bind()  # a concrete BoundLogger, not a lazy proxy rebuilt per call

    # -- state -----------------------------------------------------------------------------------
    @property
    def head(self) -> Head:
        return self._head

    def _chain(self, _logger: WrappedLogger, _name: str, ev: EventDict) -> EventDict:
        """Processor: the record's place in the chain (runs under the lock)."""
        ev["seq"] = self._head.seq + 1
        ev["prev"] = self._head.hash
        return ev

    def _enqueue(self, line: bytes) -> None:
        """Queue a rendered line (under the lock); the chain's head moves on at once, so the
        next record chains onto this one before either is written."""
        if self._fd is None:
            raise AuditError(f"{self.path}: audit log is not open")
        self._head = Head(self._head.seq + 1, hashlib.sha256(line).hexdigest())
        self._last = _Ticket(self._head)
        self._queue.append((line, self._last))

    def _queue_record(self, kind: str, fields: Mapping[str, Any]) -> _Ticket:
        """Render one record onto the queue (under the lock) and return its ticket."""
        self._last = None
        self._logger.msg(kind, **fields)
        if self._last is None:  # the pipeline dropped it: never so, but never silently
            raise AuditError(f"{self.path}: the record was not rendered")
        return self._last

    def _wait_durable(self, ticket: _Ticket) -> None:
        """Group commit: return once `ticket`'s record is written (and fsync'ed); raise its
        write error. The first waiter that finds no commit running writes everything queued
        so far with one write() and one fdatasync, outside the lock, while the others queue
        more and wait for it; records queued meanwhile go in the next commit."""
        with self._committed:
            while not ticket.done and ticket.error is None:
                if self._committing:
                    self._committed.wait()
                elif self._queue:
                    self._commit()
                else:  # neither written nor failed nor queued: never so, but never a hang
                    raise AuditError(f"{self.path}: the record was lost before its write")
        error = ticket.error
        if isinstance(error, OSError):
            # Each waiter raises its own exception (one instance shared by threads would
            # share its traceback too).
            raise OSError(error.errno, error.strerror, self.path)
        if error is not None:
            raise AuditError(f"{self.path}: the record was not written ({type(error).__name__})")

    def _commit(self) -> None:
        """Write the queue as one batch (called with the lock held; released while writing).

        A failed write is cut back (ftruncate) so no half record stays; its records, and any
        queued behind them (they chain onto them), fail and the head goes back to the last
        record written, so the chain on disk stays unbroken."""
        batch, self._queue = self._queue, []
        fd = self._fd
        if not batch or fd is None:  # _enqueue refuses while closed; close() settles first
            return
        self._committing = True
        self._lock.release()
        try:
            failure = self._write(fd, b"".join(line + b"\n" for line, _ in batch))
        finally:
            self._lock.acquire()
            self._committing = False
            self._committed.notify_all()
        if failure is None:
            self._durable = batch[-1][1].head
            for _, ticket in batch:
                ticket.done = True
            if self._metrics:
                self._metrics.audit_record_written(len(batch))  # once per commit
            return
        for _, ticket in batch + self._queue:
            ticket.error = failure
        self._queue = []
        self._head = self._durable
        if self._metrics:
            self._metrics.audit_write_failed()

    def _write(self, fd: int, data: bytes) -> Exception | None:
        """Append `data` with one write() (more only if the kernel takes part of it) and
        fdatasync; on an error cut the file back and return the error."""
        size: int | None = None
        try:
            size = os.fstat(fd).st_size
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if self._fsync:
                os.fdatasync(fd)
        except Exception as exc:
            if size is not None:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, size)  # no half record stays behind
            return exc
        return None

    def _settled(self) -> None:
        """Wait (lock held) until no commit is running and nothing is queued: before the file
        is swapped or closed."""
        while self._committing or self._queue:
            if self._committing:
                self._committed.wait()
            else:
                self._commit()

    # -- lifecycle -------------------------------------------------------------------------------
    def open(self, *, move_torn: bool = False) -> None:
        """Recover the head, open the file, write a 'start' checkpoint, start the timer.

        With move_torn (the service, which owns the file), an incomplete last line is first
        moved aside (move_torn_tail) and a 'torn_tail' record says so, chained onto the last
        whole record; without it such a file raises AuditError."""
        with self._lock:
            torn = move_torn_tail(self.path, self._clock) if move_torn else None
            self._head = self._durable = recover_head(self.path)
            self._fd = open_append(self.path)
        if torn is not None:
            log.warning(
                "audit_torn_tail_moved", path=self.path, bytes=torn.size, moved_to=torn.moved_to
            )
            self.record(
                "torn_tail",
                {"bytes": torn.size, "sha256": torn.sha256, "moved_to": torn.moved_to},
            )
        self.checkpoint("start")
        if self.checkpoint_interval_s:
            self._stop.clear()
            self._timer = threading.Thread(
                target=self._tick,
                args=(self.checkpoint_interval_s,),
                daemon=True,
                name="audit-checkpoint",
            )
            self._timer.start()

    def _tick(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                self.checkpoint("interval")
            except (OSError, AuditError) as exc:
                log.error("audit_checkpoint_failed", path=self.path, error=str(exc))

    def reopen(self) -> None:
        """Open the path again (logrotate renamed the file) and carry the chain on into it."""
        with self._lock:
            fd = open_append(self.path)
            self._settled()  # what was queued goes to the old file, whole
            old, self._fd = self._fd, fd
            if old is not None:
                os.close(old)
        self.checkpoint("reopen")

    def close(self) -> None:
        """Stop the timer, write a 'stop' checkpoint and close the file."""
        self._stop.set()
        if self._timer is not None:
            self._timer.join(5)
            self._timer = None
        if self._fd is None:
            return
        try:
            self.checkpoint("stop")
        except (OSError, AuditError) as exc:
            log.error("audit_checkpoint_failed", path=self.path, error=str(exc))
        with self._lock:
            with contextlib.suppress(OSError):
                self._settled()
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    # -- records ---------------------------------------------------------------------------------
    def record(self, kind: str, fields: Mapping[str, Any]) -> Head:
        """Append one record of `kind`; return the head with it. Returns once the record is
        written (and fsync'ed); raises if it was not."""
        if not KIND.fullmatch(kind):
            raise ValueError(f"audit record kind {kind!r} is not a lower-case identifier")
        clash = [k for k in RESERVED if k in fields]
        if clash:
            raise ValueError(f"audit fields may not set {', '.join(clash)}")
        due: _Ticket | None = None
        with self._lock:
            ticket = self._queue_record(kind, fields)
            if kind != "checkpoint":
                self._since_checkpoint += 1
                if self.checkpoint_every and self._since_checkpoint >= self.checkpoint_every:
                    due = self._queue_checkpoint("count")
        self._wait_durable(ticket)
        if due is not None:
            try:
                self._wait_durable(due)
            except (OSError, AuditError) as exc:  # this record is written; its checkpoint not
                log.error("audit_checkpoint_failed", path=self.path, error=str(exc))
            else:
                self._witnessed(due.head, "count")
        return ticket.head

    def _queue_checkpoint(self, reason: str) -> _Ticket:
        ticket = self._queue_record(
            "checkpoint", {"reason": reason, "interval_s": self.checkpoint_interval_s}
        )
        self._since_checkpoint = 0
        return ticket

    def checkpoint(self, reason: str) -> Head:
        """Write a checkpoint record; once it is written, its seq, time and hash go to the
        metrics and the log (a witness of a record that never reached the file would be
        false)."""
        with self._lock:
            ticket = self._queue_checkpoint(reason)
        self._wait_durable(ticket)
        self._witnessed(ticket.head, reason)
        return ticket.head

    def _witnessed(self, head: Head, reason: str) -> None:
        when = self._clock()
        if self._metrics:
            self._metrics.audit_checkpoint(head.seq, when, head.hash)
        if self._witness:
            log.info(
                "audit_checkpoint", path=self.path, seq=head.seq, head=head.hash, reason=reason
            )
