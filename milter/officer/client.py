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
    one JSON line, or no response within the timeout.
"""

from __future__ import annotations

import contextlib
import json
import socket
from typing import Any

from milter.officer.holdqueue import QuarantineError
from milter.officer.service import DEFAULT_GROUP, DEFAULT_SOCKET

MAX_RESPONSE = 16 * 1024 * 1024  # a long hold queue listed; far above any real one
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
        line = json.dumps({"op": op, **args}).encode() + b"\n"
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(self.timeout_s)
            self._connect(sock)
            # A refused peer is answered without its request being read; the answer is waiting
            # in our receive queue even when the send fails because the service closed first.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                sock.sendall(line)
            response = self._read(sock)
        result = response.get("result")
        if response.get("ok") is True and isinstance(result, dict):
            return result
        error = response.get("error")
        if response.get("ok") is False and isinstance(error, str):
            raise QuarantineError(error)
        raise QuarantineError(f"{self.socket_path}: the quarantine service's answer is malformed")

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

    def _read(self, sock: socket.socket) -> dict[str, Any]:
        data = b""
        try:
            while not data.endswith(b"\n"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
                if len(data) > MAX_RESPONSE:
                    raise QuarantineError(f"{self.socket_path}: the answer is too long")
        except TimeoutError:
            raise QuarantineError(
                f"{self.socket_path}: no answer from the quarantine service within "
                f"{self.timeout_s:g} s"
            ) from None
        except ConnectionResetError:
            pass
        try:
            response = json.loads(data)
        except ValueError:
            response = None
        if not isinstance(response, dict):
            raise QuarantineError(
                f"{self.socket_path}: no answer from the quarantine service (it closed the "
                "connection; see journalctl -u postwarden-quarantine)"
            )
        return response
