"""FAISS vector index over passage vectors, keyed by the passages' stable row ids.

Exact inner-product search (IndexFlatIP) while that is fast enough; HNSW for large
collections. Files are written to a temporary name and renamed, and carry the store
generation in their name, so a reader never sees a half-written or stale index.
"""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import faiss
import numpy as np

_FILE = re.compile(r"^vectors-g(\d+)\.faiss$")


class VectorIndex:
    def __init__(self, dim: int, kind: str = "flat"):
        self.dim = dim
        self.kind = kind
        self.index = faiss.IndexIDMap2(self._base(dim, kind))

    @staticmethod
    def _base(dim: int, kind: str):
        if kind == "flat":
            return faiss.IndexFlatIP(dim)
        if kind == "hnsw":
            base = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
            base.hnsw.efConstruction = 80
            base.hnsw.efSearch = 128
            return base
        raise ValueError(f"unknown index kind {kind!r}")

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self.index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32),
                                    np.asarray(ids, dtype=np.int64))

    def remove(self, ids) -> bool:
        """Remove ids; False when the index kind can't (HNSW): the caller rebuilds."""
        ids = np.asarray(list(ids), dtype=np.int64)
        if not len(ids):
            return True
        if self.kind != "flat":
            return False
        self.index.remove_ids(faiss.IDSelectorBatch(ids))
        return True

    def search(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None):
        """Top-k (scores, ids) per query row; ``allowed`` restricts to those passage ids."""
        k = max(1, min(k, self.ntotal))
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        if self.ntotal == 0:
            return (np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64))
        params = None
        if allowed is not None:
            if len(allowed) == 0:
                return (np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64))
            selector = faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64))
            params = (faiss.SearchParametersHNSW(sel=selector, efSearch=256) if self.kind == "hnsw"
                      else faiss.SearchParameters(sel=selector))
            k = min(k, len(allowed))
        scores, ids = self.index.search(queries, k, params=params)
        return scores, ids

    def copy(self) -> "VectorIndex":
        other = VectorIndex.__new__(VectorIndex)
        other.index = faiss.clone_index(self.index)
        other.dim, other.kind = self.dim, self.kind
        return other

    def reconstruct(self, ids) -> np.ndarray:
        return np.vstack([self.index.reconstruct(int(i)) for i in ids])

    # -- persistence ------------------------------------------------------------
    def save(self, directory: Path, generation: int) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        final = directory / f"vectors-g{generation}.faiss"
        # A name of its own per call: a reader thread rebuilding the index and a writer
        # thread of the same process may save the same generation at the same moment.
        handle, name = tempfile.mkstemp(dir=directory, prefix=f".vectors-g{generation}.", suffix=".tmp")
        os.close(handle)
        tmp = Path(name)
        faiss.write_index(self.index, str(tmp))
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, final)
        for old in directory.iterdir():
            match = _FILE.match(old.name)
            if match and int(match.group(1)) != generation:
                old.unlink(missing_ok=True)
        return final

    @classmethod
    def load(cls, directory: Path, generation: int, kind: str, mmap: bool = False) -> "VectorIndex | None":
        """The index saved for ``generation``, or None when there is none (stale or missing)."""
        path = directory / f"vectors-g{generation}.faiss"
        if not path.exists():
            return None
        flags = faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY if mmap else 0
        try:
            raw = faiss.read_index(str(path), flags)
        except RuntimeError:
            return None
        self = cls.__new__(cls)
        self.index = faiss.downcast_index(raw) if not isinstance(raw, faiss.IndexIDMap2) else raw
        self.dim = raw.d
        self.kind = kind
        return self
