"""The servers the benchmarks start: smtp-sink, Postwarden and Rspamd, each stopped by PID.

Every server runs in a session of its own, so ``stop()`` sends SIGTERM to its PID, waits, and
then SIGKILLs whatever is left in its process group (Rspamd's workers, say). Nothing is ever
looked up or killed by name. Readiness is read from the kernel's socket tables
(/proc/net/tcp, /proc/net/unix) instead of connecting: a connection would start a real
session. Also: RSS and CPU time of a process, from /proc.
"""

from __future__ import annotations

import contextlib
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from tests.support.ports import free_port

LOOPBACK = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = Path(__file__).resolve().parent
SMTP_SINK = "/usr/sbin/smtp-sink"
RSPAMD_STOCK_CONF = Path("/etc/rspamd/rspamd.conf")


def tcp_listening(port: int, host: str = LOOPBACK) -> bool:
    """True if a socket listens on host:port (or 0.0.0.0:port)."""
    wanted = {f"{socket.inet_aton(h)[::-1].hex().upper()}:{port:04X}" for h in (host, "0.0.0.0")}
    with open("/proc/net/tcp") as f:
        next(f)
        return any(c[1] in wanted and c[3] == "0A" for c in (line.split() for line in f))


def unix_listening(path: Path | str) -> bool:
    """True if a unix stream socket listens at path (__SO_ACCEPTCON set)."""
    target = str(path)
    with open("/proc/net/unix") as f:
        next(f)
        for line in f:
            cols = line.split()
            if len(cols) >= 8 and cols[7] == target and int(cols[3], 16) & 0x10000:
                return True
    return False


