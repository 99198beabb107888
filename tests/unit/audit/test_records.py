"""The audit records: what each kind holds, and that no message text gets into one."""

from __future__ import annotations

import json
from dataclasses import dataclass

from milter.audit.records import (
    MAX_ISSUES,
    finding_fields,
    internal_error_fields,
    message_fields,
    message_id_hash,
    refusal_fields,
    reload_fields,
)
from milter.core.address import parse_address
from milter.core.engine import Facts, decide, decide_recipient
from tests.unit.audit.helpers import POLICY, SENDER, envelope, sha


@dataclass(frozen=True)
class FakeFinding:
    detector: str
    count: int
    confidence: str
    where: tuple[str, ...] | str
    samples: tuple[str, ...]


class TestMessageId:
    def test_message_id_hash(self) -> None:
        """The Message-ID is hashed (16 hex digits), surrounding space ignored; never kept."""
        digest = message_id_hash(" <abc@samen-veilig.nl>\r\n")
        assert digest == sha(b"<abc@samen-veilig.nl>")[:16]
        assert message_id_hash(b"<abc@samen-veilig.nl>") == digest
        assert message_id_hash(None) is None and message_id_hash("  ") is None


class TestMessageFields:
    def test_decision_becomes_record_fields(self) -> None:
        """Sender, each recipient with action/rule/reason, rules and policy hash are kept."""
        env = envelope("a@partner.example", "b@bjzutrecht.nl", path="local")
        decision = decide(env, Facts(), POLICY)
        fields = message_fields(decision, env, message_id="<m1@samen-veilig.nl>")
        assert fields["sender"] == SENDER and fields["path"] == "local"
        assert fields["queue_id"] == "4ZqWb01abcd"
        assert [(r["address"], r["action"], r["rule"]) for r in fields["recipients"]] == [
            ("a@partner.example", "accept", None),
            ("b@bjzutrecht.nl", "remove", "retired_domain"),
        ]
        assert "retired since 2017-12-31" in fields["recipients"][1]["reason"]
        assert fields["rules"] == ["retired_domain"]
        assert fields["policy_sha256"] == POLICY.sha256
        assert fields["message_id_sha256"] == message_id_hash("<m1@samen-veilig.nl>")
        assert "m1@samen-veilig.nl" not in json.dumps(fields)

    def test_malformed_recipient_is_truncated_raw(self) -> None:
        """A malformed address is kept as received, cut to 100 characters."""
        env = envelope("a@partner.example", "<" + "x" * 300 + "@@>")
        fields = message_fields(decide(env, Facts(), POLICY), env)
        bad = fields["recipients"][1]
        assert bad["malformed"] is True and len(bad["address"]) <= 103

    def test_findings_are_counts_and_samples(self) -> None:
        """A finding keeps detector, confidence, count, parts and samples; one part is a list."""
        found = FakeFinding("bsn", 2, "high", "body", ("*****2333",))
        assert finding_fields(found) == {
            "detector": "bsn",
            "confidence": "high",
            "count": 2,
            "where": ["body"],
            "samples": ["*****2333"],
        }
        env = envelope("a@partner.example")
        fields = message_fields(decide(env, Facts(), POLICY), env, findings=[found])
        assert fields["findings"] == [finding_fields(found)]


class TestOtherKinds:
    def test_refusal_names_recipient_rule_and_policy(self) -> None:
        """A RCPT-time refusal keeps the recipient with its rule and reason, and the policy."""
        sender = parse_address(SENDER)
        refusal = decide_recipient(
            parse_address("b@bjzutrecht.nl"), "smtp", Facts(), POLICY, sender
        )
        fields = refusal_fields(refusal, "4ZqWb01abcd", "smtp", sender, POLICY.sha256, "10.0.0.5")
        assert fields["recipient"]["address"] == "b@bjzutrecht.nl"
        assert fields["recipient"]["action"] == "reject"
        assert fields["rules"] == ["retired_domain"] and fields["sender"] == SENDER
        assert fields["client"] == "10.0.0.5" and fields["policy_sha256"] == POLICY.sha256

    def test_reload_keeps_the_first_problems(self) -> None:
        """A refused reload keeps its result, the policy in force and at most 20 problems."""
        issues = [f"policy.yaml:{n}:1: unknown key" for n in range(30)]
        fields = reload_fields("refused", POLICY.sha256, issues)
        assert fields["result"] == "refused" and fields["policy_sha256"] == POLICY.sha256
        assert fields["issues"] == issues[:MAX_ISSUES] and MAX_ISSUES == 20
        assert reload_fields("ok", POLICY.sha256)["issues"] == []

    def test_internal_error_says_tempfail(self) -> None:
        """An internal error names the path and that the event was tempfailed."""
        assert internal_error_fields("local") == {"path": "local", "action": "tempfail"}
