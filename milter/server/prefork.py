"""prefork -- ``postwarden serve --workers N``: worker processes share the listening sockets.

One Python process decides one message at a time (the GIL), however many Postfix connections
it has. With ``--workers N`` the process systemd starts becomes a supervisor:

- it loads the policy, opens the audit trail and binds the listeners (same modes and group as
  one process), then starts N workers. Each worker inherits the listening sockets and the ends
  of two socketpairs (control: policies; audit: records), accepts on every listener and runs
  sessions exactly as one process does;
- it is the audit trail's only writer. A worker makes each record's fields itself and sends
  them (length-prefixed JSON) to the supervisor, which writes and fsyncs the record and only
  then acks (the session thread sends and waits itself, no hand-off to another thread): as
  in one process, no verdict is sent before its record is on disk. No ack (write failed,
  supervisor gone, 10 s passed) raises, and the message is tempfailed;
- it reloads the policy (SIGHUP, the file watch): loaded, checked, audited and counted once;
  a good one is then sent (its text) to every worker, which swaps it in; a refused one never
  reaches them. SIGUSR1 reopens the audit trail. The domain watch runs here, once;
- it serves /metrics: its own values plus its workers' (prometheus-client's multiprocess
  files, in a private directory removed at exit), summed; see metrics.MergedCollector;
- a worker that dies (crash, SIGKILL) drops only its connections: Postfix answers their
  messages with milter_default_action (tempfail). The supervisor logs ``worker_lost``, counts
  it (postwarden_workers_lost_total) and starts a replacement, after a back-off when workers
  keep dying young (0.5 s doubling to 30 s), so a crash loop does not spin;
- SIGTERM/SIGINT are passed on: workers stop accepting and drain as one process does
  (server.listeners.MilterServer.drain); the supervisor waits for them (grace + 5 s, then
  SIGKILL) and exits 0.

Workers are started with fork+exec (subprocess.Popen of ``python -m milter.server.prefork CONFIG``),
not with a bare os.fork: replacements are started while the supervisor runs threads (metrics
server, audit checkpoint timer, channel readers, policy watch), and a bare fork would copy
whatever locks those threads hold at that instant (logging, the audit trail, metric values)
into a child that could never release them. subprocess forks and execs in C with no Python in
between, so every worker is a fresh interpreter; the cost is its start-up (about half a
second of imports), paid at start and after a crash only. Listening sockets and the
socketpair ends are passed with pass_fds; the worker gets their numbers in CONFIG.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import structlog
from prometheus_client import CollectorRegistry
from structlog.typing import EventDict, WrappedLogger

from milter.audit.trail import AuditError, AuditLog, AuditWriter, Head
from milter.core.engine import SubmissionPath
from milter.domains.gather import DnsGatherer
from milter.metrics.merge import MergedCollector
from milter.metrics.registry import Metrics
from milter.policy import Policy, PolicyError
from milter.policy.issues import PolicyIssue
from milter.policy.loader import MAX_POLICY_BYTES, load_policy_text
from milter.server.daemon import (
    Daemon,
    DaemonOptions,
    DecisionLog,
    configure_logging,
    milter_server,
)
from milter.server.frames import (
    Ack,
    AuditRequest,
    Frame,
    FrameReader,
    PolicyFrame,
    PolicyLoaded,
    encode,
    recv_frames,
    send_frame,
)
from milter.server.listeners import ListenSpec, MilterServer, open_listener
from milter.server.session import PolicyHolder

log = structlog.get_logger("postwarden.prefork")

ACK_TIMEOUT_S = 10.0  # well inside the session's 25 s message budget
POLICY_WAIT_S = 30.0  # a new worker's first policy
LIVED_LONG_S = 10.0  # a worker that ran this long restarts at once when it dies
BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 30.0
_WORKER_IGNORES = {signal.SIGHUP, signal.SIGUSR1}  # signals for the supervisor alone


# -- the worker's end ----------------------------------------------------------------------------


class Channel:
    """A worker's control line from the supervisor: policies in (each confirmed). One reader
    thread; `on_closed` runs when the supervisor is gone."""

    def __init__(
        self,
        sock: socket.socket,
        on_policy: Callable[[PolicyFrame], None],
        on_closed: Callable[[], None],
    ) -> None:
        self._sock = sock
        self._on_policy = on_policy
        self._on_closed = on_closed
        self._send_lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, name="supervisor-control", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def send(self, frame: Frame) -> None:
        send_frame(self._sock, self._send_lock, frame)

    def _read(self) -> None:
        for frame in recv_frames(self._sock):
            if isinstance(frame, PolicyFrame):
                try:
                    self._on_policy(frame)
                except Exception:  # the reader must outlive a bad frame
                    log.exception("worker_policy_failed")
        self._on_closed()


class AuditLine:
    """A worker's audit line to the supervisor: one record at a time, sent and acknowledged
    by the calling session thread itself (no hand-off to another thread: the supervisor
    writes records one at a time anyway)."""

    def __init__(self, sock: socket.socket, on_broken: Callable[[], None] = lambda: None) -> None:
        self._sock = sock
        self._reader = FrameReader(sock)
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._on_broken = on_broken  # the worker stops (and is replaced): it cannot audit
        self.closed = False

    def _broken(self) -> None:
        if not self.closed:
            self.closed = True
            self._on_broken()

    def request(self, kind: str, fields: Mapping[str, Any], timeout: float = ACK_TIMEOUT_S) -> None:
        """Have the supervisor write one record; return once it is written (and fsynced).
        Raises AuditError otherwise: the caller tempfails, as for a failed local write."""
        deadline = time.monotonic() + timeout
        late = "audit: the supervisor did not confirm the record in time"
        if not self._lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise AuditError(late)
        try:
            if self.closed:
                raise AuditError("audit: the supervisor is gone")
            ident = next(self._ids)
            data = encode(AuditRequest(ident, kind, fields))
            try:
                self._sock.settimeout(max(0.001, deadline - time.monotonic()))
                self._sock.sendall(data)
            except OSError as exc:  # a timeout too: part of a frame may be out, the line is lost
                self._broken()
                raise AuditError(f"audit: cannot reach the supervisor: {exc}") from None
            while True:  # an ack that came too late for an earlier record is skipped
                try:
                    self._sock.settimeout(max(0.001, deadline - time.monotonic()))
                    reply = self._reader.next()
                except TimeoutError:
                    raise AuditError(late) from None
                except OSError as exc:
                    self._broken()
                    raise AuditError(f"audit: cannot reach the supervisor: {exc}") from None
                if reply is None:
                    self._broken()
                    raise AuditError("audit: the supervisor is gone")
                if isinstance(reply, Ack) and reply.id == ident:
                    break
        finally:
            self._lock.release()
        if not reply.ok:
            raise AuditError(f"audit: the record was not written ({reply.error or '?'})")


class RemoteAudit(AuditWriter):
    """A worker's audit trail: the record's fields are made here, written by the supervisor."""

    def __init__(self, line: AuditLine, path: str) -> None:
        self._line = line
        self.path = path

    def record(self, kind: str, fields: Mapping[str, Any]) -> Head:
        self._line.request(kind, dict(fields))
        return Head(0, "")  # the head is the supervisor's; nobody in a worker needs it


def worker_main(config: Mapping[str, Any]) -> int:
    """One worker: serve the inherited listeners until SIGTERM (or the supervisor is gone)."""
    configure_logging()
    index = int(config["index"])

    def add_worker(_logger: WrappedLogger, _name: str, event: EventDict) -> EventDict:
        event.setdefault("worker", index)
        return event

    structlog.configure(processors=[add_worker, *structlog.get_config()["processors"]])
    stop = threading.Event()
    first = threading.Event()
    holder: list[PolicyHolder] = []
    server: list[MilterServer] = []

    def halt() -> None:
        stop.set()
        first.set()
        for s in server:
            s.stop()

    def on_term(_signum: int, _frame: FrameType | None) -> None:
        halt()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # the supervisor reloads, and sends the policy
    signal.signal(signal.SIGUSR1, signal.SIG_IGN)  # the supervisor reopens the audit trail
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _WORKER_IGNORES)  # blocked since the fork

    def on_policy(frame: PolicyFrame) -> None:
        try:
            policy = load_policy_text(frame.text, frame.source)
        except PolicyError:  # the supervisor checked it: this cannot happen; keep the old one
            log.error("worker_policy_refused", worker=index)
            return
        if holder:
            holder[0].replace(policy)
        else:
            holder.append(PolicyHolder(policy))
            first.set()
        channel.send(PolicyLoaded(policy.sha256))

    def on_closed() -> None:
        if not stop.is_set():
            log.error("worker_orphaned", worker=index, action="stop accepting, drain")
        halt()

    control = socket.socket(fileno=int(config["control"]))
    control.setblocking(True)
    channel = Channel(control, on_policy, on_closed)
    channel.start()
    if not first.wait(POLICY_WAIT_S) or stop.is_set() or not holder:
        return 0 if stop.is_set() else 1
    policies = holder[0]
    metrics = Metrics()  # multiprocess values: PROMETHEUS_MULTIPROC_DIR is set for workers
    audit_path = config.get("audit")
    line = socket.socket(fileno=int(config["audit_line"]))
    line.setblocking(True)

    def audit_lost() -> None:
        log.error("worker_audit_line_lost", worker=index, action="stop accepting, drain")
        halt()

    audit = RemoteAudit(AuditLine(line, audit_lost), str(audit_path)) if audit_path else None
    dns = DnsGatherer(tuple(config["nameservers"]), observer=metrics.observe_dns)
    sockets: list[tuple[socket.socket, ListenSpec, SubmissionPath]] = []
    for fd, spec, path in config["listeners"]:
        sock = socket.socket(fileno=int(fd))
        sockets.append((sock, ListenSpec.parse(str(spec)), "local" if path == "local" else "smtp"))
    milter, notifier, history = milter_server(
        policies,
        DecisionLog(metrics, audit, policies),
        metrics,
        dns,
        [(spec, path) for _, spec, path in sockets],
        gateway=config.get("gateway"),
    )
    milter.adopt(sockets)
    server.append(milter)
    if stop.is_set():
        milter.stop()
    log.info("worker_started", worker=index, sha256=policies.current.sha256[:12])
    milter.serve_forever()
    milter.drain(float(config["grace_s"]))
    notifier.close()
    history.close()
    log.info("worker_stopped", worker=index)
    return 0


# -- the supervisor ------------------------------------------------------------------------------


def serve_line(
    sock: socket.socket,
    send_lock: threading.Lock,
    audit: AuditLog | None,
    on_policy_loaded: Callable[[str], None],
) -> None:
    """The supervisor's end of one worker's line, until it closes: write each audit record
    and ack it only after the write (and fsync) succeeded; note which policy the worker runs."""
    for frame in recv_frames(sock):
        if isinstance(frame, AuditRequest):
            reply = Ack(frame.id, True)
            try:
                if audit is None:
                    raise AuditError("no audit trail")
                audit.record(frame.kind, frame.fields)
            except Exception as exc:  # any failure: the worker tempfails that message
                path = audit.path if audit else None
                log.error("audit_write_failed", path=path, error=type(exc).__name__)
                reply = Ack(frame.id, False, type(exc).__name__)
            with contextlib.suppress(OSError):
                send_frame(sock, send_lock, reply)
        elif isinstance(frame, PolicyLoaded):
            on_policy_loaded(frame.sha256)


@dataclass
class _Worker:
    index: int
    proc: subprocess.Popen[bytes]
    control: socket.socket  # policies out, their confirmations in
    audit: socket.socket  # records in, acks out
    started: float
    send_lock: threading.Lock = field(default_factory=threading.Lock)  # of `control`
    policy_sha256: str | None = None
    asked_to_stop: bool = False


class Supervisor:
    """Starts, watches and replaces the workers; writes their audit records; sends policies."""

    def __init__(
        self,
        count: int,
        listeners: list[tuple[socket.socket, str, SubmissionPath]],
        policy: Policy,
        policy_text: bytes,
        audit: AuditLog | None,
        metrics_dir: str,
        config: Mapping[str, Any],
        on_lost: Callable[[], None],
        on_running: Callable[[int], None],
    ) -> None:
        self._count = count
        self._listeners = listeners
        self._policy = (policy, policy_text)
        self._audit = audit
        self._metrics_dir = metrics_dir
        self._config = dict(config)
        self._on_lost = on_lost
        self._on_running = on_running
        self._slots: list[_Worker | None] = [None] * count
        self._next_start = [0.0] * count
        self._quick_deaths = [0] * count
        self._lock = threading.Condition()
        self.stopping = threading.Event()

    # -- policy ------------------------------------------------------------------------------------
    def send_policy(self, policy: Policy, text: bytes, wait_s: float = 10.0) -> int:
        """Send a checked policy to every worker; return how many confirmed it in `wait_s`."""
        frame = PolicyFrame(policy.source, policy.sha256, text)
        with self._lock:
            self._policy = (policy, text)
            workers = [w for w in self._slots if w is not None]
        for worker in workers:
            with contextlib.suppress(OSError):  # a dead worker's replacement gets it at start
                send_frame(worker.control, worker.send_lock, frame)
        deadline = time.monotonic() + wait_s
        with self._lock:
            while True:
                live = [w for w in self._slots if w is not None]
                confirmed = sum(1 for w in live if w.policy_sha256 == policy.sha256)
                left = deadline - time.monotonic()
                if confirmed == len(live) or left <= 0:
                    break
                self._lock.wait(left)
        log.info("policy_sent_to_workers", sha256=policy.sha256[:12], workers=confirmed)
        return confirmed

    # -- workers -----------------------------------------------------------------------------------
    def _spawn(self, index: int) -> None:
        control, control_theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        audit, audit_theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        theirs = (control_theirs, audit_theirs)
        for end in (control, audit, *theirs):  # blocking whatever setdefaulttimeout() says
            end.setblocking(True)
        config = {
            **self._config,
            "index": index,
            "control": control_theirs.fileno(),
            "audit_line": audit_theirs.fileno(),
            "listeners": [[s.fileno(), spec, path] for s, spec, path in self._listeners],
        }
        env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": self._metrics_dir}
        fds = [*(end.fileno() for end in theirs), *(s.fileno() for s, _, _ in self._listeners)]
        # A worker inherits these blocked until its own handlers are in place: a SIGHUP or
        # SIGUSR1 sent to the whole group during its start-up must not end it.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, _WORKER_IGNORES)
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "milter.server.prefork", json.dumps(config)],
                pass_fds=fds,
                env=env,
                stdin=subprocess.DEVNULL,
            )
        except OSError as exc:
            log.error("worker_start_failed", worker=index, error=exc.strerror)
            control.close()
            audit.close()
            self._next_start[index] = time.monotonic() + BACKOFF_MAX_S
            return
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            for end in theirs:
                end.close()
        worker = _Worker(index, proc, control, audit, time.monotonic())
        with self._lock:
            policy, text = self._policy
            send_frame(control, worker.send_lock, PolicyFrame(policy.source, policy.sha256, text))
            self._slots[index] = worker

        def loaded(sha256: str) -> None:
            with self._lock:
                worker.policy_sha256 = sha256
                self._lock.notify_all()

        for name, sock in (("control", control), ("audit", audit)):
            threading.Thread(
                target=serve_line,
                args=(sock, threading.Lock(), self._audit, loaded),
                name=f"worker-{index}-{name}",
                daemon=True,
            ).start()
        log.info("worker_forked", worker=index, pid=proc.pid)

    def _reap(self, index: int, worker: _Worker, now: float) -> None:
        from prometheus_client import multiprocess

        code = worker.proc.returncode
        how = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit {code}"
        with self._lock:
            self._slots[index] = None
            self._lock.notify_all()
        for sock in (worker.control, worker.audit):
            with contextlib.suppress(OSError):
                sock.close()
        multiprocess.mark_process_dead(worker.proc.pid, self._metrics_dir)  # type: ignore[no-untyped-call]
        if worker.asked_to_stop or self.stopping.is_set():
            return
        lived = now - worker.started
        self._quick_deaths[index] = 0 if lived >= LIVED_LONG_S else self._quick_deaths[index] + 1
        quick = self._quick_deaths[index]
        delay = 0.0 if quick == 0 else min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** (quick - 1))
        self._next_start[index] = now + delay
        self._on_lost()
        log.error(
            "worker_lost",
            worker=index,
            pid=worker.proc.pid,
            how=how,
            lived_s=round(lived, 1),
            restart_in_s=delay,
            effect="its connections dropped: Postfix tempfails their messages",
        )

    def run(self) -> None:
        """Keep `count` workers running until `stopping` is set."""
        while not self.stopping.is_set():
            now = time.monotonic()
            for index in range(self._count):
                worker = self._slots[index]
                if worker is not None and worker.proc.poll() is not None:
                    self._reap(index, worker, now)
                    worker = None
                if worker is None and now >= self._next_start[index] and not self.stopping.is_set():
                    self._spawn(index)
            self._on_running(sum(1 for w in self._slots if w is not None))
            self.stopping.wait(0.1)

    def signal_workers(self, signum: int) -> None:
        for worker in list(self._slots):
            if worker is not None:
                worker.asked_to_stop = signum in (signal.SIGTERM, signal.SIGINT)
                with contextlib.suppress(ProcessLookupError):
                    worker.proc.send_signal(signum)

    def stop(self, grace_s: float) -> None:
        """SIGTERM every worker; wait for them to drain (grace + 5 s), then SIGKILL the rest."""
        self.stopping.set()
        self.signal_workers(signal.SIGTERM)
        deadline = time.monotonic() + grace_s + 5.0
        for index, worker in enumerate(self._slots):
            if worker is None:
                continue
            try:
                worker.proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.error("worker_killed", worker=index, pid=worker.proc.pid, after_s=grace_s + 5)
                worker.proc.kill()
                worker.proc.wait()
            self._reap(index, worker, time.monotonic())
        self._on_running(0)


def _load_with_text(source: str, texts: dict[str, bytes]) -> Policy:
    """load_policy, keeping the bytes (by sha256) so workers get exactly what was checked."""
    try:
        with open(source, "rb") as handle:
            data = handle.read(MAX_POLICY_BYTES + 1)
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise PolicyError(
            [PolicyIssue(source, 0, 0, f"cannot read policy file: {reason}")]
        ) from None
    policy = load_policy_text(data, source)
    texts[policy.sha256] = data
    return policy


def supervise(options: DaemonOptions) -> int:
    """``serve --workers N`` (N > 1): the supervisor. See the module docstring."""
    texts: dict[str, bytes] = {}
    sent: list[Supervisor] = []

    def on_reloaded(new: Policy) -> None:
        for sha in [s for s in texts if s != new.sha256]:
            del texts[sha]  # only the policy in force is ever sent again
        for supervisor in sent:
            supervisor.send_policy(new, texts[new.sha256])

    try:
        daemon = Daemon(options, lambda s: _load_with_text(s, texts), on_reloaded)
    except AuditError as exc:
        log.error("audit_refused", error=str(exc))
        return 2
    policy = daemon.holder.current
    bound = [
        (open_listener(spec, socket_group=options.socket_group), spec, path)
        for spec, path in options.listeners
    ]
    metrics_dir = tempfile.mkdtemp(prefix="postwarden-metrics-")
    try:
        supervisor = Supervisor(
            options.workers,
            [(sock, str(spec), path) for sock, spec, path in bound],
            policy,
            texts[policy.sha256],
            daemon.audit,
            metrics_dir,
            {
                "grace_s": options.grace_s,
                "nameservers": list(options.nameservers),
                "gateway": options.gateway_name,
                "audit": options.audit_log,
            },
            daemon.metrics.worker_lost,
            daemon.metrics.workers_running,
        )
        sent.append(supervisor)
        merged = CollectorRegistry()
        merged.register(MergedCollector(daemon.metrics.registry, metrics_dir))
        daemon.serve_metrics(merged)

        def on_term(signum: int) -> None:
            if not supervisor.stopping.is_set():
                log.info("shutting_down", signal=signal.Signals(signum).name)
            supervisor.stopping.set()

        daemon.start(on_term)
        daemon.log_listening(
            (f"{spec} ({path})" for _, spec, path in bound), workers=options.workers
        )
        supervisor.run()
        supervisor.stop(options.grace_s)
        daemon.close()
    finally:
        for sock, spec, _path in bound:
            sock.close()
            if spec.kind == "unix":
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(spec.path)
        shutil.rmtree(metrics_dir, ignore_errors=True)
    log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(worker_main(json.loads(sys.argv[1])))
