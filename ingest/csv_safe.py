"""CSV that is safe to open in a spreadsheet: the one home of that rule.

No Flask here: ingest writes its rejects file with it, ``api.csv_safe`` wraps it in a
download response. A cell starting with ``=``, ``+``, ``-``, ``@``, ``|`` (or a tab/carriage
return before one) is run as a formula by Excel and LibreOffice:
``=HYPERLINK("http://evil", "Details")`` in a profile name becomes a link that sends the
reader elsewhere, ``=cmd|…`` worse. Spreadsheets skip leading whitespace and invisible
characters (vertical tab, form feed, U+3000, U+200B, U+FEFF, …) before they look, so
``safe_cell`` does too. Every CSV a person downloads goes through it (OWASP's advice:
prefix a single quote, which spreadsheets show as text and do not display).
"""
from __future__ import annotations

import csv
import io
import unicodedata
from typing import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "|", "\t", "\r", "\n",
                  "\uff1d", "\uff0b", "\uff0d", "\uff20", "\uff5c")
#: Unicode categories a spreadsheet passes over at the start of a cell: separators
#: (spaces of every width), control and format characters (zero-width, BOM, bidi marks).
_SKIPPED_CATEGORIES = ("Zs", "Zl", "Zp", "Cc", "Cf")


def _skipped(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) in _SKIPPED_CATEGORIES


def safe_cell(value) -> str:
    """The value as CSV text that no spreadsheet evaluates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, (int, float)):
        return str(value)         # numbers are data, also negative ones
    text = str(value)
    for position, char in enumerate(text):
        if text.startswith(FORMULA_STARTS, position):
            return "'" + text
        if not _skipped(char):
            break
    return text


def csv_text(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")       # German Excel splits on ';'
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()
