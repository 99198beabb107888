"""HTML to text alone, Python vs native: `python -m bench.bench_html [--rounds 7]`.

Not a test (no timing assertions anywhere). Reads the markups the scanner turns into text in
tests/corpus/realistic and tests/corpus/holdout (Outlook/Word HTML -- MsoNormal or the Office
namespace -- and the rest, "plain"), plus bench_content's synthetic `html` and `html_outlook`
markup (~2 MB each), and times formats.html.html_to_utf8 (what the scanner calls) over each set
with the native core and with the Python code (the loader's functions set to None, as
POSTWARDEN_NATIVE=0 does): MB of markup per second of CPU time (time.process_time), the median
of --rounds. Each round reads fresh str copies: the UTF-8 form of a str that CPython caches
after the first native call would otherwise flatter later rounds. The last line is a JSON
summary.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from email import message_from_bytes
from pathlib import Path

import milter.content.leaf as leaf
import milter.content.native as native
from bench.bench_content import html_message, outlook_html_message
from milter.content.formats import html as html_format
from milter.policy import load_policy

ROOT = Path(__file__).resolve().parents[1]


def corpus_markups() -> dict[str, list[str]]:
    """outlook / plain -> the markups the scanner reads in the two realistic corpora."""
    policy = load_policy(ROOT / "policies" / "example.yaml")
    assert policy.content is not None
    seen: list[str] = []
    original = leaf.html_to_utf8

    def recording(markup: str) -> bytes:
        seen.append(markup)
        return original(markup)

    leaf.html_to_utf8 = recording
    try:
        for folder in ("realistic", "holdout"):
            for path in sorted((ROOT / "tests" / "corpus" / folder).glob("*.eml")):
                policy.content.scanner.scan_message(path.read_bytes(), ocr=False)
    finally:
        leaf.html_to_utf8 = original
    outlook = [m for m in seen if "MsoNormal" in m or "schemas-microsoft-com" in m]
    return {"corpus_outlook": outlook, "corpus_plain": [m for m in seen if m not in outlook]}


def synthetic(make: Callable[[int], bytes]) -> list[str]:
    part = message_from_bytes(make(2_000_000))
    return [part.get_payload(decode=True).decode("utf-8")]  # type: ignore[union-attr]


def mb_per_s(markups: list[str], rounds: int) -> float:
    size = sum(len(m.encode("utf-8")) for m in markups)
    times = []
    for _ in range(rounds):
        fresh = [markup.encode("utf-8").decode("utf-8") for markup in markups]
        started = time.process_time()
        for markup in fresh:
            html_format.html_to_utf8(markup)
        times.append(time.process_time() - started)
    return size / 1e6 / statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    sets = corpus_markups()
    sets["synthetic_html"] = synthetic(html_message)
    sets["synthetic_html_outlook"] = synthetic(outlook_html_message)
    native_functions = native.html_to_text, native.html_to_utf8
    summary: dict[str, dict[str, float]] = {}
    for name, markups in sets.items():
        row = {"parts": len(markups), "mb": sum(len(m.encode()) for m in markups) / 1e6}
        native.html_to_text = native.html_to_utf8 = None
        row["python_mb_s"] = mb_per_s(markups, args.rounds)
        native.html_to_text, native.html_to_utf8 = native_functions
        if native.html_to_utf8 is not None:
            row["native_mb_s"] = mb_per_s(markups, args.rounds)
            row["speedup"] = row["native_mb_s"] / row["python_mb_s"]
        summary[name] = row
        print(name, " ".join(f"{k}={v:.3g}" for k, v in row.items()), flush=True)
    print(json.dumps({"scanner": native.SCANNER, "html_to_utf8": summary}, sort_keys=True))


if __name__ == "__main__":
    main()
