"""ocr -- the text of images and of scanned PDF pages, read by Tesseract (through tesserocr).

A screenshot of a client file or a scanned form carries the same client data as the file
itself, so an image attachment (PNG, JPEG, GIF, TIFF, BMP, WebP) and a PDF without a text layer
are read by OCR and their text goes through the same detectors as any other text; so are the
scanned pages of a PDF that has text elsewhere (pages with an image and almost no text).  One
`OcrReader` serves one message and keeps its bounds (`OcrSettings`):

- pixels: an image over `max_image_pixels` is not decoded at all (a pixel bomb costs memory
  before it costs time); a large photo under it is scaled down to about 8 MP, which keeps text
  of a phone photo of a page readable and bounds the cost per image;
- `max_images` image files and `max_pages` rendered PDF pages (and frames of a multi-page TIFF
  or an animated GIF) per message;
- `time_budget_ms` for all OCR of the message together, also capped by the deadline the caller
  gives (the milter's per-event budget): Tesseract's own timeout stops a recognition in time.

Past a bound the part is `unscannable` with a fixed reason naming the bound (the built-in rule
holds it for external recipients): nothing is ever accepted unread.  An image in which OCR found
no text is read (a photo; there is nothing for a text detector to find).  A PDF without a text
layer in which OCR found no text at all stays unscannable: a scanned document is expected to
carry text, so "none found" more likely means "not readable" (handwriting, a skewed scan).

Small inline images the MIME walk counts as decoration (signature logos) are read best effort
(`decoration`): a small pasted screenshot is just as small, and only reading tells them apart.
What a logo says is scanned like any text; a logo that cannot be read stays decoration.

The same image comes back in mail after mail (the organisation's signature logo, a banner), so
the text of an image seen before is not read again (`RECURRING`): an image's first sighting
keeps only its hash; from its second sighting on, its text is kept in memory, for at most
`RECURRING_TTL_S` after its last use and `RECURRING_ENTRIES` images, so a one-off screenshot's
text is never kept beyond its own message.  Bounds are counted on a hit as on a read (an image
still counts towards max_images, each frame towards max_pages); a hit takes no OCR time.

Tesseract instances (nld+eng models, ~40 MB each) are loaded once and shared through a small
pool (one per core, at most 4): an instance is not thread-safe, and loading one costs ~0.3 s.
Recognition releases the GIL.  PDFium (pypdfium2, which renders the pages here and reads PDF
text in pdf.py) is not thread-safe at all: every call into it, here and in pdf.py, holds
`PDFIUM_LOCK`, and its objects are closed explicitly under the lock, not left to a finaliser
in another thread.  Images are decoded by Pillow (only the six
formats above) and handed to Tesseract as raw grey pixels, so Leptonica's own decoders never
see message bytes.

Refuses (raises `Unscannable`, fixed reasons only): damaged or unsupported images, bounds
exceeded, OCR not available (tesserocr or the language models missing: fail closed).  Text read
is returned to the caller and never logged; only a recurring image's text is kept, in memory
(`RECURRING`).
"""

from __future__ import annotations

import ctypes
import hashlib
import io
import math
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

from milter.content.findings import OcrUse
from milter.content.formats import Unscannable

if TYPE_CHECKING:
    from PIL.Image import Image

    from milter.content.config import OcrSettings

# Tesseract parallelises one recognition with OpenMP; on a mail server the parallelism is the
# connections, and OpenMP threads spinning next to them cost more than they save (Tesseract's
# own advice for concurrent use).  Read by libgomp when tesserocr loads it: set before import.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

LANGUAGES = "nld+eng"
TARGET_PIXELS = 8_300_000  # a 4K screenshot (3840x2160) is read as it is; larger is scaled down
PDF_DPI = 200  # scanned pages: 200 dpi reads 10 pt text; 300 dpi costs twice as much
FORMATS = ("PNG", "JPEG", "GIF", "TIFF", "BMP", "WEBP")
# Tesseract page segmentation: images (screenshots; phone photos are turned upright from their
# EXIF orientation) use automatic layout (3); scanned pages also detect their orientation first
# (1): a page fed sideways or upside down is common, and read as garbage without it. Measured
# on a 200 dpi A4 page: 0.7 s with 3, 0.9-1.5 s with 1, which reads all four orientations.
# A page of a PDF with text elsewhere is read by OCR when it has an image and less text than
# this (a scanner's page number or stamp); a typed page with a logo has far more.
SCANNED_PAGE_MAX_CHARS = 40
PSM_IMAGE = 3
PSM_PAGE = 1
# EXIF orientation -> the transpose that turns the pixels upright (as PIL.ImageOps does).
_UPRIGHT = {2: 0, 3: 3, 4: 1, 5: 5, 6: 4, 7: 6, 8: 2}

