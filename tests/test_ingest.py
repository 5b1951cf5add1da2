"""Ingest: files in the formats people really have, bad rows reported by line, re-ingest and delete."""
from __future__ import annotations

import csv
import json

import pytest

from ingest.readers import UnusableFile
from ingest.schema import derive_id
from tests.both_deployments import small_radar  # noqa: F401  (the store's tests on both deployments)
from tests.conftest import (BROKEN_CSV, DUPES_CSV, JSONL, SMALL_CSV, ids_of, make_radar,
                            search)

HEADER = "id,name,kind,description,offers,seeks,keywords,street,postcode,town,website,contact_name,contact_email,listed"

LASER_ROW = ("z-laser", "Laserzentrum Erzgebirge GmbH", "kmu",
             "Wir übernehmen das Laserstrahlschweißen von Aluminiumgehäusen für Elektromotoren. "
             "Für die Instandhaltungsplanung unserer Kunden liefern wir Prüfprotokolle jeder Schweißnaht.",
             "Laserstrahlschweißen; Schweißnahtprüfung", "Partner für Instandhaltungsplanung",
             "Laserstrahlschweißen; Aluminium", "Hauptstraße 5", "09456", "Annaberg-Buchholz", "",
             "Jürgen Weiß", "j.weiss@laserzentrum.example", "ja")
BAKERY_ROW = ("z-baeck", "Bäckerei Schönfeld & Söhne", "kmu",
              "Die Bäckerei backt Stollen und Lebkuchen nach Rezepten aus dem Erzgebirge. "
              "Für die Großküche suchen wir einen Partner für energiesparende Backöfen.",
              "Stollen; Lebkuchen; Weihnachtsgebäck", "Energieberatung für Backöfen",
              "Stollen; Bäckerei", "Marktstraße 1", "01069", "Dresden", "", "Grete Süß",
              "grete@baeckerei.example", "ja")


def write_csv(path, rows, delimiter=",", encoding="utf-8", header=HEADER):
    lines = [header.replace(",", delimiter)]
    for row in rows:
        buf = []
        for value in row:
            if delimiter in value or '"' in value:
                value = '"' + value.replace('"', '""') + '"'
            buf.append(value)
        lines.append(delimiter.join(buf))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


# -- formats -----------------------------------------------------------------------

@pytest.mark.parametrize("delimiter", [",", ";"])
def test_csv_with_comma_or_semicolon_is_read_and_searchable(tmp_path, encoder, delimiter):
    radar = make_radar(tmp_path / "p.db", encoder)
    path = write_csv(tmp_path / "profile.csv", [LASER_ROW, BAKERY_ROW], delimiter=delimiter)

    report = radar.ingest(path)

    assert (report.read, report.inserted, report.rejected) == (2, 2, [])
    laser = radar.get_profile("z-laser")
    assert laser["name"] == "Laserzentrum Erzgebirge GmbH"
    assert laser["offers"] == "Laserstrahlschweißen; Schweißnahtprüfung"
    assert laser["landkreis"] == "Erzgebirgskreis"
    hits = search(radar, query="Stollen und Lebkuchen aus dem Erzgebirge", limit=1)
    assert ids_of(hits) == ["z-baeck"]


def test_windows_1252_file_keeps_umlauts_and_eszett(tmp_path, encoder):
    radar = make_radar(tmp_path / "p.db", encoder)
    path = write_csv(tmp_path / "excel_export.csv", [LASER_ROW, BAKERY_ROW], delimiter=";",
                     encoding="cp1252")
    assert "ä".encode("utf-8") not in path.read_bytes()   # really a Windows-1252 file

    report = radar.ingest(path)

    assert report.inserted == 2 and report.rejected == []
    bakery = radar.get_profile("z-baeck")
    assert bakery["name"] == "Bäckerei Schönfeld & Söhne"
    assert bakery["contact_name"] == "Grete Süß"
    assert "Großküche" in bakery["description"] and "energiesparende Backöfen" in bakery["description"]
    assert "\ufffd" not in json.dumps(bakery, ensure_ascii=False)
    hit = search(radar, query="Großküche mit energiesparenden Backöfen", limit=1)[0]
    assert hit["id"] == "z-baeck" and hit["name"] == "Bäckerei Schönfeld & Söhne"


