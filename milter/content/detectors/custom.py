"""custom -- the officer's own patterns from the policy, reported as `custom:<name>`.

Each `CustomPattern` is compiled with google-re2 at policy load (linear-time matching: no
pattern can make the scanner hang) and run over every text segment.  Count = unique matched
texts; confidence = the pattern's configured confidence; samples keep only the last two
characters.  At most 10,000 matches per pattern per segment are looked at; empty matches are
ignored.

Refuses: a pattern RE2 cannot compile (PatternError with the pattern's name), two patterns with
the same name, an empty name (ConfigError).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from milter.content._re2 import Regex, compile_re2
from milter.content.config import ConfigError, PatternError, ScanConfig
from milter.content.findings import Confidence, Finding
from milter.content.mask import mask_tail
from milter.content.registry import Detector, DetectorRun, Segment, Tally, register

MAX_MATCHES_PER_SEGMENT = 10_000
CONFIDENCE_NAMES = ("low", "medium", "high")


@dataclass(frozen=True, slots=True)
class _Compiled:
    name: str
    regex: Regex
    confidence: Confidence


@dataclass(slots=True)
class _Run(DetectorRun):
    patterns: tuple[_Compiled, ...]
    tallies: list[Tally] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.tallies = [Tally(f"custom:{p.name}", mask_tail) for p in self.patterns]

    def on_segment(self, segment: Segment) -> None:
        data = segment.data
        for pattern, tally in zip(self.patterns, self.tallies, strict=True):
            seen = 0
            for match in pattern.regex.finditer(data):
                start, end = match.span()
                if start == end:
                    continue
                value = data[start:end].decode("utf-8", "replace")
                tally.add(value, pattern.confidence, segment.where)
                seen += 1
                if seen >= MAX_MATCHES_PER_SEGMENT:
                    break

    def findings(self) -> tuple[Finding, ...]:
        found = (tally.finding() for tally in self.tallies)
        return tuple(f for f in found if f is not None)


@register("custom")
class CustomDetector(Detector):
    """Registered detector: see the module docstring."""

    def __init__(self, config: ScanConfig) -> None:
        super().__init__(config)
        compiled: list[_Compiled] = []
        names: set[str] = set()
        for custom in config.custom:
            if not custom.name or custom.name in names:
                raise ConfigError(f"custom pattern name {custom.name!r} is empty or used twice")
            if custom.confidence not in CONFIDENCE_NAMES:
                raise ConfigError(f"custom pattern {custom.name!r}: unknown confidence")
            names.add(custom.name)
            try:
                regex = compile_re2(custom.pattern)
            except ValueError as exc:
                raise PatternError(custom.name, str(exc)) from None
            compiled.append(_Compiled(custom.name, regex, custom.confidence))
        self.patterns = tuple(compiled)

    def start(self) -> DetectorRun:
        return _Run(self.patterns)
