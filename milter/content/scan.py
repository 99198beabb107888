"""scan -- the content scanner: a compiled configuration, and one scan per message.

`CompiledScanner` is built once per policy load (by `compile_config`) and is immutable and
thread-safe to share.  Per message:

    facts = scanner.scan_message(raw_bytes_or_binary_file)

or, as the milter sees a message arrive,

    session = scanner.session(ocr=True) # ocr=False: images stay unscannable (internal mail)
    session.header(name, value)        # for every header, in order
    session.body(chunk)                # for every body chunk
    facts = session.finish(deadline)   # deadline (time.monotonic()) caps the OCR budget
    session.close()                    # (or use it as a context manager)

Images and PDFs without a text layer are read by OCR (formats/ocr.py) when the configuration
enables it and the caller asks for it: the milter asks only when a content rule could apply
to an external recipient of the message (`engine.ocr_may_matter`).

The session spools the message in memory up to SPOOL_MEMORY_BYTES (256 KiB) and in an unlinked
temporary file past that; the walk then reads the file through mmap, so memory stays bounded
whatever the message size (decoded parts are bounded by the limits).  Past max_message_bytes
nothing more is kept and the facts say `truncated`.

Text goes straight from the MIME walk into the single detector pass and is dropped; nothing here
keeps, logs or returns message text.

Refuses: nothing on bad input -- malformed MIME, bad encodings, hostile archives and documents
become unscannable/truncated findings.  An exception out of `finish`/`scan_message` is a bug;
the caller should tempfail the message.
"""

from __future__ import annotations

import contextlib
import mmap
import tempfile
from dataclasses import dataclass, field
from typing import IO

import milter.content.detectors as _detectors  # noqa: F401  (registers the detectors)
from milter.content.config import OCR_MAX_TIME_BUDGET_MS, ConfigError, ScanConfig, ScanLimits
from milter.content.findings import ContentFacts, Finding
from milter.content.formats.ocr import OcrReader
from milter.content.matcher import Matcher
from milter.content.mime import Buffer, Walker
from milter.content.own_text import OwnPhrases
from milter.content.registry import MAX_WHERE, REGISTRY, Detector, DetectorRun, Segment
from milter.core.fastpaths import FastPaths

# Bodies beyond this go to an unlinked temp file: 100 connections each mid-way through a large
# message would otherwise hold 100 MiB between them (measured: 124 -> 72 MiB held).
SPOOL_MEMORY_BYTES = 256 * 2**10
READ_CHUNK = 1 * 2**20
MAX_DEPTH_CEILING = 64


def compile_config(cfg: ScanConfig) -> CompiledScanner:
    """Build the scanner for `cfg` (once per policy load); raises ConfigError/PatternError."""
    for name, value in (
        ("max_total_bytes", cfg.limits.max_total_bytes),
        ("max_parts", cfg.limits.max_parts),
        ("max_depth", cfg.limits.max_depth),
        ("max_decompressed_bytes", cfg.limits.max_decompressed_bytes),
        ("max_attachment_bytes", cfg.limits.max_attachment_bytes),
        ("max_message_bytes", cfg.limits.max_message_bytes),
    ):
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ConfigError(f"limits.{name} must be a positive integer")
    for name, value in (
        ("max_image_pixels", cfg.ocr.max_image_pixels),
        ("max_images", cfg.ocr.max_images),
        ("max_pages", cfg.ocr.max_pages),
        ("time_budget_ms", cfg.ocr.time_budget_ms),
    ):
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ConfigError(f"ocr.{name} must be a positive integer")
    if cfg.ocr.time_budget_ms > OCR_MAX_TIME_BUDGET_MS:
        raise ConfigError(f"ocr.time_budget_ms must be at most {OCR_MAX_TIME_BUDGET_MS}")
    return CompiledScanner(cfg)


