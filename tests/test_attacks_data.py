"""Attacks on the data path (issue 12): each test is named after what it attacks.

Input that costs unbounded CPU, world-readable files with the session secret, a backup
manifest that points outside its folder, formulas behind invisible characters, mixed
encodings that write mojibake, rows that cost unbounded memory, names that hide text.
Work is bounded by counting (dictionary lookups), never by timing.
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import stat
from functools import lru_cache
from pathlib import Path

import pytest

from index.analyzer import get_analyzer
from ingest.csv_safe import safe_cell
from partnerradar.maintenance import BackupError, backup, restore
from tests.both_deployments import small_radar, sqlite_only  # noqa: F401  (tests on both, but these)
from tests.conftest import make_radar, search


# -- item 7: the compound splitter ---------------------------------------------------------

class _CountingWords(frozenset):
    """The analyzer's dictionary, counting how often the splitter asks it."""
    lookups = 0

    def __contains__(self, word):
        _CountingWords.lookups += 1
        return frozenset.__contains__(self, word)


@pytest.fixture
def counting_analyzer(monkeypatch):
    analyzer = get_analyzer()
    monkeypatch.setattr(analyzer, "_words", _CountingWords(analyzer._words))
    # fresh caches: an earlier test's words must not hide the work
    monkeypatch.setattr(analyzer, "_split", lru_cache(maxsize=None)(analyzer._split_uncached))
    monkeypatch.setattr(analyzer, "_stem", lru_cache(maxsize=None)(analyzer._stem_uncached))

    def lookups_for(text: str) -> int:
        _CountingWords.lookups = 0
        analyzer.terms(text)
        return _CountingWords.lookups

    return lookups_for


def _distinct_compounds(count: int, length: int) -> str:
    """``count`` different words of ``length`` letters built from dictionary syllables."""
    syllables = ("haus", "bau", "werk", "stoff", "zeug", "licht", "kraft", "lauf", "bahn", "ring")
    words = []
    for n in range(count):
        word, k = "", n
        while len(word) < length:
            word += syllables[k % len(syllables)]
            k = k // len(syllables) + len(word)
        words.append(word[:length])
    return " ".join(words)


def test_compound_splitter_work_grows_linearly_with_an_endless_compound(counting_analyzer):
    # "Haus" × 3000 in a member's description held the write lock for 42 s
    small, large = counting_analyzer("Haus" * 50), counting_analyzer("Haus" * 200)
    assert large <= 25 * len("Haus" * 200)
    assert large <= 4.5 * small + 100


def test_compound_splitter_work_per_letter_does_not_grow_with_word_length(counting_analyzer):
    # the same 3,200 letters as 80 words of 40 letters or 40 words of 80 letters (both split):
    # the work per letter must not double with the length as it did
    short_text, long_text = _distinct_compounds(80, 40), _distinct_compounds(40, 80)
    short, long = counting_analyzer(short_text), counting_analyzer(long_text)
    assert short > 0                                # these words really go through the splitter
    assert long <= 1.4 * short
    assert long <= 25 * len(long_text)


def test_compound_splitting_still_meets_parts_after_the_bound():
    analyzer = get_analyzer()
    laser = set(analyzer.terms("Laserstrahlschweißen"))
    assert laser & set(analyzer.terms("Schweißtechnik"))
    assert laser & set(analyzer.terms("Laserstrahl"))
    # a long real compound (70 letters folded) is still split
    law = analyzer.split_compound("Grundstücksverkehrsgenehmigungszuständigkeitsübertragungsverordnung")
    assert law == ["grundstueck", "verkehr", "genehmigung", "zustaendigkeit", "uebertragung", "verordnung"]


# SQLite + FAISS only: its cost is the analyzer's and the embedder's (over a minute of embedding
# the endless word), the same on both; a 20,000-character description saved on PostgreSQL is
# test_repeated_text_is_embedded_once's.
@sqlite_only
def test_maximum_size_description_of_one_endless_compound_is_saved_and_found(small_radar):
    description = "Haus" * 5000                     # 20,000 characters, the documented maximum
    report = small_radar.save([{"id": "haus-endlos", "name": "Haus Endlos GmbH", "kind": "kmu",
                                "description": description}])
    assert report.rejected == [] and report.inserted == 1
    assert small_radar.get_profile("haus-endlos")["description"] == description


