"""Addresses Postfix rewrites after the milter has decided: aliases into a retired domain.

A milter sees the recipients as the client (or sendmail) gave them. Postfix expands
virtual_alias_maps (and canonical maps, aliases, .forward) afterwards, in cleanup and local
delivery, so an old alias such as ``oudteam@... -> someone@bjzutrecht.nl`` — exactly what the
incident's old address books and forwarding rules look like — delivers to the retired domain
whatever Postwarden decided. Only a check on the final recipient can stop it: the queue
manager's transport table generated from the policy (deploy/postfix/master.cf,
``postwarden policy postfix-map``) bounces it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.postfix import PostfixInstance, smtp_send
from tests.reliability.conversations import SENDER, is_retired
from tests.reliability.inprocess import POLICY, ROOT
from tests.reliability.lab import Lab

pytestmark = pytest.mark.e2e

ALIAS = "oudteam@partner.example"


class TestAliasIntoRetiredDomain:
    @pytest.mark.parametrize("chroot", [False, True], ids=["no-chroot", "chroot-as-shipped"])
    def test_alias_pointing_into_a_retired_domain_is_not_delivered(
        self, lab: Lab, tmp_path: Path, chroot: bool
    ) -> None:
        """SMTP and sendmail to an alias of b@bjzutrecht.nl: nothing reaches bjzutrecht.nl;
        also with postwarden-rewrite chrooted as deploy/postfix/master.cf ships it."""
        aliases = tmp_path / "virtual"
        aliases.write_text(f"{ALIAS} b@bjzutrecht.nl\n")
        postfix = lab.postfix(lab.milter(), chroot=chroot, virtual_alias_maps=f"texthash:{aliases}")
        lab.sink.clear()
        smtp_send(postfix.smtp_port, SENDER, [ALIAS], "Subject: alias smtp\n\nhallo\n")
        postfix.sendmail(SENDER, [ALIAS], "Subject: alias local\n\nhallo\n")
        deadline = time.monotonic() + 20
        while postfix.postqueue_json() or len(lab.sink.messages) < 2:
            if time.monotonic() > deadline:
                break
            time.sleep(0.2)
        delivered = [r for m in lab.sink.messages for r in m.rcpt_tos]
        assert [r for r in delivered if is_retired(r)] == []
        bounced = postfix.wait_log(
            r"to=<b@bjzutrecht\.nl>, orig_to=<oudteam@.*status=bounced", count=2
        )
        assert all("postwarden rule retired_domain" in line for line in bounced)
        if chroot:  # the table was read by a trivial-rewrite jailed in the queue directory
            assert rewrite_roots(postfix) == {str(postfix.queue_dir.resolve())}


def rewrite_roots(postfix: PostfixInstance) -> set[str]:
    """The root directories of the instance's running postwarden-rewrite processes."""
    roots = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            if b"postwarden-rewrite" in cmdline and str(postfix.config_dir).encode() in b" ".join(
                Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            ):
                roots.add(os.readlink(f"/proc/{pid}/root"))
        except OSError:
            continue
    return roots


def install_table(policy: Path, table: Path) -> None:
    """What systemd/postwarden-transport.service runs before `postfix reload`."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "milter",
            "policy",
            "postfix-map",
            str(policy),
            "--install",
            str(table),
        ],
        check=True,
        capture_output=True,
        cwd=ROOT,
        timeout=60,
    )


class TestTableRegeneration:
    def test_domain_retired_later_bounces_after_install_and_reload(
        self, lab: Lab, tmp_path: Path
    ) -> None:
        """A domain the policy retires while Postfix runs: after `postfix-map --install` and
        `postfix reload` (postwarden-transport.service), an alias into it bounces."""
        etc = tmp_path / "etc"
        etc.mkdir()
        table = etc / "postwarden_transport"
        install_table(POLICY, table)
        aliases = tmp_path / "virtual"
        aliases.write_text(f"{ALIAS} c@oud-partner.example\n")
        postfix = lab.postfix(lab.milter(), etc=etc, virtual_alias_maps=f"texthash:{aliases}")
        lab.sink.clear()
        smtp_send(postfix.smtp_port, SENDER, [ALIAS], "Subject: before\n\nhallo\n")
        postfix.wait_log(r"to=<c@oud-partner\.example>, orig_to=<oudteam@.*status=sent")

        retired = tmp_path / "policy.yaml"
        retired.write_text(
            POLICY.read_text().replace(
                "retired_domains:\n",
                "retired_domains:\n"
                "  - domain: oud-partner.example\n"
                "    retired_since: 2026-11-01\n"
                "    owner: FG\n"
                "    reply: {nl: Dit adres bestaat niet meer., en: This address is retired.}\n",
                1,
            )
        )
        install_table(retired, table)
        postfix.reload()
        smtp_send(postfix.smtp_port, SENDER, [ALIAS], "Subject: after\n\nhallo\n")
        (bounced,) = postfix.wait_log(
            r"to=<c@oud-partner\.example>, orig_to=<oudteam@.*status=bounced"
        )
        assert "postwarden rule retired_domain" in bounced
        subjects = [
            m.header("Subject") for m in lab.sink.messages if "c@oud-partner.example" in m.rcpt_tos
        ]
        assert subjects == ["before"]
