"""The quarantine service's wire format as its clients read it: one JSON line each way; a
refusal keeps the service's text, anything else improper is 'no answer' -- never a result."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from milter.officer import wire
from milter.officer.client import QuarantineClient
from milter.officer.holdqueue import QuarantineError
from milter.portal import wire as portal_wire


def reader(*chunks: bytes) -> Callable[[int], bytes]:
    parts = list(chunks)
    return lambda _size: parts.pop(0) if parts else b""


class TestRequestLine:
    def test_one_json_line_with_the_operation_and_who_acts(self) -> None:
        """A request is one line: op, its arguments and, from a gateway, who acts."""
        line = wire.request_line("release", {"queue_id": "4Q1"}, {"officer": "anna"})
        assert line.endswith(b"\n") and line.count(b"\n") == 1
        assert json.loads(line) == {
            "op": "release",
            "queue_id": "4Q1",
            "acting": {"officer": "anna"},
        }

    def test_without_acting_there_is_no_acting_key(self) -> None:
        """The officer's own command line names nobody: the service takes the peer's uid."""
        assert "acting" not in json.loads(wire.request_line("list", {}))


class TestReadResponse:
    def test_result_read_across_chunks(self) -> None:
        """A response split over several reads is put together."""
        line = json.dumps({"ok": True, "result": {"held": 2}}).encode() + b"\n"
        assert wire.read_response(reader(line[:5], line[5:]), "s") == {"held": 2}

    def test_refusal_keeps_the_service_text(self) -> None:
        """ok: false gives Refusal with the service's own text."""
        line = b'{"ok": false, "error": "four eyes: another officer must approve"}\n'
        with pytest.raises(wire.Refusal, match="four eyes"):
            wire.read_response(reader(line), "s")

    @pytest.mark.parametrize(
        "data",
        [b"", b"not json\n", b"[1, 2]\n", b'{"ok": true}\n', b'{"ok": "yes", "result": {}}\n'],
    )
    def test_anything_else_is_no_answer(self, data: bytes) -> None:
        """Nothing, not JSON, not an object, or no result: NoAnswer, never a result."""
        with pytest.raises(wire.NoAnswer):
            wire.read_response(reader(data), "s")

    def test_endless_answer_is_cut_off(self) -> None:
        """An answer longer than MAX_RESPONSE without a line end is no answer."""
        block = b"x" * 65536
        with pytest.raises(wire.NoAnswer, match="too long"):
            wire.read_response(lambda _n: block, "s")


@pytest.fixture
def answering(tmp_path: Path) -> Iterator[Callable[[bytes], str]]:
    """A unix socket that answers every connection with the bytes given, then closes."""
    path = str(tmp_path / "q.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen()
    answer = [b""]

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(answer[0])

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()

    def set_answer(data: bytes) -> str:
        answer[0] = data
        return path

    yield set_answer
    server.close()
    thread.join(5)


class TestClients:
    def test_officer_client_says_where_to_look(self, answering: Callable[[bytes], str]) -> None:
        """The command line turns no answer into QuarantineError pointing at the journal."""
        client = QuarantineClient(answering(b"garbage\n"), timeout_s=5)
        with pytest.raises(QuarantineError, match="journalctl -u postwarden-quarantine"):
            client.call("list")

    def test_officer_client_passes_a_refusal_on(self, answering: Callable[[bytes], str]) -> None:
        """A refusal reaches the officer as the service worded it."""
        client = QuarantineClient(answering(b'{"ok": false, "error": "no such id"}\n'), 5)
        with pytest.raises(QuarantineError, match=r"^no such id$"):
            client.call("show", queue_id="4Q1")

    def test_portal_sees_unreachable_or_refused(self) -> None:
        """The portal's gateways turn the two errors into its own."""
        with pytest.raises(portal_wire.GatewayUnreachable):
            portal_wire.read_response(reader(b"garbage\n"), "gw1")
        with pytest.raises(portal_wire.GatewayRefused, match="no such id"):
            portal_wire.read_response(reader(b'{"ok": false, "error": "no such id"}\n'), "gw1")
