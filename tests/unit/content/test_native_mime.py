"""Unit tests for the native MIME walk (milter/native/src/mime.rs) against content/mime.py's Python.

The native header/body split, header block fields and multipart split must give exactly what
the Python reference gives (or, for a header block, refuse where it refuses), and the header
object built from the native fields (mime.FieldHeaders) must answer every question the walk
and leaf.py ask as the stdlib's Message does: on every header block and multipart body of the
corpora and the MIME fuzz cases, on generated header blocks and bodies, and whole messages
must get the same facts with the native MIME walk and without it.  CI builds the extension,
so this module fails (it does not skip) when milter._native is missing, unless
POSTWARDEN_NATIVE=0 asks for the Python code on purpose.
"""

from __future__ import annotations

import email.parser
import email.policy
import mmap
import tempfile
from collections.abc import Callable, Iterator
from email.header import Header
from email.message import Message
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import milter.content.leaf as leaf
import milter.content.mime as mime
import milter.content.native as native
from milter.content.findings import ContentFacts
from milter.content.formats.sniff import sniff_python
from milter.content.formats.text import PARAM_ERRORS
from milter.core.fastpaths import REFERENCE
from milter.policy import load_policy
from tests.reliability.mime_cases import MimeCase, mime_case
from tests.unit.content.native_support import (
    NATIVE,
    OPTED_OUT,
    generated,
    needs_native,
    require_built,
)
from tests.unit.content.test_mime import header_blocks, parameter_values

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT / "tests" / "corpus"
POLICY = load_policy(ROOT / "policies" / "example.yaml")
_native = NATIVE
require_built()

MIME_FUNCTIONS = ("split_headers", "header_fields", "split_multipart", "simple_params", "sniff")
GENERATED = generated(1500)


def python_mime(monkeypatch: pytest.MonkeyPatch) -> None:
    """Choose the Python MIME walk, as POSTWARDEN_NATIVE=0 does (the loader's switch)."""
    for name in MIME_FUNCTIONS:
        monkeypatch.setattr(native, name, None)


def scan(data: bytes) -> ContentFacts:
    """The example policy's scan of `data`, OCR off."""
    assert POLICY.content is not None
    return POLICY.content.scanner.scan_message(data, ocr=False)


# -- what the header objects answer -------------------------------------------------------------

ASKED = [
    "subject",
    "Subject",
    "content-type",
    "CONTENT-TYPE",
    "content-disposition",
    "content-transfer-encoding",
    "content-id",
    "from",
    "x-absent",
]


def _plain(value: object) -> object:
    """A comparable form of an answer (a Header compares only by its text)."""
    if isinstance(value, Header):
        return ("Header", str(value), value._chunks)
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    return value


def answers(headers: Message, *, digest: bool = False) -> list[object]:
    """Every answer the walk, leaf.py and mime.py's helpers take from a header object, and the
    stdlib getters around them."""
    names = ASKED + [name for name, _ in headers._headers]
    asks: list[Callable[[], object]] = []
    for name in names:
        asks += [
            lambda n=name: headers.get(n),  # type: ignore[misc]
            lambda n=name: headers.get(n, ""),  # type: ignore[misc]
            lambda n=name: n in headers,  # type: ignore[misc]
            lambda n=name: headers.get_all(n),  # type: ignore[misc]
        ]
    asks += [
        headers.get_content_type,
        headers.get_content_maintype,
        headers.get_content_subtype,
        headers.get_default_type,
        headers.is_multipart,
        headers.get_filename,
        headers.get_boundary,
        headers.get_content_charset,
        headers.get_content_disposition,
        headers.keys,
        headers.values,
        headers.items,
        lambda: headers.get_filename(0),
        lambda: headers.get_boundary(0),
        lambda: headers.get_content_charset(0),
        lambda: headers.get_params(),
        lambda: headers.get_params(header="content-disposition", unquote=False),
        lambda: headers.get_param("charset"),
        lambda: headers.get_param("name"),
        lambda: headers.get_param("filename", header="content-disposition"),
        lambda: mime.boundary_of(headers),
        lambda: mime.filename_of(headers),
        lambda: mime.content_id_of(headers),
        lambda: mime.Walker.location(headers, headers.get_content_type(), None, "", "2", False),
    ]
    out: list[object] = []
    for ask in asks:
        try:
            out.append(_plain(ask()))
        except (*PARAM_ERRORS, mime.MalformedParameters) as exc:
            out.append(type(exc))
    if digest:
        headers.set_default_type("message/rfc822")
        out.append(headers.get_content_type())
    return out


