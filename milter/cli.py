"""The ``postwarden`` command (also ``python -m milter``).

Subcommands:
  serve         run the milter for Postfix
  check         show the decision the milter would make for an envelope (and message)
  policy check  validate a policy file: exit 0 with a summary, or 1 with file:line:column errors

Exit codes: 0 success (``check`` exits 0 whatever the verdict), 1 a policy that failed
``policy check``, 2 usage or policy errors elsewhere.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from milter import __version__
from milter.adapter import ListenSpec, ListenSpecError
from milter.policy import PolicyError, load_policy, summarise

DEFAULT_LISTEN = "inet:127.0.0.1:10027"
DEFAULT_LISTEN_LOCAL = "inet:127.0.0.1:10028"


def _listen_spec(text: str) -> str:
    try:
        ListenSpec.parse(text)
    except ListenSpecError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


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
        "message",
        nargs="?",
        metavar="FILE.eml|-",
        help="the message (optional; '-' reads standard input)",
    )

    pol = sub.add_parser("policy", help="policy file commands")
    psub = pol.add_subparsers(dest="policy_command", required=True, metavar="COMMAND")
    pc = psub.add_parser("check", help="validate a policy file")
    pc.add_argument("file", metavar="FILE")
    return p


def _read_message(name: str | None) -> bytes | None:
    if name is None:
        return None
    if name == "-":
        return sys.stdin.buffer.read()
    with open(name, "rb") as fh:
        return fh.read()


def _policy_errors(exc: PolicyError) -> None:
    for issue in exc.issues:
        print(issue, file=sys.stderr)


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
                print(f"{args.file}: {exc.strerror}", file=sys.stderr)
                return 1
            print(summarise(policy))
            return 0
        if args.command == "check":
            from milter.check import run_check

            policy = load_policy(args.policy)
            message = _read_message(args.message)
            print(run_check(policy, args.sender, args.recipients, args.local, message, args.json))
            return 0
        from milter.service import serve

        return serve(
            args.policy,
            args.listen,
            args.listen_local,
            args.metrics_listen,
            socket_group=args.socket_group,
        )
    except PolicyError as exc:
        _policy_errors(exc)
        return 2
    except OSError as exc:
        print(f"postwarden: {exc.filename or ''}: {exc.strerror}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
