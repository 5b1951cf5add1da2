"""The weekly digest end to end: a real SMTP server on loopback, the real Flask app, the real CLI.

The story of issue 5: a firm registers, confirms, three new matching profiles arrive, and
``partnerradar digest send`` delivers exactly one e-mail with those three — and nothing on
the second run, nothing before confirmation, nothing after unsubscribing or deleting.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import idna
import pytest
from click.testing import CliRunner

from api import create_app
from partnerradar.cli import main
from tests.access_helpers import api_key
from tests.conftest import demo_copy_without_accounts, radar_on
from tests.smtp_inbox import inbox, mail_env  # noqa: F401  (fixtures)

FIRM = "demo-001"            # Schwingwerk Analytics GmbH, Chemnitz: condition monitoring
ADDRESS = "j.kretzschmar@schwingwerk-analytics.example"
BASE = "https://partnerradar.example"
WEEK, NEXT_WEEK = "2026-W48", "2026-W49"

#: Three organisations that arrive after the firm subscribed; each fits what it does or seeks.
NEW_PARTNERS = [
    {"name": "Lagerdiagnostik Zwickau GmbH", "kind": "kmu", "postcode": "08056", "town": "Zwickau",
     "description": "Wir entwickeln Schwingungssensoren und Körperschallanalyse für Wälzlager in "
                    "Werkzeugmaschinen und Pumpen. Unsere Software erkennt Lagerschäden frühzeitig.",
     "offers": "Schwingungsanalyse; Körperschallmessung; Zustandsüberwachung von Wälzlagern",
     "seeks": "Pilotanwender aus dem Maschinenbau",
     "keywords": "Zustandsüberwachung; Schwingungsanalyse; Wälzlager",
     "contact_name": "Grit Geheimnißträger", "contact_email": "grit@kontakt-geheim.example",
     "street": "Verschwiegenheitsgäßchen 3"},
    {"name": "Professur für Instandhaltung und Anlagendiagnose Mittweida", "kind": "research",
     "postcode": "09648", "town": "Mittweida",
     "description": "Die Professur forscht zu vorausschauender Wartung, Anomalieerkennung in Sensordaten "
                    "und Restlebensdauerprognosen für Maschinen und Anlagen.",
     "offers": "Machine-Learning-Modelle für Predictive Maintenance; Datenanalyse von Schwingungssignalen",
     "seeks": "Unternehmen mit Sensordaten aus Bestandsmaschinen",
     "keywords": "Predictive Maintenance; Anomalieerkennung; Instandhaltung"},
    {"name": "Spindeltechnik Glauchau GmbH", "kind": "kmu", "postcode": "08371", "town": "Glauchau",
     "description": "Wir fertigen und reparieren Motorspindeln für Werkzeugmaschinen. Wir möchten den "
                    "Zustand unserer Spindeln beim Kunden überwachen.",
     "offers": "Spindelreparatur; Spindelprüfstand",
     "seeks": "Nachrüstbare Funksensorik und Zustandsüberwachung für Motorspindeln; Schwingungsanalyse",
     "keywords": "Motorspindel; Zustandsüberwachung; Retrofit"},
]
UNRELATED = {"name": "Bäckerei Sonnenschein Görlitz", "kind": "kmu", "postcode": "02826", "town": "Görlitz",
             "description": "Handwerksbäckerei mit Café am Untermarkt: Brot, Stollen und Kuchen nach "
                            "Familienrezept, Hochzeitstorten auf Bestellung.",
             "offers": "Stollen; Torten; Catering für Feiern", "seeks": "Auszubildende im Bäckerhandwerk",
             "keywords": "Bäckerei; Konditorei; Café"}


# -- fixtures and helpers ------------------------------------------------------------------

@pytest.fixture(scope="session")
def demo_template(tmp_path_factory, demo_radar) -> Path:
    """The session's demo database, copied once (SQLite backup: consistent despite WAL)."""
    return demo_copy_without_accounts(demo_radar, tmp_path_factory.mktemp("digest-demo") / "demo.db")


@pytest.fixture
def radar(deployment, request, tmp_path, encoder, demo_template):
    """The demo profiles on SQLite + FAISS and on PostgreSQL (every test runs on both)."""
    return radar_on(deployment, request, demo_template, "pg_demo_template", tmp_path / "demo.db", encoder)


