"""Lexical: German lemma/compound overlap with the query (idf-weighted coverage and BM25)."""
from __future__ import annotations

import numpy as np

from matcher.signals.base import RankContext, Signal

#: Candidates from BM25 (profiles). Fixed, like the dense stage's (``semantic.py``).
LEXICAL_CANDIDATES = 400
#: A query is scored as written and with each of its first few alternatives in the other
#: form ("KI" / "künstliche Intelligenz", "lackieren" / "Lackierung";
#: ``GermanAnalyzer.alternatives``): at most 2 ** this many spellings of one query.
MAX_ALTERNATIVES = 3


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
        # Written either way ("KI" or "künstliche Intelligenz") it is the same evidence: the
        # best spelling counts.
        coverage = np.maximum.reduce([ctx.index.lexical.coverage(terms, need_factor=query.seeks_factor)
                                      for terms in spellings(query)])
        # Coverage (how much of the query a profile names) ranks better than BM25 alone,
        # which favours long profiles that repeat one word: 3 to 1, tuned.
        # The best BM25 among all allowed profiles (always a candidate of a full ranking).
        top_bm25 = float(np.where(ctx.reference, _profile_scores(ctx), 0.0).max(initial=0.0))
        return (0.75 * np.clip(coverage[rows], 0, 1)
                + 0.25 * (bm25[rows] / top_bm25 if top_bm25 > 0 else 0.0))


def spellings(query) -> list[list[str]]:
    """The query's terms as written, and with each combination of its alternatives
    (abbreviations, -ieren / -ierung) in the other form."""
    out = [list(query.terms)]
    for written, other in query.alternatives[:MAX_ALTERNATIVES]:
        out += [[t for t in terms if t not in written] + [t for t in other if t not in terms] for terms in out]
    return out


def _profile_scores(ctx: RankContext) -> np.ndarray:
    def compute():
        lexical, query = ctx.index.lexical, ctx.query
        if not query.alternatives:
            return lexical.profile_scores(query.terms)
        return np.maximum.reduce([lexical.profile_scores({t: query.terms.get(t, 1.0) for t in terms})
                                  for terms in spellings(query)])
    return ctx.memo("bm25", compute)


def _bm25(ctx: RankContext) -> np.ndarray:
    return ctx.memo("bm25_allowed", lambda: np.where(ctx.mask, _profile_scores(ctx), 0.0))


def _top_positive(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the (up to) ``k`` largest positive values, in no particular order."""
    positive = np.flatnonzero(values > 0)
    if len(positive) <= k:
        return positive
    return positive[np.argpartition(-values[positive], k - 1)[:k]]
