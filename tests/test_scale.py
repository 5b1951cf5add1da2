"""Growing collections: the index kind chosen by size, memory-mapped loading, approximate recall.

Nothing here is timed (speed lives in evaluation/bench.py); these tests check that the
machinery which makes large collections cheap gives the answers exact search gives.
"""
from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from evaluation.synthetic import Generator
from index.search_index import APPROXIMATE, choose_index_type
from ingest.schema import validate_record
from partnerradar.config import Settings
from partnerradar.radar import Radar
from tests.conftest import ids_of, search

LASER_QUERY = "Laserstrahlschweißen von Aluminium im Leichtbau"


def test_auto_index_is_exact_while_small_and_approximate_when_large():
    assert choose_index_type("auto", 200_000, 200_000) == "flat"
    assert choose_index_type("auto", 200_001, 200_000) == APPROXIMATE == "ivf"
    assert choose_index_type("hnsw", 10, 200_000) == "hnsw"    # an explicit setting wins


def test_synthetic_profiles_are_valid_german_and_cover_saxony():
    from geo import DISTRICTS, Gazetteer

    profiles = Generator(seed=1).profiles(1500)
    assert Generator(seed=1).profiles(3) == profiles[:3]          # deterministic for a seed
    gazetteer = Gazetteer()
    districts = Counter()
    for record in profiles:
        profile = validate_record(record)
        districts[gazetteer.resolve(postcode=profile.postcode).landkreis] += 1
    assert set(districts) == set(DISTRICTS)
    text = " ".join(p["description"] for p in profiles)
    assert any(ch in text for ch in "äöüß")
    lengths = [len(p["description"].split()) for p in profiles]
    assert min(lengths) < 20 < 80 < max(lengths)                  # short and long profiles


@pytest.fixture
def mapped_radar(small_radar):
    """A second process-like Radar on the same files, with the index memory-mapped."""
    return Radar(small_radar.settings, encoder=small_radar.encoder, mmap=True)


def test_memory_mapped_index_answers_like_a_loaded_one(small_radar, mapped_radar):
    assert mapped_radar.index.vectors.mapped_from is not None
    assert ids_of(search(mapped_radar, query=LASER_QUERY, limit=5)) == ids_of(search(small_radar, query=LASER_QUERY, limit=5))


def test_writes_through_a_memory_mapped_index_stay_consistent(mapped_radar):
    mapped_radar.save([{**mapped_radar.get_profile("kl-baeck"), "listed": "ja",
                        "description": "Die Großbäckerei stellt jetzt glutenfreie Stollen aus Buchweizenmehl her."}])
    mapped_radar.delete(["kl-wasser"])

    assert np.array_equal(mapped_radar.index.vectors.ids(), mapped_radar.store.passage_ids())
    assert ids_of(search(mapped_radar, query="glutenfreie Stollen aus Buchweizenmehl", limit=1)) == ["kl-baeck"]
    assert "kl-wasser" not in ids_of(search(mapped_radar, query="Wasserstoffspeicherung", limit=11))


@pytest.fixture(scope="module")
def derived_radar(tmp_path_factory, encoder, small_template):
    """3,000 profiles derived from the twelve real ones (jittered vectors), IVF index."""
    from evaluation.scale import scaled_store

    sample = Radar(Settings(db_path=small_template), encoder=encoder)
    workdir = tmp_path_factory.mktemp("derived")
    radar, info = scaled_store(workdir, 3000, sample, Settings(index_type="ivf"))
    assert info["index_kind"] == "ivf"
    return radar


def test_approximate_index_finds_what_exact_search_finds(derived_radar, encoder):
    from evaluation.bench_sizes import bench_recall

    assert bench_recall(derived_radar, encoder, n_queries=40) >= 0.9


def test_filters_do_not_starve_on_the_approximate_index(derived_radar):
    hits = search(derived_radar, query=LASER_QUERY, kinds=["research"], landkreis="Görlitz", limit=10)
    table = derived_radar.index.profiles
    eligible = np.sum((table.kind == "research") & (table.landkreis == "Görlitz") & table.listed)
    assert len(hits) == min(10, eligible) > 0
    assert {h["kind"] for h in hits} == {"research"} and {h["landkreis"] for h in hits} == {"Görlitz"}


def test_partners_never_include_the_organisation_itself_on_the_approximate_index(derived_radar):
    seeker = derived_radar.index.profiles.ids[5]
    hits = derived_radar.partners(seeker)
    assert len(hits) == 10 and seeker not in ids_of(hits)


def test_faiss_index_implements_the_backend_protocol_other_engines_plug_into():
    from index.backend import PassageVectors
    from index.vectors import VectorIndex

    for index_type in ("flat", "hnsw", "ivf"):
        assert isinstance(VectorIndex(8, index_type), PassageVectors)


def test_the_vector_backend_setting_names_an_engine_and_an_unknown_name_is_refused_in_german():
    from index.backend import vector_backend
    from index.vectors import VectorIndex

    assert vector_backend("faiss") is VectorIndex
    with pytest.raises(ValueError, match="Unbekanntes Vektor-Backend „pinecone“ \\(bekannt: faiss, pgvector\\)"):
        vector_backend("pinecone")


def test_pgvector_is_a_backend_name_but_a_sqlite_store_refuses_it_in_german(small_radar):
    """pgvector searches the vectors PostgreSQL keeps: a SQLite deployment configured with it
    gets a sentence saying what to set, not a crash deep in the search."""
    from dataclasses import replace

    from index.backend import vector_backend
    from index.pgvector import PgVectorPassages

    assert vector_backend("pgvector") is PgVectorPassages
    radar = Radar(replace(small_radar.settings, vector_backend="pgvector"), encoder=small_radar.encoder)
    with pytest.raises(ValueError, match="„pgvector“ sucht in der Datenbank selbst und braucht PostgreSQL"):
        search(radar, query="Laserstrahlschweißen")
    radar.store.close()