class CompiledScanner:
    """The scanner for one configuration (see the module docstring)."""

    def __init__(self, config: ScanConfig) -> None:
        if config.limits.max_depth > MAX_DEPTH_CEILING:
            raise ConfigError(f"limits.max_depth must be at most {MAX_DEPTH_CEILING}")
        seen: set[str] = set()
        built: list[Detector] = []
        for name in config.detectors:
            cls = REGISTRY.get(name)
            if cls is None:
                raise ConfigError(f"unknown detector {name!r} (known: {', '.join(REGISTRY)})")
            if name in seen:
                raise ConfigError(f"detector {name!r} listed twice")
            seen.add(name)
            built.append(cls(config))
        self.config = config
        self.detectors: tuple[Detector, ...] = tuple(built)
        try:
            self.own_phrases = OwnPhrases(config.own_phrases) if config.own_phrases else None
        except ValueError as exc:
            raise ConfigError(f"own_phrases: {exc}") from None
        try:
            self.matcher = Matcher(self.detectors)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None

    def session(self, *, ocr: bool = True) -> ScanSession:
        """A new incremental scan for one message; `ocr` False leaves images unscannable."""
        return ScanSession(self, ocr=ocr)

    def scan_message(
        self,
        data: bytes | bytearray | memoryview | IO[bytes],
        *,
        ocr: bool = True,
        deadline: float | None = None,
    ) -> ContentFacts:
        """Scan one whole RFC 5322 message (headers and body)."""
        if isinstance(data, bytes | bytearray | memoryview):
            limit = self.config.limits.max_message_bytes
            raw = bytes(data)
            collector = _Collector(self, ocr, deadline)
            if len(raw) > limit:
                raw = raw[:limit]
                collector.truncated("message", "max_message_bytes exceeded")
            return collector.scan(raw)
        with self.session(ocr=ocr) as session:
            session.raw(data)
            return session.finish(deadline)


