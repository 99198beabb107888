"""Client data planted in test messages, and the check that none of it comes back out.

The values are synthetic: BSNs that pass the 11-test, IBANs with valid check digits, and
sentences no log line, metric or reply of ours has any reason to contain. A leak is any of
them (or a distinctive part of a sentence) showing up in text Postwarden produced.
"""

from __future__ import annotations

from collections.abc import Iterable

BSNS = ("101722333", "100486782")
IBANS = ("NL91ABNA0417164300", "NL20INGB0001234567")
SENTENCES = (
    "Cliënt J. de Vries is op 3 maart opgenomen in de crisisopvang.",
    "Vertrouwelijk: moeder meldt huiselijk geweld door stiefvader.",
)
# Short, distinctive fragments: they survive truncation, re-encoding and line wrapping. Not the
# policy's case keywords ("huiselijk geweld"): a detector may name the keyword it matched.
FRAGMENTS = ("crisisopvang", "stiefvader", "J. de Vries", "opgenomen in de")
NEEDLES = (*BSNS, *IBANS, *FRAGMENTS)


def body_text(n: int = 0) -> str:
    """A message body carrying every kind of planted client data."""
    return (
        f"Bericht {n}.\r\n{SENTENCES[n % 2]}\r\nBSN {BSNS[n % 2]}, rekening {IBANS[n % 2]}.\r\n"
        f"{SENTENCES[(n + 1) % 2]}\r\n"
    )


def find_leaks(texts: Iterable[str]) -> list[str]:
    """Every planted value found in ``texts`` (with 60 characters of context)."""
    found: list[str] = []
    for text in texts:
        for needle in NEEDLES:
            at = text.find(needle)
            if at >= 0:
                found.append(f"{needle!r} in ...{text[max(0, at - 30) : at + 30]!r}...")
    return found
