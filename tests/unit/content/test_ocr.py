"""OCR of images and scanned PDFs: text found by Tesseract goes through the same detectors, and
what OCR cannot read stays unscannable with the reason (real Tesseract, images made by Pillow)."""

from __future__ import annotations

import dataclasses
import io
import threading
import time
import zipfile

import pytest
from PIL import Image

from milter.content import ContentFacts, OcrSettings, ScanConfig, compile_config, leaf
from milter.content.config import ConfigError
from milter.content.findings import OCR_WHERE_SUFFIX, OcrUse
from milter.content.formats import ocr
from milter.content.scan import CompiledScanner
from milter.core.engine import _OCR_SUFFIX
from tests.unit.content.ocr_images import (
    BSN,
    FONT,
    ORDINARY,
    encode,
    mail,
    mixed_pdf,
    page,
    phone_photo,
    photo,
    png_header_only,
    scanned_pdf,
    screenshot,
)

SCANNER = compile_config(ScanConfig())


def scanner(**settings: object) -> CompiledScanner:
    return compile_config(ScanConfig(ocr=dataclasses.replace(OcrSettings(), **settings)))


def unscannable(facts: ContentFacts) -> str | None:
    found = facts.by_detector("unscannable")
    return found.reason if found is not None else None


def bsn_where(facts: ContentFacts) -> tuple[str, ...]:
    found = facts.by_detector("bsn")
    assert found is not None, facts.findings
    assert found.confidence == "high" and found.samples == ("*****" + BSN[-4:],)
    return found.where


class TestImages:
    def test_screenshot_of_client_file_is_read(self) -> None:
        """A PNG screenshot with 'BSN: <number>' gives a high-confidence BSN read by OCR."""
        facts = SCANNER.scan_message(mail((encode(screenshot(), "PNG"), "image/png", "scan.png")))
        assert bsn_where(facts) == ("attachment 2 (.png file)" + OCR_WHERE_SUFFIX,)
        assert facts.by_detector("date_of_birth") is not None
        assert unscannable(facts) is None
        assert facts.ocr_read == ("attachment 2 (.png file)",)

    @pytest.mark.parametrize("fmt", ["JPEG", "GIF", "TIFF", "BMP", "WEBP"])
    def test_other_formats_are_read(self, fmt: str) -> None:
        """JPEG, GIF, TIFF, BMP and WebP screenshots are read like PNG."""
        img = screenshot()
        data = encode(img.convert("P") if fmt == "GIF" else img, fmt)
        facts = SCANNER.scan_message(mail((data, "application/octet-stream", f"x.{fmt.lower()}")))
        assert bsn_where(facts)
        assert unscannable(facts) is None

    def test_phone_photo_sized_jpeg_is_scaled_down_and_read(self) -> None:
        """A 4000x3000 photo of a page (12 MP) is scaled to ~8 MP, not refused, and read."""
        big = page().resize((3000, 4000))
        assert big.size[0] * big.size[1] > ocr.TARGET_PIXELS
        facts = SCANNER.scan_message(mail((encode(big, "JPEG", quality=85), "image/jpeg", "f.jpg")))
        assert bsn_where(facts)

    def test_phone_photo_is_turned_upright_by_its_exif(self) -> None:
        """A phone photo stored sideways with EXIF orientation 6 is read upright."""
        data = phone_photo(page().resize((3000, 4000)))
        facts = SCANNER.scan_message(mail((data, "image/jpeg", "IMG_2041.jpg")))
        assert bsn_where(facts)

    def test_transparent_png_text_is_read(self) -> None:
        """Black text on a transparent background (not black on black once flattened)."""
        img = screenshot().convert("L")
        rgba = Image.new("RGBA", img.size, (0, 0, 0, 0))
        rgba.putalpha(img.point(lambda v: 255 - v))  # ink where the screenshot is dark
        facts = SCANNER.scan_message(mail((encode(rgba, "PNG"), "image/png", "t.png")))
        assert bsn_where(facts)

    def test_photo_without_text_is_read_and_gives_nothing(self) -> None:
        """A picture without text: no findings, and not unscannable (nothing to read in it)."""
        facts = SCANNER.scan_message(mail((encode(photo(), "JPEG"), "image/jpeg", "uitje.jpg")))
        assert facts.findings == ()

    def test_ordinary_screenshot_gives_no_client_data(self) -> None:
        """A screenshot of an agenda: read, and no BSN, date of birth or unscannable."""
        img = screenshot(ORDINARY)
        facts = SCANNER.scan_message(mail((encode(img, "PNG"), "image/png", "agenda.png")))
        assert {f.detector for f in facts.findings} <= {"case_keywords", "phone_nl", "postcode"}
        assert unscannable(facts) is None

    def test_image_in_zip_is_read(self) -> None:
        """An image inside a zip attachment is read by OCR like an attached one."""
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr("scans/scan1.png", encode(screenshot(), "PNG"))
        facts = SCANNER.scan_message(mail((out.getvalue(), "application/zip", "scans.zip")))
        (where,) = bsn_where(facts)
        assert where.endswith(OCR_WHERE_SUFFIX) and "(.zip file)/member 1" in where

    def test_pasted_screenshot_inline_in_html_is_read(self) -> None:
        """A large image pasted into an HTML mail (cid:) is content, not decoration: read."""
        from email.message import EmailMessage

        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "a@samen-veilig.nl", "b@x.example", "zie"
        msg.set_content("zie hieronder")
        msg.add_alternative('<p>zie hieronder</p><img src="cid:shot1">', subtype="html")
        html = msg.get_payload()[1]  # type: ignore[index]
        html.add_related(encode(screenshot(), "PNG"), "image", "png", cid="<shot1>")
        facts = SCANNER.scan_message(msg.as_bytes())
        assert bsn_where(facts)


