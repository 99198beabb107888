"""Policy checks: the rules that look across fields, run once the whole tree has been walked.

The walker notes in ``Issues`` what these need (every listed domain, identifier, detector name,
must-be-owned address, ``notify_sender``); the checks add an issue at the later of two clashing
entries, pointing back at the first.

Refused here: a domain listed twice, both owned and retired, or inside another listed domain; a
rule id or pattern name used twice; a redirect target or notice sender outside the owned
domains; ``notify_sender`` without a ``notices`` section; a ``quarantine_notices`` section
without a ``notices`` section (its relay and from address), a content rule with ``alert: true``
without a ``quarantine_notices`` section (the officers' address), a rule's ``notify_sender``
on an action other than quarantine, a program listed twice under ``owners``; a condition
naming a detector that does not exist; DNS settings ``milter.domains.model.DnsSettings`` refuses.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from yaml.nodes import Node

from milter.core.address import is_within, parent_domains
from milter.domains.model import DnsSettings
from milter.policy.issues import DomainSeen, Issues, quote


def check_domains(issues: Issues) -> None:
    """Each domain may appear once: not twice, not owned and retired, not inside another.

    Reported at the later of the two entries, against the first earlier entry it overlaps. The
    domains are indexed by name and by every parent domain of theirs, so each entry costs a walk
    over its own labels, not a comparison with every other entry (100 000 retired domains).
    """
    seen = sorted(issues.domains, key=lambda d: (d.node.start_mark.line, d.node.start_mark.column))
    by_name: dict[str, int] = {}  # a domain -> index in `seen` of its first entry
    by_parent: dict[str, int] = {}  # a domain -> index of the first entry inside it
    for index, later in enumerate(seen):
        names = list(parent_domains(later.domain))
        candidates = [by_name.get(name) for name in names]  # equal to later, or later inside
        candidates.append(by_parent.get(later.domain))  # inside later
        first = min((c for c in candidates if c is not None), default=None)
        if first is not None:
            problem = _overlap(seen[first], later)
            if problem is not None:
                issues.at(later.node, *problem)
        by_name.setdefault(later.domain, index)
        for name in names[1:]:
            by_parent.setdefault(name, index)


def _overlap(earlier: DomainSeen, later: DomainSeen) -> tuple[str, str] | None:
    line = earlier.node.start_mark.line + 1
    written = "" if later.written == later.domain else f" (written {quote(later.written)})"
    if later.domain == earlier.domain:
        if later.role == earlier.role:
            return (
                f"domain '{later.domain}'{written} is listed twice (first at line {line})",
                "remove one of the two entries",
            )
        return (
            f"domain '{later.domain}'{written} is both owned and retired (line {line})",
            "a domain the organisation still holds is not retired; keep it in one list only",
        )
    if is_within(later.domain, earlier.domain):
        inner, outer = later, earlier
    elif is_within(earlier.domain, later.domain):
        inner, outer = earlier, later
    else:
        return None
    return (
        f"{inner.role} domain '{inner.domain}' lies inside {outer.role} domain '{outer.domain}'"
        f" (domains at lines {line} and {later.node.start_mark.line + 1} overlap)",
        "an entry covers its subdomains too; remove one of the two",
    )


def check_identifiers(issues: Issues) -> None:
    """Rule ids and pattern names are unique (they appear in metrics, audit and headers)."""
    first: dict[tuple[str, str], Node] = {}
    for kind, text, node in issues.identifiers:
        if (kind, text) in first:
            line = first[(kind, text)].start_mark.line + 1
            issues.at(
                node,
                f"{kind} {quote(text)} is used twice (first at line {line})",
                "every rule id and pattern name must be unique",
            )
        else:
            first[(kind, text)] = node


def check_cross_references(values: dict[str, Any], issues: Issues) -> None:
    """Addresses that must be ours are in owned domains; notices are configured when a domain
    asks for them."""
    owned = [o.domain for o in values.get("owned_domains") or ()]
    for address, domain, node in issues.owned_addresses:
        if not any(is_within(domain, o) for o in owned):
            issues.at(
                node,
                f"{address} is not in an owned domain",
                "redirects and notices must stay inside the organisation",
            )
    if values.get("notices") is None:
        for node in issues.notify_nodes:
            issues.at(
                node,
                "notify_sender needs a 'notices' section (from, relay, texts)",
                "add notices: at the top level, or set notify_sender: false",
            )

    if values.get("notices") is None:
        for node in issues.held_notice_nodes:
            issues.at(
                node,
                "quarantine_notices needs a 'notices' section (its from address and relay)",
                "add notices: at the top level",
            )
    for word, node in issues.condition_nodes:
        if word == "first_contact" and values.get("history") is None:
            issues.at(
                node,
                "first_contact needs a 'history' section (where the contact history is kept)",
                "add history: with store: at the top level",
            )
        if word.startswith("domain_") and values.get("rdap") is None:
            issues.at(
                node,
                f"{word} needs an 'rdap' section (the RDAP bootstrap file)",
                "add rdap: with bootstrap: at the top level",
            )
    if values.get("quarantine_notices") is None:
        for node in issues.alert_nodes:
            issues.at(
                node,
                "alert: true needs a 'quarantine_notices' section (the officers' address)",
                "add quarantine_notices: with officers: at the top level, or remove alert",
            )


def note_held_notices(values: dict[str, Any], node: Node, issues: Issues) -> bool:
    """A quarantine_notices section: each program once under owners; the cross-reference
    check wants a notices section."""
    issues.held_notice_nodes.append(node)
    seen: set[str] = set()
    for entry in values.get("owners") or ():
        if entry.program.lower() in seen:
            issues.at(
                node,
                f"owners: program {quote(entry.program)} is listed twice",
                "name one owner address per program",
            )
            return False
        seen.add(entry.program.lower())
    url, key = values.get("portal_url"), values.get("portal_key")
    if (url is None) != (key is None):
        issues.at(
            node,
            "portal_url and portal_key go together (the link and the key that signs it)",
            "add the other, or remove both",
        )
        return False
    if url is not None and not _portal_url_ok(url):
        issues.at(
            node,
            f"portal_url {quote(url)} must start with https:// (http:// only on a loopback "
            "address, for tests)",
        )
        return False
    if key is not None and not key.startswith("/"):
        issues.at(node, f"portal_key {quote(key)} must be an absolute path")
        return False
    return True


def _portal_url_ok(url: str) -> bool:
    if any(c.isspace() for c in url):
        return False
    if url.startswith("https://") and len(url) > len("https://"):
        return True
    return url.startswith(("http://127.0.0.1", "http://[::1]", "http://localhost"))


def note_rule_notices(values: dict[str, Any], node: Node, issues: Issues) -> bool:
    """A content rule's notice keys: notify_sender only where the rule holds mail; alert
    wants a quarantine_notices section (checked once the whole file is walked)."""
    holds = values.get("action") in ("quarantine", "delay")
    if values.get("notify_sender") is not None and not holds:
        issues.at(
            node,
            f"notify_sender applies to action: quarantine or delay only (this rule's action is "
            f"{values.get('action')})",
            "remove notify_sender from this rule",
        )
        return False
    if (values.get("action") == "delay") != (values.get("delay") is not None):
        if values.get("action") == "delay":
            issues.at(node, "action: delay needs a delay (the undo window)", "add delay: 10m")
        else:
            issues.at(
                node,
                f"delay applies to action: delay only (this rule's action is "
                f"{values.get('action')})",
                "remove delay from this rule, or write action: delay",
            )
        return False
    if values.get("alert"):
        issues.alert_nodes.append(node)
    return True


def note_notify(values: dict[str, Any], node: Node, issues: Issues) -> bool:
    """A retired domain with notify_sender: the cross-reference check wants a notices section."""
    if values.get("notify_sender"):
        issues.notify_nodes.append(node)
    return True


def check_dns(values: dict[str, Any], node: Node, issues: Issues) -> bool:
    """The dns section's values together make valid ``DnsSettings`` (e.g. budget >= timeout)."""
    try:
        DnsSettings(**values)
    except ValueError as exc:
        issues.at(node, f"dns: {exc}")
        return False
    return True


