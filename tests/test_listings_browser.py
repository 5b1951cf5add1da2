"""Offers and requests in a real browser (Debian's chromium via Playwright), on a live server.

The story of issue 16: a firm in the demo data (Bergstadt Kristalltechnik, Freiberg) posts
"Abwärme 85 °C, 400 kW" on the page and sees the heat demands next door ranked with German
explanations; an innovation manager sees Mittelsachsen's potential as totals, a network
picture and a table, and downloads it as CSV.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from api import create_app
from evaluation.screenshots import live_server
from tests.access_helpers import api_key
from tests.browser_helpers import sign_in
from tests.conftest import make_radar
from tests.listings_helpers import copy_demo

FIRM = ("kristall@demo.test", "demo-043")


@pytest.fixture(scope="module")
def base_url(tmp_path_factory, demo_radar):
    from listings.importer import import_demo
    from listings.service import Listings
    from partnerradar.config import DEMO_LISTINGS

    radar = make_radar(copy_demo(demo_radar, tmp_path_factory.mktemp("listings-web") / "demo.db"),
                       demo_radar.encoder)
    assert import_demo(Listings(radar), DEMO_LISTINGS).inserted == 31
    api_key(radar, "member", FIRM[0], profile_id=FIRM[1])
    api_key(radar, "manager", "mittelsachsen@demo.test", region=("Mittelsachsen",))
    app = create_app(radar.settings, radar=radar)
    app.config["SESSION_COOKIE_SECURE"] = False
    with live_server(app) as url:
        yield url


def log_in(page, base_url, email):
    page.goto(base_url + "/angebote")
    page.get_by_role("link", name="Anmelden").click()
    sign_in(page, email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Angebote und Gesuche")


def test_a_firm_posts_waste_heat_and_sees_nearby_demands_explained(page, base_url):
    log_in(page, base_url, FIRM[0])
    page.get_by_role("link", name="Angebot oder Gesuch einstellen").click()
    page.get_by_label("Typ").select_option(label="Abwärme verfügbar")
    page.get_by_label("Titel").fill("Abwärme 85 °C, 400 kW")
    page.get_by_label("Beschreibung").fill("Abwärme aus den Kühlkreisläufen unserer Kristallzuchtöfen, ganzjährig.")
    page.get_by_label("Temperatur (°C)").fill("85")
    page.get_by_label("Leistung (kW)").fill("400")
    page.get_by_role("button", name="Eintrag einstellen").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Abwärme 85 °C, 400 kW")
    expect(page.get_by_role("heading", name="Passende Gesuche")).to_be_visible()
    cards = page.locator("article.card.match")
    expect(cards).to_have_count(3)        # the three heat demands in Freiberg, none farther away
    titles = [cards.nth(i).locator("h3 a").inner_text() for i in range(3)]
    assert titles[0] == "Wärme zur Trocknung von Schlämmen"      # wechselseitig: silicon dust for us
    assert cards.first.locator(".badge.mutual").inner_text() == "wechselseitig"
    criteria = cards.first.locator(".criteria li").all_inner_texts()
    assert criteria[:4] == ["wechselseitig: beide Seiten können einander etwas bieten",
                            "Abwärme 85 °C ≥ benötigt 70 °C", "gleicher Standort (0 km)",
                            "400 kW für 250 kW Bedarf"]
    scores = [int(cards.nth(i).locator(".score strong").inner_text()) for i in range(1, 3)]
    assert scores == sorted(scores, reverse=True)
    # The research group posted anonymously: its name stays hidden from the firm.
    text = page.locator("main").inner_text()
    assert "Prozesswärme für das Aufbereitungstechnikum" in text
    assert "Anonym (Kontakt über das Innovationsmanagement)" in text
    assert "Forschungsgruppe Rohstoffaufbereitung" not in page.content()

    # … and takes it down again (the manager's test below counts the demo's pairs only).
    page.get_by_role("button", name="Eintrag löschen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Angebote und Gesuche")
    assert "Abwärme 85 °C, 400 kW" not in page.locator("main").inner_text()


def test_a_manager_sees_the_regions_potential_and_downloads_it(page, base_url):
    log_in(page, base_url, "mittelsachsen@demo.test")
    page.get_by_role("link", name="Potenzial einer Region").click()
    page.get_by_label("Landkreis").select_option("Mittelsachsen")
    page.get_by_role("button", name="Potenzial zeigen").click()

    expect(page.get_by_role("heading", level=2).first).to_contain_text("Mittelsachsen: ")
    totals = page.locator("ul.totals li").all_inner_texts()
    assert "3 mögliche Abwärme-Partnerschaften, zusammen ≈ 900 kW" in totals
    picture = page.get_by_role("img", name="Netz der möglichen Partnerschaften")
    expect(picture.locator("line.edge")).to_have_count(4)
    assert picture.locator("g.node").count() >= 5
    rows = page.locator("table.pairs tbody tr")
    expect(rows).to_have_count(4)
    # staff see who is behind an anonymous listing
    assert "Forschungsgruppe Rohstoffaufbereitung und Sortiertechnik Freiberg (anonym)" in \
        page.locator("table.pairs").inner_text()

    with page.expect_download() as info:
        page.get_by_role("link", name="Paare als CSV herunterladen").click()
    download = info.value
    assert download.suggested_filename == "potenzial.csv"
    table = list(csv.reader(io.StringIO(Path(download.path()).read_text("utf-8-sig")), delimiter=";"))
    assert table[0][:2] == ["Fluss", "Angebot"] and len(table) == 5


def test_a_member_cannot_open_the_region_page(page, base_url):
    log_in(page, base_url, FIRM[0])
    page.goto(base_url + "/angebote/region?landkreis=Mittelsachsen")
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Potenzial einer Region")
    assert "Partnerschaften" not in page.locator("main").inner_text()
