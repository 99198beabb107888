"""Unit tests for milter.content.mime: header/body split, multipart split, the walk."""

from __future__ import annotations

import email
import email.parser
import email.policy
from email.message import Message
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from milter.content import ContentFacts, mime
from milter.content.formats.text import transfer_decode
from milter.content.mime import safe_name, split_headers, split_multipart
from milter.core.fastpaths import REFERENCE
from tests.unit.content.helpers import DEFAULT

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


class TestSplitHeaders:
    """Where the header block ends."""

    @pytest.mark.parametrize(
        ("raw", "body_start"),
        [
            (b"A: b\r\n\r\nbody", 8),
            (b"A: b\nC: d\n\nbody", 11),
            (b"A: b\n folded\n\nx", 14),
            (b"no header here\n\nx", 0),
            (b"A: b\nnot a header\n", 5),
            (b"A: b", 4),
            (b"", 0),
            (b"From x@y Mon\nA: b\n\nz", 19),
        ],
    )
    def test_table(self, raw: bytes, body_start: int) -> None:
        """A blank line ends the headers; a line that is not a header starts the body."""
        assert split_headers(raw, 0, len(raw))[1] == body_start


class TestSplitMultipart:
    """Boundary delimiter lines, as the stdlib FeedParser reads them."""

    def test_parts_preamble_epilogue(self) -> None:
        """Parts between delimiters; preamble and epilogue kept apart."""
        body = b"pre\r\n--b\r\n\r\none\r\n--b\r\n\r\ntwo\r\n--b--\r\nepi"
        parts, preamble, epilogue = split_multipart(body, 0, len(body), b"b")  # type: ignore[misc]
        assert [body[s:e] for s, e in parts] == [b"\r\none", b"\r\ntwo"]
        assert body[slice(*preamble)] == b"pre"
        assert body[slice(*epilogue)] == b"epi"

    def test_longer_boundary_is_not_ours(self) -> None:
        """'--bx' is not a delimiter for boundary 'b'; trailing white space is allowed."""
        body = b"--b \n\nA\n--bx\nB\n--b--\n"
        parts, _, _ = split_multipart(body, 0, len(body), b"b")  # type: ignore[misc]
        assert [body[s:e] for s, e in parts] == [b"\nA\n--bx\nB"]

    def test_missing_close_delimiter(self) -> None:
        """Without a close delimiter the last part runs to the end."""
        body = b"--b\n\nA"
        parts, _, _ = split_multipart(body, 0, len(body), b"b")  # type: ignore[misc]
        assert [body[s:e] for s, e in parts] == [b"\nA"]

    def test_absent_boundary(self) -> None:
        """No delimiter at all: None (the caller reads the body as text)."""
        assert split_multipart(b"hello --b", 0, 9, b"b") is None


class TestSafeName:
    """File names in locations."""

    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            ("dossier.pdf", "(.pdf file)"),
            ("BSN 101722333.PDF", "(.pdf file)"),
            ("verslag J. de Vries.docx", "(.docx file)"),
            ("a\x00b/c", "(file)"),
            ("noextension", "(file)"),
            ("x" * 80 + ".verylongext", "(file)"),
        ],
    )
    def test_table(self, name: str, expected: str) -> None:
        """Only the extension of a file name reaches an output: names can name clients."""
        assert safe_name(name) == expected


def _stdlib_leaves(raw: bytes) -> list[tuple[str, bytes]]:
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    leaves = []
    for part in message.walk():
        if part.is_multipart() or part.get_content_type() in ("message/rfc822",):
            continue
        payload = part.get_payload(decode=True) or b""
        leaves.append((part.get_content_type(), payload.strip()))
    return leaves


def _our_leaves(raw: bytes) -> list[tuple[str, bytes]]:
    from milter.content import mime

    leaves: list[tuple[str, bytes]] = []

    class Recorder(mime.Walker):
        def walk_entity(
            self,
            headers,
            buf,
            start,
            end,
            prefix,
            path,
            depth,
            *,
            top=False,  # type: ignore[no-untyped-def]
        ):
            ctype = headers.get_content_type()
            if ctype.startswith("multipart/") or ctype == "message/rfc822":
                super().walk_entity(headers, buf, start, end, prefix, path, depth, top=top)
                return
            cte = str(headers.get("content-transfer-encoding", ""))
            leaves.append((ctype, transfer_decode(bytes(buf[start:end]), cte).strip()))

    from milter.content.scan import _Collector

    Recorder(_Collector(DEFAULT)).walk_message(raw, 0, len(raw), "", 0)
    return leaves


