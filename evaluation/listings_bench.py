"""Matching a listing at scale, next to a short partner search on the same store (issue 16).

    python -m evaluation.listings_bench --profiles 100000 --listings 20000 [--workdir DIR]

The profile store is built like ``make bench`` builds its large sizes (``evaluation.scale``:
an embedded synthetic sample, recombined with jittered vectors). The listings are derived
from the 96 labelled ones (``tests/fixtures/listings_labelled.csv``, embedded once through
the product): each derived listing takes one of them, a random owner among the profiles
(and that owner's site), its amounts scaled by 0.5–2 × and its vector jittered — so types,
constraints and texts are realistic without embedding 20,000 texts. Measured: p50/p99 of
``Listings.matches`` (top 10 with explanations; the in-memory table warm) against p50/p99 of
``Radar.search`` for the benchmark's short queries (embedding included, as a user waits for
it); the target is matching p50 ≤ 2 × short search p50.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
LABELLED = ROOT / "tests" / "fixtures" / "listings_labelled.csv"
OUT = ROOT / "docs" / "benchmarks" / "listings.json"


def say(message: str) -> None:
    print(f"[listings-bench] {message}", file=sys.stderr, flush=True)


def base_rows(service) -> list[dict]:
    """The labelled listings validated and analysed once (owner and site filled later)."""
    from listings.matching import embed, listing_terms, listing_text
    from listings.model import validate_listing

    lines = [line for line in LABELLED.read_text("utf-8").splitlines() if not line.startswith("#")]
    rows = [validate_listing(r) for r in csv.DictReader(lines)]
    vectors = embed(service.radar, [listing_text(r) for r in rows])
    for row, vector in zip(rows, vectors):
        row["terms"] = " ".join(listing_terms(service.radar.analyzer, row))
        row["vector"] = vector
    return rows


def fill_listings(service, n: int, seed: int = 11, batch: int = 5000) -> float:
    """``n`` derived listings, stored through ``ListingStore.save``; returns seconds."""
    if service.store.count() == n:
        return 0.0
    service.store.conn.execute("DELETE FROM listings")
    rng = np.random.default_rng(seed)
    base = base_rows(service)
    owners = [r for r in service.radar.store.profile_table() if r[3] is not None]
    now = time.time()
    started = time.perf_counter()
    pending = []
    for i in range(n):
        row = dict(base[int(rng.integers(len(base)))])
        pid, _kind, landkreis, lat, lon, *_ = owners[int(rng.integers(len(owners)))]
        factor = float(rng.uniform(0.5, 2.0))
        for key in ("quantity", "power_kw", "hours_per_month"):
            if row.get(key) is not None:
                row[key] = round(row[key] * factor, 1)
        if row.get("hours_per_month") is not None:
            row["hours_per_month"] = min(row["hours_per_month"], 744.0)
        vector = row["vector"] + rng.normal(0, 0.04, row["vector"].shape).astype(np.float32)
        row.update(id=f"bench-{i:06d}", profile_id=pid, landkreis=landkreis, lat=lat, lon=lon, postcode="", town="",
                   vector=vector / np.linalg.norm(vector), created_at=now, updated_at=now, renewed_at=now,
                   expires_at=now + 183 * 86400, reminded_at=None, created_by=None, source="bench")
        pending.append(row)
        if len(pending) == batch:
            service.store.save(pending)
            pending = []
    if pending:
        service.store.save(pending)
    return time.perf_counter() - started


def percentile(samples, q) -> float:
    return float(np.percentile(np.asarray(samples) * 1000, q))


def run(profiles: int, listings: int, queries: int, workdir: Path, sample: int) -> dict:
    from evaluation.bench_common import SHORT_QUERIES
    from evaluation.scale import embedded_sample, scaled_store
    from index.embedding import create_embedder
    from listings.service import Listings
    from matcher.request import SearchRequest

    workdir.mkdir(parents=True, exist_ok=True)
    encoder = create_embedder()
    say(f"sample of {sample} synthetic profiles (embedded for real)")
    base = embedded_sample(workdir, sample, encoder)
    say(f"store of {profiles} profiles")
    radar, info = (base, {"profiles": sample}) if profiles <= sample else scaled_store(workdir, profiles, base)
    service = Listings(radar)
    say(f"{listings} listings")
    fill_s = fill_listings(service, listings)
    started = time.perf_counter()
    table = service.matcher.table
    table_s = time.perf_counter() - started
    rng = np.random.default_rng(5)
    ids = [table.records[int(i)]["id"] for i in rng.choice(len(table), min(queries, len(table)), replace=False)]
    radar.search(SearchRequest(query=SHORT_QUERIES[0]))          # warm caches once
    service.matches(ids[0])
    match_t, search_t, hits = [], [], []
    for k, lid in enumerate(ids):
        t = time.perf_counter()
        found = service.matches(lid, limit=10)
        match_t.append(time.perf_counter() - t)
        hits.append(len(found))
        q = SHORT_QUERIES[k % len(SHORT_QUERIES)]
        t = time.perf_counter()
        radar.search(SearchRequest(query=q))
        search_t.append(time.perf_counter() - t)
    result = {
        "profiles": radar.store.count_profiles(), "passages": radar.index.vectors.ntotal,
        "index_kind": radar.index.vectors.index_type, "listings": service.store.count(), "queries": len(ids),
        "fill_listings_s": round(fill_s, 1), "table_build_s": round(table_s, 2),
        "match_p50_ms": round(percentile(match_t, 50), 1), "match_p99_ms": round(percentile(match_t, 99), 1),
        "short_search_p50_ms": round(percentile(search_t, 50), 1),
        "short_search_p99_ms": round(percentile(search_t, 99), 1),
        "match_hits_mean": round(float(np.mean(hits)), 1),
        "cpu_count": os.cpu_count(), "load_average_at_end": os.getloadavg(),
    }
    result["p50_ratio"] = round(result["match_p50_ms"] / result["short_search_p50_ms"], 2)
    return result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Angebote und Gesuche: Abgleich-Latenz bei vielen Einträgen.")
    parser.add_argument("--profiles", type=int, default=100_000, help="Profile in der Datenbank.")
    parser.add_argument("--listings", type=int, default=20_000, help="Angebote und Gesuche.")
    parser.add_argument("--queries", type=int, default=200, help="Gemessene Abgleiche (und Suchen).")
    parser.add_argument("--sample", type=int, default=1000, help="Echt eingebettete Beispielprofile.")
    parser.add_argument("--workdir", default=str(ROOT / "data" / "bench"), help="Arbeitsordner (wird wiederverwendet).")
    parser.add_argument("--out", default=str(OUT), help="JSON-Ergebnis.")
    args = parser.parse_args(argv)
    result = run(args.profiles, args.listings, args.queries, Path(args.workdir), args.sample)
    result["command"] = "python -m evaluation.listings_bench " + " ".join(argv if argv is not None else sys.argv[1:])
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
