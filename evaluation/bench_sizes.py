"""Benchmark section "sizes", one N at a time: search p50/p99 for short and profile-length
queries next to embedding the query alone, "partners of", API writes and how soon another
process finds them, recall@10 of the approximate index against exact search, the memory of a
fresh server-like process (``memory_probe``, run in a subprocess), and a full rebuild."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from evaluation.bench_common import SHORT_QUERIES, long_queries, ms, p50, p99, rss_kib, timed
from evaluation.synthetic import Generator
from matcher.request import SearchRequest
from partnerradar.config import PROJECT_DIR, Settings


def bench_size(radar, encoder, repeats: int, partners_n: int = 20) -> dict:
    index = radar.index
    n = index.size
    out = {"profiles": n, "passages": index.vectors.ntotal, "index_kind": index.vectors.index_type}
    radar.search(SearchRequest(query=SHORT_QUERIES[0]))           # warm caches once
    for label, queries in (("short", SHORT_QUERIES), ("long", long_queries())):
        embed, search = [], []
        for _ in range(repeats):
            for q in queries:
                sentences = radar.analyzer.sentences(q) or [q]
                embed.append(timed(encoder.embed_queries, sentences)[0])
                search.append(timed(radar.search, SearchRequest(query=q))[0])
        out[label] = {"embed_p50_ms": ms(p50(embed)), "search_p50_ms": ms(p50(search)),
                      "search_p99_ms": ms(p99(search)), "p50_vs_embed": round(p50(search) / p50(embed), 3),
                      "p99_vs_embed": round(p99(search) / p50(embed), 3),
                      "beyond_embed_p50_ms": ms(p50(search) - p50(embed))}
    rng = np.random.default_rng(3)
    ids = [index.profiles.ids[i] for i in rng.choice(n, min(partners_n, n), replace=False)]
    partners = []
    for _ in range(repeats):
        for pid in ids:
            partners.append(timed(radar.partners, pid)[0])
    out["partners"] = {"p50_ms": ms(p50(partners)), "p99_ms": ms(p99(partners))}
    return out


def bench_writes(radar, encoder, count: int = 12) -> dict:
    """API writes at this size (issue 17): ``Radar.save`` of one new profile (embedding,
    store, index brought forward, vectors saved or handed to the background saver) next to
    embedding its texts alone; then how long until another process's index (a second
    ``Radar`` on the same files: a server worker) has it, and that it finds it."""
    from ingest.pipeline import ProfilePreparer
    from ingest.schema import validate_record
    from partnerradar.radar import Radar

    gen = Generator(seed=2024)
    other = Radar(radar.settings, encoder=encoder, mmap=True)
    other.index
    pieces = ProfilePreparer(encoder, None, None).pieces
    saves, embeds, catch_up, found = [], [], [], 0
    for i, profile in enumerate(gen.profiles(count)):
        record = {**{k: profile[k] for k in ("name", "kind", "description", "offers", "seeks", "keywords", "postcode")},
                  "id": f"write-{i:03d}"}
        texts = [t for _, t in pieces(validate_record(record))]
        embeds.append(timed(encoder.embed_passages, texts)[0])
        saves.append(timed(radar.save, [record])[0])
        catch_up.append(timed(lambda: other.index)[0])
        hits = other.search(SearchRequest(query=record["description"][:300], limit=10), explain=False)
        found += any(h["id"] == record["id"] for h in hits)
    radar.wait_for_saves()
    radar.delete([f"write-{i:03d}" for i in range(count)])
    radar.wait_for_saves()
    other.store.close()
    # Each write next to embedding its own texts just before: the median of those differences
    # is less noisy than the difference of the two medians on a shared machine.
    beyond = [s - e for s, e in zip(saves, embeds)]
    return {"writes": count, "save_p50_ms": ms(p50(saves)), "save_p99_ms": ms(p99(saves)),
            "embed_p50_ms": ms(p50(embeds)), "beyond_embed_p50_ms": ms(p50(saves) - p50(embeds)),
            "beyond_embed_paired_p50_ms": ms(p50(beyond)), "save_ms": [ms(s) for s in saves],
            "embed_ms": [ms(e) for e in embeds], "other_process_ms": [ms(c) for c in catch_up],
            "other_process_p50_ms": ms(p50(catch_up)), "other_process_max_ms": ms(max(catch_up)),
            "found_by_other_process": found}


def bench_build(radar) -> float:
    """Seconds to rebuild the whole index (vectors + lexical + tables) from the store."""
    return round(timed(radar.reindex)[0], 2)


def bench_recall(radar, encoder, n_queries: int = 100, k: int = 10, nprobes=None):
    """Recall@k of the vector index against exact inner-product search over the stored vectors.

    With ``nprobes`` (IVF only): ``{"recall": ..., "by_nprobe": [{nprobe, recall, ms per query
    vector}, ...]}`` on the same queries and the same exact answers, so that the probes a
    recall target needs at this size are measured, not guessed."""
    index = radar.index
    if index.vectors.index_type == "flat":
        return None
    texts = SHORT_QUERIES + long_queries(n_queries - len(SHORT_QUERIES))
    queries = encoder.embed_queries([s for t in texts for s in (radar.analyzer.sentences(t) or [t])][:n_queries])
    best_scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
    best_ids = np.full((len(queries), k), -1, dtype=np.int64)
    for ids, _, _, _, vectors in radar.store.iter_passages(batch=50_000):
        scores = queries @ vectors.T
        scores = np.concatenate([best_scores, scores], axis=1)
        all_ids = np.concatenate([best_ids, np.broadcast_to(ids, (len(queries), len(ids)))], axis=1)
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        best_scores = np.take_along_axis(scores, top, axis=1)
        best_ids = np.take_along_axis(all_ids, top, axis=1)

    def recall(found) -> float:
        return round(float(np.mean([len(set(a) & set(b)) / k for a, b in zip(found, best_ids)])), 4)

    _, found = index.vectors.search(queries, k)
    shipped = recall(found)
    if not nprobes or index.vectors.index_type != "ivf":
        return shipped
    ivf = index.vectors.index
    shipped_nprobe, sweep = ivf.nprobe, []
    try:
        for nprobe in sorted({min(int(p), ivf.nlist) for p in nprobes} | {shipped_nprobe}):
            ivf.nprobe = nprobe
            seconds, (_, found) = timed(index.vectors.search, queries, k)
            sweep.append({"nprobe": nprobe, "nlist": int(ivf.nlist), "recall@10": recall(found),
                          "ms_per_query_vector": round(1000 * seconds / len(queries), 2)})
    finally:
        ivf.nprobe = shipped_nprobe
    return {"recall": shipped, "nprobe": int(shipped_nprobe), "by_nprobe": sweep}


def bench_memory(db_path: Path, index_type: str = "auto", mmap: bool = True) -> dict:
    """Memory of a fresh server-like process: RSS after model + analyzer, then after the index
    (loaded as the server loads it) and a few requests. Runs in a subprocess."""
    command = [sys.executable, "-m", "evaluation.bench", "--memory-probe", str(db_path),
               "--index-type", index_type] + (["--mmap"] if mmap else [])
    result = subprocess.run(command, capture_output=True, text=True, timeout=3600,
                            env={**os.environ, "PYTHONPATH": str(PROJECT_DIR)})
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-2000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def memory_probe(db_path: str, index_type: str, mmap: bool) -> None:
    from partnerradar.radar import Radar

    from ingest.schema import validate_record
    from store.db import Passage

    radar = Radar(Settings(db_path=Path(db_path), index_type=index_type), mmap=mmap)
    # The same requests on a one-profile store first: libraries, model, caches and code pages
    # are then in place, and the delta below is what the N profiles cost.
    first = radar.store.profile_table()[0][0]
    record = radar.store.get_profile(first)
    with tempfile.TemporaryDirectory() as tmp:
        tiny = Radar(Settings(db_path=Path(tmp) / "tiny.db", index_type=index_type), encoder=radar.encoder, mmap=mmap)
        profile = validate_record({k: v for k, v in record.items() if k in (
            "id", "name", "kind", "description", "offers", "seeks", "keywords", "postcode", "town")})
        passages = [Passage(first, p["field"], p["position"], p["text"], p["terms"], p["vector"])
                    for p in radar.store.passages_for(first)]
        tiny.store.set_meta("dim", str(len(passages[0].vector)))
        tiny.store.save_profiles([(profile, passages)])
        tiny.search(SearchRequest(query=SHORT_QUERIES[0]))
        tiny.partners(first)
        tiny.store.close()
        del tiny
    before = rss_kib()
    index = radar.index
    radar.search(SearchRequest(query=SHORT_QUERIES[0]))
    radar.partners(index.profiles.ids[0])
    after = rss_kib()
    files = sum(p.stat().st_size for p in radar.settings.index_dir.glob("vectors-g*.faiss"))
    n = index.size
    print(json.dumps({
        "profiles": n, "passages": index.vectors.ntotal, "mmap": mmap,
        "rss_delta_kib": after["VmRSS"] - before["VmRSS"],
        "anon_delta_kib": after["RssAnon"] - before["RssAnon"],
        "file_delta_kib": after["RssFile"] - before["RssFile"],
        "index_file_bytes": files,
        "rss_per_profile_bytes": round(1024 * (after["VmRSS"] - before["VmRSS"]) / n, 1),
        "anon_per_profile_bytes": round(1024 * (after["RssAnon"] - before["RssAnon"]) / n, 1),
        "index_file_per_profile_bytes": round(files / n, 1),
    }))
