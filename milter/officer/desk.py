"""The life of a held message after the milter: requests, release, withdrawal, deletion, expiry.

Every step is an audit record in the officer trail, a hash-chained file of its own
(``milter.audit.trail``): the running milter owns the decision trail, and two processes must
never append to one chain. Steps serialise on a lock file beside the trail, so concurrent
officers (and the expiry timer) keep the chain intact. The records say who (the officer, or the
sender a request is made for and who recorded it), what (queue id, sender, recipients, the rules
that held it) and why (the reason given) — never message content.

The steps:

- ``request``: the sender asks for release, with a reason (from the CLI now, from the portal
  later). The request gets an id (``req-…``) and stays pending until the message leaves the
  hold queue; ``list``/``show`` and the digest show it.
- ``release``: an officer releases; a pending request is granted and named in the record.
  Four eyes (policy ``quarantine: {release_requires: 2}``): the first officer's release is
  recorded as an approval; a second, *different* officer running the same release carries it
  out.
- ``withdraw``: the sender takes the message back: it is deleted, with their reason recorded.
- ``delete``: an officer deletes.
- ``release_due``: delayed messages (action ``delay``) whose undo window has passed are
  released; the window is in the message's ``X-Postwarden-Delay-Until`` header, so it survives
  restarts of Postwarden and Postfix (a timer runs this every minute).
- ``expire``: messages Postwarden held longer than ``quarantine.retention_days`` are deleted, or
  returned to the sender as undeliverable (``on_expiry: return``). Messages held by someone else
  (no ``X-Postwarden-Quarantine`` header) are never touched.

After release, deletion, withdrawal and expiry the sender is told what happened (the same
person who was told the message was held: ``engine.held_notice_to``), through the policy's
notice relay. A notice that cannot be sent is reported in the outcome; it never undoes the step.

What is pending (approvals and requests) lives in a small JSON file next to the officer trail
(``<trail>.pending.json``); entries for messages no longer on hold are dropped when read.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.parser
import email.policy
import fcntl
import json
import os
import re
import secrets
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from milter.audit.trail import AuditLog
from milter.core.paths import path_error
from milter.officer.holdqueue import HeldMessage, HoldQueue, QuarantineError, officer
from milter.policy.model import DEFAULT_RETENTION_DAYS, Policy

MAX_REASON = 300
MAX_CONTENT_CHARS = 64 * 1024  # the text shown by show_content; the rest is cut, and said so
MAX_TRAIL = 1000  # records one trail read returns at most
_POSTCAT_MARK = re.compile(rb"^\*\*\* [A-Z][A-Z ]+[^\n]* \*\*\*\r?\n", re.M)
DAY = 86_400
PENDING_VERSION = 2

Send = Callable[[str, str, Callable[[dt.datetime], Any]], None]  # (kind, to, build) → sent


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one step did, in one sentence for the terminal (and its details for JSON)."""

    done: bool
    message: str
    queue_id: str = ""
    request_id: str | None = None
    notice: str | None = None  # "sent", "failed", or None when nobody was to be told

    def as_dict(self) -> dict[str, Any]:
        return {
            "done": self.done,
            "message": self.message,
            "queue_id": self.queue_id,
            "request_id": self.request_id,
            "notice": self.notice,
        }


@dataclass(slots=True)
class Pending:
    """Approvals (four eyes) and sender requests waiting on messages still on hold."""

    approvals: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: dict[str, dict[str, Any]] = field(default_factory=dict)

    def drop(self, queue_id: str) -> None:
        self.approvals.pop(queue_id, None)
        self.requests.pop(queue_id, None)


def fold_reason(reason: str) -> str:
    """A reason as it is recorded: whitespace folded, control characters refused, at most
    300 characters. QuarantineError when empty."""
    text = " ".join(reason.split())
    if not text:
        raise QuarantineError("give a reason (--reason TEXT): it goes into the officer trail")
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise QuarantineError("the reason contains control characters")
    return text[:MAX_REASON]


