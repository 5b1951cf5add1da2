"""Overrides that run a whole test module on SQLite + FAISS and on PostgreSQL (pgvector).

A module imports the ones it needs (``from tests.both_deployments import demo_radar``); its
tests, unchanged, then run once per deployment with the same data:

- ``demo_radar``: the read-only demo profiles, once per module and deployment (on PostgreSQL
  with PARTNERRADAR_DATABASE_URL set while the module's tests run);
- ``demo_accounts``: the demo accounts in that deployment's demo database;
- ``small_radar``: profile_klein's twelve profiles, writable, a copy per test (``small_on_both``);
- ``sqlite_only``: the mark for a test of such a module that stays on SQLite + FAISS.

While the PostgreSQL ``demo_radar`` is in use, the environment names its database: a test of
the same module that runs the CLI on a SQLite file of its own must use ``database_on``.
"""
from __future__ import annotations

import pytest


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def demo_radar(request, demo_radar):
    """On PostgreSQL with PARTNERRADAR_DATABASE_URL set for the module, so that the CLI given
    ``--db`` of this radar opens the same data (as ``radar_on`` does for one test)."""
    if request.param == "sqlite":
        yield demo_radar
        return
    radar = request.getfixturevalue("pg_demo_radar")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PARTNERRADAR_DATABASE_URL", radar.settings.database_url)
        yield radar


@pytest.fixture(scope="module")
def demo_accounts(request, demo_radar, demo_accounts):
    return demo_accounts if demo_radar.store.engine == "sqlite" else request.getfixturevalue("pg_demo_accounts")


@pytest.fixture
def small_radar(small_on_both):
    return small_on_both


#: For a test about the SQLite file or the FAISS files themselves, in a module whose other
#: tests run on both: it runs on SQLite + FAISS only (the reason stands next to each use).
sqlite_only = pytest.mark.parametrize("deployment", ["sqlite"])
