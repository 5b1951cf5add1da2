"""Funding exports go into a real Radar: profiles like any other, joint projects as cooperations."""
import csv

import numpy as np
import pytest

from ingest.readers import UnusableFile
from matcher.signals.network import KNOWN_FULL
from matcher.request import SearchRequest
from partnerradar.config import Settings
from partnerradar.funding_import import import_funding
from partnerradar.radar import Radar

from tests.funding_fixtures import BEISPIEL, EFRE, FIXTURES, FRAUNHOFER, LONER, PTDESY, SENSOR, TU  # noqa: F401
TUI = "ptdesy:technische-universitaet-dresden-fakultaet-physik-institut-fuer-festkoerper-und-materialphysik"
MPI = "ptdesy:max-planck-institut-fuer-chemische-physik-fester-stoffe"
HH = "ptdesy:universitaet-hamburg-fachbereich-physik-institut-fuer-experimentalphysik"


@pytest.fixture
def radar(tmp_path, encoder):
    return Radar(Settings(db_path=tmp_path / "radar.db"), encoder=encoder)


def sources(radar):
    return dict(radar.store.conn.execute("SELECT id, source FROM profiles"))


def test_efre_organisations_become_profiles_and_joint_projects_cooperations(radar):
    report = import_funding(radar, EFRE, "efre")
    assert report.inserted == report.read == 6 and not report.rejected
    assert set(sources(radar).values()) == {"efre"}
    assert {SENSOR, TU, BEISPIEL, FRAUNHOFER, LONER} <= set(sources(radar))
    assert set(radar.store.known_partners(SENSOR)) == {TU, BEISPIEL}
    assert radar.store.known_partners(BEISPIEL)[FRAUNHOFER] == [
        "Entwicklung eines selbstreinigenden Filtersystems für die Abwasserbehandlung in Brauereien (FILTRAB)"]
    # A shared trade-fair stand is no cooperation; a Verbund with one partner has no pair.
    assert radar.store.known_partners(LONER) == {}
    assert len(radar.store.cooperations()) == 4
    assert radar.index.vectors.ntotal == radar.store.count_passages() > 0


def test_ptdesy_executing_bodies_become_profiles_with_their_verbund_partners(radar):
    report = import_funding(radar, PTDESY, "ptdesy")
    assert not report.rejected
    assert set(sources(radar).values()) == {"ptdesy"}
    assert set(radar.store.known_partners(TUI)) == {MPI, HH, next(i for i in sources(radar) if "leipzig" in i)}
    profile = radar.get_profile(MPI)
    assert profile["town"] == "Dresden" and profile["landkreis"]   # geocoded like any profile


def test_importing_again_changes_nothing(radar):
    import_funding(radar, EFRE, "efre")
    generation = radar.store.generation()
    again = import_funding(radar, EFRE, "efre")
    assert again.unchanged == again.read and again.inserted == again.updated == 0
    assert len(radar.store.cooperations()) == 4
    assert radar.store.generation() == generation + 1   # only the (empty) cooperation write


KNOWN_ONCE = float(np.log1p(1) / np.log1p(KNOWN_FULL))   # one project together


def test_imported_profiles_are_searchable_with_their_known_partners(radar):
    import_funding(radar, EFRE, "efre")
    hits = radar.search(SearchRequest(query="Sensorsystem für Windkraftanlagen", limit=3), explain=False)
    assert hits[0]["id"] in {SENSOR, TU, BEISPIEL}
    req = SearchRequest(seeker=BEISPIEL, include_known=True, limit=10)
    network = {hit["id"]: hit["explanation"]["signals"]["network"]
               for hit in radar.partners(BEISPIEL, req, explain=True)}
    # Its partners in SENSWIND and FILTRAB are known: the network signal says so.
    assert min(network[SENSOR], network[TU], network[FRAUNHOFER]) >= round(0.6 * KNOWN_ONCE, 3)
    assert network[LONER] == 0.0


