"""What goes over the wire to a quarantine service (local or through a gateway bridge): one
JSON request line, one JSON response line; the two errors a gateway call can end in.

Shared by ``milter.portal.gateways`` and ``milter.portal.tlsgateway`` (it imports nothing of
theirs)."""

from __future__ import annotations

import json
from typing import Any, Protocol

MAX_RESPONSE = 16 * 1024 * 1024
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


def request_line(op: str, params: dict[str, Any], acting: dict[str, str] | None) -> bytes:
    """One request as the quarantine service reads it."""
    request: dict[str, Any] = {"op": op, **params}
    if acting is not None:
        request["acting"] = acting
    return json.dumps(request).encode("utf-8") + b"\n"


def read_response(read: Any, where: str) -> dict[str, Any]:
    """Read one response line with ``read(n)``: its result; GatewayRefused when the service
    said no, GatewayUnreachable when there is no proper answer."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = read(65536)
        if not chunk:
            break
        data += chunk
        if len(data) > MAX_RESPONSE:
            raise GatewayUnreachable(f"{where}: the answer is too long")
    try:
        response = json.loads(data)
    except ValueError:
        raise GatewayUnreachable(f"{where}: no answer from the quarantine service") from None
    if not isinstance(response, dict):
        raise GatewayUnreachable(f"{where}: the answer is malformed")
    result = response.get("result")
    if response.get("ok") is True and isinstance(result, dict):
        return result
    error = response.get("error")
    if response.get("ok") is False and isinstance(error, str):
        raise GatewayRefused(error)
    raise GatewayUnreachable(f"{where}: the answer is malformed")
