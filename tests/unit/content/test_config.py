"""Unit tests for milter.content.config: compile_config and its refusals."""

from __future__ import annotations

import pytest

from milter.content import (
    ALL_DETECTORS,
    ConfigError,
    CustomPattern,
    PatternError,
    ScanConfig,
    ScanLimits,
    compile_config,
)
from milter.content.registry import REGISTRY


class TestCompileConfig:
    """compile_config builds a scanner or refuses with a clear error."""

    def test_defaults_compile(self) -> None:
        """The default configuration compiles and runs every registered detector."""
        scanner = compile_config(ScanConfig())
        assert [d.name for d in scanner.detectors] == list(ALL_DETECTORS)
        assert set(ALL_DETECTORS) == set(REGISTRY)

    @pytest.mark.parametrize(
        ("config", "message"),
        [
            (ScanConfig(detectors=("bsn", "nope")), "unknown detector 'nope'"),
            (ScanConfig(detectors=("bsn", "bsn")), "listed twice"),
            (ScanConfig(limits=ScanLimits(max_parts=0)), "max_parts"),
            (ScanConfig(limits=ScanLimits(max_depth=1000)), "max_depth"),
            (ScanConfig(case_keywords=("--",)), "no letter or digit"),
            (ScanConfig(custom=(CustomPattern("a", "x"), CustomPattern("a", "y"))), "used twice"),
            (ScanConfig(custom=(CustomPattern("", "x"),)), "empty"),
        ],
    )
    def test_refusals(self, config: ScanConfig, message: str) -> None:
        """Bad settings raise ConfigError naming the problem."""
        with pytest.raises(ConfigError, match=message):
            compile_config(config)

    @pytest.mark.parametrize("pattern", ["(a", "a{2,1}", r"(?<=x)y", r"(a)\1"])
    def test_pattern_error_names_the_pattern(self, pattern: str) -> None:
        """A pattern RE2 refuses raises PatternError with the pattern's name and RE2's message."""
        with pytest.raises(PatternError) as caught:
            compile_config(ScanConfig(custom=(CustomPattern("projectcode", pattern),)))
        assert caught.value.name == "projectcode"
        assert caught.value.message
        assert isinstance(caught.value, ConfigError)

    def test_scanner_is_reusable(self) -> None:
        """One compiled scanner scans many messages independently."""
        scanner = compile_config(ScanConfig())
        first = scanner.scan_message(b"Subject: x\r\n\r\nBSN 101722333\r\n")
        second = scanner.scan_message(b"Subject: x\r\n\r\nhallo\r\n")
        assert first.by_detector("bsn") is not None
        assert second.by_detector("bsn") is None
