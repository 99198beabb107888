"""The quarantine operations by name: one seam for the CLI and the quarantine service.

``quarantine_call(desk, "release", {"queue_id": ..., "reason": ...}, who="fg")`` runs one
operation on an ``OfficerDesk`` and answers with JSON-shaped data. The CLI (as root) calls it
in-process; the privileged quarantine service calls it for a peer it has checked. Arguments are
validated by the desk (queue id shape, reason) and by the caller that parsed them.

OPERATIONS = the names accepted; anything else is a QuarantineError.
"""

from __future__ import annotations

import time
from typing import Any

from milter.officer.desk import OfficerDesk
from milter.officer.digest import digest, digest_text
from milter.officer.held import notice_email
from milter.officer.holdqueue import HoldQueue, QuarantineError
from milter.officer.notices import sender_for
from milter.policy import load_policy

OPERATIONS = (
    "list",
    "show",
    "release",
    "delete",
    "request",
    "withdraw",
    "expire",
    "release_due",
    "digest",
    "show_content",
    "trail",
)


def open_desk(policy_path: str, officer_log: str, postfix_config: str | None) -> OfficerDesk:
    """The officer desk for this Postfix instance, trail and policy (its notice relay sends
    the senders' notices). PolicyError when the policy does not load."""
    policy = load_policy(policy_path)
    send = sender_for(policy.notices.relay) if policy.notices is not None else None
    return OfficerDesk(HoldQueue(postfix_config), officer_log, policy, send)


def quarantine_call(
    desk: OfficerDesk, op: str, params: dict[str, Any], who: str | None = None
) -> dict[str, Any]:
    """One quarantine operation by name with JSON-shaped arguments and result: the seam the
    CLI and the quarantine service share. ``who`` is the acting officer (None: this login)."""
    qid = params.get("queue_id", "")
    if op == "list":
        return {"messages": desk.overview()}
    if op == "show":
        held = desk.queue.get(qid)
        return {"message": desk.show(qid), "headers": [list(h) for h in held.postwarden]}
    if op == "release":
        return dict(desk.release(qid, params["reason"], who, params.get("request_id")).as_dict())
    if op == "delete":
        return dict(desk.delete(qid, params["reason"], who).as_dict())
    if op in ("request", "withdraw"):
        step = desk.request if op == "request" else desk.withdraw
        return dict(step(qid, params["reason"], params.get("sender"), who).as_dict())
    if op == "expire":
        return {"outcomes": [o.as_dict() for o in desk.expire()]}
    if op == "release_due":
        return {"outcomes": [o.as_dict() for o in desk.release_due()]}
    if op == "show_content":
        return desk.show_content(qid, params["reason"], who)
    if op == "trail":
        return {"records": desk.trail(int(params.get("limit", 100)))}
    if op == "digest":
        return _digest(desk, bool(params.get("send")))
    raise QuarantineError(f"unknown quarantine operation {op!r}")


def _digest(desk: OfficerDesk, send: bool) -> dict[str, Any]:
    rows = desk.overview()
    now = time.time()
    policy = desk.policy
    if policy is None:
        raise QuarantineError("the digest needs the policy (its organisation and officers)")
    text = digest_text(rows, now, policy.organisation)
    result: dict[str, Any] = {"digest": digest(rows, now), "text": text, "sent_to": None}
    if send:
        if policy.held_notices is None or policy.notices is None:
            raise QuarantineError(
                "--send needs the policy's quarantine_notices section (the officers' address) "
                "and notices section (the relay)"
            )
        to, from_address = policy.held_notices.officers, policy.notices.from_address
        relay = policy.notices.relay
        subject = f"Postwarden: {len(rows)} vastgehouden / held"
        result["sent"] = desk.send_digest(
            to, lambda when: notice_email("officer-digest", to, from_address, subject, text, when)
        )
        if result["sent"] != "sent":
            raise QuarantineError(f"the digest could not be sent through {relay}")
        result["sent_to"] = to
    return result
