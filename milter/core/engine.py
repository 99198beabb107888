"""The decision: ``decide(envelope, facts, policy) -> Decision``.

Pure: no I/O, no clock, no DNS. Everything the decision depends on arrives as a value — the
envelope (normalised addresses), the facts gathered before (later: DNS answers, content
findings, the current time) and the frozen policy. The same inputs always give the same
decision, which is what makes ``postwarden check`` show exactly what the milter does.

Every refusal names a rule id and a human reason; the SMTP reply text carries both, so the
sender, the audit record and ``postwarden check`` tell the same story.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from milter.core.address import Address, Malformed, is_within
from milter.core.verdict import SmtpReply, reject, tempfail
from milter.domains._suffix import registrable
from milter.policy.model import (
    ACTION_RANK,
    AllOf,
    Condition,
    ContentAction,
    ContentRule,
    DetectorCondition,
    DomainAge,
    FirstContact,
    OwnedDomain,
    Policy,
    RetiredDomain,
    RuleMode,
)

if TYPE_CHECKING:
    from milter.content.findings import ContentFacts, Finding
    from milter.domains.model import DomainFacts
    from milter.domains.rdap import RdapFacts
    from milter.history.model import HistoryFacts

SubmissionPath = Literal["smtp", "local"]
MessageAction = Literal["accept", "reject", "quarantine", "tempfail", "discard"]
RecipientAction = Literal["accept", "reject", "redirect", "remove", "tempfail"]
NoticeKind = Literal["sender_held", "officer_alert"]
NOTICE_KINDS: tuple[NoticeKind, ...] = ("sender_held", "officer_alert")

RULE_RETIRED_DOMAIN = "retired_domain"
RULE_MALFORMED_RECIPIENT = "malformed_recipient"
RULE_NO_RECIPIENT_LEFT = "no_recipient_left"
RULE_OWNERSHIP_DRIFT = "ownership_drift"
RULE_NONEXISTENT = "nonexistent_domain"
RULE_DNS_FAILURE = "dns_failure"
RULE_DNS_UNVERIFIED = "dns_unverified"
RULE_LOOKALIKE = "lookalike_domain"
RULE_HISTORY_FAILURE = "history_failure"
RULE_HISTORY_UNVERIFIED = "history_unverified"
RULE_RDAP_FAILURE = "rdap_failure"
RULE_RDAP_UNVERIFIED = "rdap_unverified"
DNS_RULES = (RULE_OWNERSHIP_DRIFT, RULE_NONEXISTENT, RULE_DNS_FAILURE)

HEADER_REMOVED = "X-Postwarden-Removed-Recipients"
HEADER_ORIGINAL_RECIPIENT = "X-Postwarden-Original-Recipient"
HEADER_FLAGS = "X-Postwarden-Flags"
HEADER_ROUTE = "X-Postwarden-Route"
HEADER_QUARANTINE = "X-Postwarden-Quarantine"
# A delayed message (action delay): when it is to be released, UTC, "YYYY-MM-DDTHH:MM:SSZ".
HEADER_DELAY = "X-Postwarden-Delay-Until"
ROUTE_SECURE = "secure"
# Findings about what could not be read; they never make content "client data" by themselves.
NOT_READABLE = frozenset({"unscannable", "truncated"})


@dataclass(frozen=True, slots=True)
class Envelope:
    """Who sends to whom, by which path. Addresses are already parsed at the edge."""

    sender: Address | Malformed
    recipients: tuple[Address | Malformed, ...]
    path: SubmissionPath = "smtp"
    queue_id: str | None = None
    client: str | None = None  # SMTP client address (Postfix macro {client_addr})
    auth_user: str | None = None  # SASL login (macro {auth_authen}), if any
    # Marked as automatic mail (Auto-Submitted other than "no", Precedence bulk/list/junk):
    # its sender is never answered with a notice (RFC 3834), so notices cannot loop.
    automatic: bool = False


@dataclass(frozen=True, slots=True)
class Facts:
    """What was found out before deciding: content findings (None when the content was not
    scanned) and, later, DNS answers and the current time."""

    content: ContentFacts | None = None
    now: dt.datetime | None = None
    # DNS answers per domain (milter.domains.model.DomainFacts); None = DNS not consulted
    # (``postwarden check --offline``): the DNS rules are then skipped, and say so.
    dns: Mapping[str, DomainFacts] | None = None
    # The contact history of the external recipients (milter.history); None = not consulted
    # (no history section, or ``postwarden check`` without the store): first_contact is false.
    history: HistoryFacts | None = None
    # RDAP answers per registrable domain (milter.domains.rdap); None = not asked (no rdap
    # section, no client data, ``check --offline``): domain_*_within is false.
    rdap: Mapping[str, RdapFacts] | None = None


@dataclass(frozen=True, slots=True)
class FirstContactNote:
    """A first contact that made a content rule's condition true: by domain or address, for
    client data or any mail, and the recipient's domain (never the address)."""

    scope: str
    kind: str
    domain: str

    @property
    def text(self) -> str:
        what = "client data" if self.kind == "client_data" else "mail"
        where = "domain" if self.scope == "domain" else "address"
        return f"first time this organisation sends {what} to this {where} ({self.domain})"


