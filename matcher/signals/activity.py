"""Activity: the share of all known joint projects an organisation took part in.

A share (0.4 at most in practice), so its weight is large: an organisation in 40% of all
joint projects is a likely partner for any topic, one in 2% only when the content says so.
Scaled by the content evidence (``scaled_by_content``): a hub whose best sentence is noise
stays behind the specialist whose text fits (on EFRE the Fraunhofer-Gesellschaft, in 38 %
of all joint projects, led 18 of 20 everyday needs without it, mostly sharing no word).
"""
from __future__ import annotations

import numpy as np

from matcher.signals.base import Evidence, RankContext, Signal

#: Pseudo-projects added to the total: with only a handful of known joint projects one
#: organisation would otherwise hold a share near 1 and outrank every text match.
ACTIVITY_PRIOR_PROJECTS = 10
#: Candidates taken from the most active organisations, whatever the query.
ACTIVE_CANDIDATES = 50


class Activity(Signal):
    name = "activity"
    ablation = "default-no-activity"
    scaled_by_content = True

    def candidates(self, ctx: RankContext, weight: float) -> np.ndarray | None:
        if not weight or ctx.index.joint_total <= 0:
            return None
        return np.asarray(ctx.index.most_active(ACTIVE_CANDIDATES), dtype=np.int64)

    def score(self, ctx: RankContext) -> np.ndarray | None:
        index = ctx.index
        if index.joint_total <= 0:
            return None
        return index.profiles.joint[ctx.rows] / (index.joint_total + ACTIVITY_PRIOR_PROJECTS)

    def reason(self, evidence: Evidence) -> str | None:
        n = evidence.joint_projects
        if evidence.signals.get(self.name, 0) > 0 and n:
            return "Erfahren in Kooperationen: " + ("ein gemeinsames Förderprojekt" if n == 1
                                                   else f"{n} gemeinsame Förderprojekte")
        return None
