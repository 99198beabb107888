"""The officer desk's rules, on a hold queue kept in memory: who may ask, what four eyes need,
what expires, what the trail and the notices say. (tests/e2e/test_held_life.py runs the same
steps against a real Postfix.)"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from milter.officer.desk import OfficerDesk, fold_reason
from milter.officer.holdqueue import HeldMessage, QuarantineError
from milter.policy import load_policy_text

DAY = 86_400
NOW = 1_800_000_000.0
SENDER = "j.jansen@samen-veilig.nl"
EXAMPLE = Path(__file__).resolve().parents[3] / "policies" / "example.yaml"


def held(queue_id: str, age_days: float, sender: str = SENDER, ours: bool = True) -> HeldMessage:
    headers = (("X-Postwarden-Quarantine", "client-data-external: bsn to external"),)
    return HeldMessage(
        queue_id=queue_id,
        arrival_time=int(NOW - age_days * DAY),
        size=1000,
        sender=sender,
        recipients=("arts@ziekenhuis.example",),
        postwarden=headers if ours else (),
    )


@dataclass
class MemoryQueue:
    """The HoldQueue interface over a dict: what postsuper would do, recorded."""

    held: dict[str, HeldMessage]
    done: list[tuple[str, str]] = field(default_factory=list)

    def list(self) -> list[HeldMessage]:
        return sorted(self.held.values(), key=lambda m: m.arrival_time)

    def get(self, queue_id: str) -> HeldMessage:
        if queue_id not in self.held:
            raise QuarantineError(f"no message {queue_id} in the queue")
        return self.held[queue_id]

    def _take(self, what: str, queue_id: str) -> None:
        self.get(queue_id)
        del self.held[queue_id]
        self.done.append((what, queue_id))

    def release(self, queue_id: str) -> None:
        self._take("release", queue_id)

    def delete(self, queue_id: str) -> None:
        self._take("delete", queue_id)

    def return_to_sender(self, queue_id: str) -> None:
        self._take("return", queue_id)

    def raw(self, queue_id: str) -> bytes:
        """postcat -bh output: its section marks around a two-part message."""
        self.get(queue_id)
        return (
            b"*** ENVELOPE RECORDS hold/X ***\n"
            b"*** MESSAGE CONTENTS hold/X ***\n"
            b"Subject: dossier\nMIME-Version: 1.0\n"
            b'Content-Type: multipart/mixed; boundary="b"\n\n--b\n'
            b"Content-Type: text/plain; charset=utf-8\n\n" + "Zie bijlage é".encode() + b"\n"
            b"--b\nContent-Type: application/pdf\n"
            b'Content-Disposition: attachment; filename="d.pdf"\n'
            b"Content-Transfer-Encoding: base64\n\nJVBERg==\n--b--\n"
            b"*** HEADER EXTRACTED hold/X ***\n"
        )


@dataclass
class Outbox:
    sent: list[tuple[str, str, EmailMessage]] = field(default_factory=list)
    fail: bool = False

    def __call__(self, kind: str, to: str, build: Callable[[dt.datetime], Any]) -> None:
        if self.fail:
            raise OSError("relay down")
        self.sent.append((kind, to, build(dt.datetime.fromtimestamp(NOW, dt.UTC))))


def desk_for(
    tmp_path: Path, *messages: HeldMessage, quarantine: str = "", outbox: Outbox | None = None
) -> tuple[OfficerDesk, MemoryQueue, Outbox]:
    text = re.sub(r"^quarantine:\n(  .*\n)+", quarantine, EXAMPLE.read_text(), flags=re.M)
    policy = load_policy_text(text, str(tmp_path / "policy.yaml"))
    queue = MemoryQueue({m.queue_id: m for m in messages})
    box = outbox or Outbox()
    desk = OfficerDesk(queue, str(tmp_path / "officer.jsonl"), policy, box, clock=lambda: NOW)  # type: ignore[arg-type]
    return desk, queue, box


def trail(tmp_path: Path) -> list[dict[str, Any]]:
    lines = (tmp_path / "officer.jsonl").read_text().splitlines()
    return [r for r in map(json.loads, lines) if r["kind"] != "checkpoint"]


class TestRequests:
    def test_a_request_is_recorded_shown_and_granted_by_the_release(self, tmp_path: Path) -> None:
        """The request gets an id; list shows it; the release names it and the sender is told."""
        desk, queue, box = desk_for(tmp_path, held("AAAAA1", 1))
        asked = desk.request("AAAAA1", "  arts   wacht\n", recorded_by="fg")
        assert asked.request_id is not None and asked.request_id.startswith("req-")
        row = desk.overview()[0]
        assert row["request"]["id"] == asked.request_id
        assert row["request"]["reason"] == "arts wacht" and row["request"]["recorded_by"] == "fg"
        done = desk.release("AAAAA1", "ok", who="ciso")
        assert done.done and done.request_id == asked.request_id and done.notice == "sent"
        assert queue.done == [("release", "AAAAA1")]
        kinds = [(r["kind"], r.get("grants_request")) for r in trail(tmp_path)]
        assert kinds == [
            ("sender_release_requested", None),
            ("officer_release", asked.request_id),
            ("sender_notice", None),
        ]
        assert [(k, to) for k, to, _ in box.sent] == [("sender_released", SENDER)]

    def test_only_the_messages_sender_may_ask_or_withdraw(self, tmp_path: Path) -> None:
        """Someone else's address is refused; case does not matter."""
        desk, queue, _ = desk_for(tmp_path, held("AAAAA1", 1))
        with pytest.raises(QuarantineError, match="only its sender"):
            desk.request("AAAAA1", "x", sender="ander@samen-veilig.nl")
        with pytest.raises(QuarantineError, match="only its sender"):
            desk.withdraw("AAAAA1", "x", sender="ander@samen-veilig.nl")
        assert desk.request("AAAAA1", "x", sender=SENDER.upper()).request_id
        assert queue.done == []

    def test_a_bounce_has_no_sender_to_act_for(self, tmp_path: Path) -> None:
        """The null sender cannot ask for anything."""
        desk, _, _ = desk_for(tmp_path, held("AAAAA1", 1, sender=""))
        with pytest.raises(QuarantineError, match="no sender"):
            desk.request("AAAAA1", "x")

    def test_a_release_naming_another_request_is_refused(self, tmp_path: Path) -> None:
        """--request must be the pending one; nothing is released."""
        desk, queue, _ = desk_for(tmp_path, held("AAAAA1", 1))
        desk.request("AAAAA1", "please")
        with pytest.raises(QuarantineError, match="not a pending request"):
            desk.release("AAAAA1", "ok", who="fg", request_id="req-00000000")
        assert queue.done == []

    def test_withdraw_deletes_and_records_the_senders_reason(self, tmp_path: Path) -> None:
        """The message is deleted, the reason recorded as the sender's, the sender told."""
        desk, queue, box = desk_for(tmp_path, held("AAAAA1", 1))
        out = desk.withdraw("AAAAA1", "wrong address", recorded_by="fg")
        assert out.done and queue.done == [("delete", "AAAAA1")]
        record = trail(tmp_path)[0]
        assert record["kind"] == "sender_withdraw" and record["withdrawn_by"] == SENDER
        assert record["reason"] == "wrong address" and record["recorded_by"] == "fg"
        assert box.sent[0][0] == "sender_withdrawn"


