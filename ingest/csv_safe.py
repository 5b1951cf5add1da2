"""CSV that is safe to open in a spreadsheet (no Flask: ingest writes its rejects file with it).

A cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab/carriage return before one)
is run as a formula by Excel and LibreOffice: ``=HYPERLINK("http://evil", "Details")``
in a profile name becomes a link that sends the reader elsewhere, ``=cmd|…`` worse.
Every CSV a person downloads goes through ``safe_cell`` (OWASP's advice: prefix a
single quote, which spreadsheets show as text and do not display).
"""
from __future__ import annotations

import csv
import io
from typing import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_cell(value) -> str:
    """The value as CSV text that no spreadsheet evaluates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, (int, float)):
        return str(value)         # numbers are data, also negative ones
    text = str(value)
    stripped = text.lstrip(" \u00a0")
    if stripped.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_text(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")       # German Excel splits on ';'
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()
