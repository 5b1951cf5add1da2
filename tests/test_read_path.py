"""What the read path derives once per index generation (issue 17: the passage-id lookup
table, the field codes, the kind and district masks) must be the generation's own: a profile
saved since appears as a partner and under its kind and district, a deleted one never does,
and every filter stays exact."""
from __future__ import annotations

import numpy as np

from matcher.request import SearchRequest
from partnerradar.config import Settings
from partnerradar.radar import Radar
from tests.both_deployments import small_radar  # noqa: F401  (on both deployments)
from tests.conftest import ids_of, search

GLOCKEN = {"id": "glocken", "name": "Glockengießerei Dörfler GmbH", "kind": "research",
           "description": "Die Glockengießerei erforscht die Instandhaltung von Software für Fabriken "
                          "und plant Wartungsaufträge für Ersatzteile.",
           "offers": "Software für die Instandhaltungsplanung; Wartungsaufträge und Störungsmeldungen",
           "postcode": "01067", "town": "Dresden"}


def partner_ids(radar, seeker: str, **filters) -> list[str]:
    return ids_of(radar.partners(seeker, SearchRequest(limit=50, **filters), explain=False))


def test_a_saved_profile_is_a_partner_under_its_kind_and_district_and_a_deleted_one_never(small_radar):
    seeker = "kl-textil"          # seeks sensors and software for its machines
    # Every per-generation structure is derived before the writes: filters, partners, search.
    assert "glocken" not in partner_ids(small_radar, seeker, kinds=["research"])
    search(small_radar, query="Instandhaltung Software", landkreis="Dresden")

    small_radar.save([GLOCKEN])
    assert "glocken" in partner_ids(small_radar, seeker)
    assert "glocken" in partner_ids(small_radar, seeker, kinds=["research"])
    assert "glocken" not in partner_ids(small_radar, seeker, kinds=["kmu", "startup"])
    found = search(small_radar, query="Instandhaltung Software", landkreis="Dresden")
    assert "glocken" in ids_of(found)
    assert all(hit["landkreis"] == "Dresden" for hit in found)

    small_radar.delete(["glocken"])
    assert "glocken" not in partner_ids(small_radar, seeker)
    assert "glocken" not in partner_ids(small_radar, seeker, kinds=["research"])
    assert "glocken" not in ids_of(search(small_radar, query="Instandhaltung Software", landkreis="Dresden"))


def test_filters_stay_exact_for_every_kind_and_district(small_radar):
    """Each hit has the kind and district asked for, and every profile that has them and
    matches is found: the cached masks say what the profiles say."""
    index = small_radar.index
    profiles = {pid: small_radar.get_profile(pid) for pid in index.profiles.ids}
    for kinds in (["kmu"], ["research"], ["startup", "other"], ["kmu", "research", "startup", "other"]):
        found = ids_of(search(small_radar, query="Wir suchen Partner", kinds=kinds, limit=50))
        assert found and all(profiles[pid]["kind"] in kinds for pid in found)
        assert np.array_equal(index.kind_mask(kinds), np.isin(index.profiles.kind, kinds))
    districts = {p["landkreis"] for p in profiles.values() if p["landkreis"]}
    assert len(districts) > 1
    for district in districts:
        found = ids_of(search(small_radar, query="Wir suchen Partner", landkreis=district, limit=50))
        assert found and all(profiles[pid]["landkreis"] == district for pid in found)


def test_passage_lookups_agree_with_the_stored_passages_after_writes_in_another_process(tmp_path, small_radar, encoder):
    """Rows and fields of passage ids, through the table derived per generation, are the
    store's, also for an index another process brought forward, and for ids it lacks."""
    other = Radar(Settings(db_path=small_radar.settings.db_path, database_url=small_radar.settings.database_url),
                  encoder=encoder)
    other.index.rows_of_passages(other.index.passage_ids)      # derived for the old generation
    baker = np.array([p["id"] for p in small_radar.store.passages_for("kl-baeck")], dtype=np.int64)
    small_radar.save([GLOCKEN])
    small_radar.delete(["kl-baeck"])
    index = other.index
    stored = {p["id"]: (pid, p["field"]) for pid in index.profiles.row_of
              for p in other.store.passages_for(pid)}
    ids = np.array(sorted(stored), dtype=np.int64)
    assert np.array_equal(ids, index.passage_ids)
    rows = index.rows_of_passages(ids)
    assert [index.profiles.ids[r] for r in rows] == [stored[int(i)][0] for i in ids]
    assert list(index.fields_of_passages(ids)) == [stored[int(i)][1] for i in ids]
    codes = index.field_codes_of_passages(ids)
    assert [c == index.SEEKS_FIELD for c in codes] == [stored[int(i)][1] == "seeks" for i in ids]
    gone = np.array([-1, int(ids[-1]) + 1, int(ids[-1]) + 10_000], dtype=np.int64)
    assert list(index.rows_of_passages(gone)) == [-1, -1, -1]
    assert len(baker) and (index.rows_of_passages(baker) == -1).all()
    other.store.close()


def test_passage_lookups_are_the_same_for_sparse_passage_ids():
    """Ids far apart (a store after many deletions, an evaluation's subset) are looked up by
    binary search instead of a table by id: the same rows and fields, -1 for ids not there."""
    from index.search_index import ProfileTable, assemble_index
    from index.vectors import VectorIndex

    ids = np.array([3, 70_000, 70_001, 250_000], dtype=np.int64)
    owners = ["a", "a", "b", "b"]
    fields = np.array(["description", "seeks", "offers", "profile"], dtype=object)
    table = ProfileTable(ids=["a", "b"], row_of={"a": 0, "b": 1}, kind=np.array(["kmu", "research"], dtype=object),
                         landkreis=np.array(["Dresden", ""], dtype=object), lat=np.full(2, np.nan),
                         lon=np.full(2, np.nan), listed=np.ones(2, dtype=bool), activity=np.zeros(2, np.float32))
    index = assemble_index(1, VectorIndex(4, "flat"), table, ids, owners, fields, ["laser", "schweiss", "blech", "laser"], [])
    asked = np.array([70_001, 3, 250_000, 70_000, 4, -1, 250_001], dtype=np.int64)
    assert list(index.rows_of_passages(asked)) == [1, 0, 1, 0, -1, -1, -1]
    assert list(index.fields_of_passages(asked[:4])) == ["offers", "description", "profile", "seeks"]
    assert list(index.field_codes_of_passages(asked[:4])) == [index.OTHER_FIELD, index.OTHER_FIELD,
                                                             index.WHOLE_PASSAGE, index.SEEKS_FIELD]
    assert getattr(index, "_position_table", None) is None      # the ids are too sparse for a table
    assert list(index.kind_mask(["research"])) == [False, True]
    assert list(index.district_mask("Dresden")) == [True, False]
