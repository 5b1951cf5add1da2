"""Benchmark section "cold": ``partnerradar search`` and ``partners`` in a fresh process."""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from evaluation.bench_common import SHORT_QUERIES, p50


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
