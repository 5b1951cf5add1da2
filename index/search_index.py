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
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.backend import DEFAULT_BACKEND, PassageVectors, backend_for
from index.cooperation import CooperationGraph, cooperation_graph
from index.lexical import LexicalIndex
from ingest.passages import WHOLE_FIELD
from store.db import Store
from store.files import open_private, private_dir

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
        # SQLite hands out a new str per row: one shared object per kind and district saves
        # ~100 bytes per profile in a long-running server.
        shared: dict[str, str] = {}
        return cls(
            ids=ids, row_of={pid: i for i, pid in enumerate(ids)},
            kind=np.array([shared.setdefault(r[1], r[1]) for r in rows], dtype=object),
            landkreis=np.array([shared.setdefault(r[2] or "", r[2] or "") for r in rows], dtype=object),
            lat=np.array([r[3] if r[3] is not None else np.nan for r in rows], dtype=np.float64),
            lon=np.array([r[4] if r[4] is not None else np.nan for r in rows], dtype=np.float64),
            listed=np.array([bool(r[5]) for r in rows], dtype=bool),
            activity=np.array([float(e.get("projects", 0) or 0) for e in extras], dtype=np.float32),
        )

    def advance(self, rows: list[tuple], touched: set[str]) -> tuple["ProfileTable", list[int], list[int]]:
        """A new table with the store's ``rows`` (``profile_table`` rows) of the ``touched``
        profiles: existing ones keep their row, new ones get rows at the end, touched ones
        without a row in the store are deleted (their row stays, empty and unlisted, until
        the next full build). Returns (table, rows deleted, rows written)."""
        ids, row_of = list(self.ids), dict(self.row_of)
        present = {r[0] for r in rows}
        appended = [r[0] for r in rows if r[0] not in row_of]
        for pid in appended:
            row_of[pid] = len(ids)
            ids.append(pid)
        grow = len(appended)

        def extend(values, fill):
            return np.concatenate([values, np.full(grow, fill, dtype=values.dtype)]) if grow else values.copy()

        table = ProfileTable(ids=ids, row_of=row_of, kind=extend(self.kind, ""), landkreis=extend(self.landkreis, ""),
                             lat=extend(self.lat, np.nan), lon=extend(self.lon, np.nan),
                             listed=extend(self.listed, False), activity=extend(self.activity, 0.0),
                             joint=extend(self.joint, 0.0))
        shared = {k: k for k in self.kind[:64]}
        deleted = [row_of.pop(pid) for pid in sorted(touched - present) if pid in row_of]
        for row in deleted:
            table.kind[row], table.landkreis[row] = "", ""
            table.lat[row] = table.lon[row] = np.nan
            table.listed[row], table.activity[row] = False, 0.0
        written = []
        for pid, kind, landkreis, lat, lon, listed, extra in rows:
            row = row_of[pid]
            written.append(row)
            table.kind[row] = shared.setdefault(kind, kind)
            table.landkreis[row] = landkreis or ""
            table.lat[row] = lat if lat is not None else np.nan
            table.lon[row] = lon if lon is not None else np.nan
            table.listed[row] = bool(listed)
            table.activity[row] = float(json.loads(extra or "{}").get("projects", 0) or 0)
        return table, deleted, written


class StaleIndex(Exception):
    """The store moved on in a way ``SearchIndex.advance`` does not follow: build anew."""


