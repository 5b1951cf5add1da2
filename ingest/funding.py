"""Adapters that turn public funding exports into organisation profiles and cooperations.

Two sources, both read at run time from the shared data folder (never copied into
the repository):

* EFRE: Saxony's list of ERDF beneficiaries. One row = one beneficiary in one
  project; rows of the guideline "Verbundprojektförderung" that share a project
  title form one joint project.
* PT-DESY: an export of the federal funding catalogue. One row = one grant; rows
  sharing a ``Verbundprojekt`` value form one joint project. The executing body
  (``Ausführende Stelle``, chair/institute level) is the organisation.

Each loader returns a ``FundingDataset``: organisations as raw profile dicts for
``validate_record``, projects, who took part in what, and the known cooperations
(pairs of partners of a joint project) that the evaluation uses as ground truth.
"""
from __future__ import annotations

import csv
import hashlib
import io
import itertools
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ingest.repair import clean_place, parse_amount, repair_name, repair_text
from ingest.schema import MAX_FIELD_CHARS, clean_text, slugify

#: Where the shared data lives, seen from the repository root.
DEFAULT_DATA_DIR = Path("../shared/data/funding")
_REPO_ROOT = Path(__file__).resolve().parents[1]

SOURCES = ("efre", "ptdesy")
#: Long slugs are shortened (plus a hash, so they stay unique) to fit the id rule
#: of ``validate_record`` (at most 128 characters including the source prefix).
MAX_SLUG = 100


@dataclass
class Project:
    """One funded project; a joint project has several participating organisations."""
    id: str
    title: str      # the cleaned topic
    text: str       # what the (first listed) organisation did in it
    source: str     # 'efre' | 'ptdesy'
    joint: bool     # True only for real joint projects (Verbund)


@dataclass
class Part:
    """What one organisation did in one project (partners of a Verbund differ)."""
    sentence: str   # goes into the organisation's profile description
    text: str       # same meaning as Project.text, for this organisation's own rows


@dataclass
class FundingOrg:
    profile: dict        # raw record for validate_record()
    projects: list[str]  # ids of the projects it took part in, in order of appearance


@dataclass
class FundingDataset:
    name: str
    orgs: dict[str, FundingOrg]
    projects: dict[str, Project]
    participants: dict[str, list[str]]  # project id -> org ids, order of first appearance
    #: (org id, project id) -> that organisation's own part; lets an evaluation
    #: rebuild a description without the project it holds out (see ``description``).
    parts: dict[tuple[str, str], Part] = field(default_factory=dict)
    #: Data rows of the export (header not counted): several rows make one organisation.
    source_rows: int = 0

    def joint_projects(self, min_partners: int = 2) -> list[Project]:
        return [p for p in self.projects.values()
                if p.joint and len(self.participants.get(p.id, ())) >= min_partners]

    def cooperations(self) -> list[tuple[str, str, str]]:
        """Every pair of partners of a joint project: (org_a, org_b, project_id), org_a < org_b."""
        pairs = []
        for project in self.joint_projects():
            for a, b in itertools.combinations(sorted(self.participants[project.id]), 2):
                pairs.append((a, b, project.id))
        return pairs

    def description(self, org_id: str, exclude=()) -> str:
        """The org's profile text from its projects, optionally leaving some projects out."""
        skip = set(exclude)
        sentences = [self.parts[(org_id, pid)].sentence
                     for pid in self.orgs[org_id].projects if pid not in skip]
        return _join_sentences(sentences, MAX_FIELD_CHARS["description"])

    def stats(self) -> dict:
        joint = self.joint_projects(min_partners=1)
        multi = self.joint_projects()
        pairs = self.cooperations()
        partners = {org for p in multi for org in self.participants[p.id]}
        return {
            "orgs": len(self.orgs),
            "projects": len(self.projects),
            "joint_projects": len(joint),
            "joint_projects_2plus": len(multi),
            "partners_per_joint_2plus": round(
                sum(len(self.participants[p.id]) for p in multi) / max(len(multi), 1), 2),
            "cooperation_pairs": len(pairs),
            "distinct_org_pairs": len({(a, b) for a, b, _ in pairs}),
            "orgs_in_joint_2plus": len(partners),
            "kinds": dict(Counter(o.profile["kind"] for o in self.orgs.values())),
        }


