"""policy.draft -- a first policy for an officer, from what the mail server knows (pure).

SYNOPSIS
    split_postconf(value) -> list[str]               'a, b  c' -> ['a', 'b', 'c']
    is_map_reference(item) -> bool                   'hash:/etc/postfix/relay' -> True
    candidate_domains(items, hostname) -> (domains, skipped)
    parse_mail_log(lines) -> LogCounts
    render(Draft) -> str                             the YAML text

DESCRIPTION
    `postwarden init` (milter.cli.init) runs postconf, postmap and DNS and reads the mail log;
    this module turns what it found into a commented policy file, with no I/O of its own, so
    every branch is tested with plain values.

    candidate_domains keeps the names of Postfix's domain lists that can be owned domains: it
    skips 'localhost' and 'localhost.*', the machine's own host name, names that are not valid
    domains or are a public suffix (a single label such as 'localdomain'), duplicates, and a
    subdomain of another kept name (the policy covers subdomains and refuses overlaps).

    parse_mail_log counts recipient domains in a Postfix log (/var/log/mail.log format): every
    delivery line 'QUEUEID: to=<user@domain>, ... status=sent|deferred|bounced (...)' counts by
    status; 'orig_to=' is not a recipient.  Lines with 'Host or domain name not found' (and
    'Name service error') mark the domain as not resolving, as Postfix saw it.

    render writes, in this order: a header saying what the draft came from, version,
    organisation, owned_domains with each domain's live MX and NS as `expect` (or a TODO
    comment where DNS was not asked or did not say), an empty retired_domains list with a
    commented example entry, lookalikes (action quarantine; partner candidates from the log
    as commented allow entries with their counts; a partner that already looks like ours is
    called out), the log's findings (recipient domains that do not resolve, that look like
    ours) as comments, and a content section whose rules run in monitor mode: they record in
    the audit trail and metrics what they would hold, and hold nothing until the officer
    switches them to enforce.

REFUSES
    render raises ValueError for a draft without owned domains (a policy needs one) and
    escapes every value it did not write itself (organisation, hosts) as a YAML string, so
    nothing from postconf or DNS can add keys.  Log lines are cut to 4096 characters before
    they are parsed; addresses that do not parse as domains are counted as 'unparsable' only.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from milter.core.address import DomainError, normalise_domain, parent_domains
from milter.domains._suffix import split_registrable

__all__ = [
    "Draft",
    "LogCounts",
    "LogFinding",
    "OwnedDraft",
    "candidate_domains",
    "is_map_reference",
    "parse_mail_log",
    "render",
    "split_postconf",
]

# Postfix's domain-list parameters, in the order the draft reports them.
DOMAIN_PARAMETERS = (
    "mydestination",
    "virtual_alias_domains",
    "virtual_mailbox_domains",
    "relay_domains",
)
MAX_LOG_LINE = 4096
_DELIVERY = re.compile(
    r"(?:^|[\s:,])to=<(?P<address>[^<>\s]*)>,.*?\bstatus=(?P<status>sent|deferred|bounced)\b"
)
_NOT_FOUND = ("Host or domain name not found", "Name service error")
# Map types whose left-hand sides `postmap -s` can list (the others are queried, not listed).
LISTABLE_MAPS = ("hash", "lmdb", "btree", "texthash", "cdb")


def split_postconf(value: str) -> list[str]:
    """A postconf list value as its items (commas and white space separate them)."""
    return [item for item in re.split(r"[\s,]+", value.strip()) if item]


def is_map_reference(item: str) -> bool:
    """True for a lookup table reference such as 'hash:/etc/postfix/relay_domains'."""
    kind, sep, rest = item.partition(":")
    return bool(sep and rest and re.fullmatch(r"[a-z][a-z0-9_]*", kind))


def candidate_domains(items: Iterable[str], hostname: str) -> tuple[list[str], list[str]]:
    """(domains a policy can own, items skipped with why), in order of first appearance."""
    kept: list[str] = []
    skipped: list[str] = []
    host = hostname.lower().rstrip(".")
    for item in items:
        name = item.lower().rstrip(".")
        if name == "localhost" or name.startswith("localhost."):
            skipped.append(f"{item} (localhost)")
            continue
        if name == host:
            skipped.append(f"{item} (this machine's host name)")
            continue
        try:
            domain = normalise_domain(name)
        except DomainError:
            skipped.append(f"{item[:100]} (not a domain name)")
            continue
        if split_registrable(domain) is None:
            skipped.append(f"{item} (not a registrable domain)")
            continue
        if domain not in kept:
            kept.append(domain)
    covered = [d for d in kept if any(p in kept for p in parent_domains(d) if p != d)]
    skipped.extend(f"{d} (covered by its parent domain)" for d in covered)
    return [d for d in kept if d not in covered], skipped


@dataclass
class LogCounts:
    """Recipient domains in a mail log: deliveries by status, and which did not resolve."""

    sent: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)  # deferred or bounced
    not_found: Counter[str] = field(default_factory=Counter)
    lines: int = 0
    unparsable: int = 0

    def domains(self) -> list[str]:
        """Every recipient domain seen, most deliveries first."""
        total = self.sent + self.failed
        return [d for d, _ in sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))]


def parse_mail_log(lines: Iterable[str]) -> LogCounts:
    """Count recipient domains in Postfix delivery lines (see the module docstring)."""
    counts = LogCounts()
    for raw in lines:
        counts.lines += 1
        line = raw[:MAX_LOG_LINE]
        match = _DELIVERY.search(line)
        if match is None:
            continue
        _, at, domain_text = match.group("address").rpartition("@")
        try:
            domain = normalise_domain(domain_text) if at else ""
        except DomainError:
            domain = ""
        if not domain:
            counts.unparsable += 1
            continue
        if match.group("status") == "sent":
            counts.sent[domain] += 1
        else:
            counts.failed[domain] += 1
            if any(text in line for text in _NOT_FOUND):
                counts.not_found[domain] += 1
    return counts


@dataclass(frozen=True)
class OwnedDraft:
    """One owned domain: where it came from and what DNS said (None: not asked or no answer)."""

    domain: str
    source: str  # e.g. 'mydestination'
    mx: tuple[str, ...] | None = None
    ns: tuple[str, ...] | None = None
    note: str | None = None  # why mx/ns are missing, shown as a TODO


@dataclass(frozen=True)
class LogFinding:
    """A recipient domain from the log with its delivery count and what is odd about it."""

    domain: str
    count: int
    why: str = ""


@dataclass(frozen=True)
class Draft:
    """Everything render() writes."""

    organisation: str
    owned: Sequence[OwnedDraft]
    created: dt.date
    sources: Sequence[str] = ()  # what the draft came from, one line each
    skipped: Sequence[str] = ()  # postconf items that are not owned domains
    partners: Sequence[LogFinding] = ()  # most-used external domains (why: lookalike note)
    unresolved: Sequence[LogFinding] = ()
    lookalikes: Sequence[LogFinding] = ()


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def _comment(text: str) -> str:
    """Outside text made safe for one comment line."""
    return re.sub(r"[\x00-\x1f\x7f]", "?", text)[:200]


def _hosts(hosts: Sequence[str]) -> str:
    return "[" + ", ".join(_quoted(h) for h in hosts) + "]"


HEADER = """\
# Postwarden policy -- DRAFT for {organisation}
# {rule}
#
# Written by `postwarden init` on {created} from:
{sources}
#
# This is a starting point for the security officer (CISO / FG) who owns the policy; the mail
# administrators install it. Read every TODO below, then check the file before it goes live:
#
#     postwarden policy check THIS-FILE
#
# Postwarden is strict on purpose: a misspelt key, a duplicate entry or a date that does not
# exist makes it refuse the whole file, naming the line and column of every problem.
# policies/example.yaml in the Postwarden sources explains every section at length.
#
# Format: indentation with spaces, never tabs; a line starting with "#" is a comment; dates are
# YYYY-MM-DD; text containing ":" or "#" goes in double quotes.

