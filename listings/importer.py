"""Listings from CSV (',' or ';', UTF-8 or Windows-1252) or JSON Lines, read as profiles are.

The file goes through the profile reader (``ingest.readers.read_rows``: streamed, encoding
decided per line, bounded rows) with the listings' own columns; a broken row is reported
with its line number and a German reason and kept aside by the same ``RejectKeeper`` (the
``rejects`` table and a CSV beside the database); the good rows go in, embedded in batches.
Leading ``#`` lines are comments. German header spellings are understood.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ingest.pipeline import Rejected, RejectKeeper
from ingest.readers import Columns, read_rows
from listings.model import FIELDS, ListingError

HEADER_ALIASES = {
    "profil": "profile_id", "profil_id": "profile_id", "profile": "profile_id", "besitzer": "profile_id",
    "typ": "type", "art": "type", "titel": "title", "überschrift": "title", "beschreibung": "text",
    "text": "text", "material": "material", "abfallschlüssel": "waste_code", "avv": "waste_code",
    "menge": "quantity", "einheit": "unit", "zeitraum": "period", "temperatur": "temperature_c",
    "temperatur_c": "temperature_c", "leistung": "power_kw", "leistung_kw": "power_kw",
    "verfahren": "process", "maschine": "process", "stunden": "hours_per_month",
    "stunden_pro_monat": "hours_per_month", "plz": "postcode", "postleitzahl": "postcode", "ort": "town",
    "sichtbarkeit": "visibility", "status": "status",
}
LISTING_COLUMNS = Columns(HEADER_ALIASES, ("profile_id", "type", "title"), tuple(FIELDS))
#: A re-read row whose columns all equal the stored ones is left as it is.
SAME_IF_EQUAL = (*FIELDS, "landkreis", "lat", "lon", "terms")
#: Rows per embedding batch and transaction.
BATCH = 256


@dataclass
class ImportReport:
    file: str = ""
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    rejects_file: str = ""
    ids: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"file": self.file, "read": self.read, "inserted": self.inserted, "updated": self.updated,
                "unchanged": self.unchanged, "rejected": [{"line": r.line, "reason": r.reason} for r in self.rejected]}


def read_listing_rows(path: Path):
    """The rows of a listings file, read as profiles are (``ingest.readers.read_rows``)."""
    return read_rows(path, LISTING_COLUMNS)


def import_listings(service, path, source: str | None = None, rejects_dir: Path | None = None,
                    allowed=None) -> ImportReport:
    """Read, validate, locate, embed and store; ``allowed(profile_id)`` may refuse owners
    (a manager imports for the region's profiles only)."""
    path = Path(path)
    report = ImportReport(file=str(path))
    rows = read_listing_rows(path)          # UnusableFile before anything is written
    rejects = RejectKeeper(service.radar.store, rejects_dir, path.name, report)
    try:
        good = _check_rows(service, rows, path, source, allowed, report, rejects)
        prepared_rows = [p for _, p in good.values() if p is not None]
        for start in range(0, len(prepared_rows), BATCH):
            report.ids.extend(service.save_rows(prepared_rows[start:start + BATCH]))
    finally:
        rejects.close()
    return report


def _check_rows(service, rows, path: Path, source, allowed, report: ImportReport,
                rejects: RejectKeeper) -> dict[str, tuple[int, dict | None]]:
    """Validated rows by id (``None``: stored already as it is); the rest go to ``rejects``."""
    good: dict[str, tuple[int, dict | None]] = {}
    for row in rows:
        line, record, raw = row.line, row.record, row.raw
        report.read += 1
        if row.error:
            rejects.add(line, row.error, raw)
            continue
        try:
            if allowed is not None and not allowed(str(record.get("profile_id") or "")):
                raise ListingError(f"Für Profil „{record.get('profile_id')}“ dürfen Sie keine Einträge anlegen")
            existing = service.store.get(str(record["id"])) if record.get("id") else None
            prepared = service.prepare({**record, "source": source or path.name}, existing=existing)
        except ListingError as exc:
            rejects.add(line, str(exc), raw)
            continue
        if prepared["id"] in good:
            rejects.add(line, f"Doppelte id „{prepared['id']}“ (zuerst in Zeile {good[prepared['id']][0]})", raw)
            continue
        if existing and all(existing.get(k) == prepared.get(k) for k in SAME_IF_EQUAL):
            report.unchanged += 1          # nothing to re-embed: a second demo load costs nothing
            report.ids.append(prepared["id"])
            good[prepared["id"]] = (line, None)
            continue
        good[prepared["id"]] = (line, prepared)
        if existing:
            report.updated += 1
        else:
            report.inserted += 1
    return good


def import_demo(service, path) -> ImportReport:
    """The bundled fictitious offers and requests of the demo firms (``partnerradar demo``)."""
    return import_listings(service, path)
