"""Tests for milter.officer.service and .client: requests are checked whole before the desk sees
them, the peer is checked by its uid, the officer is the peer's user name, and the server keeps
serving after every refusal.

The servers here are real: a QuarantineService on a unix socket in a thread, and the
``postwarden quarantine-service`` command under systemd-socket-activate. Clients run as real
users made for the test (tests/support/accounts.py), so the kernel's SO_PEERCRED and the socket's
file permissions are the ones checked. The desk behind the thread's server is a recording one:
what reaches Postfix is the e2e test's job (tests/e2e/test_quarantine_service.py).
"""

from __future__ import annotations

import grp
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import structlog
from structlog.testing import capture_logs

from milter.cli.main import main
from milter.officer import service
from milter.officer.client import QuarantineClient
from milter.officer.desk import Outcome
from milter.officer.holdqueue import HeldMessage, QuarantineError
from milter.officer.service import (
    DeskConfig,
    QuarantineService,
    Refused,
    activated_socket,
    bind_socket,
    parse,
    validate,
)
from milter.policy.model import OfficerRole
from tests.support.accounts import Accounts, AsUser, officer_accounts

ROOT = Path(__file__).resolve().parents[3]
POLICY = ROOT / "policies" / "example.yaml"
QID = "4ZqWb01abcdEF"
HELD = HeldMessage(QID, 1_700_000_000, 1234, "a@samen-veilig.nl", ("x@samenveilig.nl",),
                   (("X-Postwarden-Quarantine", "lookalike_domain: looks like ours"),))  # fmt: skip


# -- a desk that records what it is asked (the real one drives Postfix: e2e) ---------------


@dataclass
class RecordingDesk:
    """The desk's interface as ops.quarantine_call uses it, recording each step's arguments."""

    calls: list[tuple[str, ...]]
    policy: Any = None

    @property
    def queue(self) -> RecordingDesk:
        return self

    def get(self, queue_id: str) -> HeldMessage:
        if queue_id != QID:
            raise QuarantineError(f"no message {queue_id} in the queue")
        return HELD

    def show(self, queue_id: str) -> dict[str, Any]:
        self.get(queue_id)
        return self.overview()[0]

    def overview(self) -> list[dict[str, Any]]:
        return [
            {"queue_id": QID, "arrival_time": HELD.arrival_time, "age_seconds": 60,
             "sender": HELD.sender, "recipients": list(HELD.recipients), "rules": list(HELD.rules),
             "reasons": list(HELD.reasons), "expires_at": None, "release_at": None,
             "request": None, "approval": None}
        ]  # fmt: skip

    def release(self, queue_id: str, reason: str, who: str, request_id: str | None) -> Outcome:
        self.calls.append(("release", queue_id, reason, who, str(request_id)))
        return Outcome(True, f"released {queue_id}: delivery continues", queue_id)

    def delete(self, queue_id: str, reason: str, who: str) -> Outcome:
        self.calls.append(("delete", queue_id, reason, who))
        return Outcome(True, f"deleted {queue_id} from the hold queue", queue_id)

    def request(self, queue_id: str, reason: str, sender: str | None, by: str) -> Outcome:
        self.calls.append(("request", queue_id, reason, str(sender), by))
        return Outcome(False, f"release of {queue_id} requested (req-1)", queue_id, "req-1")

    def withdraw(self, queue_id: str, reason: str, sender: str | None, by: str) -> Outcome:
        self.calls.append(("withdraw", queue_id, reason, str(sender), by))
        return Outcome(True, f"withdrew {queue_id}", queue_id)

    def show_content(self, queue_id: str, reason: str, who: str) -> dict[str, Any]:
        self.calls.append(("show_content", queue_id, reason, who))
        return {"queue_id": queue_id, "headers": [], "body": "", "truncated": False}

    def expire(self) -> list[Outcome]:
        self.calls.append(("expire",))
        return []


