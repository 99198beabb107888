"""`postwarden init` without Postfix or DNS: what it refuses, and how it reads postconf's lists."""

from __future__ import annotations

from pathlib import Path

import pytest

from milter.cli.init import PostfixView, postfix_domains
from milter.cli.main import main


class TestRefusals:
    def test_without_postconf_exits_2_and_says_so(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """No postconf on PATH: exit 2, nothing on stdout, the reason and --domain on stderr."""
        monkeypatch.setenv("PATH", str(tmp_path))
        code = main(["init", "--offline"])
        out, err = capsys.readouterr()
        assert code == 2 and out == ""
        assert "postconf not found" in err and "--domain" in err

    def test_existing_output_is_kept_without_force(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--output naming an existing file: exit 2 before anything is asked; file unchanged."""
        out = tmp_path / "policy.yaml"
        out.write_text("the officer's own policy\n")
        code = main(["init", "--offline", "--output", str(out)])
        assert code == 2 and "--force" in capsys.readouterr().err
        assert out.read_text() == "the officer's own policy\n"


class TestPostconfLists:
    def test_tables_that_cannot_be_listed_are_noted_not_read(self) -> None:
        """Plain names pass through with their parameter; a mysql: table is noted for the
        officer (with --domain as the way to add its domains), never queried."""
        view = PostfixView(
            {
                "mydestination": ["jz-noord.nl", "localhost"],
                "virtual_alias_domains": ["mysql:/etc/postfix/mysql-domains.cf"],
                "virtual_mailbox_domains": [],
                "relay_domains": ["jz-oud.nl"],
            },
            "mail.jz-noord.nl",
            "jz-noord.nl",
        )
        found, notes = postfix_domains(view, None)
        assert found == [
            ("jz-noord.nl", "mydestination"),
            ("localhost", "mydestination"),
            ("jz-oud.nl", "relay_domains"),
        ]
        assert len(notes) == 1 and "mysql:" in notes[0] and "--domain" in notes[0]