def stdlib(block: bytes) -> Message:
    return email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(block)


def check_block(block: bytes) -> bool:
    """Native fields == the Python split's (or both refuse), and the header objects answer as
    the stdlib's; True when the native parse took the block."""
    assert _native is not None
    found = _native.header_fields(block)
    python = mime._split_header_block(block)
    assert (found is None) == (python is None), block
    reference = stdlib(block)
    if found is not None:
        fields, first = found
        assert fields == python._headers == reference._headers  # type: ignore[union-attr]
        assert all(type(name) is str and type(value) is str for name, value in fields)
        expected_first: dict[str, tuple[str, str]] = {}
        for field in fields:
            expected_first.setdefault(field[0].lower(), field)
        assert first == expected_first
        assert all(first[key] is next(f for f in fields if f == first[key]) for key in first)
    for _, value in reference._headers:
        check_params(value)
    expected = answers(reference)
    ours = mime.parse_headers(block)
    walked_natively = found is not None and native.header_fields is not None
    assert type(ours) is (mime.FieldHeaders if walked_natively else mime.Headers)
    if found is not None:  # the native header object, whichever the walk takes
        assert answers(mime.FieldHeaders(*found)) == expected
    assert answers(ours) == expected
    assert answers(ours) == expected  # asked again: the remembered parameters
    for header in ("content-type", "content-disposition", "x-absent"):
        assert _params(ours, header) == _params(mime.parse_headers(block, REFERENCE), header)
    assert answers(mime.parse_headers(block), digest=True) == answers(stdlib(block), digest=True)
    return found is not None


def check_params(value: str) -> bool:
    """Native simple_params == mime._simple_params where _SIMPLE_PARAMS matches, else None;
    True when the value is a plain list."""
    assert _native is not None
    plain = value.isascii() and mime._SIMPLE_PARAMS.fullmatch(value) is not None
    assert _native.simple_params(value) == (mime._simple_params(value) if plain else None)
    return plain


def _params(headers: mime.Headers, name: str) -> object:
    try:
        return headers.params(name)
    except PARAM_ERRORS as exc:
        return type(exc)


def check_sniff(head: bytes) -> None:
    assert _native is not None
    assert _native.sniff(head) == sniff_python(head), head


def check_split_headers(buf: bytes, start: int, end: int) -> None:
    assert _native is not None
    assert _native.split_headers(buf, start, end) == mime.split_headers_python(buf, start, end)


def check_split_multipart(buf: bytes, start: int, end: int, boundary: bytes) -> None:
    assert _native is not None
    expected = mime.split_multipart_python(buf, start, end, boundary)
    assert _native.split_multipart(buf, start, end, boundary) == expected


# -- the corpora and the fuzz cases ---------------------------------------------------------------


class Calls:
    """The MIME walk's calls while scanning: header block splits, blocks, multipart splits."""

    def __init__(self) -> None:
        self.splits: list[tuple[bytes, int, int]] = []
        self.blocks: list[bytes] = []
        self.multiparts: list[tuple[bytes, int, int, bytes]] = []
        self.heads: list[bytes] = []


def record(data: bytes, calls: Calls) -> ContentFacts:
    """Scan `data` with the Python MIME walk, recording each call into `calls`."""
    python_split, python_parse = mime.split_headers_python, mime.parse_headers
    python_multipart = mime.split_multipart_python

    def split(buf: mime.Buffer, start: int, end: int) -> tuple[int, int]:
        calls.splits.append((bytes(buf), start, end))
        return python_split(buf, start, end)

    def parse(block: bytes, fast: object = None) -> mime.Headers:
        calls.blocks.append(block)
        return python_parse(block)

    def multipart(
        buf: mime.Buffer, start: int, end: int, boundary: bytes
    ) -> tuple[list[mime.Span], mime.Span, mime.Span] | None:
        calls.multiparts.append((bytes(buf), start, end, boundary))
        return python_multipart(buf, start, end, boundary)

    def sniff(head: bytes) -> tuple[str, str] | None:
        calls.heads.append(head)
        return sniff_python(head)

    with pytest.MonkeyPatch.context() as patch:
        python_mime(patch)
        patch.setattr(leaf, "sniff", sniff)
        patch.setattr(mime, "split_headers", split)
        patch.setattr(mime, "parse_headers", parse)
        patch.setattr(mime, "split_multipart", multipart)
        return scan(data)


