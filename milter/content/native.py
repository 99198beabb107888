"""content.native -- the native content core (milter._native, Rust) when it is there.

SYNOPSIS
    from milter.content import native
    native.SCANNER          # "native" or "python": which code reads the content
    native.html_to_text     # milter._native.html_to_text, or None (then the Python code runs)
    native.html_to_utf8     # the same text as UTF-8 bytes, or None
    native.office_part_text, office_shared_strings, office_date_styles, office_sheet_text
                            # one XML part of an office document as formats/ooxml.py reads
                            # it, or None (then expat reads it); each is None without the module
    native.office_zip_text  # office_text of a whole office zip: (text, bytes read per member)
                            # or None (then zipfile and the functions above read it)

DESCRIPTION
    milter._native is built from milter/native/ by `pip install -e .` when cargo is there
    (setuptools-rust, optional). It is used unless the environment says POSTWARDEN_NATIVE=0;
    without it the Python code does the same work, slower. The Python code is the reference:
    tests/unit/content/test_native.py checks both give identical output.

    A native function returns None for input it leaves to the Python code (formats/html.py's
    html.parser path, for one); a panic inside it raises NativeError, a RuntimeError with a
    fixed message, which the scanner's caller turns into tempfail like any other exception.

Refuses: nothing; an import that fails for any ImportError means "python".
"""

from __future__ import annotations

import os
from collections.abc import Callable
from types import ModuleType
from typing import Final, Literal


def _load() -> ModuleType | None:
    if os.environ.get("POSTWARDEN_NATIVE", "").strip() == "0":
        return None
    try:
        from milter import _native
    except ImportError:  # not built (no cargo at install, or the build failed)
        return None
    return _native


_MODULE = _load()

SCANNER: Final[Literal["native", "python"]] = "python" if _MODULE is None else "native"
html_to_text: Callable[[str], str | None] | None = None
html_to_utf8: Callable[[str], bytes | None] | None = None
office_part_text: Callable[[str, bytes, int], str | None] | None = None
office_shared_strings: Callable[[bytes, int], list[str] | None] | None = None
office_date_styles: Callable[[bytes], list[int] | None] | None = None
office_sheet_text: Callable[[bytes, list[str], int, frozenset[int], bool], str | None] | None = None
office_zip_text: Callable[[bytes, int, int], tuple[str, list[int]] | None] | None = None
if _MODULE is not None:
    html_to_text = _MODULE.html_to_text
    html_to_utf8 = _MODULE.html_to_utf8
    office_part_text = _MODULE.office_part_text
    office_shared_strings = _MODULE.office_shared_strings
    office_date_styles = _MODULE.office_date_styles
    office_sheet_text = _MODULE.office_sheet_text
    office_zip_text = _MODULE.office_zip_text
