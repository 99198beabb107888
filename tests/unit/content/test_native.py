"""Unit tests for milter.content.native: the loader, and the native core against the Python code.

The native functions must give exactly what the Python reference gives: on every HTML part of
the corpora, on generated markup and on the MIME fuzz cases, and whole messages must get the
same facts with the native core and without it. CI builds the extension, so this module fails
(it does not skip) when milter._native is missing, unless POSTWARDEN_NATIVE=0 asks for the
Python code on purpose.
"""

from __future__ import annotations

import html.entities
import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, generate_latest
from structlog.testing import capture_logs

import milter.content.leaf as leaf
import milter.content.native as native
from milter.content import ScanConfig, compile_config
from milter.content.findings import ContentFacts
from milter.content.formats import Unscannable
from milter.content.formats import html as html_format
from milter.content.formats.html import _BLOCK, _CELL, _HIDDEN, _TextExtractor, _tokenise
from milter.metrics.registry import Metrics
from milter.policy import load_policy
from milter.server.daemon import Daemon, DaemonOptions
from tests.reliability.conversations import content_stream
from tests.reliability.inprocess import running_milter
from tests.reliability.mime_cases import MimeCase, milter_events, mime_case
from tests.reliability.wire import exchange
from tests.unit.content.native_support import (
    NATIVE,
    OPTED_OUT,
    generated,
    needs_native,
    require_built,
)

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT / "tests" / "corpus"
POLICY = load_policy(ROOT / "policies" / "example.yaml")
_native = NATIVE
require_built()


def fast_path(markup: str) -> str | None:
    """formats/html.py's regex tokeniser alone: its text, or None where it gives up or raises."""
    parser = _TextExtractor()
    try:
        if not _tokenise(markup, parser):
            return None
    except ValueError:  # int() refuses a decimal character reference past 4300 digits
        return None
    return "".join(parser.parts).replace("\xa0", " ")


def outcome(read: Callable[[str], str | bytes], markup: str) -> tuple[str, str | bytes]:
    """("text", the text) or ("raises", the exception's type): both paths must agree on either."""
    try:
        return "text", read(markup)
    except (ValueError, Unscannable) as exc:  # a decimal reference past int()'s 4300 digits
        return "raises", type(exc).__name__


def native_html(markup: str) -> str | None:
    """The native text of `markup`; its UTF-8 twin (what the scanner reads) must match it."""
    assert _native is not None
    text = _native.html_to_text(markup)
    assert _native.html_to_utf8(markup) == (None if text is None else text.encode("utf-8"))
    return text


def python_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    """Choose the Python code, as POSTWARDEN_NATIVE=0 does (the loader's switch, not a mock)."""
    monkeypatch.setattr(native, "html_to_text", None)
    monkeypatch.setattr(native, "html_to_utf8", None)


def run_python(code: str, **env: str) -> str:
    """`code`'s stdout in a fresh interpreter with `env` added."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
        cwd=ROOT,
        check=True,
    )
    return done.stdout.strip()


class TestLoader:
    def test_native_runs_when_built(self) -> None:
        """With the extension built and no opt-out, the loader says native."""
        if OPTED_OUT:
            assert native.SCANNER == "python"
        else:
            assert native.SCANNER == "native"
            assert native.html_to_text is not None

    def test_opt_out_runs_python(self) -> None:
        """POSTWARDEN_NATIVE=0 chooses the Python code: SCANNER python, no native function."""
        code = (
            "import json; from milter.content import native; "
            "print(json.dumps([native.SCANNER, native.html_to_text, native.html_to_utf8]))"
        )
        assert json.loads(run_python(code, POSTWARDEN_NATIVE="0")) == ["python", None, None]

    def test_metrics_export_the_scanner(self) -> None:
        """postwarden_scanner_info names the scanner that runs, value 1."""
        text = generate_latest(Metrics(CollectorRegistry()).registry).decode()
        assert f'postwarden_scanner_info{{scanner="{native.SCANNER}"}} 1.0' in text

    def test_metrics_export_python_when_opted_out(self) -> None:
        """With POSTWARDEN_NATIVE=0 the gauge says python."""
        code = (
            "from prometheus_client import CollectorRegistry, generate_latest\n"
            "from milter.metrics.registry import Metrics\n"
            "text = generate_latest(Metrics(CollectorRegistry()).registry).decode()\n"
            "print([l for l in text.splitlines() if l.startswith('postwarden_scanner_info')])"
        )
        assert run_python(code, POSTWARDEN_NATIVE="0") == (
            "['postwarden_scanner_info{scanner=\"python\"} 1.0']"
        )

    def test_serve_logs_the_scanner(self) -> None:
        """serve's listening line (with the policy) names the scanner."""
        daemon = Daemon(
            DaemonOptions(policy_path=str(ROOT / "policies" / "example.yaml"), listen="x")
        )
        try:
            with capture_logs() as logs:
                daemon.log_listening(["inet:127.0.0.1:10027"])
        finally:
            daemon.close()
        assert [e["scanner"] for e in logs if e["event"] == "listening"] == [native.SCANNER]