def test_excel_export_with_german_headers_aliases_and_lost_leading_zero(tmp_path, encoder):
    radar = make_radar(tmp_path / "p.db", encoder)
    path = tmp_path / "Partnerliste Sachsen.csv"
    path.write_bytes((
        "Firma;Art;Beschreibung;Angebot;PLZ;Ort;E-Mail;Gelistet\r\n"
        "Frästechnik Größel GmbH;Unternehmen;Wir fräsen Präzisionsbauteile für den Sondermaschinenbau.;"
        '"Fräsen; Schleifen";9111;Chemnitz;info@groessel.example;Ja\r\n'
        "Institut für Oberflächentechnik Dresden;Forschungseinrichtung;Das Institut entwickelt "
        "Verschleißschutzschichten für Umformwerkzeuge.;Beschichtungsprüfung;1069.0;Dresden;;nein\r\n"
    ).encode("cp1252"))

    report = radar.ingest(path)

    assert report.rejected == [] and report.inserted == 2
    rows = {p["name"]: p for p in (radar.store.get_profile(r[0]) for r in radar.store.profile_table())}
    firm = rows["Frästechnik Größel GmbH"]
    assert (firm["kind"], firm["postcode"], firm["landkreis"], firm["listed"]) == ("kmu", "09111", "Chemnitz", True)
    assert firm["contact_email"] == "info@groessel.example" and firm["offers"] == "Fräsen; Schleifen"
    institute = rows["Institut für Oberflächentechnik Dresden"]
    assert (institute["kind"], institute["postcode"], institute["listed"]) == ("research", "01069", False)


def test_utf8_file_with_byte_order_mark(tmp_path, encoder):
    radar = make_radar(tmp_path / "p.db", encoder)
    path = tmp_path / "bom.csv"
    write_csv(path, [LASER_ROW])
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())

    report = radar.ingest(path)

    assert report.inserted == 1 and report.rejected == []
    assert radar.get_profile("z-laser")["contact_name"] == "Jürgen Weiß"


def test_json_lines_with_comments_numbers_and_bad_lines(tmp_path, encoder):
    radar = make_radar(tmp_path / "p.db", encoder)

    report = radar.ingest(JSONL)

    assert report.inserted == 3
    assert [(r.line, r.reason.split(" in Spalte")[0]) for r in report.rejected] == [
        (6, "Ungültiges JSON"), (7, "Erwartet wird ein JSON-Objekt pro Zeile")]
    cheese = radar.get_profile("js-kaese")
    assert cheese["postcode"] == "01445"                      # number without the leading zero
    assert cheese["name"] == "Käserei Lößnitzgrund eG" and cheese["landkreis"] == "Meißen"
    assert radar.get_profile("js-orgel")["kind"] == "kmu"    # "Unternehmen" is a kind alias
    derived = derive_id("Forschungsstelle Flußauenökologie", "04808")
    flood = radar.get_profile(derived)
    assert flood["kind"] == "research" and flood["listed"] is False
    assert ids_of(search(radar, query="Reifungsüberwachung von Rohmilchkäse", limit=1)) == ["js-kaese"]
    # listed: false in JSON keeps it out of search
    assert derived not in ids_of(search(radar, query="Weichholzauen an der Mulde", limit=10))


# -- broken rows -------------------------------------------------------------------

EXPECTED_REJECTS = [
    (4, "name fehlt"),
    (5, "Unbekannte Art „backstube“ in kind (erwartet: kmu, research, startup, other)"),
    (6, "Unlesbare Postleitzahl „12a45“ (erwartet: fünf Ziffern)"),
    (8, "Unbekannte Postleitzahl „99999“"),
    (9, "9 Felder, aber die Kopfzeile hat 8 („,“ ohne Anführungszeichen in einem Wert?)"),
    (10, "Ungültige E-Mail-Adresse „keine-adresse.de“ in contact_email"),
    (13, "Kein Text zum Abgleichen (description, offers, seeks und keywords sind alle leer)"),
]


