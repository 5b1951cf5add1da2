"""Everything the matcher searches, as of one store generation.

``SearchIndex`` bundles the FAISS passage index, the BM25 matrices and compact
per-profile arrays (kind, district, coordinates) used for filtering. It is loaded
from the index folder when the saved generation matches the store, and rebuilt
from the stored passage vectors otherwise (nothing is re-embedded).
"""
from __future__ import annotations

import fcntl
import json
import logging
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.lexical import LexicalIndex
from index.vectors import VectorIndex
from store.db import Store

log = logging.getLogger(__name__)
#: A profile's "seeks" words count half in its lexical profile: they say what it lacks.
SEEKS_WEIGHT = 0.5


@dataclass
class ProfileTable:
    ids: list[str]
    row_of: dict[str, int]
    kind: np.ndarray        # object array of str
    landkreis: np.ndarray   # object array of str
    lat: np.ndarray         # float, nan when unknown
    lon: np.ndarray
    listed: np.ndarray      # bool
    activity: np.ndarray    # number of known projects (0 for plain profiles)
    joint: np.ndarray = field(default=None)   # joint projects with known partners

    def __post_init__(self):
        if self.joint is None:
            self.joint = np.zeros(len(self.ids), dtype=np.float32)

    @classmethod
    def from_store(cls, store: Store) -> "ProfileTable":
        rows = store.profile_table()
        ids = [r[0] for r in rows]
        extras = [json.loads(r[6] or "{}") for r in rows]
        return cls(
            ids=ids, row_of={pid: i for i, pid in enumerate(ids)},
            kind=np.array([r[1] for r in rows], dtype=object),
            landkreis=np.array([r[2] or "" for r in rows], dtype=object),
            lat=np.array([r[3] if r[3] is not None else np.nan for r in rows], dtype=np.float64),
            lon=np.array([r[4] if r[4] is not None else np.nan for r in rows], dtype=np.float64),
            listed=np.array([bool(r[5]) for r in rows], dtype=bool),
            activity=np.array([float(e.get("projects", 0) or 0) for e in extras], dtype=np.float32),
        )


class SearchIndex:
    def __init__(self, generation: int, vectors: VectorIndex, lexical: LexicalIndex,
                 profiles: ProfileTable, passage_ids: np.ndarray, passage_rows: np.ndarray,
                 passage_fields: np.ndarray, neighbours: dict[int, Counter],
                 joint_total: int = 0):
        self.generation = generation
        self.neighbours = neighbours            # profile row -> known partner row -> projects together
        self.joint_total = joint_total          # distinct joint projects in the cooperations
        self.vectors = vectors
        self.lexical = lexical
        self.profiles = profiles
        self.passage_ids = passage_ids          # sorted passage row ids
        self.passage_rows = passage_rows        # profile row of each passage
        self.passage_fields = passage_fields

    def rows_of_passages(self, ids: np.ndarray) -> np.ndarray:
        """Profile rows for passage ids (-1 for ids FAISS pads with)."""
        ids = np.asarray(ids, dtype=np.int64)
        pos = np.searchsorted(self.passage_ids, ids)
        pos = np.clip(pos, 0, max(len(self.passage_ids) - 1, 0))
        ok = (ids >= 0) & (len(self.passage_ids) > 0)
        ok &= self.passage_ids[pos] == ids if len(self.passage_ids) else False
        return np.where(ok, self.passage_rows[pos] if len(self.passage_ids) else -1, -1)

    def fields_of_passages(self, ids: np.ndarray) -> np.ndarray:
        pos = np.clip(np.searchsorted(self.passage_ids, ids), 0, max(len(self.passage_ids) - 1, 0))
        return self.passage_fields[pos] if len(self.passage_ids) else np.array([], dtype=object)

    def passages_of_rows(self, rows_mask: np.ndarray) -> np.ndarray:
        return self.passage_ids[rows_mask[self.passage_rows]]

    @property
    def size(self) -> int:
        return len(self.profiles.ids)


def choose_kind(index_type: str, passages: int, approximate_above: int) -> str:
    if index_type == "auto":
        return "hnsw" if passages > approximate_above else "flat"
    return index_type


@contextmanager
def write_lock(directory: Path):
    """One writer at a time across processes: store write + index update + save."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "write.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build_search_index(store: Store, directory: Path, dim: int, index_type: str = "auto",
                       approximate_above: int = 200_000, vectors: VectorIndex | None = None,
                       save: bool = True, mmap: bool = False) -> SearchIndex:
    """Load the saved vectors for the store's generation, or rebuild and save them."""
    with store.snapshot():
        return _build(store, directory, dim, index_type, approximate_above, vectors, save, mmap)


def _build(store, directory, dim, index_type, approximate_above, vectors, save, mmap) -> SearchIndex:
    generation = store.generation()
    total = store.count_passages()
    kind = choose_kind(index_type, total, approximate_above)
    if vectors is None:
        vectors = VectorIndex.load(directory, generation, kind, mmap=mmap)
        if vectors is not None and (vectors.ntotal != total or vectors.dim != dim):
            log.warning("saved index disagrees with the store (%s vs %s passages); rebuilding",
                        vectors.ntotal, total)
            vectors = None
    rebuild = vectors is None
    if rebuild:
        vectors = VectorIndex(dim, kind)
    ids_all, profiles_all, fields_all, terms_all = [], [], [], []
    for ids, profile_ids, fields, terms, vecs in store.iter_passages(with_vectors=rebuild):
        if rebuild:
            vectors.add(ids, vecs)
        ids_all.append(ids)
        profiles_all.extend(profile_ids)
        fields_all.extend(fields)
        terms_all.extend(terms)
    if rebuild and save:
        vectors.save(directory, generation)
    table = ProfileTable.from_store(store)
    passage_ids = np.concatenate(ids_all) if ids_all else np.zeros(0, dtype=np.int64)
    lexical = LexicalIndex(passage_ids, profiles_all, terms_all, table.ids,
                           weights=np.where(np.array(fields_all, dtype=object) == "seeks", SEEKS_WEIGHT, 1.0))
    neighbours, table.joint, joint_total = cooperation_graph(
        ((table.row_of.get(a), table.row_of.get(b), project) for a, b, project, _ in store.cooperations()),
        len(table.ids))
    return SearchIndex(generation, vectors, lexical, table, passage_ids,
                       lexical.passage_profile_rows, np.array(fields_all, dtype=object), neighbours,
                       joint_total)


def cooperation_graph(pairs, n_rows: int) -> tuple[dict[int, Counter], np.ndarray, int]:
    """From (row a, row b, project) pairs: partner counts per row, joint projects per row,
    and the number of distinct joint projects. Rows that are None (no profile) are skipped."""
    neighbours: dict[int, Counter] = {}
    projects: dict[int, set] = {}
    every: set = set()
    for ra, rb, project in pairs:
        if ra is None or rb is None:
            continue
        neighbours.setdefault(ra, Counter())[rb] += 1
        neighbours.setdefault(rb, Counter())[ra] += 1
        projects.setdefault(ra, set()).add(project)
        projects.setdefault(rb, set()).add(project)
        every.add(project)
    joint = np.zeros(n_rows, dtype=np.float32)
    for row, done in projects.items():
        joint[row] = len(done)
    return neighbours, joint, len(every)
