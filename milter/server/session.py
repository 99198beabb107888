"""server.session -- one Postfix milter connection: events in, the engine's ``Decision`` out.

A session

- turns MAIL/RCPT/end-of-message events into ``Envelope`` values, takes one policy snapshot per
  message and applies the engine's ``Decision``: on the SMTP path a refused recipient gets its
  550 5.7.1 reply at RCPT time; on the local path (where Postfix forbids RCPT-time refusals)
  refused recipients are removed with delrcpt at end of message and a header names them;
- fails closed: any exception while handling a message ends in a tempfail reply (the message
  stays in Postfix's queue), never in accept, and so does a decision this code does not expect;
  error details never go back over SMTP. Work that may stall (DNS queries, content scans) runs in
  the session's thread under a per-event budget: on an overrun server.watchdog answers tempfail
  in time, and the late reply is dropped.

Packets come from the native framing (protocol.native's ``Wire``: it reads the connection
without the GIL, answers negotiation and the events negotiated away, and hands over headers and
body in batches with MAIL, RCPT, end of message, ABORT and QUIT) or, as the reference and the
fallback (POSTWARDEN_NATIVE=0, extension not built), from protocol.codec. python-libmilter's
known pitfalls stay handled here: every reply is one packet returned by its handler, never
setReply() plus a second verdict (upstream issue #14); the RCPT argument arrives raw
(``<a@b>\\0NOTIFY=NEVER``); macros arrive per command and are kept by us; per-message state is
reset on MAIL and ABORT because Postfix reuses a connection for several messages. A packet longer
than any Postfix sends, a command Postfix never sends, or a packet that does not complete within
the idle timeout closes the connection (after a tempfail).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, TypeVar

import structlog

import milter.protocol.native as native_wire
from milter.core.address import Address, Malformed, parse_address
from milter.core.engine import (
    Decision,
    Envelope,
    Facts,
    RecipientDecision,
    SubmissionPath,
    content_may_apply,
    decide,
    decide_recipient,
    ocr_may_matter,
    rdap_domains_needed,
)
from milter.core.verdict import INTERNAL_ERROR, SmtpReply, smtp_safe
from milter.domains.gather import DnsGatherer, MessageDns
from milter.domains.rdap import MessageRdap, RdapClient
from milter.history.model import HistoryFacts
from milter.officer.held import held_message, render_alert, render_held
from milter.officer.notices import Outgoing
from milter.policy.model import Policy
from milter.portal.links import notice_link
from milter.protocol import codec
from milter.server.watchdog import WATCHDOG, Deadline

if TYPE_CHECKING:
    from milter._native import Wire as NativeWire
    from milter.content.findings import ContentFacts, OcrUse
    from milter.content.scan import ScanSession
    from milter.history.store import History
    from milter.officer.notices import Notifier

log = structlog.get_logger("postwarden.adapter")

# What we may do to a message.
WANTED_ACTIONS = codec.F_ADDHDRS | codec.F_DELRCPT | codec.F_ADDRCPT | codec.F_QUARANTINE
# Events we do not want to hear about, and replies we do not send (protocol 6): each is a
# round trip less per message. MAIL always continues (a failure there is remembered and
# answered with tempfail at the first RCPT), so Postfix need not wait for its reply.
WANTED_PROTOCOL = (
    codec.P_NOCONNECT
    | codec.P_NOHELO
    | codec.P_NODATA
    | codec.P_NOEOH
    | codec.P_NOUNKNOWN
    | codec.P_NR_MAIL
    | codec.P_NR_HDR
    | codec.P_NR_BODY
)
# Events we never ask for: (flag that skips the event, flag that drops its reply).
_IGNORED = {
    codec.CONNECT: (codec.P_NOCONNECT, codec.P_NR_CONN),
    codec.HELO: (codec.P_NOHELO, codec.P_NR_HELO),
    codec.DATA: (codec.P_NODATA, codec.P_NR_DATA),
    codec.EOH: (codec.P_NOEOH, codec.P_NR_EOH),
    codec.UNKNOWN: (codec.P_NOUNKNOWN, codec.P_NR_UNKN),
}
_RECV_CHUNK = 65536
# The native framing's view of _IGNORED: (command byte, the flags that spare us it or its reply).
_IGNORED_MASKS = [(kind[0], skip | no_reply) for kind, (skip, no_reply) in _IGNORED.items()]
# Headers and body bytes the native framing buffers before it hands them over (a bigger message
# goes to Python in batches of this size): memory per connection stays bounded. One full
# Postfix body chunk (65 535 bytes) goes at once, a smaller body with the end of message: 100
# connections held mid-message then keep no body here (bench_memory; 256 KiB batches cost
# 100 connections ~15 MB more than the Python framing).
_WIRE_BATCH = 65535
_IDLE_TIMEOUT_S = 300.0
# Per event (RCPT, end of message): shorter than deploy/'s milter_command_timeout (30 s), so a
# stalled lookup or scan is answered with tempfail by us, not by Postfix's timeout.
_MESSAGE_BUDGET_S = 25.0
# OCR stops this long before the event's budget ends: what it could not read is unscannable
# (held for external recipients, with the reason) rather than the whole message tempfailed.
_OCR_RESERVE_S = 4.0

# Scans running at once: more than the cores only multiplies decoded bodies in memory (and
# the GIL serialises them anyway); the others wait their turn within their budget.
_OVERRUN_LOCK_WAIT_S = 1.0  # see answer_overrun
_SCAN_SLOTS = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))
_T = TypeVar("_T")
_BULK = frozenset({"bulk", "list", "junk"})


class Observer(Protocol):
    """What the session reports: decisions (with how long they took), RCPT-time refusals,
    internal errors and what OCR cost a message. An exception from ``decision`` (e.g. the audit
    record could not be written) tempfails the message: nothing is decided without its record."""

    def decision(
        self, decision: Decision, envelope: Envelope, message_id: str | None = None
    ) -> None: ...

    def recipient_refused(
        self,
        refusal: RecipientDecision,
        queue_id: str | None,
        sender: Address | Malformed | None = None,
        policy_sha256: str | None = None,
        client: str | None = None,
    ) -> None: ...

    def internal_error(self, path: SubmissionPath) -> None: ...

    def decision_seconds(self, path: SubmissionPath, seconds: float) -> None: ...

    def ocr_used(self, use: OcrUse) -> None: ...


def reply_packet(reply: SmtpReply) -> bytes:
    """The SMFIR_REPLYCODE packet that *is* the verdict (no second packet follows)."""
    return codec.replycode_packet(str(reply))


TEMPFAIL_PACKET = reply_packet(INTERNAL_ERROR)
CONTINUE_PACKET = codec.packet(codec.CONTINUE)
ACCEPT_PACKET = codec.packet(codec.ACCEPT)
DISCARD_PACKET = codec.packet(codec.DISCARD)


class PolicyHolder:
    """The policy in force. Readers take a snapshot; a reload swaps the reference atomically."""

    def __init__(self, policy: Policy) -> None:
        self._policy = policy

    @property
    def current(self) -> Policy:
        return self._policy

    def replace(self, policy: Policy) -> None:
        self._policy = policy


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


@dataclass
class _Message:
    """Per-message state: reset on MAIL and ABORT."""

    policy: Policy
    sender: Address | Malformed
    queue_id: str | None
    recipients: list[tuple[bytes, Address | Malformed]]
    failed: bool = False
    scan: ScanSession | None = None
    scan_decided: bool = False
    message_id: str | None = None
    auto_submitted: bool = False
    subject: str | None = None  # the first Subject header, for the masked line in notices
    client: str | None = None
    auth_user: str | None = None
    dns: MessageDns = field(default_factory=MessageDns)

    def drop_scan(self) -> None:
        if self.scan is not None:
            self.scan.close()
            self.scan = None

    def start_scan_if_needed(self) -> ScanSession | None:
        """At the first header: scan only when some content rule can apply to this envelope."""
        if not self.scan_decided:
            self.scan_decided = True
            kept = [a for _, a in self.recipients]
            if self.policy.content is not None and content_may_apply(kept, self.policy):
                ocr = ocr_may_matter(kept, self.policy)
                self.scan = self.policy.content.scanner.session(ocr=ocr)
        return self.scan


class MilterSession:
    """One Postfix connection; may carry several messages one after the other.

    Frames the connection with the native ``Wire`` when it is built (``_serve_native``), else
    itself (4-byte length, command byte, payload: ``feed``/``_dispatch``, the reference) and
    dispatches whole packets to the event handlers; python-libmilter supplies only the
    protocol's constants."""

    def __init__(
        self,
        transport: socket.socket,
        path: SubmissionPath,
        policies: PolicyHolder,
        observer: Observer,
        notifier: Notifier | None = None,
        dns: DnsGatherer | None = None,
        history: History | None = None,
        rdap: RdapClient | None = None,
    ) -> None:
        self._notifier = notifier
        self._history = history
        self._rdap = rdap or RdapClient()
        self._dns = dns or DnsGatherer()
        self.transport = transport
        self.path: SubmissionPath = path
        self._policies = policies
        self._observer = observer
        self._msg: _Message | None = None
        self._quickack = transport.family in (socket.AF_INET, socket.AF_INET6)
        self.closed = False
        # What we ask for until Postfix's offer narrows it at option negotiation.
        self.protocol = WANTED_PROTOCOL
        self._pending = bytearray()  # bytes of the packet(s) not yet complete
        self._last_macros: bytes | None = None  # the latest SMFIC_MACRO packet
        self._handling = False  # packets are being handled (and their replies sent)
        self._mail_failed = False  # the last MAIL raised: its message gets tempfails
        self._write_lock = threading.Lock()  # this thread's replies and the watchdog's
        self._late_reply = False  # the watchdog answered the event in hand: drop its reply
        self._wire: NativeWire | None = None  # the native framing, while serving

    # -- connection loop -------------------------------------------------------------------
    def serve(self) -> None:
        """Read packets until Postfix closes; any protocol error closes the connection."""
        sock = self.transport
        try:
            wire_type = native_wire.Wire
            if wire_type is not None:
                self._serve_native(wire_type)
            else:
                self._serve_python()
        except TimeoutError:
            log.info("milter_connection_idle_closed", path=self.path)
        except OSError:
            pass
        except Exception as exc:  # a malformed packet: fail closed, keep the server alive
            log.error("milter_protocol_error", path=self.path, error=type(exc).__name__)
            with contextlib.suppress(OSError):
                sock.sendall(TEMPFAIL_PACKET)
        finally:
            self._reset()
            self.closed = True
            with contextlib.suppress(OSError):
                sock.close()

    def _serve_native(self, wire_type: type[NativeWire]) -> None:
        """The connection loop with the native framing: Python runs once per MAIL, RCPT, end
        of message, ABORT, QUIT and body batch. Its own writes (negotiation, the continue owed
        for an event) happen only while no event of this session is in Python, so never while
        a budget is armed: the watchdog's tempfail and they cannot interleave."""
        sock = self.transport
        sock.settimeout(_IDLE_TIMEOUT_S)  # our replies' sendall gives up as the reads do
        wire = wire_type(
            sock.fileno(),
            WANTED_ACTIONS,
            WANTED_PROTOCOL,
            codec.P_NR_HDR,
            codec.P_NR_BODY,
            _IGNORED_MASKS,
            codec.MAX_PACKET,
            _WIRE_BATCH,
            self._quickack,
            _RECV_CHUNK,
        )
        self._wire = wire
        while not self.closed:
            try:
                event = wire.next_event(_IDLE_TIMEOUT_S)
            except ValueError as exc:  # traffic that is not the milter protocol
                raise codec.ProtocolError(str(exc)) from None
            if event is None:
                break
            self._handling = True
            try:
                self._event(wire, *event)
            finally:
                self._handling = False

    def _event(
        self,
        wire: NativeWire,
        kind: bytes,
        arg: bytes,
        macros: dict[bytes, bytes] | None,
        headers: list[tuple[bytes, bytes]],
        body: bytes | None,
    ) -> None:
        """One event from the native framing: first the headers and body bytes that arrived
        before it, in order, then the event itself (as _dispatch handles its packet)."""
        for name, value in headers:
            self.header(name, value)
        if body is not None:
            self.body(body)
        if kind == codec.BODY:
            return  # a batch: no event of its own
        self.protocol = wire.protocol
        if kind == codec.RCPT:
            self.send(self.rcpt(arg, macros or {}))
        elif kind == codec.MAIL:
            macros = macros or {}
            reply = self.mail_from(macros.get(b"mail_addr", arg), macros)
            if not self.protocol & codec.P_NR_MAIL:
                self.send(reply)
        elif kind == codec.BODYEOB:
            self.send(self.end_of_message(macros or {}))
        elif kind == codec.ABORT:
            self._reset()
            self._mail_failed = False
        else:  # QUIT, QUIT_NC (the framing returns no other event)
            self._reset()
            self.closed = True

    def _serve_python(self) -> None:
        """The connection loop with the Python framing (the reference and the fallback)."""
        sock = self.transport
        partial_since: float | None = None  # when the packet now being received started
        while not self.closed:
            if self._quickack:
                # Postfix does not set TCP_NODELAY; ack at once so Nagle doesn't stall it.
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            # Idle between packets for at most _IDLE_TIMEOUT_S; a packet that has begun
            # must be complete within the same time (no dribbling one byte at a time).
            left = _IDLE_TIMEOUT_S
            if partial_since is not None:
                left -= time.monotonic() - partial_since
                if left <= 0:
                    raise TimeoutError
            sock.settimeout(left)
            data = sock.recv(_RECV_CHUNK)
            if not data:
                break
            self.feed(data)
            if not self._pending:
                partial_since = None
            elif partial_since is None:
                partial_since = time.monotonic()

    @property
    def between_messages(self) -> bool:
        """No message is in flight and no packet half received: closing loses nothing."""
        held = self._wire.held if self._wire is not None else len(self._pending)
        return self._msg is None and not held and not self._handling

    def hang_up(self) -> None:
        """Close the connection from another thread (at shutdown); ``serve`` then returns."""
        with contextlib.suppress(OSError):
            self.transport.shutdown(socket.SHUT_RDWR)

    def feed(self, data: bytes) -> None:
        """Add received bytes; handle every packet now complete, in order. A declared length
        beyond codec.MAX_PACKET raises codec.ProtocolError at once (nothing of it is buffered)."""
        self._pending += data
        self._handling = True
        packets = codec.split_packets(self._pending)
        try:
            for packet in packets:
                self._dispatch(packet)
                if self.closed:
                    break
        finally:
            packets.close()  # what was handled leaves the buffer now, also on an error
            self._handling = False

    def send(self, msg: bytes) -> None:
        """Write one reply packet; a reply the watchdog already gave (tempfail on an overrun)
        is not given again."""
        with self._write_lock:
            if self._late_reply:
                self._late_reply = False
                return
            if not self.closed:
                self.transport.sendall(msg)

    def _dispatch(self, packet: bytes) -> None:
        """Handle one whole packet: events get their handler and, unless negotiated away,
        their reply; anything Postfix never sends is a ProtocolError."""
        kind = packet[:1]
        if kind == codec.MACRO:
            self._last_macros = packet  # for the event of the same stage that follows
            return
        if kind == codec.BODY:
            self.body(packet[1:])
            if not self.protocol & codec.P_NR_BODY:
                self.send(CONTINUE_PACKET)
            return
        if kind == codec.HEADER:
            self.header(*codec.parse_header(packet[1:]))
            if not self.protocol & codec.P_NR_HDR:
                self.send(CONTINUE_PACKET)
            return
        if kind == codec.RCPT:
            self.send(self.rcpt(packet[1:-1], self._macros_for(kind)))
            return
        if kind == codec.MAIL:
            macros = self._macros_for(kind)
            reply = self.mail_from(macros.get(b"mail_addr", packet[1:-1]), macros)
            if not self.protocol & codec.P_NR_MAIL:
                self.send(reply)
            return
        if kind == codec.BODYEOB:
            self.send(self.end_of_message(self._macros_for(kind)))
            return
        if kind == codec.ABORT:
            self._reset()
            self._mail_failed = False
            return
        if kind == codec.QUIT or kind == codec.QUIT_NC:
            self._reset()
            self.closed = True
            return
        if kind == codec.OPTNEG:
            self.send(self._negotiate(packet))
            return
        skip_reply = _IGNORED.get(kind)
        if skip_reply is None:
            raise codec.ProtocolError("unknown milter command")
        # An event we asked not to get (connect, HELO, DATA, end of headers, unknown
        # command): continue, if Postfix sent it anyway and wants a reply.
        skip, no_reply = skip_reply
        if not self.protocol & (skip | no_reply):
            self.send(CONTINUE_PACKET)

    def _macros_for(self, kind: bytes) -> dict[bytes, bytes]:
        last = self._last_macros
        return codec.parse_macros(last) if last is not None and last[1:2] == kind else {}

    def _negotiate(self, packet: bytes) -> bytes:
        """Answer Postfix's offer with what we want of it (version echoed, as Postfix
        expects; actions and protocol flags are the intersection)."""
        version, actions, protocol = codec.parse_optneg(packet[1:])
        self.protocol = WANTED_PROTOCOL & protocol
        return codec.optneg_packet(version, WANTED_ACTIONS & actions, self.protocol)

    # -- helpers -----------------------------------------------------------------------------
    def _guard(self, step: Callable[[], bytes]) -> bytes:
        """Run one event handler; any exception becomes a tempfail for this message."""
        try:
            return step()
        except Exception:
            log.exception("milter_internal_error", path=self.path)
            self._observer.internal_error(self.path)
            if self._msg is not None:
                self._msg.failed = True
            return TEMPFAIL_PACKET

    def _within_budget(self, work: Callable[[], _T]) -> _T:
        """Run `work` (lookups and scans: it sends nothing to Postfix) under a budget of
        _MESSAGE_BUDGET_S. Should it overrun, the watchdog answers tempfail in time, before
        Postfix's own milter timeouts; when the work then ends, TimeoutError is raised (which
        _guard turns into a tempfail, counted) and the event's late reply is dropped, so
        Postfix gets exactly one reply. Work that sends no DNS query and scans nothing is pure
        (microseconds) and is not armed at all."""
        deadline = WATCHDOG.arm(self, _MESSAGE_BUDGET_S)
        try:
            result = work()
        finally:
            WATCHDOG.disarm(deadline)
            with self._write_lock:
                deadline.disarmed = True
        if deadline.fired:
            log.warning("milter_budget_exceeded", path=self.path, budget_s=_MESSAGE_BUDGET_S)
            raise TimeoutError("per-message time budget exceeded")
        return result

    def answer_overrun(self, deadline: Deadline) -> None:
        """The watchdog's call when `deadline` passed with its work still running: tempfail,
        unless the work ended meanwhile."""
        # Bounded wait: the one watchdog serves every session, and a session whose peer stopped
        # reading must not hold it up (Postfix's own timeout then tempfails that message).
        if not self._write_lock.acquire(timeout=_OVERRUN_LOCK_WAIT_S):
            return
        try:
            if deadline.disarmed or self.closed:
                return
            deadline.fired = True
            self._late_reply = True  # the session's own reply to this event is dropped
            with contextlib.suppress(OSError):
                self.transport.sendall(TEMPFAIL_PACKET)
        finally:
            self._write_lock.release()

    # -- events ----------------------------------------------------------------------------
    def mail_from(self, sender: bytes, macros: dict[bytes, bytes]) -> bytes:
        def step() -> bytes:
            self._reset()  # a new MAIL without ABORT also starts a new message
            policy = self._policies.current  # one policy snapshot per message
            queue_id = _text(macros.get(b"i")) or None
            self._msg = _Message(policy, parse_address(sender), queue_id, [])
            self._msg.client = _text(macros.get(b"client_addr"))[:64] or None
            self._msg.auth_user = _text(macros.get(b"auth_authen"))[:128] or None
            self._mail_failed = False
            return CONTINUE_PACKET

        # Until the message is set up: an error at MAIL (which Postfix gets no reply to) is
        # answered by tempfails at RCPT and end of message, and counted once, here.
        self._mail_failed = True
        return self._guard(step)

    def rcpt(self, recip: bytes, macros: dict[bytes, bytes]) -> bytes:
        def step() -> bytes:
            msg = self._msg
            if msg is None:
                if self._mail_failed:
                    return TEMPFAIL_PACKET
                raise RuntimeError("RCPT before MAIL")
            if msg.failed:
                return TEMPFAIL_PACKET
            raw = recip.split(b"\0", 1)[0].strip()
            address = parse_address(raw)
            if msg.queue_id is None and macros.get(b"i"):
                msg.queue_id = _text(macros[b"i"])
            if self.path == "smtp":

                def work() -> RecipientDecision:
                    # DNS questions for this recipient, asked now within the message's budget.
                    dns = self._dns.gather(msg.policy, [address], msg.dns)
                    facts = Facts(dns=dns, now=dt.datetime.now(dt.UTC))
                    return decide_recipient(address, "smtp", facts, msg.policy, msg.sender)

                if self._dns.answered(msg.policy, [address], msg.dns):
                    decision = work()  # pure and cached: microseconds, nothing can stall
                else:
                    decision = self._within_budget(work)
                if decision.action == "tempfail" and decision.reply is not None:
                    self._observer.recipient_refused(
                        decision, msg.queue_id, msg.sender, msg.policy.sha256, msg.client
                    )
                    return reply_packet(decision.reply)
                if decision.action == "reject" and decision.reply is not None:
                    # Refused now; Postfix never shows this recipient to us again.
                    self._observer.recipient_refused(
                        decision, msg.queue_id, msg.sender, msg.policy.sha256, msg.client
                    )
                    if decision.notify:
                        self._notice(msg, decision)
                    return reply_packet(decision.reply)
            msg.recipients.append((raw, address))
            return CONTINUE_PACKET

        return self._guard(step)

    def end_of_message(self, macros: dict[bytes, bytes]) -> bytes:
        def step() -> bytes:
            started = time.monotonic()
            msg = self._msg
            self._msg = None
            if msg is None:
                if self._mail_failed:
                    return TEMPFAIL_PACKET
                raise RuntimeError("end of message before MAIL")
            if msg.failed:
                msg.drop_scan()
                return TEMPFAIL_PACKET
            queue_id = msg.queue_id or _text(macros.get(b"i")) or None
            envelope = Envelope(
                msg.sender,
                tuple(a for _, a in msg.recipients),
                self.path,
                queue_id,
                msg.client,
                msg.auth_user,
                automatic=msg.auto_submitted,
            )

            scan = msg.start_scan_if_needed()
            deadline = started + _MESSAGE_BUDGET_S

            def work() -> Decision:
                try:
                    content = _finish_scan(scan, deadline) if scan is not None else None
                finally:
                    msg.drop_scan()
                if content is not None and content.ocr is not None:
                    self._observer.ocr_used(content.ocr)
                # Local path: DNS questions for all recipients now (SMTP path: asked at RCPT).
                dns = self._dns.gather(msg.policy, envelope.recipients, msg.dns)
                # The contact history matters only to content rules: asked once content is in.
                history = (
                    self._gather_history(msg.policy, envelope) if content is not None else None
                )
                # RDAP (domain age) only for mail with client data, within its own budget.
                needed = rdap_domains_needed(list(envelope.recipients), content, msg.policy)
                rdap = self._rdap.gather(msg.policy.rdap, needed, MessageRdap())
                facts = Facts(
                    content=content,
                    now=dt.datetime.now(dt.UTC),
                    dns=dns,
                    history=history,
                    rdap=rdap,
                )
                return decide(envelope, facts, msg.policy)

            if scan is None and self._dns.answered(msg.policy, envelope.recipients, msg.dns):
                decision = work()  # no scan, no DNS query: pure, nothing can stall
            else:
                decision = self._within_budget(work)
            # Recorded before it is applied: no decision without its audit record.
            self._observer.decision(decision, envelope, msg.message_id)
            packet = self._apply(decision, msg)
            if packet is not TEMPFAIL_PACKET:  # held or delivered as decided: tell
                self._held_notices(decision, envelope, msg)
            if packet is ACCEPT_PACKET and decision.action == "accept":
                self._record_contacts(decision, msg)
            self._observer.decision_seconds(self.path, time.monotonic() - started)
            return packet

        return self._guard(step)

    def header(self, key: bytes, val: bytes) -> None:
        msg = self._msg
        if msg is None or msg.failed:
            return
        try:
            name, value = _text(key), _text(val)
            lower = name.lower()
            if msg.message_id is None and lower == "message-id":
                msg.message_id = value.strip()[:998]
            elif lower == "auto-submitted" and value.strip().lower() != "no":
                msg.auto_submitted = True  # never answer an automatic message with a notice
            elif lower == "precedence" and value.strip().lower() in _BULK:
                msg.auto_submitted = True  # lists and bulk mail (RFC 3834 2): no notice either
            elif msg.subject is None and lower == "subject":
                msg.subject = value[:998]
            scan = msg.start_scan_if_needed()
            if scan is not None:
                scan.header(name, value)
        except Exception:
            self._fail(msg)

    def body(self, chunk: bytes) -> None:
        msg = self._msg
        if msg is None or msg.failed:
            return
        try:
            scan = msg.start_scan_if_needed()
            if scan is not None:
                scan.body(chunk)
        except Exception:
            self._fail(msg)

    def _fail(self, msg: _Message) -> None:
        """An error in an event that gets no reply: remember it, tempfail at end of message."""
        log.exception("milter_internal_error", path=self.path)
        self._observer.internal_error(self.path)
        msg.failed = True
        msg.drop_scan()

    def _reset(self) -> None:
        if self._msg is not None:
            self._msg.drop_scan()
        self._msg = None

    # -- applying a decision -------------------------------------------------------------------
    def _apply(self, decision: Decision, msg: _Message) -> bytes:
        """The decision as milter replies. Fails closed: a refusal without its reply, or an
        action this code does not know, is answered with tempfail, never with accept."""
        action = decision.action
        if action in ("reject", "tempfail"):
            if decision.reply is None or decision.reply.kind != action:
                return self._unexpected(decision)
            return reply_packet(decision.reply)
        if action == "discard":
            return DISCARD_PACKET
        if action not in ("accept", "quarantine"):
            return self._unexpected(decision)
        # decide() keeps the envelope's order; delrcpt needs the address as Postfix gave it
        # (compared case-sensitively).
        for (raw, _), rd in zip(msg.recipients, decision.recipients, strict=True):
            if rd.action == "remove" or rd.action == "redirect":
                for spelling in _spellings(raw, self.path):
                    self.send(codec.packet(codec.DELRCPT, spelling + b"\0"))
            if rd.action == "redirect" and rd.redirect_to is not None:
                self.send(codec.packet(codec.ADDRCPT, f"<{rd.redirect_to}>".encode() + b"\0"))
        for name, value in decision.headers:
            self.send(codec.header_packet(name, value))
        if decision.action == "quarantine":
            why = smtp_safe(f"postwarden rule {decision.rule}: {decision.reason}", 250)
            self.send(codec.packet(codec.QUARANTINE, why.encode("ascii") + b"\0"))
        if not msg.auto_submitted:
            for rd in decision.recipients:
                if rd.notify:
                    self._notice(msg, rd)
        return ACCEPT_PACKET

    def _unexpected(self, decision: Decision) -> bytes:
        log.error("milter_unexpected_decision", path=self.path, action=str(decision.action)[:20])
        self._observer.internal_error(self.path)
        return TEMPFAIL_PACKET

    def _notice(self, msg: _Message, rd: RecipientDecision) -> None:
        notices = msg.policy.notices
        if self._notifier is None or notices is None:
            return
        sender, recipient = msg.sender, rd.address
        if not isinstance(sender, Address) or not isinstance(recipient, Address):
            return
        zones = (msg.policy.retired_zone(d) for d in recipient.domains)
        domain = next((zone.domain for zone in zones if zone is not None), "")
        self._notifier.request(sender, recipient, domain, msg.policy.organisation, notices)

    def _gather_history(self, policy: Policy, envelope: Envelope) -> HistoryFacts | None:
        """The recipients' contact history, or None without a history section. A session
        without a history to ask (never so in ``serve``) has an unreadable one: fail closed."""
        if policy.history is None:
            return None
        if self._history is None:
            return HistoryFacts(error="no history configured in this process")
        return self._history.gather(policy, envelope.recipients)

    def _record_contacts(self, decision: Decision, msg: _Message) -> None:
        """A message that goes on: its accepted recipients become known contacts (queued to
        the history's own thread). Never changes the decision: a failure is counted."""
        if self._history is None or msg.policy.history is None:
            return
        kept = [rd.address for rd in decision.recipients if rd.action == "accept"]
        try:
            self._history.record(msg.policy, kept, decision.client_data)
        except Exception:
            log.exception("history_not_recorded", path=self.path)

    def _held_notices(self, decision: Decision, envelope: Envelope, msg: _Message) -> None:
        """Queue the notices the decision asks for (held mail, officer alerts). After the
        decision is recorded and applied; never changes it: a notice that cannot even be
        queued is logged and counted, and the message stays as decided."""
        policy = msg.policy
        held, notices = policy.held_notices, policy.notices
        if self._notifier is None or held is None or notices is None:
            return
        now = dt.datetime.now(dt.UTC)
        for due in decision.notices:
            try:
                about = held_message(
                    decision,
                    envelope,
                    due.rule,
                    policy.organisation,
                    held.officers,
                    msg.subject if due.kind == "sender_held" else None,
                    now,
                    policy.retention_days,
                    notice_link(
                        held,
                        envelope.queue_id,
                        str(envelope.sender),
                        policy.retention_days,
                        now.timestamp(),
                        self._notifier.gateway,
                    )
                    if due.kind == "sender_held"
                    else None,
                )
                render = render_held if due.kind == "sender_held" else render_alert
                outgoing = Outgoing(
                    due.kind,
                    due.to,
                    notices.relay,
                    functools.partial(render, about, due.to, notices.from_address),
                )
                # Officer alerts are limited per rule; a sender's notices per address.
                key = due.rule if due.kind == "officer_alert" else "held"
                self._notifier.request_message(outgoing, key, held.per_day)
            except Exception:
                log.exception("notice_not_queued", kind=due.kind, path=self.path)
                self._notifier.report(due.kind, "failed")


def _finish_scan(scan: ScanSession, deadline: float) -> ContentFacts:
    """Scan what arrived, once one of the _SCAN_SLOTS is free (before `deadline`)."""
    if not _SCAN_SLOTS.acquire(timeout=max(0.0, deadline - time.monotonic())):
        raise TimeoutError("no scan slot within the per-message time budget")
    try:
        # OCR (the slow part of a scan) ends early enough for the DNS questions and the reply.
        return scan.finish(deadline - _OCR_RESERVE_S)
    finally:
        _SCAN_SLOTS.release()


def _spellings(raw: bytes, path: SubmissionPath) -> list[bytes]:
    """The recipient as Postfix may have it on file. Postfix matches delrcpt, exactly, against
    the recipient as it was submitted; on the local path it shows the milter the rewritten
    address (trailing dot and bang path resolved). Unknown spellings are ignored by Postfix."""
    spellings = [raw]
    if path == "local":
        local, at, domain = raw.strip(b"<>").rpartition(b"@")
        domain = domain.rstrip(b".")
        if at and local and domain:
            for spelling in (local + b"@" + domain + b".", domain + b"!" + local):
                if spelling not in spellings:  # user@domain. and domain!user (swap_bangpath)
                    spellings.append(spelling)
    return spellings
