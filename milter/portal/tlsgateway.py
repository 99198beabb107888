"""The channel between the portal and a remote gateway: mutual TLS, one request a connection.

Why mutual TLS: the portal and the gateways are machines of one organisation, run by one admin,
and the channel carries officers' decisions about client mail. Both ends must prove who they are
(a stolen network position must neither read held-mail metadata nor release mail), with no
shared password to leak from a config file and no extra service (an SSH tunnel, a VPN) to keep
alive. TLS 1.3 with a private CA does that with the standard library alone: the gateway accepts
only client certificates its CA signed and whose name it lists; the portal accepts only the
gateway certificate for the name it dialled.

Gateway side: ``postwarden quarantine-gateway`` (``GatewayBridge``) listens on TCP with TLS,
checks the client certificate, reads one JSON request line, passes it unchanged to the local
quarantine service's unix socket and passes the answer back. It runs as its own user, a
*delegate* of the quarantine service: the service honours the request's ``acting`` field
(the officer or sender the portal acts for) only from such a peer. The bridge itself never
interprets a request beyond "one JSON object, at most 8 KiB": what may be done is the service's
decision.

Portal side: ``TlsGateway`` — a ``Gateway`` (``milter.portal.wire``) over this channel.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections.abc import Sequence
from typing import Any

import structlog

from milter.portal.wire import (
    TIMEOUT_S,
    GatewayUnreachable,
    read_response,
    request_line,
)

log = structlog.get_logger("postwarden.gateway")

MAX_REQUEST = 8192
READ_TIMEOUT_S = 5.0
MAX_CONNECTIONS = 16  # the service is serial; more waiting connections only queue up


def client_context(ca: str, cert: str, key: str) -> ssl.SSLContext:
    """The portal's TLS: TLS 1.3, the gateway's certificate checked against ``ca`` and the name
    dialled, our own certificate offered."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.load_cert_chain(cert, key)
    return context


def server_context(cert: str, key: str, client_ca: str) -> ssl.SSLContext:
    """The gateway's TLS: TLS 1.3, a client certificate required and checked against
    ``client_ca``."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=client_ca)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_cert_chain(cert, key)
    return context


class TlsGateway:
    """A remote gateway's quarantine service, through its bridge."""

    def __init__(
        self,
        name: str,
        host: str,
        port: int,
        ca: str,
        cert: str,
        key: str,
        server_name: str,
        timeout_s: float = TIMEOUT_S,
    ) -> None:
        self.name = name
        self.host = host
        self.port = port
        self.server_name = server_name
        self.timeout_s = timeout_s
        self._context = client_context(ca, cert, key)

    def call(
        self, op: str, params: dict[str, Any], acting: dict[str, str] | None = None
    ) -> dict[str, Any]:
        try:
            with (
                socket.create_connection((self.host, self.port), self.timeout_s) as raw,
                self._context.wrap_socket(raw, server_hostname=self.server_name) as sock,
            ):
                sock.sendall(request_line(op, params, acting))
                return read_response(sock.recv, self.name)
        except ssl.SSLError as exc:
            raise GatewayUnreachable(f"{self.name}: TLS failed ({exc.reason or exc})") from None
        except OSError as exc:
            raise GatewayUnreachable(f"{self.name}: {exc.strerror or exc}") from None


def peer_names(cert: dict[str, Any]) -> set[str]:
    """The names a verified client certificate carries: its subject CN and DNS SANs."""
    names = {str(v) for k, v in cert.get("subjectAltName", ()) if k == "DNS"}
    for rdn in cert.get("subject", ()):
        names |= {str(v) for k, v in rdn if k == "commonName"}
    return names


class GatewayBridge:
    """mutual TLS on TCP → the local quarantine service's unix socket, one request a
    connection."""

    def __init__(
        self,
        listen: tuple[str, int],
        context: ssl.SSLContext,
        allowed: Sequence[str],
        service_socket: str,
        service_timeout_s: float = 600.0,
    ) -> None:
        self._context = context
        self._allowed = frozenset(allowed)
        self._service = service_socket
        self._service_timeout_s = service_timeout_s
        family = socket.AF_INET6 if ":" in listen[0] else socket.AF_INET
        self._sock = socket.socket(family, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(listen)
        self._sock.listen(64)
        self.port = self._sock.getsockname()[1]
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self._stopping = threading.Event()

    def serve_forever(self) -> None:
        while not self._stopping.is_set():
            try:
                raw, addr = self._sock.accept()
            except OSError:
                if self._stopping.is_set():
                    return
                raise
            if not self._slots.acquire(blocking=False):
                raw.close()  # too many at once: the portal retries, nothing half-done
                log.warning("gateway_busy", peer=addr[0])
                continue
            threading.Thread(target=self._serve, args=(raw, addr), daemon=True).start()

    def stop(self) -> None:
        self._stopping.set()
        self._sock.close()

    def _serve(self, raw: socket.socket, addr: Any) -> None:
        try:
            raw.settimeout(READ_TIMEOUT_S)
            try:
                conn = self._context.wrap_socket(raw, server_side=True)
            except (ssl.SSLError, OSError) as exc:
                log.warning("gateway_tls_refused", peer=addr[0], error=type(exc).__name__)
                raw.close()
                return
            with conn:
                # The request is read before any answer, so a refusal reaches the client
                # (closing with its request unread would reset the connection instead).
                line = _read_line(conn)
                names = peer_names(conn.getpeercert() or {})
                if not names & self._allowed:
                    log.warning("gateway_peer_refused", peer=addr[0], names=sorted(names)[:5])
                    conn.sendall(_error("this client certificate is not allowed here"))
                    return
                self._forward(conn, line, addr[0], sorted(names & self._allowed)[0])
        except Exception as exc:  # one connection's failure never ends the bridge
            log.warning("gateway_error", peer=str(addr[0]), error=type(exc).__name__)
        finally:
            self._slots.release()

    def _forward(self, conn: ssl.SSLSocket, line: bytes | None, peer: str, name: str) -> None:
        if line is None:
            conn.sendall(_error(f"a request is one JSON line of at most {MAX_REQUEST} bytes"))
            return
        try:
            op = json.loads(line).get("op")
        except (ValueError, AttributeError):
            conn.sendall(_error("the request is not a JSON object"))
            return
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as service:
            service.settimeout(self._service_timeout_s)
            try:
                service.connect(self._service)
                service.sendall(line)
                answer = b""
                while not answer.endswith(b"\n"):
                    chunk = service.recv(65536)
                    if not chunk:
                        break
                    answer += chunk
            except OSError as exc:
                log.warning("gateway_service_down", error=exc.strerror or type(exc).__name__)
                conn.sendall(_error("the quarantine service on this gateway does not answer"))
                return
        conn.sendall(answer if answer.endswith(b"\n") else _error("no answer from the service"))
        log.info("gateway_request", peer=peer, client=name, op=str(op)[:20])


def _read_line(conn: ssl.SSLSocket) -> bytes | None:
    data = b""
    try:
        while not data.endswith(b"\n"):
            chunk = conn.recv(MAX_REQUEST + 1 - len(data))
            if not chunk:
                return None
            data += chunk
            if len(data) > MAX_REQUEST:
                return None
    except (TimeoutError, OSError):
        return None
    return data


def _error(text: str) -> bytes:
    return json.dumps({"ok": False, "error": text}).encode() + b"\n"
