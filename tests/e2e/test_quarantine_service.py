"""The privileged quarantine service against a real Postfix: an officer who is not root lists
and releases held mail through the socket; someone outside the officers' group is refused and
the message stays held.

The service is started as systemd would start it from the shipped units, as far as a machine
without a running systemd allows: socket-activated (systemd-socket-activate passes fd 3 with
LISTEN_FDS/LISTEN_PID), in a network namespace of its own with only loopback (PrivateNetwork=;
Postfix's tools refuse to run without any interface up), with no new
privileges and exactly the capability bounding set of systemd/postwarden-quarantine.service --
so a capability postsuper, postcat or postqueue needs and the unit lacks fails this test.
The filesystem sandbox (ProtectSystem= and friends) is systemd's alone and is not reproduced.
"""

from __future__ import annotations

import dataclasses
import grp
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import milter.officer.client  # noqa: F401  imported here, never in a forked child (call_as)
from milter.cli.main import main
from tests.e2e.postfix import MilterFactory, PostfixFactory, Sink
from tests.e2e.stack import ROOT
from tests.e2e.test_officer import Desk, make_desk, verify
from tests.support.accounts import Accounts, AsUser, officer_accounts

UNIT = ROOT / "systemd" / "postwarden-quarantine.service"


def unit_capabilities() -> list[str]:
    """The unit's CapabilityBoundingSet as setpriv names them: ['setuid', ...]."""
    (line,) = re.findall(r"^CapabilityBoundingSet=(.*)$", UNIT.read_text(), flags=re.M)
    caps = [c.removeprefix("CAP_").lower() for c in line.split()]
    assert caps, "the unit names its capabilities"
    return caps


@pytest.fixture(scope="module")
def accounts() -> Iterator[Accounts]:
    with officer_accounts() as acc:
        yield acc


