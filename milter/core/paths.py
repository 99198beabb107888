"""Errors about files said the way an admin can act on them: the file, what is wrong, the fix.

``open()`` failing says ``[Errno 2] No such file or directory: '/var/log/postwarden/o.lock'``;
an admin then has to guess which setting names that file and whether the file or its directory
is missing. ``path_error`` names what the file is for, the file, the actual problem (the
directory that is missing, the user that may not write it, a read-only file system) and the
option or setting that chooses another file.
"""

from __future__ import annotations

import errno
import os
import pwd


def _user() -> str:
    uid = os.geteuid()
    try:
        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except KeyError:
        return f"uid {uid}"


def _missing_directory(path: str) -> str | None:
    """The nearest directory above ``path`` that does not exist, if any."""
    parent = os.path.dirname(os.path.abspath(path))
    missing = None
    while parent and not os.path.isdir(parent):
        missing = parent
        up = os.path.dirname(parent)
        if up == parent:
            break
        parent = up
    return missing


def path_problem(exc: BaseException, path: str, option: str) -> str:
    """``problem; fix`` for ``exc`` on ``path``; ``option`` is the flag or setting that
    chooses another file (or address)."""
    code = exc.errno if isinstance(exc, OSError) else None
    other = f"choose another file with {option}"
    if code == errno.ENOENT:
        directory = _missing_directory(path)
        if directory is not None:
            problem = f"the directory {directory} does not exist"
            fix = f"create it (the package's tmpfiles.d does), or {other}"
        else:
            problem, fix = "it does not exist", other
    elif code in (errno.EACCES, errno.EPERM):
        problem = f"permission denied for {_user()}"
        fix = f"run as the user that owns it, fix its owner or mode, or {other}"
    elif code == errno.EROFS:
        problem = "the file system is read-only (a sandboxed unit may need ReadWritePaths=)"
        fix = other
    elif code == errno.ENOTDIR:
        problem, fix = "a part of the path is a file, not a directory", other
    elif code == errno.EISDIR:
        problem, fix = "it is a directory, not a file", other
    elif code == errno.ENOSPC:
        problem, fix = "no space left on the device", f"free space, or {other}"
    elif code == errno.EADDRINUSE:
        problem = "the address is in use (another Postwarden still running?)"
        fix = f"stop that process, or choose another address with {option}"
    elif code == errno.EADDRNOTAVAIL:
        problem, fix = "no such address on this host", f"choose another address with {option}"
    elif isinstance(exc, ValueError):
        problem = "it is not valid JSON (damaged?)"
        fix = "move it aside to start afresh (its history is in the trail)"
    else:
        problem, fix = str(getattr(exc, "strerror", None) or exc), other
    return f"{problem}; {fix}"


def path_error(exc: BaseException, path: str, what: str, option: str) -> str:
    """One line: ``what path: problem; fix``."""
    return f"{what} {path}: {path_problem(exc, path, option)}"
