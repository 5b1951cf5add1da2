"""Pull the plug: SIGKILL an ingest and a reindex at random points, then nothing is lost.

After each kill the database and index must load, agree (``partnerradar check``) and
hold every profile the writer had reported committed. And while a writer runs in
another process, a real server keeps answering searches correctly.

SQLite + FAISS only: what is killed here is the write of the SQLite file and the FAISS files
(a FAISS file half-written, a WAL to recover); PostgreSQL's transactions are its own.
"""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time

import pytest

from partnerradar.maintenance import check
from tests.conftest import DEMO_CSV, ROOT, copy_database, ids_of, make_radar, search

SEEDS = (1, 2, 3)
BAKERY_QUERY = "Haltbarkeit von Sauerteigbroten ohne Zusatzstoffe verlängern"


def start_writer(mode, db, *extra):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "tests.crash_child", mode, str(db), *map(str, extra)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    lines = []
    first = proc.stdout.readline()
    assert first.strip() == "ready", proc.stderr.read()

    def collect():
        for line in proc.stdout:
            lines.append(line.strip())
    reader = threading.Thread(target=collect, daemon=True)
    reader.start()
    return proc, lines, reader


def kill_after(proc, reader, seconds, lines=None, after_lines=0):
    """SIGKILL ``seconds`` after the writer reported ``after_lines`` steps (so kills land
    inside later batches too, however fast or slow the machine is)."""
    deadline = time.monotonic() + 300
    while lines is not None and len(lines) < after_lines and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(seconds)
    proc.kill()                         # SIGKILL: no cleanup, no atexit, no finally
    proc.wait(timeout=30)
    reader.join(timeout=10)


def assert_sound(db, encoder, committed):
    radar = make_radar(db, encoder)
    index = radar.index                               # loads, or rebuilds from the stored vectors
    assert index.vectors.ntotal == radar.store.count_passages()
    report = check(radar)
    assert report.ok, report.problems
    missing = [pid for pid in committed if radar.store.get_profile(pid) is None]
    assert missing == []
    for pid in ("kl-laser", "kl-baeck", "kl-verborgen"):          # there before the writer started
        assert radar.store.get_profile(pid) is not None
    assert "kl-baeck" in ids_of(search(radar, query=BAKERY_QUERY, limit=3))
    return radar


@pytest.mark.parametrize("seed", SEEDS)
def test_ingest_killed_at_a_random_point_loses_nothing_committed(seed, small_template, tmp_path, encoder):
    db = copy_database(small_template, tmp_path / "crash.db")
    proc, lines, reader = start_writer("ingest", db, DEMO_CSV)
    rnd = random.Random(seed)
    kill_after(proc, reader, rnd.uniform(0.0, 2.0), lines, after_lines=rnd.randrange(0, 8))
    committed = [pid for line in lines if line.startswith("committed") for pid in line.split()[1:]]
    print(f"ingest seed {seed}: killed after {len(committed)} of 177 profiles committed")

    radar = assert_sound(db, encoder, committed)
    # committed profiles are findable by their own words (unlisted ones are never in searches)
    for pid in [p for p in committed if radar.get_profile(p)["listed"]][-3:]:
        profile = radar.get_profile(pid)
        text = profile["description"] or profile["offers"]
        assert pid in ids_of(search(radar, query=text, limit=5))


@pytest.mark.parametrize("seed", SEEDS)
def test_reindex_killed_at_a_random_point_leaves_a_sound_index(seed, small_template, tmp_path, encoder):
    db = copy_database(small_template, tmp_path / "crash.db")
    profiles_before = make_radar(db, encoder).store.count_profiles()
    proc, lines, reader = start_writer("reindex", db)
    rnd = random.Random(seed)
    kill_after(proc, reader, rnd.uniform(0.0, 1.5), lines, after_lines=rnd.randrange(0, 4))
    print(f"reindex seed {seed}: killed after {len(lines)} completed reindex runs")

    radar = assert_sound(db, encoder, [])
    assert radar.store.count_profiles() == profiles_before


def test_cli_check_after_a_kill(small_template, tmp_path, encoder):
    """The command an operator runs after a power cut."""
    db = copy_database(small_template, tmp_path / "crash.db")
    proc, lines, reader = start_writer("reindex", db)
    kill_after(proc, reader, 1.5)
    script = os.path.join(os.path.dirname(sys.executable), "partnerradar")
    result = subprocess.run([script, "check", "--repair", "--json", "--db", str(db)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["ok"] is True


def test_searches_answer_correctly_while_another_process_ingests_and_reindexes(
        small_template, tmp_path, encoder):
    from evaluation.live_server import call as request
    from evaluation.live_server import clean_env, cli_command, serving
    from store.db import Store
    from tests.access_helpers import api_key
    db = copy_database(small_template, tmp_path / "live.db")
    admin_key = api_key(Store(db), "admin")
    env = clean_env({"PARTNERRADAR_RATE_SEARCH": "100000 per minute"})
    [script] = cli_command()
    with serving(db, workers=2, log_path=tmp_path / "server.log", env=env) as server:
        base = server.base
        writer = subprocess.Popen(
            f"'{script}' ingest '{DEMO_CSV}' --db '{db}' && '{script}' reindex --db '{db}'",
            shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        answers, wrong = 0, []
        while writer.poll() is None:
            status, _, text = request(base, "/api/v1/search", {"query": BAKERY_QUERY, "limit": 3})
            answers += 1
            if status != 200 or "kl-baeck" not in ids_of(json.loads(text)["results"]):
                wrong.append((status, text[:300]))
        assert writer.returncode == 0, writer.stderr.read()
        assert answers >= 5 and wrong == []
        print(f"{answers} searches answered correctly during ingest + reindex")

        # both workers picked up the new index without a restart
        for _ in range(6):
            status, _, text = request(base, "/api/v1/search",
                                      {"query": "Wer kann uns bei der Digitalisierung der Instandhaltung helfen?",
                                       "limit": 10})
            assert status == 200
            assert any(pid.startswith("demo-") for pid in ids_of(json.loads(text)["results"]))
        assert json.loads(request(base, "/healthz", key=admin_key)[2])["profiles"] == 12 + 177
