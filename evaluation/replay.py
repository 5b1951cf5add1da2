"""Do recorded introduction outcomes help the ranking? A replay of the PT-DESY joint projects.

Protocol (issue 15)
-------------------
The Förderkatalog's joint projects (``Verbundprojekt``) are put in order of their start
(``Laufzeit von``, the earliest row of the project). The median start date splits them:

* the organisations' profiles hold only what they did *before* the split (their earlier
  projects' topics), so a later project's title is in no profile;
* every later project P is a query, on behalf of its first listed partner (the seeker),
  with P's other partners (that have a profile) as the right answers: ``partners`` for the
  seeker (mode ``profile``) and a search for P's title (mode ``title``), known partners
  rankable (a repeat partner is a right answer), top 10;
* **without outcomes**: no known cooperations at all (Partnerradar never heard back);
* **with outcomes**: every joint project that started before P is recorded as if it had
  been an introduction that ended in "Kooperation / Projekt": the rows
  ``IntroductionStore.change_state`` writes (source ``partnerradar``, "über Partnerradar
  vermittelt"), each pair of its partners, added in order of start dates as the replay
  moves on, through ``Radar.add_cooperations`` (the index's network graph follows).

    python -m evaluation.replay [--data-dir ../shared/data] [--json replay.json]

Reads the export at run time; nothing derived from it is written into the repository.
"""
from __future__ import annotations

import argparse
import csv
import itertools
import json
import re
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

from evaluation.metrics import recall_at_k, bootstrap_ci
from ingest.funding import find_funding_file, load_ptdesy
from ingest.funding.rows import _slug_id
from ingest.pipeline import IngestReport
from ingest.readers import Row
from ingest.schema import clean_text
from introductions.model import COOPERATION_SOURCE, COOPERATION_TITLE
from matcher.request import SearchRequest
from partnerradar.config import load_settings

csv.field_size_limit(10**9)


def start_dates(path: Path) -> dict[str, date]:
    """Joint project id (as ``ingest.funding`` names it) -> its earliest 'Laufzeit von'."""
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t"))
    names = [clean_text(h) for h in rows[0]]
    verbund, start = names.index("Verbundprojekt"), names.index("Laufzeit von")
    out: dict[str, date] = {}
    for cells in rows[1:]:
        if len(cells) <= max(verbund, start):
            continue
        name = re.sub(r'^="(.*)"$', r"\1", clean_text(cells[verbund]))
        if not name or name in ('="', '"'):
            continue
        try:
            day = datetime.strptime(clean_text(cells[start]), "%d.%m.%Y").date()
        except ValueError:
            continue
        pid = _slug_id(name)
        out[pid] = min(out.get(pid, day), day)
    return out


def outcome_rows(dataset, project_ids):
    for pid in project_ids:
        for a, b in itertools.combinations(sorted(dataset.participants[pid]), 2):
            yield a, b, f"partnerradar:replay:{pid}", COOPERATION_TITLE, COOPERATION_SOURCE


def replay(data_dir, work_dir: Path, log=print) -> dict:
    from partnerradar.radar import Radar

    path = find_funding_file(data_dir, "ptdesy")
    dataset = load_ptdesy(path)
    starts = start_dates(path)
    joint = sorted((p for p in dataset.joint_projects() if p.id in starts), key=lambda p: (starts[p.id], p.id))
    split = starts[joint[len(joint) // 2].id]
    earlier = [p for p in joint if starts[p.id] < split]
    later = [p for p in joint if starts[p.id] >= split]
    later_ids = {p.id for p in later}

    settings = load_settings().with_db(work_dir / "replay.db")
    radar = Radar(settings)
    rows = []
    for n, (org_id, org) in enumerate(dataset.orgs.items(), start=1):
        description = dataset.description(org_id, exclude=later_ids)
        if description:
            rows.append(Row(n, record={**org.profile, "description": description}, raw=org_id))
    log(f"{len(rows)} Profile (nur Vorhaben vor {split:%d.%m.%Y}) werden eingebettet …")
    report = radar.ingest_rows(rows, IngestReport(file="ptdesy-replay"), source="ptdesy")
    stored = set(report.ids)

    cases = []
    for p in later:
        seeker, *others = dataset.participants[p.id]
        relevant = [o for o in others if o in stored and o != seeker]
        if seeker in stored and relevant:
            cases.append((p, seeker, relevant))
    log(f"{len(earlier)} frühere, {len(later)} spätere Verbundprojekte; {len(cases)} davon als Anfragen")

    def rank(p, seeker, mode) -> list[str]:
        if mode == "profile":
            hits = radar.partners(seeker, SearchRequest(limit=10, include_known=True), explain=False)
        else:
            hits = radar.search(SearchRequest(query=p.title[:2000], seeker=seeker, limit=10, include_known=True),
                                explain=False)
        return [h["id"] for h in hits]

    results = {}
    for condition in ("without", "with"):
        recorded = set()
        if condition == "with":
            recorded = {p.id for p in earlier}
            radar.add_cooperations(outcome_rows(dataset, sorted(recorded)))
        scores = {"profile": [], "title": []}
        for p, seeker, relevant in cases:
            if condition == "with":
                due = [q.id for q in joint if starts[q.id] < starts[p.id] and q.id not in recorded]
                if due:
                    radar.add_cooperations(outcome_rows(dataset, due))
                    recorded.update(due)
            for mode in scores:
                scores[mode].append(recall_at_k(rank(p, seeker, mode), relevant))
        results[condition] = {mode: {"recall@10": round(sum(v) / len(v), 3),
                                     "ci95": [round(x, 3) for x in bootstrap_ci(v)], "queries": len(v)}
                              for mode, v in scores.items()}
        log(f"{condition}: " + ", ".join(f"{m} R@10 {r['recall@10']:.3f}" for m, r in results[condition].items()))
    return {"split": split.isoformat(), "earlier_projects": len(earlier), "later_projects": len(later),
            "queries": len(cases), "profiles": len(stored), "results": results}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Replay der PT-DESY-Verbundprojekte: R@10 mit und ohne "
                                                 "erfasste Anbahnungs-Ergebnisse.")
    parser.add_argument("--data-dir", default="../shared/data")
    parser.add_argument("--json", dest="json_out", default=None)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        out = replay(args.data_dir, Path(tmp))
    out["seconds"] = round(time.perf_counter() - started, 1)
    text = json.dumps(out, ensure_ascii=False, indent=2)
    print(text)
    if args.json_out:
        Path(args.json_out).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
