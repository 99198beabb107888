"""pdf -- the text of a PDF attachment: simple PDFs directly (pdf_simple), the rest via pypdf.

Encrypted PDFs are tried with the empty user password (common for 'no printing' PDFs); if that
does not open them they are unscannable ('encrypted pdf').  A PDF whose pages give no text at all
is a scan or a photo: `NoTextLayer` ('pdf without text (scanned image?)'), which the caller may
hand to OCR (formats/ocr.py).  Extraction stops once
`max_chars` characters were read, or (checked between pages) after 10 seconds of CPU-heavy
pypdf work -- then the caller reports `truncated` ('pdf time budget exceeded').

Refuses (Unscannable): anything pypdf cannot read -- pypdf raises a wide range of exceptions on
damaged input, and they all mean the same to us: 'damaged pdf'.
"""

from __future__ import annotations

import io
import logging
import time

from milter.content.formats import NoTextLayer, Unscannable
from milter.content.formats.pdf_simple import simple_pdf_text

logging.getLogger("pypdf").setLevel(logging.CRITICAL)  # pypdf warns about every quirk

TIME_BUDGET_SECONDS = 10.0  # checked between pages: one hostile PDF must not hold the milter


def pdf_text(
    data: bytes, max_chars: int, time_budget: float = TIME_BUDGET_SECONDS
) -> tuple[str, str | None]:
    """(text, cut): the text of the PDF `data`; `cut` names the limit that stopped reading."""
    deadline = time.monotonic() + time_budget
    simple = simple_pdf_text(data, max_chars, deadline)
    if simple is not None:
        if simple[1] is None and not simple[0].strip():
            raise NoTextLayer()
        return simple

    import pypdf  # imported late: loading pypdf costs ~0.1 s, and many messages carry no PDF

    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except (NotImplementedError, pypdf.errors.PyPdfError, ValueError) as exc:
                raise Unscannable("encrypted pdf") from exc
            if not opened:
                raise Unscannable("encrypted pdf")
        texts: list[str] = []
        size = 0
        pages = 0
        for page in reader.pages:
            if time.monotonic() > deadline:
                return "\n".join(texts), "pdf time budget exceeded"
            pages += 1
            text = page.extract_text() or ""
            texts.append(text)
            size += len(text)
            if size >= max_chars:
                return "\n".join(texts)[:max_chars], "max_total_bytes exceeded"
    except Unscannable:
        raise
    except RecursionError as exc:
        raise Unscannable("damaged pdf") from exc
    except Exception as exc:  # pypdf's failure modes on hostile input are not enumerable
        raise Unscannable("damaged pdf") from exc
    joined = "\n".join(texts)
    if pages and not joined.strip():
        raise NoTextLayer()
    return joined, None