class _LockProbingEncoder:
    """The real encoder, noting whether the writers' lock was free while it embedded: the
    lock file of this working folder and, on PostgreSQL, the writers' advisory lock that all
    servers on the database share (tried from a connection of its own)."""

    def __init__(self, encoder, lock_file: Path, database_url: str = ""):
        self._encoder, self._lock_file, self._database_url = encoder, lock_file, database_url
        self.lock_free_while_embedding: list[bool] = []

    def __getattr__(self, name):
        return getattr(self._encoder, name)

    def embed_passages(self, texts, **kwargs):
        import fcntl
        free = True
        if self._lock_file.parent.exists():       # PostgreSQL: made by the first write
            with open(self._lock_file, "a") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    free = False
                else:
                    fcntl.flock(handle, fcntl.LOCK_UN)
        if self._database_url:
            import psycopg
            from store.postgres import WRITE_LOCK_KEY
            with psycopg.connect(self._database_url, autocommit=True) as conn:
                got = conn.execute("SELECT pg_try_advisory_lock(%s)", (WRITE_LOCK_KEY,)).fetchone()[0]
                if got:
                    conn.execute("SELECT pg_advisory_unlock(%s)", (WRITE_LOCK_KEY,))
                free = free and got
        self.lock_free_while_embedding.append(free)
        return self._encoder.embed_passages(texts, **kwargs)


def test_member_write_of_a_long_description_does_not_embed_under_the_write_lock(small_radar, encoder):
    # the PUT that took 42 s kept another admin's write waiting 41 s: embedding now runs
    # before the lock is taken, only the save holds it
    radar = make_radar(small_radar.settings.db_path, None, small_radar.settings.database_url)
    probe = _LockProbingEncoder(encoder, radar.settings.index_dir / "write.lock", radar.settings.database_url)
    radar._encoder = probe
    description = " ".join(f"Wir schweißen Bauteil {n} aus Aluminium für den Leichtbau." for n in range(40))
    report = radar.save([{"id": "kl-laser", "name": "Laserfügetechnik Mittweida GmbH", "kind": "kmu",
                          "description": description}])
    assert report.updated == 1
    assert probe.lock_free_while_embedding and all(probe.lock_free_while_embedding)
    assert radar.get_profile("kl-laser")["description"] == description


def test_repeated_text_is_embedded_once(small_radar, encoder):
    class Counting(_LockProbingEncoder):
        texts = 0

        def embed_passages(self, texts, **kwargs):
            Counting.texts += len(texts)
            return self._encoder.embed_passages(texts, **kwargs)

    radar = make_radar(small_radar.settings.db_path, None, small_radar.settings.database_url)
    radar._encoder = Counting(encoder, radar.settings.index_dir / "write.lock")
    sentence = "Wir schweißen Aluminium für den Leichtbau und prüfen jede Naht. "
    report = radar.save([{"id": "wiederholt", "name": "Wiederholung GmbH", "kind": "kmu",
                          "description": (sentence * 300)[:20000]}])
    assert report.inserted == 1
    assert len(radar.store.conn.execute("SELECT id FROM passages WHERE profile_id='wiederholt'").fetchall()) > 20
    assert Counting.texts <= 3


# -- item 13: formulas behind invisible characters -----------------------------------------

INVISIBLE_LEADS = ["\x0b", "\x0c", "\u3000", "\u200b", "\ufeff", "\u2028", "\u00a0\u200b", "\u202e",
                   "\x1c", "\u2060", " \t "]


@pytest.mark.parametrize("lead", INVISIBLE_LEADS, ids=[repr(x) for x in INVISIBLE_LEADS])
@pytest.mark.parametrize("formula", ['=HYPERLINK("http://boese.example","Details")', "+1+cmd|' /C calc'!A0",
                                     "-2+3", "@SUMME(A1)", "|cmd"])
def test_csv_cell_with_invisible_characters_before_a_formula_is_defused(lead, formula):
    attack = lead + formula
    assert safe_cell(attack) == "'" + attack


