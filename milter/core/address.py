"""address -- parse and normalise SMTP envelope addresses and domain names.

SYNOPSIS
    parse_address(raw) -> Address | Malformed
    normalise_domain(name) -> str            (raises DomainError)
    is_within(domain, parent) -> bool
    parent_domains(domain) -> a.b.nl, b.nl, nl   (index lookups: O(labels), not O(list))

DESCRIPTION
    parse_address takes a MAIL FROM or RCPT TO argument as a milter gets it from
    Postfix ('<user@dom>' or 'user@dom', surrounding whitespace allowed, ESMTP
    parameters after the first NUL ignored; str, or UTF-8 bytes for SMTPUTF8) and
    returns an Address whose domain is normalised: UTS-46 mapped (case folded,
    fullwidth forms and ideographic full stops mapped), IDNA A-labels (xn--),
    lower case, no trailing dot.  '<>' and '' are the null sender.  Address.raw
    (and Malformed.raw) is the input up to the first NUL, unstripped, for delrcpt.

    Besides the final domain, an Address lists every other domain the message could
    be routed to or through (routed_domains), because Postfix honours them by
    default: source-route hops ('<@a,@b:user@dom>'), percent-hack domains
    ('user%inner@relay'), '@' inside a quoted local part ('"user@inner"@relay',
    resolve_dequoted_address) and bang-path hosts ('host!user@relay').  Those inner
    candidates are advisory: one that is not a valid host name is left out rather
    than refused, as '%' and '!' are ordinary local-part characters.

    Local parts keep their case; quotes are removed and backslash escapes resolved.
    Address literals ('[192.0.2.1]', '[IPv6:2001:db8::1]') are validated with
    ipaddress and kept as written, lower-cased.

    ASCII labels are checked as RFC 1123 host-name labels (letters, digits,
    hyphens, no hyphen at either end), so 'r3--sn-abc' is accepted as DNS and
    Postfix accept it, although IDNA2008 reserves '--' in positions 3-4.  Labels
    beginning 'xn--' must be canonical Punycode of a valid U-label; non-ASCII labels
    go through idna.encode(label, uts46=True).

REFUSES (parse_address returns Malformed, normalise_domain raises DomainError)
    Input longer than 1000 octets, undecodable UTF-8, lone surrogates, control
    characters, white space outside quotes, unbalanced '<>', quotes or '[]', a
    missing or empty domain (a bare 'postmaster' is refused: 'no domain'), an empty
    local part, empty labels ('a..b'), labels over 63 or names over 253 octets,
    characters not allowed in host names (underscore included: envelope domains are
    host names), invalid IDNA or Punycode, malformed source routes, and address
    literals that are not IPv4 or IPv6 addresses (zone ids and general tags too).
    Local parts longer than 64 octets are accepted, as Postfix accepts them.

    A Malformed reason is a short fixed English phrase; it never repeats any part
    of the input, so it can be logged and put into an SMTP reply.  parse_address
    never raises.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

import idna

__all__ = [
    "Address",
    "DomainError",
    "Malformed",
    "is_within",
    "normalise_domain",
    "parent_domains",
    "parse_address",
]

MAX_RAW_OCTETS = 1000
MAX_NAME_OCTETS = 253
MAX_LABEL_OCTETS = 63

# Reasons a domain name is refused (DomainError's message).
_D_NOT_STRING = "not a string"
_D_EMPTY_NAME = "empty name"
_D_EMPTY_LABEL = "empty label"
_D_LABEL_LONG = "label too long"
_D_NAME_LONG = "name too long"
_D_BAD_CHAR = "character not allowed in host names"
_D_HYPHEN = "label starts or ends with a hyphen"
_D_HYPHEN_34 = "hyphens in 3rd and 4th position of an IDN label"
_D_ALABEL = "invalid A-label (Punycode)"
_D_CONTEXT = "character not allowed in this context"
_D_BIDI = "violates the IDNA bidi rule"
_D_NFC = "not in Unicode normalisation form C"
_D_COMBINER = "label starts with a combining mark"
_D_IDNA = "violates IDNA rules"

_DOMAIN_REASONS = (
    _D_NOT_STRING,
    _D_EMPTY_NAME,
    _D_EMPTY_LABEL,
    _D_LABEL_LONG,
    _D_NAME_LONG,
    _D_BAD_CHAR,
    _D_HYPHEN,
    _D_HYPHEN_34,
    _D_ALABEL,
    _D_CONTEXT,
    _D_BIDI,
    _D_NFC,
    _D_COMBINER,
    _D_IDNA,
)

# Reasons an address is refused (Malformed.reason).
_R_UTF8 = "not valid UTF-8"
_R_UNICODE = "not valid Unicode"
_R_TOO_LONG = "address too long"
_R_CONTROL = "control character"
_R_ANGLE = "unbalanced angle brackets"
_R_QUOTES = "unbalanced quotes"
_R_QUOTING = "invalid quoting in local part"
_R_SPACE = "space outside quotes"
_R_LOCAL_CHAR = "invalid character in local part"
_R_NO_DOMAIN = "no domain"
_R_EMPTY_LOCAL = "empty local part"
_R_EMPTY_DOMAIN = "empty domain"
_R_SQUARE = "unbalanced square brackets"
_R_LITERAL = "invalid address literal"
_R_LITERAL_TAG = "unsupported address literal"
_R_ROUTE = "invalid source route"
_R_INTERNAL = "internal error while parsing"
_P_DOMAIN = "invalid domain name: "
_P_ROUTE = "invalid source route: "

# Every reason a Malformed can carry: a fixed vocabulary, so nothing of the input leaks.
_REASONS: frozenset[str] = frozenset(
    {
        _R_UTF8,
        _R_UNICODE,
        _R_TOO_LONG,
        _R_CONTROL,
        _R_ANGLE,
        _R_QUOTES,
        _R_QUOTING,
        _R_SPACE,
        _R_LOCAL_CHAR,
        _R_NO_DOMAIN,
        _R_EMPTY_LOCAL,
        _R_EMPTY_DOMAIN,
        _R_SQUARE,
        _R_LITERAL,
        _R_LITERAL_TAG,
        _R_ROUTE,
        _R_INTERNAL,
    }
    | {_P_DOMAIN + r for r in _DOMAIN_REASONS}
    | {_P_ROUTE + r for r in _DOMAIN_REASONS}
)

_IDNA_CODE_REASONS: dict[str, str] = {
    "input_too_long": _D_NAME_LONG,
    "domain_too_long": _D_NAME_LONG,
    "label_too_long": _D_LABEL_LONG,
    "empty_label": _D_EMPTY_LABEL,
    "empty_domain": _D_EMPTY_NAME,
    "not_nfc": _D_NFC,
    "hyphen_3_4": _D_HYPHEN_34,
    "hyphen_start_end": _D_HYPHEN,
    "leading_combiner": _D_COMBINER,
    "disallowed_codepoint": _D_BAD_CHAR,
    "unknown_codepoint": _D_BAD_CHAR,
    "uts46_disallowed": _D_BAD_CHAR,
    "uts46_std3": _D_BAD_CHAR,
    "invalid_ascii": _D_BAD_CHAR,
    "invalid_utf8": _D_BAD_CHAR,
    "contextj": _D_CONTEXT,
    "contexto": _D_CONTEXT,
    "invalid_alabel": _D_ALABEL,
    "non_canonical_alabel": _D_ALABEL,
}

_LDH_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
_LDH_CHARS = re.compile(r"[a-z0-9-]+")
_LITERAL_TAG = re.compile(r"[A-Za-z0-9-]*[A-Za-z0-9]")
# RFC 5322 atext, ASCII part; non-ASCII (RFC 6531) is atext too unless it is white space.
_ATEXT = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~"
)
# Outside quotes these end or structure an address; in a local part they need quoting.
_LOCAL_SPECIALS = frozenset('()<>[]:;,\\"@')
_ROUTE_SPLIT = re.compile(r"[@%]")
# The ASCII fast paths: a dot-atom local part (RFC 5322 atext atoms), and a whole plain
# address whose local part has no '%' or '!' (the characters that can hide routed domains).
_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_PLAIN_ADDRESS = re.compile(
    r"([A-Za-z0-9#$&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9#$&'*+/=?^_`{|}~-]+)*)@([A-Za-z0-9.-]+)"
)


class DomainError(ValueError):
    """A domain name that is not a valid host name; the message is a short fixed reason."""


class _Refused(Exception):
    """Internal: carries a Malformed reason out of the parsing helpers."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Address:
    """A parsed envelope address; see the module docstring for the normalisation."""

    raw: str
    local: str
    domain: str
    routed_domains: tuple[str, ...] = ()
    is_null: bool = False
    is_literal: bool = False

    @property
    def domains(self) -> tuple[str, ...]:
        """The domain and the routed domains, without '' and address literals."""
        return tuple(d for d in (self.domain, *self.routed_domains) if d and not d.startswith("["))

    def __str__(self) -> str:
        if self.is_null:
            return "<>"
        return f"{_quote_local(self.local)}@{self.domain}"


