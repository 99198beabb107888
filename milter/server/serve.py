"""``postwarden serve``: one process, or a supervisor with ``--workers N`` worker processes.

Both run the same set-up (server.daemon.Daemon: policy, metrics, audit trail, reloads, domain
watch, signals); this module only chooses between them. Logging is JSON lines on stderr.

DIAGNOSTICS
    Exit 2 (with an ``audit_refused`` log event) when the audit file cannot be continued: its
    last line is complete but not a record (a line torn by a crash is moved aside instead).
    A policy that does not load raises PolicyError before anything listens (the CLI prints
    it with file:line:column and exits 2).
"""

from __future__ import annotations

from milter.server.daemon import DaemonOptions, configure_logging, serve_one
from milter.server.prefork import supervise


def serve(options: DaemonOptions) -> int:
    configure_logging()
    if options.workers > 1:
        return supervise(options)
    return serve_one(options)
