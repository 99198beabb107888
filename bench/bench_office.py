"""Office documents, Python vs native: `python -m bench.bench_office [--rounds 9]`.

Not a test (no timing assertions anywhere). For realistic_mix()'s docx, xlsx and zip messages
it times scan_message (OCR off) three ways -- the Python office reader ("python": the loader's
office functions set to None, as POSTWARDEN_NATIVE=0 does), native XML parts with zipfile
reading the zip ("parts"), and whole documents native ("native") -- and, for each office
attachment, the document text alone: ooxml.office_text with zipfile (Python and native parts)
and milter._native.office_zip_text. CPU time per call (time.process_time) in ms; the three
ways alternate within each round, and the median (and minimum) of --rounds is printed. The
last line is a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path

import milter.content.native as native
from bench.mime import realistic_mix
from milter.content.formats import ooxml
from milter.content.formats.archive import open_zip, read_member
from milter.policy import load_policy

ROOT = Path(__file__).resolve().parents[1]
NAMES = ("office_part_text", "office_shared_strings", "office_date_styles",
         "office_sheet_text", "office_zip_text")  # fmt: skip
CAP = 20 << 20
MAX_CHARS = 25 << 20


def per_call(work: Callable[[], object], calls: int) -> float:
    """CPU milliseconds per call of `work`."""
    start = time.process_time()
    for _ in range(calls):
        work()
    return (time.process_time() - start) / calls * 1e3


def office_attachments(raw: bytes) -> list[bytes]:
    message = message_from_bytes(raw, policy=email_policy.default)
    found = []
    for part in message.walk():
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes) and (part.get_filename() or "").endswith((".docx", ".xlsx")):
            found.append(payload)
    return found


def python_office_text(data: bytes) -> str:
    """ooxml.office_text with zipfile, as leaf._zip's Python path reads it."""
    archive = open_zip(data)
    kind = ooxml.office_kind(set(archive.namelist()))
    assert kind is not None
    with archive:
        return ooxml.office_text(
            archive, kind, lambda info: read_member(archive, info, CAP), MAX_CHARS
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    assert native.SCANNER == "native", "milter._native is not built (or POSTWARDEN_NATIVE=0)"
    saved = {name: getattr(native, name) for name in NAMES}
    module = native._MODULE
    assert module is not None

    def use(mode: str) -> None:
        for name, function in saved.items():
            on = mode == "native" or (mode == "parts" and name != "office_zip_text")
            setattr(native, name, function if on else None)

    content = load_policy(ROOT / "policies" / "example.yaml").content
    assert content is not None
    scanner = content.scanner
    mix = realistic_mix()
    summary: dict[str, dict[str, float]] = {}
    for kind in ("docx", "xlsx", "zip"):
        raw = mix[kind]
        times: dict[str, list[float]] = {}
        for _ in range(args.rounds):
            for mode in ("python", "parts", "native"):
                use(mode)
                scan = per_call(lambda: scanner.scan_message(raw, ocr=False), 50)  # noqa: B023
                times.setdefault(f"scan {mode}", []).append(scan)
        for number, document in enumerate(office_attachments(raw)):
            for _ in range(args.rounds):
                for mode in ("python", "parts"):
                    use(mode)
                    alone = per_call(lambda: python_office_text(document), 100)  # noqa: B023
                    times.setdefault(f"text {number} {mode}", []).append(alone)
                zip_alone = per_call(
                    lambda: module.office_zip_text(document, CAP, MAX_CHARS),  # noqa: B023
                    100,
                )
                times.setdefault(f"text {number} native", []).append(zip_alone)
        use("native")
        summary[kind] = {name: statistics.median(values) for name, values in times.items()}
        print(f"{kind} ({len(raw) // 1024} KB), ms of CPU per call, median (min):")
        for name, values in times.items():
            print(f"  {name:18} {statistics.median(values):7.3f} ({min(values):.3f})")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
