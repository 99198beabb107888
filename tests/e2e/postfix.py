"""Harness for end-to-end tests: a private Postfix instance, an SMTP sink and milter processes.

Observed with Postfix 3.7.11 (Debian), milter protocol 6, default macro lists:

(a) non_smtpd_milters (sendmail -> postdrop -> pickup -> cleanup):
  - Events: connect (hostname "localhost", family '4', port 0, addr 127.0.0.1), HELO
    "localhost", MAIL, RCPT per recipient, DATA, headers, EOH, body, EOM. MAIL/RCPT
    arguments have NO angle brackets and no ESMTP args ("s@example.org\0").
    Macros: connect j {daemon_name} {daemon_addr} v _ (same values as for smtpd);
    MAIL i {mail_addr}; RCPT i {rcpt_addr} (no {rcpt_host}/{rcpt_mailer}); `i` at
    every stage from MAIL on.
  - Reject (SMFIR_REPLYCODE 5xx or SMFIR_REJECT) at EOM: message is bounced. cleanup
    logs "QID: milter-reject: END-OF-MESSAGE from localhost[127.0.0.1]: 5.7.1 <text>;
    from=<s> to=<last rcpt>", then "QID: to=<r>, relay=none, ..., dsn=5.7.1,
    status=bounced (<text>)" for every recipient; an NDR from <> goes to the envelope
    sender (arrives at the sink). sendmail itself exits 0.
  - Reject at RCPT is a misconfiguration: "milter configuration error: can't reject
    recipient in non-smtpd(8) submission" + "message not accepted, try again later";
    treated like tempfail (next point), forever.
  - Milter down (or tempfail at any stage): "milter-reject: CONNECT ...: 4.7.1 Service
    unavailable - try again later" (or END-OF-MESSAGE ...); the file stays in maildrop
    (postqueue -j queue_name "maildrop") and pickup retries at every wakeup (1 s in this
    master.cf, 60 s stock) or on `postqueue -f`; each attempt logs a new queue ID.
  - SMFIR_DELRCPT of all recipients: message silently removed, no bounce, no log line.
(b) smtpd_milters: RCPT data is "<addr>\0ESMTP-ARG\0..." (brackets kept, case kept);
  MAIL likewise. {rcpt_addr}/{mail_addr} are LOWER-CASED by Postfix. `i` is absent at
  MAIL; at RCPT it is present only once the queue file exists: not for the first RCPT
  (smtpd_delay_open_until_valid_rcpt=yes), for every RCPT if that is "no". Rejected
  RCPT log: "QID: milter-reject: RCPT from localhost[127.0.0.1]: 550 5.7.1 <text>;
  from=<s> to=<r> proto=ESMTP helo=<h>". Milter down: EHLO still 250, MAIL gets
  "451 4.7.1 Service unavailable - try again later" (milter_default_action=tempfail).
(c) SMFIR_DELRCPT: "<a@b>" and "a@b" both work; matching is exact and case-sensitive
  on the address as given in RCPT TO (local part AND domain): deleting "a3@example.com"
  leaves "A3@Example.com". So use the raw RCPT argument, not {rcpt_addr}. Unknown
  addresses are ignored silently; deleted recipients are not logged (qmgr nrcpt still
  counts them). Same on both paths.
(d) Running as root without systemd/syslog/etc/postfix/main.cf:
  - `-c DIR`/MAIL_CONFIG works for root with no /etc/postfix/main.cf. Non-root
    sendmail/postqueue fail ("open file /etc/postfix/main.cf"): for them DIR must be
    listed in alternate_config_directories of the default main.cf.
  - chroot column must be "n" (stock master.cf says "y": needs a populated chroot).
  - maillog_file needs the postlog/postlogd service (else `postfix start` is fatal) and
    a maillog_file_prefixes entry covering it (default /var, /dev/stdout), else every
    command fails; `postfix` itself then exits 1 with NO output (it writes to stderr
    only when that is a TTY, and there is no /dev/log).
  - Postfix re-reads main.cf until its mtime is >1 s old (~2 s per command after a
    rewrite): the harness backdates main.cf/master.cf.
  - master opens data_directory/master.lock as user postfix: every ancestor directory
    needs o+x (pytest's temp dirs are 0700).
  - `postfix check` prints nothing for this config. master calls setsid(), so its PID is
    the process group of all Postfix daemons (used for the SIGKILL fallback in stop()).
  - smtpd_error_sleep_time=0s and in_flow_delay=0s keep rejections and bursts fast.
"""

