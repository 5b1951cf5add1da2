"""Inno Slam planning: audience, programme and tour, over the matcher, the API and the CLI."""
from __future__ import annotations

import csv
import io
import itertools
import json

import pytest
from click.testing import CliRunner

import innoslam
from api import create_app
from ingest.csv_safe import safe_cell
from api.web import invitations_table
from matcher.request import BadRequest
from partnerradar.cli import main
from partnerradar.radar import NotFound
from tests.access_helpers import as_bearer
from tests.both_deployments import demo_accounts, demo_radar, small_radar  # noqa: F401  (every test on both)

AM_TOPIC = "Additive Fertigung von Metallbauteilen"
#: Unlisted in the demo data; it would otherwise fit the plastics topic.
UNLISTED_PLASTICS_FIRM = "demo-018"


@pytest.fixture(scope="module")
def client(demo_radar, demo_accounts):
    """An innovation manager's client: planning is theirs (tests/test_access.py: the other roles)."""
    return as_bearer(create_app(demo_radar.settings, radar=demo_radar).test_client(), demo_accounts["manager"][1])


# -- topic -> audience ---------------------------------------------------------------

def test_biotech_topic_ranks_leipzig_first(demo_radar):
    # The demo's life-science firms sit in Leipzig.
    result = innoslam.audience(demo_radar, "Zelltherapie und Biotechnologie")

    top = result["districts"][0]
    assert top["name"] == "Leipzig"
    assert top["matching_firms"] >= 2
    assert all(firm["landkreis"] == "Leipzig" for firm in top["firms"])
    assert top["venue"] == "Leipzig"


def test_audience_ranks_all_districts_with_explained_firms_and_a_venue_in_the_district(demo_radar):
    result = innoslam.audience(demo_radar, AM_TOPIC)
    districts = result["districts"]

    assert sorted(d["name"] for d in districts) == sorted(demo_radar.gazetteer.districts())
    assert [d["score"] for d in districts] == sorted((d["score"] for d in districts), reverse=True)
    towns_of = {}
    for place in demo_radar.gazetteer.towns():
        towns_of.setdefault(place.landkreis, set()).add(place.town)
    with_firms = [d for d in districts if d["matching_firms"]]
    assert len(with_firms) >= 8     # the demo has an additive-manufacturing firm almost everywhere
    for d in with_firms:
        assert d["venue"] in towns_of[d["name"]]
        for firm in d["firms"]:
            assert firm["landkreis"] == d["name"]
            assert firm["kind"] in ("kmu", "startup")
            assert firm["explanation"]["shared_terms"], firm["name"]
            assert firm["supported"], firm["name"]       # nobody is invited on a weak match
            assert firm["venue_distance_km"] is not None
    # The same firm, the same score and reasons as in a partner search.
    best = with_firms[0]["firms"][0]
    from tests.conftest import search
    hit = next(h for h in search(demo_radar, query=AM_TOPIC, kinds=["kmu", "startup"], limit=50)
               if h["id"] == best["id"])
    assert hit["score"] == best["score"]
    assert hit["explanation"]["reasons"] == best["explanation"]["reasons"]


def test_a_research_profile_finds_its_audience(demo_radar):
    result = innoslam.audience(demo_radar, profile_id="demo-072")   # generative metal manufacturing
    firms = [f["name"] for d in result["districts"] for f in d["firms"]]

    assert any("Pulverbett" in name or "Metall-3D" in name or "Generativ" in name for name in firms)


def test_unlisted_firms_are_never_invited(demo_radar):
    result = innoslam.audience(demo_radar, "Kunststoffspritzguss mit Rezyklat und Zweikomponentenspritzguss")
    invited = {f["id"] for d in result["districts"] for f in d["firms"]}

    assert invited                       # other plastics firms are found …
    assert UNLISTED_PLASTICS_FIRM not in invited   # … the unlisted one never


def test_audience_needs_exactly_one_of_topic_and_profile(demo_radar):
    with pytest.raises(BadRequest, match="entweder ein Thema"):
        innoslam.audience(demo_radar)
    with pytest.raises(BadRequest, match="entweder ein Thema"):
        innoslam.audience(demo_radar, "Laser", profile_id="demo-072")
    with pytest.raises(NotFound):
        innoslam.audience(demo_radar, profile_id="gibt-es-nicht")


# -- region -> programme ----------------------------------------------------------------

def test_programme_has_no_two_talks_on_the_same_subject(small_radar):
    # A second laser-welding group, worded almost like the one in Zwickau.
    twin = {"id": "kl-schweiss-zwilling", "name": "Arbeitsgruppe Laserschweißen Chemnitz", "kind": "research",
            "description": "Die Arbeitsgruppe entwickelt Verfahren zum Laserstrahlschweißen von Aluminiumblechen "
                           "für leichte Fahrzeugkarosserien. Schwerpunkt ist die Überwachung der Schweißnaht "
                           "mit Kameras.",
            "offers": "Prozessentwicklung Laserstrahlschweißen; Schweißnahtprüfung",
            "keywords": "Laserstrahlschweißen; Aluminium; Karosserie", "postcode": "09126", "town": "Chemnitz"}
    assert not small_radar.save([twin]).rejected
    region = innoslam.region_of(small_radar, town="Chemnitz", radius_km=60)

    result = innoslam.programme(small_radar, region, n=3)
    ids = [t["id"] for t in result["talks"]]

    welding = {"kl-schweissforschung", "kl-schweiss-zwilling"}
    assert len(welding & set(ids)) == 1, ids
    assert {s["id"] for s in result["same_subject_skipped"]} == welding - set(ids)
    assert result["expected_audience"] >= 1
    assert all(t["expected_audience"] >= 1 for t in result["talks"])


