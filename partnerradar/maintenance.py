"""Keeping database and index sound: consistency check and repair, backup and restore.

The CLI commands ``check``, ``backup`` and ``restore`` are thin layers over these
functions. All three take the writers' lock (``index.search_index.write_lock``), so
no ingest or API write runs in between; searches go on.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.search_index import choose_index_type, write_lock
from store.files import create_private_file, make_private, open_private, private_dir

BACKUP_DB = "partnerradar.db"
BACKUP_INDEX = "partnerradar.index"
MANIFEST = "manifest.json"
#: Vectors compared between index and database (all of them for small collections).
SAMPLE_VECTORS = 2000


class BackupError(RuntimeError):
    """A backup that can't be written or restored; the message is German, for people."""


@dataclass
class CheckReport:
    problems: list[str] = field(default_factory=list)
    facts: dict = field(default_factory=dict)
    repaired: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict:
        return {"ok": self.ok, "problems": self.problems, "repaired": self.repaired, **self.facts}


def check(radar, repair: bool = False) -> CheckReport:
    """Does the saved index hold exactly the stored passages? With ``repair``: rebuild it."""
    settings = radar.settings
    with write_lock(settings.index_dir):
        report = _inspect(radar)
        if repair and report.problems:
            if report.facts.get("database") != "ok":
                report.repaired.append("Datenbank beschädigt: nicht reparierbar, bitte mit "
                                       "'partnerradar restore' aus einer Sicherung zurückholen")
                return report
            backend = radar.vectors_backend
            for leftover in backend.leftover_files(settings.index_dir):
                leftover.unlink(missing_ok=True)
            for old in backend.saved_files(settings.index_dir):
                old.unlink()
            with radar._lock:
                radar._index = radar._load_index()      # rebuilt from the stored vectors and saved
            report.repaired.append(f"Index neu aufgebaut ({radar._index.vectors.ntotal} Passagen)")
            after = _inspect(radar)
            report.problems, report.facts = after.problems, after.facts
    return report


