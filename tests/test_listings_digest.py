"""New matching listings in the weekly digest, and the expiry reminder: real SMTP on loopback.

Bergstadt Kristalltechnik (demo-043, Freiberg) subscribes to the digest; it already offers waste
heat (q-fh1). Then two neighbours post heat demands, one of them anonymously: the next digest
lists both with their reasons — the anonymous one without its owner's name — and a second
run sends nothing.
"""
from __future__ import annotations

import time

import pytest

from api import create_app
from listings.service import VALID_S, Listings
from tests.listings_helpers import listings_on, listings_template, pg_listings_template  # noqa: F401  (fixtures)
from tests.smtp_inbox import inbox, mail_env  # noqa: F401  (fixtures)
from tests.test_digest import BASE, digests, send, subscribe_and_confirm

FIRM, ADDRESS = "demo-043", "info@bergstadt-kristall.example"


@pytest.fixture
def radar(listings_on):
    """Every test here runs on SQLite + FAISS and on PostgreSQL."""
    return listings_on


@pytest.fixture
def client(radar, mail_env):
    app = create_app(radar.settings, radar=radar)
    app.config["SESSION_COOKIE_SECURE"] = False
    return app.test_client()


def test_new_matching_listings_arrive_in_the_digest_once(client, radar, inbox):
    subscribe_and_confirm(client, inbox, email=ADDRESS, firm=FIRM)
    service = Listings(radar)
    public = service.create({"profile_id": "demo-040", "type": "Wärme gesucht", "temperature_c": 65,
                             "power_kw": 200, "title": "Wärme für die Versuchshalle Schmelztechnikum"})
    hidden = service.create({"profile_id": "demo-039", "type": "Wärme gesucht", "temperature_c": 50,
                             "power_kw": 150, "title": "Heizwärme für das Probenlager", "visibility": "anonym"})
    service.create({"profile_id": "demo-131", "type": "Wärme gesucht", "temperature_c": 50, "power_kw": 100,
                    "title": "Wärme für eine Werkstatt in Leipzig"})     # too far: not in the mail

    result = send(radar)

    assert result.exit_code == 0, result.output
    [mail] = digests(inbox, ADDRESS)
    assert " ".join(mail["Subject"].split()) == ("Partnerradar KW 48/2026: 2 neue passende Angebote und Gesuche für "
                               "Bergstadt Kristalltechnik GmbH")
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "Neue passende Angebote und Gesuche zu Ihren Einträgen:" in text
    assert "Wärme für die Versuchshalle Schmelztechnikum (Wärme gesucht)" in text
    assert "passt zu Ihrem Eintrag „Abwärme aus Kristallzuchtöfen“" in text
    assert "- Abwärme 85 °C ≥ benötigt 65 °C" in text and "- 400 kW für 200 kW Bedarf" in text
    assert f"{BASE}/angebote/{public['id']}" in text and f'href="{BASE}/angebote/{hidden["id"]}"' in html
    assert "Forschungsgruppe Metallurgisches Recycling Freiberg · passt zu" in text
    assert "Anonym (Kontakt über das Innovationsmanagement) · passt zu" in text
    for leaked in ("Rohstoffaufbereitung", "demo-039"):
        assert leaked not in text and leaked not in html
    assert "Werkstatt in Leipzig" not in text

    again = send(radar, "2026-W49")
    assert again.exit_code == 0 and len(digests(inbox, ADDRESS)) == 1      # nothing new: no mail


def test_no_new_listing_and_no_new_partner_means_no_mail(client, radar, inbox):
    subscribe_and_confirm(client, inbox, email=ADDRESS, firm=FIRM)
    Listings(radar).create({"profile_id": "demo-131", "type": "Wärme gesucht", "temperature_c": 50,
                            "power_kw": 100, "title": "Wärme für eine Werkstatt in Leipzig"})
    assert send(radar).exit_code == 0
    assert digests(inbox, ADDRESS) == []


def test_the_expiry_reminder_goes_to_the_owner_once(radar, mail_env, inbox):
    from click.testing import CliRunner

    from partnerradar.cli import main

    service = Listings(radar)
    soon = time.time() - VALID_S + 5 * 24 * 3600
    service.store.update_fields("q-fh1", renewed_at=soon, expires_at=soon + VALID_S)
    owner = radar.store.get_profile(FIRM)

    def remind(*extra):
        return CliRunner().invoke(main, ["--db", str(radar.settings.db_path), "listing", "remind", *extra])

    listed = remind()
    assert "q-fh1  „Abwärme aus Kristallzuchtöfen“ (demo-043) läuft am" in listed.output and "fällig" in listed.output
    assert inbox.messages == []
    sent = remind("--send")
    assert sent.exit_code == 0 and "erinnert" in sent.output
    [mail] = inbox.to(owner["contact_email"])
    assert mail["Subject"].startswith("Ihr Eintrag „Abwärme aus Kristallzuchtöfen“ läuft am ")
    body = mail.get_body(("plain",)).get_content()
    assert f"{BASE}/angebote/q-fh1" in body and "verlängern Sie ihn bitte um sechs Monate" in body
    assert remind("--send").output.strip() == "Keine Einträge laufen in den nächsten 14 Tagen ab."
    assert len(inbox.messages) == 1
