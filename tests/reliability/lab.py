"""The end-to-end lab: SMTP sink, private Postfix instances and Postwarden daemons.

``Lab`` starts what a test asks for and stops all of it at the end, by PID, in reverse order
(a frozen daemon is continued first so it can exit). Postfix gets the lines of
deploy/postfix/main.cf (what we tell admins to use) pointed at the daemon's ports, plus the
test's overrides. The building blocks come from the e2e harness (tests/e2e/postfix.py).
"""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

import pytest

from tests.e2e.postfix import REQUIRED_BINARIES, PostfixInstance, Sink
from tests.e2e.stack import deploy_main_cf, deploy_master_cf
from tests.reliability.inprocess import POLICY
from tests.reliability.service import MilterService


def require_postfix() -> None:
    """Fail (never skip) without the Postfix package or root, as tests/e2e does."""
    missing = [str(p) for p in REQUIRED_BINARIES if not p.exists()]
    if missing:
        pytest.fail(f"needs the postfix package; missing {', '.join(missing)}", pytrace=False)
    if os.geteuid() != 0:
        pytest.fail("end-to-end reliability tests must run as root", pytrace=False)


class Lab:
    """Everything one test or module started; ``close`` stops it all."""

    def __init__(self, tmp: pytest.TempPathFactory) -> None:
        self._tmp = tmp
        self._sink: Sink | None = None
        self.postfixes: list[PostfixInstance] = []
        self.milters: list[MilterService] = []

    @property
    def sink(self) -> Sink:
        if self._sink is None:
            self._sink = Sink()
            self._sink.start()
        return self._sink

    def milter(self, policy: Path = POLICY, *extra_args: str, start: bool = True) -> MilterService:
        service = MilterService(self._tmp.mktemp("milter") / "milter.log", policy, *extra_args)
        self.milters.append(service)
        if start:
            service.start()
        return service

    def postfix(
        self,
        milter: MilterService | None,
        etc: Path | None = None,
        chroot: bool = False,
        **overrides: object,
    ) -> PostfixInstance:
        """A Postfix instance as deployed (deploy/'s main.cf and master.cf) behind `milter`;
        `etc` replaces deploy/postfix/ as the place of the files master.cf names; `chroot`
        keeps master.cf's chroot column as shipped."""
        require_postfix()
        params: dict[str, object] = deploy_main_cf()
        params.pop("smtpd_milters", None)
        params.pop("non_smtpd_milters", None)
        params.update(overrides)
        instance = PostfixInstance(
            self._tmp.mktemp("pf"),
            relay_port=self.sink.port,
            smtpd_milter=milter.smtp_port if milter else "",
            non_smtpd_milter=milter.local_port if milter else "",
            overrides=params,
            master_extra=deploy_master_cf(etc, chroot),
        )
        self.postfixes.append(instance)
        instance.start()
        return instance

    def close(self) -> None:
        for instance in reversed(self.postfixes):
            instance.stop()
            print(f"--- maillog of {instance.base_dir}:\n{instance.log_text()[-3000:]}")
        for service in reversed(self.milters):
            if service.process.proc is None:
                continue
            if service.running:
                with contextlib.suppress(ProcessLookupError):
                    service.signal(signal.SIGCONT)
            service.terminate(timeout=15)
            print(f"--- log of milter {service.pid}:\n{service.log_text()[-3000:]}")
        if self._sink is not None:
            self._sink.stop()
