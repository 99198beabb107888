"""Policy sections beyond the domain lists: content, dns, lookalikes, notices, exceptions."""

from __future__ import annotations

import datetime as dt

import pytest

from milter.policy import PolicyError, load_policy_text
from milter.policy.model import AllOf, AnyOf, DetectorCondition
from tests.unit.policy.test_loader_refusals import VALID, append

RULE = "  - {id: r1, when: {detector: bsn, confidence: high}, action: quarantine}\n"


def with_top(text: str) -> str:
    """VALID with a top-level section added at its end (line 13), before the end marker."""
    return append(text)


def refused(text: str) -> PolicyError:
    with pytest.raises(PolicyError) as exc:
        load_policy_text(text, "p.yaml")
    return exc.value


class TestRefusedWithPosition:
    @pytest.mark.parametrize(
        ("text", "line", "column", "fragment"),
        [
            (with_top("dns: {nameservers: [dns.example]}\n"), 13, 21, "invalid nameserver"),
            (
                with_top("dns: {timeout_ms: 900, budget_ms: 100}\n"),
                13,
                6,
                "budget_ms must be at least timeout_ms",
            ),
            (
                VALID.replace(
                    "  - domain: samen-veilig.nl\n",
                    "  - domain: samen-veilig.nl\n    expect: {mx: ['*.nl']}\n",
                ),
                5,
                19,
                "invalid host name",
            ),
            (with_top("lookalikes: {action: drop}\n"), 13, 22, "unknown value 'drop'"),
            (
                with_top(
                    "content:\n  rules:\n  - {id: r1, when: {detector: bsnn}, action: flag}\n"
                ),
                15,
                20,
                "unknown detector 'bsnn'",
            ),
            (with_top("content:\n  rules:\n" + RULE + RULE), 16, 10, "used twice"),
            (
                with_top(
                    "content:\n  custom_patterns: [{name: x, pattern: '(a)\\1'}]\n  rules: []\n"
                ),
                14,
                40,
                "RE2 cannot compile",
            ),
            (
                with_top("content:\n  rules:\n  - {id: r1, when: {all: []}, action: flag}\n"),
                15,
                26,
                "non-empty list",
            ),
            (
                VALID.replace(
                    "    reply:\n",
                    "    action: redirect\n    redirect_to: x@partner.example\n    reply:\n",
                ),
                11,
                18,
                "not in an owned domain",
            ),
            (
                VALID.replace("    reply:\n", "    notify_sender: true\n    reply:\n"),
                7,
                5,
                "needs a 'notices' section",
            ),
            (
                with_top(
                    "exceptions:\n  - {sender: a@b.nl, rule: r, to_domain: c.nl, owner: FG,"
                    " reason: x, ticket: T-1, expires: 2027-02-30}\n"
                ),
                14,
                92,
                "not a real date",
            ),
            (
                with_top(
                    "exceptions:\n  - {sender: 'no at sign', rule: r, to_domain: c.nl, owner: FG,"
                    " reason: x, ticket: T-1, expires: 2027-02-01}\n"
                ),
                14,
                14,
                "not a sender address or pattern",
            ),
        ],
    )
    def test_refused(self, text: str, line: int, column: int, fragment: str) -> None:
        """Each broken section is refused at the offending node's line and column."""
        error = refused(text)
        hits = [i for i in error.issues if fragment in i.message]
        assert hits, str(error)
        assert (hits[0].line, hits[0].column) == (line, column), str(error)


class TestLoaded:
    def test_content_rules_build_conditions(self) -> None:
        """Nested all/any conditions become typed condition trees."""
        policy = load_policy_text(
            with_top(
                "content:\n  rules:\n  - id: c\n    when: {any: [{detector: bsn, confidence: high},"
                " {all: [{detector: case_keywords}, {detector: date_of_birth, min_count: 2}]}]}\n"
                "    unless: encrypted\n    action: quarantine\n"
            )
        )
        assert policy.content is not None
        rule = policy.content.rules[0]
        assert rule.unless_encrypted and rule.recipients == "external" and rule.mode == "enforce"
        assert rule.when == AnyOf(
            (
                DetectorCondition("bsn", "high"),
                AllOf(
                    (
                        DetectorCondition("case_keywords"),
                        DetectorCondition("date_of_birth", "low", 2),
                    )
                ),
            )
        )

    def test_unreadable_content_quarantined_by_default(self) -> None:
        """Without a rule about them, unscannable and truncated content is quarantined."""
        policy = load_policy_text(with_top("content:\n  rules:\n" + RULE))
        assert policy.content is not None
        ids = [r.id for r in policy.content.rules]
        assert ids == ["r1", "unscannable-external", "truncated-external"]
        assert {r.action for r in policy.content.rules[1:]} == {"quarantine"}

    def test_exceptions_and_dns(self) -> None:
        """Exceptions, DNS settings and lookalikes load into the model."""
        policy = load_policy_text(
            with_top(
                "dns: {nameservers: ['127.0.0.1:5353'], on_failure: accept_and_flag}\n"
                "lookalikes: {action: quarantine, allow: [partner-veilig.nl]}\n"
                "exceptions:\n  - {sender: '*@Samen-Veilig.nl', rule: c,"
                " to_domain: Ziekenhuis.Example,"
                " owner: FG, reason: crisis, ticket: ISV-1, expires: 2027-03-31}\n"
            )
        )
        exc = policy.exceptions[0]
        assert (exc.sender, exc.to_domain, exc.expires) == (
            "*@samen-veilig.nl",
            "ziekenhuis.example",
            dt.date(2027, 3, 31),
        )
        assert policy.dns.nameservers == ("127.0.0.1:5353",)
        assert policy.dns.on_failure == "accept_and_flag"
        assert policy.lookalikes is not None and policy.lookalikes.allow == ("partner-veilig.nl",)
        assert policy.lookalikes.index.match("samenveilig.nl") is not None
        assert policy.lookalikes.index.match("partner-veilig.nl") is None


class TestContentSection:
    def test_every_scanner_key_reaches_scan_config(self) -> None:
        """Each content: key but rules names a ScanConfig field, so none is silently dropped."""
        from dataclasses import fields

        from milter.content.config import ScanConfig
        from milter.policy.sections import CONTENT, SCAN_CONFIG_FIELDS

        assert set(CONTENT.fields) - {"rules"} == set(SCAN_CONFIG_FIELDS)
        assert set(SCAN_CONFIG_FIELDS.values()) <= {f.name for f in fields(ScanConfig)}

    def test_content_settings_load_into_the_scanner(self) -> None:
        """limits, case_keywords and custom_patterns become the compiled scanner's config."""
        policy = load_policy_text(
            with_top(
                "content:\n  limits: {max_parts: 50}\n  case_keywords: [dossier]\n"
                "  custom_patterns: [{name: clientnr, pattern: 'CL-[0-9]{7}', confidence: high}]\n"
                "  rules:\n" + RULE
            )
        )
        assert policy.content is not None
        scan = policy.content.scan
        assert (scan.limits.max_parts, scan.limits.max_depth) == (50, 8)
        assert scan.case_keywords == ("dossier",)
        assert [(c.name, c.pattern, c.confidence) for c in scan.custom] == [
            ("clientnr", "CL-[0-9]{7}", "high")
        ]
        assert policy.content.scanner.config is scan
