"""Offers and requests over HTTP: CRUD, matches, region potential, and the access rules.

Roles, each with its own real API key: anonymous; member of demo-043 (Bergstadt
Kristalltechnik, Freiberg); member of demo-001 (Chemnitz); manager of Mittelsachsen (Freiberg
lies there); manager of Leipzig; admin. q-fh2 (Silberstollen Analytik, Freiberg) is made
anonymous: its owner must stay hidden from everyone but staff.
"""
from __future__ import annotations

import csv
import io

import pytest

from api import create_app
from tests.access_helpers import api_key
from tests.conftest import copy_database, make_radar, radar_on
from tests.listings_helpers import listings_template, pg_listings_template  # noqa: F401  (fixtures)

OWNER_MARKERS = ("Silberstollen", "demo-042")
HEAT = {"type": "heat_offer", "title": "Abwärme 85 °C, 400 kW", "text": "Abwärme aus dem Ofen 2",
        "temperature_c": 85, "power_kw": 400}


def listings_keys(radar) -> dict:
    """A key per role, and q-fh2 made anonymous."""
    keys = {"anonymous": None,
            "member": api_key(radar, "member", "kristall@test.example", profile_id="demo-043"),
            "other_member": api_key(radar, "member", "schwingwerk@test.example", profile_id="demo-001"),
            "anon_owner": api_key(radar, "member", "silber@test.example", profile_id="demo-042"),
            "manager": api_key(radar, "manager", "ms@test.example", region=("Mittelsachsen",)),
            "leipzig": api_key(radar, "manager", "l@test.example", region=("Leipzig",)),
            "admin": api_key(radar, "admin", "chef@test.example")}
    from listings.service import Listings
    Listings(radar).update("q-fh2", {"visibility": "anonym"})
    radar.store.close()
    return keys


@pytest.fixture(scope="module")
def api_template(tmp_path_factory, listings_template, encoder):
    db = copy_database(listings_template, tmp_path_factory.mktemp("listings-api") / "api.db")
    return db, listings_keys(make_radar(db, encoder))


@pytest.fixture(scope="module")
def pg_api(postgres, pg_listings_template, encoder, tmp_path_factory) -> tuple[str, dict]:
    """api_template's keys and changes in a PostgreSQL template database."""
    url = postgres.create_database("listings_api_template", template=pg_listings_template)
    work = tmp_path_factory.mktemp("pg-listings-api") / "api.db"
    return url, listings_keys(make_radar(work, encoder, database_url=url))


@pytest.fixture(scope="module")
def pg_api_template(pg_api) -> str:
    return pg_api[0]


@pytest.fixture
def call(deployment, request, api_template, encoder, tmp_path):
    """Every test here runs on SQLite + FAISS and on PostgreSQL."""
    radar = radar_on(deployment, request, api_template[0], "pg_api_template", tmp_path / "api.db", encoder)
    client = create_app(radar.settings, radar=radar).test_client()
    keys = api_template[1] if deployment == "sqlite" else request.getfixturevalue("pg_api")[1]

    def request_as(role, method, url, **kwargs):
        headers = kwargs.pop("headers", {})
        if keys[role]:
            headers["Authorization"] = f"Bearer {keys[role]}"
        return client.open(url, method=method, headers=headers, **kwargs)

    request_as.radar = radar
    return request_as


def text(response) -> str:
    return response.get_data(as_text=True)


# -- reading -----------------------------------------------------------------------------

@pytest.mark.parametrize("role, sees_owner", [("anonymous", False), ("other_member", False),
                                              ("member", False), ("anon_owner", True), ("manager", True),
                                              ("leipzig", True), ("admin", True)])
def test_an_anonymous_listing_names_its_owner_to_staff_and_its_own_member_only(call, role, sees_owner):
    response = call(role, "GET", "/api/v1/listings/q-fh2")
    assert response.status_code == 200
    body = response.get_json()
    assert body["title"] == "Wärme für Laborgebäude und Probentrocknung"
    if sees_owner:
        assert body["owner"]["name"] == "Silberstollen Analytik GmbH" and not body["anonymous"]
    else:
        assert body["owner"] is None and body["anonymous"]
        assert body["owner_label"].startswith("Anonym")
        assert not any(m in text(response) for m in OWNER_MARKERS)
        assert "town" not in body and "postcode" not in body and body["landkreis"] == "Mittelsachsen"


