"""MIME fuzzing (issue 8, point 4): malformed messages never break the content scanner.

Generated messages carry planted client data inside encodings, charsets, multiparts, forwards,
zip/docx/PDF attachments and HTML, and are often damaged (broken boundaries, bad base64 and
quoted-printable, invalid charsets, huge headers, flipped bytes, truncation) or pushed past the
scanner's limits (absurd nesting, thousands of parts, zip bombs, zips in zips). Every one gets
a ``ContentFacts`` from ``CompiledScanner.scan_message`` without an exception and within a
loose time ceiling; one past a limit is reported truncated or unscannable; one whose client data
is intact is found or reported unscannable — never silently clean. A share of them also goes
through the in-process milter: each gets a verdict (never an internal-error tempfail), and one
carrying intact client data or past a limit is not simply accepted. ``make fuzz`` runs 10 000+
with time and memory measured per message.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings

from milter.policy import load_policy
from tests.reliability.conversations import content_stream
from tests.reliability.inprocess import POLICY, InProcessMilter, LeakWatch, running_milter
from tests.reliability.mime_cases import MimeCase, milter_events, mime_case, scan_problems
from tests.reliability.wire import exchange

SCAN_CASES = 300
MILTER_CASES = 80
CEILING_S = 5.0
CI = settings(
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def scanner() -> object:
    """The compiled scanner of the example policy (what the milter uses)."""
    return load_policy(POLICY).content.scanner


@pytest.fixture
def milter() -> Iterator[InProcessMilter]:
    with LeakWatch().installed() as watch, running_milter() as running:
        yield running
    assert watch.leaks == []


def verdict_problems(milter: InProcessMilter, case: MimeCase) -> list[str]:
    """Send ``case`` through the milter; what is wrong with its verdict."""
    headers, body = milter_events(case.data)
    stream = content_stream(headers, body, milter.protocol)
    result = exchange(milter.smtp, [stream], separate_reads=False, timeout=CEILING_S + 5)
    if result.hung or not result.replies:
        return [f"{case.what}: no verdict"]
    final = result.replies[-1]
    actions = [r.cmd for r in result.replies[3:-1]]
    if final.cmd == b"y" and final.text.startswith("4"):
        return [f"{case.what}: tempfail {final.text[:60]!r} (an internal error?)"]
    if final.cmd not in (b"a", b"y"):
        return [f"{case.what}: final reply {final.cmd!r}"]
    if (case.intact or case.over_limit) and final.cmd == b"a" and b"q" not in actions:
        return [f"{case.what}: accepted as clean"]
    return []


class TestScanner:
    def test_every_message_gets_facts_in_time(self, scanner: object) -> None:
        """No exception escapes, limits are reported, intact client data never looks clean."""
        slowest = [0.0]

        @settings(CI, max_examples=SCAN_CASES)
        @given(case=mime_case())
        def run(case: MimeCase) -> None:
            problems, seconds = scan_problems(scanner, case, CEILING_S)
            slowest[0] = max(slowest[0], seconds)
            assert problems == []

        started = time.monotonic()
        run()
        print(
            f"{SCAN_CASES} messages in {time.monotonic() - started:.1f}s, slowest {slowest[0]:.2f}s"
        )


BAD_ENCODED_WORDS = [
    "=?utf-8?B?[2xpw6tudA==?=",
    "=?utf-8?B?Q2xpw6tud@==?=",
    "=?utf-8?B?" + "Q" * 4001 + "?=",
]


class TestEncodedWords:
    @pytest.mark.parametrize("word", BAD_ENCODED_WORDS, ids=["bracket", "at-sign", "length"])
    @pytest.mark.parametrize("where", ["subject", "file name"])
    def test_broken_encoded_word_gets_facts(self, scanner: object, where: str, word: str) -> None:
        """A base64 encoded word that does not decode is scanned as it stands, not a crash."""
        header = (
            f"Subject: {word}" if where == "subject"
            else f'Content-Type: application/octet-stream; name="{word}"'
        )  # fmt: skip
        data = f"From: a@b\r\nMIME-Version: 1.0\r\n{header}\r\n\r\nBSN 101722333\r\n"
        case = MimeCase(data.encode(), f"{where} {word[:20]}", intact=True, over_limit=False)
        assert scan_problems(scanner, case, CEILING_S)[0] == []

    def test_broken_encoded_word_is_decided_not_tempfailed(self, milter: InProcessMilter) -> None:
        """Through the milter the same message gets a verdict, not a tempfail on every retry."""
        data = f"Subject: {BAD_ENCODED_WORDS[0]}\r\n\r\nBSN 101722333\r\n".encode()
        case = MimeCase(data, "bad encoded word", intact=True, over_limit=False)
        assert verdict_problems(milter, case) == []


MIXED_CONTINUATIONS = (
    b"From: a@b\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: multipart/mixed; boundary*=b; boundary*0=b\r\n\r\n"
    b"--b\r\nContent-Type: text/plain\r\n\r\nBSN 101722333\r\n--b--\r\n"
)


class TestRfc2231Parameters:
    def test_boundary_given_whole_and_in_pieces_gets_facts(self, scanner: object) -> None:
        """A boundary both plain and continued (found by atheris) is scanned, not a crash."""
        case = MimeCase(MIXED_CONTINUATIONS, "boundary*= and boundary*0=", True, False)
        assert scan_problems(scanner, case, CEILING_S)[0] == []

    def test_boundary_given_whole_and_in_pieces_is_decided(self, milter: InProcessMilter) -> None:
        """Through the milter the same message gets a verdict, not a tempfail on every retry."""
        case = MimeCase(MIXED_CONTINUATIONS, "boundary*= and boundary*0=", True, False)
        assert verdict_problems(milter, case) == []


class TestThroughTheMilter:
    def test_every_message_gets_a_verdict(self, milter: InProcessMilter) -> None:
        """Each message sent through the adapter is decided; none is an internal error."""

        @settings(CI, max_examples=MILTER_CASES)
        @given(case=mime_case())
        def run(case: MimeCase) -> None:
            assert verdict_problems(milter, case) == []

        run()
        assert milter.healthy() == []
