"""history.released: recipients of held mail that an officer released (or whose undo window
ended) become known contacts, read from the officer trail -- so the next message to the same
partner is not held as a first contact again."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

from milter.core.address import parse_address
from milter.core.engine import holds_client_data
from milter.history.model import Contact, HistorySettings
from milter.history.released import ReleasedContacts
from milter.history.store import History
from milter.policy.model import (
    AnyOf,
    ContentPolicy,
    ContentRule,
    DetectorCondition,
    Policy,
)
from tests.unit.core.test_engine import POLICY
from tests.unit.core.test_engine_first_contact import FIRST

VOICEMAIL = ContentRule("unreadable", DetectorCondition("unscannable"), "quarantine")


def policy(tmp_path: Path) -> Policy:
    return dataclasses.replace(
        POLICY,
        content=ContentPolicy((FIRST, VOICEMAIL), None, None),  # type: ignore[arg-type]
        history=HistorySettings(str(tmp_path / "h.sqlite"), str(tmp_path / "h.key")),
    )


def trail_line(kind: str, recipients: list[str], rules: list[str], time: str) -> str:
    record = {
        "seq": 1,
        "time": time,
        "kind": kind,
        "queue_id": "4QX1",
        "sender": "a@samen-veilig.nl",
    }
    return json.dumps({**record, "recipients": recipients, "rules": rules}) + "\n"


def known(history: History, p: Policy, address: str) -> tuple[Contact, Contact]:
    parsed = parse_address(address)
    facts = history.gather(p, [parsed])
    assert facts is not None and facts.error is None
    domain = address.rsplit("@", 1)[1]
    return facts.contact("domain", domain), facts.contact("address", address)


class TestHoldsClientData:
    def test_rule_on_findings_held_client_data(self) -> None:
        """A rule that needs a BSN (with first contact beside it) held client data."""
        assert holds_client_data(FIRST) is True

    def test_rule_on_unreadable_parts_alone_did_not(self) -> None:
        """A rule on unscannable parts (a voicemail) says nothing about client data."""
        assert holds_client_data(VOICEMAIL) is False

    def test_either_findings_or_unreadable_is_not_known(self) -> None:
        """any_of(bsn, unscannable) may have fired on the voicemail alone: not client data."""
        rule = ContentRule(
            "either",
            AnyOf((DetectorCondition("bsn"), DetectorCondition("unscannable"))),
            "quarantine",
        )
        assert holds_client_data(rule) is False


class TestReleasedContacts:
    def test_officer_release_makes_the_recipients_known_with_client_data(
        self, tmp_path: Path
    ) -> None:
        """A released first-contact hold: the partner's domain and address are known as
        having received client data, on the day of the release."""
        p = policy(tmp_path)
        trail = tmp_path / "officer.jsonl"
        trail.write_text(
            trail_line(
                "officer_release",
                ["jeugdarts@ggd-partner.example"],
                ["first-contact-client-data"],
                "2026-12-01T10:00:00.000000Z",
            )
        )
        history = History()
        follower = ReleasedContacts(str(trail), history, lambda: p)
        assert follower.poll() == 1
        assert history.flush(10)
        domain, address = known(history, p, "jeugdarts@ggd-partner.example")
        history.close()
        assert domain == Contact(True, True) and address == Contact(True, True)

    def test_release_of_unreadable_mail_is_a_contact_without_client_data(
        self, tmp_path: Path
    ) -> None:
        """Released after a hold on unreadable parts (or by a rule the policy no longer has):
        a contact, but not one that received client data -- the cautious side."""
        p = policy(tmp_path)
        trail = tmp_path / "officer.jsonl"
        trail.write_text(
            trail_line("delay_released", ["x@a.example"], ["unreadable"], "2026-12-01T10:00:00Z")
            + trail_line("officer_release", ["y@b.example"], ["gone-rule"], "2026-12-01T10:00:00Z")
        )
        history = History()
        assert ReleasedContacts(str(trail), history, lambda: p).poll() == 2
        assert history.flush(10)
        assert known(history, p, "x@a.example")[0] == Contact(True, False)
        assert known(history, p, "y@b.example")[0] == Contact(True, False)
        history.close()

    def test_only_releases_count_and_reading_goes_on_from_where_it_was(
        self, tmp_path: Path
    ) -> None:
        """Deletions, requests and garbage record nothing; a second poll reads only what was
        appended since, and a half-written line waits for the next poll."""
        p = policy(tmp_path)
        trail = tmp_path / "officer.jsonl"
        trail.write_text(
            trail_line(
                "officer_delete",
                ["d@c.example"],
                ["first-contact-client-data"],
                "2026-12-01T10:00:00Z",
            )
            + trail_line("sender_release_requested", ["r@c.example"], [], "2026-12-01T10:00:00Z")
            + "not json\n"
            + '{"kind": "officer_release", "recipients": []}\n'
        )
        history = History()
        follower = ReleasedContacts(str(trail), history, lambda: p)
        assert follower.poll() == 0
        line = trail_line("officer_release", ["n@new.example"], [], "2026-12-02T09:00:00Z")
        with trail.open("a") as fh:
            fh.write(line[:20])
        assert follower.poll() == 0
        with trail.open("a") as fh:
            fh.write(line[20:])
        assert follower.poll() == 1
        assert follower.poll() == 0
        assert history.flush(10)
        assert known(history, p, "d@c.example")[0] == Contact()
        assert known(history, p, "n@new.example")[0] == Contact(True, False)
        history.close()

    def test_without_history_section_or_trail_nothing_happens(self, tmp_path: Path) -> None:
        """No history in the policy, or no trail yet: nothing recorded, no error."""
        history = History()
        assert ReleasedContacts(str(tmp_path / "none.jsonl"), history, lambda: POLICY).poll() == 0
        p = policy(tmp_path)
        assert ReleasedContacts(str(tmp_path / "none.jsonl"), history, lambda: p).poll() == 0
        history.close()

    def test_internal_recipients_stay_out(self, tmp_path: Path) -> None:
        """A released message to a colleague adds no contact (internal mail is never first
        contact), the partner beside them does."""
        p = policy(tmp_path)
        trail = tmp_path / "officer.jsonl"
        trail.write_text(
            trail_line(
                "officer_release",
                ["collega@samen-veilig.nl", "p@partner.example"],
                ["first-contact-client-data"],
                "2026-12-01T10:00:00Z",
            )
        )
        history = History()
        assert ReleasedContacts(str(trail), history, lambda: p).poll() == 1
        assert history.flush(10)
        assert known(history, p, "collega@samen-veilig.nl")[0] == Contact()
        assert known(history, p, "p@partner.example")[0] == Contact(True, True)
        history.close()


def test_day_of_the_release_is_kept() -> None:
    """The contact's day is the release's (a replay after a restart keeps the old day)."""
    from milter.history.released import _day_of

    assert _day_of({"time": "2026-12-01T23:59:59.000001Z"}) == dt.date(2026, 12, 1)
    assert _day_of({"time": "garbage"}) is None and _day_of({}) is None
