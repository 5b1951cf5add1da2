"""Ranking metrics for the partner evaluation, with bootstrap confidence intervals.

Relevance is binary (a partner of the held-out joint project or not). A ranking is
a sequence of ids, best first; ids that are not relevant count as misses.
"""
from __future__ import annotations

import math
from typing import Iterable, Sequence

import numpy as np

METRICS = ("recall@10", "ndcg@10", "mrr")
#: Reciprocal rank looks this deep; a partner found later (or never) counts 0.
MRR_DEPTH = 100


def recall_at_k(ranking: Sequence, relevant: Iterable, k: int = 10) -> float:
    relevant = set(relevant)
    if not relevant:
        raise ValueError("recall needs at least one relevant id")
    return len(relevant.intersection(ranking[:k])) / len(relevant)


def ndcg_at_k(ranking: Sequence, relevant: Iterable, k: int = 10) -> float:
    relevant = set(relevant)
    if not relevant:
        raise ValueError("nDCG needs at least one relevant id")
    dcg = sum(1.0 / math.log2(i + 2) for i, item in enumerate(ranking[:k]) if item in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(relevant), k)))
    return dcg / ideal


def reciprocal_rank(ranking: Sequence, relevant: Iterable, depth: int = MRR_DEPTH) -> float:
    relevant = set(relevant)
    for i, item in enumerate(ranking[:depth]):
        if item in relevant:
            return 1.0 / (i + 1)
    return 0.0


def score(ranking: Sequence, relevant: Iterable) -> dict[str, float]:
    """All metrics of one query."""
    relevant = set(relevant)
    return {"recall@10": recall_at_k(ranking, relevant), "ndcg@10": ndcg_at_k(ranking, relevant),
            "mrr": reciprocal_rank(ranking, relevant)}


def bootstrap_ci(values: Sequence[float], resamples: int = 1000, seed: int = 0,
                 level: float = 0.95) -> tuple[float, float]:
    """Percentile interval of the mean over queries resampled with replacement."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) == 0:
        return (math.nan, math.nan)
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), size=(resamples, len(values)))].mean(axis=1)
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return (float(low), float(high))


def summarize(per_query: list[dict[str, float]], resamples: int = 1000, seed: int = 0) -> dict:
    """Mean of each metric, the number of queries and a 95% bootstrap interval per metric.

    The same seed for every ranker resamples the same queries, so intervals of
    rankers on one query set are comparable.
    """
    out: dict = {}
    ci = {}
    for name in METRICS:
        values = [q[name] for q in per_query]
        if not values:   # JSON has no NaN
            out[name], ci[name] = None, None
            continue
        out[name] = round(float(np.mean(values)), 4)
        low, high = bootstrap_ci(values, resamples, seed)
        ci[name] = [round(low, 4), round(high, 4)]
    out["queries"] = len(per_query)
    out["ci95"] = ci
    return out
