"""The held-out corpus (tests/corpus/holdout, issue 13 "Done when") through the whole decision.

Every message goes the way test_corpus_decisions.py sends the labelled corpus: the manifest's
envelope (`build_envelope`), policies/example.yaml's scanner (`scan_message`) and `decide`.
The test prints precision and recall per decision, per detector and per category (file names,
rule ids and detector names only: never text from the mail).

Unlike the realistic corpus (test_realistic_corpus.py, which holds the issue's targets: every
client-data mail held, at most 1 % of ordinary external mail), this corpus does NOT meet them
yet, and says so: its first, blind round scored 100 % / 2.4 %; two later rounds were written
against guessed weaknesses.  The decision tests are a ratchet: every wrong decision must be one
of the known ones below (each with why), so a regression fails; a known one that becomes right
should be taken off the list.  The corpus was written independently of the realistic corpus and
of the detectors, to show where they over-fit; the labels come from a human reading the mail,
not from Postwarden (see make_holdout.py); the generator must be deterministic and the manifest
must cover every file.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import shutil
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

# The only calls into milter (paths may move in the re-layout of issue 14: update them here).
from milter.cli.check import build_envelope
from milter.core.engine import Facts, decide
from milter.policy import load_policy

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT / "tests" / "corpus" / "holdout"
MANIFEST: list[dict[str, Any]] = yaml.safe_load((CORPUS / "manifest.yaml").read_text("utf-8"))[
    "messages"
]
POLICY = load_policy(ROOT / "policies" / "example.yaml")
NOW = dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC)
# Labelled evidence -> the detector (or fact) that would show it; audio is only ever
# "unscannable" (nobody transcribes voicemail).
DETECTORS = {
    "bsn": "bsn",
    "date_of_birth": "date_of_birth",
    "case_keywords": "case_keywords",
    "postcode": "postcode",
    "iban": "iban",
    "audio": "unscannable",
}
MAX_ORDINARY_HELD = 0.01  # issue 13's target (met on the realistic corpus, not yet here)
# What this corpus still gets wrong with policies/example.yaml (see the module docstring).
KNOWN_MISSED = {
    "name_dob_no_keyword_01.eml": "a date of birth with no case word (the example rule needs one)",
    "name_dob_no_keyword_03.eml": "'Name (d/m/yyyy)': a date with no birth label",
    "name_dob_no_keyword_04.eml": "'Name, *dd-mm-yyyy': the asterisk birth notation",
    "dob_spellings_04.eml": "'geboren d-m-'yy': a two-digit year",
    "dob_spellings_05.eml": "'geb.datum yyyymmdd': a date without separators",
    "foster_parent_01.eml": "a BSN without its label, no date-of-birth label, no case word",
    "foster_parent_02.eml": "a BSN without its label, no date-of-birth label, no case word",
}
KNOWN_HELD = {
    "elearning_01.eml": "a training case's 'fictieve cliënt' with a birth date (judgement)",
    "elearning_04.eml": "a training case's 'fictieve cliënt' with a birth date (judgement)",
    "breach_notice_01.eml": "a breach notice listing 'geboortedatum en BSN' as kinds of data",
    "breach_notice_02.eml": "a breach notice listing 'geboortedatum en BSN' as kinds of data",
    "newsletter_memoriam_01.eml": "a colleague's date of birth in memoriam, with case words",
    "hr_cv_01.eml": "an applicant's CV: personal data, not client data (judgement)",
    "hr_cv_02.eml": "an applicant's CV: personal data, not client data (judgement)",
    "hr_sick_leave_01.eml": "an employee's sick report: personal data (judgement)",
    "hr_sick_leave_02.eml": "an employee's sick report: personal data (judgement)",
}


@dataclass(frozen=True)
class Outcome:
    """One message: its label and what Postwarden did."""

    entry: dict[str, Any]
    action: str
    rules: tuple[str, ...]
    found: dict[str, str]  # detector -> confidence (unscannable: -> reason kind)

    @property
    def file(self) -> str:
        return str(self.entry["file"])

    @property
    def held(self) -> bool:
        return self.action == "quarantine"

    def why(self) -> str:
        found = ",".join(f"{d}:{c}" for d, c in sorted(self.found.items()))
        return f"{self.file} [{self.action}; rules={','.join(self.rules) or '-'}; found={found}]"


def _run(entry: dict[str, Any]) -> Outcome:
    assert POLICY.content is not None
    envelope = build_envelope(entry["from"], entry["to"], bool(entry["local"]))
    facts = POLICY.content.scanner.scan_message((CORPUS / entry["file"]).read_bytes())
    decision = decide(envelope, Facts(content=facts, now=NOW), POLICY)
    found = {f.detector: str(f.confidence) for f in facts.findings}
    return Outcome(entry, decision.action, decision.rules, found)


@pytest.fixture(scope="module")
def outcomes() -> list[Outcome]:
    return [_run(entry) for entry in MANIFEST]


def _pct(num: int, den: int) -> str:
    return f"{100 * num / den:5.1f} %" if den else "    - "


def report(outcomes: list[Outcome]) -> str:
    """The table the issue asks for: per decision, per detector, per category."""
    lines = [f"\nheld-out corpus: {len(outcomes)} messages"]
    lines.append("\nper decision            tp   fp   fn  precision  recall")
    for action in ("quarantine", "accept"):
        tp = sum(1 for o in outcomes if o.entry["decision"] == action and o.action == action)
        fp = sum(1 for o in outcomes if o.entry["decision"] != action and o.action == action)
        fn = sum(1 for o in outcomes if o.entry["decision"] == action and o.action != action)
        lines.append(
            f"  {action:<20} {tp:4d} {fp:4d} {fn:4d}    {_pct(tp, tp + fp)}  {_pct(tp, tp + fn)}"
        )
    lines.append("\nper detector (found at any confidence; labelled = evidence a reader sees)")
    lines.append(
        "  detector        labelled  found-in-labelled  found-elsewhere  precision  recall"
    )
    for label, detector in DETECTORS.items():
        labelled = [o for o in outcomes if label in o.entry["detectors"]]
        hit = sum(1 for o in labelled if detector in o.found)
        elsewhere = sum(
            1 for o in outcomes if label not in o.entry["detectors"] and detector in o.found
        )
        lines.append(
            f"  {label:<15} {len(labelled):8d} {hit:18d} {elsewhere:16d}   "
            f"{_pct(hit, hit + elsewhere)}  {_pct(hit, len(labelled))}"
        )
    lines.append("\nper category                          n  external  held  wrong")
    by_category: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        by_category[f"{o.entry['kind']}/{o.entry['category']}"].append(o)
    wrong: list[str] = []
    for name in sorted(by_category):
        group = by_category[name]
        ext = sum(1 for o in group if o.entry["recipients"] != "internal")
        held = sum(1 for o in group if o.held)
        bad = [o for o in group if o.action != o.entry["decision"]]
        lines.append(f"  {name:<35} {len(group):3d} {ext:9d} {held:5d} {len(bad):6d}")
        wrong += [f"  {o.entry['kind']:<11} want {o.entry['decision']:<10} {o.why()}" for o in bad]
    if wrong:
        lines.append("\nwrong decisions (ordinary held / client data missed):")
        lines += wrong
    # Client data whose evidence (as a reader labelled it) no detector found: held, if at all,
    # for other reasons (the organisation's own footer, an unreadable logo).
    unseen = []
    for o in outcomes:
        missing = [d for d in o.entry["detectors"] if DETECTORS[d] not in o.found]
        if o.entry["kind"] == "client_data" and missing:
            unseen.append(f"  {o.file}: not found {','.join(missing)} -> {o.action}")
    if unseen:
        lines.append("\nclient data whose labelled evidence was not found:")
        lines += unseen
    # Client data that is held only because something could not be read (an image, audio, a
    # scan): once images are read (OCR) or treated as decoration, these are the ones to watch.
    fragile = [o for o in outcomes if o.entry["kind"] == "client_data" and o.held]
    fragile = [o for o in fragile if o.rules and all(_unreadable(r) for r in o.rules)]
    if fragile:
        lines.append("\nclient data held only as unreadable (no detector found it):")
        lines += [f"  {o.why()}" for o in fragile]
    return "\n".join(lines)


def _unreadable(rule: str) -> bool:
    return rule.startswith(("unscannable", "truncated"))


def _external(kind: str) -> list[dict[str, Any]]:
    return [e for e in MANIFEST if e["kind"] == kind and e["recipients"] != "internal"]


class TestManifest:
    """The manifest and the files agree, and the corpus has the shape the issue asks for."""

    def test_manifest_covers_every_file(self) -> None:
        """Every .eml has exactly one manifest entry, and every entry's file exists."""
        files = sorted(p.name for p in CORPUS.glob("*.eml"))
        listed = [e["file"] for e in MANIFEST]
        assert len(listed) == len(set(listed)), "duplicate manifest entries"
        assert sorted(listed) == files

    def test_corpus_size_and_mix(self) -> None:
        """At least 120 messages, at least 60 % ordinary, both kinds sent out and kept inside."""
        kinds = Counter(e["kind"] for e in MANIFEST)
        assert len(MANIFEST) >= 120
        assert kinds["ordinary"] >= 0.6 * len(MANIFEST)
        assert len(_external("client_data")) >= 40 and len(_external("ordinary")) >= 75
        internal = Counter(e["kind"] for e in MANIFEST if e["recipients"] == "internal")
        assert internal["client_data"] >= 5 and internal["ordinary"] >= 5

    def test_labels_are_consistent(self) -> None:
        """Client data to anyone outside is labelled quarantine, everything else accept."""
        for e in MANIFEST:
            assert e["kind"] in ("client_data", "ordinary"), e["file"]
            want = (
                "quarantine"
                if e["kind"] == "client_data" and e["recipients"] != "internal"
                else "accept"
            )
            assert e["decision"] == want, e["file"]
            assert set(e["detectors"]) <= set(DETECTORS), e["file"]
            assert bool(e["detectors"]) == (e["kind"] == "client_data"), e["file"]


