"""Soak run: search, partner lookups and profile writes at once against a real server.

    python -m evaluation.soak --minutes 3 [--workers 2] [--clients 4]

Loopback only and bounded: copies the demo database (or builds it) into a temporary
folder, starts ``partnerradar serve`` on 127.0.0.1, creates an admin key, and lets
client threads search, look up partners and create / update / delete their own
profiles until the time is up. Reports errors (any non-2xx other than expected
404s, any exception), latency percentiles per kind, and the RSS of the server's
processes sampled over time (growth after the warm-up is what matters).
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

from evaluation.live_server import admin_key, call, run_cli, serving

QUERIES = [
    "Wer kann uns bei der Digitalisierung der Instandhaltung helfen?",
    "Laserstrahlschweißen von Aluminium im Leichtbau",
    "Forschungspartner für Wasserstoffspeicherung",
    "Sensoren zur Zustandsüberwachung von Maschinen",
    "Künstliche Intelligenz für die Qualitätsprüfung",
    "Recycling von Batterien und Rohstoffrückgewinnung",
]


def _call(base, path, body=None, method=None, key=None, timeout=60):
    status, _, text = call(base, path, body, method=method, key=key, timeout=timeout)
    return status, text


def _rss_kib(pid: int) -> int:
    """RSS of a process and its children (the server's parent + workers)."""
    total = 0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def _pct(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=4, help="threads: searchers, partner lookups, writers")
    parser.add_argument("--sample-s", type=float, default=5.0)
    args = parser.parse_args(argv)
    minutes = min(args.minutes, 15.0)          # bounded on purpose

    from partnerradar.config import DEMO_PROFILES

    tmp = Path(tempfile.mkdtemp(prefix="soak-"))
    db = tmp / "soak.db"
    env = {"PARTNERRADAR_RATE_SEARCH": "1000000 per minute"}
    run_cli("ingest", str(DEMO_PROFILES), db=db, env=env)
    key = admin_key(db, "soak@test.example", "soak-passwort-lang", env=env)
    stack = ExitStack()
    try:
        try:
            live = stack.enter_context(serving(db, workers=args.workers, log_path=tmp / "server.log", env=env))
        except RuntimeError as exc:
            print(exc, file=sys.stderr)
            return 2
        base, server = live.base, live.process

        ids = [p["id"] for p in json.loads(_call(base, "/api/v1/profiles?limit=100")[1])["profiles"]]
        stop = time.monotonic() + minutes * 60
        latencies: dict[str, list[float]] = {"search": [], "partners": [], "write": []}
        errors: list[str] = []
        lock = threading.Lock()

        def record(kind, started, status, ok_codes, what):
            elapsed = time.perf_counter() - started
            with lock:
                latencies[kind].append(elapsed)
                if status not in ok_codes:
                    errors.append(f"{kind} {what}: HTTP {status}")

        def searcher(seed):
            rnd = random.Random(seed)
            while time.monotonic() < stop:
                body = {"query": rnd.choice(QUERIES), "limit": 10}
                if rnd.random() < 0.3:
                    body.update(near=rnd.choice(["Chemnitz", "01067", "Leipzig"]), radius_km=50)
                t = time.perf_counter()
                try:
                    status, raw = _call(base, "/api/v1/search", body)
                    if status == 200 and not json.loads(raw)["results"]:
                        errors.append(f"search {body['query']!r}: empty")
                except Exception as exc:        # noqa: BLE001 - every failure is counted
                    status = repr(exc)
                record("search", t, status, (200,), body["query"])

        def partner(seed):
            rnd = random.Random(seed)
            while time.monotonic() < stop:
                pid = rnd.choice(ids)
                t = time.perf_counter()
                try:
                    status, _ = _call(base, f"/api/v1/profiles/{pid}/partners?limit=10")
                except Exception as exc:        # noqa: BLE001
                    status = repr(exc)
                record("partners", t, status, (200,), pid)

        def writer(seed):
            rnd = random.Random(seed)
            n = 0
            while time.monotonic() < stop:
                n += 1
                pid = f"soak-{seed}-{n}"
                body = {"id": pid, "name": f"Soak Testfirma {seed}-{n} GmbH", "kind": "kmu",
                        "postcode": "09111", "town": "Chemnitz",
                        "description": f"{rnd.choice(QUERIES)} Wir bieten Lösungen Nummer {n}."}
                for method, path, payload, ok in (
                        ("POST", "/api/v1/profiles", body, (201,)),
                        ("PUT", f"/api/v1/profiles/{pid}", {"offers": f"Angebot {n}"}, (200,)),
                        ("DELETE", f"/api/v1/profiles/{pid}", None, (204,))):
                    t = time.perf_counter()
                    try:
                        status, _ = _call(base, path, payload, method=method, key=key)
                    except Exception as exc:    # noqa: BLE001
                        status = repr(exc)
                    record("write", t, status, ok, f"{method} {pid}")
                time.sleep(0.5)

        roles = [searcher, partner, writer]
        threads = [threading.Thread(target=roles[i % 3], args=(i,), daemon=True)
                   for i in range(max(3, args.clients))]
        rss = [(0.0, _rss_kib(server.pid))]
        started = time.monotonic()
        for th in threads:
            th.start()
        while time.monotonic() < stop:
            time.sleep(args.sample_s)
            rss.append((time.monotonic() - started, _rss_kib(server.pid)))
        for th in threads:
            th.join(timeout=120)
        health = json.loads(_call(base, "/healthz")[1])

        warm = [v for t, v in rss if t >= min(60.0, minutes * 60 / 3)]
        report = {
            "minutes": minutes, "workers": args.workers, "clients": len(threads),
            "requests": {k: len(v) for k, v in latencies.items()},
            "errors": len(errors), "error_examples": errors[:10],
            "latency_ms": {k: {"p50": round(1000 * _pct(v, 50), 1), "p99": round(1000 * _pct(v, 99), 1)}
                           for k, v in latencies.items()},
            "rss_mib": {"start": round(rss[0][1] / 1024, 1),
                        "after_warmup": round(warm[0] / 1024, 1) if warm else None,
                        "end": round(rss[-1][1] / 1024, 1),
                        "median_second_half": round(statistics.median(
                            v for t, v in rss[len(rss) // 2:]) / 1024, 1)},
            "rss_growth_after_warmup_pct": (round(100 * (warm[-1] - warm[0]) / warm[0], 1)
                                            if len(warm) > 1 else None),
            "profiles_at_end": health.get("profiles"),
            "index_ok": health.get("ok"),
        }
        print(json.dumps(report, ensure_ascii=False, indent=2))
        if errors:    # the first server-side traceback says why
            text = (tmp / "server.log").read_text(errors="replace")
            start = text.find("Traceback")
            if start >= 0:
                print(text[start:start + 4000], file=sys.stderr)
        return 0 if not errors else 1
    finally:
        stack.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