def test_broken_rows_are_reported_with_line_and_reason_and_good_rows_go_in(tmp_path, encoder):
    radar = make_radar(tmp_path / "p.db", encoder)

    report = radar.ingest(BROKEN_CSV)

    assert report.read == 10
    assert report.inserted == 3
    got = [(r.line, r.reason) for r in report.rejected]
    assert [line for line, _ in got] == [line for line, _ in EXPECTED_REJECTS]
    for (line, reason), (_, expected) in zip(got, EXPECTED_REJECTS):
        assert reason.startswith(expected), (line, reason)
    # The human form the CLI prints: FILE:LINE: reason
    assert str(report.rejected[0]) == f"{BROKEN_CSV}:4: name fehlt"

    assert sorted(radar.store.content_hashes()) == ["f-gut1", "f-gut2", "f-gut3"]
    for query, expected_id in [("Präzisionsdrehteile aus Messing für die Medizintechnik", "f-gut1"),
                               ("Feuchtesensoren zur Überwachung von Brücken", "f-gut2"),
                               ("Kühlhäuser mit natürlichen Kältemitteln warten", "f-gut3")]:
        assert ids_of(search(radar, query=query, limit=1)) == [expected_id], query
    # the quoted value spanning two lines arrived whole
    assert "Außerdem warten wir Kühlhäuser" in radar.get_profile("f-gut3")["description"]


def test_rejected_rows_are_kept_in_the_table_and_in_a_rejects_file(tmp_path, encoder, store_url):
    radar = make_radar(tmp_path / "p.db", encoder, database_url=store_url)

    report = radar.ingest(BROKEN_CSV)

    stored = sorted((r["line"], r["reason"], r["raw"]) for r in radar.store.rejects())
    assert [line for line, _, _ in stored] == [line for line, _ in EXPECTED_REJECTS]
    raw_by_line = {line: raw for line, _, raw in stored}
    assert "Formenbau Zahlendreher GmbH" in raw_by_line[6] and "12a45" in raw_by_line[6]
    assert "überzählig" in raw_by_line[9]

    rejects_file = tmp_path / "p.rejects" / "profile_fehlerhaft.rejects.csv"
    assert report.rejects_file == str(rejects_file)
    with rejects_file.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["line"]) for r in rows] == [line for line, _ in EXPECTED_REJECTS]
    assert rows[1]["reason"].startswith("Unbekannte Art „backstube“")
    assert "Bäckerei Ungültig GmbH" in rows[1]["raw"]


def test_a_nul_byte_in_a_rejected_row_is_kept_aside_with_its_line(tmp_path, encoder, store_url):
    """A NUL after the first 4 KiB (the binary check) reaches the rejected row's raw line;
    PostgreSQL text can't hold it, and the ingest used to fail there."""
    radar = make_radar(tmp_path / "p.db", encoder, database_url=store_url)
    path = tmp_path / "mit_nullbyte.csv"
    filler = "".join(f"Bäckerei Nummer {n:03d} mit langem Namen GmbH;backstube;Wir backen Brot.\n" for n in range(60))
    path.write_bytes(("name;kind;description\n" + filler + "Böse\x00 GmbH;backstube;Text\n").encode("utf-8"))
    assert path.read_bytes().index(b"\x00") > 4096

    report = radar.ingest(path)

    assert len(report.rejected) == 61 and report.inserted == 0
    stored = {r["line"]: r["raw"] for r in radar.store.rejects()}
    assert stored[62].startswith("Böse") and stored[62].endswith("GmbH;backstube;Text")


