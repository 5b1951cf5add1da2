"""BM25 over German analyzer terms, at profile level, kept current write by write.

Built from the terms stored with each passage (analysis happens once, at ingest),
with a term count like scikit-learn's CountVectorizer (``count_terms``) and column-sliced
(CSC) arrays of the term counts in plain NumPy. What a write changes is small, what BM25 derives from it is global
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

K1 = 1.2
B = 0.75
#: Profiles kept in the delta before it is folded into the base (a pass over all counts).
DELTA_LIMIT = 2000


def count_terms(docs: list[str]) -> tuple["_Csr", dict[str, int], list[str]]:
    """Term counts of space-separated documents: (matrix, vocabulary, names), the same as
    scikit-learn's ``CountVectorizer(analyzer=str.split)`` (alphabetical columns), without
    importing scikit-learn and SciPy's statistics at every cold start (~2 s of CPU)."""
    first_seen: dict[str, int] = {}
    sizes = np.zeros(len(docs), dtype=np.int64)
    # Entries go to NumPy chunk by chunk (12 bytes an entry) instead of two Python lists to
    # the end (16 bytes and their over-allocation): 375 -> 314 MiB for the 10.5M entries of
    # 200k profiles, ~0.3 GB of a 1M-profile build's peak (issue 17).
    index_parts, data_parts, indices, data = [], [], [], []
    for number, doc in enumerate(docs):
        counts = Counter(doc.split())
        for term, n in counts.items():
            indices.append(first_seen.setdefault(term, len(first_seen)))
            data.append(n)
        sizes[number] = len(counts)
        if len(indices) >= _CHUNK:
            index_parts.append(np.asarray(indices, dtype=np.int64))
            data_parts.append(np.asarray(data, dtype=np.float32))
            indices, data = [], []
    index_parts.append(np.asarray(indices, dtype=np.int64))
    data_parts.append(np.asarray(data, dtype=np.float32))
    names = sorted(first_seen)
    column = np.empty(len(first_seen), dtype=np.int64)
    for col, term in enumerate(names):
        column[first_seen[term]] = col
    indptr = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum(sizes, out=indptr[1:])
    matrix = _Csr(indptr, column[np.concatenate(index_parts)], np.concatenate(data_parts), (len(docs), len(names)))
    return matrix, {term: col for col, term in enumerate(names)}, names


#: Entries ``count_terms`` collects in Python lists before moving them to an array.
_CHUNK = 1 << 20


class _Csr:
    """Rows of (column, value) entries: ``count_terms``' per-document counts."""

    def __init__(self, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, shape: tuple[int, int]):
        self.indptr, self.indices, self.data, self.shape = indptr, indices, data, shape

    def row_of_entries(self) -> np.ndarray:
        return np.repeat(np.arange(self.shape[0], dtype=np.int64), np.diff(self.indptr))


def _slice(counts: "_Counts", cols: np.ndarray):
    """(rows, values, need flags, position of the column in ``cols``) of the stored entries."""
    indptr, width = counts.indptr, counts.shape[1]
    spans = [(int(indptr[c]), int(indptr[c + 1])) if c < width else (0, 0) for c in cols]
    sizes = np.array([e - s for s, e in spans], dtype=np.int64)
    if not sizes.sum():
        empty = np.zeros(0, dtype=np.int64)
        return empty, np.zeros(0, np.float32), np.zeros(0, bool), empty
    # A query names a few dozen columns: contiguous slices, no index arithmetic per entry.
    return (np.concatenate([counts.indices[s:e] for s, e in spans]),
            np.concatenate([counts.data[s:e] for s, e in spans]),
            np.concatenate([counts.need[s:e] for s, e in spans]),
            np.repeat(np.arange(len(cols)), sizes))


