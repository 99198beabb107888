"""``postwarden backtest`` on a copy of a real Postfix hold queue.

Real Postfix + Postwarden (policies/example.yaml) hold three messages of the realistic corpus
(two case-tool notifications by SMTP, the phone exchange's voicemail by sendmail with a
retired address among its recipients, which the milter removes); an ordinary invoice is
delivered.  A copy of the hold directory is then backtested: the queue files are read in
Postfix's record format by the backtest itself, so the envelope is the real one (the removed
recipient is gone), and the milter's own header, which cleanup links in with a pointer record,
is part of the message.  The reader is checked against ``postcat`` on every file.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from milter.backtest.sources import Locator, load
from milter.cli.main import main
from tests.e2e.postfix import MilterFactory, PostfixFactory, Sink, smtp_send
from tests.e2e.stack import POLICY, ROOT, Ports, start_postfix, start_postwarden

pytestmark = pytest.mark.e2e

CORPUS = ROOT / "tests" / "corpus" / "realistic"
MANIFEST = {
    e["file"]: e for e in yaml.safe_load((CORPUS / "manifest.yaml").read_text("utf-8"))["messages"]
}
HELD = ("casetool_plain_01.eml", "casetool_html_01.eml", "voicemail_01.eml")
RETIRED = "oud.adres@bjzutrecht.nl"


MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>]+>)", re.IGNORECASE | re.MULTILINE)


def message_id(data: bytes) -> bytes | None:
    found = MESSAGE_ID.search(data)
    return found.group(1) if found else None


class TestBacktestHoldQueue:
    def test_hold_queue_copy(
        self,
        postfix_factory: PostfixFactory,
        milter_factory: MilterFactory,
        sink: Sink,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """Every held message is read with its real envelope and held again by the backtest."""
        ports = Ports.free()
        start_postwarden(milter_factory, ports, POLICY)
        pf = start_postfix(postfix_factory, ports)
        for name in (*HELD, "invoice_01.eml"):
            entry, data = MANIFEST[name], (CORPUS / name).read_bytes()
            if entry["local"]:
                proc = pf.sendmail(entry["from"], [*entry["to"], RETIRED], data)
                assert proc.returncode == 0, proc.stderr
            else:
                assert smtp_send(pf.smtp_port, entry["from"], entry["to"], data).delivered
        pf.wait_queue(lambda q: sum(e["queue_name"] == "hold" for e in q) == len(HELD), timeout=60)
        invoice_id = message_id((CORPUS / "invoice_01.eml").read_bytes())
        sink.wait_for(lambda m: message_id(m.data) == invoice_id, timeout=60)

        copy = tmp_path / "hold"
        shutil.copytree(pf.queue_dir / "hold", copy)
        files = sorted(p for p in copy.iterdir() if p.is_file())
        assert len(files) == len(HELD)

        # The record reader agrees with postcat on envelope and content.
        for path in files:
            loaded = load(Locator("queue", str(path), str(path)), 2**28)
            shown = subprocess.run(
                ["/usr/sbin/postcat", "-c", str(pf.config_dir), "-e", "-h", "-b", str(path)],
                capture_output=True,
                check=True,
                env={**os.environ, "MAIL_CONFIG": str(pf.config_dir)},
            ).stdout.decode("utf-8", "replace")
            assert f"sender: {loaded.sender}" in shown
            for rcpt in loaded.recipients or ():
                assert f"recipient: {rcpt}" in shown
            assert RETIRED not in (loaded.recipients or ())
            text = loaded.raw.decode("utf-8", "replace")
            assert "X-Postwarden-Quarantine: " in text
            for line in text.splitlines():
                assert line in shown, line

        started = time.monotonic()
        code = main(["backtest", "--policy", str(POLICY), "--jobs", "2", "--json", str(copy)])
        assert code == 0, capsys.readouterr().err
        doc = json.loads(capsys.readouterr().out)
        print(f"backtest of {len(HELD)} queue files: {time.monotonic() - started:.1f} s")
        assert doc["sources"] == [{"path": str(copy), "kind": "queue", "messages": len(HELD)}]
        assert doc["unreadable"] == 0
        assert doc["decisions"]["quarantine"] == len(HELD)
        senders = {r["sender"] for r in doc["top_senders"]}
        assert senders == {MANIFEST[n]["from"] for n in HELD}
        assert "retired_domain" not in {r["rule"] for r in doc["rules"]}
