"""BM25 over German analyzer terms, at passage and at profile level.

Built from the terms stored with each passage (analysis happens once, at ingest),
with scikit-learn's CountVectorizer for the vocabulary and SciPy sparse matrices
for scoring: a query costs a few sparse column sums.
"""
from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer

K1 = 1.2
B = 0.75


def _bm25(tf: sparse.csr_matrix) -> tuple[sparse.csc_matrix, np.ndarray]:
    """BM25 weights per (row, term) and the idf vector."""
    tf = tf.tocsr().astype(np.float32)
    n_rows = tf.shape[0]
    lengths = np.asarray(tf.sum(axis=1)).ravel()
    avg = lengths.mean() if n_rows and lengths.mean() > 0 else 1.0
    df = np.bincount(tf.indices, minlength=tf.shape[1]).astype(np.float32)
    idf = np.log1p((n_rows - df + 0.5) / (df + 0.5)).astype(np.float32)
    norm = K1 * (1 - B + B * lengths / avg)
    rows = np.repeat(np.arange(n_rows), np.diff(tf.indptr))
    data = tf.data * (K1 + 1) / (tf.data + norm[rows]) * idf[tf.indices]
    weights = sparse.csr_matrix((data.astype(np.float32), tf.indices, tf.indptr), shape=tf.shape)
    return weights.tocsc(), idf


class LexicalIndex:
    """``passage_ids`` and ``profile_ids`` give the row order of the two matrices."""

    def __init__(self, passage_ids: np.ndarray, passage_profiles: list[str], terms: list[str],
                 profile_ids: list[str], weights: np.ndarray | None = None):
        self.passage_ids = np.asarray(passage_ids, dtype=np.int64)
        self.profile_ids = list(profile_ids)
        row_of_profile = {pid: i for i, pid in enumerate(self.profile_ids)}
        self.passage_profile_rows = np.array([row_of_profile[p] for p in passage_profiles], dtype=np.int64)
        self.vectorizer = CountVectorizer(analyzer=str.split, dtype=np.float32)
        if terms and any(terms):
            tf = self.vectorizer.fit_transform(terms)
        else:
            self.vectorizer.fit(["_"])
            tf = sparse.csr_matrix((len(terms), 1), dtype=np.float32)
        self.vocabulary = self.vectorizer.vocabulary_
        membership = sparse.csr_matrix(
            (np.ones(len(self.passage_ids), np.float32) if weights is None else np.asarray(weights, np.float32),
             (self.passage_profile_rows, np.arange(len(self.passage_ids)))),
            shape=(len(self.profile_ids), len(self.passage_ids)))
        # Only profile-level matrices are kept: passage-level BM25 was never ranked on and
        # cost as much memory again as everything else about a profile.
        profile_tf = (membership @ tf).tocsr()
        self.profile_weights, self.idf = _bm25(profile_tf)
        self.profile_weights_rows = self.profile_weights.tocsr()
        self.need_only = self._need_only(membership, tf, weights)
        self._names = None

    @staticmethod
    def _need_only(membership, tf, weights) -> sparse.csc_matrix:
        """(profile, term) pairs whose term the profile uses only where it says what it needs
        (passages weighted below 1): such a word says little about what it can offer."""
        shape = (membership.shape[0], tf.shape[1])
        if weights is None or not (np.asarray(weights) < 1).any():
            return sparse.csc_matrix(shape, dtype=np.float32)
        need = np.asarray(weights) < 1
        in_needs = (membership[:, need] @ tf[need]) > 0
        in_rest = (membership[:, ~need] @ tf[~need]) > 0
        return (in_needs.astype(np.float32) - in_needs.multiply(in_rest).astype(np.float32)).tocsc()

    def columns(self, terms) -> np.ndarray:
        return np.array(sorted({self.vocabulary[t] for t in terms if t in self.vocabulary}), dtype=np.int64)

    def profile_scores(self, terms: dict[str, float] | list[str]) -> np.ndarray:
        """BM25 of each profile (all its passages as one document) for the query terms.

        ``terms`` may map each term to a query weight (e.g. its weight in the seeker's profile).
        """
        return self._scores(self.profile_weights, terms)

    def _scores(self, weights: sparse.csc_matrix, terms) -> np.ndarray:
        query = terms if isinstance(terms, dict) else {t: 1.0 for t in terms}
        cols = [self.vocabulary[t] for t in query if t in self.vocabulary]
        if not cols:
            return np.zeros(weights.shape[0], dtype=np.float32)
        qw = np.array([query[t] for t in query if t in self.vocabulary], dtype=np.float32)
        return np.asarray(weights[:, cols] @ qw).ravel()

    def idf_of(self, term: str) -> float:
        col = self.vocabulary.get(term)
        return float(self.idf[col]) if col is not None else 0.0

    def coverage(self, terms: list[str], need_factor: float = 1.0) -> np.ndarray:
        """Per profile: the idf-weighted share of the query's distinct terms it contains (0..1).

        A term the profile uses only in what it seeks counts ``need_factor``.
        """
        unique = list(dict.fromkeys(terms))
        cols = self.columns(unique)
        unseen_idf = float(self.idf.max(initial=1.0))
        total = sum(float(self.idf[self.vocabulary[t]]) if t in self.vocabulary else unseen_idf
                    for t in unique)
        if not len(cols) or total <= 0:
            return np.zeros(len(self.profile_ids), dtype=np.float32)
        # A profile contains a term iff its BM25 weight is positive (idf > 0 always); column
        # slices of the CSC matrix cost the matches only, not a pass over every profile.
        present = self.profile_weights[:, cols]
        present.data = (present.data > 0).astype(np.float32)
        found = np.asarray(present @ self.idf[cols]).ravel()
        if need_factor != 1.0 and self.need_only.nnz:
            found -= (1.0 - need_factor) * np.asarray(self.need_only[:, cols] @ self.idf[cols]).ravel()
        return found / total

    def profile_terms(self, row: int, top: int = 40) -> dict[str, float]:
        """A profile's most distinctive terms with their BM25 weight, for "partners of" queries."""
        weights = self.profile_weights_rows[row]
        order = np.argsort(-weights.data)[:top]
        if self._names is None:
            self._names = self.vectorizer.get_feature_names_out()
        names = self._names
        return {str(names[weights.indices[i]]): float(weights.data[i]) for i in order}

    def has_terms(self, row: int, terms) -> bool:
        """Does the profile in ``row`` use every one of ``terms``?"""
        present = self.profile_weights_rows[row]
        columns = set(present.indices[present.data > 0].tolist())
        return all(self.vocabulary.get(t) in columns for t in terms)
