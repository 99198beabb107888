"""case_keywords -- the officer's case vocabulary (cliënt, dossier, Veilig Thuis, OTS, ...).

Matches the configured words (ScanConfig.case_keywords) whole-word, case- and accent-insensitive
('cliënt' = client = CLIENT); a word ending in `*` also matches longer words that start with it
('melding*' = meldingen).  Count = the number of DISTINCT configured words found.

Confidence: medium when two or more distinct words occur in the message (case vocabulary in
combination is what case notes look like), low for a single one (one word like 'dossier' is
common in ordinary mail).  A word inside a signature block (own_text.signature_spans: after
'-- ', or a closing such as 'Met vriendelijke groet' and a name) is not counted: a job title
'Gezinsvoogd' or 'Medewerker Veilig Thuis' under every mail of a care worker is no case data.
The blocks are looked for only in a segment with a hit.  Nor is a word written as someone's
job: right after a 'Functie:' label at the start of a line (an HR form: 'Functie: gezinsvoogd',
also 'Functietitel', 'Job title', with a tab for a table cell) or after 'werkzaam als' / 'in
de functie van' -- a staff member's job title, not a case -- nor the tail of a staff file's
compound ('HR-dossier', 'P-dossier', 'SKJ-dossier'), nor any word of a CV (a text titled
'Curriculum vitae' with a 'Werkervaring' section: a care worker's CV lists the work, 'gezinsvoogd,
casusoverleg, ondertoezichtstelling').  Samples are the configured words
themselves -- the officer's words, never message text.  On its own this detector says
little; the policy combines it with date_of_birth or bsn.

Refuses: configured words without a letter or digit (ConfigError at policy load).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from milter.content.findings import Confidence, Finding
from milter.content.keywords import word_key
from milter.content.own_text import signature_spans
from milter.content.registry import (
    MAX_SAMPLES,
    MAX_WHERE,
    Detector,
    DetectorRun,
    KeywordSet,
    Segment,
    register,
)

if TYPE_CHECKING:
    from milter.content.config import ScanConfig


@dataclass(slots=True)
class _Run(DetectorRun):
    display: dict[str, str]
    seen: dict[str, None] = field(default_factory=dict)
    where: list[str] = field(default_factory=list)
    hits: list[tuple[str, int]] = field(default_factory=list)  # this segment's: (key, start)

    def on_keyword(self, tag: str, key: str, start: int, end: int) -> None:
        self.hits.append((key, start))

    def on_segment(self, segment: Segment) -> None:
        if not self.hits:
            return
        hits = self.hits
        if not segment.header:
            data = segment.data
            if _is_cv(data):
                self.hits = []  # the applicant's work experience, not a case
                return
            spans = signature_spans(data, [at for _, at in hits])
            if spans:
                hits = [(key, at) for key, at in hits if not _inside(spans, at)]
            hits = [(key, at) for key, at in hits if not _about_staff(data, at)]
        for key, _ in hits:
            self.seen.setdefault(key, None)
        where = segment.where
        if hits and where not in self.where and len(self.where) < MAX_WHERE:
            self.where.append(where)
        self.hits = []

    def findings(self) -> tuple[Finding, ...]:
        if not self.seen:
            return ()
        count = len(self.seen)
        confidence: Confidence = "medium" if count >= 2 else "low"
        samples = tuple(self.display.get(key, key) for key in list(self.seen)[:MAX_SAMPLES])
        counts = (count, count if count >= 2 else 0, 0)
        return (
            Finding("case_keywords", count, confidence, tuple(self.where), samples, counts=counts),
        )


# What stands before a word that is someone's job: a 'Functie:' label opening its line (a form,
# or a table row read as 'Functie<tab>gezinsvoogd'), or 'werkzaam als' / 'in de functie van'.
_JOB_LABEL = re.compile(
    rb"(?i)(?:\n[ \t]*(?:functie(?:titel|naam)?|job[ \t]*title)[ \t]*[:\t][ \t]*"
    rb"|\b(?:werkzaam|aangesteld|employed)[ \t]+(?:als|as)[ \t]+(?:een[ \t]+|a[ \t]+)?"
    rb"|\bin[ \t]+de[ \t]+functie[ \t]+(?:van|als)[ \t]+)\Z"
)
_JOB_LOOKBACK = 48
# A staff file's compound: 'HR-dossier', 'P-dossier', 'SKJ-dossier' (the professional register),
# 'personeelsdossier' written with a hyphen.
_STAFF_COMPOUND = re.compile(
    rb"(?i)(?<![^\W_])(?:hr|p|skj|big|personeels|medewerkers?|opleidings|scholings|verzuim)-\Z"
)


# A curriculum vitae: the title near the top, and a section of work experience or education.
_CV_TITLE = re.compile(rb"(?i)\bcurriculum[ \t]+vitae\b")
_CV_SECTION = re.compile(rb"(?i)\b(?:werkervaring|arbeidsverleden|work[ \t]+experience)\b")
_CV_TOP = 512


def _is_cv(data: bytes) -> bool:
    """True when the text is a CV: 'Curriculum vitae' in its first lines and 'Werkervaring'."""
    return _CV_TITLE.search(data, 0, _CV_TOP) is not None and _CV_SECTION.search(data) is not None


def _about_staff(data: bytes, at: int) -> bool:
    """True when the keyword at `at` is about staff: after a job label ('Functie: gezinsvoogd')
    or as the tail of a staff compound ('SKJ-dossier')."""
    lo = max(0, at - _JOB_LOOKBACK)
    window = data[lo:at] if lo else b"\n" + data[:at]
    return _JOB_LABEL.search(window) is not None or _STAFF_COMPOUND.search(window) is not None


def _inside(spans: list[tuple[int, int]], at: int) -> bool:
    """True when `at` lies in one of the sorted, non-overlapping `spans`."""
    index = bisect_right(spans, (at, _END)) - 1
    return index >= 0 and at < spans[index][1]


_END = 2**62  # sorts after any end offset: (at, _END) comes after every span starting at `at`


@register("case_keywords")
class CaseKeywordsDetector(Detector):
    """Registered detector: see the module docstring."""

    def __init__(self, config: ScanConfig) -> None:
        super().__init__(config)
        # built once per policy load (folding every word costs ~0.2 ms); never changed after
        self.display = {word_key(w.rstrip("*")): w.rstrip("*") for w in config.case_keywords}

    def keyword_sets(self) -> tuple[KeywordSet, ...]:
        return (KeywordSet("case", tuple(self.config.case_keywords)),)

    def start(self) -> DetectorRun:
        return _Run(self.display)
