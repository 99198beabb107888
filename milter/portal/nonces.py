"""Single use of sender links: each link token's nonce may be used once per action.

A small SQLite file of the portal's own: ``claim(nonce, action, expires)`` records the use
atomically (the primary key refuses a second one, also from a concurrent request) and answers
whether this was the first; ``unclaim`` gives the use back when the gateway did not carry the
action out (unreachable or refused), so a sender can try again. Rows are pruned once their token
would have expired anyway: an expired token is refused by its signature check alone.
"""

from __future__ import annotations

import sqlite3
import time


class NonceStore:
    def __init__(self, path: str) -> None:
        self.path = path
        with self._connect() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS used (nonce TEXT NOT NULL, action TEXT NOT NULL, "
                "expires INTEGER NOT NULL, PRIMARY KEY (nonce, action))"
            )

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10, isolation_level=None)

    def claim(self, nonce: str, action: str, expires: int, now: float | None = None) -> bool:
        """True when this is the first use of ``nonce`` for ``action``; False when used."""
        now = time.time() if now is None else now
        db = self._connect()
        try:
            db.execute("DELETE FROM used WHERE expires < ?", (int(now),))
            try:
                db.execute("INSERT INTO used VALUES (?, ?, ?)", (nonce, action, int(expires)))
            except sqlite3.IntegrityError:
                return False
            return True
        finally:
            db.close()

    def unclaim(self, nonce: str, action: str) -> None:
        db = self._connect()
        try:
            db.execute("DELETE FROM used WHERE nonce = ? AND action = ?", (nonce, action))
        finally:
            db.close()
