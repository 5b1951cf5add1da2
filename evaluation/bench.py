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
import sys
import time
from pathlib import Path

from evaluation.bench_cold import bench_cold_search
from evaluation.bench_ingest import bench_ingest
from evaluation.bench_quality import bench_quality
from evaluation.bench_sizes import bench_build, bench_memory, bench_recall, bench_size, bench_writes, memory_probe
from evaluation.bench_txtai import bench_txtai_same_data, txtai_memory_probe
from evaluation.scale import embedded_sample, scaled_store
from partnerradar.config import PROJECT_DIR

SIZES = (1_000, 10_000, 100_000, 1_000_000)
#: Shares of the IVF lists probed for the recall sweep (beside the shipped setting).
RECALL_PROBE_SHARES = (1 / 128, 1 / 64, 3 / 128, 1 / 32, 1 / 16, 1 / 8)


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
            recall = bench_recall(radar, encoder, nprobes=RECALL_PROBE_SHARES and [
                radar.index.vectors.index.nlist * share for share in RECALL_PROBE_SHARES]
                if radar.index.vectors.index_type == "ivf" else None)
            row["recall@10"] = recall["recall"] if isinstance(recall, dict) else recall
            if isinstance(recall, dict):
                row["recall_by_nprobe"] = recall["by_nprobe"]
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
