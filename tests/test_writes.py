"""API writes at any size (issue 17): what a write changes is saved and followed as a change,
not rebuilt, and yet every process answers as a freshly built index would. The sizes above
which the large-collection paths start are lowered here so that a 12-profile store takes
them: vectors saved as deltas over a saved file, the duplicate check against a name table
kept current write by write."""
from __future__ import annotations

import numpy as np
import pytest

import index.lexical
import index.vectors
import partnerradar.radar
from index.search_index import build_search_index
from index.vectors import VectorIndex
from ingest.dedupe import NameTable, find_duplicates
from matcher.ranker import Query, Ranker
from matcher.request import SearchRequest
from partnerradar.config import Settings
from partnerradar.maintenance import check
from partnerradar.radar import Radar
from tests.conftest import copy_database, ids_of, search
from tests.conftest import radar_on as radar_on_deployment

BELLS = {"id": "glocken", "name": "Glockengießerei Dörfler GmbH", "kind": "kmu",
         "description": "Die Glockengießerei gießt Kirchenglocken aus Bronze und saniert Glockenstühle.",
         "offers": "Glockenguss, Klangprüfung und Restaurierung historischer Geläute.",
         "postcode": "09111", "town": "Chemnitz"}
QUERIES = ["Glockengießerei für Kirchenglocken aus Bronze", "Restaurierung historischer Geläute",
           "Wer kann uns bei der Digitalisierung der Instandhaltung helfen?",
           "Recycling von Lithium-Ionen-Batterien"]


@pytest.fixture
def delta_saves(monkeypatch):
    """Every save of a changed index writes its delta (as above 100k passages)."""
    monkeypatch.setattr(index.vectors, "DELTA_SAVE_PASSAGES", 0)
    monkeypatch.setattr(partnerradar.radar, "BACKGROUND_SAVE_PASSAGES", 0)


def radar_on(db, encoder, **kwargs) -> Radar:
    return Radar(Settings(db_path=db), encoder=encoder, **kwargs)


def small_on(deployment, request, tmp_path, encoder, small_template) -> Radar:
    """profile_klein on SQLite + FAISS or in a PostgreSQL database of its own."""
    return radar_on_deployment(deployment, request, small_template, "pg_small_template", tmp_path / "klein.db",
                               encoder)


def saved_names(radar) -> list[str]:
    return [p.name for p in VectorIndex.saved_files(radar.settings.index_dir)]


def ranking(radar, text: str):
    """Ranked ids and fused scores (floats, before rounding to 0..100) of one search."""
    idx = radar.index
    query = Query.for_text(text, radar.analyzer, radar.encoder)
    found = Ranker(idx, radar.weights, radar.gazetteer, radar.similarity_range).rank(query, SearchRequest(query=text))
    return [idx.profiles.ids[r] for r in found.rows], np.asarray(found.fused, dtype=np.float64)


def assert_same_as_a_fresh_build(radar, encoder):
    """Rankings (ids and scores within float tolerance) and BM25 of every term equal those
    of an index built from nothing but the store."""
    with radar.store.snapshot():
        fresh = build_search_index(radar.store, radar.settings.index_dir / "fresh-unused", radar._dim(),
                                   save=False)
    current = radar.index
    assert current.generation == fresh.generation
    assert sorted(current.profiles.row_of) == sorted(fresh.profiles.row_of)
    rows = [current.profiles.row_of[pid] for pid in fresh.profiles.ids]
    for term in fresh.lexical.vocabulary:
        if fresh.lexical.idf_of(term) > 0:
            np.testing.assert_allclose(current.lexical.profile_scores([term])[rows],
                                       fresh.lexical.profile_scores([term]), rtol=1e-5, atol=1e-6)
    gone = set(current.lexical.vocabulary) - {t for t in fresh.lexical.vocabulary if fresh.lexical.idf_of(t) > 0}
    for term in gone:          # a word no stored profile uses any more finds nobody
        assert not current.lexical.profile_scores([term]).any(), term
    other = Radar(radar.settings, encoder=encoder)
    other._index = fresh
    for text in QUERIES:
        ids, scores = ranking(radar, text)
        fresh_ids, fresh_scores = ranking(other, text)
        assert ids == fresh_ids, text
        np.testing.assert_allclose(scores, fresh_scores, rtol=1e-5, atol=1e-6)


