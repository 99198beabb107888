"""Broken variants of the example policy, and the verdict each must get from the loader.

A ``Mutant`` is the example policy's bytes changed in one way, with the lines of the original
and of the mutant that the change touched. ``judge`` loads it with the strict loader and
returns every way the result is wrong:

- refused: every issue must name the mutant's file, a line inside it (line 0 only for a file
  that could not be read at all) and a column, and ``str(error)`` must read
  ``file:line:column: ...``; with ``expect_line`` the issues must include that line;
- loaded: the policy must equal the original in every compared field (``view``), or differ
  only in YAML nodes that overlap the lines the mutation touched: a byte flipped inside a
  value changes that value, which no loader can tell from an officer's edit, but nothing
  elsewhere in the file may change or vanish (a swallowed section, a key silently dropped).

``must_refuse`` is stricter: the variant has to be refused.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import enum
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml
from hypothesis import strategies as st
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from milter.policy import Policy, PolicyError, load_policy_text
from tests.reliability.inprocess import POLICY

NAME = "mutant.yaml"
IGNORED_FIELDS = ("sha256", "source")


@dataclass(frozen=True)
class Mutant:
    """The policy bytes after one change; line windows are 0-based and inclusive."""

    what: str
    data: bytes
    original_lines: tuple[int, int]
    mutant_lines: tuple[int, int]
    expect_line: int | None = None  # 1-based line an issue must point at, when known

    def __repr__(self) -> str:  # hypothesis prints this on failure
        return f"Mutant({self.what!r}, lines {self.original_lines})"


@cache
def base() -> bytes:
    return POLICY.read_bytes()


@cache
def base_lines() -> tuple[str, ...]:
    return tuple(base().decode().split("\n"))


@cache
def original_view() -> dict[str, Any]:
    return view(load_policy_text(base(), NAME))


def plain(value: object) -> object:
    """A comparable rendering of a loaded model (built indexes reduce to their type)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.compare
        }
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(repr(plain(v)) for v in value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, str | int | float | bool | dt.date | dt.timedelta | enum.Enum):
        return value
    if value is None:
        return None
    pattern = getattr(value, "pattern", None)
    return pattern if isinstance(pattern, str) else f"<{type(value).__name__}>"


def view(policy: Policy) -> dict[str, Any]:
    rendered = plain(policy)
    assert isinstance(rendered, dict)
    return {k: v for k, v in rendered.items() if k not in IGNORED_FIELDS}


def line_of(data: bytes, offset: int) -> int:
    return data[:offset].count(b"\n")


# -- judging -----------------------------------------------------------------------------------


def _span(*nodes: Node) -> tuple[int, int]:
    return min(n.start_mark.line for n in nodes), max(n.end_mark.line for n in nodes)


def _signature(node: Node) -> object:
    """What identifies a list item for alignment: a scalar's value, else its kind."""
    return ("scalar", node.value) if isinstance(node, ScalarNode) else type(node).__name__


def _tree_diff(a: Node, b: Node, out: list[tuple[str, tuple[int, int]]]) -> None:
    """Spans of the nodes that differ: ('original', lines) or ('mutant', lines)."""
    if type(a) is not type(b) or a.tag != b.tag:
        out.append(("original", _span(a)))
        out.append(("mutant", _span(b)))
    elif isinstance(a, ScalarNode):
        if a.value != b.value:
            out.append(("original", _span(a)))
    elif isinstance(a, SequenceNode):
        # Align the items first: an item lost or gained in the middle of a list (two keywords
        # run together by a deleted comma) changes that item, not every one after it.
        matcher = difflib.SequenceMatcher(
            None, [_signature(x) for x in a.value], [_signature(y) for y in b.value], False
        )
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op == "equal" or (op == "replace" and i2 - i1 == j2 - j1):
                for x, y in zip(a.value[i1:i2], b.value[j1:j2], strict=True):
                    _tree_diff(x, y, out)
                continue
            if i2 > i1:
                out.append(("original", _span(*a.value[i1:i2])))
            if j2 > j1:
                out.append(("mutant", _span(*b.value[j1:j2])))
    elif isinstance(a, MappingNode):
        left = {str(k.value): (k, v) for k, v in a.value}
        right = {str(k.value): (k, v) for k, v in b.value}
        for key in left.keys() | right.keys():
            if key not in right:
                out.append(("original", _span(*left[key])))
            elif key not in left:
                out.append(("mutant", _span(*right[key])))
            else:
                _tree_diff(left[key][1], right[key][1], out)


