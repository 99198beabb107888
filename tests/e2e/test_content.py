"""Content inspection in the mail path: real Postfix + Postwarden with policies/example.yaml.

A dossier extract in plain text to an external recipient lands in Postfix's hold queue with
the reason in a header; the same mail S/MIME-encrypted is delivered, and so is the plain one
to an internal recipient. A rule with route_secure sends mail through the transport that
deploy/postfix's milter_header_checks names.
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e.postfix import (
    MilterFactory,
    PostfixFactory,
    PostfixInstance,
    Sink,
    smtp_send,
)
from tests.e2e.stack import POLICY, ROOT, Ports, start_postfix, start_postwarden

CORPUS = ROOT / "tests" / "corpus"
TOOL = "crisistool@samen-veilig.nl"


def corpus(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def start(
    postfix_factory: PostfixFactory, milter_factory: MilterFactory, policy: Path, **overrides: str
) -> PostfixInstance:
    ports = Ports.free()
    start_postwarden(milter_factory, ports, policy)
    return start_postfix(postfix_factory, ports, **overrides)


class TestClientData:
    def test_dossier_to_external_is_held_encrypted_and_internal_delivered(
        self, postfix_factory: PostfixFactory, milter_factory: MilterFactory, sink: Sink
    ) -> None:
        """Plain dossier to extern: hold queue with reason; S/MIME and internal: delivered."""
        pf = start(postfix_factory, milter_factory, POLICY)
        held = smtp_send(
            pf.smtp_port,
            TOOL,
            ["jeugdarts@ziekenhuis.example"],
            corpus("dossier_gewijzigd_extern.eml"),
        )
        assert held.delivered  # accepted by Postfix, then held
        queue = pf.wait_queue(lambda q: any(e["queue_name"] == "hold" for e in q))
        qid = next(e["queue_id"] for e in queue if e["queue_name"] == "hold")
        headers = pf.postcat(qid)
        assert "X-Postwarden-Quarantine: client-data-external: client data in plain text" in headers
        assert "bsn" in headers

        encrypted = smtp_send(
            pf.smtp_port,
            TOOL,
            ["jeugdarts@ziekenhuis.example"],
            corpus("smime_enveloped.eml"),
        )
        internal = smtp_send(
            pf.smtp_port,
            TOOL,
            ["teamleider@samen-veilig.nl"],
            corpus("dossier_gewijzigd_intern.eml"),
        )
        assert encrypted.delivered and internal.delivered
        got = sink.wait_count(2)
        assert sorted(r for m in got for r in m.rcpt_tos) == [
            "jeugdarts@ziekenhuis.example",
            "teamleider@samen-veilig.nl",
        ]
        # The sink has the data before Postfix has removed the delivered queue files: wait.
        pf.wait_queue(lambda q: [e["queue_name"] for e in q] == ["hold"])

    def test_route_secure_goes_through_the_secure_transport(
        self,
        postfix_factory: PostfixFactory,
        milter_factory: MilterFactory,
        sink: Sink,
        tmp_path: Path,
    ) -> None:
        """route_secure: the header makes Postfix FILTER the mail to the secure next hop."""
        secure = Sink()
        secure.start()
        try:
            policy = tmp_path / "policy.yaml"
            text = POLICY.read_text()
            old = "      action: quarantine\n    - id: iban-external"
            assert old in text
            policy.write_text(
                text.replace(old, "      action: route_secure\n    - id: iban-external")
            )
            checks = tmp_path / "postwarden_header_checks"
            shipped = (ROOT / "deploy" / "postfix" / "postwarden_header_checks").read_text()
            assert "FILTER smtp_enc:" in shipped
            # The shipped rule, pointed at a test next hop instead of the TLS transport.
            checks.write_text(
                shipped.replace("FILTER smtp_enc:", f"FILTER smtp:[127.0.0.1]:{secure.port}")
            )
            pf = start(
                postfix_factory, milter_factory, policy, milter_header_checks=f"regexp:{checks}"
            )
            result = smtp_send(
                pf.smtp_port,
                TOOL,
                ["jeugdarts@ziekenhuis.example"],
                corpus("dossier_gewijzigd_extern.eml"),
            )
            assert result.delivered
            got = secure.wait_for(lambda m: m.rcpt_tos == ["jeugdarts@ziekenhuis.example"])
            assert got.header("X-Postwarden-Route") == "secure"
            assert sink.messages == []
        finally:
            secure.stop()