@dataclass(frozen=True, slots=True)
class DomainAgeNote:
    """An RDAP fact that made a domain_*_within condition true: the registrable domain, the
    event (registration / last changed), its date and its age in days on the day decided
    (date None: RDAP could not be asked and the policy treats that as new)."""

    domain: str
    event: str
    date: dt.date | None
    age_days: int | None

    @property
    def text(self) -> str:
        verb = "registered" if self.event == "registration" else "last changed"
        if self.date is None or self.age_days is None:
            return f"{self.domain}: RDAP unavailable, treated as recently {verb}"
        days = "today" if self.age_days == 0 else f"{self.age_days} days ago"
        return f"{self.domain} {verb} {self.date.isoformat()}, {days}"


@dataclass(frozen=True, slots=True)
class RuleHit:
    """A content rule that matched: what it does (or, in monitor mode, would do) and why."""

    rule: str
    action: ContentAction
    mode: RuleMode
    reason: str

    def __str__(self) -> str:
        verb = self.action if self.mode == "enforce" else f"monitor, would {self.action}"
        return f"{self.rule} ({verb}): {self.reason}"


def _check_reply(action: str, reply: SmtpReply | None) -> None:
    """A reject carries a 5xx reply and a tempfail a 4xx one; nothing else carries a reply
    of its kind. A decision that breaks this cannot be built (it would otherwise reach the
    milter as an accept)."""
    if action in ("reject", "tempfail"):
        if reply is None or reply.kind != action:
            raise ValueError(f"a {action} decision needs its {action} reply")
    elif action == "remove":
        if reply is None or reply.kind != "reject":
            raise ValueError("a removed recipient needs the reject reply it is told")
    elif reply is not None and action != "redirect":
        raise ValueError(f"an {action} decision carries no reply")


@dataclass(frozen=True, slots=True)
class RecipientDecision:
    """What happens to one recipient, and why."""

    address: Address | Malformed
    action: RecipientAction
    rule: str | None = None
    reason: str | None = None
    reply: SmtpReply | None = None  # what the sender is told when this recipient is refused
    redirect_to: str | None = None  # with action redirect: where the mail goes instead
    notify: bool = False  # the policy asks for a notice to the sender about this recipient

    def __post_init__(self) -> None:
        _check_reply(self.action, self.reply)
        if self.action == "redirect" and not self.redirect_to:
            raise ValueError("a redirect needs its redirect_to")

    @property
    def refused(self) -> bool:
        return self.action in ("reject", "remove")

    @property
    def noted(self) -> bool:
        """Accepted, but a rule has something to say (lookalike, DNS unverified)."""
        return self.action == "accept" and self.rule is not None


@dataclass(frozen=True, slots=True)
class ExceptionUse:
    """An accepted risk that let a rule pass: which rule, which ticket, until when."""

    rule: str
    ticket: str
    owner: str
    expires: dt.date

    def __str__(self) -> str:
        return f"{self.rule} excepted by {self.ticket} ({self.owner}, until {self.expires})"


@dataclass(frozen=True, slots=True)
class NoticeDue:
    """A notice the decision asks for (sent after it is recorded): its kind, the address it
    goes to and the rule it is about."""

    kind: NoticeKind
    to: str
    rule: str


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
    content_hits: tuple[RuleHit, ...] = ()
    client_data: bool = False
    findings: tuple[Finding, ...] = ()
    exceptions_used: tuple[ExceptionUse, ...] = ()
    notices: tuple[NoticeDue, ...] = ()
    first_contact: tuple[FirstContactNote, ...] = ()  # what made first_contact conditions true
    domain_age: tuple[DomainAgeNote, ...] = ()  # RDAP facts that made domain_*_within true
    # action delay: the message is held until then and released unless withdrawn
    release_at: dt.datetime | None = None

    def __post_init__(self) -> None:
        _check_reply(self.action, self.reply)

    @property
    def monitored(self) -> tuple[RuleHit, ...]:
        """Rules in monitor mode that matched: what would have happened."""
        return tuple(hit for hit in self.content_hits if hit.mode == "monitor")

    @property
    def rules(self) -> tuple[str, ...]:
        """Every rule id that fired, in order of first appearance."""
        seen: dict[str, None] = {}
        for rd in self.recipients:
            if rd.rule:
                seen.setdefault(rd.rule, None)
        for hit in self.content_hits:
            seen.setdefault(hit.rule, None)
        if self.rule:
            seen.setdefault(self.rule, None)
        return tuple(seen)


