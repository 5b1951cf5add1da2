"""Finding an export in the shared data folder, recognising it by its header, loading it."""
from __future__ import annotations

import csv
from pathlib import Path

from ingest.funding.efre import load_efre, _numbered_columns
from ingest.funding.model import FundingDataset
from ingest.funding.ptdesy import load_ptdesy, _ptdesy_columns

#: Where the shared data lives, seen from the repository root.
DEFAULT_DATA_DIR = Path("../shared/data/funding")
_REPO_ROOT = Path(__file__).resolve().parents[2]

SOURCES = ("efre", "ptdesy")

_FILE_MATCH = {
    "efre": lambda p: "efre" in p.name.lower() and p.suffix.lower() == ".csv",
    "ptdesy": lambda p: "ptdesy" in p.name.lower().replace("-", "").replace("_", "")
    and p.suffix.lower() in (".tsv", ".txt", ".csv"),
}
_LOADERS = {"efre": load_efre, "ptdesy": load_ptdesy}


#: Enough of a file to hold its header line, however wide the export.
SNIFF_BYTES = 64 * 1024


def sniff_format(path) -> str | None:
    """'efre' or 'ptdesy' when the file's header is that public export's, else None.

    Only the first ``SNIFF_BYTES`` are read, so recognising a file costs the same
    for any size; the adapters' own column checks decide, so a file that is sniffed
    as an export is one its adapter can read."""
    with open(path, "rb") as handle:
        head = handle.read(SNIFF_BYTES)
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:   # cut inside a character, or another encoding
        text = (head[:exc.start].decode("utf-8-sig") if exc.start > len(head) - 4
                else head.decode("cp1252", errors="replace"))
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    for fmt, delimiter, columns in (("efre", ",", _numbered_columns), ("ptdesy", "\t", _ptdesy_columns)):
        header = next(csv.reader([first_line], delimiter=delimiter), [])
        try:
            columns(header)
        except ValueError:
            continue
        return fmt
    return None


def find_funding_file(data_dir, name: str) -> Path:
    """The source file for ``name`` under ``data_dir/funding`` or ``data_dir``."""
    if name not in _FILE_MATCH:
        raise ValueError(f"unknown funding source {name!r} (expected one of: {', '.join(SOURCES)})")
    if data_dir is None:
        candidates = [DEFAULT_DATA_DIR, _REPO_ROOT / DEFAULT_DATA_DIR]
    else:
        candidates = [Path(data_dir)]
    for base in candidates:
        for folder in (base / "funding", base):
            if folder.is_dir():
                found = sorted(p for p in folder.iterdir() if p.is_file() and _FILE_MATCH[name](p))
                if found:
                    return found[0]
    where = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(f"Keine Förderdatei „{name}“ in {where} gefunden (auch nicht im Unterordner funding/)")


def load_funding(data_dir, name: str, **options) -> FundingDataset:
    """Load source ``name`` ('efre' | 'ptdesy') from ``data_dir``; None means the default
    ``../shared/data/funding``. Options go to the loader (``saxony_only`` for ptdesy)."""
    path = find_funding_file(data_dir, name)
    return _LOADERS[name](path, **options)
