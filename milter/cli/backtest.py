"""``postwarden backtest``: what a policy would do to an archive, before it is enforced.

  postwarden backtest --policy FILE [--from ADDR] [--to ADDR]... [--local] [--jobs N]
                      [--samples N] [--top N] [--json] [--html REPORT.html] SOURCE...

SOURCE is an mbox, a Maildir, a directory of .eml files (searched recursively) or a Postfix
queue directory (a copy of ``hold/``, say); one .eml file also works.  The report goes to
standard output (text, or the ``--json`` document); ``--html`` also writes the officer's
report.  A progress line goes to standard error when it is a terminal.

Exit codes: 0 the run completed (whatever it found; unreadable messages are listed in the
report), 2 usage, policy or source errors, or a run that could not complete.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from typing import Any

from milter.policy import load_policy


def _count(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 1000:
        raise argparse.ArgumentTypeError(f"expected a number from 1 to 1000, got {text!r}")
    return int(text)


def add_parser(sub: Any) -> None:
    b = sub.add_parser(
        "backtest", help="what the policy would do to an archive of mail (mbox, Maildir, ...)"
    )
    b.add_argument("--policy", required=True, metavar="FILE")
    b.add_argument(
        "--from",
        dest="sender",
        metavar="ADDR",
        help="envelope sender for every message (default: From header; queue: its envelope)",
    )
    b.add_argument(
        "--to",
        dest="recipients",
        action="append",
        default=[],
        metavar="ADDR",
        help="envelope recipient for every message; repeat for several (default: To/Cc/Bcc)",
    )
    b.add_argument(
        "--local", action="store_true", help="decide as for local submissions (sendmail)"
    )
    b.add_argument(
        "--jobs",
        type=_count,
        default=max(1, os.cpu_count() or 1),
        metavar="N",
        help="worker processes (default: one per CPU core)",
    )
    b.add_argument("--samples", type=_count, default=5, metavar="N", help="samples per rule")
    b.add_argument("--top", type=_count, default=10, metavar="N", help="length of top lists")
    b.add_argument("--json", action="store_true", help="print the JSON document")
    b.add_argument("--html", metavar="REPORT.html", help="also write the HTML report here")
    b.add_argument("sources", nargs="+", metavar="SOURCE")


def run_backtest(args: argparse.Namespace) -> int:
    # Imported here: the scanner and its format libraries are not every command's business.
    from milter.backtest.judge import Settings
    from milter.backtest.report import as_html, as_text
    from milter.backtest.run import BacktestError, Progress, backtest
    from milter.backtest.sources import SourceError

    policy = load_policy(args.policy)
    settings = Settings(
        os.path.abspath(args.policy),
        policy.sha256,
        dt.datetime.now(dt.UTC),
        sender=args.sender,
        recipients=tuple(args.recipients),
        local=args.local,
    )
    try:
        tally = backtest(
            args.sources, settings, policy, args.jobs, args.samples, args.top, Progress()
        )
    except (SourceError, BacktestError) as exc:
        print(f"postwarden backtest: {exc}", file=sys.stderr)
        return 2
    doc = tally.to_json()
    if args.html:
        with open(args.html, "w", encoding="utf-8") as fh:
            fh.write(as_html(doc))
    print(json.dumps(doc, ensure_ascii=False, indent=1) if args.json else as_text(doc))
    return 0