class TestFourEyes:
    def test_one_officer_approves_a_second_releases(self, tmp_path: Path) -> None:
        """release_requires 2: the first release is an approval, the same officer again is
        refused, a different officer releases."""
        desk, queue, _ = desk_for(
            tmp_path, held("AAAAA1", 1), quarantine="quarantine:\n  release_requires: 2\n"
        )
        first = desk.release("AAAAA1", "checked", who="fg")
        assert not first.done and queue.done == []
        assert desk.overview()[0]["approval"]["officer"] == "fg"
        with pytest.raises(QuarantineError, match="different officer"):
            desk.release("AAAAA1", "again", who="fg")
        assert desk.release("AAAAA1", "agree", who="ciso").done
        record = next(r for r in trail(tmp_path) if r["kind"] == "officer_release")
        assert record["approved_by"] == "fg" and record["officer"] == "ciso"

    def test_pending_entries_of_messages_gone_are_dropped(self, tmp_path: Path) -> None:
        """A request for a message released by hand (postsuper) no longer shows."""
        desk, queue, _ = desk_for(tmp_path, held("AAAAA1", 1), held("BBBBB2", 1))
        desk.request("AAAAA1", "x")
        desk.request("BBBBB2", "y")
        del queue.held["AAAAA1"]
        assert [r["request"] is not None for r in desk.overview()] == [True]

    def test_the_first_pending_file_format_is_read(self, tmp_path: Path) -> None:
        """An approval written before requests existed ({qid: {...}}) still counts."""
        desk, _, _ = desk_for(
            tmp_path, held("AAAAA1", 1), quarantine="quarantine:\n  release_requires: 2\n"
        )
        Path(desk.pending_path).write_text(json.dumps({"AAAAA1": {"officer": "fg"}}))
        assert desk.release("AAAAA1", "agree", who="ciso").done


