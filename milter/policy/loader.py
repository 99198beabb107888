"""Policy loader: a YAML policy file -> a frozen ``Policy``, or every reason it is refused.

The file is composed into PyYAML's node tree (``SafeLoader``, so every node keeps its line and
column) and a small schema walker checks the tree against the field specs in ``_POLICY``. Nothing
is built from a file with a problem in it: ``load_policy`` returns a ``Policy`` or raises
``PolicyError`` carrying every issue found (up to ``MAX_ISSUES``), sorted by position, each as
``file:line:column: message (hint: ...)`` with 1-based line and column.

Refused: a file over ``MAX_POLICY_BYTES`` (1 MiB); bytes that are not UTF-8 or not printable;
YAML syntax errors; an empty file; more than one YAML document; a document that does not end with
the end marker ``...`` (a file cut short at a line break is otherwise valid YAML); anchors,
aliases and merge keys (``<<``); duplicate keys in any mapping (PyYAML would silently keep the
last); unknown keys; missing required keys; wrong types (including YAML 1.1 booleans such as
``yes`` where text is needed); dates that are not a real ``YYYY-MM-DD``; domains
``milter.address.normalise_domain`` refuses; a domain listed twice, both owned and retired, or
inside another listed domain; empty ``owned_domains``, or more than ``MAX_OWNED_DOMAINS`` (500) of
them; text that is blank, multi-line, longer than 200 characters or contains control or invisible
formatting characters; any ``version`` but the integer 1.

To add a section: add a ``_Map`` (or field) to the specs below and, if it needs one, a model class
in ``model.py``; the walker itself does not change.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from milter.address import (
    Address,
    DomainError,
    Malformed,
    is_within,
    normalise_domain,
    parent_domains,
    parse_address,
)
from milter.domains.model import normalise_host_pattern, parse_nameserver
from milter.policy.model import (
    AllOf,
    AnyOf,
    ContentPolicy,
    ContentRule,
    DetectorCondition,
    Lookalikes,
    Notices,
    OwnedDomain,
    Policy,
    ReplyText,
    RetiredDomain,
    RiskAcceptance,
)

__all__ = [
    "MAX_ISSUES",
    "MAX_OWNED_DOMAINS",
    "MAX_POLICY_BYTES",
    "PolicyError",
    "PolicyIssue",
    "load_policy",
    "load_policy_text",
    "summarise",
]

MAX_ISSUES = 50
# A policy is a hand-kept file: the example is 10 kB, 1 MiB holds some 6 000 retired domains
# written out in full. The pure-Python YAML composer (it keeps every line and column) gets through
# 150-250 kB of policy per CPU second, so the cap also bounds a reload: seconds, not minutes.
MAX_POLICY_BYTES = 1 << 20
# Loading indexes each owned domain's lookalikes (~20-40 ms, mostly dnstwist's permutations):
# 500 bounds a load, and so a reload, to some 10-20 s. Retired domains are set look-ups only.
MAX_OWNED_DOMAINS = 500
SUPPORTED_VERSION = 1
MAX_TEXT = 200

_TAG = "tag:yaml.org,2002:"
_STR, _INT, _BOOL, _NULL = _TAG + "str", _TAG + "int", _TAG + "bool", _TAG + "null"
_FLOAT, _TIMESTAMP, _MERGE = _TAG + "float", _TAG + "timestamp", _TAG + "merge"
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_BOOLEAN_WORDS_HINT = "YAML reads yes/no/on/off/true/false as booleans; put the text in quotes"


class _Mark(Protocol):
    """A PyYAML position (pure-Python or libyaml mark): 0-based line and column."""

    line: int
    column: int


# --------------------------------------------------------------------------------------------
# Public values


@dataclass(frozen=True, slots=True)
class PolicyIssue:
    """One reason a policy file was refused. ``line``/``column`` are 1-based; 0 means no position
    (the file could not be read at all)."""

    file: str
    line: int
    column: int
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        text = f"{where}: {self.message}"
        return f"{text} (hint: {self.hint})" if self.hint else text


class PolicyError(Exception):
    """A policy file was refused. ``issues`` holds every reason found, sorted by position;
    ``omitted`` counts those left out beyond ``MAX_ISSUES``."""

    def __init__(self, issues: Iterable[PolicyIssue], omitted: int = 0) -> None:
        self.issues: tuple[PolicyIssue, ...] = tuple(issues)
        self.omitted = omitted
        lines = [str(issue) for issue in self.issues]
        if omitted:
            lines.append(f"... and {omitted} more issue{'s' if omitted != 1 else ''}")
        super().__init__("\n".join(lines))


def load_policy(path: str | os.PathLike[str]) -> Policy:
    """Read and check the policy file at ``path``; raise ``PolicyError`` if it is refused."""
    source = os.fspath(path)
    try:
        with open(source, "rb") as handle:
            data = handle.read(MAX_POLICY_BYTES + 1)  # no more than the cap: it may be /dev/zero
            size = len(data)
            if size > MAX_POLICY_BYTES and os.path.isfile(source):
                size = max(size, os.fstat(handle.fileno()).st_size)
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise PolicyError(
            [PolicyIssue(source, 0, 0, f"cannot read policy file: {reason}")]
        ) from None
    if size > MAX_POLICY_BYTES:
        raise _too_large(source, size)
    return load_policy_text(data, source)


def load_policy_text(text: str | bytes, source: str = "<policy>") -> Policy:
    """Check policy ``text`` (bytes must be UTF-8) that came from ``source``; raise ``PolicyError``
    if it is refused. ``Policy.sha256`` is of the bytes (a ``str`` is hashed as UTF-8)."""
    data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    if len(data) > MAX_POLICY_BYTES:
        raise _too_large(source, len(data))
    sha256 = hashlib.sha256(data).hexdigest()
    issues = _Issues(source)
    root = _compose(text, issues)
    values = None if root is None else _walk(root, _POLICY, "policy", issues)
    _check_domains(issues)
    _check_identifiers(issues)
    content = None
    if isinstance(values, dict) and values.get("content") is not None:
        content = _content_policy(values["content"], issues)
    if isinstance(values, dict):
        _check_cross_references(values, issues)
    lookalikes = None
    if isinstance(values, dict) and values.get("lookalikes") is not None and not issues:
        lookalikes = _lookalikes(values)
    if issues or not isinstance(values, dict):
        raise issues.error()
    return Policy(
        version=values["version"],
        organisation=values["organisation"],
        owned_domains=values["owned_domains"],
        retired_domains=values["retired_domains"],
        source=source,
        sha256=sha256,
        content=content,
        notices=values.get("notices"),
        exceptions=values.get("exceptions") or (),
        release_requires=(values.get("quarantine") or {}).get("release_requires", 1),
        dns=_dns_settings(values.get("dns")),
        lookalikes=lookalikes,
    )


def _too_large(source: str, size: int) -> PolicyError:
    return PolicyError(
        [
            PolicyIssue(
                source,
                1,
                1,
                f"the policy file is {size} bytes, more than the limit of {MAX_POLICY_BYTES} "
                f"bytes ({MAX_POLICY_BYTES >> 20} MiB)",
                "a policy is a hand-kept file of some kB; is this the right file?",
            )
        ]
    )


def _dns_settings(values: dict[str, Any] | None) -> Any:
    from milter.domains.model import DnsSettings

    return None if values is None else DnsSettings(**values)


def _lookalikes(values: dict[str, Any]) -> Lookalikes:
    from milter.domains.lookalike import LookalikeIndex

    section = values["lookalikes"]
    allow = tuple(section.get("allow") or ())
    distance = section.get("max_distance", 2)
    owned = [o.domain for o in values["owned_domains"]]
    index = LookalikeIndex(owned, allow, distance)
    return Lookalikes(section["action"], allow, distance, index)


# --------------------------------------------------------------------------------------------
# Content section: known detectors, built-in rules for what cannot be read, the scanner


UNREADABLE_DETECTORS = ("unscannable", "truncated")


def _check_cross_references(values: dict[str, Any], issues: _Issues) -> None:
    """Addresses that must be ours are in owned domains; redirects have a target; notices
    are configured when a domain asks for them."""
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


def _check_retired(values: dict[str, Any], node: Node, issues: _Issues) -> bool:
    redirect = values.get("action") == "redirect"
    if redirect and values.get("redirect_to") is None:
        issues.at(
            node, "action redirect needs redirect_to", "e.g. redirect_to: oud-adres@samen-veilig.nl"
        )
        return False
    if not redirect and values.get("redirect_to") is not None:
        issues.at(node, "redirect_to is only used with action: redirect")
        return False
    if values.get("notify_sender"):
        issues.notify_nodes.append(node)
    return True


def _check_identifiers(issues: _Issues) -> None:
    """Rule ids and pattern names are unique (they appear in metrics, audit and headers)."""
    first: dict[tuple[str, str], Node] = {}
    for kind, text, node in issues.identifiers:
        if (kind, text) in first:
            line = first[(kind, text)].start_mark.line + 1
            issues.at(
                node,
                f"{kind} {_quote(text)} is used twice (first at line {line})",
                "every rule id and pattern name must be unique",
            )
        else:
            first[(kind, text)] = node


def _content_policy(values: dict[str, Any], issues: _Issues) -> ContentPolicy | None:
    from milter.content.config import (
        ALL_DETECTORS,
        CustomPattern,
        OcrSettings,
        ScanConfig,
        ScanLimits,
        compile_config,
    )

    custom = tuple(CustomPattern(**c) for c in values.get("custom_patterns") or ())
    known = (set(ALL_DETECTORS) - {"custom"}) | set(UNREADABLE_DETECTORS)
    known |= {f"custom:{c.name}" for c in custom}
    for name, node in issues.detectors:
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"known: {', '.join(sorted(known))}"
            issues.at(node, f"unknown detector {_quote(name)}", hint)
    rules: tuple[ContentRule, ...] = values["rules"]
    mentioned = {name for name, _ in issues.detectors}
    implicit = tuple(
        ContentRule(
            id=f"{name}-external",
            when=DetectorCondition(name),
            action="quarantine",
            recipients="external",
            unless_encrypted=True,
            description=f"content that could not be inspected ({name})",
        )
        for name in UNREADABLE_DETECTORS
        if name not in mentioned
    )
    kwargs: dict[str, Any] = {"custom": custom}
    if values.get("limits"):
        kwargs["limits"] = ScanLimits(**values["limits"])
    if values.get("case_keywords"):
        kwargs["case_keywords"] = values["case_keywords"]
    if values.get("ocr"):
        kwargs["ocr"] = OcrSettings(**values["ocr"])
    config = ScanConfig(**kwargs)
    if issues:
        return None
    return ContentPolicy(rules + implicit, config, compile_config(config))


def summarise(policy: Policy) -> str:
    """One line for logs and ``postwarden check``: organisation, counts and short sha256."""

    def count(n: int, what: str) -> str:
        return f"{n} {what}{'' if n == 1 else 's'}"

    return (
        f"policy OK: {policy.organisation}, {count(len(policy.owned_domains), 'owned domain')}, "
        f"{count(len(policy.retired_domains), 'retired domain')}, sha256 {policy.sha256[:12]}"
    )


# --------------------------------------------------------------------------------------------
# Field specs: what the policy file may contain. The walker below interprets them.


@dataclass(frozen=True)
class _Text:
    """Non-blank, printable text of at most ``max_len`` characters, one line unless
    ``multiline``."""

    max_len: int = MAX_TEXT
    multiline: bool = False


@dataclass(frozen=True)
class _Address:
    """A mail address (``role`` says what for); ``owned`` requires an owned domain."""

    role: str
    owned: bool = False


@dataclass(frozen=True)
class _SenderPattern:
    """A sender address or a pattern with '*' (e.g. *@samen-veilig.nl)."""


@dataclass(frozen=True)
class _HostPort:
    """host:port (an IP address or host name, and a port)."""


@dataclass(frozen=True)
class _HostPattern:
    """An expected MX/NS host name; '*' stands for part of one label (mx*.example.nl)."""


@dataclass(frozen=True)
class _Nameserver:
    """A nameserver: an IP address, optionally with :port ('127.0.0.1:53', '[::1]:53')."""


@dataclass(frozen=True)
class _Integer:
    """An integer; ``allowed`` (if given) lists the only values accepted; ``low``/``high``
    bound it."""

    allowed: tuple[int, ...] = ()
    low: int | None = None
    high: int | None = None


@dataclass(frozen=True)
class _Bool:
    """true or false (YAML 1.1 also reads yes/no/on/off)."""


@dataclass(frozen=True)
class _Identifier:
    """A rule or pattern id: lower-case letters, digits, '-' and '_' (it becomes a metric label)."""


@dataclass(frozen=True)
class _Pattern:
    """A regular expression for RE2 (linear time: no backreferences or lookaround)."""


@dataclass(frozen=True)
class _Condition:
    """A content condition: {detector: NAME, confidence: LEVEL, min_count: N}, {all: [...]}
    or {any: [...]}."""


@dataclass(frozen=True)
class _Date:
    """A calendar date written YYYY-MM-DD (quoted or not)."""


@dataclass(frozen=True)
class _Domain:
    """A domain name, normalised by ``normalise_domain``; ``role`` names its list in messages."""

    role: str


@dataclass(frozen=True)
class _Choice:
    """One word out of ``values``; those in ``later`` are known but not supported yet."""

    values: tuple[str, ...]
    later: tuple[str, ...] = ()


@dataclass(frozen=True)
class _List:
    """A YAML list of ``item``s with at least ``min_items`` and at most ``max_items`` entries."""

    item: _Spec
    min_items: int = 0
    hint: str | None = None  # shown when the value is not a list at all
    max_items: int | None = None
    max_hint: str | None = None  # shown with the entry past max_items


@dataclass(frozen=True)
class _Field:
    spec: _Spec
    required: bool = True


@dataclass(frozen=True)
class _Map:
    """A mapping with exactly these keys. ``build`` turns the checked values into a model value;
    ``later`` names keys that a later Postwarden version will accept."""

    fields: Mapping[str, _Field]
    build: Callable[[dict[str, Any]], Any] = dict
    later: tuple[str, ...] = ()
    check: Callable[[dict[str, Any], Node, _Issues], bool] | None = None  # cross-field rules


_Spec = (
    _Text
    | _Integer
    | _Bool
    | _Identifier
    | _Pattern
    | _Condition
    | _Date
    | _Domain
    | _Choice
    | _List
    | _Map
    | _Address
    | _SenderPattern
    | _HostPort
    | _HostPattern
    | _Nameserver
)

_REPLY = _Map(
    {"nl": _Field(_Text()), "en": _Field(_Text())},
    build=lambda v: ReplyText(**v),
)
_EXPECT = _Map(
    {
        "mx": _Field(_List(_HostPattern()), required=False),
        "ns": _Field(_List(_HostPattern()), required=False),
    },
    build=lambda v: _expectation(v),
)
_OWNED = _Map(
    {"domain": _Field(_Domain("owned")), "expect": _Field(_EXPECT, required=False)},
    build=lambda v: OwnedDomain(**v),
)
_RETIRED = _Map(
    {
        "domain": _Field(_Domain("retired")),
        "retired_since": _Field(_Date()),
        "owner": _Field(_Text()),
        "action": _Field(_Choice(("refuse", "redirect")), required=False),
        "redirect_to": _Field(_Address("redirect target", owned=True), required=False),
        "notify_sender": _Field(_Bool(), required=False),
        "expect": _Field(_EXPECT, required=False),
        "reply": _Field(_REPLY),
    },
    build=lambda v: RetiredDomain(**v),
    check=lambda v, node, issues: _check_retired(v, node, issues),
)
_TEMPLATE = _Map(
    {
        "nl": _Field(_Text(max_len=2000, multiline=True)),
        "en": _Field(_Text(max_len=2000, multiline=True)),
    },
    build=lambda v: ReplyText(**v),
)
_NOTICES = _Map(
    {
        "from": _Field(_Address("notice sender", owned=True)),
        "relay": _Field(_HostPort()),
        "per_day": _Field(_Integer(low=1, high=100), required=False),
        "subject": _Field(_REPLY),
        "body": _Field(_TEMPLATE),
    },
    build=lambda v: Notices(from_address=v.pop("from"), **v),
)
_EXCEPTION = _Map(
    {
        "sender": _Field(_SenderPattern()),
        "rule": _Field(_Identifier()),
        "to_domain": _Field(_Domain("exception")),
        "owner": _Field(_Text()),
        "reason": _Field(_Text()),
        "ticket": _Field(_Text(max_len=80)),
        "expires": _Field(_Date()),
    },
    build=lambda v: RiskAcceptance(**v),
)
_DETECTOR = _Map(
    {
        "detector": _Field(_Text(max_len=80)),
        "confidence": _Field(_Choice(("low", "medium", "high")), required=False),
        "min_count": _Field(_Integer(low=1, high=100000), required=False),
    },
    build=lambda v: DetectorCondition(**v),
)
_CONTENT_RULE = _Map(
    {
        "id": _Field(_Identifier()),
        "description": _Field(_Text(), required=False),
        "when": _Field(_Condition()),
        "recipients": _Field(_Choice(("external", "internal", "any")), required=False),
        "unless": _Field(_Choice(("encrypted",)), required=False),
        "action": _Field(_Choice(("flag", "route_secure", "quarantine", "reject"))),
        "mode": _Field(_Choice(("enforce", "monitor")), required=False),
    },
    build=lambda v: ContentRule(unless_encrypted=v.pop("unless", None) == "encrypted", **v),
)
_LIMITS = _Map(
    {
        name: _Field(_Integer(low=1, high=high), required=False)
        for name, high in (
            ("max_total_bytes", 2**31),
            ("max_parts", 100000),
            ("max_depth", 100),
            ("max_decompressed_bytes", 2**33),
            ("max_attachment_bytes", 2**31),
            ("max_message_bytes", 2**33),
        )
    },
)
_OCR = _Map(
    {
        "enabled": _Field(_Bool(), required=False),
        "max_image_pixels": _Field(_Integer(low=1_000_000, high=200_000_000), required=False),
        "max_images": _Field(_Integer(low=1, high=100), required=False),
        "max_pages": _Field(_Integer(low=1, high=100), required=False),
        # Inside the milter's per-event budget (25 s), with room for the rest of the scan.
        "time_budget_ms": _Field(_Integer(low=100, high=20_000), required=False),
        "inline_images": _Field(_Bool(), required=False),
    },
)
_CUSTOM = _Map(
    {
        "name": _Field(_Identifier()),
        "pattern": _Field(_Pattern()),
        "confidence": _Field(_Choice(("low", "medium", "high")), required=False),
    },
)
_CONTENT = _Map(
    {
        "limits": _Field(_LIMITS, required=False),
        "case_keywords": _Field(_List(_Text(max_len=80), min_items=1), required=False),
        "custom_patterns": _Field(_List(_CUSTOM), required=False),
        "ocr": _Field(_OCR, required=False),
        "rules": _Field(_List(_CONTENT_RULE)),
    },
)
_DNS = _Map(
    {
        "nameservers": _Field(_List(_Nameserver()), required=False),
        "timeout_ms": _Field(_Integer(low=10, high=60000), required=False),
        "budget_ms": _Field(_Integer(low=10, high=300000), required=False),
        "on_failure": _Field(_Choice(("tempfail", "accept_and_flag")), required=False),
        "refuse_nonexistent": _Field(_Bool(), required=False),
        "max_concurrency": _Field(_Integer(low=1, high=64), required=False),
    },
    check=lambda v, node, issues: _check_dns(v, node, issues),
)
_LOOKALIKES = _Map(
    {
        "action": _Field(_Choice(("flag", "quarantine", "reject"))),
        "allow": _Field(_List(_Domain("allowed lookalike")), required=False),
        "max_distance": _Field(_Integer(low=1, high=3), required=False),
    },
)
_QUARANTINE = _Map(
    {"release_requires": _Field(_Integer(allowed=(1, 2)))},
)
_POLICY = _Map(
    {
        "version": _Field(_Integer(allowed=(SUPPORTED_VERSION,))),
        "organisation": _Field(_Text()),
        "owned_domains": _Field(
            _List(
                _OWNED,
                min_items=1,
                hint="write one '- domain: example.nl' line per domain",
                max_items=MAX_OWNED_DOMAINS,
                max_hint="each owned domain is indexed for lookalikes when the policy loads "
                "(tens of milliseconds each); list the domains your organisation sends from",
            )
        ),
        "retired_domains": _Field(
            _List(_RETIRED, hint="write 'retired_domains: []' if there are none")
        ),
        "content": _Field(_CONTENT, required=False),
        "notices": _Field(_NOTICES, required=False),
        "exceptions": _Field(_List(_EXCEPTION), required=False),
        "dns": _Field(_DNS, required=False),
        "lookalikes": _Field(_LOOKALIKES, required=False),
        "quarantine": _Field(_QUARANTINE, required=False),
    },
)


# --------------------------------------------------------------------------------------------
# Collecting issues


@dataclass(frozen=True)
class _DomainSeen:
    domain: str
    written: str
    role: str
    node: Node


@dataclass
class _Issues:
    source: str
    found: set[PolicyIssue] = field(default_factory=set)
    domains: list[_DomainSeen] = field(default_factory=list)
    detectors: list[tuple[str, Node]] = field(default_factory=list)
    identifiers: list[tuple[str, str, Node]] = field(default_factory=list)
    owned_addresses: list[tuple[str, str, Node]] = field(default_factory=list)
    notify_nodes: list[Node] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.found)

    def add(self, line: int, column: int, message: str, hint: str | None = None) -> None:
        self.found.add(PolicyIssue(self.source, line, column, message, hint))

    def at(self, node: Node, message: str, hint: str | None = None) -> None:
        self.at_mark(node.start_mark, message, hint)

    def at_mark(self, mark: _Mark | None, message: str, hint: str | None = None) -> None:
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        self.add(line, column, message, hint)

    def error(self) -> PolicyError:
        ordered = sorted(self.found, key=lambda i: (i.line, i.column, i.message, i.hint or ""))
        return PolicyError(ordered[:MAX_ISSUES], omitted=max(0, len(ordered) - MAX_ISSUES))


# --------------------------------------------------------------------------------------------
# Bytes -> node tree


class _PlainLoader(yaml.SafeLoader):
    """SafeLoader that notes every anchor and alias: policy files stay plain, one value per key."""

    def __init__(self, stream: str, issues: _Issues) -> None:
        self.plain_issues = issues
        self.plain_end: yaml.DocumentEndEvent | None = None
        super().__init__(stream)

    def compose_document(self) -> Node | None:
        """Composer.compose_document, keeping the document's end event: was '...' written?"""
        self.get_event()  # type: ignore[no-untyped-call]  # DocumentStartEvent
        node = self.compose_node(None, None)
        self.plain_end = self.get_event()  # type: ignore[no-untyped-call]
        self.anchors = {}
        return node

    def compose_node(self, parent: Node | None, index: int | None) -> Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]  # unannotated in the stubs
        if isinstance(event, yaml.AliasEvent):
            self.plain_issues.at_mark(
                event.start_mark,
                f"alias '*{event.anchor}' is not allowed",
                "write the value out in full; policy files use no anchors or aliases",
            )
        elif isinstance(event, yaml.NodeEvent) and event.anchor is not None:
            self.plain_issues.at_mark(
                event.start_mark,
                f"anchor '&{event.anchor}' is not allowed",
                "write the value out in full; policy files use no anchors or aliases",
            )
        return super().compose_node(parent, index)  # type: ignore[arg-type]  # None for the root


