"""judge -- one message of a backtest through the milter's own scanner and decision.

`judge(locator, settings, policy)` reads the message (`sources.load`), builds its envelope —
the queue file's real one, else From -> sender and To/Cc/Bcc -> recipients from the headers,
with ``--from``/``--to`` overriding either — drops, on the SMTP path, the recipients the
milter refuses at RCPT (Postfix never shows it the message for them), gathers the content
facts exactly as the milter session does (`milter.cli.check.scan_as_milter`: no scan when no
content rule can apply, OCR only for external recipients) and runs `decide`.  DNS is not
consulted (a backtest of old mail asks nothing of today's DNS): the DNS rules are skipped, as
with ``postwarden check --offline``.

The `Outcome` keeps what the report needs and nothing more: the action, per rule what it did,
the findings' counts, confidences, part names and *masked* samples, the sender address and the
recipient domains.  Never message text, never an unmasked value.

Refuses: nothing; a message that cannot be read or has no recipients, and an error inside the
scanner or the decision (a bug: the milter would tempfail it), become an Outcome with `error`
set (a fixed reason or the exception's type name, never its text) so the run goes on.
"""

from __future__ import annotations

import datetime as dt
import email.utils
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32

from milter.backtest.sources import Loaded, Locator, MessageError, load, shown
from milter.cli.check import build_envelope, scan_as_milter
from milter.core.address import Address, Malformed
from milter.core.engine import Decision, Envelope, Facts, decide, decide_recipient
from milter.policy.model import Policy

MAX_HEADER_BYTES = 1 * 2**20  # headers beyond this are not read for the envelope
MAX_ID_CHARS = 200


@dataclass(frozen=True, slots=True)
class Settings:
    """How every message of a run is judged (sent to the worker processes)."""

    policy_path: str
    policy_sha256: str
    now: dt.datetime
    sender: str | None = None  # --from
    recipients: tuple[str, ...] = ()  # --to (repeatable)
    local: bool = False  # decide as a local submission (sendmail)


