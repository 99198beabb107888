"""Unit tests for milter.content.scan: sessions, spooling, limits, never raising."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from milter.content import ContentFacts, ScanConfig, ScanLimits, compile_config
from milter.content import scan as scan_module
from tests.unit.content.helpers import DEFAULT, message

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
CORPUS_FILES = sorted(CORPUS.glob("*.eml"))
DOSSIER = (CORPUS / "dossier_gewijzigd_extern.eml").read_bytes()


def feed(raw: bytes, chunk: int) -> ContentFacts:
    """Scan `raw` through a session as a milter would deliver it."""
    head, _, body = raw.partition(b"\r\n\r\n")
    with DEFAULT.session() as session:
        name = value = None
        for line in head.split(b"\r\n"):
            if line[:1] in (b" ", b"\t") and name is not None:
                value = f"{value}\r\n{line.decode('utf-8', 'surrogateescape')}"
                continue
            if name is not None:
                session.header(name, value or "")
            name, _, rest = line.decode("utf-8", "surrogateescape").partition(":")
            value = rest.strip()
        if name is not None:
            session.header(name, value or "")
        for offset in range(0, len(body), chunk):
            session.body(body[offset : offset + chunk])
        return session.finish()


class TestSession:
    """The incremental API gives the same facts as scan_message."""

    @pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
    def test_same_as_whole_message(self, path: Path) -> None:
        """Feeding headers and body chunks equals scanning the whole message."""
        raw = path.read_bytes()
        assert feed(raw, 65_536) == DEFAULT.scan_message(raw)

    def test_binary_file(self) -> None:
        """scan_message also takes a binary file object."""
        assert DEFAULT.scan_message(io.BytesIO(DOSSIER)) == DEFAULT.scan_message(DOSSIER)

    def test_spools_to_disk_past_one_mib(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Past 1 MiB the session writes to an (unlinked) temp file and mmaps it; close frees it."""
        session = DEFAULT.session()
        session.header("Subject", "groot")
        filler = (b"x" * 1000 + b"\r\n") * 600
        session.body(filler)
        session.body(b"BSN 101722333\r\n")
        session.body(filler)
        spool = session._spool
        assert spool.file is not None and not spool.memory
        facts = session.finish()
        assert facts.by_detector("bsn").confidence == "high"  # type: ignore[union-attr]
        assert spool.map is not None
        session.close()
        assert spool.file is None and spool.map is None

    def test_finish_twice(self) -> None:
        """finish is idempotent."""
        with DEFAULT.session() as session:
            session.body(b"hallo")
            assert session.finish() is session.finish()

    def test_no_body(self) -> None:
        """A message of headers only scans the subject."""
        with DEFAULT.session() as session:
            session.header("Subject", "BSN 101722333")
            facts = session.finish()
        assert facts.by_detector("bsn") is not None and not facts.readable


class TestLimits:
    """Hitting a limit is a truncated finding naming the limit."""

    @pytest.mark.parametrize(
        ("limits", "raw", "reason"),
        [
            (
                ScanLimits(max_total_bytes=100),
                message("a" * 200 + " BSN 101722333"),
                "max_total_bytes exceeded",
            ),
            (ScanLimits(max_message_bytes=300), message("a" * 400), "max_message_bytes exceeded"),
            (
                ScanLimits(max_attachment_bytes=50),
                message("b" * 100),
                "max_attachment_bytes exceeded",
            ),
            (
                ScanLimits(max_depth=1),
                (CORPUS / "forward_nested_twice.eml").read_bytes(),
                "max_depth exceeded",
            ),
            (
                ScanLimits(max_parts=2),
                (CORPUS / "attachment_zip_in_zip.eml").read_bytes(),
                "max_parts exceeded",
            ),
            (
                ScanLimits(max_decompressed_bytes=100),
                (CORPUS / "attachment_zip.eml").read_bytes(),
                "max_decompressed_bytes exceeded",
            ),
        ],
    )
    def test_truncated(self, limits: ScanLimits, raw: bytes, reason: str) -> None:
        """Each limit reports itself."""
        facts = compile_config(ScanConfig(limits=limits)).scan_message(raw)
        assert facts.truncated
        assert reason in (facts.by_detector("truncated").reason or "")  # type: ignore[union-attr]

    def test_text_over_attachment_limit_is_scanned_in_part(self) -> None:
        """A text part over max_attachment_bytes is scanned up to the limit."""
        facts = compile_config(ScanConfig(limits=ScanLimits(max_attachment_bytes=40))).scan_message(
            message("BSN 101722333 " + "x" * 100)
        )
        assert facts.truncated and facts.by_detector("bsn") is not None