def _compose(text: str | bytes, issues: _Issues) -> Node | None:
    """The single document's root node, or None with the reason added to ``issues``."""
    if isinstance(text, bytes):
        data = text
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line, column = _position(data[: exc.start].decode("utf-8", "replace"), None)
            issues.add(
                line,
                column,
                f"the file is not valid UTF-8 (byte 0x{data[exc.start]:02x})",
                "save the policy as UTF-8 text; is this the right file?",
            )
            return None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        issues.add(1, 1, "the policy file is empty", "start from policies/example.yaml")
        return None
    try:
        loader = _PlainLoader(text, issues)
    except yaml.reader.ReaderError as exc:
        line, column = _position(text, exc.position)
        issues.add(
            line,
            column,
            f"the file contains a non-printable character (U+{exc.character:04X})",
            "policy files are plain UTF-8 text; is this the right file?",
        )
        return None
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        _syntax_error(exc, issues)
        return None
    finally:
        loader.dispose()
    if root is None or (isinstance(root, ScalarNode) and root.tag == _NULL and not root.value):
        issues.add(1, 1, "the policy file is empty", "start from policies/example.yaml")
        return None
    end = loader.plain_end
    if end is None or not end.explicit:
        # A file cut short at a line break between two sections is still valid YAML, and would
        # load without the sections after the cut. The end marker is the proof it is complete.
        issues.at_mark(
            None if end is None else end.start_mark,
            "the policy does not end with '...': the file may be cut short",
            "a policy's last line is '...' (three dots; only comments may follow); check that "
            "the whole file was copied, then add it",
        )
    return root


