"""What each fast path saves: the same work with FAST and with that one path off, paired.

Each fast path (milter/core/fastpaths.py) is timed against the general code it stands in for,
in one process, alternating the two `rounds` times and reporting the best of each (a busy
machine slows both sides of a pair alike).  The numbers the code comments quote come from here.

    python -m bench.fast_paths [--rounds 9]

The paths: `headers` and `params` on two ordinary header blocks (a message's and an
attachment's) with their file name, boundary and charset asked; `base64` on 1 MiB of base64;
`in_place` on a 1 MiB base64 part of a spool; `address` on three envelope addresses.
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import os
import timeit
from collections.abc import Callable

from milter.content import mime
from milter.content.formats import text
from milter.core import address
from milter.core.fastpaths import FAST, FastPaths

MESSAGE_HEADERS = (
    b"From: Jan de Vries <jan@samen-veilig.nl>\r\nTo: b@partner.example\r\n"
    b"Subject: Overleg dossier\r\nDate: Mon, 7 Dec 2026 10:00:00 +0100\r\n"
    b"Message-ID: <abc@samen-veilig.nl>\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed;\r\n\tboundary="=_bench_10240_0"\r\n'
)
PART_HEADERS = (
    b'Content-Type: application/pdf; name="notulen overleg.pdf"\r\n'
    b'Content-Disposition: attachment; filename="notulen overleg.pdf"\r\n'
    b"Content-Transfer-Encoding: base64\r\n"
)
ADDRESSES = ("<Jan.de-Vries@samen-veilig.nl>", "<b.jansen@partner.example>", "<x@bjzutrecht.nl>")
ENCODED = base64.encodebytes(os.urandom(2**20)).replace(b"\n", b"\r\n")
SPOOL = b"x" * 1000 + ENCODED + b"y" * 1000


def headers(fast: FastPaths) -> Callable[[], object]:
    def run() -> object:
        top = mime.parse_headers(MESSAGE_HEADERS, fast)
        part = mime.parse_headers(PART_HEADERS, fast)
        return (
            top.get_boundary(),
            top.get_filename(),
            top.get_content_charset(),
            part.get_filename(),
            part.get_content_charset(),
        )

    return run


def base64_part(fast: FastPaths) -> Callable[[], object]:
    return lambda: text.decode_base64(ENCODED, fast)


def spool_part(fast: FastPaths) -> Callable[[], object]:
    return lambda: text.transfer_decode_span(SPOOL, 1000, 1000 + len(ENCODED), "base64", fast)


def addresses(fast: FastPaths) -> Callable[[], object]:
    return lambda: [address.parse_address(raw, fast) for raw in ADDRESSES]


CASES: tuple[tuple[str, Callable[[FastPaths], Callable[[], object]], int], ...] = (
    ("headers", headers, 2000),
    ("params", headers, 2000),
    ("base64", base64_part, 10),
    ("in_place", spool_part, 10),
    ("address", addresses, 3000),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    for name, make, number in CASES:
        without = dataclasses.replace(FAST, **{name: False})
        fast_us: list[float] = []
        general_us: list[float] = []
        for _ in range(args.rounds):
            fast_us.append(timeit.timeit(make(FAST), number=number) / number * 1e6)
            general_us.append(timeit.timeit(make(without), number=number) / number * 1e6)
        print(f"{name:9s} fast {min(fast_us):9.1f} us   without it {min(general_us):9.1f} us")


if __name__ == "__main__":
    main()
