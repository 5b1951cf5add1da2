"""Read rows from CSV (',' or ';', UTF-8 or Windows-1252) and JSON Lines: profiles, and
whatever else is uploaded as a table (listings describe their own ``Columns``).

Readers yield ``Row(line, record)`` or ``Row(line, error=...)`` and never stop at a
bad row: the pipeline reports it with its line number and keeps it aside. Files are
read as a stream of lines (bounded memory, whatever the file's size); the encoding is
decided per file from its lines, and rows in another encoding than the file's are
rejected rather than decoded into mojibake.
"""
from __future__ import annotations

import csv
import io
import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping

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


@dataclass(frozen=True)
class Columns:
    """A kind of table: the header spellings people use for our column names, the columns
    a file must have, and the ones a German error message lists as expected."""
    aliases: Mapping[str, str]
    required: tuple[str, ...]
    expected: tuple[str, ...]

    def normalise(self, name: str) -> str:
        key = (name or "").strip().strip("\ufeff").lower().replace(" ", "_")
        return self.aliases.get(key, key)

    def check_header(self, header: list[str]) -> None:
        missing = [c for c in self.required if c not in header]
        if missing:
            what = f"Spalte {missing[0]} fehlt" if len(missing) == 1 else f"Spalten {', '.join(missing)} fehlen"
            raise UnusableFile(f"{what} (gefundene Spalten: {', '.join(header) or 'keine'}; "
                               f"erwartete Spalten: {', '.join(self.expected)})")


PROFILE_COLUMNS = Columns(HEADER_ALIASES, ("name",), tuple(FIELDS))


class UnusableFile(Exception):
    """The file as a whole can't be read (missing, empty, no name column, not text)."""


@dataclass
class Row:
    line: int
    record: dict | None = None
    error: str | None = None
    raw: str = ""


#: One row (all its physical lines together) may hold this many bytes: the longest row the
#: field caps allow (~37,000 characters, at most ~150 KB in UTF-8) with room for extra columns.
#: A longer row is read through without keeping it and rejected: one giant row costs bounded
#: memory, not its size.
MAX_ROW_BYTES = 1024 * 1024
#: Of a row that is too long, the first this many bytes are kept for the reject report.
KEPT_PREFIX_BYTES = 10_000
_BOM = b"\xef\xbb\xbf"
_CHUNK = 1 << 16


def detect_format(path: Path, text: str) -> str:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".csv", ".tsv", ".txt"):
        return "csv"
    return "jsonl" if text.lstrip().startswith("{") else "csv"


@dataclass
class _Line:
    """One physical line ('\\n'-terminated) of the file, decoded; ``problem`` says why the
    row it belongs to must be rejected (wrong encoding, too long)."""
    number: int
    text: str
    problem: str = ""
    size: int = 0
    quotes: int = 0


