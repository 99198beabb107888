"""Milter conversations as Postfix holds them, with the replies Postwarden must give.

A ``Conversation`` is one milter connection carrying several messages on one submission path.
``script`` turns it into the byte stream Postfix would send (honouring the events and replies
the milter declined at negotiation) and the list of replies the example policy demands:

- SMTP path: a retired-domain recipient gets ``550 5.7.1`` at RCPT, others ``continue``; a
  message with an accepted recipient is accepted at end of message;
- local path: every RCPT continues; at end of message each retired recipient is removed with
  delrcpt (the raw address as Postfix gave it, perhaps with other spellings of it, never a
  kept recipient's) and the message accepted, or, with no recipient left, refused with ``550``.

Allowed recipients are in ``partner.example`` (reserved, never resolved); retired ones in the
example policy's bjzutrecht.nl and bjzflevo.nl.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from milter.protocol import codec
from tests.reliability.wire import FINAL_CODES, Exchange, Reply, exchange, split

Path = Literal["smtp", "local"]

SENDER = "casetool@samen-veilig.nl"
ALLOWED = (
    "a@partner.example",
    "Info@Partner.Example",
    "x.y+tag@partner.example",
    "z@sub.partner.example",
)
RETIRED = (
    "b@bjzutrecht.nl",
    "B@BJZUTRECHT.NL.",
    "c@mail.bjzflevo.nl",
    "d@utrecht.bjzutrecht.nl",
)

# SMFIP_* bits a milter returns at negotiation: events it does not want, replies it won't send.
NOCONNECT, NOHELO, NOMAIL = codec.P_NOCONNECT, codec.P_NOHELO, codec.P_NOMAIL
NORCPT, NOBODY, NOHDRS = codec.P_NORCPT, codec.P_NOBODY, codec.P_NOHDRS
NOEOH, NODATA, HDR_LEADSPC = codec.P_NOEOH, codec.P_NODATA, codec.P_HDR_LEADSPC
NR_CONN, NR_HELO, NR_MAIL = codec.P_NR_CONN, codec.P_NR_HELO, codec.P_NR_MAIL
NR_RCPT, NR_DATA, NR_HDR = codec.P_NR_RCPT, codec.P_NR_DATA, codec.P_NR_HDR
NR_EOH, NR_BODY = codec.P_NR_EOH, codec.P_NR_BODY
MTA_VERSION, MTA_ACTIONS, MTA_PROTOCOL = 6, codec.ALL_ACTIONS, codec.ALL_PROTOCOL
packet = codec.packet
macros = codec.macro_packet


def negotiate_packet(
    version: int = MTA_VERSION, actions: int = MTA_ACTIONS, protocol: int = MTA_PROTOCOL
) -> bytes:
    return codec.optneg_packet(version, actions, protocol)


def canonical(spelling: str) -> str:
    """One address however Postfix may spell it (brackets, trailing dot, bang path, case):
    delrcpt may name a removed recipient in several spellings, never a kept one."""
    address = spelling.strip("<>").rstrip(".")
    if "@" not in address and "!" in address:
        domain, _, local = address.partition("!")
        address = f"{local}@{domain}"
    return address.lower()


def is_retired(address: str) -> bool:
    """In (or under) a domain the example policy retired, in any spelling ``canonical`` knows."""
    domain = canonical(address).rpartition("@")[2]
    return any(domain == d or domain.endswith("." + d) for d in ("bjzutrecht.nl", "bjzflevo.nl"))


@dataclass(frozen=True)
class Message:
    """One transaction; ``abort`` ends it after the recipients (an SMTP client's RSET)."""

    recipients: tuple[str, ...]
    subject: str = "testbericht"
    body: bytes = b"Dit is een testbericht.\r\n"
    abort: bool = False

    def aborted(self, path: Path) -> bool:
        # Postfix never sends DATA on the SMTP path when every recipient was refused.
        return self.abort or (path == "smtp" and all(map(is_retired, self.recipients)))


@dataclass(frozen=True)
class Conversation:
    path: Path
    messages: tuple[Message, ...]


@dataclass(frozen=True)
class Expect:
    """A reply the milter owes: acceptable command bytes (and text prefix for 'y'); at end of
    message any modification actions may come first, ``delrcpt`` lists those required."""

    what: str
    cmds: frozenset[int]
    text_prefix: str = ""
    eom: bool = False
    delrcpt: tuple[str, ...] | None = None


CONTINUE = frozenset(b"c")


def script(
    conv: Conversation, milter_protocol: int, queue_id: str = "4QTest"
) -> tuple[bytes, list[Expect]]:
    """The bytes Postfix would send for ``conv`` and the replies the policy demands, in order."""
    packets, expect = script_packets(conv, milter_protocol, queue_id)
    return b"".join(packets), expect


def script_packets(
    conv: Conversation, milter_protocol: int, queue_id: str = "4QTest"
) -> tuple[list[bytes], list[Expect]]:
    """``script`` as a list of packets."""
    p = milter_protocol
    out: list[bytes] = [negotiate_packet()]
    expect: list[Expect] = [Expect("negotiate", frozenset(b"O"))]

    def event(cmd: bytes, data: bytes, skip: int, noreply: int, what: str) -> None:
        if p & skip:
            return
        out.append(packet(cmd, data))
        if not p & noreply:
            expect.append(Expect(what, CONTINUE))

    out.append(macros(b"C", {"j": "postwarden-test.localdomain", "{daemon_name}": "smtpd"}))
    event(
        b"C",
        b"client.example\0" + b"4" + struct.pack("!H", 40000) + b"127.0.0.1\0",
        NOCONNECT,
        NR_CONN,
        "connect",
    )
    event(b"H", b"client.example\0", NOHELO, NR_HELO, "helo")
    for n, msg in enumerate(conv.messages):
        qid = f"{queue_id}{n}"
        sender = f"<{SENDER}>" if conv.path == "smtp" else SENDER
        out.append(macros(b"M", {"{mail_addr}": SENDER.lower()}))
        event(b"M", sender.encode() + b"\0", NOMAIL, NR_MAIL, f"message {n} MAIL")
        raw_kept: list[str] = []
        for rcpt in msg.recipients:
            raw = f"<{rcpt}>" if conv.path == "smtp" else rcpt
            esmtp = b"NOTIFY=NEVER\0" if conv.path == "smtp" else b""
            out.append(macros(b"R", {"i": qid, "{rcpt_addr}": rcpt.lower()}))
            if p & NORCPT:
                continue
            out.append(packet(b"R", raw.encode() + b"\0" + esmtp))
            if p & NR_RCPT:
                continue
            if conv.path == "smtp" and is_retired(rcpt):
                expect.append(Expect(f"message {n} RCPT {rcpt}", frozenset(b"y"), "550 5.7.1"))
            else:
                expect.append(Expect(f"message {n} RCPT {rcpt}", CONTINUE))
                raw_kept.append(raw)
        if msg.aborted(conv.path):
            out.append(packet(b"A"))
            continue
        out.append(macros(b"T", {"i": qid}))
        event(b"T", b"", NODATA, NR_DATA, f"message {n} DATA")
        headers = (
            ("From", SENDER),
            ("To", ", ".join(msg.recipients)),
            ("Subject", msg.subject),
            ("Message-ID", f"<{qid}.{n}@samen-veilig.nl>"),
        )
        lead = " " if p & HDR_LEADSPC else ""
        for name, value in headers:
            event(b"L", f"{name}\0{lead}{value}\0".encode(), NOHDRS, NR_HDR, f"message {n} {name}")
        event(b"N", b"", NOEOH, NR_EOH, f"message {n} EOH")
        if not p & NOBODY:
            out.append(packet(b"B", msg.body))
            if not p & NR_BODY:
                expect.append(Expect(f"message {n} body", frozenset(b"cs")))
        out.append(macros(b"E", {"i": qid}))
        out.append(packet(b"E"))
        removed = tuple(r for r in raw_kept if conv.path == "local" and is_retired(r))
        if conv.path == "local" and len(removed) == len(raw_kept):
            expect.append(Expect(f"message {n} EOM", frozenset(b"y"), "550 5.7.1", eom=True))
        else:
            expect.append(Expect(f"message {n} EOM", frozenset(b"a"), eom=True, delrcpt=removed))
        # Postfix resets the milter between messages on one connection.
        out.append(packet(b"A"))
    out.append(packet(b"Q"))
    return out, expect


def mismatches(result: Exchange, expected: Iterable[Expect]) -> list[str]:
    """Every way ``result`` differs from ``expected`` (empty: the milter answered correctly)."""
    problems: list[str] = []
    if result.malformed or result.trailing:
        problems.append(f"malformed output: {result.malformed} tail={result.trailing[:40]!r}")
    if result.hung:
        problems.append("milter neither answered nor closed")
    replies: list[Reply] = list(result.replies)
    pos = 0
    for exp in expected:
        actions: list[Reply] = []
        if exp.eom:
            while pos < len(replies) and replies[pos].cmd[0] not in FINAL_CODES:
                actions.append(replies[pos])
                pos += 1
        if pos >= len(replies):
            problems.append(f"{exp.what}: no reply")
            return problems
        got = replies[pos]
        pos += 1
        if got.cmd[0] not in exp.cmds or not got.text.startswith(exp.text_prefix):
            problems.append(f"{exp.what}: got {got.cmd!r} {got.text[:80]!r}")
        if exp.delrcpt is not None:
            sent = sorted(a.text for a in actions if a.cmd == b"-")
            wanted = {canonical(r) for r in exp.delrcpt}
            missing = [r for r in exp.delrcpt if r not in sent]
            stray = [r for r in sent if canonical(r) not in wanted]
            if missing or stray:
                problems.append(f"{exp.what}: delrcpt {sent}, expected {sorted(exp.delrcpt)}")
    if pos != len(replies):
        problems.append(f"extra replies: {[(r.cmd, r.text[:40]) for r in replies[pos:]]}")
    return problems


HEALTH = (
    Conversation("smtp", (Message((RETIRED[0], ALLOWED[0], RETIRED[2])), Message((ALLOWED[1],)))),
    Conversation("local", (Message((ALLOWED[0], RETIRED[1])), Message((RETIRED[0],)))),
)


class MilterEndpoint:
    """A milter listening on loopback: its SMTP-path and (optional) local-path listeners."""

    def __init__(self, smtp: tuple[str, int], local: tuple[str, int] | None = None) -> None:
        self.smtp = smtp
        self.local = local
        self._protocol: int | None = None

    def address(self, path: Path) -> tuple[str, int]:
        if path == "local" and self.local is not None:
            return self.local
        return self.smtp

    @property
    def protocol(self) -> int:
        """The SMFIP_* bits the milter answers a Postfix negotiation with."""
        if self._protocol is None:
            reply = exchange(self.smtp, [negotiate_packet()], separate_reads=False).replies[0]
            assert reply.cmd == b"O", reply
            self._protocol = int.from_bytes(reply.data[8:12], "big")
        return self._protocol

    def converse(self, conv: Conversation, cuts: Iterable[int] = ()) -> list[str]:
        """Run ``conv`` split at ``cuts``; return how the replies differ from the policy's."""
        stream, expected = script(conv, self.protocol)
        return mismatches(exchange(self.address(conv.path), split(stream, list(cuts))), expected)

    def healthy(self) -> list[str]:
        """Problems with well-formed conversations on each path served; empty when healthy."""
        convs = [c for c in HEALTH if c.path == "smtp" or self.local is not None]
        return [problem for conv in convs for problem in self.converse(conv)]


def content_stream(
    headers: Iterable[tuple[str, str]],
    body: bytes,
    milter_protocol: int,
    path: Path = "smtp",
    recipient: str = ALLOWED[0],
) -> bytes:
    """One message with the given headers and body, as Postfix sends it, ending with QUIT."""
    p = milter_protocol
    raw = f"<{recipient}>" if path == "smtp" else recipient
    out = [negotiate_packet(), packet(b"M", f"<{SENDER}>\0".encode()),
           packet(b"R", raw.encode() + b"\0")]  # fmt: skip
    if not p & NODATA:
        out.append(packet(b"T"))
    if not p & NOHDRS:
        lead = " " if p & HDR_LEADSPC else ""
        for name, value in headers:
            out.append(packet(b"L", f"{name}\0{lead}{value}\0".encode("utf-8", "replace")))
    if not p & NOEOH:
        out.append(packet(b"N"))
    if not p & NOBODY:
        for at in range(0, len(body), 65535):
            out.append(packet(b"B", body[at : at + 65535]))
    out += [macros(b"E", {"i": "4QMime"}), packet(b"E"), packet(b"Q")]
    return b"".join(out)
