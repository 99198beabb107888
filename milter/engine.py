"""The decision: ``decide(envelope, facts, policy) -> Decision``.

Pure: no I/O, no clock, no DNS. Everything the decision depends on arrives as a value — the
envelope (normalised addresses), the facts gathered before (later: DNS answers, content
findings, the current time) and the frozen policy. The same inputs always give the same
decision, which is what makes ``postwarden check`` show exactly what the milter does.

Every refusal names a rule id and a human reason; the SMTP reply text carries both, so the
sender, the audit record and ``postwarden check`` tell the same story.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from milter.address import Address, Malformed, is_within
from milter.policy.model import Policy, RetiredDomain
from milter.verdict import SmtpReply, reject

SubmissionPath = Literal["smtp", "local"]
MessageAction = Literal["accept", "reject", "quarantine", "tempfail", "discard"]
RecipientAction = Literal["accept", "reject", "redirect", "remove"]

RULE_RETIRED_DOMAIN = "retired_domain"
RULE_MALFORMED_RECIPIENT = "malformed_recipient"
RULE_NO_RECIPIENT_LEFT = "no_recipient_left"

HEADER_REMOVED = "X-Postwarden-Removed-Recipients"


@dataclass(frozen=True, slots=True)
class Envelope:
    """Who sends to whom, by which path. Addresses are already parsed at the edge."""

    sender: Address | Malformed
    recipients: tuple[Address | Malformed, ...]
    path: SubmissionPath = "smtp"
    queue_id: str | None = None


@dataclass(frozen=True, slots=True)
class Facts:
    """What was found out before deciding. Later issues add DNS answers and content findings."""

    now: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class RecipientDecision:
    """What happens to one recipient, and why."""

    address: Address | Malformed
    action: RecipientAction
    rule: str | None = None
    reason: str | None = None
    reply: SmtpReply | None = None  # what the sender is told when this recipient is refused

    @property
    def refused(self) -> bool:
        return self.action in ("reject", "remove")


@dataclass(frozen=True, slots=True)
class Decision:
    """The verdict for one message: per recipient, and for the message as a whole."""

    action: MessageAction
    recipients: tuple[RecipientDecision, ...]
    policy_sha256: str
    path: SubmissionPath
    reply: SmtpReply | None = None
    rule: str | None = None
    reason: str | None = None
    headers: tuple[tuple[str, str], ...] = field(default=())

    @property
    def rules(self) -> tuple[str, ...]:
        """Every rule id that fired, in order of first appearance."""
        seen: dict[str, None] = {}
        for rd in self.recipients:
            if rd.rule:
                seen.setdefault(rd.rule, None)
        if self.rule:
            seen.setdefault(self.rule, None)
        return tuple(seen)


def _retired_match(address: Address, policy: Policy) -> tuple[str, RetiredDomain] | None:
    for domain in address.domains:
        for retired in policy.retired_domains:
            if is_within(domain, retired.domain):
                return domain, retired
    return None


def _refusal(
    address: Address | Malformed,
    path: SubmissionPath,
    rule: str,
    reason: str,
    reply: SmtpReply,
) -> RecipientDecision:
    action: RecipientAction = "reject" if path == "smtp" else "remove"
    return RecipientDecision(address, action, rule, reason, reply)


def decide_recipient(
    recipient: Address | Malformed, path: SubmissionPath, facts: Facts, policy: Policy
) -> RecipientDecision:
    """Decide one recipient; the SMTP path calls this at RCPT time."""
    if isinstance(recipient, Malformed):
        reason = f"recipient address is malformed: {recipient.reason}"
        reply = reject(f"{reason} (postwarden rule {RULE_MALFORMED_RECIPIENT})", "5.1.3", 553)
        return _refusal(recipient, path, RULE_MALFORMED_RECIPIENT, reason, reply)
    if recipient.is_null:
        reason = "the null address cannot receive mail"
        reply = reject(f"{reason} (postwarden rule {RULE_MALFORMED_RECIPIENT})", "5.1.3", 553)
        return _refusal(recipient, path, RULE_MALFORMED_RECIPIENT, reason, reply)
    match = _retired_match(recipient, policy)
    if match is not None:
        domain, retired = match
        where = domain if domain == retired.domain else f"{domain} (within {retired.domain})"
        reason = f"recipient domain {where} is retired since {retired.retired_since.isoformat()}"
        rule = RULE_RETIRED_DOMAIN
        text = f"{retired.reply.en} / {retired.reply.nl} (postwarden rule {rule}: {reason})"
        return _refusal(recipient, path, RULE_RETIRED_DOMAIN, reason, reject(text))
    return RecipientDecision(recipient, "accept")


def _removed_header(refused: list[RecipientDecision]) -> tuple[str, str]:
    parts = [
        f"<{rd.address if isinstance(rd.address, Address) else '(malformed)'}> ({rd.rule})"
        for rd in refused
    ]
    return HEADER_REMOVED, ", ".join(parts)


def decide(envelope: Envelope, facts: Facts, policy: Policy) -> Decision:
    """Decide a whole message: each recipient, then the message."""
    decisions = tuple(
        decide_recipient(r, envelope.path, facts, policy) for r in envelope.recipients
    )
    refused = [rd for rd in decisions if rd.refused]
    base = Decision("accept", decisions, policy.sha256, envelope.path)
    if not refused:
        return base
    if len(refused) == len(decisions):
        reason = "every recipient of this message was refused"
        first = refused[0].reply
        assert first is not None  # every refusal carries its reply
        return Decision(
            "reject",
            decisions,
            policy.sha256,
            envelope.path,
            reply=first,
            rule=RULE_NO_RECIPIENT_LEFT,
            reason=reason,
        )
    headers = (_removed_header(refused),) if envelope.path == "local" else ()
    return Decision("accept", decisions, policy.sha256, envelope.path, headers=headers)
