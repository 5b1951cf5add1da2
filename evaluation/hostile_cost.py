"""CPU cost of the largest inputs an attacker may send (issue 12, item 7).

    python -m evaluation.hostile_cost [--repeat 3] [--skip-radar]

Every input is of the documented maximum size: a description of 20,000 characters (plus
offers/seeks 5,000, keywords 2,000, name 300: the whole profile), and a query of 2,000
characters. For each shape (one endless compound, many distinct long words, normal German
text) it prints the median CPU seconds (``time.process_time``: all threads of this
process) of

- ``analyze``: the analyzer's terms of the text alone,
- ``ingest``: saving the whole profile through ``Radar.save`` (validation, passages,
  analysis, embedding, SQLite, index update) into a fresh temporary database,
- ``query``: one search with the 2,000-character query against the demo profiles.

The goal is under 2 s for every row. Only the standard library and the project are
imported, so the script also runs against an older checkout (for before/after numbers).
"""
from __future__ import annotations

import argparse
import random
import statistics
import string
import sys
import tempfile
import time
from pathlib import Path

DESCRIPTION_MAX = 20000
OFFERS_MAX = 5000
KEYWORDS_MAX = 2000
NAME_MAX = 300
QUERY_MAX = 2000

NORMAL = ("Wir entwickeln Verfahren zum Laserstrahlschweißen von Aluminiumbauteilen im "
          "Leichtbau und bieten Schweißtechnik, Werkstoffprüfung und Fügetechnik an. ")


def _fit(unit: str, size: int, sep: str = "") -> str:
    text = (unit + sep) * (size // max(1, len(unit + sep)) + 1)
    return text[:size].rstrip()


def _demo_text(seed: int) -> str:
    """The demo profiles' descriptions (fictitious, in the repository), shuffled: real German
    sentences, all different, as a long honest profile would have them."""
    import csv

    path = Path(__file__).resolve().parent.parent / "data" / "demo" / "saxony_demo_profiles.csv"
    with path.open(encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    texts = [row["description"] for row in csv.DictReader(lines) if row.get("description")]
    random.Random(seed).shuffle(texts)
    return " ".join(texts)


def shapes(size: int, seed: int = 0) -> dict[str, str]:
    rng = random.Random(seed)
    letters = string.ascii_lowercase + "äöüß"
    distinct = " ".join("".join(rng.choice(letters) for _ in range(40)) for _ in range(size // 41 + 1))
    return {
        "one compound (Haus × n)": _fit("Haus", size),
        "hyphenated (Haus-Haus-…)": _fit("Haus-", size),
        "distinct 40-letter words": distinct[:size].rstrip(),
        "one sentence repeated": _fit(NORMAL, size),
        "normal German text": _fit(_demo_text(seed), size),
    }


def cpu(action) -> float:
    start = time.process_time()
    action()
    return time.process_time() - start


def median_cpu(action, repeat: int) -> float:
    return statistics.median(cpu(action) for _ in range(repeat))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-radar", action="store_true", help="analyzer rows only (no model)")
    args = parser.parse_args(argv)

    from index.analyzer import GermanAnalyzer

    rows: list[tuple[str, str, float]] = []
    for name, text in shapes(DESCRIPTION_MAX).items():
        # A fresh analyzer each time: its caches would hide the cost of the first call.
        analyzer = GermanAnalyzer()
        rows.append(("analyze 20,000 chars", name, cpu(lambda: analyzer.terms(text))))
    for name, text in shapes(QUERY_MAX, seed=1).items():
        analyzer = GermanAnalyzer()
        rows.append(("analyze 2,000 chars", name, cpu(lambda: analyzer.terms(text))))

    if not args.skip_radar:
        from partnerradar.config import Settings
        from partnerradar.radar import Radar
        from matcher.request import SearchRequest

        root = Path(__file__).resolve().parent.parent
        demo = root / "data" / "demo" / "saxony_demo_profiles.csv"
        with tempfile.TemporaryDirectory(prefix="partnerradar-hostile-") as tmp:
            radar = Radar(Settings(db_path=Path(tmp) / "demo.db"))
            radar.ingest(demo)
            radar.search(SearchRequest.from_dict({"query": "Schweißen"}))   # warm up model and index
            fields = {"description": shapes(DESCRIPTION_MAX, seed=2), "offers": shapes(OFFERS_MAX, seed=4),
                      "seeks": shapes(OFFERS_MAX, seed=5), "keywords": shapes(KEYWORDS_MAX, seed=6)}
            for number, name in enumerate(fields["description"]):
                def save(name=name, number=number):
                    # A new id each time: an unchanged profile would be skipped. Each field
                    # has text of its own (the same text twice would be embedded once).
                    save.n = getattr(save, "n", 0) + 1
                    record = {"id": f"hostile-{number}-{save.n}", "name": _fit("Haus", NAME_MAX),
                              "kind": "kmu", **{field: texts[name] for field, texts in fields.items()}}
                    report = radar.save([record], source="hostile")
                    assert not report.rejected, report.rejected
                rows.append(("ingest whole max profile", name, median_cpu(save, args.repeat)))
            for name, text in shapes(QUERY_MAX, seed=3).items():
                request = SearchRequest.from_dict({"query": text, "limit": 10})
                rows.append(("query 2,000 chars", name, median_cpu(lambda: radar.search(request), args.repeat)))
            radar.store.close()

    width = max(len(r[0]) for r in rows)
    shape_width = max(len(r[1]) for r in rows)
    print(f"{'input':<{width}}  {'shape':<{shape_width}}  CPU s (median)")
    for what, name, seconds in rows:
        print(f"{what:<{width}}  {name:<{shape_width}}  {seconds:8.3f}")
    worst = max(r[2] for r in rows)
    print(f"worst: {worst:.3f} s CPU (goal: under 2 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
