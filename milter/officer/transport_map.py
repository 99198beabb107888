"""Postfix transport table for retired domains: the backstop after address rewriting.

Postwarden decides on the recipients a client or sendmail gives. Postfix rewrites some of
them afterwards, where no milter sees it: virtual_alias_maps and canonical maps in cleanup,
aliases and .forward files in local delivery, and a sendmail source route
(``@relay:user@domain``) that cleanup strips before the milter is asked, so delrcpt cannot
name it. An old alias ``team@partner.example -> someone@bjzutrecht.nl`` is exactly what the
incident's address books looked like.

``transport_table`` renders the policy's retired domains as a transport(5) table with the
``error`` transport, one entry for the domain and one for its subdomains. Postfix's queue
manager (and only it: deploy/postfix/master.cf gives qmgr a trivial-rewrite service of its
own) then bounces such a recipient with the same text, rule id and reason that Postwarden's
SMTP reply carries. smtpd keeps asking Postwarden at RCPT, so Postwarden stays the place
where decisions are made, counted and audited.

Refuses nothing: a loaded policy is valid. The table has no client data; it names domains
the policy already names.
"""

from __future__ import annotations

import os
import tempfile

from milter.core.engine import retired_refusal
from milter.core.verdict import smtp_safe
from milter.policy.model import Policy, RetiredDomain

HEADER = """\
# Postwarden: transport table for retired domains (transport(5), texthash).
# Generated from {source} by `postwarden policy postfix-map`; do not edit.
# Regenerate after every policy change and run `postfix reload`
# (systemd/postwarden-transport.path does both; deploy/postfix/master.cf: only the queue
# manager reads it).
# Catches recipients that Postfix rewrites into a retired domain after Postwarden decided
# (virtual aliases, canonical maps, .forward, sendmail source routes): they bounce.
"""


def _entry_text(retired: RetiredDomain) -> str:
    _, text = retired_refusal(retired.domain, retired, "; found after address rewriting")
    return smtp_safe(text)


def transport_table(policy: Policy, source: str) -> str:
    """The transport(5) lines for ``policy``'s retired domains, with a header naming
    ``source`` (the policy file)."""
    lines = [HEADER.format(source=source)]
    for retired in sorted(policy.retired_domains, key=lambda r: r.domain):
        nexthop = f"error:5.7.1 {_entry_text(retired)}"
        lines.append(f"{retired.domain} {nexthop}\n")
        lines.append(f".{retired.domain} {nexthop}\n")
    return "".join(lines)


def entries(table: str) -> list[str]:
    """The entries of a transport table, comments and blank lines left out."""
    return [line for line in table.splitlines() if line.strip() and not line.startswith("#")]


def install_table(path: str, table: str) -> bool:
    """Put ``table`` at ``path`` unless it is there already: written to a temp file in the same
    directory, fsync'ed, given mode 0644, renamed over ``path`` (Postfix never reads half a
    table), the directory fsync'ed. True when the file was replaced. Raises OSError, with
    ``path`` as it was."""
    try:
        with open(path, encoding="utf-8") as fh:
            if fh.read() == table:
                return False
    except FileNotFoundError:
        pass
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".postwarden_transport.", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(table)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return True
