"""Hypothesis strategies for milter traffic, and the checks every case must pass.

Two kinds of case:

- ``valid_case``: a Postfix-like ``Conversation`` (random recipients from allowed and retired
  domains, several messages, aborts) and random split points; the milter must give exactly the
  replies the policy demands.
- ``hostile_case``: a byte stream made of well-formed, malformed, truncated, oversized and
  out-of-order packets (and raw noise), or a valid conversation with packets dropped,
  repeated, swapped, corrupted, cut or slipped in; planted client data rides in headers and
  bodies; split at random points. Nothing is demanded of the replies except that they are
  well-formed packets and that the milter closes once we stop sending (a verdict or a close,
  never a hang).

After every case, ``check_server`` demands that the server still serves well-formed
conversations correctly on both paths and that no session thread is left behind.
"""

from __future__ import annotations

import struct
import threading
from dataclasses import dataclass

from hypothesis import strategies as st

from tests.reliability.conversations import (
    ALLOWED,
    RETIRED,
    Conversation,
    Message,
    Path,
    macros,
    negotiate_packet,
    packet,
    script_packets,
)
from tests.reliability.inprocess import InProcessMilter
from tests.reliability.sentinels import BSNS, IBANS, SENTENCES, body_text
from tests.reliability.wire import exchange, split

# Addresses Postfix could hand over, and some it never would.
ODD_ADDRESSES = (
    "",
    "<>",
    "<@relay.example:b@bjzutrecht.nl>",
    "b%bjzutrecht.nl@partner.example",
    '"quoted local"@bjzutrecht.nl',
    "no-at-sign",
    "a@[127.0.0.1]",
    "a@xn--zz.nl",
    "a@" + "x" * 300 + ".nl",
    "\u00e9@bj\u00fcutrecht.nl",
)
_SECRET_TEXT = st.sampled_from([*BSNS, *IBANS, *SENTENCES])
_HEADER_NAMES = st.sampled_from(["Subject", "From", "To", "Message-ID", "X-Case", "", "A" * 300])
_BIG_LENGTHS = st.sampled_from([1 << 20, (1 << 24) + 3, 1 << 31, (1 << 32) - 1])
_STAGES = st.sampled_from([b"C", b"H", b"M", b"R", b"T", b"L", b"N", b"B", b"E", b"Z", b""])


# The adapter runs DNS, scanning and decisions in a shared pool ("decide-N" threads, at most
# 64); those threads live on between messages by design.
WORKER_POOL_PREFIX = "decide"
WORKER_POOL_MAX = 64


@dataclass(frozen=True)
class Case:
    """One connection's worth of bytes, cut into the pieces the milter reads separately."""

    path: Path
    chunks: tuple[bytes, ...]


def _address(draw: st.DrawFn) -> bytes:
    addr = draw(st.sampled_from([*ALLOWED, *RETIRED, *ODD_ADDRESSES]))
    wrapped = draw(st.sampled_from(["<{}>", "{}"])).format(addr).encode("utf-8", "replace")
    return wrapped + draw(st.sampled_from([b"\0", b"\0NOTIFY=NEVER\0", b"", b"\0\0\0"]))


