"""domains.model -- the plain values of the domain checks: expectations, settings, facts.

SYNOPSIS
    Expectation(mx=('mx1.samen-veilig.nl', '*.mail.protection.outlook.com'), ns=(...))
    DnsSettings(nameservers=('127.0.0.1:5353',), timeout_ms=800, budget_ms=2000, ...)
    Answer            one DNS lookup's outcome (built by domains.dns)
    DomainFacts       what DNS said about one recipient domain (built by domains.dns.gather)
    LookalikeMatch    why a domain looks like an owned one (built by domains.lookalike)
    normalise_host_pattern(text) -> str      (raises ValueError)
    host_matches(host, pattern) -> bool
    parse_nameserver(text) -> (address, port) (raises ValueError)

DESCRIPTION
    Frozen values only, no I/O: the policy loader builds Expectation and DnsSettings, the
    resolver builds Answer and DomainFacts, and the pure engine reads them.

    Host patterns (expected MX and NS hosts) are host names in which '*' stands for any run
    of characters inside ONE label, never across a dot: '*.mail.protection.outlook.com'
    matches 'samenveilig-nl.mail.protection.outlook.com' but not
    'a.b.mail.protection.outlook.com' (write '*.*.mail.protection.outlook.com' for that), and
    'mx*.samen-veilig.nl' matches 'mx1.samen-veilig.nl' and 'mx.samen-veilig.nl'.  Matching is
    case-insensitive and ignores a trailing dot; internationalised names are compared in their
    A-label (xn--) form.  A label-bounded '*' keeps a foreign host such as
    'mx1.samen-veilig.nl.attacker.example' from matching 'mx1.samen-veilig.nl' or
    '*.samen-veilig.nl'.

    Nameservers are written 'HOST' or 'HOST:PORT' with an IPv4 or IPv6 literal; an IPv6
    address with a port is bracketed ('[::1]:53'), a bare IPv6 address is taken whole.

REFUSES (ValueError with a short reason that does not repeat the input)
    Patterns with an empty label, characters other than letters, digits, '-' and '*' (plus
    valid IDN labels), or longer than 253 octets; and a '*' that is not followed by a fixed
    registrable domain (Public Suffix List): '*.nl', '*.co.uk', '*.github.io', 'samen*.nl',
    'mx.*.example' would match hosts that anyone can own.  Nameservers that are not
    IP literals or whose port is not 1-65535.  DnsSettings with non-positive timeouts or
    concurrency, or a budget below the per-query timeout.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Literal

from milter.core.address import DomainError, normalise_domain
from milter.domains._suffix import registrable

__all__ = [
    "Answer",
    "AnswerStatus",
    "DnsSettings",
    "DomainFacts",
    "DomainState",
    "Expectation",
    "LookalikeMatch",
    "OnFailure",
    "host_matches",
    "normalise_host",
    "normalise_host_pattern",
    "parse_nameserver",
]

OnFailure = Literal["tempfail", "accept_and_flag"]

# One lookup's outcome.  'refused' and 'error' (network error, malformed reply, budget
# exhausted, no nameserver) are DNS trouble, like 'timeout' and 'servfail'.
AnswerStatus = Literal["ok", "nxdomain", "nodata", "timeout", "servfail", "refused", "error"]

# What DNS said about one domain:
#   ok            exists and, where the policy states what "ours" looks like, matches it
#   drift         an expected MX/NS condition fails: some live host is not ours
#   nxdomain      the name does not exist (for an owned or retired domain: it lapsed)
#   no_mail_host  exists but accepts no mail: null MX (RFC 7505), or no MX and no A/AAAA
#   error         DNS trouble (timeout, SERVFAIL, budget exhausted...): nothing is known
DomainState = Literal["ok", "drift", "nxdomain", "no_mail_host", "error"]

MAX_PATTERN_OCTETS = 253
_PATTERN_LABEL = re.compile(r"[a-z0-9*](?:[a-z0-9*-]*[a-z0-9*])?")

_P_EMPTY = "empty host pattern"
_P_LABEL = "empty label in host pattern"
_P_CHAR = "character not allowed in a host pattern"
_P_WILD_SUFFIX = "'*' must stay left of a registrable domain in a host pattern"
_P_LONG = "host pattern too long"


def normalise_host(name: str) -> str:
    """Lower-case `name` and drop one trailing dot; the root stays '.'.

    For host names that come out of DNS answers (dnspython already gives A-labels).
    """
    if name in ("", "."):
        return "."
    lowered = name.lower()
    return lowered[:-1] if lowered.endswith(".") else lowered


def normalise_host_pattern(text: str) -> str:
    """Return `text` as a normalised host pattern (see the module docstring).

    Raises ValueError with a short reason; fixed labels go through
    milter.core.address.normalise_domain, so IDN labels become A-labels.
    """
    if not isinstance(text, str) or not text or text == ".":
        raise ValueError(_P_EMPTY)
    body = text[:-1] if text.endswith(".") else text
    if len(body) > MAX_PATTERN_OCTETS:
        raise ValueError(_P_LONG)
    labels = body.split(".")
    if any(not label for label in labels):
        raise ValueError(_P_LABEL)
    out: list[str] = []
    for label in labels:
        if "*" not in label:
            try:
                out.append(normalise_domain(label))
            except DomainError:
                raise ValueError(_P_CHAR) from None
            continue
        lowered = label.lower()
        if not _PATTERN_LABEL.fullmatch(lowered):
            raise ValueError(_P_CHAR)
        out.append(lowered)
    wild = [i for i, label in enumerate(out) if "*" in label]
    if wild and registrable(".".join(out[wild[-1] + 1 :])) is None:
        raise ValueError(_P_WILD_SUFFIX)
    return ".".join(out)


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    parts: list[str] = []
    for label in pattern.split("."):
        if label == "*":
            parts.append(r"[^.]+")
        else:
            parts.append(r"[^.]*".join(re.escape(piece) for piece in label.split("*")))
    return re.compile(r"\.".join(parts))


def host_matches(host: str, pattern: str) -> bool:
    """True if `host` (any case, trailing dot allowed) matches normalised `pattern`."""
    name = normalise_host(host)
    if "*" not in pattern:
        return name == pattern
    return _pattern_regex(pattern).fullmatch(name) is not None


def parse_nameserver(text: str) -> tuple[str, int]:
    """Parse 'HOST', 'HOST:PORT', '[V6]:PORT' or a bare IPv6 literal to (address, port)."""
    if not isinstance(text, str) or not text:
        raise ValueError("empty nameserver")
    host, port_text = text, ""
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise ValueError("unbalanced brackets in nameserver")
        host, rest = text[1:end], text[end + 1 :]
        if rest:
            if not rest.startswith(":"):
                raise ValueError("nameserver: expected ':PORT' after ']'")
            port_text = rest[1:]
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError("nameserver must be an IPv4 or IPv6 address") from None
    if text.startswith("[") and address.version != 6:
        raise ValueError("brackets are for IPv6 nameservers")
    port = 53
    if port_text or text.endswith(":"):
        if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
            raise ValueError("nameserver port must be 1-65535")
        port = int(port_text)
    return str(address), port


@dataclass(frozen=True, slots=True)
class Expectation:
    """What "ours" looks like in DNS for one domain; empty = that record type is not checked.

    Every live MX host must match one of `mx`, and every NS host one of `ns`: a foreign host
    next to ours is drift, because mail (or the zone) may go there.  An expected host that is
    missing is not drift.  Patterns are normalised on construction (ValueError if invalid).
    """

    mx: tuple[str, ...] = ()
    ns: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "mx", tuple(normalise_host_pattern(p) for p in self.mx))
        object.__setattr__(self, "ns", tuple(normalise_host_pattern(p) for p in self.ns))


@dataclass(frozen=True, slots=True)
class DnsSettings:
    """How the resolver talks to DNS; the policy's `dns:` section.

    `timeout_ms` bounds one query to one nameserver, `budget_ms` all lookups for one message
    (and, in the watch job, for one domain).  Empty `nameservers` = those in resolv.conf.
    The resolver reads nameservers, timeout_ms, budget_ms and max_concurrency; `on_failure`
    (what DNS trouble means for the message) and `refuse_nonexistent` (whether unknown
    recipient domains are asked about at all, see ownership.questions_for) are the engine's.
    """

    nameservers: tuple[str, ...] = ()
    timeout_ms: int = 800
    budget_ms: int = 2000
    on_failure: OnFailure = "tempfail"
    refuse_nonexistent: bool = True
    max_concurrency: int = 8

    def __post_init__(self) -> None:
        if self.timeout_ms <= 0:
            raise ValueError("timeout_ms must be positive")
        if self.budget_ms < self.timeout_ms:
            raise ValueError("budget_ms must be at least timeout_ms")
        if self.max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        if self.on_failure not in ("tempfail", "accept_and_flag"):
            raise ValueError("on_failure must be tempfail or accept_and_flag")
        for server in self.nameservers:
            parse_nameserver(server)


@dataclass(frozen=True, slots=True)
class Answer:
    """One lookup: `records` are normalised host names for MX (by preference; the null MX
    is '.'), NS and CNAME targets, addresses for A/AAAA, the record text for anything else.
    `ttl` is how long it may be cached (0 = not cacheable)."""

    name: str
    rdtype: str
    status: AnswerStatus
    records: tuple[str, ...] = ()
    ttl: float = 0.0
    error: str | None = None  # 'timeout', 'SERVFAIL', 'REFUSED', 'budget exhausted', ...
    from_cache: bool = False

    @property
    def is_trouble(self) -> bool:
        """True when DNS could not say (timeout, SERVFAIL, REFUSED, other errors)."""
        return self.status not in ("ok", "nxdomain", "nodata")


@dataclass(frozen=True, slots=True)
class DomainFacts:
    """What DNS said about ONE recipient domain, gathered before the engine runs.

    `detail` is short human text safe to log and to show an officer (truncated DNS names, no
    secrets), e.g. 'MX mx.catchall-hoster.example not in expected mx1.samen-veilig.nl'.
    """

    domain: str
    state: DomainState
    mx: tuple[str, ...]
    ns: tuple[str, ...]
    detail: str
    error: str | None = None
    from_cache: bool = False
    expectation: Expectation | None = None


@dataclass(frozen=True, slots=True)
class LookalikeMatch:
    """`domain` looks like owned domain `owned`; `kind` says how ('hyphen', 'tld swap',
    'homoglyph', 'edit distance 1', 'dnstwist:bitsquatting', 'owned name in subdomain')."""

    domain: str
    owned: str
    kind: str