def test_a_postcode_that_does_not_exist_or_lies_far_from_its_town_is_kept_aside(tmp_path, encoder):
    """A postcode that is no postcode ("99999 Chemnitz") used to be placed at the town by the
    name alone, and one of another town ("01067 Chemnitz": Dresden) in that other town; the
    profile then showed up in searches of the wrong region. Both rows are kept aside, in
    German, with their lines; the rest goes in, villages with a shared name included."""
    radar = make_radar(tmp_path / "p.db", encoder)
    nowhere = ("z-nirgends", "Metallbau Nirgendwo GmbH", "kmu", "Stahlbau und Schlosserarbeiten für Hallen.",
               "", "", "", "", "99999", "Chemnitz", "", "", "", "ja")
    elsewhere = ("z-woanders", "Drehteile Woanders GmbH", "kmu", "Präzisionsdrehteile aus Edelstahl.",
                 "", "", "", "", "01067", "Chemnitz", "", "", "", "ja")
    # Gersdorf lies at 04703 (Leisnig) and near Hohenstein-Ernstthal: a village's name tells nothing
    village = ("z-dorf", "Hofladen Gersdorf", "kmu", "Der Hofladen verkauft Milch und Käse vom eigenen Hof.",
               "", "", "", "", "04703", "Gersdorf", "", "", "", "ja")
    # outside Saxony the gazetteer knows no town names: Frankenberg (Eder) is not Frankenberg/Sa.
    hessian = ("z-eder", "Holzbau Frankenberg (Eder) GmbH", "kmu", "Holzrahmenbau für Kindergärten.",
               "", "", "", "", "35066", "Frankenberg", "", "", "", "ja")
    path = write_csv(tmp_path / "profile.csv", [LASER_ROW, nowhere, elsewhere, village, hessian, BAKERY_ROW])

    report = radar.ingest(path)

    assert [(r.line, r.reason) for r in report.rejected] == [
        (3, "Unbekannte Postleitzahl „99999“ zum Ort „Chemnitz“: bitte berichtigen oder leer lassen "
            "(dann zählt der Ort)"),
        (4, "Postleitzahl „01067“ passt nicht zum Ort „Chemnitz“ (01067 liegt bei Dresden, 61 km entfernt): "
            "bitte Postleitzahl oder Ort berichtigen")]
    assert sorted(radar.store.content_hashes()) == ["z-baeck", "z-dorf", "z-eder", "z-laser"]
    assert radar.get_profile("z-laser")["landkreis"] == "Erzgebirgskreis"
    assert radar.get_profile("z-eder")["landkreis"] == ""
    assert sorted(r["line"] for r in radar.store.rejects()) == [3, 4]


def test_same_organisation_twice_in_one_file_is_rejected_the_second_time(tmp_path, encoder):
    radar = make_radar(tmp_path / "p.db", encoder)
    path = tmp_path / "doppelt.csv"
    path.write_text("name;kind;description;postcode\n"
                    "Drechslerei Größchen;kmu;Die Drechslerei dreht Räuchermännchen aus Lindenholz.;09548\n"
                    "Gießerei Wölfel;kmu;Die Gießerei gießt Zinnfiguren.;09548\n"
                    "Drechslerei Größchen;kmu;Neue Räucherfiguren mit Überlänge.;09548\n", encoding="utf-8")

    report = radar.ingest(path)

    assert report.inserted == 2
    assert [(r.line, r.reason) for r in report.rejected] == [
        (4, f"Doppelte id „{derive_id('Drechslerei Größchen', '09548')}“ (zuerst in Zeile 2)")]
    assert "Räuchermännchen" in radar.get_profile(derive_id("Drechslerei Größchen", "09548"))["description"]


def test_settings_accept_the_database_path_as_a_string(tmp_path, encoder):
    from partnerradar.config import Settings
    from partnerradar.radar import Radar

    radar = Radar(Settings(db_path=str(tmp_path / "p.db")), encoder=encoder)
    assert radar.ingest(SMALL_CSV).inserted == 12


@pytest.mark.parametrize("content, message", [
    ("firma_name;art;beschreibung\nMüller GmbH;kmu;Schweißen\n", "Spalte name fehlt"),
    ("", "Datei ist leer"),
])
def test_a_file_without_name_column_or_content_is_unusable_and_nothing_is_written(
        tmp_path, encoder, content, message, store_url):
    radar = make_radar(tmp_path / "p.db", encoder, database_url=store_url)
    path = tmp_path / "unbrauchbar.csv"
    path.write_text(content, encoding="utf-8")
    generation = radar.store.generation()

    with pytest.raises(UnusableFile, match=message):
        radar.ingest(path)

    assert radar.store.count_profiles() == 0 and radar.store.generation() == generation


def test_missing_file_is_unusable(tmp_path, encoder):
    radar = make_radar(tmp_path / "p.db", encoder)
    with pytest.raises(UnusableFile, match="Datei nicht gefunden"):
        radar.ingest(tmp_path / "gibt_es_nicht.csv")


# -- re-ingest, update, delete -----------------------------------------------------