class TestGenerator:
    """make_holdout.py writes the committed corpus, byte for byte."""

    def test_generator_is_deterministic(self, tmp_path: Path) -> None:
        """Regenerating the corpus gives byte-identical .eml files and manifest."""
        assert shutil.which("lame"), "lame missing: make system-deps installs it"
        gen = _load_generator()
        gen.write(tmp_path)
        committed = sorted(p.name for p in CORPUS.iterdir() if p.suffix in (".eml", ".yaml"))
        fresh = sorted(p.name for p in tmp_path.iterdir())
        assert fresh == committed
        differ = [n for n in fresh if (tmp_path / n).read_bytes() != (CORPUS / n).read_bytes()]
        assert not differ, (
            f"{len(differ)} files differ from the committed corpus (a pinned library changed? "
            f"regenerate with make_holdout.py): {differ[:10]}"
        )


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_holdout", CORPUS / "make_holdout.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


class TestDecisions:
    """Postwarden with the example policy on the held-out corpus."""

    def test_no_client_data_missed_beyond_the_known_gaps(self, outcomes: list[Outcome]) -> None:
        """Client data going outside is held, except the known gaps (KNOWN_MISSED)."""
        table = report(outcomes)
        print(table)
        missed = {o.entry["file"] for o in outcomes if o.entry["decision"] == "quarantine"}
        missed &= {o.entry["file"] for o in outcomes if not o.held}
        assert missed <= set(KNOWN_MISSED), f"newly missed: {sorted(missed - set(KNOWN_MISSED))}"

    def test_no_ordinary_mail_held_beyond_the_known_ones(self, outcomes: list[Outcome]) -> None:
        """Ordinary external mail is delivered, except the known ones (KNOWN_HELD)."""
        external = [o for o in outcomes if o.entry["kind"] == "ordinary"]
        external = [o for o in external if o.entry["recipients"] != "internal"]
        held = {o.entry["file"] for o in external if o.action != "accept"}
        share = len(held) / len(external)
        print(
            f"ordinary external held: {len(held)} of {len(external)} ({share:.1%}; target"
            f" {MAX_ORDINARY_HELD:.0%})"
        )
        assert held <= set(KNOWN_HELD), f"newly held: {sorted(held - set(KNOWN_HELD))}"

    def test_internal_mail_is_delivered(self, outcomes: list[Outcome]) -> None:
        """Mail that stays inside the owned domains is delivered, client data or not."""
        internal = [o for o in outcomes if o.entry["recipients"] == "internal"]
        assert internal
        wrong = [o.why() for o in internal if o.action != "accept"]
        assert not wrong, "\n".join(wrong)