from __future__ import annotations

import contextlib
import email
import email.message
import email.policy
import json
import os
import re
import signal
import smtplib
import socket
import stat
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.support.ports import free_port

SBIN = Path("/usr/sbin")
POSTFIX = SBIN / "postfix"
POSTQUEUE = SBIN / "postqueue"
POSTCAT = SBIN / "postcat"
SENDMAIL = SBIN / "sendmail"
REQUIRED_BINARIES = (POSTFIX, POSTQUEUE, POSTCAT, SENDMAIL)

LOOPBACK = "127.0.0.1"
HOSTNAME = "postwarden-test.localdomain"

# A milter is given as a port on 127.0.0.1 (int), a literal Postfix milter spec (str),
# or "" for no milter.
MilterSpec = int | str


def milter_spec(milter: MilterSpec) -> str:
    """Turn a port into ``inet:127.0.0.1:PORT``; pass strings through unchanged."""
    return f"inet:{LOOPBACK}:{milter}" if isinstance(milter, int) else milter


def _listening(host: str, port: int) -> bool:
    """True if a TCP socket is in LISTEN state on host:port (or on 0.0.0.0:port)."""
    wanted = {f"{socket.inet_aton(h)[::-1].hex().upper()}:{port:04X}" for h in (host, "0.0.0.0")}
    with open("/proc/net/tcp") as f:
        next(f)
        return any(cols[1] in wanted and cols[3] == "0A" for cols in (line.split() for line in f))


def wait_port(host: str, port: int, timeout: float = 10.0) -> None:
    """Wait until something listens on host:port, without connecting to it.

    Connecting would start a real session (a Postfix smtpd would even talk to its
    milters), so the kernel's socket table is polled instead.
    """
    deadline = time.monotonic() + timeout
    while not _listening(host, port):
        if time.monotonic() > deadline:
            raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s")
        time.sleep(0.02)


def _pid_alive(pid: int) -> bool:
    """True if pid exists and is not a zombie (an unreaped daemon counts as gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return fields[0] != "Z"


def _group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes whose process group is pgid."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def _wait_group_gone(pgid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _group_members(pgid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _kill_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def _make_traversable(path: Path) -> None:
    """Add o+x to path and its ancestors: the master opens data_directory/master.lock as
    the postfix user, which cannot pass pytest's 0700 temp directories otherwise."""
    for directory in (path, *path.parents):
        mode = directory.stat().st_mode
        if not mode & stat.S_IXOTH:
            directory.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log file)"


# ---------------------------------------------------------------------------------------
# Postfix


MASTER_CF = """\
# service type  private unpriv  chroot  wakeup  maxproc command
{listen} inet n - n - - smtpd
pickup     unix  n       -       n       1       1       pickup
cleanup    unix  n       -       n       -       0       cleanup
qmgr       unix  n       -       n       300     1       qmgr
rewrite    unix  -       -       n       -       -       trivial-rewrite
bounce     unix  -       -       n       -       0       bounce
defer      unix  -       -       n       -       0       bounce
trace      unix  -       -       n       -       0       bounce
verify     unix  -       -       n       -       1       verify
flush      unix  n       -       n       1000?   0       flush
proxymap   unix  -       -       n       -       -       proxymap
proxywrite unix  -       -       n       -       1       proxymap
smtp       unix  -       -       n       -       -       smtp
relay      unix  -       -       n       -       -       smtp
showq      unix  n       -       n       -       -       showq
error      unix  -       -       n       -       -       error
retry      unix  -       -       n       -       -       error
discard    unix  -       -       n       -       -       discard
anvil      unix  -       -       n       -       1       anvil
scache     unix  -       -       n       -       1       scache
postlog    unix-dgram n  -       n       -       1       postlogd
"""


def _merge_master_cf(base: str, extra: str) -> str:
    """``base`` with the services of ``extra`` (master.cf lines, continuation lines indented)
    appended; a service named in both is taken from ``extra``."""
    named = {line.split()[0] for line in extra.splitlines() if line[:1].strip()}
    kept = [
        line for line in base.splitlines() if not line[:1].strip() or line.split()[0] not in named
    ]
    return "\n".join([*kept, extra.rstrip("\n")]).rstrip("\n") + "\n"