def _syntax_error(exc: yaml.MarkedYAMLError, issues: _Issues) -> None:
    if isinstance(exc, yaml.composer.ComposerError) and exc.problem == "but found another document":
        issues.at_mark(
            exc.problem_mark,
            "only one YAML document is allowed, found a second one",
            "remove this '---' line and what follows, or merge the documents",
        )
        return
    mark = exc.problem_mark or exc.context_mark
    hint = None
    if exc.context and exc.context_mark is not None and exc.context_mark is not mark:
        cm = exc.context_mark
        hint = f"{exc.context} at line {cm.line + 1}, column {cm.column + 1}"
    elif exc.context:
        hint = exc.context
    issues.at_mark(
        mark, f"YAML syntax error: {exc.problem or exc.context or 'malformed YAML'}", hint
    )


def _position(text: str, index: int | None) -> tuple[int, int]:
    """1-based line and column of ``text[index]`` (of the end of ``text`` if index is None)."""
    before = text if index is None else text[:index]
    return before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1


# --------------------------------------------------------------------------------------------
# The walker: node tree + spec -> checked value, or None (and issues) if anything is wrong


def _walk(node: Node, spec: _Spec, name: str, issues: _Issues) -> Any:
    if isinstance(spec, _Map):
        return _walk_map(node, spec, name, issues)
    if isinstance(spec, _List):
        return _walk_list(node, spec, name, issues)
    if isinstance(spec, _Integer):
        return _walk_integer(node, spec, name, issues)
    if isinstance(spec, _Date):
        return _walk_date(node, name, issues)
    if isinstance(spec, _Bool):
        return _walk_bool(node, name, issues)
    if isinstance(spec, _Condition):
        return _walk_condition(node, name, issues)
    text = _expect_text(node, name, issues)
    if text is None:
        return None
    if isinstance(spec, _Domain):
        return _check_domain(node, text, spec, name, issues)
    if isinstance(spec, _Choice):
        return _check_choice(node, text, spec, name, issues)
    if isinstance(spec, _Identifier):
        return _check_identifier(node, text, name, issues)
    if isinstance(spec, _Pattern):
        return _check_pattern(node, text, name, issues)
    if isinstance(spec, _Address):
        return _check_address(node, text, spec, name, issues)
    if isinstance(spec, _SenderPattern):
        return _check_sender_pattern(node, text, name, issues)
    if isinstance(spec, _HostPort):
        return _check_host_port(node, text, name, issues)
    if isinstance(spec, _HostPattern):
        return _check_with(node, text, name, issues, normalise_host_pattern, "host name")
    if isinstance(spec, _Nameserver):
        return _check_with(node, text, name, issues, _nameserver, "nameserver")
    return _check_text(node, text, spec, name, issues)


