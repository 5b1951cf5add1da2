"""The pages in a real browser: Debian's chromium, driven by Playwright, against a live server.

The server is the app on a loopback socket (werkzeug, in a thread) over the demo
database; the browser is /usr/bin/chromium (installed by ``make install``), never a
downloaded one.
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from api import create_app
from evaluation.screenshots import live_server
from tests.browser_helpers import sign_in

TOPIC = "Additive Fertigung von Metallbauteilen"
NEED = "Wer kann uns bei der Digitalisierung der Instandhaltung helfen?"


@pytest.fixture(scope="module")
def base_url(demo_radar):
    app = create_app(demo_radar.settings, radar=demo_radar)
    app.config["SESSION_COOKIE_SECURE"] = False      # plain HTTP on loopback
    with live_server(app) as url:
        yield url


@pytest.fixture
def planner(page, base_url, demo_accounts):
    """A page whose browser has logged in as an innovation manager, through the real login form."""
    page.goto(base_url + "/")
    page.get_by_role("link", name="Anmelden").click()
    sign_in(page, demo_accounts["manager"][0])
    expect(page.get_by_role("button", name="Abmelden")).to_be_visible()   # back on the search page
    assert page.url == base_url + "/"
    return page


def test_search_shows_explained_results_and_opens_a_profile(page, base_url, demo_radar):
    page.goto(base_url + "/")
    page.get_by_label("Was suchen Sie?").fill(NEED)
    page.get_by_label("In der Nähe von").fill("Chemnitz")
    page.get_by_label("Umkreis").fill("40")
    page.get_by_role("button", name="Partner suchen").click()

    cards = page.locator("article.card")
    expect(cards).to_have_count(10)
    first = cards.first
    assert re.fullmatch(r"\d{1,3}", first.locator(".score strong").inner_text())
    assert "km entfernt" in first.locator(".meta").inner_text()
    assert first.locator(".terms mark").count() >= 1              # shared terms, highlighted
    assert first.locator("blockquote.sentence mark").count() >= 1  # … in the best sentence too

    name = first.locator("h3 a").inner_text()
    first.locator("h3 a").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    assert page.get_by_role("heading", name="Vorgeschlagene Partner").is_visible()
    assert page.locator("article.card").count() >= 1
    # No contact data on a public page.
    profile_id = page.url.rsplit("/", 1)[1]
    stored = demo_radar.store.get_profile(profile_id)
    text = page.content()
    for field in ("contact_name", "contact_email", "street"):
        assert stored[field] and stored[field] not in text


def test_planner_gets_from_topic_to_districts_firms_and_csv_in_three_clicks(planner, base_url):
    page = planner
    page.goto(base_url + "/")
    page.get_by_role("link", name="Inno Slam planen").click()                 # click 1
    page.get_by_label("Forschungsthema").fill(TOPIC)
    page.get_by_role("button", name="Publikum finden").click()                # click 2

    chart = page.get_by_role("img", name="Passendes Publikum je Landkreis")
    expect(chart.locator("g.bar")).to_have_count(13)
    districts = page.locator("section.district")
    assert districts.count() >= 5
    top = districts.first
    assert top.locator(".venue").inner_text()
    assert top.locator("article.card").count() >= 1

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Einladungsliste als CSV herunterladen").click()  # click 3
    download = download_info.value
    assert download.suggested_filename == "einladungen.csv"
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["Rang Landkreis", "Landkreis", "Veranstaltungsort", "Organisation"]
    top_name = top.locator("h3").first.inner_text().split(". ", 1)[1].split("\n")[0].strip()
    first_firm = top.locator("article.card h3 a").first.inner_text()
    assert [top_name, first_firm] == rows[1][1:4:2]


def test_search_works_with_the_keyboard_alone(page, base_url):
    page.goto(base_url + "/")
    page.keyboard.press("Tab")                  # "Zum Inhalt springen"
    assert page.evaluate("document.activeElement.textContent") == "Zum Inhalt springen"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")                  # the first field of the page
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("Laserstrahlschweißen von Aluminium")
    page.keyboard.press("Enter")

    expect(page.locator("article.card").first).to_be_visible()
    assert page.get_by_role("heading", level=2).first.inner_text().endswith("passende Partner")


def test_an_inno_slam_for_a_research_profile_starts_from_its_page(planner, base_url):
    page = planner
    page.goto(base_url + "/profil/demo-072")
    page.get_by_role("link", name="Inno Slam mit diesem Profil planen").click()
    page.get_by_role("button", name="Publikum finden").click()

    expect(page.locator("section.district").first).to_be_visible()
    assert "Forschungsgruppe Generative Metallfertigung Dresden" in page.locator("main form").inner_text()
    assert page.locator("section.district article.card").count() >= 1


def test_anonymous_planner_is_sent_to_the_login_and_back(page, base_url, demo_accounts):
    page.goto(base_url + "/")
    page.get_by_role("link", name="Inno Slam planen").click()
    expect(page.get_by_role("heading", name="Anmelden")).to_be_visible()
    sign_in(page, demo_accounts["manager"][0])

    expect(page.get_by_role("heading", level=1)).to_have_text("Inno Slam planen")
    page.get_by_role("button", name="Abmelden").click()                   # a POST with the CSRF token
    expect(page.get_by_role("heading", name="Anmelden")).to_be_visible()
    page.goto(base_url + "/innoslam")
    assert "/anmelden" in page.url


def test_pages_keep_their_style_under_the_content_security_policy(planner, base_url):
    """The CSP allows styles from this site only: nothing the pages use may be refused."""
    page = planner
    refused = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    for path in ("/", "/?q=Laserschwei%C3%9Fen", "/profil/demo-005", "/innoslam?thema=Wasserstoff",
                 "/abo/einstellungen/kein-gueltiges-token"):
        page.goto(base_url + path)
        # the stylesheet applied: the site's own font stack, not the browser's default
        assert "system-ui" in page.evaluate("getComputedStyle(document.body).fontFamily"), path
    assert refused == []
