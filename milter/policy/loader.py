"""Policy loader: a YAML policy file -> a frozen ``Policy``, or every reason it is refused.

The steps, each in its own module: ``marks`` composes the text into PyYAML's node tree (every
node keeps its line and column); ``walk`` checks the tree against the specs in ``sections``
(written in the ``spec`` language) and builds values from checked nodes only; ``checks`` applies
the rules that look across fields. Nothing is built from a file with a problem in it:
``load_policy`` returns a ``Policy`` or raises ``PolicyError`` carrying every issue found (up to
``MAX_ISSUES``), sorted by position, each as ``file:line:column: message (hint: ...)`` with
1-based line and column.

Refused here: a file that cannot be read, or over ``MAX_POLICY_BYTES`` (1 MiB). The steps refuse
the rest (see their headers): bytes that are not UTF-8 or not printable, YAML syntax errors, an
empty file, more than one document, a missing end marker ``...``, anchors, aliases and merge
keys, duplicate, unknown or missing keys, wrong types, bad dates, domains, addresses, text and
patterns, overlapping domains, repeated ids, unknown detectors, any ``version`` but 1.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from milter.core.paths import path_problem
from milter.policy.checks import (
    check_cross_references,
    check_detectors,
    check_domains,
    check_identifiers,
)
from milter.policy.issues import Issues, PolicyError, PolicyIssue
from milter.policy.marks import compose
from milter.policy.model import (
    DEFAULT_RETENTION_DAYS,
    ContentPolicy,
    ContentRule,
    DetectorCondition,
    Lookalikes,
    Policy,
)
from milter.policy.sections import POLICY, SCAN_CONFIG_FIELDS
from milter.policy.walk import walk

__all__ = ["MAX_POLICY_BYTES", "load_policy", "load_policy_text", "summarise"]

# A policy is a hand-kept file: the example is 10 kB, 1 MiB holds some 6 000 retired domains
# written out in full. The pure-Python YAML composer (it keeps every line and column) gets through
# 150-250 kB of policy per CPU second, so the cap also bounds a reload: seconds, not minutes.
MAX_POLICY_BYTES = 1 << 20
# Detectors a condition may name besides the scanner's: parts that could not be inspected.
UNREADABLE_DETECTORS = ("unscannable", "truncated")


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
        reason = path_problem(exc, source, "--policy")
        raise PolicyError(
            [PolicyIssue(source, 0, 0, f"cannot read the policy file: {reason}")]
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
    issues = Issues(source)
    root = compose(text, issues)
    values = None if root is None else walk(root, POLICY, "policy", issues)
    check_domains(issues)
    check_identifiers(issues)
    content = None
    if isinstance(values, dict) and values.get("content") is not None:
        content = _content_policy(values["content"], issues)
    if isinstance(values, dict):
        check_cross_references(values, issues)
    lookalikes = None
    if isinstance(values, dict) and values.get("lookalikes") is not None and not issues:
        lookalikes = _lookalikes(values)
    if issues or not isinstance(values, dict):
        raise issues.error()
    quarantine = values.get("quarantine") or {}
    return Policy(
        version=values["version"],
        organisation=values["organisation"],
        owned_domains=values["owned_domains"],
        retired_domains=values["retired_domains"],
        source=source,
        sha256=sha256,
        content=content,
        notices=values.get("notices"),
        held_notices=values.get("quarantine_notices"),
        exceptions=values.get("exceptions") or (),
        release_requires=quarantine.get("release_requires", 1),
        retention_days=quarantine.get("retention_days", DEFAULT_RETENTION_DAYS),
        on_expiry=quarantine.get("on_expiry", "delete"),
        officers=tuple(quarantine.get("officers") or ()),
        dns=values.get("dns"),
        lookalikes=lookalikes,
        history=values.get("history"),
        rdap=values.get("rdap"),
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


def _lookalikes(values: dict[str, Any]) -> Lookalikes:
    from milter.domains.lookalike import LookalikeIndex  # dnstwist: only for policies that ask

    section = values["lookalikes"]
    allow = tuple(section.get("allow") or ())
    distance = section.get("max_distance", 2)
    owned = [o.domain for o in values["owned_domains"]]
    index = LookalikeIndex(owned, allow, distance)
    return Lookalikes(section["action"], allow, distance, index)


def _content_policy(values: dict[str, Any], issues: Issues) -> ContentPolicy | None:
    """The content section's rules, the built-in rules for what cannot be read, and the scanner
    (compiled only for a policy without issues: it is the costly part)."""
    from milter.content.config import ALL_DETECTORS, ScanConfig  # see sections: only when asked
    from milter.content.scan import compile_config

    config = ScanConfig(
        **{field: values[key] for key, field in SCAN_CONFIG_FIELDS.items() if key in values}
    )
    known = (set(ALL_DETECTORS) - {"custom"}) | set(UNREADABLE_DETECTORS)
    check_detectors(known | {f"custom:{c.name}" for c in config.custom}, issues)
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
