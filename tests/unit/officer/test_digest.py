"""The officers' digest: what is held, for how long, requests and expiry — masked only."""

from __future__ import annotations

from typing import Any

from milter.officer.digest import digest, digest_text

NOW = 1_800_000_000.0
DAY = 86_400


def row(
    queue_id: str, age: int, request: dict[str, Any] | None = None, ours: bool = True
) -> dict[str, Any]:
    arrival = int(NOW) - age
    return {
        "queue_id": queue_id,
        "arrival_time": arrival,
        "age_seconds": age,
        "sender": "j.jansen@samen-veilig.nl",
        "recipients": ["arts@ziekenhuis.example", "b@gemeente.example"],
        "rules": ["client-data-external"] if ours else [],
        "reasons": [],
        "expires_at": arrival + 14 * DAY if ours else None,
        "request": request,
        "approval": None,
    }


class TestDigest:
    def test_counts_order_and_what_expires(self) -> None:
        """Soonest expiry first; another's hold has no expiry; counts add up."""
        rows = [
            row("NEW001", DAY),
            row("OLD001", 13 * DAY + 3600, {"id": "req-1", "time": NOW - 60, "reason": "arts"}),
            row("ADMIN1", 30 * DAY, ours=False),
        ]
        data = digest(rows, NOW)
        assert [m["queue_id"] for m in data["messages"]] == ["OLD001", "NEW001", "ADMIN1"]
        assert (data["held"], data["held_by_postwarden"], data["pending_requests"]) == (3, 2, 1)
        assert data["expiring_within_day"] == 1
        assert data["messages"][0]["recipient_domains"] == [
            "gemeente.example",
            "ziekenhuis.example",
        ]

    def test_text_masks_digits_in_reasons_and_shows_no_addresses_of_recipients(self) -> None:
        """A sender's reason can hold a number that identifies a client: digits become #."""
        rows = [row("OLD001", 2 * DAY, {"id": "req-1", "time": NOW, "reason": "bsn 101722333"})]
        text = digest_text(rows, NOW, "Samen Veilig")
        assert "101722333" not in text and "bsn #########" in text
        assert "arts@" not in text and "ziekenhuis.example" in text
        assert "postwarden quarantine release OLD001 --request req-1" in text

    def test_an_empty_queue_says_so(self) -> None:
        """Nothing held: one clear line."""
        assert "The hold queue is empty." in digest_text([], NOW, "Samen Veilig")
