"""Unit tests for milter.core.fastpaths: the frozen switch the parsers are given."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable

import pytest

from milter.content import ScanConfig
from milter.content.formats.text import decode_base64, transfer_decode, transfer_decode_span
from milter.content.mime import parse_headers
from milter.core.address import Address, normalise_domain, parse_address
from milter.core.fastpaths import FAST, REFERENCE, FastPaths

SWITCHES = [f.name for f in dataclasses.fields(FastPaths)]


class TestFastPaths:
    """FAST, REFERENCE and the defaults the parsers take."""

    def test_fast_has_every_path_on_and_reference_none(self) -> None:
        """FAST switches every fast path on; REFERENCE leaves everything to the general code."""
        assert SWITCHES
        assert all(getattr(FAST, name) is True for name in SWITCHES)
        assert all(getattr(REFERENCE, name) is False for name in SWITCHES)

    def test_frozen(self) -> None:
        """A FastPaths value cannot be changed after it is built (no switch flipped in place)."""
        with pytest.raises(dataclasses.FrozenInstanceError):
            FAST.headers = False  # type: ignore[misc]

    @pytest.mark.parametrize(
        "function",
        [
            parse_address,
            normalise_domain,
            Address.text,
            parse_headers,
            decode_base64,
            transfer_decode,
            transfer_decode_span,
        ],
    )
    def test_production_default_is_fast(self, function: Callable[..., object]) -> None:
        """Every parser that takes a FastPaths defaults to the FAST instance itself."""
        assert inspect.signature(function).parameters["fast"].default is FAST

    def test_scanner_default_is_fast(self) -> None:
        """A policy's scanner (ScanConfig without fast_paths) scans with FAST."""
        assert ScanConfig().fast_paths is FAST