@dataclass(frozen=True, slots=True)
class Malformed:
    """An address parse_address refuses; reason is short and never repeats the input."""

    raw: str
    reason: str


# --------------------------------------------------------------------------- domains


def _idna_reason(err: idna.IDNAError) -> str:
    code = getattr(err, "code", None)  # idna >= 3.11 only; older versions: by class
    if isinstance(code, str) and code in _IDNA_CODE_REASONS:
        return _IDNA_CODE_REASONS[code]
    if isinstance(code, str) and code.startswith("bidi"):
        return _D_BIDI
    if isinstance(err, idna.IDNABidiError):
        return _D_BIDI
    if isinstance(err, idna.InvalidCodepointContext):
        return _D_CONTEXT
    if isinstance(err, idna.InvalidCodepoint):
        return _D_BAD_CHAR
    return _D_IDNA


def _check_ascii_label(label: str) -> None:
    if len(label) > MAX_LABEL_OCTETS:
        raise DomainError(_D_LABEL_LONG)
    if not _LDH_LABEL.fullmatch(label):
        raise DomainError(_D_HYPHEN if _LDH_CHARS.fullmatch(label) else _D_BAD_CHAR)
    if label.startswith("xn--"):
        try:
            idna.ulabel(label)
        except (idna.IDNAError, UnicodeError, ValueError):
            raise DomainError(_D_ALABEL) from None