def _walk_map(node: Node, spec: _Map, name: str, issues: _Issues) -> Any:
    if not isinstance(node, MappingNode):
        issues.at(node, f"{name}: expected a mapping (key: value lines), got {_kind(node)}")
        return None
    values: dict[str, Any] = {}
    seen: dict[str, Node] = {}
    ok = True
    allowed = list(spec.fields)
    for key_node, value_node in node.value:
        if key_node.tag == _MERGE:
            issues.at(key_node, "merge keys ('<<') are not allowed", "write every key out in full")
            ok = False
            continue
        if not isinstance(key_node, ScalarNode):
            issues.at(key_node, f"{name}: keys must be plain words, got {_kind(key_node)}")
            ok = False
            continue
        key = str(key_node.value)
        if key in seen:
            _duplicate_key(key_node, seen[key], issues)
            ok = False
            continue
        seen[key] = key_node
        if key not in spec.fields or key_node.tag != _STR:
            _unknown_key(key_node, key, spec, allowed, issues)
            ok = False
            continue
        value = _walk(value_node, spec.fields[key].spec, key, issues)
        if value is None:
            ok = False
        values[key] = value
    required = [key for key, fld in spec.fields.items() if fld.required]
    missing = [key for key in required if key not in seen]
    if missing:
        where = "the policy" if name == "policy" else name
        keys = "key" if len(missing) == 1 else "keys"
        issues.at(
            node,
            f"{where} is missing required {keys} {', '.join(map(repr, missing))}",
            f"required here: {', '.join(required)}",
        )
        ok = False
    if not ok or (spec.check is not None and not spec.check(values, node, issues)):
        return None
    return spec.build(values)


