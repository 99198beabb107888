"""The hold queue as the officer sees it, against a real Postfix."""

from __future__ import annotations

import pytest

from milter.officer.holdqueue import HoldQueue, QuarantineError
from tests.e2e.postfix import PostfixFactory, PostfixInstance, Sink, smtp_send

HOLD_RULE = "/^Subject: hold-me/ HOLD held for review"


def held_message(pf: PostfixInstance, subject: str) -> str:
    msg = (
        f"From: tool@samen-veilig.nl\nSubject: hold-me {subject}\n"
        f"X-Postwarden-Quarantine: client-data-external: bsn x1 (high) to an external recipient\n"
        f"\nbody\n"
    )
    assert smtp_send(pf.smtp_port, "tool@samen-veilig.nl", ["a@partner.example"], msg).delivered
    entries = pf.wait_queue(lambda q: any(e["queue_name"] == "hold" for e in q))
    ids = [e["queue_id"] for e in entries if e["queue_name"] == "hold"]
    return str(ids[-1])


class TestHoldQueue:
    def test_list_show_release(
        self, postfix_factory: PostfixFactory, sink: Sink, tmp_path_factory: pytest.TempPathFactory
    ) -> None:
        """A held message is listed with its rule, shown, and released to the sink."""
        rules = tmp_path_factory.mktemp("hc") / "header_checks"
        rules.write_text(HOLD_RULE + "\n")
        pf = postfix_factory("", "", header_checks=f"regexp:{rules}")
        queue = HoldQueue(str(pf.config_dir))
        qid = held_message(pf, "one")
        listed = queue.list()
        assert [m.queue_id for m in listed] == [qid]
        assert listed[0].rules == ("client-data-external",)
        assert listed[0].recipients == ("a@partner.example",)
        assert queue.get(qid).reasons == ("bsn x1 (high) to an external recipient",)
        assert b"body" in queue.raw(qid)
        queue.release(qid)
        got = sink.wait_for(lambda m: (m.header("Subject") or "").startswith("hold-me one"))
        assert got.rcpt_tos == ["a@partner.example"]
        with pytest.raises(QuarantineError, match=r"no message|not on hold"):  # gone, or leaving
            queue.release(qid)

    def test_delete_and_errors(
        self, postfix_factory: PostfixFactory, sink: Sink, tmp_path_factory: pytest.TempPathFactory
    ) -> None:
        """Delete removes only held mail; unknown and malformed ids get clear errors."""
        rules = tmp_path_factory.mktemp("hc") / "header_checks"
        rules.write_text(HOLD_RULE + "\n")
        pf = postfix_factory("", "", header_checks=f"regexp:{rules}")
        queue = HoldQueue(str(pf.config_dir))
        qid = held_message(pf, "two")
        queue.delete(qid)
        assert queue.list() == []
        with pytest.raises(QuarantineError, match=r"no message|not on hold"):  # gone, or leaving
            queue.delete(qid)
        with pytest.raises(QuarantineError, match="not a Postfix queue id"):
            queue.get("../../etc/passwd")
        assert sink.messages == []
