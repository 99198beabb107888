"""audit.processors -- the steps that turn an audit record's fields into one line of JSON.

SYNOPSIS
    steps = pipeline(clock=time.time, node="mx1", chain=writer_chain_step)
    clean_text(outside_text)                       # also for record builders

DESCRIPTION
    structlog runs these over the record as a plain dict; each step is a small callable,
    testable alone. pipeline() gives them in the order the trail needs:

        rename_event   structlog's 'event' becomes the record's 'kind'
        add_time       'time': UTC, ISO 8601 with microseconds and 'Z'
        add_node       'node': the host that decided
        mask_samples   at most 3 samples per finding, only masked ones; short part names
        bound_text     every string (nested too) cleaned and cut to 512 characters
        chain          'seq' and 'prev' (the writer's own step: it holds the chain head)
        order_keys     seq, time, kind, node first, the kind's fields, prev last
        JSON           compact, ASCII only, one line

    What it refuses to pass on: a finding sample without a mask character ('*') is replaced
    by a marker (it would be client data); control, format (bidi) and line-separator
    characters in outside text become '?', so a record stays one line and reads as written.

DIAGNOSTICS
    None: the steps do not fail on odd values; a value JSON cannot hold is written as its
    str().
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

MASK_CHARS = "*"
MAX_TEXT = 512  # any string from outside (addresses, reasons naming domains)
MAX_WHERE = 64
MAX_WHERES = 8
MAX_SAMPLES = 3
MAX_SAMPLE_LEN = 40
WITHHELD = "[unmasked sample withheld]"

_BIDI_AND_CONTROL = {"Cc", "Cf", "Zl", "Zp"}


def add_time(clock: Callable[[], float]) -> Processor:
    """Processor: 'time' as UTC ISO 8601 with microseconds and 'Z'."""

    def processor(_logger: WrappedLogger, _name: str, ev: EventDict) -> EventDict:
        when = dt.datetime.fromtimestamp(clock(), dt.UTC)
        ev["time"] = when.isoformat(timespec="microseconds").replace("+00:00", "Z")
        return ev

    return processor


def add_node(node: str) -> Processor:
    """Processor: 'node', the host that decided."""

    def processor(_logger: WrappedLogger, _name: str, ev: EventDict) -> EventDict:
        ev["node"] = node
        return ev

    return processor


def clean_text(text: str, limit: int = MAX_TEXT) -> str:
    """Outside text made safe to read: no control or bidi characters, at most `limit` chars."""
    if text.isprintable():  # fast path: no control, format (bidi) or line separators
        safe = text
    else:
        safe = "".join("?" if unicodedata.category(c) in _BIDI_AND_CONTROL else c for c in text)
    return safe if len(safe) <= limit else safe[:limit] + "..."


# Values that hold no text: returned as they are without the ABC checks below (a record has
# some thirty values; isinstance(value, Mapping) is the slow part of walking them).
_NO_TEXT = frozenset({int, float, bool, type(None)})


def _bound(value: Any, limit: int) -> Any:
    kind = type(value)
    if kind is str:
        return clean_text(value, limit)
    if kind in _NO_TEXT:
        return value
    if kind is dict or isinstance(value, Mapping):
        return {k: _bound(v, limit) for k, v in value.items()}
    if kind is list or kind is tuple or isinstance(value, list | tuple):
        return [_bound(v, limit) for v in value]
    if isinstance(value, str):  # a str subclass
        return clean_text(value, limit)
    return value


def bound_text(limit: int = MAX_TEXT) -> Processor:
    """Processor: every string value (nested too) cleaned and truncated to `limit`."""

    def processor(_logger: WrappedLogger, _name: str, ev: EventDict) -> EventDict:
        for key, value in ev.items():
            ev[key] = _bound(value, limit)
        return ev

    return processor


def _masked(sample: str) -> str:
    if not any(c in MASK_CHARS for c in sample):
        return WITHHELD
    return clean_text(sample, MAX_SAMPLE_LEN)


def mask_samples(_logger: WrappedLogger, _name: str, ev: EventDict) -> EventDict:
    """Processor: at most 3 short samples per finding, only masked ones; short part names.

    A detector is expected to mask what it found ('12*****89'); a sample with no mask
    character would be client data, so it is replaced by a marker rather than written.
    """
    findings = ev.get("findings")
    if isinstance(findings, list):
        for finding in findings:
            if isinstance(finding, MutableMapping):
                samples = finding.get("samples") or []
                finding["samples"] = [_masked(str(s)) for s in list(samples)[:MAX_SAMPLES]]
                where = finding.get("where") or []
                finding["where"] = [clean_text(str(w), MAX_WHERE) for w in list(where)[:MAX_WHERES]]
    return ev


def rename_event(_logger: WrappedLogger, _name: str, ev: EventDict) -> EventDict:
    """Processor: structlog's 'event' is our record 'kind'."""
    ev["kind"] = ev.pop("event")
    return ev


def order_keys(_logger: WrappedLogger, _name: str, ev: EventDict) -> EventDict:
    """Processor: seq, time, kind, node first, the kind's fields, prev last."""
    head = {k: ev.pop(k) for k in ("seq", "time", "kind", "node") if k in ev}
    prev = ev.pop("prev", None)
    ordered: EventDict = {**head, **ev}
    if prev is not None:
        ordered["prev"] = prev
    return ordered


def _dumps(obj: Any, **_kw: Any) -> str:
    return json.dumps(obj, ensure_ascii=True, separators=(",", ":"), default=str)


def pipeline(clock: Callable[[], float], node: str, chain: Processor) -> list[Processor]:
    """The steps in order, ending in the JSON line; `chain` adds seq and prev."""
    return [
        rename_event,
        add_time(clock),
        add_node(node),
        mask_samples,
        bound_text(),
        chain,
        order_keys,
        structlog.processors.JSONRenderer(serializer=_dumps),
    ]
