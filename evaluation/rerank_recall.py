"""Recall@10 of the IVF-SQ8 index against exact search, plain and with its shortlist re-ranked
exactly from the stored float vectors (issue 17: what re-ranking would buy at a size).

    python -m evaluation.rerank_recall --db data/bench/scaled-1000000.db [--nprobes 64,96,128]

The store must have its saved index (a run of ``evaluation.bench_read_path`` leaves one). The
queries and the exact answers are ``bench_sizes.bench_recall``'s. Prints one JSON list.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from evaluation.bench_common import SHORT_QUERIES, long_queries


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--nprobes", default="64,96,128")
    parser.add_argument("--shortlists", default="50,100")
    args = parser.parse_args(argv)
    from index.embedding import create_embedder
    from index.vectors import VectorIndex
    from partnerradar.config import Settings, load_settings
    from partnerradar.radar import Radar

    settings = load_settings()
    encoder = create_embedder(settings.model, settings.threads)
    radar = Radar(Settings(db_path=Path(args.db)), encoder=encoder, mmap=True)
    store = radar.store
    vectors = VectorIndex.load(radar.settings.index_dir, store.generation(), "ivf", mmap=True)
    if vectors is None:
        raise SystemExit("no saved IVF index of the store's generation")
    k = 10
    texts = SHORT_QUERIES + long_queries(100 - len(SHORT_QUERIES))
    queries = encoder.embed_queries([s for t in texts for s in (radar.analyzer.sentences(t) or [t])][:100])
    best_scores = np.full((len(queries), k), -np.inf, np.float32)
    best_ids = np.full((len(queries), k), -1, np.int64)
    for ids, _, _, _, stored in store.iter_passages(batch=50_000):
        scores = np.concatenate([best_scores, queries @ stored.T], axis=1)
        all_ids = np.concatenate([best_ids, np.broadcast_to(ids, (len(queries), len(ids)))], axis=1)
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        best_scores = np.take_along_axis(scores, top, axis=1)
        best_ids = np.take_along_axis(all_ids, top, axis=1)

    def recall(found) -> float:
        return round(float(np.mean([len(set(a[:k]) & set(b)) / k for a, b in zip(found, best_ids)])), 4)

    out = []
    for nprobe in (int(p) for p in args.nprobes.split(",")):
        vectors.index.nprobe = nprobe
        _, plain = vectors.search(queries, k)
        out.append({"nprobe": nprobe, "shortlist": k, "rerank": False, "recall@10": recall(plain)})
        for shortlist in (int(s) for s in args.shortlists.split(",")):
            start = time.perf_counter()
            _, candidates = vectors.search(queries, shortlist)
            seconds = time.perf_counter() - start
            wanted = [int(i) for i in np.unique(candidates[candidates >= 0])]
            by_id = {}
            for at in range(0, len(wanted), 500):
                part = wanted[at:at + 500]
                rows = store.conn.execute(f"SELECT id, vector FROM passages WHERE id IN ({','.join('?' * len(part))})",
                                          part)
                by_id.update((pid, np.frombuffer(blob, np.float32)) for pid, blob in rows)
            found = []
            for query, row in zip(queries, candidates):
                row = row[row >= 0]
                exact = np.array([by_id[int(i)] @ query for i in row])
                found.append(row[np.argsort(-exact, kind="stable")[:k]])
            out.append({"nprobe": nprobe, "shortlist": shortlist, "rerank": True, "recall@10": recall(found),
                        "ivf_ms_per_query_vector": round(1000 * seconds / len(queries), 2)})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
