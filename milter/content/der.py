"""der -- a tiny BER/DER reader for the outer layers of CMS (S/MIME) blobs.

It reads only what `crypto` needs: the ContentInfo's content-type OID, and for signedData the
encapsulated content (eContent), including BER's indefinite lengths and constructed OCTET STRINGs
that Outlook and others produce.  Depth, element count and lengths are bounded.

Refuses (DerError): truncated or inconsistent encodings, nesting deeper than 32, more than
10,000 elements, tags above 30 in long form beyond 4 bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_DEPTH = 32
MAX_ELEMENTS = 10_000

OID_DATA = "1.2.840.113549.1.7.1"
OID_SIGNED_DATA = "1.2.840.113549.1.7.2"
OID_ENVELOPED_DATA = "1.2.840.113549.1.7.3"
OID_AUTH_ENVELOPED_DATA = "1.2.840.113549.1.9.16.1.23"
OID_COMPRESSED_DATA = "1.2.840.113549.1.9.16.1.9"


class DerError(ValueError):
    """The bytes are not a readable BER/DER encoding."""


@dataclass(frozen=True, slots=True)
class Element:
    """One TLV: class+constructed+number in `tag`, value at data[start:end]."""

    tag: int  # first identifier octet's class/constructed bits | tag number (<= 30 fits)
    number: int
    constructed: bool
    start: int
    end: int  # end of the value; for indefinite length, before the end-of-contents octets
    next: int  # offset just after this element


class Reader:
    """Walks BER elements inside `data` with a shared element budget."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.elements = 0

    def element(self, offset: int, limit: int, depth: int = 0) -> Element:
        """The element starting at `offset` (must end before `limit`)."""
        self.elements += 1
        if self.elements > MAX_ELEMENTS or depth > MAX_DEPTH:
            raise DerError("too many or too deeply nested elements")
        data = self.data
        if offset + 2 > limit:
            raise DerError("truncated")
        first = data[offset]
        constructed = bool(first & 0x20)
        number = first & 0x1F
        pos = offset + 1
        if number == 0x1F:
            number = 0
            for _ in range(4):
                if pos >= limit:
                    raise DerError("truncated tag")
                byte = data[pos]
                pos += 1
                number = (number << 7) | (byte & 0x7F)
                if not byte & 0x80:
                    break
            else:
                raise DerError("tag number too long")
        if pos >= limit:
            raise DerError("truncated length")
        length_byte = data[pos]
        pos += 1
        if length_byte == 0x80:
            if not constructed:
                raise DerError("indefinite length on a primitive")
            inner = pos
            while True:
                if inner + 2 > limit:
                    raise DerError("missing end-of-contents")
                if data[inner] == 0 and data[inner + 1] == 0:
                    return Element(first & 0xE0, number, True, pos, inner, inner + 2)
                inner = self.element(inner, limit, depth + 1).next
        if length_byte & 0x80:
            count = length_byte & 0x7F
            if count > 4 or pos + count > limit:
                raise DerError("bad length")
            length = int.from_bytes(data[pos : pos + count], "big")
            pos += count
        else:
            length = length_byte
        end = pos + length
        if end > limit:
            raise DerError("value runs past its container")
        return Element(first & 0xE0, number, constructed, pos, end, end)

    def children(self, parent: Element, depth: int = 0) -> list[Element]:
        """The elements inside constructed `parent`."""
        out: list[Element] = []
        pos = parent.start
        while pos < parent.end:
            child = self.element(pos, parent.end, depth + 1)
            out.append(child)
            pos = child.next
        return out

    def octets(self, element: Element, depth: int = 0) -> bytes:
        """The value of an OCTET STRING, joining the chunks of a constructed one."""
        if not element.constructed:
            return self.data[element.start : element.end]
        return b"".join(self.octets(c, depth + 1) for c in self.children(element, depth))


def oid_text(value: bytes) -> str:
    """Dotted text of an OBJECT IDENTIFIER value."""
    if not value:
        raise DerError("empty OID")
    numbers: list[int] = []
    current = 0
    for byte in value:
        current = (current << 7) | (byte & 0x7F)
        if not byte & 0x80:
            numbers.append(current)
            current = 0
    first = numbers[0]
    head = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    return ".".join(str(n) for n in head + numbers[1:])


def content_type(data: bytes) -> str:
    """The content-type OID of a CMS ContentInfo."""
    reader = Reader(data)
    top = reader.element(0, len(data))
    children = reader.children(top) if top.constructed else []
    if not children or children[0].number != 6:
        raise DerError("not a ContentInfo")
    return oid_text(data[children[0].start : children[0].end])


def signed_content(data: bytes) -> bytes | None:
    """The encapsulated content of a CMS signedData (None when detached or absent)."""
    reader = Reader(data)
    top = reader.element(0, len(data))
    info = reader.children(top)
    if len(info) < 2 or oid_text(data[info[0].start : info[0].end]) != OID_SIGNED_DATA:
        raise DerError("not signedData")
    signed = reader.children(info[1])  # [0] EXPLICIT
    if not signed:
        raise DerError("empty signedData")
    fields = reader.children(signed[0])  # SignedData SEQUENCE
    if len(fields) < 3:
        raise DerError("short signedData")
    encap = reader.children(fields[2])  # EncapsulatedContentInfo
    if len(encap) < 2:
        return None
    explicit = reader.children(encap[1])  # [0] EXPLICIT OCTET STRING
    if not explicit:
        return None
    return reader.octets(explicit[0])