class PostfixError(RuntimeError):
    """A Postfix command failed."""


class PostfixInstance:
    """A private Postfix instance living entirely under ``base_dir``.

    Every command gets ``-c config_dir`` (or ``-C`` for sendmail) and ``MAIL_CONFIG``, so
    no ``/etc/postfix/main.cf`` is needed. Must run as root.
    """

    def __init__(
        self,
        base_dir: Path,
        *,
        relay_port: int,
        smtpd_milter: MilterSpec = "",
        non_smtpd_milter: MilterSpec = "",
        overrides: Mapping[str, object] | None = None,
        master_extra: str = "",
    ) -> None:
        self.base_dir = base_dir
        self.master_extra = master_extra
        self.config_dir = base_dir / "etc"
        self.queue_dir = base_dir / "spool"
        self.data_dir = base_dir / "data"
        self.log_path = base_dir / "maillog"
        self.smtp_port = free_port()
        self.relay_port = relay_port
        self.check_output = ""
        self.params: dict[str, str] = {
            "compatibility_level": "3.6",
            "queue_directory": str(self.queue_dir),
            "data_directory": str(self.data_dir),
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "myhostname": HOSTNAME,
            "mydomain": "localdomain",
            "myorigin": "$myhostname",
            "mydestination": "",
            "local_recipient_maps": "",
            "alias_maps": "",
            "alias_database": "",
            "append_dot_mydomain": "no",
            "biff": "no",
            "mynetworks": "127.0.0.0/8",
            "inet_interfaces": LOOPBACK,
            "inet_protocols": "ipv4",
            "relayhost": f"[{LOOPBACK}]:{relay_port}",
            "default_transport": "smtp",
            "smtp_dns_support_level": "disabled",
            "smtp_host_lookup": "native",
            "smtp_tls_security_level": "none",
            "smtpd_tls_security_level": "none",
            "smtp_connect_timeout": "5s",
            "smtpd_recipient_restrictions": "permit_mynetworks, reject_unauth_destination",
            "smtpd_error_sleep_time": "0s",
            "smtpd_hard_error_limit": "100",
            "smtputf8_enable": "no",
            "in_flow_delay": "0s",
            "delay_warning_time": "0h",
            "queue_run_delay": "1s",
            "minimal_backoff_time": "1s",
            "maximal_backoff_time": "2s",
            "enable_long_queue_ids": "yes",
            "maillog_file": str(self.log_path),
            "maillog_file_prefixes": str(base_dir),
            "milter_protocol": "6",
            "milter_default_action": "tempfail",
            "milter_connect_timeout": "5s",
            "milter_command_timeout": "10s",
            "milter_content_timeout": "30s",
            "smtpd_milters": milter_spec(smtpd_milter),
            "non_smtpd_milters": milter_spec(non_smtpd_milter),
        }
        self.params.update({k: str(v) for k, v in (overrides or {}).items()})
        self.config_dir.mkdir(parents=True, exist_ok=True)
        self.queue_dir.mkdir(parents=True, exist_ok=True)
        _make_traversable(base_dir)
        self._write_config()

    # -- configuration ------------------------------------------------------------------

    def _write_config(self) -> None:
        main_cf = "".join(f"{k} = {v}\n" for k, v in self.params.items())
        master_cf = _merge_master_cf(
            MASTER_CF.format(listen=f"{LOOPBACK}:{self.smtp_port}"), self.master_extra
        )
        # Postfix re-reads main.cf in 0.3 s steps until its mtime is >1 s in the past
        # ("let it cool down"), so backdate the files to avoid ~2 s per command.
        past = time.time() - 60
        for name, text in (("main.cf", main_cf), ("master.cf", master_cf)):
            path = self.config_dir / name
            path.write_text(text)
            os.utime(path, (past, past))

    def set_params(self, params: Mapping[str, object]) -> None:
        """Change main.cf parameters; reloads if the instance is running."""
        self.params.update({k: str(v) for k, v in params.items()})
        self._write_config()
        if self.master_pid() is not None:
            self.reload()

    def set_milters(
        self, *, smtpd: MilterSpec | None = None, non_smtpd: MilterSpec | None = None
    ) -> None:
        """Replace smtpd_milters / non_smtpd_milters (None: unchanged, "": none) and reload."""
        params = {}
        if smtpd is not None:
            params["smtpd_milters"] = milter_spec(smtpd)
        if non_smtpd is not None:
            params["non_smtpd_milters"] = milter_spec(non_smtpd)
        self.set_params(params)

    # -- commands -----------------------------------------------------------------------

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "MAIL_CONFIG": str(self.config_dir)}

    def run(
        self, argv: Sequence[str | Path], *, input: bytes | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[bytes]:
        """Run a Postfix command with MAIL_CONFIG set; raise PostfixError if check fails."""
        proc = subprocess.run(
            [str(a) for a in argv], input=input, capture_output=True, env=self.env, timeout=60
        )
        if check and proc.returncode != 0:
            raise PostfixError(
                f"{' '.join(map(str, argv))} exited {proc.returncode}:\n"
                f"{proc.stdout.decode(errors='replace')}{proc.stderr.decode(errors='replace')}"
                "(the postfix command prints errors to stderr only on a TTY; see maillog)\n"
                f"maillog tail:\n{_tail(self.log_path)}"
            )
        return proc

    def _postfix(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        return self.run([POSTFIX, "-c", str(self.config_dir), *args], check=check)

    def check(self) -> str:
        """Run ``postfix check`` (creates queue directories, fixes ownership); return output."""
        proc = self._postfix("check")
        return (proc.stdout + proc.stderr).decode(errors="replace")

    def start(self, timeout: float = 15.0) -> None:
        """Check, start the master and wait until smtpd listens.

        ``check_output`` keeps what ``postfix check`` printed (empty when all is well).
        """
        self.check_output = self.check()
        # Tells postfix-script that the checks just ran; it deletes the file itself.
        (self.queue_dir / "quick-start").touch()
        self._postfix("start")
        wait_port(LOOPBACK, self.smtp_port, timeout)

    def master_pid(self) -> int | None:
        """PID of the running master process, or None."""
        try:
            pid = int((self.queue_dir / "pid" / "master.pid").read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        return pid if _pid_alive(pid) else None

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the instance; SIGKILL the master's process group if it does not go away."""
        pid = self.master_pid()
        if pid is None:
            return
        self._postfix("stop", check=False)
        # master calls setsid(), so its PID is also the process group of all its children.
        if not _wait_group_gone(pid, timeout):
            _kill_group(pid, signal.SIGKILL)
            _wait_group_gone(pid, 5.0)

    def reload(self, timeout: float = 10.0) -> None:
        """``postfix reload`` and wait until the master logged that it re-read main.cf."""
        before = self.log_text().count("reload -- version")
        self._postfix("reload")
        self.wait_log(r"reload -- version", timeout=timeout, count=before + 1)

    def sendmail(
        self,
        sender: str,
        recipients: Sequence[str],
        message: bytes | str,
        *extra_args: str,
    ) -> subprocess.CompletedProcess[bytes]:
        """Submit locally with ``sendmail -C config_dir -i -f sender -- rcpts`` (pickup path)."""
        data = message.encode() if isinstance(message, str) else message
        argv: list[str | Path] = [
            SENDMAIL,
            "-C",
            str(self.config_dir),
            "-i",
            *extra_args,
            "-f",
            sender,
            "--",
            *recipients,
        ]
        return self.run(argv, input=data, check=False)

    def postqueue_json(self) -> list[dict[str, Any]]:
        """All queued messages (maildrop, incoming, active, deferred, hold) as dicts."""
        out = self.run([POSTQUEUE, "-c", str(self.config_dir), "-j"]).stdout
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def flush(self) -> None:
        """``postqueue -f``: retry deferred mail now and make pickup scan the maildrop."""
        self.run([POSTQUEUE, "-c", str(self.config_dir), "-f"])

    def postcat(self, queue_id: str) -> str:
        """``postcat -q``: envelope, headers and body of a queued message."""
        return self.run([POSTCAT, "-c", str(self.config_dir), "-q", queue_id]).stdout.decode(
            errors="replace"
        )

    def wait_queue(
        self, predicate: Callable[[list[dict[str, Any]]], bool], timeout: float = 10.0
    ) -> list[dict[str, Any]]:
        """Poll postqueue_json() until predicate(queue) holds; return that queue."""
        deadline = time.monotonic() + timeout
        while not predicate(queue := self.postqueue_json()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"queue condition not met after {timeout}s: {queue}")
            time.sleep(0.1)
        return queue

    def wait_queue_empty(self, timeout: float = 10.0) -> None:
        self.wait_queue(lambda queue: not queue, timeout)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_log(self, pattern: str, timeout: float = 10.0, count: int = 1) -> list[str]:
        """Wait until at least ``count`` maillog lines match regex ``pattern``; return them."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            lines = [ln for ln in self.log_text().splitlines() if rx.search(ln)]
            if len(lines) >= count:
                return lines
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{count}x /{pattern}/ not in maillog after {timeout}s; tail:\n"
                    + _tail(self.log_path)
                )
            time.sleep(0.05)


# ---------------------------------------------------------------------------------------
# SMTP sink (next hop)


@dataclass(frozen=True)
class SinkMessage:
    """One message as delivered to the sink."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    mail_options: list[str]
    rcpt_options: list[str]
    message: email.message.EmailMessage

    def header(self, name: str) -> str | None:
        value = self.message[name]
        return None if value is None else str(value)


class _SinkHandler:
    def __init__(self, sink: Sink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or b""
        msg = email.message_from_bytes(data, policy=email.policy.default)
        assert isinstance(msg, email.message.EmailMessage)
        self.sink.record(
            SinkMessage(
                mail_from=envelope.mail_from or "",
                rcpt_tos=list(envelope.rcpt_tos),
                data=data,
                mail_options=list(envelope.mail_options),
                rcpt_options=list(envelope.rcpt_options),
                message=msg,
            )
        )
        return "250 2.0.0 OK sink"


class Sink:
    """aiosmtpd server on 127.0.0.1:<free port> recording every message it receives."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.messages: list[SinkMessage] = []
        self._cond = threading.Condition()
        self._controller = Controller(_SinkHandler(self), hostname=LOOPBACK, port=self.port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def record(self, msg: SinkMessage) -> None:
        with self._cond:
            self.messages.append(msg)
            self._cond.notify_all()

    def clear(self) -> None:
        with self._cond:
            self.messages.clear()

    def wait_for(
        self, predicate: Callable[[SinkMessage], bool], timeout: float = 10.0
    ) -> SinkMessage:
        """First recorded message matching predicate (waiting for it if needed)."""
        with self._cond:
            found: list[SinkMessage] = []

            def match() -> bool:
                found[:] = [m for m in self.messages if predicate(m)][:1]
                return bool(found)

            if not self._cond.wait_for(match, timeout):
                raise TimeoutError(f"no matching message after {timeout}s; got {self.messages}")
            return found[0]

    def wait_count(self, n: int, timeout: float = 10.0) -> list[SinkMessage]:
        """Wait until at least n messages were received; return a snapshot."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.messages) >= n, timeout):
                raise TimeoutError(f"{len(self.messages)} of {n} messages after {timeout}s")
            return list(self.messages)


# ---------------------------------------------------------------------------------------
# Milter process


class MilterProcess:
    """A milter command run in its own process group, ready once all ``ports`` listen."""

    def __init__(
        self,
        argv: Sequence[str],
        ports: Sequence[int],
        log_path: Path,
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        ready_timeout: float = 15.0,
    ) -> None:
        self.argv = list(argv)
        self.ports = list(ports)
        self.log_path = log_path
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.ready_timeout = ready_timeout
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def start(self) -> None:
        """Start the command and wait until it listens; raise with its log tail otherwise."""
        with open(self.log_path, "ab") as log:
            log.write(f"--- start {self.argv}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,
            )
        deadline = time.monotonic() + self.ready_timeout
        pending = list(self.ports)
        while pending:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"milter exited with {self.proc.returncode} before listening on {pending};"
                    f" log tail:\n{_tail(self.log_path)}"
                )
            if time.monotonic() > deadline:
                self.kill()
                raise TimeoutError(
                    f"milter not listening on {pending} after {self.ready_timeout}s;"
                    f" log tail:\n{_tail(self.log_path)}"
                )
            pending = [p for p in pending if not _listening(LOOPBACK, p)]
            time.sleep(0.02)

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM the process group, SIGKILL after timeout; return the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            _kill_group(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                _kill_group(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        _kill_group(self.proc.pid, signal.SIGKILL)  # stray children of the group
        return self.proc.returncode

    def kill(self) -> None:
        """SIGKILL the process group at once (simulates a crash)."""
        if self.proc is None:
            return
        _kill_group(self.proc.pid, signal.SIGKILL)
        self.proc.wait(5)

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""


# Signatures of the conftest factory fixtures postfix_factory and milter_factory.
PostfixFactory = Callable[..., PostfixInstance]
MilterFactory = Callable[..., MilterProcess]


# ---------------------------------------------------------------------------------------
# SMTP client


@dataclass(frozen=True)
class Reply:
    code: int
    text: str

    @property
    def ok(self) -> bool:
        return 200 <= self.code < 400

    def __str__(self) -> str:
        return f"{self.code} {self.text}"


@dataclass
class SmtpResult:
    """Replies of one transaction: MAIL, each RCPT in order, DATA, and RSET if one was sent.

    ``data_cmd`` is the reply to the DATA command itself (354 or a rejection); ``data`` is
    the reply that decided the message (the end-of-data reply, or ``data_cmd`` if not 354).
    Both are None when DATA was not sent (MAIL rejected or no recipient accepted).
    """

    mail: Reply
    rcpts: list[tuple[str, Reply]] = field(default_factory=list)
    data_cmd: Reply | None = None
    data: Reply | None = None
    rset: Reply | None = None

    def rcpt(self, address: str) -> Reply:
        """Reply to the (first) RCPT TO for address."""
        for addr, reply in self.rcpts:
            if addr == address:
                return reply
        raise KeyError(address)

    @property
    def accepted(self) -> list[str]:
        return [addr for addr, reply in self.rcpts if reply.ok]

    @property
    def delivered(self) -> bool:
        """True if the server took responsibility for the message (2xx after DATA)."""
        return self.data is not None and self.data.code // 100 == 2


def _dot_stuff(message: bytes | str) -> bytes:
    """CRLF line endings, leading dots doubled, terminated by CRLF.CRLF."""
    data = message.encode() if isinstance(message, str) else message
    data = re.sub(rb"\r\n|\r|\n", b"\r\n", data)
    data = re.sub(rb"(?m)^\.", b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


def _reply(code: int, text: bytes | str) -> Reply:
    return Reply(code, text.decode(errors="replace") if isinstance(text, bytes) else text)


class SmtpSession:
    """One SMTP connection (EHLO done) on which several transactions can be sent."""

    def __init__(
        self, port: int, host: str = LOOPBACK, helo: str = "client.example", timeout: float = 60
    ) -> None:
        self.smtp = smtplib.SMTP(timeout=timeout)
        self.banner = _reply(*self.smtp.connect(host, port))
        self.ehlo = _reply(*self.smtp.ehlo(helo))

    def __enter__(self) -> SmtpSession:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def command(self, verb: str, args: str = "") -> Reply:
        """Send one raw command (e.g. "RSET", "NOOP") and return its reply."""
        return _reply(*self.smtp.docmd(verb, args))

    def send(
        self,
        sender: str,
        recipients: Sequence[str],
        message: bytes | str,
        *,
        mail_options: Sequence[str] = (),
        rcpt_options: Sequence[str] = (),
    ) -> SmtpResult:
        """Run MAIL, one RCPT per recipient and DATA (if any RCPT was accepted).

        Addresses are sent verbatim inside <>, followed by the ESMTP options (e.g.
        ["SIZE=100"], ["NOTIFY=NEVER"]). If the transaction does not reach end-of-data,
        RSET is sent so the connection can be reused.
        """
        mail_args = " ".join([f"FROM:<{sender}>", *mail_options])
        result = SmtpResult(mail=self.command("MAIL", mail_args))
        if result.mail.ok:
            for rcpt in recipients:
                rcpt_args = " ".join([f"TO:<{rcpt}>", *rcpt_options])
                result.rcpts.append((rcpt, self.command("RCPT", rcpt_args)))
        if result.accepted:
            result.data_cmd = result.data = self.command("DATA")
            if result.data_cmd.code == 354:
                self.smtp.send(_dot_stuff(message))
                result.data = _reply(*self.smtp.getreply())
        if result.data_cmd is None or result.data_cmd.code != 354:
            result.rset = self.command("RSET")
        return result

    def close(self) -> None:
        try:
            self.smtp.quit()
        except (smtplib.SMTPException, OSError):
            self.smtp.close()


def smtp_send(
    port: int,
    sender: str,
    recipients: Sequence[str],
    message: bytes | str,
    **kwargs: Any,
) -> SmtpResult:
    """Send one message on a fresh connection; see SmtpSession.send."""
    with SmtpSession(port) as session:
        return session.send(sender, recipients, message, **kwargs)
