"""officer.client -- talk to the privileged quarantine service (milter.officer.service).

SYNOPSIS
    QuarantineClient("/run/postwarden-quarantine.sock").call("release", queue_id=..., reason=...)

DESCRIPTION
    One request a connection: connect, send one JSON line {"op": ..., arguments}, read one
    JSON line back, close. ``call`` returns the response's result (a dict). Who acts is not
    the client's to say: the service takes the officer's name from the connecting uid.

DIAGNOSTICS
    QuarantineError (the same as the root path raises, so the command line treats both alike):
    no socket or nobody listening ("is postwarden-quarantine.socket enabled? ... --socket
    PATH"), permission denied on the socket ("you must be in group postwarden-officers"),
    a refusal or failure the service answered (its text as given), a response that is not
    one JSON line (milter.officer.wire), or no response within the timeout.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable
from typing import Any

from milter.officer import wire
from milter.officer.holdqueue import QuarantineError
from milter.officer.service import DEFAULT_GROUP, DEFAULT_SOCKET

# postqueue, postcat and postsuper each get 60 s in HoldQueue, an expiry run does many of them
# (postwarden-quarantine-expire.service allows 10 min), and another request may be served
# first: a generous wait, not an endless one.
DEFAULT_TIMEOUT_S = 600.0


class QuarantineClient:
    """The officer's side of the quarantine service's socket."""

    def __init__(self, socket_path: str = DEFAULT_SOCKET, timeout_s: float = DEFAULT_TIMEOUT_S):
        self.socket_path = socket_path
        self.timeout_s = timeout_s

    def call(self, op: str, **args: Any) -> dict[str, Any]:
        """Carry out ``op`` through the service; its result, or QuarantineError saying why not."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(self.timeout_s)
            self._connect(sock)
            # A refused peer is answered without its request being read; the answer is waiting
            # in our receive queue even when the send fails because the service closed first.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                sock.sendall(wire.request_line(op, args))
            try:
                return wire.read_response(self._reader(sock), self.socket_path)
            except wire.Refusal as exc:
                raise QuarantineError(str(exc)) from None
            except wire.NoAnswer as exc:
                raise QuarantineError(f"{exc} (see journalctl -u postwarden-quarantine)") from None
            except TimeoutError:
                raise QuarantineError(
                    f"{self.socket_path}: no answer from the quarantine service within "
                    f"{self.timeout_s:g} s"
                ) from None

    def _connect(self, sock: socket.socket) -> None:
        path = self.socket_path
        try:
            sock.connect(path)
        except (FileNotFoundError, ConnectionRefusedError):
            raise QuarantineError(
                f"{path}: the quarantine service is not listening: is "
                "postwarden-quarantine.socket enabled (systemctl enable --now "
                "postwarden-quarantine.socket)? Or name its socket with --socket PATH"
            ) from None
        except PermissionError:
            raise QuarantineError(
                f"{path}: permission denied: you must be in group {DEFAULT_GROUP} (or the group "
                "the service is given with --group); log in again after being added"
            ) from None

    @staticmethod
    def _reader(sock: socket.socket) -> Callable[[int], bytes]:
        """sock.recv, with a reset connection read as its end (the service closed on us)."""

        def read(size: int) -> bytes:
            try:
                return sock.recv(size)
            except ConnectionResetError:
                return b""

        return read
