"""Benchmark section "ingest": profiles/s of ``Radar.ingest`` next to the encoder alone on the
very passages ingest embeds, and txtai indexing the same passages; repeats are interleaved
(raw, ours, txtai, raw, ...). Then an unchanged re-ingest of the same file."""
from __future__ import annotations

import tempfile
from pathlib import Path

from evaluation.bench_common import p50, timed
from evaluation.bench_txtai import txtai_embeddings, txtai_index
from evaluation.scale import sample_csv
from partnerradar.config import Settings


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