@pytest.fixture
def client(radar, mail_env):
    app = create_app(radar.settings, radar=radar)
    app.config["SESSION_COOKIE_SECURE"] = False     # the test client speaks plain HTTP
    return app.test_client()


def csrf_token(page) -> str:
    """The form's CSRF token, as a browser would send it back."""
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def submit(client, path, data=None):
    """Open the page, then send its form (with the token the page carried)."""
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client.get(path))})


def register(client, email=ADDRESS, firm=FIRM, **preferences):
    response = client.post("/api/v1/subscriptions", json={"profile_id": firm, "email": email,
                                                          "preferences": preferences})
    assert response.status_code == 202, response.get_json()
    delivered(client)
    return response


def delivered(client, timeout_s=60):
    """Wait until the app's background sender has worked through the registrations (the
    request itself never talks to the mail server)."""
    outbox = client.application.extensions["digest"].subscriptions
    deadline = time.monotonic() + timeout_s
    while outbox.pending_requests():
        assert time.monotonic() < deadline, "the registration outbox was not emptied"
        time.sleep(0.02)


def link(message, path: str) -> str:
    """The path of the first link to ``path`` in the plain-text part (the base URL cut off)."""
    text = message.get_body(("plain",)).get_content()
    found = re.search(re.escape(BASE + path) + r"[^\s]+", text)
    assert found, f"no link to {path} in:\n{text}"
    return found.group(0)[len(BASE):]


def subscribe_and_confirm(client, inbox, email=ADDRESS, firm=FIRM, **preferences):
    register(client, email, firm, **preferences)
    confirmation = inbox.to(email)[-1]
    page = link(confirmation, "/abo/bestaetigen/")
    asked = client.get(page)
    assert asked.status_code == 200 and "Ja, Digest bestätigen" in asked.get_data(as_text=True)
    done = client.post(page, data={"csrf_token": csrf_token(asked)})
    assert done.status_code == 200 and "Ihr Digest ist bestätigt" in done.get_data(as_text=True)
    return done


def add_profiles(radar, records):
    report = radar.save(records)
    assert not report.rejected
    return report.ids


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def send(radar, week=WEEK, *extra):
    return run("--db", radar.settings.db_path, "digest", "send", "--week", week, *extra)


def digests(inbox, email=ADDRESS):
    return [m for m in inbox.to(email) if m["List-Unsubscribe"]]


# -- the story of the issue ------------------------------------------------------------------

def test_nothing_but_the_confirmation_mail_before_consent(client, radar, inbox):
    response = register(client, radius_km=80)

    assert ADDRESS not in response.get_data(as_text=True)      # not even echoed back
    assert response.get_json()["status"] == "pending"
    [confirmation] = inbox.messages
    assert str(confirmation["To"]) == ADDRESS
    assert confirmation["Subject"] == ("Bitte bestätigen: wöchentlicher Partnerradar-Digest für "
                                       "Schwingwerk Analytics GmbH")
    text = confirmation.get_body(("plain",)).get_content()
    assert "Bitte bestätigen Sie die Bestellung (der Link ist 7 Tage gültig)" in text
    assert "Umkreis: 80 km um Ihren Standort" in text

    add_profiles(radar, NEW_PARTNERS)
    result = send(radar)

    assert result.exit_code == 0, result.output
    assert "0 bestätigte Abonnenten" in result.output
    assert len(inbox.messages) == 1                              # still only the confirmation


