"""audit.follow -- read what a trail gained since the last look.

SYNOPSIS
    tail = TrailTail("/var/log/postwarden/officer.jsonl")
    for line in tail.new_lines():   # complete lines appended since the last call
        ...

DESCRIPTION
    The officer trail is written by short-lived processes (the quarantine service, the
    officer's command line); the milter follows it to count its steps (metrics.officer) and to
    record the contacts of released mail (history.released). Each follower keeps its own
    offset: the first call reads the trail from its start, later calls what was appended. A line
    still being written waits for the next call; a trail replaced (another inode) or cut
    shorter (truncated) is read from its start again.

DIAGNOSTICS
    A trail that is missing or unreadable gives no lines (the next call tries again). At most
    ``read_max`` bytes are read a call; the rest comes at the next one.
"""

from __future__ import annotations

import os

READ_MAX = 16 << 20


class TrailTail:
    """The complete lines a file gained since the last call (not thread-safe: one reader)."""

    def __init__(self, path: str, read_max: int = READ_MAX) -> None:
        self.path = path
        self._read_max = read_max
        self._inode: tuple[int, int] | None = None
        self._offset = 0

    def new_lines(self) -> list[bytes]:
        try:
            with open(self.path, "rb") as fh:
                st = os.fstat(fh.fileno())
                inode = (st.st_dev, st.st_ino)
                if inode != self._inode or st.st_size < self._offset:
                    self._inode, self._offset = inode, 0  # a new or truncated trail
                fh.seek(self._offset)
                data = fh.read(self._read_max)
        except OSError:
            return []
        end = data.rfind(b"\n") + 1  # a line still being written waits for the next call
        self._offset += end
        return data[:end].splitlines()
