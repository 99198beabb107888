"""``postwarden init``: draft a policy from what this mail server knows.

Asks Postfix (``postconf -x -h``, with ``-c DIR`` for ``--postfix-config``) for mydestination,
virtual_alias_domains, virtual_mailbox_domains and relay_domains, with $myhostname and $mydomain
expanded by postconf itself; lists the left-hand sides of the hash/lmdb/btree/texthash/cdb
tables those name (``postmap -s``); asks DNS (the system's resolvers, or ``--nameserver``) for
each domain's MX and NS; with ``--from-log`` counts recipient domains in Postfix mail logs (plain
or gzip), checks the most used ones in DNS and against the lookalike index; then renders the draft
(milter.policy.draft) and checks it as ``postwarden policy check`` would before printing or
writing it. ``--offline`` asks DNS nothing.

Refuses: to overwrite ``--output FILE`` without ``--force``; a draft without any owned domain
(exit 2 with what postconf said, and the hint to pass ``--domain``); a draft that does not pass
the policy loader (an internal error: nothing is written, exit 2). Output names domains, host
names and counts only: never an address's local part or a line of the log.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import io
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from milter.core.address import parent_domains
from milter.policy.draft import (
    DOMAIN_PARAMETERS,
    LISTABLE_MAPS,
    Draft,
    LogCounts,
    LogFinding,
    OwnedDraft,
    candidate_domains,
    is_map_reference,
    parse_mail_log,
    render,
    split_postconf,
)

if TYPE_CHECKING:
    from milter.domains.dns import Resolver

POSTCONF = "postconf"
POSTMAP = "postmap"
DNS_TIMEOUT_MS = 2000
MAX_CHECKED_LOG_DOMAINS = 200  # recipient domains from a log looked up in DNS, most used first


class InitError(Exception):
    """init cannot draft a policy; the message says why and what to do."""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``init`` subcommand's options."""
    i = sub.add_parser(
        "init",
        help="draft a policy from this server's Postfix configuration, DNS and mail log",
        description="Print (or write) a commented draft policy: the domains Postfix receives "
        "mail for as owned domains with their current MX and NS as 'expect', places for "
        "retired domains, and the example's content rules in monitor mode. The draft passes "
        "'postwarden policy check'; read its TODOs before using it.",
    )
    i.add_argument("--output", metavar="FILE", help="write the draft here (default: stdout)")
    i.add_argument("--force", action="store_true", help="overwrite --output if it exists")
    i.add_argument("--org", metavar="NAME", help="organisation name (default: postconf mydomain)")
    i.add_argument(
        "--postfix-config", metavar="DIR", help="Postfix configuration directory (postconf -c)"
    )
    i.add_argument(
        "--domain",
        action="append",
        default=[],
        metavar="DOMAIN",
        help="also list this domain as owned (repeat for several)",
    )
    i.add_argument(
        "--from-log",
        action="append",
        default=[],
        metavar="FILE",
        help="a Postfix mail log (mail.log format, .gz too; repeat for rotated files): most "
        "used recipient domains become partner candidates",
    )
    i.add_argument(
        "--partners",
        type=int,
        default=20,
        metavar="N",
        help="how many of the most used external domains to list (default 20)",
    )
    i.add_argument("--offline", action="store_true", help="ask DNS nothing (MX/NS left as TODO)")
    i.add_argument(
        "--nameserver",
        action="append",
        default=[],
        metavar="HOST[:PORT]",
        help="ask this nameserver instead of the system's (repeat for several)",
    )


# ---------------------------------------------------------------------------------- Postfix


@dataclass(frozen=True)
class PostfixView:
    """What postconf said: each domain parameter's items, and the host and domain names."""

    items: dict[str, list[str]]
    hostname: str
    mydomain: str


def _run(argv: Sequence[str]) -> str:
    try:
        proc = subprocess.run(list(argv), capture_output=True, text=True, timeout=60, check=False)
    except FileNotFoundError:
        raise InitError(f"{argv[0]} not found: is Postfix installed? (or pass --domain)") from None
    except subprocess.TimeoutExpired:
        raise InitError(f"{argv[0]} did not finish within 60 s") from None
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.splitlines() if "fatal" in ln or "error" in ln]
        detail = (lines or proc.stderr.splitlines() or ["no output"])[-1][:300]
        raise InitError(f"{' '.join(argv[:3])} ... exited {proc.returncode}: {detail}")
    return proc.stdout


def read_postfix(config_dir: str | None) -> PostfixView:
    """The domain lists, $myhostname and $mydomain, expanded by postconf."""
    names = (*DOMAIN_PARAMETERS, "myhostname", "mydomain")
    config = ["-c", config_dir] if config_dir else []
    out = _run([POSTCONF, *config, "-x", "-h", *names]).splitlines()
    if len(out) != len(names):
        raise InitError(f"postconf printed {len(out)} values for {len(names)} parameters")
    values = dict(zip(names, out, strict=True))
    return PostfixView(
        {name: split_postconf(values[name]) for name in DOMAIN_PARAMETERS},
        values["myhostname"].strip(),
        values["mydomain"].strip(),
    )


