"""audit -- the tamper-evident audit trail: one hash-chained JSON line per decision.

SYNOPSIS
    trail = AuditLog("/var/log/postwarden/audit.jsonl", metrics=metrics)
    trail.open()                                   # recovers the chain head, writes a checkpoint
    trail.message(decision, envelope, message_id=raw_message_id, findings=findings)
    trail.recipient_refused(refusal, queue_id, path="smtp")
    trail.record("officer_release", {"queue_id": "4Zx...", "officer": "fg"})
    trail.reopen()                                 # after logrotate renamed the file (SIGUSR1)
    trail.close()                                  # writes a final checkpoint

    result = verify(["audit.jsonl.1", "audit.jsonl"], checkpoints=[Checkpoint(5120, "3fa2...")])

DESCRIPTION
    Each record is one line of compact JSON, built as a dict and rendered by a structlog
    processor pipeline (add_time, add_node, bound_text, mask_samples, the chain, order_keys,
    JSON). Keys, in this order:

        seq     1, 2, 3 ... without gaps, across files and restarts
        time    UTC, ISO 8601 with microseconds and 'Z'
        kind    message | recipient_refused | internal_error | checkpoint | (officer actions)
        node    socket.gethostname()
        ...     the kind's own fields
        prev    sha256 (hex) of the previous record's line (its bytes without the newline);
                64 zeros for the first record of a chain

    A message record holds the queue id, the path (smtp/local), message_id_sha256 (the first
    16 hex digits of the sha256 of the Message-ID header value, never the value), the sender,
    every recipient with its action, rule and reason, the message action, rule and reason,
    all rule ids, content findings as counts plus masked samples, and the policy's sha256.
    Never message text: a finding sample without a mask character ('*') is withheld, outside
    text is stripped of control characters and truncated.

    The chain: because every record names the hash of the one before, editing, deleting,
    reordering or inserting a line breaks the chain at that point, and `verify` says where and
    how. The chain continues across rotation and restarts: the head (seq and hash of the last
    record) is kept in memory; on open it is recovered from the last line of the file, or of
    FILE.1 (FILE.1.gz) when logrotate has just left FILE empty.

    Checkpoints: a checkpoint record is written at open, at reopen, at close, every
    checkpoint_interval_s seconds and every checkpoint_every records. Each one's seq, time
    and hash prefix go to the metrics and (unless witness=False, for command-line tools
    whose output is not a log) to the service log as an 'audit_checkpoint' event, outside
    the file: a tail cut off
    after a checkpoint (or a chain rewritten before it) shows against them
    (`postwarden audit verify --checkpoint SEQ:HASH`). Edits after the last exported
    checkpoint cannot be told from the file alone.

    Files are created mode 0640 whatever the umask (os.open, then fchmod), opened O_APPEND,
    written with one write() per record (so a line is never interleaved), and fsync'ed per
    record unless fsync=False. A failed write is cut back (ftruncate) so no half line stays,
    and the error is raised: the service then tempfails the message, so no mail is decided
    without its record. Threads may share one AuditLog.

DIAGNOSTICS
    AuditError when the existing file's last line is incomplete or not a record (a crash
    during a write, or tampering): run `postwarden audit verify FILE`, move the file aside and
    start again. OSError from opening or writing the file. ValueError for a malformed kind or a
    field that would overwrite seq, time, kind, node or prev.
"""

from __future__ import annotations

import abc
import contextlib
import datetime as dt
import gzip
import hashlib
import json
import os
import re
import socket
import threading
import time
import unicodedata
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from milter.core.address import Address, Malformed
from milter.core.engine import Decision, Envelope, RecipientDecision

GENESIS = "0" * 64
FILE_MODE = 0o640
MASK_CHARS = "*"
MAX_TEXT = 512  # any string from outside (addresses, reasons naming domains)
MAX_RAW = 100  # a malformed address as received, like Postfix's %.100s
MAX_WHERE = 64
MAX_WHERES = 8
MAX_SAMPLES = 3
MAX_SAMPLE_LEN = 40
WITHHELD = "[unmasked sample withheld]"
RESERVED = ("seq", "time", "kind", "node", "prev", "event")

_KIND = re.compile(r"[a-z][a-z0-9_]{0,39}")
_HEX = re.compile(r"[0-9a-f]{64}")
_BIDI_AND_CONTROL = {"Cc", "Cf", "Zl", "Zp"}

log = structlog.get_logger("postwarden.audit")


