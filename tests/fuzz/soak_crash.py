"""Crash soak (``make soak``): the crash and SIGTERM scenarios of tests/reliability/test_crash.py
with thousands of messages.

Environment: SOAK_MESSAGES (default 3000), SOAK_SESSIONS (default 40), SOAK_KILLS (default 10),
SOAK_SEED (default 8).
"""

from __future__ import annotations

import os

import pytest

from tests.reliability.chaos import CrashRun, crash_run
from tests.reliability.lab import Lab
from tests.reliability.sentinels import find_leaks

MESSAGES = int(os.environ.get("SOAK_MESSAGES", "3000"))
SESSIONS = int(os.environ.get("SOAK_SESSIONS", "40"))
KILLS = int(os.environ.get("SOAK_KILLS", "10"))
SEED = int(os.environ.get("SOAK_SEED", "8"))

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def killed(module_lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> CrashRun:
    result = crash_run(
        module_lab, tmp_path_factory.mktemp("soak"), run="soak", messages=MESSAGES,
        sessions=SESSIONS, faults=KILLS, seed=SEED, time_limit=3600.0,
    )  # fmt: skip
    print("SIGKILL soak:", result.report())
    return result


@pytest.fixture(scope="module")
def terminated(module_lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> CrashRun:
    result = crash_run(
        module_lab, tmp_path_factory.mktemp("soakterm"), run="soakterm",
        messages=MESSAGES // 3, sessions=SESSIONS, faults=3, fault="term", seed=SEED,
        pace=1.0, time_limit=3600.0,
    )  # fmt: skip
    print("SIGTERM soak:", result.report())
    return result


class TestSoak:
    def test_killed_run_is_clean(self, killed: CrashRun) -> None:
        """Thousands of messages, ten SIGKILLs: nothing lost, doubled or sent to retired domains."""
        assert {k: v for k, v in killed.ledger.problems().items() if v} == {}
        assert len(killed.stops) == KILLS

    def test_terminated_run_is_clean(self, terminated: CrashRun) -> None:
        """Three SIGTERMs under paced load: each exits 0 within its grace; the ledger is clean."""
        assert all(s.exit_status == 0 and s.exit_seconds < 13 for s in terminated.stops)
        assert {k: v for k, v in terminated.ledger.problems().items() if v} == {}

    def test_no_client_data_in_our_outputs(self, killed: CrashRun, terminated: CrashRun) -> None:
        """Logs, audit trails, metrics and check output of both runs hold no planted data."""
        texts = [*killed.outputs.values(), *terminated.outputs.values()]
        assert find_leaks(texts) == []