def _unicode_label(label: str) -> str:
    try:
        alabel = idna.encode(label, uts46=True).decode("ascii")
    except idna.IDNAError as err:
        raise DomainError(_idna_reason(err)) from None
    except (UnicodeError, ValueError):
        raise DomainError(_D_IDNA) from None
    if len(alabel) > MAX_LABEL_OCTETS:
        raise DomainError(_D_LABEL_LONG)
    return alabel


# The fast paths for plain ASCII below skip the per-character unicodedata loops; their results
# are those of the general code (tests compare both, switching this off).
_ascii_fast_path = True
# Distinct domains remembered by normalise_domain: recipients repeat, and IDNA is not cheap.
DOMAIN_CACHE_SIZE = 4096


def _has_space(text: str) -> bool:
    if _ascii_fast_path and text.isascii() and text.isprintable():
        return " " in text  # the only printable ASCII white space
    return any(ch.isspace() for ch in text)


def _bad_host_characters(name: str) -> bool:
    """White space, control characters or surrogates (never allowed in a host name)."""
    if _ascii_fast_path and name.isascii():
        return not name.isprintable() or " " in name  # ASCII controls are its unprintables
    return any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cs") for ch in name)


def normalise_domain(name: str) -> str:
    """Return `name` as a lower-case A-label host name without trailing dot.

    Applies UTS-46 mapping (case, width, ideographic full stops), IDNA 2008 to
    non-ASCII labels, RFC 1123 label syntax to ASCII labels and the 63/253 octet
    limits.  Raises DomainError (a ValueError) with a short reason otherwise.
    Results are cached (DOMAIN_CACHE_SIZE names; refusals are not cached).
    """
    if not isinstance(name, str):
        raise DomainError(_D_NOT_STRING)
    if not _ascii_fast_path:
        return _normalise_domain(name)
    return _normalise_domain_cached(name)


