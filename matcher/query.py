"""What asks, turned into vectors and terms: a ``Query`` and the side it asks from.

The side says how a partner's passages answer it. A need (and free text, which the
search reads as one) is answered by what a partner offers: a partner's own needs count
less (``SEEKS_FACTOR``), in the dense stage, the lexical coverage and the sentence the
explanation shows. An offer is answered by what a partner seeks, so a partner's needs
count in full. An organisation's profile asks with each of its passages, each carrying
its field (its offers ask for a seeker, its needs for a supplier); its needs weigh double
and its best few topics decide, not all of them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Words someone typed into the search (read as a need), a need, an offer, an
#: organisation's own profile (partners for it).
TEXT, NEED, OFFER, PROFILE = "text", "need", "offer", "profile"
SIDES = (TEXT, NEED, OFFER, PROFILE)
#: A partner's "seeks" passages and terms answer a need at this fraction.
SEEKS_FACTOR = 0.6
#: An organisation's needs say most about the partner it wants (side PROFILE).
SEEKS_QUERY_WEIGHT = 2.0
#: Partners for an organisation: a partner's semantic score is the mean of its best matches
#: with this many of the organisation's passages, not with all of them.
BEST_PASSAGES = 3


@dataclass
class Query:
    """A request turned into vectors and terms."""
    vectors: np.ndarray                 # (m, dim) query sentences or the seeker's passages
    sentences: list[str]
    terms: dict[str, float]             # term -> weight
    seeker_row: int = -1
    fields: list[str] | None = None     # field of each query vector (side PROFILE only)
    side: str = TEXT
    #: Other spellings of the query's abbreviations: (terms as written, terms of the other
    #: form) each ("KI" / "künstliche Intelligenz", ``vocabulary/abbreviations.py``).
    alternatives: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = ()

    def __post_init__(self):
        if self.side not in SIDES:
            raise ValueError(f"unknown query side {self.side!r} (one of {', '.join(SIDES)})")
        if (self.side == PROFILE) != (self.fields is not None):
            raise ValueError("a profile query names the field of each vector, no other query does")

    @property
    def asks_for_offers(self) -> bool:
        """A need (or free text): a partner must offer it, its own needs answer it poorly."""
        return self.side in (TEXT, NEED)

    def field(self, q: int) -> str:
        """The field query vector ``q`` asks from: "seeks" for a need, "offers" for an offer."""
        if self.side == PROFILE:
            return self.fields[q]
        return "offers" if self.side == OFFER else "seeks"

    @property
    def seeks_factor(self) -> float:
        """What a partner's "seeks" terms count in the lexical coverage."""
        return SEEKS_FACTOR if self.asks_for_offers else 1.0

    @classmethod
    def for_text(cls, text: str, analyzer, embedder, seeker_row: int = -1, side: str = TEXT) -> "Query":
        """A need or search in words: its sentences embedded as queries, its analyzer terms.
        The one builder of text queries (the radar's search and the evaluation's title mode)."""
        sentences = analyzer.sentences(text) or [text]
        return cls(vectors=embedder.embed_queries(sentences), sentences=sentences,
                   terms={t: 1.0 for t in analyzer.terms(text)}, seeker_row=seeker_row, side=side,
                   alternatives=tuple(analyzer.alternatives(text)))

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
