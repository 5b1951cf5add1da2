"""BM25 over German analyzer terms, at profile level, kept current write by write.

Built from the terms stored with each passage (analysis happens once, at ingest),
with a term count like scikit-learn's CountVectorizer (``count_terms``) and SciPy sparse
matrices for the term counts. What a write changes is small, what BM25 derives from it is global
(document frequencies, the mean profile length), so the matrices hold raw (weighted)
term counts and the weights are computed at query time on the columns the query
names: exactly the BM25 of a full rebuild, for the cost of the matches.

A write replaces some profiles' rows (``advance``): their rows in the large *base*
matrix are marked dead and their new counts go to a small *delta* matrix; document
frequencies and lengths are updated by the difference. Past ``DELTA_LIMIT`` rows the
delta is folded into a new base (in memory, no store access).
"""
from __future__ import annotations

import copy
from collections import Counter

import numpy as np
from scipy import sparse

K1 = 1.2
B = 0.75
#: Profiles kept in the delta before it is folded into the base (a pass over all counts).
DELTA_LIMIT = 2000


def count_terms(docs: list[str]) -> tuple[sparse.csr_matrix, dict[str, int], list[str]]:
    """Term counts of space-separated documents: (matrix, vocabulary, names), the same as
    scikit-learn's ``CountVectorizer(analyzer=str.split)`` (alphabetical columns), without
    importing scikit-learn and SciPy's statistics at every cold start (~2 s of CPU)."""
    first_seen: dict[str, int] = {}
    indptr, indices, data = [0], [], []
    for doc in docs:
        for term, n in Counter(doc.split()).items():
            indices.append(first_seen.setdefault(term, len(first_seen)))
            data.append(n)
        indptr.append(len(indices))
    names = sorted(first_seen)
    column = np.empty(len(first_seen), dtype=np.int64)
    for col, term in enumerate(names):
        column[first_seen[term]] = col
    matrix = sparse.csr_matrix((np.asarray(data, dtype=np.float32), column[np.asarray(indices, dtype=np.int64)],
                                np.asarray(indptr, dtype=np.int64)), shape=(len(docs), len(names)))
    matrix.sort_indices()
    return matrix, {term: col for col, term in enumerate(names)}, names


def _slice(counts: "_Counts", cols: np.ndarray):
    """(rows, values, need flags, position of the column in ``cols``) of the stored entries."""
    matrix = counts.csc
    indptr, width = matrix.indptr, matrix.shape[1]
    spans = [(int(indptr[c]), int(indptr[c + 1])) if c < width else (0, 0) for c in cols]
    sizes = np.array([e - s for s, e in spans], dtype=np.int64)
    if not sizes.sum():
        empty = np.zeros(0, dtype=np.int64)
        return empty, np.zeros(0, np.float32), np.zeros(0, bool), empty
    # A query names a few dozen columns: contiguous slices, no index arithmetic per entry.
    return (np.concatenate([matrix.indices[s:e] for s, e in spans]),
            np.concatenate([matrix.data[s:e] for s, e in spans]),
            np.concatenate([counts.need[s:e] for s, e in spans]),
            np.repeat(np.arange(len(cols)), sizes))


class _Counts:
    """Term counts of some rows, column-sliceable (CSC), with a need-only flag per entry."""

    def __init__(self, matrix: sparse.spmatrix, need: sparse.spmatrix | None = None):
        csc = sparse.csc_matrix(matrix, dtype=np.float32)
        csc.sum_duplicates()
        csc.eliminate_zeros()
        csc.sort_indices()
        self.csc = csc
        self.need = np.zeros(csc.nnz, dtype=bool)
        if need is not None and need.nnz:
            # ``need`` has entries only where ``matrix`` has: add a pattern of ones, read the 2s.
            pattern = sparse.csc_matrix((np.ones(csc.nnz, np.float32), csc.indices, csc.indptr), shape=csc.shape)
            need = sparse.csc_matrix(need, dtype=np.float32)
            need.eliminate_zeros()
            need.data[:] = 1.0
            both = (pattern + need).tocsc()
            both.sort_indices()
            self.need = both.data > 1.5
        self._rows = None     # CSR of entry numbers, made when a row is first asked for

    def row(self, r: int):
        """(columns, counts, need flags) of one row."""
        if self._rows is None:
            csr = sparse.csc_matrix((np.arange(1, self.csc.nnz + 1, dtype=np.int32), self.csc.indices,
                                     self.csc.indptr), shape=self.csc.shape).tocsr()
            csr.sort_indices()
            self._rows = csr
        if r >= self._rows.shape[0]:
            empty = np.zeros(0, dtype=np.int64)
            return empty, np.zeros(0, np.float32), np.zeros(0, bool)
        start, end = self._rows.indptr[r], self._rows.indptr[r + 1]
        entry = self._rows.data[start:end].astype(np.int64) - 1
        return self._rows.indices[start:end].astype(np.int64), self.csc.data[entry], self.need[entry]