def test_writes_saved_as_deltas_are_what_a_fresh_build_finds_in_every_process(
        tmp_path, encoder, small_template, delta_saves, monkeypatch):
    monkeypatch.setattr(index.vectors, "DELTA_LIMIT", 8)     # a fold (compaction) on the way
    monkeypatch.setattr(index.lexical, "DELTA_LIMIT", 3)
    db = copy_database(small_template, tmp_path / "klein.db")
    writer, reader = radar_on(db, encoder), radar_on(db, encoder, mmap=True)
    reader.index
    base = writer.store.generation()
    assert saved_names(writer) == [f"vectors-g{base}.faiss"]
    steps = [
        lambda: writer.save([BELLS]),
        lambda: writer.save([{**writer.get_profile("kl-baeck"),
                              "description": "Wir recyceln Lithium-Ionen-Batterien aus Elektroautos."}]),
        lambda: writer.delete(["kl-wasser"]),
        lambda: writer.save([{**BELLS, "id": f"glocken-{i}", "name": f"Glockenwerk {i} GmbH"} for i in range(3)]),
        lambda: writer.delete(["glocken"]),
    ]
    deltas_seen = 0
    for step in steps:
        step()
        writer.wait_for_saves()      # a whole file (after a fold) is written in the background
        generation = writer.store.generation()
        names = saved_names(writer)
        # The new generation is on disk as a whole file or as its delta over one.
        assert any(n.startswith(f"vectors-g{generation}.") for n in names), names
        deltas_seen += any(n.startswith(f"vectors-g{generation}.delta-g") for n in names)
        for radar in (writer, reader, radar_on(db, encoder), radar_on(db, encoder, mmap=True)):
            assert np.array_equal(radar.index.vectors.ids(), writer.store.passage_ids())
            assert_same_as_a_fresh_build(radar, encoder)
        assert check(writer).ok
    assert deltas_seen >= 2
    assert ids_of(search(reader, query=QUERIES[0], limit=3))[0].startswith("glocken-")
    assert "glocken" not in ids_of(search(reader, query=QUERIES[0], limit=10))
    assert "kl-baeck" in ids_of(search(reader, query=QUERIES[3], limit=3))


def test_a_word_removed_from_a_profile_no_longer_finds_it_anywhere(tmp_path, encoder, small_template, delta_saves):
    db = copy_database(small_template, tmp_path / "klein.db")
    writer, reader = radar_on(db, encoder), radar_on(db, encoder)
    writer.save([BELLS])
    for radar in (writer, reader):
        row = radar.index.profiles.row_of["glocken"]
        assert radar.index.lexical.profile_scores(["glockenguss"])[row] > 0
        assert ids_of(search(radar, query="Glockenguss", limit=1)) == ["glocken"]

    writer.save([{**BELLS, "offers": "Klangprüfung historischer Geläute."}])     # "Glockenguss" gone

    for radar in (writer, reader, radar_on(db, encoder)):
        lexical = radar.index.lexical
        assert not lexical.profile_scores(["glockenguss"]).any()
        assert not lexical.has_terms(radar.index.profiles.row_of["glocken"], ["glockenguss"])
        kept = radar.analyzer.terms("Klangprüfung")
        assert kept and lexical.has_terms(radar.index.profiles.row_of["glocken"], kept)
        assert_same_as_a_fresh_build(radar, encoder)


def test_saved_found_and_deleted_gone_in_search_and_partners_of_a_second_process(
        tmp_path, encoder, small_template, delta_saves):
    db = copy_database(small_template, tmp_path / "klein.db")
    writer, reader = radar_on(db, encoder), radar_on(db, encoder, mmap=True)
    seeker = "kl-instand"
    reader.index
    seeking = {**BELLS, "seeks": "Partner für die Digitalisierung der Instandhaltung unserer Gießöfen."}
    writer.save([seeking])
    for radar in (writer, reader):
        assert ids_of(search(radar, query=QUERIES[0], limit=1)) == ["glocken"]
        assert "kl-instand" in [h["id"] for h in radar.partners("glocken", explain=False)[:5]]
        assert "glocken" in [h["id"] for h in radar.partners(seeker, explain=False)]
    writer.delete(["glocken"])
    for radar in (writer, reader):
        assert "glocken" not in ids_of(search(radar, query=QUERIES[0], limit=20))
        assert "glocken" not in [h["id"] for h in radar.partners(seeker, explain=False)]
        assert_same_as_a_fresh_build(radar, encoder)


