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
