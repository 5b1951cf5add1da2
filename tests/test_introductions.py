"""Introductions ("Kontakt anbahnen", issue 15): the state machine, who may do what, the
outbox and the reminder run, and what the outcome does to the ranking.

Real parts: a copy of the demo database, the Flask app through its test client, a real
SMTP server on loopback (tests/smtp_inbox.py), the real CLI; time is moved with ``now``
(``--now``), never by sleeping.
"""
from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from api import create_app
from introductions.runner import Introductions
from partnerradar.cli import main
from tests.access_helpers import api_key, as_bearer
from tests.conftest import demo_copy_without_accounts, radar_on
from tests.smtp_inbox import inbox, mail_env  # noqa: F401  (fixtures)

SEEKER = "demo-001"       # Schwingwerk Analytics GmbH, Chemnitz (a member's firm)
PARTNER = "demo-002"      # Forschungsgruppe Instandhaltungsinformatik Chemnitz
OTHER_FIRM = "demo-003"   # Kappler Sondermaschinenbau GmbH, Chemnitz
BASE = "https://partnerradar.example"
DAY = 86400
MESSAGE = "Wir suchen Unterstützung bei der Schwingungsanalyse unserer Sensordaten."


@pytest.fixture(scope="session")
def intro_template(tmp_path_factory, demo_radar) -> Path:
    return demo_copy_without_accounts(demo_radar, tmp_path_factory.mktemp("intro-demo") / "demo.db")


@pytest.fixture
def radar(deployment, request, tmp_path, encoder, intro_template):
    """The demo profiles on SQLite + FAISS and on PostgreSQL (every test runs on both)."""
    return radar_on(deployment, request, intro_template, "pg_demo_template", tmp_path / "demo.db", encoder)


@pytest.fixture
def keys(radar):
    """A key per role: the seeker's member, the partner's member, a member of a third firm,
    the manager of Chemnitz (the partner's district), a manager elsewhere, an admin."""
    return {"member": api_key(radar, "member", "firma@schwingwerk.example", profile_id=SEEKER),
            "partner": api_key(radar, "member", "labor@instandhaltung.example", profile_id=PARTNER),
            "stranger": api_key(radar, "member", "dritte@kappler.example", profile_id=OTHER_FIRM),
            "manager": api_key(radar, "manager", "lk@chemnitz.example", region=("Chemnitz",)),
            "elsewhere": api_key(radar, "manager", "lk@zwickau.example", region=("Zwickau",)),
            "admin": api_key(radar, "admin", "chef@partnerradar.example")}


@pytest.fixture
def app(radar, mail_env):
    app = create_app(radar.settings, radar=radar)
    app.config["SESSION_COOKIE_SECURE"] = False
    return app


@pytest.fixture
def as_role(app, keys):
    def client(role):
        c = app.test_client()
        return as_bearer(c, keys[role]) if role != "anonymous" else c
    return client


def service(radar) -> Introductions:
    from partnerradar.config import load_settings
    return Introductions(radar, load_settings().mail)


def ask(as_role, role="member", **body):
    body = {"partner_id": PARTNER, "message": MESSAGE, **body}
    return as_role(role).post("/api/v1/introductions", json=body)


def link(message, path: str) -> str:
    text = message.get_body(("plain",)).get_content()
    found = re.search(re.escape(BASE + path) + r"[^\s]+", text)
    assert found, f"no link to {path} in:\n{text}"
    return found.group(0)[len(BASE):]


def introduced(as_role, radar, inbox):
    """A request by the member, introduced by the manager, its mails delivered."""
    created = ask(as_role)
    assert created.status_code == 201, created.get_json()
    intro_id = created.get_json()["id"]
    moved = as_role("manager").post(f"/api/v1/introductions/{intro_id}/state", json={"state": "introduced"})
    assert moved.status_code == 200, moved.get_json()
    service(radar).remind()
    return intro_id


# -- the story ---------------------------------------------------------------------------

