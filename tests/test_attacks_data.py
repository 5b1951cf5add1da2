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


def test_compound_splitter_work_grows_linearly_with_many_long_words(counting_analyzer):
    small_text, large_text = _distinct_compounds(20, 80), _distinct_compounds(80, 80)
    small, large = counting_analyzer(small_text), counting_analyzer(large_text)
    assert small > 0                                # these words really go through the splitter
    assert large <= 25 * len(large_text)
    assert large <= 4.5 * small + 100


def test_compound_splitting_still_meets_parts_after_the_bound():
    analyzer = get_analyzer()
    laser = set(analyzer.terms("Laserstrahlschweißen"))
    assert laser & set(analyzer.terms("Schweißtechnik"))
    assert laser & set(analyzer.terms("Laserstrahl"))
    # a long real compound (70 letters folded) is still split
    law = analyzer.split_compound("Grundstücksverkehrsgenehmigungszuständigkeitsübertragungsverordnung")
    assert law == ["grundstueck", "verkehr", "genehmigung", "zustaendigkeit", "uebertragung", "verordnung"]


def test_maximum_size_description_of_one_endless_compound_is_saved_and_found(small_radar):
    description = "Haus" * 5000                     # 20,000 characters, the documented maximum
    report = small_radar.save([{"id": "haus-endlos", "name": "Haus Endlos GmbH", "kind": "kmu",
                                "description": description}])
    assert report.rejected == [] and report.inserted == 1
    assert small_radar.get_profile("haus-endlos")["description"] == description


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


def test_rejects_file_defuses_a_formula_behind_a_zero_width_space(tmp_path, encoder):
    radar = make_radar(tmp_path / "p.db", encoder)
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


def test_backup_files_are_private(small_radar, tmp_path, open_umask):
    backup(small_radar, tmp_path / "sicherung")
    found = {p.name for p in _assert_private(tmp_path / "sicherung")}
    assert {"partnerradar.db", "manifest.json", "partnerradar.index"} <= found


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


def test_restore_refuses_a_manifest_without_the_database(small_radar, tmp_path):
    folder = tmp_path / "sicherung"
    backup(small_radar, folder)
    _tamper(folder, {})
    with pytest.raises(BackupError, match="keine Partnerradar-Sicherung"):
        restore(small_radar, folder)