def test_confirmed_firm_gets_one_digest_with_the_three_new_partners_and_no_second(client, radar, inbox):
    subscribe_and_confirm(client, inbox)
    new_ids = add_profiles(radar, NEW_PARTNERS)

    result = send(radar)

    assert result.exit_code == 0, result.output
    assert "1 bestätigte Abonnenten, 1 verschickt" in result.output
    [mail] = digests(inbox)
    assert str(mail["To"]) == ADDRESS
    assert str(mail["From"]) == "Partnerradar Sachsen <digest@partnerradar.example>"
    assert mail["Subject"] == ("Partnerradar KW 48/2026: 3 neue passende Partner für Schwingwerk Analytics GmbH"
                               " – u. a. Lagerdiagnostik Zwickau GmbH")
    # multipart/alternative: plain text first, then HTML, both UTF-8 with umlauts intact
    assert mail.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in mail.iter_parts()] == ["text/plain", "text/html"]
    assert {p.get_content_charset() for p in mail.iter_parts()} == {"utf-8"}
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    for partner, pid in zip(NEW_PARTNERS, new_ids):
        assert partner["name"] in text and partner["name"] in html
        assert f"{BASE}/profil/{pid}" in text and f'href="{BASE}/profil/{pid}"' in html
    assert "Professur für Instandhaltung und Anlagendiagnose Mittweida (neu)" in text
    assert "Forschungseinrichtung · Mittweida · 21 km entfernt" in text
    assert "Warum es passt:" in text and "Gemeinsame Begriffe:" in text
    assert "Körperschallmessung" in text and "Zustandsüberwachung" in html
    # contact data of the partners never travels in someone else's digest
    for secret in ("grit@kontakt-geheim.example", "Geheimnißträger", "Verschwiegenheitsgäßchen"):
        assert secret not in text and secret not in html
    # RFC 8058 one-click unsubscribe
    unsubscribe = mail["List-Unsubscribe"]
    assert re.fullmatch(rf"<{re.escape(BASE)}/abo/abmelden/[\w.\-]+>", unsubscribe)
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(r"<digest\.2026-W48\.[0-9a-f]{24}@partnerradar\.example>", mail["Message-ID"])

    again = send(radar)

    assert again.exit_code == 0
    assert "0 verschickt" in again.output and "1 schon erledigt" in again.output
    assert len(digests(inbox)) == 1

    # the links work against the running app
    settings_page = client.get(link(mail, "/abo/einstellungen/"))
    assert settings_page.status_code == 200
    assert "Einstellungen für den Digest von Schwingwerk Analytics GmbH" in settings_page.get_data(as_text=True)


def test_one_click_unsubscribe_stops_all_mail(client, radar, inbox):
    subscribe_and_confirm(client, inbox)
    add_profiles(radar, NEW_PARTNERS[:2])
    assert send(radar).exit_code == 0
    [mail] = digests(inbox)
    target = mail["List-Unsubscribe"].strip("<>")[len(BASE):]

    asked = client.get(target)                      # a link scanner opening the URL changes nothing
    assert "Ja, abmelden" in asked.get_data(as_text=True)
    forged = client.post(target)                    # the page's button without its CSRF token
    assert forged.status_code == 400 and forged.get_json()["error"] == "csrf"
    one_click = client.post(target, data={"List-Unsubscribe": "One-Click"})   # what the mail client sends

    assert one_click.status_code == 200
    assert "Sie sind abgemeldet" in one_click.get_data(as_text=True)
    add_profiles(radar, NEW_PARTNERS[2:])
    assert send(radar, NEXT_WEEK).exit_code == 0
    assert len(digests(inbox)) == 1
    exported = json.loads(run("--db", radar.settings.db_path, "subscriber", "export", FIRM).stdout)
    [record] = exported["subscriptions"]
    assert record["status"] == "unsubscribed" and record["email"] == ""    # the address is gone


def test_no_matching_new_profile_means_no_mail(client, radar, inbox):
    subscribe_and_confirm(client, inbox)
    add_profiles(radar, [UNRELATED])

    result = send(radar)

    assert result.exit_code == 0
    assert "1 ohne neue Treffer (keine E-Mail)" in result.output
    assert digests(inbox) == []


def test_preferences_from_the_settings_page_shape_the_digest(client, radar, inbox):
    confirmed_page = subscribe_and_confirm(client, inbox).get_data(as_text=True)
    settings_path = re.search(r'href="(/abo/einstellungen/[^"]+)"', confirmed_page).group(1)

    saved = submit(client, settings_path, {"radius_km": "30", "kinds": ["kmu", "research"],
                                           "topics": "", "exclude_topics": "Motorspindel"})
    assert saved.status_code == 200 and "Gespeichert" in saved.get_data(as_text=True)
    bad = submit(client, settings_path, {"radius_km": "viel"})
    assert bad.status_code == 422 and "radius_km muss eine Zahl" in bad.get_data(as_text=True)

    add_profiles(radar, NEW_PARTNERS)
    assert send(radar).exit_code == 0

    [mail] = digests(inbox)
    text = mail.get_body(("plain",)).get_content()
    assert "Professur für Instandhaltung und Anlagendiagnose Mittweida" in text   # 21 km, research
    assert "Lagerdiagnostik Zwickau" not in text                                   # 34 km: outside
    assert "Spindeltechnik Glauchau" not in text                                   # left-out topic
    assert "Umkreis: 30 km um Ihren Standort" in text and "Ausgeschlossen: Motorspindel" in text


