"""``postwarden check``: the decision the milter would make, explained.

Builds the same ``Envelope`` the milter session builds, scans the message (if given) with the same
compiled scanner, runs the same ``decide()`` with the same policy, and renders the result for
a person (text) or a program (``--json``). Findings carry counts and masked samples only.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import IO, Any

from milter.content.findings import ContentFacts
from milter.core.address import Address, Malformed, parse_address
from milter.core.engine import (
    DNS_RULES,
    Decision,
    Envelope,
    Facts,
    SubmissionPath,
    content_may_apply,
    decide,
    ocr_may_matter,
    rdap_domains_needed,
)
from milter.domains.gather import DnsGatherer, MessageDns
from milter.domains.rdap import MessageRdap, RdapClient
from milter.history.model import HistoryFacts
from milter.policy.model import Policy


def build_envelope(sender: str, recipients: Sequence[str], local: bool) -> Envelope:
    path: SubmissionPath = "local" if local else "smtp"
    return Envelope(parse_address(sender), tuple(parse_address(r) for r in recipients), path)


def scan_as_milter(
    policy: Policy,
    envelope: Envelope,
    message: bytes | IO[bytes],
    *,
    always: bool = False,
    kept: Sequence[Address | Malformed] | None = None,
) -> ContentFacts | None:
    """The content facts the milter session gathers for this envelope: no scan when no content
    rule can apply to its recipients (unless `always`: ``check`` shows the findings anyway),
    OCR only when a rule could apply to an external recipient.  `kept`: the recipients the
    milter still has when the message arrives (default: all of the envelope's)."""
    if policy.content is None:
        return None
    recipients = list(envelope.recipients if kept is None else kept)
    if not always and not content_may_apply(recipients, policy):
        return None
    return policy.content.scanner.scan_message(message, ocr=ocr_may_matter(recipients, policy))


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
        "client_data": decision.client_data,
        "findings": [
            {
                "detector": f.detector,
                "count": f.count,
                "confidence": f.confidence,
                "where": list(f.where),
                "samples": list(f.samples),
                **({"reason": f.reason} if f.reason else {}),
            }
            for f in decision.findings
        ],
        "content_rules": [
            {"rule": h.rule, "action": h.action, "mode": h.mode, "reason": h.reason}
            for h in decision.content_hits
        ],
        "notices": [{"kind": n.kind, "to": n.to, "rule": n.rule} for n in decision.notices],
        "first_contact": [
            {"scope": n.scope, "kind": n.kind, "domain": n.domain} for n in decision.first_contact
        ],
        "domain_age": [
            {
                "domain": n.domain,
                "event": n.event,
                "date": n.date.isoformat() if n.date else None,
                "age_days": n.age_days,
            }
            for n in decision.domain_age
        ],
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
    for f in decision.findings:
        sample = f" e.g. {', '.join(f.samples)}" if f.samples else ""
        extra = f" ({f.reason})" if f.reason else ""
        lines.append(
            f"found:   {f.detector} x{f.count} ({f.confidence}) in {', '.join(f.where)}"
            f"{sample}{extra}"
        )
    for hit in decision.content_hits:
        lines.append(f"content: rule {hit}")
    if decision.findings or decision.content_hits:
        lines.append(f"client data in plain text: {'yes' if decision.client_data else 'no'}")
    for name, value in decision.headers:
        lines.append(f"header:  {name}: {value}")
    for n in decision.notices:
        lines.append(f"notice:  {n.kind} to {n.to} (rule {n.rule})")
    for note in decision.first_contact:
        lines.append(f"first:   {note.text}")
    for age in decision.domain_age:
        lines.append(f"age:     {age.text}")
    lines.append(f"policy:  {policy.source} (sha256 {policy.sha256[:12]})")
    return "\n".join(lines)


def run_check(
    policy: Policy,
    sender: str,
    recipients: Sequence[str],
    local: bool,
    message: bytes | None,
    want_json: bool,
    offline: bool = False,
    nameservers: tuple[str, ...] = (),
) -> str:
    envelope = build_envelope(sender, recipients, local)
    content = None
    if message is not None:
        content = scan_as_milter(policy, envelope, message, always=True)
    dns = None
    if not offline:
        dns = DnsGatherer(nameservers).gather(policy, envelope.recipients, MessageDns())
    history = None
    if not offline and content is not None:
        history = _history(policy, envelope)
    rdap = None
    if not offline:
        needed = rdap_domains_needed(list(envelope.recipients), content, policy)
        rdap = RdapClient().gather(policy.rdap, needed, MessageRdap())
    facts = Facts(content=content, now=dt.datetime.now(dt.UTC), dns=dns, history=history, rdap=rdap)
    decision = decide(envelope, facts, policy)
    skipped = list(DNS_RULES) if offline and policy.dns is not None else []
    if offline and policy.history is not None:
        skipped.append("first_contact")
    if offline and policy.rdap is not None:
        skipped.append("domain_age")
    if want_json:
        doc = as_json(decision, policy)
        doc["skipped"] = skipped
        doc["ocr_read"] = list(content.ocr_read) if content is not None else []
        doc["dns"] = {
            d: {"state": f.state, "detail": f.detail} for d, f in sorted((dns or {}).items())
        }
        doc["history"] = _history_json(history, envelope, policy)
        doc["rdap"] = {
            d: {
                "state": f.state,
                "registered": f.registered.isoformat() if f.registered else None,
                "changed": f.changed.isoformat() if f.changed else None,
                "error": f.error,
            }
            for d, f in sorted((rdap or {}).items())
        }
        return json.dumps(doc, ensure_ascii=False)
    text = as_text(decision, envelope, policy)
    if content is not None and content.ocr_read:
        text += f"\nocr:     read by OCR: {', '.join(content.ocr_read)}"
    for domain, found in sorted((dns or {}).items()):
        text += f"\ndns:     {domain}: {found.state} ({found.detail})"
    for line in _history_lines(history, envelope, policy):
        text += f"\nhistory: {line}"
    for base, said in sorted((rdap or {}).items()):
        dates = f"registered {said.registered}, last changed {said.changed or '-'}"
        text += f"\nrdap:    {base}: {dates if said.state == 'ok' else said.error}"
    if skipped:
        text += (
            f"\nskipped: DNS rules, first contact and domain age ({', '.join(skipped)}): --offline"
        )
    return text


def _history(policy: Policy, envelope: Envelope) -> HistoryFacts | None:
    """The recipients' contact history, read only (check creates no key and no store)."""
    if policy.history is None:
        return None
    from milter.history.store import History

    history = History(readonly=True)
    try:
        return history.gather(policy, envelope.recipients)
    finally:
        history.close()


def _contacts(
    history: HistoryFacts, envelope: Envelope, policy: Policy
) -> list[tuple[str, str, str]]:
    """(domain, what the history knows of it, of the address) per external recipient."""
    rows = []
    for a in envelope.recipients:
        if not isinstance(a, Address) or a.is_literal or a.is_null or policy.is_owned(a.domain):
            continue
        d = history.contact("domain", a.domain)
        ad = history.contact("address", str(a).lower())
        rows.append((a.domain, _known(d.any, d.client_data), _known(ad.any, ad.client_data)))
    return rows


def _known(any_mail: bool, client_data: bool) -> str:
    if client_data:
        return "received client data before"
    return "received mail before (never client data)" if any_mail else "never received mail"


def _history_lines(history: HistoryFacts | None, envelope: Envelope, policy: Policy) -> list[str]:
    if history is None:
        return []
    if history.error is not None:
        return [f"could not be read ({history.error}): the policy's on_failure applies"]
    return [
        f"domain {domain}: {domain_known}; address: {address_known}"
        for domain, domain_known, address_known in _contacts(history, envelope, policy)
    ]


def _history_json(
    history: HistoryFacts | None, envelope: Envelope, policy: Policy
) -> dict[str, Any] | None:
    if history is None:
        return None
    if history.error is not None:
        return {"error": history.error, "recipients": []}
    return {
        "error": None,
        "recipients": [
            {"domain": d, "domain_history": dk, "address_history": ak}
            for d, dk, ak in _contacts(history, envelope, policy)
        ],
    }
