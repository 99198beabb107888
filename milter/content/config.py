"""config -- what the policy may tune in the content scanner.

`ScanConfig` is a frozen value the policy loader builds from the YAML `content:` section; every
field has a safe default.  `milter.content.scan.compile_config` turns it into a `CompiledScanner`
once per policy load: it builds the registered detectors, joins their patterns into the
single-pass RE2 matcher and compiles the officer's own patterns with google-re2 (linear time, no
backtracking).  This module imports nothing of the scanner: the scanner and the detectors read it.

`ocr` (`OcrSettings`) bounds reading images and scanned PDFs with Tesseract (formats/ocr.py).

Refuses (raises `ConfigError`, from `compile_config`): unknown detector names, limits that are not
positive, an OCR time budget that does not fit in the milter's per-event budget, keywords without
a letter or digit, own phrases with fewer than four letters or digits, duplicate custom pattern
names.  A pattern RE2 will not compile raises `PatternError(name, message)` so the policy loader
can point at its line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from milter.core.fastpaths import FAST, FastPaths

MiB = 2**20


@dataclass(frozen=True, slots=True)
class ScanLimits:
    """How much of a message is inspected; beyond a limit the scan reports `truncated`."""

    max_total_bytes: int = 25 * MiB  # decoded text bytes scanned per message
    max_parts: int = 200  # MIME parts plus archive members
    max_depth: int = 8  # multipart / message/rfc822 / zip nesting
    max_decompressed_bytes: int = 50 * MiB  # zip and office members, summed per message
    max_attachment_bytes: int = 20 * MiB  # one decoded part
    max_message_bytes: int = 256 * MiB  # raw message kept for scanning (spooled to disk)


# The per-event budget of the milter is 25 s (milter/adapter.py); OCR must leave room in it for
# the MIME walk, the detectors and (local path) the DNS questions asked after the scan.
OCR_MAX_TIME_BUDGET_MS = 20_000


@dataclass(frozen=True, slots=True)
class OcrSettings:
    """Reading images and scanned PDF pages with Tesseract; past a bound the part stays
    `unscannable` (held for external recipients by the built-in rule), never accepted unread."""

    enabled: bool = True
    max_image_pixels: int = 50_000_000  # larger images are not decoded at all (pixel bombs)
    max_images: int = 10  # image files (attachments, archive members, large inline images)
    max_pages: int = 10  # PDF pages rendered (and frames of multi-page TIFF/GIF) per message
    time_budget_ms: int = 12_000  # all OCR of one message together
    # Small inline images counted as decoration (logos; a cropped pasted screenshot is as
    # small) are read too, best effort: ~15 ms of CPU each (make bench).
    inline_images: bool = True


@dataclass(frozen=True, slots=True)
class CustomPattern:
    """An officer's own pattern (RE2 syntax); findings are reported as `custom:<name>`."""

    name: str
    pattern: str
    confidence: Literal["low", "medium", "high"] = "medium"


DEFAULT_CASE_KEYWORDS: tuple[str, ...] = (
    # Dutch youth-care case vocabulary ('*' = any ending: cliënten, dossiernummer, meldingen)
    "cliënt*",
    "dossier*",
    "crisisplaatsing*",
    "jeugdbescherming*",
    "kinderbescherming*",
    "Veilig Thuis",
    "melding*",
    "zorgmelding*",
    "huiselijk geweld",
    "kindermishandeling",
    "ondertoezichtstelling*",
    "OTS",
    "uithuisplaatsing*",
    "gezinsvoogd*",
    "voogdij*",
    "jeugdreclassering",
    "pleegzorg",
    "pleeggezin*",
    "gesloten jeugdhulp",
    "veiligheidsplan*",
    "zorgmachtiging*",
    # English
    "case file*",
    "child protection",
    "domestic violence",
    "child abuse",
    "safeguarding",
    "foster care",
)

ALL_DETECTORS: tuple[str, ...] = (
    "bsn",
    "iban",
    "date_of_birth",
    "postcode",
    "phone_nl",
    "case_keywords",
    "custom",
)


@dataclass(frozen=True, slots=True)
class ScanConfig:
    """The content scanner's settings; the defaults are what a policy without `content:` gets."""

    # Not a policy setting: production scans with FAST; tests pass REFERENCE to compare.
    fast_paths: FastPaths = FAST
    limits: ScanLimits = field(default_factory=ScanLimits)
    case_keywords: tuple[str, ...] = DEFAULT_CASE_KEYWORDS
    custom: tuple[CustomPattern, ...] = ()
    # the organisation's own names and footer lines: blanked before detection (own_text.py)
    own_phrases: tuple[str, ...] = ()
    detectors: tuple[str, ...] = ALL_DETECTORS
    ocr: OcrSettings = field(default_factory=OcrSettings)


class ConfigError(ValueError):
    """The scan configuration cannot be used."""


class PatternError(ConfigError):
    """A custom pattern RE2 refuses; `name` is the pattern's name, `message` RE2's complaint."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"custom pattern {name!r}: {message}")
        self.name = name
        self.message = message