def test_programme_for_a_district_ranks_talks_by_match(demo_radar):
    result = innoslam.programme(demo_radar, innoslam.region_of(demo_radar, district="Chemnitz"), n=5)

    assert result["region"] == "Chemnitz"
    assert 1 <= len(result["talks"]) <= 5
    scores = [t["score"] for t in result["talks"]]
    assert scores == sorted(scores, reverse=True)
    for talk in result["talks"]:
        assert all(f["town"] == "Chemnitz" for f in talk["firms"])
    subjects = [set(t["subject"]) for t in result["talks"]]
    assert all(not (a & b) for a, b in itertools.combinations(subjects, 2))


@pytest.mark.parametrize("kwargs, message", [
    ({}, "entweder einen Landkreis"),
    ({"district": "Atlantis"}, "Unbekannter Landkreis"),
    ({"town": "Chemnitz", "radius_km": -5}, "radius_km"),
    ({"town": "Nirgendwo an der Spree"}, "Unbekannter Ort"),
])
def test_programme_region_errors_are_german(demo_radar, kwargs, message):
    with pytest.raises(BadRequest, match=message):
        innoslam.region_of(demo_radar, **kwargs)


# -- tour ------------------------------------------------------------------------------

SCIENTISTS = ["demo-072", "demo-026", "demo-033", "demo-112", "demo-115"]


def test_tour_gives_every_event_a_full_programme(demo_radar):
    result = innoslam.tour(demo_radar, SCIENTISTS, n_events=3, talks_per_event=4)

    events = result["events"]
    assert len(events) == 3
    assert len({e["district"] for e in events}) == 3
    for event in events:
        speakers = [t["id"] for t in event["talks"]]
        assert len(speakers) == 4 and len(set(speakers)) == 4     # full, nobody twice
    talks = [t["id"] for e in events for t in e["talks"]]
    assert set(talks) == set(SCIENTISTS)           # 12 slots, 5 scientists: everyone talks
    assert max(talks.count(s) for s in SCIENTISTS) - min(talks.count(s) for s in SCIENTISTS) <= 1


def test_tour_assignment_is_optimal_on_a_small_case(demo_radar):
    """Four slots in two fixed districts, five scientists on different subjects: brute force agrees."""
    districts = ["Leipzig", "Dresden"]
    result = innoslam.tour(demo_radar, SCIENTISTS, n_events=2, talks_per_event=2, districts=districts)

    match = {(pid, d): innoslam.match_of([h for h in innoslam.scientist_hits(demo_radar, pid)
                                          if h["landkreis"] == d]) for pid in SCIENTISTS for d in districts}
    best = max(sum(match[p, "Leipzig"] for p in order[:2]) + sum(match[p, "Dresden"] for p in order[2:4])
               for order in itertools.permutations(SCIENTISTS, 4))
    assert result["total_score"] == pytest.approx(best, abs=0.011)
    assert len(result["not_assigned"]) == 1


@pytest.mark.parametrize("args, message", [
    (([], 2), "scientist_ids"),
    ((["demo-072"], 0), "n_events"),
    ((["demo-072", "demo-026"], 1, 4), "mindestens 4 Wissenschaftler"),
    ((SCIENTISTS, 2, 2, ["Leipzig", "Leipzig"]), "verschiedene Landkreise"),
])
def test_tour_errors_are_german(demo_radar, args, message):
    with pytest.raises(BadRequest, match=message):
        innoslam.tour(demo_radar, *args)


# -- API ----------------------------------------------------------------------------------

def test_api_audience_body(client):
    response = client.post("/api/v1/innoslam/audience", json={"topic": AM_TOPIC, "top_districts": 3})

    assert response.status_code == 200
    body = response.get_json()
    assert list(body) == ["districts"]
    assert len(body["districts"]) == 3
    assert {"name", "score", "firms", "venue"} <= set(body["districts"][0])


def test_api_programme_and_tour(client):
    programme = client.post("/api/v1/innoslam/programme", json={"district": "Dresden", "n": 3})
    tour = client.post("/api/v1/innoslam/tour", json={"scientist_ids": SCIENTISTS, "n_events": 2})

    assert programme.status_code == 200 and len(programme.get_json()["talks"]) <= 3
    assert tour.status_code == 200 and len(tour.get_json()["events"]) == 2


