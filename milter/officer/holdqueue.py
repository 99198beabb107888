"""Quarantine: Postfix's hold queue, seen and handled by a security officer.

Postwarden quarantines a message by asking Postfix to put it on hold (the milter's
SMFIR_QUARANTINE); Postfix keeps the message but throws the reason away, so Postwarden also
adds ``X-Postwarden-*`` headers (rule ids and reasons) and writes an audit record. This module
joins the two views and drives Postfix's own tools:

- ``postqueue -j``      which messages are on hold (and which are elsewhere);
- ``postcat -h -q ID``  the headers of one held message (``-b`` too with ``raw``); read once
                        per held message while the process lives (they never change);
- ``postsuper -H ID``   release: back to the active queue, keeping any FILTER routing
                        (never ``-r``, which would requeue through cleanup and the milter);
- ``postsuper -d ID hold``  delete, only if still on hold;
- ``postsuper -f ID hold``  return to the sender (forced expiration, released from hold).

``parse_postqueue`` and ``on_hold`` are the one reading of ``postqueue -j`` output (one JSON
object a line): the officer commands here and the hold-queue gauge (milter.metrics.queue) both
use them. Output that is not such lines is refused (ValueError) rather than read in part.

Postfix's tools need root (postsuper, postcat); every command here refuses other users with a
clear message. Errors name the queue id and say what is wrong: unknown id, a message that is
no longer on hold, a tool that failed or answered with something other than queue entries.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.parser import HeaderParser
from email.policy import compat32

HEADER_PREFIX = "x-postwarden-"
HOLD = "hold"  # postqueue -j's queue_name of the hold queue
_QUEUE_ID = re.compile(r"^[0-9A-Za-z]{5,20}$")

QueueEntry = dict[str, object]  # one message as ``postqueue -j`` describes it


class QuarantineError(Exception):
    """A quarantine command could not be carried out; the message says why."""


def parse_postqueue(output: bytes) -> list[QueueEntry]:
    """The queue entries in ``postqueue -j`` output: one JSON object a line, blank lines
    skipped. ValueError if any line is not a JSON object."""
    entries: list[QueueEntry] = []
    for number, line in enumerate(output.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            entry = None
        if not isinstance(entry, dict):  # the line itself is not repeated: it holds addresses
            raise ValueError(f"postqueue -j line {number} is not a JSON object")
        entries.append(entry)
    return entries


def on_hold(entries: Iterable[QueueEntry]) -> list[QueueEntry]:
    """The entries in the hold queue (where Postwarden's quarantine puts messages)."""
    return [entry for entry in entries if entry.get("queue_name") == HOLD]


@dataclass(frozen=True, slots=True)
class HeldMessage:
    """One message in Postfix's hold queue, with what Postwarden said about it."""

    queue_id: str
    arrival_time: int
    size: int
    sender: str
    recipients: tuple[str, ...]
    postwarden: tuple[tuple[str, str], ...] = field(default=())  # X-Postwarden-* headers

    def age_seconds(self, now: float | None = None) -> int:
        return max(0, int((now if now is not None else time.time()) - self.arrival_time))

    @property
    def rules(self) -> tuple[str, ...]:
        """Rule ids named in the quarantine header ('rule: reason')."""
        return tuple(
            value.split(":", 1)[0].strip()
            for name, value in self.postwarden
            if name.lower() == "x-postwarden-quarantine"
        )

    @property
    def release_at(self) -> int | None:
        """For a delayed message (action delay): when it is to be released, epoch seconds."""
        for name, value in self.postwarden:
            if name.lower() == "x-postwarden-delay-until":
                try:
                    when = dt.datetime.strptime(value.strip(), "%Y-%m-%dT%H:%M:%SZ")
                except ValueError:
                    return None  # unreadable: treated as an ordinary hold, for an officer
                return int(when.replace(tzinfo=dt.UTC).timestamp())
        return None

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(
            value.split(":", 1)[1].strip() if ":" in value else value
            for name, value in self.postwarden
            if name.lower() == "x-postwarden-quarantine"
        )


def require_root() -> None:
    if os.geteuid() != 0:
        raise QuarantineError(
            "quarantine commands need root (Postfix's postsuper and postcat do): run them with sudo"
        )


def _check_id(queue_id: str) -> str:
    if not _QUEUE_ID.match(queue_id):
        raise QuarantineError(f"{queue_id[:40]!r} is not a Postfix queue id")
    return queue_id


# Postwarden's headers of held messages, by (tools, config dir, queue id, arrival time, size): the
# quarantine service lists the hold queue every 30 s (release-due), and one postcat per held
# message each time is what the list costs otherwise. Process-wide; bounded.
_OURS: OrderedDict[tuple[str, str | None, str, int, int], tuple[tuple[str, str], ...]] = (
    OrderedDict()
)
_OURS_LOCK = threading.Lock()
_OURS_MAX = 20_000


class HoldQueue:
    """Postfix's hold queue. ``config_dir`` selects a Postfix instance (``-c DIR``)."""

    def __init__(self, config_dir: str | None = None, sbin: str = "/usr/sbin") -> None:
        self.config_dir = config_dir
        self.sbin = sbin

    def _run(self, tool: str, *args: str) -> subprocess.CompletedProcess[bytes]:
        argv = [os.path.join(self.sbin, tool)]
        if self.config_dir:
            argv += ["-c", self.config_dir]
        argv += list(args)
        env = dict(os.environ)
        if self.config_dir:
            env["MAIL_CONFIG"] = self.config_dir
        try:
            return subprocess.run(argv, capture_output=True, env=env, timeout=60, check=False)
        except FileNotFoundError:
            raise QuarantineError(
                f"{tool} not found in {self.sbin} (is Postfix installed?)"
            ) from None

    def _queue(self) -> list[QueueEntry]:
        proc = self._run("postqueue", "-j")
        if proc.returncode != 0:
            raise QuarantineError(f"postqueue -j failed: {_first_line(proc.stderr)}")
        try:
            return parse_postqueue(proc.stdout)
        except ValueError as exc:
            raise QuarantineError(str(exc)) from None

    def _find(self, queue_id: str) -> QueueEntry:
        _check_id(queue_id)
        for entry in self._queue():
            if entry.get("queue_id") == queue_id:
                if entry.get("queue_name") != HOLD:
                    raise QuarantineError(
                        f"message {queue_id} is not on hold (it is in the "
                        f"{entry.get('queue_name')} queue)"
                    )
                return entry
        raise QuarantineError(
            f"no message {queue_id} in the queue (released, deleted or delivered already?)"
        )

    def headers(self, queue_id: str) -> list[tuple[str, str]]:
        proc = self._run("postcat", "-h", "-q", _check_id(queue_id))
        if proc.returncode != 0:
            raise QuarantineError(f"postcat cannot read {queue_id}: {_first_line(proc.stderr)}")
        text = proc.stdout.decode("utf-8", "replace")
        body = text.split("*** HEADER EXTRACTED", 1)[0]
        body = re.sub(r"^\*\*\* .* \*\*\*\n", "", body, flags=re.M)
        parsed = HeaderParser(policy=compat32).parsestr(body)
        return [(k, " ".join(str(v).split())) for k, v in parsed.items()]

    def _held(self, entry: QueueEntry, with_headers: bool) -> HeldMessage:
        queue_id = str(entry["queue_id"])
        recipients = entry.get("recipients") or []
        assert isinstance(recipients, list)
        arrival = int(str(entry.get("arrival_time", 0)))
        size = int(str(entry.get("message_size", 0)))
        ours: tuple[tuple[str, str], ...] = ()
        if with_headers:
            ours = self._ours(queue_id, arrival, size)
        return HeldMessage(
            queue_id=queue_id,
            arrival_time=arrival,
            size=size,
            sender=str(entry.get("sender", "")),
            recipients=tuple(str(r.get("address", "")) for r in recipients),
            postwarden=ours,
        )

    def _ours(self, queue_id: str, arrival: int, size: int) -> tuple[tuple[str, str], ...]:
        """Postwarden's headers of a held message: read with postcat once, then known. A held
        message does not change, so its queue id, arrival time and size name its headers (a
        queue id Postfix uses again later comes with another arrival time)."""
        key = (self.sbin, self.config_dir, queue_id, arrival, size)
        with _OURS_LOCK:
            found = _OURS.get(key)
            if found is not None:
                _OURS.move_to_end(key)
                return found
        ours = tuple(
            (k, v) for k, v in self.headers(queue_id) if k.lower().startswith(HEADER_PREFIX)
        )
        with _OURS_LOCK:
            _OURS[key] = ours
            while len(_OURS) > _OURS_MAX:
                _OURS.popitem(last=False)
        return ours

    def list(self) -> list[HeldMessage]:
        """Every message on hold, oldest first, with Postwarden's headers."""
        require_root()
        held = [self._held(e, True) for e in on_hold(self._queue())]
        return sorted(held, key=lambda m: m.arrival_time)

    def get(self, queue_id: str) -> HeldMessage:
        require_root()
        return self._held(self._find(queue_id), True)

    def raw(self, queue_id: str) -> bytes:
        """The whole held message (headers and body): only behind an explicit --raw."""
        require_root()
        self._find(queue_id)
        proc = self._run("postcat", "-bh", "-q", queue_id)
        if proc.returncode != 0:
            raise QuarantineError(f"postcat cannot read {queue_id}: {_first_line(proc.stderr)}")
        return proc.stdout

    def release(self, queue_id: str) -> None:
        """Release from hold (postsuper -H): delivery continues with its routing intact."""
        require_root()
        self._find(queue_id)
        self._postsuper("-H", queue_id)

    def delete(self, queue_id: str) -> None:
        """Delete, but only from the hold queue (a message released meanwhile is kept)."""
        require_root()
        self._find(queue_id)
        self._postsuper("-d", queue_id, "hold")

    def return_to_sender(self, queue_id: str) -> None:
        """Return to the sender as undeliverable (postsuper -f: forced expiration, released
        from hold; Postfix's bounce says "message is administratively expired")."""
        require_root()
        self._find(queue_id)
        self._postsuper("-f", queue_id, "hold")

    def _postsuper(self, *args: str) -> None:
        proc = self._run("postsuper", *args)
        if proc.returncode != 0:
            raise QuarantineError(f"postsuper {' '.join(args)} failed: {_first_line(proc.stderr)}")


def officer() -> str:
    """Who runs the command: the sudo user if any, else the login name."""
    return (
        os.environ.get("SUDO_USER")
        or os.environ.get("LOGNAME")
        or os.environ.get("USER")
        or f"uid {os.getuid()}"
    )


def _first_line(data: bytes) -> str:
    text = data.decode("utf-8", "replace").strip().splitlines()
    return text[0][:200] if text else "no output"
