"""content -- find plain-text client data in every part of an outgoing message.

A library with a small, typed API; the policy loader, engine and milter session use it:

    from milter.content import ScanConfig, compile_config
    scanner = compile_config(ScanConfig())          # once per policy load
    facts = scanner.scan_message(raw_message)       # or scanner.session() for the milter
    facts.by_detector("bsn")                        # Finding(count, confidence, where, samples)

See `scan` for the flow, `registry` for how detectors plug in, `detectors/` for what each finds.
"""

from milter.content.config import (
    ALL_DETECTORS,
    DEFAULT_CASE_KEYWORDS,
    ConfigError,
    CustomPattern,
    OcrSettings,
    PatternError,
    ScanConfig,
    ScanLimits,
)
from milter.content.findings import CONFIDENCE_RANK, Confidence, ContentFacts, Finding, at_least
from milter.content.scan import CompiledScanner, ScanSession, compile_config

__all__ = [
    "ALL_DETECTORS",
    "CONFIDENCE_RANK",
    "DEFAULT_CASE_KEYWORDS",
    "CompiledScanner",
    "Confidence",
    "ConfigError",
    "ContentFacts",
    "CustomPattern",
    "Finding",
    "OcrSettings",
    "PatternError",
    "ScanConfig",
    "ScanLimits",
    "ScanSession",
    "at_least",
    "compile_config",
]
