"""The scanner's fast paths give the same facts as the general code they stand in for.

Fast paths (milter.core.fastpaths): pybase64 for base64 (binascii and the lenient reader are
the reference), the header split without the FeedParser (the stdlib BytesHeaderParser is the
reference), simple header parameters (the stdlib's parameter parser is the reference), and
parts decoded in place from the spool (a copy is the reference).  The same messages are
scanned with ScanConfig(fast_paths=FAST) and with REFERENCE, and the facts compared, on
generated hostile messages.
"""

from __future__ import annotations

import base64
import quopri

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from milter.content import ContentFacts, ScanConfig, compile_config, scan
from milter.core.fastpaths import FAST, REFERENCE
from tests.reliability.mime_cases import mime_case
from tests.unit.content.helpers import DEFAULT

BSN_TEXT = b"BSN 101722333, geboortedatum 12-03-2011, dossier jeugdzorg melding cli\xc3\xabnt"


@st.composite
def nasty_messages(draw: st.DrawFn) -> bytes:
    """Multipart messages with the awkward corners of MIME around client data."""
    nl = draw(st.sampled_from([b"\r\n", b"\n"]))
    boundary = draw(st.sampled_from([b"b", b"=_x", b"a b", b"b'(+_,-./:=?)", b"x" * 70]))
    quoted = draw(st.booleans()) or b" " in boundary
    param = b'"' + boundary + b'"' if quoted else boundary
    ctype_param = draw(
        st.sampled_from(
            [
                b"boundary=" + param,
                b"boundary*=" + param,  # RFC 2231 without a charset: the stdlib takes it whole
                b"boundary*0=" + param + b"; boundary*1=",
                b"BOUNDARY=" + param + b"; charset=utf-8",
                b"boundary=" + param + b"; boundary*0=x",  # mixed pieces: malformed
            ]
        )
    )
    parts: list[bytes] = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.integers(0, 5))
        if kind == 0:  # quoted-printable, soft breaks inside the numbers
            body = quopri.encodestring(BSN_TEXT).replace(b"111", b"11=" + nl + b"1")
            head = b"Content-Type: text/plain; charset=utf-8" + nl
            head += b"Content-Transfer-Encoding: quoted-printable" + nl
        elif kind == 1:  # base64, noisy or cut
            body = base64.encodebytes(BSN_TEXT * draw(st.integers(1, 40)))
            body = body.replace(b"\n", nl)
            if draw(st.booleans()):
                body = body[: draw(st.integers(0, len(body)))] + draw(
                    st.sampled_from([b"", b"=", b"*==", b"=\r\nQUJD"])
                )
            head = b"Content-Type: text/plain" + nl + b"Content-Transfer-Encoding: base64" + nl
        elif kind == 2:  # an RFC 2231 file name in pieces, folded
            body = BSN_TEXT
            head = (
                b"Content-Type: text/plain"
                + nl
                + b"Content-Disposition: attachment;"
                + nl
                + b" filename*0*=UTF-8''BSN%20111;"
                + nl
                + b"\tfilename*1=222333.txt"
                + nl
            )
        elif kind == 3:  # a forwarded message, itself multipart
            inner = (
                b"Subject: =?utf-8?q?Cli=C3=ABnt?="
                + nl
                + b"Content-Type: multipart/mixed; boundary=in"
                + nl
                + nl
                + b"--in"
                + nl
                + nl
                + BSN_TEXT
                + nl
                + b"--in--"
                + nl
            )
            head = b"Content-Type: message/rfc822" + nl
            body = inner
        elif kind == 4:  # a header block the fast split leaves to the stdlib
            head = b"Content-Type : text/plain" + nl + b"X-Odd:\x0bvalue" + nl
            body = BSN_TEXT
        else:  # no headers at all
            head = b""
            body = BSN_TEXT
        parts.append(head + nl + body)
    delimiter = b"--" + boundary
    body = draw(st.sampled_from([b"", b"preamble BSN 101722333" + nl]))
    for part in parts:
        body += delimiter + draw(st.sampled_from([b"", b" \t", b"X"])) + nl + part + nl
    body += draw(st.sampled_from([delimiter + b"--" + nl + b"epilogue", delimiter + b"--", b""]))
    head = (
        b"From: a@samen-veilig.nl"
        + nl
        + b"Subject: dossier"
        + nl
        + b"MIME-Version: 1.0"
        + nl
        + b"Content-Type: multipart/mixed; "
        + ctype_param
        + nl
    )
    return head + nl + body


# The general code only: binascii, the stdlib header and parameter parsers, parts copied.
REFERENCE_SCANNER = compile_config(ScanConfig(fast_paths=REFERENCE))


def both_ways(raw: bytes) -> tuple[ContentFacts, ContentFacts]:
    return DEFAULT.scan_message(raw), REFERENCE_SCANNER.scan_message(raw)


def test_default_scanner_takes_the_fast_paths() -> None:
    """The scanner a policy without settings gets (and these tests compare) is the FAST one."""
    assert DEFAULT.config.fast_paths is FAST
    assert REFERENCE_SCANNER.config.fast_paths is REFERENCE


class TestSameFacts:
    """Fast paths on or off: the same findings, flags, part counts and bytes scanned."""

    @settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(nasty_messages())
    def test_awkward_mime(self, raw: bytes) -> None:
        """Odd boundaries, missing final boundaries, nesting, QP soft breaks, RFC 2231, LF."""
        fast, reference = both_ways(raw)
        assert fast == reference

    @settings(
        max_examples=150,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(mime_case())
    def test_fuzz_cases(self, case: object) -> None:
        """The MIME fuzz harness's clean, damaged and over-limit messages."""
        fast, reference = both_ways(case.data)  # type: ignore[attr-defined]
        assert fast == reference

    @pytest.mark.parametrize("size", [10, 300])
    def test_spooled_message_read_in_place(
        self, size: int, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A message spooled to a file (mmap) gives the same facts as one in memory."""
        part = base64.encodebytes(BSN_TEXT * size).replace(b"\n", b"\r\n")
        raw = (
            b"Subject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
            b"Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + part
            + b"--b--\r\n"
        )
        in_memory = DEFAULT.scan_message(raw)
        monkeypatch.setattr(scan, "SPOOL_MEMORY_BYTES", 64)
        with DEFAULT.session() as session:
            session.header("Subject", "x")
            session.header("Content-Type", "multipart/mixed; boundary=b")
            session.body(raw.split(b"\r\n\r\n", 1)[1])
            spooled = session.finish()
            assert session._spool.map is not None  # it did go through the file
        assert spooled == in_memory
        bsn = spooled.by_detector("bsn")
        assert bsn is not None and bsn.confidence == "high"
