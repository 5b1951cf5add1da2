"""Rate-limit counters in a small SQLite file beside the database, shared by every worker process.

``limits`` (under Flask-Limiter) keeps its counters in a storage backend; its in-memory one
counts per process, so ``serve --workers 8`` let a client make 8 × the limit. This backend
registers the scheme ``partnerradar-sqlite:///path/to/file``; all processes that open the
file share the counters.

Cost per counted request: one ``INSERT … ON CONFLICT … RETURNING`` on a table keyed by
the limit key (WAL, no fsync: counters are not worth a disk flush, and losing the last
second of them in a power cut is harmless). Expired counters are removed in batches of
at most ``PURGE_BATCH`` rows every ``PURGE_EVERY`` increments, so neither the file nor
one request's work grows with the number of clients seen.

On the PostgreSQL deployment (``PARTNERRADAR_DATABASE_URL``) the counters live in that
database instead (``PostgresStorage``, scheme ``partnerradar-postgresql://``, the database
URL passed as a storage option so no password is part of a URI a log could print): one
counter per key for every worker of every server, the same upsert on an UNLOGGED table
(no WAL: like ``synchronous=OFF`` above, a crash may lose the last counts, harmlessly).
"""
from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

from limits.storage import Storage

from store.pgsql import SCHEMA_LOCK_KEY

SCHEME = "partnerradar-sqlite"
PG_SCHEME = "partnerradar-postgresql"
PURGE_EVERY = 500
PURGE_BATCH = 1000


def storage_uri(path: Path) -> str:
    return f"{SCHEME}://{Path(path).resolve().as_posix()}"


#: The counting upsert of both storages (SQLite and PostgreSQL spell it alike; ``{p}``:
#: the placeholder). A window that ran out starts again at ``amount``.
INCREMENT_SQL = (
    "INSERT INTO {table} (key, count, expires) VALUES ({p}, {p}, {p}) ON CONFLICT (key) DO UPDATE SET "
    "count = CASE WHEN {table}.expires <= {p} THEN excluded.count ELSE {table}.count + excluded.count END, "
    "expires = CASE WHEN {table}.expires <= {p} THEN excluded.expires ELSE {table}.expires END "
    "RETURNING count")


class _CounterTable(Storage):
    """The counters' reads and writes, once for both storages: a subclass names its table,
    its placeholder and how it connects (``_conn``)."""

    table = "counters"
    placeholder = "?"

    def _conn(self):
        raise NotImplementedError

    def _sql(self, sql: str) -> str:
        return sql.format(table=self.table, p=self.placeholder)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        conn = self._conn()
        (count,) = conn.execute(self._sql(INCREMENT_SQL), (key, amount, now + expiry, now, now)).fetchone()
        self._increments += 1
        if self._increments % PURGE_EVERY == 0:
            conn.execute(self._sql("DELETE FROM {table} WHERE key IN (SELECT key FROM {table} "
                                   "WHERE expires <= {p} LIMIT {p})"), (now, PURGE_BATCH))
        return count

    def get(self, key: str) -> int:
        row = self._conn().execute(self._sql("SELECT count FROM {table} WHERE key = {p} AND expires > {p}"),
                                   (key, time.time())).fetchone()
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        now = time.time()
        row = self._conn().execute(self._sql("SELECT expires FROM {table} WHERE key = {p} AND expires > {p}"),
                                   (key, now)).fetchone()
        return row[0] if row else now

    def check(self) -> bool:
        try:
            self._conn().execute("SELECT 1").fetchone()
            return True
        except Exception:       # the driver's error, or a database that can't be reached
            return False

    def reset(self) -> int | None:
        return self._conn().execute(self._sql("DELETE FROM {table}")).rowcount

    def clear(self, key: str) -> None:
        self._conn().execute(self._sql("DELETE FROM {table} WHERE key = {p}"), (key,))


class SQLiteStorage(_CounterTable):
    """Fixed-window counters (``limits``' default strategy) in one SQLite table."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = Path(unquote(urlparse(uri).path))
        self._local = threading.local()
        self._increments = 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Only this service reads it (the keys name clients' IPs and key ids).
        os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
        with self._conn() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, "
                         "count INTEGER NOT NULL, expires REAL NOT NULL) WITHOUT ROWID")
            conn.execute("CREATE INDEX IF NOT EXISTS counters_expires ON counters (expires)")

    def _conn(self) -> sqlite3.Connection:
        """One connection per thread and process (a connection never crosses a fork)."""
        held = getattr(self._local, "held", None)
        if held is None or held[0] != os.getpid():
            conn = sqlite3.connect(self.path, timeout=5, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=OFF")
            held = self._local.held = (os.getpid(), conn)
        return held[1]

    @property
    def base_exceptions(self):
        return sqlite3.Error


class PostgresStorage(_CounterTable):
    """The same fixed-window counters in the shared PostgreSQL database (table ``rate_counters``)."""

    STORAGE_SCHEME = [PG_SCHEME]
    table = "rate_counters"
    placeholder = "%s"

    def __init__(self, uri: str, wrap_exceptions: bool = False, database_url: str = "", **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.database_url = database_url
        self._local = threading.local()
        self._increments = 0
        conn = self._conn()
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK_KEY,))
            conn.execute("CREATE UNLOGGED TABLE IF NOT EXISTS rate_counters (key text PRIMARY KEY, "
                         "count bigint NOT NULL, expires double precision NOT NULL)")
            conn.execute("CREATE INDEX IF NOT EXISTS rate_counters_expires ON rate_counters (expires)")

    def _conn(self):
        """One connection per thread and process (a connection never crosses a fork)."""
        from store.postgres import connect

        held = getattr(self._local, "held", None)
        if held is None or held[0] != os.getpid() or held[1].closed:
            held = self._local.held = (os.getpid(), connect(self.database_url))
        return held[1]

    @property
    def base_exceptions(self):
        import psycopg

        return psycopg.Error