# Version of this file format. This Postwarden reads version 1 only.
version: 1

# Shown in logs, audit records and notices. TODO: the organisation's full name.
organisation: {organisation_yaml}
"""

OWNED_HEAD = """
# Domains the organisation holds today (from Postfix's {parameters}).
# Mail to these domains and their subdomains is internal.
#
# "expect" is what "ours" looks like in DNS: the mail servers (MX) and name servers (NS) they
# had when this draft was written. The domain watch (postwarden domains audit, and the running
# milter) compares; when a domain's DNS no longer matches -- someone else receives its mail --
# it alarms, and with the dns section switched on, mail to it is refused. Check that every host
# below is really yours or your provider's; a '*' stands for part of one label (mx*.example.nl).
owned_domains:
"""

RETIRED = """
# Domains the organisation USED to hold (an old name from before a merger, a project domain).
# Mail to them is refused before it leaves, whatever their DNS says today: after a domain
# lapses, a stranger can register it and receive every mail still sent to old addresses.
# TODO: list every domain the organisation ever used and no longer holds, e.g.
#
#   - domain: old-name.nl
#     retired_since: 2017-12-31         # the day it stopped being used
#     owner: Hoofd Informatiemanagement # who decided, and answers questions
#     action: refuse
#     reply:
#       nl: "Dit adres bestaat niet meer: gebruik het adres @{main}."
#       en: "This address no longer exists: please use the @{main} address."
retired_domains: []
"""

LOOKALIKES_HEAD = """
# Domains that look like ours ({main_plain} with a letter swapped, another ending, look-alike
# letters from other alphabets) are a favourite trick for catching mail. Mail to them is held
# for review. A real partner whose name happens to look like ours goes under allow.
lookalikes:
  action: quarantine          # flag | quarantine | reject
