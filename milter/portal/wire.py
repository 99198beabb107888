"""What a portal gateway call can end in, and the one interface every gateway has.

The lines themselves are the quarantine service's own format (``milter.officer.wire``); here
its two errors become the portal's: a gateway that did not answer is shown as unreachable,
never as empty. Shared by ``milter.portal.gateways`` and ``milter.portal.tlsgateway`` (it
imports nothing of theirs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from milter.officer import wire
from milter.officer.wire import request_line

__all__ = [
    "TIMEOUT_S",
    "Gateway",
    "GatewayRefused",
    "GatewayUnreachable",
    "read_response",
    "request_line",
]

TIMEOUT_S = 30.0


class GatewayUnreachable(Exception):
    """The gateway did not answer (down, refused the connection, TLS failed, timed out)."""


class GatewayRefused(Exception):
    """The gateway answered with a refusal or failure; the message is the service's text."""


class Gateway(Protocol):
    name: str

    def call(
        self, op: str, params: dict[str, Any], acting: dict[str, str] | None = None
    ) -> dict[str, Any]: ...


def read_response(read: Callable[[int], bytes], where: str) -> dict[str, Any]:
    """One response line read with ``read(n)``: its result; GatewayRefused when the service
    said no, GatewayUnreachable when there is no proper answer."""
    try:
        return wire.read_response(read, where)
    except wire.Refusal as exc:
        raise GatewayRefused(str(exc)) from None
    except wire.NoAnswer as exc:
        raise GatewayUnreachable(str(exc)) from None
