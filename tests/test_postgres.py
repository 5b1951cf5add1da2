"""The PostgreSQL deployment (``PARTNERRADAR_DATABASE_URL``): store and passage vectors in
PostgreSQL with pgvector (HNSW), shared by servers with working folders of their own.

Every test here runs on a real throw-away cluster (``postgres`` fixture); the search and
write tests run on both deployments (``store_url``: SQLite + FAISS and PostgreSQL).
"""
from __future__ import annotations

import json
import time
from contextlib import ExitStack

import pytest

from tests.conftest import CONTACT_MARKERS, ids_of, make_radar, search
from evaluation.live_server import serving
from tests.test_server import request

LASER_QUERY = "Laserstrahlschweißen von Aluminium im Leichtbau"
ORGAN = {"id": "org-werkstatt", "name": "Orgelbau Großschönau GmbH", "kind": "kmu",
         "description": "Die Werkstatt restauriert historische Orgeln und gießt Orgelpfeifen "
                        "aus Zinnlegierungen.", "postcode": "02779", "town": "Großschönau"}
ORGAN_QUERY = "Orgelpfeifen aus Zinnlegierungen für historische Orgeln"


@pytest.fixture
def radar(request, store_url, small_radar):
    """The twelve profiles of profile_klein.csv on one deployment or the other."""
    if not store_url:
        return small_radar
    return request.getfixturevalue("pg_small_radar")


def test_the_cluster_searches_passages_with_an_hnsw_index(pg_small_radar):
    conn = pg_small_radar.store.pg
    assert conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
    method = conn.execute("SELECT am.amname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                          "JOIN pg_am am ON am.oid = c.relam WHERE c.relname = 'passages_hnsw'").fetchone()
    assert method == ("hnsw",)
    query = pg_small_radar.encoder.embed_queries([LASER_QUERY])[0]
    from store.postgres import vector_literal
    conn.execute("SET enable_seqscan = off")     # 12 profiles: the planner would scan them instead
    plan = " ".join(r[0] for r in conn.execute(
        "EXPLAIN SELECT id FROM passages ORDER BY vector <#> %s::vector LIMIT 10", (vector_literal(query),)))
    conn.execute("RESET enable_seqscan")
    assert "passages_hnsw" in plan
    assert pg_small_radar.index.vectors.index_type == "pgvector"


def test_pgvector_ranks_like_faiss_with_the_same_scores(small_radar, pg_small_radar):
    for query in (LASER_QUERY, "Sauerteigführung und Haltbarkeit von Brot", "Digitale Instandhaltungsplanung",
                  "Kühlung von Lebensmitteln"):
        faiss_hits = search(small_radar, query=query, limit=6)
        pg_hits = search(pg_small_radar, query=query, limit=6)
        assert [(h["id"], h["score"]) for h in pg_hits] == [(h["id"], h["score"]) for h in faiss_hits]
    assert ids_of(pg_small_radar.partners("kl-laser")) == ids_of(small_radar.partners("kl-laser"))


def test_search_filters_and_hides_unlisted_profiles(radar):
    hits = search(radar, query=LASER_QUERY, near="Chemnitz", radius_km=80)
    assert set(ids_of(hits)[:2]) == {"kl-laser", "kl-schweissforschung"}
    assert all(h["distance_km"] <= 80 for h in hits)
    assert "kl-verborgen" not in ids_of(search(radar, query="verborgen nicht gelistet", limit=20))
    assert {h["kind"] for h in search(radar, query=LASER_QUERY, kinds=["research"], limit=20)} == {"research"}
    assert "kl-laser" not in ids_of(search(radar, query=LASER_QUERY, exclude=["kl-laser"]))


def test_a_write_is_found_an_update_refound_and_a_delete_gone_everywhere(radar):
    assert "org-werkstatt" not in ids_of(search(radar, query=ORGAN_QUERY, limit=3))
    report = radar.save([ORGAN])
    assert report.inserted == 1
    assert ids_of(search(radar, query=ORGAN_QUERY, limit=3))[0] == "org-werkstatt"

    changed = dict(ORGAN, description="Die Werkstatt baut Glocken für Kirchtürme und gießt sie aus Bronze.")
    assert radar.save([changed]).updated == 1
    assert ids_of(search(radar, query="Kirchenglocken aus Bronze gießen", limit=1)) == ["org-werkstatt"]
    texts = " ".join(p["text"] for p in radar.store.passages_for("org-werkstatt"))
    assert "Orgelpfeifen" not in texts and "Glocken" in texts

    assert radar.delete(["org-werkstatt"]) == 1
    assert radar.store.get_profile("org-werkstatt") is None and radar.store.passages_for("org-werkstatt") == []
    assert "org-werkstatt" not in ids_of(search(radar, query="Kirchenglocken aus Bronze gießen", limit=5))
    assert radar.index.vectors.ntotal == radar.store.count_passages()


def test_two_servers_with_own_folders_share_one_postgres(tmp_path, encoder, postgres, pg_small_template):
    url = postgres.create_database(template=pg_small_template)
    first = make_radar(tmp_path / "eins" / "p.db", encoder, url)
    second = make_radar(tmp_path / "zwei" / "p.db", encoder, url)
    assert ids_of(search(second, query=ORGAN_QUERY, limit=3))[0] != "org-werkstatt"

    first.save([ORGAN])
    assert ids_of(search(second, query=ORGAN_QUERY, limit=3))[0] == "org-werkstatt"
    assert second.store.get_profile("org-werkstatt")["town"] == "Großschönau"
    # the other tables of the second server (its own SQLite) may name the new profile
    replica = second.store.conn.execute("SELECT name FROM profiles WHERE id = 'org-werkstatt'").fetchone()
    assert replica == ("Orgelbau Großschönau GmbH",)

    second.delete(["org-werkstatt"])
    assert "org-werkstatt" not in ids_of(search(first, query=ORGAN_QUERY, limit=3))
    assert first.store.conn.execute("SELECT count(*) FROM profiles WHERE id = 'org-werkstatt'").fetchone() == (0,)
    for radar in (first, second):
        radar.store.close()
    postgres.drop_database(url)


def test_check_finds_the_postgresql_store_sound_not_an_index_file_missing(pg_small_radar):
    from partnerradar.maintenance import check

    report = check(pg_small_radar)
    assert report.problems == []
    assert report.facts["profiles"] == 12
    assert report.facts["passages"] == pg_small_radar.store.count_passages() > 12


def test_an_unreachable_postgresql_is_a_german_error_without_the_password(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from partnerradar.cli import main

    monkeypatch.setenv("PARTNERRADAR_DATABASE_URL",
                       f"postgresql://nutzer:streng-geheim@/partnerradar?host={tmp_path / 'kein-server'}")
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "p.db"), "search", "Laserschweißen"])
    assert result.exit_code == 2
    assert "PostgreSQL unter „postgresql://nutzer:…@" in result.output and "nicht erreichbar" in result.output
    assert "streng-geheim" not in result.output and "Traceback" not in result.output


