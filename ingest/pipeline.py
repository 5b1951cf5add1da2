"""From rows to stored, geocoded, embedded profiles.

read -> validate -> geocode -> skip unchanged -> split into passages -> analyse ->
embed (batched) -> store, as a stream: memory is bounded by a batch, not by the file.
Bad rows are reported with file and line and kept aside (``RejectKeeper``); the good
rows go in. The index is brought up to date by the caller (``Radar``).
"""
from __future__ import annotations

import csv
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from ingest.csv_safe import safe_cell
from ingest.dedupe import DuplicatePair
from ingest.passages import WHOLE_FIELD, fit_to_window, passage_terms, passages_of, whole_profile_text
from ingest.readers import Row
from ingest.schema import RecordError, validate_record
from store.db import Passage
from store.files import create_private_file, open_private, private_dir
from vocabulary.profile import Profile

log = logging.getLogger(__name__)
BATCH_PROFILES = 256


@dataclass(slots=True)     # a report may hold one per row of a big file
class Rejected:
    file: str
    line: int
    reason: str
    raw: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass
class IngestReport:
    file: str = ""
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    duplicates: list[DuplicatePair] = field(default_factory=list)
    merged: list[tuple[str, str]] = field(default_factory=list)
    merge_refused: list[tuple[str, str, str]] = field(default_factory=list)   # (a, b, German reason)
    rejects_file: str = ""
    ids: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "file": self.file, "read": self.read, "inserted": self.inserted, "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": [{"line": r.line, "reason": r.reason} for r in self.rejected],
            "duplicates": [{"a": d.a, "b": d.b, "score": d.score, "reason": d.reason} for d in self.duplicates],
            "merged": [{"kept": a, "removed": b} for a, b in self.merged],
            "merge_refused": [{"a": a, "b": b, "reason": r} for a, b, r in self.merge_refused],
        }


class ProfilePreparer:
    """Geocodes a profile and turns it into passages with terms and vectors."""

    def __init__(self, encoder, analyzer, gazetteer):
        self.encoder = encoder
        self.analyzer = analyzer
        self.gazetteer = gazetteer

    def pieces(self, profile: Profile) -> list[tuple[str, str]]:
        """(field, text) of every vector the profile gets: its passages, then the whole."""
        items = passages_of(profile)
        whole = whole_profile_text(profile.name, items)
        if whole and len(items) > 1:   # one passage alone is the whole already
            items.append((WHOLE_FIELD, fit_to_window(whole, self.encoder.count_tokens,
                                                     self.encoder.max_tokens)))
        return items

    def geocode(self, profile: Profile) -> None:
        """Fill coordinates and district; an unknown postcode, or one that lies far from the
        town given with it, is the user's error (the row is kept aside, never placed by a
        guess: the town's centre must not hide a wrong postcode)."""
        if not (profile.postcode or profile.town):
            return
        if profile.postcode and not self.gazetteer.knows_postcode(profile.postcode):
            known_town = profile.town and self.gazetteer.resolve(town=profile.town) is not None
            raise RecordError(f"Unbekannte Postleitzahl „{profile.postcode}“" + (
                f" zum Ort „{profile.town}“: bitte berichtigen oder leer lassen (dann zählt der Ort)"
                if known_town else ""))
        far = self.gazetteer.town_far_from_postcode(profile.postcode, profile.town)
        if far is not None:
            postcode_place, km = far
            raise RecordError(f"Postleitzahl „{profile.postcode}“ passt nicht zum Ort „{profile.town}“ "
                              f"({profile.postcode} liegt bei {postcode_place.town}, {km:.0f} km entfernt): "
                              "bitte Postleitzahl oder Ort berichtigen")
        place = self.gazetteer.resolve(postcode=profile.postcode, town=profile.town)
        if place is None:
            log.info("town %r of %s not found; stored without coordinates", profile.town, profile.id)
            return
        profile.lat, profile.lon, profile.landkreis = place.lat, place.lon, place.landkreis
        if not profile.town:
            profile.town = place.town

    def passages(self, profiles: list[Profile]) -> list[list[Passage]]:
        pieces = [self.pieces(p) for p in profiles]
        # Each distinct text is embedded once: a description of one sentence repeated for
        # 20,000 characters costs one passage's embedding, not 45.
        unique = list(dict.fromkeys(text for items in pieces for _, text in items))
        vectors = self.encoder.embed_passages(unique)
        row_of = {text: k for k, text in enumerate(unique)}
        out = []
        for profile, items in zip(profiles, pieces):
            passages = []
            for position, (field_name, text) in enumerate(items):
                terms = passage_terms(self.analyzer, profile.name, field_name, text)
                passages.append(Passage(profile.id, field_name, position, text, terms,
                                        vectors[row_of[text]].copy()))
            out.append(passages)
        return out


