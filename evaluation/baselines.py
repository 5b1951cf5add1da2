"""Baselines the default ranker must beat, scored on the same masked data as the product.

Each baseline gives every profile row of a ``MaskedView`` a score (higher is better);
``ordered`` turns scores into a ranking over the rows the product would allow, with a
seeded random tie-break (alphabetical ids would favour some names).

* random        - no information at all
* activity      - number of joint projects (other than the held-out one)
* graph         - the seeker's known partners, then their partners, then by activity
* bm25          - BM25 of the whole profile (the product's LexicalIndex, German terms)
* char-tfidf    - TF-IDF over character 3-5-grams of the whole profile (scikit-learn)
* dense-profile - one embedding per whole profile (the model cuts it at its token limit)
* dense-maxsim  - best passage cosine per profile (mean over the query's sentences)
* rrf           - reciprocal rank fusion of bm25, char-tfidf and dense-maxsim
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.preprocessing import normalize

from ingest.passages import WHOLE_FIELD, fit_to_window

NAMES = ("random", "activity", "graph", "bm25", "char-tfidf", "dense-profile", "dense-maxsim", "rrf")
RRF_K = 60
#: Graph score scales: a known partner outranks any partner of partners, and a path
#: outranks any activity count (hundreds at most).
_DIRECT, _PATH = 1e9, 1e4


@dataclass
class BaselineQuery:
    text: str                 # the title, or the seeker's whole remaining profile
    vectors: np.ndarray       # the product's query vectors (title sentences / seeker passages)
    terms: dict[str, float]   # the product's query terms
    seeker_row: int = -1


def ordered(scores: np.ndarray, allowed: np.ndarray, tiebreak: np.ndarray) -> np.ndarray:
    """Allowed rows, best score first; equal scores in ``tiebreak`` order."""
    rows = np.flatnonzero(allowed)
    return rows[np.lexsort((tiebreak[rows], -scores[rows]))]


class CharTfidf:
    """Character n-gram TF-IDF; the vocabulary is fixed once, document frequencies per view."""

    def __init__(self, texts: list[str]):
        self.vectorizer = CountVectorizer(analyzer="char_wb", ngram_range=(3, 5), dtype=np.float32)
        self.vectorizer.fit(texts)
        self.memo: dict[str, sparse.csr_matrix] = {}

    def counts(self, texts: list[str]) -> sparse.csr_matrix:
        missing = [t for t in dict.fromkeys(texts) if t not in self.memo]
        if missing:
            self.memo.update(zip(missing, self.vectorizer.transform(missing)))
        return sparse.vstack([self.memo[t] for t in texts], format="csr")

    def scores(self, texts: list[str], query: str) -> np.ndarray:
        counts = self.counts(texts)
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        idf = np.log((1 + counts.shape[0]) / (1 + df)) + 1.0   # scikit-learn's smoothed idf
        docs = normalize(counts.multiply(idf).tocsr())
        q = normalize(self.vectorizer.transform([query]).multiply(idf).tocsr())
        return np.asarray((docs @ q.T).todense()).ravel()


class DenseProfile:
    """One vector per whole profile, cut to the model's window (one 512-token window for
    multilingual-e5-small) as a sentence-transformers model would cut it. Vectors are kept
    by the cut text: masking a late project of a long profile embeds nothing new."""

    def __init__(self, encoder):
        self.encoder = encoder   # a harness MemoEmbedder
        self.cut: dict[str, str] = {}

    def vectors(self, texts: list[str]) -> np.ndarray:
        for t in dict.fromkeys(texts):
            if t not in self.cut:
                self.cut[t] = fit_to_window(t, self.encoder.count_tokens, self.encoder.max_tokens)
        return self.encoder.embed_passages([self.cut[t] for t in texts])

    def query(self, text: str) -> np.ndarray:
        return self.encoder.embed_queries([fit_to_window(text, self.encoder.count_tokens,
                                                         self.encoder.max_tokens)])[0]


def max_sim(query_vectors: np.ndarray, passage_vectors: np.ndarray, passage_rows: np.ndarray,
            n_rows: int) -> np.ndarray:
    """Per profile row: mean over query vectors of its best passage cosine (the product's rule)."""
    order = np.argsort(passage_rows, kind="stable")
    rows = passage_rows[order]
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    sims = query_vectors @ passage_vectors[order].T
    best = np.maximum.reduceat(sims, starts, axis=1).mean(axis=0)
    out = np.full(n_rows, -1.0)
    out[rows[starts]] = best
    return out


def rrf(*rankings: np.ndarray, n_rows: int, k: int = RRF_K) -> np.ndarray:
    fused = np.zeros(n_rows)
    for ranking in rankings:
        fused[ranking] += 1.0 / (k + 1 + np.arange(len(ranking)))
    return fused


class Baselines:
    def __init__(self, encoder, profile_texts: list[str]):
        """``encoder``: a harness ``MemoEncoder``; ``profile_texts``: the unmasked whole profiles."""
        self.char = CharTfidf(profile_texts)
        self.dense = DenseProfile(encoder)

    def scores(self, view, query: BaselineQuery, allowed: np.ndarray, tiebreak: np.ndarray) -> dict[str, np.ndarray]:
        """Scores of every baseline for every profile row of ``view`` (a ``MaskedView``);
        ``allowed`` and ``tiebreak`` are needed for the rankings that RRF fuses."""
        n = len(view.index.profiles.ids)
        # Graph: known partners (by projects together), then partners of partners (by paths),
        # everyone else, and ties, by activity: the reference's EFRE figure (above activity
        # alone) needs that fallback, and random order would waste the sparse EFRE graph.
        graph = view.joint_projects.astype(np.float64)
        direct = view.shared.get(query.seeker_row, {})
        for partner, together in direct.items():
            graph[partner] += _DIRECT * together
            for other in view.shared.get(partner, {}):
                if other != query.seeker_row:
                    graph[other] += _PATH
        profile_vectors = self.dense.vectors(view.profile_texts)
        passages = np.asarray(view.index.passage_fields, dtype=object) != WHOLE_FIELD   # passages only
        out = {
            "random": np.zeros(n),    # all tied: the random tie-break is the ranking
            "activity": view.joint_projects.astype(np.float64),
            "graph": graph,
            "bm25": view.index.lexical.profile_scores(query.terms).astype(np.float64),
            "char-tfidf": self.char.scores(view.profile_texts, query.text),
            "dense-profile": profile_vectors @ self.dense.query(query.text),
            "dense-maxsim": max_sim(query.vectors, view.passage_vectors[passages], view.index.passage_rows[passages], n),
        }
        fused = [ordered(out[name], allowed, tiebreak) for name in ("bm25", "char-tfidf", "dense-maxsim")]
        out["rrf"] = rrf(*fused, n_rows=n)
        return out
