"""The HTML pages through the Flask test client: privacy, errors, the CSV download."""
from __future__ import annotations

import csv
import io
from urllib.parse import quote

import pytest

from api import create_app
from tests.access_helpers import api_key, as_bearer
from tests.both_deployments import demo_accounts, demo_radar, small_radar  # noqa: F401  (every test on both)
from tests.conftest import CONTACT_MARKERS

UNLISTED = "demo-018"       # Kunststofftechnik Sonnenberg GmbH, "listed = nein" in the demo data


@pytest.fixture(scope="module")
def app(demo_radar):
    return create_app(demo_radar.settings, radar=demo_radar)


@pytest.fixture(scope="module")
def client(app):
    """Anonymous, like most visitors."""
    return app.test_client()


@pytest.fixture(scope="module")
def manager(app, demo_accounts):
    """An innovation manager (Inno Slam planning, contact data)."""
    return as_bearer(app.test_client(), demo_accounts["manager"][1])


def test_unlisted_profiles_have_no_public_page_and_never_appear(client, manager, demo_radar):
    name = demo_radar.store.get_profile(UNLISTED)["name"]

    page = client.get(f"/profil/{UNLISTED}")
    assert page.status_code == 404
    assert "Profil nicht gefunden" in page.get_data(as_text=True)
    for http, url in ((client, "/?q=" + quote("Kunststoffspritzguss mit Rezyklat")),
                      (manager, "/innoslam?thema=" + quote("Kunststoffspritzguss mit Rezyklat")),
                      (manager, "/innoslam/einladungen.csv?thema=" + quote("Kunststoffspritzguss mit Rezyklat")),
                      (client, "/profil/demo-028")):  # another plastics firm: its partner suggestions
        response = http.get(url)
        assert response.status_code == 200
        assert name not in response.get_data(as_text=True), url


# -- who sees what on the pages (README: role matrix) ----------------------------------------

@pytest.fixture
def small_app(small_radar):
    app = create_app(small_radar.settings, radar=small_radar)
    keys = {"anonymous": None,
            "member": api_key(small_radar, "member", "holz@test.example", profile_id="kl-holz"),
            "manager": api_key(small_radar, "manager", "ms@test.example", region=("Mittelsachsen",)),
            "admin": api_key(small_radar, "admin", "chef@test.example")}

    def get(role, url):
        headers = {"Authorization": f"Bearer {keys[role]}"} if keys[role] else {}
        return app.test_client().get(url, headers=headers)
    return get


@pytest.mark.parametrize("role, sees_contact", [
    ("anonymous", False), ("member", False), ("manager", True), ("admin", True)])
def test_profile_page_shows_contact_data_only_to_staff(small_app, role, sees_contact):
    page = small_app(role, "/profil/kl-laser")
    text = page.get_data(as_text=True)

    assert page.status_code == 200 and "Laserfügetechnik Mittweida GmbH" in text
    shown = [marker for marker in CONTACT_MARKERS if marker in text]
    if sees_contact:
        assert "Kontakt" in text and "vertraulich.eins@kontakt-geheim.example" in text
    else:
        assert shown == [] and "Kontakt (nur" not in text


def test_a_member_sees_the_contact_data_of_its_own_profile(small_app):
    own = small_app("member", "/profil/kl-holz").get_data(as_text=True)
    assert "Ansprechpartner" in own and any(marker in own for marker in CONTACT_MARKERS)


@pytest.mark.parametrize("role, status", [("anonymous", 404), ("member", 404), ("manager", 200), ("admin", 200)])
def test_unlisted_profile_page_only_for_staff(small_app, role, status):
    page = small_app(role, "/profil/kl-verborgen")
    text = page.get_data(as_text=True)

    assert page.status_code == status
    assert ("Zahnradüberholung" in text) is (status == 200)
    assert ("Jördis Geheimnißträger-Neun" in text) is (status == 200)