@dataclass(frozen=True, slots=True)
class FoundSummary:
    """One detector's finding, as the report may show it (samples are masked by the scanner)."""

    detector: str
    count: int
    confidence: str
    where: tuple[str, ...]
    samples: tuple[str, ...]
    reason: str | None = None

    def __str__(self) -> str:
        text = f"{self.detector} x{self.count} ({self.confidence})"
        if self.samples:
            text += f" e.g. {', '.join(self.samples)}"
        if self.reason:
            text += f" [{self.reason}]"
        return text


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one message (or why it could not be judged)."""

    position: str
    message_id: str | None
    action: str = "error"
    error: str | None = None
    sender: str = ""
    recipient_domains: tuple[str, ...] = ()
    effects: tuple[tuple[str, str], ...] = ()  # (rule, held|refused|flagged|routed|monitor|...)
    findings: tuple[FoundSummary, ...] = ()


def effects(decision: Decision) -> tuple[tuple[str, str], ...]:
    """Per rule what it did (or, in monitor mode, would do) to this message, once each."""
    seen: dict[tuple[str, str], None] = {}
    for hit in decision.content_hits:
        if hit.mode == "monitor":
            seen[(hit.rule, "monitor")] = None
        else:
            seen[(hit.rule, _EFFECT[hit.action])] = None
    for rd in decision.recipients:
        if rd.rule is None:
            continue
        if rd.refused:
            seen[(rd.rule, "recipient_refused")] = None
        elif rd.action == "redirect":
            seen[(rd.rule, "redirected")] = None
        elif rd.action == "tempfail":
            seen[(rd.rule, "tempfail")] = None
    if decision.action == "reject" and decision.rule is not None:
        seen[(decision.rule, "refused")] = None
    return tuple(seen)


_EFFECT = {"quarantine": "held", "reject": "refused", "flag": "flagged", "route_secure": "routed"}


def judge(loc: Locator, settings: Settings, policy: Policy) -> Outcome:
    """One message through scanner and decision; errors become an Outcome with `error`."""
    limit = policy.content.scanner.config.limits.max_message_bytes if policy.content else 2**28
    try:
        loaded = load(loc, limit)
    except MessageError as exc:
        return Outcome(loc.position, None, error=str(exc))
    headers = _headers(loaded.raw)
    message_id = _message_id(headers)
    sender, recipients = _envelope(loaded, headers, settings)
    if not recipients:
        return Outcome(loc.position, message_id, error="no recipients (To/Cc/Bcc empty; use --to)")
    try:
        envelope = build_envelope(sender, recipients, settings.local)
        content = scan_as_milter(
            policy, envelope, loaded.raw, kept=_kept(envelope, settings, policy)
        )
        decision = decide(envelope, Facts(content=content, now=settings.now), policy)
    except Exception as exc:  # a bug; the milter would tempfail this message
        return Outcome(loc.position, message_id, error=f"internal error ({type(exc).__name__})")
    domains = {a.domain for a in envelope.recipients if isinstance(a, Address) and a.domain}
    return Outcome(
        loc.position,
        message_id,
        action=decision.action,
        sender=shown(str(envelope.sender))
        if isinstance(envelope.sender, Address)
        else "(malformed)",
        recipient_domains=tuple(sorted(domains)),
        effects=effects(decision),
        findings=tuple(
            FoundSummary(f.detector, f.count, f.confidence, f.where, f.samples, f.reason)
            for f in decision.findings
        ),
    )


def _kept(envelope: Envelope, settings: Settings, policy: Policy) -> list[Address | Malformed]:
    """The recipients the milter has when the message arrives: on the SMTP path those refused
    at RCPT are gone (and decide whether the content is scanned, and with OCR); on the local
    path all of them (they are removed at the end)."""
    if envelope.path == "local":
        return list(envelope.recipients)
    facts = Facts(now=settings.now)
    return [
        r
        for r in envelope.recipients
        if not decide_recipient(r, "smtp", facts, policy, envelope.sender).refused
    ]


def _headers(raw: bytes) -> Message:
    end = raw.find(b"\n\n", 0, MAX_HEADER_BYTES)
    crlf = raw.find(b"\r\n\r\n", 0, MAX_HEADER_BYTES)
    cut = min((p for p in (end, crlf) if p >= 0), default=min(len(raw), MAX_HEADER_BYTES))
    return BytesHeaderParser(policy=compat32).parsebytes(raw[:cut])


def _text(msg: Message, name: str) -> list[str]:
    values = []
    for value in msg.get_all(name, []):
        try:
            values.append(str(make_header(decode_header(str(value)))))
        except (ValueError, LookupError, UnicodeError):
            values.append(str(value))
    return values


def _message_id(msg: Message) -> str | None:
    values = _text(msg, "Message-ID")
    if not values:
        return None
    printable = "".join(c for c in values[0].strip() if c.isprintable())
    return shown(printable[:MAX_ID_CHARS]) or None


def _addresses(msg: Message, *names: str) -> list[str]:
    """Addresses in these headers; pieces without '@' (a display name with an unquoted comma)
    are not addresses."""
    found: list[str] = []
    for name in names:
        for _, addr in email.utils.getaddresses(_text(msg, name)):
            if "@" in addr and addr not in found:
                found.append(addr)
    return found


def _envelope(loaded: Loaded, msg: Message, settings: Settings) -> tuple[str, list[str]]:
    if loaded.sender is not None:
        sender = loaded.sender
    else:
        senders = _addresses(msg, "From")
        sender = senders[0] if senders else ""
    if loaded.recipients is not None:
        recipients = list(loaded.recipients)
    else:
        recipients = _addresses(msg, "To", "Cc", "Bcc")
    if settings.sender is not None:
        sender = settings.sender
    if settings.recipients:
        recipients = list(settings.recipients)
    return sender, recipients
