"""tally -- the backtest's aggregate: counts, bounded top lists and bounded samples.

`Tally.add(outcome)` folds one message in; memory does not grow with the number of messages:
counters are per rule, per detector and per action (the policy bounds them), the top senders
and recipient domains are kept by the Space-Saving algorithm in at most TOP_CAPACITY entries
(exact while there are fewer distinct ones; the report says when it became an estimate),
samples are the first `samples` messages per rule, and unreadable messages the first
MAX_ERRORS.  Outcomes must be added in source order for a run to be reproducible; the runner
does that whatever the number of workers.

`Tally.to_json()` is the ``--json`` document (see JSON_SHAPE; its keys are a contract).

Refuses: nothing; it carries only what `judge.Outcome` carries (masked samples, rule ids,
addresses of senders, domains of recipients, message ids and source positions).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from milter.backtest.judge import Outcome

TOP_CAPACITY = 1000
MAX_ERRORS = 100
JSON_VERSION = 1
EFFECTS = (
    "held",
    "refused",
    "flagged",
    "routed",
    "monitor",
    "recipient_refused",
    "redirected",
    "tempfail",
)
ACTIONS = ("accept", "quarantine", "reject", "tempfail", "discard")
CONFIDENCES = ("high", "medium", "low")

JSON_SHAPE = """\
{
  "version": 1,
  "policy": {"source": PATH, "sha256": HEX, "organisation": TEXT},
  "sources": [{"path": PATH, "kind": "mbox"|"maildir"|"eml"|"queue"|"file", "messages": N}],
  "messages": N,            # every message found, judged or not
  "judged": N,
  "unreadable": N,
  "decisions": {"accept": N, "quarantine": N, "reject": N, "tempfail": N, "discard": N},
  "dns_rules_skipped": [RULE, ...],
  "rules": [{"rule": ID, "messages": N, "held": N, "refused": N, "flagged": N, "routed": N,
             "monitor": N, "recipient_refused": N, "redirected": N, "tempfail": N,
             "samples": [{"message_id": ID|null, "position": TEXT, "action": ACTION,
                          "findings": [FINDING, ...]}]}],      # sorted by messages, then id
  "detectors": [{"detector": NAME, "messages": N, "values": N,
                 "high": N, "medium": N, "low": N}],           # messages by best confidence
  "top_senders": [{"sender": ADDR, "messages": N}],              # messages some rule acted on
  "top_recipient_domains": [{"domain": DOMAIN, "messages": N}],
  "top_estimated": BOOL,     # more distinct senders/domains than kept: counts are estimates
  "errors": [{"position": TEXT, "message_id": ID|null, "reason": TEXT}]   # the first 100
}
FINDING = {"detector": NAME, "count": N, "confidence": "high"|"medium"|"low",
           "where": [PART, ...], "samples": [MASKED, ...], "reason": TEXT|null}
