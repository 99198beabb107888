"""protocol.codec -- the milter protocol as Postfix speaks it (version 6): bytes in, packets out.

No sockets and no policy: a packet is a 4-byte big-endian length followed by a command byte and
its payload. This module is the only one that imports python-libmilter, and only for the
protocol's constants; the framing, the macro and header payloads and option negotiation are
ours. The MTA side (tests, benchmarks) and the filter side (milter/server) use the same code.

DIAGNOSTICS
    ProtocolError for a declared length beyond MAX_PACKET (nothing of it is buffered), a header
    packet that is not NAME NUL VALUE NUL, or an option negotiation of the wrong size. The
    caller closes the connection: a protocol error is never guessed at.
"""

from __future__ import annotations

import struct
from collections.abc import Generator, Mapping

import libmilter as lm

# Commands the MTA sends (SMFIC_*).
OPTNEG = lm.SMFIC_OPTNEG
MACRO = lm.SMFIC_MACRO
CONNECT = lm.SMFIC_CONNECT
HELO = lm.SMFIC_HELO
MAIL = lm.SMFIC_MAIL
RCPT = lm.SMFIC_RCPT
DATA = lm.SMFIC_DATA
HEADER = lm.SMFIC_HEADER
EOH = lm.SMFIC_EOH
BODY = lm.SMFIC_BODY
BODYEOB = lm.SMFIC_BODYEOB
ABORT = lm.SMFIC_ABORT
QUIT = lm.SMFIC_QUIT
QUIT_NC = lm.SMFIC_QUIT_NC
UNKNOWN = lm.SMFIC_UNKNOWN

# Replies the filter sends (SMFIR_*).
ACCEPT = lm.SMFIR_ACCEPT
CONTINUE = lm.SMFIR_CONTINUE
DISCARD = lm.SMFIR_DISCARD
REJECT = lm.SMFIR_REJECT
TEMPFAIL = lm.SMFIR_TEMPFAIL
REPLYCODE = lm.SMFIR_REPLYCODE
ADDHEADER = lm.SMFIR_ADDHEADER
ADDRCPT = lm.SMFIR_ADDRCPT
DELRCPT = lm.SMFIR_DELRCPT
QUARANTINE = lm.SMFIR_QUARANTINE
SHUTDOWN = lm.SMFIR_SHUTDOWN
CONN_FAIL = lm.SMFIR_CONN_FAIL
# A reply that ends the event it answers (everything else is a modification or progress).
FINAL_REPLIES = frozenset(
    {ACCEPT, CONTINUE, REJECT, TEMPFAIL, REPLYCODE, DISCARD, CONN_FAIL, SHUTDOWN}
)

# Actions the filter may take (SMFIF_*), negotiated at OPTNEG.
F_ADDHDRS = lm.SMFIF_ADDHDRS
F_ADDRCPT = lm.SMFIF_ADDRCPT
F_DELRCPT = lm.SMFIF_DELRCPT
F_QUARANTINE = lm.SMFIF_QUARANTINE
ALL_ACTIONS = lm.SMFIF_ALLOPTS

# Protocol flags (SMFIP_*): events the filter does not want, replies it does not send.
P_NOCONNECT = lm.SMFIP_NOCONNECT
P_NOHELO = lm.SMFIP_NOHELO
P_NOMAIL = lm.SMFIP_NOMAIL
P_NORCPT = lm.SMFIP_NORCPT
P_NOBODY = lm.SMFIP_NOBODY
P_NOHDRS = lm.SMFIP_NOHDRS
P_NOEOH = lm.SMFIP_NOEOH
P_NODATA = lm.SMFIP_NODATA
P_NOUNKNOWN = lm.SMFIP_NOUNKNOWN
P_NR_CONN = lm.SMFIP_NR_CONN
P_NR_HELO = lm.SMFIP_NR_HELO
P_NR_MAIL = lm.SMFIP_NR_MAIL
P_NR_RCPT = lm.SMFIP_NR_RCPT
P_NR_DATA = lm.SMFIP_NR_DATA
P_NR_UNKN = lm.SMFIP_NR_UNKN
P_NR_EOH = lm.SMFIP_NR_EOH
P_NR_HDR = lm.SMFIP_NR_HDR
P_NR_BODY = lm.SMFIP_NR_BODY
P_HDR_LEADSPC = lm.SMFIP_HDR_LEADSPC
ALL_PROTOCOL = lm.SMFIP_ALLPROTOS

