"""Reliability tests: hostile input, crashes, hangs and leaks (issue 8); bounded for CI.

The long versions (``make fuzz``, ``make soak``) live in ``tests/fuzz`` and reuse the case
generators and checks defined here.
"""
