"""Slow clients against a real server: does ``/healthz`` still answer, how much slower is search?

    python -m evaluation.slow_clients [--clients 50] [--searches 30] [--workers 2] [--json]
    python -m evaluation.slow_clients --base http://127.0.0.1:8000   # a server already running

Loopback only and bounded (at most 500 clients, 200 searches, a few minutes): builds the
demo database in a temporary folder, starts ``partnerradar serve`` on 127.0.0.1 (unless
``--base`` names a loopback server), then

1. measures search latency and ``/healthz`` with nobody else connected,
2. opens ``--clients`` connections that each send a request's headers with
   ``Content-Length: 1000`` and one byte of body, and then wait (the attack of issue 12),
3. measures ``/healthz`` and search again while they hold their connections.

Reports medians and the ratio loaded / unloaded; the goal (issue 12): ``/healthz``
within 1 s and search p50 at most 2 × its unloaded value.
"""
from __future__ import annotations

import argparse
import json
import socket
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import ExitStack
from pathlib import Path

from evaluation.live_server import run_cli, serving

QUERIES = [
    "Wer kann uns bei der Digitalisierung der Instandhaltung helfen?",
    "Laserstrahlschweißen von Aluminium im Leichtbau",
    "Forschungspartner für Wasserstoffspeicherung",
    "Sensoren zur Zustandsüberwachung von Maschinen",
    "Künstliche Intelligenz für die Qualitätsprüfung",
    "Recycling von Batterien und Rohstoffrückgewinnung",
]
#: A call unanswered for this long counts as "no answer" (status 0 in the report).
TIMEOUT_S = 15
SLOW_REQUEST = (b"POST /api/v1/search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                b"Content-Length: 1000\r\n\r\n{")


def timed(base: str, path: str, body=None, timeout: float = 60) -> tuple[float, int]:
    """(seconds, status); status 0 when no answer came within ``timeout``."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data,
                                 headers={"Content-Type": "application/json"} if data else {})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError:
        status = 0
    return time.perf_counter() - started, status


def measure(base: str, searches: int) -> dict:
    """``/healthz`` 5 times, then ``searches`` searches (a phase gives up after 2 unanswered calls)."""
    health, search = [], []
    for _ in range(5):
        health.append(timed(base, "/healthz", timeout=TIMEOUT_S))
        if sum(status == 0 for _, status in health) >= 2:
            break
    for i in range(searches):
        search.append(timed(base, "/api/v1/search", {"query": QUERIES[i % len(QUERIES)], "limit": 10},
                            timeout=TIMEOUT_S))
        if sum(status == 0 for _, status in search) >= 2:
            break
    return {"healthz_max_s": max(t for t, _ in health),
            "healthz_statuses": sorted({s for _, s in health}),
            "search_p50_s": statistics.median(t for t, _ in search),
            "search_statuses": sorted({s for _, s in search})}


def hold_slow_clients(port: int, clients: int) -> list[socket.socket]:
    held = []
    for _ in range(clients):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(SLOW_REQUEST)
        held.append(s)
    time.sleep(0.5)
    return held


def still_open(held: list[socket.socket]) -> int:
    """How many of the slow connections the server has not closed (yet)."""
    count = 0
    for s in held:
        s.setblocking(False)
        try:
            count += s.recv(1) != b""       # data: an answer came
        except BlockingIOError:
            count += 1                       # nothing to read: still open
        except OSError:
            pass
    return count


def start_server(stack: ExitStack, workers: int) -> str:
    """The demo database in a temporary folder, served until ``stack`` closes; its base URL."""
    from partnerradar.config import DEMO_PROFILES

    tmp = Path(tempfile.mkdtemp(prefix="slow-clients-"))
    db = tmp / "demo.db"
    env = {"PARTNERRADAR_RATE_SEARCH": "1000000 per minute"}
    run_cli("ingest", str(DEMO_PROFILES), db=db, env=env)
    return stack.enter_context(serving(db, workers=workers, log_path=tmp / "server.log", env=env,
                                       startup_timeout_s=180)).base


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--searches", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--base", help="a server already running on loopback (else one is started)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    clients, searches = min(args.clients, 500), min(args.searches, 200)     # bounded on purpose

    stack = ExitStack()
    if args.base:
        host = urllib.parse.urlsplit(args.base).hostname
        if host not in ("127.0.0.1", "localhost", "::1"):
            parser.error("only loopback servers")
        base = args.base.rstrip("/")
    else:
        base = start_server(stack, args.workers)
    port = urllib.parse.urlsplit(base).port
    try:
        timed(base, "/api/v1/search", {"query": QUERIES[0]})        # warm-up
        unloaded = measure(base, searches)
        held = hold_slow_clients(port, clients)
        try:
            loaded = measure(base, searches)
            loaded["slow_clients_still_open"] = still_open(held)
        finally:
            for s in held:
                s.close()
    finally:
        stack.close()
    result = {"clients": clients, "searches": searches, "unloaded": unloaded, "loaded": loaded,
              "search_p50_ratio": loaded["search_p50_s"] / unloaded["search_p50_s"],
              "healthz_within_1s": loaded["healthz_max_s"] <= 1.0 and loaded["healthz_statuses"] == [200]}
    result["search_within_2x"] = result["search_p50_ratio"] <= 2.0 and loaded["search_statuses"] == [200]
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{clients} slow clients, {searches} searches each phase")
        print(f"/healthz max: {unloaded['healthz_max_s'] * 1000:.0f} ms unloaded, "
              f"{loaded['healthz_max_s'] * 1000:.0f} ms loaded (statuses {loaded['healthz_statuses']})")
        print(f"search p50: {unloaded['search_p50_s'] * 1000:.0f} ms unloaded, "
              f"{loaded['search_p50_s'] * 1000:.0f} ms loaded = {result['search_p50_ratio']:.2f} × "
              f"(statuses {loaded['search_statuses']})")
        print(f"slow connections still open after the loaded phase: {loaded['slow_clients_still_open']}")
    return 0 if result["healthz_within_1s"] and result["search_within_2x"] else 1


if __name__ == "__main__":
    sys.exit(main())
