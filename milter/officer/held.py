"""Notices about held mail: the sender's notice and the officers' alert (nl/en, built in).

When a content rule quarantines a message, Postfix tells the SMTP client 250 and the sender
believes the mail went. The engine asks for notices (``Decision.notices``): this module writes
them. ``held_message`` collects what a notice may say about the message, and nothing more:

- when it was decided, its queue id, the sender address, the recipients' *domains* (never the
  addresses);
- the subject, only shortened and masked (``mask_subject``): the first four words, every run of
  digits replaced by ``#``, an address by ``[adres]``, at most 40 characters. A subject can carry
  client data (a name, a date of birth, a BSN); the sender wrote it and recognises their message
  by its first words, and the digits — the part that identifies a client best — are gone. The
  officers' alert carries no subject at all;
- the rule id and the officer's description of the rule, and the findings: detector, count,
  confidence and at most two samples with *every digit* masked (the scanner's masked samples
  keep the last digits; a notice keeps none: ``*********``, ``NL** **** **** **** **``);
- the organisation, and the officers' address to ask for release or withdrawal with the queue
  id (until a portal exists).

It never carries body text, attachment names or an unmasked value. ``render_held`` (to the
sender, or to the program's owner) and ``render_alert`` (to the officers) build the messages;
``milter.officer.notices.Notifier`` sends them with the null sender, rate-limited.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from milter.core.address import Address
from milter.core.engine import Decision, Envelope

NOTICE_HEADER = "X-Postwarden-Notice"
SUBJECT_WORDS = 4
SUBJECT_CHARS = 40
MAX_DOMAINS = 10
MAX_SAMPLES = 2
_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")
_ADDRESS = re.compile(r"\S+@\S+")
_CONFIDENCE_NL = {"low": "laag", "medium": "middel", "high": "hoog"}


@dataclass(frozen=True, slots=True)
class HeldFinding:
    """One detector's finding as a notice shows it: no value, only masked shapes."""

    detector: str
    count: int
    confidence: str
    samples: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class HeldMessage:
    """What notices about one held (or alerted) message may say; no content of it."""

    queue_id: str
    sender: str
    domains: tuple[str, ...]
    subject: str | None  # masked already (mask_subject)
    rule: str
    description: str
    action: str
    findings: tuple[HeldFinding, ...]
    organisation: str
    officers: str
    decided: dt.datetime
    retention_days: int | None = None  # held mail is removed after this many days
    # First contacts that made the rule match: (scope, kind, domain) (engine.FirstContactNote).
    first_contact: tuple[tuple[str, str, str], ...] = ()
    # RDAP facts that made the rule match (engine.DomainAgeNote): (domain, event, date, days).
    domain_age: tuple[tuple[str, str, str | None, int | None], ...] = ()
    release_at: dt.datetime | None = None  # action delay: sent then unless withdrawn
    link: str | None = None  # the portal page of this message (withdraw, ask for release)


def mask_subject(raw: str | None) -> str | None:
    """The subject as a notice may show it: RFC 2047 decoded, the first four words, every
    digit run as '#', addresses as '[adres]', at most 40 characters; None if empty."""
    if not raw:
        return None
    try:
        text = str(make_header(decode_header(raw)))
    except (ValueError, LookupError):  # a broken encoded word: keep it as it came
        text = raw
    words = _SPACE.sub(" ", text).strip().split(" ")
    kept = [_DIGITS.sub("#", _ADDRESS.sub("[adres]", w)) for w in words[:SUBJECT_WORDS]]
    short = " ".join(kept)
    cut = len(words) > SUBJECT_WORDS or len(short) > SUBJECT_CHARS
    short = short[:SUBJECT_CHARS].rstrip()
    if not short:
        return None
    return short + " ..." if cut else short


def notice_sample(sample: str) -> str:
    """A scanner sample with every digit masked (the scanner keeps the last few)."""
    return _DIGITS.sub(lambda m: "*" * len(m.group()), sample)[:40]


def held_message(
    decision: Decision,
    envelope: Envelope,
    rule: str,
    organisation: str,
    officers: str,
    subject: str | None,
    now: dt.datetime,
    retention_days: int | None = None,
    link: str | None = None,
) -> HeldMessage:
    """What a notice about ``rule``'s hit on this decision may say."""
    domains = sorted(
        {
            rd.address.domain
            for rd in decision.recipients
            if isinstance(rd.address, Address) and not rd.refused
        }
    )
    hit = next((h for h in decision.content_hits if h.rule == rule), None)
    description = hit.reason if hit is not None else (decision.reason or rule)
    findings = tuple(
        HeldFinding(
            f.detector,
            int(f.count),
            str(f.confidence),
            tuple(notice_sample(s) for s in f.samples[:MAX_SAMPLES]),
        )
        for f in decision.findings
    )
    return HeldMessage(
        queue_id=envelope.queue_id or "?",
        sender=str(envelope.sender)[:200],
        domains=tuple(domains),
        subject=mask_subject(subject),
        rule=rule,
        description=description[:300],
        action=hit.action if hit is not None else decision.action,
        findings=findings,
        organisation=organisation,
        officers=officers,
        decided=now,
        retention_days=retention_days,
        first_contact=tuple(
            (n.scope, n.kind, n.domain) for n in decision.first_contact[:MAX_DOMAINS]
        ),
        domain_age=tuple(
            (n.domain, n.event, n.date.isoformat() if n.date else None, n.age_days)
            for n in decision.domain_age[:MAX_DOMAINS]
        ),
        release_at=decision.release_at,
        link=link,
    )


