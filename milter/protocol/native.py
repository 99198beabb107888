"""protocol.native -- the native milter framing (milter._native.Wire, Rust) when it is there.

SYNOPSIS
    import milter.protocol.native as native_wire
    native_wire.FRONTEND    # "native" or "python": who frames the milter packets
    native_wire.Wire        # milter._native.Wire, or None (then session.py frames in Python)

DESCRIPTION
    One switch for all native code: POSTWARDEN_NATIVE=0 turns the framing off together with
    the native content core (milter/content/native.py). server/session.py uses ``Wire`` for
    every connection when it is there; protocol/codec.py and ``MilterSession.feed`` stay the
    reference and the fallback. tests/unit/server run the session tests with both front ends.

Refuses: nothing; a missing module (or one built before Wire existed) means "python".
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Final, Literal

if TYPE_CHECKING:
    from milter._native import Wire as _WireType


def _load() -> type[_WireType] | None:
    if os.environ.get("POSTWARDEN_NATIVE", "").strip() == "0":
        return None
    try:
        from milter import _native
    except ImportError:  # not built (no cargo at install, or the build failed)
        return None
    wire: type[_WireType] | None = getattr(_native, "Wire", None)
    return wire


Wire: type[_WireType] | None = _load()
FRONTEND: Final[Literal["native", "python"]] = "python" if Wire is None else "native"
