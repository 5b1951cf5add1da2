"""A database with the demo profiles and the labelled listings, built once per session."""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, copy_database, make_radar, radar_on

LABELLED = FIXTURES / "listings_labelled.csv"


def copy_demo(demo_radar, target: Path) -> Path:
    """The session's demo database (profiles only) copied consistently (SQLite backup)."""
    copy = sqlite3.connect(target)
    demo_radar.store.conn.backup(copy)
    copy.close()
    shutil.copytree(demo_radar.settings.index_dir, target.with_suffix(".index"),
                    ignore=shutil.ignore_patterns("*.lock"))
    return target


@pytest.fixture(scope="session")
def listings_template(tmp_path_factory, demo_radar) -> Path:
    """The session's demo database copied plus the 96 labelled listings."""
    from listings.importer import import_listings
    from listings.service import Listings

    target = copy_demo(demo_radar, tmp_path_factory.mktemp("listings") / "listings.db")
    radar = make_radar(target, demo_radar.encoder)
    report = import_listings(Listings(radar), LABELLED)
    assert report.rejected == [] and report.inserted == 96
    radar.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    radar.store.close()
    return target


@pytest.fixture(scope="session")
def pg_listings_template(postgres, pg_demo_template, encoder, tmp_path_factory) -> str:
    """The demo profiles plus the 96 labelled listings in a PostgreSQL template database."""
    from listings.importer import import_listings
    from listings.service import Listings

    url = postgres.create_database("listings_template", template=pg_demo_template)
    radar = make_radar(tmp_path_factory.mktemp("pg-listings") / "listings.db", encoder, database_url=url)
    report = import_listings(Listings(radar), LABELLED)
    assert report.rejected == [] and report.inserted == 96
    radar.store.close()
    return url


@pytest.fixture
def listings_on(deployment, request, tmp_path, encoder, listings_template):
    """A writable copy of the labelled database on SQLite + FAISS or on PostgreSQL."""
    return radar_on(deployment, request, listings_template, "pg_listings_template", tmp_path / "listings.db", encoder)


@pytest.fixture
def listings_radar(tmp_path, encoder, listings_template):
    """A writable copy of the labelled database."""
    return make_radar(copy_database(listings_template, tmp_path / "listings.db"), encoder)
