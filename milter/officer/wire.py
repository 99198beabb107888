"""officer.wire -- the quarantine service's wire format, for every client of it.

SYNOPSIS
    sock.sendall(request_line("release", {"queue_id": ..., "reason": ...}))
    result = read_response(sock.recv, "/run/postwarden-quarantine.sock")

DESCRIPTION
    One request a connection: one JSON line {"op": ..., arguments[, "acting": {...}]} in, one
    JSON line {"ok": true, "result": {...}} or {"ok": false, "error": "..."} out
    (milter.officer.service writes it). The officer's command line (officer.client), the
    portal's local gateways and the mutual-TLS gateway bridge (milter.portal) all speak it
    through these two functions, and turn the two errors into their own.

DIAGNOSTICS
    Refusal: the service answered no; its text (fixed, never message content) is the error's.
    NoAnswer: no proper answer -- nothing, not JSON, not an object, or longer than
    MAX_RESPONSE. Timeouts and connection errors of ``read`` pass through unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

MAX_RESPONSE = 16 * 1024 * 1024  # a long hold queue listed; far above any real one


class Refusal(Exception):
    """The service refused or failed the request; the message is its own text."""


class NoAnswer(Exception):
    """The service gave no proper answer."""


def request_line(op: str, params: dict[str, Any], acting: dict[str, str] | None = None) -> bytes:
    """One request as the quarantine service reads it."""
    request: dict[str, Any] = {"op": op, **params}
    if acting is not None:
        request["acting"] = acting
    return json.dumps(request).encode("utf-8") + b"\n"


def read_response(read: Callable[[int], bytes], where: str) -> dict[str, Any]:
    """Read one response line with ``read(n)`` (b"" at its end): the result of the request."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = read(65536)
        if not chunk:
            break
        data += chunk
        if len(data) > MAX_RESPONSE:
            raise NoAnswer(f"{where}: the answer is too long")
    try:
        response = json.loads(data)
    except ValueError:
        raise NoAnswer(f"{where}: no answer from the quarantine service") from None
    if not isinstance(response, dict):
        raise NoAnswer(f"{where}: the quarantine service's answer is malformed")
    result = response.get("result")
    if response.get("ok") is True and isinstance(result, dict):
        return result
    error = response.get("error")
    if response.get("ok") is False and isinstance(error, str):
        raise Refusal(error)
    raise NoAnswer(f"{where}: the quarantine service's answer is malformed")
