"""Policy sections: what a policy file may contain, written in the spec language.

``POLICY`` is the whole file; each section below is one ``Map`` with exactly its keys, each key a
``Field`` with the spec of its value, whether it is required, and the title and text an editor
shows (``make schema`` renders all of it as ``policies/schema.json``). ``build`` turns a checked
mapping into its model value (``milter.policy.model``; the content section into the scanner's
``milter.content.config`` values).

To add a key: add a ``Field`` to its section (and, if it needs one, a model value and a
``build``); the walker, the loader and the schema do not change. A key under ``content:`` that
sets up the scanner also gets a line in ``SCAN_CONFIG_FIELDS`` naming the ``ScanConfig`` field it
fills; a cross-field rule goes into ``milter.policy.checks``.

Refuses nothing itself: the walker does, by these specs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from milter.domains.model import DnsSettings, Expectation
from milter.domains.rdap import RdapSettings
from milter.history.model import CONTACT_KINDS, SCOPES, HistorySettings
from milter.policy.checks import (
    check_dns,
    check_history,
    check_rdap,
    note_held_notices,
    note_notify,
    note_rule_notices,
)
from milter.policy.model import (
    AllOf,
    AnyOf,
    ContentRule,
    DetectorCondition,
    DomainAge,
    FirstContact,
    HeldNotices,
    Notices,
    OfficerRole,
    OwnedDomain,
    ProgramOwner,
    ReplyText,
    RetiredDomain,
    RiskAcceptance,
)
from milter.policy.spec import (
    Address,
    Bool,
    Choice,
    Condition,
    Date,
    Domain,
    Duration,
    Field,
    HostPattern,
    HostPort,
    Identifier,
    Integer,
    List,
    Map,
    Nameserver,
    OwnPhrase,
    Paired,
    Pattern,
    SenderPattern,
    Text,
)

if TYPE_CHECKING:
    from milter.content.config import CustomPattern, OcrSettings, ScanLimits

# Loading indexes each owned domain's lookalikes (~20-40 ms, mostly dnstwist's permutations):
# 500 bounds a load, and so a reload, to some 10-20 s. Retired domains are set look-ups only.
MAX_OWNED_DOMAINS = 500
SUPPORTED_VERSION = 1

CONFIDENCE = Choice(("low", "medium", "high"))


def _history_args(values: dict[str, Any]) -> dict[str, Any]:
    """The history section's values as HistorySettings takes them (forget_after in days)."""
    out = dict(values)
    if "forget_after" in out:
        out["forget_after_days"] = out.pop("forget_after") // 86_400
    return out


def _notices(values: dict[str, Any]) -> Notices:
    values = dict(values)
    return Notices(from_address=values.pop("from"), **values)


def _held_notices(values: dict[str, Any]) -> HeldNotices:
    values = dict(values)
    return HeldNotices(owners=tuple(values.pop("owners", ())), **values)


# The content scanner (RE2, the detectors) is imported only for a policy with a content section:
# the officer tools that read a policy start ~0.2 s sooner without it.
def _scan_limits(values: dict[str, Any]) -> ScanLimits:
    from milter.content.config import ScanLimits

    return ScanLimits(**values)


def _ocr_settings(values: dict[str, Any]) -> OcrSettings:
    from milter.content.config import OcrSettings

    return OcrSettings(**values)


def _custom_pattern(values: dict[str, Any]) -> CustomPattern:
    from milter.content.config import CustomPattern

    return CustomPattern(**values)


def _content_rule(values: dict[str, Any]) -> ContentRule:
    values = dict(values)
    return ContentRule(unless_encrypted=values.pop("unless", None) == "encrypted", **values)