class AuditError(Exception):
    """The audit file cannot be continued safely."""


class AuditMetrics(Protocol):
    """What the audit trail reports to the metrics."""

    def audit_record_written(self) -> None: ...

    def audit_write_failed(self) -> None: ...

    def audit_checkpoint(self, seq: int, when: float, head: str) -> None: ...


class AuditFinding(Protocol):
    """A content finding as the audit needs it (the content scanner's value)."""

    @property
    def detector(self) -> str: ...

    @property
    def confidence(self) -> str: ...

    @property
    def count(self) -> int: ...

    @property
    def where(self) -> Sequence[str] | str: ...

    @property
    def samples(self) -> Sequence[str]: ...


# -- processors: small steps over the event dict -------------------------------------------------


def add_time(clock: Callable[[], float]) -> Processor:
    """Processor: 'time' as UTC ISO 8601 with microseconds and 'Z'."""

    def processor(_logger: WrappedLogger, _name: str, ev: EventDict) -> EventDict:
        when = dt.datetime.fromtimestamp(clock(), dt.UTC)
        ev["time"] = when.isoformat(timespec="microseconds").replace("+00:00", "Z")
        return ev

    return processor


def add_node(node: str) -> Processor:
    """Processor: 'node', the host that decided."""

    def processor(_logger: WrappedLogger, _name: str, ev: EventDict) -> EventDict:
        ev["node"] = node
        return ev

    return processor


def clean_text(text: str, limit: int = MAX_TEXT) -> str:
    """Outside text made safe to read: no control or bidi characters, at most `limit` chars."""
    if text.isprintable():  # fast path: no control, format (bidi) or line separators
        safe = text
    else:
        safe = "".join("?" if unicodedata.category(c) in _BIDI_AND_CONTROL else c for c in text)
    return safe if len(safe) <= limit else safe[:limit] + "..."


def _bound(value: Any, limit: int) -> Any:
    if isinstance(value, str):
        return clean_text(value, limit)
    if isinstance(value, Mapping):
        return {k: _bound(v, limit) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_bound(v, limit) for v in value]
    return value


def bound_text(limit: int = MAX_TEXT) -> Processor:
    """Processor: every string value (nested too) cleaned and truncated to `limit`."""

    def processor(_logger: WrappedLogger, _name: str, ev: EventDict) -> EventDict:
        for key, value in ev.items():
            ev[key] = _bound(value, limit)
        return ev

    return processor


def _masked(sample: str) -> str:
    if not any(c in MASK_CHARS for c in sample):
        return WITHHELD
    return clean_text(sample, MAX_SAMPLE_LEN)


def mask_samples(_logger: WrappedLogger, _name: str, ev: EventDict) -> EventDict:
    """Processor: at most 3 short samples per finding, only masked ones; short part names.

    A detector is expected to mask what it found ('12*****89'); a sample with no mask
    character would be client data, so it is replaced by a marker rather than written.
    """
    findings = ev.get("findings")
    if isinstance(findings, list):
        for finding in findings:
            if isinstance(finding, MutableMapping):
                samples = finding.get("samples") or []
                finding["samples"] = [_masked(str(s)) for s in list(samples)[:MAX_SAMPLES]]
                where = finding.get("where") or []
                finding["where"] = [clean_text(str(w), MAX_WHERE) for w in list(where)[:MAX_WHERES]]
    return ev


def rename_event(_logger: WrappedLogger, _name: str, ev: EventDict) -> EventDict:
    """Processor: structlog's 'event' is our record 'kind'."""
    ev["kind"] = ev.pop("event")
    return ev


def order_keys(_logger: WrappedLogger, _name: str, ev: EventDict) -> EventDict:
    """Processor: seq, time, kind, node first, the kind's fields, prev last."""
    head = {k: ev.pop(k) for k in ("seq", "time", "kind", "node") if k in ev}
    prev = ev.pop("prev", None)
    ordered: EventDict = {**head, **ev}
    if prev is not None:
        ordered["prev"] = prev
    return ordered


def _dumps(obj: Any, **_kw: Any) -> str:
    return json.dumps(obj, ensure_ascii=True, separators=(",", ":"), default=str)


# -- record contents -----------------------------------------------------------------------------


def message_id_hash(value: str | bytes | None) -> str | None:
    """First 16 hex digits of the sha256 of a Message-ID value (surrounding space removed)."""
    if value is None:
        return None
    raw = value if isinstance(value, bytes) else value.encode("utf-8", "surrogateescape")
    raw = raw.strip()
    return hashlib.sha256(raw).hexdigest()[:16] if raw else None