class SearchIndex:
    #: The store's ``terms_version`` this index's BM25 was built from (set by the radar): terms
    #: derived anew in place are no change ``advance`` could follow.
    terms_version: str | None = None

    def __init__(self, generation: int, vectors: PassageVectors, lexical: LexicalIndex,
                 profiles: ProfileTable, passage_ids: np.ndarray, passage_rows: np.ndarray,
                 passage_fields: np.ndarray, graph: CooperationGraph, whole_passage: np.ndarray | None = None):
        self.generation = generation
        self.neighbours = graph.neighbours      # profile row -> known partner row -> projects together
        self.joint_total = graph.joint_total    # distinct joint projects in the cooperations
        self.pair_topics = graph.pair_topics    # (row, row) -> analyzer terms of each joint project's title
        profiles.joint = graph.joint
        self.vectors = vectors
        self.lexical = lexical
        self.profiles = profiles
        self.passage_ids = passage_ids          # sorted passage row ids
        self.passage_rows = passage_rows        # profile row of each passage
        self.passage_fields = passage_fields
        # Per profile row: the passage id of its whole-profile vector (-1: none).
        self.whole_passage = whole_passage
        if whole_passage is None:
            self.whole_passage = np.full(len(profiles.ids), -1, dtype=np.int64)
            whole = np.flatnonzero(np.asarray(passage_fields, dtype=object) == WHOLE_FIELD)
            self.whole_passage[np.asarray(passage_rows, dtype=np.int64)[whole]] = np.asarray(passage_ids)[whole]

    def advance(self, store: Store, directory: Path | None = None, mmap: bool = False) -> "SearchIndex":
        """This index brought to the store's current generation by what changed since its
        own: the passages added since its newest one, those gone, and the profiles they
        belong to. This index is not touched (searches on it go on); the new one shares
        what did not change. Raises ``StaleIndex`` when the store moved on in a way this
        can't follow (then build anew)."""
        with store.snapshot():
            generation = store.generation()
            if generation == self.generation:
                return self
            last = int(self.passage_ids[-1]) if len(self.passage_ids) else 0
            added = store.passages_since(last)
            touched = {a[1] for a in added}
            current = store.passages_for_many(touched)
            # An updated profile's old passages: those of its row that it no longer has.
            rows = [self.profiles.row_of[pid] for pid in touched if pid in self.profiles.row_of]
            kept = {p["id"] for passages in current.values() for p in passages}
            before = self.passage_ids[np.isin(self.passage_rows, rows)] if rows else self.passage_ids[:0]
            removed = before[~np.isin(before, np.fromiter(kept, dtype=np.int64, count=len(kept)))]
            total = store.count_passages()
            if total != len(self.passage_ids) - len(removed) + len(added):
                # Passages of other profiles went too (a deletion): find them all.
                stored = store.passage_ids()
                removed = np.setdiff1d(self.passage_ids, stored, assume_unique=True)
                gone = {self.profiles.ids[r] for r in self.rows_of_passages(removed) if r >= 0} - touched
                current.update(store.passages_for_many(gone))
                touched |= gone
            rows = store.profile_table(touched)
            n_profiles = store.count_profiles()
            cooperations = store.cooperations()
        table, deleted, written = self.profiles.advance(rows, touched)
        if len(table.row_of) != n_profiles:
            raise StaleIndex(f"{n_profiles} profiles stored, {len(table.row_of)} followed")
        keep = ~np.isin(self.passage_ids, removed, assume_unique=True) if len(removed) else slice(None)
        added_ids = np.array([a[0] for a in added], dtype=np.int64)
        passage_ids = np.concatenate([self.passage_ids[keep], added_ids])
        if len(passage_ids) != total:
            raise StaleIndex(f"{total} passages stored, {len(passage_ids)} followed")
        passage_rows = np.concatenate([self.passage_rows[keep],
                                       np.array([table.row_of[a[1]] for a in added], dtype=np.int64)])
        passage_fields = np.concatenate([self.passage_fields[keep],
                                         np.array([_FIELD_NAMES.setdefault(a[2], a[2]) for a in added], dtype=object)])
        vectors = self.vectors.copy()
        if not vectors.remove(removed):
            raise StaleIndex("the vector index can't remove passages")
        by_id = {p["id"]: p["vector"] for passages in current.values() for p in passages}
        if len(added_ids):
            vectors.add(added_ids, np.vstack([by_id[int(i)] for i in added_ids]), expected=total)
        if vectors.delta_full:
            vectors = self._folded(vectors, directory, generation, mmap, passage_ids)
        lexical = self.lexical.advance(
            len(table.ids), deleted,
            {table.row_of[r[0]]: [(p["terms"], SEEKS_WEIGHT if p["field"] == "seeks" else 1.0)
                                  for p in current.get(r[0], [])] for r in rows}, table.ids)
        lexical.passage_ids, lexical.passage_profile_rows = passage_ids, passage_rows
        graph = cooperation_graph(
            ((table.row_of.get(a), table.row_of.get(b), project, title) for a, b, project, title in cooperations),
            len(table.ids))
        whole = self.whole_passage
        if len(whole) < len(table.ids):
            whole = np.concatenate([whole, np.full(len(table.ids) - len(whole), -1, dtype=np.int64)])
        else:
            whole = whole.copy()
        whole[deleted + written] = -1
        for a in added:
            if a[2] == WHOLE_FIELD:
                whole[table.row_of[a[1]]] = a[0]
        advanced = SearchIndex(generation, vectors, lexical, table, passage_ids, passage_rows, passage_fields,
                               graph, whole_passage=whole)
        advanced.terms_version = self.terms_version
        advanced.rows_in_id_order = self.rows_in_id_order and (
            len(table.ids) == self.size or (table.ids[self.size:] == sorted(table.ids[self.size:])
                                            and (not self.size or table.ids[self.size] > table.ids[self.size - 1])))
        return advanced

    @staticmethod
    def _folded(vectors, directory, generation, mmap, stored):
        """A vector index whose delta grew full: the one saved for this generation when it
        holds exactly the stored passages (a writer saved it), else the delta folded in."""
        if directory is not None:
            saved = type(vectors).load(directory, generation, vectors.index_type, mmap=mmap)
            if (saved is not None and not getattr(saved, "delta_size", 0) and saved.ntotal == len(stored)
                    and np.array_equal(saved.ids(), stored)):
                return saved
        try:
            vectors.fold()
        except FileNotFoundError as exc:
            raise StaleIndex(str(exc)) from exc
        return vectors

    #: A full build has its rows in id order; rows added by ``advance`` come at the end.
    rows_in_id_order = True

    @property
    def row_rank(self) -> np.ndarray:
        """Each row's place in id order (ties in a ranking follow it): derived once per
        generation, and only when writes added rows out of order."""
        cached = getattr(self, "_row_rank", None)
        if cached is None:
            if self.rows_in_id_order:
                cached = np.arange(self.size)
            else:
                cached = np.empty(self.size, dtype=np.int64)
                cached[sorted(range(self.size), key=self.profiles.ids.__getitem__)] = np.arange(self.size)
            self._row_rank = cached
        return cached

    def rows_of_passages(self, ids: np.ndarray) -> np.ndarray:
        """Profile rows for passage ids (-1 for ids FAISS pads with, or not of this index)."""
        ids = np.asarray(ids, dtype=np.int64)
        if not len(self.passage_ids):
            return np.full(ids.shape, -1, dtype=np.int64)
        pos = self._positions_of(ids)
        return np.where(pos >= 0, self.passage_rows[np.maximum(pos, 0)], -1)

    def fields_of_passages(self, ids: np.ndarray) -> np.ndarray:
        if not len(self.passage_ids):
            return np.array([], dtype=object)
        return self.passage_fields[np.maximum(self._positions_of(np.asarray(ids, dtype=np.int64)), 0)]

    #: Field codes of ``passage_field_codes``.
    OTHER_FIELD, SEEKS_FIELD, WHOLE_PASSAGE = 0, 1, 2

    def field_codes_of_passages(self, ids: np.ndarray) -> np.ndarray:
        """Per passage id: ``SEEKS_FIELD``, ``WHOLE_PASSAGE`` or ``OTHER_FIELD`` (uint8): what the
        ranker asks of a field, without comparing strings per candidate passage."""
        codes = getattr(self, "_field_codes", None)
        if codes is None:
            fields = np.asarray(self.passage_fields, dtype=object)
            codes = np.zeros(len(fields), dtype=np.uint8)
            codes[fields == "seeks"] = self.SEEKS_FIELD
            codes[fields == WHOLE_FIELD] = self.WHOLE_PASSAGE
            self._field_codes = codes
        if not len(codes):
            return np.zeros(0, dtype=np.uint8)
        return codes[np.maximum(self._positions_of(np.asarray(ids, dtype=np.int64)), 0)]

    def _positions_of(self, ids: np.ndarray) -> np.ndarray:
        """Position of each passage id in ``passage_ids`` (-1: none). A table indexed by id
        when ids are dense (4 bytes per id, derived once per generation: a gather instead of a
        binary search over 600k ids per lookup), a binary search otherwise."""
        table = getattr(self, "_position_table", None)
        n = len(self.passage_ids)
        top = int(self.passage_ids[-1]) + 1 if n else 0
        if table is None and top <= 2 * n + 1024:
            table = np.full(top, -1, dtype=np.int32)
            table[self.passage_ids] = np.arange(n, dtype=np.int32)
            self._position_table = table
        inside = (ids >= 0) & (ids < top)
        if table is not None:
            return np.where(inside, table[np.where(inside, ids, 0)], -1).astype(np.int64)
        pos = np.clip(np.searchsorted(self.passage_ids, ids), 0, n - 1)
        return np.where(inside & (self.passage_ids[pos] == ids), pos, -1)

    def passages_of_rows(self, rows_mask: np.ndarray) -> np.ndarray:
        """Passage ids (sorted) of the profile rows set in ``rows_mask``."""
        rows = np.flatnonzero(rows_mask)
        order, starts = self._row_passages
        if not len(rows):
            return np.zeros(0, dtype=np.int64)
        # Through each row's run in the row-sorted order: the few candidates' passages, not
        # a pass over every passage of the collection.
        sizes = starts[rows + 1] - starts[rows]
        total = int(sizes.sum())
        at = np.arange(total) - np.repeat(np.cumsum(sizes) - sizes, sizes) + np.repeat(starts[rows], sizes)
        return np.sort(self.passage_ids[order[at]])

    @property
    def _row_passages(self):
        """(passage positions grouped by profile row, where each row's group starts): derived
        once per generation."""
        cached = getattr(self, "_row_passages_cache", None)
        if cached is None:
            order = np.argsort(self.passage_rows, kind="stable")
            starts = np.zeros(self.size + 1, dtype=np.int64)
            starts[1:] = np.cumsum(self.passage_counts)
            cached = self._row_passages_cache = (order, starts)
        return cached

    # -- filtered vector search ---------------------------------------------------
    #: Up to this many profiles taken out of the listed ones (the seeker, its known
    #: partners, ``exclude``) are dropped after the search instead of by a fresh filter.
    POST_FILTER_ROWS = 64
    #: Up to this many excluded passages in all, no FAISS filter is used at all.
    POST_FILTER_PASSAGES = 2048

    def search_passages(self, queries: np.ndarray, k: int, mask: np.ndarray):
        """Top-``k`` passages per query among profiles in ``mask``: (scores, ids, rows).

        Rows of padding are -1. The common filters cost no per-request set-up: no filter,
        or "listed profiles" (a bitmap selector cached with the index) with a few profiles
        removed afterwards (the search asks for as many more passages as they own). Any other
        filter becomes a bitmap over passage ids (one bit each) for FAISS to test.
        """
        n_passages = len(self.passage_ids)
        excluded = np.flatnonzero(~mask)
        if not len(excluded):
            selector, fraction, drop = None, 1.0, None
        elif self.passage_counts[excluded].sum() <= self.POST_FILTER_PASSAGES:
            # Few passages excluded: search unfiltered and drop them. A filtered FAISS search
            # tests every candidate and (flat) gives up the BLAS path: ~10x slower at 40k.
            selector, fraction, drop = None, 1.0, excluded
        else:
            listed = self.profiles.listed
            removed = np.flatnonzero(listed & ~mask)
            if not (mask & ~listed).any() and len(removed) <= self.POST_FILTER_ROWS:
                selector, fraction = self._listed_selector()
                drop = removed
            else:
                allowed = mask[self.passage_rows]
                selector, fraction, drop = self._bitmap(allowed), allowed.mean() if n_passages else 0.0, None
                if not allowed.any():
                    return (np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64),
                            np.zeros((len(queries), 0), np.int64))
        extra = int(self.passage_counts[drop].sum()) if drop is not None and len(drop) else 0
        allowed_passages = int(round(fraction * n_passages))
        k = max(1, min(k, allowed_passages if selector is not None else n_passages))
        scores, ids = self.vectors.search(queries, k + extra, selector=selector, fraction=fraction)
        rows = self.rows_of_passages(ids)
        if extra:
            ok = rows >= 0
            ok[ok] = mask[rows[ok]]
            # keep the first k allowed hits of each query (FAISS returns them best first)
            keep = ok & (np.cumsum(ok, axis=1) <= k)
            order = np.argsort(~keep, axis=1, kind="stable")[:, :k]
            scores = np.take_along_axis(np.where(keep, scores, -np.inf), order, axis=1)
            ids = np.take_along_axis(np.where(keep, ids, -1), order, axis=1)
            rows = np.take_along_axis(np.where(keep, rows, -1), order, axis=1)
        return scores, ids, rows

    @property
    def passage_counts(self) -> np.ndarray:
        counts = getattr(self, "_passage_counts", None)
        if counts is None:
            counts = self._passage_counts = np.bincount(self.passage_rows, minlength=self.size)
        return counts

    def _bitmap(self, allowed_passages: np.ndarray):
        """A FAISS selector letting through the passage ids where ``allowed_passages`` is set."""
        import faiss

        top = int(self.passage_ids[-1]) + 1 if len(self.passage_ids) else 1
        bits = np.zeros(top, dtype=bool)
        bits[self.passage_ids[allowed_passages]] = True
        packed = np.packbits(bits, bitorder="little")
        selector = faiss.IDSelectorBitmap(len(packed), faiss.swig_ptr(packed))
        selector.referenced_objects = [packed]     # FAISS keeps only a pointer
        selector.allowed_bits = bits               # the vector delta tests its few ids with it
        return selector

    def _listed_selector(self):
        cached = getattr(self, "_listed", None)
        if cached is None:
            listed = self.profiles.listed
            if listed.all():
                cached = (None, 1.0)
            else:
                allowed = listed[self.passage_rows]
                cached = (self._bitmap(allowed), float(allowed.mean()))
            self._listed = cached
        return cached

    def kind_mask(self, kinds) -> np.ndarray:
        """Rows of profiles of one of ``kinds`` (read-only; one mask per kind, derived once per
        generation instead of comparing 100k strings per request)."""
        masks = self._masks("_kind_masks", self.profiles.kind, kinds)
        return masks[0] if len(masks) == 1 else np.logical_or.reduce(masks)

    def district_mask(self, district: str) -> np.ndarray:
        """Rows of profiles in ``district`` (read-only), derived once per generation."""
        return self._masks("_district_masks", self.profiles.landkreis, [district])[0]

    def _masks(self, name: str, values: np.ndarray, keys) -> list[np.ndarray]:
        cached = getattr(self, name, None)
        if cached is None:
            cached = {}
            setattr(self, name, cached)
        out = []
        for key in dict.fromkeys(keys):
            mask = cached.get(key)
            if mask is None:
                mask = values == key
                mask.flags.writeable = False
                cached[key] = mask
            out.append(mask)
        return out

    def most_active(self, k: int) -> np.ndarray:
        """Rows of the ``k`` organisations in most joint projects (computed once per index)."""
        cached = getattr(self, "_most_active", None)
        if cached is None or len(cached) < k:
            joint = self.profiles.joint
            top = np.argsort(-joint, kind="stable")[:k]
            cached = self._most_active = top[joint[top] > 0]
        return cached[:k]

    @property
    def size(self) -> int:
        return len(self.profiles.ids)


