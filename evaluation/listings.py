"""How well listings match: the labelled set of issue 16, next to a text-only baseline.

    python -m evaluation.listings [--json] [--out docs/evaluation/listings.md]

``tests/fixtures/listings_labelled.csv`` holds 96 fictitious listings across Saxony owned
by the demo profiles; ``tests/fixtures/listings_pairs.csv`` the pairs that should match and
those that must not (wrong direction, temperature too low, too far for heat, incompatible
material, quantities of another order). Measured, both directions of every pair:

- **should-match in top 5**: the counterpart is among the first five matches;
- **must-not excluded**: the pair never appears among the matches at all.

The baseline ranks every other organisation's listing by the same text score (same model,
same lexical terms) without types or structured constraints; for it "excluded" means "not
in the top 5". The demo profiles are ingested into a temporary database (real model).
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LABELLED = ROOT / "tests" / "fixtures" / "listings_labelled.csv"
PAIRS = ROOT / "tests" / "fixtures" / "listings_pairs.csv"
TOP = 5


def read_pairs(path: Path = PAIRS) -> list[dict]:
    lines = [line for line in path.read_text("utf-8").splitlines() if line and not line.startswith("#")]
    return list(csv.DictReader(lines))


def evaluate(service, pairs: list[dict] | None = None, top: int = TOP) -> dict:
    """Both modes over the labelled pairs (the listings must be in ``service`` already)."""
    pairs = pairs or read_pairs()
    ids = {p[k] for p in pairs for k in ("a", "b")}
    out = {}
    for mode, text_only in (("constraints", False), ("text_only", True)):
        started = time.perf_counter()
        ranked = {lid: [h.listing["id"] for h in service.matches(lid, limit=100, text_only=text_only)]
                  for lid in sorted(ids)}
        seconds = time.perf_counter() - started
        should = [p for p in pairs if p["label"] == "match"]
        must_not = [p for p in pairs if p["label"] == "must_not"]
        hits, missed = 0, []
        for p in should:
            for a, b in ((p["a"], p["b"]), (p["b"], p["a"])):
                if b in ranked[a][:top]:
                    hits += 1
                else:
                    missed.append(f"{a}→{b}")
        violations = []
        for p in must_not:
            for a, b in ((p["a"], p["b"]), (p["b"], p["a"])):
                shown = ranked[a] if not text_only else ranked[a][:top]
                if b in shown:
                    violations.append(f"{a}→{b} ({p['reason']})")
        by_reason = {}
        for p in must_not:
            by_reason.setdefault(p["reason"], 0)
            by_reason[p["reason"]] += 1
        out[mode] = {
            "should_match_top5": round(hits / (2 * len(should)), 3) if should else None,
            "should_match_cases": 2 * len(should), "missed": missed,
            "must_not_excluded": round(1 - len(violations) / (2 * len(must_not)), 3) if must_not else None,
            "must_not_cases": 2 * len(must_not), "violations": violations, "must_not_by_reason": by_reason,
            "ms_per_listing": round(1000 * seconds / max(len(ids), 1), 1),
        }
    return out


def build(workdir: Path, encoder=None):
    """A database with the demo profiles and the labelled listings (real model)."""
    from listings.importer import import_listings
    from listings.service import Listings
    from partnerradar.config import DEMO_PROFILES, Settings
    from partnerradar.radar import Radar

    radar = Radar(Settings(db_path=workdir / "listings-eval.db"), encoder=encoder)
    radar.ingest(DEMO_PROFILES)
    service = Listings(radar)
    report = import_listings(service, LABELLED)
    if report.rejected:
        raise SystemExit("Testdaten abgelehnt: " + "; ".join(str(r) for r in report.rejected))
    return service


def markdown(result: dict, listings: int, pairs: list[dict]) -> str:
    c, t = result["constraints"], result["text_only"]
    should = sum(p["label"] == "match" for p in pairs)
    lines = ["# Angebote und Gesuche: labelled matching", "",
             f"{listings} fictitious listings (tests/fixtures/listings_labelled.csv), {should} should-match "
             f"pairs and {len(pairs) - should} must-not pairs, both directions each. Same model "
             "(the radar's encoder) in both rows.", "",
             "| ranker | should-match in top 5 | must-not excluded | ms per listing |", "|---|---|---|---|",
             f"| **constraints + text** (shipped) | {c['should_match_top5']:.3f} ({c['should_match_cases']}) | "
             f"{c['must_not_excluded']:.3f} ({c['must_not_cases']}) | {c['ms_per_listing']} |",
             f"| text only (baseline; excluded = not in top 5) | {t['should_match_top5']:.3f} | "
             f"{t['must_not_excluded']:.3f} | {t['ms_per_listing']} |", ""]
    if c["missed"]:
        lines += ["Missed (not in the counterpart's top 5): " + ", ".join(c["missed"]), ""]
    if c["violations"]:
        lines += ["Must-not pairs shown: " + ", ".join(c["violations"]), ""]
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Angebote und Gesuche: Trefferqualität auf dem bewerteten Satz.")
    parser.add_argument("--json", action="store_true", help="Ergebnis als JSON ausgeben.")
    parser.add_argument("--out", default="", help="Markdown-Bericht in diese Datei schreiben.")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        service = build(Path(tmp))
        pairs = read_pairs()
        result = evaluate(service, pairs)
        text = markdown(result, service.store.count(), pairs)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else text)
    if result["constraints"]["must_not_excluded"] < 1.0 or result["constraints"]["should_match_top5"] < 0.9:
        sys.exit(1)


if __name__ == "__main__":
    main()
