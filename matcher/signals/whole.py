"""Whole: the cosine between the query and the partner's whole-profile vector."""
from __future__ import annotations

import numpy as np

from ingest.passages import WHOLE_FIELD
from matcher.query import PROFILE
from matcher.signals.base import RankContext, Signal
from matcher.signals.semantic import best_passage_cosines, reconstructed


class Whole(Signal):
    name = "whole"
    content = True
    in_score = True
    ablation = "default-no-whole"

    def score(self, ctx: RankContext) -> np.ndarray:
        best = best_passage_cosines(ctx)
        return ctx.scaled(_whole(ctx.index, ctx.query, ctx.rows, best, lambda ids: reconstructed(ctx, ids)))


def _whole(index, query, rows: np.ndarray, best_passage: np.ndarray, vectors_of=None) -> np.ndarray:
    """Cosine of each candidate's whole-profile vector with the query: the mean over a
    need's sentences, or the seeker's own whole-profile vector. A profile of one
    passage has no separate whole vector: its passage is the whole."""
    out = np.asarray(best_passage, dtype=np.float64).copy()
    pids = index.whole_passage[rows]
    has = pids >= 0
    if not has.any() or not len(query.vectors):
        return out
    vectors = query.vectors
    if query.side == PROFILE and WHOLE_FIELD in query.fields:
        vectors = vectors[[i for i, f in enumerate(query.fields) if f == WHOLE_FIELD]]
    vectors_of = vectors_of or index.vectors.reconstruct
    out[has] = (vectors_of(pids[has]) @ vectors.T).mean(axis=1)
    return out
