"""Policy lint: things that are valid but need the officer's attention.

A refused policy never loads; a linted one does, and ``postwarden policy check`` prints these
warnings below its summary (exit 0). Pure: ``today`` is given, not read.
"""

from __future__ import annotations

import datetime as dt

from milter.policy.model import AllOf, AnyOf, Condition, DetectorCondition, Policy

EXPIRY_WARNING_DAYS = 30


def warnings(policy: Policy, today: dt.date) -> list[str]:
    out: list[str] = []
    for exc in policy.exceptions:
        left = (exc.expires - today).days
        what = f"exception {exc.ticket} ({exc.sender} -> {exc.to_domain}, rule {exc.rule})"
        if left < 0:
            out.append(f"{what} expired on {exc.expires}: it no longer applies; remove it")
        elif left <= EXPIRY_WARNING_DAYS:
            out.append(f"{what} expires on {exc.expires} ({left} days): renew or let it lapse")
    rule_ids = {r.id for r in policy.content.rules} if policy.content else set()
    for exc in policy.exceptions:
        known = rule_ids | {"lookalike_domain", "ownership_drift", "nonexistent_domain"}
        if exc.rule not in known:
            out.append(f"exception {exc.ticket} names rule {exc.rule!r}, which no rule has")
    if policy.dns is not None:
        for owned in policy.owned_domains:
            if owned.expect is None:
                out.append(
                    f"owned domain {owned.domain} has no 'expect': DNS cannot tell "
                    "whether it is still ours"
                )
    for hit in (r for r in (policy.content.rules if policy.content else ()) if r.mode == "monitor"):
        out.append(f"content rule {hit.id} is in monitor mode: it records, it does not act")
    for rule in policy.content.rules if policy.content else ():
        if any(
            c.detector == "bsn" and c.confidence == "low" for c in _detector_conditions(rule.when)
        ):
            out.append(
                f"content rule {rule.id} accepts bsn at low confidence: about one in eleven 8- "
                "or 9-digit numbers (order numbers, meeting IDs) passes the 11-proef, so it "
                "will hold ordinary mail; ask for 'confidence: medium' or higher"
            )
    return out


def _detector_conditions(condition: Condition) -> list[DetectorCondition]:
    """Every detector condition inside `condition` (all/any nest)."""
    if isinstance(condition, DetectorCondition):
        return [condition]
    if not isinstance(condition, AllOf | AnyOf):
        return []  # first_contact: no detector
    return [c for inner in condition.conditions for c in _detector_conditions(inner)]