@st.composite
def _well_formed_packet(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from("ODMRLBNTEACHUQ"))
    if kind == "O":
        version = draw(st.sampled_from([2, 6, 0, 255]))
        actions = draw(st.sampled_from([0, 0x1FF, 0xFFFFFFFF]))
        protocol = draw(st.sampled_from([0, 0x1FFFFF, 0xFFFFFFFF]))
        return negotiate_packet(version, actions, protocol)
    if kind == "D":
        stage = draw(_STAGES)
        names = draw(st.lists(st.sampled_from(["i", "{mail_addr}", "{rcpt_addr}", "j", "{x"])))
        return macros(stage, {n: draw(st.text(max_size=30)) for n in names})
    if kind in "MR":
        return packet(kind.encode(), _address(draw))
    if kind == "L":
        name = draw(_HEADER_NAMES).encode()
        value = draw(_SECRET_TEXT).encode() + draw(st.binary(max_size=20))
        return packet(b"L", name + b"\0" + value + draw(st.sampled_from([b"\0", b"", b"\0x\0"])))
    if kind == "B":
        size = draw(st.sampled_from([0, 10, 1000, 65535, 70000]))
        text = body_text(draw(st.integers(0, 3))).encode()
        return packet(b"B", (text * (size // len(text) + 1))[:size] if size else text)
    if kind == "C":
        family = draw(st.sampled_from([b"4", b"6", b"L", b"U", b"?"]))
        return packet(b"C", b"host\0" + family + draw(st.binary(max_size=24)))
    if kind == "H":
        return packet(b"H", draw(st.binary(max_size=40)))
    if kind == "Q" and draw(st.integers(0, 3)):
        kind = "A"  # QUIT ends the connection; keep it rare so later packets matter
    return packet(kind.encode())


@st.composite
def _malformed_packet(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["cmd", "empty", "huge", "truncated", "noise", "optneg", "short"]))
    if kind == "cmd":
        return packet(draw(st.binary(min_size=1, max_size=1)), draw(st.binary(max_size=200)))
    if kind == "empty":
        return struct.pack("!I", 0)
    if kind == "huge":
        return struct.pack("!I", draw(_BIG_LENGTHS)) + draw(st.binary(max_size=64))
    if kind == "truncated":
        whole = draw(_well_formed_packet())
        return whole[: draw(st.integers(0, max(0, len(whole) - 1)))]
    if kind == "optneg":
        return packet(b"O", draw(st.binary(max_size=20).filter(lambda b: len(b) != 12)))
    if kind == "short":
        return draw(st.binary(min_size=1, max_size=3))
    return draw(st.binary(max_size=128))


def _any_packet() -> st.SearchStrategy[bytes]:
    return st.one_of(_well_formed_packet(), _malformed_packet())


@st.composite
def _random_pieces(draw: st.DrawFn) -> tuple[Path, list[bytes]]:
    """Packets good and bad in random order."""
    pieces = [negotiate_packet()] if draw(st.booleans()) else []
    pieces += draw(st.lists(_any_packet(), min_size=1, max_size=12))
    return draw(st.sampled_from(["smtp", "local"])), pieces


@st.composite
def _mutated_conversation(draw: st.DrawFn) -> tuple[Path, list[bytes]]:
    """A Postfix-like conversation with packets dropped, repeated, swapped, corrupted or
    cut short, or foreign packets slipped in: out-of-order traffic deep inside a session."""
    conv, _ = draw(valid_case())
    protocol = draw(st.sampled_from([0, 0x803C3, 0x1FFFFF]))  # what the milter wants varies
    packets, _ = script_packets(conv, protocol)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(packets) - 1))
        how = draw(st.sampled_from(["drop", "repeat", "swap", "flip", "cut", "insert"]))
        if how == "drop" and len(packets) > 1:
            del packets[at]
        elif how == "repeat":
            packets.insert(at, packets[at])
        elif how == "swap" and at + 1 < len(packets):
            packets[at], packets[at + 1] = packets[at + 1], packets[at]
        elif how == "flip" and packets[at]:
            data = bytearray(packets[at])
            data[draw(st.integers(0, len(data) - 1))] ^= draw(st.integers(1, 255))
            packets[at] = bytes(data)
        elif how == "cut":
            packets[at] = packets[at][: draw(st.integers(0, len(packets[at])))]
        elif how == "insert":
            packets.insert(at, draw(_any_packet()))
    return conv.path, packets


@st.composite
def hostile_case(draw: st.DrawFn) -> Case:
    """Random packets or a mutated conversation, split at random points."""
    path, pieces = draw(st.one_of(_random_pieces(), _mutated_conversation()))
    stream = b"".join(pieces)
    cuts = draw(st.lists(st.integers(0, len(stream)), max_size=10))
    return Case(path, tuple(split(stream, cuts)))


@st.composite
def valid_case(draw: st.DrawFn) -> tuple[Conversation, list[int]]:
    """A Postfix-like conversation and the offsets to split its byte stream at."""
    recipient = st.sampled_from([*ALLOWED, *RETIRED])
    message = st.builds(
        Message,
        recipients=st.lists(recipient, min_size=1, max_size=5).map(tuple),
        abort=st.sampled_from([False, False, False, True]),
    )
    conv = Conversation(
        draw(st.sampled_from(["smtp", "local"])),
        tuple(draw(st.lists(message, min_size=1, max_size=4))),
    )
    cuts = draw(st.lists(st.integers(0, 4000), max_size=16))
    return conv, cuts


def check_hostile(milter: InProcessMilter, case: Case, timeout: float = 5.0) -> list[str]:
    """What went wrong on the hostile connection itself (empty: nothing)."""
    result = exchange(milter.address(case.path), case.chunks, timeout=timeout)
    problems = []
    if result.hung:
        problems.append(f"no verdict and no close {timeout}s after the client stopped sending")
    if result.malformed or result.trailing:
        problems.append(f"malformed milter output: {result.malformed} {result.trailing[:40]!r}")
    return problems


def check_server(milter: InProcessMilter, max_threads: int) -> list[str]:
    """The server still answers both paths correctly, has no session thread left over, and
    the process's other threads (bar the adapter's bounded worker pool) stay within bound."""
    problems = milter.healthy()
    left = milter.wait_idle()
    if left:
        problems.append(f"{left} session thread(s) still running after their connection ended")
    others = [t for t in threading.enumerate() if not t.name.startswith(WORKER_POOL_PREFIX)]
    pool = threading.active_count() - len(others)
    if len(others) > max_threads or pool > WORKER_POOL_MAX:
        problems.append(f"{len(others)} threads (bound {max_threads}), {pool} pool workers")
    return problems
