"""``partnerradar check`` finds and repairs a broken index; backup and restore round-trip."""
from __future__ import annotations

import json

import faiss
import numpy as np
import pytest
from click.testing import CliRunner

from partnerradar.cli import main
from partnerradar.maintenance import BackupError, backup, check, restore
from tests.conftest import ids_of, make_radar, search

QUERY = "Laserstrahlschweißen von Aluminium im Leichtbau"


def cli(*args):
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_check_passes_on_a_sound_database(small_radar, cli_encoder):
    code, out = cli("check", "--db", str(small_radar.settings.db_path))
    assert code == 0 and "In Ordnung: 12 Profile" in out


def _index_file(radar):
    return radar.settings.index_dir / f"vectors-g{radar.store.generation()}.faiss"


@pytest.mark.parametrize("damage, problem", [
    ("drop_vector", "1 Passagen fehlen im Index"),
    ("wrong_vector", "weichen von der Datenbank ab"),
    ("missing_file", "kein lesbarer Index"),
    ("garbage_file", "kein lesbarer Index"),
    ("leftover_tmp", "abgebrochenen Schreibvorgangs"),
])
def test_check_finds_damage_and_repair_fixes_it(small_radar, cli_encoder, damage, problem):
    radar = small_radar
    path = _index_file(radar)
    index = faiss.read_index(str(path))
    first = int(faiss.vector_to_array(index.id_map)[0])
    if damage == "drop_vector":
        index.remove_ids(np.array([first], dtype=np.int64))
        faiss.write_index(index, str(path))
    elif damage == "wrong_vector":
        vector = index.reconstruct(first)
        index.remove_ids(np.array([first], dtype=np.int64))
        index.add_with_ids(-vector[None, :], np.array([first], dtype=np.int64))
        faiss.write_index(index, str(path))
    elif damage == "missing_file":
        path.unlink()
    elif damage == "garbage_file":
        path.write_bytes(b"kein FAISS-Index")
    else:
        (radar.settings.index_dir / ".vectors-g99.4711.tmp").write_bytes(b"halb geschrieben")
    db = str(radar.settings.db_path)

    code, out = cli("check", "--db", db)
    assert code == 1 and problem in out

    code, out = cli("check", "--repair", "--db", db)
    assert code == 0 and "Repariert: Index neu aufgebaut" in out
    assert cli("check", "--db", db)[0] == 0
    fresh = make_radar(radar.settings.db_path, cli_encoder)
    assert ids_of(search(fresh, query=QUERY, limit=2))[0] in ("kl-laser", "kl-schweissforschung")


def test_check_json_report(small_radar, cli_encoder):
    code, out = cli("check", "--json", "--db", str(small_radar.settings.db_path))
    report = json.loads(out)
    assert code == 0 and report["ok"] and report["profiles"] == 12
    assert report["vectors_compared"] == report["passages"] > 12


def test_backup_and_restore_round_trip(small_radar, tmp_path, encoder):
    radar = small_radar
    from tests.access_helpers import api_key
    key = api_key(radar, "admin")
    before = {pid: radar.get_profile(pid) for pid in ("kl-laser", "kl-holz", "kl-verborgen")}
    top = ids_of(search(radar, query=QUERY, limit=5))

    manifest = backup(radar, tmp_path / "sicherung")
    assert manifest["profiles"] == 12
    assert (tmp_path / "sicherung" / "partnerradar.db").exists()

    # life goes on, then something goes wrong
    radar.delete(["kl-laser", "kl-holz"])
    radar.save([{"id": "nach-sicherung", "name": "Späterer Eintrag GmbH", "kind": "kmu",
                 "description": "Laserstrahlschweißen von Aluminium im Leichtbau für Karosserien."}])
    other_process = make_radar(radar.settings.db_path, encoder)      # like a running server
    assert "nach-sicherung" in ids_of(search(other_process, query=QUERY, limit=3))

    result = restore(radar, tmp_path / "sicherung")

    assert result["profiles"] == 12
    for pid, profile in before.items():
        restored = radar.get_profile(pid)
        assert {k: restored[k] for k in profile if k != "updated_at"} == \
               {k: v for k, v in profile.items() if k != "updated_at"}
    assert radar.store.get_profile("nach-sicherung") is None
    assert ids_of(search(radar, query=QUERY, limit=5)) == top
    # the other process notices without restart: the generation moved past anything it saw
    assert ids_of(search(other_process, query=QUERY, limit=5)) == top
    assert check(radar).ok
    # users and keys come back with the data
    from store.users import Users
    assert Users(radar.store).resolve_key(key) is not None