def address_text(address: Address | Malformed) -> str:
    if isinstance(address, Malformed):
        return clean_text(address.raw, MAX_RAW)
    return str(address)


def recipient_fields(rd: RecipientDecision) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "address": address_text(rd.address),
        "action": rd.action,
        "rule": rd.rule,
        "reason": rd.reason,
    }
    if rd.redirect_to is not None:
        fields["redirect_to"] = rd.redirect_to
    if isinstance(rd.address, Malformed):
        fields["malformed"] = True
    return fields


def finding_fields(f: AuditFinding) -> dict[str, Any]:
    return {
        "detector": f.detector,
        "confidence": f.confidence,
        "count": int(f.count),
        "where": [f.where] if isinstance(f.where, str) else list(f.where),
        "samples": list(f.samples),
    }


def message_fields(
    decision: Decision,
    envelope: Envelope,
    message_id: str | bytes | None = None,
    findings: Iterable[AuditFinding] | None = None,
) -> dict[str, Any]:
    """The fields of a 'message' record (pure: the processors finish the record).

    `findings` defaults to the decision's own.
    """
    found: Iterable[AuditFinding] = decision.findings if findings is None else findings
    return {
        "queue_id": envelope.queue_id,
        "path": decision.path,
        "message_id_sha256": message_id_hash(message_id),
        "sender": address_text(envelope.sender),
        "client": envelope.client,
        "auth_user": clean_text(envelope.auth_user, MAX_RAW) if envelope.auth_user else None,
        "action": decision.action,
        "rule": decision.rule,
        "reason": decision.reason,
        "recipients": [recipient_fields(rd) for rd in decision.recipients],
        "rules": list(decision.rules),
        "client_data": decision.client_data,
        "findings": [finding_fields(f) for f in found],
        "content_hits": [
            {"rule": h.rule, "action": h.action, "mode": h.mode, "reason": h.reason}
            for h in decision.content_hits
        ],
        "exceptions_used": [
            {"rule": x.rule, "ticket": x.ticket, "owner": x.owner, "expires": str(x.expires)}
            for x in decision.exceptions_used
        ],
        "policy_sha256": decision.policy_sha256,
    }


def refusal_fields(
    refusal: RecipientDecision,
    queue_id: str | None,
    path: str = "smtp",
    sender: Address | Malformed | None = None,
    policy_sha256: str | None = None,
    client: str | None = None,
) -> dict[str, Any]:
    """The fields of a 'recipient_refused' record (a refusal at RCPT time)."""
    return {
        "queue_id": queue_id,
        "path": path,
        "sender": None if sender is None else address_text(sender),
        "client": client,
        "recipient": recipient_fields(refusal),
        "rules": [refusal.rule] if refusal.rule else [],
        "policy_sha256": policy_sha256,
    }


# -- the file ------------------------------------------------------------------------------------


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


