"""The hold queue: the one reading of postqueue -j, and quarantine commands that refuse users who
are not root, with a clear message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from milter.cli.main import main
from milter.officer import holdqueue as quarantine
from milter.officer.holdqueue import HoldQueue, QuarantineError, on_hold, parse_postqueue

QUEUE = (
    b'{"queue_name":"hold","queue_id":"4ZqWb01abcd"}\n'
    b'{"queue_name":"deferred","queue_id":"4ZqWb02abcd"}\n'
    b"\n"
    b'{"queue_name":"hold","queue_id":"4ZqWb03abcd"}\n'
)


class TestParsePostqueue:
    def test_entries_and_the_held_ones(self) -> None:
        """Every JSON line is an entry (blank lines skipped); only queue_name 'hold' is held."""
        entries = parse_postqueue(QUEUE)
        assert [e["queue_id"] for e in entries] == ["4ZqWb01abcd", "4ZqWb02abcd", "4ZqWb03abcd"]
        assert [e["queue_id"] for e in on_hold(entries)] == ["4ZqWb01abcd", "4ZqWb03abcd"]
        assert parse_postqueue(b"") == []

    @pytest.mark.parametrize("bad", [b"[1, 2]", b"mail system is down", b'"hold"'])
    def test_a_line_that_is_not_an_entry_is_refused(self, bad: bytes) -> None:
        """A line that is not a JSON object refuses the whole answer, naming the line, not
        repeating it (it could hold addresses)."""
        with pytest.raises(ValueError, match="line 2 is not a JSON object") as exc:
            parse_postqueue(b'{"queue_name":"hold"}\n' + bad + b"\n")
        assert bad.decode() not in str(exc.value)

    def test_the_officer_sees_a_quarantine_error(self, tmp_path: Path) -> None:
        """HoldQueue turns an answer that is not queue entries into a QuarantineError."""
        tool = tmp_path / "postqueue"
        tool.write_text("#!/bin/sh\necho 'postqueue: warning: not a queue'\n")
        tool.chmod(0o755)
        with pytest.raises(QuarantineError, match="line 1 is not a JSON object"):
            HoldQueue(sbin=str(tmp_path))._queue()


class TestHeadersReadOnce:
    def test_each_held_message_is_postcat_once(self, tmp_path: Path) -> None:
        """Listing the hold queue again reads no held message's headers again; a message
        with the same queue id but another arrival time (the id used again) is read anew.
        Postfix's tools are stand-in scripts here: the real ones run in tests/e2e."""
        calls = tmp_path / "postcat.calls"
        queue = tmp_path / "queue.json"
        postqueue = tmp_path / "postqueue"
        postqueue.write_text(f"#!/bin/sh\ncat {queue}\n")
        postcat = tmp_path / "postcat"
        postcat.write_text(
            f'#!/bin/sh\necho "$@" >> {calls}\n'
            "printf 'X-Postwarden-Quarantine: bsn-external: bsn x1\\nSubject: s\\n'\n"
        )
        for tool in (postqueue, postcat):
            tool.chmod(0o755)

        def held(arrival: int) -> bytes:
            entry = {"queue_name": "hold", "queue_id": "4ZqWb01abcd", "arrival_time": arrival}
            return json.dumps({**entry, "message_size": 900, "sender": "a@x.example"}).encode()

        queue.write_bytes(held(1000) + b"\n")
        hq = HoldQueue(config_dir=str(tmp_path), sbin=str(tmp_path))
        first = hq.list()
        assert HoldQueue(config_dir=str(tmp_path), sbin=str(tmp_path)).list() == first
        assert first[0].rules == ("bsn-external",)
        assert len(calls.read_text().splitlines()) == 1
        queue.write_bytes(held(2000) + b"\n")
        assert hq.list()[0].arrival_time == 2000
        assert len(calls.read_text().splitlines()) == 2


class TestRights:
    @pytest.mark.parametrize(
        "args", [["list"], ["show", "ABCDEF123"], ["release", "ABCDEF123", "--reason", "x"]]
    )
    def test_non_root_is_sent_to_the_service(
        self,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
        tmp_path: Path,
        args: list[str],
    ) -> None:
        """A non-root user's command goes to the quarantine service, never to Postfix's tools:
        with no service listening, exit 1 naming the socket unit and --socket."""
        monkeypatch.setattr(quarantine.os, "geteuid", lambda: 1000)
        monkeypatch.setattr(quarantine.HoldQueue, "_run", lambda *a: pytest.fail("ran a tool"))
        missing = str(tmp_path / "quarantine.sock")
        code = main(["quarantine", "--socket", missing, "--policy", "policies/example.yaml", *args])
        err = capsys.readouterr().err
        assert code == 1 and missing in err
        assert "postwarden-quarantine.socket enabled" in err and "--socket PATH" in err

    @pytest.mark.parametrize("method", ["list", "get", "release", "delete"])
    def test_the_hold_queue_itself_refuses_non_root(
        self, monkeypatch: pytest.MonkeyPatch, method: str
    ) -> None:
        """HoldQueue refuses a non-root caller with 'need root ... sudo' and runs nothing."""
        monkeypatch.setattr(quarantine.os, "geteuid", lambda: 1000)
        monkeypatch.setattr(quarantine.HoldQueue, "_run", lambda *a: pytest.fail("ran a tool"))
        call = getattr(HoldQueue(), method)
        with pytest.raises(QuarantineError, match=r"need root.*sudo"):
            call() if method == "list" else call("ABCDEF123")
