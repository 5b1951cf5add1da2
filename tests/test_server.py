"""The real server: ``partnerradar serve`` (waitress, worker processes) on a socket, talked to over HTTP."""
from __future__ import annotations

import json
import os
import shutil

import pytest

from evaluation.live_server import call, serving
from tests.access_helpers import api_key
from tests.conftest import CONTACT_MARKERS, copy_database, copy_on, ids_of, make_radar


def request(base, path, body=None, method=None, key=None):
    return call(base, path, body, method=method, key=key)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request, tmp_path_factory, small_template):
    """One server for this module per deployment (SQLite + FAISS, PostgreSQL); each test
    leaves the database as it found it. Yields (base, working file, admin key, database URL)."""
    tmp_path = tmp_path_factory.mktemp("server")
    db = tmp_path / "server.db"
    url = copy_on(request.param, request, small_template, "pg_small_template", db)
    from partnerradar.radar import open_store
    from partnerradar.config import Settings
    store = open_store(Settings(db_path=db, database_url=url))
    key = api_key(store, "admin")
    store.close()
    env = {"PARTNERRADAR_DATABASE_URL": url} if url else {}
    with serving(db, workers=2, log_path=tmp_path / "server.log", env=env) as live:
        yield live.base, db, key, url


def test_server_answers_searches_over_a_socket(server):
    base, _, key, _ = server
    status, headers, text = request(base, "/api/v1/search", {
        "query": "Laserstrahlschweißen von Aluminium im Leichtbau", "near": "Chemnitz", "radius_km": 80})

    assert status == 200 and headers["Content-Type"].startswith("application/json")
    results = json.loads(text)["results"]
    assert ids_of(results)[:2] in (["kl-laser", "kl-schweissforschung"], ["kl-schweissforschung", "kl-laser"])
    assert all(h["distance_km"] <= 80 for h in results)
    assert "Laserfügetechnik Mittweida GmbH" in text         # UTF-8 as is
    for marker in CONTACT_MARKERS:
        assert marker not in text

    status, _, text = request(base, "/healthz", key=key)
    state = json.loads(text)
    assert status == 200 and state["ok"] is True and state["profiles"] == 12
    assert state["model"] == "loaded"
    # anonymous: only the listed profiles are counted (kl-verborgen is unlisted)
    status, _, text = request(base, "/healthz")
    assert status == 200 and json.loads(text)["profiles"] == 11

    status, _, text = request(base, "/api/v1/search", {"query": "Schweißen", "limit": 0})
    assert status == 400 and "limit muss eine ganze Zahl" in json.loads(text)["message"]
    status, _, text = request(base, "/api/v1/profiles/gibt-es-nicht/partners")
    assert status == 404 and "Traceback" not in text


def test_server_sees_writes_from_another_process_without_restart(server, encoder):
    base, db, key, url = server
    query = "Orgelpfeifen aus Zinnlegierungen für historische Orgeln"
    status, _, text = request(base, "/api/v1/search", {"query": query, "limit": 3})
    assert status == 200 and "org-werkstatt" not in text

    # like `partnerradar ingest` run next to the server
    writer = make_radar(db, encoder, database_url=url)
    writer.save([{"id": "org-werkstatt", "name": "Orgelbau Großschönau GmbH", "kind": "kmu",
                  "description": "Die Werkstatt restauriert historische Orgeln und gießt Orgelpfeifen "
                                "aus Zinnlegierungen.", "postcode": "02779", "town": "Großschönau"}])

    # every worker answers with the new profile
    for _ in range(6):
        status, _, text = request(base, "/api/v1/search", {"query": query, "limit": 3})
        assert status == 200
        assert ids_of(json.loads(text)["results"])[0] == "org-werkstatt"

    writer.delete(["org-werkstatt"])
    for _ in range(6):
        status, _, text = request(base, "/api/v1/search", {"query": query, "limit": 3})
        assert "org-werkstatt" not in ids_of(json.loads(text)["results"])


def test_profile_created_over_http_is_found_and_stored(server, encoder):
    base, db, key, url = server
    body = {"id": "http-kaelte", "name": "Kältetechnik Löbau GmbH", "kind": "kmu",
            "description": "Wir planen Kühlhäuser für Obstbaubetriebe mit Propan als Kältemittel.",
            "postcode": "02708", "town": "Löbau", "contact_email": "leitung@kontakt-geheim.example"}
    status, headers, text = request(base, "/api/v1/profiles", body, key=key)
    assert status == 201, text
    assert headers["Location"].endswith("/api/v1/profiles/http-kaelte")
    assert "kontakt-geheim" not in text

    status, _, text = request(base, "/api/v1/search", {"query": "Kühlhäuser für Obstbaubetriebe", "limit": 1})
    assert ids_of(json.loads(text)["results"]) == ["http-kaelte"]
    # written to the same database and index the CLI uses
    reader = make_radar(db, encoder, database_url=url)
    assert reader.get_profile("http-kaelte")["contact_email"] == "leitung@kontakt-geheim.example"
    assert reader.index.vectors.ntotal == reader.store.count_passages()

    status, _, _ = request(base, "/api/v1/profiles/http-kaelte", method="DELETE", key=key)
    assert status == 204
    assert reader.store.get_profile("http-kaelte") is None


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2
                    or shutil.which("taskset") is None, reason="needs two CPUs and taskset to pin to one")
def test_the_default_worker_count_follows_the_cpus_the_server_may_use(tmp_path, small_template):
    """``taskset -c <one cpu> partnerradar serve`` (no --workers) used to start a worker per core
    of the machine, all competing for that one CPU; it starts one, and it answers."""
    from evaluation.live_server import cli_command

    db = copy_database(small_template, tmp_path / "pinned.db")
    one_cpu = str(min(os.sched_getaffinity(0)))
    with serving(db, workers=None, command=["taskset", "-c", one_cpu, *cli_command()],
                 log_path=tmp_path / "server.log", startup_timeout_s=300) as live:
        assert request(live.base, "/healthz")[0] == 200
        assert "(1 Worker-Prozess," in live.log(), live.log()
