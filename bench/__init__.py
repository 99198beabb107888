"""Benchmarks (issue 7): end to end through Postfix, protocol level, memory and profiles.

``make bench`` runs them all (``python -m bench.run``) and prints one JSON summary as its
last line; ``make bench-quick`` is the CI-sized run; ``make bench-experiments`` measures proposed
milter changes. Results and their reading: RESULTS.md. Not collected by pytest except the smoke
test, which only checks that the tooling works (never how fast).

  run.py            the sitting: every section, targets, JSON summary
  bench_e2e.py      smtp-source -> Postfix (+ Postwarden | Rspamd) -> smtp-sink
  bench_protocol.py decisions/s and latency, driving the adapter as smtpd would
  bench_memory.py   RSS over 10 000 messages and with 100 connections held open
  profile_milter.py py-spy under protocol load, charged to parts of the hot path
  experiments.py    variants.py's patched milters against the unpatched one
  milterload.py     the milter client (extends tests/support/milterclient.py)
  mime.py           realistic messages: text plus a PDF attachment
  servers.py        smtp-sink, Postwarden, Rspamd processes; CPU and RSS from /proc
  stats.py, report.py  percentiles and machine facts; JSON -> Markdown tables
"""
