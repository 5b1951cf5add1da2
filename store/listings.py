"""The listings table ("Angebote und Gesuche"), in the same SQLite file as the profiles.

Every listing belongs to one profile: ``profile_id REFERENCES profiles(id) ON DELETE
CASCADE``, so deleting a profile deletes its listings in the same transaction (the store
opens every connection with ``PRAGMA foreign_keys=ON``). Each listing keeps its analyzer
terms and its embedding vector, so matching never re-embeds. Writes bump
``listings_generation`` in ``meta`` in the same transaction and leave the profile index's
``generation`` alone (a new listing must not make servers rebuild the partner index);
readers cache by both generations, since a profile deletion cascades here too.
"""
from __future__ import annotations

import time
from typing import Iterable

import numpy as np

COLUMNS = ("id", "profile_id", "type", "title", "text", "material", "waste_code", "quantity", "unit",
           "period", "temperature_c", "power_kw", "process", "hours_per_month", "postcode", "town",
           "landkreis", "lat", "lon", "status", "visibility", "source", "created_by", "created_at",
           "updated_at", "renewed_at", "expires_at", "reminded_at", "terms")
SCHEMA = """
CREATE TABLE IF NOT EXISTS listings (
    id TEXT PRIMARY KEY,
    profile_id TEXT NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    type TEXT NOT NULL, title TEXT NOT NULL, text TEXT NOT NULL DEFAULT '',
    material TEXT NOT NULL DEFAULT '', waste_code TEXT NOT NULL DEFAULT '',
    quantity REAL, unit TEXT NOT NULL DEFAULT '', period TEXT NOT NULL DEFAULT '',
    temperature_c REAL, power_kw REAL, process TEXT NOT NULL DEFAULT '', hours_per_month REAL,
    postcode TEXT NOT NULL DEFAULT '', town TEXT NOT NULL DEFAULT '', landkreis TEXT NOT NULL DEFAULT '',
    lat REAL, lon REAL, status TEXT NOT NULL DEFAULT 'open', visibility TEXT NOT NULL DEFAULT 'public',
    source TEXT NOT NULL DEFAULT '', created_by INTEGER,
    created_at REAL NOT NULL, updated_at REAL NOT NULL, renewed_at REAL NOT NULL, expires_at REAL NOT NULL,
    reminded_at REAL, terms TEXT NOT NULL DEFAULT '', vector BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS listings_profile ON listings(profile_id);
CREATE INDEX IF NOT EXISTS listings_landkreis ON listings(landkreis);
CREATE INDEX IF NOT EXISTS listings_updated ON listings(updated_at);
"""