def test_csv_cells_with_invisible_characters_but_no_formula_stay_as_they_are():
    for text in ("\u200bMüller & Söhne", "\ufeffBäckerei", "\u3000Stollen"):
        assert safe_cell(text) == text


def test_rejects_file_defuses_a_formula_behind_a_zero_width_space(tmp_path, encoder, store_url):
    radar = make_radar(tmp_path / "p.db", encoder, database_url=store_url)
    path = tmp_path / "angriff.csv"
    path.write_text('name,kind,description\n"\u200b=HYPERLINK(""http://boese.example"")",backstube,Text\n',
                    encoding="utf-8")
    report = radar.ingest(path)
    assert len(report.rejected) == 1
    with open(report.rejects_file, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["raw"].startswith("'\u200b=HYPERLINK")


# -- item 11: who can read the files ----------------------------------------------------------

def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _assert_private(root: Path) -> list[Path]:
    found = []
    for path in [root, *root.rglob("*")]:
        if path.is_dir():
            assert _mode(path) == 0o700, (path, oct(_mode(path)))
        else:
            assert _mode(path) & 0o077 == 0, (path, oct(_mode(path)))
        found.append(path)
    return found


@pytest.fixture
def open_umask():
    old = os.umask(0o022)     # the usual default: files 0644, folders 0755
    yield
    os.umask(old)


# SQLite + FAISS only: the modes of the SQLite file, its WAL and the FAISS files.
def test_database_files_are_private(tmp_path, encoder, open_umask):
    folder = tmp_path / "daten"
    radar = make_radar(folder / "p.db", encoder)
    bad = tmp_path / "kaputt.csv"
    bad.write_text("name,kind,description\nFirma,backstube,Text\nGut GmbH,kmu,Laserschweißen\n",
                   encoding="utf-8")
    radar.ingest(bad)                                  # a rejects file, an index, a lock
    from tests.access_helpers import api_key
    api_key(radar, "admin")                            # users and the session secret
    found = {p.name for p in _assert_private(folder)}
    assert {"p.db", "p.db-wal", "p.db-shm", "p.index", "p.rejects", "kaputt.rejects.csv"} <= found
    assert any(name.endswith(".faiss") for name in found)


@sqlite_only      # the files of a backup of the SQLite file (PostgreSQL: pg_dump, see README)
def test_backup_files_are_private(small_radar, tmp_path, open_umask):
    backup(small_radar, tmp_path / "sicherung")
    found = {p.name for p in _assert_private(tmp_path / "sicherung")}
    assert {"partnerradar.db", "manifest.json", "partnerradar.index"} <= found


@sqlite_only      # the modes of the SQLite file, its WAL and the FAISS folder
def test_world_readable_database_of_an_older_version_is_made_private_on_open(small_radar, encoder):
    path = small_radar.settings.db_path
    small_radar.store.close()
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if name.exists():
            os.chmod(name, 0o644)
    os.chmod(path.with_suffix(".index"), 0o755)
    radar = make_radar(path, encoder)
    assert search(radar, query="Laserstrahlschweißen", limit=1)
    assert _mode(path) == 0o600
    for name in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        if name.exists():
            assert _mode(name) == 0o600
    assert _mode(path.with_suffix(".index")) == 0o700


# -- item 12: restore and the manifest's file names -------------------------------------------

def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tamper(folder: Path, files: dict) -> None:
    manifest_path = folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text("utf-8"))
    manifest["files"] = files
    manifest_path.write_text(json.dumps(manifest), "utf-8")


def _outside_index(small_radar, tmp_path) -> Path:
    """A file outside the backup folder, with a name like an index file."""
    generation = small_radar.store.generation()
    source = small_radar.settings.index_dir / f"vectors-g{generation}.faiss"
    outside = tmp_path / "geheim" / "vectors-g1.faiss"
    outside.parent.mkdir()
    outside.write_bytes(source.read_bytes())
    return outside


@sqlite_only      # restore of a backup of the SQLite file and its FAISS files
@pytest.mark.parametrize("kind", ["dotdot", "dotdot-inside-index", "absolute", "symlink-file",
                                  "symlink-folder"])
