"""Profiles kept alive (issue 15): the yearly "still correct?" mail, exactly once, and its button."""
from __future__ import annotations

import re
import time

import pytest
from click.testing import CliRunner

from api import create_app
from partnerradar.cli import main
from tests.access_helpers import api_key, as_bearer
from tests.smtp_inbox import inbox, mail_env  # noqa: F401  (fixtures)
from tests.test_introductions import intro_template, radar  # noqa: F401  (fixtures)

YEAR_AND_A_MONTH = 400 * 86400


@pytest.fixture
def aged(radar):
    """Two profiles nobody has touched for 400 days."""
    then = time.time() - YEAR_AND_A_MONTH
    radar.store.conn.execute("UPDATE profiles SET created_at=?, updated_at=? WHERE id IN ('demo-001', 'demo-002')",
                             (then, then))
    return radar


def remind(radar):
    result = CliRunner().invoke(main, ["remind", "--db", str(radar.settings.db_path)])
    assert result.exit_code == 0, result.output
    return result.output


def test_an_unconfirmed_profile_is_asked_once_a_year_and_one_button_confirms(aged, inbox, mail_env):
    radar = aged
    assert "2 Bitte(n) um Bestätigung verschickt" in remind(radar)
    assert sorted(m["To"] for m in inbox.messages) == sorted(
        radar.store.get_profile(p)["contact_email"] for p in ("demo-001", "demo-002"))
    assert "0 Bitte(n) um Bestätigung verschickt" in remind(radar)       # a second run sends nothing
    assert len(inbox.messages) == 2

    app = create_app(radar.settings, radar=radar)
    manager = as_bearer(app.test_client(), api_key(radar, "manager", "lk@chemnitz.example", region=("Chemnitz",)))
    page = manager.get("/profil/demo-002").get_data(as_text=True)
    assert "seit über einem Jahr nicht bestätigt" in page                 # marked for managers
    assert "Zuletzt bestätigt" not in app.test_client().get("/profil/demo-002").get_data(as_text=True)

    mail = next(m for m in inbox.messages if m["To"] == radar.store.get_profile("demo-001")["contact_email"])
    text = mail.get_body(("plain",)).get_content()
    path = re.search(r"https://partnerradar\.example(/profil/bestaetigen/\S+)", text).group(1)
    assert "https://partnerradar.example/profil/demo-001" in text          # and where to look for changes
    visitor = app.test_client()
    form = visitor.get(path)
    assert form.status_code == 200 and "Ja, alles noch richtig" in form.get_data(as_text=True)
    assert "seit über einem Jahr" in manager.get("/profil/demo-001").get_data(as_text=True)   # a GET confirms nothing
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.get_data(as_text=True)).group(1)
    done = visitor.post(path, data={"csrf_token": token})
    assert "Ihr Profil ist als aktuell bestätigt" in done.get_data(as_text=True)
    assert "seit über einem Jahr" not in manager.get("/profil/demo-001").get_data(as_text=True)
    assert radar.store.conn.execute("SELECT count(*) FROM audit_log WHERE action='profile.confirm' AND "
                                    "target='demo-001'").fetchone()[0] == 1
    assert visitor.get("/profil/bestaetigen/gefälscht").status_code == 403


def test_a_confirmation_is_audited_on_a_database_without_accounts(small_radar, mail_env):
    """The audit table was made only by ``Users(store)``: on a database where no server had
    run and no account existed yet, confirming a profile failed ("no such table: audit_log")."""
    from confirmations.store import Confirmations
    from partnerradar.config import load_settings

    tables = set(small_radar.store.db.table_names())
    assert "audit_log" not in tables and "users" not in tables      # as ingest leaves a database

    Confirmations(small_radar, load_settings().mail).confirm("kl-laser", "Test", now=1_700_000_000)

    [(at, actor, action, target)] = small_radar.store.conn.execute(
        "SELECT at, actor, action, target FROM audit_log").fetchall()
    assert (at, actor, action, target) == (1_700_000_000, "Test", "profile.confirm", "kl-laser")


def test_the_yearly_run_stops_when_the_mail_server_is_down_and_the_next_run_sends_all(
        radar, inbox, mail_env, monkeypatch):
    """With the mail server down the yearly run tried every unconfirmed profile, however many
    (each with its retries); like the digest it stops after three in a row, and a run once the
    server is back sends every mail, the ones never tried included."""
    from confirmations.store import Confirmations
    from digest.mailer import Mailer
    from partnerradar.config import load_settings
    from tests.smtp_inbox import free_port

    then = time.time() - YEAR_AND_A_MONTH
    aged_ids = ["demo-001", "demo-002", "demo-003", "demo-004", "demo-005"]
    radar.store.conn.execute(f"UPDATE profiles SET created_at=?, updated_at=? WHERE id IN "
                             f"({','.join('?' * len(aged_ids))})", [then, then, *aged_ids])
    monkeypatch.setenv("PARTNERRADAR_SMTP_PORT", str(free_port()))       # nothing listens there
    down = load_settings().mail
    with Mailer(down) as mailer:
        report = Confirmations(radar, down).run(mailer)

    assert len(report.deferred) == 3 and report.sent == []
    assert "3-mal in Folge nicht erreichbar" in report.aborted
    assert any(line.startswith("Profilpflege abgebrochen") for line in report.summary())

    monkeypatch.setenv("PARTNERRADAR_SMTP_PORT", str(inbox.port))
    back = load_settings().mail
    with Mailer(back) as mailer:
        again = Confirmations(radar, back).run(mailer)
    assert sorted(again.sent) == aged_ids and not again.aborted
    assert len(inbox.messages) == 5
