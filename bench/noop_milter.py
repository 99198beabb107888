"""The floor: a milter that does nothing, asking Postfix for exactly what Postwarden asks for.

    python -m bench.noop_milter unix:/path/to.sock [unix:/path/to-local.sock ...]

It negotiates Postwarden's protocol flags and actions (imported from milter/adapter.py, so it
follows them), reads every packet Postfix sends (MAIL, RCPT, headers, body chunks, end of
message) and answers CONTINUE where a reply is due; it parses nothing and decides nothing. A
thread per connection, like Postwarden. The benchmark's ``noop-unix`` configuration runs it to
show what the milter protocol alone costs Postfix on this machine: the gap between Postfix
alone and this line is out of reach for any milter that receives the message.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading

from milter.protocol import codec
from milter.server.session import WANTED_ACTIONS, WANTED_PROTOCOL

CONTINUE = codec.packet(codec.CONTINUE)
# Commands whose reply Postwarden's negotiation does not drop.
_REPLIED = {codec.RCPT, codec.BODYEOB}


def serve_connection(conn: socket.socket) -> None:
    """Read packets until QUIT or EOF; reply CONTINUE where Postfix waits for a reply."""
    buf = bytearray()
    with conn:
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                return
            buf += chunk
            for packet in codec.split_packets(buf):
                kind = packet[:1]
                if kind == codec.OPTNEG:
                    version, actions, protocol = codec.parse_optneg(packet[1:])
                    conn.sendall(
                        codec.optneg_packet(
                            version, WANTED_ACTIONS & actions, WANTED_PROTOCOL & protocol
                        )
                    )
                elif kind in _REPLIED:
                    conn.sendall(CONTINUE)
                elif kind in (codec.QUIT, codec.QUIT_NC):
                    return


def listen(spec: str) -> socket.socket:
    kind, _, where = spec.partition(":")
    if kind != "unix":
        raise SystemExit(f"only unix:PATH is supported, not {spec!r}")
    if os.path.exists(where):
        os.unlink(where)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(where)
    os.chmod(where, 0o666)  # the benchmark's socket directory restricts access
    sock.listen(128)
    return sock


def accept_forever(sock: socket.socket) -> None:
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=serve_connection, args=(conn,), daemon=True).start()


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    sockets = [listen(spec) for spec in argv]
    for sock in sockets[1:]:
        threading.Thread(target=accept_forever, args=(sock,), daemon=True).start()
    accept_forever(sockets[0])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
