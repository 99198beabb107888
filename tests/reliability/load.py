"""A bounded load generator that sends like an MTA, and the ledger that counts the outcome.

``plan`` makes N messages, each with a unique Message-ID, of five kinds: to allowed recipients
only, to allowed and retired-domain recipients, to retired-domain recipients only, and the
first two again carrying client data (BSNs, IBANs, case sentences; see ``sentinels``). Most go
over SMTP, some through ``sendmail``.

``LoadGenerator`` sends them over parallel SMTP sessions and a ``sendmail`` worker and retries
like a real MTA: a recipient refused with 5xx is given up, anything answered with 4xx (or a
dropped connection) is sent again on a fresh session after a short pause, until every
recipient has a final answer. ``Outcome`` records per message what the client was told.

``expected_fate`` asks ``postwarden check --json`` (in-process, the same decision code the
milter runs) what the policy does with each kind of message: deliver to the allowed
recipients, hold (quarantine) or refuse. ``Ledger`` then counts by Message-ID what reached the
sink and what sits in the hold queue, and lists every way that differs from the plan.
"""

from __future__ import annotations

import contextlib
import heapq
import io
import itertools
import json
import random
import re
import smtplib
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from milter.cli.main import main as postwarden
from tests.e2e.postfix import PostfixInstance, SinkMessage, SmtpSession
from tests.reliability.conversations import SENDER, is_retired
from tests.reliability.inprocess import POLICY
from tests.reliability.sentinels import body_text

Kind = Literal["allowed", "mixed", "retired", "client_data", "client_data_mixed"]
SubmitPath = Literal["smtp", "local"]
# Spellings included that Postfix rewrites on the local path before the milter sees them
# (trailing dot, bang path): see test_local_path.py.
RETIRED_RECIPIENTS = (
    "b@bjzutrecht.nl",
    "c@mail.bjzflevo.nl",
    "B@BJZUTRECHT.NL",
    "B@BJZUTRECHT.NL.",
    "bjzutrecht.nl!d",
)
_KINDS: tuple[tuple[Kind, int], ...] = (
    ("allowed", 45),
    ("mixed", 20),
    ("retired", 15),
    ("client_data", 12),
    ("client_data_mixed", 8),
)
NEUTRAL_BODY = (
    "Goedemiddag,\r\n\r\nHierbij de agenda voor dinsdag.\r\n\r\nGroet, het secretariaat\r\n"
)


@dataclass(frozen=True)
class Planned:
    """One message to send."""

    n: int
    run: str
    path: SubmitPath
    kind: Kind
    recipients: tuple[str, ...]

    @property
    def message_id(self) -> str:
        return f"<{self.run}.{self.n}@samen-veilig.nl>"

    @property
    def allowed(self) -> tuple[str, ...]:
        return tuple(r for r in self.recipients if not is_retired(r))

    @property
    def shape(self) -> tuple[SubmitPath, Kind, int]:
        return self.path, self.kind, self.n % 2

    def data(self) -> bytes:
        body = body_text(self.n) if self.kind.startswith("client_data") else NEUTRAL_BODY
        head = (
            f"From: {SENDER}\r\nTo: {', '.join(self.recipients)}\r\n"
            f"Subject: {self.run} {self.n} {self.kind}\r\nMessage-ID: {self.message_id}\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n"
        )
        return (head + body).encode()


def plan(run: str, count: int, seed: int, local_share: float = 0.1) -> list[Planned]:
    """``count`` messages of mixed kinds, ``local_share`` of them via sendmail."""
    rng = random.Random(seed)
    kinds = [k for k, weight in _KINDS for _ in range(weight)]
    plans = []
    for n in range(count):
        kind: Kind = rng.choice(kinds)
        path: SubmitPath = "local" if rng.random() < local_share and kind != "retired" else "smtp"
        allowed = [f"r{n}.{k}@partner.example" for k in range(rng.randint(1, 2))]
        retired = rng.sample(RETIRED_RECIPIENTS, rng.randint(1, 2))
        recipients = {
            "allowed": allowed,
            "client_data": allowed,
            "retired": retired,
        }.get(kind, allowed + retired)
        rng.shuffle(recipients)
        plans.append(Planned(n, run, path, kind, tuple(recipients)))
    return plans


