"""iban -- international bank account numbers (ISO 13616), Dutch ones in particular.

Finds an IBAN written compact (NL91ABNA0417164300) or in groups of four (NL91 ABNA 0417 1643 00),
upper case, whose length is right for its country (the ISO 13616 registry's table) and whose
check digits pass mod-97.

Confidence, per unique IBAN:
- high:   any country with the right length and a valid mod-97; for NL also the BBAN form
          (four letters, ten digits) with a known Dutch bank code (ABNA, INGB, RABO, ...);
- medium: an NL IBAN with a valid mod-97 and BBAN form but a bank code not in our list.
A wrong checksum, a wrong length or an unknown country is not an IBAN: no finding.

Refuses: candidates glued to letters or digits on either side.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from milter.content.detectors._numbers import in_url_or_address
from milter.content.findings import Confidence, Finding
from milter.content.mask import mask_iban
from milter.content.registry import Detector, DetectorRun, Segment, Shape, Tally, register

IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28,
    "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28,
    "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22,
    "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23,
    "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24,
    "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip

DUTCH_BANK_CODES = frozenset(
    [
        "ABNA",
        "ADYB",
        "AEGO",
        "ANDL",
        "ARBN",
        "ARSN",
        "ASNB",
        "ATBA",
        "BCDM",
        "BCIT",
        "BICK",
        "BINK",
        "BKCH",
        "BKMG",
        "BLGW",
        "BMEU",
        "BNDA",
        "BNGH",
        "BNPA",
        "BOFA",
        "BOFS",
        "BOTK",
        "BUNQ",
        "CHAS",
        "CITC",
        "CITI",
        "COBA",
        "DEUT",
        "DHBN",
        "DLBK",
        "DNIB",
        "EBUR",
        "FBHL",
        "FLOR",
        "FRGH",
        "FRNX",
        "FTSB",
        "FVLB",
        "GILL",
        "HAND",
        "HHBA",
        "HSBC",
        "ICBK",
        "INGB",
        "ISAE",
        "ISBK",
        "KABA",
        "KASA",
        "KNAB",
        "KOEX",
        "KRED",
        "LOCY",
        "LOYD",
        "LPLN",
        "MHCB",
        "MOYO",
        "NNBA",
        "NWAB",
        "PCBC",
        "RABO",
        "RBRB",
        "REVO",
        "SNSB",
        "SOGE",
        "TEBU",
        "TRIO",
        "UBSW",
        "UGBI",
        "VOWA",
        "VPAY",
        "ZWLB",
    ]
)

SHAPE = r"[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}"


def mod97_ok(compact: str) -> bool:
    """ISO 7064 mod 97-10 over the rearranged IBAN."""
    rearranged = compact[4:] + compact[:4]
    try:
        number = int("".join(str(int(c, 36)) for c in rearranged))
    except ValueError:
        return False
    return number % 97 == 1


def classify(compact: str) -> Confidence | None:
    """Confidence for a compact candidate, None when it is not a valid IBAN."""
    length = IBAN_LENGTHS.get(compact[:2])
    if length is None or len(compact) != length or not mod97_ok(compact):
        return None
    if compact[:2] != "NL":
        return "high"
    bban = compact[4:]
    if not (bban[:4].isalpha() and bban[4:].isdigit()):
        return None
    return "high" if bban[:4] in DUTCH_BANK_CODES else "medium"


def _cut(token: bytes, length: int) -> int | None:
    """Offset in `token` just after its `length`-th letter/digit, or None if it is shorter."""
    seen = 0
    for offset, byte in enumerate(token):
        if byte != 0x20:
            seen += 1
            if seen == length:
                return offset + 1
    return None


@dataclass(slots=True)
class _Run(DetectorRun):
    tally: Tally = field(default_factory=lambda: Tally("iban", mask_iban))
    candidates: list[tuple[str, Confidence]] = field(default_factory=list)

    def on_shape(self, tag: str, data: bytes, start: int, end: int) -> int | None:
        token = data[start:end]
        length = IBAN_LENGTHS.get(token[:2].decode("ascii"))
        if length is None:
            return start + 2
        cut = _cut(token, length)
        if cut is None:
            return start + 2
        stop = start + cut
        if stop < len(data) and data[stop] != 0x20 and data[stop : stop + 1].isalnum():
            return start + 2
        if start > 0 and data[start - 1 : start].isalnum():
            return stop
        compact = token[:cut].replace(b" ", b"").decode("ascii")
        confidence = classify(compact)
        if confidence is not None and not in_url_or_address(data, start, stop):
            self.candidates.append((compact, confidence))
        return stop

    def on_segment(self, segment: Segment) -> None:
        for compact, confidence in self.candidates:
            self.tally.add(compact, confidence, segment.where)
        self.candidates.clear()

    def findings(self) -> tuple[Finding, ...]:
        found = self.tally.finding()
        return (found,) if found else ()


@register("iban")
class IbanDetector(Detector):
    """Registered detector: see the module docstring."""

    def shapes(self) -> tuple[Shape, ...]:
        return (Shape("iban", SHAPE, priority=10),)

    def start(self) -> DetectorRun:
        return _Run()