class OfficerDesk:
    """Requests, releases, withdrawals, deletions and expiry, each in the officer trail."""

    def __init__(
        self,
        queue: HoldQueue,
        trail_path: str,
        policy: Policy | None = None,
        send: Send | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.queue = queue
        self.trail_path = trail_path
        self.policy = policy
        self.release_requires = policy.release_requires if policy is not None else 1
        self.retention_days = (
            policy.retention_days if policy is not None else DEFAULT_RETENTION_DAYS
        )
        self.on_expiry = policy.on_expiry if policy is not None else "delete"
        self.pending_path = trail_path + ".pending.json"
        self._send = send
        self._clock = clock

    # -- reading ---------------------------------------------------------------------------

    def overview(self) -> list[dict[str, Any]]:
        """Every held message with its rules, age, expiry and what is pending for it."""
        with self._locked():
            held = self.queue.list()
            pending = self._pending({m.queue_id for m in held})
        return [self._row(m, pending) for m in held]

    def show(self, queue_id: str) -> dict[str, Any]:
        """One held message as ``overview`` describes it."""
        with self._locked():
            held = self.queue.get(queue_id)
            pending = self._pending(None)
        return self._row(held, pending)

    def _row(self, m: HeldMessage, pending: Pending) -> dict[str, Any]:
        now = self._clock()
        ours = bool(m.rules)
        return {
            "queue_id": m.queue_id,
            "arrival_time": m.arrival_time,
            "age_seconds": m.age_seconds(now),
            "sender": m.sender,
            "recipients": list(m.recipients),
            "rules": list(m.rules),
            "reasons": list(m.reasons),
            # Only what Postwarden held expires; another hold is the admin's business.
            "expires_at": m.arrival_time + self.retention_days * DAY if ours else None,
            "release_at": m.release_at,  # action delay: sent then unless withdrawn
            "request": pending.requests.get(m.queue_id),
            "approval": pending.approvals.get(m.queue_id),
        }

    def show_content(self, queue_id: str, reason: str, who: str | None = None) -> dict[str, Any]:
        """The message's headers and text body (at most MAX_CONTENT_CHARS), for an officer who
        gave a reason: the reading itself is recorded in the officer trail first, so content
        is never seen unrecorded."""
        who = who or officer()
        why = fold_reason(reason)
        with self._locked():
            held = self.queue.get(queue_id)
            self._record(
                "officer_show_content", {**self._about(held), "officer": who, "reason": why}
            )
            raw = self.queue.raw(queue_id)
        return {"queue_id": queue_id, **message_text(raw)}

    def trail(self, limit: int) -> list[dict[str, Any]]:
        """The officer trail's last ``limit`` records (at most MAX_TRAIL), newest first."""
        limit = max(1, min(limit, MAX_TRAIL))
        try:
            with open(self.trail_path, encoding="utf-8") as fh:
                last = deque(fh, maxlen=limit)
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise QuarantineError(
                path_error(exc, self.trail_path, "the officer trail", "--officer-log")
            ) from None
        records = []
        for line in reversed(last):
            with contextlib.suppress(ValueError):
                record = json.loads(line)
                if isinstance(record, dict):
                    records.append(record)
        return records

    # -- the sender's steps ----------------------------------------------------------------

    def request(
        self,
        queue_id: str,
        reason: str,
        sender: str | None = None,
        recorded_by: str | None = None,
    ) -> Outcome:
        """The sender asks for release, with a reason; pending until the message leaves."""
        why = fold_reason(reason)
        recorder = recorded_by or officer()
        with self._locked():
            held = self.queue.get(queue_id)
            by = self._sender(held, sender)
            pending = self._pending(None)
            request_id = "req-" + secrets.token_hex(4)
            pending.requests[queue_id] = {
                "id": request_id,
                "sender": by,
                "reason": why,
                "time": int(self._clock()),
                "recorded_by": recorder,
            }
            self._save(pending)
            self._record(
                "sender_release_requested",
                {
                    **self._about(held),
                    "request_id": request_id,
                    "requested_by": by,
                    "recorded_by": recorder,
                    "reason": why,
                },
            )
        return Outcome(
            False,
            f"release of {queue_id} requested ({request_id}); an officer decides",
            queue_id,
            request_id,
        )

    def withdraw(
        self,
        queue_id: str,
        reason: str,
        sender: str | None = None,
        recorded_by: str | None = None,
    ) -> Outcome:
        """The sender takes the message back: deleted from the hold queue, reason recorded."""
        why = fold_reason(reason)
        recorder = recorded_by or officer()
        with self._locked():
            held = self.queue.get(queue_id)
            by = self._sender(held, sender)
            self.queue.delete(queue_id)
            self._forget(queue_id)
            self._record(
                "sender_withdraw",
                {**self._about(held), "withdrawn_by": by, "recorded_by": recorder, "reason": why},
            )
            notice = self._tell("withdrawn", held, why)
        return Outcome(
            True, f"withdrew {queue_id}: deleted from the hold queue", queue_id, None, notice
        )

    # -- the officers' steps ---------------------------------------------------------------

    def release(
        self,
        queue_id: str,
        reason: str,
        who: str | None = None,
        request_id: str | None = None,
    ) -> Outcome:
        """Release to the recipients (four eyes when the policy asks), granting any request."""
        who = who or officer()
        why = fold_reason(reason)
        with self._locked():
            held = self.queue.get(queue_id)
            pending = self._pending(None)
            request = pending.requests.get(queue_id)
            if request_id is not None and (request is None or request.get("id") != request_id):
                raise QuarantineError(
                    f"{request_id} is not a pending request for {queue_id} "
                    f"(pending: {request['id'] if request else 'none'})"
                )
            about = {**self._about(held), "officer": who, "reason": why}
            if request is not None:
                about["grants_request"] = request.get("id")
            if self.release_requires > 1:
                first = pending.approvals.get(queue_id)
                if first is None:
                    pending.approvals[queue_id] = {
                        "officer": who,
                        "reason": why,
                        "time": int(self._clock()),
                    }
                    self._save(pending)
                    self._record("officer_release_requested", about)
                    return Outcome(
                        False,
                        f"release of {queue_id} approved by {who}; a second officer must "
                        "confirm with the same command (four eyes)",
                        queue_id,
                        about.get("grants_request"),
                    )
                if first.get("officer") == who:
                    raise QuarantineError(
                        f"{who} already approved the release of {queue_id}: a different "
                        "officer must confirm (four eyes)"
                    )
                about["approved_by"] = first.get("officer")
                about["approval_reason"] = first.get("reason")
            self.queue.release(queue_id)
            self._forget(queue_id)
            self._record("officer_release", about)
            notice = self._tell("released", held, why)
        granted = f" (grants {about['grants_request']})" if "grants_request" in about else ""
        return Outcome(
            True,
            f"released {queue_id}{granted}: delivery continues",
            queue_id,
            about.get("grants_request"),
            notice,
        )

    def delete(self, queue_id: str, reason: str, who: str | None = None) -> Outcome:
        """Delete from the hold queue; the sender is told."""
        who = who or officer()
        why = fold_reason(reason)
        with self._locked():
            held = self.queue.get(queue_id)
            self.queue.delete(queue_id)
            self._forget(queue_id)
            self._record("officer_delete", {**self._about(held), "officer": who, "reason": why})
            notice = self._tell("deleted", held, why)
        return Outcome(True, f"deleted {queue_id} from the hold queue", queue_id, None, notice)

    def expire(self) -> list[Outcome]:
        """Delete (or return) what Postwarden held longer than the retention time."""
        now = self._clock()
        limit = self.retention_days * DAY
        outcomes: list[Outcome] = []
        with self._locked():
            for held in self.queue.list():
                if not held.rules or held.age_seconds(now) < limit:
                    continue
                try:
                    if self.on_expiry == "return":
                        self.queue.return_to_sender(held.queue_id)
                    else:
                        self.queue.delete(held.queue_id)
                except QuarantineError as exc:  # released or deleted meanwhile: the next one
                    outcomes.append(Outcome(False, str(exc), held.queue_id))
                    continue
                self._forget(held.queue_id)
                action = "returned" if self.on_expiry == "return" else "deleted"
                self._record(
                    "quarantine_expired",
                    {
                        **self._about(held),
                        "action": action,
                        "age_days": held.age_seconds(now) // DAY,
                        "retention_days": self.retention_days,
                    },
                )
                outcomes.append(
                    Outcome(
                        True,
                        f"expired {held.queue_id} after {self.retention_days} days: {action}",
                        held.queue_id,
                        None,
                        self._tell(f"expired_{action}", held, None),
                    )
                )
        return outcomes

    def release_due(self) -> list[Outcome]:
        """Release delayed messages whose undo window has passed (the release-due timer).
        What was withdrawn is gone already; what an officer deleted too."""
        now = self._clock()
        outcomes: list[Outcome] = []
        with self._locked():
            for held in self.queue.list():
                due = held.release_at
                if due is None or due > now or not held.rules:
                    continue
                try:
                    self.queue.release(held.queue_id)
                except QuarantineError as exc:  # gone meanwhile: the next one
                    outcomes.append(Outcome(False, str(exc), held.queue_id))
                    continue
                self._forget(held.queue_id)
                self._record(
                    "delay_released",
                    {**self._about(held), "release_at": due, "late_seconds": int(now - due)},
                )
                outcomes.append(
                    Outcome(True, f"released {held.queue_id}: its undo window ended", held.queue_id)
                )
        return outcomes

    # -- helpers ---------------------------------------------------------------------------

    @staticmethod
    def _about(held: HeldMessage) -> dict[str, Any]:
        return {
            "queue_id": held.queue_id,
            "sender": held.sender,
            "recipients": list(held.recipients),
            "rules": list(held.rules),
        }

    @staticmethod
    def _sender(held: HeldMessage, sender: str | None) -> str:
        """The sender a request or withdrawal is for: the message's own, nobody else."""
        if sender is not None and sender.strip().lower() != held.sender.lower():
            raise QuarantineError(
                f"{held.queue_id} was not sent by {sender.strip()[:100]}: only its sender "
                "can ask for its release or withdraw it"
            )
        if not held.sender:
            raise QuarantineError(f"{held.queue_id} has no sender (a bounce) to act for")
        return held.sender

    def _tell(self, kind: str, held: HeldMessage, reason: str | None) -> str | None:
        """Tell the sender what became of their held message (under the lock, after the
        step's record); the result, itself recorded, or None when nobody is to be told."""
        from milter.officer.outcome import outcome_notice

        if self._send is None or self.policy is None:
            return None
        prepared = outcome_notice(kind, held, reason, self.policy, self.retention_days)
        if prepared is None:
            return None
        to, build = prepared
        return self._deliver(kind, to, build, held.queue_id)

    def send_digest(self, to: str, build: Callable[[dt.datetime], Any]) -> str:
        """Mail the officers' digest; "sent" or "failed", recorded in the trail."""
        if self._send is None:
            raise QuarantineError("the policy has no notices section (its relay sends the digest)")
        with self._locked():
            return self._deliver("digest", to, build, None)

    def _deliver(
        self, kind: str, to: str, build: Callable[[dt.datetime], Any], queue_id: str | None
    ) -> str:
        assert self._send is not None
        try:
            self._send(f"sender_{kind}" if queue_id else f"officer_{kind}", to, build)
            result = "sent"
        except Exception:  # the step is done and recorded; a failed notice does not undo it
            result = "failed"
        self._record(
            "sender_notice" if queue_id else "officer_notice",
            {"queue_id": queue_id, "notice_kind": kind, "to": to, "result": result},
        )
        return result

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        lock = self.trail_path + ".lock"
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o640)
        except OSError as exc:
            raise QuarantineError(
                path_error(exc, lock, "the officer trail's lock", "--officer-log")
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _record(self, kind: str, fields: dict[str, Any]) -> None:
        trail = AuditLog(
            self.trail_path, checkpoint_interval_s=None, checkpoint_every=None, witness=False
        )
        try:
            trail.open()
        except OSError as exc:
            raise QuarantineError(
                path_error(exc, self.trail_path, "the officer trail", "--officer-log")
            ) from None
        try:
            trail.record(kind, fields)
        finally:
            trail.close()

    def _pending(self, on_hold: set[str] | None) -> Pending:
        """What is pending; with ``on_hold``, entries for messages gone are dropped."""
        try:
            with open(self.pending_path, encoding="utf-8") as fh:
                data = json.load(fh)
        except FileNotFoundError:
            return Pending()
        except (OSError, ValueError) as exc:
            raise QuarantineError(
                path_error(exc, self.pending_path, "the pending requests", "--officer-log")
            ) from None
        if not isinstance(data, dict):
            return Pending()
        if data.get("version") != PENDING_VERSION:  # the first format: approvals only
            pending = Pending(approvals={k: v for k, v in data.items() if isinstance(v, dict)})
        else:
            pending = Pending(dict(data.get("approvals") or {}), dict(data.get("requests") or {}))
        if on_hold is not None:
            for queue_id in set(pending.approvals) | set(pending.requests):
                if queue_id not in on_hold:
                    pending.drop(queue_id)
        return pending

    def _save(self, pending: Pending) -> None:
        tmp = self.pending_path + ".tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(
                    {
                        "version": PENDING_VERSION,
                        "approvals": pending.approvals,
                        "requests": pending.requests,
                    },
                    fh,
                )
            os.replace(tmp, self.pending_path)
        except OSError as exc:
            raise QuarantineError(
                path_error(exc, self.pending_path, "the pending requests", "--officer-log")
            ) from None

    def _forget(self, queue_id: str) -> None:
        pending = self._pending(None)
        if queue_id in pending.approvals or queue_id in pending.requests:
            pending.drop(queue_id)
            self._save(pending)


def message_text(raw: bytes) -> dict[str, Any]:
    """postcat -bh output as {headers: [[name, value]], body: text, truncated: bool}: the
    text/plain parts (other parts are named, not shown), cut at MAX_CONTENT_CHARS."""
    data = _POSTCAT_MARK.sub(b"", raw)
    msg = email.parser.BytesParser(policy=email.policy.default).parsebytes(data)
    headers = [[k, " ".join(str(v).split())] for k, v in msg.items()]
    texts: list[str] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        if ctype == "text/plain" and not part.get_filename():
            try:
                texts.append(str(part.get_content()))
            except (LookupError, ValueError):  # an unknown charset: shown undecoded
                payload = part.get_payload(decode=True)
                data = payload if isinstance(payload, bytes) else b""
                texts.append(data.decode("utf-8", "replace"))
        else:
            name = part.get_filename() or "(no name)"
            payload = part.get_payload(decode=True)
            size = len(payload) if isinstance(payload, bytes) else 0
            texts.append(f"[{ctype} part {name}, {size} bytes: not shown]")
    body = "\n\n".join(texts)
    return {
        "headers": headers,
        "body": body[:MAX_CONTENT_CHARS],
        "truncated": len(body) > MAX_CONTENT_CHARS,
    }