@dataclass(frozen=True)
class Fate:
    """What the policy does with a message: ``deliver`` to the allowed recipients, ``hold``
    (quarantine) or ``refuse``."""

    action: Literal["deliver", "hold", "refuse"]


def expected_fate(
    plans: Iterable[Planned], outputs: list[str] | None = None
) -> dict[tuple[SubmitPath, Kind, int], Fate]:
    """The policy's verdict for each shape of message, from ``postwarden check --json``
    (whose output is appended to ``outputs``: it is scanned for leaks too)."""
    fates: dict[tuple[SubmitPath, Kind, int], Fate] = {}
    for planned in plans:
        if planned.shape in fates:
            continue
        with tempfile.NamedTemporaryFile(suffix=".eml") as eml:
            eml.write(planned.data())
            eml.flush()
            argv = ["check", "--policy", str(POLICY), "--from", SENDER, "--json", eml.name]
            argv += [a for r in planned.recipients for a in ("--to", r)]
            argv += ["--local"] if planned.path == "local" else []
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                assert postwarden(argv) == 0
        verdict = json.loads(out.getvalue())
        if outputs is not None:
            outputs.append(out.getvalue())
        kept = [r["address"] for r in verdict["recipients"] if r["action"] == "accept"]
        if verdict["action"] == "quarantine":
            fates[planned.shape] = Fate("hold")
        elif verdict["action"] == "accept" and kept:
            fates[planned.shape] = Fate("deliver")
        else:
            fates[planned.shape] = Fate("refuse")
        assert all(not is_retired(r) for r in kept), verdict
    return fates


@dataclass
class Outcome:
    """What the sending side was told about one message, over all its attempts."""

    accepted: set[str] = field(default_factory=set)  # 2xx after end of data / sendmail exit 0
    refused: dict[str, int] = field(default_factory=dict)  # 5xx: given up, like an MTA
    attempts: int = 0
    tempfails: int = 0
    done: bool = False


