"""``postwarden quarantine …`` and ``postwarden report …``: the security officer's commands.

  quarantine list [--json]              held messages: id, age, sender, recipients, rules
  quarantine show ID [--raw]            Postwarden's headers and the decision from the audit
                                        trail (findings masked); the message only with --raw
  quarantine release ID --reason TEXT   release (postsuper -H), four-eyes if the policy says
  quarantine delete ID --reason TEXT    delete from the hold queue
  report retired-senders [--since DAYS] [--json]
                                        who still mails retired or drifted domains

Exit codes: 0 done, 1 the action could not be carried out (unknown id, not on hold, not
root...), 2 usage or policy errors.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from milter.officer.holdqueue import HoldQueue, QuarantineError, format_table, require_root

DEFAULT_POLICY = "/etc/postwarden/policy.yaml"
DEFAULT_AUDIT = "/var/log/postwarden/audit.jsonl"
DEFAULT_OFFICER_LOG = "/var/log/postwarden/officer.jsonl"


def add_parsers(sub: Any) -> None:
    q = sub.add_parser("quarantine", help="review and release quarantined mail (root)")
    q.add_argument("--postfix-config", metavar="DIR", help="Postfix config dir (postfix -c)")
    q.add_argument(
        "--audit-log",
        default=DEFAULT_AUDIT,
        metavar="FILE",
        help=f"the milter's audit trail (default {DEFAULT_AUDIT})",
    )
    q.add_argument(
        "--officer-log",
        default=DEFAULT_OFFICER_LOG,
        metavar="FILE",
        help=f"where officer actions are recorded (default {DEFAULT_OFFICER_LOG})",
    )
    q.add_argument(
        "--policy",
        default=DEFAULT_POLICY,
        metavar="FILE",
        help=f"policy (for release_requires; default {DEFAULT_POLICY})",
    )
    qs = q.add_subparsers(dest="quarantine_command", required=True, metavar="COMMAND")
    ql = qs.add_parser("list", help="messages on hold")
    ql.add_argument("--json", action="store_true")
    qw = qs.add_parser("show", help="one held message")
    qw.add_argument("queue_id", metavar="ID")
    qw.add_argument("--raw", action="store_true", help="print the whole message (content!)")
    for name, what in (("release", "release to its recipients"), ("delete", "delete")):
        qa = qs.add_parser(name, help=what)
        qa.add_argument("queue_id", metavar="ID")
        qa.add_argument(
            "--reason",
            required=True,
            metavar="TEXT",
            help="why (recorded in the officer audit trail)",
        )

    r = sub.add_parser("report", help="reports from the audit trail")
    rs = r.add_subparsers(dest="report_command", required=True, metavar="REPORT")
    rr = rs.add_parser(
        "retired-senders", help="internal senders still addressing retired or drifted domains"
    )
    rr.add_argument(
        "--audit-log",
        action="append",
        default=[],
        metavar="FILE",
        help=f"audit files, rotated ones too (default {DEFAULT_AUDIT})",
    )
    rr.add_argument("--since", type=int, default=30, metavar="DAYS")
    rr.add_argument("--json", action="store_true")


def _decisions_for(audit_log: str, queue_id: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    try:
        with open(audit_log, encoding="utf-8") as fh:
            for line in fh:
                if queue_id in line:
                    record = json.loads(line)
                    if record.get("queue_id") == queue_id and record.get("kind") == "message":
                        out.append(record)
    except FileNotFoundError:
        pass
    return out


def run_quarantine(args: argparse.Namespace) -> int:
    queue = HoldQueue(args.postfix_config)
    try:
        require_root()  # before anything else: Postfix's tools and the officer trail need it
        if args.quarantine_command == "list":
            held = queue.list()
            if args.json:
                print(
                    json.dumps(
                        [
                            {
                                "queue_id": m.queue_id,
                                "age_seconds": m.age_seconds(),
                                "sender": m.sender,
                                "recipients": list(m.recipients),
                                "rules": list(m.rules),
                                "reasons": list(m.reasons),
                            }
                            for m in held
                        ]
                    )
                )
            else:
                print(format_table(held))
            return 0
        if args.quarantine_command == "show":
            if args.raw:
                sys.stdout.buffer.write(queue.raw(args.queue_id))
                return 0
            m = queue.get(args.queue_id)
            print(f"queue id:   {m.queue_id} (on hold {m.age_seconds() // 60} minutes)")
            print(f"sender:     {m.sender or '<>'}")
            print(f"recipients: {', '.join(m.recipients)}")
            for name, value in m.postwarden:
                print(f"{name}: {value}")
            for record in _decisions_for(args.audit_log, m.queue_id):
                print(
                    f"decision:   {record.get('action')} rule {record.get('rule')}: "
                    f"{record.get('reason')}"
                )
                for f in record.get("findings") or []:
                    print(
                        f"  found {f.get('detector')} x{f.get('count')} "
                        f"({f.get('confidence')}) e.g. {', '.join(f.get('samples') or [])}"
                    )
            return 0
        from milter.officer.desk import OfficerDesk
        from milter.policy import load_policy

        policy = load_policy(args.policy)
        desk = OfficerDesk(queue, args.officer_log, policy.release_requires)
        action = desk.release if args.quarantine_command == "release" else desk.delete
        outcome = action(args.queue_id, args.reason)
        print(outcome.message)
        return 0
    except QuarantineError as exc:
        print(f"postwarden quarantine: {exc}", file=sys.stderr)
        return 1


def run_report(args: argparse.Namespace) -> int:
    from milter.officer.report import retired_senders, retired_senders_table

    rows = retired_senders(
        args.audit_log or [DEFAULT_AUDIT], since_days=args.since, now=time.time()
    )
    print(json.dumps(rows) if args.json else retired_senders_table(rows, args.since))
    return 0
