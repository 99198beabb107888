"""The native milter framing (milter._native.Wire) against the Python one, over real sockets.

Each case runs one connection's byte stream through a ``MilterSession`` twice, once with each
front end, and compares what the client gets back (every reply byte, and whether the session
closed) and what the session reported (decisions, refusals, internal errors). Hostile streams
(bad lengths, packets split at every byte, oversize, unknown commands, macros for the wrong
stage) come as fixed cases and as generated ones (hypothesis, fixed seed).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

import milter.protocol.native as native_wire
from milter.policy import load_policy
from milter.protocol import codec
from milter.server import session as adapter
from milter.server.session import MilterSession, PolicyHolder
from tests.support.milterclient import packet
from tests.unit.content.native_support import NATIVE, generated, require_built
from tests.unit.core.test_engine import POLICY
from tests.unit.server.test_session import Recorder

require_built()

EXAMPLE = load_policy(os.path.join(os.path.dirname(__file__), "../../../policies/example.yaml"))
TEMPFAIL = adapter.TEMPFAIL_PACKET


def optneg(version: int = 6, actions: int = 0x1FF, protocol: int = 0x1FFFFF) -> bytes:
    return packet(
        b"O", version.to_bytes(4, "big") + actions.to_bytes(4, "big") + protocol.to_bytes(4, "big")
    )


def macros(stage: bytes, pairs: dict[str, str]) -> bytes:
    return packet(
        b"D", stage + b"".join(k.encode() + b"\0" + v.encode() + b"\0" for k, v in pairs.items())
    )


NEGOTIATE = optneg()
MESSAGE = b"".join(
    [
        macros(b"M", {"i": "4QMAIL", "{mail_addr}": "tool@samen-veilig.nl"}),
        packet(b"M", b"<s@samen-veilig.nl>\0"),
        macros(b"R", {"{rcpt_addr}": "b@bjzutrecht.nl"}),
        packet(b"R", b"<b@bjzutrecht.nl>\0NOTIFY=NEVER\0"),
        packet(b"R", b"<jeugdarts@ziekenhuis.example>\0"),
        packet(b"L", b"Message-ID\0<m1@samen-veilig.nl>\0"),
        packet(b"L", b"Subject\0Dossier\0"),
        packet(b"B", b"Client: J. de Vries\r\nBSN: 101722333\r\n"),
        macros(b"E", {"i": "4QEOM"}),
        packet(b"E"),
    ]
)


@dataclass
class Outcome:
    """What one connection produced: the reply bytes, and what the session reported."""

    replies: bytes
    decisions: list[tuple[str, str | None, tuple[str, ...], str | None]]
    refusals: list[str]
    errors: int


def read_all(sock: socket.socket) -> bytes:
    """Everything the milter sends until it closes. A close with bytes of ours still unread
    is a reset on a unix socket, after the queued replies have been read: also the end."""
    received = bytearray()
    try:
        while data := sock.recv(65536):
            received += data
    except ConnectionResetError:
        pass
    return bytes(received)


def run(
    stream: bytes,
    native: bool,
    policy: object = POLICY,
    path: adapter.SubmissionPath = "smtp",
    read_chunk: int | None = None,
) -> Outcome:
    """`stream` sent whole (then the write side shut) to a session framing with the native
    or the Python front end; everything it answers until it closes."""
    saved_wire, saved_chunk = native_wire.Wire, adapter._RECV_CHUNK
    native_wire.Wire = NATIVE.Wire if native and NATIVE is not None else None
    if read_chunk is not None:
        adapter._RECV_CHUNK = read_chunk
    ours, theirs = socket.socketpair()
    recorder = Recorder()
    try:
        session = MilterSession(ours, path, PolicyHolder(policy), recorder)  # type: ignore[arg-type]
        thread = threading.Thread(target=session.serve, daemon=True)
        thread.start()
        theirs.settimeout(30)
        theirs.sendall(stream)
        theirs.shutdown(socket.SHUT_WR)
        received = read_all(theirs)
        thread.join(30)
        assert not thread.is_alive() and session.closed
    finally:
        theirs.close()
        native_wire.Wire, adapter._RECV_CHUNK = saved_wire, saved_chunk
    return Outcome(
        bytes(received),
        [
            (d.action, d.rule, tuple(str(a) for a in e.recipients), e.queue_id)
            for d, e in recorder.decisions
        ],
        [r.rule for r in recorder.refusals],
        recorder.errors,
    )


def both(stream: bytes, **kwargs: object) -> Outcome:
    """The outcome of `stream`, after checking both front ends give the same one."""
    native = run(stream, True, **kwargs)  # type: ignore[arg-type]
    python = run(stream, False, **kwargs)  # type: ignore[arg-type]
    assert native == python
    return native


class TestSameAnswers:
    def test_a_message_gets_the_same_replies_and_decision(self) -> None:
        """A dossier extract: the refusal at RCPT, the quarantine at the end, same bytes."""
        got = both(NEGOTIATE + MESSAGE + packet(b"Q"), policy=EXAMPLE)
        assert got.refusals == ["retired_domain"]
        assert got.decisions[0][0] == "quarantine" and got.decisions[0][3] == "4QMAIL"
        assert got.replies.count(b"550 5.7.1") == 1 and got.replies.endswith(b"\0\0\0\1a")

    def test_packets_split_at_every_byte(self) -> None:
        """Read one byte at a time, every packet arrives in pieces: the same replies as whole."""
        stream = NEGOTIATE + MESSAGE + MESSAGE + packet(b"Q")
        whole = both(stream, policy=EXAMPLE)
        assert both(stream, policy=EXAMPLE, read_chunk=1) == whole
        assert len(whole.decisions) == 2

    def test_events_negotiated_away_are_answered_when_sent(self) -> None:
        """Protocol 2 without the NO*/NR* flags: connect, HELO, DATA, end of headers, unknown
        command, MAIL, headers and body each get their continue, in order."""
        stream = optneg(2, 0x3F, 0) + b"".join(
            [
                packet(b"C", b"client\0" + b"4" + b"\0\0" + b"127.0.0.1\0"),
                packet(b"H", b"helo.example\0"),
                packet(b"M", b"<s@samen-veilig.nl>\0"),
                packet(b"R", b"<a@partner.example>\0"),
                packet(b"T"),
                packet(b"L", b"Subject\0hallo\0"),
                packet(b"N"),
                packet(b"U", b"VRFY x\0"),
                packet(b"B", b"Tekst.\r\n"),
                packet(b"E"),
            ]
        )
        got = both(stream)
        continues = codec.packet(codec.CONTINUE)
        assert got.replies.count(continues) == 9  # all but the end of message
        assert got.decisions[0][0] == "accept"

    def test_macros_apply_only_to_their_own_stage(self) -> None:
        """An RCPT-stage queue id before MAIL is not MAIL's, a MAIL-stage one before RCPT is
        not RCPT's: the end of message's is used."""
        stream = NEGOTIATE + b"".join(
            [
                macros(b"R", {"i": "4QWRONG"}),
                packet(b"M", b"<s@samen-veilig.nl>\0"),
                macros(b"M", {"i": "4QWRONG2"}),
                packet(b"R", b"<a@partner.example>\0"),
                macros(b"E", {"i": "4QRIGHT"}),
                packet(b"E"),
            ]
        )
        assert both(stream).decisions[0][3] == "4QRIGHT"

    def test_header_after_body_keeps_its_place(self) -> None:
        """A header after body bytes (never from Postfix) is handled after them, as Python's
        framing does: the scan ignores it, the Message-ID still counts."""
        stream = NEGOTIATE + b"".join(
            [
                packet(b"M", b"<s@samen-veilig.nl>\0"),
                packet(b"R", b"<jeugdarts@ziekenhuis.example>\0"),
                packet(b"B", b"Tekst.\r\n"),
                packet(b"L", b"Subject\0BSN 101722333\0"),
                packet(b"B", b"Meer tekst.\r\n"),
                packet(b"E"),
            ]
        )
        assert both(stream, policy=EXAMPLE).decisions[0][0] == "accept"

    def test_a_body_bigger_than_a_batch_arrives_whole(self) -> None:
        """A body of several batches (and 64 KiB chunks) is scanned whole: the BSN at its end
        is found."""
        filler = b"Gewone tekst zonder bijzonderheden.\r\n" * 40
        chunks = [packet(b"B", filler) for _ in range(3 * adapter._WIRE_BATCH // len(filler))]
        stream = NEGOTIATE + b"".join(
            [
                packet(b"M", b"<s@samen-veilig.nl>\0"),
                packet(b"R", b"<jeugdarts@ziekenhuis.example>\0"),
                packet(b"L", b"Subject\0verslag\0"),
                *chunks,
                packet(b"B", b"BSN: 101722333\r\n"),
                packet(b"E"),
            ]
        )
        assert both(stream, policy=EXAMPLE).decisions[0][0] == "quarantine"

    def test_abort_between_messages(self) -> None:
        """ABORT drops the message in flight; the next one starts clean."""
        stream = NEGOTIATE + b"".join(
            [
                packet(b"M", b"<s@samen-veilig.nl>\0"),
                packet(b"R", b"<a@partner.example>\0"),
                packet(b"L", b"Subject\0x\0"),
                packet(b"A"),
                packet(b"M", b"<s@samen-veilig.nl>\0"),
                packet(b"R", b"<z@partner.example>\0"),
                packet(b"E"),
            ]
        )
        assert both(stream).decisions == [("accept", None, ("z@partner.example",), None)]


class TestHostile:
    @pytest.mark.parametrize(
        "bad",
        [
            packet(b"Z", b"x"),
            packet(b""),
            packet(b"L", b"no-nul"),
            packet(b"L", b"a\0b\0c\0"),
            packet(b"O", b"short"),
            (codec.MAX_PACKET + 1).to_bytes(4, "big"),
            b"\xff\xff\xff\xff",
        ],
        ids=[
            "unknown",
            "empty",
            "header-without-nul",
            "header-extra",
            "short-optneg",
            "oversize-length-only",
            "max-length",
        ],
    )
    def test_malformed_packets_tempfail_and_close(self, bad: bytes) -> None:
        """Traffic Postfix never sends: one tempfail, then the connection closes; the packets
        before it were answered, nothing after it is read."""
        stream = NEGOTIATE + packet(b"M", b"<s@samen-veilig.nl>\0") + bad + MESSAGE
        got = both(stream)
        assert got.replies.endswith(TEMPFAIL) and got.decisions == []
        assert got.replies.count(TEMPFAIL) == 1

    def test_oversize_is_refused_before_its_payload_arrives(self) -> None:
        """A declared length beyond MAX_PACKET is answered at once, with its payload unsent."""
        native_wire_type = NATIVE.Wire if NATIVE is not None else None
        assert native_wire_type is not None
        ours, theirs = socket.socketpair()
        session = MilterSession(ours, "smtp", PolicyHolder(POLICY), Recorder())
        saved = native_wire.Wire
        native_wire.Wire = native_wire_type
        try:
            thread = threading.Thread(target=session.serve, daemon=True)
            thread.start()
            theirs.settimeout(30)
            theirs.sendall(NEGOTIATE + (codec.MAX_PACKET + 1).to_bytes(4, "big"))
            received = read_all(theirs)  # no shutdown: the milter closes by itself
            thread.join(30)
        finally:
            native_wire.Wire = saved
            theirs.close()
        assert received.endswith(TEMPFAIL) and session.closed

    def test_idle_connection_and_unfinished_packet_are_closed(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Half a packet, then silence: closed once the idle timeout passes, no reply."""
        monkeypatch.setattr(adapter, "_IDLE_TIMEOUT_S", 0.2)
        assert NATIVE is not None
        monkeypatch.setattr(native_wire, "Wire", NATIVE.Wire)
        ours, theirs = socket.socketpair()
        session = MilterSession(ours, "smtp", PolicyHolder(POLICY), Recorder())
        thread = threading.Thread(target=session.serve, daemon=True)
        thread.start()
        theirs.settimeout(30)
        theirs.sendall(NEGOTIATE + packet(b"M", b"<s@samen-veilig.nl>\0")[:7])
        received = read_all(theirs)
        thread.join(30)
        theirs.close()
        assert received == codec.optneg_packet(6, adapter.WANTED_ACTIONS, adapter.WANTED_PROTOCOL)
        assert session.closed