class TestExpiry:
    def test_only_postwardens_holds_past_the_retention_expire(self, tmp_path: Path) -> None:
        """14 days by default: the 15-day-old message goes, the 13-day-old one and an
        admin's own hold stay; the trail says how old and why."""
        desk, queue, box = desk_for(
            tmp_path, held("OLD001", 15), held("NEW001", 13), held("ADMIN1", 40, ours=False)
        )
        outcomes = desk.expire()
        assert [(o.queue_id, o.done) for o in outcomes] == [("OLD001", True)]
        assert queue.done == [("delete", "OLD001")] and set(queue.held) == {"NEW001", "ADMIN1"}
        record = trail(tmp_path)[0]
        assert record["kind"] == "quarantine_expired" and record["action"] == "deleted"
        assert record["age_days"] == 15 and record["retention_days"] == 14
        assert box.sent[0][0] == "sender_expired_deleted"

    def test_return_sends_it_back(self, tmp_path: Path) -> None:
        """on_expiry: return hands the message back to Postfix to return to its sender."""
        desk, queue, box = desk_for(
            tmp_path,
            held("OLD001", 3),
            quarantine="quarantine:\n  retention_days: 2\n  on_expiry: return\n",
        )
        assert desk.expire()[0].message == "expired OLD001 after 2 days: returned"
        assert queue.done == [("return", "OLD001")]
        assert box.sent[0][0] == "sender_expired_returned"

    def test_a_notice_that_fails_is_recorded_and_the_step_stands(self, tmp_path: Path) -> None:
        """The relay down: the message is still deleted, the notice recorded as failed."""
        desk, queue, _ = desk_for(tmp_path, held("OLD001", 20), outbox=Outbox(fail=True))
        assert desk.expire()[0].notice == "failed"
        assert queue.done == [("delete", "OLD001")]
        notice = trail(tmp_path)[1]
        assert notice["kind"] == "sender_notice" and notice["result"] == "failed"


class TestNoticesGoOnlyToInternalSenders:
    def test_an_external_sender_is_not_told(self, tmp_path: Path) -> None:
        """Same rule as for the held notice: an external sender is never written to."""
        desk, _, box = desk_for(tmp_path, held("AAAAA1", 1, sender="x@elders.example"))
        assert desk.delete("AAAAA1", "spam", who="fg").notice is None
        assert box.sent == []

    def test_the_notice_names_the_message_not_its_content(self, tmp_path: Path) -> None:
        """Queue id, recipients' domain, rule and the officer's reason; nothing else."""
        desk, _, box = desk_for(tmp_path, held("AAAAA1", 1))
        desk.delete("AAAAA1", "send it through secure mail", who="fg")
        _, to, msg = box.sent[0]
        text = msg.get_content()
        assert to == SENDER and msg["Auto-Submitted"] == "auto-replied"
        for expected in ("AAAAA1", "ziekenhuis.example", "client-data-external", "secure mail"):
            assert expected in text, expected
        assert "arts@" not in text


class TestReasons:
    def test_reasons_are_folded_and_bounded(self) -> None:
        """Whitespace folded, 300 characters at most, empty and control characters refused."""
        assert fold_reason(" a \n b ") == "a b"
        assert len(fold_reason("x" * 1000)) == 300
        with pytest.raises(QuarantineError, match="give a reason"):
            fold_reason(" \n ")
        with pytest.raises(QuarantineError, match="control"):
            fold_reason("a\x1bb")


