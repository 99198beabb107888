"""The portal's pages and its defences, through Starlette's TestClient against a real quarantine
service: a QuarantineService thread on a unix socket (the test runs as root, named as the
service's delegate, as postwarden-portal is in production), whose officer desk is the real one
over a hold queue kept in memory (what postsuper would do; tests/e2e/test_portal_browser.py
runs the same against two real Postfix instances). The attacks: a forged user header from an
untrusted peer, a replayed, altered or foreign token, a token for one message used on another,
missing or wrong CSRF tokens, a sender on officer pages, an officer without the role.
"""

from __future__ import annotations

import http.server
import json
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from milter.officer.desk import OfficerDesk
from milter.officer.service import DeskConfig, QuarantineService, bind_socket
from milter.policy import load_policy
from milter.portal import tokens
from milter.portal.app import CSP, create_app
from milter.portal.config import config_from
from milter.portal.gateways import UnixGateway
from tests.unit.officer.test_desk import MemoryQueue, held

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "policies" / "example.yaml"
SENDER = "j.jansen@samen-veilig.nl"
OTHER = "p.pieters@samen-veilig.nl"
QA, QB, QC = "4AAAAAAAAA1", "4BBBBBBBBB2", "4CCCCCCCCC3"
QUARANTINE = """quarantine:
  release_requires: 2
  officers:
    - user: fg
      may: [release, delete, content]
    - user: jb
      may: [release]
    - user: reader
"""
PROXY = ("127.0.0.1", 40000)
OUTSIDER = ("203.0.113.9", 40000)


class MemoryQueueWithText(MemoryQueue):
    def raw(self, queue_id: str) -> bytes:
        self.get(queue_id)
        return b"Subject: placement\nTo: arts@ziekenhuis.example\n\nDossier tekst 123456782\n"


@dataclass(frozen=True)
class MemoryDesk(DeskConfig):
    queue: Any = None

    def desk(self) -> OfficerDesk:
        return OfficerDesk(self.queue, self.officer_log, load_policy(self.policy))


@dataclass
class World:
    client: TestClient
    queue: MemoryQueueWithText
    key: bytes
    officer_log: Path

    def as_officer(self, user: str | None, peer: tuple[str, int] = PROXY) -> TestClient:
        headers = {"X-Remote-User": user} if user else {}
        return TestClient(self.client.app, client=peer, headers=headers)

    def link(self, queue_id: str, sender: str = SENDER, gateway: str = "gw1") -> str:
        return tokens.sign(self.key, gateway, queue_id, sender, int(time.time()) + 3600)

    def trail(self) -> list[dict[str, Any]]:
        if not self.officer_log.exists():
            return []
        lines = self.officer_log.read_text().splitlines()
        return [r for r in map(json.loads, lines) if r["kind"] != "checkpoint"]


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has a form with a CSRF token"
    return found.group(1)


class MetricsServer:
    """A gateway's /metrics on loopback, exporting the domain watch's states."""

    TEXT = (
        "# TYPE postwarden_domain_state gauge\n"
        'postwarden_domain_state{domain="samen-veilig.nl",role="owned",state="ok"} 1\n'
        'postwarden_domain_state{domain="samen-veilig.nl",role="owned",state="drift"} 0\n'
        'postwarden_domain_state{domain="bjzutrecht.nl",role="retired",state="nxdomain"} 1\n'
    )

    def __init__(self) -> None:
        text = self.TEXT.encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.end_headers()
                self.wfile.write(text)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/metrics"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def metrics() -> Iterator[MetricsServer]:
    server = MetricsServer()
    yield server
    server.stop()


