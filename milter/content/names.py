"""names -- what outputs may say about a file name: its extension, nothing more.

A file name can name a client ("verslag J. de Vries.pdf"); findings' locations go into the
audit trail, logs and `postwarden check`, which carry no client data. So a location says
"attachment 2 (.pdf file)", never the name.
"""

from __future__ import annotations

import re

_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


def safe_name(name: str) -> str:
    """What an output may say about a file name: only its extension. A file name can name a
    client ("verslag J. de Vries.pdf"), and no client data goes into logs, audit or metrics."""
    base = _UNSAFE.sub("_", name).strip().rsplit("/", 1)[-1]
    stem, dot, ext = base.rpartition(".")
    if not dot or not stem or not ext.isalnum() or len(ext) > 8:
        return "(file)"
    return f"(.{ext.lower()} file)"
