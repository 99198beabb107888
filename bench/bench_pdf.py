"""PDF text readers side by side: `python -m bench.bench_pdf [--rounds 9] [--rev REV]`.

Not a test (no timing assertions anywhere).  Times `formats.pdf.pdf_text` (PDFium) per
document on the kinds of PDF mail carries, in alternating rounds with the readers it is
compared with, and prints for each the median time per document and per page with the spread
(fastest and slowest round), then a JSON summary line:

- `bench_letter`: the one-page PDF of `make bench`'s letter (one line of Helvetica, a JPEG);
- `simple`: the labelled corpus's PDF (standard Helvetica, WinAnsi: what pdf_simple read);
- `fpdf_dejavu_10p` and `reportlab_dejavu_10p`: ten-page letters in an embedded TrueType font
  (DejaVu, subset), as Word and LibreOffice exports embed theirs;
- `realistic`: every PDF with a text layer in tests/corpus/realistic (reportlab and fpdf2,
  DejaVu; forms, boxed digits, tables), one document after the other.

Readers: `pdf_text` (this tree's, as the scanner calls it: pdf_simple first, then PDFium),
`pdfium` (PDFium alone, `pdfium_text`, on every document), `pypdf` (page.extract_text, the
reference reader the
property tests compare with; a dev dependency), and with `--rev REV` the pdf_text of git
revision REV (its pdf.py and, if it has one, pdf_simple.py: the reader before PDFium).
"""

from __future__ import annotations

import argparse
import email
import email.policy
import importlib.util
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.mime import make_pdf  # noqa: E402
from bench.stats import machine_info  # noqa: E402
from milter.content.formats import NoTextLayer, Unscannable  # noqa: E402
from milter.content.formats.pdf import pdf_text, pdfium_text  # noqa: E402

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")  # fonts-dejavu-core
LINES = [
    "Voortgangsrapportage jeugdbescherming, periode september tot en met november 2026.",
    "Het gezin is drie keer bezocht; de afspraken uit het plan van aanpak zijn besproken.",
    "Moeder geeft aan dat de spanningen thuis minder zijn sinds de nieuwe dagbesteding.",
    "School meldt dat de jeugdige weer regelmatig aanwezig is en beter meedoet in de klas.",
    "Het veiligheidsplan blijft van kracht; de gezinsvoogd evalueert het in januari 2027.",
]


def fpdf_letter(pages: int) -> bytes:
    """fpdf2, DejaVu embedded: `pages` pages of report prose (about 45 lines each)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.set_font("DejaVu", size=10)
    for page in range(pages):
        pdf.add_page()
        for line in range(45):
            text = f"{page + 1}.{line + 1} {LINES[line % len(LINES)]}"
            pdf.cell(0, 5.5, text, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def reportlab_letter(pages: int) -> bytes:
    """reportlab, DejaVu embedded: `pages` pages of report prose (about 60 lines each)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if "DejaVuBench" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVuBench", str(FONT_DIR / "DejaVuSans.ttf")))
    out = io.BytesIO()
    c = canvas.Canvas(out, invariant=1)
    for page in range(pages):
        c.setFont("DejaVuBench", 9)
        for line in range(60):
            c.drawString(50, 800 - line * 12.5, f"{page + 1}.{line + 1} {LINES[line % 5]}")
        c.showPage()
    c.save()
    return out.getvalue()


def simple_pdf() -> bytes:
    sys.path.insert(0, str(ROOT / "tests" / "corpus"))
    from make_corpus import pdf

    return pdf([LINES[i % 5] for i in range(30)])


