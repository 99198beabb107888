"""The portal's seam to the gateways: each gateway's quarantine service, one call at a time.

A ``Gateway`` has a ``name`` and ``call(op, params, acting)``: one operation of the quarantine
service (milter.officer.service) for ``acting`` -- {"officer": NAME} or {"sender": ADDRESS,
"token": NONCE}; the service records who through its delegate check. It answers the service's
result, or raises:

- ``GatewayUnreachable``: nobody answered (no socket, refused, timeout, TLS failed, a broken
  answer). The portal shows the gateway as unreachable, never as empty.
- ``GatewayRefused``: the service answered no; the text is the service's (it names what is
  wrong and never carries message content).

``gateway_from(spec)`` builds one from the portal's configuration (a GatewaySpec):

- ``unix:/path`` — the quarantine service on this machine (``UnixGateway``);
- ``tls:HOST:PORT`` — a remote gateway's ``postwarden quarantine-gateway`` bridge over mutual
  TLS (``milter.portal.tlsgateway.TlsGateway``), with the options ``cert`` and ``key`` (the
  portal's client certificate), ``ca`` (the CA that signed the gateway's) and optionally
  ``server_name`` (the name in the gateway's certificate; default HOST).

The request and response lines and the two errors live in ``milter.portal.wire``, shared with
the TLS client.
"""

from __future__ import annotations

import contextlib
import socket
from typing import TYPE_CHECKING, Any

from milter.portal.tlsgateway import TlsGateway
from milter.portal.wire import (
    Gateway,
    GatewayRefused,
    GatewayUnreachable,
    read_response,
    request_line,
)

if TYPE_CHECKING:
    from milter.portal.config import GatewaySpec

__all__ = ["Gateway", "GatewayRefused", "GatewayUnreachable", "UnixGateway", "gateway_from"]

DEFAULT_TIMEOUT_S = 60.0  # a release runs postsuper; a list runs postcat for each held message


class UnixGateway:
    """A quarantine service on this machine, over its unix socket (the portal's user is a
    --delegate-user of the service and in its group)."""

    def __init__(self, name: str, path: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.name = name
        self.path = path
        self.timeout_s = timeout_s

    def call(
        self, op: str, params: dict[str, Any], acting: dict[str, str] | None = None
    ) -> dict[str, Any]:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(self.timeout_s)
                sock.connect(self.path)
                # a refused peer is answered before its request is read
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    sock.sendall(request_line(op, params, acting))
                return read_response(sock.recv, self.name)
        except TimeoutError:
            raise GatewayUnreachable(
                f"{self.name}: no answer within {self.timeout_s:g} s"
            ) from None
        except OSError as exc:
            raise GatewayUnreachable(f"{self.name}: {exc.strerror or type(exc).__name__}") from None


def gateway_from(spec: GatewaySpec) -> Gateway:
    """A gateway from its configured address; ValueError naming the address otherwise."""
    name, address = spec.name, spec.address
    if address.startswith("unix:") and len(address) > len("unix:"):
        return UnixGateway(name, address.removeprefix("unix:"))
    if address.startswith("tls:"):
        host, _, port = address.removeprefix("tls:").rpartition(":")
        host = host.strip("[]")
        files = {key: spec.option(key) for key in ("cert", "key", "ca")}
        missing = [key for key, value in files.items() if not value]
        if not host or not port.isdigit() or missing:
            raise ValueError(
                f"gateway {name}: a tls:HOST:PORT gateway needs cert, key and ca "
                f"(missing: {', '.join(missing) or 'none'}; address {address!r})"
            )
        return TlsGateway(
            name,
            host,
            int(port),
            ca=str(files["ca"]),
            cert=str(files["cert"]),
            key=str(files["key"]),
            server_name=spec.option("server_name") or host,
        )
    raise ValueError(
        f"gateway {name}: address {address!r} is not understood (expected unix:/path to the "
        "quarantine service's socket, or tls:host:port to a quarantine-gateway bridge)"
    )