def _normalise_domain(name: str) -> str:
    if not name:
        raise DomainError(_D_EMPTY_NAME)
    if len(name) > MAX_RAW_OCTETS:
        raise DomainError(_D_NAME_LONG)
    if _bad_host_characters(name):
        raise DomainError(_D_BAD_CHAR)
    if name.isascii():
        mapped = name.lower()
    else:
        try:
            mapped = idna.uts46_remap(name, std3_rules=False)
        except idna.IDNAError as err:
            raise DomainError(_idna_reason(err)) from None
        except (UnicodeError, ValueError):
            raise DomainError(_D_IDNA) from None
    if mapped == ".":
        raise DomainError(_D_EMPTY_NAME)
    labels = mapped.split(".")
    if labels[-1] == "":
        labels.pop()  # one trailing dot: the root
    if not labels:
        raise DomainError(_D_EMPTY_NAME)
    out: list[str] = []
    for label in labels:
        if not label:
            raise DomainError(_D_EMPTY_LABEL)
        if label.isascii():
            _check_ascii_label(label)
            out.append(label)
        else:
            out.append(_unicode_label(label))
    result = ".".join(out)
    if len(result) > MAX_NAME_OCTETS:
        raise DomainError(_D_NAME_LONG)
    return result


_normalise_domain_cached = functools.lru_cache(maxsize=DOMAIN_CACHE_SIZE)(_normalise_domain)


def parent_domains(domain: str) -> Iterator[str]:
    """`domain` and every domain it lies within, most specific first: a.b.nl, b.nl, nl.

    With a set or dict of domains, "is `domain` inside one of them" is a walk over its labels
    (``any(d in listed for d in parent_domains(domain))``), however long the list is."""
    while domain:
        yield domain
        _, _, domain = domain.partition(".")


def is_within(domain: str, parent: str) -> bool:
    """True if `domain` is `parent` or a subdomain of it (both already normalised)."""
    if not domain or not parent:
        return False
    return domain == parent or domain.endswith("." + parent)


# --------------------------------------------------------------------------- addresses


def _quote_local(local: str) -> str:
    if _ascii_fast_path and _DOT_ATOM.fullmatch(local):
        return local  # the usual local part: ASCII atext atoms (what the loop below accepts)
    atoms = local.split(".")
    if all(
        atom and all(ch in _ATEXT or (not ch.isascii() and not ch.isspace()) for ch in atom)
        for atom in atoms
    ):
        return local
    return '"' + local.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _parse_literal(text: str) -> str:
    """Validate '[...]' (text includes the brackets); return it lower-cased."""
    inner = text[1:-1]
    if "[" in inner or "]" in inner:
        raise _Refused(_R_SQUARE)
    if inner[:5].lower() == "ipv6:":
        addr = inner[5:]
        if not addr or "%" in addr:
            raise _Refused(_R_LITERAL)
        try:
            ipaddress.IPv6Address(addr)
        except ValueError:
            raise _Refused(_R_LITERAL) from None
    elif ":" in inner:
        tag = inner.split(":", 1)[0]
        raise _Refused(_R_LITERAL_TAG if _LITERAL_TAG.fullmatch(tag) else _R_LITERAL)
    else:
        try:
            ipaddress.IPv4Address(inner)
        except ValueError:
            raise _Refused(_R_LITERAL) from None
    return text.lower()