# Small inline images (logos) read per message, best effort; a reply thread repeats them.
DECORATIONS_MAX = 20

BUDGET_EXCEEDED = "OCR time budget exceeded"
NOT_AVAILABLE = "OCR not available (Tesseract not installed?)"
DAMAGED_IMAGE = "damaged or unsupported image"
TOO_LARGE = "image too large for OCR (max_image_pixels)"
TOO_MANY_IMAGES = "OCR max_images exceeded"
TOO_MANY_PAGES = "OCR max_pages exceeded"
PDF_NO_TEXT = "pdf without text: OCR found none"
DAMAGED_PDF = "damaged pdf"
OCR_FAILED = "OCR failed"

# The recurring images' text: a logo read once costs ~15 ms of CPU in every later mail.
RECURRING_ENTRIES = 256  # images whose text is kept (a logo's text is a few dozen bytes)
RECURRING_SEEN = 4096  # hashes of images seen once (16 bytes each)
RECURRING_TTL_S = 3600.0  # since last use: a logo in daily use stays, a forwarded scan goes
RECURRING_MAX_CHARS = 4096  # more text than this is a document, not a logo: never kept

PDFIUM_LOCK = threading.Lock()  # PDFium is not thread-safe: one call at a time, process-wide


class _Engines:
    """A bounded pool of Tesseract instances, created when first needed."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._free: list[Any] = []
        self._made = 0
        self._cond = threading.Condition()
        self._missing = False

    def acquire(self, timeout: float) -> Any | None:
        """An instance, or None when none became free within `timeout` seconds."""
        end = time.monotonic() + timeout
        with self._cond:

            def ready() -> bool:
                return bool(self._free) or self._made < self._size

            if not self._cond.wait_for(ready, max(0.0, end - time.monotonic())):
                return None
            if self._free:
                return self._free.pop()
            self._made += 1
        try:
            return self._create()
        except BaseException:
            with self._cond:
                self._made -= 1
                self._cond.notify()
            raise

    def release(self, api: Any) -> None:
        with self._cond:
            self._free.append(api)
            self._cond.notify()

    def _create(self) -> Any:
        if self._missing:
            raise Unscannable(NOT_AVAILABLE)
        try:
            import tesserocr
        except ImportError as exc:
            self._missing = True
            raise Unscannable(NOT_AVAILABLE) from exc
        try:
            api = tesserocr.PyTessBaseAPI(lang=LANGUAGES, psm=PSM_IMAGE)
        except RuntimeError as exc:  # the nld or eng model is not installed
            raise Unscannable(NOT_AVAILABLE) from exc
        api.SetVariable("debug_file", "/dev/null")  # "Empty page!!" and the like: not our log
        return api


class _Recurring:
    """The text of images seen in more than one message, by the hash of their bytes.

    Thread-safe; bounded in entries and age.  `text` answers (text, frames) for an image whose
    text is kept; `sighted` records a read, and keeps its text when the image was seen before.
    Memory only: nothing here is written anywhere or logged."""

    def __init__(self, entries: int, seen: int, ttl: float) -> None:
        self._entries = entries
        self._seen_max = seen
        self._ttl = ttl
        self._lock = threading.Lock()
        self._seen: OrderedDict[bytes, None] = OrderedDict()
        self._texts: OrderedDict[bytes, tuple[str, int, float]] = OrderedDict()
        self.hits = 0
        self.reads = 0

    @staticmethod
    def key(kind: str, data: bytes, max_pixels: int) -> bytes:
        """The image's key: its bytes, how it is read, and the pixel bound it was read under
        (a policy reload that lowers max_image_pixels must not find an image read before)."""
        salt = max_pixels.to_bytes(8, "big")
        return hashlib.blake2b(data, digest_size=16, person=kind.encode(), salt=salt).digest()

    def text(self, key: bytes) -> tuple[str, int] | None:
        now = time.monotonic()
        with self._lock:
            entry = self._texts.get(key)
            if entry is None:
                return None
            text, frames, used = entry
            if now - used > self._ttl:
                del self._texts[key]
                return None
            self._texts[key] = (text, frames, now)
            self._texts.move_to_end(key)
            self.hits += 1
            return text, frames

    def sighted(self, key: bytes, text: str, frames: int) -> None:
        """A read of the image `key`: its text is kept from its second sighting on."""
        now = time.monotonic()
        with self._lock:
            self.reads += 1
            if key not in self._seen:
                self._seen[key] = None
                if len(self._seen) > self._seen_max:
                    self._seen.popitem(last=False)
                return
            self._seen.move_to_end(key)
            if len(text) > RECURRING_MAX_CHARS:
                return
            self._texts[key] = (text, frames, now)
            self._texts.move_to_end(key)
            while len(self._texts) > self._entries:
                self._texts.popitem(last=False)
            expired = [k for k, (_, _, used) in self._texts.items() if now - used > self._ttl]
            for k in expired:
                del self._texts[k]

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()
            self._texts.clear()
            self.hits = self.reads = 0


RECURRING = _Recurring(RECURRING_ENTRIES, RECURRING_SEEN, RECURRING_TTL_S)


ENGINES = _Engines(max(1, min(4, os.cpu_count() or 1)))


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return cast("Callable[[int], int]", ctypes.CDLL("libc.so.6").malloc_trim)
    except (OSError, AttributeError):  # not glibc
        return None


_TRIM = _malloc_trim()


def available() -> bool:
    """True when Tesseract can be loaded with the Dutch and English models."""
    try:
        import tesserocr
    except ImportError:
        return False
    languages = set(tesserocr.get_languages()[1])
    return {"nld", "eng"} <= languages


class OcrReader:
    """The OCR of one message: its bounds and counters (not thread-safe: one walk uses it)."""

    def __init__(self, settings: OcrSettings, deadline: float | None = None) -> None:
        self.settings = settings
        self._outer = deadline
        self.deadline: float | None = None  # set when OCR first runs: the budget is OCR time
        self.images = 0
        self.decorations = 0
        self.pages = 0
        self.read: list[str] = []  # where OCR produced text (part names, never text)
        # what OCR cost this message (for metrics; counts and seconds only)
        self.recognised = 0  # images, frames and pages Tesseract read
        self.remembered = 0  # images answered from RECURRING instead
        self.seconds = 0.0  # Tesseract's time, waiting for an engine included
        self.out_of_time = False  # the time budget stopped reading

    def usage(self) -> OcrUse | None:
        """What OCR did for this message, or None when it did nothing."""
        if not (self.recognised or self.remembered or self.out_of_time):
            return None
        return OcrUse(self.recognised, self.remembered, self.seconds, self.out_of_time)

    def _over_budget(self) -> Unscannable:
        self.out_of_time = True
        return Unscannable(BUDGET_EXCEEDED)

    def release_memory(self) -> None:
        """After a message whose images or pages were read: give the C heap's free pages back.
        Tesseract and PDFium free tens of MB per page into glibc's arenas, which keep them
        (measured: RSS 278 -> 212 MiB after a 2-page scan with two pooled instances)."""
        if (self.images or self.pages) and _TRIM is not None:
            _TRIM(0)

    def _left(self) -> float:
        now = time.monotonic()
        if self.deadline is None:
            own = now + self.settings.time_budget_ms / 1000
            self.deadline = own if self._outer is None else min(own, self._outer)
        return self.deadline - now

    def image(self, data: bytes) -> str:
        """The text in image `data`; '' when there is none (a photo)."""
        self.images += 1
        if self.images > self.settings.max_images:
            raise Unscannable(TOO_MANY_IMAGES)
        key = RECURRING.key("image", data, self.settings.max_image_pixels)
        kept = RECURRING.text(key)
        if kept is not None and (kept[1] == 1 or self.pages + kept[1] <= self.settings.max_pages):
            if kept[1] > 1:
                self.pages += kept[1]
            self.remembered += 1
            return kept[0]
        if self._left() <= 0:  # (also starts the clock)
            raise self._over_budget()
        try:
            img = self._open(data)
            texts = []
            frames = int(getattr(img, "n_frames", 1))
            for frame in range(frames):
                if frames > 1:
                    # Each frame of a multi-page fax TIFF or an animated GIF is a page.
                    if self.pages >= self.settings.max_pages:
                        raise Unscannable(TOO_MANY_PAGES)
                    self.pages += 1
                    img.seek(frame)
                texts.append(self._recognise(_grey(img), PSM_IMAGE))
        except Unscannable:
            raise
        except Exception as exc:  # Pillow's decoders on hostile input: any failure is "not read"
            raise Unscannable(DAMAGED_IMAGE) from exc
        text = "\n".join(texts)
        RECURRING.sighted(key, text, frames)
        return text

    def decoration(self, data: bytes) -> str:
        """Best effort for a small inline image the walk counts as decoration (a logo, or a
        small pasted screenshot: bytes cannot tell them apart): its text, or '' when it has
        none or cannot be read within the bounds -- then it stays decoration, as without OCR.
        Not counted in max_images; only a pixel bomb posing as a logo is refused."""
        self.decorations += 1
        if self.decorations > DECORATIONS_MAX:
            return ""
        key = RECURRING.key("decoration", data, self.settings.max_image_pixels)
        kept = RECURRING.text(key)
        if kept is not None:
            self.remembered += 1
            return kept[0]
        if self._left() <= 0:
            self.out_of_time = True
            return ""
        try:
            text = self._recognise(_grey(self._open(data)), PSM_IMAGE)  # first frame only
        except Unscannable as exc:
            if exc.reason == TOO_LARGE:
                raise
            return ""
        except Exception:  # a damaged logo: decoration, as it was without OCR
            return ""
        RECURRING.sighted(key, text, 1)
        return text

    def _open(self, data: bytes) -> Image:
        """The image in `data`, header read, pixels not decoded yet; a pixel bomb is refused."""
        from PIL import Image as PilImage

        try:
            img = PilImage.open(io.BytesIO(data), formats=FORMATS)
        except PilImage.DecompressionBombError as exc:  # over twice Pillow's own limit
            raise Unscannable(TOO_LARGE) from exc
        width, height = img.size
        if width * height > self.settings.max_image_pixels:
            raise Unscannable(TOO_LARGE)
        return img

    def pdf(
        self,
        data: bytes,
        *,
        scanned_pages_only: bool = False,
        pages: Sequence[int] | None = None,
    ) -> tuple[str, str | None]:
        """(text, cut) of the pages of PDF `data`; `cut` names the bound that stopped reading.

        Every page of a PDF without a text layer; with `scanned_pages_only`, the pages of a PDF
        that has text elsewhere which carry an image and (almost) no text of their own -- a
        typed cover letter followed by scanned pages -- found by looking at every page, or,
        given `pages`, exactly those (the text pass found them: pdf.ScannedPages)."""
        import pypdfium2 as pdfium

        texts: list[str] = []
        cut: str | None = None
        if self._left() <= 0:  # (also starts the clock)
            raise self._over_budget()
        with PDFIUM_LOCK:
            try:
                doc = pdfium.PdfDocument(data)
            except Exception as exc:  # PdfiumError and whatever hostile input provokes
                raise Unscannable(DAMAGED_PDF) from exc
        try:
            with PDFIUM_LOCK:
                count = len(doc)
            for index in range(count):
                if self._left() <= 0:
                    cut = self._over_budget().reason
                    break
                try:
                    if pages is not None:
                        if index not in pages:
                            continue
                    elif scanned_pages_only and not _scanned_page(doc, index):
                        continue
                except Exception as exc:  # PDFium on a damaged page
                    raise Unscannable(DAMAGED_PDF) from exc
                if self.pages >= self.settings.max_pages:
                    cut = TOO_MANY_PAGES
                    break
                self.pages += 1
                try:
                    page = _render(doc, index)
                except Exception as exc:  # PDFium on a damaged page
                    raise Unscannable(DAMAGED_PDF) from exc
                try:
                    texts.append(self._recognise(page, PSM_PAGE))
                except Unscannable as exc:
                    if exc.reason != BUDGET_EXCEEDED:
                        raise
                    cut = BUDGET_EXCEEDED
                    break
        finally:
            with PDFIUM_LOCK:
                doc.close()
        text = "\n".join(texts)
        if cut is None and not text.strip() and not scanned_pages_only:
            raise Unscannable(PDF_NO_TEXT)
        return text, cut

    def _recognise(self, img: Image, psm: int) -> str:
        began = time.monotonic()
        try:
            text = self._recognise_now(img, psm)
        finally:
            self.seconds += time.monotonic() - began
        self.recognised += 1
        return text

    def _recognise_now(self, img: Image, psm: int) -> str:
        left = self._left()
        if left <= 0:
            raise self._over_budget()
        api = ENGINES.acquire(left)
        if api is None:
            raise self._over_budget()
        try:
            left = self._left()
            if left <= 0:
                raise self._over_budget()
            api.SetPageSegMode(psm)
            api.SetImage(img)
            if not api.Recognize(timeout=max(1, int(left * 1000))):
                raise self._over_budget()
            return str(api.GetUTF8Text())
        except Unscannable:
            raise
        except Exception as exc:  # Tesseract refusing the pixels (RuntimeError): not read
            raise Unscannable(OCR_FAILED) from exc
        finally:
            api.Clear()  # drop the image and results: the next message must not see them
            ENGINES.release(api)


def _grey(img: Image) -> Image:
    """The current frame as 8-bit grey on white, scaled down to about TARGET_PIXELS."""
    from PIL import Image as PilImage

    width, height = img.size
    orientation = img.getexif().get(0x0112, 1)
    scale = min(1.0, math.sqrt(TARGET_PIXELS / max(1, width * height)))
    size = (max(1, int(width * scale)), max(1, int(height * scale)))
    if img.format == "JPEG" and scale < 1.0:
        img.draft("L", size)  # the JPEG decoder scales by 1/2, 1/4, 1/8 itself: less memory
    has_alpha = img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)
    if has_alpha:
        # Text drawn on a transparent background: without a white backdrop it would turn
        # black on black.
        rgba = img.convert("RGBA")
        backdrop = PilImage.new("RGBA", rgba.size, (255, 255, 255, 255))
        backdrop.alpha_composite(rgba)
        grey = backdrop.convert("L")
    else:
        grey = img.convert("L")
    if grey.size != size and scale < 1.0:
        grey = grey.resize(size, PilImage.Resampling.LANCZOS, reducing_gap=2.0)
    if orientation in _UPRIGHT:  # a phone photo stored sideways, with its EXIF tag
        grey = grey.transpose(PilImage.Transpose(_UPRIGHT[orientation]))
    return grey


def _scanned_page(doc: Any, index: int) -> bool:
    """Page `index` has an image and fewer than SCANNED_PAGE_MAX_CHARS characters of text."""
    import pypdfium2.raw as pdfium_c

    with PDFIUM_LOCK:
        page = doc[index]
        try:
            textpage = page.get_textpage()
            try:
                chars = int(textpage.count_chars())
            finally:
                textpage.close()
            if chars >= SCANNED_PAGE_MAX_CHARS:
                return False
            images = page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=4)
            return next(iter(images), None) is not None
        finally:
            page.close()


def _render(doc: Any, index: int) -> Image:
    """Page `index` of `doc` as grey pixels at PDF_DPI (less for huge pages), under the lock."""
    with PDFIUM_LOCK:
        page = doc[index]
        try:
            width, height = page.get_size()  # points (1/72 inch)
            scale = PDF_DPI / 72
            area = max(1.0, width * height) * scale * scale
            if area > TARGET_PIXELS:
                scale *= math.sqrt(TARGET_PIXELS / area)
            bitmap = page.render(scale=scale, grayscale=True)
            try:
                img: Image = bitmap.to_pil().copy()  # our own pixels: the bitmap is freed now
            finally:
                bitmap.close()
        finally:
            page.close()
    return img.convert("L")
