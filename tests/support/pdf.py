"""Assemble a PDF file from its numbered objects, for tests, the corpus and benchmarks.

Object 1 must be the catalog. The classic cross-reference table is written unless
``xref=False`` (a damaged file for the refusal tests); ``trailer`` adds entries to the trailer
dictionary (``/Encrypt ...``).
"""

from __future__ import annotations

BINARY_HEADER = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"


def assemble(
    objects: list[bytes],
    *,
    header: bytes = BINARY_HEADER,
    xref: bool = True,
    trailer: bytes = b"",
) -> bytes:
    """The bytes of a PDF whose object N (from 1) is ``objects[N - 1]``."""
    out = bytearray(header)
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    start = len(out)
    if xref:
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
        out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        trailer,
        start,
    )
    return bytes(out)
