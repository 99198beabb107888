"""Benchmarks (issue 7): end to end through Postfix, protocol level, memory and profiles.

``make bench`` runs them all (``python -m tests.bench.run``) and prints one JSON summary as its
last line; ``make bench-quick`` is the CI-sized run. Not collected by pytest except the smoke
test, which only checks that the tooling works (never how fast).
"""
