"""keywords -- whole-word, case- and accent-insensitive word matching for every detector.

Each configured word becomes an RE2 fragment over UTF-8 *bytes* (Latin-1 mode: the matcher's
DFA stays small and fast, measured 100x faster than Unicode classes with (?i)) in which every
letter accepts both cases and its accented forms spelt out as UTF-8 byte pairs ('cliënt'
matches client, CLIËNT, cliént, and a decomposed e + U+0308), a space or hyphen inside the word
accepts any run of spaces/hyphens or none ('sofi-nummer' = sofinummer = sofi nummer), and a dot
is optional ('geb.' = geb).  A trailing `*` accepts any continuation of the word
('melding*' = meldingen).  Whole-word is checked after the match, on the neighbouring characters
(RE2's `\\b` only knows ASCII).

Every fragment runs on to the end of the word, and the match is turned back into its `key`
(folded: lower case, no accents, letters and digits only) to find out which words -- possibly of
several detectors -- it was; so 'dossier' does not match 'dossiernummer' unless 'dossier*' is asked.

Refuses: empty words; words with no letter or digit.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

ASCII_WORD = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def _accent_variants() -> dict[str, dict[int, list[int]]]:
    """base letter -> {UTF-8 lead byte: [continuation bytes]} of its accented forms."""
    variants: dict[str, dict[int, list[int]]] = {}
    for code in range(0xC0, 0x250):
        char = chr(code)
        base = unicodedata.normalize("NFKD", char)[:1].lower()
        if len(base) == 1 and "a" <= base <= "z" and char.lower() != base:
            lead, tail = char.encode("utf-8")
            variants.setdefault(base, {}).setdefault(lead, []).append(tail)
    return variants


_VARIANTS = _accent_variants()
_COMBINING = r"(?:\xcc[\x80-\xbf]|\xcd[\x80-\xaf])?"  # U+0300-U+036F, for decomposed text
_SPACES = r"(?:[ \t\r\n\-]|\xc2\xa0)*"
CACHE_SIZE = 4096  # matched word -> listeners; shared by all messages, bounded
WORD_TAIL = r"[A-Za-z\x80-\xff]*"


def _byte_class(values: list[int]) -> str:
    return "[" + "".join(f"\\x{v:02x}" for v in sorted(values)) + "]"


def _letter(char: str) -> str:
    options = [f"[{char}{char.upper()}]"]
    for lead, tails in sorted(_VARIANTS.get(char, {}).items()):
        options.append(f"\\x{lead:02x}{_byte_class(tails)}")
    if len(options) == 1:
        return options[0]
    return "(?:" + "|".join(options) + ")" + _COMBINING


def fold(text: str) -> str:
    """Lower case without accents: 'Cliënt' -> 'client'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def word_key(word: str) -> str:
    """Folded, letters and digits only: 'Sofi-nummer' -> 'sofinummer'."""
    return "".join(c for c in fold(word) if c.isalnum())


def word_pattern(word: str) -> str:
    """The RE2 fragment (Latin-1 mode, over UTF-8 bytes; no capture groups) for `word`."""
    body = fold(word.rstrip("*").strip())
    if not word_key(body):
        raise ValueError(f"keyword {word!r} has no letter or digit")
    out: list[str] = []
    for char in body:
        if "a" <= char <= "z":
            out.append(_letter(char))
        elif char.isascii() and char.isalnum():
            out.append(char)
        elif char in " -\u00a0\t":
            if out and out[-1] != _SPACES:
                out.append(_SPACES)
        elif char == ".":
            out.append("\\.?")
        else:
            out.append("".join(f"\\x{b:02x}" for b in char.encode("utf-8")))
    return "".join(out)


def is_word_char_before(data: bytes, index: int) -> bool:
    """True when the character ending just before `index` is a letter, digit or underscore."""
    if index <= 0:
        return False
    byte = data[index - 1]
    if byte < 0x80:
        return byte in ASCII_WORD
    start = index - 1
    while start > 0 and index - start < 4 and 0x80 <= data[start] < 0xC0:
        start -= 1
    return data[start:index].decode("utf-8", "replace").isalnum()


