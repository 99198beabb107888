"""officer.service -- the privileged quarantine service: officers' quarantine operations over
a unix socket, so that no officer shell and no web process needs root.

SYNOPSIS
    postwarden quarantine-service [--socket PATH] [--group NAME] [--delegate-user NAME]...
        [--policy FILE] [--officer-log FILE] [--audit-log FILE] [--postfix-config DIR]
        [--idle-exit SECONDS]

DESCRIPTION
    Release and delete need root: Postfix's postsuper refuses every other uid (the postfix
    user too). This service runs as root, started by systemd on demand
    (systemd/postwarden-quarantine.socket hands it the listening socket, fd 3) or, for tests
    and hosts without systemd, on ``--socket PATH`` (created 0660, group = the officers'
    group). It serves one connection at a time: one JSON request line in, one JSON response
    line out, then the connection is closed.

    The peer is checked first, before a byte of the request is read, with what the kernel
    says about the connecting process (SO_PEERCRED: pid, uid, gid; SO_PEERGROUPS: its
    supplementary groups). Allowed are uid 0, a process that has the officers' group (default
    postwarden-officers) as its group or a supplementary one -- what the socket's file mode
    checks too, and what SupplementaryGroups= gives the quarantine timer units -- and a user
    the user database puts in that group (primary group or listed member). The acting officer
    is that uid's user name; a request cannot name its officer (a key such as "officer" or
    "who" is refused as unknown).

    Requests are {"op": NAME, ...arguments}; every argument is checked before the officer desk
    sees it, and a request with an unknown operation, a missing, extra, duplicated or
    mistyped key is refused whole. The operations and their arguments are the OPERATIONS
    table: list; show (queue_id); release (queue_id, reason, optional request_id); delete
    (queue_id, reason); request and withdraw (queue_id, reason, optional sender); expire;
    release_due; digest (optional send); show_content (queue_id, reason: the headers and text
    body, size-capped, the reading itself recorded as officer_show_content); trail (optional
    limit 1-1000: the officer trail, newest first). milter.officer.ops.quarantine_call carries
    them out, as it does for root's own commands. Queue ids are Postfix's (5-20 letters and
    digits); a reason is text of 1-300 characters after whitespace is folded, with no control
    or format characters (a reason goes into the officer trail and onto officers' terminals).
    There is no "raw" operation: a held message's content leaves this socket only through
    show_content, with a reason, recorded in the officer trail before it is read.

    Delegation: a peer whose user is named by --delegate-user (the web portal,
    postwarden-portal) may add "acting": {"officer": NAME} -- the officer its single sign-on
    named, recorded as "NAME (portal)", allowed only list, show, trail, and release, delete and
    show_content as the policy's quarantine.officers permits -- or "acting": {"sender":
    ADDRESS, "token": NONCE} -- the sender of one message, proven by a link token the portal
    verified: only show, request and withdraw of a message whose sender is ADDRESS, recorded
    with recorded_by "portal". From any other peer "acting" is an unknown key.

    Responses: {"ok": true, "result": {...}} or {"ok": false, "error": TEXT}. The desk writes
    the officer trail; this service logs (JSON on stderr, the journal) one event per request
    with the peer's uid and pid, the operation and the outcome -- never a reason, an address
    or any other request content (a delegate's requests add whether it acted for an officer or
    a sender, and the link's nonce).

    Socket-activated, the service exits after --idle-exit seconds (default 60) without a
    connection; systemd starts it again on the next one.

DIAGNOSTICS
    Refused requests get a response naming what is wrong (a peer not in the group, a request
    over 8 KiB or not complete within 5 s, not JSON, an unknown operation or key, a bad
    value). A quarantine command that fails (unknown queue id, not on hold, postsuper failing)
    answers with the desk's message. Any other error answers "internal error" (fail closed:
    nothing is done on a guess) and is logged with its type only. At start: a missing group,
    a socket directory that does not exist, or neither a socket from systemd nor --socket
    stop the service with a message that names the file or setting.
"""

from __future__ import annotations

import contextlib
import errno
import grp
import json
import logging
import os
import pwd
import re
import signal
import socket
import stat
import struct
import sys
import threading
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import structlog

from milter.officer.desk import MAX_REASON, OfficerDesk
from milter.officer.holdqueue import QuarantineError
from milter.officer.ops import open_desk, quarantine_call
from milter.policy import PolicyError

_log = structlog.get_logger("postwarden.quarantine_service")

