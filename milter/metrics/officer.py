"""metrics.officer -- what happens to held mail, counted from the officer trail.

SYNOPSIS
    registry.register(OfficerTrailCollector("/var/log/postwarden/officer.jsonl"))

DESCRIPTION
    Requests, releases, deletions, withdrawals and expiries are carried out by short-lived
    processes (``postwarden quarantine …``, the quarantine service, the expiry timer), which
    have no metrics endpoint of their own. Each writes a record to the officer trail; the
    milter's exporter counts those records at scrape time, reading only what was appended
    since the last scrape:

    postwarden_quarantine_steps_total{step}   request, approval (the first of four eyes),
                                              release, delete, withdraw, delay_release
                                              (an undo window ended), expire_delete,
                                              expire_return
    postwarden_officer_notices_total{kind,result}
                                              notices the steps sent to senders
                                              (kind: released, deleted, withdrawn,
                                              expired_deleted, expired_returned, digest;
                                              result: sent, failed)

    Labels are fixed sets: a record of another kind is not counted. The counts start at the
    trail's first record whenever the milter starts (Prometheus' rate() handles the reset); a
    rotated or truncated trail is read from its start again, adding to the counts.

DIAGNOSTICS
    A trail that is missing or unreadable counts nothing; a line that is not JSON is skipped.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from milter.audit.follow import TrailTail

STEPS = {
    "sender_release_requested": "request",
    "officer_release_requested": "approval",
    "officer_release": "release",
    "officer_delete": "delete",
    "sender_withdraw": "withdraw",
    "delay_released": "delay_release",
}
STEP_NAMES = (*STEPS.values(), "expire_delete", "expire_return")
NOTICE_KINDS = ("released", "deleted", "withdrawn", "expired_deleted", "expired_returned", "digest")
NOTICE_RESULTS = ("sent", "failed")


class OfficerTrailCollector(Collector):
    """Counts the officer trail's step and notice records, reading on from the last offset."""

    def __init__(self, path: str) -> None:
        self._tail = TrailTail(path)
        self._lock = threading.Lock()
        self._steps = dict.fromkeys(STEP_NAMES, 0)
        self._notices = {(k, r): 0 for k in NOTICE_KINDS for r in NOTICE_RESULTS}

    def _read(self) -> None:
        for line in self._tail.new_lines():
            self._count(line)

    def _count(self, line: bytes) -> None:
        try:
            record = json.loads(line)
        except ValueError:
            return
        if not isinstance(record, dict):
            return
        kind = record.get("kind")
        if kind in STEPS:
            self._steps[STEPS[kind]] += 1
        elif kind == "quarantine_expired":
            action = record.get("action")
            if action in ("deleted", "returned"):
                self._steps["expire_delete" if action == "deleted" else "expire_return"] += 1
        elif kind in ("sender_notice", "officer_notice"):
            key = (record.get("notice_kind"), record.get("result"))
            if key in self._notices:
                self._notices[key] += 1

    def collect(self) -> Iterator[CounterMetricFamily]:
        with self._lock:
            self._read()
            steps = dict(self._steps)
            notices = dict(self._notices)
        family = CounterMetricFamily(
            "postwarden_quarantine_steps",
            "Steps in the life of held mail (officer trail): requests, approvals, releases, "
            "deletions, withdrawals, expiries",
            labels=["step"],
        )
        for step, count in steps.items():
            family.add_metric([step], count)
        yield family
        told = CounterMetricFamily(
            "postwarden_officer_notices",
            "Notices the officer steps sent: to senders about their held mail, the digest",
            labels=["kind", "result"],
        )
        for (kind, result), count in notices.items():
            told.add_metric([kind, result], count)
        yield told
