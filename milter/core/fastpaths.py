"""fastpaths -- which fast paths the parsers take: one frozen value, passed in.

A fast path is a shortcut for the common case that must give exactly what the general
(reference) code gives; the reference stays, takes everything unusual, and is what the
property tests compare the shortcut with.  Each parser asks the `FastPaths` value it is given
in one place:

    headers   milter.content.mime.parse_headers      header block split without the FeedParser
    params    milter.content.mime.Headers.params     plain 'type; a=b' lists without the stdlib
    base64    milter.content.formats.text            pybase64 before binascii
    in_place  milter.content.formats.text            parts decoded from the spool, not a copy
              .transfer_decode_span
    address   milter.core.address.parse_address      ASCII shortcuts, the domain cache
              and normalise_domain

Production passes `FAST` (the default everywhere); tests pass `REFERENCE` to compare.  The
value is built once at import: callers pass these instances, they never build one per call.

Refuses: nothing (a frozen value with no behaviour of its own).  Imports nothing from milter,
so the core and the content scanner can both use it without an import cycle.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FAST", "REFERENCE", "FastPaths"]


@dataclass(frozen=True, slots=True)
class FastPaths:
    """Which fast paths are on (True) or left to the reference code (False)."""

    headers: bool = True
    params: bool = True
    base64: bool = True
    in_place: bool = True
    address: bool = True


FAST = FastPaths()
REFERENCE = FastPaths(headers=False, params=False, base64=False, in_place=False, address=False)
