"""What the native core's identity tests share (test_native*.py).

`OPTED_OUT`: the run set POSTWARDEN_NATIVE=0 (the scanner then runs the Python code; the
identity tests still compare both, through `NATIVE`). `NATIVE`: the extension module itself, or
None when it is not built. `require_built()`, called at the top of each module: CI always
builds the extension, so a missing one fails the run there, never a quiet skip.
"""

from __future__ import annotations

import os
from types import ModuleType

import pytest
from hypothesis import HealthCheck, settings

from milter.content import native

OPTED_OUT = os.environ.get("POSTWARDEN_NATIVE", "").strip() == "0"

NATIVE: ModuleType | None
try:
    from milter import _native as NATIVE
except ImportError:
    NATIVE = None

# Only when the extension is missing and the run opted out on purpose.
needs_native = pytest.mark.skipif(
    NATIVE is None, reason="POSTWARDEN_NATIVE=0 and milter._native not built"
)


def require_built() -> None:
    """Fail (at import) unless the native core is what the scanner runs, or the run opted out."""
    assert OPTED_OUT or native.SCANNER == "native", (
        "milter._native is not built (cargo missing at install, or its build failed): "
        "see the pip install output; POSTWARDEN_NATIVE=0 runs the Python code on purpose"
    )


def generated(examples: int) -> settings:
    """Hypothesis settings of the identity tests: `examples` fixed-seed examples, no deadline."""
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
