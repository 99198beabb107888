"""The two milter front ends, for the session tests that run with each.

`frontend` (parametrized): "native" runs the session with milter._native's Wire (the framing in
Rust), "python" with protocol/codec.py's framing (the reference). The native one needs the
extension: a missing build fails the run (native_support.require_built), unless the run opted
out with POSTWARDEN_NATIVE=0 and the module is not there.
"""

from __future__ import annotations

import pytest

import milter.protocol.native as native_wire
from tests.unit.content.native_support import NATIVE, OPTED_OUT

FRONTENDS = ["native", "python"]


@pytest.fixture(params=FRONTENDS)
def frontend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Sessions started in this test frame packets with the given front end."""
    if request.param == "python":
        monkeypatch.setattr(native_wire, "Wire", None)
    elif NATIVE is not None:
        monkeypatch.setattr(native_wire, "Wire", NATIVE.Wire)
    else:
        assert OPTED_OUT, "milter._native is not built: the native front end cannot be tested"
        pytest.skip("POSTWARDEN_NATIVE=0 and milter._native not built")
    return str(request.param)
