"""The read path alone at one size (issue 17), without the rest of ``evaluation.bench``:
short and profile-length searches next to embedding the query alone, "partners of", recall@10
of the vector index against exact search and, with ``--memory``, the serving process's memory
per profile. The figures are ``evaluation.bench_sizes``' own (``bench_size``, ``bench_recall``,
``bench_memory``) on the store ``evaluation.scale`` derives (built once in ``--workdir``, kept),
plus the same requests in CPU time (``cpu``: what a busy neighbour on shared cores does not
inflate as it inflates wall-clock time).

    python -m evaluation.bench_read_path --n 100000 --workdir data/bench [--repeats 3] [--memory]

Prints one JSON object; docs/benchmarks/read_path.md has the figures and how they were taken.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np

from evaluation.bench import RECALL_PROBE_SHARES
from evaluation.bench_common import SHORT_QUERIES, long_queries, ms
from evaluation.bench_sizes import bench_memory, bench_recall, bench_size
from evaluation.scale import embedded_sample, scaled_store
from partnerradar.config import PROJECT_DIR


def cpu_times(radar, encoder, repeats: int, partners_n: int = 20) -> dict:
    """Medians of ``time.process_time()`` per request: the queries of ``bench_size`` (embedding
    alone, then the search) and "partners of" the same sample of profiles."""
    from matcher.request import SearchRequest

    def cpu(fn, *args):
        start = time.process_time()
        fn(*args)
        return time.process_time() - start

    out = {}
    for label, queries in (("short", SHORT_QUERIES), ("long", long_queries())):
        embed, search = [], []
        for _ in range(repeats):
            for q in queries:
                embed.append(cpu(encoder.embed_queries, radar.analyzer.sentences(q) or [q]))
                search.append(cpu(radar.search, SearchRequest(query=q)))
        out[label] = {"embed_cpu_p50_ms": ms(statistics.median(embed)), "search_cpu_p50_ms": ms(statistics.median(search)),
                      "p50_vs_embed": round(statistics.median(search) / statistics.median(embed), 3)}
    index = radar.index
    rng = np.random.default_rng(3)
    ids = [index.profiles.ids[i] for i in rng.choice(index.size, min(partners_n, index.size), replace=False)]
    partners = [cpu(radar.partners, pid) for _ in range(repeats) for pid in ids]
    out["partners_cpu_p50_ms"] = ms(statistics.median(partners))
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=1_000, help="profiles embedded for real")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workdir", default=str(PROJECT_DIR / "data" / "bench"))
    parser.add_argument("--memory", action="store_true", help="also the memory of a fresh serving process")
    parser.add_argument("--no-recall", dest="recall", action="store_false")
    args = parser.parse_args(argv)
    from index.embedding import create_embedder
    from partnerradar.config import load_settings

    settings = load_settings()
    encoder = create_embedder(settings.model, settings.threads)
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    sample = embedded_sample(workdir, args.sample, encoder)
    begun = time.perf_counter()
    radar, info = (sample, {"profiles": args.n, "derived": False}) if args.n == args.sample else \
        scaled_store(workdir, args.n, sample)
    row = {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "load_average_at_start": os.getloadavg(),
           "repeats": args.repeats, **info, "store_and_index_s": round(time.perf_counter() - begun, 1), **bench_size(radar, encoder, args.repeats)}
    row["cpu"] = cpu_times(radar, encoder, args.repeats)
    if args.recall:
        vectors = radar.index.vectors
        recall = bench_recall(radar, encoder, nprobes=[vectors.index.nlist * share for share in RECALL_PROBE_SHARES]
                              if vectors.index_type == "ivf" else None)
        row["recall@10"] = recall["recall"] if isinstance(recall, dict) else recall
        if isinstance(recall, dict):
            row["recall_by_nprobe"] = recall["by_nprobe"]
    if args.memory:
        row["memory"] = bench_memory(radar.settings.db_path)
    row["load_average_at_end"] = os.getloadavg()
    print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
