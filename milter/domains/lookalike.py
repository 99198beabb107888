"""domains.lookalike -- recipient domains that only look like one of ours (pure).

SYNOPSIS
    index = LookalikeIndex(owned=('samen-veilig.nl',), allow=('samenveilig.be',))
    index.match('samen-veiiig.nl') -> LookalikeMatch('samen-veiiig.nl', 'samen-veilig.nl',
                                                      'homoglyph')
    skeleton(text) -> str

DESCRIPTION
    Built once per policy load; match() is then a few dictionary look-ups and one bounded
    edit distance per owned domain.  Domains are compared by their registrable name: the
    label in front of the public suffix (Public Suffix List shipped with `publicsuffixlist`,
    no network), decoded from its A-label to Unicode.  For 'mail.samen-veilig.nl' that is
    'samen-veilig' with suffix 'nl'.

    match(domain) returns None for an owned domain, an allow-listed domain, or a subdomain of
    either; otherwise the first rule that fits, in this order (kind in parentheses):

      1. same name, other suffix: samen-veilig.com, samen-veilig.co.uk   ('tld swap')
      2. same name but for hyphens: samenveilig.nl, samen-veil-ig.nl     ('hyphen')
      3. same confusable skeleton: samen-veilig.nl with a Cyrillic 'e' (U+0435; an xn-- name),
         samen-vei1ig,
         samen-veiiig (from 'samen-veiIig': domains arrive lower-cased, so a capital I is
         already an 'i'), sarnen-veilig ('rn' for 'm'), ...                ('homoglyph')
      4. Damerau-Levenshtein distance (rapidfuzz) of the names at most max_distance (2), any
         suffix; for owned names of 5 characters or fewer at most 1, because at distance 2
         short names collide with ordinary words and other organisations' names
                                                                        ('edit distance N')
      5. one of dnstwist's permutations of an owned domain (bitsquatting, subdomain splits
         such as sam.en-veilig.nl, samen-veilignl.nl, ...), generated once per index
                                                                ('dnstwist:<fuzzer>')
      6. an owned name as a label left of someone else's registrable domain:
         samen-veilig.nl.example, samen-veilig.mailer.example  ('owned name in subdomain')

    The skeleton is in the spirit of Unicode TS #39: NFKC, case folding, each non-ASCII
    character replaced by an ASCII look-alike from the confusables data of
    `confusable-homoglyphs`, accents stripped, then the ASCII confusions '0'->'o', '1'->'l',
    'i'->'l', 'rn'->'m', 'vv'->'w', 'cl'->'d' folded.  Two names with the same skeleton render
    alike in common fonts.  Rule 4 catches most typing errors; together they also flag real,
    unrelated names that happen to be close (for a 12-letter name, two edits): the policy's
    allow-list is for those partners.

    Not matched: unrelated names (gmail.com), names that merely contain an owned word
    (veiligthuis.nl does not look like veiligthuisutrecht.nl: distance 7), and public
    suffixes themselves.

REFUSES
    LookalikeIndex raises ValueError for an owned or allowed name that is not a valid domain
    (milter.core.address.normalise_domain) or is itself a public suffix, and for max_distance < 1.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import dnstwist  # type: ignore[import-untyped]
import idna
from confusable_homoglyphs import confusables  # type: ignore[import-untyped]
from rapidfuzz.distance import DamerauLevenshtein

from milter.core.address import DomainError, normalise_domain, parent_domains
from milter.domains._suffix import split_registrable
from milter.domains.model import LookalikeMatch

__all__ = ["SHORT_NAME", "LookalikeIndex", "skeleton"]

SHORT_NAME = 5  # owned names this long or shorter only match at edit distance 1
MATCH_CACHE_SIZE = 4096  # domains whose match() result an index remembers
_ASCII_KEEP = frozenset("abcdefghijklmnopqrstuvwxyz-")
_DIGITS = {"0": "o", "1": "l"}
_ASCII_FOLDS = (("rn", "m"), ("vv", "w"), ("cl", "d"), ("i", "l"))


@functools.cache
def _ascii_lookalikes() -> dict[str, str]:
    """Non-ASCII character -> the ASCII letters it is confused with (from the package data)."""
    table: dict[str, str] = {}
    for char, entries in confusables.confusables_data.items():
        if len(char) != 1 or char.isascii():
            continue
        for entry in entries:
            glyph = str(entry.get("c", "")).casefold()
            if glyph and glyph.isascii() and all(c in _ASCII_KEEP or c in _DIGITS for c in glyph):
                table[char] = "".join(_DIGITS.get(c, c) for c in glyph)
                break
    return table


def skeleton(text: str) -> str:
    """The confusable skeleton of a Unicode name (see the module docstring)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    table = _ascii_lookalikes()
    out: list[str] = []
    for char in folded:
        if char in _ASCII_KEEP:
            out.append(char)
        elif char in _DIGITS:
            out.append(_DIGITS[char])
        elif char in table:
            out.append(table[char])
        else:
            stripped = "".join(
                c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
            )
            out.append(stripped if stripped.isascii() and stripped else char)
    result = "".join(out)
    for old, new in _ASCII_FOLDS:
        result = result.replace(old, new)
    return result