@dataclass(frozen=True)
class Roles:
    """The part of a policy the service reads for an officer acting through the portal."""

    officers: tuple[OfficerRole, ...] = (
        OfficerRole("fg", ("release", "delete", "content")),
        OfficerRole("reader"),
    )


@dataclass(frozen=True)
class RecordingConfig(DeskConfig):
    calls: list[tuple[str, ...]] = field(default_factory=list)

    def desk(self) -> Any:
        return RecordingDesk(self.calls, Roles())


def request(op: str, **args: Any) -> dict[str, Any]:
    return {"op": op, **args}


def _call(path: str, req: dict[str, Any]) -> dict[str, Any]:
    """What an officer's program does: one call; the result, or the error's text."""
    args = dict(req)
    try:
        return QuarantineClient(path).call(args.pop("op"), **args)
    except QuarantineError as exc:
        return {"error": str(exc)}


# -- validation: pure ----------------------------------------------------------------------


class TestValidate:
    def test_good_requests_come_out_checked(self) -> None:
        """Each operation with its arguments passes; a reason comes out whitespace-folded."""
        assert validate(request("list")) == ("list", {})
        assert validate(request("show", queue_id=QID)) == ("show", {"queue_id": QID})
        assert validate(request("release", queue_id=QID, reason="  partner\u00a0 ok ")) == (
            "release",
            {"queue_id": QID, "reason": "partner ok"},
        )
        assert validate(request("delete", queue_id=QID, reason="x" * 300))[1]["reason"] == "x" * 300
        got = validate(request("release", queue_id=QID, reason="ok", request_id="req-0a1b2c3d"))
        assert got[1]["request_id"] == "req-0a1b2c3d"
        got = validate(request("request", queue_id=QID, reason="ok", sender="a@samen-veilig.nl"))
        assert got == ("request", {"queue_id": QID, "reason": "ok", "sender": "a@samen-veilig.nl"})
        assert validate(request("withdraw", queue_id=QID, reason="oops"))[0] == "withdraw"
        assert validate(request("expire")) == ("expire", {})
        assert validate(request("release_due")) == ("release_due", {})
        assert validate(request("digest", send=True)) == ("digest", {"send": True})

    @pytest.mark.parametrize(
        ("req", "code", "text"),
        [
            (request("list", who="ciso"), "extra_key", "unknown argument(s) 'who'"),
            (request("delete", queue_id=QID, reason="ok", officer="x"), "extra_key", "'officer'"),
            (request("show", queue_id=QID, raw=True), "extra_key", "'raw'"),
            (request("release", queue_id=QID), "missing_key", "missing argument(s) reason"),
            (request("show"), "missing_key", "missing argument(s) queue_id"),
            (request("purge"), "unknown_op", "known: list, show, release, delete, request"),
            (request("release-due"), "unknown_op", "release_due"),
            ({"queue_id": QID}, "unknown_op", "unknown operation"),
            (request("show", queue_id="ab12"), "value", "queue_id: expected a Postfix queue id"),
            (request("show", queue_id="A" * 21), "value", "queue_id"),
            (request("show", queue_id="../../etc/x"), "value", "queue_id"),
            (request("show", queue_id=12345678), "value", "queue_id"),
            (request("delete", queue_id=QID, reason="x" * 301), "value", "1 to 300 characters"),
            (request("delete", queue_id=QID, reason=" \u00a0 "), "value", "1 to 300 characters"),
            (request("delete", queue_id=QID, reason=["ok"]), "value", "reason: expected text"),
            (request("delete", queue_id=QID, reason="ok\x1b[2J"), "value", "control or format"),
            (request("delete", queue_id=QID, reason="line\nforged"), "value", "control or format"),
            (request("delete", queue_id=QID, reason="ok\u202egnp.exe"), "value", "control"),
            (request("delete", queue_id=QID, reason="a\u2028b"), "value", "control"),
            (request("release", queue_id=QID, reason="o", request_id="a b"), "value", "request_id"),
            (request("release", queue_id=QID, reason="o", request_id=7), "value", "request_id"),
            (request("request", queue_id=QID, reason="o", sender="a b@x.nl"), "value", "sender"),
            (request("withdraw", queue_id=QID, reason="o", sender=""), "value", "sender"),
            (request("withdraw", queue_id=QID, reason="o", sender=None), "value", "sender"),
            (request("digest", send="yes"), "value", "true or false"),
            (request("expire", queue_id=QID), "extra_key", "'queue_id'"),
        ],
    )  # fmt: skip
    def test_bad_requests_are_refused_whole(
        self, req: dict[str, Any], code: str, text: str
    ) -> None:
        """Unknown operations, extra, missing and mistyped keys, bad values: refused, named."""
        with pytest.raises(Refused) as exc:
            validate(req)
        assert exc.value.code == code and text in str(exc.value)

    @pytest.mark.parametrize(
        ("line", "code"),
        [
            (b"release 4ZqWb01abcdEF", "not_json"),
            (b'["list"]', "not_json"),
            (b'{"op": "list"', "not_json"),
            (b'{"op": "l\xffst"}', "not_json"),
            (b'{"op": "list", "op": "release"}', "duplicate"),
        ],
    )
    def test_lines_that_are_not_one_json_object_are_refused(self, line: bytes, code: str) -> None:
        """Not JSON, not UTF-8, not an object, a key twice: refused before validation."""
        with pytest.raises(Refused) as exc:
            parse(line)
        assert exc.value.code == code

    def test_the_desk_never_sees_a_refused_request(self) -> None:
        """perform() answers a refusal without building a desk or calling it."""
        config = RecordingConfig("unused", "unused", "unused")
        response = service.perform(config, request("delete", queue_id="bad", reason="x"), "fg")
        assert response == {
            "ok": False,
            "error": "queue_id: expected a Postfix queue id (5-20 letters and digits)",
        }
        assert config.calls == []

    def test_a_policy_that_does_not_load_refuses_the_release(self, tmp_path: Path) -> None:
        """Fail closed: without a policy (four eyes?) nothing is released; the error says why."""
        broken = tmp_path / "policy.yaml"
        broken.write_text("version: 1\n")
        config = DeskConfig(str(tmp_path / "officer.jsonl"), str(broken), "unused")
        response = service.perform(config, request("release", queue_id=QID, reason="ok"), "fg")
        assert response["ok"] is False and "the policy does not load" in response["error"]
        assert not (tmp_path / "officer.jsonl").exists()

    def test_an_unexpected_error_is_no_success(self) -> None:
        """Any other exception answers 'internal error', logs only its type, does nothing."""

        class Broken(RecordingConfig):
            def desk(self) -> Any:
                raise RuntimeError("dossier of client X")  # text that must not leave

        with capture_logs() as logs:
            response = service.perform(Broken("u", "u", "u"), request("list"), "fg", service._log)
        assert response["ok"] is False and "internal error" in response["error"]
        assert "client X" not in json.dumps(response) + json.dumps(logs)
        assert logs[-1]["error"] == "RuntimeError"


