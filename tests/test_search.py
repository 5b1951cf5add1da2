"""Search and partners on the demo profiles: filters, ranking, explanations."""
from __future__ import annotations

import math

import numpy as np
import pytest

from matcher.request import BadRequest, SearchRequest
from partnerradar.radar import NotFound
from tests.conftest import DEMO_QUERY, copy_database, ids_of, make_radar, search


def haversine_km(lat1, lon1, lat2, lon2):
    r = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def profile_text(radar, pid) -> str:
    p = radar.store.get_profile(pid)
    return " ".join(p[f] or "" for f in ("name", "description", "offers", "seeks", "keywords")).lower()


def listed_ids(radar, **where) -> set[str]:
    clause = " AND ".join(["listed = 1"] + [f"{k} = ?" for k in where])
    return {r[0] for r in radar.store.conn.execute(f"SELECT id FROM profiles WHERE {clause}",
                                                   tuple(where.values()))}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def demo_radar(request, demo_radar):
    """Each test here runs on SQLite + FAISS and on PostgreSQL (pgvector) with the same data."""
    return demo_radar if request.param == "sqlite" else request.getfixturevalue("pg_demo_radar")


@pytest.fixture(params=["sqlite", "postgresql"])
def small_radar(request, small_radar):
    return small_radar if request.param == "sqlite" else request.getfixturevalue("pg_small_radar")


@pytest.fixture(scope="module")
def demo_hits(demo_radar):
    return search(demo_radar, query=DEMO_QUERY, near="Chemnitz", radius_km=30)


# -- the demo question ---------------------------------------------------------------

def test_demo_query_near_chemnitz_returns_ten_hits_within_30_km(demo_radar, demo_hits):
    assert len(demo_hits) == 10
    assert len(set(ids_of(demo_hits))) == 10
    chemnitz = demo_radar.gazetteer.locate("Chemnitz")
    for hit in demo_hits:
        assert hit["distance_km"] is not None and 0 <= hit["distance_km"] <= 30, hit
        stored = demo_radar.store.get_profile(hit["id"])
        # the distance is the real one from the stored coordinates
        real = haversine_km(chemnitz.lat, chemnitz.lon, stored["lat"], stored["lon"])
        assert hit["distance_km"] == pytest.approx(real, abs=0.2), hit["name"]
        assert (hit["name"], hit["kind"], hit["town"], hit["landkreis"]) == (
            stored["name"], stored["kind"], stored["town"], stored["landkreis"])


def test_demo_query_hits_are_about_maintenance_and_digitalisation(demo_radar, demo_hits):
    about = [h for h in demo_hits
             if any(w in profile_text(demo_radar, h["id"]) for w in ("instandhalt", "wartung"))]
    assert len(about) >= 7, [h["name"] for h in demo_hits]
    # the two research groups on maintenance in Chemnitz are near the top
    assert any("instandhaltungsinformatik" in profile_text(demo_radar, h["id"]) for h in demo_hits[:5])


def test_scores_are_integers_0_to_100_in_descending_order(demo_hits):
    scores = [h["score"] for h in demo_hits]
    assert all(isinstance(s, int) and 0 <= s <= 100 for s in scores)
    assert scores == sorted(scores, reverse=True)
    assert scores[0] > scores[-1]


def test_every_hit_is_explained_in_german(demo_hits):
    with_terms = 0
    for hit in demo_hits:
        expl = hit["explanation"]
        assert expl["best_sentence"].strip(), hit["name"]
        assert expl["distance_km"] == hit["distance_km"]
        reasons = expl["reasons"]
        assert reasons and all(isinstance(r, str) and r for r in reasons)
        assert f"{hit['distance_km']:.0f} km entfernt ({hit['town']})" in reasons
        if expl["shared_terms"]:
            with_terms += 1
            assert "Gemeinsame Begriffe: " + ", ".join(expl["shared_terms"]) in reasons
            # the shared words are words of the question, as the user wrote them
            for term in expl["shared_terms"]:
                assert term.lower() in DEMO_QUERY.lower()
        label = "Nächstliegende Aussage" if expl["weak_evidence"] else "Passende Aussage"
        assert any(r.startswith(label) and expl["best_sentence"] in r for r in reasons)
        assert set(expl["signals"]) >= {"semantic", "lexical", "proximity"}
        assert all(0.0 <= v <= 1.0 for v in expl["signals"].values())
    assert with_terms >= 7