def _parse_domain_part(text: str, prefix: str) -> tuple[str, bool]:
    """Return (normalised domain, is_literal) for the part after '@'."""
    if not text:
        raise _Refused(_R_EMPTY_DOMAIN)
    if _has_space(text):
        raise _Refused(_R_SPACE)
    if "<" in text or ">" in text:
        raise _Refused(_R_ANGLE)
    if '"' in text:
        raise _Refused(_R_QUOTES)
    if text.startswith("["):
        if not text.endswith("]"):
            raise _Refused(_R_SQUARE)
        return _parse_literal(text), True
    if "[" in text or "]" in text:
        raise _Refused(_R_SQUARE)
    try:
        return normalise_domain(text), False
    except DomainError as err:
        raise _Refused(prefix + str(err)) from None


def _split_route(text: str) -> tuple[list[str], str]:
    """Split '@a,@b:mailbox' into (hop texts, mailbox); hop literals may hold ':'."""
    hops: list[str] = []
    i = 0
    n = len(text)
    while True:
        if i >= n or text[i] != "@":
            raise _Refused(_R_ROUTE)
        i += 1
        start = i
        if i < n and text[i] == "[":
            end = text.find("]", i)
            if end < 0:
                raise _Refused(_R_SQUARE)
            i = end + 1
        else:
            while i < n and text[i] not in ",:":
                i += 1
        hops.append(text[start:i])
        if i >= n:
            raise _Refused(_R_ROUTE)
        if text[i] == ":":
            return hops, text[i + 1 :]
        if text[i] != ",":
            raise _Refused(_R_ROUTE)
        i += 1


def _split_mailbox(text: str) -> tuple[str, str]:
    """Split 'local@domain' into (unquoted local part, domain text)."""
    if text.startswith('"'):
        buf: list[str] = []
        i = 1
        n = len(text)
        while True:
            if i >= n:
                raise _Refused(_R_QUOTES)
            ch = text[i]
            if ch == "\\":
                if i + 1 >= n:
                    raise _Refused(_R_QUOTES)
                buf.append(text[i + 1])
                i += 2
                continue
            if ch == '"':
                break
            buf.append(ch)
            i += 1
        rest = text[i + 1 :]
        if not rest:
            raise _Refused(_R_NO_DOMAIN)
        if rest[0] != "@":
            raise _Refused(_R_QUOTING)
        local = "".join(buf)
        if not local:
            raise _Refused(_R_EMPTY_LOCAL)
        return local, rest[1:]
    at = text.rfind("@")
    local = text if at < 0 else text[:at]
    if '"' in local:
        raise _Refused(_R_QUOTES if local.count('"') % 2 else _R_QUOTING)
    if _has_space(local):
        raise _Refused(_R_SPACE)
    if "<" in local or ">" in local:
        raise _Refused(_R_ANGLE)
    if at < 0:
        raise _Refused(_R_NO_DOMAIN)
    if not local:
        raise _Refused(_R_EMPTY_LOCAL)
    if not _LOCAL_SPECIALS.isdisjoint(local):
        raise _Refused(_R_LOCAL_CHAR)
    return local, text[at + 1 :]


def _inner_domains(local: str) -> list[str]:
    """Domains hidden in a local part: '%' and '@' hops (rightmost first), then bang hosts."""
    segments = _ROUTE_SPLIT.split(local)
    candidates: list[str] = []
    for segment in reversed(segments[1:]):
        candidates.extend(segment.split("!"))
    candidates.extend(segments[0].split("!")[:-1])
    found: list[str] = []
    for candidate in candidates:
        if not candidate:
            continue
        try:
            if candidate.startswith("[") and candidate.endswith("]"):
                found.append(_parse_literal(candidate))
            else:
                found.append(normalise_domain(candidate))
        except (_Refused, DomainError):
            continue  # not a host name, so nothing can be routed there
    return found


