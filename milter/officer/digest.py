"""The officers' daily digest of held mail: what is held, for how long, why, what expires.

``postwarden quarantine digest`` (a daily systemd timer with ``--send``) reads the hold queue
through the officer desk and writes one overview: per message its queue id, age, time left
before expiry, rules, the recipients' domains, the sender and a pending release request; then
the pending requests with their reasons, and what expires within a day. Masked only: no subject,
no finding values, no content; digits in a sender's reason are replaced by ``#`` (a reason is
free text and could carry a number that identifies a client).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

DAY = 86_400
_DIGITS = re.compile(r"\d")


def _span(seconds: int) -> str:
    seconds = max(0, seconds)
    if seconds >= DAY:
        return f"{seconds // DAY}d{seconds % DAY // 3600:02d}h"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def _domains(recipients: Sequence[str]) -> str:
    domains = sorted({r.rpartition("@")[2].lower() for r in recipients if "@" in r})
    return ", ".join(domains[:5]) + (f" +{len(domains) - 5}" if len(domains) > 5 else "")


def mask_reason(reason: str) -> str:
    return _DIGITS.sub("#", reason)[:200]


def digest(rows: Sequence[dict[str, Any]], now: float) -> dict[str, Any]:
    """The digest as data (``--json``): counts and one entry per held message."""
    ours = [r for r in rows if r.get("rules")]
    expiring = [r for r in ours if r["expires_at"] is not None and r["expires_at"] - now < DAY]
    return {
        "generated_at": int(now),
        "held": len(rows),
        "held_by_postwarden": len(ours),
        "pending_requests": sum(1 for r in rows if r.get("request")),
        "expiring_within_day": len(expiring),
        "messages": [
            {
                "queue_id": r["queue_id"],
                "age_seconds": r["age_seconds"],
                "expires_in_seconds": (
                    int(r["expires_at"] - now) if r["expires_at"] is not None else None
                ),
                "rules": r["rules"],
                "recipient_domains": _domains(r["recipients"]).split(", ")
                if r["recipients"]
                else [],
                "sender": r["sender"],
                "request": (
                    {
                        "id": r["request"].get("id"),
                        "age_seconds": int(now - r["request"].get("time", now)),
                        "reason": mask_reason(str(r["request"].get("reason", ""))),
                    }
                    if r.get("request")
                    else None
                ),
            }
            for r in sorted(rows, key=lambda r: r["expires_at"] or float("inf"))
        ],
    }


def digest_text(rows: Sequence[dict[str, Any]], now: float, organisation: str) -> str:
    """The digest as an officer reads it (terminal or mail)."""
    data = digest(rows, now)
    day = dt.datetime.fromtimestamp(now, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"Postwarden: vastgehouden mail / held mail — {organisation} — {day}",
        "",
        f"Held: {data['held']} message(s), {data['held_by_postwarden']} by Postwarden; "
        f"{data['pending_requests']} release request(s) pending; "
        f"{data['expiring_within_day']} expire(s) within a day.",
    ]
    if not rows:
        lines += ["", "The hold queue is empty."]
        return "\n".join(lines) + "\n"
    table = [("QUEUE ID", "AGE", "EXPIRES IN", "RULES", "TO (DOMAINS)", "SENDER", "REQUEST")]
    for m in data["messages"]:
        table.append(
            (
                m["queue_id"],
                _span(m["age_seconds"]),
                _span(m["expires_in_seconds"]) if m["expires_in_seconds"] is not None else "-",
                ", ".join(m["rules"]) or "(not Postwarden)",
                ", ".join(m["recipient_domains"]) or "-",
                m["sender"] or "<>",
                m["request"]["id"] if m["request"] else "-",
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines.append("")
    lines += ["  ".join(c.ljust(widths[i]) for i, c in enumerate(row)).rstrip() for row in table]
    requests = [m for m in data["messages"] if m["request"]]
    if requests:
        lines += ["", "Release requests (digits in reasons shown as #):"]
        for m in requests:
            r = m["request"]
            lines.append(
                f"  {m['queue_id']}  {r['id']}  {_span(r['age_seconds'])} ago  "
                f"from {m['sender']}: {r['reason']}"
            )
            lines.append(
                f"      grant: postwarden quarantine release {m['queue_id']} "
                f"--request {r['id']} --reason TEXT"
            )
    soon = [
        m
        for m in data["messages"]
        if m["expires_in_seconds"] is not None and m["expires_in_seconds"] < DAY
    ]
    if soon:
        lines += ["", "Expires within a day (then deleted or returned by the expiry timer):"]
        lines += [f"  {m['queue_id']}  in {_span(m['expires_in_seconds'])}" for m in soon]
    return "\n".join(lines) + "\n"