def open_append(path: str) -> int:
    """Open for appending; a file we create is mode 0640 whatever the umask."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return os.open(path, os.O_WRONLY | os.O_APPEND)
    os.fchmod(fd, FILE_MODE)
    return fd


class _Sink:
    """The structlog 'logger' at the end of the pipeline: appends one line to the file."""

    def __init__(self, trail: AuditLog) -> None:
        self._trail = trail

    def msg(self, line: str) -> None:
        self._trail._append(line.encode("ascii"))


class AuditWriter(abc.ABC):
    """What the service needs of an audit trail: ``record``, and the decision records built on
    it. An AuditLog writes them itself; with serve --workers N a worker's stand-in
    (prefork.RemoteAudit) has the supervisor write them and waits until it has."""

    path: str

    @abc.abstractmethod
    def record(self, kind: str, fields: Mapping[str, Any]) -> Head:
        """Have one record of `kind` written; raises if it was not."""

    def message(
        self,
        decision: Decision,
        envelope: Envelope,
        message_id: str | bytes | None = None,
        findings: Iterable[AuditFinding] | None = None,
    ) -> Head:
        return self.record("message", message_fields(decision, envelope, message_id, findings))

    def recipient_refused(
        self,
        refusal: RecipientDecision,
        queue_id: str | None,
        path: str = "smtp",
        sender: Address | Malformed | None = None,
        policy_sha256: str | None = None,
        client: str | None = None,
    ) -> Head:
        fields = refusal_fields(refusal, queue_id, path, sender, policy_sha256, client)
        return self.record("recipient_refused", fields)


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
        self._lock = threading.RLock()
        self._fd: int | None = None
        self._head = START
        self._since_checkpoint = 0
        self._stop = threading.Event()
        self._timer: threading.Thread | None = None
        self._logger = structlog.wrap_logger(
            _Sink(self),
            processors=[
                rename_event,
                add_time(clock),
                add_node(node or socket.gethostname()),
                mask_samples,
                bound_text(),
                self._chain,
                order_keys,
                structlog.processors.JSONRenderer(serializer=_dumps),
            ],
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

    def _append(self, line: bytes) -> None:
        if self._fd is None:
            raise AuditError(f"{self.path}: audit log is not open")
        data = line + b"\n"
        size = os.fstat(self._fd).st_size
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(self._fd, view) :]
            if self._fsync:
                os.fdatasync(self._fd)
        except OSError:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, size)  # no half record stays behind
            if self._metrics:
                self._metrics.audit_write_failed()
            raise
        self._head = Head(self._head.seq + 1, hashlib.sha256(line).hexdigest())
        if self._metrics:
            self._metrics.audit_record_written()

    # -- lifecycle -------------------------------------------------------------------------------
    def open(self) -> None:
        """Recover the head, open the file, write a 'start' checkpoint, start the timer."""
        with self._lock:
            self._head = recover_head(self.path)
            self._fd = open_append(self.path)
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
        with self._lock:
            if self._fd is None:
                return
            try:
                self.checkpoint("stop")
            except OSError as exc:
                log.error("audit_checkpoint_failed", path=self.path, error=str(exc))
            os.close(self._fd)
            self._fd = None

    # -- records ---------------------------------------------------------------------------------
    def record(self, kind: str, fields: Mapping[str, Any]) -> Head:
        """Append one record of `kind`; return the new head. Raises if it was not written."""
        if not _KIND.fullmatch(kind):
            raise ValueError(f"audit record kind {kind!r} is not a lower-case identifier")
        clash = [k for k in RESERVED if k in fields]
        if clash:
            raise ValueError(f"audit fields may not set {', '.join(clash)}")
        with self._lock:
            self._logger.msg(kind, **fields)
            head = self._head
            if kind != "checkpoint":
                self._since_checkpoint += 1
                if self.checkpoint_every and self._since_checkpoint >= self.checkpoint_every:
                    self.checkpoint("count")
            return head

    def checkpoint(self, reason: str) -> Head:
        """Write a checkpoint record; its seq, time and hash go to the metrics and the log."""
        with self._lock:
            self._logger.msg("checkpoint", reason=reason, interval_s=self.checkpoint_interval_s)
            self._since_checkpoint = 0
            head = self._head
        when = self._clock()
        if self._metrics:
            self._metrics.audit_checkpoint(head.seq, when, head.hash)
        if self._witness:
            log.info(
                "audit_checkpoint", path=self.path, seq=head.seq, head=head.hash, reason=reason
            )
        return head


# -- verification --------------------------------------------------------------------------------

LOOKAHEAD = 64


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A chain position witnessed outside the file: seq, and optionally a hash prefix."""

    seq: int
    hash: str | None = None

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """'SEQ' or 'SEQ:HASH' (HASH: 8 to 64 hex digits, a prefix of the record's sha256)."""
        seq, _, digest = text.partition(":")
        digest = digest.strip().lower()
        if not seq.strip().isdigit() or int(seq) < 1:
            raise ValueError(f"expected SEQ or SEQ:HASH, got {text!r}")
        if digest and not re.fullmatch(r"[0-9a-f]{8,64}", digest):
            raise ValueError(f"the hash in {text!r} must be 8 to 64 hex digits")
        return cls(int(seq), digest or None)


@dataclass(frozen=True, slots=True)
class Problem:
    """The first broken place: file:line, what kind of tampering it looks like, details."""

    file: str
    line: int
    kind: str  # edited | deleted | reordered | inserted | truncated
    detail: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.kind}: {self.detail}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """What `verify` found: ok with counts and head, or the first problem."""

    records: int
    files: int
    checkpoints: int
    first_seq: int | None
    last_seq: int | None
    head: str | None
    problem: Problem | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.problem is None

    def __str__(self) -> str:
        if self.problem is not None:
            return str(self.problem)
        span = f" (seq {self.first_seq}..{self.last_seq})" if self.records else ""
        text = (
            f"ok: {_plural(self.records, 'record')}{span} in {_plural(self.files, 'file')},"
            f" {_plural(self.checkpoints, 'checkpoint')}, head {self.head or GENESIS}"
        )
        return "\n".join([text, *self.notes])


