"""Run ``postwarden serve`` with experimental patches: measure a proposed milter change
without editing milter/ (the benchmark's evidence for the lead; never used in production).

    python -m bench.variants VARIANT[,VARIANT...] serve --policy FILE --listen ...

Variants (lean framing and SMFIP_NR_MAIL, measured here first, are now in milter/adapter.py):
  skip-body     when the policy in force has no content rules, negotiate SMFIP_NOHDRS |
                SMFIP_NOBODY | SMFIP_NOEOH: Postfix then sends no headers or body at all
  inline-budget run each event's work inline instead of handing it to the adapter's thread
                pool to enforce the per-message time budget (measures the hand-off's cost)
  one-loop      serve every connection from one selector thread instead of a thread per
                connection (recv and feed in that thread; no per-event budget thread is
                needed by the measurement, but a stalled lookup would stall every connection:
                measures what the threads cost, not a deployable design)
  loop-handoff  one-loop, but every read that completes an end of message (or an RCPT) is
                handed with the connection to a thread pool (the connection leaves the
                loop until the reply is sent): what a deployable loop would keep of one-loop's
                gain, since the work that may stall never runs in the loop thread
  loop-eom-handoff  loop-handoff, but only the end of message goes to the pool (an RCPT
                whose DNS answer is not cached would stall the loop: measurement only)
  switch-1ms    sys.setswitchinterval(0.001) (CPython's default is 5 ms): a thread woken by
                Postfix's packet waits at most that long for the GIL while another scans
  switch-0.5ms  the same with 0.5 ms
  python-framing  the Python framing (protocol/codec.py) with the native content core: what
                the native framing (protocol/native.py's Wire) saves, measured against it
  tracemalloc   trace Python allocations; on SIGUSR2 append the 15 biggest growths since the
                previous SIGUSR2 (by line) to $BENCH_TRACEMALLOC_OUT (diagnosis of RSS growth)
  none          no patch (the baseline, through the same launcher)
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import libmilter as lm


def skip_body() -> None:
    from milter.server import session as adapter

    original = adapter.MilterSession._negotiate

    def negotiate(self: Any, packet: bytes) -> bytes:
        reply = original(self, packet)
        if getattr(self._policies.current, "content", None) is None:
            offered = int.from_bytes(packet[9:13], "big")
            self.protocol |= (lm.SMFIP_NOHDRS | lm.SMFIP_NOBODY | lm.SMFIP_NOEOH) & offered
            reply = reply[:-4] + self.protocol.to_bytes(4, "big")
        return reply

    adapter.MilterSession._negotiate = negotiate  # type: ignore[method-assign]


def trace_allocations() -> None:
    import os
    import signal
    import tracemalloc

    tracemalloc.start(5)
    out = os.environ.get("BENCH_TRACEMALLOC_OUT", "tracemalloc.txt")
    previous: list[tracemalloc.Snapshot] = []

    def dump(_signum: int, _frame: object) -> None:
        snap = tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.Filter(False, tracemalloc.__file__)]
        )
        with open(out, "a") as f:
            total = sum(stat.size for stat in snap.statistics("filename"))
            f.write(f"--- traced {total / 1024:.0f} KiB\n")
            if previous:
                for stat in snap.compare_to(previous[-1], "lineno")[:15]:
                    f.write(f"{stat}\n")
        previous[:] = [snap]

    signal.signal(signal.SIGUSR2, dump)


def inline_budget() -> None:
    from milter.server import session as adapter

    if hasattr(adapter.MilterSession, "_within_budget"):
        adapter.MilterSession._within_budget = lambda self, work: work()


def _loop_server(handoff: bool, eom_only: bool = False) -> None:
    import concurrent.futures
    import selectors
    import threading

    from milter.protocol import codec
    from milter.server import listeners
    from milter.server.session import MilterSession

    sel = selectors.DefaultSelector()
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=32, thread_name_prefix="milter-work")
    started: list[threading.Thread] = []
    waiting = {codec.BODYEOB, codec.RCPT}

    def completes_waiting(buffered: bytes) -> bool:
        """Does the data hold a whole RCPT or end-of-message packet (the events that work)?"""
        pos = 0
        while len(buffered) - pos >= 5:
            length = int.from_bytes(buffered[pos : pos + 4], "big")
            if len(buffered) - pos - 4 < length:
                return False
            if buffered[pos + 4 : pos + 5] in waiting:
                return True
            pos += 4 + length
        return False

    def finish(conn: Any, session: Any, data: bytes) -> None:
        ok = True
        try:
            session.feed(data)
        except Exception:
            ok = False
        if not ok or session.closed:
            conn.close()
        else:
            sel.register(conn, selectors.EVENT_READ, session)

    def loop() -> None:
        while True:
            for key, _ in sel.select(timeout=0.5):
                conn, session = key.fileobj, key.data
                try:
                    data = conn.recv(65536)  # type: ignore[union-attr]
                except OSError:
                    data = b""
                if eom_only:  # the end of message is Postfix's last packet before it waits
                    hand = data.endswith(b"\0\0\0\1" + codec.BODYEOB)
                else:
                    hand = handoff and completes_waiting(bytes(session._pending) + data)
                if data and hand:
                    sel.unregister(conn)
                    pool.submit(finish, conn, session, data)
                    continue
                try:
                    if data:
                        session.feed(data)
                except Exception:
                    data = b""
                if not data or session.closed:
                    sel.unregister(conn)
                    conn.close()  # type: ignore[union-attr]

    def start_session(self: Any, conn: Any, path: Any) -> None:
        session = MilterSession(
            conn,
            path,
            self._policies,
            self._observer,
            self._notifier,
            self._dns,
            self._history,
            self._rdap,
        )
        if not started:
            started.append(threading.Thread(target=loop, name="milter-loop", daemon=True))
            started[0].start()
        sel.register(conn, selectors.EVENT_READ, session)

    listeners.MilterServer._start_session = start_session  # type: ignore[method-assign]


def one_loop() -> None:
    _loop_server(handoff=False)


def loop_handoff() -> None:
    _loop_server(handoff=True)


def loop_eom_handoff() -> None:
    _loop_server(handoff=True, eom_only=True)


def python_framing() -> None:
    import milter.protocol.native as native_wire

    native_wire.Wire = None


def switch_interval(seconds: float) -> Callable[[], None]:
    def apply() -> None:
        sys.setswitchinterval(seconds)

    return apply


VARIANTS: dict[str, Callable[[], None]] = {
    "switch-1ms": switch_interval(0.001),
    "switch-0.5ms": switch_interval(0.0005),
    "one-loop": one_loop,
    "loop-handoff": loop_handoff,
    "loop-eom-handoff": loop_eom_handoff,
    "none": lambda: None,
    "python-framing": python_framing,
    "skip-body": skip_body,
    "tracemalloc": trace_allocations,
    "inline-budget": inline_budget,
}


def main() -> None:
    names = sys.argv[1].split(",")
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        sys.exit(f"unknown variant(s) {unknown}; known: {', '.join(VARIANTS)}")
    for name in names:
        VARIANTS[name]()
    from milter.cli.main import main as cli_main

    sys.exit(cli_main(sys.argv[2:]))


if __name__ == "__main__":
    main()
