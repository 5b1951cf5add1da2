"""A snapshot of the ranking, to show that a refactoring left it as it was.

Ranks about 80 varied requests (free text, text on behalf of a seeker, partners for a
profile, with kind, place, radius and district filters, and every ablation of
``evaluation/harness.ABLATIONS``) on two databases: the bundled demo profiles and a test
fixture (``tests/fixtures/profile_klein.csv`` plus the invented funding exports, whose
joint projects give the network, topic and activity signals something to do). For each
request it writes the ranker's candidates (ids, fused scores, signals) and the radar's
answer (ids, scores 0..100, explanations with their German reasons) to a JSON file.

    python -m evaluation.ranking_snapshot --out before.json
    # ... change the code ...
    python -m evaluation.ranking_snapshot --out after.json --compare before.json

The databases are kept in ``--workdir`` (embedded once; later runs only embed the queries),
so both runs rank the very same stored vectors. Take the baseline from a run that found the
databases built: the run that builds them ranks on the index it has just made, whose
cosines differ from the stored index's in the sixth decimal. ``--compare`` fails (exit 1) unless every
request gives the same ids in the same order, fused scores and signals within 1e-9 and the
same explanations.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

from evaluation.harness import ABLATIONS
from index.embedding import create_embedder
from matcher.ranker import Query, Ranker
from matcher.request import SearchRequest
from partnerradar.config import Settings
from partnerradar.funding_import import import_funding
from partnerradar.radar import Radar

ROOT = Path(__file__).resolve().parent.parent
DEMO_CSV = ROOT / "data" / "demo" / "saxony_demo_profiles.csv"
FIXTURES = ROOT / "tests" / "fixtures"
TOLERANCE = 1e-9
#: Candidates of the raw ranking kept per request (the radar's answer has ``limit``).
RAW_TOP = 40

DEMO_TEXTS = [
    "Wer kann uns bei der Digitalisierung der Instandhaltung helfen?",
    "Laserschweißen von Aluminium für den Leichtbau",
    "Wir suchen einen Forschungspartner für KI-gestützte Qualitätsprüfung in der Fertigung.",
    "Wasserstoff Elektrolyse Speicher",
    "Recycling von Kunststoffabfällen und Kreislaufwirtschaft",
    "Sensorik für Zustandsüberwachung an Werkzeugmaschinen. Funkübertragung der Messwerte.",
    "Textilien mit eingebetteter Elektronik",
    "Holzbau",
    "Batteriezellen Fertigung Prüfstand",
    "Wir brauchen Unterstützung bei der Lebensmittelsicherheit und Rückverfolgbarkeit.",
    "Additive Fertigung von Metallbauteilen",
    "Software für Energiemanagement in Gewerbebetrieben",
    "Medizintechnik Implantate Oberflächenbeschichtung",
    "Agrar Drohnen Bodenfeuchte",
    "xyzzy quux",            # matches nothing: the content floor and empty reasons
]
#: (text, filters) on the demo data.
DEMO_FILTERED = [
    ("Digitalisierung der Instandhaltung", {"kinds": ["research"]}),
    ("Digitalisierung der Instandhaltung", {"kinds": ["kmu", "startup"], "limit": 20}),
    ("Laserschweißen", {"near": "Chemnitz"}),
    ("Laserschweißen", {"near": "09111 Chemnitz", "radius_km": 30}),
    ("Sensorik", {"near": "Dresden", "radius_km": 50, "kinds": ["startup"]}),
    ("Kunststoff Recycling", {"landkreis": "Mittelsachsen"}),
    ("Kunststoff Recycling", {"near": "04109", "radius_km": 80}),
    ("Energie", {"limit": 50}),
    ("Energie", {"exclude": ["demo-001", "demo-002"]}),
]


def demo_radar(workdir: Path, encoder) -> Radar:
    radar = Radar(Settings(db_path=workdir / "demo" / "demo.db"), encoder=encoder)
    if not radar.store.count_profiles():
        radar.ingest(DEMO_CSV)
    return radar


def fixture_radar(workdir: Path, encoder) -> Radar:
    radar = Radar(Settings(db_path=workdir / "fixture" / "fixture.db"), encoder=encoder)
    if not radar.store.count_profiles():
        radar.ingest(FIXTURES / "profile_klein.csv")
        import_funding(radar, FIXTURES / "efre_sample.csv", "efre")
        import_funding(radar, FIXTURES / "ptdesy_sample.tsv", "ptdesy")
    return radar


def requests(radar: Radar, name: str):
    """(label, kind, request data, ablation) for one database."""
    ids = list(radar.index.profiles.ids)
    cases = []
    if name == "demo":
        for text in DEMO_TEXTS:
            cases.append(("text", {"query": text}, None))
        for text, filters in DEMO_FILTERED:
            cases.append(("text", {"query": text, **filters}, None))
        seekers = ids[::25]
        for seeker in seekers:
            cases.append(("partners", {"seeker": seeker}, None))
        cases.append(("partners", {"seeker": seekers[0], "kinds": ["research"], "limit": 15}, None))
        cases.append(("partners", {"seeker": seekers[1], "near": "Leipzig", "radius_km": 60}, None))
        cases.append(("text", {"query": "Prüfstand für Antriebe", "seeker": seekers[2]}, None))
        for ablation in ABLATIONS:
            cases.append(("text", {"query": DEMO_TEXTS[0]}, ablation))
            cases.append(("partners", {"seeker": seekers[3]}, ablation))
    else:
        index = radar.index
        connected = [radar.index.profiles.ids[r] for r in sorted(index.neighbours)]
        for text in ("Sensorsystem für Windkraftanlagen", "Laserstrahlschweißen Nahtprüfung",
                     "Instandhaltung Software", "Wasseraufbereitung", "Produktionstechnik"):
            cases.append(("text", {"query": text}, None))
        for seeker in connected[:6]:
            cases.append(("text", {"query": "Sensorsystem für Windkraftanlagen", "seeker": seeker}, None))
            cases.append(("partners", {"seeker": seeker}, None))
        cases.append(("partners", {"seeker": connected[0], "include_known": True}, None))
        cases.append(("partners", {"seeker": "kl-laser"}, None))
        cases.append(("text", {"query": "Schweißen", "near": "Zwickau", "radius_km": 100}, None))
        for ablation in ABLATIONS:
            cases.append(("text", {"query": "Sensorsystem Windkraft", "seeker": connected[0]}, ablation))
            cases.append(("partners", {"seeker": connected[0], "include_known": True}, ablation))
    return cases


def _request(data: dict) -> SearchRequest:
    """Validated exactly as the API and the CLI do."""
    return SearchRequest.from_dict(data)


def _plain(value):
    """JSON-ready: numpy scalars and arrays to Python, NaN to None."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def snapshot_of(radar: Radar, name: str) -> list[dict]:
    out = []
    index = radar.index
    ranker = Ranker(index, radar.weights, radar.gazetteer, radar.similarity_range)
    for kind, data, ablation in requests(radar, name):
        weights = radar.weights.without(ablation) if ablation else None
        req = _request(data)
        if kind == "partners":
            row = index.profiles.row_of[req.seeker]
            query = Query.for_profile(radar.store.passages_for(req.seeker), index.lexical.profile_terms(row), row)
            results = radar.partners(req.seeker, _request(data), weights=weights)
        else:
            query = Query.for_text(req.query, radar.analyzer, radar.encoder)
            if req.seeker:
                query.seeker_row = index.profiles.row_of[req.seeker]
            results = radar.search(_request(data), weights=weights)
        found = ranker.rank(query, req, weights)
        top = slice(0, RAW_TOP)
        out.append({
            "database": name, "kind": kind, "request": data, "ablation": ablation,
            "ranked": {
                "ids": [index.profiles.ids[r] for r in found.rows[top]],
                "fused": _plain(found.fused[top]) if found.fused is not None else [],
                "signals": {k: _plain(np.asarray(v)[top]) for k, v in sorted(found.signals.items())},
                "distance_km": None if found.distance_km is None else _plain(found.distance_km[top]),
            },
            "results": _plain(results),
        })
    return out