"""


class SpaceSaving:
    """The most frequent keys of a stream in bounded memory (Metwally et al. 2005).

    Exact while at most `capacity` distinct keys were seen; after that a new key replaces the
    least counted one and inherits its count (an over-estimate by at most that count)."""

    def __init__(self, capacity: int = TOP_CAPACITY) -> None:
        self.capacity = capacity
        self.counts: dict[str, int] = {}
        self.estimated = False

    def add(self, key: str) -> None:
        if key in self.counts:
            self.counts[key] += 1
        elif len(self.counts) < self.capacity:
            self.counts[key] = 1
        else:
            # Ties go to the smallest key, so the same stream always keeps the same keys.
            victim = min(self.counts.items(), key=lambda kv: (kv[1], kv[0]))[0]
            self.counts[key] = self.counts.pop(victim) + 1
            self.estimated = True

    def top(self, n: int) -> list[tuple[str, int]]:
        return sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


@dataclass
class RuleTally:
    messages: int = 0
    effects: Counter[str] = field(default_factory=Counter)
    samples: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class DetectorTally:
    messages: int = 0
    values: int = 0
    by_confidence: Counter[str] = field(default_factory=Counter)


def finding_json(f: Any) -> dict[str, Any]:
    return {
        "detector": f.detector,
        "count": f.count,
        "confidence": f.confidence,
        "where": list(f.where),
        "samples": list(f.samples),
        "reason": f.reason,
    }


class Tally:
    """The aggregate of a run (see the module docstring)."""

    def __init__(
        self,
        policy_source: str,
        policy_sha256: str,
        organisation: str = "",
        samples: int = 5,
        top: int = 10,
    ) -> None:
        self.organisation = organisation
        self.policy_source = policy_source
        self.policy_sha256 = policy_sha256
        self.samples = samples
        self.top = top
        self.sources: list[dict[str, Any]] = []
        self.messages = 0
        self.unreadable = 0
        self.decisions: Counter[str] = Counter()
        self.rules: dict[str, RuleTally] = {}
        self.detectors: dict[str, DetectorTally] = {}
        self.senders = SpaceSaving()
        self.domains = SpaceSaving()
        self.errors: list[dict[str, Any]] = []
        self.dns_rules_skipped: list[str] = []

    def source(self, path: str, kind: str) -> None:
        self.sources.append({"path": path, "kind": kind, "messages": 0})

    def add(self, outcome: Outcome, source: int = 0) -> None:
        """Fold in one message of source number `source` (in the order of `source()` calls)."""
        self.messages += 1
        if self.sources:
            self.sources[source]["messages"] += 1
        if outcome.error is not None:
            self.unreadable += 1
            if len(self.errors) < MAX_ERRORS:
                self.errors.append(
                    {
                        "position": outcome.position,
                        "message_id": outcome.message_id,
                        "reason": outcome.error,
                    }
                )
            return
        self.decisions[outcome.action] += 1
        for f in outcome.findings:
            d = self.detectors.setdefault(f.detector, DetectorTally())
            d.messages += 1
            d.values += f.count
            d.by_confidence[f.confidence] += 1
        rules = dict.fromkeys(rule for rule, _ in outcome.effects)
        for rule, effect in outcome.effects:
            self.rules.setdefault(rule, RuleTally()).effects[effect] += 1
        for rule in rules:
            tally = self.rules[rule]
            tally.messages += 1
            if len(tally.samples) < self.samples:
                tally.samples.append(
                    {
                        "message_id": outcome.message_id,
                        "position": outcome.position,
                        "action": outcome.action,
                        "findings": [finding_json(f) for f in outcome.findings],
                    }
                )
        if rules or outcome.action != "accept":
            self.senders.add(outcome.sender or "<>")
            for domain in outcome.recipient_domains:
                self.domains.add(domain)

    @property
    def judged(self) -> int:
        return self.messages - self.unreadable

    def rule_rows(self) -> list[tuple[str, RuleTally]]:
        return sorted(self.rules.items(), key=lambda kv: (-kv[1].messages, kv[0]))

    def detector_rows(self) -> list[tuple[str, DetectorTally]]:
        return sorted(self.detectors.items(), key=lambda kv: (-kv[1].messages, kv[0]))

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` document (JSON_SHAPE)."""
        return {
            "version": JSON_VERSION,
            "policy": {
                "source": self.policy_source,
                "sha256": self.policy_sha256,
                "organisation": self.organisation,
            },
            "sources": self.sources,
            "messages": self.messages,
            "judged": self.judged,
            "unreadable": self.unreadable,
            "decisions": {a: self.decisions.get(a, 0) for a in ACTIONS},
            "dns_rules_skipped": self.dns_rules_skipped,
            "rules": [
                {
                    "rule": rule,
                    "messages": t.messages,
                    **{e: t.effects.get(e, 0) for e in EFFECTS},
                    "samples": t.samples,
                }
                for rule, t in self.rule_rows()
            ],
            "detectors": [
                {
                    "detector": name,
                    "messages": d.messages,
                    "values": d.values,
                    **{c: d.by_confidence.get(c, 0) for c in CONFIDENCES},
                }
                for name, d in self.detector_rows()
            ],
            "top_senders": [{"sender": s, "messages": n} for s, n in self.senders.top(self.top)],
            "top_recipient_domains": [
                {"domain": d, "messages": n} for d, n in self.domains.top(self.top)
            ],
            "top_estimated": self.senders.estimated or self.domains.estimated,
            "errors": self.errors,
        }