def test_the_database_url_must_name_postgresql():
    from partnerradar.config import load_settings

    with pytest.raises(ValueError, match="postgresql://") as error:
        load_settings(env={"PARTNERRADAR_DATABASE_URL": "mysql://nutzer:geheim@host/db",
                           "PARTNERRADAR_CONFIG": "/nonexistent.toml"})
    assert "geheim" not in str(error.value)


# -- live servers -------------------------------------------------------------------------

def found_within(base: str, query: str, profile_id: str, seconds: float, present: bool = True) -> float | None:
    """Seconds until a search through ``base`` has (or no longer has) ``profile_id`` on top."""
    start = time.monotonic()
    while time.monotonic() - start <= seconds:
        status, _, text = request(base, "/api/v1/search", {"query": query, "limit": 3})
        assert status == 200, text
        if (ids_of(json.loads(text)["results"])[:1] == [profile_id]) == present:
            return time.monotonic() - start
        time.sleep(0.05)
    return None


def test_a_write_through_one_server_is_found_through_the_other_within_two_seconds(
        tmp_path, postgres, pg_small_template):
    from store.postgres import PgStore
    from tests.access_helpers import api_key

    url = postgres.create_database(template=pg_small_template)
    folders = [tmp_path / "server-eins", tmp_path / "server-zwei"]
    for folder in folders:
        folder.mkdir()
    key = api_key(PgStore(folders[0] / "p.db", url), "admin")     # an account of the first server
    with ExitStack() as servers:
        bases = [servers.enter_context(serving(folder / "p.db", workers=2, log_path=folder / "server.log",
                                               env={"PARTNERRADAR_DATABASE_URL": url})).base
                 for folder in folders]
        body = dict(ORGAN, contact_email="werkstatt@kontakt-geheim.example")
        status, _, text = request(bases[1], "/api/v1/search", {"query": ORGAN_QUERY, "limit": 3})
        assert status == 200 and "org-werkstatt" not in text

        status, _, text = request(bases[0], "/api/v1/profiles", body, key=key)
        assert status == 201, text
        assert found_within(bases[1], ORGAN_QUERY, "org-werkstatt", 2.0) is not None
        for _ in range(6):      # whichever of its two workers answers
            status, _, text = request(bases[1], "/api/v1/search", {"query": ORGAN_QUERY, "limit": 3})
            assert ids_of(json.loads(text)["results"])[0] == "org-werkstatt"
        status, _, text = request(bases[1], "/api/v1/profiles/org-werkstatt")
        assert status == 200 and json.loads(text)["name"] == "Orgelbau Großschönau GmbH"
        assert not any(marker in text for marker in CONTACT_MARKERS)    # anonymous: no contact data

        status, _, _ = request(bases[0], "/api/v1/profiles/org-werkstatt", method="DELETE", key=key)
        assert status == 204
        assert found_within(bases[1], ORGAN_QUERY, "org-werkstatt", 2.0, present=False) is not None
        assert request(bases[1], "/api/v1/profiles/org-werkstatt")[0] == 404
    postgres.drop_database(url)


