"""FAISS vector index over passage vectors, keyed by the passages' stable row ids.

Three index types, chosen by size (``choose_index_type``):

- ``flat``: exact inner product (IndexFlatIP in an IndexIDMap2) while that is fast enough;
- ``hnsw``: graph search over full vectors (kept for configurations that ask for it);
- ``ivf``: inverted lists of 8-bit scalar-quantised vectors (IndexIVFScalarQuantizer, 384
  bytes a passage instead of 1,536), the approximate type ``auto`` picks for large
  collections: it keeps the passage ids itself, so removals and additions are incremental
  (HNSW can't remove), builds in a fraction of HNSW's time, and its inverted lists can be
  memory-mapped so that server workers share one copy in the page cache.

Files are written to a temporary name and renamed, and carry the store generation in
their name, so a reader never sees a half-written or stale index.

A large index whose changes since a saved generation are all in its delta is saved as that
delta alone (``vectors-g12.delta-g9.npz``: added ids and vectors, removed ids, over
``vectors-g9.faiss``), a few MB at most instead of the whole structure again (250 MB at
100k profiles, ~5 s of CPU per write: issue 17). When the delta is folded (past
``DELTA_LIMIT``) the next save writes a whole file again: that is the compaction.

Writes are kept beside the FAISS structure, not in it (flat and IVF): added passages in a
small exact *delta* (searched by one matrix product and merged), removed ones in a
*tombstone* set (searched past and dropped). A copy for the next generation then shares
the large structure instead of cloning 150 MB at 100k profiles (and a memory-mapped one
needs no private reload); past ``DELTA_LIMIT`` passages the delta is folded in once.
"""
from __future__ import annotations

import math
import os
import re
import tempfile
import zipfile
from contextlib import contextmanager
from pathlib import Path

import faiss
import numpy as np

from store.files import PRIVATE_DIR, make_private, private_dir

_FILE = re.compile(r"^vectors-g(\d+)\.faiss$")
_DELTA_FILE = re.compile(r"^vectors-g(\d+)\.delta-g(\d+)\.npz$")
INDEX_TYPES = ("flat", "hnsw", "ivf")
#: Inverted lists probed per query, at least. Measured on derived Saxon profiles
#: (evaluation/bench.py): 48 of 2,048 lists kept recall@10 against exact search at 0.985 for
#: 409k passages, but 48 of 4,096 gave 0.853 for 602k (issue 17: whole-profile vectors made
#: more passages per profile), so the probes grow with the lists: ~2.3 % of them.
IVF_NPROBE = 48
IVF_PROBE_SHARE = 3 / 128


def ivf_nprobe(nlist: int) -> int:
    return min(nlist, max(IVF_NPROBE, int(round(nlist * IVF_PROBE_SHARE))))
#: Points k-means sees per list when training (FAISS warns below 39).
IVF_TRAIN_PER_LIST = 64
#: Added plus removed passages kept beside the FAISS structure before they are folded into
#: it (a copy of the whole structure). The exact delta costs ~0.1 ms per query vector here.
DELTA_LIMIT = 2048
#: From this many passages on a generation is saved as its delta over a saved one (see the
#: module's doc); below, whole files are written (small, and one file per generation).
DELTA_SAVE_PASSAGES = 100_000


@contextmanager
def single_omp_thread():
    """A request's few query vectors are searched on one thread. FAISS parallelises over
    queries with OpenMP, and on a busy machine (or with several server workers) the threads'
    barrier waits cost more than the search: a profile-length query (10 sentences) on 3.6k
    passages took 27 ms instead of ~1 ms. Builds keep all threads."""
    previous = faiss.omp_get_max_threads()
    if previous == 1:
        yield
        return
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(previous)


def _copy_ivf(source):
    """A private IVF-SQ8 index with the trained quantisers and every list of ``source``."""
    quantizer = faiss.clone_index(source.quantizer)
    index = faiss.IndexIVFScalarQuantizer(quantizer, source.d, source.nlist, faiss.ScalarQuantizer.QT_8bit,
                                          faiss.METRIC_INNER_PRODUCT)
    index.own_fields = True
    quantizer.this.disown()
    index.sq = source.sq
    index.is_trained = True
    lists = source.invlists
    for number in range(source.nlist):
        size = lists.list_size(number)
        if size:
            index.invlists.add_entries(number, size, lists.get_ids(number), lists.get_codes(number))
    index.ntotal = source.ntotal
    index.set_direct_map_type(faiss.DirectMap.Hashtable)
    index.nprobe = source.nprobe
    return index


