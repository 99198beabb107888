"""The backtest's sources: which kind a path is, where each message is, and reading it."""

from __future__ import annotations

import mailbox
from pathlib import Path

import pytest

from milter.backtest.sources import (
    Locator,
    MessageError,
    SourceError,
    detect,
    load,
    locate,
    shown,
)

MSG = b"From: a@samen-veilig.nl\nTo: b@partner.example\nSubject: s\n\nbody %d\n"


def record(kind: str, data: bytes) -> bytes:
    """One Postfix queue-file record: type, length in 7-bit groups (low first), data."""
    length, out = len(data), bytearray()
    while True:
        byte = length & 0x7F
        length >>= 7
        out.append(byte | (0x80 if length else 0))
        if not length:
            break
    return kind.encode() + bytes(out) + data


def queue_file(body_lines: list[bytes], *, end: bool = True) -> bytes:
    """A queue file as cleanup writes it, with a pointer record that links in a header a milter
    added at the end of the file, a deleted recipient ('@') and a long line split in 'L' records."""
    head = record("C", b"%15d %15d %15d %15d" % (1, 2, 3, 4))
    head += record("T", b"1733580000 0") + record("S", b"tool@samen-veilig.nl")
    head += record("R", b"a@partner.example") + record("@", b"old@bjzutrecht.nl")
    head += record("M", b"0")
    content = record("N", b"Subject: queued") + record("L", b"X-Long: abc")
    content += record("N", b"def")
    # pointer to the added header, filled in below; then the body after the jump back
    ptr_at = len(head) + len(content)
    ptr = record("p", b"%15d" % 0)
    body = record("N", b"") + b"".join(record("N", line) for line in body_lines)
    tail = record("X", b"") + record("R", b"c@partner.example")
    tail += record("E", b"") if end else b""
    before_added = head + content + ptr + body + tail
    added = record("N", b"X-Postwarden-Quarantine: rule: reason")
    back = record("p", b"%15d" % (ptr_at + len(ptr)))
    ptr = record("p", b"%15d" % len(before_added))
    data = head + content + ptr + body + tail + added + back
    return data


class TestDetect:
    def test_kinds(self, tmp_path: Path) -> None:
        """An mbox, a Maildir, an .eml directory and a queue directory are told apart."""
        box = mailbox.mbox(str(tmp_path / "box"))
        box.add(MSG % 1)
        box.close()
        mailbox.Maildir(str(tmp_path / "md")).add(MSG % 2)
        (tmp_path / "eml" / "sub").mkdir(parents=True)
        (tmp_path / "eml" / "sub" / "m.eml").write_bytes(MSG % 3)
        (tmp_path / "hold").mkdir()
        (tmp_path / "hold" / "4ZxYq1abcDz").write_bytes(queue_file([b"hi"]))
        assert detect(str(tmp_path / "box")) == "mbox"
        assert detect(str(tmp_path / "md")) == "maildir"
        assert detect(str(tmp_path / "eml")) == "eml"
        assert detect(str(tmp_path / "hold")) == "queue"
        assert detect(str(tmp_path / "eml" / "sub" / "m.eml")) == "file"

    def test_unknown_kinds_are_named(self, tmp_path: Path) -> None:
        """A text file, an empty directory and a missing path are refused, naming the path."""
        (tmp_path / "notes.txt").write_text("hello")
        (tmp_path / "empty").mkdir()
        for path in (tmp_path / "notes.txt", tmp_path / "empty", tmp_path / "missing"):
            with pytest.raises(SourceError, match=str(path)):
                detect(str(path))


class TestMbox:
    def test_boundaries_and_quoting(self, tmp_path: Path) -> None:
        """Messages start at a 'From ' line after an empty line; a '>From ' body line stays in its
        message, and the 'From ' line itself is not part of the message."""
        path = tmp_path / "box"
        path.write_bytes(
            b"From a@x Mon Dec  7 10:00:00 2026\n" + MSG % 1 + b">From the start\n\n"
            b"From b@x Mon Dec  7 10:01:00 2026\n" + MSG % 2
        )
        locs = list(locate(str(path), "mbox"))
        assert [loc.position for loc in locs] == [
            f"{path}: message 1 (line 1)",
            f"{path}: message 2 (line 9)",
        ]
        first = load(locs[0], 10_000).raw
        assert first.startswith(b"From: a@samen-veilig.nl") and b">From the start" in first
        assert load(locs[1], 10_000).raw == MSG % 2

    def test_limit(self, tmp_path: Path) -> None:
        """At most limit + 1 bytes of a message are read (the scanner says truncated)."""
        path = tmp_path / "one.eml"
        path.write_bytes(MSG % 1 + b"x" * 1000)
        assert len(load(Locator("file", str(path), "p"), 100).raw) == 101


class TestMaildir:
    def test_new_and_cur_not_tmp(self, tmp_path: Path) -> None:
        """new/ and cur/ messages are read, tmp/ (being delivered) and dot files are not."""
        md = mailbox.Maildir(str(tmp_path / "md"))
        md.add(MSG % 1)
        msg = mailbox.MaildirMessage(MSG % 2)
        msg.set_subdir("cur")
        md.add(msg)
        (tmp_path / "md" / "tmp" / "123.partial").write_bytes(MSG % 3)
        (tmp_path / "md" / "cur" / ".hidden").write_bytes(MSG % 4)
        bodies = [load(loc, 10_000).raw for loc in locate(str(tmp_path / "md"), "maildir")]
        assert bodies == [MSG % 1, MSG % 2]


class TestQueueFile:
    def test_envelope_and_content(self, tmp_path: Path) -> None:
        """Sender and live recipients (envelope and extracted segments, not deleted ones); the
        content with continued lines joined and the milter's header followed by pointer."""
        path = tmp_path / "4ZxYq1abcDz"
        path.write_bytes(queue_file([b"line one", b"line two"]))
        loaded = load(Locator("queue", str(path), "p"), 10_000)
        assert loaded.sender == "tool@samen-veilig.nl"
        assert loaded.recipients == ("a@partner.example", "c@partner.example")
        assert loaded.raw == (
            b"Subject: queued\nX-Long: abcdef\n"
            b"X-Postwarden-Quarantine: rule: reason\n\nline one\nline two\n"
        )

    def test_damaged_files(self, tmp_path: Path) -> None:
        """A file cut short, without its end record, or not a queue file is refused."""
        whole = queue_file([b"x"])
        cases = {
            "cut": whole[:40],
            "noend": queue_file([b"x"], end=False),
            "other": b"From: a@b\n\nhello\n",
        }
        for name, data in cases.items():
            (tmp_path / name).write_bytes(data)
            with pytest.raises(MessageError):
                load(Locator("queue", str(tmp_path / name), name), 10_000)


class TestShown:
    def test_bsn_shaped_runs_masked(self) -> None:
        """8- and 9-digit runs standing alone are masked in names and ids; timestamps, short
        numbers and digits inside hex ids stay."""
        assert shown("<dossier-231456781@casetool>") == "<dossier-*******81@casetool>"
        assert shown("export/12345678.eml") == "export/******78.eml"
        assert shown("cur/1733580000.M1P2.host") == "cur/1733580000.M1P2.host"
        assert shown("<32c955fd873310c12345656@x>") == "<32c955fd873310c12345656@x>"
        assert shown("message 12 (line 3456)") == "message 12 (line 3456)"
