"""OCR cost: `python bench/bench_ocr.py [--runs 3]`.

Not a test (no timing assertions): scans four messages with the default configuration, OCR on,
and prints seconds per message, per image and per page (median of --runs, wall clock and CPU
of this process -- Tesseract runs in it, one OpenMP thread):

- `screenshot_png`: a 1280x800 screenshot of a client file (15 px DejaVu text);
- `photo_jpeg`: a 4000x3000 phone photo of a printed page (12 MP, stored sideways with its
  EXIF orientation, as phones do; scaled to ~8 MP and turned upright);
- `logo_inline`: an HTML mail with a 240x80 signature logo inline (cid:), which the walk counts
  as decoration and OCR reads best effort (`content.ocr.inline_images`);
- `scan_pdf_1p` / `scan_pdf_3p`: image-only PDFs of A4 pages scanned at 300 dpi (rendered at
  200 dpi by pypdfium2, then read).

Also the one-time cost of loading Tesseract (nld+eng) and, for the screenshot, the `tesseract`
binary run per image (a process and a model load each time: what tesserocr saves).  The
last line is a JSON summary for scripts (bench/run.py's `ocr` section).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from milter.content import ScanConfig, compile_config
from milter.content.formats import ocr
from tests.unit.content.ocr_images import (
    ORDINARY,
    encode,
    mail,
    page,
    phone_photo,
    scanned_pdf,
    screenshot,
)
from tests.unit.content.test_ocr import related_mail


def inputs() -> dict[str, tuple[bytes, int]]:
    """name -> (message, images or pages OCR reads in it)."""
    shot = encode(screenshot(), "PNG")
    photo = phone_photo(page().resize((3000, 4000)))
    one = scanned_pdf([page()])
    three = scanned_pdf([page(ORDINARY), page(ORDINARY), page()])
    logo = screenshot(["Samen Veilig Midden-Nederland"], (240, 80))
    return {
        "logo_inline": (related_mail(encode(logo, "PNG")), 1),
        "screenshot_png": (mail((shot, "image/png", "scan.png")), 1),
        "photo_jpeg": (mail((photo, "image/jpeg", "IMG_2041.jpg")), 1),
        "scan_pdf_1p": (mail((one, "application/pdf", "scan.pdf")), 1),
        "scan_pdf_3p": (mail((three, "application/pdf", "scan.pdf")), 3),
    }


def measure(raw: bytes, runs: int) -> tuple[float, float, float, list[str]]:
    """Median wall and CPU seconds of a scan with OCR, CPU seconds without, and the findings."""
    scanner = compile_config(ScanConfig())
    wall, cpu, cpu_off = [], [], []
    found: list[str] = []
    for _ in range(runs):
        w0, c0 = time.perf_counter(), time.process_time()
        facts = scanner.scan_message(raw)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
        found = sorted(f.detector for f in facts.findings)
        c0 = time.process_time()
        scanner.scan_message(raw, ocr=False)
        cpu_off.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu), statistics.median(cpu_off), found


def binary_seconds(image: bytes, runs: int) -> float:
    """The `tesseract` binary on the same screenshot: process start and model load included."""
    with tempfile.NamedTemporaryFile(suffix=".png") as f:
        f.write(image)
        f.flush()
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            subprocess.run(
                ["tesseract", f.name, "stdout", "-l", ocr.LANGUAGES],
                capture_output=True,
                check=True,
                env={"OMP_THREAD_LIMIT": "1", "PATH": "/usr/bin:/bin"},
            )
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    t0 = time.perf_counter()
    api = ocr.ENGINES.acquire(60)
    load_s = time.perf_counter() - t0
    ocr.ENGINES.release(api)
    results: dict[str, dict[str, object]] = {}
    for name, (raw, units) in inputs().items():
        wall, cpu, cpu_off, found = measure(raw, args.runs)
        results[name] = {
            "wall_s": round(wall, 3),
            "cpu_s": round(cpu, 3),
            "cpu_without_ocr_s": round(cpu_off, 4),
            "per_unit_wall_s": round(wall / units, 3),
            "units": units,
            "findings": found,
        }
        print(
            f"{name:16} {wall:6.3f} s wall {cpu:6.3f} s cpu ({cpu_off:6.4f} without OCR)"
            f"  {wall / units:5.3f} s per "
            f"{'page' if 'pdf' in name else 'image'}  findings: {', '.join(found) or '-'}",
            file=sys.stderr,
        )
    binary = binary_seconds(encode(screenshot(), "PNG"), args.runs)
    print(
        f"tesseract binary per screenshot: {binary:.2f} s; engine load {load_s:.2f} s",
        file=sys.stderr,
    )
    print(
        json.dumps(
            {
                "ocr": results,
                "engine_load_s": round(load_s, 3),
                "binary_screenshot_s": round(binary, 3),
                "runs": args.runs,
            }
        )
    )


if __name__ == "__main__":
    main()
