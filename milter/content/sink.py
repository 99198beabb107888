"""sink -- what the MIME walk and the format readers report to, and the limits they respect.

The walk never keeps text itself: every piece of text goes to `Sink.text` at once (where the
detectors run over it), every problem to `unscannable` or `truncated` with a fixed reason, and
protected (encrypted) content to `protected`.  The sink also keeps the per-message budgets
(parts, decompressed bytes) so nested readers -- a zip in a zip in a forwarded message -- share
one set of limits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from milter.content.config import ScanLimits
from milter.core.fastpaths import FastPaths

if TYPE_CHECKING:
    from milter.content.formats.ocr import OcrReader


class Sink(Protocol):
    """The receiving end of one message's walk (implemented by the scanner)."""

    fast_paths: FastPaths  # the parsers' fast paths, passed on by the walk
    limits: ScanLimits
    ocr: OcrReader | None  # None: images and scans stay unscannable (OCR off, or not needed)

    def text(self, where: str, data: bytes, *, header: bool = False) -> None:
        """Scan `data` (UTF-8 text) found at `where`; `header` for subject and file names."""

    def unscannable(self, where: str, reason: str) -> None:
        """A part that cannot be inspected; `reason` is a fixed string, never content."""

    def truncated(self, where: str, reason: str) -> None:
        """A limit was hit at `where`; `reason` names the limit."""

    def protected(self, where: str) -> None:
        """Encrypted content (S/MIME enveloped, PGP) at `where`."""

    def take_part(self, where: str) -> bool:
        """Count one more part or archive member; False (and truncated) past max_parts."""

    def decompressed_left(self) -> int:
        """Decompressed bytes this message may still produce (max_decompressed_bytes)."""

    def spend_decompressed(self, size: int) -> None:
        """Account `size` bytes read out of an archive."""