def related_mail(image: bytes) -> bytes:
    """An HTML mail with `image` inline in multipart/related, referenced by cid, no file name."""
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@samen-veilig.nl", "b@x.example", "zie"
    msg.set_content("zie hieronder")
    msg.add_alternative('<p>zie hieronder</p><img src="cid:img1">', subtype="html")
    html = msg.get_payload()[1]  # type: ignore[index]
    html.add_related(image, "image", "png", cid="<img1>")
    return msg.as_bytes()


class TestDecoration:
    def test_small_pasted_screenshot_is_read(self) -> None:
        """A cropped screenshot as small as a logo (< 16 KiB) is still read by OCR."""
        crop = screenshot().crop((0, 40, 520, 220))
        data = encode(crop, "PNG", optimize=True)
        assert len(data) < leaf.DECORATION_MAX_BYTES
        facts = SCANNER.scan_message(related_mail(data))
        assert bsn_where(facts)
        assert unscannable(facts) is None

    def test_inline_images_off_leaves_decoration_unread(self) -> None:
        """`inline_images: false`: a pasted screenshot small enough to be decoration (at most
        leaf.DECORATION_MAX_PIXELS) is not read."""
        crop = screenshot().crop((0, 40, 400, 220))
        assert crop.width * crop.height <= leaf.DECORATION_MAX_PIXELS
        data = encode(crop, "PNG", optimize=True)
        facts = scanner(inline_images=False).scan_message(related_mail(data))
        assert facts.findings == () and facts.ocr_read == ()

    def test_logo_stays_decoration(self) -> None:
        """A signature logo: read best effort, no findings, not unscannable."""
        logo = Image.new("RGB", (180, 60), (20, 80, 160))
        facts = SCANNER.scan_message(related_mail(encode(logo, "PNG")))
        assert facts.findings == ()
        assert facts.ocr is not None and facts.ocr.recognised == 1

    def test_no_image_no_ocr_use(self) -> None:
        """A message without images or scans reports no OCR use (nothing for the metrics)."""
        facts = SCANNER.scan_message(b"Subject: x\r\n\r\nBSN 111222333\r\n")
        assert facts.ocr is None

    def test_damaged_logo_is_unscannable(self) -> None:
        """A small inline image whose size cannot be read is no decoration (fail closed): OCR
        cannot decode it either, so it is unscannable."""
        facts = SCANNER.scan_message(related_mail(b"\x89PNG\r\n\x1a\n" + b"\x00" * 300))
        assert unscannable(facts) is not None and unscannable(facts).startswith("image")

    def test_pixel_bomb_posing_as_logo_is_unscannable(self) -> None:
        """A tiny file claiming 60000x60000 pixels is not a logo: unscannable."""
        facts = SCANNER.scan_message(related_mail(png_header_only(60_000, 60_000)))
        assert unscannable(facts) == "image: image too large for OCR (max_image_pixels)"