class ListingStore:
    def __init__(self, store):
        self.store = store
        self.store.conn.executescript(SCHEMA)
        self.store.conn.execute("INSERT INTO meta VALUES ('listings_generation', '0') ON CONFLICT DO NOTHING")

    @property
    def conn(self):
        return self.store.conn

    def generation(self) -> tuple[int, int]:
        """(profile generation, listings generation): a cache of listings is stale when either moved."""
        row = self.conn.execute("SELECT value FROM meta WHERE key='listings_generation'").fetchone()
        return self.store.generation(), int(row[0]) if row else 0

    def _bump(self, conn) -> None:
        conn.execute("UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key='listings_generation'")

    def save(self, rows: Iterable[dict]) -> int:
        """Insert or replace listings (dicts with ``COLUMNS`` and ``vector``), atomically."""
        count = 0
        with self.store.transaction(bump_generation=False) as conn:
            for row in rows:
                values = {k: row.get(k) for k in COLUMNS}
                values["vector"] = np.asarray(row["vector"], dtype=np.float32).tobytes()
                names = ", ".join(values)
                updates = ", ".join(f"{k}=excluded.{k}" for k in values if k != "id")
                # An upsert, not SQLite's INSERT OR REPLACE: the same statement on PostgreSQL.
                conn.execute(f"INSERT INTO listings ({names}) VALUES ({', '.join(':' + k for k in values)}) "
                             f"ON CONFLICT (id) DO UPDATE SET {updates}", values)
                count += 1
            self._bump(conn)
        return count

    def update_fields(self, listing_id: str, **fields) -> bool:
        """Change a few columns (status, validity, reminder) without re-embedding."""
        assignments = ", ".join(f"{k}=:{k}" for k in fields)
        with self.store.transaction(bump_generation=False) as conn:
            changed = conn.execute(f"UPDATE listings SET {assignments} WHERE id=:id",
                                   {**fields, "id": listing_id}).rowcount
            self._bump(conn)
        return bool(changed)

    def delete(self, ids: Iterable[str]) -> int:
        with self.store.transaction(bump_generation=False) as conn:
            removed = sum(conn.execute("DELETE FROM listings WHERE id=?", (i,)).rowcount for i in ids)
            self._bump(conn)
        return removed

    def get(self, listing_id: str) -> dict | None:
        row = self.conn.execute(f"SELECT {', '.join(COLUMNS)} FROM listings WHERE id=?", (listing_id,)).fetchone()
        return dict(zip(COLUMNS, row)) if row else None

    def get_many(self, ids: Iterable[str]) -> dict[str, dict]:
        ids = list(ids)
        out = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            for row in self.conn.execute(f"SELECT {', '.join(COLUMNS)} FROM listings WHERE id IN "
                                         f"({','.join('?' * len(chunk))})", chunk):
                record = dict(zip(COLUMNS, row))
                out[record["id"]] = record
        return out

    def list(self, *, type_=None, landkreis=None, profile_id=None, status=None, q=None,
             active_at: float | None = None, limit=50, offset=0) -> tuple[list[dict], int]:
        where, params = [], []
        for column, value in (("type", type_), ("landkreis", landkreis), ("profile_id", profile_id),
                              ("status", status)):
            if value:
                where.append(f"{column} = ?")
                params.append(value)
        if q:
            where.append("(title LIKE ? OR text LIKE ? OR material LIKE ? OR process LIKE ?)")
            params.extend([f"%{q}%"] * 4)
        if active_at is not None:
            where.append("expires_at > ? AND status != 'done'")
            params.append(active_at)
        clause = ("WHERE " + " AND ".join(where)) if where else ""
        total = self.conn.execute(f"SELECT count(*) FROM listings {clause}", params).fetchone()[0]
        rows = self.conn.execute(f"SELECT {', '.join(COLUMNS)} FROM listings {clause} "
                                 f"ORDER BY updated_at DESC, id LIMIT ? OFFSET ?", params + [limit, offset])
        return [dict(zip(COLUMNS, r)) for r in rows], total

    def all_with_vectors(self) -> tuple[list[dict], np.ndarray | None]:
        """Every listing with its vector (for the matcher's in-memory table)."""
        rows = self.conn.execute(f"SELECT {', '.join(COLUMNS)}, vector FROM listings ORDER BY id").fetchall()
        if not rows:
            return [], None
        records = [dict(zip(COLUMNS, r[:-1])) for r in rows]
        vectors = np.vstack([np.frombuffer(r[-1], dtype=np.float32) for r in rows])
        return records, vectors

    def expiring(self, before: float, now: float) -> list[dict]:
        """Open listings that expire before ``before`` and were not reminded since their renewal."""
        rows = self.conn.execute(
            f"SELECT {', '.join(COLUMNS)} FROM listings WHERE status != 'done' AND expires_at <= ? "
            f"AND expires_at > ? AND (reminded_at IS NULL OR reminded_at < renewed_at) ORDER BY expires_at",
            (before, now)).fetchall()
        return [dict(zip(COLUMNS, r)) for r in rows]

    def created_between(self, since: float, until: float) -> list[str]:
        """Listings new or renewed in (since, until]."""
        return [r[0] for r in self.conn.execute(
            "SELECT id FROM listings WHERE renewed_at > ? AND renewed_at <= ? ORDER BY id", (since, until))]

    def count(self) -> int:
        return self.conn.execute("SELECT count(*) FROM listings").fetchone()[0]


def now() -> float:
    return time.time()