DEFAULT_SOCKET = "/run/postwarden-quarantine.sock"  # systemd/postwarden-quarantine.socket
DEFAULT_GROUP = "postwarden-officers"
DEFAULT_IDLE_EXIT_S = 60.0
MAX_REQUEST = 8192  # bytes, newline included: the longest valid request is well under 2 KiB
READ_TIMEOUT_S = 5.0  # one slow client must not hold the (serial) service for long
SD_LISTEN_FDS_START = 3  # sd_listen_fds(3): the first socket systemd passes

_QUEUE_ID = re.compile(r"^[0-9A-Za-z]{5,20}$")
# An officer's name as the portal's single sign-on gives it: a login or a mail address.
_OFFICER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")
_NONCE = re.compile(r"^[0-9a-f]{16}$")  # milter.portal.tokens: 8 random bytes, hex
PORTAL = "portal"  # recorded_by for what a sender does through the portal
SENDER_OPS = frozenset({"show", "request", "withdraw"})
# What an officer acting through the portal may do, and the policy permission each needs
# (quarantine.officers[].may); None: any listed officer.
PORTAL_OFFICER_OPS: dict[str, str | None] = {
    "list": None,
    "show": None,
    "trail": None,
    "release": "release",
    "delete": "delete",
    "show_content": "content",
}
_REQUEST_ID = re.compile(r"^[0-9A-Za-z._-]{1,64}$")
# Control (Cc), format (Cf: bidi overrides, zero-width), line/paragraph separators and
# surrogates: a reason is shown on terminals and kept in the trail, where these could hide or
# reorder text.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


class Refused(Exception):
    """A request the service will not carry out. ``str()`` goes back to the client; ``code``
    (a fixed word, never request content) goes to the log."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


# -- argument validators: each returns the value to use, or raises Refused --------------------


def queue_id(value: object) -> str:
    if not isinstance(value, str) or not _QUEUE_ID.match(value):
        raise Refused("queue_id: expected a Postfix queue id (5-20 letters and digits)", "value")
    return value


def reason(value: object) -> str:
    if not isinstance(value, str):
        raise Refused("reason: expected text", "value")
    if any(unicodedata.category(ch) in _FORBIDDEN_CATEGORIES for ch in value):
        raise Refused("reason: control or format characters are not allowed", "value")
    folded = " ".join(value.split())
    if not 1 <= len(folded) <= MAX_REASON:
        raise Refused(f"reason: expected 1 to {MAX_REASON} characters", "value")
    return folded


def request_id(value: object) -> str:
    if not isinstance(value, str) or not _REQUEST_ID.match(value):
        raise Refused("request_id: expected 1-64 letters, digits, '.', '_' or '-'", "value")
    return value


def sender(value: object) -> str:
    if (
        not isinstance(value, str)
        or not 1 <= len(value) <= 320
        or any(ch.isspace() or unicodedata.category(ch) in _FORBIDDEN_CATEGORIES for ch in value)
    ):
        raise Refused("sender: expected a mail address (at most 320 characters)", "value")
    return value


def limit(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 1000:
        raise Refused("limit: expected a whole number from 1 to 1000", "value")
    return value


def flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise Refused("expected true or false", "value")
    return value


Validator = Callable[[object], object]


@dataclass(frozen=True)
class DeskConfig:
    """Where the desk's pieces live; a desk is built per request, so a policy change (four
    eyes, retention) applies to the next request without restarting anything."""

    officer_log: str
    policy: str
    audit_log: str
    postfix_config: str | None = None

    def desk(self) -> OfficerDesk:
        return open_desk(self.policy, self.officer_log, self.postfix_config)


@dataclass(frozen=True)
class Operation:
    """One operation's arguments: name -> validator, required and optional."""

    required: Mapping[str, Validator]
    optional: Mapping[str, Validator] = field(default_factory=dict)


_STEP = {"queue_id": queue_id, "reason": reason}
# The whole surface of the service: ops.quarantine_call carries each out. A new desk operation
# is one line here (and one in ops).
OPERATIONS: dict[str, Operation] = {
    "list": Operation({}),
    "show": Operation({"queue_id": queue_id}),
    "release": Operation(_STEP, {"request_id": request_id}),
    "delete": Operation(_STEP),
    "request": Operation(_STEP, {"sender": sender}),
    "withdraw": Operation(_STEP, {"sender": sender}),
    "expire": Operation({}),
    "release_due": Operation({}),
    "digest": Operation({}, {"send": flag}),
    "show_content": Operation(_STEP),
    "trail": Operation({}, {"limit": limit}),
}