def _inspect(radar) -> CheckReport:
    report = CheckReport()
    store, settings = radar.store, radar.settings
    conn = store.conn
    integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    report.facts["database"] = integrity
    if integrity != "ok":
        report.problems.append(f"Datenbank beschädigt: {integrity}")
        return report
    backend = radar.vectors_backend
    if not backend.keeps_files:
        # The vectors are the store's own (pgvector: written with the profiles and passages in
        # one transaction each), with no index file that could fall out of step (docs/scaling.md).
        with store.snapshot():
            report.facts.update(generation=store.generation(), profiles=store.count_profiles(),
                                passages=store.count_passages(), index_file=backend.description)
        return report
    with store.snapshot():
        generation = store.generation()
        passages = store.passage_ids()
        profiles = store.count_profiles()
        orphans = conn.execute("SELECT count(*) FROM passages p LEFT JOIN profiles f ON f.id = p.profile_id "
                               "WHERE f.id IS NULL").fetchone()[0]
        empty = [r[0] for r in conn.execute(
            "SELECT id FROM profiles WHERE id NOT IN (SELECT DISTINCT profile_id FROM passages) LIMIT 10")]
        dim = store.get_meta("dim")
        bad_vectors = (conn.execute("SELECT count(*) FROM passages WHERE length(vector) != ?",
                                    (int(dim) * 4,)).fetchone()[0] if dim else 0)
        rng = np.random.default_rng(0)
        sample = (passages if len(passages) <= SAMPLE_VECTORS
                  else np.sort(rng.choice(passages, SAMPLE_VECTORS, replace=False)))
        stored = {}
        for start in range(0, len(sample), 500):
            chunk = [int(i) for i in sample[start:start + 500]]
            marks = ",".join("?" * len(chunk))
            for pid, blob in conn.execute(f"SELECT id, vector FROM passages WHERE id IN ({marks})", chunk):
                stored[pid] = np.frombuffer(blob, dtype=np.float32)
    report.facts.update(generation=generation, profiles=profiles, passages=int(len(passages)))
    if orphans:
        report.problems.append(f"{orphans} Passagen ohne Profil")
    if empty:
        report.problems.append(f"Profile ohne Passagen: {', '.join(empty)}")
    if bad_vectors:
        report.problems.append(f"{bad_vectors} Vektoren mit falscher Länge")
    leftovers = [p.name for p in backend.leftover_files(settings.index_dir)]
    if leftovers:
        report.problems.append(f"Reste eines abgebrochenen Schreibvorgangs: {', '.join(leftovers)}")
    index_type = choose_index_type(settings.index_type, len(passages), settings.approximate_above)
    path = backend.saved_file(settings.index_dir, generation)
    vectors = backend.load(settings.index_dir, generation, index_type, store=store, dim=int(dim) if dim else None)
    report.facts["index_file"] = path.name
    if vectors is None and len(passages) == 0:
        return report             # nothing stored, nothing to index
    if vectors is None:
        saved = [p.name for p in backend.saved_files(settings.index_dir)]
        report.problems.append(f"kein lesbarer Index für Generation {generation} "
                               f"(vorhanden: {', '.join(saved) or 'keiner'})")
        return report
    ids = vectors.ids()
    if len(ids) != len(passages) or not np.array_equal(ids, passages):
        missing = np.setdiff1d(passages, ids)
        extra = np.setdiff1d(ids, passages)
        report.problems.append(f"Index und Datenbank weichen ab: {len(missing)} Passagen fehlen im Index, "
                               f"{len(extra)} sind zu viel")
        return report
    differing = 0
    for pid, vector in stored.items():
        if not np.allclose(vectors.reconstruct(np.array([pid], dtype=np.int64))[0], vector, atol=1e-5):
            differing += 1
    if differing:
        report.problems.append(f"{differing} von {len(stored)} geprüften Vektoren im Index "
                               f"weichen von der Datenbank ab")
    report.facts["vectors_compared"] = len(stored)
    return report


# -- backup and restore -------------------------------------------------------------

def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _embedded_only(radar, what: str) -> None:
    """Backup and restore copy the embedded SQLite database; on PostgreSQL every table lives
    in that database (docs/scaling.md), which its own tools back up consistently."""
    if radar.store.engine == "postgresql":
        raise BackupError(f"Die Daten liegen in PostgreSQL (PARTNERRADAR_DATABASE_URL): bitte mit "
                          f"pg_dump/pg_restore {what}; „partnerradar backup/restore“ gilt nur für SQLite.")


def backup(radar, target: str | os.PathLike) -> dict:
    """Database (SQLite online backup) and its index into the new folder ``target``."""
    _embedded_only(radar, "sichern")
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} ist nicht leer; bitte einen neuen Ordner angeben")
    private_dir(target)
    db_copy = create_private_file(target / BACKUP_DB)   # SQLite would create it 0644
    with write_lock(radar.settings.index_dir):
        destination = sqlite3.connect(db_copy)
        try:
            radar.store.conn.backup(destination)       # a consistent copy while readers go on
            destination.execute("PRAGMA journal_mode=DELETE")   # one self-contained file, no -wal
        finally:
            destination.close()
        generation = radar.store.generation()
        index_file = radar.vectors_backend.saved_file(radar.settings.index_dir, generation)
        files = [BACKUP_DB]
        if index_file is not None and index_file.exists():
            private_dir(target / BACKUP_INDEX)
            shutil.copy2(index_file, target / BACKUP_INDEX / index_file.name)
            make_private(target / BACKUP_INDEX / index_file.name)
            files.append(f"{BACKUP_INDEX}/{index_file.name}")
    copy = sqlite3.connect(db_copy)
    try:
        profiles = copy.execute("SELECT count(*) FROM profiles").fetchone()[0]
    finally:
        copy.close()
    manifest = {"format": 1, "created_at": time.time(), "generation": generation, "profiles": profiles,
                "files": {name: _sha256(target / name) for name in files}}
    with open_private(target / MANIFEST, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(manifest, indent=2))
    return manifest


