"""history.store -- the contact history on disk: keyed hashes in SQLite, never names in clear.

Each recipient domain and address that mail went to is kept as ``HMAC-SHA256(site key,
"domain:" + name)`` (or ``"address:"``), with two flags: it has received mail from us, and mail
with client data. Without the site key (a 32-byte file, created 0600 at first use) the store
cannot be turned back into addresses, not even by trying a list of likely ones.

``SqliteHistory`` is one gateway's store: a SQLite file in WAL mode, shared safely by the
worker processes of one machine (SQLite's own locking; a writer waits ``BUSY_TIMEOUT_S``).
``RedisHistory`` (``store: redis://HOST:PORT/DB``) is the store several gateways share: one hash
per contact, updated with commands that only ever set flags (so concurrent gateways cannot undo
each other's records). With Redis, the per-day sender-notice limits are kept there too
(``RedisRateLimit``), so N gateways send a sender at most ``per_day`` notices, not N times that.
Every gateway must use the same site key file (copy it; it is created only where missing).
``History`` is what a process holds: the store and key per policy settings, ``gather`` (the
look-up before deciding, for the external recipients only) and ``record`` (after a message went
on, queued to a background thread so the milter does not wait for the disk).

Refuses: a key file that is not 32 bytes, or that others may read (group/other bits set), is an
error, as is any store problem: ``gather`` then returns ``HistoryFacts(error=...)`` (the policy's
``on_failure`` decides), never "no contact" by accident. A record that cannot be written is
logged and counted, and the message stays as decided.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import os
import queue
import sqlite3
import stat
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import structlog

from milter.core.address import Address, Malformed
from milter.history.model import Contact, HistoryFacts, HistorySettings, Scope

if TYPE_CHECKING:
    from milter.policy.model import Policy

log = structlog.get_logger("postwarden.history")

KEY_BYTES = 32
BUSY_TIMEOUT_S = 2.0
_QUEUE_SIZE = 10_000
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS contact ("
    " hash TEXT PRIMARY KEY,"  # hex HMAC-SHA256 of 'domain:NAME' or 'address:NAME'
    " any_mail INTEGER NOT NULL DEFAULT 0,"
    " client_data INTEGER NOT NULL DEFAULT 0,"
    " first_day TEXT NOT NULL,"
    " last_day TEXT NOT NULL"
    ") WITHOUT ROWID"
)


class HistoryError(Exception):
    """The history cannot be used: its key or its store. The text names files, never mail."""


def load_key(path: str, create: bool = True) -> bytes:
    """The site key in ``path``; created (32 random bytes, 0600) when missing and ``create``.

    Created under a temporary name and linked into place, so a process that races another at
    first use reads the one key that won, complete."""
    try:
        return _read_key(path)
    except FileNotFoundError:
        if not create:
            raise HistoryError(f"history key {path} does not exist") from None
    directory = os.path.dirname(path) or "."
    temporary = os.path.join(directory, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(os.urandom(KEY_BYTES))
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileExistsError):  # another process won: use its key
            os.link(temporary, path)
    except OSError as exc:
        raise HistoryError(f"cannot create history key {path}: {exc.strerror}") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
    return _read_key(path)


def _read_key(path: str) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise HistoryError(f"cannot read history key {path}: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as fh:
        mode = os.fstat(fh.fileno()).st_mode
        if not stat.S_ISREG(mode):
            raise HistoryError(f"history key {path} is not a regular file")
        if mode & 0o077:
            raise HistoryError(
                f"history key {path} may be read by others (mode {stat.S_IMODE(mode):04o}; "
                "chmod 600 it)"
            )
        key = fh.read(KEY_BYTES + 1)
    if len(key) != KEY_BYTES:
        raise HistoryError(f"history key {path} is not {KEY_BYTES} bytes")
    return key


def contact_hash(key: bytes, scope: Scope, name: str) -> str:
    """The keyed hash a name is stored under (hex): domains normalised, addresses lower-cased
    by the caller (``names_for``)."""
    return hmac.new(key, f"{scope}:{name}".encode(), hashlib.sha256).hexdigest()


def names_for(address: Address) -> tuple[tuple[Scope, str], ...]:
    """The history names of one recipient: its domain and its (lower-cased) address."""
    return (("domain", address.domain), ("address", str(address).lower()))


class SqliteHistory:
    """The history in one SQLite file (WAL; shared by the processes of one machine).
    ``readonly`` opens an existing file only (``postwarden check`` creates nothing)."""

    def __init__(self, path: str, readonly: bool = False) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._forgotten_on: dt.date | None = None
        try:
            target = f"file:{path}?mode=ro" if readonly else path
            self._db = sqlite3.connect(
                target,
                timeout=BUSY_TIMEOUT_S,
                check_same_thread=False,
                isolation_level=None,
                uri=readonly,
            )
            if not readonly:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.execute(_SCHEMA)
                os.chmod(path, 0o600)  # hashes only, but nobody else needs to read them
        except (sqlite3.Error, OSError) as exc:
            raise HistoryError(f"cannot open history store {path}: {exc}") from None

    def lookup(self, hashes: Sequence[str], since: dt.date | None = None) -> dict[str, Contact]:
        """What the store knows of these hashes (those it does not know, or whose last day
        is before ``since``, are left out)."""
        if not hashes:
            return {}
        marks = ",".join("?" * len(hashes))
        oldest = since.isoformat() if since is not None else ""
        with self._lock:
            rows = self._db.execute(
                "SELECT hash, any_mail, client_data FROM contact "
                f"WHERE hash IN ({marks}) AND last_day >= ?",
                (*hashes, oldest),
            ).fetchall()
        return {h: Contact(bool(a), bool(c)) for h, a, c in rows}

    def record(
        self, entries: Iterable[tuple[str, bool]], day: dt.date, keep_days: int | None = None
    ) -> int:
        """Mark each hash as contacted (with client data when its flag is true); one
        transaction. With ``keep_days``, contacts whose last day is more than that many days
        before ``day`` are deleted in it too. Returns how many entries were written."""
        rows = [(h, int(cd), day.isoformat(), day.isoformat()) for h, cd in entries]
        if not rows:
            return 0
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "INSERT INTO contact (hash, any_mail, client_data, first_day, last_day) "
                    "VALUES (?, 1, ?, ?, ?) ON CONFLICT(hash) DO UPDATE SET any_mail = 1, "
                    "client_data = MAX(client_data, excluded.client_data), "
                    "last_day = MAX(last_day, excluded.last_day)",
                    rows,
                )
                if keep_days is not None and day != self._forgotten_on:
                    oldest = (day - dt.timedelta(days=keep_days)).isoformat()
                    self._db.execute("DELETE FROM contact WHERE last_day < ?", (oldest,))
                    self._forgotten_on = day  # once a day is enough: the look-up checks too
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return len(rows)

    def count(self) -> int:
        """Entries kept (domains and addresses together)."""
        with self._lock:
            (n,) = self._db.execute("SELECT COUNT(*) FROM contact").fetchone()
        return int(n)

    def close(self) -> None:
        with self._lock:
            self._db.close()


REDIS_PREFIX = "postwarden:"
REDIS_TIMEOUT_S = 1.0


def is_redis(store: str) -> bool:
    return store.startswith(("redis://", "rediss://", "unix://"))


class RedisHistory:
    """The history in Redis, shared by several gateways: ``postwarden:contact:HASH`` hashes
    with fields ``any``, ``client_data``, ``first_day`` and ``last_day``."""

    def __init__(self, url: str) -> None:
        import redis  # only for policies that name a Redis store

        self.path = url
        try:
            self._db = redis.Redis.from_url(
                url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S
            )
        except ValueError as exc:
            raise HistoryError(f"history store {url}: {exc}") from None

    @staticmethod
    def _key(h: str) -> str:
        return f"{REDIS_PREFIX}contact:{h}"

    def lookup(self, hashes: Sequence[str], since: dt.date | None = None) -> dict[str, Contact]:
        pipe = self._db.pipeline(transaction=False)
        for h in hashes:
            pipe.hmget(self._key(h), "any", "client_data", "last_day")
        oldest = since.isoformat().encode() if since is not None else b""
        found: dict[str, Contact] = {}
        for h, (any_mail, client_data, last) in zip(hashes, pipe.execute(), strict=True):
            if (any_mail is not None or client_data is not None) and (last or b"") >= oldest:
                found[h] = Contact(any_mail == b"1", client_data == b"1")
        return found

    def record(
        self, entries: Iterable[tuple[str, bool]], day: dt.date, keep_days: int | None = None
    ) -> int:
        """As SqliteHistory.record; with ``keep_days`` each contact expires that many days
        (and one more) after this record, unless a later one renews it."""
        pipe = self._db.pipeline(transaction=False)
        n = 0
        for h, client_data in entries:
            key = self._key(h)
            pipe.hset(key, "any", "1")
            pipe.hset(key, "last_day", day.isoformat())
            if client_data:
                pipe.hset(key, "client_data", "1")  # only ever set: a record never clears it
            pipe.hsetnx(key, "first_day", day.isoformat())
            if keep_days is not None:
                pipe.expire(key, (keep_days + 1) * 86_400)
            n += 1
        if n:
            pipe.execute()
        return n

    def count(self) -> int:
        return sum(1 for _ in self._db.scan_iter(match=f"{REDIS_PREFIX}contact:*", count=1000))

    def close(self) -> None:
        self._db.close()


class RedisRateLimit:
    """Per-day notice limits shared through Redis: ``postwarden:notice:SHA256:DAY`` counters
    (the address is hashed, so the store holds none), expiring after two days."""

    def __init__(self, url: str) -> None:
        import redis

        self._db = redis.Redis.from_url(
            url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S
        )

    def allow(self, to: str, about: str, day: dt.date, per_day: int) -> bool:
        """Count one more for (to, about) on ``day``; False once ``per_day`` are used.
        Raises redis errors (the caller falls back to its own limit)."""
        digest = hashlib.sha256(f"{to.lower()}\0{about.lower()}".encode()).hexdigest()
        key = f"{REDIS_PREFIX}notice:{digest}:{day.isoformat()}"
        pipe = self._db.pipeline(transaction=True)
        pipe.incr(key)
        pipe.expire(key, 2 * 86400)
        count, _ = pipe.execute()
        return int(count) <= per_day

    def close(self) -> None:
        self._db.close()


Store = SqliteHistory | RedisHistory


def open_store(settings: HistorySettings, readonly: bool = False) -> Store:
    """The store the settings name: a redis:// URL, or a SQLite file path."""
    if is_redis(settings.store):
        return RedisHistory(settings.store)
    return SqliteHistory(settings.store, readonly)