class TestRecurringImages:
    """The same logo in mail after mail is read by Tesseract twice, then answered from memory;
    a one-off image's text is never kept."""

    def _reads(self) -> tuple[int, int]:
        return ocr.RECURRING.reads, ocr.RECURRING.hits

    def test_third_sighting_is_not_read_again_and_gives_the_same_facts(self) -> None:
        """Sightings one and two are read by OCR; the third is answered from memory, with
        the same findings, where and ocr_read as a read."""
        raw = mail((encode(screenshot(), "PNG"), "image/png", "scan.png"))
        first = SCANNER.scan_message(raw)
        second = SCANNER.scan_message(raw)
        assert self._reads() == (2, 0)
        third = SCANNER.scan_message(raw)
        assert self._reads() == (2, 1)
        assert first == second == third
        # what the metrics count: read by Tesseract twice, then remembered
        uses = [facts.ocr for facts in (first, second, third)]
        assert [(u.recognised, u.remembered) for u in uses if u] == [(1, 0), (1, 0), (0, 1)]
        assert uses[0] and uses[0].seconds > 0 and uses[2] and uses[2].seconds == 0
        assert bsn_where(third) == ("attachment 2 (.png file)" + OCR_WHERE_SUFFIX,)

    def test_logo_is_kept_after_its_second_sighting(self) -> None:
        """A signature logo (decoration) is answered from memory from its third mail on."""
        crop = screenshot().crop((0, 40, 520, 220))
        raw = related_mail(encode(crop, "PNG", optimize=True))
        facts = [SCANNER.scan_message(raw) for _ in range(4)]
        assert self._reads() == (2, 2)
        assert all(f == facts[0] for f in facts) and bsn_where(facts[0])

    def test_one_off_image_text_is_not_kept(self) -> None:
        """An image seen once leaves only its hash: the next message with it is read again."""
        SCANNER.scan_message(mail((encode(screenshot(), "PNG"), "image/png", "scan.png")))
        assert ocr.RECURRING.text(ocr.RECURRING.key("image", b"", 0)) is None
        assert len(ocr.RECURRING._texts) == 0 and len(ocr.RECURRING._seen) == 1

    def test_kept_text_expires_after_its_last_use(self) -> None:
        """Past the time-to-live since its last use, an image's text is gone."""
        kept = ocr._Recurring(entries=4, seen=4, ttl=0.05)
        key = kept.key("image", b"logo", 1)
        kept.sighted(key, "Samen Veilig", 1)
        kept.sighted(key, "Samen Veilig", 1)
        assert kept.text(key) == ("Samen Veilig", 1)
        time.sleep(0.1)
        assert kept.text(key) is None

    def test_bounded_in_entries_oldest_first(self) -> None:
        """Past its entries the least recently used image's text goes."""
        kept = ocr._Recurring(entries=2, seen=8, ttl=60)
        keys = [kept.key("image", bytes([n]), 1) for n in range(3)]
        for key in keys:
            kept.sighted(key, "x", 1)
            kept.sighted(key, "x", 1)
        assert kept.text(keys[0]) is None
        assert kept.text(keys[1]) == ("x", 1) and kept.text(keys[2]) == ("x", 1)

    def test_long_text_is_a_document_and_never_kept(self) -> None:
        """Text longer than a logo's (a forwarded scan) is not kept, however often seen."""
        kept = ocr._Recurring(entries=4, seen=4, ttl=60)
        key = kept.key("image", b"scan", 1)
        for _ in range(3):
            kept.sighted(key, "x" * (ocr.RECURRING_MAX_CHARS + 1), 1)
        assert kept.text(key) is None

    def test_hits_still_count_towards_max_images(self) -> None:
        """A kept image still counts: past max_images it is unscannable, read or not."""
        data = encode(screenshot(), "PNG")
        for _ in range(2):
            SCANNER.scan_message(mail((data, "image/png", "a.png")))
        facts = scanner(max_images=1).scan_message(
            mail((data, "image/png", "a.png"), (data, "image/png", "b.png"))
        )
        assert ocr.RECURRING.hits == 1
        assert unscannable(facts) == "image: OCR max_images exceeded"

    def test_lower_pixel_bound_after_a_reload_is_not_bypassed(self) -> None:
        """An image kept under one policy's max_image_pixels is refused by a policy whose
        bound it exceeds (the bound is part of the key)."""
        raw = mail((encode(screenshot(), "PNG"), "image/png", "scan.png"))
        for _ in range(3):
            SCANNER.scan_message(raw)
        facts = scanner(max_image_pixels=1000).scan_message(raw)
        assert unscannable(facts) == "image: image too large for OCR (max_image_pixels)"

    def test_out_of_time_message_may_use_what_is_known(self) -> None:
        """A kept image needs no OCR time: with the budget spent it is still read (never
        accepted unread: its text is its own, read earlier)."""
        raw = mail((encode(screenshot(), "PNG"), "image/png", "scan.png"))
        SCANNER.scan_message(raw)
        SCANNER.scan_message(raw)
        facts = SCANNER.scan_message(raw, deadline=time.monotonic() - 1)
        assert bsn_where(facts) and unscannable(facts) is None


