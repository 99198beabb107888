"""``postwarden quarantine …`` and ``postwarden report …``: the security officer's commands.

  quarantine list [--json]              held messages: id, age, sender, recipients, rules
  quarantine show ID [--raw]            Postwarden's headers and the decision from the audit
                                        trail (findings masked); the message only with --raw
  quarantine release ID --reason TEXT   release (postsuper -H), four-eyes if the policy says
  quarantine delete ID --reason TEXT    delete from the hold queue
  report retired-senders [--since DAYS] [--json]
                                        who still mails retired or drifted domains

root acts directly; everyone else (and root with --socket PATH) goes through the privileged
quarantine service (milter.officer.service), which names the officer by the connecting uid.
Both paths check a request the same way: a queue id, a reason of 1-300 characters.

Exit codes: 0 done, 1 the action could not be carried out (unknown id, not on hold, refused
by the quarantine service...), 2 usage or policy errors.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any, Protocol

from milter.officer.holdqueue import HeldMessage, HoldQueue, QuarantineError, format_table, officer

DEFAULT_POLICY = "/etc/postwarden/policy.yaml"
DEFAULT_AUDIT = "/var/log/postwarden/audit.jsonl"
DEFAULT_OFFICER_LOG = "/var/log/postwarden/officer.jsonl"


def add_parsers(sub: Any) -> None:
    q = sub.add_parser(
        "quarantine",
        help="review and release quarantined mail (root, or an officer through the service)",
    )
    q.add_argument(
        "--socket",
        metavar="PATH",
        help="the quarantine service's socket; used by default by everyone but root "
        "(default /run/postwarden-quarantine.sock)",
    )
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


class _Direct:
    """As root: the officer desk itself, through the same checks as the quarantine service."""

    def __init__(self, args: argparse.Namespace) -> None:
        from milter.officer.service import DeskConfig

        self.config = DeskConfig(args.officer_log, args.policy, args.audit_log, args.postfix_config)

    def call(self, op: str, **call_args: Any) -> dict[str, Any]:
        from milter.officer.service import perform

        response = perform(self.config, {"op": op, **call_args}, officer())
        if not response["ok"]:
            raise QuarantineError(response["error"])
        result: dict[str, Any] = response["result"]
        return result


class Backend(Protocol):
    def call(self, op: str, **call_args: Any) -> dict[str, Any]: ...


def _backend(args: argparse.Namespace) -> Backend:
    """root acts directly (as before the service existed) unless --socket names the service;
    everyone else goes through the quarantine service."""
    if args.socket is None and os.geteuid() == 0:
        return _Direct(args)
    from milter.officer.client import QuarantineClient
    from milter.officer.service import DEFAULT_SOCKET

    return QuarantineClient(args.socket or DEFAULT_SOCKET)


# Every argument a quarantine subcommand may pass on: its argparse dest is the request key.
_REQUEST_KEYS = ("queue_id", "reason", "request_id", "sender")


def _print_show(m: dict[str, Any]) -> None:
    print(f"queue id:   {m['queue_id']} (on hold {m['age_seconds'] // 60} minutes)")
    print(f"sender:     {m['sender'] or '<>'}")
    print(f"recipients: {', '.join(m['recipients'])}")
    for name, value in m["headers"]:
        print(f"{name}: {value}")
    for record in m["decisions"]:
        print(
            f"decision:   {record.get('action')} rule {record.get('rule')}: {record.get('reason')}"
        )
        for f in record.get("findings") or []:
            print(
                f"  found {f.get('detector')} x{f.get('count')} "
                f"({f.get('confidence')}) e.g. {', '.join(f.get('samples') or [])}"
            )


def _held(row: dict[str, Any]) -> HeldMessage:
    return HeldMessage(
        queue_id=row["queue_id"],
        arrival_time=row["arrival_time"],
        size=row["size"],
        sender=row["sender"],
        recipients=tuple(row["recipients"]),
        postwarden=tuple((name, value) for name, value in row["headers"]),
    )


def run_quarantine(args: argparse.Namespace) -> int:
    command = args.quarantine_command
    try:
        if command == "show" and args.raw:
            if args.socket is not None or os.geteuid() != 0:
                raise QuarantineError(
                    "show --raw needs root: the quarantine service never hands out a "
                    "message's content"
                )
            sys.stdout.buffer.write(HoldQueue(args.postfix_config).raw(args.queue_id))
            return 0
        request = {k: getattr(args, k) for k in _REQUEST_KEYS if getattr(args, k, None) is not None}
        result = _backend(args).call(command, **request)
        if command == "list":
            held = result["held"]
            print(json.dumps(held) if args.json else format_table([_held(r) for r in held]))
        elif command == "show":
            _print_show(result)
        else:
            print(result.get("message") or json.dumps(result))
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
