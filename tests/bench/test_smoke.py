"""Smoke test of the benchmark tooling: it runs and reports what it should (never how fast).

No timing assertions: a few messages through each tool, then the JSON's shape. The Postfix
part is marked e2e (root and the postfix package, like tests/e2e); the rest needs neither.
"""

from __future__ import annotations

import email
import io
import json
import os
from pathlib import Path

import pypdf
import pytest

from bench import (
    bench_e2e,
    bench_memory,
    bench_protocol,
    frontend_cpu,
    profile_milter,
    report,
    run,
    servers,
    session_cpu,
)
from bench.mime import MIX_FILES, SENDER, build_message, realistic_mix
from tests.e2e.postfix import REQUIRED_BINARIES


class TestMessages:
    def test_size_is_close_to_the_target(self) -> None:
        """build_message lands within 1 % of the requested size."""
        for size in (5 * 1024, 100 * 1024):
            assert abs(len(build_message(size)) - size) <= size // 100

    def test_is_a_letter_with_a_readable_pdf(self) -> None:
        """Text part plus a PDF attachment that a PDF reader opens."""
        msg = email.message_from_bytes(build_message(20 * 1024))
        types = [part.get_content_type() for part in msg.walk()]
        assert types == ["multipart/mixed", "text/plain", "application/pdf"]
        pdf = msg.get_payload()[1].get_payload(decode=True)
        assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) == 1


class TestRealisticMix:
    def test_every_kind_is_ordinary_mail_the_example_policy_delivers(self) -> None:
        """Each message of the mix is accepted for a partner, so every run measures delivery."""
        import datetime as dt

        from milter.cli.check import build_envelope
        from milter.core.engine import Facts, decide
        from milter.policy import load_policy

        policy = load_policy(Path(run.ROOT) / "policies" / "example.yaml")
        assert policy.content is not None
        mix = realistic_mix()
        assert len(mix) == len(MIX_FILES) + 1  # and the multi-page report
        envelope = build_envelope(SENDER, ["rcpt@partner.example"], False)
        now = dt.datetime(2026, 12, 7, tzinfo=dt.UTC)
        for kind, raw in mix.items():
            facts = policy.content.scanner.scan_message(raw)
            decision = decide(envelope, Facts(content=facts, now=now), policy)
            assert decision.action == "accept", (kind, decision.rules)

    def test_one_off_copies_differ_only_in_the_screenshot(self) -> None:
        """Each one-off copy of the screenshot kind carries another image (another hash, so
        the milter's memory of recurring images cannot answer it) and gives the same facts;
        its logo stays the same."""
        import hashlib

        from bench.mime import ONE_OFF_KINDS, one_off
        from milter.policy import load_policy

        scanner = load_policy(Path(run.ROOT) / "policies" / "example.yaml").content.scanner
        raw = realistic_mix()["image"]
        assert "image" in ONE_OFF_KINDS

        def images(message: bytes) -> list[str]:
            parts = email.message_from_bytes(message).walk()
            return sorted(
                hashlib.sha256(p.get_payload(decode=True)).hexdigest()
                for p in parts
                if p.get_content_maintype() == "image"
            )

        copies = [raw, one_off(raw), one_off(raw)]
        seen = [images(c) for c in copies]
        assert len(set(map(tuple, seen))) == 3  # every copy another set of images
        assert len(set(seen[0]) & set(seen[1]) & set(seen[2])) == 1  # the same logo
        facts = [scanner.scan_message(c, ocr=True) for c in copies]
        assert all(f.findings == facts[0].findings for f in facts)
        assert len(facts[0].ocr_read) == 2

    def test_protocol_transaction_sends_its_one_off_bodies_in_turn(self) -> None:
        """A transaction with one-off bodies hands out body n for message n."""
        import dataclasses

        from bench.milterload import Transaction

        tx = Transaction.from_message(build_message(5 * 1024))
        assert tx.message() == build_message(5 * 1024)
        sent = dataclasses.replace(tx, bodies=(b"a", b"b"))
        assert [sent.with_envelope(SENDER, ["r@x.example"], n).body for n in range(3)] == [
            b"a",
            b"b",
            b"a",
        ]
        assert tx.with_envelope(SENDER, ["r@x.example"], 1).body == tx.body

    def test_report_pdf_has_pages_in_an_embedded_font(self) -> None:
        """The report's PDF has its pages, a TrueType font embedded, and text PDFium reads."""
        from bench.mime import REPORT_PAGES, report_pdf

        data = report_pdf(REPORT_PAGES)
        assert len(pypdf.PdfReader(io.BytesIO(data)).pages) == REPORT_PAGES
        assert b"/FontFile2" in data
        from milter.content.formats.pdf import pdf_text

        assert "werkgroep" in pdf_text(data, 10**6)[0]