def test_request_goes_to_the_districts_manager_and_nothing_is_mailed_in_the_request(as_role, radar, inbox):
    created = ask(as_role)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["state"], body["state_label"]) == ("requested", "angefragt")
    assert body["seeker"]["id"] == SEEKER and body["partner"]["id"] == PARTNER
    assert inbox.messages == []                       # the web request sent nothing
    service(radar).remind()
    [mail] = inbox.messages
    assert mail["To"] == "lk@chemnitz.example"        # the manager of the partner's Landkreis
    assert "Schwingwerk Analytics GmbH möchte Forschungsgruppe Instandhaltungsinformatik" in mail["Subject"]
    assert MESSAGE in mail.get_body(("plain",)).get_content()


def test_without_a_manager_for_the_district_the_admins_get_the_request(as_role, radar, inbox, keys):
    radar.store.conn.execute("UPDATE users SET region='[\"Leipzig\"]' WHERE email='lk@chemnitz.example'")
    assert ask(as_role).status_code == 201
    service(radar).remind()
    assert inbox.recipients() == ["chef@partnerradar.example"]


def test_both_sides_accept_and_only_they_see_each_others_contact_data(as_role, radar, inbox):
    intro_id = introduced(as_role, radar, inbox)
    seeker_mail = inbox.to("firma@schwingwerk.example")[-1]
    partner_mail = inbox.to("labor@instandhaltung.example")[-1]
    assert "Partnerradar stellt vor" in partner_mail["Subject"]
    assert MESSAGE in partner_mail.get_body(("plain",)).get_content()
    partner_secret = radar.store.get_profile(PARTNER)["contact_email"]
    seeker_secret = radar.store.get_profile(SEEKER)["contact_email"]
    for mail in (seeker_mail, partner_mail):          # no contact data before both accepted
        assert partner_secret not in mail.as_string() and seeker_secret not in mail.as_string()

    seeker_link, partner_link = link(seeker_mail, "/anbahnung/"), link(partner_mail, "/anbahnung/")
    anonymous = as_role("anonymous")
    page = anonymous.get(seeker_link)
    assert page.status_code == 200 and "Zusagen" in page.get_data(as_text=True)
    token = seeker_link.rsplit("/", 1)[1]
    first = anonymous.post(f"/api/v1/introductions/answer/{token}", json={"answer": "accept"})
    assert first.status_code == 200 and first.get_json()["contact"] is None    # the other side still silent
    again = anonymous.post(f"/api/v1/introductions/answer/{token}", json={"answer": "decline"})
    assert again.status_code == 409 and "bereits geantwortet" in again.get_json()["message"]

    # The partner answers on the page behind its link (a form with the CSRF token).
    form = anonymous.get(partner_link).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    done = anonymous.post(partner_link, data={"antwort": "zusagen", "csrf_token": csrf})
    assert done.status_code == 200
    assert seeker_secret in done.get_data(as_text=True)          # the partner now sees the seeker's contact

    mine = as_role("member").get(f"/api/v1/introductions/{intro_id}").get_json()
    assert mine["contact"]["contact_email"] == partner_secret
    theirs = as_role("partner").get(f"/api/v1/introductions/{intro_id}").get_json()
    assert theirs["contact"]["contact_email"] == seeker_secret
    for role in ("manager", "admin"):                  # staff manage, but the introduction carries no contact
        assert as_role(role).get(f"/api/v1/introductions/{intro_id}").get_json()["contact"] is None
    assert as_role("stranger").get(f"/api/v1/introductions/{intro_id}").status_code == 404
    assert as_role("anonymous").get(f"/api/v1/introductions/{intro_id}").status_code == 401

    inbox.clear()
    service(radar).remind()                            # both sides get the other's contact data by mail
    assert partner_secret in inbox.to("firma@schwingwerk.example")[0].get_body(("plain",)).get_content()
    assert seeker_secret in inbox.to("labor@instandhaltung.example")[0].get_body(("plain",)).get_content()
    assert len(inbox.messages) == 2