@dataclass(frozen=True)
class Acting:
    """Whom a delegate peer (the portal) acts for: an officer its single sign-on named, or
    the sender of one message, who proved it with a link token (its nonce, for the log)."""

    officer: str | None = None
    sender: str | None = None
    token: str | None = None

    @property
    def who(self) -> str:
        """The name the trail records: 'NAME (portal)', or 'portal' for a sender."""
        return f"{self.officer} (portal)" if self.officer is not None else PORTAL


def acting_of(value: object) -> Acting:
    """The request's "acting" object, checked whole: {"officer": NAME} or {"sender": ADDRESS,
    "token": NONCE}; Refused otherwise."""
    if isinstance(value, dict) and set(value) == {"officer"}:
        name = value["officer"]
        if not isinstance(name, str) or not _OFFICER_NAME.match(name):
            raise Refused("acting.officer: expected a user name or address", "acting")
        return Acting(officer=name)
    if isinstance(value, dict) and set(value) == {"sender", "token"}:
        token = value["token"]
        if not isinstance(token, str) or not _NONCE.match(token):
            raise Refused("acting.token: expected a link's nonce (16 hex digits)", "acting")
        try:
            address = sender(value["sender"]).lower()
        except Refused:
            raise Refused("acting.sender: expected a mail address", "acting") from None
        return Acting(sender=address, token=token)
    raise Refused(
        'acting: expected {"officer": NAME} or {"sender": ADDRESS, "token": NONCE}', "acting"
    )


def check_acting(op: str, args: dict[str, Any], acting: Acting) -> dict[str, Any]:
    """The arguments as the acting person may use them, or Refused: a sender only shows,
    asks for release of and withdraws their own message; an officer through the portal only
    what PORTAL_OFFICER_OPS lists (the policy's roles are checked with the desk)."""
    if acting.sender is not None:
        if op not in SENDER_OPS:
            raise Refused(f"{op}: a sender may only show, request and withdraw", "acting_op")
        given = args.get("sender")
        if given is not None and str(given).lower() != acting.sender:
            raise Refused("sender: not the sender the portal acts for", "acting_sender")
        return {**args, "sender": acting.sender} if op != "show" else args
    if op not in PORTAL_OFFICER_OPS:
        raise Refused(f"{op}: not an operation of the portal", "acting_op")
    return args


def check_role(policy: Any, op: str, officer: str) -> None:
    """An officer acting through the portal must be listed in the policy's
    quarantine.officers, with the permission the operation needs; Refused otherwise."""
    roles = {r.user: r for r in getattr(policy, "officers", ())}
    role = roles.get(officer)
    if role is None:
        raise Refused(f"{officer} is not an officer in the policy (quarantine.officers)", "role")
    needed = PORTAL_OFFICER_OPS.get(op)
    if needed is not None and needed not in role.may:
        raise Refused(f"{officer} may not {needed} (quarantine.officers: may)", "role")


def decisions_for(audit_log: str, queue_id: str) -> list[dict[str, Any]]:
    """The milter's decision records for one queue id (its findings are masked already)."""
    out: list[dict[str, Any]] = []
    try:
        with open(audit_log, encoding="utf-8") as fh:
            for line in fh:
                if queue_id in line:
                    record = json.loads(line)
                    if record.get("queue_id") == queue_id and record.get("kind") == "message":
                        out.append(
                            {k: record.get(k) for k in ("action", "rule", "reason", "findings")}
                        )
    except FileNotFoundError:
        pass
    return out


def carry_out(
    config: DeskConfig,
    op: str,
    args: dict[str, Any],
    who: str,
    acting: Acting | None = None,
) -> dict[str, Any]:
    """A validated operation, done by officer ``who`` (or for ``acting``, checked already by
    check_acting): its JSON-shaped result. The errors of the desk (QuarantineError), the
    policy (PolicyError) and the files (OSError) pass."""
    desk = config.desk()
    if acting is not None and acting.officer is not None:
        check_role(desk.policy, op, acting.officer)
    result = quarantine_call(desk, op, args, acting.who if acting is not None else who)
    # request and withdraw: the desk checks the sender before acting; show is checked here
    sent_by = str(result.get("message", {}).get("sender", "")).lower() if op == "show" else ""
    if (
        acting is not None
        and acting.sender is not None
        and op == "show"
        and sent_by != acting.sender
    ):
        raise Refused(f"{args['queue_id']} was not sent by the sender acted for", "acting_sender")
    if op == "show":  # the decision trail is root's to read: the reasons travel with the answer
        result["decisions"] = decisions_for(config.audit_log, args["queue_id"])
    return result


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise Refused("a key appears twice in the request", "duplicate")
    return dict(pairs)


