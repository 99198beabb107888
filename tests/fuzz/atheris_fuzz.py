"""Coverage-guided fuzzing with atheris (libFuzzer) for ``make fuzz``; run as a script.

    python -m tests.fuzz.atheris_fuzz TARGET [libFuzzer options, e.g. -atheris_runs=100000]

It starts from a few valid inputs written to a fresh temporary directory, which also receives
the new corpus entries and any crash-*/timeout-*/oom-* file libFuzzer writes (the path is
printed first).

Targets, each fed raw bytes by libFuzzer:

adapter  the milter session parser: the input is split at points taken from its first byte and
         fed to ``MilterSession.feed`` piece by piece, the way ``serve()`` reads them.
         Protocol errors end a connection by design; what counts as a finding is a hang (the
         -timeout option) or memory running away (-rss_limit_mb).
policy   ``load_policy_text``: anything but a ``PolicyError`` escaping is a bug, and so is a
         refusal whose issues carry no line.
mime     ``CompiledScanner.scan_message`` of the example policy: it must never raise.
html     the native HTML reader (milter._native, issue 19) against formats/html.py's fast
         path, on the input read as UTF-8: the same text, or None exactly where the Python
         path gives up (the native core's differential fuzz; needs the extension built).
office   the native office reader (milter/native/src/office.rs) against formats/ooxml.py:
         the first byte picks the part (docx, pptx, odf text, shared strings, styles, sheet)
         or a whole document (zip), the rest is the XML or the zip; the native answer (text,
         and for a zip the bytes read per member) is the Python one, or None (then Python
         decides).
pdf      the native simple-PDF reader (milter/native/src/pdf.rs) against
         formats/pdf_simple.py's simple_pdf_text: the first byte picks the character limit
         and the clock's deadline (a clock counting its looks, in both), the rest is the PDF;
         the native answer (text, cut, per-page counts, or the refusal) is the Python one, or
         None (then Python decides).

The instrumented modules are imported inside ``atheris.instrument_imports`` so libFuzzer sees
their branches. Atheris is optional: without it this prints how to get it and exits 0.
"""

from __future__ import annotations

import email
import email.policy
import socket
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "policies" / "example.yaml"

try:
    import atheris
except ImportError:  # pragma: no cover - depends on the machine
    atheris = None


class _Transport:
    """Stands in for the connection socket: replies are counted and dropped."""

    family = socket.AF_UNIX

    def __init__(self) -> None:
        self.sent = 0

    def sendall(self, data: bytes) -> None:
        self.sent += len(data)

    def close(self) -> None:
        pass


def adapter_target() -> Callable[[bytes], None]:
    with atheris.instrument_imports():
        from milter.policy import load_policy
        from milter.server.session import MilterSession, PolicyHolder
    holder = PolicyHolder(load_policy(POLICY))

    class Quiet:
        def __getattr__(self, name: str) -> Callable[..., None]:
            return lambda *args, **kwargs: None

    def one(data: bytes) -> None:
        if not data:
            return
        step = data[0] % 17 + 1
        session = MilterSession(_Transport(), "smtp" if data[0] & 1 else "local", holder, Quiet())
        try:
            for at in range(1, len(data), step):
                session.feed(data[at : at + step])
                if session.closed:
                    break
        except Exception:
            pass  # as in serve(): a protocol error closes the connection with a tempfail

    return one


def policy_target() -> Callable[[bytes], None]:
    with atheris.instrument_imports():
        from milter.policy import PolicyError, load_policy_text

    def one(data: bytes) -> None:
        try:
            load_policy_text(data, "fuzz.yaml")
        except PolicyError as error:
            assert error.issues and all(i.line >= 1 for i in error.issues), str(error)

    return one


def mime_target() -> Callable[[bytes], None]:
    with atheris.instrument_imports():
        import milter.content.formats.archive
        import milter.content.formats.html
        import milter.content.formats.ooxml
        import milter.content.formats.pdf
        import milter.content.leaf
        import milter.content.mime
        import milter.content.scan  # noqa: F401 - imported to be instrumented
        from milter.policy import load_policy
    scanner = load_policy(POLICY).content.scanner

    def one(data: bytes) -> None:
        scanner.scan_message(data)

    return one


