"""The ``partnerradar`` command line: exit codes, messages, and the same answers as the API."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from api import create_app
from partnerradar.cli import main
from tests.conftest import BROKEN_CSV, DUPES_CSV, SMALL_CSV, database_on, ids_of


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def cli_command() -> list[str]:
    script = Path(sys.executable).parent / "partnerradar"
    return [str(script)] if script.exists() else [sys.executable, "-m", "partnerradar.cli"]


@pytest.fixture
def db(deployment, request, tmp_path, small_template, cli_encoder):
    """A copy of the small database on SQLite + FAISS or on PostgreSQL (PARTNERRADAR_DATABASE_URL
    set): every test that takes it runs on both; CLI commands reuse the session's model."""
    target = tmp_path / "klein.db"
    database_on(deployment, request, small_template, "pg_small_template", target)
    return target


# -- ingest ----------------------------------------------------------------------------

@pytest.mark.usefixtures("empty_on_both")
def test_ingest_good_file_exits_0(tmp_path, cli_encoder):
    db = tmp_path / "neu.db"
    result = run("--db", db, "ingest", SMALL_CSV)

    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert f"{SMALL_CSV}: 12 Zeilen gelesen, 12 neu, 0 geändert, 0 unverändert, 0 abgelehnt" in result.stderr

    again = run("--db", db, "ingest", SMALL_CSV)
    assert again.exit_code == 0
    assert "12 Zeilen gelesen, 0 neu, 0 geändert, 12 unverändert, 0 abgelehnt" in again.stderr


@pytest.mark.usefixtures("empty_on_both")
def test_ingest_with_rejected_rows_exits_3_and_prints_file_line_reason(tmp_path, cli_encoder):
    db = tmp_path / "neu.db"
    result = run("ingest", BROKEN_CSV, "--db", db)     # --db also after the subcommand

    assert result.exit_code == 3, result.output
    lines = result.stdout.splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [
        f"{BROKEN_CSV}:{n}" for n in (4, 5, 6, 8, 9, 10, 13)]
    assert lines[0] == f"{BROKEN_CSV}:4: name fehlt"
    assert lines[1].startswith(f"{BROKEN_CSV}:5: Unbekannte Art „backstube“")
    assert lines[2].startswith(f"{BROKEN_CSV}:6: Unlesbare Postleitzahl „12a45“")
    assert lines[3] == f"{BROKEN_CSV}:8: Unbekannte Postleitzahl „99999“"
    assert "10 Zeilen gelesen, 3 neu" in result.stderr and "7 abgelehnt" in result.stderr
    assert "profile_fehlerhaft.rejects.csv" in result.stderr
    assert (tmp_path / "neu.rejects" / "profile_fehlerhaft.rejects.csv").is_file()


@pytest.mark.usefixtures("empty_on_both")
def test_ingest_unusable_file_exits_1(tmp_path, cli_encoder):
    db = tmp_path / "neu.db"
    bad = tmp_path / "ohne_name.csv"
    bad.write_text("firma_bezeichnung;art\nMüller & Söhne GmbH;kmu\n", encoding="utf-8")

    result = run("--db", db, "ingest", bad)

    assert result.exit_code == 1
    assert "Spalte name fehlt" in result.stderr
    # one unusable file among good ones still fails the run, the good ones go in
    mixed = run("--db", db, "ingest", bad, SMALL_CSV)
    assert mixed.exit_code == 1
    assert "12 neu" in mixed.stderr
    missing = run("--db", db, "ingest", tmp_path / "gibt_es_nicht.csv")
    assert missing.exit_code == 1 and "Datei nicht gefunden" in missing.stderr


@pytest.mark.usefixtures("empty_on_both")
def test_ingest_json_report(tmp_path, cli_encoder):
    result = run("--db", tmp_path / "neu.db", "ingest", "--json", BROKEN_CSV)
    assert result.exit_code == 3
    report = json.loads(result.stdout)
    assert (report["read"], report["inserted"]) == (10, 3)
    assert [r["line"] for r in report["rejected"]] == [4, 5, 6, 8, 9, 10, 13]


@pytest.mark.usefixtures("empty_on_both")
def test_ingest_reports_and_merges_duplicates(tmp_path, cli_encoder):
    db = tmp_path / "neu.db"
    result = run("--db", db, "ingest", DUPES_CSV)
    assert result.exit_code == 0
    assert "Mögliche Dublette: d-tud-kurz ~ d-tud-lang" in result.stderr

    listed = run("--db", db, "duplicates")
    assert "„TU Dresden“" in listed.stdout and "„Technische Universität Dresden“" in listed.stdout
    merged = run("--db", db, "duplicates", "--merge")
    assert "zusammengeführt: d-tud-kurz -> d-tud-lang" in merged.stdout
    assert "Keine Dubletten gefunden." in run("--db", db, "duplicates").stderr


