"""What became of a held message, told to its sender: released, deleted, withdrawn, expired.

The milter told the sender their message was held (``milter.officer.held``). Nothing may then
end in silence: when an officer releases or deletes it, when the sender's own withdrawal is
carried out, and when it expires, the same person is told (``engine.held_notice_to``: the
internal sender, or the owner the policy names for a program; never an external or null
sender). The notice names the queue id, the day it was held, the recipients' *domains* and the
rules — never a subject, a finding's value or any content — and for a deletion or release the
reason the officer gave (officers write those for the trail, which carries no client data
either).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from email.message import EmailMessage

from milter.core.address import Address, parse_address
from milter.core.engine import Envelope, held_notice_to
from milter.officer.held import MAX_DOMAINS, notice_email
from milter.officer.holdqueue import HeldMessage
from milter.policy.model import Policy

# kind → (Dutch, English) first sentence
_WHAT = {
    "released": (
        "Uw vastgehouden bericht is vrijgegeven en wordt nu bezorgd.",
        "Your held message has been released and is being delivered.",
    ),
    "deleted": (
        "Uw vastgehouden bericht is verwijderd door een functionaris; het is niet verzonden.",
        "Your held message was deleted by an officer; it was not sent.",
    ),
    "withdrawn": (
        "U heeft uw vastgehouden bericht ingetrokken; het is verwijderd en niet verzonden.",
        "You withdrew your held message; it was deleted and not sent.",
    ),
    "expired_deleted": (
        "Uw vastgehouden bericht is na {days} dagen verwijderd (bewaartermijn); het is niet "
        "verzonden.",
        "Your held message was deleted after {days} days (retention limit); it was not sent.",
    ),
    "expired_returned": (
        "Uw vastgehouden bericht is na {days} dagen aan u teruggestuurd (bewaartermijn); het "
        "is niet verzonden.",
        "Your held message was returned to you after {days} days (retention limit); it was "
        "not sent.",
    ),
}
_SUBJECT = {
    "released": "Uw bericht is vrijgegeven / Your message was released",
    "deleted": "Uw bericht is verwijderd / Your message was deleted",
    "withdrawn": "Uw bericht is ingetrokken / Your message was withdrawn",
    "expired_deleted": "Uw bericht is verlopen / Your held message expired",
    "expired_returned": "Uw bericht is verlopen / Your held message expired",
}
KINDS = tuple(_WHAT)


def _domains(held: HeldMessage) -> str:
    domains = sorted({r.rpartition("@")[2].lower() for r in held.recipients if "@" in r})
    shown = domains[:MAX_DOMAINS]
    more = f" (+{len(domains) - MAX_DOMAINS})" if len(domains) > MAX_DOMAINS else ""
    return (", ".join(shown) or "-") + more


def outcome_text(
    kind: str, held: HeldMessage, reason: str | None, organisation: str, officers: str, days: int
) -> str:
    """The notice body: Dutch, then English."""
    nl, en = (s.format(days=days) for s in _WHAT[kind])
    when = dt.datetime.fromtimestamp(held.arrival_time, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    rules = ", ".join(held.rules) or "-"
    why_nl = f"Toelichting:  {reason}\n" if reason else ""
    why_en = f"Note:         {reason}\n" if reason else ""
    return (
        f"{nl}\n\n"
        f"Bericht:      {when}, aan {_domains(held)}\n"
        f"Wachtrij-id:  {held.queue_id}\n"
        f"Regels:       {rules}\n"
        f"{why_nl}"
        f"\nVragen: {officers} ({organisation}).\n"
        f"\n-- \n\n"
        f"{en}\n\n"
        f"Message:      {when}, to {_domains(held)}\n"
        f"Queue id:     {held.queue_id}\n"
        f"Rules:        {rules}\n"
        f"{why_en}"
        f"\nQuestions: {officers} ({organisation}).\n"
    )


def outcome_notice(
    kind: str, held: HeldMessage, reason: str | None, policy: Policy, days: int
) -> tuple[str, Callable[[dt.datetime], EmailMessage]] | None:
    """(to, build) for the notice of ``kind`` about ``held``, or None when the policy sends
    no notices about held mail or nobody is to be told."""
    settings, notices = policy.held_notices, policy.notices
    if settings is None or notices is None or not held.rules or kind not in _WHAT:
        return None
    sender = parse_address(held.sender) if held.sender else None
    if not isinstance(sender, Address):
        return None
    envelope = Envelope(sender=sender, recipients=(), queue_id=held.queue_id)
    to = held_notice_to(envelope, held.rules[0], policy)
    if to is None:
        return None
    body = outcome_text(kind, held, reason, policy.organisation, settings.officers, days)
    from_address = notices.from_address

    def build(now: dt.datetime) -> EmailMessage:
        return notice_email(f"sender-{kind}", to, from_address, _SUBJECT[kind], body, now)

    return to, build
