"""The PT-DESY adapter: a Förderkatalog export, one row per grant.

Rows sharing a ``Verbundprojekt`` value form one joint project; the executing body
(``Ausführende Stelle``, chair/institute level) is the organisation.
"""
from __future__ import annotations

import re

from ingest.funding.build import _build
from ingest.funding.model import FundingDataset
from ingest.funding.rows import _amount, _read_table, _Row, _slug_id
from ingest.repair import clean_place, repair_name, repair_text
from ingest.schema import clean_text, slugify

#: "Verbundprojekt 05P2018 (ErUM-FSP T01) - ", "Verbundprojekt 05K2020 - 2019-06075 "
#: or "Verbundprojekt: " at the start (call number and proposal number are no topic).
_VERBUND_PREFIX = re.compile(
    r"^Verbundprojekt\b(?:\s+\d{2}[A-Z]\d{4}\b)?(?:\s*\([^)]*\))?\s*(?:[:\-–]\s*)?"
    r"(?:\d{4}-\d{5}\s+)?", re.IGNORECASE)
#: "DESY-FEL: Verbund Ausbau ..." — the word "Verbund" after a facility prefix.
_INNER_VERBUND = re.compile(r"^([^:]{1,40}:\s*)Verbund(?:projekt)?\b\s*:?\s*", re.IGNORECASE)
#: " - Teilprojekt: ...", ". Teilprojekt 2", ", Teilprojekt im ...", ".Teilprojekt 1",
#: " (Teilprojekt 1)"; not "... mehrerer Teilprojekte" inside a topic.
_PART_SUFFIX = re.compile(
    r"(?:\s*[-–:;,.(]\s*|\s+(?=Teilprojekte?(?:\s*[\d:]|\s+(?-i:[A-Z])\b)))Teilprojekte?\b.*$",
    re.IGNORECASE | re.DOTALL)
#: Cells that stand for "no value" in the Förderkatalog export (Excel formula text).
_EMPTY_CELL = re.compile(r'^=?"*$')
#: Rows whose organisation is withheld for data protection are no organisation.
_WITHHELD = re.compile(r"^keine anzeige", re.IGNORECASE)


def clean_topic(thema: str) -> str:
    """The project's topic without Verbund/Teilprojekt boilerplate.

    >>> clean_topic("Verbundprojekt: Leitende Ionenspuren - Teilprojekt: Schichtsynthese")
    'Leitende Ionenspuren'
    """
    topic = repair_text(thema)
    topic = _VERBUND_PREFIX.sub("", topic)
    topic = _INNER_VERBUND.sub(r"\1", topic)
    topic = _PART_SUFFIX.sub("", topic)
    topic = topic.strip(" .,;:-–")
    return topic or repair_text(thema)


def load_ptdesy(path, saxony_only: bool = False) -> FundingDataset:
    """Load a Förderkatalog export (tab-separated).

    ``saxony_only`` keeps the rows whose executing body is in Saxony, so joint
    projects and cooperations are those among Saxon partners.
    """
    table = _read_table(path, "\t")
    col = _ptdesy_columns(table[0])
    rows = []
    for cells in table[1:]:
        cells = cells + [""] * (len(table[0]) - len(cells))
        if saxony_only and clean_text(cells[col["state"]]) != "Sachsen":
            continue
        row = _ptdesy_row(cells, col)
        if row is not None:
            rows.append(row)
    dataset = _build("ptdesy", rows)
    dataset.source_rows = len(table) - 1
    return dataset


def _ptdesy_columns(header: list[str]) -> dict[str, int]:
    """Column positions. The place columns occur twice (recipient, then executing
    body), so the executing body's place is found by its offset from 'Ausführende Stelle'."""
    names = [clean_text(h) for h in header]

    def first(name):
        if name not in names:
            raise ValueError(f"kein Export des Förderkatalogs: Spalte „{name}“ fehlt")
        return names.index(name)

    body = first("Ausführende Stelle")
    return {
        "fkz": first("FKZ"), "recipient": first("Zuwendungsempfänger"), "body": body,
        "ags": body + 1, "municipality": body + 2, "place": body + 3, "state": body + 4,
        "thema": first("Thema"), "label": first("Klartext Leistungsplansystematik"),
        "amount": first("Fördersumme in EUR"), "verbund": first("Verbundprojekt"),
    }


def _ptdesy_row(cells: list[str], col: dict[str, int]) -> _Row | None:
    recipient = repair_name(cells[col["recipient"]])
    name = repair_name(cells[col["body"]]) or recipient
    thema = repair_text(cells[col["thema"]])
    if not name or _WITHHELD.match(name) or not thema:
        return None
    verbund = re.sub(r'^="(.*)"$', r"\1", clean_text(cells[col["verbund"]]))
    joint = not _EMPTY_CELL.match(verbund)
    fkz = clean_text(cells[col["fkz"]])
    label = repair_text(cells[col["label"]])
    title = clean_topic(thema)
    text = thema if not label else f"{thema.rstrip('. ')}. {label}"
    extra = {key: value for key, value in (
        ("gemeindekennziffer", clean_text(cells[col["ags"]])),
        ("bundesland", clean_text(cells[col["state"]])),
        ("recipient", recipient if recipient != name else ""),
    ) if value}
    return _Row(
        org=name,
        group=slugify(verbund) if joint else "fkz:" + fkz,
        project_id=_slug_id(verbund if joint else fkz), joint=joint,
        title=title, text=text, sentence=title, keywords=[label] if label else [],
        town=clean_place(cells[col["place"]]) or clean_place(cells[col["municipality"]]),
        amount=_amount(cells[col["amount"]]), org_extra=extra,
    )
