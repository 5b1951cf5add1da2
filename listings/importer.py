"""Listings from CSV (',' or ';', UTF-8 or Windows-1252) or JSON Lines, like profiles.

A broken row is reported with its line number and a German reason and kept aside (the
``rejects`` table and a CSV beside the database); the good rows go in, embedded in one
batch. Leading ``#`` lines are comments. German header spellings are understood.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from ingest.pipeline import Rejected, write_rejects_file
from ingest.readers import MAX_FILE_BYTES, UnusableFile, _sniff_delimiter, csv_problem
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


def _header(name: str) -> str:
    key = (name or "").strip().strip("\ufeff").lower().replace(" ", "_")
    return HEADER_ALIASES.get(key, key)


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252, for the whole file.

    Not yet the profile reader's per-line decision (ingest/readers.py): a UTF-8 listings file
    with one Windows-1252 row is read as Windows-1252 throughout."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def read_listing_rows(path: Path):
    """(line, record or None, error or None, raw) per data row."""
    if not path.is_file():
        raise UnusableFile(f"{path}: Datei nicht gefunden")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise UnusableFile(f"{path}: größer als {MAX_FILE_BYTES // 2**20} MiB; bitte aufteilen")
    text = _decode(path.read_bytes())
    if not text.strip():
        raise UnusableFile(f"{path}: Datei ist leer")
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json") or text.lstrip().startswith("{"):
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, None, f"Ungültiges JSON in Spalte {exc.colno} ({exc.msg})", line
                continue
            if not isinstance(value, dict):
                yield number, None, "Erwartet wird ein JSON-Objekt pro Zeile", line
                continue
            yield number, {_header(k): v for k, v in value.items()}, None, line
        return
    lines = text.splitlines(keepends=True)
    skip = 0
    while skip < len(lines) and (lines[skip].startswith("#") or not lines[skip].strip()):
        skip += 1
    if skip == len(lines):
        raise UnusableFile("Kopfzeile fehlt")
    delimiter = _sniff_delimiter(lines[skip])
    reader = csv.reader(io.StringIO("".join(lines[skip:])), delimiter=delimiter)
    try:
        header = [_header(h) for h in next(reader)]
    except csv.Error as exc:
        raise UnusableFile(f"Kopfzeile unlesbar: {csv_problem(exc)}") from exc
    missing = [c for c in ("profile_id", "type", "title") if c not in header]
    if missing:
        raise UnusableFile(f"Spalte(n) {', '.join(missing)} fehlen (gefundene Spalten: "
                           f"{', '.join(header) or 'keine'}; erwartete Spalten: {', '.join(FIELDS)})")
    while True:
        start = skip + reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, None, f"Fehlerhaftes CSV: {csv_problem(exc)}", ""
            continue
        if not any(v.strip() for v in values):
            continue
        raw = delimiter.join(values)
        if len(values) > len(header) and any(v.strip() for v in values[len(header):]):
            yield start, None, (f"{len(values)} Felder, aber die Kopfzeile hat {len(header)} "
                                f"(„{delimiter}“ ohne Anführungszeichen in einem Wert?)"), raw
            continue
        yield start, dict(zip(header, values)), None, raw


def import_listings(service, path, source: str | None = None, rejects_dir: Path | None = None,
                    allowed=None) -> ImportReport:
    """Read, validate, locate, embed and store; ``allowed(profile_id)`` may refuse owners
    (a manager imports for the region's profiles only)."""
    path = Path(path)
    report = ImportReport(file=str(path))
    rows = list(read_listing_rows(path))     # UnusableFile before anything is written
    good: dict[str, tuple[int, dict]] = {}
    for line, record, error, raw in rows:
        report.read += 1
        if error:
            report.rejected.append(Rejected(path.name, line, error, raw))
            continue
        try:
            if allowed is not None and not allowed(str(record.get("profile_id") or "")):
                raise ListingError(f"Für Profil „{record.get('profile_id')}“ dürfen Sie keine Einträge anlegen")
            existing = service.store.get(str(record["id"])) if record.get("id") else None
            prepared = service.prepare({**record, "source": source or path.name}, existing=existing)
        except ListingError as exc:
            report.rejected.append(Rejected(path.name, line, str(exc), raw))
            continue
        if prepared["id"] in good:
            report.rejected.append(Rejected(path.name, line, f"Doppelte id „{prepared['id']}“ (zuerst in "
                                            f"Zeile {good[prepared['id']][0]})", raw))
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
    prepared_rows = [p for _, p in good.values() if p is not None]
    for start in range(0, len(prepared_rows), BATCH):
        report.ids.extend(service.save_rows(prepared_rows[start:start + BATCH]))
    if report.rejected:
        service.radar.store.add_rejects((r.file, r.line, r.reason, r.raw) for r in report.rejected)
        if rejects_dir is not None:
            report.rejects_file = str(write_rejects_file(rejects_dir, path.name, report.rejected))
    return report


def import_demo(service, path) -> ImportReport:
    """The bundled fictitious offers and requests of the demo firms (``partnerradar demo``)."""
    return import_listings(service, path)
