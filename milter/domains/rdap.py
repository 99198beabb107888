"""domains.rdap -- when a recipient domain was registered and last changed, asked of RDAP.

A partner's domain that lapsed and was registered again by someone else looks like the partner
in every address book. RDAP (RFC 9083) tells when a domain was registered and last changed:
its ``events`` carry ``eventAction: registration`` and ``last changed`` with a date. This module
finds the registry's RDAP service from IANA's bootstrap file (RFC 9224 ``dns.json``, a local file
the policy names: no download at run time), asks it for the registrable domain (``GET
{service}domain/{name}``, ``Accept: application/rdap+json``), and hands the dates over as
``RdapFacts`` for the pure engine.

- Answers are cached per registrable domain for ``cache_ttl_s`` (a domain's registration does
  not change by the minute); failures are not cached, so the next message asks again.
- One message's questions share the policy's ``budget_ms``; each request has ``timeout_ms``.
- HTTPS only. A bootstrap may name ``http://`` only for a loopback host (127.0.0.0/8, ::1,
  localhost): that is for tests, which run a local RDAP server; a real registry is never asked
  in clear text.

Refuses (as ``state: error``, for the policy's ``on_failure``): a bootstrap file that cannot be
read or is not RFC 9224's shape, a TLD no service covers, a non-loopback ``http://`` service,
timeouts, HTTP errors, answers that are not JSON or have no registration event. A 404 is
``not_found``. Never raises to the caller.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

RdapState = Literal["ok", "not_found", "error"]
RdapOnFailure = Literal["tempfail", "accept_and_flag", "treat_as_new"]
MAX_RESPONSE_BYTES = 1 << 20  # a registry's answer is some kB; more is not an RDAP answer
MAX_BOOTSTRAP_BYTES = 4 << 20
RDAP_RESULTS = ("ok", "not_found", "error", "timeout", "cached")


@dataclass(frozen=True, slots=True)
class RdapSettings:
    """The policy's ``rdap`` section: the bootstrap file, time limits, cache and failure."""

    bootstrap: str
    timeout_ms: int = 2000
    budget_ms: int = 4000
    cache_ttl_s: int = 86400
    on_failure: RdapOnFailure = "tempfail"


@dataclass(frozen=True, slots=True)
class RdapFacts:
    """What RDAP says of one registrable domain; ``error`` is a short reason, never content."""

    domain: str
    state: RdapState
    registered: dt.date | None = None
    changed: dt.date | None = None
    error: str | None = None


@dataclass
class MessageRdap:
    """RDAP answers gathered for one message so far, and its budget's deadline."""

    answers: dict[str, RdapFacts] = field(default_factory=dict)
    deadline: float | None = None


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def load_bootstrap(path: str) -> dict[str, str]:
    """TLD -> service base URL (ending in '/') from an RFC 9224 ``dns.json``.

    Raises ValueError (naming the file) for a file that is not that shape, and for a
    service URL that is not https (or http on loopback)."""
    with open(path, "rb") as fh:
        data = fh.read(MAX_BOOTSTRAP_BYTES + 1)
    if len(data) > MAX_BOOTSTRAP_BYTES:
        raise ValueError(f"{path}: larger than {MAX_BOOTSTRAP_BYTES} bytes")
    try:
        doc = json.loads(data)
        services = doc["services"]
        table: dict[str, str] = {}
        for entry in services:
            tlds, urls = entry[0], entry[1]
            url = _usable_url(urls)
            if url is None:
                continue
            for tld in tlds:
                table.setdefault(str(tld).lower().strip("."), url)
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise ValueError(f"{path}: not an RDAP bootstrap file (RFC 9224): {exc}") from None
    return table


def _usable_url(urls: Iterable[Any]) -> str | None:
    """The first https URL, else an http one on loopback (tests); never http elsewhere."""
    https = [str(u) for u in urls if str(u).startswith("https://")]
    local = [
        str(u)
        for u in urls
        if str(u).startswith("http://")
        and is_loopback_host(urllib.parse.urlsplit(str(u)).hostname or "")
    ]
    chosen = (https or local)[:1]
    if not chosen:
        return None
    return chosen[0] if chosen[0].endswith("/") else chosen[0] + "/"