def parse(line: bytes) -> dict[str, Any]:
    """One request line -> a JSON object (duplicate keys refused)."""
    try:
        request = json.loads(line.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, ValueError):
        raise Refused("a request is one line of JSON (UTF-8)", "not_json") from None
    if not isinstance(request, dict):
        raise Refused('a request is one JSON object: {"op": ..., arguments}', "not_json")
    return request


def validate(request: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """(operation, checked arguments), or Refused for the whole request."""
    op = request.get("op")
    if not isinstance(op, str) or op not in OPERATIONS:
        raise Refused(f"unknown operation; known: {', '.join(OPERATIONS)}", "unknown_op")
    spec = OPERATIONS[op]
    given = set(request) - {"op"}
    extra = sorted(given - set(spec.required) - set(spec.optional))
    if extra:
        names = ", ".join(repr(k[:40]) for k in extra[:5])
        raise Refused(f"{op}: unknown argument(s) {names}", "extra_key")
    missing = sorted(set(spec.required) - given)
    if missing:
        raise Refused(f"{op}: missing argument(s) {', '.join(missing)}", "missing_key")
    checks = {**spec.required, **spec.optional}
    return op, {name: checks[name](request[name]) for name in sorted(given)}


def perform(
    config: DeskConfig,
    request: Mapping[str, Any],
    who: str,
    log: Any = _log,
    delegate: bool = False,
) -> dict[str, Any]:
    """Validate and carry out one request as officer ``who``; the response to send, every
    error turned into a refusal or failure text (nothing is ever answered "ok" on a guess).
    A ``delegate`` peer (--delegate-user: the portal) may add "acting" (see Acting); from
    anyone else "acting" is an unknown key. ``postwarden quarantine`` run as root calls
    validate and carry_out itself: the same checks, its own error handling."""
    named = request.get("op")
    op = named if isinstance(named, str) and named in OPERATIONS else "?"  # a known name only
    try:
        acting = None
        if "acting" in request and delegate:
            acting = acting_of(request["acting"])
            request = {k: v for k, v in request.items() if k != "acting"}
            log = log.bind(acting="sender" if acting.sender else "officer", link=acting.token)
        op, args = validate(request)
        log = log.bind(queue_id=args.get("queue_id"))  # a queue id is no client data
        if acting is not None:
            args = check_acting(op, args, acting)
            who = acting.who
        result = carry_out(config, op, args, who, acting)
    except Refused as exc:
        log.warning("quarantine_request_refused", op=op, officer=who, why=exc.code)
        return {"ok": False, "error": str(exc)}
    except QuarantineError as exc:
        log.info("quarantine_request_failed", op=op, officer=who)
        return {"ok": False, "error": str(exc)}
    except PolicyError as exc:
        log.error("quarantine_policy_error", op=op, officer=who)
        return {"ok": False, "error": f"the policy does not load: {exc}"}
    except OSError as exc:
        log.error("quarantine_os_error", op=op, officer=who, file=exc.filename)
        return {"ok": False, "error": f"{exc.filename or ''}: {exc.strerror}"}
    except Exception as exc:  # fail closed: an error is never a silent success
        log.error("quarantine_internal_error", op=op, officer=who, error=type(exc).__name__)
        return {"ok": False, "error": "internal error (the service's journal has its type)"}
    log.info("quarantine_request_done", op=op, officer=who)
    return {"ok": True, "result": result}


# -- the peer -----------------------------------------------------------------------------


# SO_PEERGROUPS (Linux 4.13): the peer's supplementary groups at connect(). Python 3.11's
# socket module does not name it; 59 is the kernel's number (asm-generic/socket.h).
SO_PEERGROUPS = getattr(socket, "SO_PEERGROUPS", 59)


@dataclass(frozen=True, slots=True)
class Peer:
    """The connecting process as the kernel saw it at connect(): SO_PEERCRED and
    SO_PEERGROUPS, nothing the peer says about itself."""

    pid: int
    uid: int
    gid: int
    groups: tuple[int, ...] = ()


def peer_of(conn: socket.socket) -> Peer:
    size = struct.calcsize("3i")
    pid, uid, gid = struct.unpack(
        "3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, size)
    )
    return Peer(pid, uid, gid, _peer_groups(conn))


def _peer_groups(conn: socket.socket) -> tuple[int, ...]:
    count = 64
    while True:
        try:
            data = conn.getsockopt(socket.SOL_SOCKET, SO_PEERGROUPS, count * 4)
        except OSError as exc:  # ERANGE: more groups than room; NGROUPS_MAX is 65536
            if exc.errno == errno.ENOPROTOOPT:  # a kernel before 4.13: the user database decides
                return ()
            if exc.errno != errno.ERANGE or count >= 65536:
                raise
            count *= 16
            continue
        return struct.unpack(f"{len(data) // 4}I", data)


def officer_name(peer: Peer, group: str) -> str:
    """The user name of an allowed peer, or Refused saying why not. Allowed: root; a process
    that had ``group`` at connect() (as its group or a supplementary one: what the socket's
    file mode also checks, and what SupplementaryGroups= gives the timer units); a user the
    user database puts in ``group`` (primary group or listed member)."""
    try:
        user = pwd.getpwuid(peer.uid)
    except KeyError:
        raise Refused(f"uid {peer.uid} has no user name: refused", "peer_unknown") from None
    if peer.uid == 0:
        return user.pw_name
    try:
        officers = grp.getgrnam(group)
    except KeyError:
        raise Refused(
            f"the officers' group {group} does not exist: only root is served", "peer_group"
        ) from None
    gid = officers.gr_gid
    if gid == peer.gid or gid in peer.groups:
        return user.pw_name
    if user.pw_gid == gid or user.pw_name in officers.gr_mem:
        return user.pw_name
    raise Refused(f"user {user.pw_name} (uid {peer.uid}) is not in group {group}: refused", "peer")


# -- the server ---------------------------------------------------------------------------


def read_request(conn: socket.socket) -> bytes:
    """One request line (at most MAX_REQUEST bytes, within READ_TIMEOUT_S)."""
    conn.settimeout(READ_TIMEOUT_S)
    data = b""
    try:
        while b"\n" not in data:
            chunk = conn.recv(MAX_REQUEST + 1 - len(data))
            if not chunk:
                break
            data += chunk
            if len(data) > MAX_REQUEST:
                raise Refused(f"a request is at most {MAX_REQUEST} bytes", "too_large")
    except TimeoutError:
        raise Refused(f"no complete request within {READ_TIMEOUT_S:g} s", "timeout") from None
    line = data.split(b"\n", 1)[0]
    if len(line) >= MAX_REQUEST:
        raise Refused(f"a request is at most {MAX_REQUEST} bytes", "too_large")
    return line


@dataclass
class QuarantineService:
    """Serve officers' requests on a listening unix socket, one connection at a time."""

    listener: socket.socket
    config: DeskConfig
    group: str = DEFAULT_GROUP
    idle_exit_s: float | None = None  # None: serve until stop()
    delegates: frozenset[str] = frozenset()  # user names that may act for others (the portal)
    _stopping: threading.Event = field(default_factory=threading.Event)

    def serve(self) -> None:
        self.listener.settimeout(self.idle_exit_s)
        _log.info("quarantine_service_started", group=self.group, idle_exit_s=self.idle_exit_s)
        while not self._stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                _log.info("quarantine_service_idle_exit", idle_exit_s=self.idle_exit_s)
                return
            except OSError:
                if self._stopping.is_set():
                    return
                raise
            with conn:
                try:
                    self.handle(conn)
                except Exception as exc:  # that connection gets nothing done; the next is served
                    _log.error("quarantine_connection_error", error=type(exc).__name__)

    def stop(self) -> None:
        """End serve() (from another thread): shutting the listener down wakes accept()."""
        self._stopping.set()
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)

    def handle(self, conn: socket.socket) -> None:
        peer = peer_of(conn)
        try:
            who = officer_name(peer, self.group)  # before reading anything from the peer
            request = parse(read_request(conn))
        except Refused as exc:
            _log.warning("quarantine_request_refused", uid=peer.uid, pid=peer.pid, why=exc.code)
            response: dict[str, Any] = {"ok": False, "error": str(exc)}
        else:
            response = perform(
                self.config,
                request,
                who,
                _log.bind(uid=peer.uid, pid=peer.pid),
                delegate=who in self.delegates,
            )
        try:
            conn.sendall(json.dumps(response).encode() + b"\n")
        except OSError:  # the client went away; nothing was done on its behalf that it lacks
            _log.info("quarantine_client_gone", uid=peer.uid, pid=peer.pid)


