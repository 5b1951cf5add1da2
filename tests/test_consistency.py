"""The FAISS index is a cache of the SQLite store: lost, stale or half-written, it must agree again.

What is not about the FAISS files themselves runs on PostgreSQL (pgvector) too."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

import ingest.pipeline
from index.search_index import APPROXIMATE
from ingest.schema import validate_record
from store.db import Store
from tests.both_deployments import small_radar, sqlite_only  # noqa: F401  (on both, but the FAISS files' tests)
from tests.conftest import JSONL, SMALL_CSV, ids_of, make_radar, search

LASER_QUERY = "Laserstrahlschweißen von Aluminium im Leichtbau"


def index_ids(radar) -> np.ndarray:
    return radar.index.vectors.ids()


def assert_index_agrees_with_store(radar):
    assert radar.index.generation == radar.store.generation()
    assert radar.index.vectors.ntotal == radar.store.count_passages()
    assert np.array_equal(index_ids(radar), radar.store.passage_ids())
    assert np.array_equal(radar.index.passage_ids, radar.store.passage_ids())
    if radar.store.engine == "sqlite":
        # the file saved for this generation holds exactly the stored passages ...
        from index.vectors import VectorIndex
        saved = VectorIndex.load(radar.settings.index_dir, radar.store.generation(), radar.index.vectors.index_type)
        assert np.array_equal(saved.ids(), radar.store.passage_ids())
    # ... and a process starting now, loading what is on disk, sees the same
    fresh = make_radar(radar.settings.db_path, radar.encoder, radar.settings.database_url)
    assert fresh.index.vectors.ntotal == radar.store.count_passages()
    assert np.array_equal(index_ids(fresh), radar.store.passage_ids())


def saved_files(radar) -> list[str]:
    return sorted(p.name for p in radar.settings.index_dir.glob("vectors-g*.faiss"))


def record(pid, name, description, postcode="01069", town="Dresden"):
    return {"id": pid, "name": name, "kind": "kmu", "description": description,
            "postcode": postcode, "town": town}


@sqlite_only      # the FAISS folder deleted
def test_deleted_index_folder_is_rebuilt(small_radar):
    before = ids_of(search(small_radar, query=LASER_QUERY, limit=5))
    index_dir = small_radar.settings.index_dir
    shutil.rmtree(index_dir)

    radar = make_radar(small_radar.settings.db_path, small_radar.encoder)

    assert ids_of(search(radar, query=LASER_QUERY, limit=5)) == before
    assert saved_files(radar) == [f"vectors-g{radar.store.generation()}.faiss"]
    assert_index_agrees_with_store(radar)


@sqlite_only      # a FAISS file broken
def test_corrupt_index_file_is_rebuilt(small_radar):
    before = ids_of(search(small_radar, query=LASER_QUERY, limit=5))
    (path,) = small_radar.settings.index_dir.glob("vectors-g*.faiss")
    path.write_bytes(b"kein FAISS-Index, sondern M\xc3\xbcll")

    radar = make_radar(small_radar.settings.db_path, small_radar.encoder)

    assert ids_of(search(radar, query=LASER_QUERY, limit=5)) == before
    assert_index_agrees_with_store(radar)


def test_write_by_another_radar_is_seen_by_the_first(small_radar):
    reader = small_radar
    assert reader.index.generation == reader.store.generation()
    writer = make_radar(reader.settings.db_path, reader.encoder, reader.settings.database_url)
    query = "Glockengießerei für Kirchenglocken aus Bronze"
    assert "glocken" not in ids_of(search(reader, query=query, limit=3))

    writer.save([record("glocken", "Glockengießerei Dörfler GmbH",
                        "Die Glockengießerei gießt Kirchenglocken aus Bronze und saniert Glockenstühle.")])

    assert ids_of(search(reader, query=query, limit=1)) == ["glocken"]
    assert_index_agrees_with_store(reader)

    writer.delete(["glocken"])
    assert "glocken" not in ids_of(search(reader, query=query, limit=3))
    assert_index_agrees_with_store(reader)
    assert_index_agrees_with_store(writer)


@sqlite_only      # a write into the SQLite file behind the FAISS files
def test_store_written_behind_the_index_is_detected_and_rebuilt(small_radar):
    radar = small_radar
    radar.index                                  # loaded at the current generation
    old_generation = radar.store.generation()
    # A write straight into the store (no index update, no new index file).
    profile = validate_record(record("fraese", "Fräserei Weißbach GmbH",
                                     "Die Fräserei fertigt Zahnstangen und Schneckenwellen für Hubwerke."))
    preparer = radar.preparer
    preparer.geocode(profile)
    Store(radar.settings.db_path).save_profiles(zip([profile], preparer.passages([profile])), source="direkt")
    assert radar.store.generation() == old_generation + 1
    assert saved_files(radar) == [f"vectors-g{old_generation}.faiss"]

    hits = search(radar, query="Zahnstangen und Schneckenwellen für Hubwerke", limit=1)

    assert ids_of(hits) == ["fraese"]
    assert saved_files(radar) == [f"vectors-g{old_generation + 1}.faiss"]
    assert_index_agrees_with_store(radar)


@sqlite_only      # a FAISS file with stale content
def test_index_file_with_the_right_name_but_stale_content_is_rebuilt(small_radar):
    radar = small_radar
    generation = radar.store.generation()
    (stale,) = radar.settings.index_dir.glob("vectors-g*.faiss")
    stale_bytes = stale.read_bytes()
    profile = validate_record(record("stale", "Seilerei Großröhrsdorf GmbH",
                                     "Die Seilerei flicht Stahlseile für Seilbahnen und Kräne."))
    preparer = radar.preparer
    preparer.geocode(profile)
    Store(radar.settings.db_path).save_profiles(zip([profile], preparer.passages([profile])))
    # an index from before that write, named as if it belonged to the new generation
    (radar.settings.index_dir / f"vectors-g{generation + 1}.faiss").write_bytes(stale_bytes)

    fresh = make_radar(radar.settings.db_path, radar.encoder)

    assert ids_of(search(fresh, query="Stahlseile für Seilbahnen", limit=1)) == ["stale"]
    assert_index_agrees_with_store(fresh)


class FailingEncoder:
    """The real encoder, failing on its n-th call once armed (a crash in the middle of an ingest)."""

    def __init__(self, real, fail_on_call):
        self.real, self.fail_on_call = real, fail_on_call
        self.name, self.dimension, self.max_tokens = real.name, real.dimension, real.max_tokens
        self.similarity_range = real.similarity_range
        self.armed, self.calls = False, 0

    def embed_passages(self, texts):
        if self.armed:
            self.calls += 1
            if self.calls == self.fail_on_call:
                raise RuntimeError("Arbeitsspeicher erschöpft beim Einbetten")
        return self.real.embed_passages(texts)

    def embed_queries(self, texts):
        return self.real.embed_queries(texts)

    def count_tokens(self, text):
        return self.real.count_tokens(text)


def test_ingest_failing_midway_leaves_store_and_index_agreeing(tmp_path, encoder, monkeypatch, store_url):
    monkeypatch.setattr(ingest.pipeline, "BATCH_PROFILES", 2)
    failing = FailingEncoder(encoder, fail_on_call=2)
    radar = make_radar(tmp_path / "p.db", failing, store_url)
    radar.index                                   # start from an empty, loaded index
    failing.armed = True

    with pytest.raises(RuntimeError, match="Arbeitsspeicher"):
        radar.ingest(SMALL_CSV)

    # the first batch (first two rows) is committed, nothing of the second
    assert sorted(radar.store.content_hashes()) == ["kl-instand", "kl-laser"]
    assert_index_agrees_with_store(radar)
    assert ids_of(search(radar, query=LASER_QUERY, limit=1)) == ["kl-laser"]
    assert ids_of(search(radar, query="Digitale Instandhaltungsplanung", limit=1)) == ["kl-instand"]

    # running it again finishes the job
    failing.armed = False
    report = radar.ingest(SMALL_CSV)
    assert (report.inserted, report.unchanged) == (10, 2)
    assert_index_agrees_with_store(radar)
    assert ids_of(search(radar, query="Sauerteigführung und Haltbarkeit von Brot", limit=1)) == ["kl-baeck"]


def test_database_error_inside_a_batch_rolls_back_the_whole_batch(tmp_path, encoder, monkeypatch, store_url):
    monkeypatch.setattr(ingest.pipeline, "BATCH_PROFILES", 2)
    radar = make_radar(tmp_path / "p.db", encoder, store_url)
    real_row = Store._profile_row
    seen = []

    def failing_row(profile, source, now):
        seen.append(profile.id)
        if len(seen) == 4:      # the second batch's first profile is written, its second one fails
            raise OSError("disk I/O error")
        return real_row(profile, source, now)

    monkeypatch.setattr(Store, "_profile_row", staticmethod(failing_row))

    with pytest.raises(OSError):
        radar.ingest(SMALL_CSV)

    assert sorted(radar.store.content_hashes()) == ["kl-instand", "kl-laser"]
    assert radar.store.get_profile("kl-baeck") is None             # rolled back with its batch
    assert_index_agrees_with_store(radar)
    hits = search(radar, query="Sauerteigführung und Haltbarkeit von Brot", limit=5)
    assert "kl-baeck" not in ids_of(hits)


def test_reindex_rebuilds_the_same_index(small_radar):
    before = ids_of(search(small_radar, query=LASER_QUERY, limit=5))
    passages = small_radar.store.count_passages()
    assert small_radar.reindex() == passages
    assert ids_of(search(small_radar, query=LASER_QUERY, limit=5)) == before
    assert_index_agrees_with_store(small_radar)


# FAISS's index types (SQLite + FAISS only; pgvector's HNSW lives in PostgreSQL).
# hnsw can't remove vectors: every update and delete rebuilds it from the store;
# ivf removes and adds in place.
@pytest.mark.parametrize("index_type", ["hnsw", "ivf"])
def test_approximate_index_stays_consistent_through_update_and_delete(tmp_path, encoder, index_type):
    from partnerradar.config import Settings
    from partnerradar.radar import Radar

    radar = Radar(Settings(db_path=tmp_path / "p.db", index_type=index_type), encoder=encoder)
    radar.ingest(SMALL_CSV)
    assert radar.index.vectors.index_type == index_type
    assert ids_of(search(radar, query=LASER_QUERY, kinds=["research"], limit=1)) == ["kl-schweissforschung"]

    radar.save([{**radar.get_profile("kl-baeck"), "listed": "ja",
                 "description": "Die Großbäckerei stellt jetzt glutenfreie Stollen aus Buchweizenmehl her."}])
    radar.delete(["kl-wasser"])

    assert_index_agrees_with_store(radar)
    assert ids_of(search(radar, query="glutenfreie Stollen aus Buchweizenmehl", limit=1)) == ["kl-baeck"]
    assert "kl-wasser" not in ids_of(search(radar, query="Wasserstoffspeicherung", limit=11))


# SQLite + FAISS only: FAISS's switch from its exact to its approximate index.
def test_switch_from_exact_to_approximate_index_when_the_collection_grows(tmp_path, encoder):
    from partnerradar.config import Settings
    from partnerradar.radar import Radar

    first = Radar(Settings(db_path=tmp_path / "p.db"), encoder=encoder)
    first.ingest(SMALL_CSV)
    threshold = first.store.count_passages()
    first.store.close()
    radar = Radar(Settings(db_path=tmp_path / "p.db", approximate_above=threshold), encoder=encoder)
    assert radar.index.vectors.index_type == "flat"        # at the threshold: exact search
    radar.ingest(JSONL)                               # crosses it
    assert radar.store.count_passages() > threshold
    assert radar.index.vectors.index_type == APPROXIMATE
    assert_index_agrees_with_store(radar)
    assert ids_of(search(radar, query="Reifungsüberwachung von Rohmilchkäse", limit=1)) == ["js-kaese"]