@pytest.fixture
def world(tmp_path: Path, metrics: MetricsServer) -> Iterator[World]:
    text = re.sub(r"^quarantine:\n(  .*\n)+", QUARANTINE, EXAMPLE.read_text(), flags=re.M)
    policy = tmp_path / "policy.yaml"
    policy.write_text(text)
    audit = tmp_path / "audit.jsonl"
    finding = {"detector": "bsn", "confidence": "high", "count": 1, "where": ["body"],
               "samples": ["1234*****"]}  # fmt: skip
    audit.write_text(json.dumps({"kind": "message", "queue_id": QA, "action": "quarantine",
                                 "rule": "client-data-external", "reason": "BSN to external",
                                 "findings": [finding]}) + "\n")  # fmt: skip
    queue = MemoryQueueWithText({QA: held(QA, 1), QB: held(QB, 2), QC: held(QC, 1, sender=OTHER)})
    officer_log = tmp_path / "officer.jsonl"
    config = MemoryDesk(str(officer_log), str(policy), str(audit), queue=queue)
    sockdir = tempfile.mkdtemp(prefix="pw-portal-")
    path = f"{sockdir}/q.sock"
    server = QuarantineService(bind_socket(path, "root"), config, "root", None, frozenset({"root"}))
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    key_file = tmp_path / "link.key"
    tokens.new_key_file(str(key_file))
    portal = config_from({
        "listen": "127.0.0.1:0", "trusted_proxies": ["127.0.0.1/32"],
        "gateways": [{"name": "gw1", "address": f"unix:{path}"},
                     {"name": "gw2", "address": f"unix:{sockdir}/nobody-listens.sock"}],
        "token_key_file": str(key_file), "nonce_db": str(tmp_path / "nonces.sqlite"),
        "policy": str(policy), "secure_cookies": False, "metrics_url": metrics.url,
    })  # fmt: skip
    gateways = [UnixGateway("gw1", path), UnixGateway("gw2", f"{sockdir}/nobody-listens.sock")]
    app = create_app(portal, gateways)
    try:
        yield World(TestClient(app, client=PROXY), queue, key_file.read_bytes(), officer_log)
    finally:
        server.stop()
        thread.join(timeout=30)
        server.listener.close()
        shutil.rmtree(sockdir, ignore_errors=True)


class TestOfficers:
    def test_held_mail_of_every_gateway_and_an_unreachable_one(self, world: World) -> None:
        """The list shows each held message with its gateway; gw2, which does not answer, is
        named unreachable rather than shown as empty."""
        page = world.as_officer("fg").get("/")
        assert page.status_code == 200
        for qid in (QA, QB, QC):
            assert f'href="/g/gw1/q/{qid}"' in page.text
        assert "Gateway <strong>gw2</strong>: unreachable" in page.text
        assert "ziekenhuis.example" in page.text and "client-data-external" in page.text

    def test_filter_and_search(self, world: World) -> None:
        """Search by sender or queue id, filter by gateway."""
        client = world.as_officer("reader")
        by_sender = client.get("/", params={"q": "p.pieters"}).text
        assert QC in by_sender and QA not in by_sender
        assert QB in client.get("/", params={"q": QB.lower()}).text
        assert QA not in client.get("/", params={"gateway": "gw2"}).text

    def test_detail_shows_decision_and_masked_findings(self, world: World) -> None:
        """The detail page: the rule, the decision's reason and the masked sample only."""
        page = world.as_officer("reader").get(f"/g/gw1/q/{QA}")
        assert page.status_code == 200
        assert "BSN to external" in page.text and "1234*****" in page.text
        assert "Reason for release" not in page.text  # a reader gets no forms

    def test_four_eyes_release(self, world: World) -> None:
        """fg approves (shown as waiting for a second officer), may not confirm alone; jb
        confirms and the message is released; the trail names both as '(portal)'."""
        fg = world.as_officer("fg")
        form = fg.get(f"/g/gw1/q/{QA}")
        approve = {"csrf": csrf_of(form.text), "reason": "partner confirmed"}
        first = fg.post(f"/g/gw1/q/{QA}/release", data=approve)
        assert first.status_code == 200  # followed the redirect back to the detail page
        assert "approved by fg (portal); a second officer must confirm" in first.text
        assert "approved by fg (portal), waiting for a second officer" in first.text
        assert "another officer must confirm" in first.text and "Confirm release" not in first.text
        again = fg.post(f"/g/gw1/q/{QA}/release", data={"csrf": csrf_of(first.text), "reason": "x"})
        assert "a different officer must confirm" in again.text
        assert world.queue.done == []
        jb = world.as_officer("jb")
        page = jb.get(f"/g/gw1/q/{QA}")
        assert "Confirm release (second officer)" in page.text
        done = jb.post(f"/g/gw1/q/{QA}/release", data={"csrf": csrf_of(page.text), "reason": "ok"})
        assert f"released {QA}" in done.text
        assert world.queue.done == [("release", QA)]
        release = next(r for r in world.trail() if r["kind"] == "officer_release")
        assert (release["officer"], release["approved_by"]) == ("jb (portal)", "fg (portal)")

    def test_show_content_asks_a_reason_and_is_recorded(self, world: World) -> None:
        """The text is shown only after a POST with a reason, recorded in the trail first."""
        fg = world.as_officer("fg")
        csrf = csrf_of(fg.get(f"/g/gw1/q/{QA}").text)
        empty = fg.post(f"/g/gw1/q/{QA}/content", data={"csrf": csrf, "reason": " "})
        assert "Dossier tekst" not in empty.text and "give a reason" in empty.text
        shown = fg.post(f"/g/gw1/q/{QA}/content", data={"csrf": csrf, "reason": "check"})
        assert "Dossier tekst 123456782" in shown.text
        (record,) = [r for r in world.trail() if r["kind"] == "officer_show_content"]
        assert (record["officer"], record["reason"]) == ("fg (portal)", "check")

    def test_trail_and_policy_views(self, world: World) -> None:
        """The officer trail (through the service) and the policy's sha256 and rules."""
        fg = world.as_officer("fg")
        csrf = csrf_of(fg.get(f"/g/gw1/q/{QB}").text)
        fg.post(f"/g/gw1/q/{QB}/delete", data={"csrf": csrf, "reason": "sent twice"})
        trail = fg.get("/trail").text
        assert "officer_delete" in trail and "sent twice" in trail and "fg (portal)" in trail
        assert "Gateway <strong>gw2</strong>: unreachable" in trail
        policy = fg.get("/policy").text
        assert load_policy(str(world_policy(world))).sha256 in policy
        assert "client-data-external" in policy


