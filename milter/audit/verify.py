"""audit.verify -- check an audit trail's hash chain: ``postwarden audit verify``.

SYNOPSIS
    result = verify(["audit.jsonl.1", "audit.jsonl"], checkpoints=[Checkpoint(5120, "3fa2...")])
    print(result)                                  # 'ok: ...' or 'FILE:LINE: KIND: detail'
    result.ok

DESCRIPTION
    Reads the files (rotated ones in any order, '.gz' as they are: they are put in chain order
    by their first seq) and follows the chain record by record: each record's seq must be
    one more than the last, and its 'prev' the sha256 of the last one's line. The first
    record that does not follow is reported with its file:line and what it looks like, as
    well as the chain can tell:

        edited      a field, the seq or the 'prev' of a record was changed
        deleted     records are missing (a gap in seq, also between files)
        reordered   a record comes before or after its place
        inserted    a record (or an empty line) that is not part of the chain
        truncated   a half line at the end, or the chain ends before a checkpoint's seq

    Checkpoints (the seq and hash prefix the writer exported to the metrics and the service
    log) catch what the files alone cannot: a tail cut off after a checkpoint, and a chain
    rewritten (every hash recomputed) before one. A chain that starts after seq 1 (earlier
    files not given) is checked from where it starts, with a note.

    It refuses to repair or skip anything: the first problem ends the check.

DIAGNOSTICS
    ValueError from Checkpoint.parse for text that is not SEQ or SEQ:HASH (8 to 64 hex
    digits). OSError (FileNotFoundError) for a file that cannot be read.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from milter.audit.records import GENESIS, KIND

_HEX = re.compile(r"[0-9a-f]{64}")

LOOKAHEAD = 64  # records read ahead to tell an insertion or a reordering from a gap


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A chain position witnessed outside the file: seq, and optionally a hash prefix."""

    seq: int
    hash: str | None = None

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """'SEQ' or 'SEQ:HASH' (HASH: 8 to 64 hex digits, a prefix of the record's sha256)."""
        seq, _, digest = text.partition(":")
        digest = digest.strip().lower()
        if not seq.strip().isdigit() or int(seq) < 1:
            raise ValueError(f"expected SEQ or SEQ:HASH, got {text!r}")
        if digest and not re.fullmatch(r"[0-9a-f]{8,64}", digest):
            raise ValueError(f"the hash in {text!r} must be 8 to 64 hex digits")
        return cls(int(seq), digest or None)


@dataclass(frozen=True, slots=True)
class Problem:
    """The first broken place: file:line, what kind of tampering it looks like, details."""

    file: str
    line: int
    kind: str  # edited | deleted | reordered | inserted | truncated
    detail: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.kind}: {self.detail}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """What `verify` found: ok with counts and head, or the first problem."""

    records: int
    files: int
    checkpoints: int
    first_seq: int | None
    last_seq: int | None
    head: str | None
    problem: Problem | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.problem is None

    def __str__(self) -> str:
        if self.problem is not None:
            return str(self.problem)
        span = f" (seq {self.first_seq}..{self.last_seq})" if self.records else ""
        text = (
            f"ok: {_plural(self.records, 'record')}{span} in {_plural(self.files, 'file')},"
            f" {_plural(self.checkpoints, 'checkpoint')}, head {self.head or GENESIS}"
        )
        return "\n".join([text, *self.notes])


@dataclass(frozen=True, slots=True)
class _Entry:
    file: str
    line: int
    hash: str
    seq: int = 0
    prev: str = ""
    kind: str = ""
    error: tuple[str, str] | None = None  # (problem kind, detail)

    @property
    def at(self) -> str:
        return f"{self.file}:{self.line}"


def _open_lines(path: str) -> Iterator[bytes]:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as fh:
        yield from fh