class TestScannedPdf:
    def test_scanned_page_is_read(self) -> None:
        """An image-only PDF (a scan) is rendered and read: BSN found, 'read by OCR'."""
        facts = SCANNER.scan_message(mail((scanned_pdf([page()]), "application/pdf", "scan.pdf")))
        assert bsn_where(facts) == ("attachment 2 (.pdf file)" + OCR_WHERE_SUFFIX,)
        assert unscannable(facts) is None

    def test_client_data_on_a_later_page_is_read(self) -> None:
        """Three pages, the BSN on the third: every page within max_pages is read."""
        pages = [page(ORDINARY), page(ORDINARY), page()]
        facts = SCANNER.scan_message(mail((scanned_pdf(pages), "application/pdf", "s.pdf")))
        assert bsn_where(facts)

    @pytest.mark.parametrize("angle", [90, 180])
    def test_page_fed_sideways_or_upside_down_is_read(self, angle: int) -> None:
        """A scanned page rotated 90 or 180 degrees is still read (orientation detection)."""
        pdf = scanned_pdf([page().rotate(angle, expand=True, fillcolor=245)])
        facts = SCANNER.scan_message(mail((pdf, "application/pdf", "s.pdf")))
        assert bsn_where(facts)

    def test_scanned_page_after_a_typed_letter_is_read(self) -> None:
        """A PDF with a typed cover letter and a scanned page: the scanned page is read too."""
        pdf = mixed_pdf(["Geachte collega,", "Bijgaand het formulier. " * 3], page())
        facts = SCANNER.scan_message(mail((pdf, "application/pdf", "brief.pdf")))
        assert bsn_where(facts) == ("attachment 2 (.pdf file)" + OCR_WHERE_SUFFIX,)
        assert facts.ocr_read == ("attachment 2 (.pdf file)",)

    def test_typed_pages_with_a_logo_are_not_ocrd(self) -> None:
        """A typed letter with a logo image on its page: its text layer is enough, no OCR."""
        from reportlab.lib.pagesizes import A4
        from reportlab.lib.utils import ImageReader
        from reportlab.pdfgen import canvas

        out = io.BytesIO()
        pdf = canvas.Canvas(out, pagesize=A4)
        pdf.drawImage(ImageReader(screenshot(["LOGO"], (300, 100))), 72, 720, 150, 50)
        pdf.drawString(72, 680, "Geachte collega, bijgaand de planning voor het voorjaar.")
        pdf.save()
        facts = SCANNER.scan_message(mail((out.getvalue(), "application/pdf", "brief.pdf")))
        assert facts.ocr_read == () and unscannable(facts) is None

    def test_blank_scan_stays_unscannable(self) -> None:
        """A scanned PDF in which OCR finds no text at all is not 'read': unscannable."""
        blank = Image.new("L", (2480, 3508), 250)
        facts = SCANNER.scan_message(mail((scanned_pdf([blank]), "application/pdf", "s.pdf")))
        assert unscannable(facts) == "pdf without text: OCR found none"