class LexicalIndex:
    """``profile_ids`` gives the row order; ``passage_profile_rows`` each passage's row."""

    def __init__(self, passage_ids: np.ndarray, passage_profiles: list[str], terms: list[str],
                 profile_ids: list[str], weights: np.ndarray | None = None):
        self.passage_ids = np.asarray(passage_ids, dtype=np.int64)
        self.profile_ids = list(profile_ids)
        row_of_profile = {pid: i for i, pid in enumerate(self.profile_ids)}
        self.passage_profile_rows = np.array([row_of_profile[p] for p in passage_profiles], dtype=np.int64)
        if terms and any(terms):
            tf, self.vocabulary, self._names = count_terms(terms)
        else:
            tf = sparse.csr_matrix((len(terms), 0), dtype=np.float32)
            self.vocabulary, self._names = {}, []
        n_rows = len(self.profile_ids)
        passage_weights = (np.ones(len(self.passage_ids), np.float32) if weights is None
                           else np.asarray(weights, np.float32))
        membership = sparse.csr_matrix((passage_weights, (self.passage_profile_rows, np.arange(len(self.passage_ids)))),
                                       shape=(n_rows, len(self.passage_ids)))
        profile_tf = membership @ tf
        need = None
        if weights is not None and (passage_weights < 1).any():
            # (profile, term) pairs whose term the profile uses only where it says what it
            # needs (passages weighted below 1): such a word says little about what it offers.
            low = passage_weights < 1
            in_needs = (membership[:, low] @ tf[low]) > 0
            in_rest = (membership[:, ~low] @ tf[~low]) > 0
            need = in_needs.astype(np.float32) - in_needs.multiply(in_rest).astype(np.float32)
        self._base = _Counts(profile_tf, need)
        self._dead = np.zeros(n_rows, dtype=bool)
        self._delta: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._delta_counts = None
        self.lengths = np.asarray(profile_tf.sum(axis=1), dtype=np.float32).ravel()
        self.df = np.diff(self._base.csc.indptr).astype(np.float64)   # profiles per term
        self.live = n_rows
        self._derive()

    # -- global statistics ------------------------------------------------------
    def _derive(self) -> None:
        n = self.live
        total = float(self.lengths.sum())
        self.avg = np.float32(total / n) if n and total > 0 else np.float32(1.0)
        df = self.df.astype(np.float32)
        self.idf = np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)
        self.idf[self.df <= 0] = 0.0        # a term nobody uses any more is an unknown term
        known = self.idf[self.df > 0]
        self.max_idf = float(known.max(initial=1.0))
        self.norm = (K1 * (1 - B + B * self.lengths / self.avg)).astype(np.float32)

    def _column(self, term: str) -> int | None:
        col = self.vocabulary.get(term)
        return col if col is not None and self.df[col] > 0 else None

    def columns(self, terms) -> np.ndarray:
        return np.array(sorted({c for c in (self._column(t) for t in terms) if c is not None}), dtype=np.int64)

    def _entries(self, cols: np.ndarray):
        """Stored entries of live rows in ``cols``: (rows, counts, need flags, position in cols).

        The ranker asks for BM25 and for coverage of the same terms in turn: the last
        answer is kept (one tuple, replaced whole: safe between threads)."""
        key = cols.tobytes()
        last = self._last_entries
        if last is not None and last[0] == key:
            return last[1]
        entries = self._gather(cols)
        self._last_entries = (key, entries)
        return entries

    def _gather(self, cols: np.ndarray):
        rows, values, flags, which = _slice(self._base, cols)
        if self._dead.any() and len(rows):
            alive = ~self._dead[rows]
            rows, values, flags, which = rows[alive], values[alive], flags[alive], which[alive]
        if self._delta_counts is not None:
            parts = _slice(self._delta_counts, cols)
            rows, values, flags, which = (np.concatenate([a, b]) for a, b in zip((rows, values, flags, which), parts))
        return rows, values, flags, which

    _last_entries = None

    def _weights(self, rows, values, cols, which) -> np.ndarray:
        # values * (K1 + 1) / (values + norm) * idf, in place: the same floats with half the
        # temporaries of 500k entries (a profile's 40 terms at 100k profiles), and idf
        # gathered from the query's few columns.
        weights = values * np.float32(K1 + 1)
        lengths = self.norm[rows]
        lengths += values
        weights /= lengths
        weights *= self.idf[cols][which]
        return weights

    # -- queries ------------------------------------------------------------------
    def profile_scores(self, terms: dict[str, float] | list[str]) -> np.ndarray:
        """BM25 of each profile (all its passages as one document) for the query terms.

        ``terms`` may map each term to a query weight (e.g. its weight in the seeker's profile).
        """
        query = terms if isinstance(terms, dict) else {t: 1.0 for t in terms}
        known = [(self._column(t), w) for t, w in query.items()]
        known = [(c, w) for c, w in known if c is not None]
        n = len(self.profile_ids)
        if not known:
            return np.zeros(n, dtype=np.float32)
        known.sort()
        cols = np.array([c for c, _ in known], dtype=np.int64)
        qw = np.array([w for _, w in known], dtype=np.float32)
        rows, values, _, which = self._entries(cols)
        contribution = self._weights(rows, values, cols, which)
        contribution *= qw[which]
        return np.bincount(rows, weights=contribution, minlength=n).astype(np.float32)

    def idf_of(self, term: str) -> float:
        col = self._column(term)
        return float(self.idf[col]) if col is not None else 0.0

    def coverage(self, terms: list[str], need_factor: float = 1.0) -> np.ndarray:
        """Per profile: the idf-weighted share of the query's distinct terms it contains (0..1).

        A term the profile uses only in what it seeks counts ``need_factor``.
        """
        unique = list(dict.fromkeys(terms))
        cols = self.columns(unique)
        total = sum(self.idf_of(t) if self._column(t) is not None else self.max_idf for t in unique)
        n = len(self.profile_ids)
        if not len(cols) or total <= 0:
            return np.zeros(n, dtype=np.float32)
        rows, _, flags, which = self._entries(cols)
        found = self.idf[cols][which] * np.where(flags, np.float32(need_factor), np.float32(1.0))
        return (np.bincount(rows, weights=found, minlength=n) / total).astype(np.float32)

    def _row(self, row: int):
        if row in self._delta:
            return self._delta[row]
        if row < len(self._dead) and not self._dead[row]:
            return self._base.row(row)
        empty = np.zeros(0, dtype=np.int64)
        return empty, np.zeros(0, np.float32), np.zeros(0, bool)

    def profile_terms(self, row: int, top: int = 40) -> dict[str, float]:
        """A profile's most distinctive terms with their BM25 weight, for "partners of" queries."""
        cols, values, _ = self._row(row)
        if not len(cols):
            return {}
        weights = values * np.float32(K1 + 1) / (values + self.norm[row]) * self.idf[cols]
        order = np.argsort(-weights)[:top]
        return {self._names[cols[i]]: float(weights[i]) for i in order}

    def has_terms(self, row: int, terms) -> bool:
        """Does the profile in ``row`` use every one of ``terms``?"""
        columns = set(self._row(row)[0].tolist())
        return all(self.vocabulary.get(t) in columns for t in terms)

    # -- writes -------------------------------------------------------------------
    def advance(self, n_rows: int, removed: list[int], replaced: dict[int, list[tuple[str, float]]],
                profile_ids: list[str]) -> "LexicalIndex":
        """A new index: rows in ``removed`` lose their terms (deleted profiles), rows in
        ``replaced`` get the terms of the given passages ((terms, weight) each) instead of
        theirs; ``n_rows`` (≥ the current count) rows in all, named by ``profile_ids``.
        This object is left as it was (searches on it go on)."""
        new = copy.copy(self)
        new._last_entries = None
        new.profile_ids = profile_ids
        grow = n_rows - len(self._dead)
        new._dead = np.concatenate([self._dead, np.ones(grow, dtype=bool)]) if grow > 0 else self._dead.copy()
        new.lengths = np.concatenate([self.lengths, np.zeros(grow, np.float32)]) if grow > 0 else self.lengths.copy()
        new._delta = dict(self._delta)
        new.df = self.df.copy()
        vocabulary_copied = False
        for row in list(removed) + list(replaced):
            if row >= len(self._dead):
                continue              # a new row: nothing to take back
            had = new._delta.pop(row, None)
            if had is None and not new._dead[row]:
                had = self._base.row(row)
                new._dead[row] = True
            if had is not None:
                new.df[had[0]] -= 1
                new.live -= 1
                new.lengths[row] = 0.0
        for row, passages in replaced.items():
            counts: Counter = Counter()
            rest: set = set()
            for terms, weight in passages:
                words = terms.split()
                for word in words:
                    counts[word] += weight
                if weight >= 1:
                    rest.update(words)
            for word in counts:
                if word not in new.vocabulary:
                    if not vocabulary_copied:
                        new.vocabulary, new._names = dict(new.vocabulary), list(new._names)
                        vocabulary_copied = True
                    new.vocabulary[word] = len(new._names)
                    new._names.append(word)
            if len(new._names) > len(new.df):
                new.df = np.concatenate([new.df, np.zeros(len(new._names) - len(new.df))])
            cols = np.array(sorted(new.vocabulary[w] for w in counts), dtype=np.int64)
            by_col = {new.vocabulary[w]: w for w in counts}
            values = np.array([counts[by_col[c]] for c in cols], dtype=np.float32)
            flags = np.array([by_col[c] not in rest for c in cols], dtype=bool)
            new._delta[row] = (cols, values, flags)
            new.df[cols] += 1
            new.live += 1
            new.lengths[row] = float(values.sum())
        if len(new._delta) > DELTA_LIMIT:
            new._fold()
        else:
            new._delta_counts = new._delta_matrix(n_rows)
        new._derive()
        return new

    def _delta_matrix(self, n_rows: int) -> _Counts | None:
        if not self._delta:
            return None
        rows = sorted(self._delta)
        sizes = np.zeros(n_rows, dtype=np.int64)
        sizes[rows] = [len(self._delta[r][0]) for r in rows]
        indptr = np.concatenate([[0], np.cumsum(sizes)])
        cols = np.concatenate([self._delta[r][0] for r in rows])
        shape = (n_rows, len(self._names))
        values = np.concatenate([self._delta[r][1] for r in rows])
        flags = np.concatenate([self._delta[r][2] for r in rows]).astype(np.float32)
        return _Counts(sparse.csr_matrix((values, cols, indptr), shape=shape),
                       sparse.csr_matrix((flags, cols, indptr), shape=shape))

    def _fold(self) -> None:
        """One base matrix again: the live base rows and the delta's rows."""
        n_rows, width = len(self._dead), len(self._names)
        old = self._base.csc
        alive = np.flatnonzero(~self._dead[:old.shape[0]])
        pick = sparse.csr_matrix((np.ones(len(alive), np.float32), (alive, alive)), shape=(n_rows, old.shape[0]))
        need = sparse.csc_matrix((self._base.need.astype(np.float32), old.indices, old.indptr), shape=old.shape)
        counts, flags = pick @ old, pick @ need
        counts.resize((n_rows, width))
        flags.resize((n_rows, width))
        delta = self._delta_matrix(n_rows)
        if delta is not None:
            counts = counts + delta.csc
            flags = flags + sparse.csc_matrix((delta.need.astype(np.float32), delta.csc.indices,
                                               delta.csc.indptr), shape=delta.csc.shape)
        self._base = _Counts(counts, flags)
        self._dead = np.zeros(n_rows, dtype=bool)
        self._delta, self._delta_counts = {}, None