class TestTables:
    def test_generated_tables_are_current(self) -> None:
        """src/tables.rs is what gen_tables.py writes from this Python (entities, \\s, ...)."""
        path = ROOT / "milter" / "native" / "gen_tables.py"
        spec = importlib.util.spec_from_file_location("gen_tables", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        assert module.OUT.read_text(encoding="utf-8") == module.render()


# -- identity: the corpora ----------------------------------------------------------------------


def scan_recording(data: bytes, seen: list[str], monkeypatch: pytest.MonkeyPatch) -> ContentFacts:
    """Scan `data` (OCR off), appending each markup the scanner turns into text to `seen`."""
    original = leaf.html_to_utf8

    def recording(markup: str) -> bytes:
        seen.append(markup)
        return original(markup)

    with monkeypatch.context() as patch:
        patch.setattr(leaf, "html_to_utf8", recording)
        assert POLICY.content is not None
        return POLICY.content.scanner.scan_message(data, ocr=False)


@pytest.fixture(scope="module")
def corpus_html() -> dict[str, list[str]]:
    """file -> the markups its scan turns into text (every .eml under tests/corpus)."""
    found: dict[str, list[str]] = {}
    with pytest.MonkeyPatch.context() as monkeypatch:
        for path in sorted(CORPUS.rglob("*.eml")):
            seen: list[str] = []
            scan_recording(path.read_bytes(), seen, monkeypatch)
            if seen:
                found[str(path.relative_to(CORPUS))] = seen
    return found


@needs_native
class TestCorpusIdentity:
    def test_corpus_has_html(self, corpus_html: dict[str, list[str]]) -> None:
        """The corpora hold enough HTML for the identity tests to mean something."""
        assert len(corpus_html) >= 50
        assert sum(len(markups) for markups in corpus_html.values()) >= 50

    def test_every_html_part_reads_the_same(self, corpus_html: dict[str, list[str]]) -> None:
        """Each HTML part of the corpora: native text == the Python fast path's text."""
        differ = [
            file
            for file, markups in corpus_html.items()
            for markup in markups
            if native_html(markup) != fast_path(markup)
        ]
        assert differ == []

    def test_the_corpus_html_takes_the_native_path(self, corpus_html: dict[str, list[str]]) -> None:
        """Almost every corpus HTML part is read natively, not left to html.parser."""
        markups = [markup for found in corpus_html.values() for markup in found]
        native_read = sum(native_html(markup) is not None for markup in markups)
        assert native_read >= 0.9 * len(markups)

    @pytest.mark.parametrize("folder", ["realistic", "holdout", "."])
    def test_whole_message_facts_are_the_same(
        self, folder: str, corpus_html: dict[str, list[str]], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Each corpus message with HTML: the same facts with the native core and without."""
        files = sorted(f for f in corpus_html if (Path(f).parent == Path(folder)))
        assert files
        assert POLICY.content is not None
        scanner = POLICY.content.scanner
        with_native = {f: scanner.scan_message((CORPUS / f).read_bytes(), ocr=False) for f in files}
        python_loader(monkeypatch)
        differ = [
            f
            for f in files
            if scanner.scan_message((CORPUS / f).read_bytes(), ocr=False) != with_native[f]
        ]
        assert differ == []


# -- identity: generated markup -------------------------------------------------------------------

TAG_NAMES = sorted(_BLOCK | _CELL | _HIDDEN | {"img", "body", "span", "a", "o:p", "x-y.z", "html"})
SPACE = st.sampled_from(
    [
        *("", " ", "  ", "\t", "\n", "\r\n", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\xa0"),
        *("\u2003", "\u3000", "\u200b", "\u180e"),  # the last two: not \s in Python's re
    ]
)
NAMED = sorted(html.entities.html5)
TEXT = st.text(
    st.characters(exclude_categories=("Cs",)) | st.sampled_from("aBc09 ;#&<>\"'=/`-"), max_size=12
)


def cased(name: str) -> st.SearchStrategy[str]:
    return st.sampled_from([name, name.upper(), name.title(), name.swapcase()])


ENTITY = st.one_of(
    st.builds(
        lambda n, tail: f"&{n}{tail}",
        st.sampled_from(NAMED),
        st.sampled_from(["", ";", "x", "x;", "é", " "]),
    ),
    st.builds(lambda n, semi: f"&#{n}{semi}", st.integers(0, 0x110100), st.sampled_from(["", ";"])),
    st.builds(
        lambda n, x, semi: f"&#{x}{n:x}{semi}",
        st.integers(0, 0x110100),
        st.sampled_from("xX"),
        st.sampled_from(["", ";"]),
    ),
    st.sampled_from(
        [
            *(
                "&#0;",
                "&#13;",
                "&#128;",
                "&#x80",
                "&#xD800;",
                "&#xdfff",
                "&#1114111;",
                "&#1114112;",
            ),
            *("&#65534;", "&#xFDD0;", "&#11;", "&#x0000041;", "&#000000000065", "&#" + "9" * 40),
            *("&#x" + "F" * 40 + ";", "&#" + "1" * 4301 + ";", "&#" + "0" * 4301 + "65;"),
            *("&bogus;", "&ampfoo", "&notit;", "&amp", "&AMP;", "&;", "& ", "&#", "&#x", "&#;"),
            *("&" + "a" * 40, "&CounterClockwiseContourIntegral;", "&lt=", "&gt\n", "&é;"),
        ]
    ),
    st.builds(lambda t: "&" + t, TEXT),
)


@st.composite
def attribute(draw: st.DrawFn) -> str:
    name = draw(
        st.sampled_from(
            ["alt", "ALT", "Alt", "src", "class", "x:y", "@click", "_a", "d-x.y", "1x", "é"]
        )
    )
    kind = draw(st.sampled_from(["none", "double", "single", "plain", "empty", "broken"]))
    value = draw(st.lists(ENTITY | TEXT, max_size=3).map("".join))
    eq = draw(SPACE) + "=" + draw(SPACE)
    if kind == "none":
        return name
    if kind == "double":
        return f'{name}{eq}"{value}"'
    if kind == "single":
        return f"{name}{eq}'{value}'"
    if kind == "plain":
        return f"{name}{eq}{value or 'v'}"
    if kind == "empty":
        return f"{name}{eq}"
    return f"{name}{eq}{draw(st.sampled_from(['x/', 'a`b', chr(34) + 'open', 'v=w']))}"


@st.composite
def start_tag(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(TAG_NAMES).flatmap(cased))
    attrs = "".join(
        draw(st.sampled_from([" ", "\t", "\n", "\xa0", "\x1c", ""])) + a
        for a in draw(st.lists(attribute(), max_size=3))
    )
    return f"<{name}{attrs}{draw(SPACE)}{draw(st.sampled_from(['', '/']))}>"


@st.composite
def end_tag(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(TAG_NAMES).flatmap(cased))
    return f"</{draw(SPACE)}{name}{draw(SPACE)}>"


@st.composite
def raw_text_element(draw: st.DrawFn) -> str:
    tag = draw(st.sampled_from(["script", "style"]))
    closes = [f"</{tag}>", f"</{tag.upper()} >", f"</ {tag}\t>", f"</{tag} x>", ""]
    closes += [
        # what re.IGNORECASE also takes for 's' and 'i' (long s, dotted and dotless i)
        "</" + tag.replace("s", "\u017f") + ">",
        "</" + tag.replace("i", "\u0130") + ">",
        "</" + tag.replace("i", "\u0131") + "\u2003>",
    ]
    inner = draw(st.lists(TEXT | ENTITY | start_tag() | end_tag(), max_size=4).map("".join))
    return f"<{draw(cased(tag))}>{inner}{draw(st.sampled_from(closes))}"


COMMENT = st.builds(
    lambda inner, close: f"<!--{inner}{close}",
    TEXT,
    st.sampled_from(["-->", "--->", "-- >", "--\n>", "--\u2003>", "--!>", "- ->", ""]),
)
OTHER = st.sampled_from(
    [
        *("<!DOCTYPE html>", "<!doctype", "<!DocType x>", "<!doctypex>", "<?xml ?>", "<?x"),
        *("<", "< p>", "<1", "<!x>", "<![if !supportLists]>", "<![endif]>", "</>", "</ 1>"),
        *("</p x>", "<p", "<p class='a>'>", '<img alt="a>b">', "<a b=c/>", "<b =x>", ">", "a < b"),
        *("<body>", "</body>", "<head>", "</head>", "<br/>", "<img alt=foto>", "\xa0", "\r\n"),
    ]
)
PIECE = st.one_of(TEXT, ENTITY, start_tag(), end_tag(), raw_text_element(), COMMENT, OTHER)
# Pieces the fast path reads: generated documents of these must mostly take the native path.
WELL_FORMED_PIECE = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",), exclude_characters="<&"), max_size=12),
    ENTITY.filter(lambda e: "<" not in e and len(e) < 4000),
    st.sampled_from(TAG_NAMES).flatmap(cased).map(lambda n: f"<{n}>"),
    st.sampled_from(TAG_NAMES).flatmap(cased).map(lambda n: f"</{n}>"),
    st.sampled_from(['<img alt="BSN &amp; 1">', "<IMG ALT=foto />", "<p class=MsoNormal>"]),
    st.sampled_from(["<!-- c -->", "<!DOCTYPE html>", "<?xml ?>", "<style>p{}</style>"]),
)
GENERATED = generated(1000)


@needs_native
class TestGeneratedIdentity:
    @settings(GENERATED, max_examples=3000)
    @given(st.lists(PIECE, max_size=30).map("".join))
    def test_same_text_as_the_fast_path(self, markup: str) -> None:
        """Any markup: the native text, or None, exactly where the Python fast path has it."""
        assert native_html(markup) == fast_path(markup)

    @GENERATED
    @given(st.lists(WELL_FORMED_PIECE, max_size=30).map("".join))
    def test_well_formed_markup_is_read_natively(self, markup: str) -> None:
        """Markup the fast path reads is read natively too, with the same text."""
        expected = fast_path(markup)
        assert expected is not None
        assert native_html(markup) == expected

    @GENERATED
    @given(st.lists(PIECE, max_size=30).map("".join))
    def test_html_to_text_is_the_same_either_way(self, markup: str) -> None:
        """formats.html.html_to_text gives the same text with the native core and without."""
        with_native = outcome(html_format.html_to_text, markup)
        utf8_with_native = outcome(html_format.html_to_utf8, markup)
        with pytest.MonkeyPatch.context() as monkeypatch:
            python_loader(monkeypatch)
            assert outcome(html_format.html_to_text, markup) == with_native
            assert outcome(html_format.html_to_utf8, markup) == utf8_with_native

    def test_lone_surrogates_are_left_to_python(self) -> None:
        """A str with a lone surrogate has no UTF-8 form: the native function declines."""
        assert native_html("<p>a\udcff</p>") is None
        assert html_format.html_to_text("<p>a\udcff</p>") == "\na\udcff\n"
        assert html_format.html_to_utf8("<p>a\udcff</p>") == b"\na?\n"

    def test_overlong_decimal_reference_is_left_to_python(self) -> None:
        """Past int()'s 4300 digits Python cannot convert the reference; the native code must
        not answer, and the part is unscannable (never an exception out of the scan: that
        would tempfail the message on every retry)."""
        markup = "<p>&#" + "1" * 4301 + ";</p>"
        assert native_html(markup) is None
        with pytest.raises(Unscannable, match="malformed character reference"):
            html_format.html_to_text(markup)
        raw = (
            b"From: a@samen-veilig.nl\r\nTo: b@partner.example\r\nSubject: s\r\n"
            b"Content-Type: text/html\r\n\r\n" + markup.encode() + b"\r\n"
        )
        facts = compile_config(ScanConfig()).scan_message(raw)
        found = facts.by_detector("unscannable")
        assert found is not None and found.reason is not None
        assert "malformed character reference" in found.reason


# -- identity: the MIME fuzz cases ----------------------------------------------------------------


@needs_native
class TestMimeFuzzIdentity:
    def test_fuzz_cases_read_the_same(self) -> None:
        """The MIME fuzz corpus: each HTML part and each message's facts, native == Python."""
        seen_html = [0]

        @settings(GENERATED, max_examples=300)
        @given(case=mime_case())
        def run(case: MimeCase) -> None:
            with pytest.MonkeyPatch.context() as monkeypatch:
                markups: list[str] = []
                with_native = scan_recording(case.data, markups, monkeypatch)
                for markup in markups:
                    assert native_html(markup) == fast_path(markup), case.what
                seen_html[0] += len(markups)
                python_loader(monkeypatch)
                assert POLICY.content is not None
                assert POLICY.content.scanner.scan_message(case.data, ocr=False) == with_native

        run()
        assert seen_html[0] >= 20


# -- a panic stays inside -------------------------------------------------------------------------


def panicking(markup: str) -> None:
    """A native HTML reader whose native code panics (the exported test function)."""
    assert _native is not None
    _native._panic_for_test()
    return None


@needs_native
class TestPanic:
    def test_panic_is_a_runtime_error_without_content(
        self, capfd: pytest.CaptureFixture[str]
    ) -> None:
        """A panic comes out as NativeError (a RuntimeError) with a fixed message."""
        assert _native is not None
        with pytest.raises(RuntimeError) as caught:
            _native._panic_for_test()
        assert isinstance(caught.value, _native.NativeError)
        assert str(caught.value) == "native content core failed (panic)"
        err = capfd.readouterr().err
        assert "message withheld" in err
        assert "test panic" not in err  # the panic's own message (it may quote input) stays in

    def test_panic_in_a_scan_raises(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A native panic while reading an HTML part ends the scan with NativeError."""
        assert _native is not None
        monkeypatch.setattr(native, "html_to_text", panicking)
        monkeypatch.setattr(native, "html_to_utf8", panicking)
        data = (CORPUS / "html_table.eml").read_bytes()
        assert POLICY.content is not None
        with pytest.raises(_native.NativeError):
            POLICY.content.scanner.scan_message(data, ocr=False)

    def test_panic_in_the_milter_is_a_tempfail(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Through the milter, a message whose scan panics is tempfailed (4xx), not accepted."""
        monkeypatch.setattr(native, "html_to_text", panicking)
        monkeypatch.setattr(native, "html_to_utf8", panicking)
        headers, body = milter_events((CORPUS / "html_table.eml").read_bytes())
        with running_milter() as milter:
            stream = content_stream(headers, body, milter.protocol)
            result = exchange(milter.smtp, [stream], separate_reads=False, timeout=30)
            assert milter.healthy() == []
            internal_errors = milter.observer.calls["internal_error"]
        final = result.replies[-1]
        assert (final.cmd, final.text[:1]) == (b"y", "4")
        assert internal_errors == 1  # counted as an internal error, not decided
