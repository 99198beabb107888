"""formats -- readers that turn one kind of attachment into text (or say why they cannot).

Each reader takes decoded bytes and returns text (str) or raises `Unscannable` with a fixed,
content-free reason.  Readers never log and never keep what they read.
"""

from __future__ import annotations


class Unscannable(Exception):
    """This content cannot be inspected; `reason` is a fixed string safe to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NoTextLayer(Unscannable):
    """A PDF whose pages give no text at all: a scan or a photo (OCR may still read it)."""

    def __init__(self) -> None:
        super().__init__("pdf without text (scanned image?)")
