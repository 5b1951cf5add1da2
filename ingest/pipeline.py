"""From rows to stored, geocoded, embedded profiles.

read -> validate -> geocode -> skip unchanged -> split into passages -> analyse ->
embed (batched) -> store. Bad rows are reported with file and line and kept aside;
the good rows go in. The index is brought up to date by the caller (``Radar``).
"""
from __future__ import annotations

import csv
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from ingest.csv_safe import safe_cell
from ingest.dedupe import DuplicatePair
from ingest.passages import WHOLE_FIELD, fit_to_window, passages_of, whole_profile_text
from ingest.readers import Row
from ingest.schema import Profile, RecordError, validate_record
from store.db import Passage

log = logging.getLogger(__name__)
BATCH_PROFILES = 256


@dataclass
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
    rejects_file: str = ""
    ids: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "file": self.file, "read": self.read, "inserted": self.inserted, "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": [{"line": r.line, "reason": r.reason} for r in self.rejected],
            "duplicates": [{"a": d.a, "b": d.b, "score": d.score, "reason": d.reason} for d in self.duplicates],
            "merged": [{"kept": a, "removed": b} for a, b in self.merged],
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
        """Fill coordinates and district; an unknown postcode is the user's error."""
        if not (profile.postcode or profile.town):
            return
        place = self.gazetteer.resolve(postcode=profile.postcode, town=profile.town)
        if place is None:
            if profile.postcode:
                raise RecordError(f"Unbekannte Postleitzahl „{profile.postcode}“")
            log.info("town %r of %s not found; stored without coordinates", profile.town, profile.id)
            return
        profile.lat, profile.lon, profile.landkreis = place.lat, place.lon, place.landkreis
        if not profile.town:
            profile.town = place.town

    def passages(self, profiles: list[Profile]) -> list[list[Passage]]:
        pieces = [self.pieces(p) for p in profiles]
        texts = [text for items in pieces for _, text in items]
        vectors = self.encoder.embed_passages(texts)
        out, k = [], 0
        for profile, items in zip(profiles, pieces):
            passages = []
            for position, (field_name, text) in enumerate(items):
                terms = "" if field_name == WHOLE_FIELD else " ".join(self.analyzer.terms(text))
                passages.append(Passage(profile.id, field_name, position, text, terms, vectors[k]))
                k += 1
            out.append(passages)
        return out


def validate_rows(rows: Iterable[Row], file_label: str, preparer: ProfilePreparer,
                  report: IngestReport) -> list[tuple[int, Profile]]:
    """Valid, geocoded profiles in file order; every bad row is recorded in the report."""
    good: dict[str, tuple[int, Profile]] = {}
    for row in rows:
        report.read += 1
        if row.error:
            report.rejected.append(Rejected(file_label, row.line, row.error, row.raw))
            continue
        try:
            profile = validate_record(row.record)
            preparer.geocode(profile)
        except RecordError as exc:
            report.rejected.append(Rejected(file_label, row.line, str(exc), row.raw))
            continue
        if profile.id in good:
            first = good[profile.id][0]
            report.rejected.append(Rejected(file_label, row.line,
                                            f"Doppelte id „{profile.id}“ (zuerst in Zeile {first})", row.raw))
            continue
        good[profile.id] = (row.line, profile)
    return list(good.values())


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


def write_rejects_file(directory: Path, source_file: str, rejected: list[Rejected]) -> Path:
    """Keep rejected rows aside as CSV (line, reason, raw) so nothing is lost.

    People open this file in a spreadsheet: cells that would run as formulas get a
    leading quote (the rejects table in the database keeps the raw row as it was).
    """

    directory.mkdir(parents=True, exist_ok=True)
    path = directory / (Path(source_file).stem + ".rejects.csv")
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "line", "reason", "raw"])
        for r in rejected:
            writer.writerow([safe_cell(r.file), r.line, safe_cell(r.reason), safe_cell(r.raw)])
    return path