def check_detectors(known: Iterable[str], issues: Issues) -> None:
    """Every detector a condition names is one of ``known``."""
    known = set(known)
    for name, node in issues.detectors:
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"known: {', '.join(sorted(known))}"
            issues.at(node, f"unknown detector {quote(name)}", hint)


def check_history(values: dict[str, Any], node: Node, issues: Issues) -> bool:
    """The history section's files are absolute paths (a milter's working directory is no
    place for them)."""
    ok = True
    for key in ("store", "key_file"):
        path = values.get(key)
        if key == "store" and str(path).startswith(("redis://", "rediss://", "unix://")):
            continue  # a Redis store shared by several gateways
        if path is not None and not str(path).startswith("/"):
            issues.at(node, f"history: {key} must be an absolute path, got {quote(str(path))}")
            ok = False
    return ok


def check_rdap(values: dict[str, Any], node: Node, issues: Issues) -> bool:
    """The bootstrap file is an absolute path; the budget is not below one request's timeout."""
    ok = True
    path = str(values.get("bootstrap", "/"))
    if not path.startswith("/"):
        issues.at(node, f"rdap: bootstrap must be an absolute path, got {quote(path)}")
        ok = False
    if values.get("budget_ms", 4000) < values.get("timeout_ms", 2000):
        issues.at(node, "rdap: budget_ms is below timeout_ms")
        ok = False
    return ok