class _Schedule:
    """Messages due now or later; ``get`` blocks until one is due or all are done."""

    def __init__(self, plans: Iterable[Planned]) -> None:
        self._heap: list[tuple[float, int, Planned]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._open = 0
        for planned in plans:
            self.later(planned, 0.0)

    def later(self, planned: Planned, delay: float) -> None:
        with self._cond:
            heapq.heappush(self._heap, (time.monotonic() + delay, next(self._seq), planned))
            self._open += 1
            self._cond.notify()

    def finished(self) -> None:
        with self._cond:
            self._open -= 1
            self._cond.notify_all()

    def get(self, path: SubmitPath, deadline: float) -> Planned | None:
        with self._cond:
            while True:
                now = time.monotonic()
                if self._open == 0 or now > deadline:
                    return None
                first = min((e for e in self._heap if e[2].path == path), default=None)
                if first is not None and first[0] <= now:
                    self._heap.remove(first)
                    heapq.heapify(self._heap)
                    return first[2]
                wait = min(first[0] - now, 0.1) if first is not None else 0.1
                self._cond.wait(max(wait, 0.001))


def _dot_stuffed(data: bytes) -> bytes:
    data = re.sub(rb"(?m)^\.", b"..", data)
    return data + (b"" if data.endswith(b"\r\n") else b"\r\n") + b".\r\n"


class LoadGenerator:
    """Sends ``plans`` to ``postfix`` over ``sessions`` SMTP connections and sendmail."""

    def __init__(
        self,
        postfix: PostfixInstance,
        plans: list[Planned],
        *,
        sessions: int = 20,
        seed: int = 0,
        time_limit: float = 240.0,
        pace: float = 0.0,
    ) -> None:
        self.postfix = postfix
        self.plans = plans
        self.outcomes = {p.n: Outcome() for p in plans}
        self._sessions = sessions
        self._rng = random.Random(seed)
        self._rng_lock = threading.Lock()
        self._schedule = _Schedule(plans)
        self._deadline = time.monotonic() + time_limit
        self._pace = pace  # seconds each SMTP session waits between transactions
        self._done = 0
        self._lock = threading.Lock()
        self.seconds = 0.0

    @property
    def done(self) -> int:
        """Messages with a final answer for every recipient."""
        with self._lock:
            return self._done

    def run(self) -> None:
        started = time.monotonic()
        workers = [
            threading.Thread(target=self._smtp_worker, name=f"load-smtp-{i}")
            for i in range(self._sessions)
        ]
        workers.append(threading.Thread(target=self._local_worker, name="load-sendmail"))
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        self.seconds = time.monotonic() - started

    def _backoff(self, tempfails: int) -> float:
        """Pause before the next attempt: doubling from 0.25 s up to 2 s, with jitter."""
        with self._rng_lock:
            return min(2.0, 0.25 * 2 ** min(tempfails - 1, 3)) * self._rng.uniform(0.8, 1.2)

    def _settle(self, planned: Planned, again: bool) -> None:
        if again:
            self._schedule.later(planned, self._backoff(self.outcomes[planned.n].tempfails))
        else:
            with self._lock:
                self.outcomes[planned.n].done = True
                self._done += 1
        self._schedule.finished()

    def _smtp_worker(self) -> None:
        session: SmtpSession | None = None
        while (planned := self._schedule.get("smtp", self._deadline)) is not None:
            outcome = self.outcomes[planned.n]
            outcome.attempts += 1
            try:
                if session is None:
                    session = SmtpSession(self.postfix.smtp_port, timeout=60)
                again = self._transaction(session, planned, outcome)
            except (smtplib.SMTPException, OSError):
                again = True
            if again:
                outcome.tempfails += 1
                if session is not None:  # a fresh session gets a fresh milter connection
                    session.close()
                    session = None
            self._settle(planned, again)
            if self._pace:
                time.sleep(self._pace)
        if session is not None:
            session.close()

    def _transaction(self, session: SmtpSession, planned: Planned, outcome: Outcome) -> bool:
        """One attempt; True if it must be retried."""
        pending = [
            r for r in planned.recipients if r not in outcome.accepted and r not in outcome.refused
        ]
        mail = session.command("MAIL", f"FROM:<{SENDER}>")
        if mail.code // 100 != 2:
            return True
        ok_now, again = [], False
        for rcpt in pending:
            reply = session.command("RCPT", f"TO:<{rcpt}>")
            if reply.code // 100 == 2:
                ok_now.append(rcpt)
            elif reply.code // 100 == 5:
                outcome.refused[rcpt] = reply.code
            else:
                again = True
        if not ok_now:
            session.command("RSET")
            return again
        data = session.command("DATA")
        if data.code != 354:
            session.command("RSET")
            return True
        session.smtp.send(_dot_stuffed(planned.data()))
        code, _ = session.smtp.getreply()
        if code // 100 == 2:
            outcome.accepted.update(ok_now)
        elif code // 100 == 5:
            outcome.refused.update(dict.fromkeys(ok_now, code))
        else:
            again = True
        return again

    def _local_worker(self) -> None:
        while (planned := self._schedule.get("local", self._deadline)) is not None:
            outcome = self.outcomes[planned.n]
            outcome.attempts += 1
            proc = self.postfix.sendmail(SENDER, list(planned.recipients), planned.data())
            if proc.returncode == 0:
                outcome.accepted.update(planned.recipients)  # Postfix took responsibility
            else:
                outcome.tempfails += 1
            self._settle(planned, proc.returncode != 0)


def held_message_ids(postfix: PostfixInstance) -> list[tuple[str, list[str]]]:
    """(Message-ID, recipients) of every message in the hold queue."""
    held = []
    for entry in postfix.postqueue_json():
        if entry["queue_name"] != "hold":
            continue
        text = postfix.postcat(entry["queue_id"])
        match = re.search(r"(?im)^Message-ID:\s*(<[^>]+>)", text)
        rcpts = [r["address"] for r in entry.get("recipients", [])]
        held.append((match.group(1) if match else "?", rcpts))
    return held


@dataclass
class Ledger:
    """Deliveries and held messages counted by Message-ID against the plan."""

    plans: list[Planned]
    outcomes: dict[int, Outcome]
    fates: dict[tuple[SubmitPath, Kind, int], Fate]
    delivered: Counter[tuple[int, str]] = field(default_factory=Counter)
    held: Counter[int] = field(default_factory=Counter)
    to_retired: list[str] = field(default_factory=list)
    strangers: list[str] = field(default_factory=list)

    def count(self, sink: Iterable[SinkMessage], held: Iterable[tuple[str, list[str]]]) -> None:
        by_id = {p.message_id: p.n for p in self.plans}
        for message in sink:
            rcpts = list(message.rcpt_tos)
            self.to_retired += [
                f"{message.header('Message-ID')} -> {r}" for r in rcpts if is_retired(r)
            ]
            mid = message.header("Message-ID") or ""
            if mid in by_id:
                for rcpt in rcpts:
                    self.delivered[by_id[mid], rcpt.lower()] += 1
            else:  # a bounce, a notice, or mail this run never sent
                self.strangers.append(f"{mid} from {message.mail_from!r} to {rcpts}")
        for mid, rcpts in held:
            self.to_retired += [f"held {mid} -> {r}" for r in rcpts if is_retired(r)]
            if mid in by_id:
                self.held[by_id[mid]] += 1

    def problems(self) -> dict[str, list[str]]:
        """Every deviation from the plan, by kind (all lists empty: the run was clean)."""
        out: dict[str, list[str]] = {
            "lost": [], "duplicated": [], "gave_up": [], "held_wrongly": [],
            "to_retired": list(self.to_retired), "strangers": list(self.strangers),
        }  # fmt: skip
        for p in self.plans:
            outcome = self.outcomes[p.n]
            if not outcome.done:
                out["gave_up"].append(f"{p.n} after {outcome.attempts} attempts")
                continue
            fate = self.fates[p.shape].action
            for rcpt in p.allowed:
                got = self.delivered[p.n, rcpt.lower()]
                want = 1 if fate == "deliver" else 0
                if got > want:
                    out["duplicated"].append(f"{p.n} {p.kind} {rcpt}: {got}x")
                elif got < want:
                    out["lost"].append(f"{p.n} {p.kind} {p.path} {rcpt}: told {outcome}")
            held_want = 1 if fate == "hold" else 0
            if self.held[p.n] != held_want:
                out["held_wrongly"].append(f"{p.n} {p.kind}: held {self.held[p.n]}x")
        return out

    def expected_deliveries(self) -> int:
        return sum(len(p.allowed) for p in self.plans if self.fates[p.shape].action == "deliver")

    def summary(self) -> dict[str, int]:
        return {
            "messages": len(self.plans),
            "smtp": sum(p.path == "smtp" for p in self.plans),
            "sendmail": sum(p.path == "local" for p in self.plans),
            "attempts": sum(o.attempts for o in self.outcomes.values()),
            "retried_messages": sum(o.tempfails > 0 for o in self.outcomes.values()),
            "tempfails": sum(o.tempfails for o in self.outcomes.values()),
            "refused_recipients": sum(len(o.refused) for o in self.outcomes.values()),
            "deliveries_expected": self.expected_deliveries(),
            "delivered": sum(self.delivered.values()),
            "held": sum(self.held.values()),
        }
