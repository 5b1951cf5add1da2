"""The EFRE adapter: Saxony's list of ERDF beneficiaries, one row per beneficiary and project.

Rows of the guideline "Verbundprojektförderung" that share a project title form one joint project.
"""
from __future__ import annotations

import re

from ingest.funding.build import _build
from ingest.funding.model import FundingDataset
from ingest.funding.rows import _amount, _read_table, _Row, _slug_id, _title_key
from ingest.repair import clean_place, repair_name, repair_text
from ingest.schema import clean_text

EFRE_JOINT_GUIDELINE = "Verbundprojektförderung"
#: Shared trade-fair stands list many firms under one title but are no cooperation.
_TRADE_FAIR = re.compile(r"\bmesse|gemeinschaftss?tand", re.IGNORECASE)
#: Titles cut off by the PDF cell ("... im Vorratsschu") are merged into the one
#: longer title they start, but only when long enough to be unambiguous.
MIN_TRUNCATED_TITLE_KEY = 40


def load_efre(path) -> FundingDataset:
    """Load the EFRE beneficiary list (comma-separated, numbered German columns)."""
    table = _read_table(path, ",")
    col = _numbered_columns(table[0])
    rows = []
    for cells in table[1:]:
        row = _efre_row(_NumberedCells(cells, col))
        if row is not None:
            rows.append(row)
    _merge_truncated_titles([r for r in rows if r.joint])
    dataset = _build("efre", rows)
    dataset.source_rows = len(table) - 1
    return dataset


def _numbered_columns(header: list[str]) -> dict[int, int]:
    """Map the column numbers ("12. Förderrichtlinie" -> 12) to positions."""
    numbers = {}
    for pos, name in enumerate(header):
        match = re.match(r"\s*(\d+)\.", name)
        if match:
            numbers.setdefault(int(match.group(1)), pos)
    missing = {1, 2} - set(numbers)
    if missing:
        raise ValueError(f"keine EFRE-Begünstigtenliste: Spalte(n) Nr. {', '.join(map(str, sorted(missing)))} fehlen")
    return numbers


class _NumberedCells:
    """Cells of one row looked up by column number; absent columns read as ''."""

    def __init__(self, cells: list[str], positions: dict[int, int]):
        self.cells, self.positions = cells, positions

    def __call__(self, number: int) -> str:
        pos = self.positions.get(number)
        return self.cells[pos] if pos is not None and pos < len(self.cells) else ""


def _efre_row(cell: _NumberedCells) -> _Row | None:
    name = repair_name(cell(1))
    title, summary = repair_text(cell(2)), repair_text(cell(3))
    title = title or summary
    if not name or not title:
        return None
    guideline, subject = clean_text(cell(12)), clean_text(cell(14))
    trade_fair = bool(_TRADE_FAIR.search(f"{guideline} {subject}")
                      or re.match(r"gemeinschaftss?tand", title, re.IGNORECASE))
    joint = guideline == EFRE_JOINT_GUIDELINE and not trade_fair
    # The summary mostly repeats the title; where it differs it says what was done
    # ("MEP-Zuschuss" -> "Herstellung marktfähiger Serienmuster ..."), so it is the
    # better sentence for the profile.
    text = summary if summary and summary.casefold() != title.casefold() else title
    return _Row(
        org=name, group=_title_key(title), project_id=_slug_id(title), joint=joint,
        title=title, text=text, sentence=text,
        keywords=[k for k in (guideline, subject) if k],
        town=clean_place(cell(8)), amount=_amount(cell(6)),
        org_extra={"landkreis": clean_place(cell(9))} if clean_place(cell(9)) else {},
    )


def _merge_truncated_titles(rows: list[_Row]) -> None:
    """Give rows whose title was cut off the group of the single title they start."""
    keys = {r.group for r in rows}
    target = {}
    for key in keys:
        if len(key) < MIN_TRUNCATED_TITLE_KEY:
            continue
        longer = [other for other in keys if other != key and other.startswith(key)]
        if len(longer) == 1:
            target[key] = longer[0]
    first_id = {}
    for r in rows:
        first_id.setdefault(r.group, r.project_id)
    for r in rows:
        if r.group in target:
            r.group = target[r.group]
            r.project_id = first_id[r.group]
