"""The profile store in PostgreSQL (with pgvector): the deployment for more than one server.

``PgStore`` keeps what the search and the write path need in PostgreSQL, shared by every
``partnerradar serve`` process on any machine that points at it
(``PARTNERRADAR_DATABASE_URL=postgresql://…``): profiles, their passages with the
embedding vectors (``vector(dim)`` column, HNSW index: ``index/pgvector.py`` searches it),
the cooperations and the ``generation`` counter with the model that made the vectors.
A write changes data, vectors and generation in ONE PostgreSQL transaction, so there is no
separate index file that could fall out of step; writers of all servers are serialised by
an advisory lock held for the transaction.

Everything else lives in the same database too: accounts, sessions and the session
secret, API keys, the audit log, profile creators, subscriptions and digest deliveries,
listings, introductions, confirmations, rejects (the modules' own SQL through ``conn``, a
``store.pgsql.PgConnection``) and the rate-limit counters (``api/ratelimit_storage.py``).
So a login, a key, a revoke, an introduction made through one server holds on every
other at once, and deleting a profile removes its rows for all of them in one
transaction (foreign keys with ``ON DELETE CASCADE`` as in SQLite). A server's working
folder keeps no database, only its index cache and logs. docs/scaling.md says what lives
where.
"""
from __future__ import annotations

import json
import os
import struct
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from vocabulary.profile import Profile
from store.db import MOVED_ON_MERGE, NOT_SUGGESTED_SCHEMA, PROFILE_COLUMNS, REJECTS_SCHEMA, Passage, Store
from store.files import private_dir
from store.pgsql import PgConnection

#: pg_advisory_xact_lock key for the writers of one database's profiles ("PRAD").
WRITE_LOCK_KEY = 0x50524144
#: ... and for the other tables' writers (accounts, introductions, …: ``PgStore.transaction``).
TABLES_LOCK_KEY = 0x50524154
#: A merge leaves behind what the kept profile has already (SQLite: ``UPDATE OR IGNORE``
#: against the unique index ``subscriptions_address``).
_KEPT_ON_MERGE = {"subscriptions": "email != '' AND EXISTS (SELECT 1 FROM subscriptions kept "
                                   "WHERE kept.profile_id = :new AND kept.email = subscriptions.email)"}
#: HNSW build parameters (pgvector's defaults are m=16, ef_construction=64).
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 64

_PG_TYPES = {str: "text", float: "double precision", int: "bigint"}


def is_postgres_url(url: str | None) -> bool:
    return bool(url) and str(url).split(":", 1)[0] in ("postgresql", "postgres")


def vector_bytes(vector: np.ndarray) -> bytes:
    """pgvector's binary wire format: int16 dim, int16 unused, float4 big-endian."""
    vector = np.asarray(vector, dtype=">f4").ravel()
    return struct.pack(">HH", len(vector), 0) + vector.tobytes()


def vector_literal(vector: np.ndarray) -> str:
    """pgvector's text format (``%s::vector``, COPY); nine digits give float32 back exactly."""
    values = np.asarray(vector, dtype=np.float32).ravel().tolist()
    return "[" + ",".join(["%.9g"] * len(values)) % tuple(values) + "]"


def parse_vector(raw) -> np.ndarray:
    """A ``vector`` value as psycopg hands it over (binary or text) -> float32 array."""
    if isinstance(raw, np.ndarray):
        return raw
    if isinstance(raw, (bytes, bytearray, memoryview)):
        raw = bytes(raw)
        dim = struct.unpack(">H", raw[:2])[0]
        return np.frombuffer(raw, dtype=">f4", count=dim, offset=4).astype(np.float32)
    return np.array(json.loads(raw), dtype=np.float32)


