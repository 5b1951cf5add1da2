"""Rank partners: every signal proposes candidates and scores them, ``Weights`` fuses.

The signals (each 0..1, each with its reason in the explanation) are components listed
in ``matcher/signals/__init__.py``; the ranker only filters, asks each signal for its
candidates and scores, and orders by support tier (does the text support the candidate?
``matcher.signals.support_tiers``), then by the weighted sum. ``Weights`` is the single
place the fusion is tuned; an ablation sets a weight to 0.
"""
from __future__ import annotations

from dataclasses import dataclass, field, make_dataclass, replace

import numpy as np

from geo import Gazetteer, haversine_km_many, normalise_district
from index.search_index import SearchIndex
from matcher.query import NEED, OFFER, PROFILE, TEXT, Query
from matcher.request import BadRequest, SearchRequest
from matcher.signals import (CONTENT_SIGNALS, SCALED_BY_CONTENT, SIGNALS, SUPPORTED, RankContext,
                             content_evidence, support_tiers)

#: Cosine range mapped to 0..1 when the ranker is given none (the embedder knows its own:
#: ``Embedder.similarity_range``; MiniLM's unrelated German texts sit near 0.15).
SIMILARITY_RANGE = (0.15, 0.75)


def _without(self, signal: str) -> "Weights":
    return replace(self, **{signal: 0.0})


#: The content evidence a hit needs (its best content signal, 0..1): below it, a candidate
#: ranks after every candidate above it, whatever its network or activity. 0.4 is a cosine
#: of 0.84 with e5, above the 95th percentile of unrelated German texts (0.83); at 0.2 the
#: best of a hub's hundreds of passages passed for any need. Also the guard's floor
#: (``make eval``: the share of top-10 hits below it).
CONTENT_FLOOR = 0.4

#: One weight per signal of the registry (``Weights().semantic`` = 0.4, ...), and the
#: content floor (0 turns it off).
Weights = make_dataclass(
    "Weights", [(s.name, float, field(default=s.weight)) for s in SIGNALS]
    + [("content_floor", float, field(default=CONTENT_FLOOR))],
    frozen=True, namespace={"without": _without, "__module__": __name__})


def fuse(signals: dict[str, np.ndarray], weights) -> tuple[np.ndarray, np.ndarray]:
    """(fused score, support tier) per candidate; candidates rank by tier, then by score
    (``order``). The one fusion, of the ranker and of the offline tuning
    (``evaluation/tune.py``).

    The score is the weighted sum of the signals. The content-scaled ones (activity: how
    busy an organisation is, whoever asks) count times the content evidence, and only for
    a supported candidate: they order the partners the text supports and neither order nor
    score the rest. The seeker's own history (network, shared topic) still orders those,
    after every supported one. With the floor at 0 (an ablation) every candidate is
    supported."""
    content = content_evidence(signals)
    tiers = (support_tiers(signals, weights.content_floor) if weights.content_floor > 0
             else np.full(len(content), SUPPORTED, dtype=np.int8))
    supported = tiers == SUPPORTED
    fused = np.zeros(len(content), dtype=np.float64)
    for name, values in signals.items():
        if name in SCALED_BY_CONTENT:
            values = np.where(supported, values * content, 0.0)
        fused += getattr(weights, name) * values
    return fused, tiers


def order(fused: np.ndarray, tiers: np.ndarray, ties: np.ndarray | None = None) -> np.ndarray:
    """The ranking of ``fuse``'s candidates: supported first, then weakly supported, then
    unsupported, each by score; equal scores by ``ties`` (else in the given order)."""
    keys = (-fused, tiers) if ties is None else (ties, -fused, tiers)
    return np.lexsort(keys)


@dataclass
class Candidates:
    rows: np.ndarray
    signals: dict[str, np.ndarray] = field(default_factory=dict)
    distance_km: np.ndarray | None = None
    fused: np.ndarray | None = None
    #: Each candidate's support tier (``matcher.signals.support_tiers``), in rank order.
    tiers: np.ndarray | None = None

    @property
    def content(self) -> np.ndarray:
        return content_evidence(self.signals)


