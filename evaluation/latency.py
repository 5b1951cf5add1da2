"""Quick timing of the core path (kept as a thin entry point; the benchmark is evaluation/bench.py).

    python -m evaluation.latency [--max-n 10000]

Runs the benchmark's ingest and per-size sections only (no txtai, no HTTP, no quality),
writing to a temporary folder and printing the results table.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from evaluation import bench
from evaluation.bench_common import SHORT_QUERIES

QUERIES = SHORT_QUERIES


def main(argv=None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    with tempfile.TemporaryDirectory(prefix="partnerradar-latency-") as out:
        bench.main(["--no-txtai", "--no-http", "--no-quality", "--sample", "300", "--ingest-n", "50",
                    "--max-n", "1000", "--out", out, *argv])
        print((Path(out) / "README.md").read_text("utf-8"))


if __name__ == "__main__":
    main()