def register_vector_type(conn) -> None:
    """Teach a psycopg connection to read ``vector`` columns as float32 arrays."""
    from psycopg.adapt import Loader
    from psycopg.pq import Format

    row = conn.execute("SELECT oid FROM pg_type WHERE typname = 'vector'").fetchone()
    if row is None:
        return

    class VectorTextLoader(Loader):
        def load(self, data):
            return parse_vector(bytes(data).decode())

    class VectorBinaryLoader(Loader):
        format = Format.BINARY

        def load(self, data):
            return parse_vector(bytes(data))

    conn.adapters.register_loader(row[0], VectorTextLoader)
    conn.adapters.register_loader(row[0], VectorBinaryLoader)


def register_nul_safe_text(conn) -> None:
    """PostgreSQL text can't hold NUL (0x00), SQLite's can: a string with one (an id in a
    hostile URL or body, the raw line of a rejected row) failed with a DataError, a 500 for
    the client. It is sent with U+FFFD, the replacement character, in its place: a lookup
    finds nothing, as on SQLite (stored ids, names and texts never hold NUL:
    ``ingest.schema.clean_text``), and a rejected row's raw line is kept, readable."""
    from psycopg.types.string import StrBinaryDumper, StrDumperUnknown

    def nul_safe(base):
        class NulSafeDumper(base):
            def dump(self, obj):
                return super().dump(obj.replace("\x00", "\ufffd") if "\x00" in obj else obj)
        return NulSafeDumper

    # binary first: the last one registered is also the AUTO dumper, which stays the text
    # one of type "unknown" (PostgreSQL infers the parameter's type, as before)
    conn.adapters.register_dumper(str, nul_safe(StrBinaryDumper))
    conn.adapters.register_dumper(str, nul_safe(StrDumperUnknown))


class StoreUnavailable(RuntimeError):
    """PostgreSQL can't be reached (or lacks pgvector); the message (German) says which
    server, never with its password."""