class TestPathErrors:
    def test_a_missing_trail_directory_is_named_with_its_option(self, tmp_path: Path) -> None:
        """The directory, what is wrong and --officer-log; not a bare errno."""
        desk, _, _ = desk_for(tmp_path, held("AAAAA1", 1))
        desk = replace_trail(desk, str(tmp_path / "nope" / "officer.jsonl"))
        with pytest.raises(QuarantineError) as err:
            desk.delete("AAAAA1", "x", who="fg")
        message = str(err.value)
        assert f"the directory {tmp_path / 'nope'} does not exist" in message
        assert "--officer-log" in message and "Errno" not in message


def replace_trail(desk: OfficerDesk, path: str) -> OfficerDesk:
    return OfficerDesk(desk.queue, path, desk.policy, desk._send, clock=lambda: NOW)


class TestUndoWindow:
    def test_only_windows_that_ended_are_released(self, tmp_path: Path) -> None:
        """The release time is read from the message's own header: past → released and
        recorded; future, or an ordinary hold → left alone."""
        until = "X-Postwarden-Delay-Until"
        due = replace(
            held("DUE001", 0.01),
            postwarden=(*held("x", 0).postwarden, (until, "2027-01-15T08:00:00Z")),
        )
        later = replace(
            held("LATER1", 0.01),
            postwarden=(*held("x", 0).postwarden, (until, "2027-01-15T09:00:00Z")),
        )
        desk, queue, box = desk_for(tmp_path, due, later, held("HOLD01", 1))
        desk._clock = lambda: dt.datetime(2027, 1, 15, 8, 30, tzinfo=dt.UTC).timestamp()
        assert [o.queue_id for o in desk.release_due()] == ["DUE001"]
        assert queue.done == [("release", "DUE001")]
        record = trail(tmp_path)[0]
        assert record["kind"] == "delay_released" and record["late_seconds"] == 1800
        assert box.sent == []  # the sender was told when it would go

    def test_an_unreadable_release_time_is_an_ordinary_hold(self) -> None:
        """A damaged header never releases: the officer decides."""
        broken = replace(held("BAD001", 0), postwarden=(("X-Postwarden-Delay-Until", "soon"),))
        assert broken.release_at is None


class TestContentAndTrail:
    def test_content_is_recorded_before_it_is_shown(self, tmp_path: Path) -> None:
        """show_content records officer_show_content (officer, reason), then gives the text
        part and names the other parts without their bytes."""
        desk, _, _ = desk_for(tmp_path, held("Q1aaaaa", 1))
        got = desk.show_content("Q1aaaaa", "  check\tthe recipient ", "fg (portal)")
        assert ["Subject", "dossier"] in got["headers"]
        assert "Zie bijlage é" in got["body"] and "JVBERg" not in got["body"]
        assert "[application/pdf part d.pdf, 4 bytes: not shown]" in got["body"]
        assert got["truncated"] is False
        (record,) = trail(tmp_path)
        assert record["kind"] == "officer_show_content"
        assert (record["officer"], record["reason"]) == ("fg (portal)", "check the recipient")

    def test_no_reason_no_content(self, tmp_path: Path) -> None:
        """Without a reason nothing is shown and nothing recorded."""
        desk, _, _ = desk_for(tmp_path, held("Q1aaaaa", 1))
        with pytest.raises(QuarantineError, match="give a reason"):
            desk.show_content("Q1aaaaa", " ", "fg")
        assert not (tmp_path / "officer.jsonl").exists()

    def test_the_trail_is_read_newest_first_and_bounded(self, tmp_path: Path) -> None:
        """trail(limit) gives the last records, newest first; an absent trail is empty."""
        desk, _, _ = desk_for(tmp_path, *(held(f"Q{i}aaaaa", 1) for i in range(3)))
        assert desk.trail(10) == []
        for i in range(3):
            desk.delete(f"Q{i}aaaaa", f"reason {i}", "fg")
        deleted = [r for r in desk.trail(50) if r["kind"] == "officer_delete"]
        assert [r["reason"] for r in deleted] == ["reason 2", "reason 1", "reason 0"]
        assert len(desk.trail(2)) == 2
