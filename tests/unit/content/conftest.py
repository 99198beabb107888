"""Every content test starts without recurring images: what OCR read for one test must not
answer for the next (formats/ocr.py keeps the text of images it has seen twice)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from milter.content.formats import ocr


@pytest.fixture(autouse=True)
def _no_recurring_images() -> Iterator[None]:
    ocr.RECURRING.clear()
    yield
    ocr.RECURRING.clear()
