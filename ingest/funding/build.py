"""Grouping the rows of either adapter into projects and organisation profiles."""
from __future__ import annotations

from collections import Counter

from ingest.funding.joining import _close, _dedupe, _join_limited
from ingest.funding.kinds import guess_kind
from ingest.funding.model import FundingDataset, FundingOrg, Part, Project
from ingest.funding.rows import _Row, _slug_id
from ingest.schema import MAX_FIELD_CHARS

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
