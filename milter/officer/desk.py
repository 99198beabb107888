"""Officer actions on quarantined mail: release and delete, audited, optionally four-eyes.

Every action is an audit record — who (the sudo user or login name), what (queue id,
sender, recipients, the rules that held it), why (the reason the officer gives) — in the
officer audit trail, a hash-chained file of its own (``milter.audit.trail``): the running milter
owns the decision trail, and two processes must never append to one chain. Officer commands
serialise on a lock file, so concurrent officers keep the chain intact.

Four eyes (policy ``quarantine: {release_requires: 2}``): the first officer's release is
recorded as a request; a second, *different* officer running the same release carries it
out. The pending requests live in a small JSON file next to the officer trail.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from milter.audit.trail import AuditLog
from milter.officer.holdqueue import HeldMessage, HoldQueue, QuarantineError, officer

MAX_REASON = 300


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an officer command did, in one sentence for the terminal."""

    done: bool
    message: str


@contextlib.contextmanager
def _locked(path: str) -> Iterator[None]:
    fd = os.open(path + ".lock", os.O_RDWR | os.O_CREAT, 0o640)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


class OfficerDesk:
    """Release and delete held messages, recording every step in the officer trail."""

    def __init__(self, queue: HoldQueue, trail_path: str, release_requires: int = 1) -> None:
        self.queue = queue
        self.trail_path = trail_path
        self.release_requires = release_requires
        self.pending_path = trail_path + ".pending.json"

    def _record(self, kind: str, fields: dict[str, Any]) -> None:
        trail = AuditLog(
            self.trail_path, checkpoint_interval_s=None, checkpoint_every=None, witness=False
        )
        trail.open()
        try:
            trail.record(kind, fields)
        finally:
            trail.close()

    def _pending(self) -> dict[str, dict[str, Any]]:
        try:
            with open(self.pending_path, encoding="utf-8") as fh:
                data = json.load(fh)
        except FileNotFoundError:
            return {}
        return data if isinstance(data, dict) else {}

    def _save_pending(self, pending: dict[str, dict[str, Any]]) -> None:
        tmp = self.pending_path + ".tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(pending, fh)
        os.replace(tmp, self.pending_path)

    @staticmethod
    def _about(held: HeldMessage) -> dict[str, Any]:
        return {
            "queue_id": held.queue_id,
            "sender": held.sender,
            "recipients": list(held.recipients),
            "rules": list(held.rules),
        }

    @staticmethod
    def _reason(reason: str) -> str:
        text = " ".join(reason.split())
        if not text:
            raise QuarantineError("give a reason (--reason TEXT): it goes into the audit trail")
        return text[:MAX_REASON]

    def release(self, queue_id: str, reason: str, who: str | None = None) -> Outcome:
        who = who or officer()
        why = self._reason(reason)
        with _locked(self.trail_path):
            held = self.queue.get(queue_id)
            about = {**self._about(held), "officer": who, "reason": why}
            if self.release_requires > 1:
                pending = self._pending()
                first = pending.get(queue_id)
                if first is None:
                    pending[queue_id] = {"officer": who, "reason": why, "time": time.time()}
                    self._save_pending(pending)
                    self._record("officer_release_requested", about)
                    return Outcome(
                        False,
                        f"release of {queue_id} requested by {who}; a second "
                        "officer must confirm with the same command",
                    )
                if first.get("officer") == who:
                    raise QuarantineError(
                        f"{who} already asked to release {queue_id}: a different officer "
                        "must confirm (four eyes)"
                    )
                about["requested_by"] = first.get("officer")
                about["request_reason"] = first.get("reason")
            self.queue.release(queue_id)
            if self.release_requires > 1:
                pending = self._pending()
                pending.pop(queue_id, None)
                self._save_pending(pending)
            self._record("officer_release", about)
        return Outcome(True, f"released {queue_id}: delivery continues")

    def delete(self, queue_id: str, reason: str, who: str | None = None) -> Outcome:
        who = who or officer()
        why = self._reason(reason)
        with _locked(self.trail_path):
            held = self.queue.get(queue_id)
            self.queue.delete(queue_id)
            pending = self._pending()
            if pending.pop(queue_id, None) is not None:
                self._save_pending(pending)
            self._record("officer_delete", {**self._about(held), "officer": who, "reason": why})
        return Outcome(True, f"deleted {queue_id} from the hold queue")