def _duplicate_key(repeat: Node, first: Node, issues: _Issues) -> None:
    issues.at(
        repeat,
        f"duplicate key {_quote(str(repeat.value))} (first at line {first.start_mark.line + 1})",
        "YAML would silently keep only the last one; remove one of them",
    )


def _unknown_key(node: Node, key: str, spec: _Map, allowed: list[str], issues: _Issues) -> None:
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"allowed keys here: {', '.join(allowed)}"
    message = f"unknown key '{key}'"
    if key in spec.later:
        message += ": not supported by this Postwarden version yet"
    issues.at(node, message, hint)


def _walk_list(node: Node, spec: _List, name: str, issues: _Issues) -> Any:
    if not isinstance(node, SequenceNode):
        issues.at(node, f"{name}: expected a list, got {_kind(node)}", spec.hint)
        return None
    if len(node.value) < spec.min_items:
        issues.at(
            node,
            f"{name}: needs at least {spec.min_items} entr{'y' if spec.min_items == 1 else 'ies'}",
        )
        return None
    if spec.max_items is not None and len(node.value) > spec.max_items:
        issues.at(
            node.value[spec.max_items],
            f"{name}: at most {spec.max_items} entries; this is entry {spec.max_items + 1} "
            f"of {len(node.value)}",
            spec.max_hint,
        )
        return None
    items = [_walk(item, spec.item, f"{name} entry", issues) for item in node.value]
    return None if any(item is None for item in items) else tuple(items)


