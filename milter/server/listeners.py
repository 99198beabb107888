"""server.listeners -- ``--listen`` specs, listening sockets and the milter server.

``inet:HOST:PORT`` (IPv4 or IPv6) and ``unix:PATH``, one listener per submission path:
``smtp`` (Postfix ``smtpd_milters``) and ``local`` (``non_smtpd_milters``). A unix socket gets
mode 0660 and, in deployments, the ``postfix`` group, so Postfix's daemons may connect and
nobody else. One thread per Postfix connection runs a ``MilterSession``; at shutdown messages
in flight finish within a grace period and idle connections are closed at once.

Why a thread per connection (measured, issue 19; bench/variants.py one-loop, loop-handoff,
loop-eom-handoff): one selector thread serving every connection used 4-22 % less CPU per
message at 8 connections (three sittings) and the same at 1; but a loop
that hands the work which may stall (end of message, uncached DNS) to other threads, as a
deployable one must, gained nothing or lost. Each held connection's thread costs about 230 KiB
of RSS (100 held: +23 MiB), within the memory target.

DIAGNOSTICS
    ListenSpecError for a value that is neither form; ``milter_accept_failed`` (EMFILE and
    friends) backs off and keeps serving.
"""

from __future__ import annotations

import contextlib
import grp
import os
import selectors
import socket
import stat
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import structlog

from milter.core.engine import SubmissionPath
from milter.domains.gather import DnsGatherer
from milter.server.session import MilterSession, Observer, PolicyHolder

if TYPE_CHECKING:
    from milter.domains.rdap import RdapClient
    from milter.history.store import History
    from milter.officer.notices import Notifier

log = structlog.get_logger("postwarden.adapter")


class ListenSpecError(ValueError):
    """A --listen value that is not inet:HOST:PORT or unix:PATH."""


@dataclass(frozen=True, slots=True)
class ListenSpec:
    kind: str  # 'inet' | 'unix'
    host: str = ""
    port: int = 0
    path: str = ""

    @classmethod
    def parse(cls, text: str) -> ListenSpec:
        kind, _, rest = text.partition(":")
        if kind == "unix" and rest:
            return cls("unix", path=rest)
        if kind in ("inet", "inet6") and rest:
            host, sep, port = rest.rpartition(":")
            host = host.strip("[]")
            if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ListenSpecError(f"expected inet:HOST:PORT, got {text!r}")
            return cls("inet", host=host, port=int(port))
        raise ListenSpecError(f"expected inet:HOST:PORT or unix:PATH, got {text!r}")

    def __str__(self) -> str:
        if self.kind == "unix":
            return f"unix:{self.path}"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"inet:{host}:{self.port}"


def open_listener(
    spec: ListenSpec, socket_mode: int = 0o660, socket_group: str | None = None
) -> socket.socket:
    """Bind and listen; a unix socket gets `socket_mode` and, if given, `socket_group`
    (``postfix`` in deployments, so Postfix's daemons may connect and nobody else)."""
    try:
        return _open_listener(spec, socket_mode, socket_group)
    except OSError as exc:  # name the socket: bind() errors carry no file name
        raise OSError(
            exc.errno, exc.strerror, spec.path if spec.kind == "unix" else str(spec)
        ) from None


