"""report retired-senders: read from audit records, grouped by sender and client."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from milter.officer.report import retired_senders, retired_senders_table

NOW = 1_795_400_000.0  # 2026-11-23


def rec(kind: str, time: str, **fields: object) -> str:
    return json.dumps({"seq": 1, "time": time, "kind": kind, **fields})


def retired(
    address: str, action: str = "reject", rule: str = "retired_domain"
) -> dict[str, object]:
    return {"address": address, "action": action, "rule": rule, "reason": "x"}


class TestRetiredSenders:
    def test_groups_counts_and_last_seen(self, tmp_path: Path) -> None:
        """RCPT refusals and local removals count per (sender, client); old ones drop out."""
        lines = [
            rec(
                "recipient_refused",
                "2026-11-20T10:00:00Z",
                sender="casetool@samen-veilig.nl",
                client="10.1.2.3",
                recipient=retired("b@bjzutrecht.nl"),
            ),
            rec(
                "recipient_refused",
                "2026-11-22T10:00:00Z",
                sender="casetool@samen-veilig.nl",
                client="10.1.2.3",
                recipient=retired("c@mail.bjzflevo.nl"),
            ),
            rec(
                "message",
                "2026-11-21T09:00:00Z",
                sender="voicemail@samen-veilig.nl",
                client=None,
                recipients=[
                    retired("d@bjzutrecht.nl", "remove"),
                    {"address": "a@partner.example", "action": "accept", "rule": None},
                ],
            ),
            rec(
                "message",
                "2026-11-21T09:00:00Z",
                sender="x@samen-veilig.nl",
                client=None,
                recipients=[retired("z@samen-veilig.nl", "reject", "ownership_drift")],
            ),
            rec(
                "message",
                "2025-01-01T09:00:00Z",
                sender="old@samen-veilig.nl",
                client=None,
                recipients=[retired("e@bjzutrecht.nl")],
            ),
            rec(
                "message",
                "2026-11-21T09:00:00Z",
                sender="ok@samen-veilig.nl",
                client=None,
                recipients=[{"address": "a@partner.example", "action": "accept", "rule": None}],
            ),
        ]
        current = tmp_path / "audit.jsonl"
        current.write_text("\n".join(lines[:3]) + "\n")
        with gzip.open(tmp_path / "audit.jsonl.1.gz", "wt") as fh:
            fh.write("\n".join(lines[3:]) + "\n")
        rows = retired_senders([str(current), str(tmp_path / "audit.jsonl.1.gz")], 30, NOW)
        assert [(r["sender"], r["client"], r["attempts"]) for r in rows] == [
            ("casetool@samen-veilig.nl", "10.1.2.3", 2),
            ("voicemail@samen-veilig.nl", None, 1),
            ("x@samen-veilig.nl", None, 1),
        ]
        assert rows[0]["domains"] == ["bjzutrecht.nl", "mail.bjzflevo.nl"]
        assert rows[0]["last_seen"] == "2026-11-22T10:00:00Z"
        assert rows[2]["rules"] == ["ownership_drift"]
        table = retired_senders_table(rows, 30)
        assert table.splitlines()[0].startswith("SENDER") and "casetool@samen-veilig.nl" in table

    def test_empty(self, tmp_path: Path) -> None:
        """No attempts: a sentence, not an empty table."""
        assert "no sender" in retired_senders_table(
            retired_senders([str(tmp_path / "missing.jsonl")], 7, NOW), 7
        )


def test_a_report_over_no_audit_trail_at_all_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every file missing is an error naming the file and --audit-log, not an empty report."""
    from milter.cli.main import main

    missing = str(tmp_path / "audit.jsonl")
    assert main(["report", "retired-senders", "--audit-log", missing]) == 1
    err = capsys.readouterr().err
    assert f"the audit trail {missing}: it does not exist" in err and "--audit-log" in err
