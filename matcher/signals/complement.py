"""Complement: kinds of organisation that complete each other (KMU <-> research)."""
from __future__ import annotations

import numpy as np

from matcher.signals.base import Evidence, RankContext, Signal
from vocabulary.kinds import KIND_LABELS

COMPLEMENT = {
    ("kmu", "research"): 1.0, ("research", "kmu"): 1.0, ("kmu", "startup"): 0.6,
    ("startup", "kmu"): 0.6, ("startup", "research"): 0.6, ("research", "startup"): 0.6,
    ("research", "research"): 0.3, ("kmu", "kmu"): 0.3,
}


class Complement(Signal):
    name = "complement"
    ablation = "default-no-complement"

    def score(self, ctx: RankContext) -> np.ndarray | None:
        if ctx.query.seeker_row < 0:
            return None
        kinds = ctx.index.profiles.kind
        seeker_kind = kinds[ctx.query.seeker_row]
        return np.array([COMPLEMENT.get((seeker_kind, k), 0.0) for k in kinds[ctx.rows]], dtype=np.float32)

    def reason(self, evidence: Evidence) -> str | None:
        if evidence.signals.get(self.name, 0) >= 1.0:
            return f"Ergänzt Sie als {KIND_LABELS.get(evidence.profile.get('kind'), 'Partner')}"
        return None
