"""The pages of the people who run Partnerradar (issue 15), in a real browser against a live
server over a copy of the demo database, with a loopback SMTP server: a firm's own page,
a manager's region, an admin's users and keys.
"""
from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from store.users import Users
from tests.browser_helpers import new_page, serving_pages, sign_in
from tests.smtp_inbox import inbox, mail_env  # noqa: F401  (fixtures)
from tests.test_introductions import PARTNER, SEEKER, intro_template, radar  # noqa: F401  (fixtures)

PEOPLE = {"member": ("firma@schwingwerk.example", "member", SEEKER, ()),
          "partner": ("labor@instandhaltung.example", "member", PARTNER, ()),
          "manager": ("lk@chemnitz.example", "manager", None, ("Chemnitz",)),
          "elsewhere": ("lk@goerlitz.example", "manager", None, ("Görlitz",)),
          "admin": ("chef@partnerradar.example", "admin", None, ())}


@pytest.fixture
def site(radar, mail_env):
    with serving_pages(radar, PEOPLE) as url:
        yield url


def logged_in(browser, base, who, **context):
    page = new_page(browser, **context)
    page.goto(base + "/anmelden")
    sign_in(page, PEOPLE[who][0])
    expect(page.get_by_role("button", name="Abmelden")).to_be_visible()
    page.goto(base + "/")
    return page


def audit_actions(radar, target):
    return [r[0] for r in radar.store.conn.execute("SELECT action FROM audit_log WHERE target=? ORDER BY id", (target,))]


def wait_for_mail(inbox, address, timeout_s=60):
    deadline = time.monotonic() + timeout_s
    while not inbox.to(address):
        assert time.monotonic() < deadline, f"no mail to {address}"
        time.sleep(0.05)
    return inbox.to(address)[-1]


# -- a firm's own page -----------------------------------------------------------------

def test_a_firm_edits_its_profile_and_search_finds_the_new_text(site, browser, radar):
    page = logged_in(browser, site, "member")
    page.get_by_role("link", name="Meine Firma").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Meine Firma")
    page.get_by_label("Was wir bieten").fill("Wirbelstromprüfung von Turbinenschaufeln aus Titanaluminid")
    page.get_by_role("button", name="Profil speichern").click()
    expect(page.get_by_role("status")).to_contain_text("Ihr Profil ist gespeichert")
    assert "Wirbelstromprüfung" in radar.store.get_profile(SEEKER)["offers"]
    assert audit_actions(radar, SEEKER) == ["profile.update"]
    # Same write path as the API: the index has the new text at once.
    page.goto(site + "/?q=" + "Wirbelstromprüfung Turbinenschaufeln Titanaluminid")
    expect(page.locator("article.card").first).to_contain_text(radar.store.get_profile(SEEKER)["name"])

    # A wrong postcode is refused in German; nothing is saved, the typed text stays in the form.
    page.goto(site + "/meine-firma")
    page.get_by_label("Postleitzahl").fill("123")
    page.get_by_label("Was wir suchen").fill("Geänderter Text, der nicht gespeichert wird")
    page.get_by_role("button", name="Profil speichern").click()
    expect(page.get_by_role("alert")).to_contain_text("Unlesbare Postleitzahl „123“")
    expect(page.get_by_label("Was wir suchen")).to_have_value("Geänderter Text, der nicht gespeichert wird")
    assert "Geänderter Text" not in (radar.store.get_profile(SEEKER)["seeks"] or "")
    assert audit_actions(radar, SEEKER) == ["profile.update"]


