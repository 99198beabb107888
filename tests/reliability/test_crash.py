"""Crashes under load with the real Postfix (issue 8, points 1 and 7).

400 messages (allowed, retired-domain, mixed and client-data ones; a tenth through sendmail)
go over 20 parallel SMTP sessions while the Postwarden daemon is SIGKILLed ten times at seeded
random moments and started again. The sending side retries whatever got a 4xx, as an MTA does.
Counted by Message-ID: every allowed recipient gets its message exactly once (or, for client
data the policy quarantines, the message sits in the hold queue exactly once), no retired-domain
recipient ever gets anything, nothing is lost. A second run stops the daemon with SIGTERM
mid-load: it drains for at most its 10 s grace and exits 0, and the same accounting holds.
Afterwards the daemon's log, audit trail and metrics, and the ``postwarden check`` output, are
searched for the client data the messages carried. ``make soak`` runs the same with thousands.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from milter.audit.verify import verify
from tests.reliability.chaos import CrashRun, crash_run
from tests.reliability.lab import Lab
from tests.reliability.sentinels import find_leaks

MESSAGES = 400
TERM_MESSAGES = 300
SESSIONS = 20
KILLS = 10
GRACE_S = 10.0

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def killed(module_lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> CrashRun:
    """One run: the load with ten SIGKILLs."""
    result = crash_run(
        module_lab, tmp_path_factory.mktemp("crash"),
        run="crash", messages=MESSAGES, sessions=SESSIONS, faults=KILLS, fault="kill",
    )  # fmt: skip
    print("SIGKILL run:", result.report())
    return result


@pytest.fixture(scope="module")
def terminated(module_lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> CrashRun:
    """One run: a paced load (about 20 messages/s, 15 s) with a SIGTERM early on, so the
    drain runs its full grace period with sessions still busy and is then cut off."""
    result = crash_run(
        module_lab, tmp_path_factory.mktemp("term"),
        run="term", messages=TERM_MESSAGES, sessions=SESSIONS, faults=1, fault="term",
        pace=1.0, window=(0.08, 0.12),
    )  # fmt: skip
    print("SIGTERM run:", result.report())
    return result


class TestKilledUnderLoad:
    def test_the_daemon_was_killed_ten_times_mid_load(self, killed: CrashRun) -> None:
        """Ten SIGKILLs landed while messages were in flight, and clients saw tempfails."""
        assert [s.fault for s in killed.stops] == ["kill"] * KILLS
        assert killed.milter.starts == KILLS + 1
        assert killed.ledger.summary()["tempfails"] > 0

    def test_every_allowed_recipient_gets_its_message_exactly_once(self, killed: CrashRun) -> None:
        """Counted by Message-ID: nothing lost, nothing duplicated, nothing wrongly held."""
        problems = killed.ledger.problems()
        assert {k: v for k, v in problems.items() if k not in ("to_retired",) and v} == {}

    def test_nothing_reaches_a_retired_domain(self, killed: CrashRun) -> None:
        """No delivery and no held message has a retired-domain recipient."""
        assert killed.ledger.problems()["to_retired"] == []

    def test_the_audit_chain_is_unbroken_across_the_kills(self, killed: CrashRun) -> None:
        """Every restart continued the chain; a line torn by a kill was moved aside, not left."""
        assert killed.audit is not None
        report = verify([str(killed.audit)])
        assert report.ok, report
        kept = [json.loads(line) for line in killed.audit.read_text().splitlines()]
        moved = [r["moved_to"] for r in kept if r["kind"] == "torn_tail"]
        assert all(Path(name).exists() for name in moved)

    def test_no_client_data_in_our_outputs(self, killed: CrashRun) -> None:
        """Log, audit trail, metrics and check output hold none of the planted client data."""
        assert {name: find_leaks([text]) for name, text in killed.outputs.items()} == {
            name: [] for name in killed.outputs
        }
        assert all(killed.outputs[name] for name in ("milter log", "audit trail", "metrics"))


class TestGracefulShutdown:
    def test_sigterm_drains_within_grace_and_exits_zero(self, terminated: CrashRun) -> None:
        """SIGTERM under load: exit status 0 within the 10 s grace (plus start-up slack)."""
        (stop,) = terminated.stops
        assert stop.exit_status == 0
        assert stop.exit_seconds < GRACE_S + 3.0

    def test_in_flight_messages_finish_or_are_retried(self, terminated: CrashRun) -> None:
        """Messages in flight at SIGTERM were decided or tempfailed: none lost or doubled."""
        problems = terminated.ledger.problems()
        assert {k: v for k, v in problems.items() if v} == {}

    def test_decisions_continue_during_the_drain(self, terminated: CrashRun) -> None:
        """Connections open at SIGTERM are still served until the grace period ends."""
        events = [
            json.loads(line)
            for line in terminated.milter.log_text().splitlines()
            if line.startswith("{")
        ]
        names = [e.get("event") for e in events]
        start = names.index("shutting_down")
        end = names.index("stopped", start)
        assert "message_decided" in names[start:end] or "recipient_refused" in names[start:end]

    def test_no_client_data_in_our_outputs(self, terminated: CrashRun) -> None:
        """The same leak scan after the SIGTERM run."""
        assert [leak for text in terminated.outputs.values() for leak in find_leaks([text])] == []