class Service:
    """`postwarden quarantine-service` under systemd-socket-activate, sandboxed like the unit."""

    def __init__(self, desk: Desk, group: str, idle_exit_s: float) -> None:
        self.dir = tempfile.mkdtemp(prefix="postwarden-qs-")
        os.chmod(self.dir, 0o711)  # officers traverse it; the socket's own mode decides
        self.path = os.path.join(self.dir, "quarantine.sock")
        bounding = ",".join(["-all", *(f"+{c}" for c in unit_capabilities())])
        self.proc = subprocess.Popen(
            ["systemd-socket-activate", "--listen", self.path,
             # PrivateNetwork=: a network namespace of its own with only lo, up
             "unshare", "--net", "--", "sh", "-c", 'ip link set lo up && exec "$@"', "sh",
             "setpriv", "--no-new-privs", "--inh-caps=-all", f"--bounding-set={bounding}", "--",
             sys.executable, "-m", "milter", "quarantine-service",
             "--group", group,
             "--postfix-config", str(desk.postfix.config_dir),
             "--policy", str(desk.policy),
             "--officer-log", str(desk.officer_log),
             "--audit-log", str(desk.audit),
             "--idle-exit", str(idle_exit_s)],
            cwd=ROOT, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while not os.path.exists(self.path):
            assert self.proc.poll() is None and time.monotonic() < deadline, "no socket"
            time.sleep(0.02)
        # What the socket unit's SocketGroup= and SocketMode= do.
        os.chown(self.path, -1, grp.getgrnam(group).gr_gid)
        os.chmod(self.path, 0o660)

    def quarantine(
        self, acc: Accounts, user: str, *args: str, extra_groups: list[str] | None = None
    ) -> AsUser:
        """`postwarden quarantine --socket S ARGS` as ``user``; .value is the exit code."""
        argv = ["quarantine", "--socket", self.path, *args]
        return acc.call_as(user, main, argv, extra_groups=extra_groups)

    def wait_exit(self) -> tuple[int, list[dict[str, object]]]:
        """Exit code and log events once the service has gone idle and exited."""
        _, err = self.proc.communicate(timeout=120)
        events = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
        return self.proc.returncode, events

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate(timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)


class TestQuarantineService:
    def test_an_officer_releases_without_root_and_outsiders_are_refused(
        self,
        postfix_factory: PostfixFactory,
        milter_factory: MilterFactory,
        sink: Sink,
        tmp_path: Path,
        accounts: Accounts,
    ) -> None:
        """A held message is listed and released through the socket by a non-root officer and
        delivered; the trail names that officer; non-members change nothing."""
        desk = make_desk(postfix_factory, milter_factory, sink, tmp_path, 1)
        # As on a gateway: the officer trail lives in the milter's log directory, which root
        # does not own (postwarden.service's LogsDirectory=, 0750): root needs CAP_DAC_OVERRIDE.
        logs = tmp_path / "log"
        logs.mkdir(mode=0o750)
        os.chown(logs, pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid)
        desk = dataclasses.replace(desk, officer_log=logs / "officer.jsonl")
        qid = desk.hold("via-the-service")
        service = Service(desk, accounts.group, idle_exit_s=3)
        try:
            # Every call through the socket comes first, back to back: the service exits 3 s
            # after the last one, and systemd-socket-activate does not start it again.
            listed = service.quarantine(accounts, accounts.member, "list", "--json")
            shown = service.quarantine(accounts, accounts.primary, "show", qid)
            plain = service.quarantine(
                accounts, accounts.outsider, "release", qid, "--reason", "mine"
            )
            forged = service.quarantine(
                accounts, accounts.outsider, "delete", qid, "--reason", "mine",
                extra_groups=[accounts.group],
            )  # fmt: skip
            held = [e["queue_id"] for e in desk.postfix.postqueue_json()]
            released = service.quarantine(
                accounts, accounts.member, "release", qid, "--reason", "partner confirmed"
            )
            code, events = service.wait_exit()
        finally:
            service.close()

        assert listed.value == 0, listed.stderr
        rows = json.loads(listed.stdout)
        assert [r["queue_id"] for r in rows] == [qid] and rows[0]["rules"] == ["lookalike_domain"]
        assert shown.value == 0 and "X-Postwarden-Quarantine: lookalike_domain" in shown.stdout
        assert "Dit is een testbericht" not in shown.stdout  # no content through the socket
        assert plain.value == 1 and "permission denied: you must be in group" in plain.stderr
        assert (
            forged.value == 1
            and f"user nobody (uid 65534) is not in group {accounts.group}" in (forged.stderr)
        )
        assert held == [qid]  # both outsiders changed nothing
        assert released.value == 0, released.stderr
        assert released.stdout == f"released {qid}: delivery continues\n"

        got = sink.wait_for(lambda m: m.header("Subject") == "via-the-service")
        assert got.rcpt_tos == ["x@samenveilig.nl"]
        records = [json.loads(line) for line in desk.officer_log.read_text().splitlines()]
        actions = [
            (r["kind"], r.get("queue_id"), r.get("officer"), r.get("reason"))
            for r in records
            if r["kind"] != "checkpoint"
        ]
        assert actions == [("officer_release", qid, accounts.member, "partner confirmed")]
        assert verify(desk.officer_log).returncode == 0

        assert code == 0  # the idle exit
        done = [(e["event"], e.get("op"), e.get("officer"), e.get("uid")) for e in events]
        member_uid = int(subprocess.check_output(["id", "-u", accounts.member]))
        primary_uid = int(subprocess.check_output(["id", "-u", accounts.primary]))
        assert done == [
            ("quarantine_service_started", None, None, None),
            ("quarantine_request_done", "list", accounts.member, member_uid),
            ("quarantine_request_done", "show", accounts.primary, primary_uid),
            ("quarantine_request_refused", None, None, 65534),
            ("quarantine_request_done", "release", accounts.member, member_uid),
            ("quarantine_service_idle_exit", None, None, None),
        ]
        assert "partner confirmed" not in json.dumps(events)  # no reason text in the journal