# -- failures: refused, dropped, killed ---------------------------------------------------------

def test_refused_recipient_is_retried_then_paused(client, radar, inbox):
    subscribe_and_confirm(client, inbox)
    subscribe_and_confirm(client, inbox, email="gibtsnicht@schwingwerk-analytics.example")
    inbox.refuse.add("gibtsnicht@schwingwerk-analytics.example")
    inbox.rcpt_attempts.clear()          # count the digest's attempts only
    add_profiles(radar, NEW_PARTNERS[:1])

    result = send(radar)

    assert result.exit_code == 0, result.output
    assert len(digests(inbox)) == 1                                           # the good address
    assert inbox.rcpt_attempts["gibtsnicht@schwingwerk-analytics.example"] == 3   # tried, with backoff
    assert "Adresse abgelehnt, Abo pausiert" in result.output and "550" in result.output
    statuses = {s["email"]: s for s in json.loads(
        run("--db", radar.settings.db_path, "subscriber", "export", FIRM).stdout)["subscriptions"]}
    paused = statuses["gibtsnicht@schwingwerk-analytics.example"]
    assert paused["status"] == "paused" and "550" in paused["paused_reason"]

    add_profiles(radar, NEW_PARTNERS[1:])
    assert send(radar, NEXT_WEEK).exit_code == 0
    assert inbox.rcpt_attempts["gibtsnicht@schwingwerk-analytics.example"] == 3   # not tried again
    assert len(digests(inbox)) == 2


def test_dropped_connection_is_retried_reported_and_sent_by_the_next_run(client, radar, inbox):
    subscribe_and_confirm(client, inbox)
    add_profiles(radar, NEW_PARTNERS)
    inbox.drop.add(ADDRESS)
    inbox.rcpt_attempts.clear()

    result = send(radar)

    assert result.exit_code == 3, result.output            # something is left for the next run
    assert inbox.rcpt_attempts[ADDRESS] == 3
    assert "Nicht zugestellt, nächster Lauf versucht es wieder" in result.output
    assert digests(inbox) == []

    inbox.drop.clear()
    retry = send(radar)

    assert retry.exit_code == 0, retry.output
    assert len(digests(inbox)) == 1
    assert "3 neue passende Partner" in digests(inbox)[0]["Subject"]


