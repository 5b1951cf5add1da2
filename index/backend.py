"""The seam where another engine takes over the passage vectors (see docs/scaling.md).

``SearchIndex`` and the ranker use the passage vectors only through these methods, so a
backend for pgvector, OpenSearch or Qdrant implements ``PassageVectors`` and nothing
else changes: SQLite (or PostgreSQL) stays the source of truth, the generation number
still says which state a backend reflects, the ranker still fuses the signals.

``VectorIndex`` (FAISS: flat, HNSW, IVF-SQ8) is the in-process implementation. A backend
is one module plus its name in ``BACKENDS``; ``vector_backend`` is the only place that
picks one, for the build (``index/search_index.py``) and the checks (``partnerradar/maintenance.py``).
"""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

#: Backends by name: "module:class". The class is imported only when it is chosen, so an
#: engine's client library is needed only where that engine is configured.
BACKENDS = {"faiss": "index.vectors:VectorIndex"}
DEFAULT_BACKEND = "faiss"


@runtime_checkable
class PassageVectors(Protocol):
    dim: int
    index_type: str

    @property
    def ntotal(self) -> int: ...

    def ids(self) -> np.ndarray:
        """Every stored passage id, sorted."""

    def add(self, ids: np.ndarray, vectors: np.ndarray, expected: int | None = None) -> None:
        """Add passages (ids only grow: the store's AUTOINCREMENT row ids)."""

    def remove(self, ids) -> bool:
        """Remove passages; False when the backend can't and must be rebuilt from the store."""

    def search(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None,
               selector=None, fraction: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) of the top-k passages per query row by inner product, -1 ids as padding;
        only passages in ``allowed`` (or let through by ``selector``) count."""

    def reconstruct(self, ids) -> np.ndarray:
        """The stored (possibly quantised) vectors of these passages."""

    def copy(self) -> "PassageVectors":
        """A private writable copy; writes go to it while readers keep the old one."""

    def training_size(self, total: int) -> int:
        """How many stored vectors ``train`` wants before the first ``add`` of ``total``; 0: none."""

    def train(self, vectors: np.ndarray, expected: int) -> None:
        """Learn the structure for ``expected`` passages from a sample (a no-op where none is learnt)."""

    def outgrown(self, total: int) -> bool:
        """True when the structure no longer suits ``total`` passages (rebuild)."""

    def save(self, directory: Path, generation: int) -> Path:
        """Persist as the state of store generation ``generation`` (atomically)."""


def vector_backend(name: str = DEFAULT_BACKEND):
    """The backend class called ``name``: built as ``cls(dim, index_type)`` and read back with
    ``cls.load(directory, generation, index_type, mmap=...)`` (None when nothing fits)."""
    try:
        module, _, attribute = BACKENDS[name].partition(":")
    except KeyError:
        raise ValueError(f"Unbekanntes Vektor-Backend „{name}“ (bekannt: {', '.join(BACKENDS)})") from None
    return getattr(importlib.import_module(module), attribute)
