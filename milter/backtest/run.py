"""run -- a backtest over sources on all cores, streaming, in source order.

`backtest(sources, settings, policy, jobs, ...)` detects every source first (so a wrong path
fails before any work), then walks them: each message's `Locator` (never its bytes) goes to a
worker process that reads, scans and decides it (`judge.judge`); at most WINDOW_PER_JOB
messages per worker are in flight, and results are folded into the `Tally` in source order,
so memory stays flat with the number of messages and ``--jobs 1`` and ``--jobs N`` give the
same report.  ``--jobs 1`` runs in this process.

Workers are started with ``spawn`` (no state forked from this process; each loads the policy
itself and checks it is the file this process loaded: same sha256, or the run stops).

Refuses: a source of an unknown kind (SourceError before anything runs); a worker process that
dies (BacktestError: the report would otherwise be silently incomplete).
"""

from __future__ import annotations

import multiprocessing
import sys
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from milter.backtest.judge import Outcome, Settings, judge
from milter.backtest.sources import KIND_NAMES, Locator, SourceKind, detect, locate, shown
from milter.backtest.tally import Tally
from milter.core.engine import DNS_RULES
from milter.policy import load_policy
from milter.policy.model import Policy

WINDOW_PER_JOB = 8

_worker: tuple[Settings, Policy] | None = None


class BacktestError(Exception):
    """The run could not be completed."""


def _init_worker(settings: Settings) -> None:
    global _worker
    policy = load_policy(settings.policy_path)
    if policy.sha256 != settings.policy_sha256:
        raise BacktestError(f"{settings.policy_path} changed while the backtest started")
    _worker = (settings, policy)


def _judge_in_worker(loc: Locator) -> Outcome:
    assert _worker is not None
    settings, policy = _worker
    return judge(loc, settings, policy)


def detect_all(paths: Sequence[str]) -> list[tuple[str, SourceKind]]:
    """Every source with its kind; SourceError for the first that is none of the kinds."""
    return [(path, detect(path)) for path in paths]


def _outcomes(
    kinds: list[tuple[str, SourceKind]], settings: Settings, policy: Policy, jobs: int
) -> Iterator[tuple[int, Outcome]]:
    """(source index, outcome) for every message, in source order."""
    located = (
        (index, loc) for index, (path, kind) in enumerate(kinds) for loc in locate(path, kind)
    )
    if jobs <= 1:
        for index, loc in located:
            yield index, judge(loc, settings, policy)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(jobs, context, _init_worker, (settings,)) as pool:
        window: deque[tuple[int, Future[Outcome]]] = deque()
        try:
            for index, loc in located:
                window.append((index, pool.submit(_judge_in_worker, loc)))
                if len(window) >= jobs * WINDOW_PER_JOB:
                    first, future = window.popleft()
                    yield first, future.result()
            while window:
                first, future = window.popleft()
                yield first, future.result()
        except BrokenProcessPool:
            raise BacktestError("a worker process died; the report would be incomplete") from None
        finally:
            for _, pending in window:
                pending.cancel()


class Progress:
    """A one-line counter on stderr, only when stderr is a terminal."""

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.started = time.monotonic()
        self.shown = 0.0

    def update(self, tally: Tally, force: bool = False) -> None:
        now = time.monotonic()
        if not self.enabled or (not force and now - self.shown < 0.2):
            return
        self.shown = now
        rate = tally.messages / max(now - self.started, 1e-6)
        held = tally.decisions.get("quarantine", 0)
        refused = tally.decisions.get("reject", 0)
        sys.stderr.write(
            f"\rbacktest: {tally.messages} messages ({rate:.1f}/s), {held} held, "
            f"{refused} refused, {tally.unreadable} unreadable "
        )
        sys.stderr.flush()

    def done(self, tally: Tally) -> None:
        if self.enabled:
            self.update(tally, force=True)
            sys.stderr.write("\n")


def backtest(
    paths: Sequence[str],
    settings: Settings,
    policy: Policy,
    jobs: int,
    samples: int = 5,
    top: int = 10,
    progress: Progress | None = None,
) -> Tally:
    """Judge every message of `paths` (see the module docstring)."""
    kinds = detect_all(paths)
    tally = Tally(policy.source, policy.sha256, policy.organisation, samples=samples, top=top)
    if policy.dns is not None:
        tally.dns_rules_skipped = list(DNS_RULES)
    for path, kind in kinds:
        tally.source(shown(path), kind)
    progress = progress or Progress(False)
    for index, outcome in _outcomes(kinds, settings, policy, jobs):
        tally.add(outcome, index)
        progress.update(tally)
    progress.done(tally)
    return tally


__all__ = ["KIND_NAMES", "BacktestError", "Progress", "backtest", "detect_all"]