DIFFERENTIAL = sorted(
    p.name
    for p in CORPUS.glob("*.eml")
    if not p.name.startswith(("broken_mime", "too_", "bad_base64", "pgp_mime_encrypted"))
)


class TestAgreesWithStdlib:
    """Our body splitter and the stdlib FeedParser see the same leaf parts."""

    @pytest.mark.parametrize("name", DIFFERENTIAL)
    def test_same_leaves(self, name: str) -> None:
        """Same content types and decoded payloads, in the same order, for every corpus message."""
        raw = (CORPUS / name).read_bytes()
        assert _our_leaves(raw) == _stdlib_leaves(raw)


class TestMalformedParameters:
    """Header parameters the stdlib cannot decode (RFC 2231 pieces mixed with a whole value)."""

    MIXED = b"boundary*=b; boundary*0=b"

    def _facts(self, head: bytes, body: bytes) -> ContentFacts:
        return DEFAULT.scan_message(b"From: a@b\r\nMIME-Version: 1.0\r\n" + head + b"\r\n" + body)

    def test_boundary_mixed_pieces_is_unscannable_and_body_read(self) -> None:
        """A boundary given whole and in pieces: unscannable, and the body is read as text."""
        facts = self._facts(
            b"Content-Type: multipart/mixed; " + self.MIXED + b"\r\n",
            b"--b\r\nContent-Type: text/plain\r\n\r\nBSN 101722333\r\n--b--\r\n",
        )
        unscannable = facts.by_detector("unscannable")
        assert unscannable is not None
        assert unscannable.reason == "malformed MIME header parameters"
        bsn = facts.by_detector("bsn")
        assert bsn is not None and bsn.confidence == "high"

    def test_filename_mixed_pieces_is_unscannable_and_header_read(self) -> None:
        """A file name given whole and in pieces: unscannable, and the raw header is scanned."""
        facts = self._facts(
            b"Content-Type: text/plain\r\n"
            b"Content-Disposition: attachment; filename*=BSN-101722333; filename*0=x\r\n",
            b"hallo\r\n",
        )
        unscannable = facts.by_detector("unscannable")
        assert unscannable is not None
        assert unscannable.reason == "malformed MIME header parameters"
        assert facts.by_detector("bsn") is not None

    def test_charset_mixed_pieces_falls_back(self) -> None:
        """A charset given whole and in pieces: the text is still read (UTF-8 fallback)."""
        facts = self._facts(
            b"Content-Type: text/plain; charset*=x; charset*0=y\r\n", b"BSN 101722333\r\n"
        )
        bsn = facts.by_detector("bsn")
        assert bsn is not None and bsn.confidence == "high"


# --------------------------------------------------------------------------- header fast path

NAMES = st.sampled_from(
    ["Subject", "Content-Type", "content-disposition", "X-A", "From", "From ", "", "Na me", "É"]
)
VALUE_PIECES = st.sampled_from(
    [
        "text/plain",
        "; charset=utf-8",
        '; name="a;b.pdf"',
        "; filename*=UTF-8''BSN%20111.pdf",
        "; filename*0=a; filename*1=b",
        "; boundary*=b; boundary*0=b",
        ' boundary="=_x"',
        "=?utf-8?q?caf=C3=A9?=",
        "é",
        ":",
        " ",
        "\t",
        "\\",
        '"',
        "\x00",
        "\x0b",
        "\x0c",
        "\x1c",
        "\x85",
        "\r",
    ]
)
ODD_PIECES = frozenset([":", "\x00", "\x0b", "\x0c", "\x1c", "\x85", "\r"])
ODD_ENDINGS = st.sampled_from(["\r\n", "\n", "\r", "", "\r\r\n"])


