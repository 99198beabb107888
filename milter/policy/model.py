"""Policy model: the frozen, typed values a loaded policy file becomes.

Nothing here reads files or validates YAML; ``milter.policy.loader`` does that and builds these
values only from input it has already checked. Inside the engine the policy is trusted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from milter.core.address import parent_domains
from milter.domains.model import DnsSettings, Expectation
from milter.domains.rdap import RdapSettings
from milter.history.model import ContactKind, HistorySettings, Scope

if TYPE_CHECKING:  # the scanner and the lookalike index pull in RE2 and dnstwist: types only
    from milter.content.config import ScanConfig
    from milter.content.findings import Confidence
    from milter.content.scan import CompiledScanner
    from milter.domains.lookalike import LookalikeIndex

RetiredAction = Literal["refuse", "redirect"]
ContentAction = Literal["flag", "route_secure", "delay", "quarantine", "reject"]
RuleMode = Literal["enforce", "monitor"]
RecipientScope = Literal["external", "internal", "any"]

# Strongest first: when several content rules fire, the strongest action wins.
# delay holds for a while and then sends: more than routing or a flag, less than holding for an
# officer (a message both delayed and quarantined by two rules is quarantined).
ACTION_RANK: dict[str, int] = {
    "reject": 5,
    "quarantine": 4,
    "delay": 3,
    "route_secure": 2,
    "flag": 1,
}


DEFAULT_RETENTION_DAYS = 14  # held mail older than this is expired unless the policy says


@dataclass(frozen=True, slots=True)
class ReplyText:
    """The text a sender sees in the SMTP reply, in Dutch and English.

    Kept as the officer wrote it (one printable line, Unicode allowed); the SMTP layer makes it
    ASCII-safe when it builds the reply."""

    nl: str
    en: str


@dataclass(frozen=True, slots=True)
class OwnedDomain:
    """A domain the organisation holds: mail to it (or a subdomain) is internal. ``expect``
    says what "ours" looks like in DNS."""

    domain: str  # normalised A-label, lower case, no trailing dot
    expect: Expectation | None = None


@dataclass(frozen=True, slots=True)
class RetiredDomain:
    """A domain that must never receive mail again, whatever DNS says."""

    domain: str  # normalised A-label, lower case, no trailing dot
    retired_since: dt.date
    owner: str
    reply: ReplyText
    action: RetiredAction = "refuse"
    redirect_to: str | None = None  # with action redirect: a mailbox in an owned domain
    notify_sender: bool = False  # send the sender a notice (see ``Notices``)
    expect: Expectation | None = None  # what "ours" looked like in DNS (the domain watch compares)


LookalikeAction = Literal["flag", "quarantine", "reject"]


@dataclass(frozen=True, slots=True)
class Lookalikes:
    """Domains that look like an owned one: what to do, and real partners to leave alone.
    ``index`` is built once per load."""

    action: LookalikeAction
    allow: tuple[str, ...]
    max_distance: int
    index: LookalikeIndex


@dataclass(frozen=True, slots=True)
class Notices:
    """Sender notices about retired addresses: sent with the null sender and
    ``Auto-Submitted: auto-replied`` through ``relay``, at most ``per_day`` per (sender,
    retired address). Templates may use {recipient}, {domain} and {organisation}."""

    from_address: str
    relay: str  # host:port
    subject: ReplyText
    body: ReplyText
    per_day: int = 1


@dataclass(frozen=True, slots=True)
class ProgramOwner:
    """Mail from ``program`` (a local program's sender address, e.g. the case tool): notices
    about its held mail go to ``owner``, the people who run that program."""

    program: str
    owner: str


@dataclass(frozen=True, slots=True)
class OfficerRole:
    """An officer of the web portal (``quarantine.officers``): the user name the single
    sign-on gives, and what they may do beyond reading (release, delete, content)."""

    user: str
    may: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class HeldNotices:
    """Notices about quarantined mail: to the sender (internal senders only; a program's mail
    to its ``owners`` entry) unless ``notify_sender`` (or a rule's own) says no, and an
    immediate alert to ``officers`` for rules with ``alert``. Sent like ``Notices`` (its relay
    and from address), at most ``per_day`` per notified address and kind."""

    officers: str
    notify_sender: bool = True
    per_day: int = 20
    owners: tuple[ProgramOwner, ...] = ()
    portal_url: str | None = None  # notices link to the message's page there
    portal_key: str | None = None  # the file with the key that signs those links
    link_days: int = 7

    def owner_of(self, sender: str) -> str | None:
        """The owner address for mail from ``sender`` (lower-cased match), if the policy
        names one."""
        wanted = sender.lower()
        return next((o.owner for o in self.owners if o.program.lower() == wanted), None)


@dataclass(frozen=True, slots=True)
class RiskAcceptance:
    """An accepted risk: ``sender`` (an address or a pattern like *@samen-veilig.nl) may mail
    ``to_domain`` (and its subdomains) despite ``rule``, until ``expires`` (inclusive)."""

    sender: str
    rule: str
    to_domain: str
    owner: str
    reason: str
    ticket: str
    expires: dt.date

    def active(self, today: dt.date) -> bool:
        return today <= self.expires


@dataclass(frozen=True, slots=True)
class DetectorCondition:
    """True when ``detector`` found at least ``min_count`` unique values at ``confidence`` or
    higher (``unscannable`` and ``truncated`` are detectors too)."""

    detector: str
    confidence: Confidence = "low"
    min_count: int = 1


@dataclass(frozen=True, slots=True)
class AllOf:
    """True when every condition is."""

    conditions: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    """True when at least one condition is."""

    conditions: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class FirstContact:
    """True when an external recipient's domain (``scope: domain``) or address has never
    received mail with client data from us (``kind: client_data``), or no mail at all
    (``kind: any``), as the contact history knows it."""

    scope: Scope
    kind: ContactKind = "client_data"


@dataclass(frozen=True, slots=True)
class DomainAge:
    """True when an external recipient's registrable domain had its RDAP ``event``
    (``registration`` or ``last changed``) within the last ``days`` days."""

    event: Literal["registration", "last changed"]
    days: int


Condition = DetectorCondition | FirstContact | DomainAge | AllOf | AnyOf


@dataclass(frozen=True, slots=True)
class ContentRule:
    """What to do when a message's content satisfies ``when``.

    ``recipients``: ``external`` applies when any recipient is outside the owned domains,
    ``internal`` when all are inside, ``any`` always. ``unless_encrypted`` skips the rule for
    mail whose content is encrypted. ``mode: monitor`` records what the rule would do and
    accepts."""

    id: str
    when: Condition
    action: ContentAction
    recipients: RecipientScope = "external"
    unless_encrypted: bool = False
    mode: RuleMode = "enforce"
    description: str | None = None
    notify_sender: bool | None = None  # None: the quarantine_notices default
    alert: bool = False  # an enforced hit alerts the officers at once
    delay: int | None = None  # action delay: seconds held before it is sent (undo window)


@dataclass(frozen=True, slots=True)
class ContentPolicy:
    """Content rules in the order written, and how the scanner is set up (``scanner`` is
    ``scan`` compiled, once per load)."""

    rules: tuple[ContentRule, ...]
    scan: ScanConfig
    scanner: CompiledScanner


@dataclass(frozen=True, slots=True)
class Policy:
    """One loaded policy file. ``sha256`` is of the file's bytes: ops see which version runs."""

    version: int
    organisation: str
    owned_domains: tuple[OwnedDomain, ...]
    retired_domains: tuple[RetiredDomain, ...]
    source: str  # path the policy was loaded from
    sha256: str
    content: ContentPolicy | None = None
    notices: Notices | None = None
    held_notices: HeldNotices | None = None  # the policy's quarantine_notices section
    exceptions: tuple[RiskAcceptance, ...] = ()
    release_requires: int = 1  # officers who must agree before a quarantined message is released
    retention_days: int = DEFAULT_RETENTION_DAYS  # held mail older than this is expired
    on_expiry: str = "delete"  # or "return": back to the sender as undeliverable
    officers: tuple[OfficerRole, ...] = ()  # the portal's officers and their permissions
    dns: DnsSettings | None = None  # None = no DNS checks at all
    lookalikes: Lookalikes | None = None
    history: HistorySettings | None = None  # None = no contact history (no first_contact)
    rdap: RdapSettings | None = None  # None = no RDAP look-ups (no domain_*_within)
    # The domain lists by name, built once per load: a recipient is looked up by walking its own
    # labels (a.b.nl, b.nl, nl), so the cost per recipient does not grow with the lists.
    _owned_by_name: dict[str, OwnedDomain] = field(init=False, repr=False, compare=False)
    _retired_by_name: dict[str, RetiredDomain] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        owned = {o.domain: o for o in reversed(self.owned_domains)}  # the first entry wins
        retired = {r.domain: r for r in reversed(self.retired_domains)}
        object.__setattr__(self, "_owned_by_name", owned)
        object.__setattr__(self, "_retired_by_name", retired)

    def is_owned(self, domain: str) -> bool:
        """True if ``domain`` (normalised) is an owned domain or inside one."""
        return self.owned_zone(domain) is not None

    def owned_zone(self, domain: str) -> OwnedDomain | None:
        """The most specific owned domain that ``domain`` (normalised) is or lies inside."""
        return next(
            (self._owned_by_name[d] for d in parent_domains(domain) if d in self._owned_by_name),
            None,
        )

    def retired_zone(self, domain: str) -> RetiredDomain | None:
        """The most specific retired domain that ``domain`` (normalised) is or lies inside."""
        return next(
            (
                self._retired_by_name[d]
                for d in parent_domains(domain)
                if d in self._retired_by_name
            ),
            None,
        )

    def content_rule(self, rule_id: str) -> ContentRule | None:
        """The content rule with id ``rule_id``, if there is one."""
        rules = self.content.rules if self.content is not None else ()
        return next((rule for rule in rules if rule.id == rule_id), None)

    def retired_names(self) -> AbstractSet[str]:
        """The retired domains' names, as a set (for lookups by ``parent_domains``)."""
        return self._retired_by_name.keys()