#: The approximate index type ``auto`` switches to: IVF with 8-bit codes (see index/vectors.py).
APPROXIMATE = "ivf"


#: One str object per field name ("description", "offers", ...) for all passages.
_FIELD_NAMES: dict[str, str] = {}


def choose_index_type(index_type: str, passages: int, approximate_above: int) -> str:
    """``auto``: exact search while it is cheap, IVF-SQ8 above ``approximate_above`` passages."""
    if index_type == "auto":
        return APPROXIMATE if passages > approximate_above else "flat"
    return index_type


@contextmanager
def write_lock(directory: Path):
    """One writer at a time across processes: store write + index update + save."""
    private_dir(directory)
    with open_private(directory / "write.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build_search_index(store: Store, directory: Path, dim: int, index_type: str = "auto",
                       approximate_above: int = 200_000, vectors: PassageVectors | None = None,
                       save: bool = True, mmap: bool = False, backend: str = DEFAULT_BACKEND) -> SearchIndex:
    """Load the saved vectors for the store's generation, or rebuild and save them."""
    with store.snapshot():
        index = _build(store, directory, dim, index_type, approximate_above, vectors, save, mmap, backend)
    _release_freed_memory()
    return index


def _release_freed_memory() -> None:
    """Give the build's temporary memory (term lists, count matrices) back to the system.

    glibc keeps freed heap for reuse; in a server that holds the index for hours that is
    ~1.7 KB per profile of resident memory nobody uses (measured at 100k profiles)."""
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):   # not glibc: nothing to trim
        pass