def _retired_match(address: Address, policy: Policy) -> tuple[str, RetiredDomain] | None:
    for domain in address.domains:
        retired = policy.retired_zone(domain)
        if retired is not None:
            return domain, retired
    return None


def retired_refusal(domain: str, retired: RetiredDomain, note: str = "") -> tuple[str, str]:
    """The reason and the reply text for a recipient in `domain`, within `retired`; `note`
    is added to the reason (Postfix's transport table says where it was found)."""
    where = domain if domain == retired.domain else f"{domain} (within {retired.domain})"
    reason = f"recipient domain {where} is retired since {retired.retired_since.isoformat()}"
    text = (
        f"{retired.reply.en} / {retired.reply.nl} "
        f"(postwarden rule {RULE_RETIRED_DOMAIN}: {reason}{note})"
    )
    return reason, text


def _refusal(
    address: Address | Malformed,
    path: SubmissionPath,
    rule: str,
    reason: str,
    reply: SmtpReply,
) -> RecipientDecision:
    action: RecipientAction = "reject" if path == "smtp" else "remove"
    return RecipientDecision(address, action, rule, reason, reply)


def may_notify(sender: Address | Malformed | None, policy: Policy) -> bool:
    """A notice may go to this sender: a real address, not the null sender (bounces and
    notices themselves, so notices never loop), not in a retired or lookalike domain."""
    if not isinstance(sender, Address) or sender.is_null or sender.is_literal:
        return False
    lookalikes = policy.lookalikes
    if (
        lookalikes is not None
        and not policy.is_owned(sender.domain)
        and (lookalikes.index.match(sender.domain) is not None)
    ):
        return False  # never answer an address that imitates ours
    return _retired_match(sender, policy) is None