def test_the_partner_hears_of_a_request_only_once_it_is_introduced(as_role):
    intro_id = ask(as_role).get_json()["id"]
    assert as_role("partner").get(f"/api/v1/introductions/{intro_id}").status_code == 404
    assert as_role("partner").get("/api/v1/introductions").get_json()["introductions"] == []
    as_role("manager").post(f"/api/v1/introductions/{intro_id}/state", json={"state": "introduced"})
    assert as_role("partner").get(f"/api/v1/introductions/{intro_id}").status_code == 200


# -- the access matrix -------------------------------------------------------------------

@pytest.mark.parametrize("role, body, status", [
    ("anonymous", {}, 401),
    ("member", {}, 201),                                  # for its own profile
    ("member", {"seeker_id": OTHER_FIRM}, 403),           # not for another firm
    ("manager", {"seeker_id": OTHER_FIRM}, 201),
    ("elsewhere", {"seeker_id": OTHER_FIRM}, 201),        # any manager may ask; the district's manager handles it
    ("admin", {"seeker_id": OTHER_FIRM}, 201),
])
def test_who_may_ask_for_an_introduction(as_role, role, body, status):
    response = ask(as_role, role, **body)
    assert response.status_code == status, response.get_json()
    assert response.get_json()["message"]


@pytest.mark.parametrize("role, sees", [("anonymous", None), ("member", 1), ("partner", 0), ("stranger", 0),
                                        ("manager", 1), ("elsewhere", 0), ("admin", 1)])
def test_who_sees_which_introductions(as_role, role, sees):
    ask(as_role)
    response = as_role(role).get("/api/v1/introductions")
    if sees is None:
        assert response.status_code == 401
    else:
        assert len(response.get_json()["introductions"]) == sees


@pytest.mark.parametrize("role, status", [("anonymous", 401), ("member", 403), ("partner", 404), ("stranger", 404),
                                          ("elsewhere", 404), ("manager", 200), ("admin", 200)])
def test_only_the_responsible_manager_or_an_admin_changes_the_state(as_role, role, status):
    intro_id = ask(as_role).get_json()["id"]
    response = as_role(role).post(f"/api/v1/introductions/{intro_id}/state", json={"state": "introduced"})
    assert response.status_code == status, response.get_json()


def test_requester_sees_no_email_of_staff_and_no_notes(as_role):
    intro_id = ask(as_role).get_json()["id"]
    as_role("manager").post(f"/api/v1/introductions/{intro_id}/state",
                            json={"state": "introduced", "note": "intern: passt gut"})
    mine = as_role("member").get(f"/api/v1/introductions/{intro_id}").get_json()
    assert "lk@chemnitz.example" not in str(mine) and "intern" not in str(mine)
    staff = as_role("manager").get(f"/api/v1/introductions/{intro_id}").get_json()
    assert staff["history"][-1]["by"].startswith("lk@chemnitz.example")
    assert staff["note"] == "intern: passt gut"


def test_a_forged_or_foreign_link_answers_nothing(as_role, radar, inbox):
    intro_id = introduced(as_role, radar, inbox)
    anonymous = as_role("anonymous")
    assert anonymous.post("/api/v1/introductions/answer/gefälscht", json={"answer": "accept"}).status_code == 403
    page = anonymous.get("/anbahnung/gefälscht")
    assert page.status_code == 403 and "ungültig" in page.get_data(as_text=True)
    digest_like = service(radar).links._serializer.dumps({"i": intro_id, "s": "jemand"})
    assert anonymous.post(f"/api/v1/introductions/answer/{digest_like}", json={"answer": "accept"}).status_code == 403
    # A member of a side answers for its own side only, never for the other.
    assert as_role("stranger").post(f"/api/v1/introductions/{intro_id}/answer",
                                    json={"answer": "accept"}).status_code == 404
    accepted = as_role("partner").post(f"/api/v1/introductions/{intro_id}/answer", json={"answer": "accept"})
    assert accepted.get_json()["answers"] == {"seeker": None, "partner": "accepted"}


