"""The officer's policy at work in a real Postfix: redirect + sender notice, monitor mode,
accepted risks that expire, and hot reload (file watch) that refuses a broken file."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

from tests.e2e.postfix import (
    MilterFactory,
    MilterProcess,
    PostfixFactory,
    PostfixInstance,
    Sink,
    smtp_send,
)
from tests.e2e.stack import POLICY, ROOT, Ports, start_postfix, start_postwarden
from tests.e2e.test_retired_domains import SENDER, message

CORPUS = ROOT / "tests" / "corpus"


def start(
    postfix_factory: PostfixFactory,
    milter_factory: MilterFactory,
    tmp_path: Path,
    edit: dict[str, str],
) -> tuple[PostfixInstance, MilterProcess, Path, Path]:
    """Postfix first (the notice relay is its SMTP port), then the milter on an edited policy."""
    ports = Ports.free()
    pf = start_postfix(postfix_factory, ports)
    text = POLICY.read_text().replace("relay: 127.0.0.1:25", f"relay: 127.0.0.1:{pf.smtp_port}")
    for old, new in edit.items():
        assert old in text, old
        text = text.replace(old, new)
    policy, audit = tmp_path / "policy.yaml", tmp_path / "audit.jsonl"
    policy.write_text(text)
    milter = start_postwarden(milter_factory, ports, policy, "--audit-log", str(audit))
    return pf, milter, policy, audit


def records(audit: Path, kind: str) -> list[dict[str, object]]:
    lines = audit.read_text().splitlines()
    return [r for r in map(json.loads, lines) if r["kind"] == kind]


REDIRECT = {
    "    action: refuse\n    # Also send": "    action: redirect\n"
    "    redirect_to: oud-adres@samen-veilig.nl\n    # Also send",
}


class TestRedirectAndNotice:
    def test_redirect_delivers_to_catchall_and_sender_gets_one_notice(
        self,
        postfix_factory: PostfixFactory,
        milter_factory: MilterFactory,
        sink: Sink,
        tmp_path: Path,
    ) -> None:
        """Three mails to a retired address: three redirected, exactly one notice."""
        pf, _, _, _ = start(postfix_factory, milter_factory, tmp_path, REDIRECT)
        for n in range(3):
            result = smtp_send(pf.smtp_port, SENDER, ["b@bjzutrecht.nl"], message(f"redir-{n}"))
            assert result.rcpt("b@bjzutrecht.nl").code == 250 and result.delivered
        redirected = [
            sink.wait_for(lambda m, n=n: m.header("Subject") == f"redir-{n}") for n in range(3)
        ]
        for got in redirected:
            assert got.rcpt_tos == ["oud-adres@samen-veilig.nl"]
            assert got.header("X-Postwarden-Original-Recipient") == (
                "<b@bjzutrecht.nl> (retired_domain)"
            )
        notice = sink.wait_for(lambda m: m.header("X-Postwarden-Notice") is not None)
        assert notice.mail_from in ("", "<>") and notice.rcpt_tos == [SENDER]
        assert notice.header("Auto-Submitted") == "auto-replied"
        assert "b@bjzutrecht.nl" in notice.message.get_content()
        time.sleep(2)  # a second notice, if any, would have arrived by now
        assert len([m for m in sink.messages if m.header("X-Postwarden-Notice")]) == 1
        pf.wait_queue_empty()


class TestMonitorAndExceptions:
    def test_monitor_rule_delivers_and_records_would_quarantine(
        self,
        postfix_factory: PostfixFactory,
        milter_factory: MilterFactory,
        sink: Sink,
        tmp_path: Path,
    ) -> None:
        """The IBAN rule in monitor mode: delivered, flagged and audited as 'would quarantine'."""
        pf, _, _, audit = start(postfix_factory, milter_factory, tmp_path, {})
        data = (CORPUS / "iban_nl_spaced.eml").read_bytes()
        assert smtp_send(pf.smtp_port, SENDER, ["boekhouding@partner.example"], data).delivered
        got = sink.wait_for(lambda m: m.rcpt_tos == ["boekhouding@partner.example"])
        assert "iban-external (monitor: would quarantine)" in (
            got.header("X-Postwarden-Flags") or ""
        )
        hits = [h for r in records(audit, "message") for h in r["content_hits"]]  # type: ignore[attr-defined]
        assert {"rule": "iban-external", "action": "quarantine", "mode": "monitor"}.items() <= hits[
            0
        ].items()

    def test_expired_exception_no_longer_applies(
        self,
        postfix_factory: PostfixFactory,
        milter_factory: MilterFactory,
        sink: Sink,
        tmp_path: Path,
    ) -> None:
        """An accepted risk lets the dossier through until it expires; after, it is held."""
        yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
        tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
        data = (CORPUS / "dossier_gewijzigd_extern.eml").read_bytes()
        for expires, held in ((tomorrow, False), (yesterday, True)):
            workdir = tmp_path / expires
            workdir.mkdir()
            pf, _, _, audit = start(
                postfix_factory,
                milter_factory,
                workdir,
                {
                    "spoeddienst@samen-veilig.nl": "crisistool@samen-veilig.nl",
                    "expires: 2027-03-31": f"expires: {expires}",
                },
            )
            sink.clear()
            assert smtp_send(
                pf.smtp_port, "crisistool@samen-veilig.nl", ["jeugdarts@ziekenhuis.example"], data
            ).delivered
            record = records(audit, "message")[0]
            if held:
                assert record["action"] == "quarantine" and record["exceptions_used"] == []
                pf.wait_queue(lambda q: any(e["queue_name"] == "hold" for e in q))
            else:
                assert record["action"] == "accept"
                assert record["exceptions_used"][0]["ticket"] == "ISV-2026-014"  # type: ignore[index]
                sink.wait_for(lambda m: m.rcpt_tos == ["jeugdarts@ziekenhuis.example"])


class TestHotReload:
    def test_file_watch_reloads_and_refuses_a_broken_policy(
        self,
        postfix_factory: PostfixFactory,
        milter_factory: MilterFactory,
        sink: Sink,
        tmp_path: Path,
    ) -> None:
        """A saved change applies within seconds; a broken save is refused, the old one runs."""
        pf, milter, policy, audit = start(postfix_factory, milter_factory, tmp_path, {})

        def code(rcpt: str) -> int:
            return smtp_send(pf.smtp_port, SENDER, [rcpt], message("reload")).rcpt(rcpt).code

        assert code("c@bjzflevo.nl") == 550
        text = policy.read_text()
        start_flevo = text.index("  - domain: bjzflevo.nl")
        end_flevo = text.index("\n\n", start_flevo)
        policy.write_text(text[:start_flevo] + text[end_flevo + 2 :])
        deadline = time.monotonic() + 15
        while code("c@bjzflevo.nl") != 250 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert code("c@bjzflevo.nl") == 250

        policy.write_text(policy.read_text().replace("retired_domains:", "retired_domain:"))
        reloads = lambda: records(audit, "policy_reload")  # noqa: E731
        deadline = time.monotonic() + 15
        while not any(r["result"] == "refused" for r in reloads()) and time.monotonic() < deadline:
            time.sleep(0.5)
        refused = [r for r in reloads() if r["result"] == "refused"]
        assert refused and "unknown key 'retired_domain'" in str(refused[0]["issues"])
        assert f"{policy}:" in milter.log_text() and "policy_reload_refused" in milter.log_text()
        assert code("b@bjzutrecht.nl") == 550  # the last good policy still runs
        assert code("c@bjzflevo.nl") == 250
