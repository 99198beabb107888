"""A sample of the realistic corpus through real Postfix + Postwarden (policies/example.yaml).

Thirteen messages from tests/corpus/realistic, chosen to cover both sides: client data going out
(a case-tool notification, a PDF form with the BSN in boxes, a pasted screenshot of a client
file, the phone exchange's voicemail MP3 submitted with sendmail -- the incident) must land in
Postfix's hold queue; ordinary mail (Outlook, Apple Mail and Gmail mail with signature logos,
an invoice with the organisation's KvK/IBAN, a Teams invitation, a supplier ticket, a
newsletter) and client data to internal recipients must reach the sink.  Each message is
matched by its Message-ID; the expected outcome is the manifest's label, written by a reader.
"""

from __future__ import annotations

import re
import time
from typing import Any

import yaml

from tests.e2e.postfix import MilterFactory, PostfixFactory, PostfixInstance, Sink, smtp_send
from tests.e2e.stack import POLICY, ROOT, Ports, start_postfix, start_postwarden

CORPUS = ROOT / "tests" / "corpus" / "realistic"
MANIFEST = {
    e["file"]: e for e in yaml.safe_load((CORPUS / "manifest.yaml").read_text("utf-8"))["messages"]
}
SAMPLE = (
    "meeting_planning_01.eml",  # Outlook, image001.png logo, role signature
    "meeting_planning_03.eml",  # Apple Mail, inline logo inside multipart/mixed
    "meeting_planning_04.eml",  # Gmail, gmail_signature with logo and icons
    "invoice_01.eml",  # fpdf2 invoice, KvK/BTW/IBAN of the organisation
    "teams_invite_01.eml",  # .ics with a dial-in ID that passes the 11-proef
    "supplier_ticket_01.eml",  # "Uw melding 123456782"
    "newsletter_01.eml",  # case words, statistics, footer
    "casetool_plain_01.eml",  # dossier notification to an external address
    "casetool_plain_03.eml",  # the same kind of notification, internal only
    "pdf_boxes_01.eml",  # BSN one digit per box
    "screenshot_client_01.eml",  # pasted screenshot of a client file
    "voicemail_01.eml",  # phone exchange MP3 to an outside address, via sendmail
    "voicemail_02.eml",  # the same to a colleague
)
MESSAGE_ID = re.compile(r"^Message-ID:\s*(<[^>]+>)", re.IGNORECASE | re.MULTILINE)


def _message_id(data: bytes) -> str:
    found = MESSAGE_ID.search(data.decode("utf-8", errors="replace"))
    assert found, "every corpus message has a Message-ID"
    return found.group(1)


def _submit(pf: PostfixInstance, entry: dict[str, Any], data: bytes) -> None:
    if entry["local"]:
        proc = pf.sendmail(entry["from"], entry["to"], data)
        assert proc.returncode == 0, proc.stderr
    else:
        result = smtp_send(pf.smtp_port, entry["from"], entry["to"], data)
        assert result.delivered, f"{entry['file']}: Postfix refused it"


def _held_ids(pf: PostfixInstance) -> set[str]:
    ids = set()
    for item in pf.postqueue_json():
        if item["queue_name"] == "hold":
            found = MESSAGE_ID.search(pf.postcat(item["queue_id"]))
            if found:
                ids.add(found.group(1))
    return ids


class TestRealisticSample:
    def test_held_and_delivered_as_labelled(
        self, postfix_factory: PostfixFactory, milter_factory: MilterFactory, sink: Sink
    ) -> None:
        """Client data to outside lands in the hold queue; everything else reaches the sink."""
        ports = Ports.free()
        start_postwarden(milter_factory, ports, POLICY)
        pf = start_postfix(postfix_factory, ports)
        want: dict[str, str] = {}
        for name in SAMPLE:
            entry = MANIFEST[name]
            data = (CORPUS / name).read_bytes()
            want[_message_id(data)] = entry["decision"]
            _submit(pf, entry, data)
        assert set(want.values()) == {"accept", "quarantine"}

        # Wait until every message has an outcome (held or delivered), or give up after 60 s
        # and compare what there is: a missing message fails below by name.
        deadline = time.monotonic() + 60
        while True:
            delivered = {_message_id(m.data) for m in sink.messages}
            held = _held_ids(pf)
            if len(delivered | held) >= len(want) or time.monotonic() > deadline:
                break
            time.sleep(0.2)

        got = {
            mid: "quarantine" if mid in held else "accept" if mid in delivered else "missing"
            for mid in want
        }
        names = dict(zip(want, SAMPLE, strict=True))
        wrong = [f"{names[m]}: want {want[m]}, got {got[m]}" for m in want if got[m] != want[m]]
        assert not wrong, "\n".join(wrong)