def test_reingesting_the_same_file_changes_nothing(small_radar):
    radar = small_radar
    generation = radar.store.generation()
    files = sorted(p.name for p in radar.settings.index_dir.glob("*.faiss"))
    before = {r[0]: r for r in radar.store.conn.execute("SELECT id, content_hash, updated_at FROM profiles")}

    report = radar.ingest(SMALL_CSV)

    assert (report.read, report.inserted, report.updated, report.unchanged) == (12, 0, 0, 12)
    assert radar.store.generation() == generation
    after = {r[0]: r for r in radar.store.conn.execute("SELECT id, content_hash, updated_at FROM profiles")}
    assert after == before
    assert sorted(p.name for p in radar.settings.index_dir.glob("*.faiss")) == files


def test_derived_id_is_stable_across_reingests(tmp_path, encoder, small_radar):
    derived = derive_id("Glasveredelung Müller & Söhne", "08523")
    assert small_radar.get_profile(derived)["town"] == "Plauen"

    # The same file in another database gives the same id; re-ingest keeps it.
    other = make_radar(tmp_path / "andere.db", encoder)
    other.ingest(SMALL_CSV)
    assert other.get_profile(derived)["name"] == "Glasveredelung Müller & Söhne"
    report = small_radar.ingest(SMALL_CSV)
    assert derived in report.ids and report.inserted == 0
    assert small_radar.store.count_profiles() == 12


def test_changing_one_row_updates_that_profile_and_its_passages(tmp_path, small_radar):
    radar = small_radar
    old_text = "Wir möchten die Haltbarkeit von Sauerteigbroten ohne Zusatzstoffe verlängern."
    new_text = "Neu ist unsere Speiseeisherstellung mit Heidelbeeren aus der Dübener Heide."
    changed = tmp_path / "profile_geaendert.csv"
    changed.write_text(SMALL_CSV.read_text(encoding="utf-8").replace(old_text, new_text), encoding="utf-8")
    untouched_before = radar.store.passages_for("kl-laser")

    report = radar.ingest(changed)

    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 11)
    texts = " ".join(p["text"] for p in radar.store.passages_for("kl-baeck"))
    assert "Speiseeisherstellung" in texts and "Sauerteigbroten" not in texts
    assert [p["id"] for p in radar.store.passages_for("kl-laser")] == [p["id"] for p in untouched_before]
    assert radar.index.vectors.ntotal == radar.store.count_passages()

    hit = search(radar, query="Speiseeisherstellung mit Heidelbeeren", limit=1)[0]
    assert hit["id"] == "kl-baeck"
    assert "Speiseeisherstellung" in hit["explanation"]["best_sentence"]
    # The old sentence is gone from what a search can show.
    for hit in search(radar, query="Haltbarkeit von Sauerteigbroten ohne Zusatzstoffe", limit=12):
        assert "Sauerteigbroten" not in hit["explanation"]["best_sentence"]


def test_delete_removes_profile_from_database_and_index(small_radar):
    radar = small_radar
    query = "Wasserstoffspeicherung in Metallhydriden und Druckbehältern"
    assert ids_of(search(radar, query=query, limit=1)) == ["kl-wasser"]
    passages_before = radar.store.count_passages()
    own = len(radar.store.passages_for("kl-wasser"))
    assert own > 0

    assert radar.delete(["kl-wasser"]) == 1

    assert radar.store.get_profile("kl-wasser") is None
    assert radar.store.passages_for("kl-wasser") == []
    assert radar.store.count_passages() == passages_before - own
    assert radar.index.vectors.ntotal == passages_before - own
    assert "kl-wasser" not in ids_of(search(radar, query=query, limit=20))
    # A new Radar on the same files (e.g. the server after restart) agrees.
    fresh = make_radar(radar.settings.db_path, radar.encoder, radar.settings.database_url)
    assert fresh.index.vectors.ntotal == passages_before - own
    assert "kl-wasser" not in ids_of(search(fresh, query=query, limit=20))


def test_deleting_an_unknown_id_removes_nothing(small_radar):
    assert small_radar.delete(["gibt-es-nicht"]) == 0
    assert small_radar.store.count_profiles() == 12


# -- near-duplicates ---------------------------------------------------------------

def test_near_duplicates_are_reported_but_not_merged_by_default(tmp_path, encoder, store_url):
    radar = make_radar(tmp_path / "p.db", encoder, database_url=store_url)

    report = radar.ingest(DUPES_CSV)

    pairs = {frozenset((d.a, d.b)) for d in report.duplicates}
    assert pairs == {frozenset(("d-tud-kurz", "d-tud-lang"))}
    assert report.merged == []
    assert radar.store.count_profiles() == 3
    assert {frozenset((d.a, d.b)) for d in radar.duplicates()} == pairs


