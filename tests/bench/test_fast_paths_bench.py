"""Smoke test of bench/fast_paths.py: it times every fast path (never how fast)."""

from __future__ import annotations

import dataclasses
import sys

import pytest

from bench import fast_paths
from milter.core.fastpaths import FastPaths


class TestFastPathsBench:
    def test_covers_every_switch(self) -> None:
        """Each FastPaths field has a case, so a new fast path cannot go unmeasured."""
        assert [name for name, _, _ in fast_paths.CASES] == [
            f.name for f in dataclasses.fields(FastPaths)
        ]

    def test_reports_a_line_per_path(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """One round prints each path with its time fast and without it."""
        monkeypatch.setattr(sys, "argv", ["fast_paths", "--rounds", "1"])
        fast_paths.main()
        lines = capsys.readouterr().out.splitlines()
        assert [line.split()[0] for line in lines] == [name for name, _, _ in fast_paths.CASES]
        assert all("without it" in line for line in lines)