@dataclass(frozen=True, slots=True)
class _Pending:
    store: Store
    entries: tuple[tuple[str, bool], ...]
    day: dt.date
    keep_days: int | None = None


class History:
    """One process's history: store and key per settings, look-ups and queued records.

    ``on_lookup(result)`` counts look-ups (``ok``/``error``), ``on_record(result)`` records
    (``written``/``failed``/``dropped``)."""

    def __init__(
        self,
        on_lookup: Callable[[str], None] | None = None,
        on_record: Callable[[str], None] | None = None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        readonly: bool = False,
    ) -> None:
        self._readonly = readonly  # look-ups only: no key or store is created
        self._on_lookup = on_lookup or (lambda _result: None)
        self._on_record = on_record or (lambda _result: None)
        self._clock = clock
        self._lock = threading.Lock()
        self._open: dict[HistorySettings, tuple[bytes, Store]] = {}
        self._limits: dict[str, RedisRateLimit] = {}
        self._queue: queue.Queue[_Pending | None] = queue.Queue(_QUEUE_SIZE)
        self._idle = threading.Condition()
        self._busy = 0
        self._thread = threading.Thread(target=self._run, name="history", daemon=True)
        self._thread.start()

    def rate_limit(self, policy: Policy) -> RedisRateLimit | None:
        """The shared notice limits when the policy's history store is Redis, else None."""
        settings = policy.history
        if settings is None or not is_redis(settings.store):
            return None
        with self._lock:
            limit = self._limits.get(settings.store)
            if limit is None:
                for old in self._limits.values():
                    old.close()
                limit = RedisRateLimit(settings.store)
                self._limits = {settings.store: limit}
            return limit

    def _opened(self, settings: HistorySettings) -> tuple[bytes, Store]:
        with self._lock:
            found = self._open.get(settings)
            if found is None:
                key = load_key(settings.key_file, create=not self._readonly)
                found = (key, open_store(settings, self._readonly))
                self._open = {settings: found}  # keep only the settings in force
            return found

    def gather(
        self, policy: Policy, recipients: Iterable[Address | Malformed]
    ) -> HistoryFacts | None:
        """The history of the external recipients; None without a history section. Any
        problem with key or store gives ``HistoryFacts(error=...)``."""
        settings = policy.history
        if settings is None:
            return None
        wanted = external_names(policy, recipients)
        if not wanted:
            return HistoryFacts()
        try:
            key, store = self._opened(settings)
            hashes = {contact_hash(key, scope, name): (scope, name) for scope, name in wanted}
            known = store.lookup(list(hashes), settings.known_since(self._clock().date()))
        except Exception as exc:  # any store trouble (SQLite, Redis, the key): fail closed
            self._on_lookup("error")
            log.error("history_lookup_failed", error=str(exc)[:300])
            return HistoryFacts(error=type(exc).__name__)
        self._on_lookup("ok")
        domains = {n: known[h] for h, (s, n) in hashes.items() if s == "domain" and h in known}
        addresses = {n: known[h] for h, (s, n) in hashes.items() if s == "address" and h in known}
        return HistoryFacts(domains, addresses)

    def record(
        self,
        policy: Policy,
        recipients: Iterable[Address | Malformed],
        client_data: bool,
        day: dt.date | None = None,
    ) -> bool:
        """Queue the contacts of a message that went on (``day``: when; None: today); False
        (counted) when it cannot be."""
        settings = policy.history
        if settings is None:
            return False
        wanted = external_names(policy, recipients)
        if not wanted:
            return False
        try:
            key, store = self._opened(settings)
        except Exception as exc:  # counted; the message stays as decided
            self._on_record("failed")
            log.error("history_record_failed", error=str(exc)[:300])
            return False
        entries = tuple((contact_hash(key, s, n), client_data) for s, n in wanted)
        with self._idle:
            self._busy += 1
        try:
            self._queue.put_nowait(
                _Pending(store, entries, day or self._clock().date(), settings.forget_after_days)
            )
        except queue.Full:
            self._done()
            self._on_record("dropped")
            log.warning("history_record_dropped", reason="queue full")
            return False
        return True

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every queued record is written (tests, the import command)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Write what is queued (within ``timeout``), then stop."""
        self._queue.put(None)
        self._thread.join(timeout)
        with self._lock:
            for _, store in self._open.values():
                store.close()
            for limit in self._limits.values():
                limit.close()
            self._open = {}
            self._limits = {}

    def _done(self) -> None:
        with self._idle:
            self._busy -= 1
            self._idle.notify_all()

    def _run(self) -> None:
        while True:
            pending = self._queue.get()
            if pending is None:
                return
            try:
                pending.store.record(pending.entries, pending.day, pending.keep_days)
                self._on_record("written")
            except Exception as exc:  # SQLite, Redis, disk: counted, the thread lives on
                self._on_record("failed")
                log.error("history_record_failed", error=str(exc)[:300])
            finally:
                self._done()


def external_names(
    policy: Policy, recipients: Iterable[Address | Malformed]
) -> list[tuple[Scope, str]]:
    """The history names of the recipients outside the owned domains (domain and address of
    each, once): internal mail is never first contact and is not kept."""
    seen: dict[tuple[Scope, str], None] = {}
    for address in recipients:
        if not isinstance(address, Address) or address.is_null or address.is_literal:
            continue
        if policy.is_owned(address.domain):
            continue
        for name in names_for(address):
            seen.setdefault(name, None)
    return list(seen)
