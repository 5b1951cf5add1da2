"""The HTML pages through the Flask test client: privacy, errors, the CSV download."""
from __future__ import annotations

import csv
import io
from urllib.parse import quote

import pytest

from api import create_app
from tests.conftest import CONTACT_MARKERS

UNLISTED = "demo-018"       # Kunststofftechnik Sonnenberg GmbH, "listed = nein" in the demo data


@pytest.fixture(scope="module")
def client(demo_radar):
    return create_app(demo_radar.settings, radar=demo_radar).test_client()


def test_unlisted_profiles_have_no_page_and_never_appear(client, demo_radar):
    name = demo_radar.store.get_profile(UNLISTED)["name"]

    page = client.get(f"/profil/{UNLISTED}")
    assert page.status_code == 404
    assert "Profil nicht gefunden" in page.get_data(as_text=True)
    for url in ("/?q=" + quote("Kunststoffspritzguss mit Rezyklat"),
                "/innoslam?thema=" + quote("Kunststoffspritzguss mit Rezyklat"),
                "/innoslam/einladungen.csv?thema=" + quote("Kunststoffspritzguss mit Rezyklat"),
                "/profil/demo-028"):       # another plastics firm: its partner suggestions
        response = client.get(url)
        assert response.status_code == 200
        assert name not in response.get_data(as_text=True), url


def test_profile_page_never_shows_contact_data(small_radar):
    client = create_app(small_radar.settings, radar=small_radar).test_client()
    page = client.get("/profil/kl-laser").get_data(as_text=True)

    assert "Laserfügetechnik Mittweida GmbH" in page
    assert not any(marker in page for marker in CONTACT_MARKERS)


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


def test_csv_download_needs_a_topic(client):
    response = client.get("/innoslam/einladungen.csv")
    assert response.status_code == 400
    assert "Bitte ein Thema" in response.get_data(as_text=True)


def test_csv_download_lists_the_firms_shown_on_the_page(client):
    topic = quote("Additive Fertigung von Metallbauteilen")
    page = client.get("/innoslam?thema=" + topic).get_data(as_text=True)
    response = client.get("/innoslam/einladungen.csv?thema=" + topic)

    assert response.headers["Content-Type"].startswith("text/csv")
    assert 'filename="einladungen.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert len(rows) >= 8
    for row in rows:
        assert row["Organisation"] in page.replace("&amp;", "&")
        assert row["Profil"].startswith("http://localhost/profil/")
