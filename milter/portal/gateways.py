"""The portal's seam to the gateways: each gateway's quarantine service, one call at a time.

A ``Gateway`` has a ``name`` and ``call(op, params, acting)``: one operation of the quarantine
service (milter.officer.service) for ``acting`` -- {"officer": NAME} or {"sender": ADDRESS,
"token": NONCE}; the service records who through its delegate check. It answers the service's
result, or raises:

- ``GatewayUnreachable``: nobody answered (no socket, refused, timeout, a broken answer). The
  portal shows the gateway as unreachable, never as empty.
- ``GatewayRefused``: the service answered no; the text is the service's (it names what is
  wrong and never carries message content).

``gateway_from(spec)`` builds one from the portal's configuration (a GatewaySpec):
``unix:/path`` is the local quarantine service's socket (``UnixGateway``). Other schemes are
refused by name (the remote ``tls:host:port`` gateway, with spec.option("cert"/"key"/"ca"),
plugs in here).
"""

from __future__ import annotations

import contextlib
import json
import socket
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from milter.portal.config import GatewaySpec

MAX_RESPONSE = 16 * 1024 * 1024
DEFAULT_TIMEOUT_S = 60.0  # a release runs postsuper; a list runs postcat for each held message


class GatewayUnreachable(Exception):
    """The gateway's quarantine service did not answer; str() says which and why."""


class GatewayRefused(Exception):
    """The gateway's quarantine service refused or failed the operation; str() is its text."""


class Gateway(Protocol):
    name: str

    def call(
        self, op: str, params: dict[str, Any], acting: dict[str, str] | None
    ) -> dict[str, Any]:
        """The operation's result; GatewayUnreachable or GatewayRefused otherwise."""
        ...


class UnixGateway:
    """A quarantine service on this machine, over its unix socket (the portal's user is a
    --delegate-user of the service and in its group)."""

    def __init__(self, name: str, path: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.name = name
        self.path = path
        self.timeout_s = timeout_s

    def call(
        self, op: str, params: dict[str, Any], acting: dict[str, str] | None
    ) -> dict[str, Any]:
        request: dict[str, Any] = {"op": op, **params}
        if acting is not None:
            request["acting"] = acting
        line = json.dumps(request).encode() + b"\n"
        data = b""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(self.timeout_s)
                sock.connect(self.path)
                # a refused peer is answered before its request is read
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    sock.sendall(line)
                while not data.endswith(b"\n") and len(data) <= MAX_RESPONSE:
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    data += chunk
        except TimeoutError:
            raise GatewayUnreachable(
                f"{self.name}: no answer within {self.timeout_s:g} s"
            ) from None
        except OSError as exc:
            raise GatewayUnreachable(f"{self.name}: {exc.strerror or type(exc).__name__}") from None
        try:
            response = json.loads(data)
        except ValueError:
            response = None
        if not isinstance(response, dict):
            raise GatewayUnreachable(f"{self.name}: no valid answer from the quarantine service")
        result, error = response.get("result"), response.get("error")
        if response.get("ok") is True and isinstance(result, dict):
            return result
        if response.get("ok") is False and isinstance(error, str):
            raise GatewayRefused(error)
        raise GatewayUnreachable(f"{self.name}: no valid answer from the quarantine service")


def gateway_from(spec: GatewaySpec) -> Gateway:
    """A gateway from its configured address; ValueError naming the address otherwise."""
    name, address = spec.name, spec.address
    if address.startswith("unix:") and len(address) > len("unix:"):
        return UnixGateway(name, address.removeprefix("unix:"))
    raise ValueError(
        f"gateway {name}: address {address!r} is not understood (expected unix:/path to the "
        "quarantine service's socket)"
    )