def test_restore_refuses_path_traversal_in_manifest(small_radar, tmp_path, kind):
    folder = tmp_path / "sicherung"
    backup(small_radar, folder)
    files = json.loads((folder / "manifest.json").read_text("utf-8"))["files"]
    outside = _outside_index(small_radar, tmp_path)
    index_name = next(n for n in files if n != "partnerradar.db")
    if kind == "dotdot":
        files = {"partnerradar.db": files["partnerradar.db"], "../geheim/vectors-g1.faiss": _sha256(outside)}
    elif kind == "dotdot-inside-index":
        files = {"partnerradar.db": files["partnerradar.db"],
                 "partnerradar.index/../../geheim/vectors-g1.faiss": _sha256(outside)}
    elif kind == "absolute":
        files = {"partnerradar.db": files["partnerradar.db"], str(outside): _sha256(outside)}
    elif kind == "symlink-file":
        (folder / index_name).unlink()
        (folder / index_name).symlink_to(outside)
        files[index_name] = _sha256(outside)
    else:
        (folder / "partnerradar.index" / Path(index_name).name).unlink()
        (folder / "partnerradar.index").rmdir()
        (folder / "partnerradar.index").symlink_to(outside.parent)
        files = {"partnerradar.db": files["partnerradar.db"],
                 "partnerradar.index/vectors-g1.faiss": _sha256(outside)}
    _tamper(folder, files)
    small_radar.delete(["kl-laser"])                  # what a restore would bring back

    with pytest.raises(BackupError, match="unzulässiger Dateiname") as caught:
        restore(small_radar, folder)

    assert "nichts wurde wiederhergestellt" in str(caught.value)
    assert small_radar.store.get_profile("kl-laser") is None
    assert small_radar.store.count_profiles() == 11


@sqlite_only      # restore of a backup of the SQLite file
def test_restore_refuses_a_manifest_without_the_database(small_radar, tmp_path):
    folder = tmp_path / "sicherung"
    backup(small_radar, folder)
    _tamper(folder, {})
    with pytest.raises(BackupError, match="keine Partnerradar-Sicherung"):
        restore(small_radar, folder)


# -- item 16: mixed encodings ------------------------------------------------------------------

HEADER = "id;name;kind;description;postcode\r\n"


def _mixed_file(path: Path, lines: list[tuple[str, str]]) -> Path:
    """A CSV whose lines are encoded one by one: [(text, encoding), ...] after the header."""
    path.write_bytes(HEADER.encode() + b"".join(text.encode(enc) + b"\r\n" for text, enc in lines))
    return path


def _stored_text(radar) -> str:
    return json.dumps([radar.get_profile(pid) for pid in radar.store.content_hashes()], ensure_ascii=False)


def test_mixed_encoding_csv_never_writes_mojibake(small_radar, tmp_path):
    before = small_radar.get_profile("kl-baeck")
    path = _mixed_file(tmp_path / "gemischt.csv", [
        ("z-lausitz;Lausitzer Schweißtechnik GmbH;kmu;Wir schweißen Stahlträger für Brücken.;02977", "utf-8"),
        ("z-nachr;Nachrüstsensorik Görlitz GmbH;kmu;Nachrüstsensorik für ältere Maschinen.;02826", "utf-8"),
        # one row saved by an old Excel in between, and it updates an existing profile
        ("kl-baeck;Großbäckerei Süßmilch GmbH;kmu;Wir backen jetzt auch glutenfreie Brötchen.;01067", "cp1252"),
        ("z-oel;Ölmühle Müglitztal GmbH;kmu;Wir pressen Rapsöl und Leinöl.;01809", "utf-8"),
    ])

    report = small_radar.ingest(path)

    assert [(r.line, r.reason.split(" ist ")[0]) for r in report.rejected] == [(4, "Zeile 4")]
    assert "kein gültiges UTF-8" in report.rejected[0].reason
    assert small_radar.get_profile("z-lausitz")["name"] == "Lausitzer Schweißtechnik GmbH"
    assert small_radar.get_profile("z-nachr")["name"] == "Nachrüstsensorik Görlitz GmbH"
    assert small_radar.get_profile("z-oel")["description"] == "Wir pressen Rapsöl und Leinöl."
    assert small_radar.get_profile("kl-baeck")["description"] == before["description"]
    assert "Ã" not in _stored_text(small_radar)
    # the rejected row is kept aside readable, as it was meant
    kept = [r for r in small_radar.store.rejects() if r["line"] == 4]
    assert "glutenfreie Brötchen" in kept[0]["raw"]