def map_keys(reference: str, config_dir: str | None) -> list[str]:
    """Domains on the left-hand side of a Postfix table (``postmap -s``); for address keys
    (virtual_mailbox_maps: user@domain) the domain part."""
    config = ["-c", config_dir] if config_dir else []
    keys = []
    for line in _run([POSTMAP, *config, "-s", reference]).splitlines():
        key = line.split(maxsplit=1)[0] if line.strip() else ""
        if key and not key.startswith("#"):
            keys.append(key.rpartition("@")[2])
    return keys


def postfix_domains(
    view: PostfixView, config_dir: str | None
) -> tuple[list[tuple[str, str]], list[str]]:
    """[(domain, parameter it came from)] and the items skipped, with why."""
    found: list[tuple[str, str]] = []
    notes: list[str] = []
    for parameter, items in view.items.items():
        for item in items:
            if not is_map_reference(item):
                found.append((item, parameter))
                continue
            kind = item.partition(":")[0]
            if kind not in LISTABLE_MAPS:
                notes.append(
                    f"{item[:100]} in {parameter} (a {kind}: table is not read: list "
                    "its domains with --domain)"
                )
                continue
            try:
                found.extend(
                    (key, f"{parameter} ({item[:80]})") for key in map_keys(item, config_dir)
                )
            except InitError as err:
                notes.append(f"{item[:100]} in {parameter} (not read: {err})")
    return found, notes


# ---------------------------------------------------------------------------------- DNS


def _resolver(nameservers: Sequence[str]) -> Resolver:
    from milter.domains.dns import Resolver
    from milter.domains.model import DnsSettings

    settings = DnsSettings(
        nameservers=tuple(nameservers), timeout_ms=DNS_TIMEOUT_MS, budget_ms=3 * DNS_TIMEOUT_MS
    )
    return Resolver(settings)


def ask_owned(domain: str, source: str, resolver: Resolver) -> OwnedDraft:
    """The domain's live MX and NS hosts, or a note saying why there are none."""
    deadline = resolver.clock() + resolver.settings.budget_ms / 1000.0
    found: dict[str, tuple[str, ...] | None] = {}
    notes = []
    for rdtype in ("MX", "NS"):
        answer = resolver.lookup(domain, rdtype, deadline)
        hosts = tuple(h for h in answer.records if h != ".") if answer.status == "ok" else ()
        found[rdtype] = hosts or None
        if answer.status == "nxdomain":
            notes.append("the domain does not exist in DNS (lapsed? then it is not ours)")
            break
        if answer.is_trouble:
            notes.append(f"DNS did not answer for {rdtype} ({answer.error})")
        elif not hosts and rdtype == "MX":
            null = answer.status == "ok"
            notes.append("a null MX: the domain receives no mail" if null else "no MX record")
        elif not hosts:
            notes.append("no NS record at this name")
    return OwnedDraft(domain, source, found.get("MX"), found.get("NS"), "; ".join(notes) or None)


def check_log_domains(domains: Sequence[str], resolver: Resolver) -> dict[str, str]:
    """Domain -> why it does not resolve, for those among `domains` that do not."""
    from milter.domains.dns import check_domain

    def one(domain: str) -> tuple[str, str | None]:
        deadline = resolver.clock() + resolver.settings.budget_ms / 1000.0
        facts = check_domain(domain, None, resolver, deadline)
        if facts.state == "nxdomain":
            return domain, "does not exist in DNS"
        if facts.state == "no_mail_host":
            return domain, "no mail server in DNS"
        return domain, None

    with ThreadPoolExecutor(max_workers=8, thread_name_prefix="postwarden-init") as pool:
        return {d: why for d, why in pool.map(one, domains) if why}


# ---------------------------------------------------------------------------------- log


def _log_lines(path: str) -> Iterator[str]:
    with open(path, "rb") as raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
    opened = gzip.open(path, "rb") if gzipped else open(path, "rb")  # noqa: SIM115
    with opened as handle:
        yield from io.TextIOWrapper(handle, encoding="utf-8", errors="replace")


def read_logs(paths: Sequence[str]) -> LogCounts:
    """Every file's delivery lines counted together."""
    total = LogCounts()
    for path in paths:
        part = parse_mail_log(_log_lines(path))
        total.sent.update(part.sent)
        total.failed.update(part.failed)
        total.not_found.update(part.not_found)
        total.lines += part.lines
        total.unparsable += part.unparsable
    return total


def _is_ours(domain: str, owned: Sequence[str]) -> bool:
    names = set(owned)
    return any(p in names for p in parent_domains(domain))