def _domains(held: HeldMessage, more: str) -> str:
    shown = list(held.domains[:MAX_DOMAINS])
    if len(held.domains) > MAX_DOMAINS:
        shown.append(f"{more} {len(held.domains) - MAX_DOMAINS}")
    return ", ".join(shown) or "-"


def _findings(held: HeldMessage, nl: bool) -> str:
    lines = []
    for f in held.findings:
        confidence = _CONFIDENCE_NL.get(f.confidence, f.confidence) if nl else f.confidence
        samples = ", ".join(f.samples)
        example = (" bijv. " if nl else " e.g. ") + samples if samples else ""
        lines.append(f"  - {f.detector}: {f.count} ({confidence}){example}")
    return "\n".join(lines) or "  -"


def _when(held: HeldMessage) -> str:
    return held.decided.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _ask(held: HeldMessage, nl: bool) -> str:
    """How to ask for release or withdraw: the portal link when there is one, else the
    officers' mailbox with the queue id."""
    if held.link:
        if nl:
            return (
                f"Vrijgave vragen of intrekken (met uw reden): {held.link}\n"
                f"Lukt dat niet, mail dan {held.officers} met wachtrij-id {held.queue_id}. "
            )
        return (
            f"To ask for release or to withdraw it (with your reason): {held.link}\n"
            f"If that does not work, write to {held.officers} with queue id {held.queue_id}. "
        )
    if nl:
        return (
            f"Vrijgave vragen of intrekken: mail {held.officers} met wachtrij-id "
            f"{held.queue_id} en uw reden. "
        )
    return (
        f"To ask for release or to withdraw it: write to {held.officers} with queue id "
        f"{held.queue_id} and your reason. "
    )


def _limit(held: HeldMessage, nl: bool) -> str:
    days = held.retention_days
    if days is None:
        return ""
    return f", uiterlijk {days} dagen" if nl else f", for at most {days} days"


def _first_contact(held: HeldMessage, nl: bool) -> str:
    """One line per first contact: what this organisation sends there for the first time."""
    lines = []
    for scope, kind, domain in held.first_contact:
        if nl:
            what = "cliëntgegevens" if kind == "client_data" else "mail"
            where = "dit domein" if scope == "domain" else "dit adres"
            lines.append(
                f"Eerste contact: {held.organisation} stuurt voor het eerst {what} naar "
                f"{where} ({domain}).\n"
            )
        else:
            what = "client data" if kind == "client_data" else "mail"
            where = "domain" if scope == "domain" else "address"
            lines.append(
                f"First contact: the first time this organisation sends {what} to this "
                f"{where} ({domain}).\n"
            )
    for domain, event, date, days in held.domain_age:
        if nl:
            what = "geregistreerd" if event == "registration" else "laatst gewijzigd"
            when = f"op {date}, {days} dagen geleden" if date else "onbekend (RDAP onbereikbaar)"
            lines.append(f"Domein:       {domain} is {what} {when}.\n")
        else:
            what = "registered" if event == "registration" else "last changed"
            when = f"{date}, {days} days ago" if date else "unknown (RDAP unavailable)"
            lines.append(f"Domain:       {domain} {what} {when}.\n")
    return "".join(lines)


def _held_text(held: HeldMessage, nl: bool) -> str:
    subject = held.subject or ("(geen onderwerp)" if nl else "(no subject)")
    if nl:
        return (
            f"Uw bericht is niet verzonden: {held.organisation} houdt het vast voor controle.\n"
            f"\n"
            f"Bericht:      {_when(held)}, aan {_domains(held, 'en nog')}\n"
            f"Onderwerp:    {subject} (ingekort, cijfers vervangen door #)\n"
            f"Wachtrij-id:  {held.queue_id}\n"
            f"Reden:        regel {held.rule}: {held.description}\n"
            f"{_first_contact(held, True)}"
            f"Gevonden (gemaskeerd, nooit de waarde zelf):\n{_findings(held, True)}\n"
            f"\n"
            f"Wat er nu gebeurt: een functionaris bekijkt het bericht. Het blijft vastgehouden "
            f"tot het is vrijgegeven of verwijderd{_limit(held, True)}. U hoort wat ermee "
            f"gebeurt.\n"
            f"\n"
            f"{_ask(held, True)}Stuur het bericht niet opnieuw en niet via een "
            f"ander kanaal; versleuteld verzenden is de veilige weg voor cliëntgegevens.\n"
        )
    return (
        f"Your message was not sent: {held.organisation} is holding it for review.\n"
        f"\n"
        f"Message:      {_when(held)}, to {_domains(held, 'and')}\n"
        f"Subject:      {subject} (shortened, digits replaced by #)\n"
        f"Queue id:     {held.queue_id}\n"
        f"Reason:       rule {held.rule}: {held.description}\n"
        f"{_first_contact(held, False)}"
        f"Found (masked, never the value itself):\n{_findings(held, False)}\n"
        f"\n"
        f"What happens next: an officer reviews the message. It stays held until it is "
        f"released or deleted{_limit(held, False)}. You will be told what becomes of it.\n"
        f"\n"
        f"{_ask(held, False)}Do not send the message again or through another "
        f"channel; sending it encrypted is the safe way for client data.\n"
    )


