"""Sender notices: tell a sender that an address is retired and what to use instead.

After the incident the organisation ran a catch-all for a year that told every sender they had
used a wrong address. Postwarden does the same from the policy (``notify_sender`` on a retired
domain, texts in ``notices``), and for mail from local programs — where Postfix allows no
refusal at RCPT time — a notice is how the sending system learns at all.

A notice
- goes out over SMTP to the policy's relay, with the null sender (so it can never bounce or
  trigger another notice: Postwarden never notifies the null sender) and
  ``Auto-Submitted: auto-replied``;
- is sent at most ``per_day`` times per (sender, retired address) per day;
- is never sent to a retired domain (``engine.may_notify`` decides that, purely);
- never carries message content: only the retired address, its domain and the organisation.

The same sender (relay, rate limiter, background thread) carries the notices about held mail
(``milter.officer.held``): ``request_message`` queues a prepared one, limited to ``per_day`` per
(address, key) per day, and reports its result by kind (``sender_held``, ``officer_alert``).

Sending happens on a background thread with a bounded queue: the milter never waits for the
relay. A notice that cannot be sent is logged and counted; it never changes the decision.

The per-day limits are counted in this process, or — when ``shared`` gives a limiter (the
policy's history store is Redis: ``milter.history.store.RedisRateLimit``) — in that store, so
several gateways (and ``serve --workers``) share one allowance. A shared store that fails falls
back to this process's own count for that notice (logged): a notice is never lost to it, and
the local limit still bounds them.
"""

from __future__ import annotations

import datetime as dt
import queue
import smtplib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Protocol

import structlog

from milter.core.address import Address
from milter.policy.model import Notices

log = structlog.get_logger("postwarden.notify")

NOTICE_HEADER = "X-Postwarden-Notice"
_QUEUE_SIZE = 1000
_RATE_KEYS_MAX = 100_000


@dataclass(frozen=True, slots=True)
class Notice:
    """One notice to send: to ``sender``, about ``recipient`` in retired ``domain``."""

    sender: str
    recipient: str
    domain: str
    organisation: str
    settings: Notices


def render(notice: Notice, now: dt.datetime) -> EmailMessage:
    """The notice as a message: Dutch first, then English; no content of the original."""
    s = notice.settings
    values = {
        "recipient": notice.recipient,
        "domain": notice.domain,
        "organisation": notice.organisation,
    }
    msg = EmailMessage()
    msg["From"] = s.from_address
    msg["To"] = notice.sender
    msg["Subject"] = f"{s.subject.nl} / {s.subject.en}"
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(domain=s.from_address.rpartition("@")[2])
    msg["Auto-Submitted"] = "auto-replied"
    msg[NOTICE_HEADER] = "retired-address"
    body = f"{_fill(s.body.nl, values)}\n\n-- \n\n{_fill(s.body.en, values)}\n"
    msg.set_content(body, charset="utf-8")
    return msg


def _fill(template: str, values: dict[str, str]) -> str:
    out = template
    for key, value in values.items():
        out = out.replace("{" + key + "}", value)
    return out


