"""File errors say what the file is for, the file, what is wrong and the option to change."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from milter.officer.paths import path_error


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