def test_backup_refuses_a_used_folder_and_restore_a_tampered_backup(small_radar, tmp_path):
    (tmp_path / "belegt").mkdir()
    (tmp_path / "belegt" / "datei.txt").write_text("x")
    with pytest.raises(BackupError, match="nicht leer"):
        backup(small_radar, tmp_path / "belegt")
    backup(small_radar, tmp_path / "ok")
    with (tmp_path / "ok" / "partnerradar.db").open("r+b") as handle:
        handle.seek(5000)
        handle.write(b"\x00\x01kaputt")
    with pytest.raises(BackupError, match="beschädigt"):
        restore(small_radar, tmp_path / "ok")
    with pytest.raises(BackupError, match="keine Partnerradar-Sicherung"):
        restore(small_radar, tmp_path / "belegt")
    assert small_radar.store.count_profiles() == 12 and check(small_radar).ok


def test_backup_and_restore_from_the_command_line(small_radar, tmp_path, cli_encoder):
    db = str(small_radar.settings.db_path)
    code, out = cli("backup", str(tmp_path / "b"), "--db", db)
    assert code == 0 and "Gesichert: 12 Profile" in out
    small_radar.delete(["kl-laser"])
    code, out = cli("restore", str(tmp_path / "b"), "--yes", "--db", db)
    assert code == 0 and "Wiederhergestellt: 12 Profile" in out
    assert make_radar(small_radar.settings.db_path, cli_encoder).store.get_profile("kl-laser") is not None


def test_restore_asks_in_german_and_understands_j(small_radar, tmp_path, cli_encoder):
    db = str(small_radar.settings.db_path)
    assert cli("backup", str(tmp_path / "b"), "--db", db)[0] == 0
    small_radar.delete(["kl-laser"])

    refused = CliRunner().invoke(main, ["restore", str(tmp_path / "b"), "--db", db], input="n\n")
    assert refused.exit_code == 1 and "[j/N]" in refused.output and "Abgebrochen" in refused.output
    assert make_radar(small_radar.settings.db_path, cli_encoder).store.get_profile("kl-laser") is None

    agreed = CliRunner().invoke(main, ["restore", str(tmp_path / "b"), "--db", db], input="j\n")
    assert agreed.exit_code == 0 and "Wiederhergestellt: 12 Profile" in agreed.output
    assert make_radar(small_radar.settings.db_path, cli_encoder).store.get_profile("kl-laser") is not None


def test_reindex_derives_outdated_terms_again_without_embedding_and_every_server_follows(
        small_on_both, encoder, tmp_path):
    """A store whose lexical terms an older version derived (here: with the firm's name in
    the keywords passage, before issue 13) is brought up to date by a plain ``reindex``: the
    name no longer matches the firm lexically, in this server and in another one following
    it, and no vector is computed again."""
    from partnerradar.config import Settings
    from partnerradar.radar import Radar

    writer = small_on_both
    analyzer = writer.analyzer
    profile = writer.get_profile("kl-laser")
    own_words = set()
    for field in ("description", "offers", "seeks", "keywords"):
        own_words |= set(analyzer.terms(profile[field] or ""))
    name_only = sorted(set(analyzer.terms(profile["name"])) - own_words)
    assert name_only, profile["name"]
    # As the version before stored them: every passage's own words, the name included.
    writer.store.rewrite_terms(lambda name, field, text: "" if field == "profile" else " ".join(analyzer.terms(text)),
                               meta={"terms_version": "1"})
    other = Radar(Settings(db_path=tmp_path / "other" / "klein.db", database_url=writer.settings.database_url)
                  if writer.settings.database_url else writer.settings, encoder=encoder)
    for radar in (writer, other):
        row = radar.index.profiles.row_of["kl-laser"]
        assert radar.index.lexical.profile_scores(name_only)[row] > 0
        assert radar.terms_outdated()
    vectors_before = writer.index.vectors.reconstruct(writer.store.passage_ids()[:5])

    result = CliRunner().invoke(main, ["reindex", "--db", str(writer.settings.db_path)],
                                env={"PARTNERRADAR_DATABASE_URL": writer.settings.database_url})
    assert result.exit_code == 0, result.output
    assert "Suchbegriffe aller Passagen neu abgeleitet" in result.output

    for radar in (writer, other):
        assert not radar.terms_outdated()
        row = radar.index.profiles.row_of["kl-laser"]
        assert radar.index.lexical.profile_scores(name_only)[row] == 0
        assert radar.index.lexical.profile_scores(analyzer.terms("Laserstrahlschweißen"))[row] > 0
        assert "kl-laser" in ids_of(search(radar, query="Laserstrahlschweißen von Aluminium", limit=3))
    np.testing.assert_array_equal(writer.index.vectors.reconstruct(writer.store.passage_ids()[:5]), vectors_before)
    again = CliRunner().invoke(main, ["reindex", "--db", str(writer.settings.db_path)],
                               env={"PARTNERRADAR_DATABASE_URL": writer.settings.database_url})
    assert "Suchbegriffe" not in again.output