# -- search, partners ------------------------------------------------------------------

def test_search_json_is_exactly_the_api_body(db, encoder):
    args = ["Laserstrahlschweißen von Aluminium im Leichtbau", "--near", "Chemnitz", "--radius-km", "80",
            "--kind", "research", "--kind", "kmu", "--top", "4"]
    result = run("--db", db, "search", *args, "--json")
    assert result.exit_code == 0, result.output
    cli_body = json.loads(result.stdout)

    from tests.conftest import make_radar
    radar = make_radar(db, encoder, os.environ.get("PARTNERRADAR_DATABASE_URL", ""))
    api_body = create_app(radar.settings, radar=radar).test_client().post("/api/v1/search", json={
        "query": "Laserstrahlschweißen von Aluminium im Leichtbau", "near": "Chemnitz", "radius_km": 80,
        "kinds": ["research", "kmu"], "limit": 4}).get_json()
    assert cli_body == api_body
    assert len(cli_body["results"]) == 4
    assert ids_of(cli_body["results"])[:2] in (["kl-laser", "kl-schweissforschung"],
                                               ["kl-schweissforschung", "kl-laser"])


def test_search_prints_a_readable_list(db):
    result = run("--db", db, "search", "Instandhaltungsplanung für Fabriken", "--near", "09111", "--top", "3")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith(" 1. [")
    assert "Instandhaltungsplanung Chemnitz GmbH (kmu; Chemnitz, Chemnitz, " in lines[0]
    assert lines[0].endswith("id=kl-instand")
    assert any("Gemeinsame Begriffe:" in line for line in lines)
    assert sum(1 for line in lines if line[:3].strip().rstrip(".").isdigit()) == 3


def test_search_sets_the_weakly_supported_hits_apart(db):
    result = run("--db", db, "search", "Zustandsüberwachung von Getrieben und Wälzlagern", "--top", "10", "--json")
    hits = json.loads(result.stdout)["results"]
    supported = [h["supported"] for h in hits]
    assert True in supported and False in supported, "the test needs both kinds of hits"
    lines = run("--db", db, "search", "Zustandsüberwachung von Getrieben und Wälzlagern", "--top", "10").stdout.splitlines()
    dividers = [i for i, line in enumerate(lines) if line.startswith("-- Weniger belegte Treffer")]
    assert len(dividers) == 1
    numbered = [i for i, line in enumerate(lines) if line[:3].strip().rstrip(".").isdigit()]
    assert sum(i < dividers[0] for i in numbered) == supported.index(False)


def test_search_with_nothing_in_range(db):
    result = run("--db", db, "search", "Großwärmepumpen", "--near", "Görlitz", "--radius-km", "1",
                 "--kind", "startup")
    assert result.exit_code == 0
    assert result.stdout.strip() == "Keine passenden Partner gefunden."


