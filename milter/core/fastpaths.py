"""fastpaths -- which fast paths the parsers take: one frozen value, passed in.

A fast path is a shortcut for the common case that must give exactly what the general
(reference) code gives; the reference stays, takes everything unusual, and is what the
property tests compare the shortcut with.  Each parser asks the `FastPaths` value it is given
in one place (under milter.), and that place says in a comment what the shortcut measured and
when it should go:

    headers   content.mime.parse_headers                 header block split without FeedParser
    params    content.mime.Headers.params                plain 'type; a=b' lists, no stdlib parse
    base64    content.formats.text._decode_base64        pybase64 before binascii
    in_place  content.formats.text.transfer_decode_span  parts decoded from the spool, no copy
    address   core.address.normalise_domain (and         ASCII shortcuts, the plain-address
              parse_address, Address.text)               regex, the domain cache

`python -m bench.fast_paths` times each path against the code it stands in for.  Production
passes `FAST` (the default everywhere); tests pass `REFERENCE` to compare.  The
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