def is_word_char_at(data: bytes, index: int) -> bool:
    """True when the character starting at `index` is a letter, digit, underscore or mark."""
    if index >= len(data):
        return False
    byte = data[index]
    if byte < 0x80:
        return byte in ASCII_WORD
    char = data[index : index + 4].decode("utf-8", "replace")[:1]
    return char.isalnum() or unicodedata.category(char).startswith("M")


RESUME_WITHIN = 64  # bytes of a rejected candidate looked into again (see after_glue)


def after_glue(data: bytes, start: int, end: int) -> int:
    """Where the pass goes on after the candidate ``data[start:end]`` was refused because it is
    glued to the word before it: just after the first non-ASCII character inside it that is no
    letter, digit or mark (a no-break space, a dash, a quote), so a keyword behind that is still
    seen ('xBSN-nummer\u00a0BSN': the last BSN counts); else ``end``. Only the first
    RESUME_WITHIN bytes are looked into: a longer run is no word, and looking inside every such
    run again would make the pass quadratic."""
    stop = min(end, start + RESUME_WITHIN)
    i = start + 1
    while i < stop:
        if data[i] >= 0xC0 and not is_word_char_at(data, i):
            i += 1
            while i < end and 0x80 <= data[i] < 0xC0:
                i += 1
            return i
        i += 1
    return end


@dataclass(frozen=True, slots=True)
class Listener:
    """A detector (by index) that asked for a word, and the tag it asked under."""

    detector: int
    tag: str


@dataclass(slots=True)
class KeywordTable:
    """All words of all detectors: the RE2 alternation and the key -> listeners map.

    Every fragment runs on to the end of the word it matched, so a match is always a whole word
    at its end; `lookup` then decides whether that word is one of ours (exactly, or by prefix).
    """

    exact: dict[str, list[Listener]] = field(default_factory=dict)
    prefixes: dict[str, list[Listener]] = field(default_factory=dict)
    cache: dict[bytes, list[tuple[Listener, str]]] = field(default_factory=dict)
    fragments: dict[str, int] = field(default_factory=dict)  # fragment -> key length, for order

    def add(self, word: str, listener: Listener) -> None:
        """Listen for `word` on behalf of `listener`."""
        fragment = word_pattern(word.rstrip("*")) + WORD_TAIL
        key = word_key(word.rstrip("*"))
        table = self.prefixes if word.endswith("*") else self.exact
        listeners = table.setdefault(key, [])
        if listener not in listeners:
            listeners.append(listener)
        self.fragments[fragment] = max(len(key), self.fragments.get(fragment, 0))

    def pattern(self) -> str | None:
        """The alternation, longest words first (RE2 takes the first alternative that matches)."""
        if not self.fragments:
            return None
        ordered = sorted(self.fragments, key=lambda f: (-self.fragments[f], f))
        return "(?:" + "|".join(ordered) + ")"

    def lookup(self, matched: bytes) -> list[tuple[Listener, str]]:
        """Who listens for the matched word, each with the key of the word it asked for.

        RE2 takes the first alternative that matches, longest words first; when that longer
        word turns out not to be ours ('BSN-nummers' when only 'bsn-nummer' and 'bsn' are),
        the shorter words ending before a space, hyphen or other non-letter inside it are tried.
        """
        cached = self.cache.get(matched)
        if cached is not None:
            return cached
        found = self._lookup(matched)
        if len(self.cache) < CACHE_SIZE:
            self.cache[matched] = found
        return found

    def _lookup(self, matched: bytes) -> list[tuple[Listener, str]]:
        text = matched.decode("utf-8", "replace")
        found = self._lookup_key(word_key(text))
        if found:
            return found
        for cut in range(len(text) - 1, 0, -1):
            if not text[cut].isalnum():
                found = self._lookup_key(word_key(text[:cut]))
                if found:
                    return found
        return found

    def _lookup_key(self, key: str) -> list[tuple[Listener, str]]:
        found = [(listener, key) for listener in self.exact.get(key, ())]
        for prefix, listeners in self.prefixes.items():
            if key.startswith(prefix):
                found.extend((listener, prefix) for listener in listeners)
        return found
