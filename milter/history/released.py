"""history.released -- held mail that went on after all becomes a known contact too.

SYNOPSIS
    follower = ReleasedContacts("/var/log/postwarden/officer.jsonl", history, holder)
    follower.start()  # a thread reading the officer trail every INTERVAL_S
    ...
    follower.stop()

DESCRIPTION
    The milter records the recipients of mail it lets through as contacts
    (``History.record``). Mail it held and an officer released (``officer_release``), or
    whose undo window ended (``delay_released``), leaves Postfix's hold queue without
    passing the milter again, so without this its recipients would stay strangers: the next
    message with client data to the same partner would be held as a first contact again,
    and again after every release.

    The officer trail, which the quarantine service and the officer's command line append
    to, names the queue id, the recipients and the rules that held the message. This reads
    it on from where it was, and records those recipients as contacts on the day of the
    release, with client data when a rule that held it fires only on findings of readable
    content (``core.engine.holds_client_data``; a rule the current policy no longer has
    counts as no client data, the cautious side). At start it reads the whole trail: a
    release while the milter was down is not lost, and recording a contact twice changes
    nothing.

DIAGNOSTICS
    A trail that is missing or unreadable records nothing (tried again at the next poll); a
    line that is not a JSON object, or names no recipients, is skipped. History problems
    are counted and logged by ``History.record`` itself.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable

import structlog

from milter.audit.follow import TrailTail
from milter.core.address import parse_address
from milter.core.engine import holds_client_data
from milter.history.store import History
from milter.policy.model import Policy

log = structlog.get_logger("postwarden.history")

RELEASED_KINDS = frozenset({"officer_release", "delay_released"})
INTERVAL_S = 10.0


class ReleasedContacts:
    """Follows the officer trail and records the contacts of released held mail."""

    def __init__(
        self,
        trail_path: str,
        history: History,
        policy: Callable[[], Policy],
        interval_s: float = INTERVAL_S,
    ) -> None:
        self._tail = TrailTail(trail_path)
        self._history = history
        self._policy = policy
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="released-contacts", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            try:
                self.poll()
            except Exception as exc:  # never the end of the thread: the next poll tries again
                log.error("released_contacts_failed", error=str(exc)[:300])
            if self._stop.wait(self._interval_s):
                return

    def poll(self) -> int:
        """Read what the trail gained; the number of released messages recorded."""
        policy = self._policy()
        if policy.history is None:
            return 0
        recorded = 0
        for line in self._tail.new_lines():
            if b"_release" in line and self._record(line, policy):
                recorded += 1
        return recorded

    def _record(self, line: bytes, policy: Policy) -> bool:
        try:
            record = json.loads(line)
        except ValueError:
            return False
        if not isinstance(record, dict) or record.get("kind") not in RELEASED_KINDS:
            return False
        recipients = record.get("recipients")
        if not isinstance(recipients, list) or not recipients:
            return False
        rules = [policy.content_rule(r) for r in record.get("rules") or () if isinstance(r, str)]
        client_data = any(rule is not None and holds_client_data(rule) for rule in rules)
        addresses = [parse_address(r) for r in recipients if isinstance(r, str)]
        return self._history.record(policy, addresses, client_data, day=_day_of(record))


def _day_of(record: dict[str, object]) -> dt.date | None:
    """The day of the trail record (its ISO time), or None (today) when it has none."""
    when = record.get("time")
    if not isinstance(when, str):
        return None
    try:
        return dt.datetime.fromisoformat(when.replace("Z", "+00:00")).date()
    except ValueError:
        return None
