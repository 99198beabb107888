"""history.importer -- seed the contact history from audit trails and Postfix mail logs.

``postwarden history import`` runs this once at introduction (and may run again: recording is
idempotent), so that day one is not "first contact" for every partner.

- An audit trail (``milter.audit``, plain or .gz): every ``message`` record whose action is
  ``accept`` gives its accepted recipients, with the record's ``client_data`` flag. Refused,
  held and tempfailed messages never went: no contact.
- A Postfix mail log (plain or .gz): every delivery line ``to=<user@domain>, ...
  status=sent`` gives a contact without client data (a log says nothing about content).

Only external recipients are kept (as ``milter.history.store`` keeps them: keyed hashes of the
domain and the address). Lines that are not JSON, not a delivery, or carry an address that
does not parse are counted and skipped; the report names files and counts, never an address.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from milter.core.address import Address, parse_address
from milter.history.store import contact_hash, external_names, load_key, open_store
from milter.policy.model import Policy

MAX_LINE = 1 << 20
_DELIVERY = re.compile(r"(?:^|[\s:,])to=<(?P<address>[^<>\s]*)>,.*?\bstatus=sent\b")
_BATCH = 5000


@dataclass
class ImportCounts:
    """What an import read and kept: lines read, contacts found (messages or deliveries),
    names written (domains + addresses, once per contact) and lines skipped."""

    lines: int = 0
    contacts: int = 0
    with_client_data: int = 0
    skipped: int = 0
    written: int = 0

    def summary(self, what: str) -> str:
        return (
            f"{what}: {self.lines} lines, {self.contacts} deliveries to external recipients "
            f"({self.with_client_data} with client data), {self.skipped} lines skipped"
        )


def _lines(path: str) -> Iterator[str]:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
        yield from fh


def audit_contacts(lines: Iterable[str], counts: ImportCounts) -> Iterator[tuple[Address, bool]]:
    """(recipient, client data) of every accepted message in audit trail lines."""
    for line in lines:
        counts.lines += 1
        try:
            record = json.loads(line[:MAX_LINE])
        except ValueError:
            counts.skipped += 1
            continue
        if not isinstance(record, dict) or record.get("kind") != "message":
            continue
        if record.get("action") != "accept":
            continue
        client_data = record.get("client_data") is True
        for rcpt in record.get("recipients") or ():
            if not isinstance(rcpt, dict) or rcpt.get("action") != "accept":
                continue
            address = parse_address(str(rcpt.get("address", "")))
            if isinstance(address, Address):
                yield address, client_data


def mail_log_contacts(lines: Iterable[str], counts: ImportCounts) -> Iterator[tuple[Address, bool]]:
    """(recipient, False) of every status=sent delivery line of a Postfix log."""
    for line in lines:
        counts.lines += 1
        match = _DELIVERY.search(line[:4096])
        if match is None:
            continue
        address = parse_address(match.group("address"))
        if isinstance(address, Address):
            yield address, False
        else:
            counts.skipped += 1


def import_contacts(
    policy: Policy,
    contacts: Iterable[tuple[Address, bool]],
    counts: ImportCounts,
    day: dt.date,
) -> None:
    """Write the external contacts to the policy's history store, in batches."""
    settings = policy.history
    if settings is None:
        raise ValueError("the policy has no history section")
    key = load_key(settings.key_file)
    store = open_store(settings)
    try:
        batch: dict[str, bool] = {}
        for address, client_data in contacts:
            names = external_names(policy, [address])
            if not names:
                continue
            counts.contacts += 1
            counts.with_client_data += client_data
            for scope, name in names:
                h = contact_hash(key, scope, name)
                batch[h] = batch.get(h, False) or client_data
            if len(batch) >= _BATCH:
                counts.written += store.record(batch.items(), day)
                batch = {}
        counts.written += store.record(batch.items(), day)
    finally:
        store.close()


def run_import(
    policy: Policy, audit_logs: Iterable[str], mail_logs: Iterable[str], day: dt.date
) -> list[str]:
    """Import every file; one summary line per file (files and counts only)."""
    report = []
    for path in audit_logs:
        counts = ImportCounts()
        import_contacts(policy, audit_contacts(_lines(path), counts), counts, day)
        report.append(counts.summary(f"audit {path}"))
    for path in mail_logs:
        counts = ImportCounts()
        import_contacts(policy, mail_log_contacts(_lines(path), counts), counts, day)
        report.append(counts.summary(f"mail log {path}"))
    return report
