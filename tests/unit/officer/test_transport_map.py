"""The Postfix transport table for retired domains (`postwarden policy postfix-map`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from milter.cli.main import main
from milter.core.address import parse_address
from milter.core.engine import Facts, decide_recipient
from milter.officer.transport_map import entries, transport_table
from milter.policy import load_policy

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "policies" / "example.yaml"
SHIPPED = ROOT / "deploy" / "postfix" / "postwarden_transport"


def table_of(text: str) -> dict[str, str]:
    return dict(line.split(" ", 1) for line in entries(text))


class TestTransportTable:
    def test_every_retired_domain_and_its_subdomains_bounce(self) -> None:
        """Each retired domain gets an entry for itself and one for its subdomains."""
        policy = load_policy(EXAMPLE)
        table = table_of(transport_table(policy, "example.yaml"))
        wanted = {r.domain for r in policy.retired_domains}
        assert set(table) == wanted | {f".{d}" for d in wanted}
        assert all(nexthop.startswith("error:5.7.1 ") for nexthop in table.values())

    def test_text_is_the_milters_reply_with_rule_and_reason(self) -> None:
        """The bounce text carries the same reply, rule id and reason as the SMTP refusal."""
        policy = load_policy(EXAMPLE)
        nexthop = table_of(transport_table(policy, "example.yaml"))["bjzutrecht.nl"]
        decision = decide_recipient(parse_address("b@bjzutrecht.nl"), "smtp", Facts(), policy)
        assert decision.reply is not None
        assert nexthop.startswith(f"error:5.7.1 {decision.reply.text[:-1]}")
        assert nexthop.endswith("; found after address rewriting)")

    def test_one_line_of_printable_ascii_per_entry(self) -> None:
        """No accents, tabs or line breaks reach Postfix's table parser."""
        text = transport_table(load_policy(EXAMPLE), "example.yaml")
        assert text.isascii()
        assert all(line.isprintable() for line in text.splitlines())

    def test_shipped_table_matches_the_example_policy(self) -> None:
        """deploy/postfix/postwarden_transport is what the example policy generates."""
        generated = transport_table(load_policy(EXAMPLE), "policies/example.yaml")
        assert SHIPPED.read_text() == generated


class TestCommand:
    def test_prints_the_table(self, capsys: pytest.CaptureFixture[str]) -> None:
        """`policy postfix-map FILE` prints the table and exits 0."""
        assert main(["policy", "postfix-map", str(EXAMPLE)]) == 0
        out, err = capsys.readouterr()
        assert err == "" and entries(out) == entries(SHIPPED.read_text())

    def test_check_accepts_an_up_to_date_table(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--check exits 0 silently when the installed table has the policy's entries."""
        assert main(["policy", "postfix-map", str(EXAMPLE), "--check", str(SHIPPED)]) == 0
        assert capsys.readouterr() == ("", "")

    def test_check_names_a_stale_table(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A table missing a retired domain exits 1 and says how to regenerate it."""
        stale = tmp_path / "postwarden_transport"
        stale.write_text("".join(f"{e}\n" for e in entries(SHIPPED.read_text())[2:]))
        assert main(["policy", "postfix-map", str(EXAMPLE), "--check", str(stale)]) == 1
        _, err = capsys.readouterr()
        assert f"{stale} is out of date" in err and "postfix reload" in err

    def test_check_of_a_missing_table_fails(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A table that is not there is an error with its name, not a crash."""
        missing = tmp_path / "nope"
        assert main(["policy", "postfix-map", str(EXAMPLE), "--check", str(missing)]) == 1
        assert str(missing) in capsys.readouterr().err

    def test_broken_policy_is_refused_with_position(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """No table is printed from a policy that does not load."""
        bad = tmp_path / "bad.yaml"
        bad.write_text(EXAMPLE.read_text().replace("retired_domains:", "retierd_domains:"))
        assert main(["policy", "postfix-map", str(bad)]) == 1
        out, err = capsys.readouterr()
        assert out == "" and f"{bad}:" in err


class TestInstall:
    def test_writes_a_missing_table(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--install creates the table (mode 0644) and says so with its entry count."""
        table = tmp_path / "postwarden_transport"
        assert main(["policy", "postfix-map", str(EXAMPLE), "--install", str(table)]) == 0
        assert entries(table.read_text()) == entries(SHIPPED.read_text())
        assert table.stat().st_mode & 0o777 == 0o644
        count = len(entries(SHIPPED.read_text()))
        assert capsys.readouterr().out == f"{table}: written ({count} entries)\n"

    def test_leaves_an_up_to_date_table_alone(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The same table is not rewritten: same inode and mtime."""
        table = tmp_path / "postwarden_transport"
        main(["policy", "postfix-map", str(EXAMPLE), "--install", str(table)])
        before = table.stat()
        capsys.readouterr()
        assert main(["policy", "postfix-map", str(EXAMPLE), "--install", str(table)]) == 0
        after = table.stat()
        assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
        assert "already up to date" in capsys.readouterr().out

    def test_replaces_a_stale_table_by_rename(self, tmp_path: Path) -> None:
        """A stale table is replaced whole (a new inode), no temp file is left behind, and
        --check then passes."""
        table = tmp_path / "postwarden_transport"
        table.write_text("old.example error:5.7.1 gone\n")
        before = table.stat().st_ino
        assert main(["policy", "postfix-map", str(EXAMPLE), "--install", str(table)]) == 0
        assert table.stat().st_ino != before
        assert [p.name for p in tmp_path.iterdir()] == ["postwarden_transport"]
        assert main(["policy", "postfix-map", str(EXAMPLE), "--check", str(table)]) == 0

    def test_broken_policy_keeps_the_installed_table(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A policy that does not load exits 1 with its position; the table is untouched."""
        table = tmp_path / "postwarden_transport"
        table.write_text(SHIPPED.read_text())
        bad = tmp_path / "bad.yaml"
        bad.write_text(EXAMPLE.read_text().replace("retired_domains:", "retierd_domains:"))
        assert main(["policy", "postfix-map", str(bad), "--install", str(table)]) == 1
        assert f"{bad}:" in capsys.readouterr().err
        assert table.read_text() == SHIPPED.read_text()

    def test_unwritable_place_is_an_error_and_changes_nothing(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A directory that does not exist: exit 1 naming the table, nothing written."""
        table = tmp_path / "missing-dir" / "postwarden_transport"
        assert main(["policy", "postfix-map", str(EXAMPLE), "--install", str(table)]) == 1
        err = capsys.readouterr().err
        assert str(table) in err and "unchanged" in err
        assert not table.parent.exists()

    def test_check_and_install_exclude_each_other(self, tmp_path: Path) -> None:
        """Both at once is a usage error (exit 2), not a guess."""
        table = str(tmp_path / "t")
        with pytest.raises(SystemExit) as info:
            main(["policy", "postfix-map", str(EXAMPLE), "--check", table, "--install", table])
        assert info.value.code == 2