def test_best_sentence_is_a_sentence_of_the_partner(demo_radar, demo_hits):
    for hit in demo_hits:
        sentence = hit["explanation"]["best_sentence"].removesuffix(" …")
        passages = " ".join(p["text"] for p in demo_radar.store.passages_for(hit["id"]))
        assert sentence in passages, hit["name"]


# -- laser welding -------------------------------------------------------------------

def test_laser_welding_of_aluminium_finds_laser_welding_research_groups(demo_radar):
    hits = search(demo_radar, query="Laserstrahlschweißen von Aluminium im Leichtbau", kinds=["research"])
    assert len(hits) == 10
    assert {h["kind"] for h in hits} == {"research"}
    for hit in hits[:3]:
        text = profile_text(demo_radar, hit["id"])
        assert "laserstrahlschweißen" in text and "aluminium" in text, hit["name"]
        assert "Laserstrahlschweißen" in hit["explanation"]["shared_terms"]


def test_swiss_spelling_without_eszett_finds_the_same_partners(demo_radar):
    with_eszett = search(demo_radar, query="Laserstrahlschweißen von Aluminium", kinds=["research"], limit=3)
    without = search(demo_radar, query="Laserstrahlschweissen von Aluminium", kinds=["research"], limit=3)
    assert set(ids_of(without)) == set(ids_of(with_eszett))


# -- filters -------------------------------------------------------------------------

@pytest.mark.parametrize("kinds, limit", [(["startup"], 20), (["research"], 40), (["other"], 5),
                                          (["kmu", "startup"], 30)])
def test_kind_filter_returns_only_that_kind_and_still_fills_the_limit(demo_radar, kinds, limit):
    hits = search(demo_radar, query=DEMO_QUERY, kinds=kinds, limit=limit)
    assert {h["kind"] for h in hits} <= set(kinds)
    assert len(hits) == limit


def test_kind_filter_returns_all_listed_profiles_of_a_small_kind(demo_radar):
    others = listed_ids(demo_radar, kind="other")
    hits = search(demo_radar, query="Laserstrahlschweißen von Aluminium", kinds=["other"], limit=100)
    assert set(ids_of(hits)) == others


@pytest.mark.parametrize("landkreis", ["Erzgebirgskreis", "Sächsische Schweiz-Osterzgebirge", "Meißen"])
def test_landkreis_filter(demo_radar, landkreis):
    hits = search(demo_radar, query=DEMO_QUERY, landkreis=landkreis, limit=50)
    assert {h["landkreis"] for h in hits} == {landkreis}
    assert set(ids_of(hits)) == listed_ids(demo_radar, landkreis=landkreis)


def test_landkreis_leipzig_is_not_the_city_of_leipzig(demo_radar):
    district = search(demo_radar, query="Forschung und Entwicklung", landkreis="Landkreis Leipzig", limit=50)
    city = search(demo_radar, query="Forschung und Entwicklung", landkreis="Leipzig", limit=50)
    assert {h["landkreis"] for h in district} == {"Landkreis Leipzig"}
    assert {h["landkreis"] for h in city} == {"Leipzig"}
    assert not set(ids_of(district)) & set(ids_of(city))


def test_radius_combined_with_kind_and_landkreis(demo_radar):
    hits = search(demo_radar, query="Wasserstoff und Brennstoffzellen", near="01067 Dresden", radius_km=25,
                  kinds=["research"], limit=50)
    assert hits
    for hit in hits:
        assert hit["kind"] == "research" and hit["distance_km"] <= 25


def test_near_without_radius_gives_distances_but_filters_nothing(demo_radar):
    hits = search(demo_radar, query=DEMO_QUERY, near="Görlitz", limit=30)
    assert len(hits) == 30
    assert all(h["distance_km"] is not None for h in hits)
    assert max(h["distance_km"] for h in hits) > 60     # Chemnitz and Leipzig are far from Görlitz


def test_exclude_leaves_out_given_profiles_and_keeps_the_limit(demo_radar, demo_hits):
    first_two = ids_of(demo_hits)[:2]
    hits = search(demo_radar, query=DEMO_QUERY, near="Chemnitz", radius_km=30, exclude=first_two)
    assert len(hits) == 10
    assert not set(first_two) & set(ids_of(hits))
    assert ids_of(hits)[:8] == ids_of(demo_hits)[2:]


