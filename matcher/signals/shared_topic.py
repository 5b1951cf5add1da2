"""Shared topic: a known partner from a joint project on the query's topic."""
from __future__ import annotations

import numpy as np

from matcher.signals.base import Evidence, RankContext, Signal
from matcher.signals.network import neighbourhood


class SharedTopic(Signal):
    name = "shared_topic"
    ablation = "default-no-shared-topic"

    def candidates(self, ctx: RankContext, weight: float) -> np.ndarray | None:
        # The network's candidates (partners and their partners), also when the network
        # itself is weighed 0: the evaluation's "no graph" variant ranks these too.
        if not weight:
            return None
        return neighbourhood(ctx.index, ctx.query.seeker_row)

    def score(self, ctx: RankContext) -> np.ndarray | None:
        """How well the best joint project with the seeker matches the query's terms.

        idf-weighted share of the query terms in that project's title: of the seeker's
        many known partners, the ones from a project on this topic.
        """
        query, rows, index = ctx.query, ctx.rows, ctx.index
        seeker = query.seeker_row
        if seeker < 0:
            return None
        out = np.zeros(len(rows), dtype=np.float32)
        lexical = index.lexical
        known = index.neighbours.get(seeker)
        if not known:
            return out
        idf = {t: lexical.idf_of(t) for t in query.terms}
        total = sum(idf.values())
        if total <= 0:
            return out
        for i, row in enumerate(rows):
            if row in known:
                titles = index.pair_topics.get((min(seeker, row), max(seeker, row)), ())
                # A title has a dozen terms, a profile query hundreds: walk the title.
                out[i] = max((sum(idf.get(t, 0.0) for t in title) for title in titles), default=0.0) / total
        return out

    def reason(self, evidence: Evidence) -> str | None:
        projects = evidence.shared_projects
        if not projects:
            return None
        if evidence.signals.get(self.name, 0) > 0:
            first, *others = projects
            return (f"Bekannter Partner aus einem Projekt zu diesem Thema: „{first}“"
                    + (f"; außerdem: {'; '.join(others[:2])}" if others else ""))
        return "Bekannter Partner aus: " + "; ".join(projects[:3])
