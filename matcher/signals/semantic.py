"""Semantic: the best cosine between a query sentence and a partner passage (max-sim).

Its dense stage (FAISS or pgvector) proposes the candidates; a candidate the dense stage
did not see is scored from its stored vectors, exactly as if it had been retrieved. The
whole-profile signal (``whole.py``) reads the same best cosines.
"""
from __future__ import annotations

import numpy as np

from matcher.query import SEEKS_FACTOR
from matcher.signals.base import RankContext, Signal

#: Candidates per query vector from the dense stage (passages). Fixed, not derived from the
#: page size: a longer list must extend a shorter one (``--top 5`` is the start of
#: ``--top 10``), so the candidates cannot depend on it.
DENSE_CANDIDATES = 600


class Semantic(Signal):
    name = "semantic"
    content = True
    in_score = True
    ablation = "default-no-semantic"

    def candidates(self, ctx: RankContext, weight: float) -> np.ndarray:
        # Retrieved whatever the weight: the whole-profile signal reads these cosines too.
        return np.flatnonzero(dense_cosines(ctx) > -1)

    def score(self, ctx: RankContext) -> np.ndarray:
        return ctx.scaled(best_passage_cosines(ctx))


def dense_cosines(ctx: RankContext) -> np.ndarray:
    """Per profile: mean over query vectors of the best passage cosine (-1 = not retrieved)."""
    return ctx.memo("dense_cosines", lambda: _dense(ctx.index, ctx.query, ctx.mask))


def best_passage_cosines(ctx: RankContext) -> np.ndarray:
    """Per candidate: the same, candidates the dense stage did not see scored exactly."""
    def compute():
        sem = dense_cosines(ctx)
        missing = ctx.rows[sem[ctx.rows] <= -1]
        if len(missing):
            sem[missing] = _exact(ctx.index, ctx.query, missing, ctx)
        return sem[ctx.rows]
    return ctx.memo("best_passage_cosines", compute)


def _dense(index, query, mask: np.ndarray) -> np.ndarray:
    sem = np.full(len(mask), -1.0)
    if not len(query.vectors) or index.vectors.ntotal == 0:
        return sem
    scores, ids, rows = index.search_passages(query.vectors, DENSE_CANDIDATES, mask)
    # Work on the retrieved profiles only (a few hundred), not on every profile.
    valid = rows >= 0
    retrieved = np.zeros(len(mask), dtype=bool)
    retrieved[rows[valid]] = True
    seen = np.flatnonzero(retrieved)     # sorted, like np.unique, without sorting thousands
    per_query = np.zeros((len(query.vectors), len(seen)))
    for q in range(len(query.vectors)):
        r, pid = rows[q][valid[q]], ids[q][valid[q]]
        s = scores[q][valid[q]] * field_factor(index, query.field(q), pid)
        np.maximum.at(per_query[q], np.searchsorted(seen, r), s)
    sem[seen] = query.combine(per_query)
    return sem


def _exact(index, query, rows: np.ndarray, ctx: RankContext | None = None) -> np.ndarray:
    """Semantic score for candidates the dense stage did not see, from their stored vectors."""
    mask = np.zeros(len(index.profiles.ids), dtype=bool)
    mask[rows] = True
    pids = index.passages_of_rows(mask)
    if not len(pids):
        return np.full(len(rows), -1.0)
    vectors = index.vectors.reconstruct(pids)
    if ctx is not None:
        # Their whole-profile vectors among them: the whole signal reads these (``reconstructed``).
        ctx.memo("reconstructed", lambda: (pids, vectors))
    sims = query.vectors @ vectors.T     # (m, passages)
    for q in range(len(query.vectors)):
        sims[q] *= field_factor(index, query.field(q), pids)
    position = np.searchsorted(rows, index.rows_of_passages(pids))   # rows are sorted
    per_query = np.zeros((len(query.vectors), len(rows)))
    for q in range(len(query.vectors)):
        np.maximum.at(per_query[q], position, sims[q])
    out = np.full(len(rows), -1.0)
    # A candidate without passages has no semantic score.
    covered = np.bincount(position, minlength=len(rows)) > 0
    out[covered] = query.combine(per_query[:, covered])
    return out


def field_factor(index, query_field: str, passage_ids: np.ndarray) -> np.ndarray:
    """A partner's *needs* answer a need poorly: it seeks what we seek, it doesn't offer it.

    Only when the query side is an offer is a partner's "seeks" passage a full match.
    """
    codes = index.field_codes_of_passages(passage_ids)
    factor = np.ones(len(passage_ids))
    if query_field != "offers":
        factor[codes == index.SEEKS_FIELD] = SEEKS_FACTOR
    # The whole-profile vector is a signal of its own ("whole"), not one more passage.
    factor[codes == index.WHOLE_PASSAGE] = 0.0
    return factor


def reconstructed(ctx: RankContext, ids: np.ndarray) -> np.ndarray:
    """Stored vectors of passage ids, those ``_exact`` decoded for this ranking taken from it
    (decoding an IVF code costs ~9 µs: thousands per request at 100k profiles)."""
    pids, vectors = ctx._memo.get("reconstructed", (None, None))
    if pids is None or not len(ids):
        return ctx.index.vectors.reconstruct(ids)
    pos = np.clip(np.searchsorted(pids, ids), 0, len(pids) - 1)
    have = pids[pos] == ids
    out = np.empty((len(ids), vectors.shape[1]), dtype=vectors.dtype)
    out[have] = vectors[pos[have]]
    if not have.all():
        out[~have] = ctx.index.vectors.reconstruct(np.ascontiguousarray(ids[~have]))
    return out