"""

CONTENT = """
# ------------------------------------------------------------------------------------------------
# What a message contains: client data in plain (unencrypted) text to anyone outside the
# organisation. These rules are the example policy's, in MONITOR mode: they record in the audit
# trail and the metrics what they would hold, and hold nothing. Watch them for a few weeks
# (postwarden backtest on an archive of sent mail shows the same before that), then change
# "mode: monitor" to "mode: enforce" rule by rule.
# Detectors: bsn (with the 11-check; "high" needs the word BSN nearby), iban, date_of_birth,
# postcode, phone_nl, case_keywords (the list below), custom:NAME, and unscannable / truncated
# for what could not be inspected (voicemail audio, password-protected zips, size limits).
content:
  case_keywords: [cliënt, client*, dossier, crisisplaatsing, jeugdbescherming, Veilig Thuis,
                  melding, huiselijk geweld, kindermishandeling, ondertoezichtstelling, OTS,
                  uithuisplaatsing, gezinsvoogd, zorgmelding, casusoverleg, pleeggezin*,
                  pleegzorg, pleegouder*, jeugdige*]
  # TODO: the organisation's own names and footer numbers (text in which nothing is found;
  # without it "Veilig Thuis" in every signature is a case keyword), e.g.
  # own_phrases:
  #   - {organisation_comment}
  #   - "12345678"                     # our KvK number
  rules:
    # A BSN with the word BSN next to it, or case words together with a date of birth (or a
    # BSN at medium confidence). See policies/example.yaml for the trade-off behind this.
    - id: client-data-external
      description: client data in plain text
      when:
        any:
          - {{detector: bsn, confidence: high}}
          - all:
              - {{detector: case_keywords}}
              - any:
                  - {{detector: date_of_birth}}
                  - {{detector: bsn, confidence: medium}}
      recipients: external
      unless: encrypted                              # S/MIME or PGP: left alone
      action: quarantine
      mode: monitor                                  # TODO: enforce, once the numbers are known
    - id: iban-external
      description: bank account number in plain text
      when: {{detector: iban, confidence: high}}
      recipients: external
      unless: encrypted
      action: quarantine
      mode: monitor
    # What could not be inspected is held for external recipients when these rules are not
    # written out; in a draft they only record, like the rules above.
    - id: unscannable-external
      description: content that could not be inspected (unscannable)
      when: {{detector: unscannable}}
      recipients: external
      unless: encrypted
      action: quarantine
      mode: monitor
    - id: truncated-external
      description: content that could not be inspected (truncated)
      when: {{detector: truncated}}
      recipients: external
      unless: encrypted
      action: quarantine
      mode: monitor

# ------------------------------------------------------------------------------------------------
# TODO, when ready (policies/example.yaml shows each with its explanation):
# - dns: switch on where the mail server can reach DNS: mail to an owned domain whose DNS no
#   longer looks like ours, and to domains that do not exist, is then refused.
#   dns:
#     timeout_ms: 800
#     budget_ms: 2000
#     on_failure: tempfail
#     refuse_nonexistent: true
# - notices: tell senders that an address is retired (notify_sender).
# - quarantine_notices: who hears of held mail (the officers' mailbox).
# - exceptions: accepted risks, with owner, reason, ticket and expiry date.
# Four eyes: 2 makes a second, different officer confirm every release from quarantine.
quarantine:
  release_requires: 1

