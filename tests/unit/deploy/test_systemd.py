"""The systemd units: valid, and sandboxed as tightly as the milter allows."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

UNITS = Path(__file__).resolve().parents[3] / "systemd"
MAX_EXPOSURE = 2.0


def exposure(unit: Path) -> float:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("systemd-analyze is missing (Debian package systemd)", pytrace=False)
    out = subprocess.run(
        [analyze, "security", "--offline=true", "--no-pager", str(unit)],
        capture_output=True,
        text=True,
        check=False,
    )
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", out.stdout + out.stderr)
    assert match, out.stdout + out.stderr
    return float(match.group(1))


class TestMilterUnit:
    def test_exposure_is_low(self) -> None:
        """`systemd-analyze security` rates the milter unit at most 2.0."""
        assert exposure(UNITS / "postwarden.service") <= MAX_EXPOSURE

    def test_fail_closed_lifecycle(self) -> None:
        """Restarted when it dies, reload sends SIGHUP, own user, no capabilities."""
        text = (UNITS / "postwarden.service").read_text()
        for line in (
            "Restart=always",
            "ExecReload=/bin/kill -HUP $MAINPID",
            "User=postwarden",
            "CapabilityBoundingSet=\n",
            "NoNewPrivileges=yes",
        ):
            assert line in text


class TestTransportUnits:
    """postwarden-transport.path/.service keep Postfix's retired-domain table in step."""

    @staticmethod
    def directive(unit: str, key: str) -> list[str]:
        text = (UNITS / unit).read_text()
        return re.findall(rf"^{key}=(.*)$", text, flags=re.MULTILINE)

    def test_path_unit_watches_the_policy_the_service_reads(self) -> None:
        """The watched file is the policy that the service generates the table from."""
        (watched,) = self.directive("postwarden-transport.path", "PathChanged")
        (start,) = self.directive("postwarden-transport.service", "ExecStart")
        assert self.directive("postwarden-transport.path", "Unit") == [
            "postwarden-transport.service"
        ]
        assert f" policy postfix-map {watched} --install " in start

    def test_service_installs_the_table_postfix_reads_then_reloads(self) -> None:
        """--install names the table deploy/postfix/master.cf gives the queue manager."""
        (start,) = self.directive("postwarden-transport.service", "ExecStart")
        table = start.rpartition("--install ")[2].strip()
        master_cf = (UNITS.parent / "deploy" / "postfix" / "master.cf").read_text()
        assert f"transport_maps=texthash:{table}" in master_cf
        assert self.directive("postwarden-transport.service", "ExecStartPost") == [
            "/usr/sbin/postfix reload"
        ]
        writable = self.directive("postwarden-transport.service", "ReadWritePaths")[0].split()
        assert table.rpartition("/")[0] in writable


# `systemd-analyze security --offline` of every shipped service unit, as measured when the
# limit was set (deploy/SECURITY.md has the table and what each unit keeps and why). A unit
# that loosens its sandbox fails here; one that tightens it lowers its number here.
EXPOSURE_CEILING = {
    "postwarden.service": 1.3,
    "postwarden-quarantine.service": 2.0,
    "postwarden-quarantine-digest.service": 0.6,
    "postwarden-quarantine-expire.service": 0.6,
    "postwarden-quarantine-release-due.service": 0.6,
    "postwarden-transport.service": 1.1,
    "postwarden-domains-audit.service": 1.2,
    "postwarden-web.service": 1.1,
}


class TestExposure:
    @pytest.mark.parametrize("unit", sorted(EXPOSURE_CEILING))
    def test_no_unit_is_more_exposed_than_measured(self, unit: str) -> None:
        """Each unit's exposure is at most the value recorded in deploy/SECURITY.md."""
        assert exposure(UNITS / unit) <= EXPOSURE_CEILING[unit]

    def test_every_shipped_service_has_a_ceiling(self) -> None:
        """A new service unit gets a ceiling (and a line in deploy/SECURITY.md) with it."""
        shipped = {path.name for path in UNITS.glob("*.service")}
        assert shipped == set(EXPOSURE_CEILING)
        table = (UNITS.parent / "deploy" / "SECURITY.md").read_text()
        for unit, ceiling in EXPOSURE_CEILING.items():
            assert re.search(rf"`{re.escape(unit)}`.*\| {ceiling} \|", table), unit


class TestQuarantineUnits:
    """postwarden-quarantine.socket starts postwarden-quarantine.service on demand."""

    @staticmethod
    def directive(unit: str, key: str) -> list[str]:
        return re.findall(rf"^{key}=(.*)$", (UNITS / unit).read_text(), flags=re.MULTILINE)

    def test_the_socket_is_where_the_commands_look_and_only_for_officers(self) -> None:
        """ListenStream is the client's default; 0660, group = the service's --group."""
        from milter.officer.service import DEFAULT_GROUP, DEFAULT_SOCKET

        sock = "postwarden-quarantine.socket"
        assert self.directive(sock, "ListenStream") == [DEFAULT_SOCKET]
        assert self.directive(sock, "SocketMode") == ["0660"]
        assert self.directive(sock, "SocketGroup") == [DEFAULT_GROUP]
        assert self.directive(sock, "Accept") == ["no"]
        text = (UNITS / "postwarden-quarantine.service").read_text()
        assert f"--group {DEFAULT_GROUP} " in text and "--socket" not in text.split("[Service]")[1]

    def test_the_service_is_started_by_its_socket_only(self) -> None:
        """No [Install] of its own: it runs when an officer connects, then exits when idle."""
        service = "postwarden-quarantine.service"
        assert "[Install]" not in (UNITS / service).read_text()
        assert self.directive(service, "Requires") == ["postwarden-quarantine.socket"]
        assert "--idle-exit 60" in (UNITS / service).read_text()