def test_a_crash_between_the_commit_and_the_delta_leaves_nothing_out_of_step(
        tmp_path, encoder, small_template, delta_saves, monkeypatch):
    db = copy_database(small_template, tmp_path / "klein.db")
    writer = radar_on(db, encoder)
    writer.save([BELLS])
    saved_before = saved_names(writer)

    def power_cut(*args, **kwargs):
        raise KeyboardInterrupt("Stromausfall nach dem Commit")

    with monkeypatch.context() as patch:
        patch.setattr(VectorIndex, "_save_delta", power_cut)
        with pytest.raises(KeyboardInterrupt):
            writer.save([{**BELLS, "id": "glocken-2", "name": "Glockenwerk Apolda GmbH"}])
    generation = writer.store.generation()
    del writer
    # The commit went in, its delta did not: nothing on disk claims the new generation.
    assert generation == int(saved_before[-1].split(".")[0].removeprefix("vectors-g")) + 1
    assert not any(n.startswith(f"vectors-g{generation}.") for n in saved_names(radar_on(db, encoder)))
    restarted = radar_on(db, encoder)
    assert {"glocken", "glocken-2"} <= set(ids_of(search(restarted, query=QUERIES[0], limit=3)))
    assert np.array_equal(restarted.index.vectors.ids(), restarted.store.passage_ids())
    assert_same_as_a_fresh_build(restarted, encoder)
    assert check(restarted).ok