def test_run_killed_halfway_then_restarted_sends_the_rest_and_nobody_twice(client, radar, inbox, mail_env):
    people = [f"person{i}@schwingwerk-analytics.example" for i in range(4)]
    for address in people:
        subscribe_and_confirm(client, inbox, email=address)
    add_profiles(radar, NEW_PARTNERS)
    inbox.hold_after = len(inbox.messages) + 2   # the third digest: the server keeps the sender waiting

    script = Path(sys.executable).parent / "partnerradar"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "partnerradar.cli"]
    process = subprocess.Popen(command + ["--db", str(radar.settings.db_path), "digest", "send", "--week", WEEK],
                               env={**os.environ, **mail_env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert inbox.holding.wait(timeout=180), process.communicate(timeout=5)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert len(digests(inbox, "@schwingwerk-analytics.example")) == 2

    inbox.hold_after = None
    restart = send(radar)

    assert restart.exit_code == 0, restart.output
    received = [str(m["To"]) for m in digests(inbox, "@schwingwerk-analytics.example")]
    assert sorted(received) == sorted(people)              # everybody once, nobody twice
    assert "2 verschickt" in restart.output and "2 schon erledigt" in restart.output
    assert send(radar).exit_code == 0
    assert len(digests(inbox, "@schwingwerk-analytics.example")) == 4


def test_a_crash_between_send_and_record_leaves_a_recognisable_second_copy(client, radar, inbox):
    subscribe_and_confirm(client, inbox)
    add_profiles(radar, NEW_PARTNERS)
    assert send(radar).exit_code == 0
    # What a crash right after the server's "250 OK" leaves behind: the week still at 'sending'.
    radar.store.conn.execute("UPDATE digest_deliveries SET status='sending'")

    result = send(radar)

    assert "erneut verschickt (gleiche Message-ID, evtl. doppelt)" in result.output
    first, second = digests(inbox)
    assert first["Message-ID"] == second["Message-ID"]       # mail clients fold them into one
    assert send(radar).exit_code == 0 and len(digests(inbox)) == 2


# -- privacy ---------------------------------------------------------------------------------------

def test_deleting_the_firm_erases_its_subscription_and_stops_mail(client, radar, inbox):
    subscribe_and_confirm(client, inbox)
    confirmation = inbox.to(ADDRESS)[0]
    add_profiles(radar, NEW_PARTNERS)

    admin = {"Authorization": f"Bearer {api_key(radar, 'admin')}"}
    assert client.delete(f"/api/v1/profiles/{FIRM}", headers=admin).status_code == 204

    assert send(radar).exit_code == 0
    assert digests(inbox) == []
    exported = json.loads(run("--db", radar.settings.db_path, "subscriber", "export", FIRM).stdout)
    assert exported["subscriptions"] == []
    gone = client.get(link(confirmation, "/abo/bestaetigen/"))
    assert "kein Abo (mehr)" in gone.get_data(as_text=True)


def test_merging_the_firm_into_its_duplicate_keeps_its_subscription(client, radar, inbox):
    subscribe_and_confirm(client, inbox)
    firm = radar.get_profile(FIRM)
    duplicate = {key: firm[key] for key in ("name", "kind", "postcode", "town", "offers", "seeks", "keywords")}
    duplicate.update(id="schwingwerk-neu", description=firm["description"] + " Seit 2026 auch in Zwickau.")
    add_profiles(radar, [duplicate])

    kept, removed = radar.merge(FIRM, "schwingwerk-neu")

    assert (kept, removed) == ("schwingwerk-neu", FIRM)     # the longer profile stays
    add_profiles(radar, NEW_PARTNERS)
    assert send(radar).exit_code == 0
    [mail] = digests(inbox)
    assert firm["name"] in mail["Subject"] and "/profil/lagerdiagnostik" in mail.get_body(("plain",)).get_content()


def test_a_firm_with_a_login_is_not_merged_and_keeps_its_login_and_subscription(client, radar, inbox):
    """A merge never moves accounts (issue 12): the pair is left for a person, and both
    the login and the digest stay with the firm's own profile."""
    from partnerradar.radar import MergeRefused
    from store.users import Users
    subscribe_and_confirm(client, inbox)
    member = Users(radar.store).add_user("inhaber@schwingwerk-analytics.example", "ein langes Passwort 123",
                                         "member", profile_id=FIRM)
    firm = radar.get_profile(FIRM)
    duplicate = {key: firm[key] for key in ("name", "kind", "postcode", "town", "offers", "seeks", "keywords")}
    duplicate.update(id="schwingwerk-neu", description=firm["description"] + " Seit 2026 auch in Zwickau.")
    add_profiles(radar, [duplicate])

    with pytest.raises(MergeRefused, match="verschiedenen Konten"):
        radar.merge(FIRM, "schwingwerk-neu")

    assert Users(radar.store).user(member.id).profile_id == FIRM
    assert radar.store.get_profile(FIRM) and radar.store.get_profile("schwingwerk-neu")
    add_profiles(radar, NEW_PARTNERS)
    assert send(radar).exit_code == 0
    [mail] = digests(inbox)
    assert firm["name"] in mail["Subject"] and "/profil/lagerdiagnostik" in mail.get_body(("plain",)).get_content()


def test_an_address_subscribed_to_both_duplicates_gets_one_digest_after_the_merge(client, radar, inbox):
    firm = radar.get_profile(FIRM)
    duplicate = {key: firm[key] for key in ("name", "kind", "postcode", "town", "offers", "seeks", "keywords")}
    duplicate.update(id="schwingwerk-neu", description=firm["description"] + " Seit 2026 auch in Zwickau.")
    add_profiles(radar, [duplicate])
    subscribe_and_confirm(client, inbox)
    subscribe_and_confirm(client, inbox, firm="schwingwerk-neu")

    kept, _ = radar.merge(FIRM, "schwingwerk-neu")

    exported = json.loads(run("--db", radar.settings.db_path, "subscriber", "export", kept).stdout)
    assert [s["email"] for s in exported["subscriptions"]] == [ADDRESS]
    add_profiles(radar, NEW_PARTNERS)
    assert send(radar).exit_code == 0
    assert len(digests(inbox)) == 1


def test_deleted_partner_never_appears_in_a_digest(client, radar, inbox):
    subscribe_and_confirm(client, inbox)
    ids = add_profiles(radar, NEW_PARTNERS)
    radar.delete([ids[0]])

    assert send(radar).exit_code == 0

    [mail] = digests(inbox)
    text = mail.get_body(("plain",)).get_content()
    assert "Lagerdiagnostik Zwickau" not in text and ids[0] not in text
    assert "2 neue passende Partner" in mail["Subject"]


def test_api_shows_the_subscription_to_its_link_holder_only_masked(client, radar, inbox):
    subscribe_and_confirm(client, inbox)
    add_profiles(radar, NEW_PARTNERS[:1])
    send(radar)
    token = link(digests(inbox)[0], "/abo/einstellungen/").rsplit("/", 1)[1]

    body = client.get(f"/api/v1/subscriptions/{token}").get_json()
    assert body["status"] == "confirmed" and body["email"] == "j…@schwingwerk-analytics.example"
    changed = client.patch(f"/api/v1/subscriptions/{token}", json={"kinds": ["research"], "topics": ["Wasserstoff"]})
    assert changed.status_code == 200
    assert changed.get_json()["preferences"]["kinds"] == ["research"]
    wrong = client.patch(f"/api/v1/subscriptions/{token}", json={"kinds": ["bäckerei"]})
    assert wrong.status_code == 400 and "unbekannte Art(en) bäckerei" in wrong.get_json()["message"]
    forged = client.get(f"/api/v1/subscriptions/{token[:-3]}abc")
    assert forged.status_code == 403 and forged.get_json()["message"] == "Dieser Link ist ungültig oder unvollständig."
    # registering an address twice answers exactly as the first time (no address probing)
    again = register(client)
    assert again.get_json() == register(client, email="neu@schwingwerk-analytics.example").get_json()
    # nobody else's answer carries the address
    for path in (f"/api/v1/profiles/{FIRM}", "/api/v1/profiles?limit=100", f"/api/v1/profiles/{FIRM}/partners"):
        assert ADDRESS not in client.get(path).get_data(as_text=True)

    assert client.delete(f"/api/v1/subscriptions/{token}").status_code == 204
    assert client.get(f"/api/v1/subscriptions/{token}").get_json()["status"] == "unsubscribed"


@pytest.mark.parametrize("role", ["anonymous", "member", "manager", "admin"])
def test_any_role_may_register_and_only_the_link_authorises(client, radar, inbox, role):
    """README role matrix: registration is open (the confirmation mail protects it); the
    signed link is the subscriber's authorisation, for every role alike -- a role is no key."""
    headers = {} if role == "anonymous" else {
        "Authorization": f"Bearer {api_key(radar, role, profile_id=FIRM, region=('Chemnitz',))}"}
    registered = client.post("/api/v1/subscriptions", headers=headers,
                             json={"profile_id": FIRM, "email": ADDRESS, "preferences": {}})
    assert registered.status_code == 202
    delivered(client)
    token = link(inbox.to(ADDRESS)[-1], "/abo/bestaetigen/").rsplit("/", 1)[1]

    assert client.post(f"/api/v1/subscriptions/{token[:-3]}abc/confirm", headers=headers).status_code == 403
    confirmed = client.post(f"/api/v1/subscriptions/{token}/confirm", headers=headers)
    assert confirmed.status_code == 200 and confirmed.get_json()["status"] == "confirmed"
    manage = confirmed.get_json()["manage_token"]
    assert client.get(f"/api/v1/subscriptions/{manage[:-3]}abc", headers=headers).status_code == 403
    assert client.get(f"/abo/einstellungen/{manage[:-3]}abc", headers=headers).status_code == 400
    assert client.get(f"/api/v1/subscriptions/{manage}", headers=headers).get_json()["status"] == "confirmed"
    assert client.get(f"/abo/einstellungen/{manage}", headers=headers).status_code == 200


def test_an_unlisted_firm_is_registered_only_by_staff(client, radar, inbox):
    unlisted = {"profile_id": "demo-018", "email": ADDRESS, "preferences": {}}   # "listed = nein"
    anonymous = client.post("/api/v1/subscriptions", json=unlisted)
    missing = client.post("/api/v1/subscriptions", json={**unlisted, "profile_id": "gibt-es-nicht"})
    assert anonymous.status_code == 404 and inbox.to(ADDRESS) == []
    assert anonymous.get_json()["message"] == missing.get_json()["message"].replace("gibt-es-nicht", "demo-018")
    admin = {"Authorization": f"Bearer {api_key(radar, 'admin')}"}
    assert client.post("/api/v1/subscriptions", json=unlisted, headers=admin).status_code == 202


def test_export_and_erase_from_the_command_line(client, radar, inbox):
    subscribe_and_confirm(client, inbox)
    add_profiles(radar, NEW_PARTNERS[:1])
    send(radar)

    exported = run("--db", radar.settings.db_path, "subscriber", "export", FIRM)
    data = json.loads(exported.stdout)
    [record] = data["subscriptions"]
    assert record["email"] == ADDRESS and record["status"] == "confirmed"
    assert [d["week"] for d in record["deliveries"]] == [WEEK]
    assert record["deliveries"][0]["status"] == "sent"

    erased = run("--db", radar.settings.db_path, "subscriber", "erase", FIRM)
    assert "1 Abo(s) von demo-001 gelöscht" in erased.stderr
    assert json.loads(run("--db", radar.settings.db_path, "subscriber", "export", FIRM).stdout)["subscriptions"] == []
    conn = radar.store.conn         # the SQLite file or the PostgreSQL database
    assert ADDRESS not in "".join(str(row) for row in conn.execute("SELECT * FROM digest_deliveries"))
    assert conn.execute("SELECT count(*) FROM subscriptions").fetchone()[0] == 0


# -- dry run and preview ------------------------------------------------------------------------------

def test_dry_run_writes_eml_files_and_sends_nothing(client, radar, inbox, tmp_path):
    subscribe_and_confirm(client, inbox)
    add_profiles(radar, NEW_PARTNERS)

    result = send(radar, WEEK, "--dry-run", "--out", tmp_path / "eml")

    assert result.exit_code == 0, result.output
    [eml] = list((tmp_path / "eml").glob("*.eml"))
    assert eml.name.startswith("2026-W48-s-")
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in eml.read_bytes()
    assert digests(inbox) == []
    assert send(radar).exit_code == 0                       # the dry run recorded nothing
    assert len(digests(inbox)) == 1


def test_preview_shows_the_next_digest_in_german(client, radar, inbox):
    subscribe_and_confirm(client, inbox)
    add_profiles(radar, NEW_PARTNERS)

    result = run("--db", radar.settings.db_path, "digest", "preview", FIRM)

    assert result.exit_code == 0, result.output
    assert "Betreff: Partnerradar KW" in result.output and "3 neue passende Partner" in result.output
    assert "Spindeltechnik Glauchau GmbH (neu)" in result.output
    nothing = run("--db", radar.settings.db_path, "digest", "preview", "demo-002", "--days", "0")
    assert "Keine neuen passenden Partner für" in nothing.output and "es ginge keine E-Mail raus" in nothing.output
    assert run("--db", radar.settings.db_path, "digest", "send", "--week", "2026-48").exit_code == 2


def test_confirmation_link_expires(radar, mail_env, inbox):
    from digest.runner import Digest
    from partnerradar.config import load_settings

    app = create_app(radar.settings, radar=radar)
    app.extensions["digest"] = Digest(radar, replace(load_settings().mail, confirm_max_age_s=1))
    app.config["SESSION_COOKIE_SECURE"] = False
    client = app.test_client()
    register(client)
    page = link(inbox.to(ADDRESS)[0], "/abo/bestaetigen/")
    opened = client.get(page)                 # the page is opened in time, the button pressed too late
    time.sleep(2.1)

    expired = client.post(page, data={"csrf_token": csrf_token(opened)})

    assert expired.status_code == 400
    assert "Dieser Bestätigungslink ist abgelaufen" in expired.get_data(as_text=True)
    token = page.rsplit("/", 1)[1]
    assert client.post(f"/api/v1/subscriptions/{token}/confirm").status_code == 410
    assert send(radar).exit_code == 0 and digests(inbox) == []


# -- German addresses ------------------------------------------------------------------------
UMLAUT_ADDRESS = "jürgen.weiß@weißmetall-präzision.example"


def test_an_address_with_umlauts_gets_its_mail(client, radar, inbox):
    subscribe_and_confirm(client, inbox, email=UMLAUT_ADDRESS)
    add_profiles(radar, NEW_PARTNERS)

    result = send(radar)

    assert result.exit_code == 0, result.output
    mails = digests(inbox, "jürgen.weiß@")
    assert len(mails) == 1
    # The domain travels in ASCII as IDNA 2008 (ß kept, not turned into "ss" as IDNA 2003
    # would), the mailbox name as typed.
    recipient = mails[0]["To"].addresses[0]
    assert recipient.domain.startswith("xn--")
    assert idna.decode(recipient.domain) == "weißmetall-präzision.example"
    assert recipient.username == "jürgen.weiß"
    assert f"jürgen.weiß@{recipient.domain}" in inbox.rcpt_attempts      # the envelope, too


@pytest.mark.smtp_ascii_only
def test_a_server_without_smtputf8_refuses_only_the_umlaut_mailbox(client, radar, inbox):
    subscribe_and_confirm(client, inbox)
    refused = client.post("/api/v1/subscriptions", json={"profile_id": FIRM, "email": UMLAUT_ADDRESS})
    assert refused.status_code == 422
    assert "Umlaute vor dem @" in refused.get_json()["message"]
    # An umlaut only in the domain is fine for any server.
    subscribe_and_confirm(client, inbox, email="info@weißmetall-präzision.example")
    add_profiles(radar, NEW_PARTNERS)

    result = send(radar)

    assert result.exit_code == 0, result.output
    assert len(digests(inbox)) == 1
    assert len(digests(inbox, "info@" + idna.encode("weißmetall-präzision.example").decode())) == 1


def test_a_domain_that_is_no_domain_is_rejected_in_german(client):
    response = client.post("/api/v1/subscriptions",
                           json={"profile_id": FIRM, "email": "info@-firma-.example"})
    assert response.status_code == 400
    assert "kein gültiger Domainname" in response.get_json()["message"]


def test_links_signed_by_a_command_with_a_config_file_open_in_the_server_started_with_that_file(radar, inbox,
                                                                                                tmp_path):
    """Issue 14: ``partnerradar --config site.toml …`` hands the file to every part of a command.

    The mail's link is signed with the file's ``secret_key`` by ``subscriber add``; the server of
    ``partnerradar --config site.toml serve`` (a real process, nothing from the environment) must
    accept it. Its digest used to read the mail settings without the file, with the database's
    own secret, and refused the link."""
    from evaluation.live_server import call, clean_env, cli_command, serving

    site = tmp_path / "site.toml"
    site.write_text("[partnerradar]\n"
                    f'db_path = "{radar.settings.db_path}"\n'
                    + (f'database_url = "{radar.settings.database_url}"\n' if radar.settings.database_url else "")
                    + f"smtp_port = {inbox.port}\n"
                    'mail_from = "Partnerradar Sachsen <digest@partnerradar.example>"\n'
                    f'base_url = "{BASE}"\n'
                    'secret_key = "nur-in-site-toml-und-sonst-nirgends"\n', encoding="utf-8")
    command = cli_command() + ["--config", str(site)]

    added = subprocess.run(command + ["subscriber", "add", FIRM, ADDRESS],
                           env=clean_env(), capture_output=True, text=True, timeout=300)
    assert added.returncode == 0, added.stderr
    page = link(inbox.to(ADDRESS)[-1], "/abo/bestaetigen/")

    # --db names the file's own db_path again: the secret and the mail settings come from the file only
    with serving(radar.settings.db_path, workers=1, log_path=tmp_path / "server.log", command=command,
                 startup_timeout_s=360) as server:
        status, _, body = call(server.base, page)

    assert status == 200 and "Ja, Digest bestätigen" in body, body
