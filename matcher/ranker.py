"""Rank partners: retrieve candidates densely, lexically and from the graph, score, fuse.

The signals (each 0..1, each shown in the explanation) and their default weights are
listed in ``matcher/signals.py``. ``Weights`` is the single place the fusion is tuned; an
ablation sets a weight to 0.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, make_dataclass, replace

import numpy as np

from geo import Gazetteer, haversine_km_many, normalise_district
from index.search_index import SearchIndex
from ingest.passages import WHOLE_FIELD
from matcher.request import BadRequest, SearchRequest
from matcher.signals import CONTENT_SIGNALS, SCALED_BY_CONTENT, SIGNALS

#: Cosine range mapped to 0..1 when the ranker is given none (the embedder knows its own:
#: ``Embedder.similarity_range``; MiniLM's unrelated German texts sit near 0.15).
SIMILARITY_RANGE = (0.15, 0.75)
PROXIMITY_KM = 40.0
SEEKS_FACTOR = 0.6
SEEKS_QUERY_WEIGHT = 2.0
COMPLEMENT = {
    ("kmu", "research"): 1.0, ("research", "kmu"): 1.0, ("kmu", "startup"): 0.6,
    ("startup", "kmu"): 0.6, ("startup", "research"): 0.6, ("research", "startup"): 0.6,
    ("research", "research"): 0.3, ("kmu", "kmu"): 0.3,
}


#: Projects together with the seeker at which a known partner counts in full.
KNOWN_FULL = 4
#: Pseudo-projects added to the total: with only a handful of known joint projects one
#: organisation would otherwise hold a share near 1 and outrank every text match.
ACTIVITY_PRIOR_PROJECTS = 10
#: Candidates taken from the most active organisations, whatever the query.
ACTIVE_CANDIDATES = 50
#: Candidates per query vector from the dense stage (passages) and from BM25 (profiles).
#: Fixed, not derived from the page size: a longer list must extend a shorter one
#: (``--top 5`` is the start of ``--top 10``), so the candidates cannot depend on it.
DENSE_CANDIDATES = 600
LEXICAL_CANDIDATES = 400
#: Partners for an organisation: a partner's semantic score is the mean of its best matches
#: with this many of the organisation's passages, not with all of them.
BEST_PASSAGES = 3


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


#: Subtracted from the fused score of a candidate without content evidence.
UNSUPPORTED = 100.0


def fuse(signals: dict[str, np.ndarray], weights) -> tuple[np.ndarray, np.ndarray]:
    """(fused score, the score that orders) per candidate: the weighted signals, the
    content-scaled ones times the content evidence, and the floor's demotion. The one
    fusion, of the ranker and of the offline tuning (``evaluation/tune.py``)."""
    content = content_evidence(signals)
    fused = np.zeros(len(content), dtype=np.float64)
    for name, values in signals.items():
        if name in SCALED_BY_CONTENT:
            values = values * content
        fused += getattr(weights, name) * values
    ranked = fused
    if weights.content_floor > 0:
        # Below the floor: after every supported candidate (fused scores stay < 10).
        ranked = fused - np.where(content < weights.content_floor, UNSUPPORTED, 0.0)
    return fused, ranked


def content_evidence(signals: dict[str, np.ndarray]) -> np.ndarray:
    """Per candidate: its strongest content signal (0..1), the "does the text support it"."""
    present = [signals[name] for name in CONTENT_SIGNALS if name in signals]
    return np.maximum.reduce(present) if present else np.zeros(0)


@dataclass
class Candidates:
    rows: np.ndarray
    signals: dict[str, np.ndarray] = field(default_factory=dict)
    distance_km: np.ndarray | None = None
    fused: np.ndarray | None = None

    @property
    def content(self) -> np.ndarray:
        return content_evidence(self.signals)


#: What asks: words someone typed, read as a need (a partner must offer it), or an
#: organisation's own profile (partners for it), whose passages each carry their field.
NEED, PROFILE = "need", "profile"


@dataclass
class Query:
    """A request turned into vectors and terms."""
    vectors: np.ndarray                 # (m, dim) query sentences or the seeker's passages
    sentences: list[str]
    terms: dict[str, float]             # term -> weight
    seeker_row: int = -1
    fields: list[str] | None = None     # field of each query vector (side PROFILE)
    side: str = NEED

    def field(self, q: int) -> str:
        return self.fields[q] if self.side == PROFILE else "seeks"

    @classmethod
    def for_text(cls, text: str, analyzer, embedder, seeker_row: int = -1) -> "Query":
        """A need or search in words: its sentences embedded as queries, its analyzer terms.
        The one builder of text queries (the radar's search and the evaluation's title mode)."""
        sentences = analyzer.sentences(text) or [text]
        return cls(vectors=embedder.embed_queries(sentences), sentences=sentences,
                   terms={t: 1.0 for t in analyzer.terms(text)}, seeker_row=seeker_row)

    @classmethod
    def for_profile(cls, passages: list[dict], profile_terms: dict[str, float], row: int) -> "Query":
        """Partners for an organisation: its own passages ask (dicts with field, text,
        terms, vector); what it seeks is what a partner must offer, so those words weigh most."""
        terms = dict(profile_terms)
        top = max(terms.values(), default=1.0)
        for p in passages:
            if p["field"] == "seeks":
                for term in p["terms"].split():
                    terms[term] = max(terms.get(term, 0.0), top)
        return cls(vectors=np.vstack([p["vector"] for p in passages]),
                   sentences=[p["text"] for p in passages], terms=terms, seeker_row=row,
                   fields=[p["field"] for p in passages], side=PROFILE)

    def vector_weights(self) -> np.ndarray:
        """An organisation's needs say most about the partner it wants: they count double."""
        if self.side != PROFILE:
            return np.ones(len(self.vectors))
        return np.array([SEEKS_QUERY_WEIGHT if f == "seeks" else 1.0 for f in self.fields])

    def combine(self, per_vector: np.ndarray) -> np.ndarray:
        """Per profile, from its best cosine with each query vector (rows = query vectors).

        A need's sentences all count. An organisation with forty projects is not asking
        for a partner in all of them: a partner matching three of them closely beats one
        matching all of them vaguely (measured in ``evaluation/``, mode "profile").
        """
        weights = self.vector_weights()
        if self.side != PROFILE or len(per_vector) <= BEST_PASSAGES:
            return np.average(per_vector, axis=0, weights=weights)
        best = np.argsort(-per_vector, axis=0)[:BEST_PASSAGES]
        return np.average(np.take_along_axis(per_vector, best, axis=0), axis=0, weights=weights[best])


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
            mask &= np.isin(table.kind, req.kinds)
        if req.landkreis:
            district = normalise_district(req.landkreis)
            if district is None:
                raise BadRequest(f"Unbekannter Landkreis „{req.landkreis}“ (erlaubt: "
                                 f"{', '.join(self.gazetteer.districts())})")
            mask &= table.landkreis == district
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

        sem = self._semantic(query, mask)
        lexical = self.index.lexical
        lexical_scores = lexical.profile_scores(query.terms)
        # A need is answered by what a partner offers: its own needs count less (as below).
        coverage = lexical.coverage(list(query.terms), need_factor=1.0 if query.side == PROFILE else SEEKS_FACTOR)
        bm25 = np.where(mask, lexical_scores, 0.0)

        # Candidates: everything the dense stage saw, the best lexical matches, and those
        # the graph and activity signals could lift into the top whatever their text says.
        lexical_top = _top_positive(bm25, LEXICAL_CANDIDATES)
        rows = np.union1d(np.flatnonzero(sem > -1), lexical_top)
        rows = np.union1d(rows, self._structural_candidates(query.seeker_row, weights))
        rows = rows[mask[rows]]
        missing = rows[sem[rows] <= -1]
        if len(missing):
            sem[missing] = self._exact_semantic(query, missing)

        # Coverage (how much of the query a profile names) ranks better than BM25 alone,
        # which favours long profiles that repeat one word: 3 to 1, tuned.
        # The best BM25 among all allowed profiles (always a candidate of a full ranking).
        top_bm25 = float(np.where(reference, lexical_scores, 0.0).max(initial=0.0))
        floor, ceil = self.similarity_range
        signals = {
            "semantic": np.clip((sem[rows] - floor) / (ceil - floor), 0.0, 1.0),
            "whole": np.clip((self._whole(query, rows, sem[rows]) - floor) / (ceil - floor), 0.0, 1.0),
            "lexical": 0.75 * np.clip(coverage[rows], 0, 1)
                       + 0.25 * (bm25[rows] / top_bm25 if top_bm25 > 0 else 0.0),
        }
        row_distance = distance[rows] if distance is not None else self._from_seeker(query.seeker_row, rows)
        if row_distance is not None:
            signals["proximity"] = np.exp(-np.nan_to_num(row_distance, nan=500.0) / PROXIMITY_KM)
        if query.seeker_row >= 0:
            signals["network"] = self._network(query.seeker_row, rows)
            signals["shared_topic"] = self._shared_topic(query, rows)
            seeker_kind = self.index.profiles.kind[query.seeker_row]
            signals["complement"] = np.array(
                [COMPLEMENT.get((seeker_kind, k), 0.0) for k in self.index.profiles.kind[rows]], dtype=np.float32)
        if self.index.joint_total > 0:
            signals["activity"] = (self.index.profiles.joint[rows]
                                   / (self.index.joint_total + ACTIVITY_PRIOR_PROJECTS))

        fused, ranked = fuse(signals, weights)
        # Ties in the order of the profiles' ids, as a freshly built index has its rows.
        order = np.lexsort((self.index.row_rank[rows], -ranked))
        return Candidates(
            rows=rows[order], signals={k: np.asarray(v)[order] for k, v in signals.items()},
            distance_km=None if row_distance is None else row_distance[order], fused=fused[order])

    def _from_seeker(self, seeker_row: int, rows: np.ndarray) -> np.ndarray | None:
        """Distances to the seeker: "who near us can help?" without a place given means near it."""
        if seeker_row < 0:
            return None
        table = self.index.profiles
        lat, lon = table.lat[seeker_row], table.lon[seeker_row]
        if np.isnan(lat) or np.isnan(lon):
            return None
        return haversine_km_many(lat, lon, table.lat[rows], table.lon[rows])

    def _semantic(self, query: Query, mask: np.ndarray):
        """Per profile: mean over query vectors of the best passage cosine (-1 = not retrieved)."""
        sem = np.full(len(mask), -1.0)
        if not len(query.vectors) or self.index.vectors.ntotal == 0:
            return sem
        k = DENSE_CANDIDATES
        scores, ids, rows = self.index.search_passages(query.vectors, k, mask)
        # Work on the retrieved profiles only (a few hundred), not on every profile.
        valid = rows >= 0
        seen = np.unique(rows[valid])
        per_query = np.zeros((len(query.vectors), len(seen)))
        for q in range(len(query.vectors)):
            r, pid = rows[q][valid[q]], ids[q][valid[q]]
            s = scores[q][valid[q]] * self._field_factor(query.field(q), pid)
            np.maximum.at(per_query[q], np.searchsorted(seen, r), s)
        sem[seen] = query.combine(per_query)
        return sem

    def _whole(self, query: Query, rows: np.ndarray, best_passage: np.ndarray) -> np.ndarray:
        """Cosine of each candidate's whole-profile vector with the query: the mean over a
        need's sentences, or the seeker's own whole-profile vector. A profile of one
        passage has no separate whole vector: its passage is the whole."""
        out = np.asarray(best_passage, dtype=np.float64).copy()
        pids = self.index.whole_passage[rows]
        has = pids >= 0
        if not has.any() or not len(query.vectors):
            return out
        vectors = query.vectors
        if query.side == PROFILE and WHOLE_FIELD in query.fields:
            vectors = vectors[[i for i, f in enumerate(query.fields) if f == WHOLE_FIELD]]
        out[has] = (self.index.vectors.reconstruct(pids[has]) @ vectors.T).mean(axis=1)
        return out

    def _field_factor(self, query_field: str, passage_ids: np.ndarray) -> np.ndarray:
        """A partner's *needs* answer a need poorly: it seeks what we seek, it doesn't offer it.

        Only when the query side is an offer is a partner's "seeks" passage a full match.
        """
        fields = self.index.fields_of_passages(passage_ids)
        factor = np.ones(len(passage_ids))
        if query_field != "offers":
            factor[fields == "seeks"] = SEEKS_FACTOR
        # The whole-profile vector is a signal of its own ("whole"), not one more passage.
        factor[fields == WHOLE_FIELD] = 0.0
        return factor

    def _exact_semantic(self, query: Query, rows: np.ndarray):
        """Semantic score for candidates the dense stage did not see, from their stored vectors."""
        mask = np.zeros(len(self.index.profiles.ids), dtype=bool)
        mask[rows] = True
        pids = self.index.passages_of_rows(mask)
        if not len(pids):
            return np.full(len(rows), -1.0)
        sims = query.vectors @ self.index.vectors.reconstruct(pids).T     # (m, passages)
        for q in range(len(query.vectors)):
            sims[q] *= self._field_factor(query.field(q), pids)
        position = np.searchsorted(rows, self.index.rows_of_passages(pids))   # rows are sorted
        per_query = np.zeros((len(query.vectors), len(rows)))
        for q in range(len(query.vectors)):
            np.maximum.at(per_query[q], position, sims[q])
        out = np.full(len(rows), -1.0)
        # A candidate without passages has no semantic score.
        covered = np.bincount(position, minlength=len(rows)) > 0
        out[covered] = query.combine(per_query[:, covered])
        return out

    def _structural_candidates(self, seeker_row: int, weights: Weights) -> np.ndarray:
        """Rows the network and activity signals could rank high without a text match."""
        found: set[int] = set()
        if (weights.network or weights.shared_topic) and seeker_row >= 0:
            neighbours = self.index.neighbours
            for partner in neighbours.get(seeker_row, ()):
                found.add(partner)
                found.update(neighbours.get(partner, ()))
        if weights.activity and self.index.joint_total > 0:
            found.update(self.index.most_active(ACTIVE_CANDIDATES).tolist())
        found.discard(seeker_row)
        return np.array(sorted(found), dtype=np.int64)

    def _network(self, seeker_row: int, rows: np.ndarray) -> np.ndarray:
        """Known partners by projects done together, partners of partners by how many link them.

        Collaborative filtering on the cooperation graph: 0.6 for a known partner (in full
        from ``KNOWN_FULL`` projects together), 0.4 for common partners (c / (1 + c)).
        """
        neighbours = self.index.neighbours
        direct: Counter = neighbours.get(seeker_row, Counter())
        common: Counter = Counter()
        for partner in direct:
            common.update(neighbours.get(partner, Counter()).keys())
        common.pop(seeker_row, None)
        together = np.array([direct.get(r, 0) for r in rows], dtype=np.float64)
        shared = np.array([common.get(r, 0) for r in rows], dtype=np.float64)
        known = np.minimum(1.0, np.log1p(together) / np.log1p(KNOWN_FULL))
        return (0.6 * known + 0.4 * shared / (1.0 + shared)).astype(np.float32)

    def _shared_topic(self, query: Query, rows: np.ndarray) -> np.ndarray:
        """How well the best joint project with the seeker matches the query's terms.

        idf-weighted share of the query terms in that project's title: of the seeker's
        many known partners, the ones from a project on this topic.
        """
        out = np.zeros(len(rows), dtype=np.float32)
        lexical, seeker = self.index.lexical, query.seeker_row
        known = self.index.neighbours.get(seeker)
        if not known:
            return out
        idf = {t: lexical.idf_of(t) for t in query.terms}
        total = sum(idf.values())
        if total <= 0:
            return out
        for i, row in enumerate(rows):
            if row in known:
                titles = self.index.pair_topics.get((min(seeker, row), max(seeker, row)), ())
                # A title has a dozen terms, a profile query hundreds: walk the title.
                out[i] = max((sum(idf.get(t, 0.0) for t in title) for title in titles), default=0.0) / total
        return out


def _top_positive(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the (up to) ``k`` largest positive values, in no particular order."""
    positive = np.flatnonzero(values > 0)
    if len(positive) <= k:
        return positive
    return positive[np.argpartition(-values[positive], k - 1)[:k]]
