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


class PairTopics:
    """(low row, high row) -> the analyzer terms of each joint project's title.

    Only the shared-topic signal reads it, and only for the seeker's own known partners, so
    a title is analysed when a ranking first asks for its pair, not for every project at
    start-up: stemming all titles was a third of a cold ``partnerradar search`` on the EFRE
    list (whose free-text query has no seeker and never asks).
    """

    def __init__(self, titles: dict[tuple[int, int], list[str]], analyzer=None):
        self._titles = titles
        self._analyzer = analyzer
        self._terms: dict[tuple[int, int], list[frozenset]] = {}

    def get(self, pair: tuple[int, int], default=()):
        terms = self._terms.get(pair)
        if terms is None:
            titles = self._titles.get(pair)
            if titles is None:
                return default
            if self._analyzer is None:
                self._analyzer = get_analyzer()     # loads spaCy's tables: only when needed
            terms = self._terms[pair] = [_title_terms(self._analyzer, title) for title in titles]
        return terms

    def __len__(self) -> int:
        return len(self._titles)


@dataclass
class CooperationGraph:
    neighbours: dict[int, Counter]                         # row -> partner row -> projects together
    joint: np.ndarray                                      # per row: joint projects taken part in
    joint_total: int                                       # distinct joint projects
    pair_topics: PairTopics                                # (low row, high row) -> title terms per project


def cooperation_graph(pairs, n_rows: int, analyzer=None) -> CooperationGraph:
    """From (row a, row b, project, title) pairs. Rows that are None (no profile) are skipped."""
    neighbours: dict[int, Counter] = {}
    projects: dict[int, set] = {}
    titles: dict[str, str] = {}
    pair_titles: dict[tuple[int, int], list[str]] = {}
    for ra, rb, project, title in pairs:
        if ra is None or rb is None:
            continue
        neighbours.setdefault(ra, Counter())[rb] += 1
        neighbours.setdefault(rb, Counter())[ra] += 1
        projects.setdefault(ra, set()).add(project)
        projects.setdefault(rb, set()).add(project)
        title = titles.setdefault(project, title or "")
        pair_titles.setdefault((min(ra, rb), max(ra, rb)), []).append(title)
    joint = np.zeros(n_rows, dtype=np.float32)
    for row, done in projects.items():
        joint[row] = len(done)
    return CooperationGraph(neighbours, joint, len(titles), PairTopics(pair_titles, analyzer))