class _Counts:
    """Term counts of some rows, column-sliceable (CSC: per column, its rows in order), with a
    need-only flag per entry.

    Plain NumPy arrays rather than SciPy's sparse matrices: importing ``scipy.sparse`` was
    a quarter of a cold ``partnerradar search`` (SciPy 1.17 walks all of NumPy's lazy
    submodules at import), and BM25 only ever slices columns and sums entries."""

    def __init__(self, rows: np.ndarray, cols: np.ndarray, values: np.ndarray, shape: tuple[int, int],
                 need: np.ndarray | None = None):
        """From entries (row, column, value[, need]); entries of one (row, column) are summed,
        and such a pair is need-only when every one of its entries is; zeros are dropped."""
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        values = np.asarray(values, dtype=np.float32)
        need = np.zeros(len(rows), dtype=bool) if need is None else np.asarray(need, dtype=bool)
        n_rows, width = shape
        key = cols * max(n_rows, 1) + rows                  # column-major: CSC order when sorted
        unique, first = np.unique(key, return_inverse=True)
        summed = np.bincount(first, weights=values, minlength=len(unique)).astype(np.float32)
        offering = np.bincount(first, weights=~need, minlength=len(unique)) > 0
        keep = summed != 0
        unique, summed, offering = unique[keep], summed[keep], offering[keep]
        self.shape = (n_rows, width)
        # Each entry's row; 32 bits like SciPy's: the counts are most of the index's memory.
        self.indices = (unique % max(n_rows, 1)).astype(np.int32 if n_rows < 2**31 else np.int64)
        self.data = summed
        self.need = ~offering
        self.indptr = np.concatenate([[0], np.cumsum(np.bincount(unique // max(n_rows, 1), minlength=width))]
                                     ).astype(np.int64)
        self._row_entries = None     # entry numbers by row, made when a row is first asked for

    @property
    def nnz(self) -> int:
        return len(self.data)

    def entry_columns(self) -> np.ndarray:
        return np.repeat(np.arange(self.shape[1], dtype=np.int64), np.diff(self.indptr))

    def row(self, r: int):
        """(columns, counts, need flags) of one row."""
        if self._row_entries is None:
            # SciPy's CSC -> CSR conversion is one O(nnz) pass in C, 4x NumPy's stable sort at
            # 100k profiles; only "partners of" and writes ask for rows, never a text search,
            # so a cold ``search`` still does not import it.
            from scipy import sparse

            dtype = np.int32 if self.nnz < 2**31 - 1 else np.int64
            csr = sparse.csc_matrix((np.arange(1, self.nnz + 1, dtype=dtype), self.indices, self.indptr),
                                    shape=self.shape).tocsr()
            csr.sort_indices()
            self._row_entries = csr      # data: entry number + 1, indices: columns
        csr = self._row_entries
        if r >= self.shape[0]:
            empty = np.zeros(0, dtype=np.int64)
            return empty, np.zeros(0, np.float32), np.zeros(0, bool)
        start, end = csr.indptr[r], csr.indptr[r + 1]
        entry = csr.data[start:end].astype(np.int64) - 1
        return csr.indices[start:end].astype(np.int64), self.data[entry], self.need[entry]


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
            tf = _Csr(np.zeros(len(terms) + 1, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32), (len(terms), 0))
            self.vocabulary, self._names = {}, []
        n_rows = len(self.profile_ids)
        passage_weights = (np.ones(len(self.passage_ids), np.float32) if weights is None
                           else np.asarray(weights, np.float32))
        # A profile's counts: the sum of its passages' counts, each times its passage's weight.
        # (profile, term) pairs whose term the profile uses only where it says what it needs
        # (passages weighted below 1) are flagged: such a word says little about what it offers.
        passage_of_entry = tf.row_of_entries()
        self._base = _Counts(self.passage_profile_rows[passage_of_entry], tf.indices,
                             tf.data * passage_weights[passage_of_entry], (n_rows, tf.shape[1]),
                             need=passage_weights[passage_of_entry] < 1)
        self._dead = np.zeros(n_rows, dtype=bool)
        self._delta: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._delta_counts = None
        self.lengths = np.bincount(self._base.indices, weights=self._base.data, minlength=n_rows).astype(np.float32)
        self.df = np.diff(self._base.indptr).astype(np.float64)   # profiles per term
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
        sizes = [len(self._delta[r][0]) for r in rows]
        return _Counts(np.repeat(np.asarray(rows, dtype=np.int64), sizes),
                       np.concatenate([self._delta[r][0] for r in rows]),
                       np.concatenate([self._delta[r][1] for r in rows]), (n_rows, len(self._names)),
                       need=np.concatenate([self._delta[r][2] for r in rows]))

    def _fold(self) -> None:
        """One base matrix again: the live base rows and the delta's rows."""
        n_rows, width = len(self._dead), len(self._names)
        old = self._base
        alive = ~self._dead[old.indices]
        rows, cols = [old.indices[alive]], [old.entry_columns()[alive]]
        values, need = [old.data[alive]], [old.need[alive]]
        delta = self._delta_matrix(n_rows)
        if delta is not None:
            rows.append(delta.indices)
            cols.append(delta.entry_columns())
            values.append(delta.data)
            need.append(delta.need)
        self._base = _Counts(np.concatenate(rows), np.concatenate(cols), np.concatenate(values), (n_rows, width),
                             need=np.concatenate(need))
        self._dead = np.zeros(n_rows, dtype=bool)
        self._delta, self._delta_counts = {}, None