def html_target() -> Callable[[bytes], None]:
    with atheris.instrument_imports():
        from milter.content.formats.html import _TextExtractor, _tokenise
    from milter import _native

    def one(data: bytes) -> None:
        markup = data.decode("utf-8", "replace")
        parser = _TextExtractor()
        try:
            read = _tokenise(markup, parser)
        except ValueError:  # int() refuses a decimal reference past 4300 digits
            read = False
        expected = "".join(parser.parts).replace("\xa0", " ") if read else None
        assert _native.html_to_text(markup) == expected, "native and Python texts differ"

    return one


OFFICE_ROLES = ("docx", "pptx", "odf", "shared", "styles", "sheet", "zip")
OFFICE_CAP = 64 << 10  # small enough that the fuzzer reaches it


def office_target() -> Callable[[bytes], None]:
    with atheris.instrument_imports():
        from milter.content.formats import Unscannable, ooxml
        from milter.content.formats.archive import open_zip, read_member
    from milter import _native

    shared = ["een", "twee", ""]
    styles = frozenset({0, 1, 2})

    def one(data: bytes) -> None:
        if not data:
            return
        role, xml, limit = OFFICE_ROLES[data[0] % 7], data[1:], 10_000_000
        python: Callable[[], object]
        if role == "zip":
            zip_found = _native.office_zip_text(xml, OFFICE_CAP, limit)
            try:
                archive = open_zip(xml)
                kind = ooxml.office_kind(set(archive.namelist()))
                if kind is None:
                    assert zip_found is None, "native read a zip that is no office document"
                    return
                spent: list[int] = []

                def read(info: object) -> bytes | None:
                    content = read_member(archive, info, OFFICE_CAP)  # type: ignore[arg-type]
                    if content is not None:
                        spent.append(len(content))
                    return content

                text = ooxml.office_text(archive, kind, read, limit)
            except Unscannable:
                assert zip_found is None, "native read a document Python refuses"
                return
            assert zip_found is None or zip_found == (text, spent), "zip texts differ"
            return
        if role in ("docx", "pptx", "odf"):
            found: object = _native.office_part_text(role, xml, limit)
            python = lambda: ooxml.py_part_text(role, xml, limit)  # noqa: E731
        elif role == "shared":
            found = _native.office_shared_strings(xml, limit)
            python = lambda: ooxml.py_shared_strings(xml, limit)  # noqa: E731
        elif role == "styles":
            styles_found = _native.office_date_styles(xml)
            found = None if styles_found is None else frozenset(styles_found)
            python = lambda: ooxml.py_date_styles(xml)  # noqa: E731
        else:
            found = _native.office_sheet_text(xml, shared, limit, styles, bool(data[0] & 8))
            epoch = ooxml._EPOCH_1904 if data[0] & 8 else ooxml._EPOCH_1900
            python = lambda: ooxml.py_sheet_text(xml, shared, limit, styles, epoch)  # noqa: E731
        if found is None:
            return  # left to expat: whatever it says is the answer
        assert python() == found, "native and Python office texts differ"

    return one


PDF_INFLATE_CAP = 1 << 20  # small enough that the fuzzer's Flate bombs stay quick


def pdf_target() -> Callable[[bytes], None]:
    import itertools

    with atheris.instrument_imports():
        from milter.content.formats import pdf_simple
    from milter import _native

    def one(data: bytes) -> None:
        if not data:
            return
        max_chars = (10_000_000, 0, 7, 300)[data[0] & 3]
        deadline = (1e12, 0.0, 1.0, 5.0)[(data[0] >> 2) & 3]
        document = data[1:]
        found = _native.pdf_simple_text(document, max_chars, deadline, PDF_INFLATE_CAP, True)
        if found is None:
            return  # left to the Python reader: whatever it says is the answer
        chars: list[int] = []
        expected = pdf_simple.simple_pdf_text(
            document,
            max_chars,
            deadline,
            clock=itertools.count().__next__,
            max_inflated=PDF_INFLATE_CAP,
            page_chars=chars,
        )
        python = (None, None, chars) if expected is None else (*expected, chars)
        assert (found[0], found[1], list(found[2])) == python, "native and Python PDF texts differ"

    return one


def _silence_logs() -> None:
    import structlog

    def drop(*_args: object) -> None:
        raise structlog.DropEvent

    structlog.configure(processors=[drop])


TARGETS = {
    "adapter": adapter_target,
    "policy": policy_target,
    "mime": mime_target,
    "html": html_target,
    "office": office_target,
    "pdf": pdf_target,
}


