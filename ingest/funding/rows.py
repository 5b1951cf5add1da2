"""One source row, repaired, as both adapters hand it to ``build``; reading a delimited file."""
from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from ingest.repair import parse_amount
from ingest.schema import slugify

#: Long slugs are shortened (plus a hash, so they stay unique) to fit the id rule
#: of ``validate_record`` (at most 128 characters including the source prefix).
MAX_SLUG = 100


@dataclass
class _Row:
    """One source row, already repaired; the common input of ``_build``."""
    org: str                # repaired organisation name
    group: str              # grouping key: rows with equal (joint, group) are one project
    project_id: str         # id the project gets if this row is the first of its group
    joint: bool
    title: str
    text: str
    sentence: str
    keywords: list[str]
    town: str = ""
    amount: float | None = None
    org_extra: dict = field(default_factory=dict)


def _read_table(path, delimiter: str) -> list[list[str]]:
    """All rows of a delimited file; UTF-8 (with or without BOM), else cp1252."""
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    rows = [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
            if any(cell.strip() for cell in row)]
    if not rows:
        raise ValueError(f"{path}: Datei ist leer")
    return rows


def _amount(value) -> float | None:
    try:
        return parse_amount(value)
    except ValueError:
        return None  # a broken amount must not cost us the organisation


def _slug_id(text: str) -> str:
    slug = slugify(text)
    if len(slug) > MAX_SLUG:
        digest = hashlib.sha1(slug.encode()).hexdigest()[:8]
        slug = slug[:MAX_SLUG - 9].rstrip("-") + "-" + digest
    return slug or "unbenannt"


def _title_key(title: str) -> str:
    """Grouping key for titles: case, spacing, punctuation and hyphen breaks ignored."""
    return re.sub(r"[^a-z0-9]", "", slugify(title))
