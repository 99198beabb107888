"""Prometheus metrics: the registry the daemon updates (registry), the hold-queue gauge (queue),
and the multiprocess merge for --workers (merge)."""