def _build(store, directory, dim, index_type, approximate_above, vectors, save, mmap, backend) -> SearchIndex:
    generation = store.generation()
    total = store.count_passages()
    index_type = choose_index_type(index_type, total, approximate_above)
    chosen = backend_for(store, backend)
    if vectors is None:
        # pgvector's "saved state" is the store's own column: it always fits.
        vectors = chosen.load(directory, generation, index_type, mmap=mmap, store=store, dim=dim)
        if vectors is not None and (vectors.ntotal != total or vectors.dim != dim):
            log.warning("saved index disagrees with the store (%s vs %s passages); rebuilding",
                        vectors.ntotal, total)
            vectors = None
    rebuild = vectors is None
    if rebuild:
        vectors = chosen.create(dim, index_type, store=store)
        if total and vectors.training_size(total):
            vectors.train(store.sample_vectors(vectors.training_size(total)), total)
    ids_all, profiles_all, fields_all, terms_all = [], [], [], []
    for ids, profile_ids, fields, terms, vecs in store.iter_passages(with_vectors=rebuild):
        if rebuild:
            vectors.add(ids, vecs, expected=total)
        ids_all.append(ids)
        profiles_all.extend(profile_ids)
        fields_all.extend(_FIELD_NAMES.setdefault(f, f) for f in fields)
        terms_all.extend(terms)
    if rebuild and save:
        vectors.save(directory, generation)
    table = ProfileTable.from_store(store)
    passage_ids = np.concatenate(ids_all) if ids_all else np.zeros(0, dtype=np.int64)
    return assemble_index(generation, vectors, table, passage_ids, profiles_all,
                          np.array(fields_all, dtype=object), terms_all, store.cooperations())


def assemble_index(generation: int, vectors: PassageVectors, table: ProfileTable, passage_ids: np.ndarray,
                   passage_profiles: list[str], fields: np.ndarray, terms: list[str], cooperations,
                   analyzer=None) -> SearchIndex:
    """The one way a ``SearchIndex`` is put together from passages, profiles and cooperations
    (``(a, b, project, title)``): the product's build and the evaluation's masked views both
    call it, so the evaluation measures the index users get."""
    lexical = LexicalIndex(passage_ids, passage_profiles, terms, table.ids,
                           weights=np.where(np.asarray(fields, dtype=object) == "seeks", SEEKS_WEIGHT, 1.0))
    graph = cooperation_graph(
        ((table.row_of.get(a), table.row_of.get(b), project, title) for a, b, project, title in cooperations),
        len(table.ids), analyzer)
    return SearchIndex(generation, vectors, lexical, table, passage_ids,
                       lexical.passage_profile_rows, np.asarray(fields, dtype=object), graph)