@pytest.mark.parametrize("role, listed", [("anonymous", False), ("member", False), ("anon_owner", True),
                                          ("manager", True)])
def test_listing_a_profiles_listings_does_not_unmask_its_anonymous_ones(call, role, listed):
    response = call(role, "GET", "/api/v1/listings?profile_id=demo-042")
    found = [l["id"] for l in response.get_json()["listings"]]
    assert ("q-fh2" in found) is listed
    everything = call(role, "GET", "/api/v1/listings?limit=100&landkreis=Mittelsachsen").get_json()
    [anonymous] = [l for l in everything["listings"] if l["id"] == "q-fh2"]
    assert (anonymous["owner"] is not None) is listed


def test_listings_of_an_unlisted_profile_are_for_staff_and_its_member(call):
    call.radar.store.conn.execute("UPDATE profiles SET listed = 0 WHERE id = 'demo-041'")
    assert call("anonymous", "GET", "/api/v1/listings/q-fh3").status_code == 404
    assert call("member", "GET", "/api/v1/listings/q-fh3").status_code == 404
    assert call("manager", "GET", "/api/v1/listings/q-fh3").status_code == 200
    member_sees = [m["listing"]["id"] for m in call("member", "GET", "/api/v1/listings/q-fh1/matches")
                   .get_json()["matches"]]
    staff_sees = [m["listing"]["id"] for m in call("manager", "GET", "/api/v1/listings/q-fh1/matches")
                  .get_json()["matches"]]
    assert "q-fh3" not in member_sees and "q-fh3" in staff_sees


# -- matches ------------------------------------------------------------------------------

@pytest.mark.parametrize("role, status", [("anonymous", 401), ("other_member", 403), ("leipzig", 403),
                                          ("member", 200), ("manager", 200), ("admin", 200)])
def test_matches_are_for_the_owner_and_the_managers_of_its_region(call, role, status):
    response = call(role, "GET", "/api/v1/listings/q-fh1/matches")
    assert response.status_code == status, text(response)
    assert response.get_json()["message" if status != 200 else "matches"]


def test_matches_explain_in_german_and_hide_an_anonymous_counterpart(call):
    body = call("member", "GET", "/api/v1/listings/q-fh1/matches").get_json()
    hits = {m["listing"]["id"]: m for m in body["matches"]}
    assert set(hits) == {"q-fh2", "q-fh3"}
    lab = hits["q-fh2"]
    assert lab["explanation"].startswith("Abwärme 85 °C ≥ benötigt 60 °C · gleicher Standort (0 km) · "
                                         "400 kW für 300 kW Bedarf")
    assert lab["listing"]["owner"] is None
    raw = str(body)
    assert not any(m in raw for m in OWNER_MARKERS)
    assert hits["q-fh3"]["listing"]["owner"]["name"] == "Erzwerk Recycling Technologies GmbH"
    staff = call("manager", "GET", "/api/v1/listings/q-fh1/matches").get_json()
    assert {m["listing"]["id"]: m for m in staff["matches"]}["q-fh2"]["listing"]["owner"]["id"] == "demo-042"


# -- writing ------------------------------------------------------------------------------

@pytest.mark.parametrize("role, profile_id, status", [
    ("anonymous", "demo-043", 401), ("member", None, 201), ("member", "demo-042", 403),
    ("manager", "demo-042", 201), ("leipzig", "demo-042", 403), ("admin", "demo-150", 201)])
def test_who_may_post_a_listing(call, role, profile_id, status):
    body = {**HEAT, **({"profile_id": profile_id} if profile_id else {})}
    response = call(role, "POST", "/api/v1/listings", json=body)
    assert response.status_code == status, text(response)
    if status == 201:
        created = response.get_json()
        assert created["id"].startswith("lst-") and response.headers["Location"].endswith(created["id"])
        assert created["type_label"] == "Abwärme verfügbar" and created["status_label"] == "offen"


def test_a_firm_posts_waste_heat_and_sees_the_demands_next_door(call):
    created = call("member", "POST", "/api/v1/listings", json=HEAT).get_json()
    assert created["owner"]["id"] == "demo-043" and created["town"] == "Freiberg"
    matches = call("member", "GET", f"/api/v1/listings/{created['id']}/matches").get_json()["matches"]
    assert {m["listing"]["id"] for m in matches} == {"q-fh2", "q-fh3"}
    assert matches[0]["mutual"] and matches[0]["listing"]["id"] == "q-fh3"


