"""Network: a known partner of the seeker (by projects together) or a partner of its partners.

Collaborative filtering on the cooperation graph.
"""
from __future__ import annotations

from collections import Counter

import numpy as np

from matcher.signals.base import Evidence, RankContext, Signal

#: Projects together with the seeker at which a known partner counts in full.
KNOWN_FULL = 4


class Network(Signal):
    name = "network"
    ablation = "default-no-graph"

    def candidates(self, ctx: RankContext, weight: float) -> np.ndarray | None:
        if not weight:
            return None
        return neighbourhood(ctx.index, ctx.query.seeker_row)

    def score(self, ctx: RankContext) -> np.ndarray | None:
        """0.6 for a known partner (in full from ``KNOWN_FULL`` projects together), 0.4 for
        common partners (c / (1 + c))."""
        seeker_row, rows = ctx.query.seeker_row, ctx.rows
        if seeker_row < 0:
            return None
        neighbours = ctx.index.neighbours
        direct: Counter = neighbours.get(seeker_row, Counter())
        common: Counter = Counter()
        for partner in direct:
            common.update(neighbours.get(partner, Counter()).keys())
        common.pop(seeker_row, None)
        together = np.array([direct.get(r, 0) for r in rows], dtype=np.float64)
        shared = np.array([common.get(r, 0) for r in rows], dtype=np.float64)
        known = np.minimum(1.0, np.log1p(together) / np.log1p(KNOWN_FULL))
        return (0.6 * known + 0.4 * shared / (1.0 + shared)).astype(np.float32)

    def reason(self, evidence: Evidence) -> str | None:
        # A known partner says so with its projects (``shared_topic.py``).
        if evidence.signals.get(self.name, 0) > 0 and not evidence.shared_projects:
            return "Hat bereits mit Partnern von " + (evidence.seeker_name or "Ihnen") + " zusammengearbeitet"
        return None


def neighbourhood(index, seeker_row: int) -> np.ndarray | None:
    """The seeker's known partners and their partners: rows the graph signals could rank
    high without a text match (None without a seeker)."""
    if seeker_row < 0:
        return None
    neighbours = index.neighbours
    found: set[int] = set()
    for partner in neighbours.get(seeker_row, ()):
        found.add(partner)
        found.update(neighbours.get(partner, ()))
    found.discard(seeker_row)
    return np.array(sorted(found), dtype=np.int64)