def test_unlisted_profiles_never_appear(demo_radar):
    unlisted = demo_radar.store.conn.execute(
        "SELECT id, name, description, town FROM profiles WHERE listed = 0").fetchall()
    assert len(unlisted) == 5
    for pid, name, description, town in unlisted:
        # even a search that quotes the profile word for word
        hits = search(demo_radar, query=description[:1500], limit=100)
        assert pid not in ids_of(hits), name
        hits = search(demo_radar, query=name, near=town, radius_km=5, limit=100)
        assert pid not in ids_of(hits), name
    hidden = {r[0] for r in unlisted}
    for seeker in ("demo-001", "demo-005"):
        assert not hidden & set(ids_of(demo_radar.partners(seeker, SearchRequest(limit=100))))


@pytest.mark.parametrize("request_data, message", [
    ({"query": DEMO_QUERY, "near": "Atlantis"}, "Unbekannter Ort „Atlantis“"),
    ({"query": DEMO_QUERY, "landkreis": "Landkreis Bielefeld"}, "Unbekannter Landkreis „Landkreis Bielefeld“"),
])
def test_unknown_places_are_the_users_error(demo_radar, request_data, message):
    with pytest.raises(BadRequest, match=message):
        search(demo_radar, **request_data)


# -- partners for an organisation ---------------------------------------------------

@pytest.mark.parametrize("pid", ["demo-001", "demo-005", "demo-126"])
def test_partners_never_include_the_profile_itself(demo_radar, pid):
    hits = demo_radar.partners(pid, SearchRequest(limit=100))
    assert len(hits) == 100
    assert pid not in ids_of(hits)


def test_partners_of_a_laser_welding_lab_are_about_welding(demo_radar):
    hits = demo_radar.partners("demo-005", SearchRequest(limit=5))
    welding = [h for h in hits if "schweiß" in profile_text(demo_radar, h["id"])]
    assert len(welding) >= 3, [h["name"] for h in hits]


def test_partners_of_an_unknown_profile(demo_radar):
    with pytest.raises(NotFound):
        demo_radar.partners("gibt-es-nicht")


def test_known_partners_are_left_out_unless_asked_for(small_radar):
    radar = small_radar
    before = ids_of(radar.partners("kl-laser", SearchRequest(limit=11)))
    assert "kl-schweissforschung" in before[:2]     # the obvious partner for a laser welder
    assert "kl-laser" not in before

    radar.add_cooperations([("kl-laser", "kl-schweissforschung", "p1", "Schweißnahtüberwachung im Leichtbau", "test")])

    hits = radar.partners("kl-laser", SearchRequest(limit=11))
    assert "kl-schweissforschung" not in ids_of(hits) and "kl-laser" not in ids_of(hits)
    assert len(hits) == 9          # 12 profiles - itself - its partner - one unlisted
    # and the same from the partner's side
    assert "kl-laser" not in ids_of(radar.partners("kl-schweissforschung", SearchRequest(limit=11)))

    shown = radar.partners("kl-laser", SearchRequest(limit=11, include_known=True))
    assert "kl-schweissforschung" in ids_of(shown) and "kl-laser" not in ids_of(shown)
    known = next(h for h in shown if h["id"] == "kl-schweissforschung")
    assert ("Bekannter Partner aus einem Projekt zu diesem Thema: „Schweißnahtüberwachung im Leichtbau“"
            in known["explanation"]["reasons"])


def test_search_on_behalf_of_a_seeker_leaves_out_the_seeker(small_radar):
    req = SearchRequest.from_dict({"query": "Laserstrahlschweißen von Aluminium", "seeker": "kl-laser"})
    assert "kl-laser" not in ids_of(small_radar.search(req))
    assert "kl-laser" in ids_of(search(small_radar, query="Laserstrahlschweißen von Aluminium"))[:2]


UNIVERSITY = {"id": "kl-uni", "name": "Technische Universität Erzgebirge", "kind": "research",
              "description": "Die Universität forscht in Maschinenbau, Werkstoffen, Energie und Informatik. "
                             "Dazu gehören auch Projekte zur Energiespeicherung.",
              "postcode": "09599", "town": "Freiberg"}


def _university_in_every_project(radar, partners):
    radar.save([UNIVERSITY])
    radar.add_cooperations([("kl-uni", other, f"p{i}", f"Verbundprojekt {i}", "test")
                            for i, other in enumerate(partners)])


