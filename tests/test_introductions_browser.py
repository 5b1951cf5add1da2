"""Issue 15's "done when", in a real browser against a live server with a loopback SMTP server.

A member finds a partner, asks for an introduction, the manager introduces, both sides
accept through the links in their mails, contact data appears for both and for nobody
else, the manager records a project, and the pair shows as a known cooperation on both
organisations' pages; a second ``partnerradar remind`` sends nothing.
"""
from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from playwright.sync_api import expect

from partnerradar.cli import main
from tests.smtp_inbox import inbox, mail_env  # noqa: F401  (fixtures)
from tests.browser_helpers import new_page, serving_pages, sign_in
from tests.test_introductions import PARTNER, SEEKER, intro_template, radar  # noqa: F401  (fixtures)

NEED = "Restlebensdauer von Komponenten und Verschleiß in der Instandhaltung"
PEOPLE = {"seeker": ("firma@schwingwerk.example", "member", SEEKER, ()),
          "partner": ("labor@instandhaltung.example", "member", PARTNER, ()),
          "stranger": ("dritte@kappler.example", "member", "demo-003", ()),
          "manager": ("lk@chemnitz.example", "manager", None, ("Chemnitz",))}


@pytest.fixture
def site(radar, mail_env):
    with serving_pages(radar, PEOPLE) as url:
        yield url


def logged_in(browser, base, who):
    page = new_page(browser)
    page.goto(base + "/anmelden")
    sign_in(page, PEOPLE[who][0])
    expect(page.get_by_role("button", name="Abmelden")).to_be_visible()
    page.goto(base + "/")
    return page


def remind(radar) -> str:
    result = CliRunner().invoke(main, ["remind", "--db", str(radar.settings.db_path)])
    assert result.exit_code == 0, result.output
    return result.output


def link_in(message) -> str:
    text = message.get_body(("plain",)).get_content()
    return re.search(r"https://partnerradar\.example(/anbahnung/\S+)", text).group(1)


def test_an_introduction_from_search_to_known_cooperation(site, browser, radar, inbox):
    partner_name = radar.store.get_profile(PARTNER)["name"]
    seeker_name = radar.store.get_profile(SEEKER)["name"]
    partner_contact = radar.store.get_profile(PARTNER)["contact_email"]
    seeker_contact = radar.store.get_profile(SEEKER)["contact_email"]

    # The member finds the partner and asks for an introduction.
    member = logged_in(browser, site, "seeker")
    member.get_by_label("Was suchen Sie?").fill(NEED)
    member.get_by_role("button", name="Partner suchen").click()
    card = member.locator("article.card", has=member.get_by_role("link", name=partner_name))
    expect(card).to_have_count(1)
    card.get_by_role("link", name="Kontakt anbahnen").click()
    expect(member.get_by_role("heading", level=1)).to_have_text("Kontakt anbahnen")
    member.get_by_label("Ihre Nachricht").fill("Wir möchten Restlebensdauerprognosen für unsere Sensorik erproben.")
    member.get_by_role("button", name="Anfrage senden").click()
    expect(member.get_by_role("status")).to_contain_text("Ihre Anfrage ist angekommen")
    expect(member.locator("article.intro")).to_contain_text("angefragt")
    intro_id = radar.store.conn.execute("SELECT id FROM introductions").fetchone()[0]
    assert inbox.messages == []                          # nothing sent inside the request
    assert "1 E-Mail(s) verschickt" in remind(radar)
    assert inbox.recipients() == ["lk@chemnitz.example"]

    # The manager introduces both sides on the pipeline page.
    manager = logged_in(browser, site, "manager")
    manager.get_by_role("link", name="Anbahnungen").click()
    entry = manager.locator(f"#anbahnung-{intro_id}")
    entry.get_by_label("Neuer Stand").select_option(label="vorgestellt")
    entry.get_by_label("Notiz").fill("Beide Seiten telefonisch vorab informiert")
    entry.get_by_label("Nächster Schritt am").fill("2027-01-15")
    entry.get_by_role("button", name="Stand speichern").click()
    expect(manager.get_by_role("status")).to_have_text("Der Stand ist gespeichert.")
    expect(manager.locator("#stand-introduced")).to_contain_text("(1)")
    assert "2 E-Mail(s) verschickt" in remind(radar)

    # Both accept through the links in their mails (a browser without a login, as from a mail client).
    pages = {}
    for side in ("seeker", "partner"):
        [mail] = inbox.to(PEOPLE[side][0])
        context = browser.new_context(locale="de-DE")
        pages[side] = context.new_page()
        pages[side].goto(site + link_in(mail))
        assert partner_contact not in pages[side].content() and seeker_contact not in pages[side].content()
        pages[side].get_by_role("button", name="Zusagen").click()
        expect(pages[side].get_by_role("status")).to_contain_text("zugesagt")
    expect(pages["partner"].get_by_role("region", name="Kontaktdaten")).to_contain_text(seeker_contact)
    pages["seeker"].reload()
    expect(pages["seeker"].get_by_role("region", name="Kontaktdaten")).to_contain_text(partner_contact)
    member.goto(site + "/anbahnungen")
    expect(member.get_by_role("region", name="Kontaktdaten")).to_contain_text(partner_contact)

    # ... and for nobody else.
    stranger = logged_in(browser, site, "stranger")
    for url in ("/anbahnungen", f"/profil/{PARTNER}", f"/profil/{SEEKER}", f"/api/v1/introductions/{intro_id}"):
        stranger.goto(site + url)
        assert partner_contact not in stranger.content() and seeker_contact not in stranger.content(), url
    anonymous = browser.new_context().new_page()
    anonymous.goto(site + f"/profil/{PARTNER}")
    assert partner_contact not in anonymous.content()

    # The manager records the meeting and the project.
    manager.goto(site + "/anbahnungen/verwalten")
    for state in ("Gespräch vereinbart", "Kooperation / Projekt"):
        entry = manager.locator(f"#anbahnung-{intro_id}")
        entry.get_by_label("Neuer Stand").select_option(label=state)
        entry.get_by_role("button", name="Stand speichern").click()
        expect(manager.get_by_role("status")).to_have_text("Der Stand ist gespeichert.")
    expect(manager.locator("section", has=manager.locator("#stand-cooperation"))).to_contain_text(seeker_name)

    # The pair is now a known cooperation of both organisations.
    for page, own, other in ((member, SEEKER, partner_name), (logged_in(browser, site, "partner"), PARTNER, seeker_name)):
        page.goto(site + f"/profil/{own}")
        known = page.get_by_role("region", name="Bekannte Kooperationen")
        expect(known).to_contain_text(other)
        expect(known).to_contain_text("über Partnerradar vermittelt")
        body = page.request.get(site + f"/api/v1/profiles/{own}/partners?include_known=true&limit=30").json()
        reasons = [r for h in body["results"] if h["name"] == other for r in h["explanation"]["reasons"]]
        assert "Bekannter Partner aus: über Partnerradar vermittelt" in reasons

    # Everything owed is delivered once (the two sides' contact mails); a second run sends nothing.
    assert "2 E-Mail(s) verschickt" in remind(radar)
    delivered = len(inbox.messages)
    assert "0 E-Mail(s) verschickt" in remind(radar)
    assert len(inbox.messages) == delivered