# -- the listening socket -----------------------------------------------------------------


class ServiceSetupError(Exception):
    """The service cannot start; the message names the file or setting to change."""


def activated_socket(environ: Mapping[str, str] | None = None) -> socket.socket | None:
    """The listening socket systemd passed (sd_listen_fds(3): LISTEN_PID is us, LISTEN_FDS
    counts from fd 3), or None. The variables are removed so that postsuper and the other
    children do not take them for theirs; fd 3 is made close-on-exec for the same reason."""
    env = os.environ if environ is None else environ
    if env.get("LISTEN_PID") != str(os.getpid()) or not env.get("LISTEN_FDS"):
        return None
    if env.get("LISTEN_FDS") != "1":
        raise ServiceSetupError(
            f"systemd passed {env.get('LISTEN_FDS')!r} sockets; the quarantine service takes "
            "exactly one (postwarden-quarantine.socket has one ListenStream=)"
        )
    for name in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
        os.environ.pop(name, None)
    os.set_inheritable(SD_LISTEN_FDS_START, False)
    sock = socket.socket(fileno=SD_LISTEN_FDS_START)
    if sock.family != socket.AF_UNIX or sock.type != socket.SOCK_STREAM:
        sock.detach()
        raise ServiceSetupError(
            "the socket systemd passed is not a unix stream socket "
            "(postwarden-quarantine.socket: ListenStream=/run/postwarden-quarantine.sock)"
        )
    return sock


