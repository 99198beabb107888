"""``postwarden check``: the decision the milter would make, explained.

Builds the same ``Envelope`` the adapter builds, runs the same ``decide()`` with the same
policy, and renders the result for a person (text) or a program (``--json``). Message content
is read but not yet inspected; the content keys of the JSON are present and empty until the
content detectors arrive.
"""

from __future__ import annotations

import email
import email.policy
import json
from collections.abc import Sequence
from typing import Any

from milter.address import Address, Malformed, parse_address
from milter.engine import Decision, Envelope, Facts, SubmissionPath, decide
from milter.policy.model import Policy


def build_envelope(sender: str, recipients: Sequence[str], local: bool) -> Envelope:
    path: SubmissionPath = "local" if local else "smtp"
    return Envelope(parse_address(sender), tuple(parse_address(r) for r in recipients), path)


def read_message(data: bytes) -> email.message.EmailMessage:
    """Parse a message leniently (as Postfix accepts it); defects are the content issue's job."""
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(msg, email.message.EmailMessage)
    return msg


def _shown(address: Address | Malformed) -> str:
    return str(address) if isinstance(address, Address) else address.raw[:200]


def as_json(decision: Decision, policy: Policy) -> dict[str, Any]:
    """The ``--json`` contract: stable keys that later checks and tools rely on."""
    return {
        "action": decision.action,
        "path": decision.path,
        "rule": decision.rule,
        "reason": decision.reason,
        "reply": str(decision.reply) if decision.reply and decision.action != "accept" else None,
        "recipients": [
            {
                "address": _shown(rd.address),
                "action": rd.action,
                "rule": rd.rule,
                "reason": rd.reason,
                "reply": str(rd.reply) if rd.reply else None,
            }
            for rd in decision.recipients
        ],
        "headers": [{"name": n, "value": v} for n, v in decision.headers],
        "client_data": False,
        "findings": [],
        "policy_sha256": policy.sha256,
        "policy": policy.source,
    }


def as_text(decision: Decision, envelope: Envelope, policy: Policy) -> str:
    """A few lines a newcomer can read: the verdict, then each recipient and why."""
    kept = sum(1 for rd in decision.recipients if not rd.refused)
    where = "SMTP submission" if decision.path == "smtp" else "local submission (sendmail)"
    lines = [
        f"message: {decision.action.upper()}  ({kept} of {len(decision.recipients)} "
        f"recipient(s) kept; {where})",
        f"sender:  {_shown(envelope.sender)}",
    ]
    if decision.rule:
        lines.append(f"why:     rule {decision.rule}: {decision.reason}")
    if decision.reply and decision.action != "accept":
        lines.append(f"reply:   {decision.reply}")
    width = max((len(_shown(rd.address)) for rd in decision.recipients), default=0)
    for rd in decision.recipients:
        line = f"  {rd.action.upper():7} {_shown(rd.address):{width}}"
        if rd.rule:
            line += f"  rule {rd.rule}: {rd.reason}"
        lines.append(line.rstrip())
        if rd.reply and rd.refused and decision.path == "smtp":
            lines.append(f"          the SMTP client is told: {rd.reply}")
    for name, value in decision.headers:
        lines.append(f"header:  {name}: {value}")
    lines.append(f"policy:  {policy.source} (sha256 {policy.sha256[:12]})")
    return "\n".join(lines)


def run_check(
    policy: Policy,
    sender: str,
    recipients: Sequence[str],
    local: bool,
    message: bytes | None,
    want_json: bool,
) -> str:
    envelope = build_envelope(sender, recipients, local)
    if message is not None:
        read_message(message)
    decision = decide(envelope, Facts(), policy)
    if want_json:
        return json.dumps(as_json(decision, policy), ensure_ascii=False)
    return as_text(decision, envelope, policy)