@dataclass(frozen=True, slots=True)
class _Entry:
    file: str
    line: int
    hash: str
    seq: int = 0
    prev: str = ""
    kind: str = ""
    error: tuple[str, str] | None = None  # (problem kind, detail)

    @property
    def at(self) -> str:
        return f"{self.file}:{self.line}"


def _open_lines(path: str) -> Iterator[bytes]:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as fh:
        yield from fh


def _entry(path: str, number: int, raw: bytes) -> _Entry:
    if not raw.endswith(b"\n"):
        digest = hashlib.sha256(raw).hexdigest()
        return _Entry(path, number, digest, error=("truncated", "the last line is incomplete"))
    body = raw[:-1]
    digest = hashlib.sha256(body).hexdigest()
    if not body.strip():
        return _Entry(path, number, digest, error=("inserted", "an empty line"))
    try:
        doc = json.loads(body)
    except ValueError:
        return _Entry(path, number, digest, error=("edited", "not valid JSON"))
    if not isinstance(doc, dict):
        return _Entry(path, number, digest, error=("edited", "not a JSON object"))
    seq, prev, kind = doc.get("seq"), doc.get("prev"), doc.get("kind")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        return _Entry(path, number, digest, error=("edited", "no valid 'seq'"))
    if not isinstance(prev, str) or not _HEX.fullmatch(prev):
        return _Entry(path, number, digest, seq, error=("edited", "no valid 'prev' hash"))
    if not isinstance(kind, str) or not _KIND.fullmatch(kind):
        return _Entry(path, number, digest, seq, prev, error=("edited", "no valid 'kind'"))
    return _Entry(path, number, digest, seq, prev, kind)


def _entries(paths: Sequence[str]) -> Iterator[_Entry]:
    for path in paths:
        for number, raw in enumerate(_open_lines(path), start=1):
            yield _entry(path, number, raw)


def _first_seq(path: str) -> int | None:
    for raw in _open_lines(path):
        entry = _entry(path, 1, raw)
        return entry.seq if entry.error is None else None
    return None


def order_files(paths: Sequence[str]) -> list[str]:
    """Rotated files oldest first, by their first seq (as given if any first line is bad)."""
    firsts = [(_first_seq(p), n, p) for n, p in enumerate(paths)]
    if any(seq is None for seq, _, p in firsts if os.path.getsize(p)):
        return list(paths)
    return [p for _, _, p in sorted(firsts, key=lambda t: (t[0] or 0, t[1]))]


class _Window:
    """An iterator with a bounded look-ahead."""

    def __init__(self, items: Iterator[_Entry]) -> None:
        self._items = items
        self._ahead: deque[_Entry] = deque()

    def _fill(self, n: int) -> None:
        while len(self._ahead) < n:
            nxt = next(self._items, None)
            if nxt is None:
                return
            self._ahead.append(nxt)

    def next(self) -> _Entry | None:
        self._fill(1)
        return self._ahead.popleft() if self._ahead else None

    def peek(self, k: int = 0) -> _Entry | None:
        self._fill(k + 1)
        return self._ahead[k] if k < len(self._ahead) else None

    def ahead(self, n: int) -> list[_Entry]:
        self._fill(n)
        return list(self._ahead)[:n]