@pytest.mark.parametrize("path, body, message", [
    ("/api/v1/innoslam/audience", {}, "Bitte entweder ein Thema"),
    ("/api/v1/innoslam/audience", {"topic": "Laser", "zielgruppe": "alle"}, "Unbekannte Felder: zielgruppe"),
    ("/api/v1/innoslam/audience", {"topic": 42}, "topic muss ein Text sein"),
    ("/api/v1/innoslam/audience", {"topic": "x" * 2001}, "zu lang"),
    ("/api/v1/innoslam/programme", {"district": "Atlantis"}, "Unbekannter Landkreis „Atlantis“"),
    ("/api/v1/innoslam/programme", {"district": "Dresden", "n": "fünf"}, "n muss eine ganze Zahl sein"),
    ("/api/v1/innoslam/tour", {"scientist_ids": SCIENTISTS}, "Zahl der Veranstaltungen"),
    ("/api/v1/innoslam/tour", {"scientist_ids": "demo-072", "n_events": 1}, "Liste von Profil-IDs"),
])
def test_api_bad_input_gets_400_with_a_german_message(client, path, body, message):
    response = client.post(path, json=body)

    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_request"
    assert message in response.get_json()["message"]


def test_api_non_json_body_is_400(client):
    response = client.post("/api/v1/innoslam/audience", data="Thema=Laser",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "JSON" in response.get_json()["message"]


def test_api_unknown_research_profile_is_404(client):
    response = client.post("/api/v1/innoslam/audience", json={"profile_id": "gibt-es-nicht"})
    assert response.status_code == 404
    assert "nicht gefunden" in response.get_json()["message"]


def test_openapi_describes_the_innoslam_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/api/v1/innoslam/audience", "/api/v1/innoslam/programme", "/api/v1/innoslam/tour"} <= set(paths)


# -- CLI ------------------------------------------------------------------------------------

def test_cli_audience_json_is_exactly_the_api_body(demo_radar, client, cli_encoder):
    result = CliRunner().invoke(main, ["--db", str(demo_radar.settings.db_path), "innoslam", "audience",
                                       AM_TOPIC, "--districts", "4", "--firms", "3", "--json"],
                                catch_exceptions=False)

    assert result.exit_code == 0, result.output
    api = client.post("/api/v1/innoslam/audience",
                      json={"topic": AM_TOPIC, "top_districts": 4, "firms_per_district": 3}).get_json()
    assert json.loads(result.stdout) == api


def test_cli_programme_prints_a_readable_programme(demo_radar, cli_encoder):
    result = CliRunner().invoke(main, ["innoslam", "programme", "--db", str(demo_radar.settings.db_path),
                                       "--district", "Chemnitz", "-n", "3"], catch_exceptions=False)

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Programm für Chemnitz: erwartetes Publikum")
    assert " 1. " in result.stdout


def test_cli_errors_exit_2_with_a_german_message(demo_radar, cli_encoder):
    result = CliRunner().invoke(main, ["--db", str(demo_radar.settings.db_path), "innoslam", "tour",
                                       "demo-072", "--events", "99"], catch_exceptions=False)

    assert result.exit_code == 2
    assert "Fehler: n_events muss eine ganze Zahl zwischen 1 und 13 sein." in result.stderr


# -- invitation list (CSV) ----------------------------------------------------------------------

@pytest.mark.parametrize("value, shown", [
    ("=HYPERLINK(\"http://böse.example\")", "'=HYPERLINK(\"http://böse.example\")"),
    ("+49 351 1234", "'+49 351 1234"), ("-1+2", "'-1+2"), ("@SUMME(A1)", "'@SUMME(A1)"),
    ("Müller & Söhne GmbH", "Müller & Söhne GmbH"), (42, "42"), (None, ""),
])
def test_csv_cells_never_start_a_formula(value, shown):
    assert safe_cell(value) == shown


def test_invitation_csv_neutralises_a_firm_named_like_a_formula(small_radar):
    evil = {"id": "kl-formel", "name": "=HYPERLINK(\"http://angreifer.example\";\"Laser GmbH\")", "kind": "kmu",
            "description": "Wir schweißen Aluminium mit dem Laserstrahl für den Leichtbau.",
            "keywords": "Laserstrahlschweißen; Aluminium", "postcode": "09111", "town": "Chemnitz"}
    assert not small_radar.save([evil]).rejected

    result = innoslam.audience(small_radar, "Laserstrahlschweißen von Aluminium")
    rows = list(csv.reader(io.StringIO(invitations_table(result, lambda pid: f"/profil/{pid}")), delimiter=";"))

    names = [row[3] for row in rows[1:]]
    assert any(name.startswith("'=HYPERLINK") for name in names), names
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_command_line_counts_firms_in_correct_german():
    from partnerradar.cli_innoslam import _firms

    assert _firms(1) == "1 passende Firma"
    assert _firms(0) == "0 passende Firmen" and _firms(7) == "7 passende Firmen"


def test_a_firm_the_topic_only_weakly_supports_is_not_invited_however_high_it_scores():
    from innoslam.matching import well_matching

    hits = [{"id": "a", "score": 80, "supported": True}, {"id": "b", "score": 70, "supported": False},
            {"id": "c", "score": 60, "supported": True}]
    assert [h["id"] for h in well_matching(hits)] == ["a", "c"]
