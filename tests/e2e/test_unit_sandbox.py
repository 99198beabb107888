"""The shipped root units do their job with exactly the capabilities they keep: their commands run
against a real Postfix under setpriv with the unit's CapabilityBoundingSet and no new
privileges, in a network namespace with only loopback where the unit has PrivateNetwork=.

systemd itself is not running on the test machines, so this is the part of a unit's sandbox
that can be reproduced: a capability a command needs and the unit drops fails here. The
quarantine service's own run is in test_quarantine_service.py.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys

from tests.e2e.postfix import PostfixFactory
from tests.e2e.stack import POLICY, ROOT

UNITS = ROOT / "systemd"


def directives(unit: str, key: str) -> list[str]:
    return re.findall(rf"^{key}=(.*)$", (UNITS / unit).read_text(), flags=re.M)


def sandboxed(unit: str, script: str) -> list[str]:
    """argv running shell ``script`` as root with ``unit``'s capability bounding set and
    NoNewPrivileges=, in a private network namespace if the unit has PrivateNetwork=yes."""
    (caps,) = directives(unit, "CapabilityBoundingSet")
    assert directives(unit, "NoNewPrivileges") == ["yes"]
    bounding = ",".join(["-all", *(f"+{c.removeprefix('CAP_').lower()}" for c in caps.split())])
    argv = ["setpriv", "--no-new-privs", "--inh-caps=-all", f"--bounding-set={bounding}",
            "--", "sh", "-c", script]  # fmt: skip
    if directives(unit, "PrivateNetwork") == ["yes"]:
        argv = ["unshare", "--net", "--", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", *argv]
    return argv


class TestTransportUnit:
    def test_installs_the_table_and_reloads_postfix_with_its_capabilities(
        self, postfix_factory: PostfixFactory
    ) -> None:
        """postwarden-transport.service's two commands succeed inside its sandbox: the table is
        written and Postfix's master re-reads its configuration."""
        pf = postfix_factory("", "")
        table = pf.config_dir / "postwarden_transport"
        (post,) = directives("postwarden-transport.service", "ExecStartPost")
        # The unit's commands (tests/unit/deploy/test_systemd.py checks ExecStart's), pointed
        # at this instance and this checkout.
        install = [sys.executable, "-m", "milter", "policy", "postfix-map", str(POLICY),
                   "--install", str(table)]  # fmt: skip
        assert shlex.split(post) == ["/usr/sbin/postfix", "reload"]
        reload = ["/usr/sbin/postfix", "-c", str(pf.config_dir), "reload"]
        before = pf.log_text().count("reload -- version")
        script = f"{shlex.join(install)} && {shlex.join(reload)}"
        proc = subprocess.run(
            sandboxed("postwarden-transport.service", script),
            cwd=ROOT, env=pf.env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "bjzutrecht.nl" in table.read_text()
        pf.wait_log(r"reload -- version", count=before + 1)