class Ranker:
    def __init__(self, index: SearchIndex, weights: Weights | None = None,
                 gazetteer: Gazetteer | None = None, similarity_range: tuple[float, float] | None = None):
        self.index = index
        self.weights = weights or Weights()
        self.gazetteer = gazetteer or Gazetteer()
        self.similarity_range = similarity_range or SIMILARITY_RANGE

    # -- filters ----------------------------------------------------------------
    def origin(self, near: str):
        if not near:
            return None
        place = self.gazetteer.locate(near)
        if place is None:
            raise BadRequest(f"Unbekannter Ort „{near}“: bitte eine deutsche Postleitzahl oder einen sächsischen Ort angeben")
        return place

    def allowed_rows(self, req: SearchRequest, origin, seeker_row: int = -1) -> tuple[np.ndarray, np.ndarray | None]:
        table = self.index.profiles
        mask = np.ones(len(table.ids), dtype=bool)
        if not req.include_unlisted:
            mask &= table.listed
        if req.kinds:
            mask &= self.index.kind_mask(req.kinds)
        if req.landkreis:
            district = normalise_district(req.landkreis)
            if district is None:
                raise BadRequest(f"Unbekannter Landkreis „{req.landkreis}“ (erlaubt: "
                                 f"{', '.join(self.gazetteer.districts())})")
            mask &= self.index.district_mask(district)
        distance = None
        if origin is not None:
            distance = haversine_km_many(origin.lat, origin.lon, table.lat, table.lon)
            if req.radius_km is not None:
                mask &= np.nan_to_num(distance, nan=np.inf) <= req.radius_km
        for pid in req.exclude:
            row = table.row_of.get(pid)
            if row is not None:
                mask[row] = False
        if seeker_row >= 0:
            mask[seeker_row] = False
            if not req.include_known:
                for other in self.index.neighbours.get(seeker_row, ()):
                    mask[other] = False
        return mask, distance

    # -- ranking ----------------------------------------------------------------
    def rank(self, query: Query, req: SearchRequest, weights: Weights | None = None) -> Candidates:
        weights = weights or self.weights
        origin = self.origin(req.near)
        mask, distance = self.allowed_rows(req, origin, query.seeker_row)
        reference = mask      # what the lexical scale refers to, also when ranking only some
        if req.only:
            rows_of = self.index.profiles.row_of
            chosen = np.zeros(len(mask), dtype=bool)
            chosen[[rows_of[pid] for pid in req.only if pid in rows_of]] = True
            mask = mask & chosen
        n_profiles = len(mask)
        if not mask.any() or n_profiles == 0:
            return Candidates(rows=np.zeros(0, dtype=np.int64))

        ctx = RankContext(index=self.index, query=query, mask=mask, reference=reference,
                          distance=distance, similarity_range=self.similarity_range)
        # Candidates: everything the dense stage saw, the best lexical matches, and those
        # the graph and activity signals could lift into the top whatever their text says.
        # One flag per profile row: the union of the proposals, sorted, without sorting them.
        proposed_rows = np.zeros(n_profiles, dtype=bool)
        for signal in SIGNALS:
            proposed = signal.candidates(ctx, getattr(weights, signal.name))
            if proposed is not None:
                proposed_rows[np.asarray(proposed, dtype=np.int64)] = True
        ctx.rows = rows = np.flatnonzero(proposed_rows & mask)
        ctx.row_distance = row_distance = (distance[rows] if distance is not None
                                           else self._from_seeker(query.seeker_row, rows))
        signals = {}
        for signal in SIGNALS:
            values = signal.score(ctx)
            if values is not None:
                signals[signal.name] = values

        fused, tiers = fuse(signals, weights)
        # Ties in the order of the profiles' ids, as a freshly built index has its rows.
        ranking = order(fused, tiers, self.index.row_rank[rows])
        return Candidates(
            rows=rows[ranking], signals={k: np.asarray(v)[ranking] for k, v in signals.items()},
            distance_km=None if row_distance is None else row_distance[ranking], fused=fused[ranking],
            tiers=tiers[ranking])

    def _from_seeker(self, seeker_row: int, rows: np.ndarray) -> np.ndarray | None:
        """Distances to the seeker: "who near us can help?" without a place given means near it."""
        if seeker_row < 0:
            return None
        table = self.index.profiles
        lat, lon = table.lat[seeker_row], table.lon[seeker_row]
        if np.isnan(lat) or np.isnan(lon):
            return None
        return haversine_km_many(lat, lon, table.lat[rows], table.lon[rows])


__all__ = ["Ranker", "Weights", "Candidates", "Query", "fuse", "order", "content_evidence", "CONTENT_FLOOR",
           "CONTENT_SIGNALS", "SIMILARITY_RANGE", "TEXT", "NEED", "OFFER", "PROFILE"]
