"""Tune ``Weights`` offline from the candidate dumps of ``partnerradar evaluate --dump``.

The fusion is linear in the signals, so re-ranking a query's dumped candidates with other
weights gives exactly the ranking the product would give (the candidates themselves do
not depend on the weights, except that a zero network or activity weight drops the
structural candidates, which then rank last anyway). Weights are searched by coordinate
descent on half A of the joint projects of every data set and mode together (one set of
weights for all: no per-data-set switch) and reported on half B.

    python -m evaluation.tune DUMP [DUMP ...]
"""
from __future__ import annotations

import argparse
import math
import pickle
from dataclasses import asdict, replace

import numpy as np

from evaluation.harness import half_of
from matcher.ranker import Weights, fuse, order

GRID = {
    "semantic": [0.0, 0.1, 0.2, 0.3, 0.4, 0.6, 0.8, 1.0, 1.5],
    "whole": [0.0, 0.1, 0.2, 0.3, 0.4, 0.6, 0.8, 1.0, 1.5],
    "lexical": [0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.5],
    "network": [0.0, 0.1, 0.2, 0.3, 0.5, 0.8, 1.0],
    "shared_topic": [0.0, 0.2, 0.5, 0.8, 1.2],
    "complement": [0.0, 0.1, 0.2, 0.3, 0.5],
    "activity": [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0],
    "content_floor": [0.0, 0.1, 0.2, 0.3, 0.4, 0.5],
}


def load(paths) -> list[dict]:
    cases = []
    for path in paths:
        with open(path, "rb") as handle:
            cases += pickle.load(handle)
    return cases


def rank(case: dict, weights: Weights) -> np.ndarray:
    fused, tiers = fuse(case["signals"], weights)
    return case["rows"][order(fused, tiers)]


def scores(case: dict, weights: Weights) -> tuple[float, float]:
    """(recall@10, nDCG@10) of one case."""
    relevant = set(case["relevant"])
    top = rank(case, weights)[:10]
    hits = [r in relevant for r in top]
    dcg = sum(1.0 / math.log2(i + 2) for i, h in enumerate(hits) if h)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(relevant), 10)))
    return sum(hits) / len(relevant), dcg / ideal


def report(cases: list[dict], weights: Weights) -> dict[tuple[str, str], tuple[float, float, int]]:
    out: dict = {}
    for key in sorted({(c["dataset"], c["mode"]) for c in cases}):
        chosen = [c for c in cases if (c["dataset"], c["mode"]) == key]
        values = np.array([scores(c, weights) for c in chosen]) if chosen else np.zeros((0, 2))
        out[key] = (float(values[:, 0].mean()), float(values[:, 1].mean()), len(chosen))
    return out


def objective(cases: list[dict], weights: Weights, quality: list[dict] | None = None) -> float:
    """Mean over data set and mode of (R@10 + nDCG@10) / 2: each combination counts alike;
    with ``quality`` (the paraphrased needs of ``evaluation.quality_checks``) the share of
    those needs whose firm is in the top 10 counts as one more combination."""
    table = report(cases, weights)
    parts = [(r + n) / 2 for r, n, _ in table.values()]
    if quality:
        parts.append(paraphrase_share(quality, weights))
    return float(np.mean(parts))


def paraphrase_share(quality: list[dict], weights: Weights) -> float:
    chosen = [q for q in quality if q["kind"] == "para" and q["target"] >= 0]
    return float(np.mean([q["target"] in set(rank(q, weights)[:10].tolist()) for q in chosen])) if chosen else 0.0


def hub_share(quality: list[dict], weights: Weights, hubs: int = 5) -> float:
    """Everyday needs: the share of top-10 places taken by the ``hubs`` organisations that
    appear most often over all of them (a popularity list scores near 0.5)."""
    from collections import Counter

    chosen = [q for q in quality if q["kind"] == "everyday"]
    tops = [rank(q, weights)[:10].tolist() for q in chosen]
    common = {row for row, _ in Counter(r for top in tops for r in top).most_common(hubs)}
    return float(np.mean([sum(r in common for r in top) / 10 for top in tops])) if tops else 0.0


def tune(cases: list[dict], start: Weights, rounds: int = 3, quality: list[dict] | None = None) -> Weights:
    best, best_value = start, objective(cases, start, quality)
    for _ in range(rounds):
        improved = False
        for name, grid in GRID.items():
            for value in grid:
                trial = replace(best, **{name: value})
                result = objective(cases, trial, quality)
                if result > best_value + 1e-6:
                    best, best_value, improved = trial, result, True
        if not improved:
            break
    return best


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dumps", nargs="+")
    parser.add_argument("--quality", help="candidate dump of the quality checks' needs (optional)")
    args = parser.parse_args(argv)
    cases = load(args.dumps)
    quality = load([args.quality]) if args.quality else None
    half_a = [c for c in cases if half_of(c["project"]) == "A"]
    half_b = [c for c in cases if half_of(c["project"]) == "B"]
    start = Weights()
    tuned = tune(half_a, start, quality=quality)
    print("tuned on half A:", {k: v for k, v in asdict(tuned).items()})
    for label, weights in (("current", start), ("tuned", tuned)):
        if quality:
            print(f"{label:8s} paraphrased needs in top 10: {paraphrase_share(quality, weights):.2f}; "
                  f"top-5 hubs' share of everyday top 10s: {hub_share(quality, weights):.2f}")
        for half, chosen in (("A", half_a), ("B", half_b)):
            for (ds, mode), (r, n, q) in report(chosen, weights).items():
                print(f"{label:8s} half {half} {ds:7s} {mode:8s} R@10 {r:.3f} nDCG@10 {n:.3f} ({q} queries)")


if __name__ == "__main__":
    main()