def realistic_pdfs() -> list[bytes]:
    """The PDFs attached to the realistic corpus's messages that have a text layer."""
    found = []
    for path in sorted((ROOT / "tests" / "corpus" / "realistic").glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for part in message.walk():
            data = None if part.is_multipart() else part.get_payload(decode=True)
            if isinstance(data, bytes) and data.startswith(b"%PDF-"):
                try:
                    pdf_text(data, 10**8)
                except (NoTextLayer, Unscannable):
                    continue  # scans: OCR's business, timed by bench_ocr
                found.append(data)
    return found


def page_count(data: bytes) -> int:
    import pypdfium2 as pdfium

    from milter.content.formats.ocr import PDFIUM_LOCK

    with PDFIUM_LOCK:
        doc = pdfium.PdfDocument(data)
        try:
            return len(doc)
        finally:
            doc.close()


Reader = Callable[[bytes], object]


def pypdf_reader() -> Reader | None:
    try:
        import pypdf
    except ImportError:
        return None

    def read(data: bytes) -> object:
        return "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)

    return read


def revision_reader(rev: str) -> Reader:
    """pdf_text as git revision `rev` had it (its pdf.py and pdf_simple.py, loaded aside)."""
    here = Path(tempfile.mkdtemp(prefix="bench_pdf_"))
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{rev}:milter/content/formats/pdf.py"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    simple = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{rev}:milter/content/formats/pdf_simple.py"],
        capture_output=True, text=True,
    )  # fmt: skip
    if simple.returncode == 0:
        (here / "rev_pdf_simple.py").write_text(simple.stdout)
        source = source.replace("milter.content.formats.pdf_simple", "rev_pdf_simple")
    (here / "rev_pdf.py").write_text(source)
    sys.path.insert(0, str(here))
    spec = importlib.util.spec_from_file_location("rev_pdf", here / "rev_pdf.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    read: Reader = lambda data: module.pdf_text(data, 10**8)  # noqa: E731
    return read


def time_one(read: Reader, docs: list[bytes], minimum: float = 0.2) -> float:
    """Seconds per pass over `docs` (repeated for at least `minimum` seconds)."""
    passes = 0
    start = time.perf_counter()
    while True:
        for data in docs:
            read(data)
        passes += 1
        elapsed = time.perf_counter() - start
        if elapsed >= minimum:
            return elapsed / passes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--rev", help="also time the pdf_text of this git revision")
    args = parser.parse_args()
    sets = {
        "bench_letter": [make_pdf(10_000)],
        "simple": [simple_pdf()],
        "fpdf_dejavu_10p": [fpdf_letter(10)],
        "reportlab_dejavu_10p": [reportlab_letter(10)],
        "realistic": realistic_pdfs(),
    }
    readers: dict[str, Reader] = {
        "pdf_text": lambda data: pdf_text(data, 10**8),
        "pdfium": lambda data: pdfium_text(data, 10**8, time.monotonic() + 10),
    }
    reference = pypdf_reader()
    if reference is not None:
        readers["pypdf"] = reference
    if args.rev:
        readers[f"rev {args.rev}"] = revision_reader(args.rev)
    for read in readers.values():  # warm up: imports, font caches
        for docs in sets.values():
            for data in docs:
                read(data)
    load_before = os.getloadavg()[0]
    summary: dict[str, object] = {"machine": machine_info(), "load_before": load_before}
    results: dict[str, dict[str, dict[str, float]]] = {}
    for name, docs in sets.items():
        pages = sum(page_count(d) for d in docs)
        times: dict[str, list[float]] = {reader: [] for reader in readers}
        for _ in range(args.rounds):
            for reader, read in readers.items():  # alternating: a slow minute hits all
                times[reader].append(time_one(read, docs))
        results[name] = {}
        line = f"{name:22s} {len(docs):3d} docs {pages:4d} pages"
        for reader, samples in times.items():
            med = statistics.median(samples) * 1000
            results[name][reader] = {
                "ms_per_set": round(med, 3),
                "ms_per_page": round(med / pages, 3),
                "fastest_ms": round(min(samples) * 1000, 3),
                "slowest_ms": round(max(samples) * 1000, 3),
            }
            line += (
                f" | {reader} {med:8.2f} ms ({min(samples) * 1000:.2f}-{max(samples) * 1000:.2f})"
                f" {med / pages:6.3f} ms/page"
            )
        print(line, flush=True)
    summary["results"] = results
    summary["load_after"] = os.getloadavg()[0]
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