def _refuse_bad_characters(text: str) -> None:
    if _ascii_fast_path and text.isascii():
        if not text.isprintable():  # ASCII has no surrogates; its controls are its unprintables
            raise _Refused(_R_CONTROL)
        return
    if any(unicodedata.category(ch) == "Cs" for ch in text):
        raise _Refused(_R_UNICODE)
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise _Refused(_R_CONTROL)


def _parse(raw: str, text: str) -> Address:
    """Parse `text` (raw before the NUL, already stripped); raise _Refused."""
    _refuse_bad_characters(text)
    if text.startswith("<") or text.endswith(">"):
        if not (len(text) >= 2 and text.startswith("<") and text.endswith(">")):
            raise _Refused(_R_ANGLE)
        text = text[1:-1].strip()
    if not text:
        return Address(raw, "", "", is_null=True)
    routed: list[str] = []
    if text.startswith("@") and (":" in text or "," in text):
        hops, text = _split_route(text)
        for hop in hops:
            if not hop:
                raise _Refused(_R_ROUTE)
            routed.append(_parse_domain_part(hop, _P_ROUTE)[0])
        if not text:
            raise _Refused(_R_ROUTE)
    local, domain_text = _split_mailbox(text)
    domain, is_literal = _parse_domain_part(domain_text, _P_DOMAIN)
    routed.extend(_inner_domains(local))
    unique: list[str] = []
    for d in routed:
        if d != domain and d not in unique:
            unique.append(d)
    return Address(raw, local, domain, tuple(unique), is_literal=is_literal)


def _plain_address(text: str) -> Address | None:
    """'<local@domain>' or 'local@domain' with an ASCII dot-atom local part without '%' or '!'
    (so no routed domains) and a valid host name: what _parse returns, without its checks.
    None for anything else, and for a domain normalise_domain refuses (_parse says why)."""
    inner = text[1:-1] if text[:1] == "<" and text[-1:] == ">" else text
    found = _PLAIN_ADDRESS.fullmatch(inner)
    if found is None:
        return None
    try:
        domain = normalise_domain(found.group(2))
    except DomainError:
        return None
    return Address(text, found.group(1), domain)


def parse_address(raw: str | bytes) -> Address | Malformed:
    """Parse a MAIL FROM / RCPT TO argument from the MTA; never raises.

    `raw` of the result is the input up to the first NUL (bytes decoded as UTF-8;
    undecodable bytes kept with surrogateescape so the original can be restored).
    """
    if isinstance(raw, bytes | bytearray):
        head = bytes(raw).split(b"\x00", 1)[0]
        try:
            text = head.decode("utf-8")
        except UnicodeDecodeError:
            return Malformed(head.decode("utf-8", "surrogateescape"), _R_UTF8)
        if len(head) > MAX_RAW_OCTETS:
            return Malformed(text, _R_TOO_LONG)
    elif isinstance(raw, str):
        text = raw.split("\x00", 1)[0]
        if len(text) > MAX_RAW_OCTETS or (
            not text.isascii() and len(text.encode("utf-8", "surrogatepass")) > MAX_RAW_OCTETS
        ):
            return Malformed(text, _R_TOO_LONG)
    else:
        return Malformed(repr(type(raw)), _R_INTERNAL)
    if _ascii_fast_path:
        plain = _plain_address(text)
        if plain is not None:
            return plain
    try:
        return _parse(text, text.strip())
    except _Refused as refused:
        return Malformed(text, refused.reason)
    except Exception:  # a bug must not take the milter down; the address is refused instead
        return Malformed(text, _R_INTERNAL)
