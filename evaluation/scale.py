"""Stores of any size for benchmarks, without embedding every text.

``embedded_sample`` ingests synthetic profiles through the product (real encoder,
real analyzer) once and keeps the database in a work folder. ``scaled_store`` then
fills a database to N profiles from that sample (``synthetic.derive_passages``:
recombined passages, jittered vectors, the sample's analyzer terms) straight
through ``Store.save_profiles``, and builds the index once. Searches on it cost
what they would cost on N real profiles; only ingest must be measured on real text.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from evaluation.synthetic import Generator, derive_passages, write_csv
from geo import Gazetteer
from ingest.schema import validate_record
from partnerradar.config import Settings
from partnerradar.radar import Radar
from store.db import Passage

log = logging.getLogger(__name__)
SAMPLE_SEED = 42


def sample_csv(workdir: Path, n: int, seed: int = SAMPLE_SEED) -> Path:
    path = workdir / f"synthetic-{n}-s{seed}.csv"
    if not path.exists():
        workdir.mkdir(parents=True, exist_ok=True)
        write_csv(Generator(seed).profiles(n), str(path))
    return path


def embedded_sample(workdir: Path, n: int, encoder, settings: Settings | None = None) -> Radar:
    """The first ``n`` synthetic profiles ingested for real (kept: later runs reuse it)."""
    path = sample_csv(workdir, n)
    base = settings or Settings()
    radar = Radar(base.with_db(workdir / f"sample-{n}.db"), encoder=encoder)
    if radar.store.count_profiles() != n:
        radar.ingest(path)
    return radar


def sample_passages(radar: Radar) -> tuple[list[dict], list[list]]:
    """(profile records, per profile [(field, text, terms, vector)]) of a sample store."""
    records, passages = [], []
    for (pid, *_rest) in radar.store.profile_table():
        records.append(radar.store.get_profile(pid))
        passages.append([(p["field"], p["text"], p["terms"], p["vector"]) for p in radar.store.passages_for(pid)])
    return records, passages


def scaled_store(workdir: Path, n: int, sample: Radar, settings: Settings | None = None,
                 seed: int = 7, batch: int = 5000) -> tuple[Radar, dict]:
    """A database of ``n`` profiles derived from ``sample``; built once per (n, index type)."""
    base = settings or Settings()
    db_path = workdir / f"scaled-{n}.db"
    radar = Radar(base.with_db(db_path), encoder=sample._encoder)
    info = {"profiles": n, "derived": True}
    if radar.store.count_profiles() != n:
        for suffix in ("", "-wal", "-shm"):
            Path(str(db_path) + suffix).unlink(missing_ok=True)
        radar = Radar(base.with_db(db_path), encoder=sample._encoder)
        radar.store.set_meta("model", sample.store.get_meta("model") or sample.settings.model)
        radar.store.set_meta("dim", sample.store.get_meta("dim") or "384")
        records, passages = sample_passages(sample)
        rng = np.random.default_rng(seed)
        gen = Generator(seed)
        gazetteer = Gazetteer()
        places: dict = {}    # per postcode: resolving it is ~90 % of filling a store otherwise
        start = time.perf_counter()
        pending = []
        for i, derived in enumerate(derive_passages(passages, n, rng)):
            meta = gen.rng  # postcode and kind are drawn afresh: metadata spread like the generator's
            record = dict(records[int(meta.integers(len(records)))])
            record = {k: record[k] for k in ("name", "kind", "description", "offers", "seeks", "keywords")}
            record.update(id=f"scaled-{i:07d}", name=f"{record['name']} {i}",
                          postcode=gen.postcodes[int(meta.integers(len(gen.postcodes)))])
            profile = validate_record(record)
            if profile.postcode not in places:
                places[profile.postcode] = gazetteer.resolve(postcode=profile.postcode)
            place = places[profile.postcode]
            if place is not None:
                profile.lat, profile.lon, profile.landkreis, profile.town = place.lat, place.lon, place.landkreis, place.town
            pending.append((profile, [Passage(profile.id, f, k, text, terms, vec) for f, k, text, terms, vec in derived]))
            if len(pending) == batch:
                radar.store.save_profiles(pending, source="scaled")
                pending = []
        if pending:
            radar.store.save_profiles(pending, source="scaled")
        info["fill_s"] = round(time.perf_counter() - start, 1)
    start = time.perf_counter()
    index = radar.index
    info["index_load_s"] = round(time.perf_counter() - start, 2)
    info["passages"] = index.vectors.ntotal
    info["index_kind"] = index.vectors.index_type
    return radar, info
