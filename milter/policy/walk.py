"""Policy walk: a YAML node tree + a spec -> the checked values, or None and the issues.

``walk`` reads a node against its spec (``milter.policy.spec``) and returns the value it stands
for, built by the spec's ``build`` from checked parts only; on any problem it returns None and
adds the reason, with the node's line and column, to the ``Issues``. It does not stop at the
first problem: every sibling is still walked, so an officer sees all of them at once.

Refused here: merge keys (``<<``); duplicate keys in any mapping (PyYAML would silently keep the
last); unknown keys; missing required keys; wrong types (including YAML 1.1 booleans such as
``yes`` where text is needed); dates that are not a real ``YYYY-MM-DD``; domains
``milter.core.address.normalise_domain`` refuses, or with labels that mix scripts; text that is
blank, multi-line, too long or contains control or invisible formatting characters; integers
out of range; patterns RE2 cannot compile; malformed addresses, sender patterns, host names,
nameservers and host:port values; a ``Paired`` field without its key's value, or the reverse.
Rules across fields (overlapping domains, unique ids, owned addresses) live in
``milter.policy.checks``; the walker notes what they need in the ``Issues``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from milter.core.address import Address as ParsedAddress
from milter.core.address import DomainError, Malformed, normalise_domain, parse_address
from milter.domains.model import normalise_host_pattern, parse_nameserver
from milter.policy.issues import DomainSeen, Issues, quote
from milter.policy.marks import BOOL, FLOAT, INT, MERGE, NULL, STR, TIMESTAMP
from milter.policy.spec import (
    Address,
    Bool,
    Choice,
    Condition,
    Date,
    Domain,
    Duration,
    HostPattern,
    HostPort,
    Identifier,
    Integer,
    List,
    Map,
    Nameserver,
    OwnPhrase,
    Pattern,
    SenderPattern,
    Spec,
    Text,
)

# The shapes of dates, ids and sender patterns (``milter.policy.schema`` gives editors the same).
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
IDENTIFIER = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
SENDER_PATTERN = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~@-]{1,254}")
_BOOLEAN_WORDS_HINT = "YAML reads yes/no/on/off/true/false as booleans; put the text in quotes"


def walk(node: Node, spec: Spec, name: str, issues: Issues) -> Any:
    """The value ``node`` stands for under ``spec`` (``name`` is its key, for messages), or
    None with the reasons added to ``issues``."""
    if isinstance(spec, Map):
        return _walk_map(node, spec, name, issues)
    if isinstance(spec, List):
        return _walk_list(node, spec, name, issues)
    if isinstance(spec, Integer):
        return _walk_integer(node, spec, name, issues)
    if isinstance(spec, Date):
        return _walk_date(node, name, issues)
    if isinstance(spec, Bool):
        return _walk_bool(node, name, issues)
    if isinstance(spec, Condition):
        return _walk_condition(node, spec, name, issues)
    if isinstance(spec, Duration) and isinstance(node, ScalarNode) and node.tag == INT:
        issues.at(
            node, f"{name}: {node.value} is not a duration: it needs a unit", _duration_hint(spec)
        )
        return None
    text = _expect_text(node, name, issues)
    if text is None:
        return None
    if isinstance(spec, Duration):
        return _check_duration(node, text, spec, name, issues)
    if isinstance(spec, Domain):
        return _check_domain(node, text, spec, name, issues)
    if isinstance(spec, Choice):
        return _check_choice(node, text, spec, name, issues)
    if isinstance(spec, Identifier):
        return _check_identifier(node, text, name, issues)
    if isinstance(spec, Pattern):
        return _check_pattern(node, text, name, issues)
    if isinstance(spec, Address):
        return _check_address(node, text, spec, name, issues)
    if isinstance(spec, SenderPattern):
        return _check_sender_pattern(node, text, name, issues)
    if isinstance(spec, HostPort):
        return _check_host_port(node, text, name, issues)
    if isinstance(spec, HostPattern):
        return _check_with(node, text, name, issues, normalise_host_pattern, "host name")
    if isinstance(spec, Nameserver):
        return _check_with(node, text, name, issues, _nameserver, "nameserver")
    if isinstance(spec, OwnPhrase):
        checked = _check_text(node, text, Text(max_len=spec.max_len), name, issues)
        if checked is None:
            return None
        return _check_with(node, checked, name, issues, _own_phrase, "own phrase")
    return _check_text(node, text, spec, name, issues)


def _walk_map(node: Node, spec: Map, name: str, issues: Issues) -> Any:
    if not isinstance(node, MappingNode):
        issues.at(node, f"{name}: expected a mapping (key: value lines), got {_kind(node)}")
        return None
    values: dict[str, Any] = {}
    seen: dict[str, Node] = {}
    ok = True
    allowed = list(spec.fields)
    for key_node, value_node in node.value:
        if key_node.tag == MERGE:
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
        if key not in spec.fields or key_node.tag != STR:
            _unknown_key(key_node, key, spec, allowed, issues)
            ok = False
            continue
        value = walk(value_node, spec.fields[key].spec, key, issues)
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
    if not ok or not _pairs_hold(values, node, spec, issues):
        return None
    if spec.check is not None and not spec.check(values, node, issues):
        return None
    return spec.build(values)


def _pairs_hold(values: dict[str, Any], node: Node, spec: Map, issues: Issues) -> bool:
    for pair in spec.pairs:
        paired = values.get(pair.key) == pair.value
        if paired and values.get(pair.field) is None:
            issues.at(node, f"{pair.key} {pair.value} needs {pair.field}", pair.hint)
            return False
        if not paired and values.get(pair.field) is not None:
            issues.at(node, f"{pair.field} is only used with {pair.key}: {pair.value}")
            return False
    return True


def _duplicate_key(repeat: Node, first: Node, issues: Issues) -> None:
    issues.at(
        repeat,
        f"duplicate key {quote(str(repeat.value))} (first at line {first.start_mark.line + 1})",
        "YAML would silently keep only the last one; remove one of them",
    )


def _unknown_key(node: Node, key: str, spec: Map, allowed: list[str], issues: Issues) -> None:
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"allowed keys here: {', '.join(allowed)}"
    message = f"unknown key '{key}'"
    if key in spec.later:
        message += ": not supported by this Postwarden version yet"
    issues.at(node, message, hint)


def _walk_list(node: Node, spec: List, name: str, issues: Issues) -> Any:
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
    items = [walk(item, spec.item, f"{name} entry", issues) for item in node.value]
    return None if any(item is None for item in items) else tuple(items)


def _walk_integer(node: Node, spec: Integer, name: str, issues: Issues) -> Any:
    if not (isinstance(node, ScalarNode) and node.tag == INT):
        hint = f"write {name}: 1 without quotes" if node.tag == STR else None
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


DURATION = re.compile(r"([0-9]{1,6})([smhd])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400}


def format_duration(seconds: int) -> str:
    """The shortest exact way to write ``seconds`` as a Duration (600 -> 10m)."""
    for unit, size in (("d", 86_400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _duration_hint(spec: Duration) -> str:
    if spec.units == "d":
        return "write it in days, e.g. 30d"
    return "write e.g. 90s, 10m, 2h or 30d"


def _check_duration(node: Node, text: str, spec: Duration, name: str, issues: Issues) -> Any:
    match = DURATION.fullmatch(text.strip())
    if match is None:
        issues.at(node, f"{name}: {text[:20]!r} is not a duration", _duration_hint(spec))
        return None
    if match.group(2) not in spec.units:
        issues.at(node, f"{name}: {text.strip()} is in the wrong unit", _duration_hint(spec))
        return None
    seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if not spec.low <= seconds <= spec.high:
        issues.at(
            node,
            f"{name}: {text.strip()} is out of range "
            f"({format_duration(spec.low)} to {format_duration(spec.high)})",
        )
        return None
    return seconds


def _walk_bool(node: Node, name: str, issues: Issues) -> Any:
    if not (isinstance(node, ScalarNode) and node.tag == BOOL):
        issues.at(node, f"{name}: expected true or false, got {_kind(node)}")
        return None
    return SafeConstructor().construct_yaml_bool(node)


def _walk_condition(node: Node, spec: Condition, name: str, issues: Issues) -> Any:
    """{detector: ...} or {all: [conditions]} or {any: [conditions]}, nested freely."""
    hint = (
        "write {detector: bsn, confidence: high}, {first_contact: domain}, "
        "{domain_registered_within: 30d}, {all: [...]} or {any: [...]}"
    )
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
        parts = [_walk_condition(item, spec, keys[0], issues) for item in items.value]
        if any(part is None for part in parts):
            return None
        return (spec.all_of if keys == ["all"] else spec.any_of)(tuple(parts))
    if "all" in keys or "any" in keys:
        issues.at(node, f"{name}: 'all' or 'any' must stand alone in its condition", hint)
        return None
    for word, keyed in spec.keyed:
        if word in keys:
            found = _walk_map(node, keyed, name, issues)
            if found is not None:
                issues.condition_nodes.append((word, node))
            return found
    cond = _walk_map(node, spec.detector, name, issues)
    if cond is not None:
        issues.detectors.append((cond.detector, node))
    return cond


def _walk_date(node: Node, name: str, issues: Issues) -> Any:
    if not (isinstance(node, ScalarNode) and node.tag in (TIMESTAMP, STR)):
        issues.at(node, f"{name}: expected a date (YYYY-MM-DD), got {_kind(node)}")
        return None
    written = str(node.value)
    if not ISO_DATE.fullmatch(written):
        got = "a date and time" if node.tag == TIMESTAMP else quote(written)
        issues.at(node, f"{name}: expected a date written YYYY-MM-DD, got {got}", "e.g. 2017-12-31")
        return None
    try:
        return dt.date.fromisoformat(written)
    except ValueError as exc:
        issues.at(node, f"{name}: {written} is not a real date ({exc})")
        return None


def _expect_text(node: Node, name: str, issues: Issues) -> str | None:
    if isinstance(node, ScalarNode) and node.tag == STR:
        return str(node.value)
    hint = None
    if isinstance(node, ScalarNode) and node.tag == BOOL:
        hint = f'{_BOOLEAN_WORDS_HINT}: "{node.value}"'
    elif isinstance(node, ScalarNode) and node.tag != NULL:
        hint = f'put it in quotes: "{node.value}"'
    issues.at(node, f"{name}: expected text, got {_kind(node)}", hint)
    return None


def _check_text(node: Node, text: str, spec: Text, name: str, issues: Issues) -> str | None:
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


def _check_domain(node: Node, text: str, spec: Domain, name: str, issues: Issues) -> str | None:
    try:
        domain = normalise_domain(text)
    except DomainError as exc:
        issues.at(node, f"{name}: invalid domain {quote(text)}: {exc}")
        return None
    mixed = _mixed_script_label(domain)
    if mixed is not None:
        issues.at(
            node,
            f"{name}: domain {quote(text)} mixes scripts in one label ({mixed})",
            "a letter from another alphabet (e.g. a Cyrillic e) makes it a different "
            "domain; type it again in one alphabet",
        )
        return None
    if "." not in domain:
        issues.at(
            node,
            f"{name}: invalid domain {quote(text)}: needs at least two labels",
            "write the full domain, e.g. example.nl",
        )
        return None
    if spec.role in ("owned", "retired"):  # the lists that must not overlap
        issues.domains.append(DomainSeen(domain, text, spec.role, node))
    return domain


def _check_identifier(node: Node, text: str, name: str, issues: Issues) -> str | None:
    if not IDENTIFIER.fullmatch(text):
        issues.at(
            node,
            f"{name}: {quote(text)} is not a valid id",
            "use lower-case letters, digits, '-' and '_' (at most 64), e.g. client-data-external",
        )
        return None
    issues.identifiers.append((name, text, node))
    return text


def _check_pattern(node: Node, text: str, name: str, issues: Issues) -> str | None:
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


def _check_address(node: Node, text: str, spec: Address, name: str, issues: Issues) -> str | None:
    parsed = parse_address(text)
    if not isinstance(parsed, ParsedAddress) or parsed.is_null or parsed.routed_domains:
        why = parsed.reason if isinstance(parsed, Malformed) else "not a plain address"
        issues.at(
            node,
            f"{name}: invalid {spec.role} address {quote(text)}: {why}",
            "write it as name@example.nl",
        )
        return None
    if spec.owned:
        issues.owned_addresses.append((str(parsed), parsed.domain, node))
    return str(parsed)


def _check_sender_pattern(node: Node, text: str, name: str, issues: Issues) -> str | None:
    if "@" not in text or not SENDER_PATTERN.fullmatch(text):
        issues.at(
            node,
            f"{name}: {quote(text)} is not a sender address or pattern",
            "e.g. crisistool@samen-veilig.nl or *@samen-veilig.nl",
        )
        return None
    return text.lower()


def _check_with(
    node: Node, text: str, name: str, issues: Issues, check: Callable[[str], str], what: str
) -> str | None:
    try:
        return check(text)
    except ValueError as exc:
        issues.at(node, f"{name}: invalid {what} {quote(text)}: {exc}")
        return None


def _nameserver(text: str) -> str:
    parse_nameserver(text)
    return text


def _own_phrase(text: str) -> str:
    from milter.content.own_text import check_phrase  # the scanner's own rule for a phrase

    return check_phrase(text)


def _check_host_port(node: Node, text: str, name: str, issues: Issues) -> str | None:
    host, sep, port = text.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        issues.at(node, f"{name}: expected host:port, got {quote(text)}", "e.g. 127.0.0.1:25")
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


def _check_choice(node: Node, text: str, spec: Choice, name: str, issues: Issues) -> str | None:
    if text in spec.values:
        return text
    choices = ", ".join(spec.values)
    if text in spec.later:
        issues.at(node, f"{name}: '{text}' is not supported yet", f"this version knows: {choices}")
    else:
        issues.at(node, f"{name}: unknown value {quote(text)}", f"choose one of: {choices}")
    return None


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping (key: value lines)"
    if isinstance(node, SequenceNode):
        return "a list"
    value = str(node.value)
    kinds = {
        STR: f"text {quote(value)}",
        INT: f"an integer ({value})",
        FLOAT: f"a number ({value})",
        BOOL: f"a boolean ({value})",
        NULL: "nothing (empty value)",
        TIMESTAMP: f"a date ({value})",
    }
    return kinds.get(node.tag, f"a value tagged {node.tag}")