def test_a_firm_subscribes_to_the_digest_with_double_opt_in(site, browser, radar, inbox):
    page = logged_in(browser, site, "member")
    page.goto(site + "/meine-firma")
    expect(page.get_by_label("E-Mail-Adresse für den Digest")).to_have_value(PEOPLE["member"][0])
    page.get_by_label("E-Mail-Adresse für den Digest").fill("digest@schwingwerk.example")
    page.get_by_role("button", name="Digest abonnieren").click()
    expect(page.get_by_role("status")).to_contain_text("Der Digest startet, sobald der Link darin bestätigt ist")
    status = lambda: radar.store.conn.execute(  # noqa: E731
        "SELECT status FROM subscriptions WHERE profile_id=?", (SEEKER,)).fetchall()
    mail = wait_for_mail(inbox, "digest@schwingwerk.example")
    assert status() == [("pending",)]                    # nothing before the link is confirmed
    path = re.search(r"https://partnerradar\.example(/abo/bestaetigen/\S+)",
                     mail.get_body(("plain",)).get_content()).group(1)
    confirm = browser.new_context(locale="de-DE").new_page()
    confirm.goto(site + path)
    confirm.get_by_role("button", name="Ja, Digest bestätigen").click()
    expect(confirm.locator("main")).to_contain_text("Ihr Digest ist bestätigt")
    assert status() == [("confirmed",)]


def test_the_firm_page_shows_its_listings_and_introductions_and_is_for_members_only(site, browser, radar):
    page = logged_in(browser, site, "member")
    page.goto(site + "/angebote/neu")
    page.get_by_label("Typ").select_option(index=1)
    page.get_by_label("Titel").fill("Freie Kapazität: Schwingungsmessplatz")
    page.get_by_label("Beschreibung").fill("Unser Schwingungsmessplatz ist dienstags frei, für Messungen an Getrieben.")
    page.get_by_role("button", name="Eintrag einstellen").click()
    page.goto(site + f"/anbahnen?partner={PARTNER}")
    page.get_by_label("Ihre Nachricht").fill("Wir möchten Restlebensdauerprognosen erproben.")
    page.get_by_role("button", name="Anfrage senden").click()
    page.goto(site + "/meine-firma")
    expect(page.get_by_role("region", name=re.compile("Unsere Angebote und Gesuche"))).to_contain_text(
        "Freie Kapazität: Schwingungsmessplatz")
    expect(page.get_by_role("region", name="Unsere Anbahnungen")).to_contain_text(
        radar.store.get_profile(PARTNER)["name"])

    manager = logged_in(browser, site, "manager")
    response = manager.goto(site + "/meine-firma")
    assert response.status == 403
    expect(manager.get_by_role("heading", level=1)).to_have_text("Keine Berechtigung")
    anonymous = browser.new_context().new_page()
    anonymous.goto(site + "/meine-firma")
    assert anonymous.url.startswith(site + "/anmelden")


# -- a manager's region --------------------------------------------------------------------

REGION_FILE = """id,name,kind,description,offers,seeks,postcode,town,contact_email,listed
neu-chemnitz,Spindeldienst Chemnitz GmbH,kmu,Wir überholen Motorspindeln von Fräsmaschinen.,Spindelreparatur,Partner für Lagerdiagnose,09111,Chemnitz,info@spindel.example,ja
neu-dresden,Backhaus Dresden GmbH,kmu,Brot und Brötchen.,,,01069,Dresden,,ja
"""


def test_a_manager_uploads_a_file_sees_rejected_lines_the_funnel_and_exports(site, browser, radar, tmp_path):
    upload = tmp_path / "neue-firmen.csv"
    upload.write_text(REGION_FILE, encoding="utf-8")
    page = logged_in(browser, site, "manager")
    page.get_by_role("link", name="Meine Region").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Meine Region")
    page.get_by_label("Datei").set_input_files(str(upload))
    page.get_by_role("button", name="Datei einlesen").click()
    result = page.get_by_role("status", name="Ergebnis des Einlesens")
    expect(result).to_contain_text("2 gelesen, 1 neu")
    rejected = page.get_by_role("table", name="Abgelehnte Zeilen")
    expect(rejected.locator("tbody tr")).to_have_count(1)
    expect(rejected).to_contain_text("3")
    expect(rejected).to_contain_text("liegt in Dresden, nicht in Ihrer Region (Chemnitz)")
    assert radar.store.get_profile("neu-chemnitz")["landkreis"] == "Chemnitz"
    assert radar.store.get_profile("neu-dresden") is None
    expect(page.get_by_role("region", name=re.compile("Neue Profile"))).to_contain_text("Spindeldienst Chemnitz")

    expect(page.get_by_role("img", name="Monatlicher Trichter der Anbahnungen")).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV").first.click()
    download = download_info.value
    assert download.suggested_filename == "profile-region.csv"
    exported = open(download.path(), encoding="utf-8-sig").read()
    assert "Spindeldienst Chemnitz GmbH" in exported and "info@spindel.example" in exported
    assert "Backhaus Dresden" not in exported


