"""OCR where it matters: only for messages a content rule could hold for an external recipient,
through `postwarden check` and the milter alike, and `content.ocr` in the policy file."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from milter.cli.check import run_check
from milter.core.address import parse_address
from milter.core.engine import ocr_may_matter
from milter.policy import PolicyError, load_policy, load_policy_text
from milter.server.listeners import ListenSpec, MilterServer
from milter.server.session import PolicyHolder
from tests.support.milterclient import MilterClient
from tests.unit.content.ocr_images import encode, mail, screenshot
from tests.unit.server.test_session import Recorder

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE_TEXT = (ROOT / "policies" / "example.yaml").read_text(encoding="utf-8")
EXAMPLE = load_policy(str(ROOT / "policies" / "example.yaml"))
EXTERNAL = "jeugdarts@ziekenhuis.example"
INTERNAL = "collega@samen-veilig.nl"
SHOT = mail((encode(screenshot(), "PNG"), "image/png", "scan.png"))
RULES = "\n  rules:\n"


def with_content(extra: str) -> str:
    """The example policy with `extra` lines added at the top of its content section."""
    assert EXAMPLE_TEXT.count(RULES) == 1
    return EXAMPLE_TEXT.replace(RULES, "\n" + extra + RULES[1:])


# An internal rule as well: internal mail is then scanned, but still not read by OCR.
INTERNAL_RULE = (
    "\n  rules:\n    - {id: bsn-internal, when: {detector: bsn}, recipients: internal,"
    " action: flag}\n"
)
WITH_INTERNAL_RULE = load_policy_text(EXAMPLE_TEXT.replace(RULES, INTERNAL_RULE))


def check_json(policy_text_or_policy: object, *to: str) -> dict[str, object]:
    policy = (
        load_policy_text(policy_text_or_policy)
        if isinstance(policy_text_or_policy, str)
        else policy_text_or_policy
    )
    out = run_check(policy, "medewerker@samen-veilig.nl", to, False, SHOT, True, offline=True)  # type: ignore[arg-type]
    doc: dict[str, object] = json.loads(out)
    return doc


class TestScope:
    def test_external_recipient_is_read(self) -> None:
        """To an external address under the example policy: OCR is wanted."""
        assert ocr_may_matter([parse_address(EXTERNAL)], EXAMPLE)

    def test_internal_only_is_not_read(self) -> None:
        """Only internal recipients: no OCR, even with a rule for internal mail."""
        assert not ocr_may_matter([parse_address(INTERNAL)], WITH_INTERNAL_RULE)

    def test_mixed_recipients_are_read(self) -> None:
        """One external recipient among internal ones is enough."""
        recipients = [parse_address(INTERNAL), parse_address(EXTERNAL)]
        assert ocr_may_matter(recipients, EXAMPLE)


class TestCheck:
    def test_check_says_read_by_ocr_and_holds(self) -> None:
        """`check` to extern: quarantined, the reason says 'read by OCR', ocr_read names it."""
        doc = check_json(EXAMPLE, EXTERNAL)
        assert doc["action"] == "quarantine" and doc["rule"] == "client-data-external"
        assert "read by OCR" in str(doc["reason"])
        assert doc["ocr_read"] == ["attachment 2 (.png file)"]
        wheres = [w for f in doc["findings"] for w in f["where"]]  # type: ignore[attr-defined]
        assert "attachment 2 (.png file) (read by OCR)" in wheres

    def test_check_text_output_says_read_by_ocr(self) -> None:
        """The readable `check` output has a line naming the part read by OCR."""
        out = run_check(EXAMPLE, "m@samen-veilig.nl", [EXTERNAL], False, SHOT, False, True)
        assert "ocr:     read by OCR: attachment 2 (.png file)" in out
        assert "(read by OCR)" in out

    def test_internal_only_is_not_read_by_check(self) -> None:
        """`check` to an internal address, with an internal rule: image stays unscannable."""
        doc = check_json(WITH_INTERNAL_RULE, INTERNAL)
        assert doc["ocr_read"] == []
        detectors = {f["detector"]: f for f in doc["findings"]}  # type: ignore[attr-defined]
        assert "bsn" not in detectors and detectors["unscannable"]["reason"] == "image"

    def test_ocr_off_holds_as_unscannable(self) -> None:
        """`content.ocr.enabled: false`: the screenshot is held as unscannable, not read."""
        doc = check_json(with_content("  ocr: {enabled: false}\n"), EXTERNAL)
        assert doc["action"] == "quarantine" and doc["rule"] == "unscannable-external"
        assert doc["ocr_read"] == []


class TestMilter:
    def _run(self, *to: str) -> Recorder:
        recorder = Recorder()
        server = MilterServer(
            [(ListenSpec("inet", "127.0.0.1", 0), "smtp")],
            PolicyHolder(WITH_INTERNAL_RULE),
            recorder,
        )
        server.bind()
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        head, _, body = SHOT.partition(b"\n\n")
        try:
            with MilterClient(server.sockets[0][0].getsockname()) as c:
                c.mail("medewerker@samen-veilig.nl")
                for rcpt in to:
                    c.rcpt(rcpt)
                for line in head.decode().replace("\n ", " ").splitlines():
                    name, _, value = line.partition(": ")
                    c.header(name, value)
                c.body(body.replace(b"\n", b"\r\n"))
                c.eom()
        finally:
            server.stop()
            thread.join(5)
        return recorder

    def test_milter_reads_screenshot_to_extern(self) -> None:
        """Through the milter: a screenshot to extern is held, and the reason says OCR."""
        decision, _ = self._run(EXTERNAL).decisions[0]
        assert decision.action == "quarantine" and "read by OCR" in (decision.reason or "")

    def test_milter_never_reads_internal_mail(self) -> None:
        """Through the milter: internal-only mail is scanned (internal rule) but not OCR'd."""
        decision, _ = self._run(INTERNAL).decisions[0]
        found = {f.detector: f for f in decision.findings}
        assert "bsn" not in found and found["unscannable"].reason == "image"


class TestPolicy:
    def test_ocr_section_is_loaded(self) -> None:
        """`content.ocr` values reach the scanner's settings."""
        policy = load_policy_text(
            with_content(
                "  ocr: {max_images: 3, max_pages: 4, time_budget_ms: 5000, inline_images: no}\n"
            )
        )
        settings = policy.content.scan.ocr  # type: ignore[union-attr]
        assert (settings.enabled, settings.max_images, settings.max_pages) == (True, 3, 4)
        assert settings.time_budget_ms == 5000 and settings.inline_images is False

    @pytest.mark.parametrize(
        ("line", "message"),
        [
            ("  ocr: {time_budget_ms: 25000}\n", "out of range (100 to 20000)"),
            ("  ocr: {max_pages: 0}\n", "out of range"),
            ("  ocr: {enable: false}\n", "unknown key 'enable'"),
            ("  ocr: {enabled: maybe}\n", "enabled"),
        ],
    )
    def test_bad_ocr_settings_are_refused_with_position(self, line: str, message: str) -> None:
        """Out-of-range or unknown OCR settings refuse the policy, naming line and column."""
        text = with_content(line)
        with pytest.raises(PolicyError) as caught:
            load_policy_text(text, "p.yaml")
        row = text.splitlines().index(line.rstrip("\n")) + 1
        assert f"p.yaml:{row}:" in str(caught.value) and message in str(caught.value)
