"""Unit tests for the native simple-PDF reader (milter/native/src/pdf.rs) against pdf_simple.py.

The native reader must give exactly pdf_simple.simple_pdf_text's answer -- the text, the cut,
the per-page character counts, None where the Python reader hands the file to PDFium -- or
say "not mine" (None from milter._native.pdf_simple_text), and then the Python reader runs.
Checked on every PDF of the corpora, every PDF the test helpers and benchmarks build, generated
documents (fonts, encodings, pages, filters, object streams, xref streams) and their damaged
forms (cuts, byte flips, wrong lengths, Flate bombs, deep nesting), and on whole messages with
the native reader on and off. Both readers get a clock that ticks once per look (Python's
`clock`, the native `ticks`), so the time budget cuts them at the same place.
The module fails (it does not skip) when milter._native is missing, unless POSTWARDEN_NATIVE=0
asks for the Python code on purpose.
"""

from __future__ import annotations

import email
import email.policy
import functools
import itertools
import subprocess
import sys
import zlib
from base64 import a85encode
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import milter.content.native as native
from milter.content.formats import pdf_simple
from milter.policy import load_policy
from tests.support.pdf import assemble
from tests.unit.content import test_pdf_simple as t
from tests.unit.content.native_support import NATIVE, generated, needs_native, require_built

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT / "tests" / "corpus"
POLICY = load_policy(ROOT / "policies" / "example.yaml")
BIG = 10**7

require_built()
pytestmark = needs_native

Answer = tuple[str | None, str | None, list[int]]


def python_answer(
    data: bytes,
    max_chars: int = BIG,
    deadline: float = 1e12,
    max_inflated: int = pdf_simple.MAX_INFLATED,
) -> Answer:
    """pdf_simple.simple_pdf_text with a clock that counts its looks: (text, cut, page chars)."""
    chars: list[int] = []
    found = pdf_simple.simple_pdf_text(
        data,
        max_chars,
        deadline,
        clock=itertools.count().__next__,
        max_inflated=max_inflated,
        page_chars=chars,
    )
    return (None, None, chars) if found is None else (found[0], found[1], chars)


def native_answer(
    data: bytes,
    max_chars: int = BIG,
    deadline: float = 1e12,
    max_inflated: int = pdf_simple.MAX_INFLATED,
) -> Answer | None:
    """The native reader with the same counting clock; None when it leaves the file to Python."""
    assert NATIVE is not None
    found = NATIVE.pdf_simple_text(data, max_chars, deadline, max_inflated, True)
    return None if found is None else (found[0], found[1], list(found[2]))


def assert_same(data: bytes, *, natively: bool = False, **limits: int | float) -> Answer | None:
    """Native answer == Python answer, field by field (or the native reader says not mine);
    `natively`: it must answer itself."""
    found = native_answer(data, **limits)  # type: ignore[arg-type]
    if natively:
        assert found is not None, "the native reader left a well-formed PDF to Python"
    if found is not None:
        assert found == python_answer(data, **limits)  # type: ignore[arg-type]
    return found


# -- the corpora ----------------------------------------------------------------------------------