class TestConfigurations:
    def test_variants_name_a_patch_workers_or_the_python_scanner(self) -> None:
        """'+workers2' and '+python' (no native content core) are configurations of their
        own; an unknown variant or base is refused."""
        assert bench_e2e.parse_config("postwarden-unix+python") == ("postwarden-unix", "python")
        assert bench_e2e.parse_config("postwarden-unix+workers2") == ("postwarden-unix", "workers2")
        assert "postwarden-unix+python" in bench_e2e.SITTING
        for bad in ("postwarden-unix+fast", "rspamd-unix+python", "exim"):
            with pytest.raises(ValueError):
                bench_e2e.parse_config(bad)


class TestFailedRuns:
    def test_a_failed_run_is_recorded_and_retried(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """smtp-source failing once (a peer's 451) costs a retry, not the sitting."""
        calls: list[int] = []
        good = bench_e2e.RunResult(100.0, 90.0, 1.0, 90.0, 0.0, 0.0, 5.0)

        def flaky(*_args: object) -> bench_e2e.RunResult:
            calls.append(1)
            if len(calls) == 1:
                raise bench_e2e.RunFailed("rspamd-unix: smtp-source exited 1: 451 try again")
            return good

        monkeypatch.setattr(bench_e2e, "one_run", flaky)
        monkeypatch.setattr(bench_e2e, "wait_drained", lambda *_args: 0.0)
        failures: list[str] = []
        result = bench_e2e.measured_run(None, None, None, [], [0], failures)  # type: ignore[arg-type]
        assert result is good and len(calls) == 2
        assert failures == ["rspamd-unix: smtp-source exited 1: 451 try again"]
        assert bench_e2e._summary([good], failures)["failed_runs"] == 1

    def test_a_run_that_always_fails_is_lost_not_fatal(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Every try failing gives None (the round goes on) and a summary of the failures."""

        def broken(*_args: object) -> bench_e2e.RunResult:
            raise bench_e2e.RunFailed("noop-unix: smtp-source exited 1")

        monkeypatch.setattr(bench_e2e, "one_run", broken)
        monkeypatch.setattr(bench_e2e, "wait_drained", lambda *_args: 0.0)
        failures: list[str] = []
        assert bench_e2e.measured_run(None, None, None, [], [0], failures) is None  # type: ignore[arg-type]
        assert len(failures) == 1 + bench_e2e.FAILED_RUN_RETRIES
        assert bench_e2e._summary([], failures)["failed_runs"] == len(failures)


class TestProfileSummary:
    RAW = (
        "serve (/w/milter/server/session.py:10);dataReceived (/v/libmilter.py:583) 6\n"
        "serve (/w/milter/server/session.py:10);eob (/w/milter/server/session.py:20);"
        "decide (/w/milter/core/engine.py:5) 3\n"
        "serve (/w/milter/server/session.py:10);info (/v/structlog/_base.py:1) 1\n"
        "run (/usr/lib/python3.11/threading.py:1);wait (/usr/lib/python3.11/threading.py:331) 9\n"
    )

    def test_charges_samples_to_parts_and_leaves_idle_out(self) -> None:
        """Shares per part add up over active samples only; idle waits are counted apart."""
        out = profile_milter.summarise(self.RAW, cpu_s=1.0, messages=100)
        parts = {p["part"]: p["pct"] for p in out["parts"]}
        assert parts["engine (decide)"] == 30.0
        assert parts["logging (structlog)"] == 10.0
        assert sum(parts.values()) == pytest.approx(100.0)
        assert out["idle_samples"] == 9
        assert out["milter_cpu_us_per_message"] == 10_000.0


class TestTargets:
    def test_reports_each_target_with_met_or_none(self) -> None:
        """Targets are judged from the summary; sections that did not run give None."""
        summary = {
            "e2e": {
                "ratios": {
                    "10KB": {
                        "postwarden-unix/postfix": 0.9,
                        "postwarden-unix/rspamd-best": 1.2,
                        "rspamd_best_transport": "rspamd-unix",
                    }
                }
            },
            "memory": {"held_connections": {"connections": 100, "rss_kib_held": 50_000}},
            "content": {"mb_per_s": {"plain": {"cpu": 1200.0}}},
        }
        summary["e2e"]["results"] = {"10KB": {"postwarden-unix": {"milter_cpu_ms_per_msg": 3.2}}}
        results = {t["target"].split(" (")[0]: t["met"] for t in run.targets(summary)}
        assert results["content scan >= 1000.0 MB/s per core on plain text"] is True
        assert results["milter CPU <= 1.0 ms per 10 KB message"] is False
        assert results["EOM->verdict p99 <= 50.0 ms with a 20-page PDF, 1 connection, unix"] is None
        assert results["b/a >= 0.85 at 10 KB"] is True
        assert results["b/c >= 1.4 at 10 KB"] is False
        assert results["b/c >= 1.4 at 100 KB"] is None
        assert results["RSS <= 150 MB with 100 connections mid-message, one process"] is True

    def test_content_scan_is_reported_with_and_without_the_native_core(self) -> None:
        """The content section names both runs: the native core's and POSTWARDEN_NATIVE=0's."""
        summary = {
            "content": {
                "argv": ["bench_content.py", "--mb", "2"],
                "mb_per_s": {"plain": {"cpu": 512.0, "wall": 500.0}},
                "python": {"mb_per_s": {"plain": {"cpu": 231.0, "wall": 220.0}}},
            }
        }
        text = report.content(summary)
        assert "plain 500.0 MB/s wall (512.0 MB/s CPU)" in text
        assert "without the native core (POSTWARDEN_NATIVE=0): plain 220.0 MB/s wall" in text


class TestMilterTools:
    def test_protocol_and_memory_benches_report_their_keys(self) -> None:
        """A few messages at protocol level and a few held connections, against the milter."""
        result = bench_protocol.run(
            quick=True, transports=("unix",), concurrency=(1,), sizes=("5KB", "pdf20p", "mix")
        )
        json.dumps(result)
        cell = result["transports"]["unix"]["5KB/c1"]
        assert cell["verdicts"] == {"a": cell["messages"]}
        for other in ("pdf20p/c1", "mix/c1"):  # delivered: the accept path is measured
            assert set(result["transports"]["unix"][other]["verdicts"]) == {"a"}
        assert "image" in result["transports"]["unix"]["mix/c1"]["kinds"]
        assert {"p50_ms", "p99_ms"} <= cell["eom_latency"].keys()
        assert {"decisions_per_s", "message_latency", "milter_cpu_ms_per_message"} <= cell.keys()
        with servers.work_dir("smoke") as work:
            sock = work / "s.sock"
            milter = servers.postwarden(work, "pw", f"unix:{sock}", f"unix:{work / 'l.sock'}")
            with milter:
                over = bench_memory.growth_over_messages(sock, milter.pid, 40, 20, connections=2)
                held = bench_memory.held_connections(sock, milter.pid, 3)
        assert [s["messages"] for s in over["samples"]] == [0, 20, 40]
        assert held["verdicts"] == {"a": 3}
        assert {"rss_kib_held", "rss_kib_after_close", "threads_held"} <= held.keys()

    def test_session_cpu_reports_every_configuration_and_part(self) -> None:
        """The in-process per-message bench feeds recorded messages to a session in each
        configuration and times the observer's parts."""
        result = session_cpu.run(messages=3, rounds=1)
        json.dumps(result)
        for size in ("5KB", "50KB"):
            cells = result["sizes"][size]
            assert cells.keys() == {"bare", "observed", "audited", "no-fsync"}
            assert all(c["cpu_us_per_message"] > 0 for c in cells.values())
        assert len(result["parts_us"]) == 5
        # The process's logging is as it was: a logger left on the bench's closed devnull
        # file made every later test that logs fail ("I/O operation on closed file").
        import structlog

        from milter.audit import trail as audit_trail

        with structlog.testing.capture_logs() as logs:
            audit_trail.log.info("after_the_bench")
        assert [e["event"] for e in logs] == ["after_the_bench"]
        audit_trail.log.info("after_the_bench")  # the default logger writes, and raises nothing

    def test_frontend_cpu_compares_both_front_ends(self) -> None:
        """The in-process front-end bench measures every configuration with the native
        framing and the Python one."""
        result = frontend_cpu.run(messages=4, rounds=1)
        json.dumps(result)
        assert {c.split("/")[1] for c in result["cells"]} == {
            "scan",
            "noscan",
            "conn",
            "noscan-conn",
        }
        for cell in result["cells"].values():
            assert cell.keys() == {"native", "python"}
            assert all(front["median_us"] > 0 for front in cell.values())

    @pytest.mark.parametrize(
        "variant", ["one-loop", "loop-handoff", "loop-eom-handoff", "python-framing"]
    )
    def test_loop_variants_decide_as_the_threads_do(self, variant: str) -> None:
        """The connection-model variants (bench/variants.py) and the Python framing serve 1
        and 8 connections and accept the bench's ordinary mail, as the shipped server does."""
        result = bench_protocol.run(
            quick=True, transports=("unix",), concurrency=(1, 8), sizes=("5KB",), variant=variant
        )
        for name in ("5KB/c1", "5KB/c8"):
            cell = result["transports"]["unix"][name]
            assert cell["messages"] > 0 and cell["verdicts"] == {"a": cell["messages"]}

    def test_memory_of_workers_adds_up_every_process(self) -> None:
        """With serve --workers 2 the RSS is that of the supervisor and both workers."""
        with servers.work_dir("smoke") as work:
            sock = work / "w.sock"
            milter = servers.postwarden(
                work, "pw", f"unix:{sock}", f"unix:{work / 'wl.sock'}", workers=2
            )
            with milter:
                held = bench_memory.held_connections(sock, milter.pid, 4)
                members = servers.group_pids(milter.pid)
                alone = servers.rss_kib(milter.pid)
        assert held["verdicts"] == {"a": 4}
        assert len(members) == 3
        assert held["rss_kib_held"] > 2 * alone


@pytest.mark.e2e
class TestEndToEnd:
    def test_runs_postfix_alone_and_with_postwarden(self) -> None:
        """One round of 20 messages through Postfix alone, + Postwarden (unix, one process and
        --workers 2) and + the no-op milter; the ceilings come from the no-op milter's CPU."""
        missing = [str(p) for p in REQUIRED_BINARIES if not Path(p).exists()]
        if missing or os.geteuid() != 0:
            pytest.fail("needs root and the postfix package (like tests/e2e)", pytrace=False)
        settings = bench_e2e.Settings(
            runs=1,
            messages=20,
            sizes_kb=(10,),
            configs=(
                "postfix",
                "postwarden-unix",
                "postwarden-unix+workers2",
                "postwarden-unix+python",
                "noop-unix",
            ),
            warmup_messages=5,
            mix_messages=2,
        )
        result = bench_e2e.run(settings)
        json.dumps(result)
        assert result["enforcement"]["postwarden-unix"]["retired_domain_refused"] is True
        assert result["enforcement"]["postfix"]["retired_domain_refused"] is False
        assert set(result["results"]["10KB"]) == {
            "postfix",
            "postwarden-unix",
            "postwarden-unix+workers2",
            "postwarden-unix+python",
            "noop-unix",
        }
        assert result["enforcement"]["postwarden-unix+python"]["retired_domain_refused"] is True
        assert "--workers" in result["milters"]["postwarden-unix+workers2"]
        assert result["enforcement"]["postwarden-unix+workers2"]["retired_domain_refused"] is True
        assert result["enforcement"]["noop-unix"]["retired_domain_refused"] is False
        assert result["results"]["10KB"]["postwarden-unix"]["milter_cpu_ms_per_msg"] is not None
        assert "postwarden-unix/postfix" in result["ratios"]["10KB"]
        ceiling = result["ceilings"]["10KB"]
        assert ceiling["with_milter_protocol_cpu_ms"] > 0
        assert "milter_budget_ms_for_b_over_a_0.85" in ceiling
        assert "| 10KB | " in report.ceilings({"e2e": result})
        mix = result["results"]["mix"]["postwarden-unix"]
        assert mix["failed_runs"] == 0 and mix["milter_cpu_ms_per_msg"] is not None
        assert result["settings"]["messages_per_run"]["mix"] == 2 * len(realistic_mix())