def test_windows_1252_file_with_one_utf8_row_rejects_that_row(tmp_path, encoder, store_url):
    radar = make_radar(tmp_path / "p.db", encoder, database_url=store_url)
    path = _mixed_file(tmp_path / "excel.csv", [
        ("z-a;Bäckerei Süß GmbH;kmu;Stollen und Lebkuchen aus dem Erzgebirge.;09456", "cp1252"),
        ("z-b;Größte Fräserei GmbH;kmu;Wir fräsen Aluminiumgehäuse.;09111", "utf-8"),
        ("z-c;Schönfelder Kältetechnik GmbH;kmu;Kühlhäuser mit natürlichen Kältemitteln.;01067", "cp1252"),
    ])
    report = radar.ingest(path)
    assert [r.line for r in report.rejected] == [3]
    assert "UTF-8, der Rest der Datei Windows-1252" in report.rejected[0].reason
    assert radar.get_profile("z-a")["name"] == "Bäckerei Süß GmbH"
    assert radar.get_profile("z-c")["name"] == "Schönfelder Kältetechnik GmbH"
    assert "Ã" not in _stored_text(radar)


@pytest.mark.parametrize("garbled", ["NachrÃ¼stsensorik GmbH", "GroÃŸbÃ¤ckerei SÃ¼ÃŸmilch GmbH",
                                     "â€žBäckerei“ GmbH"])
def test_mojibake_never_overwrites_a_profile(small_radar, garbled):
    before = small_radar.get_profile("kl-baeck")
    report = small_radar.save([{"id": "kl-baeck", "name": garbled, "kind": "kmu",
                                "description": before["description"]}])
    assert len(report.rejected) == 1 and "falsch dekodiertem UTF-8" in report.rejected[0].reason
    assert small_radar.get_profile("kl-baeck")["name"] == "Großbäckerei Süßmilch GmbH"


def test_mojibake_in_an_api_write_is_refused_with_a_german_message(small_radar):
    from api import create_app
    from tests.access_helpers import api_key, as_bearer
    app = create_app(small_radar.settings, radar=small_radar)
    client = as_bearer(app.test_client(), api_key(small_radar, "admin"))
    response = client.put("/api/v1/profiles/kl-baeck", json={"name": "GroÃŸbÃ¤ckerei SÃ¼ÃŸmilch GmbH"})
    assert 400 <= response.status_code < 500
    assert "falsch dekodiertem UTF-8" in response.get_json()["message"]
    assert small_radar.get_profile("kl-baeck")["name"] == "Großbäckerei Süßmilch GmbH"


# -- item 17: giant rows, rejects files, hidden characters -------------------------------------

def test_rejected_giant_row_is_kept_cut_with_a_marker(tmp_path, encoder, store_url):
    radar = make_radar(tmp_path / "p.db", encoder, database_url=store_url)
    giant = "Laser " * 600_000                           # 3.6 MB in one cell: over the row cap
    long_but_readable = "Schweißen " * 3_000             # 30,000 characters: over the field cap
    path = tmp_path / "riesig.csv"
    path.write_text("name;kind;description\n"
                    "Erste GmbH;kmu;Wir schweißen Aluminium.\n"
                    f"Riesig GmbH;kmu;{giant}\n"
                    f"Lang GmbH;kmu;{long_but_readable}\n"
                    "Dritte GmbH;kmu;Wir fräsen Stahl.\n", encoding="utf-8")

    report = radar.ingest(path)

    assert report.inserted == 2
    reasons = {r.line: r.reason for r in report.rejected}
    assert set(reasons) == {3, 4}
    assert reasons[3].startswith("Zeile ist zu lang (3.600.") and "Bytes, höchstens 1.048.576 Bytes;" in reasons[3]
    assert "aufbewahrt" in reasons[3]
    assert reasons[4].startswith("Feld description ist zu lang") and "Rohdaten gekürzt" in reasons[4]
    kept = {r["line"]: r["raw"] for r in radar.store.rejects()}
    assert kept[3].startswith("Riesig GmbH;kmu;Laser") and len(kept[3]) <= 10_100
    assert kept[4].startswith("Lang GmbH;kmu;Schweißen") and len(kept[4]) <= 10_100
    with open(report.rejects_file, encoding="utf-8", newline="") as handle:
        assert all(len(row["raw"]) <= 10_100 for row in csv.DictReader(handle))