@pytest.mark.parametrize("url", ["/innoslam?thema=Laserstrahlschweißen", "/innoslam/einladungen.csv?thema=Laser"])
def test_inno_slam_page_and_csv_are_for_managers(small_app, url):
    anonymous = small_app("anonymous", url)
    assert anonymous.status_code == 302                               # to the login, and back after it
    assert anonymous.headers["Location"].startswith("/anmelden?weiter=/innoslam")
    member = small_app("member", url)
    assert member.status_code == 403 and "Keine Berechtigung" in member.get_data(as_text=True)
    assert small_app("manager", url).status_code == 200
    assert small_app("admin", url).status_code == 200


def test_header_offers_login_or_logout(small_app):
    anonymous = small_app("anonymous", "/").get_data(as_text=True)
    assert ">Anmelden</a>" in anonymous and "Abmelden" not in anonymous
    manager = small_app("manager", "/").get_data(as_text=True)
    assert "ms@test.example" in manager and 'action="/abmelden"' in manager
    assert 'name="csrf_token"' in manager                              # logout is a POST with the token
    assert "Inno Slam planen" not in small_app("member", "/").get_data(as_text=True)


@pytest.mark.parametrize("query, message", [
    ("q=Laser&umkreis=20", "Für einen Umkreis bitte auch einen Ort"),
    ("q=Laser&ort=Atlantis", "Den Ort „Atlantis“ kennen wir nicht"),
    ("q=Laser&ort=Chemnitz&umkreis=viel", "Der Umkreis muss eine Zahl"),
    ("q=Laser&landkreis=Mordor", "Unbekannter Landkreis"),
])
def test_bad_search_input_is_explained_in_german_on_the_page(client, query, message):
    response = client.get("/?" + query)

    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert message in text
    assert 'name="q"' in text and 'value="Laser"' in text     # the form keeps what was typed


def test_page_text_is_escaped(client):
    text = client.get("/?q=" + quote("<script>alert(1)</script> Laser")).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;" in text


def test_csv_download_needs_a_topic(manager):
    response = manager.get("/innoslam/einladungen.csv")
    assert response.status_code == 400
    assert "Bitte ein Thema" in response.get_data(as_text=True)


def test_csv_download_lists_the_firms_shown_on_the_page(manager):
    topic = quote("Additive Fertigung von Metallbauteilen")
    page = manager.get("/innoslam?thema=" + topic).get_data(as_text=True)
    response = manager.get("/innoslam/einladungen.csv?thema=" + topic)

    assert response.headers["Content-Type"].startswith("text/csv")
    assert 'filename="einladungen.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert len(rows) >= 8
    for row in rows:
        assert row["Organisation"] in page.replace("&amp;", "&")
        # the configured base_url (default http://127.0.0.1:8000), not the Host header ("localhost")
        assert row["Profil"].startswith(manager.application.config["BASE_URL"] + "/profil/")
        assert "localhost" not in row["Profil"]


def test_partner_suggestions_on_a_profile_page_say_how_far_away_they_are(client, demo_radar):
    page = client.get("/profil/demo-005").get_data(as_text=True)      # a laser lab in Chemnitz
    first = demo_radar.partners("demo-005")[0]
    assert first["distance_km"] is not None
    assert first["name"] in page and "km entfernt" in page


def test_search_page_sets_the_weakly_supported_hits_apart_once(client, demo_radar):
    from markupsafe import escape

    from matcher.request import SearchRequest

    query = "Lackieren ohne Lösemittel"
    hits = demo_radar.search(SearchRequest(query=query, limit=10), explain=False)
    first_weak = next(i for i, h in enumerate(hits) if not h["supported"])      # the demo data has some
    text = client.get("/?q=" + quote(query)).get_data(as_text=True)
    assert text.count('class="weak-divider"') == 1
    divider = text.index('class="weak-divider"')
    # every supported hit's card comes before the divider, the weak ones after it
    names = [str(escape(h["name"])) for h in hits]
    assert all(text.index(n) < divider for n in names[:first_weak])
    assert all(text.index(n) > divider for n in names[first_weak:])
    assert "Weniger belegte Treffer" in text
    # The CSV download says the same of each hit.
    exported = client.get("/suche.csv?q=" + quote(query)).get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(exported.lstrip("\ufeff")), delimiter=";"))
    hits = demo_radar.search(SearchRequest(query=query, limit=100), explain=False)
    assert [r["Inhaltlich belegt"] for r in rows] == ["ja" if h["supported"] else "nein" for h in hits]
