"""The daemon: listeners, milter sessions, the per-event watchdog, the daemon set-up and
the prefork supervisor."""
