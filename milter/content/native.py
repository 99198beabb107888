"""content.native -- the native content core (milter._native, Rust) when it is there.

SYNOPSIS
    from milter.content import native
    native.SCANNER          # "native" or "python": which code reads the content
    native.html_to_text     # milter._native.html_to_text, or None (then the Python code runs)
    native.html_to_utf8     # the same text as UTF-8 bytes, or None
    native.split_headers    # content.mime's header/body split, or None
    native.header_fields    # an ordinary header block's fields (mime._split_header_block), or None
    native.split_multipart  # content.mime's multipart split, or None
    native.simple_params    # content.mime._simple_params where _SIMPLE_PARAMS matches, or None
    native.sniff            # content.formats.sniff.sniff, or None
    native.Finder           # milter._native.Finder (matcher.py's pattern, RE2's answers), or None
    native.Shapes           # the shapes' DFA for Finder.batch (matcher.py's native pass), or None
    native.phone_numbers    # phone_nl's checks of a segment's shape matches: [number] or None
    native.bsn_candidates   # bsn's _candidates: [(start, end, digits)] or None (then Python)
    native.office_part_text, office_shared_strings, office_date_styles, office_sheet_text
                            # one XML part of an office document as formats/ooxml.py reads
                            # it, or None (then expat reads it); each is None without the module
    native.office_zip_text  # office_text of a whole office zip: (text, bytes read per member)
                            # or None (then zipfile and the functions above read it)
    native.pdf_simple_text  # formats/pdf_simple.simple_pdf_text: (text or None, cut, page
                            # chars), or None (then the Python reader reads the PDF)

DESCRIPTION
    milter._native is built from milter/native/ by `pip install -e .` when cargo is there
    (setuptools-rust, optional). It is used unless the environment says POSTWARDEN_NATIVE=0;
    without it the Python code does the same work, slower. The Python code is the reference:
    tests/unit/content/test_native.py (HTML), test_native_mime.py (the MIME walk),
    test_native_finder.py (the detector pass's search), test_native_numbers.py (the phone
    and BSN checks of its candidates), test_native_office.py (office documents) and
    test_native_pdf.py (simple PDFs) check both give identical output.

    A native function returns None for input it leaves to the Python code (formats/html.py's
    html.parser path, for one; Finder raises ValueError for a pattern it cannot build, and
    matcher.py keeps RE2); a panic inside it raises NativeError, a RuntimeError with a
    fixed message, which the scanner's caller turns into tempfail like any other exception.

Refuses: nothing; an import that fails for any ImportError means "python".
"""

from __future__ import annotations

import mmap
import os
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Final, Literal

if TYPE_CHECKING:
    from milter import _native as _native_types


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
_Span = tuple[int, int]
split_headers: Callable[[bytes | mmap.mmap, int, int], _Span] | None = None
# (fields in order, {lower-case name: its first field}) or None (the Python/stdlib path parses)
header_fields: (
    Callable[[bytes], tuple[list[tuple[str, str]], dict[str, tuple[str, str]]] | None] | None
) = None
split_multipart: (
    Callable[[bytes | mmap.mmap, int, int, bytes], tuple[list[_Span], _Span, _Span] | None] | None
) = None
# [(type, ""), (name, '"value"'), ...] (content.mime.Params), or None for any other value
_Params = list[tuple[str, str | tuple[str | None, str | None, str]]]
simple_params: Callable[[str], _Params | None] | None = None
sniff: Callable[[bytes], tuple[str, str] | None] | None = None
Finder: type[_native_types.Finder] | None = None
Shapes: type[_native_types.Shapes] | None = None
phone_numbers: Callable[[bytes, list[tuple[int, int]]], list[str] | None] | None = None
bsn_candidates: (
    Callable[[bytes, list[tuple[int, int]]], list[tuple[int, int, str]] | None] | None
) = None
office_part_text: Callable[[str, bytes, int], str | None] | None = None
office_shared_strings: Callable[[bytes, int], list[str] | None] | None = None
office_date_styles: Callable[[bytes], list[int] | None] | None = None
office_sheet_text: Callable[[bytes, list[str], int, frozenset[int], bool], str | None] | None = None
office_zip_text: Callable[[bytes, int, int], tuple[str, list[int]] | None] | None = None
# (data, max_chars, seconds left, max_inflated) -> (text or None, cut, page chars) or None
pdf_simple_text: (
    Callable[[bytes, int, float, int], tuple[str | None, str | None, list[int]] | None] | None
) = None
if _MODULE is not None:
    html_to_text = _MODULE.html_to_text
    html_to_utf8 = _MODULE.html_to_utf8
    split_headers = _MODULE.split_headers
    header_fields = _MODULE.header_fields
    split_multipart = _MODULE.split_multipart
    simple_params = _MODULE.simple_params
    sniff = _MODULE.sniff
    Finder = _MODULE.Finder
    Shapes = _MODULE.Shapes
    phone_numbers = _MODULE.phone_numbers
    bsn_candidates = _MODULE.bsn_candidates
    office_part_text = _MODULE.office_part_text
    office_shared_strings = _MODULE.office_shared_strings
    office_date_styles = _MODULE.office_date_styles
    office_sheet_text = _MODULE.office_sheet_text
    office_zip_text = _MODULE.office_zip_text
    pdf_simple_text = _MODULE.pdf_simple_text