class TestScannedPagesFoundOnce:
    """The text pass tells OCR which pages look scanned, so the document is not opened again
    to find them (0.4 ms a message with a logo); where it cannot tell, OCR looks as before."""

    @staticmethod
    def _letter(font: str, typed: list[str], scan: Image.Image | None, logo: bool) -> bytes:
        from reportlab.lib.pagesizes import A4
        from reportlab.lib.utils import ImageReader
        from reportlab.pdfgen import canvas

        out = io.BytesIO()
        pdf = canvas.Canvas(out, pagesize=A4)
        if logo:
            pdf.drawImage(ImageReader(screenshot(["LOGO"], (300, 100))), 72, 760, 150, 50)
        pdf.setFont(font, 11)
        for i, line in enumerate(typed):
            pdf.drawString(72, 700 - i * 16, line)
        pdf.showPage()
        if scan is not None:
            pdf.drawImage(ImageReader(scan), 0, 0, width=A4[0], height=A4[1])
            pdf.showPage()
        pdf.save()
        return out.getvalue()

    @pytest.fixture
    def asked(self, monkeypatch: pytest.MonkeyPatch) -> list[int]:
        """The pages OCR's own look at every page asked about (it still works: a spy)."""
        pages: list[int] = []
        real = ocr._scanned_page

        def spy(doc: object, index: int) -> bool:
            pages.append(index)
            return real(doc, index)

        monkeypatch.setattr(ocr, "_scanned_page", spy)
        return pages

    def test_pdfium_letter_with_a_scanned_page(self, asked: list[int]) -> None:
        """An embedded-font letter (read by PDFium) and a scanned form: the form is read by
        OCR, found while the text was read, without a second look at every page."""
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        pdfmetrics.registerFont(TTFont("DejaVu", FONT))
        pdf = self._letter("DejaVu", ["Geachte collega,", "Bijgaand het formulier."], page(), True)
        assert b"/ToUnicode" in pdf  # the PDFium path
        facts = SCANNER.scan_message(mail((pdf, "application/pdf", "brief.pdf")))
        assert bsn_where(facts) == ("attachment 2 (.pdf file)" + OCR_WHERE_SUFFIX,)
        assert facts.ocr is not None and facts.ocr.recognised == 1  # the form, not the logo
        assert asked == []

    def test_simple_letter_with_text_on_every_page_needs_no_ocr(self, asked: list[int]) -> None:
        """A Helvetica letter (the simple reader) with a logo and a page of text: no page is
        a scan, and PDFium is not asked."""
        typed = ["Geachte collega, bijgaand de planning voor het voorjaar van het team."] * 3
        pdf = self._letter("Helvetica", typed, None, True)
        assert b"/ToUnicode" not in pdf
        facts = SCANNER.scan_message(mail((pdf, "application/pdf", "brief.pdf")))
        assert facts.ocr is None and unscannable(facts) is None
        assert asked == []

    def test_simple_letter_with_a_short_page_is_looked_at_as_before(self, asked: list[int]) -> None:
        """A page with little text of its own (it may be a scan with a caption): OCR looks at
        every page itself, and reads the scan."""
        pdf = self._letter("Helvetica", ["Zie bijlage."], page(), True)
        facts = SCANNER.scan_message(mail((pdf, "application/pdf", "brief.pdf")))
        assert asked == [0, 1]
        assert bsn_where(facts) == ("attachment 2 (.pdf file)" + OCR_WHERE_SUFFIX,)


