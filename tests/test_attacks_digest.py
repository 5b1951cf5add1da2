"""The attacks of issue 12 on the digest registration and its links, kept as tests.

Before: ``POST /api/v1/subscriptions`` talked to the mail server inside the request, so a
known address was answered faster than a new one, a mail outage answered 503 for new
addresses only (an address oracle), 20 requests sent 20 confirmation mails to one address,
and settings links never expired. Real SMTP on loopback (tests/smtp_inbox.py), the real app.
"""
from __future__ import annotations

import time
from dataclasses import replace

from api import create_app
from tests.smtp_inbox import free_port, inbox, mail_env  # noqa: F401  (fixtures)
from tests.test_digest import (ADDRESS, FIRM, NEW_PARTNERS, add_profiles, client, delivered, demo_template,  # noqa: F401
                               digests, link, radar, register, send, subscribe_and_confirm)

NEW_ADDRESS = "neu@schwingwerk-analytics.example"


def _post(client, email, firm=FIRM):
    return client.post("/api/v1/subscriptions", json={"profile_id": firm, "email": email, "preferences": {}})


def _app_with_mail_server_down(radar, monkeypatch):
    monkeypatch.setenv("PARTNERRADAR_SMTP_PORT", str(free_port()))     # nothing listens there
    app = create_app(radar.settings, radar=radar)
    app.config["SESSION_COOKIE_SECURE"] = False
    return app.test_client()


def test_registration_does_not_tell_a_known_address_from_a_new_one_even_with_the_mail_server_down(
        client, radar, inbox, monkeypatch):
    subscribe_and_confirm(client, inbox)                     # ADDRESS is known and confirmed
    down = _app_with_mail_server_down(radar, monkeypatch)

    known, new = _post(down, ADDRESS), _post(down, NEW_ADDRESS)

    assert known.status_code == new.status_code == 202       # before: 202 for the known, 503 for the new
    assert known.get_json() == new.get_json()
    assert known.get_data() == new.get_data()
    outbox = down.application.extensions["digest"].subscriptions
    queued = {row[0] for row in radar.store.conn.execute("SELECT email FROM registration_requests")}
    assert queued <= {ADDRESS, NEW_ADDRESS} and outbox.pending_requests() >= 1   # the same row for both


def test_a_registration_during_a_mail_outage_is_sent_once_the_server_is_back(client, radar, inbox, monkeypatch):
    from tests.test_digest import run

    down = _app_with_mail_server_down(radar, monkeypatch)
    assert _post(down, NEW_ADDRESS).status_code == 202
    deadline = time.monotonic() + 60               # the sender tried (and failed) in the background
    while radar.store.conn.execute("SELECT attempts FROM registration_requests").fetchone()[0] == 0:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert inbox.to(NEW_ADDRESS) == []

    monkeypatch.setenv("PARTNERRADAR_SMTP_PORT", str(inbox.port))
    result = run("--db", radar.settings.db_path, "digest", "confirmations")

    assert result.exit_code == 0, result.output
    assert "1 Bestätigungsmail(s)" in result.output
    [mail] = inbox.to(NEW_ADDRESS)
    assert mail["Subject"].startswith("Bitte bestätigen: wöchentlicher Partnerradar-Digest")


def test_twenty_registrations_of_one_address_send_one_confirmation_mail(client, radar, inbox):
    client.application.config["SUBSCRIBE_RATE_LIMIT"] = "1000 per minute"   # the per-client limit: below

    answers = [_post(client, NEW_ADDRESS).status_code for _ in range(20)]
    delivered(client)

    assert answers == [202] * 20
    assert len(inbox.to(NEW_ADDRESS)) == 1                   # before: 20


def test_one_address_registered_for_many_firms_gets_at_most_three_mails_a_day(client, radar, inbox):
    client.application.config["SUBSCRIBE_RATE_LIMIT"] = "1000 per minute"
    firms = [r[0] for r in radar.store.conn.execute("SELECT id FROM profiles WHERE listed=1 ORDER BY id LIMIT 8")]

    for firm in firms:
        assert _post(client, NEW_ADDRESS, firm).status_code == 202
    delivered(client)

    assert len(inbox.to(NEW_ADDRESS)) == 3


def test_registrations_are_rate_limited_per_client(client, inbox):
    codes = [_post(client, f"person{i}@schwingwerk-analytics.example").status_code for i in range(11)]
    assert codes == [202] * 10 + [429]
    limited = _post(client, "noch-eine@schwingwerk-analytics.example")
    assert limited.get_json()["message"].startswith("Zu viele Anfragen")
    delivered(client)


def test_a_confirmed_subscriber_who_registers_again_gets_fresh_links_and_nothing_changes(client, radar, inbox):
    subscribe_and_confirm(client, inbox, radius_km=30)
    # a day later (within a day the confirmation was this subscription's one mail)
    radar.store.conn.execute("UPDATE confirmation_log SET sent_at = sent_at - 86400")

    register(client, radius_km=200)                          # a stranger (or the subscriber) registers again
    register(client, radius_km=300)                          # and again: no second mail

    assert len(inbox.to(ADDRESS)) == 2

    mail = inbox.to(ADDRESS)[-1]
    assert "neue Links" in mail["Subject"] and mail["List-Unsubscribe"] is None
    settings = client.get(link(mail, "/abo/einstellungen/"))
    assert settings.status_code == 200
    assert 'value="30"' in settings.get_data(as_text=True)   # the stranger's preferences did not apply
    add_profiles(radar, NEW_PARTNERS)
    assert send(radar).exit_code == 0 and len(digests(inbox)) == 1


def test_manage_links_expire_but_unsubscribe_keeps_working(radar, mail_env, inbox):
    from digest.runner import Digest
    from partnerradar.config import load_settings

    app = create_app(radar.settings, radar=radar)
    app.extensions["digest"] = Digest(radar, replace(load_settings().mail, manage_max_age_s=1))
    app.config["SESSION_COOKIE_SECURE"] = False
    short = app.test_client()
    register(short)
    token = link(inbox.to(ADDRESS)[0], "/abo/bestaetigen/").rsplit("/", 1)[1]
    manage = short.post(f"/api/v1/subscriptions/{token}/confirm").get_json()["manage_token"]
    time.sleep(2.1)

    api = short.get(f"/api/v1/subscriptions/{manage}")
    page = short.get(f"/abo/einstellungen/{manage}")

    assert api.status_code == 410 and "abgelaufen" in api.get_json()["message"]
    assert page.status_code == 400 and "Jeder Digest bringt neue Links mit" in page.get_data(as_text=True)
    assert short.patch(f"/api/v1/subscriptions/{manage}", json={"kinds": ["kmu"]}).status_code == 410
    one_click = short.post(f"/abo/abmelden/{manage}", data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200 and "Sie sind abgemeldet" in one_click.get_data(as_text=True)
