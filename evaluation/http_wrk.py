"""HTTP throughput with a real load generator (issue 17): ``wrk`` on one core, the server on the other.

    python -m evaluation.http_wrk --db data/bench/scaled-100000.db [--seconds 30] [--connections 4]

``partnerradar serve`` runs with its default settings (workers = CPU count) pinned with
``taskset`` to the last core, ``wrk`` (Debian package ``wrk``, C, epoll) to the first,
keep-alive connections, POSTing the benchmark's short queries in turn. The search rate
limit is lifted for the run through its documented setting (``PARTNERRADAR_RATE_SEARCH``),
not in code: the benchmark measures the search, not the throttle. The yardstick is
measured in the same run: the embedding time of the same queries in this process, and
the target is 0.8 × (server cores ÷ that time).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from evaluation.bench_common import SHORT_QUERIES, ms, p50, timed

#: High enough that a benchmark never meets it; the limit itself is tested in tests/test_attacks_server.py.
UNTHROTTLED = "100000000 per minute"

LUA = """
local queries = {%s}
local i = 0
request = function()
  i = i + 1
  local body = '{"query": "' .. queries[(i %% #queries) + 1] .. '"}'
  return wrk.format("POST", "/api/v1/search", {["Content-Type"] = "application/json"}, body)
end
local errors = 0
response = function(status, headers, body)
  if status ~= 200 then errors = errors + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("JSON {\\"requests\\": %%d, \\"non200\\": %%d, \\"seconds\\": %%f, " ..
    "\\"p50_ms\\": %%f, \\"p90_ms\\": %%f, \\"p99_ms\\": %%f, \\"socket_errors\\": %%d}\\n",
    summary.requests, summary.errors.status, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def embed_p50_s(queries: list[str], repeats: int = 5) -> float:
    """The yardstick: embedding the short queries alone, one thread, in this process."""
    from index.analyzer import get_analyzer
    from index.embedding import create_embedder
    from partnerradar.config import load_settings

    settings = load_settings()
    encoder = create_embedder(settings.model, settings.threads)
    analyzer = get_analyzer()
    encoder.embed_queries(["Aufwärmen"])
    times = [timed(encoder.embed_queries, analyzer.sentences(q) or [q])[0]
             for _ in range(repeats) for q in queries]
    return p50(times)


def run_wrk(db: Path, seconds: float = 30.0, connections: int = 4, warmup: float = 5.0) -> dict:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk fehlt: 'apt-get install wrk' (Debian-Paket)")
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        raise RuntimeError("wrk und Server brauchen je einen eigenen Kern (mindestens 2)")
    loader_core, server_cores = cores[0], cores[1:]
    port = free_port()
    env = {**os.environ, "PARTNERRADAR_RATE_SEARCH": UNTHROTTLED}
    script = Path(sys.executable).with_name("partnerradar")
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
        lua = Path(tmp) / "search.lua"
        lua.write_text(LUA % ", ".join(json.dumps(q, ensure_ascii=False) for q in SHORT_QUERIES), "utf-8")
        log = open(Path(tmp) / "serve.log", "w")
        server = subprocess.Popen(["taskset", "-c", ",".join(map(str, server_cores)), str(script), "--db", str(db),
                                   "serve", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT,
                                  env=env, start_new_session=True)
        try:
            deadline = time.time() + 900
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).read()
                    break
                except OSError:
                    if server.poll() is not None or time.time() > deadline:
                        log.flush()
                        raise RuntimeError("server did not come up:\n" + (Path(tmp) / "serve.log").read_text()[-2000:])
                    time.sleep(1)
            base = ["taskset", "-c", str(loader_core), wrk, "-t1", f"-c{connections}", "--latency",
                    "-s", str(lua), f"http://127.0.0.1:{port}/"]
            subprocess.run(base[:-1] + ["-d", f"{int(warmup)}s", base[-1]], capture_output=True, text=True, check=True)
            result = subprocess.run(base[:-1] + ["-d", f"{int(seconds)}s", "--timeout", "10s", base[-1]],
                                    capture_output=True, text=True, check=True)
        finally:
            server.terminate()
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, 9)
            log.close()
    line = next(l for l in result.stdout.splitlines() if l.startswith("JSON "))
    figures = json.loads(line[5:])
    figures["requests_per_s"] = round(figures["requests"] / figures["seconds"], 2)
    figures.update(connections=connections, loader_core=loader_core, server_cores=len(server_cores),
                   workers=os.cpu_count(), wrk=subprocess.run([wrk, "-v"], capture_output=True, text=True).stdout.split("\n")[0][:60])
    return figures


def bench_wrk(db: Path, seconds: float = 30.0, connections: int = 4) -> dict:
    embed_before = embed_p50_s(SHORT_QUERIES)
    figures = run_wrk(db, seconds, connections)
    embed_after = embed_p50_s(SHORT_QUERIES)
    embed = statistics.mean([embed_before, embed_after])
    target = 0.8 * figures["server_cores"] / embed
    figures.update(embed_p50_ms=ms(embed), embed_before_ms=ms(embed_before), embed_after_ms=ms(embed_after),
                   target_requests_per_s=round(target, 1),
                   vs_target=round(figures["requests_per_s"] / target, 3),
                   p99_vs_embed=round(figures["p99_ms"] / (1000 * embed), 2))
    return figures


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="HTTP benchmark with wrk (issue 17)")
    parser.add_argument("--db", required=True)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args(argv)
    print(json.dumps(bench_wrk(Path(args.db), args.seconds, args.connections)))


if __name__ == "__main__":
    main()
