"""audit.follow: a follower reads each complete line of a trail once, from where it was; a
replaced or truncated trail is read from its start again."""

from __future__ import annotations

import os
from pathlib import Path

from milter.audit.follow import TrailTail


class TestTrailTail:
    def test_reads_on_from_where_it_was(self, tmp_path: Path) -> None:
        """First the whole trail, then only what was appended; a half line waits."""
        trail = tmp_path / "t.jsonl"
        trail.write_bytes(b"one\ntwo\n")
        tail = TrailTail(str(trail))
        assert tail.new_lines() == [b"one", b"two"]
        assert tail.new_lines() == []
        with trail.open("ab") as fh:
            fh.write(b"thr")
        assert tail.new_lines() == []
        with trail.open("ab") as fh:
            fh.write(b"ee\n")
        assert tail.new_lines() == [b"three"]

    def test_replaced_or_truncated_trail_is_read_again(self, tmp_path: Path) -> None:
        """A rotated trail (another file under the name) and a truncated one start over."""
        trail = tmp_path / "t.jsonl"
        trail.write_bytes(b"old-1\nold-2\n")
        tail = TrailTail(str(trail))
        tail.new_lines()
        os.rename(trail, tmp_path / "t.jsonl.1")
        trail.write_bytes(b"new-1\n")
        assert tail.new_lines() == [b"new-1"]
        trail.write_bytes(b"")  # same file, cut to nothing, then written again
        assert tail.new_lines() == []
        trail.write_bytes(b"x\n")
        assert tail.new_lines() == [b"x"]

    def test_missing_trail_gives_nothing_until_it_exists(self, tmp_path: Path) -> None:
        """No trail yet: no lines, no error; once it exists it is read."""
        tail = TrailTail(str(tmp_path / "later.jsonl"))
        assert tail.new_lines() == []
        (tmp_path / "later.jsonl").write_bytes(b"a\n")
        assert tail.new_lines() == [b"a"]

    def test_reads_at_most_read_max_a_call(self, tmp_path: Path) -> None:
        """A large backlog comes in pieces of whole lines."""
        trail = tmp_path / "t.jsonl"
        trail.write_bytes(b"".join(b"line-%02d\n" % n for n in range(10)))
        tail = TrailTail(str(trail), read_max=20)
        got: list[bytes] = []
        for _ in range(10):
            got += tail.new_lines()
        assert got == [b"line-%02d" % n for n in range(10)]
