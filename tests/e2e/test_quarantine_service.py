"""The privileged quarantine service against a real Postfix: an officer who is not root lists
and releases held mail through the socket; someone outside the officers' group is refused and
the message stays held.

The service is started as systemd would start it from the shipped units, as far as a machine
without a running systemd allows: socket-activated (systemd-socket-activate passes fd 3 with
LISTEN_FDS/LISTEN_PID), with no new privileges and exactly the capability bounding set of
systemd/postwarden-quarantine.service -- so a capability postsuper, postcat or postqueue needs
and the unit lacks fails this test. The filesystem sandbox (ProtectSystem= and friends) and the
IP allow list (loopback only, for the notices' relay) are systemd's alone and not reproduced.
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
from tests.e2e.test_held_life import Life, start, verify
from tests.e2e.test_held_notices import EXTERNAL, SENDER, assert_no_client_data, notice
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

    def __init__(self, desk: Life, group: str, idle_exit_s: float) -> None:
        self.dir = tempfile.mkdtemp(prefix="postwarden-qs-")
        os.chmod(self.dir, 0o711)  # officers traverse it; the socket's own mode decides
        self.path = os.path.join(self.dir, "quarantine.sock")
        bounding = ",".join(["-all", *(f"+{c}" for c in unit_capabilities())])
        self.proc = subprocess.Popen(
            ["systemd-socket-activate", "--listen", self.path,
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
        """A held dossier is listed, its sender's request recorded and the message released
        through the socket by non-root officers: delivered, the sender told, the trail names
        the officers; non-members change nothing."""
        life = start(
            postfix_factory, milter_factory, tmp_path, "quarantine:\n  release_requires: 1\n"
        )
        # As on a gateway: the officer trail lives in the milter's log directory, which root
        # does not own (postwarden.service's LogsDirectory=, 0750): root needs CAP_DAC_OVERRIDE.
        logs = tmp_path / "log"
        logs.mkdir(mode=0o750)
        os.chown(logs, pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid)
        life = dataclasses.replace(life, officer_log=logs / "officer.jsonl")
        qid = life.hold()
        sink.wait_for(notice("sender-held", SENDER), timeout=30)
        service = Service(life, accounts.group, idle_exit_s=3)
        acc = accounts
        try:
            # Every call through the socket comes first, back to back: the service exits 3 s
            # after the last one, and systemd-socket-activate does not start it again.
            listed = service.quarantine(acc, acc.member, "list", "--json")
            shown = service.quarantine(acc, acc.primary, "show", qid)
            plain = service.quarantine(acc, acc.outsider, "release", qid, "--reason", "mine")
            os.chmod(service.path, 0o666)  # a SocketMode= mistake: the peer check still holds
            stranger = service.quarantine(
                acc, acc.outsider, "delete", qid, "--reason", "mine", extra_groups=[]
            )
            os.chmod(service.path, 0o660)
            held = [e["queue_id"] for e in life.postfix.postqueue_json()]
            asked = service.quarantine(
                acc, acc.member, "request", qid, "--reason", "arts wacht", "--sender", SENDER
            )
            request_id = asked.stdout.partition("(")[2].partition(")")[0]
            released = service.quarantine(
                acc, acc.primary, "release", qid, "--reason", "partner confirmed",
                "--request", request_id,
            )  # fmt: skip
            code, events = service.wait_exit()
        finally:
            service.close()

        assert listed.value == 0, listed.stderr
        rows = json.loads(listed.stdout)
        assert [r["queue_id"] for r in rows] == [qid]
        assert rows[0]["rules"] == ["client-data-external"]
        assert shown.value == 0, shown.stderr
        assert "X-Postwarden-Quarantine: client-data-external" in shown.stdout
        assert "decision:   quarantine rule client-data-external" in shown.stdout
        assert plain.value == 1 and "permission denied: you must be in group" in plain.stderr
        assert stranger.value == 1
        assert f"user nobody (uid 65534) is not in group {acc.group}" in stranger.stderr
        assert held == [qid]  # neither outsider changed anything
        assert asked.value == 0 and request_id.startswith("req-"), asked.stderr
        assert released.value == 0, released.stderr
        assert released.stdout.startswith(f"released {qid} (grants {request_id}): delivery")
        assert "the sender was told" in released.stdout  # the relay, on loopback, was reached

        sink.wait_for(lambda m: m.rcpt_tos == [EXTERNAL], timeout=30)
        told = sink.wait_for(notice("sender-released", SENDER), timeout=30)
        assert_no_client_data(told)
        records = [json.loads(line) for line in life.officer_log.read_text().splitlines()]
        steps = {r["kind"]: r for r in records}
        assert steps["sender_release_requested"]["recorded_by"] == acc.member
        assert steps["sender_release_requested"]["requested_by"] == SENDER
        assert steps["officer_release"]["officer"] == acc.primary
        assert steps["officer_release"]["reason"] == "partner confirmed"
        verify(life.officer_log)

        assert code == 0  # the idle exit
        uid = {name: pwd.getpwnam(name).pw_uid for name in (acc.member, acc.primary)}
        done = [(e["event"], e.get("op"), e.get("officer"), e.get("uid")) for e in events]
        assert done == [
            ("quarantine_service_started", None, None, None),
            ("quarantine_request_done", "list", acc.member, uid[acc.member]),
            ("quarantine_request_done", "show", acc.primary, uid[acc.primary]),
            ("quarantine_request_refused", None, None, 65534),
            ("quarantine_request_done", "request", acc.member, uid[acc.member]),
            ("quarantine_request_done", "release", acc.primary, uid[acc.primary]),
            ("quarantine_service_idle_exit", None, None, None),
        ]
        journal = json.dumps(events)
        assert "partner confirmed" not in journal and SENDER not in journal  # no content