def corpus_pdfs() -> Iterator[tuple[str, bytes]]:
    """(message file, PDF bytes) of every PDF part of every corpus message."""
    for path in sorted(CORPUS.rglob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for part in message.walk():
            data = None if part.is_multipart() else part.get_payload(decode=True)
            if isinstance(data, bytes) and data.lstrip()[:5] == b"%PDF-":
                yield str(path.relative_to(CORPUS)), data


CORPUS_PDFS = list(corpus_pdfs())


class TestCorpus:
    def test_corpus_has_pdfs_of_both_kinds(self) -> None:
        """The corpora hold simple PDFs and PDFs for PDFium, for the tests below to mean much."""
        answers = [python_answer(data)[0] for _, data in CORPUS_PDFS]
        assert sum(a is not None for a in answers) >= 5
        assert sum(a is None for a in answers) >= 10

    def test_every_corpus_pdf_reads_natively_and_the_same(self) -> None:
        """Each corpus PDF: the native reader answers, and its answer is the Python one."""
        differ = [
            name
            for name, data in CORPUS_PDFS
            if native_answer(data) is None or native_answer(data) != python_answer(data)
        ]
        assert differ == []

    @pytest.mark.parametrize("max_chars", [0, 1, 40, 500])
    def test_character_limit_cuts_the_same(self, max_chars: int) -> None:
        """Each corpus PDF under a small character limit: the same cut text."""
        for _, data in CORPUS_PDFS:
            assert_same(data, natively=True, max_chars=max_chars)

    @pytest.mark.parametrize("deadline", [-1, 0, 1, 2])
    def test_time_budget_cuts_the_same(self, deadline: int) -> None:
        """Each corpus PDF with the clock running out after a few looks: the same cut."""
        for _, data in CORPUS_PDFS:
            assert_same(data, natively=True, deadline=deadline)

    @pytest.mark.parametrize("folder", ["realistic", "holdout", "blind", "."])
    def test_whole_message_facts_are_the_same(self, folder: str) -> None:
        """Each corpus message with a PDF: the same facts with the native reader and without."""
        files = sorted({name for name, _ in CORPUS_PDFS if Path(name).parent == Path(folder)})
        assert files
        assert POLICY.content is not None and NATIVE is not None
        scanner = POLICY.content.scanner
        with pytest.MonkeyPatch.context() as monkeypatch:
            monkeypatch.setattr(native, "pdf_simple_text", NATIVE.pdf_simple_text)
            with_native = {
                f: scanner.scan_message((CORPUS / f).read_bytes(), ocr=False) for f in files
            }
            monkeypatch.setattr(native, "pdf_simple_text", None)
            differ = [
                f
                for f in files
                if scanner.scan_message((CORPUS / f).read_bytes(), ocr=False) != with_native[f]
            ]
        assert differ == []


# -- PDFs the helpers and benchmarks build --------------------------------------------------------


@functools.cache
def helper_pdfs() -> dict[str, bytes]:
    """The PDFs of tests/support, tests/corpus/make_corpus, bench/mime.py and bench_content."""
    from bench import bench_content
    from bench import mime as bench_mime
    from tests.corpus.make_corpus import pdf as corpus_pdf

    found = {
        "corpus_pdf": corpus_pdf(["BSN 101722333", "Aan de ouders van J. de Vries"]),
        "corpus_pdf_empty": corpus_pdf([]),
        "bench_make_pdf_10k": bench_mime.make_pdf(10 * 1024),
        "bench_make_pdf_small": bench_mime.make_pdf(0, seed=3),
        "bench_report_pdf": bench_mime.report_pdf(3),
        "bench_content_pdf": bench_content.pdf_pages(
            [f"regel {n} BSN 1017 22333" for n in range(130)]
        ),
        "assemble_no_xref": assemble(
            [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"],
            xref=False,
        ),
    }
    message = bench_mime.build_message(10 * 1024)
    for part in email.message_from_bytes(message, policy=email.policy.default).walk():
        data = None if part.is_multipart() else part.get_payload(decode=True)
        if isinstance(data, bytes) and data.startswith(b"%PDF-"):
            found["bench_build_message_10k"] = data
    return found


class TestHelperPdfs:
    @pytest.mark.parametrize("name", sorted(helper_pdfs()))
    def test_reads_the_same(self, name: str) -> None:
        """Each helper/bench PDF: the native reader answers, with the Python answer."""
        assert_same(helper_pdfs()[name], natively=True)

    def test_bench_pdf_documents(self) -> None:
        """bench/bench_pdf.py's letters (fpdf2, reportlab, make_corpus): the same answers."""
        from bench import bench_pdf

        for data in (
            bench_pdf.simple_pdf(),
            bench_pdf.fpdf_letter(2),
            bench_pdf.reportlab_letter(2),
        ):
            assert_same(data, natively=True)

    def test_pdf_simple_tests_documents(self) -> None:
        """The documents test_pdf_simple.py builds (every encoding byte, forms, refusals)."""
        fonts = [
            t.HELVETICA,
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman >>",
            b"<< /Type /Font /Subtype /TrueType /BaseFont /Arial /Encoding /MacRomanEncoding >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /StandardEncoding >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding"
            b" << /Differences [65 /B] >> >>",
            b"<< /Type /Font /Subtype /Type0 /BaseFont /X /Encoding /Identity-H >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Symbol >>",
        ]
        shown = (
            bytes(range(256)).replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
        )
        contents = [
            b"BT /F1 11 Tf 50 700 Td (" + shown + b") Tj ET",
            b"BT /F1 9 Tf 14 TL 72 760 Td (a) Tj T* (b) ' 1 2 (c) \" [(d) -250 (e) 3 (f)] TJ ET",
            b"BT /F1 9 Tf 1 0 0 1 50 700 Tm (1) Tj 1 0 0 1 60 700 Tm (0) Tj 0 -14 TD (x) Tj ET",
            b"q 200 0 0 150 72 560 cm /Im1 Do Q",
            b"q /Fm1 Do Q BT /F1 9 Tf (BSN 101722333) Tj ET",
            b"BT /F2 9 Tf (x) Tj ET",
            b"BI /W 1 /H 1 ID \x00 EI",
            b"BT /F1 9 Tf <48656c6c6f2> Tj (\\101\\0501\\n\\\r\nx\\q) Tj ET % done\n",
        ]
        for font in fonts:
            for content in contents:
                for deflate in (False, True):
                    assert_same(t.one_page(content, font, deflate=deflate))
        assert_same(t.one_page(contents[0]), natively=True)


# -- generated documents --------------------------------------------------------------------------

FONTS = [
    b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    b"<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman >>",
    b"<< /Type /Font /Subtype /TrueType /BaseFont /Arial /Encoding /MacRomanEncoding >>",
    b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier-Bold /Encoding /StandardEncoding >>",
    b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /FontDescriptor"
    b" << /FontFile2 1 0 R >> >>",
    b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding << /Differences [] >> >>",
    b"<< /Type /Font /Subtype Type1 /BaseFont Helvetica /Encoding WinAnsiEncoding >>",
]
TEXT = st.binary(max_size=12)
NUMBER = st.one_of(
    st.integers(-1000, 100000).map(lambda n: b"%d" % n),
    st.floats(-1e4, 1e4, allow_nan=False).map(lambda f: b"%.3f" % f),
    st.sampled_from([b"true", b"false", b"null", b".5", b"-0", b"+3", b"5.", b"1 0 R", b"7R"]),
)


def literal(text: bytes) -> bytes:
    return b"(" + text.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


OPERATION = st.one_of(
    st.tuples(TEXT).map(lambda t: literal(t[0]) + b" Tj"),
    st.tuples(TEXT).map(lambda t: b"<" + t[0].hex().encode() + b"> Tj"),
    st.lists(st.one_of(TEXT.map(literal), NUMBER), max_size=5).map(
        lambda items: b"[" + b" ".join(items) + b"] TJ"
    ),
    st.tuples(TEXT).map(lambda t: literal(t[0]) + b" '"),
    st.tuples(NUMBER, NUMBER, TEXT).map(
        lambda t: t[0] + b" " + t[1] + b" " + literal(t[2]) + b' "'
    ),
    st.tuples(NUMBER, NUMBER, st.sampled_from([b"Td", b"TD"])).map(b" ".join),
    st.lists(NUMBER, min_size=6, max_size=6).map(lambda n: b" ".join(n) + b" Tm"),
    st.tuples(NUMBER).map(lambda t: t[0] + b" TL"),
    st.sampled_from(
        [
            b"T*",
            b"BT",
            b"ET",
            b"q",
            b"Q",
            b"/F1 9 Tf",
            b"/F2 11 Tf",
            b"/Im1 Do",
            b"/Fm1 Do",
            b"% a comment\n",
            b"1 0 0 1 0 0 cm",
            b"<< /MCID 0 >> BDC",
            b"EMC",
            b"[1 [2]] 3 d",
        ]
    ),
)


@st.composite
def documents(draw: st.DrawFn) -> bytes:
    """A PDF of 1-4 pages of random text operations, fonts, filters and layouts; the fonts
    maybe in an object stream, the catalog then named by an xref stream (no trailer)."""
    fonts = [draw(st.sampled_from(FONTS)) for _ in range(2)]
    pages = draw(st.integers(1, 4))
    filters = draw(st.sampled_from(["none", "flate", "a85flate", "a85"]))
    packed = draw(st.booleans())
    font_refs = (b"100 0 R", b"101 0 R") if packed else (b"3 0 R", b"4 0 R")
    objects: list[bytes] = [b"", b"", fonts[0], fonts[1]]
    if packed:
        inner = b"100 0 101 %d " % (len(fonts[0]) + 1)
        body = zlib.compress(inner + fonts[0] + b" " + fonts[1])
        objects[2] = (
            b"<< /Type /ObjStm /N 2 /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
            % (len(inner), len(body))
            + body
            + b"\nendstream"
        )
        objects[3] = b"<< /Type /XRef /Root 1 0 R /Size 9 /Length 0 >>\nstream\n\nendstream"
    objects.append(
        b"<< /Type /XObject /Subtype /Image /Width 1 /Height 1 /Length 4 >>\nstream\n"
        b"\xff\xd8\xff\xd9\nendstream"
    )
    inherit = draw(st.booleans())
    resources = b"<< /Font << /F1 %s /F2 %s >> /XObject << /Im1 5 0 R >> >>" % font_refs
    kids = []
    for _ in range(pages):
        content = b"\n".join(draw(st.lists(OPERATION, max_size=12)))
        if filters == "flate":
            body, extra = zlib.compress(content), b" /Filter /FlateDecode"
        elif filters == "a85flate":
            body = a85encode(zlib.compress(content)) + b"~>"
            extra = b" /Filter [/ASCII85Decode /FlateDecode]"
        elif filters == "a85":
            body, extra = a85encode(content) + b"~>", b" /Filter /ASCII85Decode"
        else:
            body, extra = content, b""
        objects.append(b"<< /Length %d%s >>\nstream\n%s\nendstream" % (len(body), extra, body))
        own = b"" if inherit else b" /Resources " + resources
        objects.append(b"<< /Type /Page /Parent 2 0 R /Contents %d 0 R%s >>" % (len(objects), own))
        kids.append(len(objects))
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    refs = b" ".join(b"%d 0 R" % k for k in kids)
    shared = resources if inherit else b"<< >>"
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d /Resources %s >>" % (refs, pages, shared)
    if packed:
        return assemble(objects, xref=False).replace(b"trailer", b"% no trailer")
    return assemble(objects, xref=draw(st.booleans()))


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    """A generated PDF, then cut, with bytes flipped, or with a piece of PDF syntax replaced."""
    data = bytearray(draw(documents()))
    for _ in range(draw(st.integers(0, 3))):
        how = draw(st.sampled_from(["cut", "flip", "splice"]))
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        if how == "cut":
            del data[at:]
        elif how == "flip":
            data[at] = draw(st.integers(0, 255))
        else:
            piece = draw(
                st.sampled_from(
                    [b"/Length 99999", b"/Length 0", b"/Length 3 0 R", b"[[[[[[", b">>>>",
                     b"% c", b"0 0 obj", b"3 0 obj", b"endstream", b"(", b"\\", b"<", b"/Kids",
                     b"/Type /Pages", b"9999999999999999999999", b"1 0 R", b"/ToUnicode",
                     b"\x00", b"\x0b", b"trailer << /Root 3 0 R >>"]
                )
            )  # fmt: skip
            data[at:at] = piece
    return bytes(data)


LIMITS = st.fixed_dictionaries(
    {
        "max_chars": st.sampled_from([BIG, 0, 1, 7, 60]),
        "deadline": st.sampled_from([1e12, 0, 1, 3]),
        "max_inflated": st.sampled_from([pdf_simple.MAX_INFLATED, 0, 10, 200]),
    }
)


class TestGenerated:
    @generated(600)
    @given(documents(), LIMITS)
    def test_generated_documents(self, data: bytes, limits: dict[str, float]) -> None:
        """Generated PDFs under random limits: the same answer (the native reader answers)."""
        found = assert_same(data, **limits)
        if limits["max_inflated"] == pdf_simple.MAX_INFLATED:
            assert found is not None

    @generated(1500)
    @given(damaged(), LIMITS)
    def test_damaged_documents(self, data: bytes, limits: dict[str, float]) -> None:
        """Cut, flipped and spliced PDFs: the same answer, or the native reader says not mine."""
        assert_same(data, **limits)

    @generated(300)
    @given(st.binary(max_size=300), st.binary(max_size=40))
    def test_random_bytes_as_content(self, content: bytes, extra: bytes) -> None:
        """Any bytes as a page's content stream (raw and deflated): the same answer."""
        assert_same(t.one_page(content))
        assert_same(t.one_page(content + extra, deflate=True))


# -- hostile documents ----------------------------------------------------------------------------


def stream_object(content: bytes) -> bytes:
    return b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content)


def page_with(content_object: bytes, *, font: bytes = FONTS[0]) -> bytes:
    return assemble(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R"
            b" /Resources << /Font << /F1 5 0 R >> >> >>",
            content_object,
            font,
        ]
    )