def test_backup_and_restore_refuse_on_postgresql_and_name_pg_dump(pg_small_radar, tmp_path):
    from partnerradar.maintenance import BackupError, backup, restore

    for run in (lambda: backup(pg_small_radar, tmp_path / "sicherung"),
                lambda: restore(pg_small_radar, tmp_path)):
        with pytest.raises(BackupError, match="pg_dump"):
            run()
    assert not (tmp_path / "sicherung").exists()


def test_the_modules_sqlite_flavoured_sql_runs_on_postgresql(database_url, tmp_path):
    """store/pgsql.py on a real database: what the modules write for SQLite means the same."""
    from store.postgres import PgStore

    store = PgStore(tmp_path / "p.db", database_url)
    conn = store.conn
    conn.executescript("""
        CREATE TABLE IF NOT EXISTS things (id INTEGER PRIMARY KEY AUTOINCREMENT,
            email TEXT NOT NULL UNIQUE COLLATE NOCASE, size REAL, flag INTEGER NOT NULL DEFAULT 0,
            data BLOB, note TEXT NOT NULL DEFAULT '50%');
        CREATE INDEX IF NOT EXISTS things_size ON things(size);""")
    conn.executescript("CREATE TABLE IF NOT EXISTS things (id INTEGER PRIMARY KEY)")   # again: nothing happens
    first = conn.execute("INSERT INTO things (email, size, flag, data) VALUES (?, ?, ?, ?) RETURNING id",
                         ("Anna@Example.de", 2.5, True, b"\x00\x01")).fetchone()[0]
    second = conn.execute("INSERT INTO things (email, size) VALUES (:email, :size) RETURNING id",
                          {"email": "bert@example.de", "size": 7.0}).fetchone()[0]
    assert second == first + 1
    with pytest.raises(Exception, match="unique|duplicate"):
        conn.execute("INSERT INTO things (email) VALUES (?)", ("ANNA@example.DE",))
    assert conn.execute("SELECT id FROM things WHERE email = ?", ("anna@example.de",)).fetchone() == (first,)
    assert conn.execute("SELECT count(*) FROM things WHERE email LIKE ?", ("%EXAMPLE%",)).fetchone() == (2,)
    assert conn.execute("SELECT count(*) FROM things WHERE email LIKE ?", ("%\\",)).fetchone() == (0,)
    assert conn.execute("SELECT max(size, 5), min(size, 5) FROM things WHERE flag = ?", (1,)).fetchone() == (5.0, 2.5)
    assert conn.execute("SELECT max(size), min(max(size, 5)) FROM things").fetchone() == (7.0, 5.0)
    assert conn.execute("SELECT note, data, 'a?b:c' FROM things WHERE id = ?", (first,)).fetchone() == (
        "50%", b"\x00\x01", "a?b:c")
    assert conn.execute("SELECT strftime('%Y-%m', 1700000000, 'unixepoch', 'localtime')").fetchone()[0] in (
        "2023-11", "2023-10")
    columns = {row[1] for row in conn.execute("PRAGMA table_info(things)")}
    assert columns == {"id", "email", "size", "flag", "data", "note"}
    conn.execute("ALTER TABLE things ADD COLUMN extra REAL NOT NULL DEFAULT 0")
    conn.execute("ALTER TABLE things ADD COLUMN extra REAL NOT NULL DEFAULT 0")     # a second server's start
    with pytest.raises(RuntimeError):
        with store.transaction(bump_generation=False) as tx:
            tx.execute("DELETE FROM things")
            raise RuntimeError("mitten in der Änderung")
    assert conn.execute("SELECT count(*) FROM things").fetchone() == (2,)        # rolled back
    generation = store.generation()
    with store.transaction() as tx:
        tx.execute("UPDATE things SET flag = ? WHERE id = ?", (False, first))
    assert store.generation() == generation + 1
    store.close()