@pytest.fixture(scope="module")
def corpus_calls() -> dict[str, Calls]:
    """file -> the MIME walk's calls while scanning it (every .eml under tests/corpus)."""
    found: dict[str, Calls] = {}
    for path in sorted(CORPUS.rglob("*.eml")):
        calls = Calls()
        record(path.read_bytes(), calls)
        found[str(path.relative_to(CORPUS))] = calls
    return found


@needs_native
class TestCorpusIdentity:
    def test_corpus_is_walked(self, corpus_calls: dict[str, Calls]) -> None:
        """The corpora give the identity tests plenty of header blocks and multiparts."""
        assert len(corpus_calls) >= 700
        assert sum(len(c.blocks) for c in corpus_calls.values()) >= 2000
        assert sum(len(c.multiparts) for c in corpus_calls.values()) >= 500
        assert sum(len(c.heads) for c in corpus_calls.values()) >= 2000

    def test_every_header_block_parses_the_same(self, corpus_calls: dict[str, Calls]) -> None:
        """Each header block of the corpora: native fields and the header object's answers are
        the Python's and the stdlib's; nearly all are taken natively."""
        blocks = [block for calls in corpus_calls.values() for block in calls.blocks]
        taken = sum(check_block(block) for block in blocks)
        assert taken >= 0.95 * len(blocks)

    def test_every_split_is_the_same(self, corpus_calls: dict[str, Calls]) -> None:
        """Each header/body split and multipart split of the corpora: native == Python."""
        for calls in corpus_calls.values():
            for buf, start, end in calls.splits:
                check_split_headers(buf, start, end)
            for buf, start, end, boundary in calls.multiparts:
                check_split_multipart(buf, start, end, boundary)

    def test_every_part_sniffs_the_same(self, corpus_calls: dict[str, Calls]) -> None:
        """The first bytes of each part of the corpora: the same (family, name) or None, and
        the corpora hold most kinds."""
        kinds = set()
        for calls in corpus_calls.values():
            for head in calls.heads:
                check_sniff(head)
                kinds.add(sniff_python(head))
        assert len(kinds) >= 10

    @pytest.mark.parametrize("folder", ["realistic", "holdout", "blind", "."])
    def test_whole_message_facts_are_the_same(
        self, folder: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Each message of a corpus: the same facts with the native MIME walk and without it,
        and with no native code at all (what POSTWARDEN_NATIVE=0 runs)."""
        files = sorted((CORPUS / folder).glob("*.eml"))
        assert len(files) >= 40
        with_native = {f: scan(f.read_bytes()) for f in files}
        python_mime(monkeypatch)
        assert [f.name for f in files if scan(f.read_bytes()) != with_native[f]] == []
        for name in ("html_to_text", "html_to_utf8"):
            monkeypatch.setattr(native, name, None)
        assert [f.name for f in files if scan(f.read_bytes()) != with_native[f]] == []


@needs_native
class TestMimeFuzzIdentity:
    def test_fuzz_cases_walk_the_same(self) -> None:
        """The MIME fuzz cases: every call of the walk and each message's facts, native ==
        Python."""
        counted = [0, 0]

        @settings(GENERATED, max_examples=300)
        @given(case=mime_case())
        def run(case: MimeCase) -> None:
            calls = Calls()
            python_facts = record(case.data, calls)
            for block in calls.blocks:
                check_block(block)
            for buf, start, end in calls.splits:
                check_split_headers(buf, start, end)
            for buf, start, end, boundary in calls.multiparts:
                check_split_multipart(buf, start, end, boundary)
            for head in calls.heads:
                check_sniff(head)
            counted[0] += len(calls.blocks)
            counted[1] += len(calls.multiparts)
            assert scan(case.data) == python_facts, case.what

        run()
        assert counted[0] >= 1000
        assert counted[1] >= 100


# -- generated input ------------------------------------------------------------------------------

NAMES = st.sampled_from(
    [
        "Subject",
        "subject",
        "SUBJECT",
        "Content-Type",
        "content-type",
        "Content-Disposition",
        "Content-Transfer-Encoding",
        "Content-ID",
        "From",
        "X-Ü",
        "X-A.b_c",
        "Received",
    ]
)
VALUES = st.sampled_from(
    [
        "",
        " ",
        "text/plain",
        "multipart/mixed",
        'multipart/mixed; boundary="=_x"',
        "multipart/alternative; boundary==_y",
        "text/plain; charset=utf-8",
        'text/plain; charset="ISO-8859-1"',
        "text/plain; charset*=utf-8''%C3%A9",
        "text/plain; charset*=x-unknown''abc",
        'attachment; filename="BSN 111222333.pdf"',
        "attachment; filename*=UTF-8''BSN%20111.pdf",
        "attachment; filename*0*=UTF-8''a%20; filename*1=b.pdf",
        'attachment; filename="a\\"b.pdf"',
        'inline; filename="=?utf-8?q?caf=C3=A9.pdf?="',
        "attachment; filename=",
        "attachment;;filename=a.pdf;",
        'application/pdf; name="x;y.pdf"',
        "=?utf-8?q?caf=C3=A9?=",
        "=?iso-8859-1?b?Y2Fm6Q==?= =?utf-8?B?w6k=?=",
        "=?bogus?x?y?=",
        "<part1.abc@host>",
        "base64",
        " QUOTED-PRINTABLE ",
        "caf\u00e9",
        "\x00",
        "\x7f",
        ":",
        "a: b",
    ]
)
NEWLINES = st.sampled_from(["\r\n", "\n"])


@st.composite
def rich_header_blocks(draw: st.DrawFn) -> bytes:
    """Ordinary-looking header blocks: duplicate names, empty values, folding, CRLF/LF mixes,
    encoded words, RFC 2231 parameters, quotes and escapes, 8-bit bytes; now and then a line
    that makes the block unusual."""
    lines: list[str] = []
    for _ in range(draw(st.integers(0, 8))):
        roll = draw(st.integers(0, 19))
        if roll == 0 and lines:
            lines.append(draw(st.sampled_from([" ", "\t", "  "])) + draw(VALUES))
        elif roll == 1:
            lines.append(draw(st.sampled_from(["From a@b Mon", "Name : x", ": x", "body", "\r"])))
        else:
            blank = draw(st.sampled_from(["", " ", "\t", "  "]))
            lines.append(draw(NAMES) + ":" + blank + draw(VALUES))
        lines[-1] += draw(NEWLINES)
        if draw(st.integers(0, 4)) == 0:  # folded
            lines.append(draw(st.sampled_from([" ", "\t"])) + draw(VALUES) + draw(NEWLINES))
    text = "".join(lines)
    if draw(st.booleans()):
        return text.encode("utf-8")
    return text.encode("latin-1", "replace")


BODY_PIECES = st.sampled_from(
    [
        "--b",
        "--b--",
        "--bx",
        "--b ",
        "--b\t",
        "--b--x",
        "--b-- ",
        "--=_x",
        "--=_x--",
        "x--b",
        " --b",
        "b",
        "-",
        "--",
        "text",
        "Content-Type: text/plain",
        "\r\n",
        "\n",
        "\r",
        " ",
        "\t",
        "é",
    ]
)


@st.composite
def multipart_bodies(draw: st.DrawFn) -> tuple[bytes, int, int, bytes]:
    """A body of boundary-like lines, a span of it and a boundary."""
    body = "".join(draw(st.lists(BODY_PIECES, max_size=25))).encode("utf-8")
    start = draw(st.integers(0, len(body)))
    end = draw(st.integers(start, len(body)))
    boundary = draw(st.sampled_from([b"b", b"=_x", b"b--", b"-", b"", b"x y"]))
    return body, start, end, boundary


HEAD_PIECES = st.sampled_from(
    [
        "A: b",
        "Subject:x",
        "X-Y :z",
        "From a@b",
        "From: a",
        " folded",
        "\tfolded",
        ": v",
        "not a header",
        "é: x",
        "\r\n",
        "\n",
        "\r",
        "\r\r\n",
        "",
    ]
)


@st.composite
def entities(draw: st.DrawFn) -> tuple[bytes, int, int]:
    """An entity made of header-like lines, blank lines and body text, and a span of it."""
    data = "".join(draw(st.lists(HEAD_PIECES, max_size=20))).encode("utf-8")
    start = draw(st.integers(0, len(data)))
    return data, start, draw(st.integers(start, len(data)))


MAGIC = st.sampled_from(
    [
        b"ID3", b"\xff\xfb\x90", b"\xff\xe2\x04", b"\xff\xf3", b"RIFF\0\0\0\0WAVE",
        b"RIFF\0\0\0\0WEBP", b"RIFF\0\0\0\0WA", b"\0\0\0\x18ftypM4A ", b"\0\0\0\x18ftyp3g",
        b"\0\0\0\x18ftypM4", b"\0\0\0\x18ftypheic", b"\0\0\0\x18ftypavif",
        b"\0\0\0\x18ftypisom", b"\0\0\0\x18ftyp", b"#!AMR", b"#!AMR-WB", b"OggS", b"fLaC",
        bytes.fromhex("3026B2758E66CF11A6D900AA0062CE6C"), b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff",
        b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*", b"BM\0\0\0\0\0\0\0\0", b"BM", b"%PDF-",
        b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        b"Rar!\x1a\x07", b"7z\xbc\xaf\x27\x1c", b"\x1f\x8b", b"{\\rtf", b"Hoi", b"",
    ]
)  # fmt: skip


@st.composite
def heads(draw: st.DrawFn) -> bytes:
    """A magic number (or a piece of one) with random bytes after it, cut anywhere."""
    head = draw(MAGIC) + draw(st.binary(max_size=20))
    return head[: draw(st.integers(0, len(head)))] if draw(st.booleans()) else head


@needs_native
class TestGeneratedIdentity:
    @GENERATED
    @given(heads())
    def test_heads_sniff_the_same(self, head: bytes) -> None:
        """Magic numbers, pieces of them and random bytes: the same (family, name) or None."""
        check_sniff(head)

    @GENERATED
    @given(header_blocks() | rich_header_blocks())
    def test_header_blocks_parse_the_same(self, block: bytes) -> None:
        """Any header block: native fields (or refusal) and answers as the Python and stdlib."""
        check_block(block)

    def test_ordinary_blocks_are_taken_natively(self) -> None:
        """A block of 'Name: value' lines and folding (no odd line) is parsed natively; any
        other is left to the Python/stdlib path."""
        seen = [0, 0]

        @GENERATED
        @given(rich_header_blocks().filter(lambda b: b"\r" not in b.replace(b"\r\n", b"")))
        def run(block: bytes) -> None:
            lines = block.replace(b"\r\n", b"\n").split(b"\n")
            if lines[-1] == b"":
                lines.pop()  # the block's last line break
            ordinary = all(
                mime._FIELD.match(line.decode("latin-1")) or (at and line[:1] in (b" ", b"\t"))
                for at, line in enumerate(lines)
            ) and not any(b in block for b in b"\x0b\x0c\x1c\x1d\x1e")
            assert check_block(block) == ordinary
            seen[ordinary] += 1

        run()
        assert min(seen) >= 300  # both kinds generated

    @GENERATED
    @given(parameter_values(), parameter_values(), st.sampled_from(["\r\n", "\n"]))
    def test_parameters_answer_the_same(self, ctype: str, disposition: str, nl: str) -> None:
        """Generated parameter lists in a header block: the same answers as the stdlib."""
        block = f"Content-Type: {ctype}{nl}Content-Disposition: {disposition}{nl}"
        check_block(block.encode("utf-8"))

    def test_parameter_lists_split_the_same(self) -> None:
        """Generated parameter values: the native list is _simple_params' where the value is
        a plain list, None (the stdlib parses) where not; both kinds are generated."""
        seen = [0, 0]

        @GENERATED
        @given(parameter_values() | VALUES)
        def run(value: str) -> None:
            seen[check_params(value)] += 1

        run()
        assert min(seen) >= 300

    def test_parameters_with_lone_surrogates_go_to_the_stdlib(self) -> None:
        """A value with 8-bit bytes (surrogate escapes) is not a plain list."""
        assert _native is not None
        assert _native.simple_params("text/plain; name=\udcc3") is None
        assert _native.simple_params('text/plain; name="a\udcc3"') is None

    @GENERATED
    @given(multipart_bodies())
    def test_multipart_bodies_split_the_same(self, case: tuple[bytes, int, int, bytes]) -> None:
        """Bodies of boundary-like lines: the same parts, preamble and epilogue."""
        check_split_multipart(*case)

    @GENERATED
    @given(entities())
    def test_entities_split_the_same(self, case: tuple[bytes, int, int]) -> None:
        """Entities of header-like lines: the same end of headers and start of body."""
        check_split_headers(*case)


# -- the binding ----------------------------------------------------------------------------------


@pytest.fixture
def mapped() -> Iterator[mmap.mmap]:
    """A read-only mmap of a multipart message, as the spool hands one to the walk."""
    data = (CORPUS / "multipart_alternative.eml").read_bytes()
    with tempfile.TemporaryFile() as spool:
        spool.write(data)
        spool.flush()
        with mmap.mmap(spool.fileno(), 0, access=mmap.ACCESS_READ) as view:
            yield view


@needs_native
class TestBinding:
    def test_mmap_reads_as_bytes(self, mapped: mmap.mmap) -> None:
        """A spool mmap gives the same splits as the same bytes."""
        assert _native is not None
        data = bytes(mapped)
        end = len(data)
        assert _native.split_headers(mapped, 0, end) == mime.split_headers_python(data, 0, end)
        boundary = mime.parse_headers(data[: mime.split_headers(data, 0, end)[0]]).get_boundary()
        assert boundary
        split = _native.split_multipart(mapped, 0, end, boundary.encode())
        assert split is not None
        assert split == mime.split_multipart_python(data, 0, end, boundary.encode())

    @pytest.mark.parametrize(("start", "end"), [(5, 4), (0, 100), (101, 101)])
    def test_span_outside_the_buffer_raises(self, start: int, end: int) -> None:
        """A span the buffer does not hold is a ValueError, never a read past it."""
        assert _native is not None
        with pytest.raises(ValueError, match="span outside the buffer"):
            _native.split_headers(b"x" * 99, start, end)
        with pytest.raises(ValueError, match="span outside the buffer"):
            _native.split_multipart(b"x" * 99, start, end, b"b")

    def test_negative_offsets_raise(self) -> None:
        """A negative offset cannot be a position: OverflowError, not a wrapped index."""
        assert _native is not None
        with pytest.raises(OverflowError):
            _native.split_headers(b"A: b\n\nc", -1, 3)

    def test_8bit_values_keep_their_bytes(self) -> None:
        """8-bit bytes come back as surrogate escapes; get() gives compat32's Header for them."""
        assert _native is not None
        block = "Subject: café\r\n".encode()
        headers = mime.FieldHeaders(*_native.header_fields(block))
        assert headers._headers == [("Subject", "caf\udcc3\udca9")]
        subject = headers.get("subject")
        assert isinstance(subject, Header)
        assert _plain(subject) == _plain(stdlib(block).get("subject"))

    def test_field_headers_are_read_only(self) -> None:
        """Changing a FieldHeaders would leave its look-up stale: every mutator refuses."""
        assert _native is not None
        headers = mime.FieldHeaders(*_native.header_fields(b"Content-Type: text/plain\r\n"))
        for change in (
            lambda: headers.__setitem__("X", "y"),
            lambda: headers.__delitem__("content-type"),
            lambda: headers.set_raw("X", "y"),
            lambda: headers.add_header("X", "y"),
            lambda: headers.replace_header("content-type", "text/html"),
            lambda: headers.set_param("charset", "utf-8"),
            lambda: headers.del_param("charset"),
            lambda: headers.set_type("text/html"),
            lambda: headers.set_boundary("b"),
        ):
            with pytest.raises(TypeError, match="read-only"):
                change()
        assert headers.get_content_type() == "text/plain"

    def test_loader_switch_chooses_python(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """With the native functions the walk reads FieldHeaders; without them it parses
        with the Python split again."""
        native_walk = native.header_fields is not None
        headers = mime.parse_headers(b"Content-Type: text/plain\r\n")
        assert type(headers) is (mime.FieldHeaders if native_walk else mime.Headers)
        assert native_walk != OPTED_OUT
        python_mime(monkeypatch)
        headers = mime.parse_headers(b"Content-Type: text/plain\r\n")
        assert type(headers) is mime.Headers
        assert mime.split_headers(b"A: b\n\nc", 0, 7) == (5, 6)
