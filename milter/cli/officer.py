"""``postwarden quarantine …`` and ``postwarden report …``: the security officer's commands.

  quarantine list [--json]              held messages: id, age, sender, recipients, rules,
                                        expiry and pending requests
  quarantine show ID [--raw]            Postwarden's headers and the decision from the audit
                                        trail (findings masked); the message only with --raw
  quarantine request ID --reason TEXT [--sender ADDR]
                                        record the sender's request for release
  quarantine withdraw ID --reason TEXT [--sender ADDR]
                                        the sender takes the message back (deleted)
  quarantine release ID --reason TEXT [--request REQ]
                                        release (postsuper -H), four-eyes if the policy says;
                                        grants the pending request
  quarantine delete ID --reason TEXT    delete from the hold queue
  quarantine expire                     delete (or return) what is held past retention_days
  quarantine release-due                release delayed mail whose undo window has passed
  quarantine digest [--json] [--send]   what is held, requests, what expires next
  report retired-senders [--since DAYS] [--json]
                                        who still mails retired or drifted domains

After release, deletion, withdrawal and expiry the sender is told (when the policy has a
quarantine_notices section). Exit codes: 0 done, 1 the action could not be carried out
(unknown id, not on hold, not root...), 2 usage or policy errors.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

from milter.officer.holdqueue import HoldQueue, QuarantineError, require_root

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
    steps = (
        ("release", "release to its recipients (grants a pending request)"),
        ("delete", "delete"),
        ("request", "record the sender's request for release"),
        ("withdraw", "the sender withdraws the message: it is deleted"),
    )
    for name, what in steps:
        qa = qs.add_parser(name, help=what)
        qa.add_argument("queue_id", metavar="ID")
        qa.add_argument(
            "--reason",
            required=True,
            metavar="TEXT",
            help="why (recorded in the officer audit trail)",
        )
        if name == "release":
            qa.add_argument(
                "--request", metavar="REQ", help="the pending request this grants (req-...)"
            )
        if name in ("request", "withdraw"):
            qa.add_argument(
                "--sender",
                metavar="ADDR",
                help="the message's sender, who asks (checked against the message)",
            )
    qs.add_parser("expire", help="delete or return held mail older than retention_days")
    qs.add_parser("release-due", help="release delayed mail whose undo window has passed (timer)")
    qd = qs.add_parser("digest", help="overview for the officers: held, requests, expiry")
    qd.add_argument("--json", action="store_true")
    qd.add_argument(
        "--send", action="store_true", help="mail it to quarantine_notices' officers address"
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


def _print_show(result: dict[str, Any], audit_log: str) -> None:
    m = result["message"]
    print(f"queue id:   {m['queue_id']} (on hold {m['age_seconds'] // 60} minutes)")
    print(f"sender:     {m['sender'] or '<>'}")
    print(f"recipients: {', '.join(m['recipients'])}")
    for name, value in result["headers"]:
        print(f"{name}: {value}")
    if m["expires_at"] is not None:
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(m["expires_at"]))
        print(f"expires:    {when} (quarantine.retention_days)")
    if m["request"]:
        r = m["request"]
        print(f"request:    {r['id']} by {r['sender']}: {r['reason']}")
    if m["approval"]:
        print(f"approved:   by {m['approval']['officer']}; a second officer must confirm")
    for record in _decisions_for(audit_log, m["queue_id"]):
        print(
            f"decision:   {record.get('action')} rule {record.get('rule')}: {record.get('reason')}"
        )
        for f in record.get("findings") or []:
            print(
                f"  found {f.get('detector')} x{f.get('count')} "
                f"({f.get('confidence')}) e.g. {', '.join(f.get('samples') or [])}"
            )


def _params(args: argparse.Namespace) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for name, key in (
        ("queue_id", "queue_id"),
        ("reason", "reason"),
        ("request", "request_id"),
        ("sender", "sender"),
        ("send", "send"),
    ):
        value = getattr(args, name, None)
        if value is not None and value is not False:
            params[key] = value
    return params


def run_quarantine(args: argparse.Namespace) -> int:
    from milter.policy import PolicyError

    op = args.quarantine_command.replace("-", "_")
    try:
        require_root()  # before anything else: Postfix's tools and the officer trail need it
        queue = HoldQueue(args.postfix_config)
        if op == "show" and args.raw:
            sys.stdout.buffer.write(queue.raw(args.queue_id))
            return 0
        from milter.officer.ops import open_desk, quarantine_call

        desk = open_desk(args.policy, args.officer_log, args.postfix_config)
        result = quarantine_call(desk, op, _params(args))
    except QuarantineError as exc:
        print(f"postwarden quarantine: {exc}", file=sys.stderr)
        return 1
    except PolicyError as exc:
        print(
            f"postwarden quarantine: the policy {args.policy} is not usable:\n{exc}",
            file=sys.stderr,
        )
        return 2
    if op == "list":
        rows = result["messages"]
        print(json.dumps(rows) if args.json else format_rows(rows))
    elif op == "show":
        _print_show(result, args.audit_log)
    elif op == "expire":
        for outcome in result["outcomes"]:
            print(outcome["message"] + _notice_note(outcome))
        if not result["outcomes"]:
            print("nothing held past the retention time")
    elif op == "release_due":
        for outcome in result["outcomes"]:
            print(outcome["message"])
    elif op == "digest":
        print(
            json.dumps(result["digest"]) if args.json else result["text"],
            end="" if not args.json else "\n",
        )
        if result["sent_to"]:
            print(f"sent to {result['sent_to']}", file=sys.stderr)
    else:
        print(result["message"] + _notice_note(result))
    return 0


def _notice_note(outcome: dict[str, Any]) -> str:
    if outcome.get("notice") == "sent":
        return "; the sender was told"
    if outcome.get("notice") == "failed":
        return "; the notice to the sender could NOT be sent (see the relay)"
    return ""


def format_rows(rows: list[dict[str, Any]]) -> str:
    """A table for `postwarden quarantine list`."""
    if not rows:
        return "the hold queue is empty"
    table = [("QUEUE ID", "AGE", "SENDER", "RECIPIENTS", "RULES", "REQUEST")]
    for m in rows:
        age = m["age_seconds"]
        table.append(
            (
                m["queue_id"],
                f"{age // 3600}h{age % 3600 // 60:02d}m",
                m["sender"] or "<>",
                ", ".join(m["recipients"]),
                ", ".join(m["rules"]) or "(not quarantined by postwarden)",
                m["request"]["id"] if m["request"] else "-",
            )
        )
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    return "\n".join(
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in table
    )


def run_report(args: argparse.Namespace) -> int:
    from milter.officer.report import retired_senders, retired_senders_table

    paths = args.audit_log or [DEFAULT_AUDIT]
    if not any(os.path.exists(p) for p in paths):  # rotated files may be missing; all is wrong
        from milter.core.paths import path_error

        missing = FileNotFoundError(2, "No such file or directory", paths[0])
        print(
            "postwarden report: " + path_error(missing, paths[0], "the audit trail", "--audit-log"),
            file=sys.stderr,
        )
        return 1
    rows = retired_senders(paths, since_days=args.since, now=time.time())
    print(json.dumps(rows) if args.json else retired_senders_table(rows, args.since))
    return 0
