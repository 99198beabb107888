"""Test helpers shared by unit, e2e and benchmark code."""