def test_giant_row_costs_bounded_memory(tmp_path):
    import tracemalloc

    from ingest.readers import read_rows
    path = tmp_path / "eine_zeile.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("name;kind;description\nRiesig GmbH;kmu;")
        for _ in range(80):
            handle.write("Laserstrahlschweißen " * 5_000)       # 8.4 MB in one row
        handle.write("\nKlein GmbH;kmu;Wir fräsen Stahl.\n")
    tracemalloc.start()
    try:
        rows = list(read_rows(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [r.line for r in rows] == [2, 3] and rows[0].error and rows[1].record["name"] == "Klein GmbH"
    assert peak < path.stat().st_size / 2, peak


def test_rejects_files_of_two_files_with_the_same_name_do_not_overwrite_each_other(tmp_path, encoder, store_url):
    radar = make_radar(tmp_path / "p.db", encoder, database_url=store_url)
    for folder, town in (("chemnitz", "Chemnitz"), ("dresden", "Dresden")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "firmen.csv").write_text(
            f"name;kind;description\nFirma {town};backstube;Text aus {town}\n", encoding="utf-8")
    first = radar.ingest(tmp_path / "chemnitz" / "firmen.csv").rejects_file
    second = radar.ingest(tmp_path / "dresden" / "firmen.csv").rejects_file
    assert first != second
    assert "Firma Chemnitz" in Path(first).read_text("utf-8")
    assert "Firma Dresden" in Path(second).read_text("utf-8")


HIDDEN = {"right-to-left override": "Firma \u202egnalf GmbH", "left-to-right embedding": "Firma \u202aX GmbH",
          "first strong isolate": "Firma \u2068X\u2069 GmbH", "right-to-left mark": "Firma\u200f GmbH",
          "bell": "Firma\x07 GmbH", "escape sequence": "Firma \x1b[31mrot GmbH", "C1 control": "Firma\x9b GmbH"}


@pytest.mark.parametrize("name", list(HIDDEN.values()), ids=list(HIDDEN))
def test_names_with_bidi_or_control_characters_are_rejected_in_ingest(tmp_path, encoder, name, store_url):
    radar = make_radar(tmp_path / "p.db", encoder, database_url=store_url)
    path = tmp_path / "versteckt.csv"
    path.write_text(f"name;kind;description\n{name};kmu;Wir schweißen.\nGut GmbH;kmu;Wir fräsen.\n",
                    encoding="utf-8")
    report = radar.ingest(path)
    assert [r.line for r in report.rejected] == [2]
    assert "unsichtbares Steuerzeichen" in report.rejected[0].reason
    assert report.inserted == 1


def test_names_with_bidi_override_are_rejected_in_api_writes(small_radar):
    from api import create_app
    from tests.access_helpers import api_key, as_bearer
    app = create_app(small_radar.settings, radar=small_radar)
    client = as_bearer(app.test_client(), api_key(small_radar, "admin"))
    response = client.put("/api/v1/profiles/kl-baeck", json={"name": "Großbäckerei \u202eknarF GmbH"})
    assert 400 <= response.status_code < 500
    assert "U+202E" in response.get_json()["message"]
    response = client.post("/api/v1/profiles", json={"name": "Neu\u2066 GmbH", "kind": "kmu",
                                                     "description": "Wir schweißen."})
    assert 400 <= response.status_code < 500
    assert small_radar.get_profile("kl-baeck")["name"] == "Großbäckerei Süßmilch GmbH"