class TestBounds:
    def test_too_many_images(self) -> None:
        """Past max_images the next image is unscannable; the ones before are still read."""
        data = encode(screenshot(), "PNG")
        facts = scanner(max_images=1).scan_message(
            mail((data, "image/png", "a.png"), (data, "image/png", "b.png"))
        )
        assert bsn_where(facts) == ("attachment 2 (.png file)" + OCR_WHERE_SUFFIX,)
        assert unscannable(facts) == "image: OCR max_images exceeded"

    def test_too_many_pages(self) -> None:
        """Past max_pages the rest of a scan is unscannable; the pages before are read."""
        pdf = scanned_pdf([page(), page(ORDINARY)])
        facts = scanner(max_pages=1).scan_message(mail((pdf, "application/pdf", "s.pdf")))
        assert bsn_where(facts)
        assert unscannable(facts) == "scanned pdf: OCR max_pages exceeded"

    def test_multi_page_tiff_frames_count_as_pages(self) -> None:
        """A two-frame fax TIFF with max_pages 1: the second frame is not read -> unscannable."""
        first, second = screenshot(ORDINARY), screenshot()
        out = io.BytesIO()
        first.save(out, "TIFF", save_all=True, append_images=[second])
        facts = scanner(max_pages=1).scan_message(mail((out.getvalue(), "image/tiff", "fax.tif")))
        assert unscannable(facts) == "image: OCR max_pages exceeded"

    def test_pixel_bomb_is_not_decoded(self) -> None:
        """An image claiming 60000x60000 pixels is refused from its header, not decoded."""
        facts = SCANNER.scan_message(
            mail((png_header_only(60_000, 60_000), "image/png", "bomb.png"))
        )
        assert unscannable(facts) == "image: image too large for OCR (max_image_pixels)"

    def test_out_of_time(self) -> None:
        """A deadline already passed: the image is unscannable, never accepted unread."""
        raw = mail((encode(screenshot(), "PNG"), "image/png", "scan.png"))
        facts = SCANNER.scan_message(raw, deadline=time.monotonic() - 1)
        assert facts.by_detector("bsn") is None
        assert unscannable(facts) == "image: OCR time budget exceeded"
        assert facts.ocr == OcrUse(0, 0, 0.0, out_of_time=True)

    def test_out_of_time_for_a_scan(self) -> None:
        """The same for a scanned PDF: unscannable with the bound, nothing read."""
        raw = mail((scanned_pdf([page()]), "application/pdf", "s.pdf"))
        facts = SCANNER.scan_message(raw, deadline=time.monotonic() - 1)
        assert unscannable(facts) == "OCR time budget exceeded"
        assert facts.ocr is not None and facts.ocr.out_of_time

    def test_damaged_image(self) -> None:
        """PNG magic followed by garbage: unscannable ('damaged'), no exception."""
        raw = mail((b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 50, "image/png", "x.png"))
        assert unscannable(SCANNER.scan_message(raw)) == "image: damaged or unsupported image"

    def test_heic_stays_unscannable(self) -> None:
        """HEIC (iPhone photos) has no decoder here: unscannable as before."""
        heic = b"\x00\x00\x00\x18ftypheic" + b"\x00" * 200
        assert unscannable(SCANNER.scan_message(mail((heic, "image/heic", "IMG_1.HEIC")))) == (
            "image"
        )

    def test_bounds_are_validated(self) -> None:
        """The scanner refuses an OCR budget that does not fit the milter's, and zero bounds."""
        with pytest.raises(ConfigError, match="time_budget_ms"):
            scanner(time_budget_ms=60_000)
        with pytest.raises(ConfigError, match="max_pages"):
            scanner(max_pages=0)


class TestSwitches:
    def test_ocr_off_in_the_policy(self) -> None:
        """`enabled: false`: an image is unscannable ('image') as before OCR existed."""
        raw = mail((encode(screenshot(), "PNG"), "image/png", "scan.png"))
        facts = scanner(enabled=False).scan_message(raw)
        assert facts.by_detector("bsn") is None and unscannable(facts) == "image"
        assert facts.ocr_read == ()

    def test_ocr_not_asked_for(self) -> None:
        """A scan with ocr=False (the milter's internal-only mail): images stay unscannable."""
        raw = mail((scanned_pdf([page()]), "application/pdf", "s.pdf"))
        facts = SCANNER.scan_message(raw, ocr=False)
        assert unscannable(facts) == "pdf without text (scanned image?)"
        assert facts.by_detector("bsn") is None

    def test_engine_suffix_matches_findings(self) -> None:
        """The engine's hold reasons recognise OCR text by the scanner's own suffix."""
        assert _OCR_SUFFIX == OCR_WHERE_SUFFIX


class TestEnginePool:
    def test_pool_is_bounded_and_reused(self) -> None:
        """A pool of one hands out one instance; the next caller waits, then gets it back."""
        pool = ocr._Engines(1)
        first = pool.acquire(5)
        assert first is not None
        assert pool.acquire(0) is None  # bounded: no second instance is made
        got: list[object] = []
        waiter = threading.Thread(target=lambda: got.append(pool.acquire(30)))
        waiter.start()
        pool.release(first)
        waiter.join(30)
        assert got == [first]

    def test_concurrent_messages_read_correctly(self) -> None:
        """Four threads OCR at once through the shared pool: each gets its own image's text."""
        images = {n: encode(screenshot([f"Kenmerk {n}", f"BSN: {BSN}"]), "PNG") for n in range(4)}
        results: dict[int, ContentFacts] = {}

        def work(n: int) -> None:
            results[n] = SCANNER.scan_message(mail((images[n], "image/png", f"{n}.png")))

        threads = [threading.Thread(target=work, args=(n,)) for n in images]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert sorted(results) == [0, 1, 2, 3]
        for facts in results.values():
            assert bsn_where(facts)

    def test_tesseract_available(self) -> None:
        """Tesseract with the nld and eng models loads (Makefile DEB_PACKAGES install them)."""
        assert ocr.available()