def test_a_niche_need_finds_the_small_specialist_not_the_busiest_university(small_radar):
    _university_in_every_project(small_radar, ["kl-instand", "kl-holz", "kl-textil", "kl-energie", "kl-pruef"])
    hits = search(small_radar, query="Metallhydride als Wasserstoffspeicher")
    assert ids_of(hits)[0] == "kl-wasser"
    uni = next(h for h in hits if h["id"] == "kl-uni")
    assert uni["explanation"]["signals"]["activity"] > 0


def test_experience_in_joint_projects_lifts_a_partner_and_is_explained(small_radar):
    query = "Forschung zu Energie und Werkstoffen"
    before = ids_of(search(small_radar, query=query, limit=12))
    _university_in_every_project(small_radar, ["kl-instand", "kl-holz", "kl-textil", "kl-energie", "kl-pruef"])
    quiet = dict(UNIVERSITY, id="kl-uni-ohne", name="Hochschule Erzgebirge ohne Projekte")
    small_radar.save([quiet])
    hits = search(small_radar, query=query, limit=13)
    ranked = ids_of(hits)
    assert ranked.index("kl-uni") < ranked.index("kl-uni-ohne")   # same text, more cooperation
    uni = next(h for h in hits if h["id"] == "kl-uni")
    assert "Erfahren in Kooperationen: 5 gemeinsame Förderprojekte" in uni["explanation"]["reasons"]
    assert "kl-uni" not in before


def test_ranking_only_some_profiles_scores_them_as_the_full_ranking_does(demo_radar):
    """The digest ranks only the new profiles and mails supported ones: those score as in the
    full list. (A hit the text doesn't support shows no more than the supported hits above
    it, so its score depends on which those are.)"""
    hits = demo_radar.partners("demo-005", SearchRequest(limit=100), explain=False)
    full = {h["id"]: h["score"] for h in hits if h["supported"]}
    some = [pid for pid in list(full)[3:40:6]]          # a handful from the middle of the list
    assert len(some) >= 4
    only = demo_radar.partners("demo-005", SearchRequest(limit=100, only=some), explain=False)
    assert {h["id"]: h["score"] for h in only} == {pid: full[pid] for pid in some}
    assert [h["score"] for h in only] == sorted((h["score"] for h in only), reverse=True)


def test_hits_the_text_supports_come_first_and_scores_fall_down_the_whole_list(demo_radar):
    """Content first (issue 13): however busy an organisation, a hit that its text supports only
    weakly (meaning alone, no shared word) ranks after every supported one, and shows no more
    points than those above it."""
    for query in ("Abwärme aus der Produktion nutzen", "Lackieren ohne Lösemittel"):
        hits = search(demo_radar, query=query, limit=100)
        supported = [h["supported"] for h in hits]
        assert True in supported and False in supported, "the test needs both kinds of hits"
        assert supported == sorted(supported, reverse=True)
        scores = [h["score"] for h in hits]
        assert scores == sorted(scores, reverse=True)
        for h in hits:
            if not h["supported"] and not h["explanation"]["shared_terms"]:
                assert h["explanation"]["weak_evidence"]
            if h["supported"]:
                assert not h["explanation"]["weak_evidence"]


def test_a_word_a_firm_only_seeks_covers_a_need_less_than_one_it_offers():
    from index.lexical import LexicalIndex
    # Two firms, one passage each that says "Instandhaltung": one offers it, one seeks it.
    lexical = LexicalIndex(np.array([1, 2]), ["bietet", "sucht"], ["instandhalt digital", "instandhalt digital"],
                           ["bietet", "sucht"], weights=np.array([1.0, 0.5]))
    full = lexical.coverage(["instandhalt", "digital"])
    as_need = lexical.coverage(["instandhalt", "digital"], need_factor=0.6)
    assert full[0] == full[1] == pytest.approx(1.0)
    assert as_need[0] == pytest.approx(1.0) and as_need[1] == pytest.approx(0.6)


def test_the_matching_statement_is_prose_not_the_keyword_list(small_radar):
    small_radar.save([{
        "id": "fuegewerk", "name": "Fügewerk Zwickau GmbH", "kind": "kmu", "postcode": "08056",
        "description": "Wir fügen Karosseriebauteile aus Aluminium mit dem Laser. "
                       "Außerdem bieten wir Lohnfertigung für Zulieferer an.",
        "keywords": "Laserstrahlschweißen; Aluminium; Leichtbau; Fügetechnik"}])

    hit = next(h for h in search(small_radar, query="Laserstrahlschweißen von Aluminium im Leichtbau")
               if h["id"] == "fuegewerk")

    explanation = hit["explanation"]
    assert explanation["best_sentence"] == "Wir fügen Karosseriebauteile aus Aluminium mit dem Laser."
    assert explanation["best_sentence_field"] == "description"
    # the keywords still show, as shared terms
    assert {"Laserstrahlschweißen", "Aluminium", "Leichtbau"} <= set(explanation["shared_terms"])


