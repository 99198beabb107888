"""Prometheus metrics: the registry the daemon updates, and the multiprocess merge for --workers."""