# -- the state machine -------------------------------------------------------------------

def test_illegal_moves_are_refused_in_german_and_change_nothing(as_role, radar):
    intro_id = ask(as_role).get_json()["id"]
    manager = as_role("manager")
    jump = manager.post(f"/api/v1/introductions/{intro_id}/state", json={"state": "cooperation"})
    assert jump.status_code == 409
    assert jump.get_json()["message"] == ("Von „angefragt“ geht es nicht nach „Kooperation / Projekt“, nur nach "
                                          "„vorgestellt“ oder „abgelehnt“.")
    manager.post(f"/api/v1/introductions/{intro_id}/state", json={"state": "introduced"})
    early = manager.post(f"/api/v1/introductions/{intro_id}/state", json={"state": "meeting"})
    assert early.status_code == 409 and "erst, wenn beide Seiten zugesagt haben" in early.get_json()["message"]
    bad_date = manager.post(f"/api/v1/introductions/{intro_id}/state",
                            json={"state": "declined", "next_step": "morgen"})
    assert bad_date.status_code == 422 and "Datum" in bad_date.get_json()["message"]
    state = manager.get(f"/api/v1/introductions/{intro_id}").get_json()
    assert state["state"] == "introduced" and [h["to"] for h in state["history"]] == ["requested", "introduced"]


def test_every_change_is_dated_with_who_note_and_next_step(as_role, radar):
    intro_id = ask(as_role).get_json()["id"]
    as_role("manager").post(f"/api/v1/introductions/{intro_id}/state",
                            json={"state": "introduced", "note": "Beide angerufen", "next_step": "15.01.2027"})
    item = as_role("manager").get(f"/api/v1/introductions/{intro_id}").get_json()
    last = item["history"][-1]
    assert (last["from"], last["to"], last["note"], last["next_step"]) == ("requested", "introduced",
                                                                            "Beide angerufen", "2027-01-15")
    assert last["at"][:4].isdigit() and last["by"].startswith("lk@chemnitz.example")


