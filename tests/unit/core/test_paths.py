"""File errors say what the file is for, the file, what is wrong and the option to change."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from milter.core.paths import path_error


def test_a_missing_directory_is_named() -> None:
    """ENOENT under a missing directory: the highest missing directory, and the option."""
    exc = FileNotFoundError(errno.ENOENT, "No such file or directory")
    text = path_error(exc, "/nonexistent-pw/log/officer.jsonl.lock", "the lock", "--officer-log")
    assert text.startswith("the lock /nonexistent-pw/log/officer.jsonl.lock: ")
    assert "the directory /nonexistent-pw does not exist" in text
    assert text.endswith("or choose another file with --officer-log")


def test_a_missing_file_in_an_existing_directory(tmp_path: Path) -> None:
    """The directory exists: the file itself is what is missing."""
    exc = FileNotFoundError(errno.ENOENT, "x")
    text = path_error(exc, str(tmp_path / "f"), "the policy", "--policy")
    assert "it does not exist; choose another file with --policy" in text


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (errno.EACCES, "permission denied for "),
        (errno.EROFS, "read-only"),
        (errno.EISDIR, "a directory, not a file"),
        (errno.ENOSPC, "no space left"),
    ],
)
def test_other_errors_say_what_is_wrong(code: int, expected: str) -> None:
    """Each errno in words an admin acts on."""
    text = path_error(OSError(code, os.strerror(code)), "/x/y", "the trail", "--officer-log")
    assert expected in text and "--officer-log" in text


def test_damaged_json() -> None:
    """A file that is not JSON is called damaged, with what to do."""
    assert "not valid JSON" in path_error(ValueError("x"), "/x/p.json", "the requests", "--o")


def test_the_cli_names_the_option_of_the_file_that_failed(tmp_path: Path) -> None:
    """serve with an audit trail in a missing directory: the trail, the directory and
    --audit-log — not '[Errno 2]'."""
    import subprocess
    import sys

    missing = tmp_path / "nope" / "audit.jsonl"
    policy = Path(__file__).resolve().parents[3] / "policies" / "example.yaml"
    proc = subprocess.run(
        [sys.executable, "-m", "milter", "serve", "--policy", str(policy),
         "--listen", f"unix:{tmp_path}/m.sock", "--audit-log", str(missing)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert f"the audit trail {missing}: the directory {tmp_path / 'nope'} does not exist" in (
        proc.stderr
    )
    assert "--audit-log" in proc.stderr and "Errno" not in proc.stderr


def test_a_socket_in_a_missing_directory_is_named(tmp_path: Path) -> None:
    """bind() errors carry no file name; the listener adds the socket's path."""
    from milter.server.listeners import ListenSpec, open_listener

    path = tmp_path / "nope" / "m.sock"
    with pytest.raises(OSError) as err:
        open_listener(ListenSpec.parse(f"unix:{path}"))
    assert err.value.filename == str(path)
    assert "the directory" in path_error(err.value, str(path), "the socket", "--listen")
