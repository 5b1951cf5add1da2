"""How long the weekly digest run takes for many subscribers (a benchmark, not a test).

    python -m evaluation.digest_bench --profiles 2000 --subscribers 1000 --repeats 3

Builds a throw-away database: the demo profiles, cloned at store level to ``--profiles``
firms (stored vectors copied, nothing re-embedded, coordinates jittered), one confirmed
subscriber per firm, then ``--new`` new profiles through the real ingest path. Each repeat
resets the subscribers' window and runs ``Digest.send_week`` against a real SMTP server
on loopback (aiosmtpd, in this process) or with ``--dry-run`` (.eml files). Reports the
median run time over the repeats and per subscriber; with ``--subscribers 10000`` it is
the issue's figure, on a small machine measure fewer and read the per-subscriber median.
"""
from __future__ import annotations

import argparse
import json
import random
import socket
import statistics
import tempfile
import time
from pathlib import Path

from partnerradar.config import DEMO_PROFILES, Settings

NEW = [  # what arrives in the week: broad topics, so that many firms get a digest
    {"name": "Sensorik und Datenanalyse Zwickau GmbH", "kind": "kmu", "postcode": "08056",
     "description": "Wir entwickeln Sensorik, Zustandsüberwachung und Datenanalyse für Maschinen, "
                    "Anlagen und Gebäude und begleiten KMU bei der Digitalisierung.",
     "offers": "Zustandsüberwachung; Datenanalyse; Digitalisierung der Produktion", "seeks": "Pilotkunden"},
    {"name": "Institut für Leichtbau und Werkstoffe Dresden", "kind": "research", "postcode": "01069",
     "description": "Forschung zu Leichtbau, Faserverbundwerkstoffen, Fügetechnik und Recycling "
                    "von Kunststoffen für Fahrzeugbau und Maschinenbau.",
     "offers": "Werkstoffprüfung; Leichtbaukonstruktion; Fügetechnik", "seeks": "Industriepartner"},
    {"name": "Wasserstofftechnik Lausitz GmbH", "kind": "startup", "postcode": "02977",
     "description": "Start-up für Elektrolyse, Wasserstoffspeicher und Brennstoffzellen in der "
                    "Energiewende der Lausitz.",
     "offers": "Elektrolyseure; Speichertechnik", "seeks": "Forschungspartner und Anwender"},
    {"name": "Medizintechnik-Labor Leipzig", "kind": "research", "postcode": "04103",
     "description": "Entwicklung medizinischer Geräte, Biosensoren und Software für Diagnostik "
                    "in Kliniken.", "offers": "Prototypen; klinische Studien", "seeks": "Hersteller"},
    {"name": "Textil- und Kunststoffverarbeitung Plauen GmbH", "kind": "kmu", "postcode": "08523",
     "description": "Technische Textilien, Spritzguss und Kunststoffverarbeitung für Automobil- "
                    "und Medizintechnik.", "offers": "Spritzguss; technische Textilien", "seeks": "Werkstoffforschung"},
]


def build(directory: Path, profiles: int, subscribers: int, new: int, seed: int = 7):
    from digest.subscriptions import SubscriptionStore
    from ingest.schema import validate_record
    from partnerradar.radar import Radar
    from store.db import Passage

    radar = Radar(Settings(db_path=directory / "bench.db"))
    radar.ingest(DEMO_PROFILES)
    store = radar.store
    sources = [r[0] for r in store.profile_table()]
    rng = random.Random(seed)
    batch = []
    for i in range(max(0, profiles - len(sources))):
        record = store.get_profile(sources[i % len(sources)])
        clone = {k: record[k] for k in ("name", "kind", "description", "offers", "seeks", "keywords",
                                        "postcode", "town")}
        clone.update(id=f"bench-{i:05d}", name=f"{record['name']} ({i})")
        profile = validate_record(clone)
        profile.landkreis = record["landkreis"]
        profile.lat = None if record["lat"] is None else record["lat"] + rng.uniform(-0.05, 0.05)
        profile.lon = None if record["lon"] is None else record["lon"] + rng.uniform(-0.05, 0.05)
        passages = [Passage(profile.id, p["field"], p["position"], p["text"], p["terms"], p["vector"])
                    for p in store.passages_for(record["id"])]
        batch.append((profile, passages))
        if len(batch) == 1000:
            store.save_profiles(batch, "bench")
            batch = []
    if batch:
        store.save_profiles(batch, "bench")
    radar.reindex()    # from the stored vectors
    subs = SubscriptionStore(store)
    firms = [r[0] for r in store.profile_table()][:subscribers]
    now = time.time()
    with subs._tx() as conn:
        conn.executemany(
            "INSERT INTO subscriptions (id, profile_id, email, status, preferences, created_at, updated_at, "
            "confirmed_at) VALUES (?, ?, ?, 'confirmed', '{}', ?, ?, ?)",
            [(f"s-bench{i:05d}", pid, f"abo{i}@bench.example", now, now, now) for i, pid in enumerate(firms)])
    time.sleep(0.01)
    report = radar.save(NEW[:new])
    assert not report.rejected, report.rejected
    return radar, now, len(firms)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=2000)
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--new", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    from aiosmtpd.controller import Controller

    from digest.runner import Digest
    from partnerradar.config import MailSettings

    class Count:
        received = 0

        async def handle_DATA(self, server, session, envelope):
            Count.received += 1
            return "250 OK"

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        radar, t0, n = build(Path(tmp), args.profiles, args.subscribers, args.new)
        setup_s = time.perf_counter() - started
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        controller = Controller(Count(), hostname="127.0.0.1", port=port)
        controller.start()
        digest = Digest(radar, MailSettings(smtp_port=port, mail_from="Partnerradar <digest@bench.example>",
                                            base_url="https://partnerradar.example"))
        runs = []
        for repeat in range(args.repeats):
            # Everyone back to "last digest before the new profiles arrived".
            radar.store.conn.execute("DELETE FROM digest_deliveries")
            radar.store.conn.execute("UPDATE subscriptions SET last_cutoff=?", (t0,))
            Count.received = 0
            report = digest.send_week(f"2030-W{repeat + 1:02d}", dry_run=args.dry_run,
                                      out_dir=Path(tmp) / f"eml{repeat}")
            runs.append({"seconds": report.seconds, "mails": len(report.files) if args.dry_run else len(report.sent),
                         "empty": report.empty, "received": Count.received})
        controller.stop()
    seconds = [r["seconds"] for r in runs]
    result = {
        "profiles": args.profiles, "subscribers": n, "new_profiles": args.new, "dry_run": args.dry_run,
        "setup_s": round(setup_s, 1), "runs": runs,
        "median_run_s": round(statistics.median(seconds), 2),
        "median_ms_per_subscriber": round(1000 * statistics.median(seconds) / n, 2),
        "extrapolated_10k_s": round(10_000 * statistics.median(seconds) / n, 1),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{n} Abonnenten, {args.profiles} Profile, {args.new} neue: Lauf Median {result['median_run_s']} s "
              f"({result['median_ms_per_subscriber']} ms je Abonnent; hochgerechnet 10.000: "
              f"{result['extrapolated_10k_s']} s); Mails je Lauf: {[r['mails'] for r in runs]}")
    return result


if __name__ == "__main__":
    main()