def _alert_text(held: HeldMessage, nl: bool) -> str:
    if nl:
        return (
            f"Regel {held.rule} ({held.action}) heeft een bericht geraakt.\n"
            f"\n"
            f"Wachtrij-id:  {held.queue_id}\n"
            f"Tijd:         {_when(held)}\n"
            f"Afzender:     {held.sender}\n"
            f"Ontvangers:   {_domains(held, 'en nog')} (domeinen)\n"
            f"Reden:        {held.description}\n"
            f"Gevonden (gemaskeerd):\n{_findings(held, True)}\n"
            f"\n"
            f"Bekijken: postwarden quarantine show {held.queue_id}\n"
        )
    return (
        f"Rule {held.rule} ({held.action}) matched a message.\n"
        f"\n"
        f"Queue id:     {held.queue_id}\n"
        f"Time:         {_when(held)}\n"
        f"Sender:       {held.sender}\n"
        f"Recipients:   {_domains(held, 'and')} (domains)\n"
        f"Reason:       {held.description}\n"
        f"Found (masked):\n{_findings(held, False)}\n"
        f"\n"
        f"Review: postwarden quarantine show {held.queue_id}\n"
    )


def notice_email(
    kind: str, to: str, from_address: str, subject: str, body: str, now: dt.datetime
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = from_address
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(domain=from_address.rpartition("@")[2])
    msg["Auto-Submitted"] = "auto-replied"
    msg[NOTICE_HEADER] = kind
    msg.set_content(body, charset="utf-8")
    return msg


def _delayed_text(held: HeldMessage, nl: bool) -> str:
    assert held.release_at is not None
    at = held.release_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    subject = held.subject or ("(geen onderwerp)" if nl else "(no subject)")
    if nl:
        return (
            f"Uw bericht wordt om {at} verzonden, niet eerder: {held.organisation} geeft u "
            f"tijd om het in te trekken.\n"
            f"\n"
            f"Bericht:      {_when(held)}, aan {_domains(held, 'en nog')}\n"
            f"Onderwerp:    {subject} (ingekort, cijfers vervangen door #)\n"
            f"Wachtrij-id:  {held.queue_id}\n"
            f"Reden:        regel {held.rule}: {held.description}\n"
            f"Gevonden (gemaskeerd, nooit de waarde zelf):\n{_findings(held, True)}\n"
            f"\n"
            f"Klopt de ontvanger niet, of hoort dit niet onversleuteld te gaan? Trek het vóór "
            f"{at} in: {held.link or f'mail {held.officers} met wachtrij-id {held.queue_id}'}. "
            f"Doet u niets, dan gaat het om {at} vanzelf weg.\n"
        )
    return (
        f"Your message will be sent at {at}, not before: {held.organisation} gives you time "
        f"to withdraw it.\n"
        f"\n"
        f"Message:      {_when(held)}, to {_domains(held, 'and')}\n"
        f"Subject:      {subject} (shortened, digits replaced by #)\n"
        f"Queue id:     {held.queue_id}\n"
        f"Reason:       rule {held.rule}: {held.description}\n"
        f"Found (masked, never the value itself):\n{_findings(held, False)}\n"
        f"\n"
        f"Wrong recipient, or should this not go unencrypted? Withdraw it before {at}: "
        f"{held.link or f'write to {held.officers} with queue id {held.queue_id}'}. "
        f"If you do nothing, it goes at {at}.\n"
    )


def render_held(held: HeldMessage, to: str, from_address: str, now: dt.datetime) -> EmailMessage:
    """The sender's notice (or the program owner's): Dutch first, then English. A delayed
    message's notice says when it goes and how to withdraw it."""
    if held.release_at is not None:
        subject = "Uw bericht wordt later verzonden / Your message will be sent later"
        body = f"{_delayed_text(held, True)}\n-- \n\n{_delayed_text(held, False)}"
        return notice_email("sender-delayed", to, from_address, subject, body, now)
    subject = "Uw bericht is vastgehouden / Your message is being held"
    body = f"{_held_text(held, True)}\n-- \n\n{_held_text(held, False)}"
    return notice_email("sender-held", to, from_address, subject, body, now)


def render_alert(held: HeldMessage, to: str, from_address: str, now: dt.datetime) -> EmailMessage:
    """The officers' alert: Dutch first, then English; no subject of the original."""
    subject = f"Postwarden: regel {held.rule} / rule {held.rule} ({held.queue_id})"
    body = f"{_alert_text(held, True)}\n-- \n\n{_alert_text(held, False)}"
    return notice_email("officer-alert", to, from_address, subject, body, now)
