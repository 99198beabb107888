"""The portal's view of the mail gateways: each one's quarantine service, local or remote.

An organisation runs two or more gateways; every one holds its own mail in its own Postfix hold
queue, behind its own privileged quarantine service (``milter.officer.service``). The portal
asks each of them through one seam:

    gateway.call(op, params, acting) -> result dict

where ``op`` and ``params`` are the quarantine operations (``milter.officer.ops``) and
``acting`` names the officer or the sender the portal acts for (the service honours it only
from a delegate peer). Two kinds of gateway:

- ``unix:/run/postwarden-quarantine.sock`` — the service on this machine (``UnixGateway``);
- ``tls:HOST:PORT`` — a remote gateway's ``postwarden quarantine-gateway`` bridge, over mutual
  TLS (``milter.portal.tlsgateway.TlsGateway``).

A gateway that does not answer raises GatewayUnreachable — the portal shows it as unreachable,
never as an empty hold queue; one that answers with a refusal raises GatewayRefused with the
service's text.
"""

from __future__ import annotations

import socket
from typing import Any

from milter.portal.tlsgateway import TlsGateway
from milter.portal.wire import (
    TIMEOUT_S,
    Gateway,
    GatewayRefused,
    GatewayUnreachable,
    read_response,
    request_line,
)

__all__ = ["Gateway", "GatewayRefused", "GatewayUnreachable", "UnixGateway", "gateway_from"]


class UnixGateway:
    """The quarantine service of this machine, on its unix socket."""

    def __init__(self, name: str, path: str, timeout_s: float = TIMEOUT_S) -> None:
        self.name = name
        self.path = path
        self.timeout_s = timeout_s

    def call(
        self, op: str, params: dict[str, Any], acting: dict[str, str] | None = None
    ) -> dict[str, Any]:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(self.timeout_s)
            try:
                sock.connect(self.path)
                sock.sendall(request_line(op, params, acting))
                return read_response(sock.recv, self.name)
            except OSError as exc:
                raise GatewayUnreachable(f"{self.name}: {exc.strerror or exc}") from None


def gateway_from(name: str, address: str, **tls: str) -> Gateway:
    """A gateway from its configured address: ``unix:PATH`` or ``tls:HOST:PORT`` (with
    ``ca``, ``cert``, ``key`` and optionally ``server_name`` for TLS)."""
    if address.startswith("unix:"):
        return UnixGateway(name, address[len("unix:") :])
    if address.startswith("tls:"):
        host, _, port = address[len("tls:") :].rpartition(":")
        return TlsGateway(
            name,
            host.strip("[]"),
            int(port),
            ca=tls["ca"],
            cert=tls["cert"],
            key=tls["key"],
            server_name=tls.get("server_name") or host.strip("[]"),
        )
    raise ValueError(f"gateway {name}: address {address!r} is neither unix:PATH nor tls:HOST:PORT")