def _walk_integer(node: Node, spec: _Integer, name: str, issues: _Issues) -> Any:
    if not (isinstance(node, ScalarNode) and node.tag == _INT):
        hint = f"write {name}: 1 without quotes" if node.tag == _STR else None
        issues.at(node, f"{name}: expected an integer, got {_kind(node)}", hint)
        return None
    number = SafeConstructor().construct_yaml_int(node)
    if (spec.low is not None and number < spec.low) or (
        spec.high is not None and number > spec.high
    ):
        issues.at(node, f"{name}: {number} is out of range ({spec.low} to {spec.high})")
        return None
    if spec.allowed and number not in spec.allowed:
        if name == "version":
            issues.at(
                node,
                f"unsupported policy version {number}",
                f"this Postwarden reads version {', '.join(map(str, spec.allowed))}",
            )
        else:
            issues.at(node, f"{name}: {number} is not allowed")
        return None
    return number


def _walk_bool(node: Node, name: str, issues: _Issues) -> Any:
    if not (isinstance(node, ScalarNode) and node.tag == _BOOL):
        issues.at(node, f"{name}: expected true or false, got {_kind(node)}")
        return None
    return SafeConstructor().construct_yaml_bool(node)


_CONDITION_KEYS = ("detector", "all", "any")


def _walk_condition(node: Node, name: str, issues: _Issues) -> Any:
    """{detector: ...} or {all: [conditions]} or {any: [conditions]}, nested freely."""
    hint = "write {detector: bsn, confidence: high}, {all: [...]} or {any: [...]}"
    if not isinstance(node, MappingNode):
        issues.at(node, f"{name}: expected a condition, got {_kind(node)}", hint)
        return None
    keys = [str(k.value) for k, _ in node.value if isinstance(k, ScalarNode)]
    first: dict[str, Node] = {}
    repeated = False
    for key_node, _ in node.value:
        if isinstance(key_node, ScalarNode) and str(key_node.value) in first:
            _duplicate_key(key_node, first[str(key_node.value)], issues)
            repeated = True
        elif isinstance(key_node, ScalarNode):
            first[str(key_node.value)] = key_node
    if repeated:  # reported at the repeat, like any other duplicate key
        return None
    if keys in (["all"], ["any"]):
        items = node.value[0][1]
        if not isinstance(items, SequenceNode) or not items.value:
            issues.at(items, f"{keys[0]}: expected a non-empty list of conditions", hint)
            return None
        parts = [_walk_condition(item, keys[0], issues) for item in items.value]
        if any(part is None for part in parts):
            return None
        return (AllOf if keys == ["all"] else AnyOf)(tuple(parts))
    if "all" in keys or "any" in keys:
        issues.at(node, f"{name}: 'all' or 'any' must stand alone in its condition", hint)
        return None
    cond = _walk_map(node, _DETECTOR, name, issues)
    if cond is not None:
        issues.detectors.append((cond.detector, node))
    return cond