# The end of the policy. Postwarden refuses a file without this line.
...
"""


def _owned_entry(owned: OwnedDraft) -> list[str]:
    lines = [f"  - domain: {owned.domain}    # from {owned.source}"]
    mx, ns = owned.mx, owned.ns
    if mx or ns:
        lines.append("    expect:")
        if mx:
            lines.append(f"      mx: {_hosts(mx)}")
        if ns:
            lines.append(f"      ns: {_hosts(ns)}")
    if not mx or not ns:
        missing = [kind for kind, hosts in (("MX", mx), ("NS", ns)) if not hosts]
        note = _comment(owned.note) if owned.note else "not looked up"
        lines.append(f"    # TODO: {' and '.join(missing)}: {note}. When known, write e.g.")
        if not mx and not ns:
            lines.append("    # expect:")
        if not mx:
            lines.append(f"    #   mx: [mx1.{owned.domain}]")
        if not ns:
            lines.append("    #   ns: [ns1.your-dns-provider.example]")
    return lines


def _log_sections(draft: Draft) -> list[str]:
    lines: list[str] = []
    if draft.partners:
        lines += [
            "  # Most-used external recipient domains in the mail log (messages delivered). Only",
            "  # partners whose domain looks like ours need an entry: those are marked. TODO:",
            "  # uncomment the real partners among the marked ones.",
            "  # allow:",
        ]
        width = max(len(p.domain) for p in draft.partners)
        for p in draft.partners:
            mark = f"  LOOKS LIKE OURS: {_comment(p.why)}" if p.why else ""
            lines.append(f"  #   - {p.domain:{width}}  # {p.count} sent{mark}")
    else:
        lines += ["  # allow: [partner-domain.nl]    # real partners that look like ours"]
    if draft.unresolved:
        lines += [
            "",
            "# Recipient domains in the mail log that do not resolve (typing errors, or domains",
            "# that lapsed). TODO: if one used to be ours, list it under retired_domains.",
        ]
        lines += [
            f"#   {f.domain}  ({f.count} deliveries; {_comment(f.why)})" for f in draft.unresolved
        ]
    if draft.lookalikes:
        lines += [
            "",
            "# Recipient domains in the mail log that look like ours: with this draft, mail to",
            "# them is held. TODO: a real partner goes under lookalikes.allow above.",
        ]
        lines += [
            f"#   {f.domain}  ({f.count} deliveries; {_comment(f.why)})" for f in draft.lookalikes
        ]
    return lines


def render(draft: Draft) -> str:
    """The draft policy as commented YAML text (see the module docstring)."""
    if not draft.owned:
        raise ValueError("a policy needs at least one owned domain")
    # One line, as the loader wants: an --org pasted with a line break still gives a draft.
    organisation = " ".join(draft.organisation.split())[:200] or draft.owned[0].domain
    title = f"Postwarden policy -- DRAFT for {_comment(organisation)}"
    sources = draft.sources or ("(no sources recorded)",)
    out = HEADER.format(
        organisation=_comment(organisation),
        rule="=" * len(title),
        created=draft.created.isoformat(),
        sources="\n".join(f"#   - {_comment(s)}" for s in sources),
        organisation_yaml=_quoted(organisation),
    )
    parameters = ", ".join(dict.fromkeys(o.source.split(" ")[0] for o in draft.owned))
    out += OWNED_HEAD.format(parameters=parameters)
    for owned in draft.owned:
        out += "\n".join(_owned_entry(owned)) + "\n"
    if draft.skipped:
        out += "# Not listed (not a domain the organisation holds):\n"
        out += "".join(f"#   {_comment(s)}\n" for s in draft.skipped)
    main = draft.owned[0].domain
    out += RETIRED.format(main=main)
    out += LOOKALIKES_HEAD.format(main_plain=main)
    out += "\n".join(_log_sections(draft)) + "\n"
    out += CONTENT.format(organisation_comment=_quoted(organisation))
    return out