def log_findings(
    counts: LogCounts,
    owned: Sequence[str],
    partners: int,
    resolver: Resolver | None,
) -> tuple[list[LogFinding], list[LogFinding], list[LogFinding]]:
    """(partner candidates, recipient domains that do not resolve, lookalikes of ours)."""
    from milter.domains.lookalike import LookalikeIndex

    index = LookalikeIndex(owned)
    external = [d for d in counts.domains() if not _is_ours(d, owned)]
    delivered = counts.sent + counts.failed
    looks: dict[str, str] = {}
    for domain in external:
        match = index.match(domain)
        if match is not None:
            looks[domain] = f"{match.owned} ({match.kind})"
    top = sorted((d for d in external if counts.sent[d]), key=lambda d: (-counts.sent[d], d))[
        :partners
    ]
    candidates = [LogFinding(d, counts.sent[d], looks.get(d, "")) for d in top]
    why = {d: f"Postfix: host or domain name not found ({n}x)" for d, n in counts.not_found.items()}
    if resolver is not None:
        why.update(check_log_domains(external[:MAX_CHECKED_LOG_DOMAINS], resolver))
    unresolved = [LogFinding(d, delivered[d], why[d]) for d in external if d in why]
    lookalikes = [LogFinding(d, delivered[d], looks[d]) for d in external if d in looks]
    return candidates, unresolved, lookalikes


# ---------------------------------------------------------------------------------- command


def build_draft(args: argparse.Namespace, today: dt.date) -> Draft:
    """Ask Postfix, DNS and the logs as the options say; the draft to render."""
    view = read_postfix(args.postfix_config)
    found, notes = postfix_domains(view, args.postfix_config)
    found += [(d, "--domain") for d in args.domain]
    owned_names, skipped = candidate_domains([d for d, _ in found], view.hostname)
    if not owned_names:
        listed = ", ".join(f"{k} = {', '.join(v) or '(empty)'}" for k, v in view.items.items())
        raise InitError(
            f"no domain this organisation could own in Postfix's configuration ({listed}); "
            "name them with --domain DOMAIN"
        )
    source = {}
    for item, parameter in found:
        for name in owned_names:
            if item.lower().rstrip(".") == name and name not in source:
                source[name] = parameter
    resolver = None if args.offline else _resolver(args.nameserver)
    sources = [
        f"postconf{' -c ' + args.postfix_config if args.postfix_config else ''}: "
        + ", ".join(DOMAIN_PARAMETERS)
    ]
    if resolver is None:
        owned = [
            OwnedDraft(d, source.get(d, "--domain"), note="DNS not asked (--offline)")
            for d in owned_names
        ]
        sources.append("no DNS (--offline)")
    else:
        # In parallel: a resolver that does not answer costs one budget, not one per domain.
        with ThreadPoolExecutor(max_workers=8, thread_name_prefix="postwarden-init") as pool:
            owned = list(
                pool.map(lambda d: ask_owned(d, source.get(d, "--domain"), resolver), owned_names)
            )
        servers = ", ".join(args.nameserver) or "the system's resolvers"
        sources.append(f"DNS: MX and NS of each domain, asked from {servers}")
    partners: list[LogFinding] = []
    unresolved: list[LogFinding] = []
    lookalikes: list[LogFinding] = []
    if args.from_log:
        counts = read_logs(args.from_log)
        partners, unresolved, lookalikes = log_findings(
            counts, owned_names, max(0, args.partners), resolver
        )
        names = ", ".join(os.path.basename(p) for p in args.from_log)
        sources.append(
            f"mail log {names}: {counts.lines} lines, {sum(counts.sent.values())} deliveries "
            f"sent, {sum(counts.failed.values())} deferred or bounced"
        )
    return Draft(
        organisation=args.org or view.mydomain or owned_names[0],
        owned=owned,
        created=today,
        sources=sources,
        skipped=[*skipped, *notes],
        partners=partners,
        unresolved=unresolved,
        lookalikes=lookalikes,
    )


def run_init(args: argparse.Namespace) -> int:
    """``postwarden init``; exit 0 with the draft, or 2 with why there is none."""
    from milter.policy import PolicyError, load_policy_text

    if args.output and os.path.exists(args.output) and not args.force:
        print(f"{args.output} exists; pass --force to overwrite it", file=sys.stderr)
        return 2
    try:
        draft = build_draft(args, dt.date.today())
    except InitError as err:
        print(f"postwarden init: {err}", file=sys.stderr)
        return 2
    text = render(draft)
    try:
        policy = load_policy_text(text, args.output or "<draft>")
    except PolicyError as exc:  # a bug in the draft: never hand out a policy that is refused
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        print(
            "postwarden init: internal error: the draft does not pass policy check; "
            "nothing written",
            file=sys.stderr,
        )
        return 2
    if not args.output:
        sys.stdout.write(text)
        return 0
    with open(args.output, "w" if args.force else "x", encoding="utf-8") as fh:
        fh.write(text)
    with_dns = sum(1 for o in draft.owned if o.mx or o.ns)
    print(
        f"{args.output}: draft for {policy.organisation}: {len(draft.owned)} owned domain(s), "
        f"{with_dns} with MX/NS from DNS, {len(draft.partners)} partner candidate(s). Read "
        f"its TODOs, then: postwarden policy check {args.output}",
        file=sys.stderr,
    )
    return 0