def _walk_date(node: Node, name: str, issues: _Issues) -> Any:
    if not (isinstance(node, ScalarNode) and node.tag in (_TIMESTAMP, _STR)):
        issues.at(node, f"{name}: expected a date (YYYY-MM-DD), got {_kind(node)}")
        return None
    written = str(node.value)
    if not _ISO_DATE.fullmatch(written):
        got = "a date and time" if node.tag == _TIMESTAMP else _quote(written)
        issues.at(node, f"{name}: expected a date written YYYY-MM-DD, got {got}", "e.g. 2017-12-31")
        return None
    try:
        return dt.date.fromisoformat(written)
    except ValueError as exc:
        issues.at(node, f"{name}: {written} is not a real date ({exc})")
        return None


def _expect_text(node: Node, name: str, issues: _Issues) -> str | None:
    if isinstance(node, ScalarNode) and node.tag == _STR:
        return str(node.value)
    hint = None
    if isinstance(node, ScalarNode) and node.tag == _BOOL:
        hint = f'{_BOOLEAN_WORDS_HINT}: "{node.value}"'
    elif isinstance(node, ScalarNode) and node.tag != _NULL:
        hint = f'put it in quotes: "{node.value}"'
    issues.at(node, f"{name}: expected text, got {_kind(node)}", hint)
    return None


def _check_text(node: Node, text: str, spec: _Text, name: str, issues: _Issues) -> str | None:
    checked = text.replace("\n", " ") if spec.multiline else text
    problem = _text_problem(checked, spec.max_len)
    if problem is not None:
        issues.at(node, f"{name}: {problem}")
        return None
    return text


def _text_problem(text: str, max_len: int) -> str | None:
    if not text.strip():
        return "must not be empty"
    if "\n" in text or "\r" in text or "\u2028" in text or "\u2029" in text:
        return "must be a single line"
    if len(text) > max_len:
        return f"is {len(text)} characters long, at most {max_len} allowed"
    for char in text:
        # Control characters, invisible formatting (bidi overrides, zero-width), unassigned and
        # private-use code points have no place in a reply or a name an officer reads.
        if unicodedata.category(char).startswith("C") or unicodedata.category(char) in ("Zl", "Zp"):
            return f"contains a control or invisible character (U+{ord(char):04X})"
    return None


def _check_domain(node: Node, text: str, spec: _Domain, name: str, issues: _Issues) -> str | None:
    try:
        domain = normalise_domain(text)
    except DomainError as exc:
        issues.at(node, f"{name}: invalid domain {_quote(text)}: {exc}")
        return None
    mixed = _mixed_script_label(domain)
    if mixed is not None:
        issues.at(
            node,
            f"{name}: domain {_quote(text)} mixes scripts in one label ({mixed})",
            "a letter from another alphabet (e.g. a Cyrillic e) makes it a different "
            "domain; type it again in one alphabet",
        )
        return None
    if "." not in domain:
        issues.at(
            node,
            f"{name}: invalid domain {_quote(text)}: needs at least two labels",
            "write the full domain, e.g. example.nl",
        )
        return None
    if spec.role in ("owned", "retired"):  # the lists that must not overlap
        issues.domains.append(_DomainSeen(domain, text, spec.role, node))
    return domain