#: At most this many inverted lists (reached at ~600k passages, 100k profiles). A search scans
#: the probed share of all codes whatever the number of lists, but training (k-means over
#: 64 points per list) and adding (each passage against every centroid) cost lists x points:
#: 4,096 lists took 4.3 min of k-means on two shared cores, 8,192 (for the 6M passages of 1M
#: profiles) would take four times that and twice the adding (issue 17: a 1M build within the
#: hour). Past the cap the lists grow longer instead.
IVF_MAX_LISTS = 4096


def ivf_lists(n: int) -> int:
    """Number of inverted lists for ``n`` passages: ~4 * sqrt(n), a power of two, at most
    ``IVF_MAX_LISTS``."""
    return min(IVF_MAX_LISTS, int(2 ** round(math.log2(max(64.0, 4 * math.sqrt(max(n, 1)))))))


class VectorIndex:
    def __init__(self, dim: int, index_type: str = "flat"):
        if index_type not in INDEX_TYPES:
            raise ValueError(f"unknown index type {index_type!r}")
        self.dim = dim
        self.index_type = index_type
        self.mapped_from = None
        self.base_generation = None
        # An IVF index is built (trained) on its first ``add``; the others are ready now.
        self.index = None if index_type == "ivf" else faiss.IndexIDMap2(self._base(dim, index_type))
        self._clear_delta()

    def _clear_delta(self) -> None:
        self.delta_ids = np.zeros(0, dtype=np.int64)             # sorted, not in ``index``
        self.delta_vectors = np.zeros((0, self.dim), dtype=np.float32)
        self.removed = np.zeros(0, dtype=np.int64)               # sorted ids of ``index`` gone

    @property
    def _deltas(self) -> bool:
        """HNSW can't remove: it is written in place (and rebuilt on removals)."""
        return self.index_type != "hnsw" and self.index is not None

    @property
    def delta_size(self) -> int:
        return len(self.delta_ids) + len(self.removed)

    @staticmethod
    def _base(dim: int, index_type: str):
        if index_type == "flat":
            return faiss.IndexFlatIP(dim)
        base = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        base.hnsw.efConstruction = 80
        base.hnsw.efSearch = 128
        return base

    def training_size(self, total: int) -> int:
        """Stored vectors ``train`` wants before the first ``add`` of ``total``; 0: none."""
        return ivf_lists(total) * IVF_TRAIN_PER_LIST if self.index_type == "ivf" and self.index is None else 0

    def train(self, vectors: np.ndarray, expected: int) -> None:
        """Train an IVF index for ``expected`` passages on a sample spread over the collection.

        The trained structure is this object's alone until it is saved or copied, so the
        build's ``add`` calls go straight into it. Through the delta they were an exact
        float copy of every vector (9 GB at 1M profiles, concatenated batch by batch: hours
        of copying) that the building process then searched by brute force (issue 17)."""
        if self.index_type == "ivf" and self.index is None and len(vectors):
            self._train_ivf(vectors, expected)
            self._building = True

    #: True while a build fills the structure it trained (see ``train``).
    _building = False

    def _train_ivf(self, vectors: np.ndarray, expected: int) -> None:
        """Train the coarse quantiser and the 8-bit quantiser on (a sample of) ``vectors``."""
        nlist = ivf_lists(expected)
        nlist = max(1, min(nlist, len(vectors) // IVF_TRAIN_PER_LIST or 1))
        quantizer = faiss.IndexFlatIP(self.dim)
        index = faiss.IndexIVFScalarQuantizer(quantizer, self.dim, nlist, faiss.ScalarQuantizer.QT_8bit,
                                              faiss.METRIC_INNER_PRODUCT)
        index.own_fields = True
        quantizer.this.disown()
        sample = vectors
        if len(vectors) > nlist * IVF_TRAIN_PER_LIST:
            pick = np.random.default_rng(0).choice(len(vectors), nlist * IVF_TRAIN_PER_LIST, replace=False)
            sample = vectors[np.sort(pick)]
        index.train(np.ascontiguousarray(sample, dtype=np.float32))
        # Hashtable: passage ids are sparse row ids; lets us remove and reconstruct by id.
        index.set_direct_map_type(faiss.DirectMap.Hashtable)
        index.nprobe = ivf_nprobe(nlist)
        self.index = index

    @property
    def ntotal(self) -> int:
        base = 0 if self.index is None else int(self.index.ntotal)
        return base - len(self.removed) + len(self.delta_ids)

    def ids(self) -> np.ndarray:
        """Every stored passage id (sorted)."""
        base = self._base_ids()
        if not self.delta_size:
            return base
        kept = base[~np.isin(base, self.removed, assume_unique=True)]
        return np.union1d(kept, self.delta_ids)

    def _base_ids(self) -> np.ndarray:
        if self.index is None:
            return np.zeros(0, dtype=np.int64)
        if self.index_type != "ivf":
            return np.sort(faiss.vector_to_array(self.index.id_map).astype(np.int64))
        invlists = self.index.invlists
        parts = [faiss.rev_swig_ptr(invlists.get_ids(i), invlists.list_size(i)).copy()
                 for i in range(invlists.nlist) if invlists.list_size(i)]
        return np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)

    def add(self, ids: np.ndarray, vectors: np.ndarray, expected: int | None = None) -> None:
        """Add vectors; ``expected`` (total passages) sizes an IVF index trained on this batch."""
        if not len(ids):
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        ids = np.asarray(ids, dtype=np.int64)
        if self.index is None:
            self._train_ivf(vectors, expected or len(vectors))
            self.index.add_with_ids(vectors, ids)
            return
        if not self._deltas or (self._building and not self.delta_size):
            self.index.add_with_ids(vectors, ids)
            return
        order = np.argsort(ids, kind="stable")
        self.delta_ids = np.concatenate([self.delta_ids, ids[order]])
        self.delta_vectors = np.concatenate([self.delta_vectors, vectors[order]])
        if len(self.delta_ids) > len(ids) and (np.diff(self.delta_ids) <= 0).any():
            order = np.argsort(self.delta_ids, kind="stable")
            self.delta_ids, self.delta_vectors = self.delta_ids[order], self.delta_vectors[order]

    def remove(self, ids) -> bool:
        """Remove ids; False when the index index_type can't (HNSW): the caller rebuilds."""
        ids = np.asarray(list(ids), dtype=np.int64)
        if not len(ids):
            return True
        if self.index_type == "hnsw":
            return False
        if self.index is not None:
            in_delta = np.isin(self.delta_ids, ids)
            rest = np.setdiff1d(ids, self.delta_ids[in_delta])
            if in_delta.any():
                self.delta_ids, self.delta_vectors = self.delta_ids[~in_delta], self.delta_vectors[~in_delta]
            self.removed = np.union1d(self.removed, rest)
        return True

    @property
    def delta_full(self) -> bool:
        return self.delta_size > DELTA_LIMIT

    def fold(self) -> None:
        """Write the delta and tombstones into a private copy of the FAISS structure."""
        if not self.delta_size or self.index is None:
            return
        index = self._private_structure()
        if len(self.removed):
            removed = np.ascontiguousarray(self.removed)
            # An IVF hashtable direct map removes only through an explicit id array.
            index.remove_ids(faiss.IDSelectorArray(len(removed), faiss.swig_ptr(removed))
                             if self.index_type == "ivf" else faiss.IDSelectorBatch(removed))
        if len(self.delta_ids):
            index.add_with_ids(self.delta_vectors, self.delta_ids)
        self.index, self.mapped_from, self._raw = index, None, index
        self.base_generation = None        # no saved file holds this structure
        self._clear_delta()

    def _private_structure(self):
        """A writable copy of the FAISS structure. FAISS can't clone memory-mapped inverted
        lists (and the file may be gone: a later generation's save replaced it), so those
        are copied list by list from the mapping."""
        if getattr(self, "mapped_from", None) is None:
            raw = faiss.clone_index(self.index)
            if self.index_type == "ivf":
                index = faiss.downcast_index(raw)
                index.referenced_objects = [raw]    # the clone's owner must outlive the view
                index.nprobe = self.index.nprobe
                return index
            return raw
        if self.index_type == "ivf":
            return _copy_ivf(self.index)
        ids = faiss.vector_to_array(self.index.id_map).astype(np.int64)
        fresh = faiss.IndexIDMap2(self._base(self.dim, self.index_type))
        if len(ids):
            fresh.add_with_ids(self.index.reconstruct_batch(ids), ids)
        return fresh

    def search(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None,
               selector=None, fraction: float = 1.0):
        """Top-k (scores, ids) per query row; ``allowed`` restricts to those passage ids.

        ``selector`` (a FAISS IDSelector) does the same without building one from a list;
        ``fraction`` says how much of the collection it lets through, so that an IVF search
        probes proportionally more lists instead of starving a narrow filter.
        """
        k = max(1, min(k, self.ntotal))
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        empty = (np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64))
        if self.ntotal == 0:
            return empty
        if allowed is not None:
            if len(allowed) == 0:
                return empty
            selector = faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64))
            fraction = len(allowed) / self.ntotal
            k = min(k, len(allowed))
        params = None
        if selector is not None:
            if self.index_type == "hnsw":
                params = faiss.SearchParametersHNSW(sel=selector, efSearch=256)
            elif self.index_type == "ivf":
                nprobe = int(math.ceil(self.index.nprobe / max(fraction, 1e-6)))
                params = faiss.SearchParametersIVF(sel=selector, nprobe=min(self.index.nlist, nprobe))
            else:
                params = faiss.SearchParameters(sel=selector)
        if not self.delta_size:
            with single_omp_thread():
                return self.index.search(queries, k, params=params)
        # Past the tombstones: ask for as many more as were removed, then drop them.
        base_total = int(self.index.ntotal)
        scores, ids = np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64)
        if base_total:
            with single_omp_thread():
                scores, ids = self.index.search(queries, min(base_total, k + len(self.removed)), params=params)
            if len(self.removed):
                gone = np.isin(ids, self.removed)
                scores, ids = np.where(gone, -np.inf, scores), np.where(gone, -1, ids)
        if len(self.delta_ids):
            delta_ids, delta_vectors = self.delta_ids, self.delta_vectors
            if selector is not None:
                bits = getattr(selector, "allowed_bits", None)     # set by SearchIndex's bitmaps
                if bits is not None:
                    inside = delta_ids < len(bits)
                    keep = inside & bits[np.where(inside, delta_ids, 0)]
                else:
                    keep = np.array([selector.is_member(int(i)) for i in delta_ids], dtype=bool)
                delta_ids, delta_vectors = delta_ids[keep], delta_vectors[keep]
            if len(delta_ids):
                exact = queries @ delta_vectors.T
                scores = np.concatenate([scores, exact.astype(np.float32)], axis=1)
                ids = np.concatenate([ids, np.broadcast_to(delta_ids, exact.shape)], axis=1)
        order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        scores, ids = np.take_along_axis(scores, order, axis=1), np.take_along_axis(ids, order, axis=1)
        ids = np.where(np.isfinite(scores), ids, -1)
        return np.ascontiguousarray(scores), np.ascontiguousarray(ids)

    def copy(self) -> "VectorIndex":
        """A private, writable copy: the FAISS structure is shared (writes go to the copy's
        own delta and tombstones; a fold writes a private structure), HNSW is cloned."""
        self._building = False         # shared from now on: writes go to the deltas
        if self._deltas:
            other = VectorIndex.__new__(VectorIndex)
            other.__dict__.update(self.__dict__)
            return other
        if getattr(self, "mapped_from", None) is not None:
            copy = VectorIndex.load(self.mapped_from.parent, self.generation, self.index_type, mmap=False)
            if copy is None:
                raise RuntimeError(f"{self.mapped_from} vanished under a memory-mapped index")
            return copy
        other = VectorIndex.__new__(VectorIndex)
        other.mapped_from = None
        other.index = None if self.index is None else faiss.clone_index(self.index)
        if other.index is not None and self.index_type == "ivf":
            other.index.nprobe = self.index.nprobe
        other.dim, other.index_type = self.dim, self.index_type
        other._clear_delta()
        return other

    def reconstruct(self, ids) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64)
        if not len(ids):
            return np.zeros((0, self.dim), dtype=np.float32)
        if not len(self.delta_ids):
            return self.index.reconstruct_batch(ids)
        pos = np.clip(np.searchsorted(self.delta_ids, ids), 0, len(self.delta_ids) - 1)
        in_delta = self.delta_ids[pos] == ids
        out = np.empty((len(ids), self.dim), dtype=np.float32)
        out[in_delta] = self.delta_vectors[pos[in_delta]]
        if (~in_delta).any():
            out[~in_delta] = self.index.reconstruct_batch(np.ascontiguousarray(ids[~in_delta]))
        return out

    def outgrown(self, total: int) -> bool:
        """An IVF index trained for far fewer passages than ``total``: its lists grow long
        and searches slow down, so it is retrained (rebuilt from the store)."""
        return self.index_type == "ivf" and self.index is not None and ivf_lists(total) >= 4 * self.index.nlist

    # -- persistence ------------------------------------------------------------
    def saves_as_delta(self, directory: Path) -> bool:
        """Whether ``save`` would write the delta alone (a few MB) rather than a whole file."""
        base = getattr(self, "base_generation", None)
        return (self._deltas and base is not None and self.ntotal >= DELTA_SAVE_PASSAGES
                and self.saved_file(directory, base).exists())

    def save(self, directory: Path, generation: int) -> Path:
        self._building = False         # the file holds the structure: later writes are deltas
        private_dir(directory)
        if self.saves_as_delta(directory):
            if self.base_generation == generation and not self.delta_size:
                return self.saved_file(directory, generation)      # saved as it is
            # Also an empty delta (writes that took back what the delta held): a few bytes.
            return self._save_delta(directory, generation)
        final = directory / f"vectors-g{generation}.faiss"
        # A name of its own per call: a reader thread rebuilding the index and a writer
        # thread of the same process may save the same generation at the same moment.
        handle, name = tempfile.mkstemp(dir=directory, prefix=f".vectors-g{generation}.", suffix=".tmp")
        os.close(handle)
        tmp = Path(name)
        if self.index is None:   # an empty IVF index: nothing trained yet, an empty flat file says so
            faiss.write_index(faiss.IndexIDMap2(faiss.IndexFlatIP(self.dim)), str(tmp))
        elif self.delta_size:    # the file holds it all; this object keeps sharing its structure
            whole = self.copy()
            whole.fold()
            faiss.write_index(whole.index, str(tmp))
        elif getattr(self, "mapped_from", None) is not None:
            # FAISS writes memory-mapped inverted lists as a reference to their file, which a
            # later save deletes: write the lists' data.
            faiss.write_index(self._private_structure(), str(tmp))
        else:
            faiss.write_index(self.index, str(tmp))
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, final)
        if not self.delta_size and self.index is not None:
            self.base_generation = generation     # that file holds exactly this structure
        self._remove_older(directory, generation)
        return final

    def _save_delta(self, directory: Path, generation: int) -> Path:
        base = self.base_generation
        final = self.saved_delta_file(directory, generation, base)
        handle, name = tempfile.mkstemp(dir=directory, prefix=f".vectors-g{generation}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                np.savez(out, base_generation=np.int64(base), ids=self.delta_ids,
                         vectors=self.delta_vectors, removed=self.removed)
                out.flush()
                os.fsync(out.fileno())
            os.replace(name, final)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
        self._remove_older(directory, generation)
        return final

    @staticmethod
    def _remove_older(directory: Path, generation: int) -> None:
        """Files of generations before ``generation``, except the saved files that deltas of
        this or later generations apply to (a later save may have finished first)."""
        files = [(old, _FILE.match(old.name), _DELTA_FILE.match(old.name)) for old in directory.iterdir()]
        bases = {int(d.group(2)) for _, _, d in files if d and int(d.group(1)) >= generation}
        for old, full, delta in files:
            if full and int(full.group(1)) < generation and int(full.group(1)) not in bases:
                old.unlink(missing_ok=True)
            elif delta and int(delta.group(1)) < generation:
                old.unlink(missing_ok=True)

    # -- the backend as a whole (index/backend.PassageVectors) ----------------------
    description = "FAISS"
    keeps_files = True
    file_pattern = _FILE

    @classmethod
    def create(cls, dim: int, index_type: str, store=None) -> "VectorIndex":
        return cls(dim, index_type)

    @staticmethod
    def saved_file(directory: Path, generation: int) -> Path:
        return Path(directory) / f"vectors-g{generation}.faiss"

    @staticmethod
    def saved_delta_file(directory: Path, generation: int, base: int | None = None) -> Path | None:
        """The delta saved for ``generation`` (over the saved file of ``base``); with no
        ``base``: whichever is there, or None."""
        if base is not None:
            return Path(directory) / f"vectors-g{generation}.delta-g{base}.npz"
        found = sorted(Path(directory).glob(f"vectors-g{generation}.delta-g*.npz"))
        return found[-1] if found else None

    @staticmethod
    def saved_files(directory: Path) -> list[Path]:
        return sorted(list(Path(directory).glob("vectors-g*.faiss")) + list(Path(directory).glob("vectors-g*.delta-g*.npz")))

    @staticmethod
    def leftover_files(directory: Path) -> list[Path]:
        return sorted(Path(directory).glob(".vectors-*.tmp"))

    @classmethod
    def load(cls, directory: Path, generation: int, index_type: str, mmap: bool = False,
             store=None, dim: int | None = None) -> "VectorIndex | None":
        """The index saved for ``generation``, or None when there is none (stale, missing or
        of another index_type). With ``mmap`` the vectors stay in the file (page cache, shared by
        every process that maps it) instead of being copied into this process."""
        path = cls.saved_file(directory, generation)
        if not path.exists():
            delta = cls.saved_delta_file(directory, generation)
            return None if delta is None else cls._load_delta(delta, directory, generation, index_type, mmap)
        return cls._load_file(path, directory, generation, index_type, mmap)

    @classmethod
    def _load_delta(cls, path: Path, directory: Path, generation: int, index_type: str,
                    mmap: bool) -> "VectorIndex | None":
        """The saved file the delta applies to, with the delta on top; None when either is
        unreadable or gone (the caller rebuilds from the store)."""
        try:
            with np.load(path, allow_pickle=False) as saved:
                base = int(saved["base_generation"])
                ids = np.asarray(saved["ids"], dtype=np.int64)
                vectors = np.asarray(saved["vectors"], dtype=np.float32)
                removed = np.asarray(saved["removed"], dtype=np.int64)
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            return None
        if f"vectors-g{generation}.delta-g{base}.npz" != path.name or index_type == "hnsw":
            return None
        self = cls._load_file(cls.saved_file(directory, base), directory, base, index_type, mmap)
        if (self is None or self.index is None or vectors.shape != (len(ids), self.dim) or ids.ndim != 1
                or removed.ndim != 1):
            return None
        self.delta_ids, self.delta_vectors, self.removed = ids, vectors, removed
        self.generation = generation
        return self

    @classmethod
    def _load_file(cls, path: Path, directory: Path, generation: int, index_type: str,
                   mmap: bool) -> "VectorIndex | None":
        if not path.exists():
            return None
        make_private(path)     # an index an older version saved 0644, in a folder 0755
        make_private(directory, PRIVATE_DIR)
        flags = 0
        if mmap:
            flags = (faiss.IO_FLAG_MMAP if index_type == "ivf" else faiss.IO_FLAG_MMAP_IFC) | faiss.IO_FLAG_READ_ONLY
        try:
            raw = faiss.read_index(str(path), flags)
        except RuntimeError:
            return None
        self = cls.__new__(cls)
        self.dim = raw.d
        self.index_type = index_type
        self._clear_delta()
        self.generation = self.base_generation = generation
        self.mapped_from = path if mmap else None
        self._raw = raw   # owns the C++ index: a downcast view must not outlive it
        if index_type == "ivf":
            if not isinstance(faiss.downcast_index(raw), faiss.IndexIVF):
                if raw.ntotal:
                    return None
                self.index = None          # saved empty
                return self
            self.index = faiss.downcast_index(raw)
            self.index.nprobe = ivf_nprobe(self.index.nlist)
            return self
        self.index = raw if isinstance(raw, faiss.IndexIDMap2) else faiss.downcast_index(raw)
        if not isinstance(self.index, faiss.IndexIDMap2):
            return None
        base = faiss.downcast_index(self.index.index)
        if (index_type == "hnsw") != isinstance(base, faiss.IndexHNSW):
            return None
        return self
