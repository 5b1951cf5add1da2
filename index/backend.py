"""The seam where another engine takes over the passage vectors (see docs/scaling.md).

``SearchIndex`` and the ranker use the passage vectors only through these methods, so a
backend for pgvector, OpenSearch or Qdrant implements ``PassageVectors`` and nothing
else changes: SQLite (or PostgreSQL) stays the source of truth, the generation number
still says which state a backend reflects, the ranker still fuses the signals.

``VectorIndex`` (FAISS: flat, HNSW, IVF-SQ8) is the in-process implementation, whose
vectors are files beside the database; ``PgVectorPassages`` searches the vectors PostgreSQL
keeps in its own ``passages`` table (pgvector, HNSW), with no file at all. A backend is one
module plus its name in ``BACKENDS``; ``backend_for`` is the only place that picks one, for
the build (``index/search_index.py``), the radar's saves and reindex, and the check, backup
and restore (``partnerradar/maintenance.py``), which ask the backend for its files
(``saved_file``, ``saved_files``, ``leftover_files``) instead of knowing FAISS's names.
"""
from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

#: Backends by name: "module:class". The class is imported only when it is chosen, so an
#: engine's client library is needed only where that engine is configured.
BACKENDS = {"faiss": "index.vectors:VectorIndex", "pgvector": "index.pgvector:PgVectorPassages"}
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

    # -- the backend as a whole (class attributes and class methods) ---------------------
    #: What the check reports as the index ("vectors-g7.faiss" is the file's own name).
    description: str
    #: False: the vectors live in the store itself (no file to save, check or back up).
    keeps_files: bool
    #: The names of its saved files (what a backup may hold and restore accepts); None: none.
    file_pattern: re.Pattern | None

    @classmethod
    def create(cls, dim: int, index_type: str, store=None) -> "PassageVectors":
        """An empty one to ``add`` every stored passage to (a rebuild)."""

    @classmethod
    def load(cls, directory: Path, generation: int, index_type: str, mmap: bool = False,
             store=None, dim: int | None = None) -> "PassageVectors | None":
        """The state saved for ``generation`` (None: none that fits; the caller rebuilds)."""

    @staticmethod
    def saved_file(directory: Path, generation: int) -> Path | None:
        """Where the state of ``generation`` is (or would be) saved; None: it keeps no file."""

    @staticmethod
    def saved_files(directory: Path) -> list[Path]:
        """Every saved state in ``directory``, of any generation (reindex and repair drop them)."""

    @staticmethod
    def leftover_files(directory: Path) -> list[Path]:
        """What an interrupted save left behind."""


def backend_for(store, configured: str = DEFAULT_BACKEND):
    """The backend class for ``store``: a store that keeps searchable vectors itself names
    their backend (``PgStore.vector_backend`` = "pgvector"), else the ``vector_backend``
    setting does. A backend that searches in the store (``store_engine``) needs that store."""
    name = getattr(store, "vector_backend", None) or configured
    chosen = vector_backend(name)
    needs = getattr(chosen, "store_engine", None)
    if needs and getattr(store, "engine", None) != needs:
        raise ValueError(f"Das Vektor-Backend „{name}“ sucht in der Datenbank selbst und braucht "
                         f"{'PostgreSQL (database_url)' if needs == 'postgresql' else needs}; "
                         f"bitte vector_backend = „{DEFAULT_BACKEND}“ einstellen")
    return chosen


def vector_backend(name: str = DEFAULT_BACKEND):
    """The backend class called ``name``: built with ``cls.create(dim, index_type, store)``
    and read back with ``cls.load(directory, generation, index_type, mmap=..., store=..., dim=...)``
    (None when nothing fits)."""
    try:
        module, _, attribute = BACKENDS[name].partition(":")
    except KeyError:
        raise ValueError(f"Unbekanntes Vektor-Backend „{name}“ (bekannt: {', '.join(BACKENDS)})") from None
    return getattr(importlib.import_module(module), attribute)
