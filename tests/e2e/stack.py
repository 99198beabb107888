"""One way to stand up Postwarden inside a real Postfix for an e2e test.

Postfix is configured with the lines of deploy/postfix/main.cf and master.cf (what admins are
told to use), only the milter addresses pointing at this test's ports and the /etc/postfix
files they name taken from deploy/postfix/. Postwarden runs as its own process
(`python -m milter serve`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.postfix import (
    MilterFactory,
    MilterProcess,
    PostfixFactory,
    PostfixInstance,
    free_port,
)

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "policies" / "example.yaml"


def deploy_main_cf() -> dict[str, str]:
    """The parameters of deploy/postfix/main.cf, with the /etc/postfix files it names taken
    from deploy/postfix/ instead."""
    params: dict[str, str] = {}
    for line in (ROOT / "deploy" / "postfix" / "main.cf").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            params[key.strip()] = value.strip().replace(
                "/etc/postfix/", str(ROOT / "deploy" / "postfix") + "/"
            )
    return params


def deploy_master_cf(etc: Path | None = None, chroot: bool = False) -> str:
    """The services of deploy/postfix/master.cf, with the /etc/postfix files they name taken
    from `etc` (default: deploy/postfix/) and the chroot column "n" (the test instances have
    no chroot), unless `chroot`: then the column stays as shipped."""
    etc = etc or ROOT / "deploy" / "postfix"
    lines = []
    for line in (ROOT / "deploy" / "postfix" / "master.cf").read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        line = line.replace("/etc/postfix/", f"{etc}/")
        if line[:1].strip() and not chroot:
            fields = line.split()
            fields[4] = "n"
            line = " ".join(fields)
        lines.append(line)
    return "\n".join(lines) + "\n"


@dataclass
class Ports:
    smtp: int
    local: int
    metrics: int

    @classmethod
    def free(cls) -> Ports:
        return cls(free_port(), free_port(), free_port())

    def metrics_text(self) -> str:
        url = f"http://127.0.0.1:{self.metrics}/metrics"
        with urllib.request.urlopen(url, timeout=5) as resp:
            return str(resp.read().decode())


def start_postfix(
    postfix_factory: PostfixFactory, ports: Ports, **overrides: str
) -> PostfixInstance:
    """A Postfix instance with the deploy settings, its milters at `ports`."""
    params = deploy_main_cf()
    del params["smtpd_milters"], params["non_smtpd_milters"]
    params.update(overrides)
    return postfix_factory(ports.smtp, ports.local, master_extra=deploy_master_cf(), **params)


def start_postwarden(
    milter_factory: MilterFactory, ports: Ports, policy: Path = POLICY, *extra: str
) -> MilterProcess:
    """`postwarden serve` on `ports` (metrics on), with `extra` options."""
    argv: Sequence[str] = [
        sys.executable, "-m", "milter", "serve", "--policy", str(policy),
        "--listen", f"inet:127.0.0.1:{ports.smtp}",
        "--listen-local", f"inet:127.0.0.1:{ports.local}",
        "--metrics-listen", f"127.0.0.1:{ports.metrics}", *extra,
    ]  # fmt: skip
    return milter_factory(argv, [ports.smtp, ports.local, ports.metrics], cwd=str(ROOT))


def quarantine_cli(
    postfix: PostfixInstance,
    policy: Path,
    audit: Path,
    officer_log: Path,
    *args: str,
    officer: str = "fg",
    ahead: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """``postwarden quarantine ARGS`` for this Postfix, policy and trails, as `officer` (the
    sudo user it records); ``ahead`` runs it that much later under Debian's faketime."""
    clock = ["faketime", "-f", ahead] if ahead else []
    return subprocess.run(
        [*clock, sys.executable, "-m", "milter", "quarantine",
         "--postfix-config", str(postfix.config_dir), "--audit-log", str(audit),
         "--officer-log", str(officer_log), "--policy", str(policy), *args],
        capture_output=True, text=True, timeout=90, cwd=ROOT,
        env={**os.environ, "SUDO_USER": officer}, check=False,
    )  # fmt: skip