def _backup_name_allowed(name, file_pattern) -> bool:
    """The only names a manifest may list: what ``backup`` writes, inside the backup folder
    (the database, and a saved file of the vector backend in use, if it keeps any)."""
    if not isinstance(name, str):
        return False
    if name == BACKUP_DB:
        return True
    folder, _, base = name.partition("/")
    return (folder == BACKUP_INDEX and file_pattern is not None and "/" not in base
            and base not in ("", ".", "..") and file_pattern.fullmatch(base) is not None)


def _check_backup_name(source: Path, name, file_pattern) -> None:
    """Refuse a manifest entry that names anything but a file ``backup`` wrote in ``source``.

    A manifest is data from a folder someone handed over: ``../`` or an absolute path in it,
    or a symlink in the folder, would make restore read (and install as the live index or
    database) a file from anywhere on the machine."""
    refused = BackupError(f"Sicherung abgelehnt: unzulässiger Dateiname „{name}“ in {MANIFEST} "
                          f"(erlaubt sind nur {BACKUP_DB} und die Indexdatei in {BACKUP_INDEX}/ im "
                          f"Sicherungsordner); nichts wurde wiederhergestellt")
    if not _backup_name_allowed(name, file_pattern):
        raise refused
    root = source.resolve()
    path = source / name
    for part in (path, path.parent):
        if part.is_symlink():
            raise refused
    try:
        path.resolve().relative_to(root)
    except ValueError:
        raise refused from None


def restore(radar, source: str | os.PathLike) -> dict:
    """Replace the database's content by the backup in ``source``; running servers follow.

    The restored database gets a generation above every one the live database had, so
    no process keeps an index of the old content believing it current.
    """
    _embedded_only(radar, "zurückspielen")
    source = Path(source)
    try:
        manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
        files = manifest["files"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BackupError(f"{source} ist keine Partnerradar-Sicherung ({MANIFEST} fehlt oder ist kaputt)") from exc
    if not isinstance(files, dict) or BACKUP_DB not in files:
        raise BackupError(f"{source} ist keine Partnerradar-Sicherung ({MANIFEST} nennt keine Datenbank)")
    for name in files:
        _check_backup_name(source, name, radar.vectors_backend.file_pattern)
    for name, digest in files.items():
        path = source / name
        if not path.is_file() or _sha256(path) != digest:
            raise BackupError(f"Sicherung beschädigt: {name} fehlt oder wurde verändert")
    backup_conn = sqlite3.connect(f"file:{source / BACKUP_DB}?mode=ro", uri=True)
    try:
        integrity = backup_conn.execute("PRAGMA integrity_check").fetchone()[0]
        if integrity != "ok":
            raise BackupError(f"Sicherung beschädigt: {integrity}")
        settings = radar.settings
        with write_lock(settings.index_dir):
            live = radar.store.generation()
            backup_conn.backup(radar.store.conn)
            generation = max(live, int(manifest["generation"])) + 1
            radar.store.conn.execute("UPDATE meta SET value=? WHERE key='generation'", (str(generation),))
            backend = radar.vectors_backend
            for old in backend.saved_files(settings.index_dir):
                old.unlink()
            saved = [n for n in files if n.startswith(BACKUP_INDEX + "/")]
            target = backend.saved_file(settings.index_dir, generation)
            if saved and target is not None:
                tmp = settings.index_dir / f".{target.name}.{os.getpid()}.tmp"
                shutil.copy2(source / saved[0], tmp)
                make_private(tmp)
                os.replace(tmp, target)
            with radar._lock:
                radar._index = None
    finally:
        backup_conn.close()
    return {"generation": generation, "profiles": radar.store.count_profiles()}
