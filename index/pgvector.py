"""Passage vectors searched in PostgreSQL with pgvector (HNSW): ``PassageVectors`` for ``PgStore``.

The vectors are a column of the store's ``passages`` table with an HNSW index
(``vector_ip_ops``: inner product of L2-normalised vectors, as FAISS scores them), written
by the store in the same transaction as the profile and the generation. So this backend
writes nothing itself: ``add``/``remove``/``save`` have nothing left to do, a ``copy`` is
the same table, and a server needs no index file. What it does is search, with the
matcher's filters turned into a ``WHERE`` on passage ids (pgvector's iterative index scan
keeps filling the ``LIMIT`` when the filter drops candidates).

A search of an older ``SearchIndex`` may meet passages committed after its generation
(another server's write): their ids are unknown to that index and map to no profile row,
like FAISS's padding, until the index of the new generation takes over.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from store.postgres import PgStore, vector_literal

#: Candidates HNSW keeps per query (pgvector's default 40 is tuned for k=10; the ranker asks
#: for ~100 passages). Recall against exact search is measured in evaluation/pgvector_bench.py.
EF_SEARCH = 200
#: pgvector's upper bound for ``hnsw.ef_search``.
MAX_EF_SEARCH = 1000


def _selected_ids(selector) -> np.ndarray | None:
    """The passage ids a FAISS selector of ``SearchIndex`` lets through (a bitmap it keeps
    referenced, see ``SearchIndex._bitmap``), or None for "all"."""
    if selector is None:
        return None
    packed = getattr(selector, "referenced_objects", None)
    if not packed:
        raise TypeError("pgvector can only filter by an id bitmap of SearchIndex")
    return np.flatnonzero(np.unpackbits(packed[0], bitorder="little")).astype(np.int64)


class PgVectorPassages:
    index_type = "pgvector"
    description = "PostgreSQL (pgvector, HNSW)"
    #: The vectors are the store's own column: nothing is saved, checked or backed up beside it.
    keeps_files = False
    file_pattern = None
    #: Only a PostgreSQL store has that column (``index/backend.backend_for`` checks).
    store_engine = "postgresql"

    def __init__(self, store: PgStore, dim: int, ef_search: int = EF_SEARCH):
        self.store = store
        self.dim = dim
        self.ef_search = ef_search

    @classmethod
    def create(cls, dim: int, index_type: str, store=None) -> "PgVectorPassages":
        return cls(store, dim)

    @classmethod
    def load(cls, directory: Path, generation: int, index_type: str, mmap: bool = False,
             store=None, dim: int | None = None) -> "PgVectorPassages":
        """Always the store's current table: it is written in the store's own transactions."""
        return cls(store, dim)

    @staticmethod
    def saved_file(directory: Path, generation: int) -> None:
        return None

    @staticmethod
    def saved_files(directory: Path) -> list[Path]:
        return []

    @staticmethod
    def leftover_files(directory: Path) -> list[Path]:
        return []

    @property
    def ntotal(self) -> int:
        return self.store.count_passages()

    def ids(self) -> np.ndarray:
        return self.store.passage_ids()

    def add(self, ids: np.ndarray, vectors: np.ndarray, expected: int | None = None) -> None:
        """Nothing to do: the store inserted the vectors with their passages."""

    def remove(self, ids) -> bool:
        """Nothing to do: the store deleted the vectors with their passages."""
        return True

    def search(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None,
               selector=None, fraction: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        only = np.asarray(allowed, dtype=np.int64) if allowed is not None else _selected_ids(selector)
        k = max(1, int(k))
        scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        ids = np.full((len(queries), k), -1, dtype=np.int64)
        if only is not None and not len(only):
            return scores[:, :0], ids[:, :0]
        where = "WHERE id = ANY(%(only)s)" if only is not None else ""
        sql = (f"SELECT id, -(vector <#> %(q)s::vector) FROM passages {where} "
               f"ORDER BY vector <#> %(q)s::vector LIMIT %(k)s")
        conn = self.store.pg
        self._configure(conn, min(MAX_EF_SEARCH, max(self.ef_search, k)))
        for row, query in enumerate(queries):
            params = {"q": vector_literal(query), "k": k}
            if only is not None:
                params["only"] = only.tolist()
            found = conn.execute(sql, params).fetchall()
            found.sort(key=lambda hit: -hit[1])
            if found:
                ids[row, :len(found)] = [hit[0] for hit in found]
                scores[row, :len(found)] = [hit[1] for hit in found]
        width = int((ids >= 0).sum(axis=1).max()) if len(ids) else 0
        return scores[:, :width], ids[:, :width]

    @staticmethod
    def _configure(conn, ef_search: int) -> None:
        """The connection's HNSW settings, sent only when they change (a search is then one
        round trip). A filter that drops candidates makes the scan go on instead of returning
        fewer than k ("iterative scan"); its relaxed order is sorted by score in ``search``."""
        if getattr(conn, "_hnsw_ef_search", None) == ef_search and not conn.info.transaction_status:
            return
        conn.execute("SELECT set_config('hnsw.ef_search', %s, false), "
                     "set_config('hnsw.iterative_scan', 'relaxed_order', false)", (str(ef_search),))
        # Inside a transaction the settings could be rolled back with it: don't remember them.
        conn._hnsw_ef_search = None if conn.info.transaction_status else ef_search

    def reconstruct(self, ids) -> np.ndarray:
        ids = [int(i) for i in np.asarray(ids, dtype=np.int64)]
        if not ids:
            return np.zeros((0, self.dim), dtype=np.float32)
        found = dict(self.store._binary("SELECT id, vector FROM passages WHERE id = ANY(%s)", (ids,)).fetchall())
        return np.vstack([found[i] for i in ids]).astype(np.float32)

    def copy(self) -> "PgVectorPassages":
        """The same table: the store's transaction is what keeps readers on the old state."""
        return self

    def outgrown(self, total: int) -> bool:
        return False     # HNSW grows with its table

    #: No in-memory delta to fold: a write's vectors are in the table when it commits.
    delta_full = False

    def save(self, directory: Path, generation: int) -> Path:
        """Nothing to persist beside the store (the vectors are committed with it)."""
        return Path(directory)
