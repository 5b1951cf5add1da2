"""Read profile rows from CSV (',' or ';', UTF-8 or Windows-1252) and JSON Lines.

Readers yield ``Row(line, record)`` or ``Row(line, error=...)`` and never stop at a
bad row: the pipeline reports it with its line number and keeps it aside.
"""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ingest.schema import FIELDS

#: Header spellings people use, mapped to our column names.
HEADER_ALIASES = {
    "organisation": "name", "organization": "name", "firma": "name", "bezeichnung": "name",
    "art": "kind", "typ": "kind", "type": "kind",
    "beschreibung": "description", "profil": "description",
    "angebot": "offers", "bietet": "offers", "kompetenzen": "offers",
    "gesucht": "seeks", "sucht": "seeks", "bedarf": "seeks",
    "schlagworte": "keywords", "stichworte": "keywords", "tags": "keywords",
    "strasse": "street", "straße": "street", "plz": "postcode", "postleitzahl": "postcode",
    "ort": "town", "stadt": "town", "webseite": "website", "homepage": "website",
    "ansprechpartner": "contact_name", "kontakt": "contact_name", "email": "contact_email",
    "e-mail": "contact_email", "gelistet": "listed", "sichtbar": "listed",
}
MAX_FILE_BYTES = 200 * 1024 * 1024


class UnusableFile(Exception):
    """The file as a whole can't be read (missing, empty, no name column, not text)."""


@dataclass
class Row:
    line: int
    record: dict | None = None
    error: str | None = None
    raw: str = ""


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) if it decodes, else Windows-1252 (Excel's German default)."""
    if b"\x00" in data[:4096]:
        raise UnusableFile("Binärdatei oder UTF-16 (bitte als CSV in UTF-8 oder Windows-1252 speichern)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def detect_format(path: Path, text: str) -> str:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".csv", ".tsv", ".txt"):
        return "csv"
    return "jsonl" if text.lstrip().startswith("{") else "csv"


def read_rows(path: str | Path) -> Iterator[Row]:
    path = Path(path)
    if not path.is_file():
        raise UnusableFile(f"{path}: Datei nicht gefunden")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise UnusableFile(f"{path}: größer als {MAX_FILE_BYTES // 2**20} MiB; bitte aufteilen")
    text = decode(path.read_bytes())
    if not text.strip():
        raise UnusableFile(f"{path}: Datei ist leer")
    if detect_format(path, text) == "jsonl":
        yield from read_jsonl(text)
    else:
        yield from read_csv(text)


def normalise_header(name: str) -> str:
    key = (name or "").strip().strip("\ufeff").lower().replace(" ", "_")
    return HEADER_ALIASES.get(key, key)


def _sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (";", ",", "\t")}
    return max(counts, key=counts.get) if max(counts.values()) else ","


def csv_problem(exc: csv.Error) -> str:
    """The csv module's complaint in German where we know it (its text is English)."""
    message = str(exc)
    limit = re.match(r"field larger than field limit \((\d+)\)", message)
    if limit:
        return f"ein Feld ist zu lang (mehr als {int(limit.group(1)):,} Zeichen)".replace(",", ".")
    if message.startswith("new-line character seen in unquoted field"):
        return "Zeilenumbruch (CR) in einem Wert ohne Anführungszeichen"
    return message


def read_csv(text: str) -> Iterator[Row]:
    lines = text.splitlines(keepends=True)
    # Leading '#' lines are comments (the demo file says it is fictitious there).
    skip = 0
    while skip < len(lines) and (lines[skip].startswith("#") or not lines[skip].strip()):
        skip += 1
    if skip == len(lines):
        raise UnusableFile("Kopfzeile fehlt")
    delimiter = _sniff_delimiter(lines[skip])
    reader = csv.reader(io.StringIO("".join(lines[skip:])), delimiter=delimiter)
    try:
        header = [normalise_header(h) for h in next(reader)]
    except csv.Error as exc:
        raise UnusableFile(f"Kopfzeile unlesbar: {csv_problem(exc)}") from exc
    if "name" not in header:
        raise UnusableFile(f"Spalte name fehlt (gefundene Spalten: {', '.join(header) or 'keine'}; "
                           f"erwartete Spalten: {', '.join(FIELDS)})")
    while True:
        start = skip + reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Row(start, error=f"Fehlerhaftes CSV: {csv_problem(exc)}")
            continue
        if not any(v.strip() for v in values):
            continue
        raw = delimiter.join(values)
        if len(values) > len(header) and any(v.strip() for v in values[len(header):]):
            yield Row(start, error=f"{len(values)} Felder, aber die Kopfzeile hat {len(header)} "
                                   f"(„{delimiter}“ ohne Anführungszeichen in einem Wert?)", raw=raw)
            continue
        yield Row(start, record=dict(zip(header, values)), raw=raw)


def read_jsonl(text: str) -> Iterator[Row]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Row(number, error=f"Ungültiges JSON in Spalte {exc.colno} ({exc.msg})", raw=line)
            continue
        if not isinstance(value, dict):
            yield Row(number, error="Erwartet wird ein JSON-Objekt pro Zeile", raw=line)
            continue
        record = {normalise_header(k): v for k, v in value.items()}
        yield Row(number, record=record, raw=line)
