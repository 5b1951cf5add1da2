"""The cooperation graph: who did joint projects with whom, and on which topics.

Built from the store's cooperations (``(row a, row b, project, title)``) with every index
(``index/search_index.assemble_index``, ``SearchIndex.advance``); the network, shared-topic
and activity signals read it at search time (``matcher/signals/``).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from index.analyzer import get_analyzer


@lru_cache(maxsize=100_000)
def _title_terms(analyzer, title: str) -> frozenset:
    """Titles don't change between index builds (one per write, one per evaluation case):
    analysing them was two thirds of building the graph."""
    return frozenset(analyzer.terms(title))


@dataclass
class CooperationGraph:
    neighbours: dict[int, Counter]                         # row -> partner row -> projects together
    joint: np.ndarray                                      # per row: joint projects taken part in
    joint_total: int                                       # distinct joint projects
    pair_topics: dict[tuple[int, int], list[frozenset]]    # (low row, high row) -> title terms per project


def cooperation_graph(pairs, n_rows: int, analyzer=None) -> CooperationGraph:
    """From (row a, row b, project, title) pairs. Rows that are None (no profile) are skipped.

    Each title is analysed once, here, so that at query time the ranker can tell a partner
    known from a project on the query's topic from one known from something else.
    """
    neighbours: dict[int, Counter] = {}
    projects: dict[int, set] = {}
    topics: dict[str, frozenset] = {}
    pair_topics: dict[tuple[int, int], list[frozenset]] = {}
    for ra, rb, project, title in pairs:
        if ra is None or rb is None:
            continue
        neighbours.setdefault(ra, Counter())[rb] += 1
        neighbours.setdefault(rb, Counter())[ra] += 1
        projects.setdefault(ra, set()).add(project)
        projects.setdefault(rb, set()).add(project)
        if project not in topics:
            analyzer = analyzer or get_analyzer()   # loads spaCy's tables: only when needed
            topics[project] = _title_terms(analyzer, title or "")
        pair_topics.setdefault((min(ra, rb), max(ra, rb)), []).append(topics[project])
    joint = np.zeros(n_rows, dtype=np.float32)
    for row, done in projects.items():
        joint[row] = len(done)
    return CooperationGraph(neighbours, joint, len(topics), pair_topics)
