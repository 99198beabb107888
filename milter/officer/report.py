"""Reports from the audit trail.

``retired_senders``: which internal senders — and systems, by sender address and SMTP client
— still address retired or no-longer-owned domains, how often, and when last. After the
incident the organisation needed exactly this list to find its case tool and its phone
exchange. Read from the audit files (rotated ones too, ``.gz`` included); nothing else is
consulted, so the report is as trustworthy as the trail (``postwarden audit verify``).
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections.abc import Iterable, Iterator
from typing import Any

from milter.core.engine import RULE_OWNERSHIP_DRIFT, RULE_RETIRED_DOMAIN

WATCHED_RULES = (RULE_RETIRED_DOMAIN, RULE_OWNERSHIP_DRIFT)


def _records(paths: Iterable[str]) -> Iterator[dict[str, Any]]:
    for path in paths:
        opener = gzip.open if path.endswith(".gz") else open
        try:
            with opener(path, "rt", encoding="utf-8") as fh:
                for line in fh:
                    try:
                        record = json.loads(line)
                    except ValueError:
                        continue
                    if isinstance(record, dict):
                        yield record
        except FileNotFoundError:
            continue


def _timestamp(text: str) -> float | None:
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except (ValueError, AttributeError):
        return None


def _hits(record: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(recipient domain, rule) for each watched refusal in one record."""
    kind = record.get("kind")
    recipients: list[dict[str, Any]] = []
    if kind == "message":
        recipients = list(record.get("recipients") or [])
    elif kind == "recipient_refused" and isinstance(record.get("recipient"), dict):
        recipients = [record["recipient"]]
    for rd in recipients:
        rule = rd.get("rule")
        if rule in WATCHED_RULES and rd.get("action") != "accept":
            address = str(rd.get("address") or "")
            yield address.rpartition("@")[2].lower(), str(rule)


def retired_senders(paths: Iterable[str], since_days: int, now: float) -> list[dict[str, Any]]:
    """One row per (sender, client): attempts, domains, rules, first and last seen."""
    cutoff = now - since_days * 86400
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for record in _records(paths):
        when = _timestamp(str(record.get("time", "")))
        if when is None or when < cutoff:
            continue
        for domain, rule in _hits(record):
            key = (str(record.get("sender") or "<>"), str(record.get("client") or ""))
            row = rows.setdefault(
                key,
                {
                    "sender": key[0],
                    "client": key[1] or None,
                    "attempts": 0,
                    "domains": [],
                    "rules": [],
                    "first_seen": record.get("time"),
                    "last_seen": record.get("time"),
                },
            )
            row["attempts"] += 1
            if domain not in row["domains"]:
                row["domains"].append(domain)
            if rule not in row["rules"]:
                row["rules"].append(rule)
            row["last_seen"] = record.get("time")
    return sorted(rows.values(), key=lambda r: (-r["attempts"], r["sender"]))


def retired_senders_table(rows: list[dict[str, Any]], since_days: int) -> str:
    if not rows:
        return f"no sender addressed a retired or drifted domain in the last {since_days} days"
    header = ("SENDER", "CLIENT", "ATTEMPTS", "DOMAINS", "LAST SEEN")
    lines = [header] + [
        (
            r["sender"],
            r["client"] or "-",
            str(r["attempts"]),
            ", ".join(r["domains"]),
            str(r["last_seen"])[:19],
        )
        for r in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines
    )