def _classify(before: _Entry | None, last: _Entry, e: _Entry, window: _Window) -> Problem | None:
    """Why `e` does not follow `last` (None if it does), as well as the chain can tell."""
    want_seq, want_prev = last.seq + 1, last.hash
    seq_ok, link_ok = e.seq == want_seq, e.prev == want_prev
    if seq_ok and link_ok:
        return None
    nxt = window.peek()
    if link_ok:
        return Problem(
            e.file,
            e.line,
            "edited",
            f"seq is {e.seq}, expected {want_seq} (its hash link is intact, the seq was changed)",
        )
    if seq_ok:
        if nxt is not None and nxt.seq == want_seq and nxt.prev == want_prev:
            return Problem(
                e.file,
                e.line,
                "inserted",
                f"a record claiming seq {e.seq}; the chain goes on from {last.at} at {nxt.at}",
            )
        if nxt is None or nxt.prev == e.hash:
            return Problem(
                last.file,
                last.line,
                "edited",
                f"record seq {last.seq} was changed: its hash no longer matches the 'prev' of"
                f" the next record ({e.at})",
            )
        return Problem(
            e.file,
            e.line,
            "edited",
            f"record seq {e.seq} was changed: its 'prev' does not match {last.at} and the next"
            " record does not link to it",
        )
    ahead = window.ahead(LOOKAHEAD)
    follower = next((c for c in ahead if c.seq == want_seq and c.prev == want_prev), None)
    if follower is not None:
        copy = next((c for c in ahead if c.hash == e.hash), None)
        if copy is not None:
            return Problem(
                e.file, e.line, "inserted", f"a copy of the record at {copy.at} (seq {e.seq})"
            )
        linked = any(c.hash == e.prev or c.prev == e.hash for c in ahead)
        if linked:
            return Problem(
                e.file,
                e.line,
                "reordered",
                f"record seq {e.seq} comes before seq {want_seq} ({follower.at})",
            )
        return Problem(
            e.file,
            e.line,
            "inserted",
            f"this record (seq {e.seq}) is not part of the chain; it goes on from {last.at}"
            f" at {follower.at}",
        )
    if e.seq == last.seq and before is not None and e.prev == before.hash:
        if nxt is not None and nxt.prev == e.hash:
            return Problem(
                last.file,
                last.line,
                "inserted",
                f"two records claim seq {e.seq}; the chain goes on from the later one ({e.at})",
            )
        return Problem(
            e.file,
            e.line,
            "inserted",
            f"two records claim seq {e.seq}; the chain goes on from the earlier one ({last.at})",
        )
    if e.seq < want_seq:
        return Problem(
            e.file, e.line, "reordered", f"record seq {e.seq} comes after seq {last.seq}"
        )
    if e.seq > want_seq:
        missing = f"{want_seq}" if e.seq == want_seq + 1 else f"{want_seq}..{e.seq - 1}"
        between = f" (between {last.file} and {e.file})" if e.file != last.file else ""
        return Problem(
            e.file, e.line, "deleted", f"record(s) seq {missing} missing before this one{between}"
        )
    return Problem(e.file, e.line, "edited", f"does not follow {last.at}")


def verify(paths: Sequence[str], checkpoints: Iterable[Checkpoint] = ()) -> VerifyResult:
    """Check the chain through `paths` (rotated files in any order) against `checkpoints`."""
    files = order_files(paths)
    wanted = sorted(checkpoints, key=lambda c: c.seq)
    window = _Window(_entries(files))
    before: _Entry | None = None
    last: _Entry | None = None
    first_seq: int | None = None
    records = marks = 0
    notes: list[str] = []

    def result(problem: Problem | None) -> VerifyResult:
        return VerifyResult(
            records,
            len(files),
            marks,
            first_seq,
            last.seq if last else None,
            last.hash if last else None,
            problem,
            tuple(notes),
        )

    while (e := window.next()) is not None:
        if e.error is not None:
            return result(Problem(e.file, e.line, *e.error))
        if last is None:
            first_seq = e.seq
            if e.seq == 1 and e.prev != GENESIS:
                return result(
                    Problem(e.file, e.line, "edited", "seq 1 does not start from the genesis hash")
                )
            if e.seq > 1:
                notes.append(
                    f"note: the chain starts at seq {e.seq} ({e.at}); earlier files"
                    " were not given, so their records are not checked"
                )
            for cp in wanted:
                if cp.seq < e.seq:
                    notes.append(f"note: checkpoint seq {cp.seq} is before the first record given")
        else:
            problem = _classify(before, last, e, window)
            if problem is not None:
                return result(problem)
        for cp in wanted:
            if cp.seq == e.seq and cp.hash and not e.hash.startswith(cp.hash):
                return result(
                    Problem(
                        e.file,
                        e.line,
                        "edited",
                        f"record seq {e.seq} has hash {e.hash[:12]}, the checkpoint says"
                        f" {cp.hash[:12]}: the chain was rewritten at or before this record",
                    )
                )
        before, last = last, e
        records += 1
        marks += e.kind == "checkpoint"
    beyond = [cp.seq for cp in wanted if last is None or cp.seq > last.seq]
    if beyond:
        where = (last.file, last.line) if last else (files[-1] if files else "-", 0)
        ends = f"ends at seq {last.seq}" if last else "holds no records"
        return result(
            Problem(
                *where,
                "truncated",
                f"the chain {ends}, but seq {max(beyond)} was written (checkpoint)",
            )
        )
    return result(None)