# --------------------------------------------------------------------------- rows

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


# --------------------------------------------------------------------------- EFRE

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


# --------------------------------------------------------------------------- PT-DESY

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


# --------------------------------------------------------------------------- build

def _build(source: str, rows: list[_Row]) -> FundingDataset:
    """Group rows into projects and organisations; shared by both loaders."""
    project_of = {}            # (joint, group) -> project id
    titles = {}                # project id -> Counter of titles
    projects, participants, parts = {}, {}, {}
    org_rows: dict[str, list[_Row]] = {}
    org_projects: dict[str, list[str]] = {}
    for row in rows:
        pid = project_of.get((row.joint, row.group))
        if pid is None:
            pid = _unique(row.project_id, projects)
            project_of[(row.joint, row.group)] = pid
            projects[pid] = Project(pid, row.title, row.text, source, row.joint)
            participants[pid], titles[pid] = [], Counter()
        titles[pid][row.title] += 1
        org_id = f"{source}:{_slug_id(row.org)}"
        org_rows.setdefault(org_id, []).append(row)
        if org_id not in participants[pid]:
            participants[pid].append(org_id)
            org_projects.setdefault(org_id, []).append(pid)
            parts[(org_id, pid)] = Part(row.sentence, row.text)
        else:
            _extend_part(parts[(org_id, pid)], row)
    for pid, counter in titles.items():
        # Partners of one Verbund may word the topic differently: take the most common,
        # and of equally common ones the longest (a cut-off title is never preferred).
        projects[pid].title = max(counter.items(), key=lambda item: (item[1], len(item[0])))[0]
    dataset = FundingDataset(source, {}, projects, participants, parts)
    for org_id, its_rows in org_rows.items():
        profile = _profile(org_id, source, its_rows, len(org_projects[org_id]))
        dataset.orgs[org_id] = FundingOrg(profile, org_projects[org_id])
        profile["description"] = dataset.description(org_id)
    return dataset


def _unique(candidate: str, taken: dict) -> str:
    pid, n = candidate, 2
    while pid in taken:
        pid, n = f"{candidate}-{n}", n + 1
    return pid


def _extend_part(part: Part, row: _Row) -> None:
    """An organisation with several rows in one project (several sub-grants)."""
    if row.sentence.casefold() not in part.sentence.casefold():
        part.sentence = f"{_close(part.sentence)} {row.sentence}"
    if row.text.casefold() not in part.text.casefold():
        part.text = f"{_close(part.text)} {row.text}"


def _profile(org_id: str, source: str, rows: list[_Row], n_projects: int) -> dict:
    name = rows[0].org[:MAX_FIELD_CHARS["name"]]
    towns = Counter(r.town for r in rows if r.town)
    amounts = [r.amount for r in rows if r.amount is not None]
    keywords = _dedupe(k for r in rows for k in r.keywords)
    extra = {"projects": n_projects, "source": source}
    if amounts:
        extra["funding_eur"] = round(sum(amounts), 2)
    for key, value in rows[0].org_extra.items():
        extra.setdefault(key, value)
    return {
        "id": org_id, "name": name, "kind": guess_kind(name), "description": "",
        "keywords": _join_limited(keywords, ", ", MAX_FIELD_CHARS["keywords"]),
        # The most frequent place: big bodies (Fraunhofer) run projects in several towns.
        "town": towns.most_common(1)[0][0] if towns else "", "postcode": "",
        "extra": extra,
    }


def _dedupe(items) -> list[str]:
    seen, out = set(), []
    for item in items:
        key = item.casefold()
        if item and key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _join_limited(items: list[str], sep: str, limit: int) -> str:
    out, size = [], 0
    for item in items:
        extra = len(item) + (len(sep) if out else 0)
        if size + extra > limit:
            break
        out.append(item)
        size += extra
    return sep.join(out)