@st.composite
def header_blocks(draw: st.DrawFn) -> bytes:
    """Header blocks: half of them ordinary (CRLF or LF, fields and folding), the others with
    odd breaks, control characters, 8-bit bytes, mbox and broken lines."""
    odd = draw(st.booleans())
    pieces = VALUE_PIECES if odd else VALUE_PIECES.filter(lambda p: p not in ODD_PIECES)
    newline = draw(st.sampled_from(["\r\n", "\n"]))
    endings = ODD_ENDINGS if odd else st.just(newline)
    lines = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.integers(0 if lines else 2, 9 if odd else 5))
        value = "".join(draw(st.lists(pieces, max_size=4)))
        if kind == 0:
            lines.append(draw(st.sampled_from([" ", "\t"])) + value)  # a continuation
        elif kind == 1:
            lines.append(draw(st.sampled_from(["From a@b", ": x", "Subject : x", "body"])))
        else:
            name = draw(NAMES if odd else NAMES.filter(lambda n: n.isalpha() or "-" in n))
            lines.append(name + ":" + draw(st.sampled_from(["", " ", "\t"])) + value)
        lines[-1] += draw(endings)
    text = "".join(lines)
    return text.encode("utf-8") if draw(st.booleans()) else text.encode("latin-1", "replace")


def _stdlib(block: bytes) -> Message:
    return email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(block)


def _param_answers(headers: Message) -> list[object]:
    """File name, boundary, charset, type: the stdlib's Message answers them, mime.Headers
    from the parameters it parsed once (maybe by the fast path)."""
    answers: list[object] = []
    for ask in (
        headers.get_filename,
        headers.get_boundary,
        headers.get_content_charset,
        headers.get_content_type,
        lambda: headers.get_filename(failobj=0),
        lambda: headers.get_boundary(failobj=0),
        lambda: headers.get_content_charset(failobj=0),
        lambda: headers.get_param("name"),
    ):
        try:
            answers.append(ask())
        except mime.PARAM_ERRORS as exc:
            answers.append(type(exc))
    return answers


def _our_answers(headers: mime.Headers) -> list[object]:
    assert type(headers) in (mime.Headers, mime.FieldHeaders)  # the overrides answer
    return _param_answers(headers)


class TestHeaderFastPath:
    """parse_headers without the FeedParser gives the stdlib's headers, or leaves it to it."""

    @settings(max_examples=1500, deadline=None)
    @given(header_blocks())
    def test_same_headers_as_the_stdlib(self, block: bytes) -> None:
        """Same fields, values and parameter answers as BytesHeaderParser, or no fast answer."""
        fast = mime._split_header_block(block)
        reference = _stdlib(block)
        if fast is not None:
            assert fast._headers == reference._headers
            assert fast.get_unixfrom() == reference.get_unixfrom() is None
        expected = _param_answers(reference)
        ours = mime.parse_headers(block)
        assert _our_answers(ours) == expected
        assert _our_answers(ours) == expected  # asked again: the remembered parse
        assert _our_answers(mime.parse_headers(block, REFERENCE)) == expected

    def test_ordinary_block_takes_the_fast_path(self) -> None:
        """A usual header block (folded, CRLF, 8-bit) is split without the FeedParser."""
        block = (
            b"From: A <a@b.nl>\r\nSubject: caf\xc3\xa9\r\n  vervolg\r\n"
            b'Content-Type: multipart/mixed;\r\n\tboundary="=_x"\r\n'
        )
        fast = mime._split_header_block(block)
        assert fast is not None
        assert fast._headers == _stdlib(block)._headers
        assert fast.get_boundary() == "=_x"

    @pytest.mark.parametrize(
        "block", [b"From a@b Mon\r\nSubject: x\r\n", b" x\r\nSubject: y\r\n", b"A: b\rC: d\r\n"]
    )
    def test_unusual_blocks_go_to_the_stdlib(self, block: bytes) -> None:
        """Mbox 'From ' lines, a leading continuation, a lone CR: the stdlib parses them."""
        assert mime._split_header_block(block) is None
        assert mime.parse_headers(block)._headers == _stdlib(block)._headers


PARAM_PIECES = st.sampled_from(
    [
        "text/plain", "multipart/mixed", ";", "; ", " ", "\t", "\r\n ", "\r\n\t", "\x0b", "\x1f",
        "charset", "name", "filename", "BOUNDARY", "boundary*", "filename*0", "=", '"', "'",
        "utf-8", "a b.pdf", "=_x", "%20", "<", ">", "\\", "*", "é", "\x00", "x;y",
    ]
)  # fmt: skip


