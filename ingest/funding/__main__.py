"""``python -m ingest.funding [DATA_DIR]``: statistics and load times of both exports."""
from __future__ import annotations

import sys
import time

from ingest.funding.files import load_funding


def main(argv=None) -> int:
    """Print statistics and load times: ``python -m ingest.funding [DATA_DIR]``."""
    args = sys.argv[1:] if argv is None else argv
    data_dir = args[0] if args else None
    for name, options in (("efre", {}), ("ptdesy", {}), ("ptdesy", {"saxony_only": True})):
        started = time.perf_counter()
        dataset = load_funding(data_dir, name, **options)
        seconds = time.perf_counter() - started
        label = name + (" (saxony_only)" if options else "")
        print(f"{label}: loaded in {seconds:.2f}s: {dataset.stats()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
