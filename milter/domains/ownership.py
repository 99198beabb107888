"""domains.ownership -- compare what DNS says with what "ours" looks like (pure).

SYNOPSIS
    questions_for(recipient_domains, owned, retired=(), check_existence=True)
        -> dict[domain, Expectation | None]
    assess(domain, expectation, mx, implicit=(), ns=None) -> DomainFacts
    mismatched(hosts, patterns) -> tuple[str, ...]

DESCRIPTION
    questions_for decides which domains one message needs DNS for, so that nothing else is
    ever looked up.  A recipient in an owned domain that has an Expectation asks about that
    owned domain (the zone whose MX/NS tell whether it is still ours); a recipient in a
    subdomain of it also asks whether the subdomain exists (when check_existence).  Any other
    recipient domain asks only whether it exists, and only when check_existence.  Retired
    domains (and their subdomains) ask nothing: they are refused whatever DNS says.

    assess turns the answers for one domain into DomainFacts:
      - NXDOMAIN                                   -> nxdomain
      - DNS trouble on a lookup that was needed    -> error (error = 'timeout', 'SERVFAIL'...)
      - MX hosts: the live MX hosts; with no MX records but an A or AAAA record the domain
        itself is the mail host (RFC 5321 section 5.1 implicit MX); a null MX (RFC 7505,
        '0 .') or neither MX nor A/AAAA means no mail host.
      - expectation.mx set: every mail host must match an expected pattern, and a domain
        without a mail host is drift too (it no longer receives our mail) -> drift or ok
      - expectation.ns set: every NS host must match, no NS at the name is drift
      - no expectation (existence only): ok, or no_mail_host.

    Details name at most five hosts of a kind, each cut to 100 characters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet

from milter.core.address import parent_domains
from milter.domains.model import Answer, DomainFacts, Expectation, host_matches

__all__ = ["assess", "mismatched", "questions_for"]

_MAX_NAMES = 5
_MAX_NAME_CHARS = 100


def questions_for(
    recipient_domains: Iterable[str],
    owned: Mapping[str, Expectation | None],
    retired: Iterable[str] = (),
    *,
    check_existence: bool = True,
) -> dict[str, Expectation | None]:
    """The domains one message must look up, each with its expectation (None = existence).

    All domains are normalised A-labels.  Pass the keys as gather()'s `domains`.
    """
    retired_names = retired if isinstance(retired, AbstractSet) else frozenset(retired)
    questions: dict[str, Expectation | None] = {}
    for domain in recipient_domains:
        names = list(parent_domains(domain))  # the domain, then each parent: O(labels) lookups
        if any(name in retired_names for name in names):
            continue
        zone = next((name for name in names if name in owned), None)  # the most specific
        if zone is not None:
            expectation = owned[zone]
            if expectation is not None and (expectation.mx or expectation.ns):
                questions[zone] = expectation
                if domain != zone and check_existence:
                    questions.setdefault(domain, None)
                continue
        if check_existence:
            questions.setdefault(domain, None)
    return questions


def _names(hosts: Sequence[str]) -> str:
    shown = [h if len(h) <= _MAX_NAME_CHARS else h[:_MAX_NAME_CHARS] + "..." for h in hosts]
    text = ", ".join(shown[:_MAX_NAMES])
    if len(shown) > _MAX_NAMES:
        text += f" and {len(shown) - _MAX_NAMES} more"
    return text or "(none)"


def mismatched(hosts: Iterable[str], patterns: Sequence[str]) -> tuple[str, ...]:
    """The hosts that match none of `patterns`, in order, without duplicates."""
    out: list[str] = []
    for host in hosts:
        if host not in out and not any(host_matches(host, p) for p in patterns):
            out.append(host)
    return tuple(out)


def _trouble(domain: str, answer: Answer, expectation: Expectation | None) -> DomainFacts:
    error = answer.error or answer.status
    return DomainFacts(
        domain,
        "error",
        (),
        (),
        f"{answer.rdtype} lookup failed: {error}",
        error=error,
        from_cache=answer.from_cache,
        expectation=expectation,
    )


def assess(
    domain: str,
    expectation: Expectation | None,
    mx: Answer,
    implicit: Sequence[Answer] = (),
    ns: Answer | None = None,
) -> DomainFacts:
    """DomainFacts for `domain` from its MX answer, the A/AAAA answers asked when MX had no
    records (`implicit`), and the NS answer (when expectation.ns is set)."""
    answers = [mx, *implicit, *([ns] if ns is not None else [])]
    cached = all(a.from_cache for a in answers)
    if mx.status == "nxdomain":
        return DomainFacts(
            domain, "nxdomain", (), (), f"{domain} does not exist (NXDOMAIN)",
            from_cache=cached, expectation=expectation,
        )  # fmt: skip
    if mx.is_trouble:
        return _trouble(domain, mx, expectation)
    mail_hosts: tuple[str, ...] = tuple(h for h in mx.records if h != ".")
    null_mx = mx.status == "ok" and not mail_hosts
    if mx.status == "nodata":
        for answer in implicit:
            if answer.status == "nxdomain":
                return DomainFacts(
                    domain, "nxdomain", (), (), f"{domain} does not exist (NXDOMAIN)",
                    from_cache=cached, expectation=expectation,
                )  # fmt: skip
        if any(a.status == "ok" for a in implicit):
            mail_hosts = (domain,)
        elif any(a.is_trouble for a in implicit):
            return _trouble(domain, next(a for a in implicit if a.is_trouble), expectation)
    no_host_text = (
        "null MX (RFC 7505): accepts no mail" if null_mx else "no MX and no A/AAAA record"
    )

    ns_hosts: tuple[str, ...] = ()
    problems: list[str] = []
    if expectation is not None and expectation.mx:
        if not mail_hosts:
            problems.append(f"{no_host_text}; expected MX {_names(expectation.mx)}")
        else:
            foreign = mismatched(mail_hosts, expectation.mx)
            if foreign:
                label = "MX" if mx.status == "ok" else "no MX; implicit mail host"
                problems.append(
                    f"{label} {_names(foreign)} not in expected {_names(expectation.mx)}"
                )
    if expectation is not None and expectation.ns:
        if ns is None:
            raise ValueError("assess: expectation.ns is set but no NS answer was given")
        if ns.status == "nxdomain":
            return DomainFacts(
                domain, "nxdomain", mail_hosts, (), f"{domain} does not exist (NXDOMAIN)",
                from_cache=cached, expectation=expectation,
            )  # fmt: skip
        if ns.is_trouble:
            return _trouble(domain, ns, expectation)
        ns_hosts = ns.records
        if not ns_hosts:
            problems.append(f"no NS records at {domain}; expected NS {_names(expectation.ns)}")
        else:
            foreign = mismatched(ns_hosts, expectation.ns)
            if foreign:
                problems.append(f"NS {_names(foreign)} not in expected {_names(expectation.ns)}")
    elif ns is not None and ns.status == "ok":
        ns_hosts = ns.records

    if problems:
        return DomainFacts(
            domain, "drift", mail_hosts, ns_hosts, "; ".join(problems),
            from_cache=cached, expectation=expectation,
        )  # fmt: skip
    if not mail_hosts and (expectation is None or not expectation.mx):
        return DomainFacts(
            domain, "no_mail_host", (), ns_hosts, no_host_text,
            from_cache=cached, expectation=expectation,
        )  # fmt: skip
    if expectation is not None and (expectation.mx or expectation.ns):
        checked = " and ".join(k for k, v in (("MX", expectation.mx), ("NS", expectation.ns)) if v)
        detail = f"{checked} as expected"
    else:
        detail = f"mail host {_names(mail_hosts)}"
    return DomainFacts(
        domain, "ok", mail_hosts, ns_hosts, detail, from_cache=cached, expectation=expectation
    )