# Postfix sends body chunks of at most 64 KiB and headers up to header_size_limit (100 KiB by
# default); a declared length far beyond is not Postfix, and is not buffered.
MAX_PACKET = 8 << 20

_LENGTH = struct.Struct("!I")
_OPTNEG = struct.Struct("!III")


class ProtocolError(Exception):
    """Traffic that is not the milter protocol as Postfix speaks it."""


def packet(command: bytes, payload: bytes = b"") -> bytes:
    """One packet: length, command byte, payload."""
    return _LENGTH.pack(len(command) + len(payload)) + command + payload


def replycode_packet(reply: str) -> bytes:
    """The SMFIR_REPLYCODE packet carrying ``"550 5.7.1 text"``: it *is* the verdict."""
    return packet(REPLYCODE, reply.encode("ascii") + b"\0")


def optneg_packet(version: int, actions: int, protocol: int) -> bytes:
    """An option negotiation packet (sent by the MTA, answered in kind by the filter)."""
    return packet(OPTNEG, _OPTNEG.pack(version, actions, protocol))


def parse_optneg(payload: bytes) -> tuple[int, int, int]:
    """(version, actions, protocol) of an OPTNEG payload (the packet without its command)."""
    if len(payload) != _OPTNEG.size:
        raise ProtocolError("malformed option negotiation")
    version, actions, protocol = _OPTNEG.unpack(payload)
    return version, actions, protocol


def macro_packet(stage: bytes, macros: Mapping[str, str]) -> bytes:
    """An SMFIC_MACRO packet for the event `stage` (the MTA side)."""
    body = b"".join(k.encode() + b"\0" + v.encode() + b"\0" for k, v in macros.items())
    return packet(MACRO, stage + body)


def parse_macros(packet_: bytes | None) -> dict[bytes, bytes]:
    """The name/value pairs of an SMFIC_MACRO packet (``D``, stage letter, then NUL-ended
    names and values); braces are dropped from names (``{auth_authen}`` -> ``auth_authen``)."""
    if packet_ is None:
        return {}
    fields = packet_[2:].split(b"\0")
    return {
        fields[n].strip(b"{}"): fields[n + 1] for n in range(0, len(fields) - 1, 2) if fields[n]
    }


def parse_header(payload: bytes) -> tuple[bytes, bytes]:
    """Name and value of an SMFIC_HEADER payload (``name NUL value NUL``)."""
    parts = payload.split(b"\0")
    if len(parts) < 2 or len(parts) > 3 or (len(parts) == 3 and parts[2]):
        raise ProtocolError("malformed header packet")
    return parts[0], parts[1]


def header_packet(name: str, value: str) -> bytes:
    """SMFIR_ADDHEADER: the value as printable ASCII (others become '?'), at most 900 chars."""
    safe = "".join(c if " " <= c <= "~" else "?" for c in value)[:900]
    return packet(ADDHEADER, name.encode("ascii") + b"\0" + safe.encode("ascii") + b"\0")


def split_packets(buffer: bytearray) -> Generator[bytes, None, None]:
    """Take every complete packet (command byte and payload) from the front of `buffer`, in
    order; an incomplete one stays. A declared length beyond MAX_PACKET raises ProtocolError
    before anything of it is buffered. The caller may stop early: what was yielded is gone."""
    pos, end = 0, len(buffer)
    try:
        while end - pos >= 4:
            length = int.from_bytes(buffer[pos : pos + 4], "big")
            if length > MAX_PACKET:
                raise ProtocolError("milter packet longer than any Postfix sends")
            if end - pos - 4 < length:
                break
            start = pos + 4
            pos = start + length
            yield bytes(memoryview(buffer)[start:pos])
    finally:
        del buffer[:pos]


def parse_stream(data: bytes) -> tuple[list[bytes], bytes]:
    """The complete packets in `data` and the bytes left over (an incomplete packet); no
    length limit (the MTA side reads what a filter wrote, to check it)."""
    packets: list[bytes] = []
    pos = 0
    while len(data) - pos >= 4:
        (length,) = _LENGTH.unpack_from(data, pos)
        if len(data) - pos - 4 < length:
            break
        packets.append(data[pos + 4 : pos + 4 + length])
        pos += 4 + length
    return packets, data[pos:]