def _open_listener(spec: ListenSpec, socket_mode: int, socket_group: str | None) -> socket.socket:
    if spec.kind == "unix":
        with contextlib.suppress(FileNotFoundError):
            if stat.S_ISSOCK(os.lstat(spec.path).st_mode):
                os.unlink(spec.path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(spec.path)
        if socket_group is not None:
            os.chown(spec.path, -1, grp.getgrnam(socket_group).gr_gid)
        os.chmod(spec.path, socket_mode)
    else:
        family, _, _, _, addr = socket.getaddrinfo(spec.host, spec.port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
    sock.listen(128)
    return sock


class MilterServer:
    """Accepts Postfix connections on one or more listeners; one thread per connection."""

    def __init__(
        self,
        listeners: Iterable[tuple[ListenSpec, SubmissionPath]],
        policies: PolicyHolder,
        observer: Observer,
        socket_group: str | None = None,
        notifier: Notifier | None = None,
        dns: DnsGatherer | None = None,
        on_sessions: Callable[[int], object] | None = None,
        history: History | None = None,
        rdap: RdapClient | None = None,
    ) -> None:
        self._notifier = notifier
        self._history = history
        self._rdap = rdap
        self._dns = dns or DnsGatherer()
        self._on_sessions = on_sessions  # told the number of open sessions at each change
        self._specs = list(listeners)
        self._socket_group = socket_group
        self._policies = policies
        self._observer = observer
        self._stop = threading.Event()
        self._sessions: dict[threading.Thread, MilterSession] = {}
        self._lock = threading.Lock()
        self.sockets: list[tuple[socket.socket, ListenSpec, SubmissionPath]] = []
        self._unlink = True  # remove unix socket files when done (not when adopted)

    def bind(self) -> None:
        for spec, path in self._specs:
            self.sockets.append((open_listener(spec, socket_group=self._socket_group), spec, path))

    def adopt(self, sockets: Iterable[tuple[socket.socket, ListenSpec, SubmissionPath]]) -> None:
        """Serve on listeners bound by another process (serve --workers: the supervisor binds,
        every worker accepts); their unix socket files stay when this server stops."""
        self.sockets = list(sockets)
        self._unlink = False

    def serve_forever(self) -> None:
        if not self.sockets:
            self.bind()
        with selectors.DefaultSelector() as sel:
            for sock, _spec, path in self.sockets:
                sock.setblocking(False)
                sel.register(sock, selectors.EVENT_READ, path)
            while not self._stop.is_set():
                for key, _ in sel.select(timeout=0.5):
                    listener: socket.socket = key.fileobj  # type: ignore[assignment]
                    try:
                        conn, _addr = listener.accept()
                    except (BlockingIOError, InterruptedError):
                        continue
                    except OSError as exc:  # EMFILE and friends: back off, keep serving
                        log.error("milter_accept_failed", error=exc.strerror)
                        time.sleep(0.1)
                        continue
                    conn.setblocking(True)
                    self._start_session(conn, key.data)
        for sock, spec, _path in self.sockets:
            sock.close()
            if spec.kind == "unix" and self._unlink:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(spec.path)

    def _start_session(self, conn: socket.socket, path: SubmissionPath) -> None:
        session = MilterSession(
            conn,
            path,
            self._policies,
            self._observer,
            self._notifier,
            self._dns,
            self._history,
            self._rdap,
        )

        def run() -> None:
            try:
                session.serve()
            finally:
                with self._lock:
                    self._sessions.pop(threading.current_thread(), None)
                    self._tell_sessions()

        thread = threading.Thread(target=run, name=f"milter-{path}", daemon=True)
        with self._lock:
            self._sessions[thread] = session
            self._tell_sessions()
        thread.start()

    def _tell_sessions(self) -> None:
        """Report the number of open sessions (called with the lock held)."""
        if self._on_sessions is not None:
            with contextlib.suppress(Exception):  # a metric must never end a session
                self._on_sessions(len(self._sessions))

    def stop(self) -> None:
        """Stop accepting connections; ``serve_forever`` returns soon after."""
        self._stop.set()

    def drain(self, grace_s: float = 10.0) -> None:
        """Give messages in flight `grace_s` to finish (Postfix retries what is cut off).
        A connection with no message in flight is closed at once, and every other one as soon
        as its message is decided: Postfix keeps milter connections open for whole SMTP
        sessions, so waiting for them to close would always take the whole grace period."""
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline:
            with self._lock:
                sessions = list(self._sessions.values())
            if not sessions:
                return
            for session in sessions:
                if session.between_messages:
                    session.hang_up()
            time.sleep(0.05)

    @property
    def active_sessions(self) -> int:
        with self._lock:
            return len(self._sessions)