def test_near_duplicates_are_merged_with_merge_duplicates(tmp_path, encoder, store_url):
    radar = make_radar(tmp_path / "p.db", encoder, database_url=store_url)

    report = radar.ingest(DUPES_CSV, merge_duplicates=True)

    assert report.merged == [("d-tud-lang", "d-tud-kurz")]      # the richer profile is kept
    assert radar.store.get_profile("d-tud-kurz") is None
    kept = radar.get_profile("d-tud-lang")
    assert kept["name"] == "Technische Universität Dresden"
    assert "Rührreibschweißen" in kept["description"]           # text of the merged one survives
    assert kept["extra"]["merged_from"] == "d-tud-kurz"
    assert radar.store.count_profiles() == 2
    assert radar.index.vectors.ntotal == radar.store.count_passages()
    hits = search(radar, query="Rührreibschweißen von Magnesiumlegierungen", limit=3)
    assert hits[0]["id"] == "d-tud-lang"
    assert "d-tud-kurz" not in ids_of(hits)
    assert radar.duplicates() == []


def test_duplicates_of_new_names_are_those_of_the_whole_store_that_involve_them():
    from ingest.dedupe import find_duplicates
    names = {"a": "Technische Universität Dresden", "b": "TU Dresden", "c": "Fraunhofer IWS",
             "d": "Fraunhofer-Institut für Werkstoff- und Strahltechnik IWS", "e": "Bäckerei Süßmilch GmbH",
             "f": "Bäckerei Süßmilch", "g": "Fraunhofer IWS Dresden"}
    everything = find_duplicates(names)
    assert len(everything) >= 4
    for new in (["b"], ["d", "f"], ["g"], ["a", "c", "e"]):
        assert find_duplicates(names, among=new) == [p for p in everything if p.a in new or p.b in new]


def test_sister_firms_branches_and_units_of_one_body_are_not_reported_as_duplicates():
    """The shapes of the wrong "Mögliche Dublette" lines on the real EFRE and PT-DESY lists
    (fictitious names here): same leading acronym, branch offices, numbered units, chairs."""
    from ingest.dedupe import find_duplicates

    names = {
        "adz1": "ADZ Lüftungsbau Leipzig GmbH", "adz2": "ADZ Sensortechnik GmbH",
        "gvg1": "GVG Diagnostik GmbH", "gvg2": "GVG Umweltmonitoring GmbH",
        "nl1": "Freistaat Sachsen, Landesamt für Straßenbau, NL Bautzen",
        "nl2": "Freistaat Sachsen, Landesamt für Straßenbau, NL Plauen",
        "lt1": "Landestalsperrenverwaltung 20 (OE)", "lt2": "Landestalsperrenverwaltung 40 (OE)",
        "ch1": "Universität Musterstadt - Fakultät Physik - Institut für Experimentalphysik I",
        "ch2": "Universität Musterstadt - Fakultät Physik - Institut für Experimentalphysik II",
        "ch3": "Universität Musterstadt - Fakultät Physik",
        "kit1": "Musterstädter Institut für Technologie (MIT) - Institut für Theoretische Physik",
        "kit2": "Musterstädter Institut für Technologie (MIT) - Institut für Theoretische Teilchenphysik",
    }
    towns = {"adz1": "Leipzig", "adz2": "Ottendorf-Okrilla", "gvg1": "Leipzig", "gvg2": "Leipzig",
             "nl1": "Bautzen", "nl2": "Plauen"}
    assert find_duplicates(names, towns) == []
    # ... while real duplicates are still found.
    names.update({"tu1": "TU Dresden", "tu2": "Technische Universität Dresden",
                  "iws1": "Fraunhofer IWS", "iws2": "Fraunhofer-Institut für Werkstoff- und Strahltechnik IWS",
                  "mbi1": "Forschungsverbund Berlin e.V. - Max-Born-Institut für Nichtlineare Optik",
                  "mbi2": "Max-Born-Institut für Nichtlineare Optik (MBI) im Forschungsverbund Berlin e.V."})
    found = {(p.a, p.b) for p in find_duplicates(names, towns)}
    assert found == {("tu1", "tu2"), ("iws1", "iws2"), ("mbi1", "mbi2")}