# -- a real server -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def accounts() -> Iterator[Accounts]:
    with officer_accounts() as acc:
        yield acc


@dataclass
class Running:
    path: str
    config: RecordingConfig
    accounts: Accounts

    def as_user(
        self, user: str, req: dict[str, Any], extra_groups: list[str] | None = None
    ) -> dict[str, Any]:
        """Send ``req`` as ``user`` with the client; its result or {'error': text}."""
        got = self.accounts.call_as(user, _call, self.path, req, extra_groups=extra_groups)
        result: dict[str, Any] = got.value
        return result

    def raw(self, data: bytes, shut_write: bool = True) -> dict[str, Any]:
        """Send bytes as root and read the one-line answer."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(30)
            sock.connect(self.path)
            sock.sendall(data)
            if shut_write:
                sock.shutdown(socket.SHUT_WR)
            answer = b""
            while not answer.endswith(b"\n"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                answer += chunk
        response: dict[str, Any] = json.loads(answer)
        return response


def _shared_dir() -> str:
    """A socket directory other users can traverse (pytest's tmp dirs are 0700)."""
    path = tempfile.mkdtemp(prefix="postwarden-qs-")
    os.chmod(path, 0o711)
    return path


@pytest.fixture
def running(accounts: Accounts) -> Iterator[Running]:
    directory = _shared_dir()
    path = os.path.join(directory, "quarantine.sock")
    config = RecordingConfig("unused", "unused", "unused")
    server = QuarantineService(
        bind_socket(path, accounts.group),
        config,
        accounts.group,
        delegates=frozenset({accounts.member}),
    )
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        yield Running(path, config, accounts)
    finally:
        server.stop()
        thread.join(timeout=30)
        server.listener.close()
        shutil.rmtree(directory, ignore_errors=True)
    assert not thread.is_alive()


class TestSocket:
    def test_created_0660_with_the_officers_group(self, running: Running) -> None:
        """--socket makes a socket only root and the officers' group can open."""
        st = os.stat(running.path)
        assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o660
        assert st.st_gid == grp.getgrnam(running.accounts.group).gr_gid

    def test_refuses_to_replace_a_file_that_is_not_a_socket(self, tmp_path: Path) -> None:
        """A regular file at the socket path is kept and named, not unlinked."""
        target = tmp_path / "quarantine.sock"
        target.write_text("keep me")
        with pytest.raises(service.ServiceSetupError, match="exists and is not a socket"):
            bind_socket(str(target), "root")
        assert target.read_text() == "keep me"

    def test_names_a_missing_directory_and_a_missing_group(self, tmp_path: Path) -> None:
        """Setup errors name the directory, or the group and how to create it."""
        with pytest.raises(service.ServiceSetupError, match=f"{tmp_path}/none: no such directory"):
            bind_socket(str(tmp_path / "none" / "q.sock"), "root")
        with pytest.raises(service.ServiceSetupError, match="groupadd --system pwt-no-such"):
            bind_socket(str(tmp_path / "q.sock"), "pwt-no-such")


class TestServer:
    def test_refusals_leave_the_server_serving(
        self, running: Running, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Each bad request gets its refusal; the next good one is still served."""
        monkeypatch.setattr(service, "READ_TIMEOUT_S", 0.3)  # the slow client below
        bad = [
            (b"not json\n", "one line of JSON"),
            (b'{"op": "rm -rf"}\n', "unknown operation"),
            (b'{"op": "list", "who": "ciso"}\n', "unknown argument(s) 'who'"),
            (b'{"op": "show", "queue_id": "x"}\n', "queue_id"),
            (json.dumps(request("delete", queue_id=QID, reason="r" * 301)).encode() + b"\n",
             "1 to 300 characters"),
            (json.dumps(request("delete", queue_id=QID, reason="a\x07")).encode() + b"\n",
             "control"),
            (b'{"op": "list", "pad": "' + b"x" * 9000 + b'"}\n', "at most 8192 bytes"),
        ]  # fmt: skip
        for data, text in bad:
            response = running.raw(data)
            assert response["ok"] is False and text in response["error"], data[:60]
        slow = running.raw(b'{"op": "li', shut_write=False)  # never finishes its line
        assert slow["ok"] is False and "no complete request within 0.3 s" in slow["error"]
        assert running.raw(b'{"op": "list"}')["ok"] is True  # end of input ends a line too
        assert running.config.calls == []

    def test_a_connection_that_fails_does_not_stop_the_service(
        self, running: Running, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """An error while handling one connection is logged by type; the next is served."""
        real = service.peer_of
        failures = iter([OSError("peer gone")])

        def flaky(conn: socket.socket) -> service.Peer:
            for exc in failures:
                raise exc
            return real(conn)

        monkeypatch.setattr(service, "peer_of", flaky)
        client = QuarantineClient(running.path, timeout_s=30)
        with capture_logs() as logs, pytest.raises(QuarantineError, match="no answer"):
            client.call("list")
        assert client.call("list")["messages"][0]["queue_id"] == QID
        errors = [e for e in logs if e["event"] == "quarantine_connection_error"]
        assert errors == [
            {"event": "quarantine_connection_error", "log_level": "error", "error": "OSError"}
        ]

    def test_an_officer_acts_under_their_own_name(self, running: Running) -> None:
        """A group member is served; the desk is called with the peer's user name."""
        acc = running.accounts
        got = running.as_user(acc.member, request("release", queue_id=QID, reason="called  back"))
        assert got["done"] is True and got["message"] == f"released {QID}: delivery continues"
        listed = running.as_user(acc.primary, request("list"))
        assert [row["queue_id"] for row in listed["messages"]] == [QID]
        assert listed["messages"][0]["rules"] == ["lookalike_domain"]
        running.as_user(acc.primary, request("delete", queue_id=QID, reason="resent"))
        asked = request("request", queue_id=QID, reason="needed", sender="a@samen-veilig.nl")
        assert running.as_user(acc.member, asked)["request_id"] == "req-1"
        assert running.as_user(acc.member, request("expire")) == {"outcomes": []}
        assert running.config.calls == [
            ("release", QID, "called back", acc.member, "None"),
            ("delete", QID, "resent", acc.primary),
            ("request", QID, "needed", "a@samen-veilig.nl", acc.member),
            ("expire",),
        ]

    def test_root_is_served_as_root(self, running: Running) -> None:
        """uid 0 is always served, and named 'root'."""
        got = QuarantineClient(running.path).call("delete", queue_id=QID, reason="spam")
        assert got["done"] is True and running.config.calls == [("delete", QID, "spam", "root")]

    def test_a_non_member_cannot_open_the_socket(self, running: Running) -> None:
        """nobody gets 'permission denied: you must be in group ...' from the client."""
        got = running.as_user(running.accounts.outsider, request("list"))
        assert "permission denied: you must be in group postwarden-officers" in got["error"]
        assert running.config.calls == []

    def test_a_process_given_the_group_is_served(self, running: Running) -> None:
        """A process that has the group (SupplementaryGroups= of the quarantine timers) is
        served under its user's name, though the user database does not list the user."""
        acc = running.accounts
        got = running.as_user(
            acc.outsider,
            request("delete", queue_id=QID, reason="expired"),
            extra_groups=[acc.group],
        )
        assert got["done"] is True
        assert running.config.calls == [("delete", QID, "expired", "nobody")]

    def test_the_peer_check_refuses_whom_the_file_mode_lets_through(self, running: Running) -> None:
        """With the socket opened to all (a SocketMode= mistake), a process without the group,
        whose user is not in it, is refused by the service; logged by uid, not content."""
        os.chmod(running.path, 0o666)
        acc = running.accounts
        with capture_logs() as logs:
            got = running.as_user(
                acc.outsider, request("release", queue_id=QID, reason="let me"), extra_groups=[]
            )
        assert got["error"] == f"user nobody (uid 65534) is not in group {acc.group}: refused"
        assert running.config.calls == []
        refused = [e for e in logs if e["event"] == "quarantine_request_refused"]
        assert refused == [
            {"event": "quarantine_request_refused", "log_level": "warning",
             "uid": 65534, "pid": refused[0]["pid"], "why": "peer"}
        ]  # fmt: skip
        assert "let me" not in json.dumps(logs)

    def test_a_request_cannot_name_its_officer(self, running: Running) -> None:
        """A member sending officer=... is refused whole; nothing is done."""
        acc = running.accounts
        got = running.as_user(
            acc.member, request("release", queue_id=QID, reason="ok", officer="ciso")
        )
        assert "unknown argument(s) 'officer'" in got["error"]
        assert running.config.calls == []

    def test_the_command_line_goes_through_the_service(self, running: Running) -> None:
        """`postwarden quarantine --socket S` as an officer: list, show, release; --raw refused."""
        acc = running.accounts

        def cli(*args: str) -> AsUser:
            return acc.call_as(acc.member, main, ["quarantine", "--socket", running.path, *args])

        table = cli("list")
        assert table.value == 0 and QID in table.stdout and "lookalike_domain" in table.stdout
        shown = cli("show", QID)
        assert shown.value == 0 and "X-Postwarden-Quarantine: lookalike_domain" in shown.stdout
        done = cli("release", QID, "--reason", "partner confirmed", "--request", "req-1")
        assert done.value == 0 and done.stdout == f"released {QID}: delivery continues\n"
        raw = cli("show", QID, "--raw")
        assert raw.value == 1 and "never hands out a message's content" in raw.stderr
        missing = cli("show", "NOSUCHID1")
        assert missing.value == 1 and "no message NOSUCHID1" in missing.stderr
        assert running.config.calls == [("release", QID, "partner confirmed", acc.member, "req-1")]


class TestDelegation:
    """The portal (a --delegate-user; here the member account) acts for officers and senders."""

    def test_an_officer_through_the_portal_is_recorded_as_such(self, running: Running) -> None:
        """acting.officer from a delegate: the desk acts as 'NAME (portal)', roles permitting."""
        acc = running.accounts
        as_fg = {"officer": "fg"}
        got = running.as_user(
            acc.member, request("release", queue_id=QID, reason="ok", acting=as_fg)
        )
        assert got["done"] is True
        running.as_user(
            acc.member, request("show_content", queue_id=QID, reason="check", acting=as_fg)
        )
        assert running.config.calls == [
            ("release", QID, "ok", "fg (portal)", "None"),
            ("show_content", QID, "check", "fg (portal)"),
        ]

    def test_roles_from_the_policy_bind_the_portal(self, running: Running) -> None:
        """An unlisted officer is refused everything; a listed one only what 'may' gives."""
        acc = running.accounts
        stranger = running.as_user(acc.member, request("list", acting={"officer": "mallory"}))
        assert "mallory is not an officer in the policy" in stranger["error"]
        reader = running.as_user(
            acc.member, request("delete", queue_id=QID, reason="x", acting={"officer": "reader"})
        )
        assert reader["error"] == "reader may not delete (quarantine.officers: may)"
        listed = running.as_user(acc.member, request("list", acting={"officer": "reader"}))
        assert [m["queue_id"] for m in listed["messages"]] == [QID]
        expire = running.as_user(acc.member, request("expire", acting={"officer": "fg"}))
        assert "expire: not an operation of the portal" in expire["error"]
        assert running.config.calls == []

    def test_a_sender_acts_only_on_their_own_message(self, running: Running) -> None:
        """acting.sender: show, request and withdraw their own message (recorded_by portal);
        another sender's message, another address and officers' operations are refused."""
        acc = running.accounts
        me = {"sender": "A@samen-veilig.nl", "token": "0123456789abcdef"}
        other = {"sender": "b@samen-veilig.nl", "token": "0123456789abcdef"}
        shown = running.as_user(acc.member, request("show", queue_id=QID, acting=me))
        assert shown["message"]["queue_id"] == QID
        asked = running.as_user(
            acc.member, request("request", queue_id=QID, reason="need", acting=me)
        )
        assert asked["request_id"] == "req-1"
        running.as_user(acc.member, request("withdraw", queue_id=QID, reason="oops", acting=me))
        not_mine = running.as_user(acc.member, request("show", queue_id=QID, acting=other))
        assert "was not sent by the sender acted for" in not_mine["error"]
        spoofed = running.as_user(
            acc.member,
            request("request", queue_id=QID, reason="x", sender="b@samen-veilig.nl", acting=me),
        )
        assert "not the sender the portal acts for" in spoofed["error"]
        for op, args in (("release", {"reason": "x"}), ("delete", {"reason": "x"}),
                         ("show_content", {"reason": "x"})):  # fmt: skip
            got = running.as_user(acc.member, request(op, queue_id=QID, acting=me, **args))
            assert "a sender may only show, request and withdraw" in got["error"], op
        trail = running.as_user(acc.member, request("trail", acting=me))
        assert "a sender may only" in trail["error"]
        assert running.config.calls == [
            ("request", QID, "need", "a@samen-veilig.nl", "portal"),
            ("withdraw", QID, "oops", "a@samen-veilig.nl", "portal"),
        ]

    def test_acting_from_anyone_else_is_refused_whole(self, running: Running) -> None:
        """An officer who is not a delegate cannot name whom they act for; nothing is done."""
        acc = running.accounts
        got = running.as_user(
            acc.primary, request("release", queue_id=QID, reason="ok", acting={"officer": "fg"})
        )
        assert "unknown argument(s) 'acting'" in got["error"]
        assert running.config.calls == []

    @pytest.mark.parametrize(
        "acting",
        [
            {"officer": "fg", "sender": "a@samen-veilig.nl"},
            {"officer": "f g"},
            {"officer": "-rf"},
            {"sender": "a@samen-veilig.nl"},
            {"sender": "a@samen-veilig.nl", "token": "xyz"},
            {"sender": "a b", "token": "0123456789abcdef"},
            "fg",
            None,
        ],
    )
    def test_malformed_acting_is_refused(self, acting: object) -> None:
        """Every other shape of "acting" is refused before the desk is built."""
        config = RecordingConfig("unused", "unused", "unused")
        got = service.perform(config, request("list", acting=acting), "portal", delegate=True)
        assert got["ok"] is False and "acting" in got["error"]
        assert config.calls == []


class TestActivation:
    def test_not_ours_when_listen_pid_is_another_process(self) -> None:
        """LISTEN_FDS meant for another process (LISTEN_PID) is ignored: no socket."""
        assert activated_socket({"LISTEN_PID": str(os.getpid() + 1), "LISTEN_FDS": "1"}) is None
        assert activated_socket({}) is None

    def test_more_than_one_socket_is_refused(self) -> None:
        """The service takes exactly one socket from systemd."""
        with pytest.raises(service.ServiceSetupError, match="exactly one"):
            activated_socket({"LISTEN_PID": str(os.getpid()), "LISTEN_FDS": "2"})

    def test_systemd_socket_activation_serves_then_exits_when_idle(self, tmp_path: Path) -> None:
        """Under systemd-socket-activate the service takes fd 3, answers, and exits 0 idle."""
        path = tmp_path / "quarantine.sock"
        proc = subprocess.Popen(
            ["systemd-socket-activate", "--listen", str(path),
             sys.executable, "-m", "milter", "quarantine-service", "--policy", str(POLICY),
             "--officer-log", str(tmp_path / "officer.jsonl"), "--idle-exit", "0.5"],
            cwd=ROOT, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60  # systemd-socket-activate binds, then waits
            while not path.exists() and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)
            with pytest.raises(QuarantineError, match="unknown operation"):
                QuarantineClient(str(path)).call("purge")
            _, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == 0, err
        # systemd-socket-activate says what it does in plain text; the service logs JSON
        events = [json.loads(line)["event"] for line in err.splitlines() if line.startswith("{")]
        assert events == [
            "quarantine_service_started",
            "quarantine_request_refused",
            "quarantine_service_idle_exit",
        ]


class TestCommand:
    def test_without_a_socket_it_says_where_one_comes_from(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Neither systemd's socket nor --socket: exit 2 naming both; the process's logging is
        left as it was (the service sets up its journal output only once it serves)."""
        before = structlog.get_config()
        assert main(["quarantine-service", "--policy", str(POLICY)]) == 2
        assert structlog.get_config() == before
        err = capsys.readouterr().err
        assert "postwarden-quarantine.socket" in err and "--socket PATH" in err

    def test_refuses_to_start_as_another_user(
        self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        """Not root: exit 2, saying why (postsuper), and no socket is made."""
        monkeypatch.setattr(service.os, "geteuid", lambda: 1000)
        sock = tmp_path / "q.sock"
        assert main(["quarantine-service", "--socket", str(sock)]) == 2
        assert "runs as root" in capsys.readouterr().err and not sock.exists()