def test_invalid_listing_is_a_422_with_a_german_reason(call):
    response = call("member", "POST", "/api/v1/listings", json={**HEAT, "temperature_c": "heiß"})
    assert response.status_code == 422
    assert response.get_json() == {"error": "invalid_listing",
                                   "message": "Temperatur (°C): „heiß“ ist keine Zahl"}
    response = call("member", "POST", "/api/v1/listings", json={**HEAT, "colour": "rot"})
    assert response.status_code == 400 and "Unbekannte(s) Feld(er): colour" in response.get_json()["message"]


@pytest.mark.parametrize("role, status", [("anonymous", 401), ("other_member", 403), ("leipzig", 403),
                                          ("member", 200), ("manager", 200)])
def test_who_may_change_a_listing(call, role, status):
    response = call(role, "PUT", "/api/v1/listings/q-fh1", json={"status": "in Gesprächen"})
    assert response.status_code == status, text(response)
    if status == 200:
        assert response.get_json()["status_label"] == "in Gesprächen"


def test_owner_cannot_be_moved_and_deletion_leaves_an_audit_line(call):
    moved = call("admin", "PUT", "/api/v1/listings/q-fh1", json={"profile_id": "demo-001"})
    assert moved.status_code == 400
    assert call("other_member", "DELETE", "/api/v1/listings/q-fh1").status_code == 403
    assert call("member", "DELETE", "/api/v1/listings/q-fh1").status_code == 204
    assert call("member", "GET", "/api/v1/listings/q-fh1").status_code == 404
    log = call("admin", "GET", "/api/v1/audit?action=listing.delete").get_json()["entries"]
    assert [e["target"] for e in log] == ["q-fh1"]
    assert log[0]["actor"].startswith("kristall@test.example")


def test_deleting_the_profile_removes_its_listings_from_answers(call):
    assert call("admin", "DELETE", "/api/v1/profiles/demo-042").status_code == 204
    assert call("admin", "GET", "/api/v1/listings/q-fh2").status_code == 404
    matches = call("admin", "GET", "/api/v1/listings/q-fh1/matches").get_json()["matches"]
    assert "q-fh2" not in {m["listing"]["id"] for m in matches}


# -- region potential ---------------------------------------------------------------------

@pytest.mark.parametrize("role, status", [("anonymous", 401), ("member", 403), ("manager", 200),
                                          ("admin", 200)])
def test_region_potential_is_for_managers(call, role, status):
    response = call(role, "GET", "/api/v1/listings/potential?landkreis=Mittelsachsen")
    assert response.status_code == status


def test_region_potential_totals_pairs_and_csv(call):
    body = call("manager", "GET", "/api/v1/listings/potential?landkreis=Leipzig").get_json()
    heat = next(t for t in body["totals"] if t["flow"] == "heat")
    # q-lh1 (300 kW) serves q-lh2, q-lh5, q-lh6 (290 kW needed), q-lh4 (90 kW) serves q-lh5, q-lh6.
    assert heat["count"] == 5 and heat["amount"] == 380.0
    assert heat["text"] == "5 mögliche Abwärme-Partnerschaften, zusammen ≈ 380 kW"
    assert all(p["offer"]["landkreis"] == p["request"]["landkreis"] == "Leipzig" for p in body["pairs"])
    around = call("manager", "GET", "/api/v1/listings/potential?town=Freiberg&radius_km=40").get_json()
    assert around["region"] == "Freiberg und 40 km Umkreis"
    assert any(p["offer"]["id"] == "q-m13" and p["request"]["id"] == "q-m14" for p in around["pairs"]) is False
    assert {(p["offer"]["id"], p["request"]["id"]) for p in around["pairs"]} >= {("q-fh1", "q-fh2"),
                                                                                 ("q-fh1", "q-fh3")}

    call("admin", "PUT", "/api/v1/listings/q-lh1", json={"title": "=HYPERLINK(\"http://evil\",\"x\")"})
    response = call("manager", "GET", "/api/v1/listings/potential?landkreis=Leipzig&format=csv")
    assert response.mimetype == "text/csv"
    content = text(response)
    assert content.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(content.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:3] == ["Fluss", "Angebot", "Typ Angebot"]
    assert any(r[1].startswith("'=HYPERLINK") for r in rows[1:])
    assert call("manager", "GET", "/api/v1/listings/potential?landkreis=Atlantis").status_code == 400