@pytest.mark.parametrize("args, message", [
    (["--radius-km", "30"], "radius_km braucht near"),
    (["--kind", "bäckerei"], "Unbekannte Art(en) bäckerei"),
    (["--near", "Atlantis"], "Unbekannter Ort „Atlantis“"),
    (["--top", "0"], "limit muss eine ganze Zahl zwischen 1 und 100 sein"),
])
def test_search_errors_exit_2_with_a_message(db, args, message):
    result = run("--db", db, "search", "Schweißen", *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("Fehler: ") and message in result.stderr
    assert "Traceback" not in result.output


def test_partners_command(db):
    result = run("--db", db, "partners", "kl-laser", "--json", "--top", "20")
    assert result.exit_code == 0
    hits = json.loads(result.stdout)["results"]
    assert "kl-laser" not in ids_of(hits) and "kl-verborgen" not in ids_of(hits)
    assert len(hits) == 10
    unknown = run("--db", db, "partners", "gibt-es-nicht")
    assert unknown.exit_code == 2 and unknown.stderr.strip() == "Fehler: Profil „gibt-es-nicht“ nicht gefunden"


# -- delete, health, reindex -----------------------------------------------------------

def test_delete_command(db):
    query = "Holzrahmenbau für Mehrfamilienhäuser"
    assert "kl-holz" in ids_of(json.loads(run("--db", db, "search", query, "--json").stdout)["results"])

    result = run("--db", db, "delete", "kl-holz")

    assert result.exit_code == 0 and "1 Profil(e) gelöscht" in result.stderr
    hits = json.loads(run("--db", db, "search", query, "--json").stdout)["results"]
    assert "kl-holz" not in ids_of(hits)
    assert len(hits) == 10

    partly = run("--db", db, "delete", "kl-baeck", "gibt-es-nicht")
    assert partly.exit_code == 1
    assert "1 Profil(e) gelöscht" in partly.stderr and "nicht gefunden: gibt-es-nicht" in partly.stderr


def test_health_and_reindex(db):
    health = json.loads(run("--db", db, "health").stdout)
    assert health["ok"] is True and health["profiles"] == 12
    passages = health["passages"]

    result = run("--db", db, "reindex")
    assert result.exit_code == 0 and f"Index neu aufgebaut: {passages} Passagen" in result.stderr


@pytest.mark.usefixtures("empty_on_both")
def test_demo_command_loads_a_file_once(tmp_path, cli_encoder):
    db = tmp_path / "demo.db"
    first = run("--db", db, "demo", "--file", SMALL_CSV)
    assert first.exit_code == 0
    assert "Demo: 12 neu, 0 geändert, 0 unverändert, 0 abgelehnt; 12 Profile" in first.stderr
    second = run("--db", db, "demo", "--file", SMALL_CSV)
    assert "Demo: 0 neu, 0 geändert, 12 unverändert, 0 abgelehnt; 12 Profile" in second.stderr


# -- the installed command, as a user runs it ------------------------------------------

def test_installed_command_ingest_and_search(tmp_path, empty_on_both):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARTNERRADAR_")}
    if empty_on_both:
        env["PARTNERRADAR_DATABASE_URL"] = empty_on_both
    db = tmp_path / "echt.db"
    ingest = subprocess.run(cli_command() + ["--db", str(db), "ingest", str(BROKEN_CSV)],
                            capture_output=True, text=True, env=env, timeout=300)
    assert ingest.returncode == 3, ingest.stderr
    assert ingest.stdout.splitlines()[0] == f"{BROKEN_CSV}:4: name fehlt"
    assert "Traceback" not in ingest.stderr

    found = subprocess.run(cli_command() + ["search", "Kühlhäuser mit natürlichen Kältemitteln", "--db", str(db),
                                            "--near", "Leipzig", "--json", "--top", "2"],
                           capture_output=True, text=True, env=env, timeout=300)
    assert found.returncode == 0, found.stderr
    body = json.loads(found.stdout)
    assert set(body) == {"results"}
    assert body["results"][0]["id"] == "f-gut3"
    assert body["results"][0]["name"] == "Kältetechnik Straßberger GmbH"
    assert set(body["results"][0]) == {"id", "name", "kind", "town", "landkreis", "distance_km", "score",
                                       "supported", "explanation"}


# -- help --------------------------------------------------------------------------------

#: Words that give an English help text away; none of them is a German word.
ENGLISH_WORDS = {"the", "a", "of", "and", "or", "for", "from", "to", "with", "into", "is", "how", "only",
                 "show", "print", "list", "load", "run", "find", "read", "remove", "rebuild", "report",
                 "merge", "file", "partners", "profiles", "database", "default", "repeatable"}


def english_words(text: str) -> set[str]:
    text = re.sub(r"(?<![\w-])--?[a-z][\w-]*", " ", text)     # option names like --dry-run are interface
    return set(re.findall(r"[a-zäöüß]+", text.lower())) & ENGLISH_WORDS


def command_summaries(*group: str) -> dict[str, str]:
    """What `partnerradar [GROUP] --help` lists under "Commands:" on an 80-column terminal."""
    result = CliRunner().invoke(main, [*group, "--help"], terminal_width=80)
    listing = result.stdout.split("Commands:\n", 1)[1]
    return dict(line.split(None, 1) for line in listing.splitlines() if line.strip())


def test_help_lists_every_command_with_a_short_german_summary():
    summaries = command_summaries()
    assert set(summaries) == set(main.commands)
    assert summaries["search"] == "Partner für einen Bedarf finden."
    assert summaries["ingest"] == "Profile aus Dateien in die Datenbank einlesen."
    assert summaries["evaluate"] == "Messen, wie gut die Suche Projektpartner findet."

    every = dict(summaries)
    for group, command in main.commands.items():
        if isinstance(command, click.Group):
            every.update({f"{group} {name}": text for name, text in command_summaries(group).items()})
    for name, summary in every.items():
        assert not summary.endswith("..."), f"summary of '{name}' is cut off: {summary}"
        assert not english_words(summary), f"summary of '{name}' is still English: {summary}"

    # The options under each command's own --help too (click's own "--help" line aside).
    commands = list(main.commands.values())
    commands += [sub for command in commands if isinstance(command, click.Group)
                 for sub in command.commands.values()]
    for command in [main, *commands]:
        for param in command.params:
            text = getattr(param, "help", None) or ""
            assert not english_words(text), f"help of {command.name} {param.opts[0]} is still English: {text}"
