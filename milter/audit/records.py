"""audit.records -- what an audit record holds: the line format and the fields of each kind.

SYNOPSIS
    fields = message_fields(decision, envelope, message_id=raw_message_id, findings=findings)
    fields = refusal_fields(refusal, queue_id, "smtp", sender, policy_sha256, client)
    fields = reload_fields("refused", policy_sha256, issues)
    fields = internal_error_fields("local")

DESCRIPTION
    A record is one line of compact JSON. Keys, in this order:

        seq     1, 2, 3 ... without gaps, across files and restarts
        time    UTC, ISO 8601 with microseconds and 'Z'
        kind    a lower-case identifier (KIND): message | recipient_refused | internal_error |
                policy_reload | checkpoint | officer actions
        node    the host that wrote it
        ...     the kind's own fields (never one of RESERVED)
        prev    sha256 (hex) of the previous record's line (its bytes without the newline);
                GENESIS (64 zeros) for the first record of a chain

    The builders here are pure: they turn a decision into the kind's fields, and the
    processors (milter.audit.processors) finish the line.

        message            queue id, path (smtp/local), message_id_sha256, sender, client,
                           auth user, the message action, rule and reason, every recipient
                           with its action, rule and reason, all rule ids, content findings
                           as counts plus samples, content rule hits, the exceptions used,
                           the first contacts that made rules match (scope, kind, domain),
                           the RDAP facts that made domain age conditions match,
                           the policy's sha256
        recipient_refused  a refusal at RCPT time: queue id, path, sender, client, the
                           recipient with its rule and reason, the policy's sha256
        policy_reload      ok or refused, the sha256 of the policy in force afterwards, and
                           the first 20 problems of a refused file
        internal_error     the path, and that the event was tempfailed

    What a record refuses to hold: message text. The Message-ID is kept only as the first 16
    hex digits of its sha256; a malformed address is cut to 100 characters as received;
    finding samples pass only masked (the processors withhold any other).

DIAGNOSTICS
    None: the builders read typed, validated values and do not fail.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from milter.audit.processors import clean_text
from milter.core.address import Address, Malformed
from milter.core.engine import Decision, Envelope, RecipientDecision

GENESIS = "0" * 64
KIND = re.compile(r"[a-z][a-z0-9_]{0,39}")
RESERVED = ("seq", "time", "kind", "node", "prev", "event")
MAX_RAW = 100  # a malformed address as received, like Postfix's %.100s
MAX_ISSUES = 20  # a refused policy file's problems kept in its reload record


class AuditFinding(Protocol):
    """A content finding as the audit needs it (the content scanner's value)."""

    @property
    def detector(self) -> str: ...

    @property
    def confidence(self) -> str: ...

    @property
    def count(self) -> int: ...

    @property
    def where(self) -> Sequence[str] | str: ...

    @property
    def samples(self) -> Sequence[str]: ...


def message_id_hash(value: str | bytes | None) -> str | None:
    """First 16 hex digits of the sha256 of a Message-ID value (surrounding space removed)."""
    if value is None:
        return None
    raw = value if isinstance(value, bytes) else value.encode("utf-8", "surrogateescape")
    raw = raw.strip()
    return hashlib.sha256(raw).hexdigest()[:16] if raw else None


def address_text(address: Address | Malformed) -> str:
    """An address as written in a record; a malformed one as received, cut to MAX_RAW."""
    if isinstance(address, Malformed):
        return clean_text(address.raw, MAX_RAW)
    return str(address)


def recipient_fields(rd: RecipientDecision) -> dict[str, Any]:
    """One recipient: address, action, rule, reason (and where a redirect sends it)."""
    fields: dict[str, Any] = {
        "address": address_text(rd.address),
        "action": rd.action,
        "rule": rd.rule,
        "reason": rd.reason,
    }
    if rd.redirect_to is not None:
        fields["redirect_to"] = rd.redirect_to
    if isinstance(rd.address, Malformed):
        fields["malformed"] = True
    return fields


def finding_fields(f: AuditFinding) -> dict[str, Any]:
    """One content finding: detector, confidence, count, the parts and the samples."""
    return {
        "detector": f.detector,
        "confidence": f.confidence,
        "count": int(f.count),
        "where": [f.where] if isinstance(f.where, str) else list(f.where),
        "samples": list(f.samples),
    }


def message_fields(
    decision: Decision,
    envelope: Envelope,
    message_id: str | bytes | None = None,
    findings: Iterable[AuditFinding] | None = None,
) -> dict[str, Any]:
    """The fields of a 'message' record; `findings` defaults to the decision's own."""
    found: Iterable[AuditFinding] = decision.findings if findings is None else findings
    return {
        "queue_id": envelope.queue_id,
        "path": decision.path,
        "message_id_sha256": message_id_hash(message_id),
        "sender": address_text(envelope.sender),
        "client": envelope.client,
        "auth_user": clean_text(envelope.auth_user, MAX_RAW) if envelope.auth_user else None,
        "action": decision.action,
        "rule": decision.rule,
        "reason": decision.reason,
        "recipients": [recipient_fields(rd) for rd in decision.recipients],
        "rules": list(decision.rules),
        "client_data": decision.client_data,
        "findings": [finding_fields(f) for f in found],
        "content_hits": [
            {"rule": h.rule, "action": h.action, "mode": h.mode, "reason": h.reason}
            for h in decision.content_hits
        ],
        "exceptions_used": [
            {"rule": x.rule, "ticket": x.ticket, "owner": x.owner, "expires": str(x.expires)}
            for x in decision.exceptions_used
        ],
        "policy_sha256": decision.policy_sha256,
        # First contacts that made content rules match (domains only; the history is hashed).
        "first_contact": [
            {"scope": n.scope, "kind": n.kind, "domain": n.domain} for n in decision.first_contact
        ],
        # RDAP facts that made domain age conditions match (registrable domain, event, date).
        "domain_age": [
            {
                "domain": n.domain,
                "event": n.event,
                "date": n.date.isoformat() if n.date else None,
                "age_days": n.age_days,
            }
            for n in decision.domain_age
        ],
        # Notices asked for (sent after this record; their results are in the metrics).
        "notices": [{"kind": n.kind, "to": n.to, "rule": n.rule} for n in decision.notices],
        # action delay: held until then, released unless withdrawn
        "release_at": (
            decision.release_at.strftime("%Y-%m-%dT%H:%M:%SZ") if decision.release_at else None
        ),
    }


def refusal_fields(
    refusal: RecipientDecision,
    queue_id: str | None,
    path: str = "smtp",
    sender: Address | Malformed | None = None,
    policy_sha256: str | None = None,
    client: str | None = None,
) -> dict[str, Any]:
    """The fields of a 'recipient_refused' record (a refusal at RCPT time)."""
    return {
        "queue_id": queue_id,
        "path": path,
        "sender": None if sender is None else address_text(sender),
        "client": client,
        "recipient": recipient_fields(refusal),
        "rules": [refusal.rule] if refusal.rule else [],
        "policy_sha256": policy_sha256,
    }


def reload_fields(result: str, policy_sha256: str, issues: Sequence[str] = ()) -> dict[str, Any]:
    """The fields of a 'policy_reload' record: ok or refused, the policy in force after it."""
    return {"result": result, "policy_sha256": policy_sha256, "issues": list(issues[:MAX_ISSUES])}


def internal_error_fields(path: str) -> dict[str, Any]:
    """The fields of an 'internal_error' record: the event on `path` was tempfailed."""
    return {"path": path, "action": "tempfail"}