@pytest.mark.parametrize("damage", ["half", "garbage", "base gone"])
def test_a_half_written_or_orphaned_delta_is_not_trusted(tmp_path, encoder, small_template, delta_saves, damage):
    db = copy_database(small_template, tmp_path / "klein.db")
    writer = radar_on(db, encoder)
    writer.save([BELLS])
    generation = writer.store.generation()
    delta = VectorIndex.saved_delta_file(writer.settings.index_dir, generation)
    assert delta is not None
    if damage == "half":
        data = delta.read_bytes()
        delta.write_bytes(data[:len(data) // 2])
    elif damage == "garbage":
        delta.write_bytes(b"kein Delta, sondern M\xc3\xbcll")
    else:
        (writer.settings.index_dir / f"vectors-g{generation - 1}.faiss").unlink()
    assert VectorIndex.load(writer.settings.index_dir, generation, "flat") is None

    fresh = radar_on(db, encoder)

    assert ids_of(search(fresh, query=QUERIES[0], limit=1)) == ["glocken"]
    assert np.array_equal(fresh.index.vectors.ids(), fresh.store.passage_ids())
    assert_same_as_a_fresh_build(fresh, encoder)
    assert check(fresh).ok


def test_a_delta_save_keeps_the_file_it_applies_to_when_an_older_whole_save_finishes_later(tmp_path, monkeypatch):
    """The background saver may write generation 5 whole after generation 6 was saved as a
    delta over 4: the older save must not delete the file the newer delta needs."""
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((40, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    base = VectorIndex(8, "flat")
    base.add(np.arange(30), vectors[:30])
    base.fold()
    base.save(tmp_path, 4)
    older, newer = base.copy(), base.copy()
    older.add(np.array([30]), vectors[30:31])
    newer.add(np.array([30, 31]), vectors[30:32])
    newer.remove([3])
    monkeypatch.setattr(index.vectors, "DELTA_SAVE_PASSAGES", 0)
    newer.save(tmp_path, 6)
    older.base_generation = None        # as after a fold: saved whole
    older.save(tmp_path, 5)
    loaded = VectorIndex.load(tmp_path, 6, "flat")
    assert loaded is not None
    assert np.array_equal(loaded.ids(), np.setdiff1d(np.arange(32), [3]))
    assert loaded.search(vectors[31:32], 1)[1][0, 0] == 31
    assert sorted(p.name for p in VectorIndex.saved_files(tmp_path)) == [
        "vectors-g4.faiss", "vectors-g5.faiss", "vectors-g6.delta-g4.npz"]


# -- the duplicate check of a write -------------------------------------------------------

NAMES = {"a": "Technische Universität Dresden", "b": "TU Dresden", "c": "Fraunhofer IWS",
         "d": "Fraunhofer-Institut für Werkstoff- und Strahltechnik IWS", "e": "Bäckerei Süßmilch GmbH",
         "f": "Bäckerei Süßmilch", "g": "Fraunhofer IWS Dresden", "h": "GVG Diagnostik GmbH",
         "i": "GVG Umweltmonitoring GmbH", "j": "Landestalsperrenverwaltung 20 (OE)",
         "k": "Landestalsperrenverwaltung 40 (OE)", "l": "Bäckerei Süßmilch", "m": "ADZ Lüftungsbau Leipzig GmbH"}
TOWNS = {"e": "Dresden", "f": "Dresden", "l": "Leipzig", "m": "Leipzig"}


def test_the_name_table_finds_what_comparing_with_every_name_finds_as_names_change():
    names, towns = dict(NAMES), {pid: TOWNS.get(pid) for pid in NAMES}
    table = NameTable((pid, names[pid], towns[pid]) for pid in names)
    changes = [([], []), ([("f", "Bäckerei Sußmilch e.K.", "Dresden")], []), ([], ["a"]),
               ([("a", "TU Dresden", None), ("n", "Technische Universitaet Dresden", "Dresden")], ["c"]),
               ([("c", "Fraunhofer IWS", "Dresden")], ["g", "b"])]
    for written, removed in changes:
        table.update(written, removed)
        for pid in removed:
            del names[pid], towns[pid]
        for pid, name, town in written:
            names[pid], towns[pid] = name, town
        assert len(table) == len(names)
        for among in ([pid] for pid in names):
            expected = find_duplicates(names, towns, among=among)
            assert table.duplicates(among) == expected, among
        assert table.duplicates(list(names)) == find_duplicates(names, towns, among=list(names))
        assert table.duplicates(["gibt-es-nicht"]) == []
    assert table.duplicates(["a"])          # TU Dresden ~ Technische Universitaet Dresden


def test_a_write_reports_duplicates_among_names_another_process_wrote(deployment, request, tmp_path, encoder,
                                                                       small_template):
    first = small_on(deployment, request, tmp_path, encoder, small_template)
    second = Radar(Settings(db_path=tmp_path / "second" / "klein.db", database_url=first.settings.database_url),
                   encoder=encoder) if deployment == "postgresql" else radar_on(first.settings.db_path, encoder)
    base = {"kind": "forschung", "description": "Forschung zu Werkstoffen und Fügetechnik.", "postcode": "01069",
            "town": "Dresden"}
    assert first.save([{**base, "id": "tud-lang", "name": "Technische Universität Dresden"}]).duplicates == []
    second.save([{**base, "id": "tud-kurz", "name": "TU Dresden"}])          # through the other process
    pairs = first.save([{**base, "id": "tud-lang", "name": "Technische Universität Dresden",
                         "description": "Forschung zu Werkstoffen, Fügetechnik und Leichtbau."}]).duplicates
    assert {frozenset((p.a, p.b)) for p in pairs} == {frozenset(("tud-kurz", "tud-lang"))}
    second.save([{**base, "id": "tud-kurz", "name": "Sächsische Glockengießerei"}])     # renamed there
    renamed = first.save([{**base, "id": "tud-lang", "name": "Technische Universität Dresden",
                           "description": "Werkstoffe."}])
    assert renamed.duplicates == []
    second.delete(["tud-kurz"])
    second.save([{**base, "id": "tud-neu", "name": "TU Dresden"}])
    again = first.save([{**base, "id": "tud-lang", "name": "Technische Universität Dresden",
                         "description": "Werkstoffe und Leichtbau."}])
    assert {frozenset((p.a, p.b)) for p in again.duplicates} == {frozenset(("tud-lang", "tud-neu"))}
    assert again.duplicates == first.duplicates(among=["tud-lang"]) == [
        p for p in first.duplicates() if "tud-lang" in (p.a, p.b)]


def test_on_postgresql_each_server_follows_writes_as_changes_and_answers_as_a_fresh_build(
        request, tmp_path, encoder, small_template, monkeypatch):
    """Two servers on one PostgreSQL database: each brings its in-memory index (BM25, profile
    table, graph) forward by what a write changed, as with SQLite, instead of building it
    whole again per write (seconds at 100k profiles), and still ranks as a fresh build."""
    writer = small_on("postgresql", request, tmp_path, encoder, small_template)
    other = Radar(Settings(db_path=tmp_path / "other" / "klein.db", database_url=writer.settings.database_url),
                  encoder=encoder)
    for radar in (writer, other):
        radar.index
    full_builds = []
    original = Radar._load_index
    monkeypatch.setattr(Radar, "_load_index", lambda self: full_builds.append(self) or original(self))
    steps = [
        lambda: writer.save([BELLS]),
        lambda: other.save([{**other.get_profile("kl-baeck"),
                             "description": "Wir recyceln Lithium-Ionen-Batterien aus Elektroautos."}]),
        lambda: writer.delete(["kl-wasser"]),
        lambda: other.save([{**BELLS, "offers": "Klangprüfung historischer Geläute."}]),
    ]
    for step in steps:
        step()
        for radar in (writer, other):
            assert_same_as_a_fresh_build(radar, encoder)
    assert full_builds == []
    for radar in (writer, other):
        assert ids_of(search(radar, query=QUERIES[0], limit=1)) == ["glocken"]
        assert not radar.index.lexical.profile_scores(["glockenguss"]).any()
        assert "kl-wasser" not in radar.index.profiles.row_of
        assert "kl-baeck" in ids_of(search(radar, query=QUERIES[3], limit=3))
