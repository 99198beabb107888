"""Real Unix accounts for tests of the quarantine service's peer check (needs root).

SYNOPSIS
    with officer_accounts() as acc:
        acc.group                 an officers' group of the test's own (random name)
        acc.member                a user listed as a member of it (supplementary)
        acc.primary               a user whose primary group it is
        acc.outsider              "nobody": in neither
        acc.call_as(acc.member, fn, *args)   fn(*args) in a process running as that user,
                                     with the groups the user database gives it

Accounts are made with groupadd/useradd --system and removed on exit, so a test never depends
on, or leaves behind, accounts of the machine. Names are random: concurrent test sessions
(several helpers share a machine) do not collide.
"""

from __future__ import annotations

import contextlib
import grp
import io
import json
import os
import pwd
import secrets
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

NOLOGIN = "/usr/sbin/nologin"


def _admin(*argv: str) -> None:
    """Run a shadow-utils command; retried while another process holds /etc/passwd's lock."""
    for _ in range(50):
        proc = subprocess.run(argv, capture_output=True, text=True, check=False)
        if proc.returncode == 0:
            return
        if "lock" not in proc.stderr:
            raise RuntimeError(f"{' '.join(argv)}: {proc.stderr.strip()}")
        time.sleep(0.1)
    raise RuntimeError(f"{' '.join(argv)}: /etc/passwd stayed locked")


@dataclass(frozen=True)
class AsUser:
    """What a call made as another user returned, and what it printed."""

    value: Any
    stdout: str
    stderr: str


@dataclass(frozen=True)
class Accounts:
    group: str
    member: str
    primary: str
    outsider: str = "nobody"

    def call_as(
        self,
        user: str,
        fn: Callable[..., Any],
        *args: Any,
        extra_groups: Sequence[str] | None = None,
    ) -> AsUser:
        """``fn(*args)`` in a child process running as ``user``: its primary group and the
        groups the user database lists for it (``extra_groups``: these instead), HOME=/.

        A fork that drops root (setgroups, setgid, setuid) and never execs: the kernel sees
        that uid on every socket and file, yet no interpreter has to be executable by that
        user (a test machine's Python may live in root's home). The value must be JSON data;
        an exception in the child is raised here as RuntimeError with its text. Import what
        ``fn`` needs before calling: the child must not import while a thread of the parent
        may hold the import lock."""
        entry = pwd.getpwnam(user)
        names = (
            list(extra_groups)
            if extra_groups is not None
            else [g.gr_name for g in grp.getgrall() if user in g.gr_mem]
        )
        gids = [grp.getgrnam(name).gr_gid for name in names]
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns into the caller's stack
            payload: dict[str, Any]
            try:
                os.close(read_end)
                os.setgroups(gids)
                os.setgid(entry.pw_gid)
                os.setuid(entry.pw_uid)
                os.environ.update(HOME="/", USER=user, LOGNAME=user)
                os.environ.pop("SUDO_USER", None)
                out, err = io.StringIO(), io.StringIO()
                with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                    value = fn(*args)
                payload = {"value": value, "stdout": out.getvalue(), "stderr": err.getvalue()}
            except BaseException as exc:  # reported to the parent, whatever it is
                payload = {"raised": f"{type(exc).__name__}: {exc}"}
            try:
                with os.fdopen(write_end, "w") as fh:
                    json.dump(payload, fh)
            finally:
                os._exit(0)
        os.close(write_end)
        with os.fdopen(read_end) as fh:
            data = fh.read()
        os.waitpid(pid, 0)
        result = json.loads(data)
        if "raised" in result:
            raise RuntimeError(f"as {user}: {result['raised']}")
        return AsUser(result["value"], result["stdout"], result["stderr"])


@contextlib.contextmanager
def officer_accounts() -> Iterator[Accounts]:
    if os.geteuid() != 0:
        raise RuntimeError("the quarantine service's peer tests create accounts: run as root")
    tag = secrets.token_hex(3)
    acc = Accounts(group=f"pwt-off-{tag}", member=f"pwt-m-{tag}", primary=f"pwt-p-{tag}")
    made: list[tuple[str, str]] = []
    try:
        _admin("groupadd", "--system", acc.group)
        made.append(("groupdel", acc.group))
        _admin("useradd", "--system", "--no-create-home", "--shell", NOLOGIN,
               "--user-group", "--groups", acc.group, acc.member)  # fmt: skip
        made.append(("userdel", acc.member))
        _admin("useradd", "--system", "--no-create-home", "--shell", NOLOGIN,
               "--gid", acc.group, acc.primary)  # fmt: skip
        made.append(("userdel", acc.primary))
        yield acc
    finally:
        for command, name in reversed(made):
            with contextlib.suppress(RuntimeError):
                _admin(command, name)
        # useradd --user-group made a group of the member's name; userdel removes it with the
        # user (USERGROUPS_ENAB), but say so if it did not.
        with contextlib.suppress(KeyError, RuntimeError):
            grp.getgrnam(acc.member)
            _admin("groupdel", acc.member)