def _entry(path: str, number: int, raw: bytes) -> _Entry:
    if not raw.endswith(b"\n"):
        digest = hashlib.sha256(raw).hexdigest()
        return _Entry(path, number, digest, error=("truncated", "the last line is incomplete"))
    body = raw[:-1]
    digest = hashlib.sha256(body).hexdigest()
    if not body.strip():
        return _Entry(path, number, digest, error=("inserted", "an empty line"))
    try:
        doc = json.loads(body)
    except ValueError:
        return _Entry(path, number, digest, error=("edited", "not valid JSON"))
    if not isinstance(doc, dict):
        return _Entry(path, number, digest, error=("edited", "not a JSON object"))
    seq, prev, kind = doc.get("seq"), doc.get("prev"), doc.get("kind")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        return _Entry(path, number, digest, error=("edited", "no valid 'seq'"))
    if not isinstance(prev, str) or not _HEX.fullmatch(prev):
        return _Entry(path, number, digest, seq, error=("edited", "no valid 'prev' hash"))
    if not isinstance(kind, str) or not KIND.fullmatch(kind):
        return _Entry(path, number, digest, seq, prev, error=("edited", "no valid 'kind'"))
    return _Entry(path, number, digest, seq, prev, kind)


def _entries(paths: Sequence[str]) -> Iterator[_Entry]:
    for path in paths:
        for number, raw in enumerate(_open_lines(path), start=1):
            yield _entry(path, number, raw)


def _first_seq(path: str) -> int | None:
    for raw in _open_lines(path):
        entry = _entry(path, 1, raw)
        return entry.seq if entry.error is None else None
    return None


def order_files(paths: Sequence[str]) -> list[str]:
    """Rotated files oldest first, by their first seq (as given if any first line is bad)."""
    firsts = [(_first_seq(p), n, p) for n, p in enumerate(paths)]
    if any(seq is None for seq, _, p in firsts if os.path.getsize(p)):
        return list(paths)
    return [p for _, _, p in sorted(firsts, key=lambda t: (t[0] or 0, t[1]))]


class _Window:
    """An iterator with a bounded look-ahead."""

    def __init__(self, items: Iterator[_Entry]) -> None:
        self._items = items
        self._ahead: deque[_Entry] = deque()

    def _fill(self, n: int) -> None:
        while len(self._ahead) < n:
            nxt = next(self._items, None)
            if nxt is None:
                return
            self._ahead.append(nxt)

    def next(self) -> _Entry | None:
        self._fill(1)
        return self._ahead.popleft() if self._ahead else None

    def peek(self, k: int = 0) -> _Entry | None:
        self._fill(k + 1)
        return self._ahead[k] if k < len(self._ahead) else None

    def ahead(self, n: int) -> list[_Entry]:
        self._fill(n)
        return list(self._ahead)[:n]


