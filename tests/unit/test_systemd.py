"""The systemd units: valid, and sandboxed as tightly as the milter allows."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

UNITS = Path(__file__).resolve().parents[2] / "systemd"
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