def _far_changes(mutant: Mutant) -> list[str]:
    """Changes of the YAML tree that lie outside the lines the mutation touched."""
    original = yaml.compose(base().decode(), Loader=yaml.SafeLoader)
    changed = yaml.compose(mutant.data.decode("utf-8-sig"), Loader=yaml.SafeLoader)
    diffs: list[tuple[str, tuple[int, int]]] = []
    _tree_diff(original, changed, diffs)
    far = []
    for side, (lo, hi) in diffs:
        wlo, whi = mutant.original_lines if side == "original" else mutant.mutant_lines
        if hi < wlo - 1 or lo > whi + 1:
            far.append(f"{side} lines {lo + 1}-{hi + 1} changed by an edit at {wlo + 1}-{whi + 1}")
    return far


def refusal_problems(error: PolicyError, data: bytes, expect_line: int | None = None) -> list[str]:
    """How a refusal falls short of naming file:line:column for every issue."""
    last_line = data.count(b"\n") + 1
    problems = []
    if not error.issues:
        problems.append("refused without any issue")
    for issue in error.issues:
        if issue.file != NAME:
            problems.append(f"issue names file {issue.file!r}")
        if not (1 <= issue.line <= last_line + 1 and issue.column >= 1):
            problems.append(f"issue without a position in the file: {issue}")
    if expect_line is not None and expect_line not in {i.line for i in error.issues}:
        problems.append(f"no issue at line {expect_line}: {[str(i) for i in error.issues]}")
    if not str(error).startswith(f"{NAME}:"):
        problems.append(f"message does not start with the position: {str(error)[:80]!r}")
    return problems


@dataclass(frozen=True)
class Verdict:
    loaded: bool
    problems: tuple[str, ...]


def judge(mutant: Mutant) -> Verdict:
    """Load ``mutant``; return whether it loaded and what is wrong with the outcome."""
    try:
        policy = load_policy_text(mutant.data, NAME)
    except PolicyError as error:
        return Verdict(False, tuple(refusal_problems(error, mutant.data, mutant.expect_line)))
    if view(policy) == original_view():
        return Verdict(True, ())
    return Verdict(True, tuple(_far_changes(mutant)))


def must_refuse(mutant: Mutant) -> list[str]:
    """Problems if ``mutant`` is not refused with positioned issues."""
    verdict = judge(mutant)
    if verdict.loaded:
        return [f"{mutant.what}: loaded silently"]
    return [f"{mutant.what}: {p}" for p in verdict.problems]


# -- building mutants --------------------------------------------------------------------------


def replace_line(number: int, new: str, what: str, expect: bool = True) -> Mutant:
    """Line ``number`` (1-based) of the original replaced by ``new`` (may hold newlines)."""
    lines = list(base_lines())
    lines[number - 1] = new
    data = "\n".join(lines).encode()
    added = new.count("\n")
    window = (number - 1, number - 1)
    return Mutant(what, data, window, (number - 1, number - 1 + added),
                  number if expect else None)  # fmt: skip


def insert_after(number: int, new: str, what: str, expect_line: int | None = None) -> Mutant:
    lines = list(base_lines())
    lines.insert(number, new)
    data = "\n".join(lines).encode()
    return Mutant(what, data, (number - 1, number), (number, number + new.count("\n")), expect_line)


def find_line(pattern: str, start: int = 1) -> int:
    """1-based number of the first line at or after ``start`` matching ``pattern``."""
    for number, line in enumerate(base_lines()[start - 1 :], start):
        if re.search(pattern, line):
            return number
    raise LookupError(pattern)


def key_value_nodes() -> Iterator[tuple[ScalarNode, Node]]:
    """Every (key, value) of every mapping in the original policy, in file order."""

    def walk(node: Node) -> Iterator[tuple[ScalarNode, Node]]:
        if isinstance(node, MappingNode):
            for key, value in node.value:
                assert isinstance(key, ScalarNode)
                yield key, value
                yield from walk(value)
        elif isinstance(node, SequenceNode):
            for item in node.value:
                yield from walk(item)

    yield from walk(yaml.compose(base().decode(), Loader=yaml.SafeLoader))


def key_nodes() -> Iterator[ScalarNode]:
    """Every mapping key in the original policy, in file order."""
    return (key for key, _ in key_value_nodes())


def one_line_entries() -> Iterator[tuple[ScalarNode, int, str]]:
    """(key, 1-based line, line text) of every 'key: value' written on one line."""
    for key, value in key_value_nodes():
        line = key.start_mark.line
        if value.start_mark.line == line and value.end_mark.line == line:
            yield key, line + 1, base_lines()[line]


