"""Lexical: German lemma/compound overlap with the query (idf-weighted coverage and BM25)."""
from __future__ import annotations

import numpy as np

from matcher.signals.base import RankContext, Signal

#: Candidates from BM25 (profiles). Fixed, like the dense stage's (``semantic.py``).
LEXICAL_CANDIDATES = 400


class Lexical(Signal):
    name = "lexical"
    content = True
    in_score = True
    ablation = "default-no-lexical"

    def candidates(self, ctx: RankContext, weight: float) -> np.ndarray:
        return _top_positive(_bm25(ctx), LEXICAL_CANDIDATES)

    def score(self, ctx: RankContext) -> np.ndarray:
        query, rows, bm25 = ctx.query, ctx.rows, _bm25(ctx)
        # A need is answered by what a partner offers: its own needs count less.
        coverage = ctx.index.lexical.coverage(list(query.terms), need_factor=query.seeks_factor)
        # Coverage (how much of the query a profile names) ranks better than BM25 alone,
        # which favours long profiles that repeat one word: 3 to 1, tuned.
        # The best BM25 among all allowed profiles (always a candidate of a full ranking).
        top_bm25 = float(np.where(ctx.reference, _profile_scores(ctx), 0.0).max(initial=0.0))
        return (0.75 * np.clip(coverage[rows], 0, 1)
                + 0.25 * (bm25[rows] / top_bm25 if top_bm25 > 0 else 0.0))


def _profile_scores(ctx: RankContext) -> np.ndarray:
    return ctx.memo("bm25", lambda: ctx.index.lexical.profile_scores(ctx.query.terms))


def _bm25(ctx: RankContext) -> np.ndarray:
    return ctx.memo("bm25_allowed", lambda: np.where(ctx.mask, _profile_scores(ctx), 0.0))


def _top_positive(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the (up to) ``k`` largest positive values, in no particular order."""
    positive = np.flatnonzero(values > 0)
    if len(positive) <= k:
        return positive
    return positive[np.argpartition(-values[positive], k - 1)[:k]]
