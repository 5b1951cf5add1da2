"""The profile store: one SQLite file (WAL) that is the single source of truth.

Profiles, their passages (text, lexical terms and embedding vector), known
cooperations and rejected rows live here. The FAISS index is a cache derived from
the passage vectors; every write bumps ``generation`` in the same transaction, and
an index stamped with another generation is rebuilt from the stored vectors.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from store.files import private_database, private_dir
from vocabulary.profile import Profile

PROFILE_COLUMNS = {
    "id": str, "name": str, "kind": str, "description": str, "offers": str, "seeks": str,
    "keywords": str, "street": str, "postcode": str, "town": str, "landkreis": str,
    "lat": float, "lon": float, "website": str, "contact_name": str, "contact_email": str,
    "listed": int, "extra": str, "content_hash": str, "source": str,
    "created_at": float, "updated_at": float,
}
#: Contact data: only for those entitled (staff, the member's own profile). The website is
#: one of them, as the README's input table says: it often names a person or leads to one.
#: The tables ``Store`` itself creates (the application modules add theirs).
SCHEMA_TABLES = ("profiles", "passages", "cooperations", "rejects", "not_suggested", "meta")
CONTACT_FIELDS = ("contact_name", "contact_email", "street", "website")
#: Columns of tables other modules keep in this file that name a profile. A merge hands on
#: only what is the firm's, never who may act for it (``Store.move_references``); deleting a
#: profile removes every one of them (``Store.delete_profiles``; listings by foreign key).
PROFILE_REFERENCES = (("subscriptions", "profile_id"), ("users", "profile_id"),
                      ("profile_creators", "profile_id"), ("listings", "profile_id"))
#: When a profile was last confirmed (``p``: profiles, ``c``: profile_confirmations).
LAST_CONFIRMED_SQL = "max(p.created_at, p.updated_at, coalesce(c.confirmed_at, 0))"
#: What a merge moves to the kept profile: subscriptions (the firm's digest goes on) and its
#: offers and requests. Member logins (and with them their API keys) and creators stay with
#: their profile: moving them would hand one firm's account the other firm's profile.
MOVED_ON_MERGE = (("subscriptions", "profile_id"), ("listings", "profile_id"))
#: Pairs a seeker must not be offered again (a declined introduction): read per query by
#: ``Radar.search``/``partners``, so no index rebuild is needed. (Both engines' DDL.)
NOT_SUGGESTED_SCHEMA = """
    CREATE TABLE IF NOT EXISTS not_suggested (
        seeker TEXT NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
        partner TEXT NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
        reason TEXT NOT NULL DEFAULT '', created_at REAL NOT NULL,
        PRIMARY KEY (seeker, partner))"""
#: Rows an import could not take, with file and line (SQLite's is made by sqlite-utils alike).
REJECTS_SCHEMA = """
    CREATE TABLE IF NOT EXISTS rejects (
        id INTEGER PRIMARY KEY, file TEXT, line INTEGER, reason TEXT, raw TEXT, created_at REAL)"""


@dataclass
class Passage:
    """A scoring unit: one or a few sentences of one profile field."""
    profile_id: str
    field: str
    position: int
    text: str
    terms: str           # space-separated analyzer terms
    vector: np.ndarray   # float32, L2-normalised


class Store:
    #: Which database holds the passages and their vectors (``store.postgres.PgStore`` is "postgresql").
    engine = "sqlite"
    #: A backend that searches the vectors where this store keeps them (``index/backend.BACKENDS``);
    #: None: the ``vector_backend`` setting picks one, which keeps its own files.
    vector_backend: str | None = None

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.parent.exists():
            private_dir(self.path.parent)
        private_database(self.path)      # 0600 before SQLite creates it (and its -wal/-shm) 0644
        self._local = threading.local()
        self._init_schema()

    # -- connections ------------------------------------------------------------
    @property
    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None,
                                   check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
        return conn

    @property
    def db(self) -> "sqlite_utils.Database":
        import sqlite_utils     # 0.3 s to import: a cold ``search`` that finds its schema needn't

        return sqlite_utils.Database(self.conn)

    def table_names(self) -> set[str]:
        """The tables there are (other modules create theirs on first use); one sqlite_master
        query, without importing sqlite-utils."""
        return {row[0] for row in self.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    @contextmanager
    def transaction(self, bump_generation: bool = True) -> Iterator[sqlite3.Connection]:
        """One write transaction that also bumps the generation (all or nothing).

        ``bump_generation=False`` for writes the search index does not depend on
        (subscriptions, deliveries): they must not make servers rebuild it.
        """
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            for hook in list(getattr(self._local, "commit_hooks", ())):
                hook(conn)
            if bump_generation:
                conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    @contextmanager
    def each_transaction(self, hook) -> Iterator[None]:
        """While inside, every ``transaction()`` of this thread runs ``hook(conn)`` just before
        its commit: what the hook writes (an audit line, store/users.py) commits or rolls back
        with the change itself, never without it."""
        hooks = getattr(self._local, "commit_hooks", None)
        if hooks is None:
            hooks = self._local.commit_hooks = []
        hooks.append(hook)
        try:
            yield
        finally:
            hooks.remove(hook)

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """Reads that must see one consistent state (WAL keeps it while writers go on)."""
        conn = self.conn
        if conn.in_transaction:
            yield conn
            return
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    def _init_schema(self) -> None:
        # Every process opens the store; sqlite-utils (0.3 s of a cold ``search``) is only
        # imported when a table is still missing.
        if not set(SCHEMA_TABLES) <= self.table_names():
            self._create_tables(self.db)
        self._profile_names = [d[0] for d in self.conn.execute("SELECT * FROM profiles LIMIT 0").description]

    def _create_tables(self, db) -> None:
        if "profiles" not in db.table_names():
            db["profiles"].create(PROFILE_COLUMNS, pk="id", not_null={"name", "kind"})
            db["profiles"].create_index(["kind"])
            db["profiles"].create_index(["landkreis"])
            db["profiles"].create_index(["updated_at"])
        if "passages" not in db.table_names():
            db.execute("""
                CREATE TABLE passages (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    profile_id TEXT NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
                    field TEXT NOT NULL, position INTEGER NOT NULL,
                    text TEXT NOT NULL, terms TEXT NOT NULL, vector BLOB NOT NULL)""")
            db.execute("CREATE INDEX passages_profile ON passages(profile_id)")
        if "cooperations" not in db.table_names():
            db.execute("""
                CREATE TABLE cooperations (
                    a TEXT NOT NULL, b TEXT NOT NULL, project_id TEXT NOT NULL,
                    title TEXT NOT NULL DEFAULT '', source TEXT NOT NULL DEFAULT '',
                    PRIMARY KEY (a, b, project_id))""")
            db.execute("CREATE INDEX cooperations_b ON cooperations(b)")
        if "rejects" not in db.table_names():
            db["rejects"].create({"id": int, "file": str, "line": int, "reason": str,
                                  "raw": str, "created_at": float}, pk="id")
        if "not_suggested" not in db.table_names():
            db.execute(NOT_SUGGESTED_SCHEMA)
        if "meta" not in db.table_names():
            db["meta"].create({"key": str, "value": str}, pk="key")
            db.execute("INSERT INTO meta VALUES ('generation', '0')")

    # -- meta -------------------------------------------------------------------
    def generation(self) -> int:
        return int(self.conn.execute("SELECT value FROM meta WHERE key='generation'").fetchone()[0])

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                          (key, value))

    # -- profiles ---------------------------------------------------------------
    def content_hashes(self) -> dict[str, str]:
        return dict(self.conn.execute("SELECT id, content_hash FROM profiles"))

    def save_profiles(self, items: Iterable[tuple[Profile, list[Passage]]], source: str = "") -> int:
        """Insert or replace profiles with their passages, atomically."""
        now = time.time()
        count = 0
        with self.transaction() as conn:
            for profile, passages in items:
                row = self._profile_row(profile, source, now)
                existing = conn.execute("SELECT created_at FROM profiles WHERE id=?", (profile.id,)).fetchone()
                if existing:
                    row["created_at"] = existing[0]
                    conn.execute("DELETE FROM passages WHERE profile_id=?", (profile.id,))
                    assignments = ", ".join(f"{k}=:{k}" for k in row if k != "id")
                    conn.execute(f"UPDATE profiles SET {assignments} WHERE id=:id", row)
                else:
                    columns = ", ".join(row)
                    conn.execute(f"INSERT INTO profiles ({columns}) VALUES ({', '.join(':' + k for k in row)})", row)
                conn.executemany(
                    "INSERT INTO passages (profile_id, field, position, text, terms, vector) VALUES (?,?,?,?,?,?)",
                    [(profile.id, p.field, p.position, p.text, p.terms,
                      np.asarray(p.vector, dtype=np.float32).tobytes()) for p in passages])
                count += 1
        return count

    def replace_passages(self, items: Iterable[tuple[str, list[Passage]]], meta: dict | None = None) -> int:
        """Swap profiles' passages for new ones (a re-embedding) in ONE transaction.

        ``items`` may embed lazily as it is consumed: readers go on seeing the old passages
        (WAL) until the commit, which also writes ``meta`` (the model that made the vectors)
        and bumps the generation, so no reader ever sees two models' vectors mixed."""
        count = 0
        with self.transaction() as conn:
            for profile_id, passages in items:
                conn.execute("DELETE FROM passages WHERE profile_id=?", (profile_id,))
                conn.executemany(
                    "INSERT INTO passages (profile_id, field, position, text, terms, vector) VALUES (?,?,?,?,?,?)",
                    [(profile_id, p.field, p.position, p.text, p.terms,
                      np.asarray(p.vector, dtype=np.float32).tobytes()) for p in passages])
                count += 1
            for key, value in (meta or {}).items():
                conn.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                             (key, value))
        return count

    @staticmethod
    def _profile_row(profile: Profile, source: str, now: float) -> dict:
        row = {key: getattr(profile, key) for key in PROFILE_COLUMNS
               if hasattr(profile, key) and key != "extra"}
        row.update(listed=int(profile.listed), extra=json.dumps(profile.extra, ensure_ascii=False),
                   content_hash=profile.content_hash(), source=source,
                   created_at=now, updated_at=now)
        return row

    def move_references(self, old_id: str, new_id: str) -> None:
        """Hand the subscriptions of profile ``old_id`` to ``new_id`` (a merge): no subscriber
        loses the digest because two profiles became one. Accounts never move (see
        ``MOVED_ON_MERGE``). A subscription the new profile already has (same address
        subscribed twice) is left behind and goes with the old profile."""
        tables = self.table_names()
        with self.transaction() as conn:
            for table, column in MOVED_ON_MERGE:
                if table in tables:
                    conn.execute(f"UPDATE OR IGNORE {table} SET {column}=? WHERE {column}=?", (new_id, old_id))

    def owners_of(self, profile_id: str) -> frozenset[str]:
        """Who may act for this profile besides staff by region: its member logins and its
        creator, as ``member:<user id>`` / ``creator:<user id>``. Two profiles with different
        owners must never become one (a merge would hand one owner the other's profile)."""
        tables = self.table_names()
        owners = set()
        if "users" in tables:
            owners |= {f"member:{r[0]}" for r in self.conn.execute(
                "SELECT id FROM users WHERE profile_id=? AND role='member'", (profile_id,))}
        if "profile_creators" in tables:
            owners |= {f"creator:{r[0]}" for r in self.conn.execute(
                "SELECT user_id FROM profile_creators WHERE profile_id=?", (profile_id,))}
        return frozenset(owners)

    def delete_profiles(self, ids: Iterable[str]) -> int:
        """Delete profiles everywhere, in one transaction: passages, cooperations,
        subscriptions (foreign keys), who created them and the member logins bound to them
        (their API keys go with them). Nothing is left that would give someone rights over a
        profile re-imported later under the same id."""
        ids = list(ids)
        tables = self.table_names()
        with self.transaction() as conn:
            removed = 0
            for profile_id in ids:
                removed += conn.execute("DELETE FROM profiles WHERE id=?", (profile_id,)).rowcount
                conn.execute("DELETE FROM cooperations WHERE a=? OR b=?", (profile_id, profile_id))
                if "profile_creators" in tables:
                    conn.execute("DELETE FROM profile_creators WHERE profile_id=?", (profile_id,))
                if "users" in tables:
                    conn.execute("DELETE FROM users WHERE profile_id=? AND role='member'", (profile_id,))
        return removed

    def get_profile(self, profile_id: str) -> dict | None:
        row = self.conn.execute("SELECT * FROM profiles WHERE id=?", (profile_id,)).fetchone()
        return self._row_dict(row) if row else None

    def _rows_in(self, sql: str, values: list):
        """Rows of ``sql`` (with one ``IN ({marks})``) for many values, in chunks SQLite accepts."""
        for start in range(0, len(values), 500):
            chunk = values[start:start + 500]
            yield from self.conn.execute(sql.format(marks=",".join("?" * len(chunk))), chunk)

    def get_profiles(self, ids: Iterable[str]) -> dict[str, dict]:
        out = {}
        for row in self._rows_in("SELECT * FROM profiles WHERE id IN ({marks})", list(ids)):
            record = self._row_dict(row)
            out[record["id"]] = record
        return out

    def list_profiles(self, *, kind=None, landkreis=None, town=None, q=None,
                      listed_only=True, limit=50, offset=0) -> tuple[list[dict], int]:
        where, params = [], []
        if listed_only:
            where.append("listed = 1")
        if kind:
            where.append("kind = ?")
            params.append(kind)
        if landkreis:
            where.append("landkreis = ?")
            params.append(landkreis)
        if town:
            where.append("town = ?")
            params.append(town)
        if q:
            where.append("name LIKE ?")
            params.append(f"%{q}%")
        clause = ("WHERE " + " AND ".join(where)) if where else ""
        total = self.conn.execute(f"SELECT count(*) FROM profiles {clause}", params).fetchone()[0]
        rows = self.conn.execute(
            f"SELECT * FROM profiles {clause} ORDER BY name LIMIT ? OFFSET ?", params + [limit, offset])
        return [self._row_dict(r) for r in rows], total

    def count_profiles(self) -> int:
        return self.conn.execute("SELECT count(*) FROM profiles").fetchone()[0]

    def profile_table(self, ids: Iterable[str] | None = None) -> list[tuple]:
        """Compact rows for the matcher's filters: id, kind, landkreis, lat, lon, listed, extra
        (of all profiles, or of those ``ids`` that exist)."""
        if ids is not None:
            return sorted(self._rows_in("SELECT id, kind, landkreis, lat, lon, listed, extra FROM profiles "
                                        "WHERE id IN ({marks})", list(ids)))
        return self.conn.execute(
            "SELECT id, kind, landkreis, lat, lon, listed, extra FROM profiles ORDER BY id").fetchall()

    def _row_dict(self, row) -> dict:
        record = dict(zip(self._profile_names, row))
        record["listed"] = bool(record["listed"])
        record["extra"] = json.loads(record["extra"] or "{}")
        return record

    # -- passages ---------------------------------------------------------------
    def passages_for(self, profile_id: str) -> list[dict]:
        return self.passages_for_many([profile_id]).get(profile_id, [])

    def passages_for_many(self, profile_ids: Iterable[str]) -> dict[str, list[dict]]:
        """Profile id -> its passages in order (one query per 500 profiles, not one each)."""
        out: dict[str, list[dict]] = {}
        sql = ("SELECT profile_id, id, field, position, text, terms, vector FROM passages "
               "WHERE profile_id IN ({marks}) ORDER BY id")
        for r in self._rows_in(sql, list(profile_ids)):
            out.setdefault(r[0], []).append({"id": r[1], "field": r[2], "position": r[3], "text": r[4],
                                             "terms": r[5], "vector": np.frombuffer(r[6], dtype=np.float32)})
        return out

    def passage_texts(self, ids: Iterable[int]) -> dict[int, tuple[str, str, str]]:
        sql = "SELECT id, profile_id, field, text FROM passages WHERE id IN ({marks})"
        return {pid: (profile_id, field, text)
                for pid, profile_id, field, text in self._rows_in(sql, [int(i) for i in ids])}

    def iter_passages(self, batch: int = 20000, with_vectors: bool = True):
        """(ids, profile_ids, fields, terms, vectors) in batches, for building indexes."""
        last = -1
        columns = "id, profile_id, field, terms" + (", vector" if with_vectors else "")
        while True:
            rows = self.conn.execute(
                f"SELECT {columns} FROM passages WHERE id > ? ORDER BY id LIMIT ?", (last, batch)).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            ids = np.array([r[0] for r in rows], dtype=np.int64)
            vectors = (np.vstack([np.frombuffer(r[4], dtype=np.float32) for r in rows])
                       if with_vectors else None)
            yield ids, [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows], vectors

    def rewrite_terms(self, derive, meta: dict[str, str], batch: int = 5000) -> int:
        """Every passage's stored lexical terms replaced by ``derive(profile name, field, text)``
        and ``meta`` set, in one transaction that moves the generation on; the vectors stay.
        For a change of how terms are derived (``ingest.passages.TERMS_VERSION``)."""
        rewritten = last = 0
        with self.transaction() as conn:
            while True:
                rows = conn.execute(
                    "SELECT p.id, p.field, p.text, r.name FROM passages p JOIN profiles r ON r.id = p.profile_id "
                    "WHERE p.id > ? ORDER BY p.id LIMIT ?", (last, batch)).fetchall()
                if not rows:
                    break
                for passage_id, field, text, name in rows:
                    conn.execute("UPDATE passages SET terms = ? WHERE id = ?", (derive(name, field, text), passage_id))
                rewritten += len(rows)
                last = rows[-1][0]
            for key, value in meta.items():
                self.set_meta(key, value)
        return rewritten

    def passages_since(self, last_id: int) -> list[tuple]:
        """(id, profile_id, field, terms) of the passages added since ``last_id``."""
        return self.conn.execute("SELECT id, profile_id, field, terms FROM passages WHERE id > ? ORDER BY id",
                                 (last_id,)).fetchall()

    def passage_ids(self) -> np.ndarray:
        """Every passage id, sorted. Read from the (profile_id, id) index as one string: the
        table itself holds text and vectors (a pass over it read 1 GB at 100k profiles) and
        a Python object per row cost ten times the parse (issue 17)."""
        try:
            text = self.conn.execute("SELECT group_concat(id) FROM passages INDEXED BY passages_profile").fetchone()[0]
        except sqlite3.OperationalError:     # a database without that index
            text = self.conn.execute("SELECT group_concat(id) FROM passages").fetchone()[0]
        if not text:
            return np.zeros(0, dtype=np.int64)
        return np.sort(np.fromstring(text, dtype=np.int64, sep=","))

    def passages_after(self, last_id: int) -> tuple[np.ndarray, np.ndarray | None]:
        """Passages added since ``last_id`` (ids only grow: AUTOINCREMENT)."""
        rows = self.conn.execute("SELECT id, vector FROM passages WHERE id > ? ORDER BY id",
                                 (last_id,)).fetchall()
        if not rows:
            return np.zeros(0, dtype=np.int64), None
        return (np.array([r[0] for r in rows], dtype=np.int64),
                np.vstack([np.frombuffer(r[1], dtype=np.float32) for r in rows]))

    def sample_vectors(self, count: int) -> np.ndarray:
        """About ``count`` passage vectors spread over the whole table (for training an index)."""
        total = self.count_passages()
        step = max(1, total // max(count, 1))
        rows = self.conn.execute("SELECT vector FROM passages WHERE id % ? = 0 LIMIT ?", (step, count)).fetchall()
        if len(rows) < min(count, total) // 2:   # ids with gaps in an unlucky pattern: take the first ones
            rows = self.conn.execute("SELECT vector FROM passages LIMIT ?", (count,)).fetchall()
        return np.vstack([np.frombuffer(r[0], dtype=np.float32) for r in rows]) if rows else np.zeros((0, 0), np.float32)

    def count_passages(self) -> int:
        return self.conn.execute("SELECT count(*) FROM passages").fetchone()[0]

    # -- cooperations -----------------------------------------------------------
    def add_cooperations(self, rows: Iterable[tuple[str, str, str, str, str]]) -> int:
        """Rows of (a, b, project_id, title, source); pairs are stored with a < b."""
        with self.transaction() as conn:
            before = conn.total_changes
            conn.executemany(
                "INSERT OR IGNORE INTO cooperations VALUES (?,?,?,?,?)",
                [(min(a, b), max(a, b), p, t, s) for a, b, p, t, s in rows if a != b])
            return conn.total_changes - before

    def cooperations(self) -> list[tuple[str, str, str, str]]:
        return self.conn.execute("SELECT a, b, project_id, title FROM cooperations").fetchall()

    def known_partners(self, profile_id: str) -> dict[str, list[str]]:
        """Partner id -> titles of the joint projects."""
        out: dict[str, list[str]] = {}
        for a, b, title in self.conn.execute(
                "SELECT a, b, title FROM cooperations WHERE a=? OR b=?", (profile_id, profile_id)):
            other = b if a == profile_id else a
            out.setdefault(other, []).append(title)
        return out

    def last_confirmed(self, ids: Iterable[str]) -> dict[str, float]:
        """Profile id -> when it was last confirmed: created, changed or confirmed by its owner
        (``confirmations``' table, once that exists), whichever is latest."""
        ids = list(ids)
        if "profile_confirmations" not in self.table_names():
            sql = "SELECT id, max(created_at, updated_at) FROM profiles WHERE id IN ({marks})"
        else:
            sql = (f"SELECT p.id, {LAST_CONFIRMED_SQL} FROM profiles p LEFT JOIN profile_confirmations c "
                   "ON c.profile_id = p.id WHERE p.id IN ({marks})")
        return {pid: at for pid, at in self._rows_in(sql, ids)}

    def not_suggested(self, seeker: str) -> list[str]:
        """Profiles this seeker declined (or was declined by) in an introduction."""
        return [r[0] for r in self.conn.execute("SELECT partner FROM not_suggested WHERE seeker=?", (seeker,))]

    # -- rejects ----------------------------------------------------------------
    def add_rejects(self, rows: Iterable[tuple[str, int, str, str]]) -> None:
        now = time.time()
        self.conn.executemany(
            "INSERT INTO rejects (file, line, reason, raw, created_at) VALUES (?,?,?,?,?)",
            [(f, line, reason, raw, now) for f, line, reason, raw in rows])

    def rejects(self, limit: int = 1000) -> list[dict]:
        return list(self.db["rejects"].rows_where(order_by="id desc", limit=limit))