def test_the_domain_watch_is_shown_live(world: World, metrics: MetricsServer) -> None:
    """The policy page lists each domain's state from the gateway's metrics, the lapsed retired
    domain marked; with the metrics gone it says the states are unknown, never "ok"."""
    fg = world.as_officer("fg")
    page = fg.get("/policy").text
    assert "Domain watch (live" in page
    assert "bjzutrecht.nl</td><td>retired</td><td>nxdomain — needs attention" in page
    assert "samen-veilig.nl</td><td>owned</td><td>ok<" in page
    metrics.stop()
    page = fg.get("/policy").text
    assert "cannot be read now" in page and "needs attention" not in page


def world_policy(world: World) -> Path:
    return world.officer_log.parent / "policy.yaml"


class TestAttacks:
    def test_a_forged_user_header_from_an_untrusted_peer(self, world: World) -> None:
        """A peer that is not the proxy gets 403 on every page, header or not; nothing runs."""
        outsider = world.as_officer("fg", peer=OUTSIDER)
        for path in ("/", "/trail", "/policy", f"/g/gw1/q/{QA}", f"/m/{world.link(QA)}"):
            got = outsider.get(path)
            assert got.status_code == 403 and QA not in got.text, path
        got = outsider.post(f"/g/gw1/q/{QA}/delete", data={"csrf": "x", "reason": "x"})
        assert got.status_code == 403 and world.queue.done == [] and world.trail() == []

    def test_no_user_or_an_unlisted_user_sees_nothing(self, world: World) -> None:
        """Without the header, or as a user the policy does not list: 403, no queue ids."""
        for user in (None, "mallory", "fg x", "FG"):
            got = world.as_officer(user).get("/")
            assert got.status_code == 403 and QA not in got.text, user

    def test_a_sender_tries_officer_pages(self, world: World) -> None:
        """A sender with a valid link (and its session cookie) gets 403 on officer pages."""
        sender = world.as_officer(None)
        assert sender.get(f"/m/{world.link(QA)}").status_code == 200
        for path in ("/", "/trail", "/policy", f"/g/gw1/q/{QA}"):
            assert sender.get(path).status_code == 403, path
        assert sender.post(f"/g/gw1/q/{QA}/release", data={"reason": "x"}).status_code == 403
        assert world.queue.done == []

    def test_an_officer_without_the_role(self, world: World) -> None:
        """reader may not release; jb may not delete or read content: 403, nothing done."""
        reader = world.as_officer("reader")
        reader.get(f"/g/gw1/q/{QA}")  # a reader's page has no forms, hence no CSRF token
        got = reader.post(f"/g/gw1/q/{QA}/release", data={"reason": "x"})
        assert got.status_code == 403 and "reader may not release" in got.text
        jb = world.as_officer("jb")
        csrf = csrf_of(jb.get(f"/g/gw1/q/{QA}").text)
        assert (
            jb.post(f"/g/gw1/q/{QA}/delete", data={"csrf": csrf, "reason": "x"}).status_code == 403
        )
        got = jb.post(f"/g/gw1/q/{QA}/content", data={"csrf": csrf, "reason": "x"})
        assert got.status_code == 403 and "Dossier" not in got.text
        assert world.queue.done == [] and world.trail() == []

    def test_missing_or_wrong_csrf(self, world: World) -> None:
        """A POST without the session's token, with another session's, or with a wrong one is
        refused and does nothing."""
        fg, jb = world.as_officer("fg"), world.as_officer("jb")
        theirs = csrf_of(jb.get(f"/g/gw1/q/{QA}").text)
        fg.get(f"/g/gw1/q/{QA}")
        for data in ({"reason": "x"}, {"csrf": "", "reason": "x"}, {"csrf": theirs, "reason": "x"},
                     {"csrf": "A" * 43, "reason": "x"}):  # fmt: skip
            got = fg.post(f"/g/gw1/q/{QA}/delete", data=data)
            assert got.status_code == 403 and "form has expired" in got.text
        sender = world.as_officer(None)
        token = world.link(QA)
        sender.get(f"/m/{token}")
        got = sender.post(f"/m/{token}/withdraw", data={"reason": "x"})
        assert got.status_code == 403
        assert world.queue.done == [] and world.trail() == []

    def test_a_replayed_token(self, world: World) -> None:
        """A link asks for release once; a second request with it is refused (403)."""
        sender = world.as_officer(None)
        token = world.link(QA)
        csrf = csrf_of(sender.get(f"/m/{token}").text)
        first = sender.post(f"/m/{token}/request", data={"csrf": csrf, "reason": "urgent"})
        assert "Your request was recorded" in first.text
        again = sender.post(f"/m/{token}/request", data={"csrf": csrf, "reason": "urgent"})
        assert again.status_code == 403 and "used for that already" in again.text
        asked = [r for r in world.trail() if r["kind"] == "sender_release_requested"]
        assert len(asked) == 1 and asked[0]["recorded_by"] == "portal"
        assert asked[0]["requested_by"] == SENDER

    def test_an_altered_or_foreign_token(self, world: World) -> None:
        """A token changed by one character, signed with another key or expired: 403."""
        sender = world.as_officer(None)
        token = world.link(QA)
        part, mac = token.split(".")
        altered = f"{part}.{('A' if mac[0] != 'A' else 'B')}{mac[1:]}"
        foreign = tokens.sign(b"x" * 32, "gw1", QA, SENDER, int(time.time()) + 60)
        expired = tokens.sign(world.key, "gw1", QA, SENDER, int(time.time()) - 1)
        for bad in (altered, foreign, expired, "nonsense"):
            got = sender.get(f"/m/{bad}")
            assert got.status_code == 403 and QA not in got.text
        assert sender.post(f"/m/{altered}/withdraw", data={"reason": "x"}).status_code == 403
        assert world.queue.done == []

    def test_a_token_for_one_message_used_on_another(self, world: World) -> None:
        """Form fields cannot redirect a link to another message; a link naming another
        sender's message (a signer's mistake) is refused by the service's sender check."""
        sender = world.as_officer(None)
        token = world.link(QA)
        csrf = csrf_of(sender.get(f"/m/{token}").text)
        sender.post(f"/m/{token}/withdraw", data={"csrf": csrf, "reason": "oops", "queue_id": QB})
        assert world.queue.done == [("delete", QA)]
        wrong = world.link(QC, sender=SENDER)  # QC was sent by OTHER
        page = sender.get(f"/m/{wrong}")
        assert OTHER not in page.text and "no longer held" in page.text
        got = sender.post(f"/m/{wrong}/withdraw", data={"csrf": csrf, "reason": "mine"})
        assert "not sent by" in got.text
        assert world.queue.done == [("delete", QA)]

    def test_security_headers_and_cookie(self, world: World) -> None:
        """Every response (a 403 too) has the CSP and friends; the cookie is strict."""
        for got in (world.as_officer("fg").get("/"), world.as_officer(None).get("/"),
                    world.as_officer("fg", peer=OUTSIDER).get("/")):  # fmt: skip
            assert got.headers["content-security-policy"] == CSP
            assert got.headers["x-content-type-options"] == "nosniff"
            assert got.headers["referrer-policy"] == "no-referrer"
            assert got.headers["cache-control"] == "no-store"
        cookie = world.as_officer("fg").get("/").headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        assert "<script" not in world.as_officer("fg").get(f"/g/gw1/q/{QA}").text


class TestSenders:
    def test_the_sender_page_and_withdrawal(self, world: World) -> None:
        """The page says why (rule, masked findings), the form withdraws: deleted, recorded
        with recorded_by portal; afterwards the page says it is no longer held."""
        sender = world.as_officer(None)
        token = world.link(QA)
        page = sender.get(f"/m/{token}")
        assert "client-data-external" in page.text and "1234*****" in page.text
        assert "123456782" not in page.text
        done = sender.post(
            f"/m/{token}/withdraw", data={"csrf": csrf_of(page.text), "reason": "wrong file"}
        )
        assert "withdrawn" in done.text and "no longer held" in done.text
        (record,) = [r for r in world.trail() if r["kind"] == "sender_withdraw"]
        assert (record["withdrawn_by"], record["recorded_by"]) == (SENDER, "portal")

    def test_an_unreachable_gateway_keeps_the_link_usable(self, world: World) -> None:
        """A link to gw2 (down) says so; its single use is not spent on nothing."""
        sender = world.as_officer(None)
        token = world.link(QA, gateway="gw2")
        page = sender.get(f"/m/{token}")
        assert page.status_code == 502 and "cannot be reached" in page.text