def _without_password(url: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:…@{host}"))


def connect(url: str):
    """A psycopg connection (autocommit: transactions are explicit) with ``vector`` loaders."""
    import psycopg

    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise StoreUnavailable(f"PostgreSQL unter „{_without_password(url)}“ nicht erreichbar "
                               f"(PARTNERRADAR_DATABASE_URL prüfen): {str(exc).strip().splitlines()[-1]}") from None
    register_vector_type(conn)
    register_nul_safe_text(conn)
    return conn


def write_copy(cursor, table: str, columns: tuple[str, ...], rows) -> None:
    """``COPY table (columns) FROM STDIN`` for rows whose vector column is an ndarray."""
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([vector_literal(v) if isinstance(v, np.ndarray) else v for v in row])


class PgStore(Store):
    """``Store`` with every table in PostgreSQL: profiles, passages (vectors), cooperations,
    meta, rejects, ``not_suggested``, and the tables of the other modules (accounts,
    sessions, …), which reach it through ``conn`` (``store.pgsql.PgConnection``).

    ``path`` names this server's working folder (the index cache beside it, logs); no SQLite
    file is opened there.
    """

    engine = "postgresql"
    #: The passages' vectors are searched where they are stored (``index/pgvector.py``).
    vector_backend = "pgvector"

    def __init__(self, path: str | Path, url: str, dim: int | None = None):
        self.url = url
        self.path = Path(path)
        if not self.path.parent.exists():
            private_dir(self.path.parent)
        self._pg_local = threading.local()
        self._local = threading.local()          # the commit hooks (``each_transaction``)
        self._init_pg_schema(dim)

    # -- connections ------------------------------------------------------------
    @property
    def pg(self):
        """This thread's PostgreSQL connection (a new one after a fork: server workers)."""
        conn = getattr(self._pg_local, "conn", None)
        if conn is None or getattr(self._pg_local, "pid", None) != os.getpid() or conn.closed:
            conn = connect(self.url)
            self._pg_local.conn, self._pg_local.pid = conn, os.getpid()
            self._pg_local.facade = PgConnection(conn)
        return conn

    @property
    def conn(self) -> PgConnection:
        """The other modules' connection: their SQLite-flavoured SQL on the same PostgreSQL
        connection (so a change and its audit line commit in one transaction)."""
        self.pg
        return self._pg_local.facade

    @property
    def db(self):
        raise AttributeError("PgStore has no SQLite database (sqlite_utils); use conn or table_names()")

    def table_names(self) -> set[str]:
        return {r[0] for r in self.pg.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")}

    def close(self) -> None:
        conn = getattr(self._pg_local, "conn", None)
        if conn is not None and getattr(self._pg_local, "pid", None) == os.getpid():
            conn.close()
        self._pg_local.conn = None

    def _commit_hooks(self, nested: bool) -> None:
        if not nested:
            for hook in list(getattr(self._local, "commit_hooks", ())):
                hook(self.conn)

    @contextmanager
    def pg_transaction(self, bump_generation: bool = True):
        """One PostgreSQL write transaction of the shared store: writers of every server take
        the advisory lock in turn, data, vectors, audit line and generation commit together."""
        conn = self.pg
        nested = conn.info.transaction_status != 0
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK_KEY,))
            yield conn
            self._commit_hooks(nested)
            if bump_generation:
                conn.execute("UPDATE meta SET value = (value::bigint + 1)::text WHERE key = 'generation'")

    @contextmanager
    def snapshot(self) -> Iterator:
        """Reads of one consistent state (REPEATABLE READ)."""
        conn = self.pg
        if conn.info.transaction_status != 0:     # already inside one (a write or a snapshot)
            yield self.conn
            return
        with conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            yield self.conn

    @contextmanager
    def transaction(self, bump_generation: bool = True):
        """The other modules' write transactions (``Store.transaction``'s contract).

        SQLite has one writer at a time (BEGIN IMMEDIATE), and the modules read, decide and
        write inside one (a login failure counted, an introduction's state moved on): their
        transactions take one advisory lock in turn, across all servers. It is not the
        profile writers' lock, so a long import does not hold up logins; a write the index
        depends on (``bump_generation``) takes that one too, after it, and moves the shared
        generation on in the same commit."""
        conn = self.pg
        nested = conn.info.transaction_status != 0
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (TABLES_LOCK_KEY,))
            if bump_generation:
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK_KEY,))
            yield self.conn
            self._commit_hooks(nested)
            if bump_generation:
                conn.execute("UPDATE meta SET value = (value::bigint + 1)::text WHERE key = 'generation'")

    # -- schema -----------------------------------------------------------------
    def _init_pg_schema(self, dim: int | None) -> None:
        conn = self.pg
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK_KEY,))
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            conn.execute("CREATE EXTENSION IF NOT EXISTS citext")     # users.email (store/pgsql.py)
            register_vector_type(conn)
            columns = ", ".join(f"{name} {_PG_TYPES[kind]}" + (" PRIMARY KEY" if name == "id" else "")
                                + (" NOT NULL" if name in ("name", "kind") else "")
                                for name, kind in PROFILE_COLUMNS.items())
            conn.execute(f"CREATE TABLE IF NOT EXISTS profiles ({columns})")
            for column in ("kind", "landkreis", "updated_at"):
                conn.execute(f"CREATE INDEX IF NOT EXISTS profiles_{column} ON profiles({column})")
            conn.execute("""
                CREATE TABLE IF NOT EXISTS cooperations (
                    a text NOT NULL, b text NOT NULL, project_id text NOT NULL,
                    title text NOT NULL DEFAULT '', source text NOT NULL DEFAULT '',
                    PRIMARY KEY (a, b, project_id))""")
            conn.execute("CREATE INDEX IF NOT EXISTS cooperations_b ON cooperations(b)")
            conn.execute("CREATE TABLE IF NOT EXISTS meta (key text PRIMARY KEY, value text)")
            conn.execute("INSERT INTO meta VALUES ('generation', '0') ON CONFLICT DO NOTHING")
            for statement in (REJECTS_SCHEMA, NOT_SUGGESTED_SCHEMA):
                self.conn.execute(statement)
        self._profile_names = [d.name for d in conn.execute("SELECT * FROM profiles LIMIT 0").description]
        stored = self.get_meta("dim")
        dim = int(stored) if stored else dim
        if dim:
            self.ensure_passages(dim)

    def ensure_passages(self, dim: int) -> None:
        """The passages table, its vectors typed ``vector(dim)`` (known once a model is)."""
        conn = self.pg
        if self._has_passages():
            return
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK_KEY,))
            conn.execute(f"""
                CREATE TABLE IF NOT EXISTS passages (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    profile_id text NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
                    field text NOT NULL, position integer NOT NULL,
                    text text NOT NULL, terms text NOT NULL, vector vector({int(dim)}) NOT NULL)""")
            conn.execute("CREATE INDEX IF NOT EXISTS passages_profile ON passages(profile_id)")
            conn.execute(f"CREATE INDEX IF NOT EXISTS passages_hnsw ON passages USING hnsw (vector vector_ip_ops) "
                         f"WITH (m = {HNSW_M}, ef_construction = {HNSW_EF_CONSTRUCTION})")
            conn.execute("INSERT INTO meta VALUES ('dim', %s) ON CONFLICT (key) DO NOTHING", (str(dim),))

    def _has_passages(self) -> bool:
        return self.pg.execute("SELECT to_regclass('passages') IS NOT NULL").fetchone()[0]

    # -- meta -------------------------------------------------------------------
    def generation(self) -> int:
        return int(self.pg.execute("SELECT value FROM meta WHERE key='generation'").fetchone()[0])

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.pg.execute("SELECT value FROM meta WHERE key=%s", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self.pg.execute("INSERT INTO meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                        (key, value))
        if key == "dim":
            self.ensure_passages(int(value))

    # -- profiles ---------------------------------------------------------------
    def content_hashes(self) -> dict[str, str]:
        return dict(self.pg.execute("SELECT id, content_hash FROM profiles").fetchall())

    def _insert_passages(self, conn, profile_id: str, passages: list[Passage]) -> None:
        with conn.cursor() as cursor:
            write_copy(cursor, "passages", ("profile_id", "field", "position", "text", "terms", "vector"),
                       ((profile_id, p.field, p.position, p.text, p.terms,
                         np.asarray(p.vector, dtype=np.float32)) for p in passages))

    def save_profiles(self, items: Iterable[tuple[Profile, list[Passage]]], source: str = "") -> int:
        now = time.time()
        count = 0
        items = list(items)
        if items and items[0][1]:
            self.ensure_passages(len(items[0][1][0].vector))
        with self.pg_transaction() as conn:
            for profile, passages in items:
                row = self._profile_row(profile, source, now)
                existing = conn.execute("SELECT created_at FROM profiles WHERE id=%s", (profile.id,)).fetchone()
                if existing:
                    row["created_at"] = existing[0]
                    conn.execute("DELETE FROM passages WHERE profile_id=%s", (profile.id,))
                    assignments = ", ".join(f"{k}=%({k})s" for k in row if k != "id")
                    conn.execute(f"UPDATE profiles SET {assignments} WHERE id=%(id)s", row)
                else:
                    conn.execute(f"INSERT INTO profiles ({', '.join(row)}) "
                                 f"VALUES ({', '.join(f'%({k})s' for k in row)})", row)
                self._insert_passages(conn, profile.id, passages)
                count += 1
        return count

    def replace_passages(self, items: Iterable[tuple[str, list[Passage]]], meta: dict | None = None) -> int:
        count = 0
        with self.pg_transaction() as conn:
            for profile_id, passages in items:
                conn.execute("DELETE FROM passages WHERE profile_id=%s", (profile_id,))
                self._insert_passages(conn, profile_id, passages)
                count += 1
            for key, value in (meta or {}).items():
                conn.execute("INSERT INTO meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                             (key, value))
        return count

    def move_references(self, old_id: str, new_id: str) -> None:
        """``Store.move_references`` without SQLite's ``UPDATE OR IGNORE``: a row the kept
        profile already has (``_KEPT_ON_MERGE``) stays behind and goes with the old profile."""
        tables = self.table_names()
        with self.transaction() as conn:
            for table, column in MOVED_ON_MERGE:
                if table in tables:
                    guard = _KEPT_ON_MERGE.get(table)
                    conn.execute(f"UPDATE {table} SET {column}=:new WHERE {column}=:old"
                                 + (f" AND NOT ({guard})" if guard else ""), {"new": new_id, "old": old_id})

    def delete_profiles(self, ids: Iterable[str]) -> int:
        """Delete profiles for every server at once, in one transaction: passages,
        subscriptions, listings, introductions, pauses, ``not_suggested`` by foreign key,
        cooperations, who created them and the member logins bound to them (their API keys
        and sessions by foreign key)."""
        ids = list(ids)
        tables = self.table_names()
        with self.pg_transaction() as conn:
            removed = conn.execute("DELETE FROM profiles WHERE id = ANY(%s)", (ids,)).rowcount
            conn.execute("DELETE FROM cooperations WHERE a = ANY(%s) OR b = ANY(%s)", (ids, ids))
            if "profile_creators" in tables:
                conn.execute("DELETE FROM profile_creators WHERE profile_id = ANY(%s)", (ids,))
            if "users" in tables:
                conn.execute("DELETE FROM users WHERE profile_id = ANY(%s) AND role='member'", (ids,))
        return removed

    def rejects(self, limit: int = 1000) -> list[dict]:
        cursor = self.pg.execute("SELECT * FROM rejects ORDER BY id DESC LIMIT %s", (limit,))
        names = [d.name for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor]

    def _binary(self, sql: str, params=()):
        """Rows with ``vector`` columns: binary transfer, no text to parse."""
        return self.pg.cursor(binary=True).execute(sql, params)

    def _select_profiles(self, where: str = "", params=()) -> list[tuple]:
        return self.pg.execute(f"SELECT {', '.join(self._profile_names)} FROM profiles {where}", params).fetchall()

    def get_profile(self, profile_id: str) -> dict | None:
        rows = self._select_profiles("WHERE id=%s", (profile_id,))
        return self._row_dict(rows[0]) if rows else None

    def get_profiles(self, ids: Iterable[str]) -> dict[str, dict]:
        records = (self._row_dict(r) for r in self._select_profiles("WHERE id = ANY(%s)", (list(ids),)))
        return {r["id"]: r for r in records}

    def list_profiles(self, *, kind=None, landkreis=None, town=None, q=None,
                      listed_only=True, limit=50, offset=0) -> tuple[list[dict], int]:
        where, params = [], []
        if listed_only:
            where.append("listed = 1")
        for column, value in (("kind", kind), ("landkreis", landkreis), ("town", town)):
            if value:
                where.append(f"{column} = %s")
                params.append(value)
        if q:
            # SQLite's LIKE ignores ASCII case; ILIKE does too (and more: umlauts).
            where.append("name ILIKE %s")
            params.append("%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
        clause = ("WHERE " + " AND ".join(where)) if where else ""
        total = self.pg.execute(f"SELECT count(*) FROM profiles {clause}", params).fetchone()[0]
        rows = self._select_profiles(f"{clause} ORDER BY name COLLATE \"C\" LIMIT %s OFFSET %s",
                                     params + [limit, offset])
        return [self._row_dict(r) for r in rows], total

    def count_profiles(self) -> int:
        return self.pg.execute("SELECT count(*) FROM profiles").fetchone()[0]

    def profile_table(self, ids: Iterable[str] | None = None) -> list[tuple]:
        if ids is not None:       # the rows an incremental index update re-reads (index/search_index.py)
            return self.pg.execute('SELECT id, kind, landkreis, lat, lon, listed, extra FROM profiles '
                                   'WHERE id = ANY(%s) ORDER BY id COLLATE "C"', (list(ids),)).fetchall()
        return self.pg.execute('SELECT id, kind, landkreis, lat, lon, listed, extra FROM profiles '
                               'ORDER BY id COLLATE "C"').fetchall()

    # -- passages ---------------------------------------------------------------
    def passages_for_many(self, profile_ids: Iterable[str]) -> dict[str, list[dict]]:
        out: dict[str, list[dict]] = {}
        if not self._has_passages():
            return out
        rows = self._binary("SELECT profile_id, id, field, position, text, terms, vector FROM passages "
                            "WHERE profile_id = ANY(%s) ORDER BY id", (list(profile_ids),))
        for r in rows:
            out.setdefault(r[0], []).append({"id": r[1], "field": r[2], "position": r[3], "text": r[4],
                                             "terms": r[5], "vector": parse_vector(r[6])})
        return out

    def passage_texts(self, ids: Iterable[int]) -> dict[int, tuple[str, str, str]]:
        rows = self.pg.execute("SELECT id, profile_id, field, text FROM passages WHERE id = ANY(%s)",
                               ([int(i) for i in ids],))
        return {pid: (profile_id, field, text) for pid, profile_id, field, text in rows}

    def iter_passages(self, batch: int = 20000, with_vectors: bool = True):
        if not self._has_passages():
            return
        last = -1
        columns = "id, profile_id, field, terms" + (", vector" if with_vectors else "")
        while True:
            rows = self._binary(f"SELECT {columns} FROM passages WHERE id > %s ORDER BY id LIMIT %s",
                                (last, batch)).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            ids = np.array([r[0] for r in rows], dtype=np.int64)
            vectors = np.vstack([parse_vector(r[4]) for r in rows]) if with_vectors else None
            yield ids, [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows], vectors

    def passage_ids(self) -> np.ndarray:
        if not self._has_passages():
            return np.zeros(0, dtype=np.int64)
        return np.array([r[0] for r in self.pg.execute("SELECT id FROM passages ORDER BY id")], dtype=np.int64)

    def passages_after(self, last_id: int) -> tuple[np.ndarray, np.ndarray | None]:
        if not self._has_passages():
            return np.zeros(0, dtype=np.int64), None
        rows = self._binary("SELECT id, vector FROM passages WHERE id > %s ORDER BY id", (last_id,)).fetchall()
        if not rows:
            return np.zeros(0, dtype=np.int64), None
        return (np.array([r[0] for r in rows], dtype=np.int64), np.vstack([parse_vector(r[1]) for r in rows]))

    def sample_vectors(self, count: int) -> np.ndarray:
        rows = self._binary("SELECT vector FROM passages ORDER BY id LIMIT %s", (count,)).fetchall()
        return np.vstack([parse_vector(r[0]) for r in rows]) if rows else np.zeros((0, 0), np.float32)

    def count_passages(self) -> int:
        if not self._has_passages():
            return 0
        return self.pg.execute("SELECT count(*) FROM passages").fetchone()[0]

    # -- cooperations -----------------------------------------------------------
    def add_cooperations(self, rows: Iterable[tuple[str, str, str, str, str]]) -> int:
        pairs = [(min(a, b), max(a, b), p, t, s) for a, b, p, t, s in rows if a != b]
        added = 0
        with self.pg_transaction() as conn:
            with conn.cursor() as cursor:
                for pair in pairs:
                    cursor.execute("INSERT INTO cooperations VALUES (%s,%s,%s,%s,%s) ON CONFLICT DO NOTHING", pair)
                    added += cursor.rowcount
        return added

    def cooperations(self) -> list[tuple[str, str, str, str]]:
        return self.pg.execute("SELECT a, b, project_id, title FROM cooperations").fetchall()

    def known_partners(self, profile_id: str) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for a, b, title in self.pg.execute("SELECT a, b, title FROM cooperations WHERE a=%s OR b=%s",
                                           (profile_id, profile_id)):
            out.setdefault(b if a == profile_id else a, []).append(title)
        return out