def _join_sentences(sentences: list[str], limit: int) -> str:
    """One sentence per project, duplicates dropped, cut to the schema's length limit.

    "; " between projects makes each project its own passage (``ingest.passages``): a
    project's topic scores on its own instead of blurred with its neighbours'.
    """
    text = _join_limited([s.rstrip(".") for s in _dedupe(sentences)], "; ", limit - 1)
    return _close(text) if text else text


def _close(sentence: str) -> str:
    return sentence if sentence.endswith((".", "!", "?")) else sentence + "."


# --------------------------------------------------------------------------- kinds

#: Names that are research whatever their legal form ("Helmholtz-Zentrum ... GmbH",
#: "Institut für Luft- und Kältetechnik gemeinnützige Gesellschaft mbH").
_RESEARCH_FIRST = re.compile(
    r"universit|hochschule|fraunhofer|leibniz|max-planck|helmholtz|forschungszentrum"
    r"|bergakademie|akademie der wissenschaften|sternwarte|observator|bundesanstalt"
    r"|synchrotron|college|graduate school|\bfür\s+[\w-]*forschung\b"
    r"|^\S*institut|^\S+\s+\S*institut", re.IGNORECASE)
_RESEARCH_ABBREVIATIONS = re.compile(r"\b(?:TU|FH|HTWK?|HfT)\b|\bProf\.")
#: Short legal forms are case-sensitive ("AG" is a company, "ag" in a word is not),
#: except GmbH, which small firms also write "gmbh" or glue on ("technologygmbh").
#: "gGmbH" (non-profit) is no company form here.
_COMPANY = re.compile(
    r"\b(?:mbH|AG|KG|KGaA|OHG|GbR|UG|eG|SE|Ltd|Limited|Inc|e\.\s?K\.|e\.\s?G\.)(?!\w)"
    r"|(?<![\s-]g)(?i:gmbh)(?!\w)")
_COMPANY_WORDS = re.compile(
    r"mit beschränkter haftung|aktiengesellschaft|genossenschaft", re.IGNORECASE)
#: After the legal form: a "School of Design GmbH" is a private school run as a firm,
#: a "School of Engineering" without one is part of a university.
_RESEARCH_LATER = re.compile(r"institut|laborator|school of", re.IGNORECASE)
_ASSOCIATION = re.compile(r"\be\.\s?V\.")
_RESEARCH_WORDS = re.compile(
    r"forschung|research|wissenschaft|technolog|entwicklung|zentrum|center|centre", re.IGNORECASE)


def guess_kind(name: str) -> str:
    """'research', 'kmu' or 'other' from the name alone (EFRE and PT-DESY have no type column).

    Order matters: universities and the big research societies first, then legal
    forms of companies (so "Argomotive GmbH Institut für ..." is a company), then
    institutes and research associations ("... Forschung und Technologie e.V.").
    "gGmbH" (non-profit) is no company form here. 'startup' is never guessed.
    """
    if _RESEARCH_FIRST.search(name) or _RESEARCH_ABBREVIATIONS.search(name):
        return "research"
    if _COMPANY.search(name) or _COMPANY_WORDS.search(name):
        return "kmu"
    if _RESEARCH_LATER.search(name):
        return "research"
    if _ASSOCIATION.search(name) and _RESEARCH_WORDS.search(name):
        return "research"
    return "other"


# --------------------------------------------------------------------------- files

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


def main(argv=None) -> int:
    """Print statistics and load times: ``python -m ingest.funding [DATA_DIR]``."""
    args = sys.argv[1:] if argv is None else argv
    data_dir = args[0] if args else None
    for name, options in (("efre", {}), ("ptdesy", {}), ("ptdesy", {"saxony_only": True})):
        started = time.perf_counter()
        dataset = load_funding(data_dir, name, **options)
        seconds = time.perf_counter() - started
        label = name + (" (saxony_only)" if options else "")
        print(f"{label}: loaded in {seconds:.2f}s: {dataset.stats()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