def test_merging_duplicates_keeps_the_cooperations(radar, tmp_path):
    # "MusterSensorik GmbH" (another spelling) runs a second Verbund with the loner.
    rows = list(csv.reader(EFRE.open(encoding="utf-8")))
    template = next(r for r in rows if r[0] == "Muster Sensorik GmbH")
    extra = []
    for name in ("MusterSensorik GmbH", "Einzelkämpfer Werkzeugbau GmbH"):
        row = list(template)
        row[0], row[1], row[2] = name, "Adaptive Spanntechnik (ADASPAN)", "Adaptive Spanntechnik (ADASPAN)"
        extra.append(row)
    path = tmp_path / "efre_dupes.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows + extra)
    report = import_funding(radar, path, "efre", merge_duplicates=True)
    assert len(report.merged) == 1
    kept, removed = report.merged[0]
    assert {kept, removed} == {SENSOR, "efre:mustersensorik-gmbh"}
    assert radar.store.get_profile(removed) is None
    assert {TU, BEISPIEL, LONER} <= set(radar.store.known_partners(kept))
    assert all(removed not in pair[:2] for pair in radar.store.cooperations())


def test_an_unusable_file_is_reported_not_half_imported(radar, tmp_path):
    with pytest.raises(UnusableFile):
        import_funding(radar, PTDESY, "efre")          # columns of the other format
    empty = tmp_path / "efre_empty.csv"
    empty.write_text("")
    with pytest.raises(UnusableFile):
        import_funding(radar, empty, "efre")
    with pytest.raises(UnusableFile):
        import_funding(radar, tmp_path / "missing.csv", "efre")
    with pytest.raises(ValueError):
        import_funding(radar, EFRE, "esf")
    assert radar.store.count_profiles() == 0


def test_ingest_recognises_public_exports_by_their_header_and_says_rows_were_grouped(tmp_path, cli_encoder):
    """`partnerradar ingest EFRE.csv` without --format used to fail with "Spalte name fehlt"."""
    from click.testing import CliRunner

    from partnerradar.cli import main

    db = str(tmp_path / "radar.db")
    efre = CliRunner().invoke(main, ["ingest", str(EFRE), "--db", db])
    assert efre.exit_code == 0, efre.output
    assert "als EFRE-Begünstigtenliste erkannt" in efre.output
    with open(EFRE, encoding="utf-8") as handle:
        data_rows = sum(1 for row in csv.reader(handle) if any(cell.strip() for cell in row)) - 1
    radar = Radar(Settings(db_path=tmp_path / "radar.db"), encoder=cli_encoder)
    organisations = radar.store.count_profiles()
    assert f"{data_rows} Zeilen des Exports zu {organisations} Organisationen zusammengefasst" in efre.output
    assert f"{organisations} Organisationen gelesen" in efre.output
    assert radar.store.get_profile(SENSOR) is not None and len(radar.store.cooperations()) > 0
    # Not a terminal (as under cron): progress comes as plain lines.
    assert f"Einlesen: {organisations} von {organisations} Profilen (100%)" in efre.output

    ptdesy = CliRunner().invoke(main, ["ingest", str(PTDESY), "--db", db])
    assert ptdesy.exit_code == 0 and "als Export des Förderkatalogs erkannt" in ptdesy.output


def test_a_profile_file_is_not_taken_for_a_funding_export():
    from ingest.funding import sniff_format

    assert sniff_format(FIXTURES / "profile_klein.csv") is None
    assert sniff_format(FIXTURES / "profile_zeilen.jsonl") is None
    assert sniff_format(EFRE) == "efre" and sniff_format(PTDESY) == "ptdesy"


def test_progress_lines_read_as_german():
    import io

    from partnerradar.progress import LineProgress

    out = io.StringIO()
    progress = LineProgress(2000, "Einlesen", "Profilen", stream=out)
    progress.update(1200)
    progress.update(800)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("Einlesen: 1.200 von 2.000 Profilen (60%), noch etwa ")
    assert lines[-1] == "Einlesen: 2.000 von 2.000 Profilen (100%)"
