"""The portal ↔ gateway channel: mutual TLS with a private CA, one request forwarded unchanged
to the gateway's quarantine service, refusals for every certificate that is not the right one.

The quarantine service here is a plain unix-socket server that answers with what it got (the
real service's own tests are in tests/unit/officer; the browser tests run the whole chain)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from milter.portal.tlsgateway import GatewayBridge, TlsGateway, server_context
from milter.portal.wire import GatewayRefused, GatewayUnreachable
from tests.support.certs import Pki, make_pki


class EchoService:
    """A unix socket that answers each request line with {"ok": true, "result": {"got": ...}}."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(8)
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while not data.endswith(b"\n"):
                    data += conn.recv(65536)
                got = json.loads(data)
                conn.sendall(json.dumps({"ok": True, "result": {"got": got}}).encode() + b"\n")


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def bridge(pki: Pki, tmp_path: Path) -> Iterator[GatewayBridge]:
    cert, key = pki.issue("gw1.test")
    service = EchoService(tmp_path / "q.sock")
    b = GatewayBridge(
        ("127.0.0.1", 0), server_context(cert, key, pki.ca), ["portal.test"], service.path
    )
    thread = threading.Thread(target=b.serve_forever, daemon=True)
    thread.start()
    yield b
    b.stop()
    service.sock.close()


def portal(pki: Pki, port: int, name: str = "portal.test", server: str = "gw1.test") -> TlsGateway:
    cert, key = pki.issue(name)
    return TlsGateway("gw1", "127.0.0.1", port, pki.ca, cert, key, server_name=server)


def test_a_request_goes_through_unchanged(pki: Pki, bridge: GatewayBridge) -> None:
    """op, arguments and acting reach the service as sent; its answer comes back."""
    result = portal(pki, bridge.port).call(
        "release", {"queue_id": "ABCDE12345", "reason": "ok"}, {"officer": "fg"}
    )
    assert result == {
        "got": {
            "op": "release",
            "queue_id": "ABCDE12345",
            "reason": "ok",
            "acting": {"officer": "fg"},
        }
    }


def test_a_client_certificate_not_listed_is_refused(pki: Pki, bridge: GatewayBridge) -> None:
    """Signed by the right CA but not a name the gateway allows: refused, nothing forwarded."""
    with pytest.raises(GatewayRefused, match="not allowed"):
        portal(pki, bridge.port, name="laptop.test").call("list", {})


def test_a_client_of_another_ca_is_refused(pki: Pki, bridge: GatewayBridge, tmp_path: Path) -> None:
    """A certificate from another CA, even with the allowed name: the handshake fails."""
    other = make_pki(tmp_path / "other", "other")
    cert, key = other.issue("portal.test")
    gateway = TlsGateway("gw1", "127.0.0.1", bridge.port, pki.ca, cert, key, "gw1.test")
    with pytest.raises(GatewayUnreachable):
        gateway.call("list", {})


def test_the_portal_checks_the_gateways_name(pki: Pki, bridge: GatewayBridge) -> None:
    """Dialling gw2.test and getting gw1.test's certificate: refused by the portal."""
    with pytest.raises(GatewayUnreachable, match="TLS failed"):
        portal(pki, bridge.port, server="gw2.test").call("list", {})


def test_no_client_certificate_no_answer(pki: Pki, bridge: GatewayBridge) -> None:
    """Plain TLS without a client certificate: the handshake is refused, nothing answered."""
    import ssl

    context = ssl.create_default_context(cafile=pki.ca)
    # TLS 1.3: the refusal arrives after the handshake, at the first write or read
    with (
        socket.create_connection(("127.0.0.1", bridge.port), 5) as raw,
        context.wrap_socket(raw, server_hostname="gw1.test") as tls,
        pytest.raises((ssl.SSLError, ConnectionResetError, BrokenPipeError)),
    ):
        tls.sendall(b'{"op": "list"}\n')
        tls.recv(100)


def test_an_oversize_request_is_refused_and_the_bridge_goes_on(
    pki: Pki, bridge: GatewayBridge
) -> None:
    """9 KiB of request: refused; the next request is served."""
    gateway = portal(pki, bridge.port)
    with pytest.raises(GatewayRefused, match="at most 8192 bytes"):
        gateway.call("request", {"reason": "x" * 9000})
    assert gateway.call("list", {})["got"] == {"op": "list"}


def test_a_gateway_that_is_down_is_unreachable(pki: Pki, tmp_path: Path) -> None:
    """Nobody listening: unreachable (the portal shows it so, never as an empty queue)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(GatewayUnreachable):
        portal(pki, port).call("list", {})


def test_a_service_that_is_down_is_said_so(pki: Pki, tmp_path: Path) -> None:
    """The bridge is up but the quarantine service is not: a refusal naming it."""
    cert, key = pki.issue("gw1.test")
    b = GatewayBridge(
        ("127.0.0.1", 0), server_context(cert, key, pki.ca), ["portal.test"], str(tmp_path / "none")
    )
    threading.Thread(target=b.serve_forever, daemon=True).start()
    try:
        with pytest.raises(GatewayRefused, match="does not answer"):
            portal(pki, b.port).call("list", {})
    finally:
        b.stop()


def test_the_portal_config_builds_a_tls_gateway(pki: Pki, bridge: GatewayBridge) -> None:
    """tls:HOST:PORT with cert, key and ca (and server_name) in the portal's configuration;
    without them the address is refused by name."""
    from milter.portal.config import GatewaySpec
    from milter.portal.gateways import gateway_from

    cert, key = pki.issue("portal.test")
    options = (("cert", cert), ("key", key), ("ca", pki.ca), ("server_name", "gw1.test"))
    gateway = gateway_from(GatewaySpec("gw1", f"tls:127.0.0.1:{bridge.port}", options))
    assert gateway.call("list", {}, {"officer": "fg"})["got"]["acting"] == {"officer": "fg"}
    with pytest.raises(ValueError, match="needs cert, key and ca"):
        gateway_from(GatewaySpec("gw1", "tls:127.0.0.1:1", (("cert", cert),)))
