"""Proximity: closeness to the place asked for ("near"), else to the seeker's own address.

The evaluation's queries name no place, so it has no ablation.
"""
from __future__ import annotations

import numpy as np

from matcher.signals.base import Evidence, RankContext, Signal

PROXIMITY_KM = 40.0


class Proximity(Signal):
    name = "proximity"
    in_score = True

    def score(self, ctx: RankContext) -> np.ndarray | None:
        if ctx.row_distance is None:
            return None
        return np.exp(-np.nan_to_num(ctx.row_distance, nan=500.0) / PROXIMITY_KM)

    def reason(self, evidence: Evidence) -> str | None:
        if evidence.distance_km is None:
            return None
        where = evidence.profile.get("town") or ""
        return f"{evidence.distance_km:.0f} km entfernt" + (f" ({where})" if where else "")