class SharedLimit(Protocol):
    """Per-day limits kept outside this process (several gateways share them)."""

    def allow(self, to: str, about: str, day: dt.date, per_day: int) -> bool: ...


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A prepared notice of ``kind`` to ``to``, sent through ``relay``; ``build`` makes the
    message at sending time."""

    kind: str
    to: str
    relay: str
    build: Callable[[dt.datetime], EmailMessage]


class Notifier:
    """Rate-limits notices and sends them from a background thread."""

    def __init__(
        self,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        on_result: Callable[[str], None] | None = None,
        on_kind_result: Callable[[str, str], None] | None = None,
        gateway: str = "gateway",
        shared: Callable[[], SharedLimit | None] | None = None,
    ) -> None:
        self.gateway = gateway  # this gateway's name in the portal links of held notices
        self._clock = clock
        self._shared = shared or (lambda: None)
        self._on_result = on_result or (lambda _result: None)
        self._on_kind_result = on_kind_result or (lambda _kind, _result: None)
        self._sent: dict[tuple[str, str, dt.date], int] = {}
        self._lock = threading.Lock()
        self._queue: queue.Queue[Notice | Outgoing | None] = queue.Queue(_QUEUE_SIZE)
        self._thread = threading.Thread(target=self._run, name="notifier", daemon=True)
        self._thread.start()

    def request(
        self,
        sender: Address,
        recipient: Address,
        domain: str,
        organisation: str,
        settings: Notices,
    ) -> bool:
        """Queue a notice unless the day's allowance for (sender, recipient) is used up."""
        if not self._allowed(str(sender), str(recipient), settings.per_day):
            self._on_result("rate_limited")
            return False
        notice = Notice(str(sender), str(recipient), domain, organisation, settings)
        try:
            self._queue.put_nowait(notice)
        except queue.Full:
            self._on_result("dropped")
            log.warning("notice_dropped", reason="queue full")
            return False
        return True

    def request_message(self, outgoing: Outgoing, key: str, per_day: int) -> bool:
        """Queue a prepared notice unless the day's allowance for (its address, ``key``) is
        used up; the result is reported under its kind."""
        if not self._allowed(outgoing.to, f"{outgoing.kind} {key}", per_day):
            self._on_kind_result(outgoing.kind, "rate_limited")
            return False
        try:
            self._queue.put_nowait(outgoing)
        except queue.Full:
            self._on_kind_result(outgoing.kind, "dropped")
            log.warning("notice_dropped", kind=outgoing.kind, reason="queue full")
            return False
        return True

    def report(self, kind: str, result: str) -> None:
        """Count a result for a notice that never reached the queue (e.g. it failed to build)."""
        self._on_kind_result(kind, result)

    def _allowed(self, to: str, about: str, per_day: int) -> bool:
        """Count one more for (to, about) today, unless ``per_day`` are used up."""
        today = self._clock().date()
        try:
            limit = self._shared()
            if limit is not None:
                return limit.allow(to, about, today, per_day)
        except Exception as exc:  # the shared store is down: this process's own count
            log.warning("notice_limit_shared_failed", error=type(exc).__name__)
        key = (to.lower(), about.lower(), today)
        with self._lock:
            if self._sent.get(key, 0) >= per_day:
                return False
            if len(self._sent) >= _RATE_KEYS_MAX:
                self._sent = {k: v for k, v in self._sent.items() if k[2] == today}
            self._sent[key] = self._sent.get(key, 0) + 1
        return True

    def close(self, timeout: float = 5.0) -> None:
        """Send what is queued (within ``timeout``), then stop."""
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            notice = self._queue.get()
            if notice is None:
                return
            if isinstance(notice, Outgoing):
                self._send_outgoing(notice)
                continue
            try:
                self._send(notice)
                self._on_result("sent")
                log.info("notice_sent", to=notice.sender[:200], about=notice.recipient[:200])
            except (OSError, smtplib.SMTPException) as exc:
                self._on_result("failed")
                log.warning("notice_failed", to=notice.sender[:200], error=type(exc).__name__)

    def _send(self, notice: Notice) -> None:
        deliver(notice.settings.relay, notice.sender, render(notice, self._clock()))

    def _send_outgoing(self, outgoing: Outgoing) -> None:
        try:
            deliver(outgoing.relay, outgoing.to, outgoing.build(self._clock()))
        except Exception as exc:  # any failure, building included: counted; the thread lives on
            self._on_kind_result(outgoing.kind, "failed")
            log.warning(
                "notice_failed", kind=outgoing.kind, to=outgoing.to[:200], error=type(exc).__name__
            )
            return
        self._on_kind_result(outgoing.kind, "sent")
        log.info("notice_sent", kind=outgoing.kind, to=outgoing.to[:200])


def deliver(relay: str, to: str, msg: EmailMessage) -> None:
    """Send one notice now, with the null sender, through ``relay`` (host:port); raises
    OSError or SMTPException when the relay does not take it."""
    host, _, port = relay.rpartition(":")
    with smtplib.SMTP(host.strip("[]"), int(port), timeout=30) as smtp:
        smtp.send_message(msg, from_addr="", to_addrs=[to])


def sender_for(relay: str) -> Callable[[str, str, Callable[[dt.datetime], EmailMessage]], None]:
    """A synchronous sender for the officer's commands (``OfficerDesk(send=...)``)."""

    def send(kind: str, to: str, build: Callable[[dt.datetime], EmailMessage]) -> None:
        deliver(relay, to, build(dt.datetime.now(dt.UTC)))  # the desk reports the result

    return send