#: Of a rejected row, this many characters are kept (in the rejects table and file); the
#: reason says when a row was cut. A 50 MB row must not become a 50 MB database value.
MAX_KEPT_RAW = 10_000


def kept_raw(reason: str, raw: str) -> tuple[str, str]:
    """(reason, raw) as they are kept: a long raw row cut, the reason saying so."""
    if len(raw) <= MAX_KEPT_RAW:
        return reason, raw
    kept = f"{MAX_KEPT_RAW:,}".replace(",", ".")
    total = f"{len(raw):,}".replace(",", ".")
    return (f"{reason} (Rohdaten gekürzt: die ersten {kept} von {total} Zeichen aufbewahrt)",
            raw[:MAX_KEPT_RAW] + " […]")


class RejectKeeper:
    """Keeps rejected rows aside as they come: in the ``rejects`` table and in a CSV file.

    Rows are written in batches, so a file of a million bad rows costs bounded memory; the
    report keeps line and reason of each, not its raw text. The CSV file gets a name of its
    own: an earlier one of the same base name (another folder's ``firmen.csv``, or an earlier
    run) is never overwritten. People open it in a spreadsheet: cells that would run as
    formulas get a leading quote (the rejects table keeps the raw row as it was).
    """

    BATCH = 500

    def __init__(self, store, directory: Path | None, file_label: str, report: IngestReport):
        self.store = store
        self.directory = directory
        self.file_label = file_label
        self.report = report
        self.path: Path | None = None
        self._pending: list[Rejected] = []
        self._reasons: dict[str, str] = {}     # one string for a reason many rows share
        self._handle = None
        self._writer = None

    def add(self, line: int, reason: str, raw: str = "") -> None:
        reason, raw = kept_raw(reason, raw)
        reason = self._reasons.setdefault(reason, reason)
        rejected = Rejected(self.file_label, line, reason, raw)
        self.report.rejected.append(rejected)
        self._pending.append(rejected)
        if len(self._pending) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        self.store.add_rejects((r.file, r.line, r.reason, r.raw) for r in self._pending)
        if self.directory is not None:
            if self._writer is None:
                self._open()
            for r in self._pending:
                self._writer.writerow([safe_cell(r.file), r.line, safe_cell(r.reason), safe_cell(r.raw)])
        for r in self._pending:
            r.raw = ""          # kept in the table and the file; the report needs line and reason
        self._pending = []

    def close(self) -> None:
        try:
            self.flush()
        finally:
            if self._handle is not None:
                self._handle.close()
                self._handle = None

    def _open(self) -> None:
        self.path = unique_rejects_path(self.directory, self.file_label)
        self._handle = open_private(self.path, "w", newline="", encoding="utf-8")
        self._writer = csv.writer(self._handle)
        self._writer.writerow(["file", "line", "reason", "raw"])
        self.report.rejects_file = str(self.path)


def unique_rejects_path(directory: Path, source_file: str) -> Path:
    """``<name>.rejects.csv`` in ``directory``, or ``<name>-2.rejects.csv``, … if that exists
    (created empty here, so two ingests at once cannot pick the same name)."""
    private_dir(directory)
    stem = Path(source_file).stem or "eingabe"
    for number in range(1, 10_000):
        path = directory / (f"{stem}.rejects.csv" if number == 1 else f"{stem}-{number}.rejects.csv")
        try:
            create_private_file(path, exclusive=True)
        except FileExistsError:
            continue
        return path
    raise RuntimeError(f"no free rejects file name for {stem} in {directory}")


