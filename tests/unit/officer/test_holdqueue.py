"""Quarantine commands refuse users who are not root, with a clear message."""

from __future__ import annotations

import pytest

from milter.cli.main import main
from milter.officer import holdqueue as quarantine


class TestRights:
    @pytest.mark.parametrize(
        "args", [["list"], ["show", "ABCDEF123"], ["release", "ABCDEF123", "--reason", "x"]]
    )
    def test_non_root_is_refused(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: list[str]
    ) -> None:
        """A non-root user gets exit 1 and 'need root ... sudo', and nothing is run."""
        monkeypatch.setattr(quarantine.os, "geteuid", lambda: 1000)
        monkeypatch.setattr(quarantine.HoldQueue, "_run", lambda *a: pytest.fail("ran a tool"))
        code = main(["quarantine", "--policy", "policies/example.yaml", *args])
        err = capsys.readouterr().err
        assert code == 1 and "need root" in err and "sudo" in err