def test_an_admin_revokes_a_key_on_the_users_page(site, browser, radar):
    users = Users(radar.store)
    key, _ = users.create_key(users.user_by_email(PEOPLE["manager"][0]), label="Berichtsskript")
    page = logged_in(browser, site, "admin")
    page.get_by_role("link", name="Zugänge").click()
    keys = page.get_by_role("table", name="API-Schlüssel")
    expect(keys).to_contain_text("Berichtsskript")
    keys.get_by_role("button", name=f"Schlüssel {key.id} widerrufen").click()
    expect(page.get_by_role("status")).to_have_text(f"Schlüssel {key.id} ist widerrufen.")
    assert [k.revoked_at is not None for k in users.keys() if k.id == key.id] == [True]
    manager = logged_in(browser, site, "manager")
    assert manager.goto(site + "/verwaltung/zugaenge").status == 403


# -- what a new user tripped over --------------------------------------------------------------

def test_unknown_addresses_show_the_german_page_in_a_browser(site, browser):
    page = browser.new_context(locale="de-DE").new_page()
    for path in ("/gibt-es-nicht", "/api/v1/gibt-es-nicht", "/region/nirgends"):
        response = page.goto(site + path)
        assert response.status == 404
        expect(page.get_by_role("heading", level=1)).to_have_text("Seite nicht gefunden")


def test_at_390_pixels_the_navigation_stays_compact_and_chart_labels_readable(site, browser):
    page = logged_in(browser, site, "manager", viewport={"width": 390, "height": 844})
    nav = page.locator("header.site nav ul")
    line = page.evaluate("parseFloat(getComputedStyle(document.body).lineHeight)")
    assert nav.bounding_box()["height"] < 2 * line                 # one line, not three
    assert page.locator("header.site").bounding_box()["height"] < 5 * line
    page.goto(site + "/innoslam?thema=" + "Additive Fertigung von Metallbauteilen")
    label = page.locator("figure.chart g.bar text").first
    expect(label).to_be_visible()
    assert label.bounding_box()["height"] >= 11                  # about 12 px, not 5


def test_inno_slam_programme_and_tour_in_the_browser(site, browser, radar):
    page = logged_in(browser, site, "manager")
    page.get_by_role("link", name="Inno Slam planen").click()
    page.get_by_role("link", name="Programm").click()
    page.get_by_label("Landkreis").select_option("Chemnitz")
    page.get_by_role("button", name="Programm vorschlagen").click()
    expect(page.get_by_role("heading", name=re.compile("Programm für"))).to_be_visible()
    talks = page.locator("ol.talks li")
    assert talks.count() >= 1
    speakers = [href.rsplit("/", 1)[1] for href in
                talks.locator("h3 a").evaluate_all("links => links.map(a => a.getAttribute('href'))")][:3]
    page.get_by_role("link", name="Tour").click()
    page.get_by_label(re.compile("Forschungsprofile")).fill(", ".join(speakers))
    page.get_by_label("Veranstaltungen").fill("1")
    page.get_by_role("button", name="Tour planen").click()
    expect(page.get_by_role("heading", name=re.compile("Tour mit 1 Veranstaltung"))).to_be_visible()
    expect(page.locator("section.district")).to_have_count(1)