def _classify(before: _Entry | None, last: _Entry, e: _Entry, window: _Window) -> Problem | None:
    """Why `e` does not follow `last` (None if it does), as well as the chain can tell."""
    want_seq, want_prev = last.seq + 1, last.hash
    seq_ok, link_ok = e.seq == want_seq, e.prev == want_prev
    if seq_ok and link_ok:
        return None
    nxt = window.peek()
    if link_ok:
        return Problem(
            e.file,
            e.line,
            "edited",
            f"seq is {e.seq}, expected {want_seq} (its hash link is intact, the seq was changed)",
        )
    if seq_ok:
        if nxt is not None and nxt.seq == want_seq and nxt.prev == want_prev:
            return Problem(
                e.file,
                e.line,
                "inserted",
                f"a record claiming seq {e.seq}; the chain goes on from {last.at} at {nxt.at}",
            )
        if nxt is None or nxt.prev == e.hash:
            return Problem(
                last.file,
                last.line,
                "edited",
                f"record seq {last.seq} was changed: its hash no longer matches the 'prev' of"
                f" the next record ({e.at})",
            )
        return Problem(
            e.file,
            e.line,
            "edited",
            f"record seq {e.seq} was changed: its 'prev' does not match {last.at} and the next"
            " record does not link to it",
        )
    ahead = window.ahead(LOOKAHEAD)
    follower = next((c for c in ahead if c.seq == want_seq and c.prev == want_prev), None)
    if follower is not None:
        copy = next((c for c in ahead if c.hash == e.hash), None)
        if copy is not None:
            return Problem(
                e.file, e.line, "inserted", f"a copy of the record at {copy.at} (seq {e.seq})"
            )
        linked = any(c.hash == e.prev or c.prev == e.hash for c in ahead)
        if linked:
            return Problem(
                e.file,
                e.line,
                "reordered",
                f"record seq {e.seq} comes before seq {want_seq} ({follower.at})",
            )
        return Problem(
            e.file,
            e.line,
            "inserted",
            f"this record (seq {e.seq}) is not part of the chain; it goes on from {last.at}"
            f" at {follower.at}",
        )
    if e.seq == last.seq and before is not None and e.prev == before.hash:
        if nxt is not None and nxt.prev == e.hash:
            return Problem(
                last.file,
                last.line,
                "inserted",
                f"two records claim seq {e.seq}; the chain goes on from the later one ({e.at})",
            )
        return Problem(
            e.file,
            e.line,
            "inserted",
            f"two records claim seq {e.seq}; the chain goes on from the earlier one ({last.at})",
        )
    if e.seq < want_seq:
        return Problem(
            e.file, e.line, "reordered", f"record seq {e.seq} comes after seq {last.seq}"
        )
    if e.seq > want_seq:
        missing = f"{want_seq}" if e.seq == want_seq + 1 else f"{want_seq}..{e.seq - 1}"
        between = f" (between {last.file} and {e.file})" if e.file != last.file else ""
        return Problem(
            e.file, e.line, "deleted", f"record(s) seq {missing} missing before this one{between}"
        )
    return Problem(e.file, e.line, "edited", f"does not follow {last.at}")


def verify(paths: Sequence[str], checkpoints: Iterable[Checkpoint] = ()) -> VerifyResult:
    """Check the chain through `paths` (rotated files in any order) against `checkpoints`."""
    files = order_files(paths)
    wanted = sorted(checkpoints, key=lambda c: c.seq)
    window = _Window(_entries(files))
    before: _Entry | None = None
    last: _Entry | None = None
    first_seq: int | None = None
    records = marks = 0
    notes: list[str] = []

    def result(problem: Problem | None) -> VerifyResult:
        return VerifyResult(
            records,
            len(files),
            marks,
            first_seq,
            last.seq if last else None,
            last.hash if last else None,
            problem,
            tuple(notes),
        )

    while (e := window.next()) is not None:
        if e.error is not None:
            return result(Problem(e.file, e.line, *e.error))
        if last is None:
            first_seq = e.seq
            if e.seq == 1 and e.prev != GENESIS:
                return result(
                    Problem(e.file, e.line, "edited", "seq 1 does not start from the genesis hash")
                )
            if e.seq > 1:
                notes.append(
                    f"note: the chain starts at seq {e.seq} ({e.at}); earlier files"
                    " were not given, so their records are not checked"
                )
            for cp in wanted:
                if cp.seq < e.seq:
                    notes.append(f"note: checkpoint seq {cp.seq} is before the first record given")
        else:
            problem = _classify(before, last, e, window)
            if problem is not None:
                return result(problem)
        for cp in wanted:
            if cp.seq == e.seq and cp.hash and not e.hash.startswith(cp.hash):
                return result(
                    Problem(
                        e.file,
                        e.line,
                        "edited",
                        f"record seq {e.seq} has hash {e.hash[:12]}, the checkpoint says"
                        f" {cp.hash[:12]}: the chain was rewritten at or before this record",
                    )
                )
        before, last = last, e
        records += 1
        marks += e.kind == "checkpoint"
    beyond = [cp.seq for cp in wanted if last is None or cp.seq > last.seq]
    if beyond:
        where = (last.file, last.line) if last else (files[-1] if files else "-", 0)
        ends = f"ends at seq {last.seq}" if last else "holds no records"
        return result(
            Problem(
                *where,
                "truncated",
                f"the chain {ends}, but seq {max(beyond)} was written (checkpoint)",
            )
        )
    return result(None)
