"""The audit log of changes to profiles (issue 15): the line is written in the change's own
transaction, so there is never a change without its line nor a line without its change;
the CLI's ingest and delete leave lines too.

A failure inside the transaction is made real with an SQLite trigger in the test's own
database (the database refuses the write), not by patching the code under test.
"""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from api import create_app
from partnerradar.cli import main
from tests.access_helpers import api_key, as_bearer
from tests.conftest import JSONL


def refuse(radar, name: str, event: str, condition: str, message: str) -> None:
    """A trigger that makes the database refuse a write (a full disk, a broken table)."""
    if radar.store.engine == "sqlite":
        radar.store.conn.execute(f"CREATE TRIGGER {name} BEFORE {event} WHEN {condition} "
                                 f"BEGIN SELECT RAISE(ABORT, '{message}'); END")
        return
    radar.store.pg.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                           f"IF {condition} THEN RAISE EXCEPTION '{message}'; END IF; RETURN NEW; END $$")
    radar.store.pg.execute(f"CREATE TRIGGER {name} BEFORE {event} FOR EACH ROW EXECUTE FUNCTION {name}()")


@pytest.fixture
def small_radar(small_on_both):
    """Every test here runs on both deployments (SQLite + FAISS, PostgreSQL)."""
    return small_on_both


@pytest.fixture
def client(small_radar):
    app = create_app(small_radar.settings, radar=small_radar)
    key = api_key(small_radar, "manager", "lk@mittelsachsen.example", region=("Mittelsachsen",))
    return as_bearer(app.test_client(), key)


def lines(radar, action):
    return radar.store.conn.execute("SELECT actor, role, target, detail FROM audit_log WHERE action=? ORDER BY id",
                                    (action,)).fetchall()


def offers_of(radar, profile_id):
    return radar.store.get_profile(profile_id)["offers"]


def test_a_profile_edit_and_its_audit_line_commit_together(client, small_radar):
    response = client.put("/api/v1/profiles/kl-laser", json={"offers": "Laserschweißen von Kupfer"})
    assert response.status_code == 200
    [(actor, role, target, detail)] = lines(small_radar, "profile.update")
    assert actor.startswith("lk@mittelsachsen.example") and (role, target, detail) == (
        "manager", "kl-laser", "Felder: offers")
    # The same edit once more changes nothing: no line for a change that did not happen.
    assert client.put("/api/v1/profiles/kl-laser", json={"offers": "Laserschweißen von Kupfer"}).status_code == 200
    assert len(lines(small_radar, "profile.update")) == 1


def test_when_the_audit_line_cannot_be_written_the_edit_is_not_kept(client, small_radar):
    before = offers_of(small_radar, "kl-laser")
    generation = small_radar.store.generation()
    refuse(small_radar, "refuse_audit", "INSERT ON audit_log", "NEW.action = 'profile.update'", "Protokoll voll")
    response = client.put("/api/v1/profiles/kl-laser", json={"offers": "Laserschweißen von Kupfer"})
    assert response.status_code == 500
    assert offers_of(small_radar, "kl-laser") == before             # no change without its line
    assert small_radar.store.generation() == generation
    assert lines(small_radar, "profile.update") == []


def test_when_the_change_fails_after_the_line_neither_stays(client, small_radar):
    # The generation bump comes after the audit line inside the transaction; if it fails,
    # the line must go with the change.
    refuse(small_radar, "refuse_bump", "UPDATE ON meta", "OLD.key = 'generation'", "Platte voll")
    response = client.delete("/api/v1/profiles/kl-laser")
    assert response.status_code == 500
    assert small_radar.store.get_profile("kl-laser") is not None
    assert lines(small_radar, "profile.delete") == []


def test_cli_ingest_and_delete_leave_audit_lines(small_radar):
    db = str(small_radar.settings.db_path)
    small_radar.store.close()
    result = CliRunner().invoke(main, ["ingest", str(JSONL), "--db", db, "--json"])
    assert result.exit_code in (0, 3), result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    ingest_lines = lines(small_radar, "ingest")
    assert report["inserted"] + report["updated"] > 0
    assert [(role, target) for _, role, target, _ in ingest_lines] == [("admin", str(JSONL))]
    assert ingest_lines[0][0].startswith("cli")

    result = CliRunner().invoke(main, ["delete", "kl-laser", "kl-gibt-es-nicht", "--db", db])
    assert result.exit_code == 1 and "1 Profil(e) gelöscht" in result.output
    assert [(role, target) for _, role, target, _ in lines(small_radar, "profile.delete")] == [("admin", "kl-laser")]
    # Nothing to delete, nothing changed: no line.
    CliRunner().invoke(main, ["delete", "kl-gibt-es-nicht", "--db", db])
    assert len(lines(small_radar, "profile.delete")) == 1
