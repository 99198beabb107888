"""Free loopback ports for the servers the tests and benchmarks start.

Every port handed out is remembered for the life of the process and never handed out again:
the kernel may give the port of a socket just closed to the next bind, and a test that asks for
its SMTP and local milter ports in a row once got the same port twice (the milter then refused
to start: "address in use"). A port stays free only until somebody binds it, so each caller
binds its port soon after.
"""

from __future__ import annotations

import socket
import threading

LOOPBACK = "127.0.0.1"
_HANDED_OUT: set[int] = set()
_LOCK = threading.Lock()


def free_port(udp_too: bool = False) -> int:
    """A TCP port on 127.0.0.1 nobody listens on (``udp_too``: free for UDP as well, as a
    DNS server needs), never one this process was given before."""
    for _ in range(200):
        kind = socket.SOCK_DGRAM if udp_too else socket.SOCK_STREAM
        with socket.socket(socket.AF_INET, kind) as first:
            first.bind((LOOPBACK, 0))
            port = int(first.getsockname()[1])
            if udp_too:
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                    try:
                        tcp.bind((LOOPBACK, port))
                    except OSError:
                        continue
        with _LOCK:
            if port not in _HANDED_OUT:
                _HANDED_OUT.add(port)
                return port
    raise RuntimeError("no free loopback port")
