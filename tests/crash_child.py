"""A writer to be killed: ``python -m tests.crash_child ingest|reindex DB [CSV]``.

Prints ``ready`` once the model is loaded, then ``committed ID ...`` after each batch
is written (so the parent knows what was committed before it pulled the plug).
"""
from __future__ import annotations

import sys
from pathlib import Path


def main(mode: str, db: str, csv_path: str | None = None) -> None:
    from ingest.readers import read_rows
    from partnerradar.config import Settings
    from partnerradar.radar import Radar

    radar = Radar(Settings(db_path=Path(db)))
    radar.encoder
    radar.index
    print("ready", flush=True)
    if mode == "ingest":
        records = [row.record for row in read_rows(csv_path) if row.record]
        for start in range(0, len(records), 6):
            batch = records[start:start + 6]
            report = radar.save(batch, source="crash-test")
            print("committed " + " ".join(report.ids), flush=True)
    else:
        while True:
            radar.reindex(reembed=True)
            print("reembedded", flush=True)
            radar.reindex()
            print("reindexed", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