REPLY = Map(
    {
        "nl": Field(Text(), doc="Dutch text, one line, at most 200 characters."),
        "en": Field(Text(), doc="English text, one line, at most 200 characters."),
    },
    build=lambda v: ReplyText(**v),
    name="reply",
    title="Reply to the sender",
    doc="What the sender sees when mail to this domain is refused, in Dutch (nl) and English "
    "(en). Say that the address no longer exists and which address to use instead. Never put "
    "client details in it.",
)
EXPECT = Map(
    {
        "mx": Field(List(HostPattern()), required=False),
        "ns": Field(List(HostPattern()), required=False),
    },
    build=lambda v: Expectation(mx=v.get("mx") or (), ns=v.get("ns") or ()),
    name="expect",
    title="What 'ours' looks like in DNS",
    doc="Every live MX host must match one of mx, every NS host one of ns; a foreign host next "
    "to ours is drift.",
)
OWNED = Map(
    {"domain": Field(Domain("owned")), "expect": Field(EXPECT, required=False)},
    build=lambda v: OwnedDomain(**v),
    name="ownedDomain",
    title="Owned domain",
    doc="One domain the organisation holds.",
)
RETIRED = Map(
    {
        "domain": Field(Domain("retired")),
        "retired_since": Field(
            Date(),
            doc="The day the organisation stopped using the domain, written YYYY-MM-DD. For the "
            "record: mail is refused either way.",
        ),
        "owner": Field(
            Text(),
            doc="Who decided to retire the domain and answers questions about this entry (a "
            "role, e.g. Hoofd Informatiemanagement).",
        ),
        "action": Field(
            Choice(("refuse", "redirect")),
            required=False,
            title="What happens to mail for this domain",
            doc="refuse (default): the recipient is refused and the sender sees the reply text. "
            "redirect: the mail goes to redirect_to (a mailbox the organisation controls) "
            "instead.",
        ),
        "redirect_to": Field(
            Address("redirect target", owned=True),
            required=False,
            title="Catch-all mailbox",
            doc="With action: redirect, the address in an owned domain that receives the mail "
            "instead.",
        ),
        "notify_sender": Field(
            Bool(),
            required=False,
            title="Tell the sender",
            doc="Send the sender a short notice (texts under notices) that the address is "
            "retired and what to use instead; at most once a day per sender and address.",
        ),
        "expect": Field(EXPECT, required=False),
        "reply": Field(REPLY),
    },
    build=lambda v: RetiredDomain(**v),
    pairs=(
        Paired("redirect_to", "action", "redirect", "e.g. redirect_to: oud-adres@samen-veilig.nl"),
    ),
    check=note_notify,
    name="retiredDomain",
    title="Retired domain",
    doc="One domain the organisation used to hold. Mail to it, or to any of its subdomains, is "
    "refused.",
)
TEMPLATE = Text(max_len=2000, multiline=True)
NOTICES = Map(
    {
        "from": Field(
            Address("notice sender", owned=True),
            doc="From address, in an owned domain. The envelope sender is empty, so notices "
            "never bounce.",
        ),
        "relay": Field(HostPort(), doc="host:port of the SMTP relay that sends notices."),
        "per_day": Field(Integer(low=1, high=100), required=False),
        "subject": Field(REPLY),
        "body": Field(
            Map(
                {"nl": Field(TEMPLATE), "en": Field(TEMPLATE)},
                build=lambda v: ReplyText(**v),
            ),
            doc="The notice in Dutch (nl) and English (en): text that may span lines, at most "
            "2000 characters each; {recipient}, {domain} and {organisation} are filled in.",
        ),
    },
    build=_notices,
)
PROGRAM_OWNER = Map(
    {
        "program": Field(
            Address("program sender", owned=True),
            doc="The sender address a local program (e.g. the case tool) sends with.",
        ),
        "owner": Field(
            Address("program owner", owned=True),
            doc="Who runs that program (e.g. applicatiebeheer@...): notices about its held "
            "mail go there.",
        ),
    },
    build=lambda v: ProgramOwner(**v),
)
HELD_NOTICES = Map(
    {
        "officers": Field(
            Address("officers' mailbox", owned=True),
            doc="The officers' mailbox: alerts go there, and held-mail notices tell senders to "
            "ask there (with the queue id) for release or withdrawal.",
        ),
        "notify_sender": Field(
            Bool(),
            required=False,
            doc="true (default): an internal sender whose message is held gets a notice; a "
            "content rule's own notify_sender overrides this. External and empty senders and "
            "automatic mail never get one.",
        ),
        "per_day": Field(
            Integer(low=1, high=1000),
            required=False,
            doc="At most this many held-mail notices to one address per day, and alerts per "
            "rule per day (default 20).",
        ),
        "owners": Field(
            List(PROGRAM_OWNER),
            required=False,
            doc="Local programs and who runs them: notices about a program's held mail go to "
            "its owner.",
        ),
        "portal_url": Field(
            Text(max_len=200),
            required=False,
            title="The web portal",
            doc="https://... of postwarden web: held-mail notices then carry a link to the "
            "message's own page, where its sender withdraws it or asks for release. Needs "
            "portal_key.",
        ),
        "portal_key": Field(
            Text(max_len=200),
            required=False,
            doc="The file with the key the portal and the gateways share to sign those links "
            "(postwarden web --new-key makes one; at least 32 bytes, readable by the milter).",
        ),
        "link_days": Field(
            Integer(low=1, high=30),
            required=False,
            doc="How long a notice's link works, in days (default 7; never beyond the "
            "retention time).",
        ),
    },
    check=note_held_notices,
    build=_held_notices,
)
EXCEPTION = Map(
    {
        "sender": Field(
            SenderPattern(),
            doc="Sender address, or a pattern with * such as *@samen-veilig.nl.",
        ),
        "rule": Field(Identifier()),
        "to_domain": Field(Domain("exception")),
        "owner": Field(Text()),
        "reason": Field(Text()),
        "ticket": Field(Text(max_len=80)),
        "expires": Field(Date()),
    },
    build=lambda v: RiskAcceptance(**v),
)
DETECTOR = Map(
    {
        "detector": Field(Text(max_len=80)),
        "confidence": Field(CONFIDENCE, required=False),
        "min_count": Field(Integer(low=1, high=100000), required=False),
    },
    build=lambda v: DetectorCondition(**v),
)
FIRST_CONTACT = Map(
    {
        "first_contact": Field(
            Choice(SCOPES),
            doc="domain: the recipient's domain; address: the recipient's address.",
        ),
        "kind": Field(
            Choice(CONTACT_KINDS),
            required=False,
            doc="client_data (default): has never received mail with client data from us; "
            "any: has never received any mail from us.",
        ),
    },
    build=lambda v: FirstContact(scope=v["first_contact"], kind=v.get("kind", "client_data")),
    name="firstContact",
    title="First contact",
    doc="True when an external recipient's domain (or address) is new to the organisation, "
    "as the contact history (the history section) knows it.",
)