def rss_kib(pid: int) -> int:
    """Resident set size of pid in KiB (VmRSS in /proc/PID/status)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise ValueError(f"no VmRSS for pid {pid}")


def group_rss_kib(pgid: int) -> int:
    """RSS of the live members of a process group added up, in KiB (a server and its
    workers: what the milter costs the machine)."""
    total = 0
    for member in group_pids(pgid):
        with contextlib.suppress(OSError, ValueError):
            total += rss_kib(member)
    return total


def cpu_seconds(pid: int) -> float:
    """User + system CPU time pid has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def group_pids(pgid: int) -> list[int]:
    """The live members of a process group (a server started in a session of its own, and
    the workers it starts)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[2]) == pgid:
                members.append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    return members


def group_cpu_seconds(pgid: int) -> float:
    """CPU time of the live members of a process group (a server and its workers)."""
    total = 0.0
    for member in group_pids(pgid):
        with contextlib.suppress(OSError, ValueError):
            total += cpu_seconds(member)
    return total


# Sessions of the servers this benchmark started (each runs in a session of its own): what
# is not in them, nor in the benchmark's own session, is other work on the machine.
SERVER_SESSIONS: set[int] = set()


@dataclass(frozen=True)
class CpuSnapshot:
    """Machine-wide CPU seconds (all cores), and CPU ticks of our processes (by pid and start
    time, with their parent), of the reaped children of our session leaders and of this
    process."""

    busy: float
    steal: float
    total: float
    procs: dict[tuple[int, int], tuple[int, int]]  # (pid, start) -> (ticks, parent pid)
    reaped: dict[tuple[int, int], int]  # session leader (pid, start) -> reaped children's ticks
    own_children_s: float


def cpu_snapshot() -> CpuSnapshot:
    """/proc/stat totals plus the CPU of our sessions: the benchmark's own and its servers'."""
    tick = os.sysconf("SC_CLK_TCK")
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:9]]
    idle, steal = values[3] + values[4], values[7]
    own_session = os.getsid(0)
    procs: dict[tuple[int, int], tuple[int, int]] = {}
    reaped: dict[tuple[int, int], int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        session, pid = int(fields[3]), int(entry.name)
        if session == own_session or session in SERVER_SESSIONS:
            key = (pid, int(fields[19]))
            procs[key] = (int(fields[11]) + int(fields[12]), int(fields[1]))
            if pid == session and session in SERVER_SESSIONS:
                reaped[key] = int(fields[13]) + int(fields[14])
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return CpuSnapshot(
        busy=(sum(values) - idle - steal) / tick,
        steal=steal / tick,
        total=sum(values) / tick,
        procs=procs,
        reaped=reaped,
        own_children_s=children.ru_utime + children.ru_stime,
    )


def our_cpu_seconds(before: CpuSnapshot, after: CpuSnapshot) -> float:
    """CPU our processes used between two snapshots.

    Live processes count their increase; a process that ended counts through the reaped-
    children total of its parent (a server's session leader, or this process) minus what it
    had used before `before`. A process that ended unreaped by us (e.g. a Postfix daemon
    outliving its master) counts nothing: that CPU is unknowable, never negative.
    """
    tick = os.sysconf("SC_CLK_TCK")
    ticks = 0
    for key, (now, _parent) in after.procs.items():
        ticks += now - before.procs.get(key, (0, 0))[0]
    for key, now in after.reaped.items():
        ticks += now - before.reaped.get(key, 0)
    leaders = {pid for pid, _start in after.reaped} | {os.getpid()}
    for key, (then, parent) in before.procs.items():
        if key not in after.procs and parent in leaders:
            ticks -= then  # its whole life is in the parent's reaped total
    return ticks / tick + after.own_children_s - before.own_children_s


def foreign_cpu_pct(before: CpuSnapshot, after: CpuSnapshot) -> float:
    """Share of the machine's CPU (all cores) used by work that is not ours in between."""
    total = max(1e-9, after.total - before.total)
    foreign = (after.busy - before.busy) - our_cpu_seconds(before, after)
    return max(0.0, 100 * foreign / total)


def wait_quiet(limit_pct: float, max_wait_s: float) -> float:
    """Wait (at most `max_wait_s`) for a second in which other work used < `limit_pct` of the
    machine's CPU; returns the seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < max_wait_s:
        before = cpu_snapshot()
        time.sleep(1.0)
        if foreign_cpu_pct(before, cpu_snapshot()) < limit_pct:
            break
    return time.monotonic() - started


def _tail(path: Path, size: int = 3000) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - size))
            return f.read().decode(errors="replace")
    except OSError:
        return "(no log)"


class Service:
    """A server process in its own session, ready when `ready()` holds, stopped by PID."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log_path: Path,
        ready: Callable[[], bool],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        ready_timeout: float = 30.0,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self._ready = ready
        self._env = dict(env) if env is not None else None
        self._cwd = cwd
        self._ready_timeout = ready_timeout
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise RuntimeError(f"{self.name} is not running")
        return self.proc.pid

    def start(self) -> Service:
        """Start and wait until ready; on failure stop it and raise with its log tail."""
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self._env,
                cwd=self._cwd,
                start_new_session=True,
            )
        SERVER_SESSIONS.add(self.proc.pid)
        deadline = time.monotonic() + self._ready_timeout
        while not self._ready():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                status = self.proc.poll()
                self.stop()
                raise RuntimeError(
                    f"{self.name} not ready (exit status {status}) after "
                    f"{self._ready_timeout}s; log tail:\n{_tail(self.log_path)}"
                )
            time.sleep(0.05)
        return self

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM the PID, SIGKILL its process group after `timeout`; return the status."""
        if self.proc is None:
            return None
        pid = self.proc.pid
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
                self.proc.wait(5)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)  # workers left behind in its group
        return self.proc.returncode

    def __enter__(self) -> Service:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


# -- smtp-sink -----------------------------------------------------------------------------------


class SmtpSink(Service):
    """Postfix's smtp-sink on 127.0.0.1: the next hop; counts what it received (``-c``)."""

    _COUNTER = re.compile(rb"mesg=(\d+)")

    def __init__(self, work_dir: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.counter_path = work_dir / "smtp-sink.out"
        super().__init__(
            "smtp-sink",
            [SMTP_SINK, "-c", "-u", "postfix", f"{LOOPBACK}:{self.port}", "1024"],
            self.counter_path,
            lambda: tcp_listening(self.port),
        )

    def received(self) -> int:
        """Messages received so far (the last ``mesg=`` counter smtp-sink printed)."""
        found = self._COUNTER.findall(_tail(self.counter_path, 400).encode())
        return int(found[-1]) if found else 0


# -- Postwarden ----------------------------------------------------------------------------------


def _serve_options() -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "milter", "serve", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    return proc.stdout


def postwarden(
    work_dir: Path,
    name: str,
    listen: str,
    listen_local: str,
    *,
    policy: Path = ROOT / "policies" / "example.yaml",
    socket_group: str | None = None,
    production_extras: bool = True,
    variant: str = "",
    env: Mapping[str, str] | None = None,
    workers: int | None = None,
) -> Service:
    """``python -m milter serve`` as deployed: metrics on, audit trail on when supported.

    Its JSON log goes to a file, as journald would take it; readiness is both sockets listening.
    `variant` (e.g. "skip-body") runs it through bench/variants.py's patches instead;
    `env` adds environment variables (e.g. MALLOC_ARENA_MAX); `workers` is serve --workers
    (default: $BENCH_WORKERS, else one process).
    """
    launcher = ["bench.variants", variant] if variant else ["milter"]
    argv = [sys.executable, "-m", *launcher, "serve", "--policy", str(policy)]
    argv += ["--listen", listen, "--listen-local", listen_local]
    if socket_group:
        argv += ["--socket-group", socket_group]
    if production_extras:
        options = _serve_options()
        if "--metrics-listen" in options:
            argv += ["--metrics-listen", f"{LOOPBACK}:{free_port()}"]
        if "--audit-log" in options:
            argv += ["--audit-log", str(work_dir / f"{name}.audit.jsonl")]
        count = str(workers or os.environ.get("BENCH_WORKERS") or "")  # serve --workers N
        if count and "--workers" in options:
            argv += ["--workers", count]

    def ready() -> bool:
        return all(_spec_listening(spec) for spec in (listen, listen_local))

    full_env = {**os.environ, **env} if env else None
    return Service(name, argv, work_dir / f"{name}.log", ready, cwd=ROOT, env=full_env)


def _spec_listening(spec: str) -> bool:
    kind, _, rest = spec.partition(":")
    if kind == "unix":
        return unix_listening(rest)
    return tcp_listening(int(rest.rpartition(":")[2]))


def noop_milter(work_dir: Path, listen: str) -> Service:
    """bench/noop_milter.py on `listen` (unix:PATH): the do-nothing milter, the floor."""
    argv = [sys.executable, "-m", "bench.noop_milter", listen]
    return Service(
        "noop-milter",
        argv,
        work_dir / "noop-milter.log",
        lambda: _spec_listening(listen),
        cwd=ROOT,
    )


# -- Rspamd --------------------------------------------------------------------------------------


def rspamd(work_dir: Path, tcp_port: int, unix_path: Path) -> Service:
    """Rspamd 3.4's proxy as a milter with bench/rspamd's rules, on TCP and a unix socket.

    The package's stock /etc/rspamd/rspamd.conf is the base; LOCAL_CONFDIR points at a copy of
    bench/rspamd under `work_dir` (so /etc/rspamd is never changed), with the listen
    sockets and a free controller port written in. Runs in the foreground (``-f``) as _rspamd.
    """
    conf = work_dir / "rspamd"
    shutil.copytree(BENCH_DIR / "rspamd", conf, dirs_exist_ok=True)
    for sub in ("run", "db", "log"):
        (conf / sub).mkdir(exist_ok=True)
    unix_path.parent.mkdir(parents=True, exist_ok=True)
    (conf / "override.d" / "worker-proxy.inc").write_text(
        f'bind_socket = ["{LOOPBACK}:{tcp_port}", "{unix_path} mode=0666"];\n'
    )
    (conf / "override.d" / "worker-controller.inc").write_text(
        f'bind_socket = "{LOOPBACK}:{free_port()}";\n'
    )
    for path in (conf, *conf.rglob("*"), unix_path.parent):
        shutil.chown(path, "_rspamd", "_rspamd")
    argv = ["rspamd", "-f", "-u", "_rspamd", "-g", "_rspamd", "-c", str(RSPAMD_STOCK_CONF)]
    for var, value in (
        ("LOCAL_CONFDIR", conf),
        ("RUNDIR", conf / "run"),
        ("DBDIR", conf / "db"),
        ("LOGDIR", conf / "log"),
    ):
        argv += ["--var", f"{var}={value}"]
    return Service(
        "rspamd",
        argv,
        work_dir / "rspamd.out",
        lambda: tcp_listening(tcp_port) and unix_listening(unix_path),
        ready_timeout=120.0,  # it compiles ~10 000 TLD suffixes and its regexps at start
    )


@contextlib.contextmanager
def work_dir(prefix: str) -> Iterator[Path]:
    """A temp dir for one benchmark (logs, sockets, Postfix spools), removed afterwards.

    Under $BENCH_TMPDIR (default /dev/shm when it exists: queue files on tmpfs take the VM's
    disk out of the measurement); mode 0755 so Postfix and _rspamd can traverse it. Kept when
    $BENCH_KEEP is set, for reading the logs.
    """
    default = "/dev/shm" if Path("/dev/shm").is_dir() else None
    path = Path(
        tempfile.mkdtemp(
            prefix=f"postwarden-{prefix}-", dir=os.environ.get("BENCH_TMPDIR", default)
        )
    )
    path.chmod(0o755)
    try:
        yield path
    finally:
        if os.environ.get("BENCH_KEEP"):
            print(f"kept {path}", file=sys.stderr)
        else:
            shutil.rmtree(path, ignore_errors=True)