WS_PIECES = st.sampled_from(["", " ", "\t", "\r\n ", "\r\n\t", "\x0b", "\x1f", "  "])
CLEAN_VALUES = [
    '"utf-8"',
    '" =_x "',
    "utf-8",
    '"a b.pdf"',
    '"=_x"',
    "=_x",
    '""',
    "",
    "%20",
    "'a'",
    "a*",
]
ODD_VALUES = ['"x;y"', '"a\\"b"', "<a>", '"<a>"', '"\x00"', "é", '"a', 'a"', '"\r\n\tb"', "a b"]
CLEAN_NAMES = ["charset", "NAME", "boundary", "a.b", "x'y"]


@st.composite
def parameter_values(draw: st.DrawFn) -> str:
    """Parameter lists: '; name=value' items, half of them plain (the fast path's), the others
    with names, values, quoting and white space that the stdlib treats specially, or a soup."""
    if draw(st.integers(0, 3)) == 0:
        return "".join(draw(st.lists(PARAM_PIECES, max_size=14)))
    odd = draw(st.booleans())
    names = [*CLEAN_NAMES, "x*", "x*0*", ""] if odd else CLEAN_NAMES
    values = [*CLEAN_VALUES, *ODD_VALUES] if odd else CLEAN_VALUES
    value = draw(st.sampled_from(["text/plain", "", " multipart/mixed ", "a=b", 'a"b', "x\\y"]))
    for _ in range(draw(st.integers(0, 4))):
        value += ";" + draw(WS_PIECES) + draw(st.sampled_from(names)) + draw(WS_PIECES)
        if draw(st.integers(0, 9)) or not odd:
            value += "=" + draw(WS_PIECES) + draw(st.sampled_from(values)) + draw(WS_PIECES)
    return value + (draw(st.sampled_from(["", ";", " ", "; "])) if odd else "")


def _stdlib_params(headers: Message, name: str) -> object:
    """The public API's parameter list: Message.get_params(header=name, unquote=False)."""
    try:
        return headers.get_params(None, name, unquote=False)
    except mime.PARAM_ERRORS as exc:
        return type(exc)


def _our_params(headers: mime.Headers, name: str) -> object:
    try:
        return headers.params(name)
    except mime.PARAM_ERRORS as exc:
        return type(exc)


def _headers(content_type: str, disposition: str | None = None, *, fast: bool) -> mime.Headers:
    headers = mime.Headers()
    headers.simple_params = fast
    headers["Content-Type"] = content_type
    if disposition is not None:
        headers["Content-Disposition"] = disposition
    return headers


class TestParameterFastPath:
    """Simple parameter lists are parsed without the stdlib, to the same list."""

    @settings(max_examples=3000, deadline=None)
    @given(parameter_values())
    def test_same_parameters_as_the_stdlib(self, value: str) -> None:
        """The fast path's (name, value) list is the public API's get_params(unquote=False)."""
        reference = Message()
        reference["Content-Type"] = value
        headers = _headers(value, fast=True)
        expected = _stdlib_params(reference, "content-type")
        assert _our_params(headers, "content-type") == expected
        assert _our_params(headers, "Content-Type") == expected
        assert _our_params(headers, "content-disposition") is None

    @settings(max_examples=1500, deadline=None)
    @given(parameter_values(), parameter_values())
    def test_same_answers_fast_and_reference(self, ctype: str, disposition: str) -> None:
        """File name, boundary, charset and type: the same with the simple-parameter path on,
        off (the public API's get_params alone), and from the stdlib's own methods."""
        reference = Message()
        reference["Content-Type"] = ctype
        reference["Content-Disposition"] = disposition
        expected = _param_answers(reference)
        assert _our_answers(_headers(ctype, disposition, fast=True)) == expected
        assert _our_answers(_headers(ctype, disposition, fast=False)) == expected

    @pytest.mark.parametrize(
        "value",
        [
            'multipart/mixed;\r\n\tboundary="=_bench_10240_0"',
            "text/plain; charset=utf-8; format=flowed",
            'attachment; filename="notulen overleg.pdf"',
            "application/pdf",
        ],
    )
    def test_ordinary_values_take_the_fast_path(self, value: str) -> None:
        """The usual Content-Type and Content-Disposition values are parsed by _simple_params."""
        assert mime._SIMPLE_PARAMS.fullmatch(value)
        reference = Message()
        reference["Content-Type"] = value
        assert mime._simple_params(value) == _stdlib_params(reference, "content-type")