# Letters and their look-alikes from other scripts (Cyrillic, Greek) and full-width forms.
CONFUSABLE = {
    "a": "\u0430", "c": "\u0441", "e": "\u0435", "o": "\u043e", "p": "\u0440", "x": "\u0445",
    "y": "\u0443", "i": "\u0456", "s": "\u0455", "n": "\u03b7", "d": "\u0501", "r": "\u0433",
    "m": "\uff4d", "t": "\uff54", "l": "\u04cf", "u": "\u057d", "v": "\u03bd", "w": "\u051d",
    "b": "\u042c", "f": "\uff46",
}  # fmt: skip


def key_variants(key: str) -> list[tuple[str, str]]:
    """(kind, spelling) of a key that must not be taken for ``key``."""
    first = next((i for i, ch in enumerate(key) if ch in CONFUSABLE), 0)
    confusable = key[:first] + CONFUSABLE.get(key[first], key[first].upper()) + key[first + 1 :]
    return [
        ("typo", key[:-1] if len(key) > 2 else key + key[-1]),
        ("capital", key[:1].upper() + key[1:]),
        ("confusable", confusable),
        ("zero-width", key[:1] + "\u200b" + key[1:]),
        ("no-break space", key + "\u00a0"),
        ("full-width", chr(ord(key[0]) + 0xFEE0) + key[1:] if key[0].isascii() else key + "x"),
    ]


def rename_key(node: ScalarNode, spelling: str, what: str) -> Mutant:
    number = node.start_mark.line + 1
    line = base_lines()[number - 1]
    col = node.start_mark.column
    assert line[col : col + len(node.value)] == node.value, (line, node.value)
    return replace_line(number, line[:col] + spelling + line[col + len(node.value) :], what)


# -- random mutations (hypothesis) ------------------------------------------------------------

_JUNK_LINES = [
    "", "# a comment", "\t", "  extra: 1", "version: 1", "---", "...", "&anchor x: 1",
    "*alias", "<<: {a: 1}", "? complex", "!!python/object/apply:os.system [ls]", "%YAML 1.1",
    "  - domain: [", "owner: yes", "\u202eowner: x", "\x00", "  nl: \"unterminated",
    "key: 'single", "{", "- - -",
]  # fmt: skip


@cache
def _content_offsets() -> tuple[int, ...]:
    """Byte offsets on lines that are not comments or blank (where mutations matter most)."""
    offsets, pos = [], 0
    for line in base().split(b"\n"):
        if line.strip() and not line.lstrip().startswith(b"#"):
            offsets.extend(range(pos, pos + len(line) + 1))
        pos += len(line) + 1
    return tuple(offsets)


def _offset(draw: st.DrawFn) -> int:
    if draw(st.integers(0, 4)):
        return draw(st.sampled_from(_content_offsets()))
    return draw(st.integers(0, len(base()) - 1))


@st.composite
def random_mutant(draw: st.DrawFn) -> Mutant:
    """Byte flips, a truncation, junk inserted or a few bytes deleted, anywhere in the file."""
    data = bytearray(base())
    kind = draw(st.sampled_from(["flip", "flip", "truncate", "insert", "delete"]))
    at = _offset(draw)
    line = line_of(base(), at)
    end = len(base().split(b"\n"))
    if kind == "flip":
        positions = [at] + [
            min(len(data) - 1, at + draw(st.integers(-40, 40)))
            for _ in range(draw(st.integers(0, 2)))
        ]
        for pos in positions:
            data[pos] ^= draw(st.integers(1, 255))
        lo, hi = line_of(base(), min(positions)), line_of(base(), max(positions))
        return Mutant(f"flip at {positions}", bytes(data), (lo, hi), (lo, hi + 3))
    if kind == "truncate":
        return Mutant(f"truncated at {at}", bytes(data[:at]), (line, end), (line, end))
    if kind == "insert":
        junk = draw(
            st.one_of(
                st.sampled_from(_JUNK_LINES).map(lambda s: s.encode() + b"\n"),
                st.binary(min_size=1, max_size=12),
            )
        )
        data[at:at] = junk
        return Mutant(f"{junk!r} inserted at {at}", bytes(data), (line, line + 1),
                      (line, line + junk.count(b"\n") + 1))  # fmt: skip
    size = draw(st.integers(1, 8))
    del data[at : at + size]
    return Mutant(f"{size} bytes deleted at {at}", bytes(data),
                  (line, line_of(base(), at + size)), (line, line + 1))  # fmt: skip
