"""The ``postwarden`` command (also ``python -m milter``).

Subcommands:
  serve         run the milter for Postfix
  check         show the decision the milter would make for an envelope (and message)
  backtest      what the policy would do to an archive (mbox, Maildir, .eml files, queue)
  policy check  validate a policy file: exit 0 with a summary, or 1 with file:line:column errors
  policy postfix-map
                the Postfix transport table for the retired domains (the backstop after
                address rewriting); --check TABLE exits 1 when the installed one is stale;
                --install TABLE replaces it (atomically, only when it differs)
  init          draft a policy from this server's Postfix configuration, DNS and mail log
  quarantine-service
                the privileged quarantine service (root): officers' quarantine commands on a
                unix socket (milter.officer.service)
  history import
                seed the contact history (first contact) from audit trails and mail logs
  web           the web portal for officers and senders (milter.portal), behind a reverse
                proxy with single sign-on
  audit verify  check the audit trail's hash chain: exit 0 with 'ok: ...', or 1 with the first
                broken record as file:line: edited|deleted|reordered|inserted|truncated: ...

Exit codes: 0 success (``check`` exits 0 whatever the verdict), 1 a policy that failed
``policy check`` or an audit trail that failed ``audit verify``, 2 usage or policy errors
elsewhere.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
from collections.abc import Sequence

from milter import __version__
from milter.audit.verify import Checkpoint, verify
from milter.cli import backtest as backtest_cli
from milter.cli import gateway as gateway_cli
from milter.cli import init as init_cli
from milter.cli import officer as officer_cli
from milter.policy import PolicyError, lint, load_policy, summarise
from milter.policy.model import Policy
from milter.server.listeners import ListenSpec, ListenSpecError

DEFAULT_LISTEN = "inet:127.0.0.1:10027"
DEFAULT_LISTEN_LOCAL = "inet:127.0.0.1:10028"


def _listen_spec(text: str) -> str:
    try:
        ListenSpec.parse(text)
    except ListenSpecError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _workers(text: str) -> int:
    """--workers: a count from 1 to 64, or 'auto' (one per CPU core)."""
    if text == "auto":
        return max(1, os.cpu_count() or 1)
    if not text.isdigit() or not 1 <= int(text) <= 64:
        raise argparse.ArgumentTypeError(f"expected a number from 1 to 64 or 'auto', got {text!r}")
    return int(text)


def _host_port(text: str) -> str:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return text


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="postwarden",
        description="Outbound mail policy filter for Postfix (milter).",
    )
    p.add_argument("--version", action="version", version=f"postwarden {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("serve", help="run the milter for Postfix")
    s.add_argument("--policy", required=True, metavar="FILE")
    s.add_argument(
        "--listen",
        default=DEFAULT_LISTEN,
        type=_listen_spec,
        metavar="SOCKET",
        help=f"socket for smtpd_milters: inet:HOST:PORT or unix:PATH (default {DEFAULT_LISTEN})",
    )
    s.add_argument(
        "--listen-local",
        type=_listen_spec,
        metavar="SOCKET",
        help="socket for non_smtpd_milters (sendmail/pickup submissions)",
    )
    s.add_argument(
        "--metrics-listen",
        type=_host_port,
        metavar="HOST:PORT",
        help="serve Prometheus metrics here (e.g. 127.0.0.1:9797)",
    )
    s.add_argument(
        "--socket-group",
        metavar="GROUP",
        help="group of the unix sockets (mode 0660), e.g. postfix",
    )
    s.add_argument(
        "--nameserver",
        action="append",
        default=[],
        metavar="HOST[:PORT]",
        help="ask this nameserver instead of the policy's (repeat for several)",
    )
    s.add_argument(
        "--watch-interval",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="how often the domain watch re-checks DNS (with a dns section; default 300)",
    )
    s.add_argument(
        "--workers",
        type=_workers,
        default=1,
        metavar="N",
        help="worker processes sharing the listeners: a number, or 'auto' for one per CPU core"
        " (default 1: a single process)",
    )

    s.add_argument(
        "--audit-log",
        metavar="FILE",
        help="append the hash-chained audit trail here (mode 0640; reopened on SIGUSR1)",
    )
    s.add_argument(
        "--gateway-name",
        type=_gateway_name,
        metavar="NAME",
        help="this gateway's name in held notices' portal links (default: the host's short name)",
    )
    s.add_argument(
        "--officer-log",
        metavar="FILE",
        help="the officer trail whose steps /metrics counts (default: officer.jsonl beside "
        "--audit-log)",
    )

    c = sub.add_parser("check", help="show the decision for an envelope (and message)")
    c.add_argument("--policy", required=True, metavar="FILE")
    c.add_argument(
        "--from",
        dest="sender",
        required=True,
        metavar="ADDR",
        help="envelope sender ('' or '<>' for the null sender)",
    )
    c.add_argument(
        "--to",
        dest="recipients",
        required=True,
        action="append",
        metavar="ADDR",
        help="envelope recipient; repeat for several",
    )
    c.add_argument(
        "--local",
        action="store_true",
        help="decide as for a local submission (sendmail / non_smtpd_milters)",
    )
    c.add_argument("--json", action="store_true", help="print one JSON object")
    c.add_argument(
        "--offline",
        action="store_true",
        help="make no DNS lookups: DNS-based rules are reported as skipped",
    )
    c.add_argument(
        "--nameserver",
        action="append",
        default=[],
        metavar="HOST[:PORT]",
        help="ask this nameserver instead of the policy's (repeat for several)",
    )
    c.add_argument(
        "message",
        nargs="?",
        metavar="FILE.eml|-",
        help="the message (optional; '-' reads standard input)",
    )

    backtest_cli.add_parser(sub)
    officer_cli.add_parsers(sub)
    init_cli.add_parser(sub)
    gateway_cli.add_parser(sub)

    qs = sub.add_parser(
        "quarantine-service",
        help="the privileged quarantine service officers' commands use (root; systemd starts it)",
        description="Serve the quarantine operations (list, show, release, delete) on a unix "
        "socket to root and the officers' group, naming the officer by the connecting uid. "
        "Without --socket it takes the socket systemd passes (postwarden-quarantine.socket) "
        "and exits after --idle-exit seconds without a connection.",
    )
    qs.add_argument(
        "--socket",
        metavar="PATH",
        help="listen here (created 0660, group --group) instead of on systemd's socket",
    )
    qs.add_argument(
        "--group",
        default="postwarden-officers",
        metavar="NAME",
        help="the officers' group: its members (and root) are served (default %(default)s)",
    )
    qs.add_argument(
        "--delegate-user",
        action="append",
        default=[],
        metavar="NAME",
        help="a user (the portal, postwarden-portal) that may act for an officer or a sender "
        '(a request\'s "acting"); repeatable',
    )
    qs.add_argument("--policy", default=officer_cli.DEFAULT_POLICY, metavar="FILE")
    qs.add_argument("--officer-log", default=officer_cli.DEFAULT_OFFICER_LOG, metavar="FILE")
    qs.add_argument("--audit-log", default=officer_cli.DEFAULT_AUDIT, metavar="FILE")
    qs.add_argument("--postfix-config", metavar="DIR", help="Postfix config dir (postfix -c)")
    qs.add_argument(
        "--idle-exit",
        type=float,
        metavar="SECONDS",
        help="exit after this long without a connection (0: never; default 60 when "
        "socket-activated, never with --socket)",
    )

    web = sub.add_parser(
        "web",
        help="the web portal for officers and senders (behind a reverse proxy with single sign-on)",
        description="Serve the officers' and senders' web portal (milter.portal) as the "
        "configuration file says; it talks to each gateway's quarantine service.",
    )
    web.add_argument("--config", required=True, metavar="FILE", help="the portal's YAML file")

    dom = sub.add_parser("domains", help="domain ownership commands")
    dsub = dom.add_subparsers(dest="domains_command", required=True, metavar="COMMAND")
    da = dsub.add_parser(
        "audit", help="check every owned and retired domain in DNS (exit 1 on drift)"
    )
    da.add_argument("--policy", required=True, metavar="FILE")
    da.add_argument("--json", action="store_true", help="print one JSON list")
    da.add_argument(
        "--nameserver",
        action="append",
        default=[],
        metavar="HOST[:PORT]",
        help="ask this nameserver instead of the policy's (repeat for several)",
    )

    pol = sub.add_parser("policy", help="policy file commands")
    psub = pol.add_subparsers(dest="policy_command", required=True, metavar="COMMAND")
    pc = psub.add_parser(
        "check",
        help="validate a policy file",
        description="Check a policy file as the milter would load it: exit 0 with a summary "
        "(and warnings), or 1 with every problem as file:line:column. A policy is at most 1 MiB "
        "and its last line is '...' (the YAML end marker; only comments may follow), so a "
        "copy cut short is refused instead of loading without its last sections.",
    )
    pc.add_argument("file", metavar="FILE")
    pm = psub.add_parser(
        "postfix-map",
        help="print the Postfix transport table for the retired domains (deploy/postfix)",
    )
    pm.add_argument("file", metavar="FILE")
    how = pm.add_mutually_exclusive_group()
    how.add_argument(
        "--check",
        metavar="TABLE",
        help="print nothing; exit 1 if TABLE (the installed table) differs from the policy's",
    )
    how.add_argument(
        "--install",
        metavar="TABLE",
        help="write the table to TABLE (a temp file renamed over it) when it differs; then run "
        "'postfix reload' (systemd/postwarden-transport.service does both)",
    )

    hist = sub.add_parser("history", help="contact history commands (first contact)")
    hsub = hist.add_subparsers(dest="history_command", required=True, metavar="COMMAND")
    hi = hsub.add_parser(
        "import",
        help="seed the contact history from audit trails and Postfix mail logs",
        description="Record where the organisation's mail already went, so that day one is "
        "not first contact for every partner: accepted messages in audit trails (with their "
        "client_data flag) and status=sent deliveries in Postfix mail logs (without client "
        "data). Files may be gzip'ed. Writes to the policy's history store; prints counts "
        "only. Safe to run again.",
    )
    hi.add_argument("--policy", required=True, metavar="FILE")
    hi.add_argument("--audit-log", action="append", default=[], metavar="FILE")
    hi.add_argument("--mail-log", action="append", default=[], metavar="FILE")

    aud = sub.add_parser("audit", help="audit trail commands")
    asub = aud.add_subparsers(dest="audit_command", required=True, metavar="COMMAND")
    av = asub.add_parser("verify", help="check the hash chain of audit files (rotated ones too)")
    av.add_argument("files", nargs="+", metavar="FILE", help="audit files, in any order (.gz ok)")
    av.add_argument(
        "--expect-seq",
        type=int,
        action="append",
        default=[],
        metavar="N",
        help="the chain must reach seq N (postwarden_audit_last_checkpoint_seq)",
    )
    av.add_argument(
        "--checkpoint",
        type=_checkpoint,
        action="append",
        default=[],
        metavar="SEQ:HASH",
        help="record SEQ must have this sha256 (prefix, 8+ hex digits) (repeatable)",
    )
    return p


def _read_message(name: str | None) -> bytes | None:
    if name is None:
        return None
    if name == "-":
        return sys.stdin.buffer.read()
    with open(name, "rb") as fh:
        return fh.read()


def _checkpoint(text: str) -> Checkpoint:
    try:
        return Checkpoint.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _audit_verify(files: list[str], expect_seq: list[int], checkpoints: list[Checkpoint]) -> int:
    wanted = [*checkpoints, *(Checkpoint(n) for n in expect_seq)]
    result = verify(files, wanted)
    print(result)
    return 0 if result.ok else 1


def _history_import(policy_path: str, audit_logs: list[str], mail_logs: list[str]) -> int:
    from milter.history.importer import run_import
    from milter.history.store import HistoryError

    if not audit_logs and not mail_logs:
        print("postwarden: history import needs --audit-log or --mail-log", file=sys.stderr)
        return 2
    policy = load_policy(policy_path)
    if policy.history is None:
        print(f"postwarden: {policy_path} has no history section", file=sys.stderr)
        return 2
    try:
        for line in run_import(policy, audit_logs, mail_logs, dt.datetime.now(dt.UTC).date()):
            print(line)
    except HistoryError as exc:
        print(f"postwarden: {exc}", file=sys.stderr)
        return 2
    return 0


def _policy_errors(exc: PolicyError) -> None:
    for issue in exc.issues:
        print(issue, file=sys.stderr)


def _postfix_map(policy: Policy, source: str, installed: str | None, install: bool) -> int:
    from milter.officer.transport_map import entries, install_table, transport_table

    table = transport_table(policy, source)
    if installed is None:
        sys.stdout.write(table)
        return 0
    if install:
        try:
            changed = install_table(installed, table)
        except OSError as exc:
            print(
                f"{installed}: {exc.strerror or exc}; the installed table is unchanged",
                file=sys.stderr,
            )
            return 1
        count = len(entries(table))
        print(f"{installed}: {'written' if changed else 'already up to date'} ({count} entries)")
        return 0
    try:
        with open(installed, encoding="utf-8") as fh:
            current = fh.read()
    except OSError as exc:
        print(f"{installed}: {exc.strerror}", file=sys.stderr)
        return 1
    if entries(current) != entries(table):
        print(
            f"{installed} is out of date with {source}: run postwarden policy postfix-map "
            f"{source} --install {installed} && postfix reload",
            file=sys.stderr,
        )
        return 1
    return 0


def _domains_audit(policy_path: str, want_json: bool, nameservers: tuple[str, ...]) -> int:
    import json

    from milter.domains.gather import DnsGatherer
    from milter.domains.model import DnsSettings
    from milter.domains.watch import audit_domains, has_drift, render_table, to_json

    policy = load_policy(policy_path)
    resolver = DnsGatherer(nameservers).resolver(policy.dns or DnsSettings())
    statuses = audit_domains(
        {o.domain: o.expect for o in policy.owned_domains},
        {r.domain: r.expect for r in policy.retired_domains},
        resolver,
    )
    print(json.dumps(to_json(statuses)) if want_json else render_table(statuses))
    return 1 if has_drift(statuses) else 0


def _gateway_name(text: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,62}", text):
        raise argparse.ArgumentTypeError(
            "a gateway name is lower-case letters, digits, '.', '_' and '-' (at most 63)"
        )
    return text


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "policy":
            try:
                policy = load_policy(args.file)
            except PolicyError as exc:
                _policy_errors(exc)
                return 1
            except OSError as exc:
                print(f"postwarden: {explain_os_error(exc, args)}", file=sys.stderr)
                return 1
            if args.policy_command == "postfix-map":
                table = args.install or args.check
                return _postfix_map(policy, args.file, table, install=bool(args.install))
            print(summarise(policy))
            for warning in lint.warnings(policy, dt.date.today()):
                print(f"warning: {warning}")
            return 0
        if args.command == "init":
            return init_cli.run_init(args)
        if args.command == "history":
            return _history_import(args.policy, args.audit_log, args.mail_log)
        if args.command == "quarantine-gateway":
            return gateway_cli.run_gateway(args)
        if args.command == "audit":
            return _audit_verify(args.files, args.expect_seq, args.checkpoint)
        if args.command == "quarantine":
            return officer_cli.run_quarantine(args)
        if args.command == "report":
            return officer_cli.run_report(args)
        if args.command == "web":
            from milter.portal import web as portal_web

            return portal_web.run(args.config)
        if args.command == "quarantine-service":
            from milter.officer import service

            return service.run(
                service.DeskConfig(
                    args.officer_log, args.policy, args.audit_log, args.postfix_config
                ),
                args.socket,
                args.group,
                args.idle_exit,
                frozenset(args.delegate_user),
            )
        if args.command == "domains":
            return _domains_audit(args.policy, args.json, tuple(args.nameserver))
        if args.command == "backtest":
            return backtest_cli.run_backtest(args)
        if args.command == "check":
            from milter.cli.check import run_check

            policy = load_policy(args.policy)
            message = _read_message(args.message)
            print(
                run_check(
                    policy,
                    args.sender,
                    args.recipients,
                    args.local,
                    message,
                    args.json,
                    offline=args.offline,
                    nameservers=tuple(args.nameserver),
                )
            )
            return 0
        from milter.server.daemon import DaemonOptions
        from milter.server.serve import serve

        return serve(
            DaemonOptions(
                args.policy,
                args.listen,
                args.listen_local,
                args.metrics_listen,
                socket_group=args.socket_group,
                audit_log=args.audit_log,
                gateway_name=args.gateway_name,
                officer_log=args.officer_log
                or (
                    os.path.join(os.path.dirname(args.audit_log), "officer.jsonl")
                    if args.audit_log
                    else None
                ),
                nameservers=tuple(args.nameserver),
                watch_interval_s=args.watch_interval,
                workers=args.workers,
            )
        )
    except PolicyError as exc:
        _policy_errors(exc)
        return 2
    except BrokenPipeError:  # e.g. `postwarden check ... | head`
        return 0
    except OSError as exc:
        print(f"postwarden: {explain_os_error(exc, args)}", file=sys.stderr)
        return 2


_WHAT = {
    "policy": "the policy file",
    "file": "the file",
    "audit_log": "the audit trail",
    "officer_log": "the officer trail",
    "listen": "the milter socket",
    "listen_local": "the milter socket for local mail",
    "metrics_listen": "the metrics address",
}


def explain_os_error(exc: OSError, args: argparse.Namespace) -> str:
    """The file (or socket) that failed, what it is, what is wrong and the option that
    names it — found by matching the error's file name against the arguments given."""
    from milter.core.paths import path_error

    name = exc.filename if isinstance(exc.filename, str) else None
    if not name:
        return str(exc.strerror or exc)
    for key, value in vars(args).items():
        if isinstance(value, str) and value and (value == name or value.endswith(":" + name)):
            option = key if key == "file" else "--" + key.replace("_", "-")
            return path_error(exc, name, _WHAT.get(key, "the file"), option)
        if isinstance(value, list) and name in value:  # positional FILE... arguments
            return path_error(exc, name, "the file", "the command line")
    return path_error(exc, name, "the file", "the command's options")


if __name__ == "__main__":
    sys.exit(main())