def _physical_lines(handle) -> Iterator[tuple[bytes, int, int]]:
    """(first bytes, size, count of '"') of each line; a line over ``MAX_ROW_BYTES`` is read
    through in chunks and only its first ``MAX_ROW_BYTES + 1`` bytes are returned."""
    while True:
        line = handle.readline(MAX_ROW_BYTES + 1)
        if not line:
            return
        size, quotes = len(line), line.count(b'"')
        if size > MAX_ROW_BYTES and not line.endswith(b"\n"):
            while True:
                chunk = handle.readline(_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                quotes += chunk.count(b'"')
                if chunk.endswith(b"\n"):
                    break
        yield line, size, quotes


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a line cut at MAX_ROW_BYTES may end inside a character
        return exc.start >= len(data) - 3 and exc.reason == "unexpected end of data"
    return True


def _file_encoding(path: Path) -> tuple[str, int]:
    """The file's encoding and its number of lines, from a first pass over it (streamed).

    Lines are counted, not bytes: a line with non-ASCII text is either valid UTF-8 or not.
    With none of the second kind the file is UTF-8; with none of the first, Windows-1252.
    A mixed file takes the encoding of most of its non-ASCII lines; the rows of the other
    kind are rejected (``_decode_line``), never decoded into mojibake."""
    utf8 = other = count = 0
    content = False
    with path.open("rb") as handle:
        first = True
        for line, _, _ in _physical_lines(handle):
            count += 1
            if first:
                line = line[len(_BOM):] if line.startswith(_BOM) else line
                first = False
            content = content or bool(line.strip())
            if line.isascii():
                continue
            if _is_utf8(line):
                utf8 += 1
            else:
                other += 1
    if not content:
        raise UnusableFile(f"{path}: Datei ist leer")
    return ("utf-8" if utf8 >= other else "cp1252"), count


def _decode_line(data: bytes, encoding: str, number: int) -> tuple[str, str]:
    """(text, problem) of one line of a file in ``encoding``."""
    if encoding == "utf-8":
        try:
            return data.decode("utf-8"), ""
        except UnicodeDecodeError:
            return data.decode("cp1252", errors="replace"), (
                f"Zeile {number} ist kein gültiges UTF-8 (vermutlich Windows-1252), der Rest der Datei "
                f"ist UTF-8: bitte die Datei einheitlich als UTF-8 speichern")
    if not data.isascii() and _is_utf8(data):
        return data.decode("utf-8", errors="replace"), (
            f"Zeile {number} ist UTF-8, der Rest der Datei Windows-1252: bitte die Datei "
            f"einheitlich speichern (am besten als UTF-8)")
    return data.decode("cp1252", errors="replace"), ""


class _Lines:
    """Decoded physical lines for ``csv.reader``, remembering which ones the current row used."""

    def __init__(self, handle, encoding: str):
        self._source = _physical_lines(handle)
        self._encoding = encoding
        self.count = 0               # physical lines consumed so far
        self.row: list[_Line] = []   # lines of the row being read
        self.row_bytes = 0

    def __iter__(self):
        return self

    def next_line(self) -> _Line | None:
        try:
            data, size, quotes = next(self._source)
        except StopIteration:
            return None
        self.count += 1
        if self.count == 1 and data.startswith(_BOM):
            data, size = data[len(_BOM):], size - len(_BOM)
        if size > MAX_ROW_BYTES:
            data = data[:KEPT_PREFIX_BYTES]
        text, problem = _decode_line(data, self._encoding, self.count)
        if size > MAX_ROW_BYTES:
            text, problem = text.rstrip("\r\n"), "too long"
        return _Line(self.count, text, problem, size, quotes)

    def __next__(self) -> str:
        line = self.next_line()
        if line is None:
            raise StopIteration
        self.row.append(line)
        self.row_bytes += line.size
        if self.row_bytes > MAX_ROW_BYTES:
            raise _RowTooLong
        return line.text

    def start_row(self) -> None:
        self.row, self.row_bytes = [], 0

    def skip_rest_of_row(self) -> None:
        """After a row too long: read on (keeping nothing) to where its quotes close."""
        quotes = sum(line.quotes for line in self.row)
        while quotes % 2:
            line = self.next_line()
            if line is None:
                return
            self.row_bytes += line.size
            quotes += line.quotes


class _RowTooLong(Exception):
    pass


def _german_number(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _too_long_reason(size: int, kept: int) -> str:
    return (f"Zeile ist zu lang ({_german_number(size)} Bytes, höchstens {_german_number(MAX_ROW_BYTES)} "
            f"Bytes; aufbewahrt sind nur die ersten {_german_number(kept)} Zeichen)")


def _too_long(lines: _Lines, first: int) -> Row:
    prefix = lines.row[0].text[:KEPT_PREFIX_BYTES] if lines.row else ""
    return Row(first, error=_too_long_reason(lines.row_bytes, len(prefix)), raw=prefix)


def _row_problem(lines: _Lines) -> str:
    return next((line.problem for line in lines.row if line.problem), "")


def read_rows(path: str | Path, columns: Columns = PROFILE_COLUMNS) -> "RowStream":
    """The rows of a CSV or JSON Lines file, read as a stream (bounded memory).

    File-level problems (missing, too big, empty, binary, no header) raise ``UnusableFile``
    here, before the first row is returned and before anything is written."""
    path = Path(path)
    if not path.is_file():
        raise UnusableFile(f"{path}: Datei nicht gefunden")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise UnusableFile(f"{path}: größer als {MAX_FILE_BYTES // 2**20} MiB; bitte aufteilen")
    with path.open("rb") as handle:
        if b"\x00" in handle.read(4096):
            raise UnusableFile("Binärdatei oder UTF-16 (bitte als CSV in UTF-8 oder Windows-1252 speichern)")
    encoding, line_count = _file_encoding(path)
    handle = path.open("rb")
    try:
        lines = _Lines(handle, encoding)
        head = _first_content_line(lines)
        if detect_format(path, head.text if head else "") == "jsonl":
            rows = read_jsonl_lines(lines, head, columns)
        else:
            rows = read_csv_lines(lines, head, columns)
            next(rows)          # the header: UnusableFile now, not at the first row
    except BaseException:
        handle.close()
        raise
    return RowStream(rows, handle, max(0, line_count - lines.count))   # less header and comments


class RowStream:
    """The rows of one file as they are read (once); ``lines`` is the file's number of
    lines, an upper bound of its rows (for progress)."""

    def __init__(self, rows: Iterator[Row], handle, lines: int):
        self._rows, self._handle, self.lines = rows, handle, lines

    def __iter__(self) -> Iterator[Row]:
        with self._handle:
            yield from self._rows


def _first_content_line(lines: _Lines) -> _Line | None:
    """The first line that is neither blank nor a '#' comment (comments lead the demo file)."""
    while True:
        line = lines.next_line()
        if line is None or (line.text.strip() and not line.text.startswith("#")):
            return line


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


def read_csv(text: str, columns: Columns = PROFILE_COLUMNS) -> Iterator[Row]:
    """Rows of CSV text already in memory (tests, small inputs); files go through ``read_rows``."""
    handle = io.BytesIO(text.encode("utf-8"))
    lines = _Lines(handle, "utf-8")
    yield from (row for row in read_csv_lines(lines, _first_content_line(lines), columns) if row is not None)


def read_csv_lines(lines: _Lines, head: _Line | None, columns: Columns = PROFILE_COLUMNS) -> Iterator[Row]:
    """CSV rows from ``lines``, whose header line ``head`` was already read.

    The first item produced is ``None`` for the header: the caller pulls it to see
    ``UnusableFile`` (no header, no name column) before any row."""
    if head is None:
        raise UnusableFile("Kopfzeile fehlt")
    if head.problem == "too long":
        raise UnusableFile(f"Kopfzeile ist zu lang (mehr als {_german_number(MAX_ROW_BYTES)} Bytes)")
    delimiter = _sniff_delimiter(head.text)
    reader = csv.reader(itertools.chain([head.text], lines), delimiter=delimiter)
    try:
        header = [columns.normalise(h) for h in next(reader)]
    except csv.Error as exc:
        raise UnusableFile(f"Kopfzeile unlesbar: {csv_problem(exc)}") from exc
    columns.check_header(header)
    yield None
    while True:
        start = lines.count + 1
        lines.start_row()
        try:
            values = next(reader)
        except StopIteration:
            return
        except _RowTooLong:
            lines.skip_rest_of_row()
            yield _too_long(lines, start)
            reader = csv.reader(lines, delimiter=delimiter)   # a fresh parser after the cut
            continue
        except csv.Error as exc:
            yield Row(start, error=f"Fehlerhaftes CSV: {csv_problem(exc)}")
            continue
        problem = _row_problem(lines)
        if problem == "too long":
            yield _too_long(lines, start)
            continue
        if not any(v.strip() for v in values):
            continue
        raw = delimiter.join(values)
        if problem:
            yield Row(start, error=problem, raw=raw)
            continue
        if len(values) > len(header) and any(v.strip() for v in values[len(header):]):
            yield Row(start, error=f"{len(values)} Felder, aber die Kopfzeile hat {len(header)} "
                                   f"(„{delimiter}“ ohne Anführungszeichen in einem Wert?)", raw=raw)
            continue
        yield Row(start, record=dict(zip(header, values)), raw=raw)


def read_jsonl(text: str, columns: Columns = PROFILE_COLUMNS) -> Iterator[Row]:
    """Rows of JSON Lines text already in memory; files go through ``read_rows``."""
    lines = _Lines(io.BytesIO(text.encode("utf-8")), "utf-8")
    yield from read_jsonl_lines(lines, lines.next_line(), columns)


def read_jsonl_lines(lines: _Lines, head: _Line | None, columns: Columns = PROFILE_COLUMNS) -> Iterator[Row]:
    line = head
    while line is not None:
        yield from _jsonl_row(line, columns)
        line = lines.next_line()


def _jsonl_row(line: _Line, columns: Columns) -> Iterator[Row]:
    text, number = line.text, line.number
    if not text.strip() or text.lstrip().startswith("#"):
        return
    if line.problem == "too long":
        yield Row(number, error=_too_long_reason(line.size, len(text)), raw=text)
        return
    if line.problem:
        yield Row(number, error=line.problem, raw=text.rstrip("\r\n"))
        return
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        yield Row(number, error=f"Ungültiges JSON in Spalte {exc.colno} ({exc.msg})", raw=text.rstrip("\r\n"))
        return
    if not isinstance(value, dict):
        yield Row(number, error="Erwartet wird ein JSON-Objekt pro Zeile", raw=text.rstrip("\r\n"))
        return
    record = {columns.normalise(k): v for k, v in value.items()}
    yield Row(number, record=record, raw=text.rstrip("\r\n"))