def _unicode(label: str) -> str:
    if not label.startswith("xn--"):
        return label
    try:
        return str(idna.decode(label))
    except (idna.IDNAError, UnicodeError, ValueError):
        return label


@dataclass(frozen=True, slots=True)
class _Owned:
    domain: str  # as listed in the policy
    name: str  # registrable label, Unicode
    suffix: str
    skeleton: str
    dehyphenated: str
    max_distance: int


@dataclass(frozen=True, slots=True)
class _Candidate:
    name: str  # registrable label, Unicode
    suffix: str
    skeleton: str


class LookalikeIndex:
    """Owned and allowed domains, prepared once; match() tells whether a domain imitates one."""

    def __init__(
        self, owned: Iterable[str], allow: Iterable[str] = (), max_distance: int = 2
    ) -> None:
        if max_distance < 1:
            raise ValueError("max_distance must be at least 1")
        self._owned_domains = tuple(dict.fromkeys(_checked(d) for d in owned))
        self._allowed = tuple(dict.fromkeys(_checked(d) for d in allow))
        self._exempt_names = frozenset((*self._owned_domains, *self._allowed))
        self._owned: list[_Owned] = []
        self._permutations: dict[str, tuple[str, str]] = {}
        # match() is pure for one index and recipient domains repeat: ~70 us saved per hit.
        self._matches: dict[str, LookalikeMatch | None] = {}
        for domain in self._owned_domains:
            parts = split_registrable(domain)
            if parts is None:
                raise ValueError("an owned domain must not be a public suffix")
            _, label, suffix = parts
            name = _unicode(label)
            limit = 1 if len(name) <= SHORT_NAME else max_distance
            self._owned.append(
                _Owned(domain, name, suffix, skeleton(name), name.replace("-", ""), limit)
            )
            self._add_permutations(f"{label}.{suffix}", domain)

    def _add_permutations(self, registrable: str, owned: str) -> None:
        fuzzer = dnstwist.Fuzzer(registrable)
        fuzzer.generate()
        for permutation in fuzzer.domains:
            kind, candidate = str(permutation["fuzzer"]), str(permutation["domain"])
            if kind == "*original" or not candidate:
                continue
            try:
                candidate = normalise_domain(candidate)
            except DomainError:
                continue
            if not self._exempt(candidate):
                self._permutations.setdefault(candidate, (owned, kind))

    def _exempt(self, domain: str) -> bool:
        return any(name in self._exempt_names for name in parent_domains(domain))

    @property
    def permutation_count(self) -> int:
        """How many dnstwist permutations the index holds."""
        return len(self._permutations)

    def match(self, domain: str) -> LookalikeMatch | None:
        """Why `domain` (a normalised A-label domain) looks like an owned one, or None."""
        try:
            return self._matches[domain]
        except KeyError:
            pass
        found = self._match(domain)
        if len(self._matches) >= MATCH_CACHE_SIZE:
            self._matches.clear()  # bounded; a full cache starts over (cheap, rare)
        self._matches[domain] = found
        return found

    def _match(self, domain: str) -> LookalikeMatch | None:
        if not self._owned or self._exempt(domain):
            return None
        parts = split_registrable(domain)
        if parts is not None:
            left, label, suffix = parts
            name = _unicode(label)
            candidate = _Candidate(name, suffix, skeleton(name))
            for rule in (_tld_swap, _hyphen, _homoglyph, _distance):
                for owned in self._owned:
                    kind = rule(candidate, owned)
                    if kind is not None:
                        return LookalikeMatch(domain, owned.domain, kind)
        hit = self._permutations.get(domain)
        if hit is not None:
            return LookalikeMatch(domain, hit[0], f"dnstwist:{hit[1]}")
        if parts is not None and left:
            labels = {_unicode(x) for x in left.split(".")}
            for owned in self._owned:
                if owned.name in labels:
                    return LookalikeMatch(domain, owned.domain, "owned name in subdomain")
        return None


def _checked(domain: str) -> str:
    try:
        return normalise_domain(domain)
    except DomainError as err:
        raise ValueError(f"not a valid domain: {err}") from None


def _tld_swap(c: _Candidate, owned: _Owned) -> str | None:
    return "tld swap" if c.name == owned.name and c.suffix != owned.suffix else None


def _hyphen(c: _Candidate, owned: _Owned) -> str | None:
    if c.name != owned.name and c.name.replace("-", "") == owned.dehyphenated:
        return "hyphen"
    return None


def _homoglyph(c: _Candidate, owned: _Owned) -> str | None:
    return "homoglyph" if c.name != owned.name and c.skeleton == owned.skeleton else None


def _distance(c: _Candidate, owned: _Owned) -> str | None:
    distance = DamerauLevenshtein.distance(c.name, owned.name, score_cutoff=owned.max_distance)
    if 0 < distance <= owned.max_distance:
        return f"edit distance {distance}"
    return None