def flate_object(data: bytes, extra: bytes = b"") -> bytes:
    packed = zlib.compress(data, 9)
    return b"<< /Length %d /Filter /FlateDecode%s >>\nstream\n%s\nendstream" % (
        len(packed),
        extra,
        packed,
    )


class TestHostile:
    @pytest.mark.parametrize("inflated", [10, 1000, 100_000])
    def test_flate_bomb_stops_at_the_same_bound(self, inflated: int) -> None:
        """A content stream inflating past, to or below the cap: the same refusal or text."""
        content = b"BT /F1 9 Tf (x) Tj ET" + b" " * 200_000
        data = page_with(flate_object(content))
        for cap in (inflated, len(content) - 1, len(content), len(content) + 1):
            found = assert_same(data, natively=True, max_inflated=cap)
            assert found is not None
            assert (found[0] is None) == (cap < len(content))

    def test_flate_bomb_at_the_real_limit(self) -> None:
        """65 MiB of zeros behind 64 KiB of deflate: refused by both at MAX_INFLATED."""
        data = page_with(flate_object(b"BT /F1 9 Tf (x) Tj ET" + bytes(65 << 20)))
        assert assert_same(data, natively=True) == (None, None, [])

    def test_bad_lengths(self) -> None:
        """A /Length too long, too short, negative, a reference, a boolean: the same answers."""
        content = b"BT /F1 9 Tf (lengte) Tj ET"
        for length in (b"0", b"3", b"999", b"-1", b"6 0 R", b"4 0 R", b"true", b"(x)", b"1.5"):
            obj = b"<< /Length %s >>\nstream\n%s\nendstream" % (length, content)
            data = page_with(obj)
            assert_same(data, natively=True)
            assert_same(data.replace(b"endstream", b"endstrem"), natively=True)

    @pytest.mark.parametrize("depth", [10, 150, 1000])
    def test_deep_nesting(self, depth: int) -> None:
        """Arrays nested deep in a page dictionary and a content stream: the same or not mine."""
        nested = b"[" * depth + b"]" * depth
        data = page_with(
            b"<< /Length 30 >>\nstream\nBT /F1 9 Tf (x) Tj ET " + nested + b"\nendstream"
        )
        assert_same(data, natively=depth < 200)
        data = page_with(
            b"<< /Length 21 /X " + nested + b" >>\nstream\nBT /F1 9 Tf (x) Tj ET\nendstream"
        )
        assert_same(data, natively=depth < 200)

    def test_reference_cycles(self) -> None:
        """A /Length that refers to its own stream, and a page tree that loops: refused alike."""
        assert_same(page_with(b"<< /Length 4 0 R >>\nstream\nBT ET\nendstream"), natively=True)
        looped = assemble(
            [
                b"<< /Type /Catalog /Pages 2 0 R >>",
                b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>",
            ]
        )
        assert assert_same(looped, natively=True) == (None, None, [])

    def test_truncated_xref_and_trailer(self) -> None:
        """A file cut inside its xref table, its trailer and its last object: the same answers."""
        data = page_with(b"<< /Length 21 >>\nstream\nBT /F1 9 Tf (x) Tj ET\nendstream")
        for marker in (b"xref", b"trailer", b"startxref", b"5 0 obj"):
            at = data.rindex(marker)
            for cut in (at, at + 3, at + len(marker) + 2):
                assert_same(data[:cut])

    def test_duplicate_object_and_markers(self) -> None:
        """An object defined twice, /Encrypt, /AcroForm: refused alike before any parsing."""
        data = page_with(b"<< /Length 21 >>\nstream\nBT /F1 9 Tf (x) Tj ET\nendstream")
        for extra in (b"4 0 obj\n<< >>\nendobj\n", b"% /Encrypt\n", b"% /AcroForm\n"):
            assert assert_same(data + extra, natively=True) == (None, None, [])

    def test_many_operators_reach_the_clock_inside_a_page(self) -> None:
        """20 000 operators on a page: the clock is asked inside it, the same partial text."""
        content = b"BT /F1 9 Tf " + b"(ab) Tj T* " * 20_000 + b"ET"
        data = page_with(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
        for deadline in (0, 1, 2, 3):
            found = assert_same(data, natively=True, deadline=deadline)
            assert found is not None and found[1] == "pdf time budget exceeded"
            assert 0 < len(found[0] or "") < 3 * 20_000


class TestWiring:
    def test_simple_text_uses_the_native_reader_and_falls_back(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """pdf_simple.simple_text: the native answer, and the Python one where it says not mine."""
        assert NATIVE is not None
        data = page_with(stream_object(b"BT /F1 9 Tf (Jan Jansen) Tj ET"))
        calls: list[bytes] = []

        def counting(data: bytes, *args: object) -> object:
            calls.append(data)
            return NATIVE.pdf_simple_text(data, *args)

        monkeypatch.setattr(native, "pdf_simple_text", counting)
        chars: list[int] = []
        assert pdf_simple.simple_text(data, BIG, 1e18, chars) == ("Jan Jansen", None)
        assert chars == [9] and len(calls) == 1
        deep = data.replace(b"/Count 1", b"/Count 1 /Deep " + b"[" * 300 + b"]" * 300)
        assert NATIVE.pdf_simple_text(deep, BIG, 100.0, pdf_simple.MAX_INFLATED) is None
        assert pdf_simple.simple_text(deep, BIG, 1e18) == ("Jan Jansen", None)
        assert len(calls) == 2

    def test_limits_past_the_native_range_read_by_python(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A character limit past 64 bits or negative, or a bytearray: the Python reader reads."""
        data = page_with(stream_object(b"BT /F1 9 Tf (Jan Jansen) Tj ET"))
        calls: list[bytes] = []
        monkeypatch.setattr(native, "pdf_simple_text", lambda data, *args: calls.append(data))
        assert pdf_simple.simple_text(data, 2**70, 1e18) == ("Jan Jansen", None)
        assert pdf_simple.simple_text(data, -3, 1e18) == pdf_simple.simple_pdf_text(data, -3, 1e18)
        assert pdf_simple.simple_text(bytearray(data), 5, 1e18) == (
            "Jan J",
            "max_total_bytes exceeded",
        )  # type: ignore[arg-type]
        assert calls == []

    def test_native_error_is_not_an_answer(self) -> None:
        """A panic in the native core is NativeError (the scanner's caller tempfails)."""
        assert NATIVE is not None
        with pytest.raises(NATIVE.NativeError):
            NATIVE._panic_for_test()


class TestFuzzHarness:
    def test_pdf_target_runs_seeded_and_bounded(self) -> None:
        """`make fuzz`'s pdf target, a fixed seed and 3000 runs: no difference, no crash."""
        command = [sys.executable, "-m", "tests.fuzz.atheris_fuzz", "pdf"]
        command += ["-atheris_runs=3000", "-seed=1", "-max_len=65536"]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=240, cwd=ROOT, check=False
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert "Done 3000 " in done.stderr
