"""``postwarden quarantine-gateway``: a remote portal's way in to this gateway's quarantine service.

    postwarden quarantine-gateway --listen HOST:PORT --cert FILE --key FILE --client-ca FILE
                                  --allow NAME [--allow NAME ...] [--socket PATH]

Mutual TLS (milter.portal.tlsgateway): only client certificates signed by --client-ca and
carrying an --allow name (the portal's) get a request through, unchanged, to the quarantine
service on --socket. Run it as its own user, a delegate of the quarantine service (see the
README's portal section). SIGTERM stops it.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any

DEFAULT_SOCKET = "/run/postwarden-quarantine.sock"


def add_parser(sub: Any) -> None:
    g = sub.add_parser(
        "quarantine-gateway", help="mutual-TLS bridge from the portal to the quarantine service"
    )
    g.add_argument("--listen", required=True, metavar="HOST:PORT")
    g.add_argument("--cert", required=True, metavar="FILE", help="this gateway's certificate")
    g.add_argument("--key", required=True, metavar="FILE", help="its private key")
    g.add_argument(
        "--client-ca", required=True, metavar="FILE", help="the CA that signs portal certificates"
    )
    g.add_argument(
        "--allow",
        action="append",
        required=True,
        metavar="NAME",
        help="a client certificate name (CN or DNS name) let through; repeatable",
    )
    g.add_argument("--socket", default=DEFAULT_SOCKET, metavar="PATH", help="quarantine service")


def run_gateway(args: argparse.Namespace) -> int:
    from milter.portal.tlsgateway import GatewayBridge, server_context

    host, _, port = args.listen.rpartition(":")
    try:
        context = server_context(args.cert, args.key, args.client_ca)
    except (OSError, ValueError) as exc:
        print(
            f"postwarden quarantine-gateway: cannot load the TLS files (--cert, --key, "
            f"--client-ca): {exc}",
            file=sys.stderr,
        )
        return 2
    bridge = GatewayBridge((host.strip("[]"), int(port)), context, args.allow, args.socket)
    stopping = threading.Event()

    def stop(_signum: int, _frame: object) -> None:
        stopping.set()
        bridge.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"postwarden quarantine-gateway listening on {host}:{bridge.port}", file=sys.stderr)
    bridge.serve_forever()
    return 0
