"""What every section of the benchmark (``evaluation/bench.py``) shares: the queries it
times, medians and percentiles in milliseconds, a timer, the process's resident memory."""
from __future__ import annotations

import statistics
import time

import numpy as np

from evaluation.synthetic import Generator

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