class _Spool:
    """Message bytes: in memory up to SPOOL_MEMORY_BYTES, then in an unlinked temp file."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.memory = bytearray()
        self.file: IO[bytes] | None = None
        self.map: mmap.mmap | None = None
        self.size = 0
        self.overflow = False

    def write(self, chunk: bytes) -> None:
        if self.size + len(chunk) > self.limit:
            chunk = chunk[: max(0, self.limit - self.size)]
            self.overflow = True
        if not chunk:
            return
        if self.file is None and len(self.memory) + len(chunk) <= SPOOL_MEMORY_BYTES:
            self.memory += chunk
        else:
            if self.file is None:
                self.file = tempfile.TemporaryFile(prefix="postwarden-")  # noqa: SIM115
                self.file.write(self.memory)
                self.memory = bytearray()
            self.file.write(chunk)
        self.size += len(chunk)

    def buffer(self) -> Buffer:
        if self.file is None:
            return bytes(self.memory)
        self.file.flush()
        if self.map is None:
            self.map = mmap.mmap(self.file.fileno(), 0, access=mmap.ACCESS_READ)
        return self.map

    def close(self) -> None:
        if self.map is not None:
            # A view of it still alive (in a traceback): it is unmapped when that is freed.
            with contextlib.suppress(BufferError):
                self.map.close()
            self.map = None
        if self.file is not None:
            self.file.close()
            self.file = None
        self.memory = bytearray()


class ScanSession:
    """An incremental scan: headers, then body chunks, then `finish`."""

    def __init__(self, scanner: CompiledScanner, *, ocr: bool = True) -> None:
        self._scanner = scanner
        self._ocr = ocr
        self._spool = _Spool(scanner.config.limits.max_message_bytes)
        self._in_body = False
        self._facts: ContentFacts | None = None

    def header(self, name: str, value: str) -> None:
        """One header as the milter reports it (value without the name and colon)."""
        if self._in_body:
            return  # headers after the body started are not part of this message
        line = f"{name}: {value}".replace("\r\n", "\n").replace("\n", "\r\n")
        self._spool.write(_encode(line) + b"\r\n")

    def body(self, chunk: bytes) -> None:
        """The next piece of the body, as it arrives."""
        if not self._in_body:
            self._spool.write(b"\r\n")
            self._in_body = True
        self._spool.write(bytes(chunk))

    def raw(self, stream: IO[bytes]) -> None:
        """A whole message (headers and body) from a binary file."""
        self._in_body = True
        while True:
            chunk = stream.read(READ_CHUNK)
            if not chunk:
                return
            self._spool.write(chunk)

    def finish(self, deadline: float | None = None) -> ContentFacts:
        """Scan what arrived; never raises on malformed input. OCR ends by `deadline`
        (time.monotonic()) at the latest."""
        if self._facts is None:
            if not self._in_body:
                self._spool.write(b"\r\n")
                self._in_body = True
            collector = _Collector(self._scanner, self._ocr, deadline)
            if self._spool.overflow:
                collector.truncated("message", "max_message_bytes exceeded")
            self._facts = collector.scan(self._spool.buffer())
        return self._facts

    def close(self) -> None:
        """Free the spool (memory and temporary file)."""
        self._spool.close()

    def __enter__(self) -> ScanSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _encode(text: str) -> bytes:
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace")


@dataclass(slots=True)
class _Notes:
    """Unscannable or truncated parts: where, and the distinct fixed reasons."""

    detector: str
    where: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def add(self, where: str, reason: str) -> None:
        if where not in self.where and len(self.where) < MAX_WHERE:
            self.where.append(where)
        if reason not in self.reasons:
            self.reasons.append(reason)

    def finding(self) -> Finding | None:
        if not self.reasons:
            return None
        count = max(1, len(self.where))
        return Finding(
            self.detector,
            count,
            "high",
            tuple(self.where),
            (),
            "; ".join(self.reasons),
            counts=(count, count, count),
        )


class _Collector:
    """The sink of one message's walk: limits, the detector runs, and the notes."""

    def __init__(
        self, scanner: CompiledScanner, ocr: bool = True, deadline: float | None = None
    ) -> None:
        self.limits: ScanLimits = scanner.config.limits
        settings = scanner.config.ocr
        self.ocr = OcrReader(settings, deadline) if ocr and settings.enabled else None
        self.matcher = scanner.matcher
        self.own_phrases = scanner.own_phrases
        self.runs: list[DetectorRun] = [d.start() for d in scanner.detectors]
        self.unreadable = _Notes("unscannable")
        self.fast_paths: FastPaths = scanner.config.fast_paths
        self.cut = _Notes("truncated")
        self.parts = 0
        self.scanned = 0
        self.decompressed = 0
        self.protected_parts = 0
        self.readable = False
        self.parts_exceeded = False

    def scan(self, buf: Buffer) -> ContentFacts:
        walker = Walker(self)
        walker.walk_message(buf, 0, len(buf), "", 0)
        walker.finish()
        if self.ocr is not None:
            self.ocr.release_memory()
        findings: list[Finding] = []
        for run in self.runs:
            findings.extend(run.findings())
        for notes in (self.unreadable, self.cut):
            note = notes.finding()
            if note is not None:
                findings.append(note)
        return ContentFacts(
            findings=tuple(findings),
            encrypted=self.protected_parts > 0 and not self.readable,
            readable=self.readable,
            parts=self.parts,
            bytes_scanned=self.scanned,
            ocr_read=tuple(self.ocr.read[:MAX_WHERE]) if self.ocr is not None else (),
            ocr=self.ocr.usage() if self.ocr is not None else None,
        )

    # --- Sink

    def text(self, where: str, data: bytes, *, header: bool = False) -> None:
        left = self.limits.max_total_bytes - self.scanned
        if left <= 0:
            self.truncated(where, "max_total_bytes exceeded")
            return
        if len(data) > left:
            data = data[:left]
            self.truncated(where, "max_total_bytes exceeded")
        self.scanned += len(data)
        if self.own_phrases is not None:
            data = self.own_phrases.blank(data)  # the organisation's own names: no findings
        if not header and not self.readable and data and not data.isspace():  # no copy
            self.readable = True
        self.matcher.run(Segment(where, data, header), self.runs)

    def unscannable(self, where: str, reason: str) -> None:
        self.unreadable.add(where, reason)

    def truncated(self, where: str, reason: str) -> None:
        self.cut.add(where, reason)

    def protected(self, where: str) -> None:
        self.protected_parts += 1

    def take_part(self, where: str) -> bool:
        if self.parts >= self.limits.max_parts:
            if not self.parts_exceeded:
                self.parts_exceeded = True
                self.truncated(where, "max_parts exceeded")
            return False
        self.parts += 1
        return True

    def decompressed_left(self) -> int:
        left = self.limits.max_decompressed_bytes - self.decompressed
        if left <= 0:
            self.truncated("archive", "max_decompressed_bytes exceeded")
        return max(0, left)

    def spend_decompressed(self, size: int) -> None:
        self.decompressed += size
