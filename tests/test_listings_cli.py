"""``partnerradar listing …`` and the demo's listings, through the real CLI (in process)."""
from __future__ import annotations

import json

from click.testing import CliRunner

import pytest

from partnerradar.cli import main
from tests.conftest import database_on
from tests.listings_helpers import (copy_demo, listings_on, listings_template,  # noqa: F401  (fixtures)
                                    pg_listings_template)


@pytest.fixture
def listings_radar(listings_on):
    """Every test here runs on SQLite + FAISS and on PostgreSQL (the CLI finds the same data)."""
    return listings_on


@pytest.fixture
def demo_db(deployment, request, tmp_path, demo_radar):
    """The demo profiles without listings, where ``--db`` and the environment point the CLI."""
    target = tmp_path / "demo.db"
    if deployment == "sqlite":
        return copy_demo(demo_radar, target)
    database_on(deployment, request, None, "pg_demo_template", target)
    return target


def run(radar, *args):
    return CliRunner().invoke(main, ["--db", str(radar.settings.db_path), *map(str, args)],
                              catch_exceptions=False)


def test_add_shows_the_best_counterparts_with_reasons(listings_radar, cli_encoder):
    result = run(listings_radar, "listing", "add", "--profile", "demo-043", "--type", "Abwärme verfügbar",
                 "--title", "Abwärme 85 °C, 400 kW", "--temperature", "85", "--power", "400")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Eingestellt: lst-") and "(Abwärme verfügbar), gültig bis " in lines[0]
    assert "Wärme zur Trocknung von Schlämmen – Erzwerk Recycling Technologies GmbH (Wärme gesucht)" in lines[1]
    assert lines[2].strip().startswith("wechselseitig: beide Seiten können einander etwas bieten · "
                                       "Abwärme 85 °C ≥ benötigt 70 °C")


def test_a_wrong_value_is_a_german_error(listings_radar, cli_encoder):
    result = run(listings_radar, "listing", "add", "--profile", "demo-043", "--type", "Wärme gesucht",
                 "--title", "Wärme", "--temperature", "sehr warm")
    assert result.exit_code == 2
    assert result.output.strip() == "Fehler: Temperatur (°C): „sehr warm“ ist keine Zahl"


def test_matches_json_is_the_api_body_and_shows_every_owner(listings_radar, cli_encoder):
    from listings.service import Listings
    Listings(listings_radar).update("q-fh2", {"visibility": "anonym"})
    body = json.loads(run(listings_radar, "listing", "matches", "q-fh1", "--json").output)
    assert body["listing"]["id"] == "q-fh1"
    owners = {m["listing"]["id"]: m["listing"]["owner"]["name"] for m in body["matches"]}
    assert owners["q-fh2"] == "Silberstollen Analytik GmbH"      # the operator is staff


def test_import_reports_rejected_lines_and_exits_3(listings_radar, cli_encoder, tmp_path):
    path = tmp_path / "gesuche.jsonl"
    path.write_text('{"profile_id": "demo-001", "type": "Technologiegesuch", "title": "Retrofit-Sensorik"}\n'
                    '{"profile_id": "demo-001", "type": "Technologiegesuch"}\n'
                    'kein json\n', encoding="utf-8")
    result = run(listings_radar, "listing", "import", path)
    assert result.exit_code == 3
    assert result.stdout.splitlines() == ["gesuche.jsonl:2: Titel fehlt",
                                          "gesuche.jsonl:3: Ungültiges JSON in Spalte 1 (Expecting value)"]
    assert "3 Zeilen gelesen, 1 neu, 0 geändert, 2 abgelehnt" in result.stderr
    assert run(listings_radar, "listing", "import", tmp_path / "fehlt.csv").exit_code == 1


def test_region_prints_totals_and_writes_csv(listings_radar, cli_encoder, tmp_path):
    out = tmp_path / "potenzial.csv"
    result = run(listings_radar, "listing", "region", "--landkreis", "Leipzig", "--csv", out)
    assert result.exit_code == 0, result.output
    assert "5 mögliche Abwärme-Partnerschaften, zusammen ≈ 380 kW" in result.output
    assert out.read_text("utf-8-sig").splitlines()[0].startswith("Fluss;Angebot;Typ Angebot;Anbieter")
    assert run(listings_radar, "listing", "region", "--landkreis", "Atlantis").exit_code == 2


def test_status_renew_and_list(listings_radar, cli_encoder):
    assert "q-fh2" in run(listings_radar, "listing", "matches", "q-fh1").output
    assert run(listings_radar, "listing", "status", "q-fh2", "erledigt").exit_code == 0
    listed = run(listings_radar, "listing", "list", "--profile", "demo-042").output
    assert "q-fh2  Wärme gesucht: Wärme für Laborgebäude und Probentrocknung – Silberstollen Analytik GmbH" in listed
    assert "Status: erledigt" in listed
    assert "q-fh2" not in run(listings_radar, "listing", "matches", "q-fh1").output   # done: not offered
    assert run(listings_radar, "listing", "renew", "q-fh1").exit_code == 0
    assert run(listings_radar, "listing", "renew", "q-nix").exit_code == 1


def test_demo_loads_the_fictitious_listings_once(demo_db, cli_encoder):
    db = demo_db        # the profiles are there already
    first = CliRunner().invoke(main, ["--db", str(db), "demo"], catch_exceptions=False)
    assert "Demo-Angebote und -Gesuche: 31 neu, 0 geändert, 0 unverändert, 0 abgelehnt" in first.stderr
    second = CliRunner().invoke(main, ["--db", str(db), "demo"], catch_exceptions=False)
    assert "Demo-Angebote und -Gesuche: 0 neu, 0 geändert, 31 unverändert, 0 abgelehnt" in second.stderr
    listed = CliRunner().invoke(main, ["--db", str(db), "listing", "list", "--landkreis", "Mittelsachsen"]).output
    assert "Abwärme aus dem Schmelzbetrieb der Gießerei, Werk Freiberg – Feinguss Pleißenbach GmbH" in listed
