"""Run ``postwarden serve`` with experimental patches: measure a proposed milter change
without editing milter/ (the benchmark's evidence for the lead; never used in production).

    python -m tests.bench.variants VARIANT[,VARIANT...] serve --policy FILE --listen ...

Variants:
  lean-framing  python-libmilter's dataReceived/_procCmdAndData replaced by equivalents
                without its debug() calls, which format every received buffer and every
                parsed packet with %r even when DEBUG is 0 (a 64 KB body chunk is repr'd twice)
  skip-body     when the policy in force has no content rules, negotiate SMFIP_NOHDRS |
                SMFIP_NOBODY | SMFIP_NOEOH: Postfix then sends no headers or body at all
  nr-mail       also negotiate SMFIP_NR_MAIL: MAIL always continues, so Postfix need not
                wait for that reply (one round trip less per message)
  inline-budget run each event's work inline instead of handing it to the adapter's thread
                pool to enforce the per-message time budget (measures the hand-off's cost)
  tracemalloc   trace Python allocations; on SIGUSR2 append the 15 biggest growths since the
                previous SIGUSR2 (by line) to $BENCH_TRACEMALLOC_OUT (diagnosis of RSS growth)
  none          no patch (the baseline, through the same launcher)
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import libmilter as lm


def _lean_data_received(self: Any, buf: bytes) -> None:
    """Length-prefixed framing over one growing buffer; whole packets go to dispatch."""
    pending: bytearray | None = getattr(self, "_bench_pending", None)
    if pending is None:
        pending = self._bench_pending = bytearray()
    pending += buf
    cmds: list[bytes] = []
    pos, end = 0, len(pending)
    while end - pos >= 4:
        length = int.from_bytes(pending[pos : pos + 4], "big")
        if end - pos - 4 < length:
            break
        cmds.append(bytes(pending[pos + 4 : pos + 4 + length]))
        pos += 4 + length
    del pending[:pos]
    if cmds:
        self._procCmdAndData(cmds)


def _lean_dispatch(self: Any, cmds: list[bytes]) -> None:
    """python-libmilter's _procCmdAndData, same semantics, no debug() formatting."""
    for cmd in cmds:
        first = cmd[:1]
        if first == lm.SMFIC_OPTNEG:
            self.send(self._negotiate(cmd))
            continue
        if first == lm.SMFIC_ABORT:
            self._abort()
            continue
        if first in (lm.SMFIC_QUIT, lm.SMFIC_QUIT_NC):
            self._close()
            continue
        if first == lm.SMFIC_MACRO:
            self._lastMacro = cmd
            continue
        handler = self._MACMAP.get(first)
        if handler is None:
            raise lm.UnsupportedError(f"Unsupported MACRO in {self.id}: {first!r}")
        last = self._lastMacro
        macro = last if last is not None and len(last) > 1 and last[1:2] == first else None
        name = lm.protoMap.get(first)
        if name is not None:
            no_callback, no_reply = lm.optCBs[name]
            if self.protos & no_callback:
                continue
            if self.protos & no_reply:
                handler(macro, [cmd])
                continue
        reply = handler(macro, [cmd]) or lm.CONTINUE
        if not isinstance(reply, lm.Deferred):
            self.send(reply)


def lean_framing() -> None:
    lm.MilterProtocol.dataReceived = _lean_data_received
    lm.MilterProtocol._procCmdAndData = _lean_dispatch


def skip_body() -> None:
    from milter import adapter

    original = adapter.MilterSession.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if getattr(self._policies.current, "content", None) is None:
            self.protos |= lm.SMFIP_NOHDRS | lm.SMFIP_NOBODY | lm.SMFIP_NOEOH

    adapter.MilterSession.__init__ = init  # type: ignore[method-assign]


def nr_mail() -> None:
    from milter import adapter

    original = adapter.MilterSession.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.protos |= lm.SMFIP_NR_MAIL

    adapter.MilterSession.__init__ = init  # type: ignore[method-assign]


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
    from milter import adapter

    if hasattr(adapter.MilterSession, "_within_budget"):
        adapter.MilterSession._within_budget = lambda self, work: work()


VARIANTS: dict[str, Callable[[], None]] = {
    "none": lambda: None,
    "lean-framing": lean_framing,
    "skip-body": skip_body,
    "nr-mail": nr_mail,
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
    from milter.cli import main as cli_main

    sys.exit(cli_main(sys.argv[2:]))


if __name__ == "__main__":
    main()
