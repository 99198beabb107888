"""Fixtures for the reliability tests: the end-to-end lab, per test or per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.reliability.lab import Lab


@pytest.fixture
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """Sink, Postfix instances and daemons for one test; all stopped by PID afterwards."""
    started = Lab(tmp_path_factory)
    try:
        yield started
    finally:
        started.close()


@pytest.fixture(scope="module")
def module_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """The same, shared by the tests of one module (one expensive run, several checks)."""
    started = Lab(tmp_path_factory)
    try:
        yield started
    finally:
        started.close()