def decide_recipient(
    recipient: Address | Malformed,
    path: SubmissionPath,
    facts: Facts,
    policy: Policy,
    sender: Address | Malformed | None = None,
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
        reason, text = retired_refusal(domain, retired)
        rule = RULE_RETIRED_DOMAIN
        notify = retired.notify_sender and may_notify(sender, policy)
        if retired.action == "redirect" and retired.redirect_to is not None:
            return RecipientDecision(
                recipient,
                "redirect",
                rule,
                f"{reason}; redirected to {retired.redirect_to}",
                redirect_to=retired.redirect_to,
                notify=notify,
            )
        refusal = _refusal(recipient, path, rule, reason, reject(text))
        return dataclasses.replace(refusal, notify=notify)
    if recipient.is_literal:
        return RecipientDecision(recipient, "accept")
    return (
        _dns_decision(recipient, path, facts, policy)
        or _lookalike_decision(recipient, path, policy)
        or RecipientDecision(recipient, "accept")
    )


def owned_zone(domain: str, policy: Policy) -> OwnedDomain | None:
    """The most specific owned domain that contains `domain`."""
    return policy.owned_zone(domain)


def _dns_decision(
    recipient: Address, path: SubmissionPath, facts: Facts, policy: Policy
) -> RecipientDecision | None:
    if policy.dns is None or facts.dns is None:
        return None
    zone = owned_zone(recipient.domain, policy)
    checks: list[tuple[str, str]] = []  # (domain looked up, what it tells)
    if zone is not None and zone.expect is not None and (zone.expect.mx or zone.expect.ns):
        checks.append((zone.domain, "ownership"))
    if policy.dns.refuse_nonexistent and (zone is None or recipient.domain != zone.domain):
        checks.append((recipient.domain, "existence"))
    for domain, kind in checks:
        found = facts.dns.get(domain)
        if found is None:  # asked but not answered: fail closed like any DNS trouble
            return _dns_trouble(recipient, path, policy, domain, "not looked up")
        if found.state == "error":
            return _dns_trouble(recipient, path, policy, domain, found.error or found.detail)
        if kind == "ownership" and found.state != "ok":
            reason = f"{domain} no longer looks like ours in DNS: {found.detail}"
            text = (
                f"{recipient.domain} is not under our control at the moment; mail is not sent "
                f"(postwarden rule {RULE_OWNERSHIP_DRIFT}: {reason})"
            )
            return _refusal(recipient, path, RULE_OWNERSHIP_DRIFT, reason, reject(text))
        if kind == "existence" and found.state in ("nxdomain", "no_mail_host"):
            reason = found.detail
            rule = RULE_NONEXISTENT
            text = f"recipient domain cannot receive mail (postwarden rule {rule}: {reason})"
            return _refusal(recipient, path, RULE_NONEXISTENT, reason, reject(text, "5.1.2"))
    return None


def _dns_trouble(
    recipient: Address, path: SubmissionPath, policy: Policy, domain: str, error: str
) -> RecipientDecision:
    reason = f"DNS lookup for {domain} failed ({error})"
    if policy.dns is not None and policy.dns.on_failure == "accept_and_flag":
        return RecipientDecision(recipient, "accept", RULE_DNS_UNVERIFIED, reason)
    text = f"{reason}; try again later (postwarden rule {RULE_DNS_FAILURE})"
    return RecipientDecision(
        recipient, "tempfail", RULE_DNS_FAILURE, reason, tempfail(text, "4.4.3")
    )


def _lookalike_decision(
    recipient: Address, path: SubmissionPath, policy: Policy
) -> RecipientDecision | None:
    if policy.lookalikes is None or policy.is_owned(recipient.domain):
        return None
    match = policy.lookalikes.index.match(recipient.domain)
    if match is None:
        return None
    reason = f"{recipient.domain} looks like our domain {match.owned} ({match.kind})"
    if policy.lookalikes.action == "reject":
        text = f"recipient domain imitates ours (postwarden rule {RULE_LOOKALIKE}: {reason})"
        return _refusal(recipient, path, RULE_LOOKALIKE, reason, reject(text))
    return RecipientDecision(recipient, "accept", RULE_LOOKALIKE, reason)


def _removed_header(refused: list[RecipientDecision]) -> tuple[str, str]:
    parts = [
        f"<{rd.address if isinstance(rd.address, Address) else '(malformed)'}> ({rd.rule})"
        for rd in refused
    ]
    return HEADER_REMOVED, ", ".join(parts)


def decide(envelope: Envelope, facts: Facts, policy: Policy) -> Decision:
    """Decide a whole message: each recipient, then the content, then the message."""
    decisions = tuple(
        decide_recipient(r, envelope.path, facts, policy, envelope.sender)
        for r in envelope.recipients
    )
    refused = [rd for rd in decisions if rd.refused]
    path = envelope.path
    delayed = [rd for rd in decisions if rd.action == "tempfail"]
    if delayed:
        # A recipient we cannot check now: on the SMTP path it was answered 4xx at RCPT; a
        # local submission waits in Postfix's queue and is retried as a whole.
        return Decision(
            "tempfail",
            decisions,
            policy.sha256,
            path,
            reply=delayed[0].reply,
            rule=delayed[0].rule,
            reason=delayed[0].reason,
        )
    if refused and len(refused) == len(decisions):
        first = refused[0].reply
        assert first is not None  # every refusal carries its reply
        return Decision(
            "reject",
            decisions,
            policy.sha256,
            path,
            reply=first,
            rule=RULE_NO_RECIPIENT_LEFT,
            reason="every recipient of this message was refused",
        )
    headers: list[tuple[str, str]] = []
    if refused and path == "local":
        headers.append(_removed_header(refused))
    headers.extend(
        (HEADER_ORIGINAL_RECIPIENT, f"<{rd.address}> ({rd.rule})")
        for rd in decisions
        if rd.action == "redirect"
    )
    kept = [rd.address for rd in decisions if not rd.refused]
    content = facts.content
    ev = _Eval(kept, facts.history, policy, facts.rdap, facts.now)
    hits = _content_hits(kept, content, policy, ev) if content is not None else ()
    if ev.rdap_unknown and policy.rdap is not None:
        if policy.rdap.on_failure == "tempfail":
            reason = f"RDAP could not be asked for a domain age condition ({ev.rdap_error})"
            text = f"{reason}; try again later (postwarden rule {RULE_RDAP_FAILURE})"
            return Decision(
                "tempfail",
                decisions,
                policy.sha256,
                path,
                reply=tempfail(text, "4.4.3"),
                rule=RULE_RDAP_FAILURE,
                reason=reason,
            )
        reason = f"domain age not checked: RDAP unavailable ({ev.rdap_error})"
        hits = (RuleHit(RULE_RDAP_UNVERIFIED, "flag", "enforce", reason), *hits)
    if ev.unknown and policy.history is not None:
        if policy.history.on_failure == "tempfail":
            reason = "the contact history could not be read for a first_contact condition"
            text = f"{reason}; try again later (postwarden rule {RULE_HISTORY_FAILURE})"
            return Decision(
                "tempfail",
                decisions,
                policy.sha256,
                path,
                reply=tempfail(text, "4.3.0"),
                rule=RULE_HISTORY_FAILURE,
                reason=reason,
            )
        reason = "contact history unavailable: first contact not checked"
        hits = (RuleHit(RULE_HISTORY_UNVERIFIED, "flag", "enforce", reason), *hits)
    hits = _recipient_hits(decisions, policy) + hits
    hits, excepted = _apply_exceptions(hits, envelope.sender, kept, facts, policy)
    client_data = content is not None and _is_client_data(content, policy)
    findings = content.findings if content is not None else ()
    enforced = [hit for hit in hits if hit.mode == "enforce"]
    if hits:
        headers.append((HEADER_FLAGS, "; ".join(_flag(hit) for hit in hits)))
    strongest = max(enforced, key=lambda hit: ACTION_RANK[hit.action], default=None)
    base = Decision(
        "accept",
        decisions,
        policy.sha256,
        path,
        content_hits=hits,
        client_data=client_data,
        findings=findings,
        exceptions_used=excepted,
        first_contact=tuple(ev.notes),
        domain_age=tuple(ev.ages),
    )
    if strongest is not None and strongest.action == "reject":
        text = f"message refused by postwarden rule {strongest.rule}: {strongest.reason}"
        decided = dataclasses.replace(
            base,
            action="reject",
            reply=reject(text),
            rule=strongest.rule,
            reason=strongest.reason,
            headers=tuple(headers),
        )
        return _with_notices(decided, envelope, policy)
    if any(hit.action == "route_secure" for hit in enforced):
        headers.append((HEADER_ROUTE, ROUTE_SECURE))
    if strongest is not None and strongest.action in ("quarantine", "delay"):
        headers.append((HEADER_QUARANTINE, f"{strongest.rule}: {strongest.reason}"))
        release_at = None
        rule = policy.content_rule(strongest.rule)
        if strongest.action == "delay" and rule is not None and rule.delay is not None:
            # Held in Postfix's hold queue like a quarantine; the header says when it goes, so
            # the undo window survives restarts (the release-due timer reads it back).
            now = facts.now or dt.datetime.now(dt.UTC)
            release_at = (now + dt.timedelta(seconds=rule.delay)).replace(microsecond=0)
            headers.append((HEADER_DELAY, release_at.strftime("%Y-%m-%dT%H:%M:%SZ")))
        decided = dataclasses.replace(
            base,
            action="quarantine",
            rule=strongest.rule,
            reason=strongest.reason,
            headers=tuple(headers),
            release_at=release_at,
        )
        return _with_notices(decided, envelope, policy)
    return _with_notices(dataclasses.replace(base, headers=tuple(headers)), envelope, policy)


# -- notices about held mail --------------------------------------------------------------------


def _with_notices(decision: Decision, envelope: Envelope, policy: Policy) -> Decision:
    due = notices_due(decision, envelope, policy)
    return dataclasses.replace(decision, notices=due) if due else decision


def notices_due(decision: Decision, envelope: Envelope, policy: Policy) -> tuple[NoticeDue, ...]:
    """The notices a decision asks for: the sender's (or its program owner's) when the
    message is held, and the officers' alert for every enforced hit of a rule with alert.
    None without a quarantine_notices section (or the notices section that carries them)."""
    held = policy.held_notices
    if held is None or policy.notices is None:
        return ()
    due: list[NoticeDue] = []
    if decision.action == "quarantine" and decision.rule is not None:
        to = held_notice_to(envelope, decision.rule, policy)
        if to is not None:
            due.append(NoticeDue("sender_held", to, decision.rule))
    for hit in decision.content_hits:
        rule = policy.content_rule(hit.rule)
        if hit.mode == "enforce" and rule is not None and rule.alert:
            due.append(NoticeDue("officer_alert", held.officers, hit.rule))
    return tuple(due)


def held_notice_to(envelope: Envelope, rule_id: str, policy: Policy) -> str | None:
    """Who is told that a message held by ``rule_id`` is held, or None.

    The rule's notify_sender, else the section's default, must want it. Mail from a program
    named under owners: its owner — also for mail marked automatic, because the owner is a
    person the policy names, not the automatic sender, and the notice (null sender,
    Auto-Submitted) cannot loop back into the program. Otherwise only an internal sender (an
    address in an owned domain) of mail not marked automatic; never the null sender, an
    external sender, or one in a retired or lookalike domain.
    """
    held = policy.held_notices
    if held is None:
        return None
    rule = policy.content_rule(rule_id)
    wanted = held.notify_sender
    if rule is not None and rule.notify_sender is not None:
        wanted = rule.notify_sender
    sender = envelope.sender
    if not wanted or not isinstance(sender, Address) or sender.is_null:
        return None
    owner = held.owner_of(str(sender))
    if owner is not None:
        return owner
    if envelope.automatic or sender.is_literal or not policy.is_owned(sender.domain):
        return None
    return str(sender) if may_notify(sender, policy) else None


# -- content rules ------------------------------------------------------------------------------


def _matching(cond: DetectorCondition, findings: tuple[Finding, ...]) -> int:
    """Unique values the detector found at the condition's confidence or higher."""
    return sum(f.count_at(cond.confidence) for f in findings if f.detector == cond.detector)


@dataclass
class _Eval:
    """What conditions are evaluated against besides the findings: the kept recipients and
    their contact history. ``notes`` collects the first contacts that made rules true;
    ``unknown`` says a first_contact condition needed a history that could not be read."""

    kept: list[Address | Malformed]
    history: HistoryFacts | None
    policy: Policy
    rdap: Mapping[str, RdapFacts] | None = None
    now: dt.datetime | None = None
    notes: dict[FirstContactNote, None] = field(default_factory=dict)
    unknown: bool = False
    ages: dict[DomainAgeNote, None] = field(default_factory=dict)
    rdap_unknown: bool = False  # a domain age condition needed RDAP that did not answer
    rdap_error: str = ""


@dataclass
class _Used:
    """What made a condition true: detectors, and first contacts."""

    detectors: set[str] = field(default_factory=set)
    first: dict[FirstContactNote, None] = field(default_factory=dict)
    ages: dict[DomainAgeNote, None] = field(default_factory=dict)

    def update(self, other: _Used) -> None:
        self.detectors.update(other.detectors)
        self.first.update(other.first)
        self.ages.update(other.ages)


def _domain_ages(cond: DomainAge, ev: _Eval | None) -> list[DomainAgeNote]:
    """The external recipients' registrable domains whose RDAP event is within the days.

    Without RDAP answers (None) or a clock nothing is; an answer missing or failed makes the
    domain new under on_failure treat_as_new, and otherwise marks the evaluation unknown."""
    if ev is None or ev.rdap is None or ev.now is None:
        return []
    today = ev.now.date()
    notes = []
    for a in ev.kept:
        if not isinstance(a, Address) or a.is_literal or ev.policy.is_owned(a.domain):
            continue
        base = registrable(a.domain)
        if base is None:
            continue
        found = ev.rdap.get(base)
        if found is None or found.state != "ok":
            settings = ev.policy.rdap
            if settings is not None and settings.on_failure == "treat_as_new":
                notes.append(DomainAgeNote(base, cond.event, None, None))
            else:
                ev.rdap_unknown = True
                ev.rdap_error = (found.error if found else None) or "not asked"
            continue
        # A domain never changed since registration: its registration is its last change.
        when = found.registered if cond.event == "registration" else found.changed
        when = when or found.registered
        if when is None:
            continue
        age = (today - when).days
        if age <= cond.days:
            notes.append(DomainAgeNote(base, cond.event, when, age))
    return list(dict.fromkeys(notes))


def _first_contacts(cond: FirstContact, ev: _Eval | None) -> list[FirstContactNote]:
    """The external recipients that are first contacts under `cond`.

    Without a consulted history (None) nothing is; a history that could not be read makes
    every external recipient a first contact under on_failure treat_as_first, and otherwise
    marks the evaluation unknown (the decision then tempfails or flags)."""
    if ev is None or ev.history is None:
        return []
    external = [
        a
        for a in ev.kept
        if isinstance(a, Address) and (a.is_literal or not ev.policy.is_owned(a.domain))
    ]
    if ev.history.error is not None:
        settings = ev.policy.history
        if settings is not None and settings.on_failure == "treat_as_first":
            return [FirstContactNote(cond.scope, cond.kind, a.domain) for a in external]
        if external:
            ev.unknown = True
        return []
    notes = []
    for a in external:
        name = a.domain if cond.scope == "domain" else str(a).lower()
        if a.is_literal or not ev.history.contact(cond.scope, name).has(cond.kind):
            notes.append(FirstContactNote(cond.scope, cond.kind, a.domain))
    return list(dict.fromkeys(notes))


def _satisfied(
    cond: Condition, findings: tuple[Finding, ...], used: _Used, ev: _Eval | None = None
) -> bool:
    """Evaluate a condition tree; `used` collects the detectors (and first contacts) that made
    it true."""
    if isinstance(cond, DetectorCondition):
        if _matching(cond, findings) >= cond.min_count:
            used.detectors.add(cond.detector)
            return True
        return False
    if isinstance(cond, FirstContact):
        notes = _first_contacts(cond, ev)
        used.first.update(dict.fromkeys(notes))
        return bool(notes)
    if isinstance(cond, DomainAge):
        ages = _domain_ages(cond, ev)
        used.ages.update(dict.fromkeys(ages))
        return bool(ages)
    if isinstance(cond, AllOf):
        trial = _Used()
        # Looked-up facts last: a history or RDAP that failed matters only when the rest holds
        # (the written order must not make ordinary mail wait for an unreadable store).
        parts = sorted(cond.conditions, key=lambda c: isinstance(c, FirstContact | DomainAge))
        if all(_satisfied(c, findings, trial, ev) for c in parts):
            used.update(trial)
            return True
        return False
    # A list, not a generator: every true branch adds its detectors to the explanation.
    return any([_satisfied(c, findings, used, ev) for c in cond.conditions])


def _detectors_satisfied(
    cond: Condition, findings: tuple[Finding, ...], found: frozenset[str] = frozenset()
) -> bool | None:
    """The condition's detectors alone: first_contact parts count as neither true nor false
    (None), so "client data" does not depend on who received it; detectors in ``found``
    count as satisfied whatever the findings."""
    if isinstance(cond, DetectorCondition):
        if cond.detector in found:
            return True
        return _matching(cond, findings) >= cond.min_count
    if isinstance(cond, FirstContact | DomainAge):
        return None
    parts = [
        p
        for p in (_detectors_satisfied(c, findings, found) for c in cond.conditions)
        if p is not None
    ]
    if not parts:
        return None
    return all(parts) if isinstance(cond, AllOf) else any(parts)


def _plain_header(where: str) -> bool:
    """A location S/MIME and PGP leave readable: the subject, a file name."""
    return where.endswith("subject") or where.endswith("(file name)")


def _has_external(kept: list[Address | Malformed], policy: Policy) -> bool:
    return any(
        not isinstance(a, Address) or a.is_literal or not policy.is_owned(a.domain) for a in kept
    )


def _in_scope(rule: ContentRule, kept: list[Address | Malformed], policy: Policy) -> bool:
    external = _has_external(kept, policy)
    if rule.recipients == "external":
        return external
    if rule.recipients == "internal":
        return bool(kept) and not external
    return True


def rdap_domains_needed(
    recipients: list[Address | Malformed], content: ContentFacts | None, policy: Policy
) -> list[str]:
    """The registrable domains RDAP must be asked about before deciding: the external
    recipients' of mail with client data, when the policy has an rdap section (domain age
    conditions are only ever asked for mail that carries client data)."""
    if policy.rdap is None or content is None or not _is_client_data(content, policy):
        return []
    out: dict[str, None] = {}
    for a in recipients:
        if isinstance(a, Address) and not a.is_literal and not policy.is_owned(a.domain):
            base = registrable(a.domain)
            if base is not None:
                out.setdefault(base, None)
    return list(out)


def content_may_apply(recipients: list[Address | Malformed], policy: Policy) -> bool:
    """Could any content rule apply to these recipients? If not, the body need not be read."""
    if policy.content is None:
        return False
    return any(_in_scope(rule, recipients, policy) for rule in policy.content.rules)


def ocr_may_matter(recipients: list[Address | Malformed], policy: Policy) -> bool:
    """Should images and scans be read by OCR? Only when a content rule could apply to an
    external recipient: OCR costs a quarter of a second to seconds per image, and internal mail
    is never read by OCR (its images stay unscannable, as with OCR off)."""
    if policy.content is None or not _has_external(recipients, policy):
        return False
    return any(rule.recipients in ("external", "any") for rule in policy.content.rules)


_OCR_SUFFIX = " (read by OCR)"  # = milter.content.findings.OCR_WHERE_SUFFIX (a test keeps it so)


def _explain(rule: ContentRule, used: _Used, content: ContentFacts) -> str:
    parts = []
    for f in content.findings:
        if f.detector in used.detectors:
            # The officer reading a hold reason should see that the text came from an image or
            # a scan (milter.content.findings.OCR_WHERE_SUFFIX ends such a `where`).
            ocr = ", read by OCR" if any(w.endswith(_OCR_SUFFIX) for w in f.where) else ""
            parts.append(f"{f.detector} x{f.count} ({f.confidence}{ocr})")
    found = ", ".join(parts) or "content condition met"
    scope = {
        "external": "to an external recipient",
        "internal": "to internal recipients",
        "any": "",
    }[rule.recipients]
    what = rule.description or "content matched"
    explained = " ".join(x for x in (f"{what}: {found}", scope) if x)
    if used.first:
        explained += "; " + ", ".join(note.text for note in used.first)
    if used.ages:
        explained += "; " + ", ".join(note.text for note in used.ages)
    return explained


def _content_hits(
    kept: list[Address | Malformed], content: ContentFacts, policy: Policy, ev: _Eval
) -> tuple[RuleHit, ...]:
    rules = policy.content.rules if policy.content is not None else ()
    hits = []
    for rule in rules:
        used = _Used()
        findings = content.findings
        if rule.unless_encrypted and content.encrypted:
            # Encryption protects the body, never the Subject or attachment file names: what
            # was found there still went out in plain text.
            findings = tuple(f for f in findings if any(_plain_header(w) for w in f.where))
        if not _in_scope(rule, kept, policy):
            continue
        if not _satisfied(rule.when, findings, used, ev):
            continue
        ev.notes.update(used.first)
        ev.ages.update(used.ages)
        hits.append(RuleHit(rule.id, rule.action, rule.mode, _explain(rule, used, content)))
    return tuple(hits)


def _recipient_hits(
    decisions: tuple[RecipientDecision, ...], policy: Policy
) -> tuple[RuleHit, ...]:
    """Accepted recipients a rule noted: a lookalike (the policy's action) or a domain DNS
    could not verify (flagged)."""
    hits: dict[tuple[str, str], RuleHit] = {}
    for rd in decisions:
        if not rd.noted or rd.rule is None:
            continue
        action: ContentAction = "flag"
        if rd.rule == RULE_LOOKALIKE and policy.lookalikes is not None:
            action = "quarantine" if policy.lookalikes.action == "quarantine" else "flag"
        hits.setdefault(
            (rd.rule, rd.reason or ""), RuleHit(rd.rule, action, "enforce", rd.reason or rd.rule)
        )
    return tuple(hits.values())


def _apply_exceptions(
    hits: tuple[RuleHit, ...],
    sender: Address | Malformed,
    kept: list[Address | Malformed],
    facts: Facts,
    policy: Policy,
) -> tuple[tuple[RuleHit, ...], tuple[ExceptionUse, ...]]:
    """Drop hits covered by an active accepted risk; expired ones no longer apply. Without
    a clock (facts.now) no exception applies: fail closed."""
    if not policy.exceptions or facts.now is None or not isinstance(sender, Address):
        return hits, ()
    today = facts.now.date()
    who = str(sender).lower()
    domains = [a.domain for a in kept if isinstance(a, Address)]
    external = [d for d in domains if not policy.is_owned(d)] or domains
    remaining, used = [], []
    for hit in hits:
        match = next(
            (
                exc
                for exc in policy.exceptions
                if exc.rule == hit.rule
                and exc.active(today)
                and fnmatch.fnmatchcase(who, exc.sender)
                and external
                and all(is_within(d, exc.to_domain) for d in external)
            ),
            None,
        )
        if match is None:
            remaining.append(hit)
        else:
            used.append(ExceptionUse(hit.rule, match.ticket, match.owner, match.expires))
    return tuple(remaining), tuple(used)


def holds_client_data(rule: ContentRule) -> bool:
    """True when ``rule`` fires only on findings of readable content (not on unscannable or
    truncated parts alone): a message it held carried client data, as ``_is_client_data``
    would have said (milter.history.released records a released message's contacts so)."""
    # With no findings at all, and unreadable parts taken as found: still false means the
    # rule needs readable findings whichever way it was satisfied.
    return _detectors_satisfied(rule.when, (), found=NOT_READABLE) is False


def _is_client_data(content: ContentFacts, policy: Policy) -> bool:
    """Readable content satisfies some rule's content condition (scope and mode aside)."""
    if policy.content is None:
        return False
    readable = tuple(f for f in content.findings if f.detector not in NOT_READABLE)
    return any(_detectors_satisfied(rule.when, readable) for rule in policy.content.rules)


def _flag(hit: RuleHit) -> str:
    return (
        f"{hit.rule} ({hit.action})"
        if hit.mode == "enforce"
        else f"{hit.rule} (monitor: would {hit.action})"
    )
