"""The whole life of a held message in a real Postfix, and nobody left in silence.

A dossier to an external recipient is held and its internal sender told; the sender asks for
release with a reason; two officers release it (four eyes), the release names the request, the
message reaches the recipient and the sender hears it went. A withdrawal deletes the message and
tells the sender. Held mail past ``retention_days`` expires (the expiry command runs two days
ahead under faketime: Debian's libfaketime moves the clock of that one process): deleted, or
returned to the sender by Postfix. The digest lists what is held, the request and what expires.
Every step is in the officer trail (hash chain verified) and counted on /metrics; no notice or
digest carries the dossier's client data.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.postfix import (
    MilterFactory,
    MilterProcess,
    PostfixFactory,
    PostfixInstance,
    Sink,
    smtp_send,
)
from tests.e2e.stack import (
    POLICY,
    ROOT,
    Ports,
    quarantine_cli,
    start_postfix,
    start_postwarden,
)
from tests.e2e.test_held_notices import (
    DOSSIER,
    EXTERNAL,
    OFFICERS,
    SENDER,
    assert_no_client_data,
    notice,
)


@dataclass
class Life:
    postfix: PostfixInstance
    ports: Ports
    policy: Path
    audit: Path
    officer_log: Path
    seen: set[str]
    milter: MilterProcess

    def run(
        self, *args: str, officer: str = "fg", ahead: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """``postwarden quarantine ARGS`` as `officer`; ``ahead`` runs it later (faketime)."""
        return quarantine_cli(
            self.postfix, self.policy, self.audit, self.officer_log, *args,
            officer=officer, ahead=ahead,
        )  # fmt: skip

    def hold(self, to: str = EXTERNAL) -> str:
        """Send the dossier to an external recipient: held; its new queue id."""
        assert smtp_send(self.postfix.smtp_port, SENDER, [to], DOSSIER).delivered
        queue = self.postfix.wait_queue(
            lambda q: any(e["queue_name"] == "hold" and e["queue_id"] not in self.seen for e in q)
        )
        qid = str(
            next(
                e["queue_id"]
                for e in queue
                if e["queue_name"] == "hold" and e["queue_id"] not in self.seen
            )
        )
        self.seen.add(qid)
        return qid

    def trail(self) -> list[dict[str, object]]:
        lines = self.officer_log.read_text().splitlines()
        return [r for r in map(json.loads, lines) if r["kind"] != "checkpoint"]

    def metrics(self) -> str:
        return self.ports.metrics_text()


def start(
    postfix_factory: PostfixFactory,
    milter_factory: MilterFactory,
    tmp_path: Path,
    quarantine: str,
    delay: str = "",
    notices: str = "",
    serve: tuple[str, ...] = (),
) -> Life:
    """Postfix (the notice relay is its SMTP port), then the milter on the example policy with
    `quarantine` as its quarantine section (and, with `delay`, the dossier rule's action
    replaced by those lines; `notices`: lines added to quarantine_notices; `serve`: more
    options for postwarden serve)."""
    ports = Ports.free()
    pf = start_postfix(postfix_factory, ports)
    text = POLICY.read_text().replace("relay: 127.0.0.1:25", f"relay: 127.0.0.1:{pf.smtp_port}")
    text, replaced = re.subn(r"^quarantine:\n(  .*\n)+", quarantine, text, flags=re.M)
    assert replaced == 1
    policy, audit = tmp_path / "policy.yaml", tmp_path / "audit.jsonl"
    policy.write_text(text)
    if delay:
        text, delays = re.subn(
            r"(- id: client-data-external\n(?:      .*\n)*?)      action: quarantine\n",
            rf"\1{delay}",
            text,
        )
        assert delays == 1
    if notices:
        officers = "  officers: fg@samen-veilig.nl"
        assert text.count(officers) == 1
        text = text.replace(officers, notices + officers)
    policy.write_text(text)
    milter = start_postwarden(milter_factory, ports, policy, "--audit-log", str(audit), *serve)
    return Life(pf, ports, policy, audit, tmp_path / "officer.jsonl", set(), milter)


def verify(path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "milter", "audit", "verify", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def body(sink_message: object) -> str:
    return str(sink_message.message.get_body().get_content())  # type: ignore[attr-defined]


class TestHeldLife:
    def test_request_four_eyes_release_and_withdraw(
        self,
        postfix_factory: PostfixFactory,
        milter_factory: MilterFactory,
        sink: Sink,
        tmp_path: Path,
    ) -> None:
        """Held → told → request with a reason → two officers release it, naming the request →
        delivered, sender told; a second held message is withdrawn by its sender: deleted."""
        life = start(
            postfix_factory, milter_factory, tmp_path, "quarantine:\n  release_requires: 2\n"
        )
        qid = life.hold()
        held = sink.wait_for(notice("sender-held", SENDER), timeout=30)
        assert qid in body(held) and "14" in body(held)  # the retention limit is named
        assert_no_client_data(held)

        stranger = life.run("request", qid, "--reason", "x", "--sender", "iemand@elders.example")
        assert stranger.returncode == 1 and "only its sender" in stranger.stderr
        asked = life.run("request", qid, "--reason", "spoed: crisisplaatsing, arts wacht")
        assert asked.returncode == 0, asked.stderr
        request_id = asked.stdout.split("(")[1].split(")")[0]
        assert request_id.startswith("req-")
        listed = json.loads(life.run("list", "--json").stdout)
        assert [(m["queue_id"], m["request"]["id"]) for m in listed] == [(qid, request_id)]
        shown = life.run("show", qid)
        assert f"request:    {request_id} by {SENDER}" in shown.stdout, shown.stdout

        first = life.run("release", qid, "--reason", "arts bevestigd", officer="fg")
        assert first.returncode == 0 and "second officer must confirm" in first.stdout
        wrong = life.run(
            "release", qid, "--reason", "ok", "--request", "req-00000000", officer="ciso"
        )
        assert wrong.returncode == 1 and "not a pending request" in wrong.stderr
        second = life.run(
            "release", qid, "--reason", "akkoord", "--request", request_id, officer="ciso"
        )
        assert second.returncode == 0, second.stderr
        assert f"grants {request_id}" in second.stdout and "the sender was told" in second.stdout
        delivered = sink.wait_for(lambda m: m.rcpt_tos == [EXTERNAL], timeout=30)
        assert delivered.header("X-Postwarden-Notice") is None
        released = sink.wait_for(notice("sender-released", SENDER), timeout=30)
        assert qid in body(released) and "akkoord" in body(released)
        assert_no_client_data(released)

        other = life.hold()
        gone = life.run("withdraw", other, "--reason", "verkeerde ontvanger, stuur veilig")
        assert gone.returncode == 0, gone.stderr
        assert [e["queue_id"] for e in life.postfix.postqueue_json()] == []
        withdrawn = sink.wait_for(notice("sender-withdrawn", SENDER), timeout=30)
        assert other in body(withdrawn)
        assert_no_client_data(withdrawn)

        steps = [(r["kind"], r.get("queue_id")) for r in life.trail()]
        assert steps == [
            ("sender_release_requested", qid),
            ("officer_release_requested", qid),
            ("officer_release", qid),
            ("sender_notice", qid),
            ("sender_withdraw", other),
            ("sender_notice", other),
        ]
        release = next(r for r in life.trail() if r["kind"] == "officer_release")
        assert release["officer"] == "ciso" and release["approved_by"] == "fg"
        assert release["grants_request"] == request_id
        verify(life.officer_log)
        text = life.metrics()
        for line in (
            'postwarden_quarantine_steps_total{step="request"} 1.0',
            'postwarden_quarantine_steps_total{step="approval"} 1.0',
            'postwarden_quarantine_steps_total{step="release"} 1.0',
            'postwarden_quarantine_steps_total{step="withdraw"} 1.0',
            'postwarden_officer_notices_total{kind="released",result="sent"} 1.0',
        ):
            assert line in text, line

    def test_expiry_deletes_and_the_digest_shows_what_is_held(
        self,
        postfix_factory: PostfixFactory,
        milter_factory: MilterFactory,
        sink: Sink,
        tmp_path: Path,
    ) -> None:
        """retention_days 1: today nothing expires; two days later the held message is deleted,
        recorded and its sender told. The digest before it lists it, its request, its expiry."""
        life = start(
            postfix_factory, milter_factory, tmp_path, "quarantine:\n  retention_days: 1\n"
        )
        qid = life.hold()
        sink.wait_for(notice("sender-held", SENDER), timeout=30)
        assert life.run("request", qid, "--reason", "graag vrijgeven 123456782").returncode == 0

        digest = life.run("digest", "--send")
        assert digest.returncode == 0, digest.stderr
        for expected in (qid, "client-data-external", "ziekenhuis.example", "Expires within a day"):
            assert expected in digest.stdout, expected
        assert "123456782" not in digest.stdout and "#########" in digest.stdout
        mailed = sink.wait_for(notice("officer-digest", OFFICERS), timeout=30)
        assert qid in body(mailed)
        assert_no_client_data(mailed)
        data = json.loads(life.run("digest", "--json").stdout)
        assert data["held"] == 1 and data["pending_requests"] == 1
        assert 0 < data["messages"][0]["expires_in_seconds"] <= 86_400

        today = life.run("expire")
        assert today.returncode == 0 and "nothing held past" in today.stdout
        later = life.run("expire", ahead="+2d")
        assert later.returncode == 0, later.stderr
        assert f"expired {qid} after 1 days: deleted" in later.stdout
        assert life.postfix.postqueue_json() == []
        told = sink.wait_for(notice("sender-expired_deleted", SENDER), timeout=30)
        assert qid in body(told)
        assert_no_client_data(told)
        expired = next(r for r in life.trail() if r["kind"] == "quarantine_expired")
        assert expired["queue_id"] == qid and expired["action"] == "deleted"
        assert expired["retention_days"] == 1
        verify(life.officer_log)
        assert 'postwarden_quarantine_steps_total{step="expire_delete"} 1.0' in life.metrics()

    def test_expiry_returns_to_the_sender_when_the_policy_says_so(
        self,
        postfix_factory: PostfixFactory,
        milter_factory: MilterFactory,
        sink: Sink,
        tmp_path: Path,
    ) -> None:
        """on_expiry: return — Postfix returns the expired message to its sender (a bounce
        from the null sender), and the sender is told why."""
        life = start(
            postfix_factory,
            milter_factory,
            tmp_path,
            "quarantine:\n  retention_days: 1\n  on_expiry: return\n",
        )
        qid = life.hold()
        later = life.run("expire", ahead="+2d")
        assert later.returncode == 0, later.stderr
        assert f"expired {qid} after 1 days: returned" in later.stdout
        bounce = sink.wait_for(
            lambda m: m.rcpt_tos == [SENDER] and m.header("X-Postwarden-Notice") is None,
            timeout=60,
        )
        assert bounce.mail_from in ("", "<>")
        assert "administratively expired" in bounce.data.decode("utf-8", "replace")
        assert not any(m.rcpt_tos == [EXTERNAL] for m in sink.messages)
        sink.wait_for(notice("sender-expired_returned", SENDER), timeout=30)
        record = next(r for r in life.trail() if r["kind"] == "quarantine_expired")
        assert record["action"] == "returned"


class TestUndoWindow:
    def test_delayed_mail_goes_when_the_window_ends_unless_withdrawn(
        self,
        postfix_factory: PostfixFactory,
        milter_factory: MilterFactory,
        sink: Sink,
        tmp_path: Path,
    ) -> None:
        """action: delay, delay: 1m — held, the sender told when it goes; the window survives
        a restart of Postfix and Postwarden; release-due sends it only once the minute is over;
        the withdrawn one never goes."""
        life = start(
            postfix_factory,
            milter_factory,
            tmp_path,
            "quarantine:\n  release_requires: 1\n",
            delay="      action: delay\n      delay: 1m\n",
        )
        kept, withdrawn = life.hold(), life.hold()
        told = sink.wait_for(notice("sender-delayed", SENDER), timeout=30)
        assert "wordt om" in body(told) and "will be sent at" in body(told)
        assert_no_client_data(told)
        decided = [
            json.loads(line)
            for line in life.audit.read_text().splitlines()
            if '"kind": "message"' in line or '"kind":"message"' in line
        ]
        assert all(r["release_at"] for r in decided if r.get("action") == "quarantine")
        assert life.run("withdraw", withdrawn, "--reason", "verkeerde ontvanger").returncode == 0

        life.postfix.stop()
        life.milter.restart()
        life.postfix.start()
        early = life.run("release-due")
        assert early.returncode == 0 and early.stdout == "", early.stdout + early.stderr
        assert [e["queue_id"] for e in life.postfix.postqueue_json()] == [kept]

        due = life.run("release-due", ahead="+2m")
        assert due.returncode == 0, due.stderr
        assert f"released {kept}: its undo window ended" in due.stdout
        got = sink.wait_for(lambda m: m.rcpt_tos == [EXTERNAL], timeout=30)
        assert got.header("X-Postwarden-Delay-Until") is not None
        life.postfix.wait_queue_empty(timeout=30)
        assert sum(m.rcpt_tos == [EXTERNAL] for m in sink.messages) == 1
        steps = [(r["kind"], r.get("queue_id")) for r in life.trail()]
        assert ("sender_withdraw", withdrawn) in steps and ("delay_released", kept) in steps
        verify(life.officer_log)
        assert 'postwarden_quarantine_steps_total{step="delay_release"} 1.0' in life.metrics()


class TestPortalLink:
    def test_the_held_notice_links_to_that_message(
        self,
        postfix_factory: PostfixFactory,
        milter_factory: MilterFactory,
        sink: Sink,
        tmp_path: Path,
    ) -> None:
        """portal_url + portal_key: the notice's link carries a token for this queue id, this
        sender and the gateway named with serve --gateway-name; the key verifies it."""
        from milter.portal.tokens import new_key_file, verify

        key = tmp_path / "portal.key"
        new_key_file(str(key))
        ports = Ports.free()
        pf = start_postfix(postfix_factory, ports)
        text = POLICY.read_text().replace("relay: 127.0.0.1:25", f"relay: 127.0.0.1:{pf.smtp_port}")
        text = text.replace(
            "  officers: fg@samen-veilig.nl",
            f"  portal_url: http://127.0.0.1:8443/\n  portal_key: {key}\n"
            "  officers: fg@samen-veilig.nl",
            1,
        )
        policy = tmp_path / "policy.yaml"
        policy.write_text(text)
        start_postwarden(milter_factory, ports, policy, "--gateway-name", "gw-a")
        assert smtp_send(pf.smtp_port, SENDER, [EXTERNAL], DOSSIER).delivered
        queue = pf.wait_queue(lambda q: any(e["queue_name"] == "hold" for e in q))
        qid = next(e["queue_id"] for e in queue if e["queue_name"] == "hold")
        told = body(sink.wait_for(notice("sender-held", SENDER), timeout=30))
        link = next(w for w in told.split() if w.startswith("http://127.0.0.1:8443/m/"))
        claims = verify(key.read_bytes(), link.rsplit("/", 1)[1], time.time())
        assert (claims.queue_id, claims.sender, claims.gateway) == (qid, SENDER, "gw-a")


class TestFirstContactDelayed:
    def test_client_data_to_a_first_contact_domain_waits_out_its_window(
        self,
        postfix_factory: PostfixFactory,
        milter_factory: MilterFactory,
        sink: Sink,
        tmp_path: Path,
    ) -> None:
        """Issue 18's case: client data + first contact → action delay (1m). Both dossiers to
        the new domain are delayed and their sender told; one is withdrawn; when the window
        has passed, release-due sends the other — and only that one."""
        from tests.e2e.test_first_contact import FIRST_RULE, NEW, write_policy

        ports = Ports.free()
        pf = start_postfix(postfix_factory, ports)
        rule = FIRST_RULE.replace(
            "      action: quarantine\n", "      action: delay\n      delay: 1m\n"
        )
        assert rule != FIRST_RULE
        policy = write_policy(tmp_path, pf.smtp_port)
        policy.write_text(policy.read_text().replace(FIRST_RULE, rule))
        audit = tmp_path / "audit.jsonl"
        milter = start_postwarden(milter_factory, ports, policy, "--audit-log", str(audit))
        life = Life(pf, ports, policy, audit, tmp_path / "officer.jsonl", set(), milter)

        kept, withdrawn = life.hold(NEW), life.hold(NEW)
        told = sink.wait_for(notice("sender-delayed", SENDER), timeout=30)
        assert "first-contact-client-data" in body(told)
        assert_no_client_data(told)
        records = [json.loads(line) for line in audit.read_text().splitlines()]
        delayed = [r for r in records if r.get("kind") == "message" and r.get("release_at")]
        assert {r["rule"] for r in delayed} == {"first-contact-client-data"} and len(delayed) == 2

        assert life.run("withdraw", withdrawn, "--reason", "verkeerde kliniek").returncode == 0
        assert life.run("release-due").stdout == ""  # the window is still open
        due = life.run("release-due", ahead="+2m")
        assert f"released {kept}: its undo window ended" in due.stdout, due.stdout + due.stderr
        sink.wait_for(lambda m: m.rcpt_tos == [NEW], timeout=30)
        pf.wait_queue_empty(timeout=30)
        assert sum(m.rcpt_tos == [NEW] for m in sink.messages) == 1