def test_a_change_and_its_audit_line_are_one_transaction(as_role, radar, monkeypatch):
    intro_id = ask(as_role).get_json()["id"]
    audit = lambda: radar.store.conn.execute(  # noqa: E731
        "SELECT action, detail FROM audit_log WHERE target=? ORDER BY id", (intro_id,)).fetchall()
    assert audit() == [("introduction.request", f"seeker={SEEKER} partner={PARTNER}")]
    from introductions.store import IntroductionStore

    def broken(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")
    monkeypatch.setattr(IntroductionStore, "_enqueue", broken)     # fails after the update and the audit line
    app_client = as_role("manager")
    app_client.application.config["PROPAGATE_EXCEPTIONS"] = False
    assert app_client.post(f"/api/v1/introductions/{intro_id}/state", json={"state": "introduced"}).status_code == 500
    assert radar.store.conn.execute("SELECT state FROM introductions WHERE id=?", (intro_id,)).fetchone()[0] == "requested"
    assert audit() == [("introduction.request", f"seeker={SEEKER} partner={PARTNER}")]
    monkeypatch.undo()
    assert app_client.post(f"/api/v1/introductions/{intro_id}/state", json={"state": "introduced"}).status_code == 200
    assert audit()[-1] == ("introduction.state", "requested->introduced")


def test_a_message_is_short_and_required(as_role):
    too_long = ask(as_role, message="x" * 1001)
    assert too_long.status_code == 422 and "höchstens 1000" in too_long.get_json()["message"]
    assert "zu kurz" in ask(as_role, message="Hallo").get_json()["message"]
    assert ask(as_role, partner_id=SEEKER).status_code == 422
    assert ask(as_role, partner_id="demo-018").status_code == 404      # unlisted: as if missing
    assert ask(as_role, partner_id="gibt-es-nicht").status_code == 404


def test_open_requests_per_firm_are_capped_per_week(as_role, radar, monkeypatch):
    monkeypatch.setenv("PARTNERRADAR_INTRO_CAP", "2")
    for partner in ("demo-002", "demo-004"):
        assert ask(as_role, partner_id=partner).status_code == 201
    third = ask(as_role, partner_id="demo-005")
    assert third.status_code == 429
    assert third.get_json()["message"].startswith("Schwingwerk Analytics GmbH hat in den letzten 7 Tagen schon 2 "
                                                  "offene Kontaktanfragen gestellt (höchstens 2 pro Woche)")
    twice = ask(as_role, partner_id="demo-002")
    assert twice.status_code in (409, 429)
    # A week later the firm may ask again.
    svc = service(radar)
    svc.store.settings = svc.store.settings.__class__(cap_per_week=2)
    from introductions.store import Actor
    member = Actor("firma@schwingwerk.example", "member", profile_id=SEEKER)
    later = svc.store.request(member, SEEKER, "demo-005", MESSAGE, now=time.time() + 8 * DAY)
    assert later.state == "requested"


def test_a_paused_firm_gets_no_requests(as_role, radar):
    paused = as_role("partner").put(f"/api/v1/introductions/pause/{PARTNER}", json={"paused": True})
    assert paused.status_code == 200
    assert as_role("stranger").put(f"/api/v1/introductions/pause/{PARTNER}", json={"paused": True}).status_code == 403
    refused = ask(as_role)
    assert refused.status_code == 409
    assert refused.get_json()["message"] == ("Forschungsgruppe Instandhaltungsinformatik Chemnitz möchte derzeit "
                                             "keine Kontaktanfragen bekommen.")
    as_role("partner").put(f"/api/v1/introductions/pause/{PARTNER}", json={"paused": False})
    assert ask(as_role).status_code == 201


# -- reminders -------------------------------------------------------------------------

def test_remind_sends_each_mail_exactly_once_and_moves_on_with_the_clock(as_role, radar, inbox):
    intro_id = introduced(as_role, radar, inbox)
    assert len(inbox.messages) == 3                      # the manager's notice, both sides' introductions
    inbox.clear()
    svc = service(radar)
    assert svc.remind().sent == [] and inbox.messages == []          # a second run sends nothing
    now = time.time()
    assert svc.remind(now=now + 13 * DAY).sent == []
    as_role("partner").post(f"/api/v1/introductions/{intro_id}/answer", json={"answer": "accept"})
    report = svc.remind(now=now + 15 * DAY)
    assert sorted(inbox.recipients()) == ["firma@schwingwerk.example", "lk@chemnitz.example"]
    assert "Erinnerung" in inbox.to("firma@schwingwerk.example")[0]["Subject"]      # only the silent side
    assert report.scheduled == {"reminder": 1, "stuck": 1}
    inbox.clear()
    assert svc.remind(now=now + 16 * DAY).sent == [] and inbox.messages == []
    report = svc.remind(now=now + 31 * DAY)
    assert report.no_response == [intro_id] and inbox.messages == []
    item = as_role("manager").get(f"/api/v1/introductions/{intro_id}").get_json()
    assert item["state_label"] == "keine Rückmeldung"
    assert item["history"][-1]["by"] == "Partnerradar (automatisch)"
    assert radar.store.conn.execute("SELECT count(*) FROM audit_log WHERE target=? AND detail=?",
                                    (intro_id, "introduced->no_response")).fetchone()[0] == 1


def test_a_run_killed_after_sending_resends_only_that_mail_with_the_same_message_id(as_role, radar, inbox):
    ask(as_role)
    ask(as_role, "stranger", partner_id="demo-004")
    from digest.mailer import Mailer
    svc = service(radar)

    class DiesAfterFirst(Mailer):
        def send(self, msg):
            super().send(msg)
            raise KeyboardInterrupt          # killed between the server's 250 and our record
    with pytest.raises(KeyboardInterrupt):
        svc.remind(mailer=DiesAfterFirst(svc.mail_settings))
    assert len(inbox.messages) == 1
    first_id = inbox.messages[0]["Message-ID"]
    report = svc.remind()
    assert len(report.resent) == 1 and len(report.sent) == 2
    ids = [m["Message-ID"] for m in inbox.messages]
    assert ids.count(first_id) == 2 and len(set(ids)) == 2
    assert service(radar).remind().sent == []


def test_remind_on_the_command_line_is_cron_friendly(as_role, radar, inbox, mail_env):
    intro_id = ask(as_role).get_json()["id"]
    runner = CliRunner()
    db = str(radar.settings.db_path)
    first = runner.invoke(main, ["remind", "--db", db])
    assert first.exit_code == 0, first.output
    assert "1 E-Mail(s) verschickt" in first.output
    second = runner.invoke(main, ["remind", "--db", db, "--json"])
    assert second.exit_code == 0 and '"sent": 0' in second.output
    later = runner.invoke(main, ["remind", "--db", db, "--now", "2099-01-01"])
    assert later.exit_code == 0 and "1 E-Mail(s) verschickt" in later.output     # the manager: stuck
    assert any("ohne Bewegung" in m["Subject"] for m in inbox.to("lk@chemnitz.example"))
    listed = runner.invoke(main, ["introduction", "list", "--db", db])
    assert intro_id in listed.output and "angefragt" in listed.output
    moved = runner.invoke(main, ["introduction", "state", intro_id, "Gespräch vereinbart", "--db", db])
    assert moved.exit_code == 1 and "Von „angefragt“ geht es nicht nach „Gespräch vereinbart“" in moved.output
    moved = runner.invoke(main, ["introduction", "state", intro_id, "vorgestellt", "--note", "telefoniert",
                                 "--next-step", "2027-01-15", "--db", db])
    assert moved.exit_code == 0 and "jetzt „vorgestellt“" in moved.output
    shown = runner.invoke(main, ["introduction", "show", intro_id, "--db", db])
    assert "telefoniert" in shown.output and "2027-01-15" in shown.output
    audit = radar.store.conn.execute("SELECT actor FROM audit_log WHERE target=? AND action='introduction.state'",
                                     (intro_id,)).fetchone()[0]
    assert audit.startswith("cli:")


# -- outcomes feed the ranking ------------------------------------------------------------

def accept_both(as_role, intro_id):
    for role in ("member", "partner"):
        assert as_role(role).post(f"/api/v1/introductions/{intro_id}/answer",
                                  json={"answer": "accept"}).status_code == 200


def test_a_recorded_project_becomes_a_known_cooperation_explained_as_such(as_role, radar, inbox):
    intro_id = introduced(as_role, radar, inbox)
    accept_both(as_role, intro_id)
    manager = as_role("manager")
    generation = radar.store.generation()
    for state in ("meeting", "cooperation"):
        assert manager.post(f"/api/v1/introductions/{intro_id}/state", json={"state": state}).status_code == 200
    assert radar.store.generation() > generation       # the index's network graph follows
    assert radar.store.known_partners(SEEKER).get(PARTNER) == ["über Partnerradar vermittelt"]
    for me, other in ((SEEKER, PARTNER), (PARTNER, SEEKER)):
        hits = as_role("anonymous").get(f"/api/v1/profiles/{me}/partners?include_known=true&limit=20").get_json()
        hit = next(h for h in hits["results"] if h["id"] == other)
        assert "Bekannter Partner aus: über Partnerradar vermittelt" in hit["explanation"]["reasons"]
        plain = as_role("anonymous").get(f"/api/v1/profiles/{me}/partners?limit=50").get_json()
        assert other not in [h["id"] for h in plain["results"]]       # known partners, as documented
    row = radar.store.conn.execute("SELECT source FROM cooperations WHERE project_id=?",
                                   (f"partnerradar:{intro_id}",)).fetchone()
    assert row == ("partnerradar",)


def test_a_declined_pair_is_not_suggested_to_that_seeker_again(as_role, radar, inbox):
    before = [h["id"] for h in radar.partners(SEEKER)]
    assert PARTNER in before
    intro_id = introduced(as_role, radar, inbox)
    declined = as_role("partner").post(f"/api/v1/introductions/{intro_id}/answer", json={"answer": "decline"})
    assert declined.get_json()["state_label"] == "abgelehnt"
    assert PARTNER not in [h["id"] for h in radar.partners(SEEKER)]
    from matcher.request import SearchRequest
    search = radar.search(SearchRequest(query="Instandhaltungsinformatik Chemnitz", seeker=SEEKER, limit=20))
    assert PARTNER not in [h["id"] for h in search]
    again = ask(as_role)
    assert again.status_code == 409 and "abgelehnt" in again.get_json()["message"]
    # Other seekers still get the partner suggested.
    assert PARTNER in [h["id"] for h in radar.search(SearchRequest(query="Instandhaltungsinformatik Chemnitz",
                                                                   seeker=OTHER_FIRM, limit=20))]


def test_deleting_a_profile_removes_its_introductions(as_role, radar, inbox):
    intro_id = introduced(as_role, radar, inbox)
    radar.delete([PARTNER])
    assert radar.store.conn.execute("SELECT count(*) FROM introductions").fetchone()[0] == 0
    assert radar.store.conn.execute("SELECT count(*) FROM introduction_mails").fetchone()[0] == 0
    assert as_role("manager").get(f"/api/v1/introductions/{intro_id}").status_code == 404


# -- pages -------------------------------------------------------------------------------

def test_kontakt_anbahnen_appears_for_members_and_staff_only(as_role):
    for role, shown in (("anonymous", False), ("member", True), ("manager", True)):
        page = as_role(role).get(f"/profil/{PARTNER}").get_data(as_text=True)
        assert ("Kontakt anbahnen" in page) is shown, role
    own = as_role("member").get(f"/profil/{SEEKER}").get_data(as_text=True)
    assert f'href="/anbahnen?partner={SEEKER}' not in own            # not with oneself
    results = as_role("member").get("/?q=Schwingungsanalyse").get_data(as_text=True)
    assert "Kontakt anbahnen" in results


@pytest.mark.parametrize("url", ["/anbahnen?partner=demo-002", "/anbahnungen", "/anbahnungen/verwalten"])
def test_introduction_pages_send_anonymous_visitors_to_the_login(as_role, url):
    response = as_role("anonymous").get(url)
    assert response.status_code == 302 and response.headers["Location"].startswith("/anmelden?weiter=")


def test_the_pipeline_page_is_for_managers(as_role):
    ask(as_role)
    refused = as_role("member").get("/anbahnungen/verwalten")
    assert refused.status_code == 403 and "<h1>Das ging nicht</h1>" in refused.get_data(as_text=True)
    page = as_role("manager").get("/anbahnungen/verwalten")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Schwingwerk Analytics GmbH" in text and "Stand speichern" in text
    assert "Schwingwerk" not in as_role("elsewhere").get("/anbahnungen/verwalten").get_data(as_text=True)


def test_the_request_form_explains_errors_in_german(as_role):
    page = as_role("member").post("/anbahnen", data={"partner": PARTNER, "nachricht": "kurz"})
    assert page.status_code == 400 and "zu kurz" in page.get_data(as_text=True)
    page = as_role("member").post("/anbahnen", data={"partner": PARTNER, "nachricht": MESSAGE})
    assert page.status_code == 302 and page.headers["Location"].startswith("/anbahnungen?neu=")
    mine = as_role("member").get("/anbahnungen").get_data(as_text=True)
    assert "angefragt" in mine and "Forschungsgruppe Instandhaltungsinformatik Chemnitz" in mine