def compare(before: list[dict], after: list[dict]) -> list[str]:
    """What differs, in lines (empty: the same ranking). Requests are matched by what they
    ask (database, kind, request, ablation), not by their position in the file."""
    def key(case):
        return json.dumps([case["database"], case["kind"], case["request"], case["ablation"]], sort_keys=True)

    problems = []
    after_of = {key(a): a for a in after}
    missing = [key(b) for b in before if key(b) not in after_of]
    if missing or len(before) != len(after):
        return [f"{len(before)} requests before, {len(after)} after; not asked after: {missing[:3]}"]
    for b in before:
        a = after_of[key(b)]
        label = f"{b['database']} {b['kind']} {b['request']} ablation={b['ablation']}"
        rb, ra = b["ranked"], a["ranked"]
        if rb["ids"] != ra["ids"]:
            problems.append(f"{label}: order differs: {rb['ids'][:5]} vs {ra['ids'][:5]}")
            continue
        if not _close(rb["fused"], ra["fused"]):
            problems.append(f"{label}: fused scores differ")
        if sorted(rb["signals"]) != sorted(ra["signals"]):
            problems.append(f"{label}: signals {sorted(rb['signals'])} vs {sorted(ra['signals'])}")
        else:
            for name in rb["signals"]:
                if not _close(rb["signals"][name], ra["signals"][name]):
                    problems.append(f"{label}: signal {name} differs")
        if not _close(rb["distance_km"] or [], ra["distance_km"] or []):
            problems.append(f"{label}: distances differ")
        if b["results"] != a["results"]:
            problems.append(f"{label}: the radar's answer (scores or explanations) differs")
    return problems


def _close(xs, ys) -> bool:
    if len(xs) != len(ys):
        return False
    for x, y in zip(xs, ys):
        if x is None or y is None:
            if x is not y:
                return False
        elif abs(x - y) > TOLERANCE:
            return False
    return True


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="JSON file to write")
    parser.add_argument("--workdir", type=Path, default=ROOT / "data" / "snapshot",
                        help="databases kept here between runs (default: data/snapshot, ignored by git)")
    parser.add_argument("--compare", type=Path, help="an earlier snapshot: fail unless equal")
    parser.add_argument("--only-compare", action="store_true",
                        help="compare --out (already written) with --compare, rank nothing")
    args = parser.parse_args(argv)
    if args.only_compare:
        return _report(compare(_read(args.compare), _read(args.out)))
    settings = Settings()
    encoder = create_embedder(settings.model, settings.threads)
    snapshot = []
    for name, build in (("demo", demo_radar), ("fixture", fixture_radar)):
        radar = build(args.workdir, encoder)
        snapshot.extend(snapshot_of(radar, name))
        radar.store.close()
    args.out.write_text(json.dumps(snapshot, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"{len(snapshot)} Anfragen nach {args.out} geschrieben")
    return _report(compare(_read(args.compare), snapshot)) if args.compare else 0


def _read(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))


def _report(problems: list[str]) -> int:
    for line in problems[:50]:
        print(line)
    print("gleich" if not problems else f"{len(problems)} Unterschiede")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