def _valid_profile(row: Row, preparer: ProfilePreparer) -> Profile:
    if row.error:
        raise RecordError(row.error)
    profile = validate_record(row.record)
    preparer.geocode(profile)
    return profile


class StoredHashes:
    """The stored content hash of each id asked for, looked up one at a time: a write of a
    few records (the API's) reads those rows, not the hashes of every stored profile
    (issue 17: 100k of them per write at 100k)."""

    def __init__(self, store):
        self.store = store

    def get(self, profile_id: str) -> str | None:
        record = self.store.get_profiles([profile_id]).get(profile_id)
        return None if record is None else record["content_hash"]


def ingest_stream(store, preparer: ProfilePreparer, rows: Iterable[Row], report: IngestReport,
                  rejects: RejectKeeper, source: str, progress=None, write=None, hashes=None) -> list[str]:
    """Validate, geocode, embed and save rows as they are read, in atomic batches.

    Memory stays bounded by a batch (and the ids seen), not by the file: a row is
    read, checked and either queued for the next batch or kept aside as rejected.
    With ``write`` (a function that runs its argument under the writers' lock) a batch
    is embedded first and only saved under the lock: a member's long description no
    longer keeps every other writer waiting for its embedding. ``hashes`` (``.get(id)``: the
    stored content hash) defaults to all stored ones, read at once. Returns the ids written."""
    hashes = store.content_hashes() if hashes is None else hashes
    first_line: dict[str, int] = {}
    batch: list[Profile] = []
    written: list[str] = []
    shown = 0

    def advance():
        nonlocal shown
        if progress is not None:
            progress.update(report.read - shown)
            shown = report.read

    for row in rows:
        report.read += 1
        try:
            profile = _valid_profile(row, preparer)
        except RecordError as exc:
            rejects.add(row.line, str(exc), row.raw)
            continue
        if profile.id in first_line:
            rejects.add(row.line, f"Doppelte id „{profile.id}“ (zuerst in Zeile {first_line[profile.id]})",
                        row.raw)
            continue
        first_line[profile.id] = row.line
        report.ids.append(profile.id)
        old = hashes.get(profile.id)
        if old == profile.content_hash():
            report.unchanged += 1
            continue
        if old is None:
            report.inserted += 1
        else:
            report.updated += 1
        batch.append(profile)
        if len(batch) >= BATCH_PROFILES:
            written.extend(_save_batch(store, preparer, batch, source, write))
            batch = []
            advance()
    if batch:
        written.extend(_save_batch(store, preparer, batch, source, write))
    advance()
    rejects.flush()
    return written


def _save_batch(store, preparer: ProfilePreparer, batch: list[Profile], source: str,
                write=None) -> list[str]:
    passages = preparer.passages(batch)

    def save():
        store.save_profiles(zip(batch, passages), source=source)

    if write is None:
        save()
    else:
        write(save)
    return [p.id for p in batch]


def store_profiles(store, preparer: ProfilePreparer, profiles: list[Profile], report: IngestReport,
                   source: str, progress=None) -> list[str]:
    """Embed and save new or changed profiles in atomic batches; returns the ids written."""
    hashes = store.content_hashes()
    changed = []
    for profile in profiles:
        report.ids.append(profile.id)
        old = hashes.get(profile.id)
        if old == profile.content_hash():
            report.unchanged += 1
            continue
        changed.append(profile)
        if old is None:
            report.inserted += 1
        else:
            report.updated += 1
    written: list[str] = []
    for start in range(0, len(changed), BATCH_PROFILES):
        batch = changed[start:start + BATCH_PROFILES]
        passages = preparer.passages(batch)
        store.save_profiles(zip(batch, passages), source=source)
        written.extend(p.id for p in batch)
        if progress is not None:
            progress.update(len(batch))
    return written