def seeds(name: str) -> list[bytes]:
    """Valid inputs to start from: libFuzzer mutates them into the interesting broken ones."""
    if name == "adapter":
        from tests.reliability.conversations import HEALTH, script

        return [bytes([n]) + script(conv, 0x803C3)[0] for n, conv in enumerate(HEALTH * 3)]
    if name == "policy":
        return [POLICY.read_bytes()]
    if name == "html":
        realistic = ROOT / "tests" / "corpus" / "realistic"
        return [
            b'<p class=MsoNormal><span style="color:#1F497D">BSN&nbsp;101722333<o:p></o:p></span>'
            b"</p><!-- c --><img alt='a &amp; b'/><script>x</SCRIPT ><td>&#128;&notit;</td>",
            *(path.read_bytes() for path in sorted(realistic.glob("*html*.eml"))[:5]),
        ]
    if name == "office":
        return office_seeds()
    if name == "pdf":
        return pdf_seeds()
    from tests.reliability.mime_cases import CLIENT_TEXT

    return [
        b"From: a@b\r\nContent-Type: text/plain\r\n\r\n" + CLIENT_TEXT.encode(),
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nBSN 101722333\r\n--b--\r\n",
    ]


def office_seeds() -> list[bytes]:
    """The XML parts of the corpus office documents, each behind the byte that picks its role."""
    import io
    import zipfile

    from milter.content.formats import ooxml

    rules = [(0, ooxml._DOCX_PARTS), (1, ooxml._SLIDE), (5, ooxml._SHEET)]
    found: list[bytes] = []
    for path in sorted((ROOT / "tests" / "corpus").rglob("*.eml")):
        raw = path.read_bytes()
        for message_part in email.message_from_bytes(raw, policy=email.policy.default).walk():
            payload = message_part.get_payload(decode=True)
            if not isinstance(payload, bytes) or not payload.startswith(b"PK"):
                continue
            try:
                archive = zipfile.ZipFile(io.BytesIO(payload))
                names = archive.namelist()
                for name in names:
                    role = {"content.xml": 2, "xl/sharedStrings.xml": 3, "xl/styles.xml": 4}.get(
                        name, next((r for r, rule in rules if rule.fullmatch(name)), None)
                    )
                    if role is not None:
                        found.append(bytes([role]) + archive.read(name))
                found.append(bytes([6]) + payload)
            except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError):
                continue
    return found[:200]


def pdf_seeds() -> list[bytes]:
    """The corpus PDFs of at most 64 KiB and a few small made ones, behind a limits byte 0."""
    from tests.corpus.make_corpus import pdf
    from tests.support.pdf import assemble

    found = [
        pdf(["BSN 101722333", "Aan de ouders van J. de Vries"]),
        assemble(
            [
                b"<< /Type /Catalog /Pages 2 0 R >>",
                b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R"
                b" >> >> >>",
                b"<< /Length 56 >>\nstream\nBT /F1 9 Tf 14 TL (a\\(b) Tj T* [(c) -300 (d)] TJ"
                b" <4142> ' ET\nendstream",
                b"<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman >>",
            ]
        ),
    ]
    for path in sorted((ROOT / "tests" / "corpus").rglob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for part in message.walk():
            data = None if part.is_multipart() else part.get_payload(decode=True)
            if isinstance(data, bytes) and data.startswith(b"%PDF-") and len(data) <= 65536:
                found.append(data)
    return [b"\x00" + data for data in found[:60]]


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[1] not in TARGETS:
        print(f"usage: {argv[0]} {{{','.join(TARGETS)}}} [libFuzzer options]", file=sys.stderr)
        return 2
    if atheris is None:
        print("atheris is not installed (pip install 'atheris>=2.3'); skipping", file=sys.stderr)
        return 0
    _silence_logs()
    target = TARGETS[argv[1]]()
    corpus = Path(tempfile.mkdtemp(prefix=f"postwarden-atheris-{argv[1]}-"))
    for n, seed in enumerate(seeds(argv[1])):
        (corpus / f"seed{n}").write_bytes(seed)
    options = [a for a in argv[2:] if a.startswith("-")]
    if not any(a.startswith("-artifact_prefix=") for a in options):
        options.append(f"-artifact_prefix={corpus}/")  # crash files there, not in the cwd
    options.append(str(corpus))
    print(f"corpus and crash files: {corpus}", file=sys.stderr)
    atheris.Setup([argv[0], *options], target)
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
