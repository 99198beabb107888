"""A minimal milter client (the MTA side of the protocol) for driving the adapter directly.

Speaks protocol version 6 as Postfix does: option negotiation, per-command macros, MAIL,
RCPT, end of message, ABORT and QUIT, honouring the events the milter asked not to receive.
Used by adapter tests, and later by protocol fuzzing and benchmarks.
"""

from __future__ import annotations

import contextlib
import socket
from dataclasses import dataclass, field

from milter.protocol import codec
from milter.protocol.codec import ALL_ACTIONS, ALL_PROTOCOL, macro_packet, packet

FINAL = codec.FINAL_REPLIES


@dataclass
class Reply:
    """One milter response packet: its command byte and payload."""

    cmd: bytes
    data: bytes = b""

    @property
    def text(self) -> str:
        return self.data.rstrip(b"\0").decode("ascii", "replace")


@dataclass
class EomResult:
    """Modification actions sent at end of message, then the final verdict."""

    actions: list[Reply] = field(default_factory=list)
    final: Reply = field(default_factory=lambda: Reply(b"?"))

    def of(self, cmd: bytes) -> list[str]:
        return [a.text for a in self.actions if a.cmd == cmd]


class MilterClient:
    """Drive one milter connection the way Postfix does."""

    def __init__(self, address: tuple[str, int] | str, timeout: float = 10.0) -> None:
        family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(address)
        self.milter_protocol = 0
        self.milter_actions = 0
        self._buf = b""

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.sendall(packet(b"Q"))
        self.sock.close()

    def __enter__(self) -> MilterClient:
        self.negotiate()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read(self) -> Reply:
        while True:
            packets, _rest = codec.parse_stream(self._buf)
            if packets:
                first = packets[0]
                self._buf = self._buf[4 + len(first) :]
                return Reply(first[:1], first[1:])
            self._fill()

    def _fill(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("milter closed the connection")
        self._buf += data

    def negotiate(
        self, version: int = 6, actions: int = ALL_ACTIONS, protocol: int = ALL_PROTOCOL
    ) -> Reply:
        self.sock.sendall(codec.optneg_packet(version, actions, protocol))
        reply = self.read()
        _, self.milter_actions, self.milter_protocol = codec.parse_optneg(reply.data[:12])
        return reply

    def _event(
        self,
        cmd: bytes,
        data: bytes,
        skip_flag: int,
        noreply_flag: int,
        macros: dict[str, str] | None,
        stage: bytes,
    ) -> Reply | None:
        if self.milter_protocol & skip_flag:
            return None
        if macros:
            self.sock.sendall(macro_packet(stage, macros))
        self.sock.sendall(packet(cmd, data))
        if self.milter_protocol & noreply_flag:
            return None
        return self.read()

    def mail(
        self, sender: str, macros: dict[str, str] | None = None, esmtp: str = ""
    ) -> Reply | None:
        data = f"<{sender}>".encode() + b"\0" + (esmtp.encode() + b"\0" if esmtp else b"")
        return self._event(b"M", data, codec.P_NOMAIL, codec.P_NR_MAIL, macros, b"M")

    def rcpt(
        self,
        recipient: str,
        macros: dict[str, str] | None = None,
        esmtp: str = "",
        raw: bool = False,
    ) -> Reply | None:
        arg = recipient if raw else f"<{recipient}>"
        data = arg.encode() + b"\0" + (esmtp.encode() + b"\0" if esmtp else b"")
        return self._event(b"R", data, codec.P_NORCPT, codec.P_NR_RCPT, macros, b"R")

    def header(self, name: str, value: str) -> Reply | None:
        return self._event(
            b"L",
            name.encode() + b"\0" + value.encode() + b"\0",
            codec.P_NOHDRS,
            codec.P_NR_HDR,
            None,
            b"L",
        )

    def body(self, chunk: bytes) -> Reply | None:
        return self._event(b"B", chunk, codec.P_NOBODY, codec.P_NR_BODY, None, b"B")

    def eom(self, macros: dict[str, str] | None = None) -> EomResult:
        if macros:
            self.sock.sendall(macro_packet(b"E", macros))
        self.sock.sendall(packet(b"E"))
        result = EomResult()
        while True:
            reply = self.read()
            if reply.cmd in FINAL:
                result.final = reply
                return result
            result.actions.append(reply)

    def abort(self) -> None:
        self.sock.sendall(packet(b"A"))

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)