def _domain_age(
    key: str,
    event: Literal["registration", "last changed"],
    name: str,
    title: str,
    what: str,
    doc: str,
) -> Map:
    """The condition `{key: 30d}`: the recipient's domain had RDAP event `event` recently."""
    return Map(
        {
            key: Field(
                Duration(low=86_400, high=3650 * 86_400, units="d"),
                doc=f"e.g. 30d: the recipient's domain was {what} at most this many days ago.",
            )
        },
        build=lambda v: DomainAge(event, v[key] // 86_400),
        name=name,
        title=title,
        doc=doc,
    )


REGISTERED_WITHIN = _domain_age(
    "domain_registered_within",
    "registration",
    "domainRegisteredWithin",
    "Recently registered domain",
    "registered (RDAP 'registration')",
    "True when an external recipient's domain was registered recently, as its registry's "
    "RDAP service says (the rdap section).",
)
CHANGED_WITHIN = _domain_age(
    "domain_changed_within",
    "last changed",
    "domainChangedWithin",
    "Recently changed domain",
    "last changed (RDAP 'last changed')",
    "True when an external recipient's domain changed recently (registrant, name "
    "servers, ...), as its registry's RDAP service says (the rdap section).",
)
KEYED_CONDITIONS = (
    ("first_contact", FIRST_CONTACT),
    ("domain_registered_within", REGISTERED_WITHIN),
    ("domain_changed_within", CHANGED_WITHIN),
)
CONTENT_RULE = Map(
    {
        "id": Field(
            Identifier(),
            doc="Unique rule id; shown in replies, headers, audit records and metrics.",
        ),
        "description": Field(Text(), required=False),
        "when": Field(
            Condition(DETECTOR, all_of=AllOf, any_of=AnyOf, keyed=KEYED_CONDITIONS),
            title="Content condition",
            doc="{detector: NAME, confidence: LEVEL, min_count: N}, {first_contact: domain | "
            "address, kind: client_data | any}, {domain_registered_within: 30d}, "
            "{domain_changed_within: 30d}, or {all: [conditions]} (every one must hold), or "
            "{any: [conditions]} (at least one).",
        ),
        "recipients": Field(
            Choice(("external", "internal", "any")),
            required=False,
            doc="external (default): any recipient outside the owned domains; internal: all "
            "inside; any: always.",
        ),
        "unless": Field(
            Choice(("encrypted",)),
            required=False,
            doc="unless: encrypted skips the rule for encrypted mail (S/MIME, PGP).",
        ),
        "action": Field(
            Choice(("flag", "route_secure", "delay", "quarantine", "reject")),
            doc="flag: add a header; route_secure: send via the secure transport; delay: hold "
            "for the rule's delay (an undo window: the sender can withdraw it), then send; "
            "quarantine: hold for review; reject: refuse the message.",
        ),
        "delay": Field(
            Duration(low=60, high=86_400),
            required=False,
            title="Undo window",
            doc="With action: delay: how long the message waits before it is sent, 1m to 24h "
            "(e.g. 10m). The sender is told and can withdraw it meanwhile.",
        ),
        "mode": Field(
            Choice(("enforce", "monitor")),
            required=False,
            doc="enforce (default) or monitor (record what it would do, deliver anyway).",
        ),
        "notify_sender": Field(
            Bool(),
            required=False,
            title="Tell the sender that the message is held",
            doc="With action: quarantine: true or false overrides quarantine_notices' "
            "notify_sender for this rule. Only internal senders (or a program's owner) are "
            "ever told.",
        ),
        "alert": Field(
            Bool(),
            required=False,
            title="Alert the officers at once",
            doc="true: every message this rule acts on (enforce mode) sends a short alert to "
            "quarantine_notices' officers address. Needs a quarantine_notices section.",
        ),
    },
    check=note_rule_notices,
    build=_content_rule,
    name="contentRule",
    title="Content rule",
)
LIMITS = Map(
    {
        name: Field(Integer(low=1, high=high), required=False)
        for name, high in (
            ("max_total_bytes", 2**31),
            ("max_parts", 100000),
            ("max_depth", 100),
            ("max_decompressed_bytes", 2**33),
            ("max_attachment_bytes", 2**31),
            ("max_message_bytes", 2**33),
        )
    },
    build=_scan_limits,
)
CUSTOM = Map(
    {
        "name": Field(Identifier()),
        "pattern": Field(Pattern()),
        "confidence": Field(CONFIDENCE, required=False),
    },
    build=_custom_pattern,
)
OCR = Map(
    {
        "enabled": Field(
            Bool(),
            required=False,
            doc="false: images and scans stay unscannable, as without OCR (default true).",
        ),
        "max_image_pixels": Field(
            Integer(low=1_000_000, high=200_000_000),
            required=False,
            doc="Larger images are not read (default 50 000 000); large photos below it are "
            "scaled down.",
        ),
        "max_images": Field(
            Integer(low=1, high=100), required=False, doc="Images read per message (default 10)."
        ),
        "max_pages": Field(
            Integer(low=1, high=100),
            required=False,
            doc="Scanned PDF pages (and TIFF/GIF frames) read per message (default 10).",
        ),
        # Inside the milter's per-event budget (25 s), with room for the rest of the scan.
        "time_budget_ms": Field(
            Integer(low=100, high=20_000),
            required=False,
            doc="All OCR of one message together, inside the milter's 25 s per-event budget "
            "(default 12000).",
        ),
        "inline_images": Field(
            Bool(),
            required=False,
            doc="Also read small inline images counted as decoration (logos; a cropped pasted "
            "screenshot is as small), best effort, ~15 ms each (default true).",
        ),
    },
    build=_ocr_settings,
    title="Images and scans (OCR)",
    doc="Reading images and scanned PDFs with Tesseract. Past a bound the part is "
    "'unscannable' (held for external recipients). OCR runs only when a content rule could "
    "apply to an external recipient.",
)
CONTENT = Map(
    {
        "limits": Field(LIMITS, required=False),
        "case_keywords": Field(List(Text(max_len=80), min_items=1), required=False),
        "own_phrases": Field(List(OwnPhrase(), min_items=1), required=False),
        "custom_patterns": Field(List(CUSTOM), required=False),
        "ocr": Field(OCR, required=False),
        "rules": Field(List(CONTENT_RULE)),
    },
)
# content: keys that set up the scanner -> the ``ScanConfig`` field each one fills (the other
# keys, ``rules``, are the engine's). A key left out keeps the field's default.
SCAN_CONFIG_FIELDS = {
    "limits": "limits",
    "case_keywords": "case_keywords",
    "own_phrases": "own_phrases",
    "custom_patterns": "custom",
    "ocr": "ocr",
}
DNS = Map(
    {
        "nameservers": Field(
            List(Nameserver()),
            required=False,
            doc="IP addresses (with :port if not 53). Empty: the system resolver's.",
        ),
        "timeout_ms": Field(Integer(low=10, high=60000), required=False),
        "budget_ms": Field(Integer(low=10, high=300000), required=False),
        "on_failure": Field(
            Choice(("tempfail", "accept_and_flag")),
            required=False,
            doc="DNS does not answer: tempfail (mail waits and is retried) or accept_and_flag.",
        ),
        "refuse_nonexistent": Field(
            Bool(),
            required=False,
            doc="Refuse recipients in domains that do not exist or accept no mail.",
        ),
        "max_concurrency": Field(Integer(low=1, high=64), required=False),
    },
    check=check_dns,
    build=lambda v: DnsSettings(**v),
)
HISTORY = Map(
    {
        "store": Field(
            Text(max_len=1000),
            doc="The contact history's SQLite file (an absolute path, e.g. "
            "/var/lib/postwarden/history.sqlite); it holds keyed hashes only.",
        ),
        "key_file": Field(
            Text(max_len=1000),
            required=False,
            doc="The site key that hashes domains and addresses (default "
            "/var/lib/postwarden/history.key; created 0600 at first use). Keep it with the "
            "store's backups: without it the history cannot be read.",
        ),
        "on_failure": Field(
            Choice(("tempfail", "accept_and_flag", "treat_as_first")),
            required=False,
            doc="The history cannot be read when a first_contact condition needs it: tempfail "
            "(default; mail waits and is retried), accept_and_flag (the condition is false "
            "and the message is flagged history_unverified), treat_as_first (every "
            "recipient counts as first contact).",
        ),
        "forget_after": Field(
            Duration(low=30 * 86_400, high=3650 * 86_400, units="d"),
            required=False,
            doc="A contact that received no mail from us for this long is forgotten (a first "
            "contact again) and removed from the store (default 730d: two years; 30d to "
            "3650d).",
        ),
    },
    check=check_history,
    build=lambda v: HistorySettings(**_history_args(v)),
)


RDAP = Map(
    {
        "bootstrap": Field(
            Text(max_len=1000),
            doc="IANA's RDAP bootstrap file for domains (RFC 9224 dns.json), kept locally (an "
            "absolute path; Postwarden downloads nothing): it names each TLD's RDAP service.",
        ),
        "timeout_ms": Field(Integer(low=100, high=20000), required=False),
        "budget_ms": Field(
            Integer(low=100, high=20000),
            required=False,
            doc="All RDAP look-ups of one message together (default 4000), inside the "
            "milter's 25 s per-event budget.",
        ),
        "cache_ttl_s": Field(
            Integer(low=60, high=7 * 86400),
            required=False,
            doc="How long an answer is kept (default 86400: a day).",
        ),
        "on_failure": Field(
            Choice(("tempfail", "accept_and_flag", "treat_as_new")),
            required=False,
            doc="RDAP does not answer when a domain_*_within condition needs it: tempfail "
            "(default), accept_and_flag (the condition is false; flagged rdap_unverified) or "
            "treat_as_new (the condition is true).",
        ),
    },
    check=check_rdap,
    build=lambda v: RdapSettings(**v),
)
LOOKALIKES = Map(
    {
        "action": Field(Choice(("flag", "quarantine", "reject"))),
        "allow": Field(
            List(Domain("allowed lookalike")),
            required=False,
            doc="Real partners whose domains happen to look like ours.",
        ),
        "max_distance": Field(Integer(low=1, high=3), required=False),
    },
)
QUARANTINE = Map(
    {
        "release_requires": Field(
            Integer(allowed=(1, 2)),
            required=False,
            doc="2: a second, different officer must confirm every release (four eyes).",
        ),
        "retention_days": Field(
            Integer(low=1, high=365),
            required=False,
            doc="Held mail older than this many days (default 14) is removed by "
            "'postwarden quarantine expire' (a daily timer): client data is not kept without "
            "a limit (AVG art. 5(1)(e)).",
        ),
        "on_expiry": Field(
            Choice(("delete", "return")),
            required=False,
            doc="What expiry does with a held message: delete (default) removes it; return sends "
            "it back to its sender as undeliverable. The sender is told either way.",
        ),
        "officers": Field(
            List(
                Map(
                    {
                        "user": Field(
                            Text(max_len=128),
                            doc="The user name the portal's single sign-on gives "
                            "(its user header).",
                        ),
                        "may": Field(
                            List(Choice(("release", "delete", "content")), max_items=3),
                            required=False,
                            doc="Beyond reading the list, details and trail: release, delete, "
                            "content (show a held message's text, itself recorded).",
                        ),
                    },
                    build=lambda v: OfficerRole(v["user"], tuple(v.get("may") or ())),
                )
            ),
            required=False,
            title="Portal officers",
            doc="Who may use the web portal's officer pages (postwarden web), and what for. "
            "An officer not listed sees nothing.",
        ),
    },
)
POLICY = Map(
    {
        "version": Field(
            Integer(allowed=(SUPPORTED_VERSION,)),
            title="Policy format version",
            doc="Always 1 for this Postwarden version. Write it without quotes.",
        ),
        "organisation": Field(
            Text(),
            title="Organisation",
            doc="The organisation's name, shown in logs, audit records and notices.",
        ),
        "owned_domains": Field(
            List(
                OWNED,
                min_items=1,
                hint="write one '- domain: example.nl' line per domain",
                max_items=MAX_OWNED_DOMAINS,
                max_hint="each owned domain is indexed for lookalikes when the policy loads "
                "(tens of milliseconds each); list the domains your organisation sends from",
            ),
            title="Domains the organisation holds",
            doc="Mail to these domains and their subdomains is internal. At least one is "
            "required. A domain may appear only once and not also under retired_domains.",
        ),
        "retired_domains": Field(
            List(RETIRED, hint="write 'retired_domains: []' if there are none"),
            title="Domains the organisation no longer uses",
            doc="Mail to these domains (and every subdomain, e.g. mail.bjzutrecht.nl) is never "
            "delivered, whoever owns the domain today. Write 'retired_domains: []' if there are "
            "none.",
        ),
        "content": Field(
            CONTENT,
            required=False,
            title="Content rules",
            doc="What to do with client data in plain text. Detectors: bsn, iban, "
            "date_of_birth, postcode, phone_nl, case_keywords, custom:NAME, and unscannable / "
            "truncated for content that could not be inspected (quarantined for external "
            "recipients unless a rule says otherwise).",
        ),
        "notices": Field(
            NOTICES,
            required=False,
            title="Sender notices",
            doc="How notices about retired addresses are sent (used by notify_sender).",
        ),
        "quarantine_notices": Field(
            HELD_NOTICES,
            required=False,
            title="Notices about held mail",
            doc="Who is told when a message is quarantined: the internal sender (or a "
            "program's owner) and, for rules with alert: true, the officers. Sent through the "
            "notices section's relay.",
        ),
        "exceptions": Field(
            List(EXCEPTION),
            required=False,
            title="Accepted risks",
            doc="Named exceptions to a rule: who may send what to which domain, why, on whose "
            "authority and until when. Expired exceptions stop applying by themselves.",
        ),
        "dns": Field(
            DNS,
            required=False,
            title="DNS checks",
            doc="How Postwarden asks DNS whether a domain is still ours or exists at all. "
            "Without this section no DNS lookups are made.",
        ),
        "lookalikes": Field(
            LOOKALIKES,
            required=False,
            title="Lookalike domains",
            doc="Domains that imitate an owned one (samenveilig.nl, samen-veiIig.nl, "
            "samen-veilig.com, homoglyphs).",
        ),
        "quarantine": Field(QUARANTINE, required=False, title="Quarantine review"),
        "rdap": Field(
            RDAP,
            required=False,
            title="Domain age (RDAP)",
            doc="When a recipient's domain was registered and last changed, asked of its "
            "registry's RDAP service, for domain_registered_within and domain_changed_within "
            "conditions. Asked only for mail with client data.",
        ),
        "history": Field(
            HISTORY,
            required=False,
            title="Contact history",
            doc="Where the organisation's mail went (keyed hashes of recipient domains and "
            "addresses), for first_contact conditions. Built from delivered mail; seed it "
            "with 'postwarden history import'.",
        ),
    },
    title="Postwarden policy, version 1",
    doc="Which outgoing mail Postwarden must stop. Owned by the security officer; checked with "
    "'postwarden policy check FILE'. This schema lets editors flag mistakes as you type; "
    "Postwarden's own check is stricter (it also refuses duplicate keys, a domain listed twice "
    "or inside another listed domain, YAML anchors and aliases, and unquoted yes/no/on/off "
    "where text is needed, which editors may read as text). Tip for VS Code: set "
    '"yaml.yamlVersion": "1.1" to read YAML the way Postwarden does.',
)