class TestFacts:
    """readable / encrypted semantics and the absence of message text in the output."""

    def test_no_message_text_in_facts(self) -> None:
        """Nothing in the facts repeats a BSN, IBAN, date or name from the message."""
        rendered = repr(DEFAULT.scan_message(DOSSIER))
        for secret in ("Sanne", "Lindelaan", "14-07-2012", "2012-07-14"):
            assert secret not in rendered
        assert not any(c.isdigit() and len(c) > 4 for c in rendered.split("'"))

    def test_plain_message_readable_not_encrypted(self) -> None:
        """Plain text is readable and not encrypted."""
        facts = DEFAULT.scan_message(DOSSIER)
        assert facts.readable and not facts.encrypted and facts.parts == 1
        assert facts.bytes_scanned > 100


MANGLERS = ("truncate", "flip", "drop_lines", "duplicate", "insert_garbage")


def mangle(raw: bytes, how: str, rng: random.Random) -> bytes:
    """A damaged copy of `raw`."""
    if how == "truncate":
        return raw[: rng.randrange(len(raw) + 1)]
    if how == "flip":
        data = bytearray(raw)
        for _ in range(20):
            data[rng.randrange(len(data))] = rng.randrange(256)
        return bytes(data)
    if how == "drop_lines":
        lines = raw.split(b"\n")
        return b"\n".join(line for line in lines if rng.random() > 0.1)
    if how == "duplicate":
        cut = rng.randrange(len(raw))
        return raw[:cut] + raw[cut // 2 :]
    junk = bytes(rng.randrange(256) for _ in range(200))
    cut = rng.randrange(len(raw))
    return raw[:cut] + junk + raw[cut:]


class TestNeverRaises:
    """scan_message turns any input into facts."""

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.binary(max_size=3000))
    def test_random_bytes(self, raw: bytes) -> None:
        """Arbitrary bytes never raise."""
        assert isinstance(DEFAULT.scan_message(raw), ContentFacts)

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.sampled_from(CORPUS_FILES), st.sampled_from(MANGLERS), st.integers(0, 2**32))
    def test_mangled_corpus(self, path: Path, how: str, seed: int) -> None:
        """Damaged corpus messages (cut, flipped, garbled) never raise."""
        raw = mangle(path.read_bytes(), how, random.Random(seed))
        assert isinstance(DEFAULT.scan_message(raw), ContentFacts)

    @pytest.mark.parametrize(
        "raw",
        [
            b"",
            b"\r\n",
            b"Subject: " + b"x" * 3_000_000,
            b"Content-Type: multipart/mixed\r\n\r\n--",
            b'Content-Type: multipart/mixed; boundary=""\r\n\r\n--\r\n\r\n--',
            b'Content-Type: text/plain; charset="\xff\xfe"\r\n\r\nx',
            b"Content-Transfer-Encoding: base64\r\n\r\n====",
            b"Content-Type: message/rfc822\r\n\r\n" * 50,
            b"Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=",
            b"Content-Type: application/pkcs7-mime\r\n\r\n\x30\x80" * 3,
        ],
        ids=range(10),
    )
    def test_edge_cases(self, raw: bytes) -> None:
        """Empty, huge-header, boundary-less, bad-charset and nested-message inputs never raise."""
        assert isinstance(DEFAULT.scan_message(raw), ContentFacts)


def test_collector_is_internal() -> None:
    """The collector is not part of the public API."""
    assert not hasattr(scan_module, "Collector")


class TestHeadersAndNames:
    """Text outside the body that the recipient sees is scanned too."""

    def test_file_name_is_scanned_and_masked_in_where(self) -> None:
        """A BSN in an attachment's file name is found; the location does not repeat the name."""
        raw = (
            b"Subject: stukken\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
            b"Content-Type: application/octet-stream\r\n"
            b'Content-Disposition: attachment; filename="BSN 101722333.bin"\r\n\r\n'
            + bytes(range(256)) * 4
            + b"\r\n--b--\r\n"
        )
        found = DEFAULT.scan_message(raw).by_detector("bsn")
        assert found is not None and found.confidence == "high"
        assert found.where == ("attachment 1 (.bin file) (file name)",)

    def test_undecodable_subject_is_read_raw(self) -> None:
        """An encoded word that does not decode is scanned as written."""
        facts = DEFAULT.scan_message(b"Subject: =?x-none?q?BSN_101722333?=\r\n\r\nhoi\r\n")
        assert facts.by_detector("bsn") is not None
