"""API writes at one N on their own (issue 17), the procedure of ``bench_sizes.bench_writes``:

    python -m evaluation.bench_writes --n 100000 [--writes 12] [--workdir data/bench]

The store of N profiles is derived from the embedded sample as ``make bench`` derives it
(``evaluation.scale``; kept in the work folder and reused). Prints one JSON object: each
write's time next to embedding its texts alone, and how long a second ``Radar`` on the
same files (a server worker) takes to follow on its next request, and whether it finds it.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from evaluation.bench_sizes import bench_writes
from evaluation.scale import embedded_sample, scaled_store
from partnerradar.config import PROJECT_DIR


def main(argv=None) -> None:
    from index.embedding import create_embedder
    from partnerradar.config import load_settings

    parser = argparse.ArgumentParser(description="API writes at one size (issue 17)")
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--writes", type=int, default=12)
    parser.add_argument("--sample", type=int, default=1_000, help="profiles embedded for real")
    parser.add_argument("--workdir", default=str(PROJECT_DIR / "data" / "bench"))
    args = parser.parse_args(argv)
    settings = load_settings()
    encoder = create_embedder(settings.model, settings.threads)
    workdir = Path(args.workdir)
    sample = embedded_sample(workdir, args.sample, encoder)
    radar, info = (sample, {"profiles": args.n, "derived": False}) if args.n == args.sample else \
        scaled_store(workdir, args.n, sample)
    print(f"[bench_writes] {json.dumps(info)}", file=sys.stderr, flush=True)
    print(json.dumps({**info, **bench_writes(radar, encoder, args.writes)}))


if __name__ == "__main__":
    main()
