"""OCR in the mail path: real Postfix + Postwarden with policies/example.yaml.

A screenshot of a client file to an external address lands in the hold queue, and the reason
Postfix keeps in the header says the BSN was read by OCR; a photo without text to the same
address is delivered (before OCR, every image to extern was held as unscannable).
"""

from __future__ import annotations

from tests.e2e.postfix import MilterFactory, PostfixFactory, Sink, smtp_send
from tests.e2e.stack import POLICY, Ports, start_postfix, start_postwarden
from tests.unit.content.ocr_images import encode, mail, photo, screenshot

EXTERNAL = "jeugdarts@ziekenhuis.example"


class TestOcr:
    def test_screenshot_held_with_ocr_reason_and_photo_delivered(
        self, postfix_factory: PostfixFactory, milter_factory: MilterFactory, sink: Sink
    ) -> None:
        """Screenshot of a client file to extern: held, reason 'read by OCR'; a photo: sent."""
        ports = Ports.free()
        start_postwarden(milter_factory, ports, POLICY)
        pf = start_postfix(postfix_factory, ports)
        shot = mail((encode(screenshot(), "PNG"), "image/png", "scherm.png"), to=EXTERNAL)
        held = smtp_send(pf.smtp_port, "medewerker@samen-veilig.nl", [EXTERNAL], shot)
        assert held.delivered  # accepted by Postfix, then held
        queue = pf.wait_queue(lambda q: any(e["queue_name"] == "hold" for e in q))
        qid = next(e["queue_id"] for e in queue if e["queue_name"] == "hold")
        headers = pf.postcat(qid)
        assert "X-Postwarden-Quarantine: client-data-external: client data in plain text" in headers
        assert "bsn x1 (high, read by OCR)" in headers

        picture = mail((encode(photo(), "JPEG"), "image/jpeg", "uitje.jpg"), to=EXTERNAL)
        sent = smtp_send(pf.smtp_port, "medewerker@samen-veilig.nl", [EXTERNAL], picture)
        assert sent.delivered
        (got,) = sink.wait_count(1)
        assert got.rcpt_tos == [EXTERNAL]
        # Delivered mail leaves the queue just after the sink has it: wait for that.
        pf.wait_queue(lambda q: [e["queue_name"] for e in q] == ["hold"])