def test_a_known_partner_ranks_higher_when_the_joint_project_was_on_the_topic(
        small_radar, small_template, tmp_path, encoder):
    """Two known partners, two joint projects; swapping which project each did flips who is
    lifted for a question on one project's topic."""
    gears, audit = "Zustandsüberwachung von Getrieben", "Energieaudit für Fabrikhallen"
    swapped = make_radar(copy_database(small_template, tmp_path / "swapped.db"), encoder)
    small_radar.add_cooperations([("kl-instand", "kl-pruef", "p1", gears, "test"),
                                  ("kl-instand", "kl-energie", "p2", audit, "test")])
    swapped.add_cooperations([("kl-instand", "kl-pruef", "p1", audit, "test"),
                              ("kl-instand", "kl-energie", "p2", gears, "test")])
    question = {"query": "Zustandsüberwachung von Getrieben und Wälzlagern", "seeker": "kl-instand",
                "include_known": True, "limit": 11}

    hits = small_radar.search(SearchRequest.from_dict(question))
    hits_swapped = swapped.search(SearchRequest.from_dict(question))

    assert ids_of(hits).index("kl-pruef") < ids_of(hits_swapped).index("kl-pruef")
    # The energy consultant's text says nothing about gears: the joint project lifts its score,
    # but content comes first (issue 13), so it never passes a hit that the content supports.
    score = lambda found, pid: next(h["score"] for h in found if h["id"] == pid)  # noqa: E731
    assert score(hits_swapped, "kl-energie") > score(hits, "kl-energie")
    assert ids_of(hits_swapped).index("kl-energie") <= ids_of(hits).index("kl-energie")
    pruef = next(h for h in hits if h["id"] == "kl-pruef")
    assert f"Bekannter Partner aus einem Projekt zu diesem Thema: „{gears}“" in pruef["explanation"]["reasons"]
    energie = next(h for h in hits if h["id"] == "kl-energie")
    assert f"Bekannter Partner aus: {audit}" in energie["explanation"]["reasons"]


def test_partners_for_a_broad_organisation_favour_a_close_match_on_some_of_its_topics():
    """Five topics: a specialist close on two beats a generalist vague on all five. A need's
    sentences, by contrast, all count: there the generalist wins."""
    from matcher.ranker import PROFILE, Query
    specialist = [0.9, 0.85, 0.1, 0.1, 0.1]
    generalist = [0.45, 0.45, 0.45, 0.45, 0.45]
    per_vector = np.array([specialist, generalist]).T          # rows: the organisation's passages
    vectors = np.zeros((5, 4))
    broad = Query(vectors=vectors, sentences=[""] * 5, terms={}, fields=["description"] * 5, side=PROFILE)
    need = Query(vectors=vectors, sentences=[""] * 5, terms={})

    by_profile = broad.combine(per_vector)
    by_need = need.combine(per_vector)

    assert by_profile[0] > by_profile[1]
    assert by_need[0] < by_need[1]


def test_an_offer_is_answered_by_those_who_seek_it_a_need_by_those_who_offer_it(small_radar):
    """kl-holz *seeks* fire-safety testing of timber parts. Read as a need ("we want that"),
    a firm that only seeks the same is a poor answer; read as an offer ("we do that"), it is
    the best one: its need counts in full, in meaning and in words."""
    from matcher.query import OFFER, TEXT, Query
    from matcher.ranker import Ranker

    text = "Brandschutzprüfung von Holzbauteilen"
    index = small_radar.index
    ranker = Ranker(index, small_radar.weights, small_radar.gazetteer, small_radar.similarity_range)

    def holz(side):
        query = Query.for_text(text, small_radar.analyzer, small_radar.encoder, side=side)
        found = ranker.rank(query, SearchRequest(query=text))
        ids = [index.profiles.ids[r] for r in found.rows]
        at = ids.index("kl-holz")
        return at, found.fused[at], found.signals["semantic"][at], found.signals["lexical"][at]

    as_need, as_offer = holz(TEXT), holz(OFFER)
    assert as_offer[0] == 0
    assert as_offer[1] > as_need[1]
    assert as_offer[2] > as_need[2] and as_offer[3] > as_need[3]