def parse_events(doc: Mapping[str, Any]) -> tuple[dt.date | None, dt.date | None]:
    """(registration date, last changed date) from an RDAP domain object's ``events``."""
    registered = changed = None
    for event in doc.get("events") or ():
        if not isinstance(event, dict):
            continue
        action = str(event.get("eventAction", "")).lower()
        when = _date(event.get("eventDate"))
        if when is None:
            continue
        if action == "registration":
            registered = when
        elif action == "last changed":
            changed = when
    return registered, changed


def _date(value: Any) -> dt.date | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


class RdapClient:
    """Asks RDAP services (found in the bootstrap file) and caches what they say.

    ``observer(result)`` is told each look-up's result (``RDAP_RESULTS``)."""

    def __init__(
        self,
        observer: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._observer = observer or (lambda _result: None)
        self.clock = clock
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, RdapFacts]] = {}
        self._bootstrap: tuple[str, float, dict[str, str]] | None = None

    def _services(self, path: str) -> dict[str, str]:
        stamp = os.stat(path).st_mtime
        with self._lock:
            if self._bootstrap is not None and self._bootstrap[:2] == (path, stamp):
                return self._bootstrap[2]
        table = load_bootstrap(path)
        with self._lock:
            self._bootstrap = (path, stamp, table)
        return table

    def lookup(self, domain: str, settings: RdapSettings, deadline: float) -> RdapFacts:
        """What RDAP says of registrable ``domain`` (cached); never raises."""
        now = self.clock()
        with self._lock:
            cached = self._cache.get(domain)
            if cached is not None and cached[0] > now:
                self._observer("cached")
                return cached[1]
        found, result = self._ask(domain, settings, deadline)
        self._observer(result)
        if found.state != "error":
            with self._lock:
                if len(self._cache) > 10_000:
                    self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
                self._cache[domain] = (now + settings.cache_ttl_s, found)
        return found

    def _ask(self, domain: str, settings: RdapSettings, deadline: float) -> tuple[RdapFacts, str]:
        try:
            services = self._services(settings.bootstrap)
        except (OSError, ValueError) as exc:
            return RdapFacts(domain, "error", error=f"bootstrap: {type(exc).__name__}"), "error"
        tld = domain.rpartition(".")[2]
        base = services.get(tld)
        if base is None:
            return RdapFacts(domain, "error", error=f"no RDAP service for .{tld}"), "error"
        left = min(settings.timeout_ms / 1000.0, deadline - self.clock())
        if left <= 0:
            return RdapFacts(domain, "error", error="time budget used up"), "timeout"
        url = f"{base}domain/{urllib.parse.quote(domain)}"
        request = urllib.request.Request(url, headers={"Accept": "application/rdap+json"})
        try:
            # The URL's scheme and host come from the bootstrap file, checked above.
            with urllib.request.urlopen(request, timeout=left) as resp:
                body = resp.read(MAX_RESPONSE_BYTES + 1)
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return RdapFacts(domain, "not_found", error="RDAP: no such domain"), "not_found"
            return RdapFacts(domain, "error", error=f"RDAP HTTP {exc.code}"), "error"
        except TimeoutError:
            return RdapFacts(domain, "error", error="RDAP timed out"), "timeout"
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError):
                return RdapFacts(domain, "error", error="RDAP timed out"), "timeout"
            return RdapFacts(
                domain, "error", error=f"RDAP unreachable ({type(reason).__name__})"
            ), "error"
        if len(body) > MAX_RESPONSE_BYTES:
            return RdapFacts(domain, "error", error="RDAP answer too large"), "error"
        try:
            doc = json.loads(body)
            if not isinstance(doc, dict):
                raise ValueError("not an object")
        except ValueError:
            return RdapFacts(domain, "error", error="RDAP answer is not JSON"), "error"
        registered, changed = parse_events(doc)
        if registered is None:
            return RdapFacts(domain, "error", error="RDAP answer has no registration"), "error"
        return RdapFacts(domain, "ok", registered, changed), "ok"

    def gather(
        self,
        settings: RdapSettings | None,
        domains: Iterable[str],
        state: MessageRdap,
    ) -> dict[str, RdapFacts] | None:
        """Answers for these registrable domains (added to ``state``); None without RDAP or
        without a domain to ask (nothing was asked: domain age conditions are then false)."""
        domains = list(domains)
        if settings is None or not (domains or state.answers):
            return None
        for domain in domains:
            if domain in state.answers:
                continue
            if state.deadline is None:
                state.deadline = self.clock() + settings.budget_ms / 1000.0
            state.answers[domain] = self.lookup(domain, settings, state.deadline)
        return state.answers
