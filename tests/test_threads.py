"""Races the soak run found in gunicorn's threaded workers, pinned down."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from index.analyzer import get_analyzer
from index.vectors import VectorIndex
from tests.conftest import DEMO_CSV

WORDS = DEMO_CSV.read_text(encoding="utf-8").split()


def test_stemming_from_many_threads_gives_the_single_thread_answer():
    texts = [" ".join(WORDS[i:i + 40]) for i in range(0, min(len(WORDS), 3000), 40)]
    analyzer = get_analyzer()
    alone = [analyzer.terms(t) for t in texts]
    analyzer._stem.cache_clear()        # empty caches: every thread really stems
    analyzer._split.cache_clear()
    shared = analyzer
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(shared.terms, texts))
    assert together == alone


def test_saving_one_generation_from_many_threads_at_once(tmp_path):
    index = VectorIndex(8)
    index.add(np.arange(50), np.random.default_rng(0).standard_normal((50, 8)).astype(np.float32))
    with ThreadPoolExecutor(8) as pool:
        paths = list(pool.map(lambda _: index.save(tmp_path, 7), range(32)))
    assert set(paths) == {tmp_path / "vectors-g7.faiss"}
    assert VectorIndex.load(tmp_path, 7, "flat").ntotal == 50
    assert not list(tmp_path.glob(".vectors-*.tmp"))
