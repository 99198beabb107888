"""The `postwarden` command: exit codes, the `check --json` contract and readable output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from milter.cli.main import main

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = str(ROOT / "policies" / "example.yaml")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


class TestPolicyCheck:
    def test_example_policy_is_valid(self, capsys: pytest.CaptureFixture[str]) -> None:
        """`policy check` on the example exits 0 with a one-line summary."""
        code, out, err = run(capsys, "policy", "check", EXAMPLE)
        assert code == 0 and err == ""
        first, *rest = out.strip().splitlines()
        assert first.startswith("policy OK:") and "2 retired domains" in first
        assert all(line.startswith("warning: ") for line in rest)

    def test_broken_policy_exits_1_with_position(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A broken policy exits 1 and names file:line:column."""
        bad = tmp_path / "bad.yaml"
        bad.write_text(Path(EXAMPLE).read_text().replace("retired_domains:", "retierd_domains:"))
        code, out, err = run(capsys, "policy", "check", str(bad))
        assert code == 1 and out == ""
        assert f"{bad}:" in err and "retierd_domains" in err

    def test_cut_short_policy_names_its_end(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A copy cut short before its last sections exits 1, naming where the file ends."""
        text = Path(EXAMPLE).read_text()
        cut = text[: text.index("\nlookalikes:") + 1]
        bad = tmp_path / "cut.yaml"
        bad.write_text(cut)
        code, out, err = run(capsys, "policy", "check", str(bad))
        assert code == 1 and out == ""
        line = cut.count("\n") + 1
        assert err.startswith(f"{bad}:{line}:1: the policy does not end with '...'")

    def test_missing_file(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A policy file that does not exist is an error, not a crash."""
        code, _, err = run(capsys, "policy", "check", str(tmp_path / "nope.yaml"))
        assert code == 1 and "nope.yaml" in err


class TestCheck:
    def test_json_contract(self, capsys: pytest.CaptureFixture[str]) -> None:
        """`check --json` prints one object with the documented keys."""
        code, out, _ = run(
            capsys,
            "check",
            "--policy",
            EXAMPLE,
            "--from",
            "tool@samen-veilig.nl",
            "--to",
            "a@partner.example",
            "--to",
            "B@BJZUTRECHT.NL.",
            "--json",
        )
        assert code == 0
        doc = json.loads(out)
        assert {"action", "recipients", "client_data", "findings", "policy_sha256"} <= doc.keys()
        assert doc["action"] == "accept" and doc["client_data"] is False and doc["findings"] == []
        assert [(r["address"], r["action"], r["rule"]) for r in doc["recipients"]] == [
            ("a@partner.example", "accept", None),
            ("B@bjzutrecht.nl", "reject", "retired_domain"),
        ]
        assert "retired since 2017-12-31" in doc["recipients"][1]["reason"]
        assert doc["recipients"][1]["reason"] in doc["recipients"][1]["reply"]
        assert len(doc["policy_sha256"]) == 64

    def test_all_refused_is_reject_but_exit_0(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A refused message is a verdict, not an error: exit 0."""
        code, out, _ = run(
            capsys,
            "check",
            "--policy",
            EXAMPLE,
            "--from",
            "x@samen-veilig.nl",
            "--to",
            "b@bjzutrecht.nl",
            "--json",
        )
        assert code == 0 and json.loads(out)["action"] == "reject"

    def test_local_path_removes(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--local shows removal and the header the milter would add."""
        _, out, _ = run(
            capsys,
            "check",
            "--policy",
            EXAMPLE,
            "--from",
            "x@samen-veilig.nl",
            "--to",
            "a@partner.example",
            "--to",
            "c@mail.bjzflevo.nl",
            "--local",
            "--json",
        )
        doc = json.loads(out)
        assert [r["action"] for r in doc["recipients"]] == ["accept", "remove"]
        assert doc["headers"][0]["name"] == "X-Postwarden-Removed-Recipients"

    def test_text_output_explains(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """The text output names verdict, rule, reason and the reply the sender sees."""
        eml = tmp_path / "m.eml"
        eml.write_bytes(b"From: x@samen-veilig.nl\r\nSubject: test\r\n\r\nhello\r\n")
        code, out, _ = run(
            capsys,
            "check",
            "--policy",
            EXAMPLE,
            "--from",
            "x@samen-veilig.nl",
            "--to",
            "a@partner.example",
            "--to",
            "b@bjzutrecht.nl",
            str(eml),
        )
        assert code == 0
        assert out.startswith("message: ACCEPT")
        assert "REJECT  b@bjzutrecht.nl" in out
        assert "rule retired_domain: recipient domain bjzutrecht.nl is retired" in out
        assert "550 5.7.1" in out

    def test_shows_the_notices_a_hold_asks_for(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A held dossier: check names the sender's notice and the officers' alert."""
        dossier = Path(EXAMPLE).parents[1] / "tests" / "corpus" / "dossier_gewijzigd_extern.eml"
        argv = ["check", "--policy", EXAMPLE, "--from", "j.jansen@samen-veilig.nl"]
        argv += ["--to", "jeugdarts@ziekenhuis.example", str(dossier)]
        code, out, _ = run(capsys, *argv, "--json")
        assert code == 0
        assert json.loads(out)["notices"] == [
            {
                "kind": "sender_held",
                "to": "j.jansen@samen-veilig.nl",
                "rule": "client-data-external",
            },
            {"kind": "officer_alert", "to": "fg@samen-veilig.nl", "rule": "client-data-external"},
        ]
        _, text, _ = run(capsys, *argv)
        assert (
            "notice:  sender_held to j.jansen@samen-veilig.nl (rule client-data-external)" in text
        )

    def test_bad_policy_exits_2(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A broken policy given to check exits 2 with the error."""
        bad = tmp_path / "bad.yaml"
        bad.write_text("version: 1\nversion: 1\n")
        code, _, err = run(
            capsys, "check", "--policy", str(bad), "--from", "a@b.example", "--to", "c@d.example"
        )
        assert code == 2 and f"{bad}:2:" in err

    def test_usage_error_exits_2(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Missing --to is a usage error (exit 2)."""
        with pytest.raises(SystemExit) as exc:
            main(["check", "--policy", EXAMPLE, "--from", "a@b.example"])
        assert exc.value.code == 2


class TestEntryPoints:
    def test_python_dash_m_is_postwarden(self) -> None:
        """`python -m milter` and the `postwarden` script give the same output."""
        args = [
            "check",
            "--policy",
            EXAMPLE,
            "--from",
            "a@samen-veilig.nl",
            "--to",
            "b@bjzutrecht.nl",
            "--json",
        ]
        via_m = subprocess.run(
            [sys.executable, "-m", "milter", *args], capture_output=True, text=True, check=True
        )
        script = Path(sys.executable).with_name("postwarden")
        via_script = subprocess.run(
            [str(script), *args], capture_output=True, text=True, check=True
        )
        assert via_m.stdout == via_script.stdout and json.loads(via_m.stdout)["action"] == "reject"
