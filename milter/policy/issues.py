"""Policy issues: why a policy file is refused, and the collector every loading step reports to.

``PolicyIssue`` is one reason with its ``file:line:column``; ``PolicyError`` carries all of them,
sorted by position, at most ``MAX_ISSUES``. ``Issues`` collects them while the file is composed,
walked and checked, and also notes what the cross-field checks need to see afterwards (every
listed domain, detector name, identifier, must-be-owned address, ``notify_sender``, ``alert``
and ``quarantine_notices``), so the walker itself stays one pass over the tree.

Refuses nothing itself. Outside text in a message goes through ``quote`` (repr-quoted, so
control characters are escaped, and truncated).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from yaml.nodes import Node

MAX_ISSUES = 50


class Mark(Protocol):
    """A PyYAML position (pure-Python or libyaml mark): 0-based line and column."""

    line: int
    column: int


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


@dataclass(frozen=True)
class DomainSeen:
    """An owned or retired domain as the walker met it, for the overlap check."""

    domain: str
    written: str
    role: str
    node: Node


@dataclass
class Issues:
    """The issues found in one file so far, and the notes the cross-field checks read."""

    source: str
    found: set[PolicyIssue] = field(default_factory=set)
    domains: list[DomainSeen] = field(default_factory=list)
    detectors: list[tuple[str, Node]] = field(default_factory=list)
    identifiers: list[tuple[str, str, Node]] = field(default_factory=list)
    owned_addresses: list[tuple[str, str, Node]] = field(default_factory=list)
    notify_nodes: list[Node] = field(default_factory=list)
    alert_nodes: list[Node] = field(default_factory=list)  # content rules with alert: true
    held_notice_nodes: list[Node] = field(default_factory=list)  # quarantine_notices sections
    # Keyed conditions met (first_contact, domain_registered_within, ...): (key, node).
    condition_nodes: list[tuple[str, Node]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.found)

    def add(self, line: int, column: int, message: str, hint: str | None = None) -> None:
        self.found.add(PolicyIssue(self.source, line, column, message, hint))

    def at(self, node: Node, message: str, hint: str | None = None) -> None:
        self.at_mark(node.start_mark, message, hint)

    def at_mark(self, mark: Mark | None, message: str, hint: str | None = None) -> None:
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        self.add(line, column, message, hint)

    def error(self) -> PolicyError:
        ordered = sorted(self.found, key=lambda i: (i.line, i.column, i.message, i.hint or ""))
        return PolicyError(ordered[:MAX_ISSUES], omitted=max(0, len(ordered) - MAX_ISSUES))


def quote(text: str, limit: int = 60) -> str:
    """Outside text in a message: repr-quoted (control characters escaped) and truncated."""
    return repr(text if len(text) <= limit else text[:limit] + "...")
