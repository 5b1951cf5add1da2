"""Quick timing of the core path: ingest throughput and search latency.

    python -m evaluation.latency [--scale 100000] [--repeats 3]

Reports medians and ratios measured in the same run (machines here are shared and
noisy). The large-scale figure replicates the demo passages with jittered vectors
straight into the store, so it measures index + matcher cost, not the encoder's.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from index.encoder import Encoder
from ingest.passages import passages_of
from ingest.readers import read_rows
from ingest.schema import validate_record
from matcher.request import SearchRequest
from partnerradar.config import DEMO_PROFILES, Settings
from partnerradar.radar import Radar
from store.db import Passage

QUERIES = [
    "Wer kann uns bei der Digitalisierung der Instandhaltung helfen?",
    "Laserstrahlschweißen von Aluminium im Leichtbau",
    "Additive Fertigung von Metallbauteilen",
    "Recycling von Lithium-Ionen-Batterien",
    "Wasserstoffspeicherung für Gewerbegebiete",
    "Oberflächenbeschichtung ohne Chrom(VI)",
    "Künstliche Intelligenz für die Qualitätsprüfung in der Fertigung",
    "Biobasierte Verpackungen aus Kunststoffabfällen",
]


def median_ms(samples):
    return round(1000 * statistics.median(samples), 2)


def time_searches(radar: Radar, requests, repeats: int = 5):
    times = []
    for _ in range(repeats):
        for req in requests:
            start = time.perf_counter()
            radar.search(req)
            times.append(time.perf_counter() - start)
    return times


def replicate(radar: Radar, target: int, seed: int = 7) -> None:
    """Fill the store to ``target`` profiles with jittered copies of the demo passages."""
    rng = np.random.default_rng(seed)
    demo = [validate_record(r.record) for r in read_rows(DEMO_PROFILES) if r.record]
    stored = {p.id: radar.store.passages_for(p.id) for p in demo}
    batch = []
    for n in range(target - radar.store.count_profiles()):
        base = demo[n % len(demo)]
        profile = replace(base, id=f"syn-{n}", name=f"{base.name} {n}", extra={})
        profile.lat, profile.lon = 50.3 + rng.random() * 1.3, 12.0 + rng.random() * 2.9
        passages = []
        for p in stored[base.id]:
            v = p["vector"] + rng.normal(0, 0.05, p["vector"].shape).astype(np.float32)
            passages.append(Passage(profile.id, p["field"], p["position"], p["text"], p["terms"],
                                    v / np.linalg.norm(v)))
        batch.append((profile, passages))
        if len(batch) == 5000:
            radar.store.save_profiles(batch)
            batch = []
    if batch:
        radar.store.save_profiles(batch)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    encoder = Encoder()
    demo_rows = [r for r in read_rows(DEMO_PROFILES) if r.record]
    texts = [t for r in demo_rows for _, t in passages_of(validate_record(r.record))]
    ingest_times, encode_times = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeats):
            start = time.perf_counter()
            encoder.encode(texts)
            encode_times.append(time.perf_counter() - start)
            radar = Radar(Settings(db_path=Path(tmp) / f"demo{i}.db"), encoder=encoder)
            start = time.perf_counter()
            radar.ingest(DEMO_PROFILES)
            ingest_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        radar.ingest(DEMO_PROFILES)
        reingest = time.perf_counter() - start
        n = len(demo_rows)
        print(f"ingest: {n / statistics.median(ingest_times):.1f} profiles/s (median of {args.repeats}); "
              f"raw encoder on the same passages: {n / statistics.median(encode_times):.1f} profiles/s; "
              f"ratio {statistics.median(encode_times) / statistics.median(ingest_times):.2f}; "
              f"unchanged re-ingest {statistics.median(ingest_times) / reingest:.0f}x faster")
        requests = [SearchRequest(query=q) for q in QUERIES]
        embed = []
        for _ in range(5):
            for q in QUERIES:
                start = time.perf_counter()
                encoder.encode([q])
                embed.append(time.perf_counter() - start)
        demo_search = time_searches(radar, requests)
        print(f"search at {n} profiles: p50 {median_ms(demo_search)} ms; query embedding alone p50 "
              f"{median_ms(embed)} ms; ratio {statistics.median(demo_search) / statistics.median(embed):.1f}")
        start = time.perf_counter()
        replicate(radar, args.scale)
        filled = time.perf_counter() - start
        start = time.perf_counter()
        radar.reindex()
        build = time.perf_counter() - start
        big = time_searches(radar, requests)
        partner_times = []
        for pid in radar.index.profiles.ids[:20]:
            start = time.perf_counter()
            radar.partners(pid, SearchRequest(seeker=pid))
            partner_times.append(time.perf_counter() - start)
        print(f"search at {radar.store.count_profiles()} profiles ({radar.index.vectors.ntotal} passages, "
              f"{radar.index.vectors.kind}): p50 {median_ms(big)} ms, p99 "
              f"{round(1000 * float(np.percentile(big, 99)), 1)} ms; partners-of p50 {median_ms(partner_times)} ms; "
              f"store fill {filled:.0f} s, index build {build:.1f} s")


if __name__ == "__main__":
    main()