ADDRESSES = [b"<s@samen-veilig.nl>", b"<a@partner.example>", b"<b@bjzutrecht.nl>", b"<>", b"x"]
COMMANDS = b"CHTNUZAK"  # events Postfix sends (negotiated away or not), and ones it never sends


def _packets() -> st.SearchStrategy[bytes]:
    names = st.sampled_from([b"i", b"{mail_addr}", b"{rcpt_addr}", b"{}", b"", b"j"])
    values = st.binary(max_size=12)
    macro = st.builds(
        lambda stage, pairs: packet(
            b"D", stage + b"".join(n + b"\0" + v + b"\0" for n, v in pairs)
        ),
        st.sampled_from([b"M", b"R", b"E", b"C", b""]),
        st.lists(st.tuples(names, values), max_size=3),
    )
    return st.one_of(
        macro,
        st.builds(lambda a: packet(b"M", a + b"\0"), st.sampled_from(ADDRESSES)),
        st.builds(
            lambda a, e: packet(b"R", a + b"\0" + e),
            st.sampled_from(ADDRESSES),
            st.sampled_from([b"", b"NOTIFY=NEVER\0"]),
        ),
        st.builds(
            lambda n, v, end: packet(b"L", n + b"\0" + v + end),
            st.sampled_from([b"Subject", b"Message-ID", b"Auto-Submitted", b"X"]),
            st.binary(max_size=20),
            st.sampled_from([b"\0", b"", b"\0x"]),
        ),
        st.builds(lambda b: packet(b"B", b), st.binary(max_size=64)),
        st.builds(
            lambda c, p: packet(bytes([c]), p), st.sampled_from(COMMANDS), st.binary(max_size=8)
        ),
        st.just(packet(b"E")),
        st.builds(lambda p: packet(b"O", p), st.binary(min_size=11, max_size=13)),
        st.just(b"\x01\x00\x00\x00"),  # a length beyond MAX_PACKET
    )


@generated(120)
@given(
    protocol=st.sampled_from([0x1FFFFF, 0, 0x7F]),
    body=st.lists(_packets(), max_size=14),
    read_chunk=st.sampled_from([None, 1, 3]),
)
def test_generated_streams_get_the_same_answers(
    protocol: int, body: list[bytes], read_chunk: int | None
) -> None:
    """Any stream of valid, malformed and unknown packets, whole or in small reads, is
    answered byte for byte as the Python framing answers it, with the same decisions."""
    both(optneg(6, 0x1FF, protocol) + b"".join(body), read_chunk=read_chunk)


@pytest.mark.parametrize(
    ("setting", "expected"), [("0", "python"), ("1", "native"), ("", "native")]
)
def test_one_switch_turns_the_native_framing_off(setting: str, expected: str) -> None:
    """POSTWARDEN_NATIVE=0 (the native content core's switch) also selects the Python framing."""
    code = "import milter.protocol.native as n; print(n.FRONTEND, n.Wire is None)"
    env = {**os.environ, "POSTWARDEN_NATIVE": setting}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == [expected, str(expected == "python")]
