"""Writes bring the index forward by their changes alone (issue 17): what a user finds after
a write must be what a freshly started server finds, in the writing process and in every
other one. The deltas are made small here so that folds and background saves happen too."""
from __future__ import annotations

import numpy as np
import pytest

import index.lexical
import index.vectors
import partnerradar.radar
from partnerradar.config import Settings
from partnerradar.radar import Radar
from tests.conftest import database_on, ids_of, search

QUERIES = ["Wer kann uns bei der Digitalisierung der Instandhaltung helfen?",
           "Glockengießerei für Kirchenglocken aus Bronze",
           "Recycling von Lithium-Ionen-Batterien",
           "Laserstrahlschweißen von Aluminium im Leichtbau"]


def answers(radar, partner_of: str) -> list:
    """What a user sees: ranked ids and scores of a few searches and of one "partners of"."""
    out = [[(h["id"], h["score"]) for h in search(radar, query=q, limit=10)] for q in QUERIES]
    out.append([(h["id"], h["score"]) for h in radar.partners(partner_of, explain=False)[:10]])
    return out


@pytest.fixture
def small_deltas(monkeypatch):
    monkeypatch.setattr(index.vectors, "DELTA_LIMIT", 6)
    monkeypatch.setattr(index.lexical, "DELTA_LIMIT", 2)
    monkeypatch.setattr(partnerradar.radar, "BACKGROUND_SAVE_PASSAGES", 0)


# mmap: FAISS's memory-mapped files, so on SQLite + FAISS only; PostgreSQL's vectors are pgvector's.
@pytest.mark.parametrize("deployment, mmap", [("sqlite", False), ("sqlite", True), ("postgresql", False)])
def test_writes_found_in_every_process_as_after_a_fresh_start(request, tmp_path, encoder, small_template, small_deltas,
                                                              deployment, mmap):
    db = tmp_path / "klein.db"
    settings = Settings(db_path=db, database_url=database_on(deployment, request, small_template,
                                                             "pg_small_template", db))
    writer = Radar(settings, encoder=encoder, mmap=mmap)
    reader = Radar(settings, encoder=encoder, mmap=mmap)
    seeker = "kl-instand"
    reader.index
    bells = {"id": "glocken", "name": "Glockengießerei Dörfler GmbH", "kind": "kmu",
             "description": "Die Glockengießerei gießt Kirchenglocken aus Bronze und saniert Glockenstühle.",
             "seeks": "Wir suchen Partner für die Digitalisierung der Instandhaltung unserer Öfen.",
             "postcode": "09111", "town": "Chemnitz"}
    someone = "kl-baeck"
    steps = [
        lambda: writer.save([bells]),
        lambda: writer.save([{**writer.get_profile(someone),
                              "description": "Wir recyceln Lithium-Ionen-Batterien aus Elektroautos."}]),
        lambda: writer.delete(["kl-wasser"]),
        lambda: writer.save([{**bells, "id": f"glocken-{i}", "name": f"Glockenwerk {i} GmbH"} for i in range(3)]),
        lambda: writer.delete(["glocken"]),
    ]
    for step in steps:
        step()
        writer.wait_for_saves()
        fresh = Radar(settings, encoder=encoder)
        expected = answers(fresh, seeker)
        assert answers(writer, seeker) == expected
        assert answers(reader, seeker) == expected
        for radar in (writer, reader):
            assert np.array_equal(radar.index.vectors.ids(), writer.store.passage_ids())
        fresh.store.close()
    assert ids_of(search(reader, query=QUERIES[1], limit=3))[0].startswith("glocken-")
    assert "glocken" not in ids_of(search(reader, query=QUERIES[1], limit=10))
    assert someone in ids_of(search(reader, query=QUERIES[2], limit=3))


@pytest.mark.parametrize("kind", ["flat", "ivf"])
def test_a_memory_mapped_index_saved_again_holds_its_vectors_after_its_file_is_gone(tmp_path, kind):
    """FAISS writes memory-mapped inverted lists as a reference to their file: a server that
    saved the mapped index under a new generation (deleting the old file) left an index that
    could not be loaded, or crashed the next process that read it."""
    from index.vectors import VectorIndex

    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((3000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = np.arange(3000, dtype=np.int64) * 3 + 1
    first = VectorIndex(32, kind)
    first.train(vectors, len(vectors))
    first.add(ids, vectors, expected=len(vectors))
    first.save(tmp_path, 1)
    mapped = VectorIndex.load(tmp_path, 1, kind, mmap=True)
    mapped.save(tmp_path, 2)
    assert not (tmp_path / "vectors-g1.faiss").exists()
    again = VectorIndex.load(tmp_path, 2, kind, mmap=True)
    assert np.array_equal(again.ids(), ids)
    assert again.search(vectors[:3], 1)[1][:, 0].tolist() == ids[:3].tolist()


def test_a_built_ivf_index_answers_like_the_saved_one_another_process_loads(tmp_path):
    """A build trains the IVF index and adds the store's passages batch by batch. Those batches
    went to the exact delta kept for writes: the building process searched every vector by
    brute force (and held a float copy of each: 9 GB at 1M profiles) while every other
    process searched the saved IVF file, so the two answered differently."""
    from index.vectors import VectorIndex

    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((20_000, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = np.arange(len(vectors), dtype=np.int64) * 2 + 1
    built = VectorIndex(16, "ivf")
    built.train(vectors[::3], len(vectors))
    for start in range(0, len(vectors), 5_000):
        built.add(ids[start:start + 5_000], vectors[start:start + 5_000], expected=len(vectors))
    built.save(tmp_path, 1)
    loaded = VectorIndex.load(tmp_path, 1, "ivf")
    queries = rng.standard_normal((50, 16)).astype(np.float32)
    assert built.delta_size == 0 and built.ntotal == loaded.ntotal == len(vectors)
    assert np.array_equal(built.search(queries, 10)[1], loaded.search(queries, 10)[1])
    # Writes after the build still go beside the saved structure, which stays as saved.
    later = built.copy()
    later.add(np.array([99_999], dtype=np.int64), queries[:1], expected=len(vectors) + 1)
    assert later.delta_size == 1 and built.ntotal == len(vectors)
    assert later.search(queries[:1], 1)[1][0, 0] == 99_999