def bind_socket(path: str, group: str) -> socket.socket:
    """A listening unix socket at ``path``, mode 0660, group ``group``; a stale socket there is
    replaced, any other kind of file is refused."""
    try:
        gid = grp.getgrnam(group).gr_gid
    except KeyError:
        raise ServiceSetupError(
            f"group {group} does not exist: create it (groupadd --system {group}) or name "
            "another with --group"
        ) from None
    directory = os.path.dirname(path) or "."
    if not os.path.isdir(directory):
        raise ServiceSetupError(f"{directory}: no such directory (for --socket {path})")
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        pass
    else:
        if not stat.S_ISSOCK(mode):
            raise ServiceSetupError(f"{path}: exists and is not a socket (--socket)")
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)  # never, not even for a moment, reachable by others
    try:
        sock.bind(path)
    finally:
        os.umask(old)
    os.chown(path, -1, gid)
    os.chmod(path, 0o660)
    sock.listen(16)
    return sock


def configure_logging() -> None:
    """JSON lines on stderr, for the journal: the milter's format (milter.server.daemon), set
    up here so the on-demand service does not import the milter's server to start."""
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(sort_keys=True),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        logger_factory=structlog.WriteLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )


def run(
    config: DeskConfig,
    socket_path: str | None,
    group: str,
    idle_exit_s: float | None,
    delegates: frozenset[str] = frozenset(),
) -> int:
    """``postwarden quarantine-service``: serve until idle (socket-activated) or SIGTERM."""
    if os.geteuid() != 0:
        print(
            "postwarden quarantine-service: runs as root (Postfix's postsuper refuses every "
            "other user); systemd/postwarden-quarantine.service starts it so",
            file=sys.stderr,
        )
        return 2
    try:
        listener = bind_socket(socket_path, group) if socket_path else activated_socket()
        if listener is None:
            raise ServiceSetupError(
                "no socket: start it from postwarden-quarantine.socket (systemd passes the "
                "socket) or give --socket PATH"
            )
    except (ServiceSetupError, OSError) as exc:
        text = str(exc) if isinstance(exc, ServiceSetupError) else f"{exc.filename}: {exc.strerror}"
        print(f"postwarden quarantine-service: {text}", file=sys.stderr)
        return 2
    configure_logging()  # only now: a command that stopped above printed its one line
    if idle_exit_s is None and not socket_path:
        idle_exit_s = DEFAULT_IDLE_EXIT_S  # systemd starts us again on the next connection
    service = QuarantineService(listener, config, group, idle_exit_s or None, delegates)
    signal.signal(signal.SIGTERM, lambda *_: service.stop())
    try:
        service.serve()
    finally:
        listener.close()
        if socket_path:
            with contextlib.suppress(OSError):
                os.unlink(socket_path)
    return 0
