"""The contract of a ranking signal, and what it reads while the ranker ranks.

A signal does three things, each optional but the score:

* ``candidates(ctx, weight)``: rows it could rank high that no other stage would propose
  (the dense stage's passages, BM25's best, the seeker's network, the most active);
* ``score(ctx)``: its value 0..1 for each candidate row (``ctx.rows``), or None when it has
  nothing to say about this query (no seeker, no place, no known projects);
* ``reason(evidence)``: the German line a user reads when it speaks for a hit, or None.

The ranker fuses the scores with ``Weights`` (one weight per signal, the default given in
the registry, ``matcher/signals/__init__.py``); the explainer asks each signal for its
reason, in the registry's order. Signals are stateless: what one query's signals share
(the dense search, the BM25 scores) is computed once and kept in the ``RankContext``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from matcher.query import Query


@dataclass
class RankContext:
    """One ranking in progress: the index, the query and what the filters allow."""
    index: "object"                      # index.search_index.SearchIndex
    query: Query
    mask: np.ndarray                     # per profile row: may be ranked
    reference: np.ndarray                # per profile row: allowed by the filters (before ``only``)
    distance: np.ndarray | None          # per profile row: km from the place asked for
    similarity_range: tuple[float, float]
    #: The candidates, once every signal has proposed its own (set by the ranker).
    rows: np.ndarray | None = None
    #: Per candidate: km from the place asked for, else from the seeker (None: neither).
    row_distance: np.ndarray | None = None
    _memo: dict = field(default_factory=dict, repr=False)

    def memo(self, key: str, compute: Callable[[], object]):
        """What several signals (or both stages of one) read, computed once per ranking."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def scaled(self, cosines: np.ndarray) -> np.ndarray:
        """Cosines mapped to 0..1 by the embedder's similarity range."""
        floor, ceil = self.similarity_range
        return np.clip((cosines - floor) / (ceil - floor), 0.0, 1.0)


@dataclass(frozen=True)
class Evidence:
    """What a reason reads about one hit (values as the explanation shows them)."""
    signals: dict[str, float]            # rounded to 3 places, as shown
    profile: dict
    distance_km: float | None
    seeker_name: str
    #: Titles of the joint projects with the seeker, the one on the query's topic first.
    shared_projects: list[str]
    joint_projects: int


class Signal:
    """One ranking signal. Subclasses set the class attributes and implement ``score``."""
    name: str = ""
    #: Evidence from the text: the content floor and the guard metric count these.
    content: bool = False
    #: Part of a perfect score (100): content, and the place when one is asked for. The
    #: seeker-side signals lift a hit towards 100 but are no part of it.
    in_score: bool = False
    #: The evaluation's variant without this signal (None: it can't be measured there).
    ablation: str | None = None
    #: Counts in proportion to the candidate's content evidence, and only for a candidate
    #: the text supports (``matcher.signals.support_tiers``): it orders those and cannot
    #: carry one the text does not (issue 13).
    scaled_by_content: bool = False

    def __init__(self, weight: float):
        #: Default weight in the fusion (``Weights``).
        self.weight = weight

    def candidates(self, ctx: RankContext, weight: float) -> np.ndarray | None:
        """Profile rows this signal proposes (the ranker keeps those the filters allow)."""
        return None

    def score(self, ctx: RankContext) -> np.ndarray | None:
        """Per candidate row (``ctx.rows``): 0..1; None when it says nothing for this query."""
        raise NotImplementedError

    def reason(self, evidence: Evidence) -> str | None:
        """The German line of the hit's reasons, or None."""
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(weight={self.weight})"