_IDENTIFIER = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def _check_identifier(node: Node, text: str, name: str, issues: _Issues) -> str | None:
    if not _IDENTIFIER.fullmatch(text):
        issues.at(
            node,
            f"{name}: {_quote(text)} is not a valid id",
            "use lower-case letters, digits, '-' and '_' (at most 64), e.g. client-data-external",
        )
        return None
    issues.identifiers.append((name, text, node))
    return text


def _check_pattern(node: Node, text: str, name: str, issues: _Issues) -> str | None:
    from milter.content._re2 import compile_re2

    if not text or len(text) > 1000:
        issues.at(node, f"{name}: a pattern must be 1 to 1000 characters")
        return None
    try:
        compile_re2(text)
    except ValueError as exc:
        issues.at(
            node,
            f"{name}: RE2 cannot compile this pattern: {str(exc)[:120]}",
            "RE2 runs in linear time and has no backreferences or lookaround",
        )
        return None
    return text


def _check_address(node: Node, text: str, spec: _Address, name: str, issues: _Issues) -> str | None:
    parsed = parse_address(text)
    if not isinstance(parsed, Address) or parsed.is_null or parsed.routed_domains:
        why = parsed.reason if isinstance(parsed, Malformed) else "not a plain address"
        issues.at(
            node,
            f"{name}: invalid {spec.role} address {_quote(text)}: {why}",
            "write it as name@example.nl",
        )
        return None
    if spec.owned:
        issues.owned_addresses.append((str(parsed), parsed.domain, node))
    return str(parsed)


_SENDER_PATTERN = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~@-]{1,254}")


def _check_sender_pattern(node: Node, text: str, name: str, issues: _Issues) -> str | None:
    if "@" not in text or not _SENDER_PATTERN.fullmatch(text):
        issues.at(
            node,
            f"{name}: {_quote(text)} is not a sender address or pattern",
            "e.g. crisistool@samen-veilig.nl or *@samen-veilig.nl",
        )
        return None
    return text.lower()


def _check_with(
    node: Node, text: str, name: str, issues: _Issues, check: Callable[[str], str], what: str
) -> str | None:
    try:
        return check(text)
    except ValueError as exc:
        issues.at(node, f"{name}: invalid {what} {_quote(text)}: {exc}")
        return None


def _nameserver(text: str) -> str:
    parse_nameserver(text)
    return text


def _expectation(values: dict[str, Any]) -> Any:
    from milter.domains.model import Expectation

    return Expectation(mx=values.get("mx") or (), ns=values.get("ns") or ())


def _check_dns(values: dict[str, Any], node: Node, issues: _Issues) -> bool:
    from milter.domains.model import DnsSettings

    try:
        DnsSettings(**values)
    except ValueError as exc:
        issues.at(node, f"dns: {exc}")
        return False
    return True


def _check_host_port(node: Node, text: str, name: str, issues: _Issues) -> str | None:
    host, sep, port = text.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        issues.at(node, f"{name}: expected host:port, got {_quote(text)}", "e.g. 127.0.0.1:25")
        return None
    return text


def _mixed_script_label(domain: str) -> str | None:
    """The scripts mixed in one label of `domain` (an A-label name), or None."""
    import idna

    for label in domain.split("."):
        if not label.startswith("xn--"):
            continue
        try:
            text = idna.decode(label)
        except idna.IDNAError:
            continue
        scripts = {unicodedata.name(c, "UNKNOWN").split(" ")[0] for c in text if c.isalpha()}
        if len(scripts) > 1:
            return " and ".join(sorted(s.lower() for s in scripts))
    return None


def _check_choice(node: Node, text: str, spec: _Choice, name: str, issues: _Issues) -> str | None:
    if text in spec.values:
        return text
    choices = ", ".join(spec.values)
    if text in spec.later:
        issues.at(node, f"{name}: '{text}' is not supported yet", f"this version knows: {choices}")
    else:
        issues.at(node, f"{name}: unknown value {_quote(text)}", f"choose one of: {choices}")
    return None


def _check_domains(issues: _Issues) -> None:
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


def _overlap(earlier: _DomainSeen, later: _DomainSeen) -> tuple[str, str] | None:
    line = earlier.node.start_mark.line + 1
    written = "" if later.written == later.domain else f" (written {_quote(later.written)})"
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


# --------------------------------------------------------------------------------------------
# Wording helpers


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping (key: value lines)"
    if isinstance(node, SequenceNode):
        return "a list"
    value = str(node.value)
    kinds = {
        _STR: f"text {_quote(value)}",
        _INT: f"an integer ({value})",
        _FLOAT: f"a number ({value})",
        _BOOL: f"a boolean ({value})",
        _NULL: "nothing (empty value)",
        _TIMESTAMP: f"a date ({value})",
    }
    return kinds.get(node.tag, f"a value tagged {node.tag}")


def _quote(text: str, limit: int = 60) -> str:
    """Outside text in a message: repr-quoted (control characters escaped) and truncated."""
    return repr(text if len(text) <= limit else text[:limit] + "...")
