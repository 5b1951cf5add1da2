"""The server-side attacks of issue 12, re-run against a live ``partnerradar serve`` on loopback.

    python -m evaluation.server_attacks [--workers 2] [--source DIR] [--json]

Builds the demo database in a temporary folder, adds an admin, a manager and a member
(with keys) through the CLI, starts ``partnerradar serve --workers N`` on 127.0.0.1 and
runs each attack once, printing a table: attack, requests tried, result. ``--source DIR``
runs the server (and the CLI) from another checkout, e.g. an export of ``main``, so the
same attacks give the "before" column. Bounded: a few hundred requests, a few minutes.
"""
from __future__ import annotations

import argparse
import http.cookiejar
import json
import re
import socket
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from contextlib import ExitStack
from pathlib import Path

from evaluation.live_server import call as live_call
from evaluation.live_server import raw as live_raw
from evaluation.live_server import run_cli, serving

PASSWORD = "angriff-passwort-lang"
TIMEOUT_S = 15
SLOW_REQUEST = (b"POST /api/v1/search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                b"Content-Length: 1000\r\n\r\n{")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def call(base, path, body=None, key=None, method=None, headers=None, raw_body: bytes | None = None,
         opener=None, timeout=TIMEOUT_S):
    """(status, headers, text); status 0 when no answer came within ``timeout``; redirects not followed."""
    try:
        return live_call(base, path, body, key=key, method=method, headers=headers, raw_body=raw_body,
                         opener=opener or urllib.request.build_opener(NoRedirect), timeout=timeout)
    except OSError:
        return 0, {}, ""


def raw(port: int, data: bytes) -> bytes:
    return live_raw(port, data, wait=TIMEOUT_S)


# -- the attacks: each returns (requests tried, result) ------------------------------------

def slow_clients(ctx, clients: int):
    held = []
    try:
        for _ in range(clients):
            s = socket.create_connection(("127.0.0.1", ctx["port"]), timeout=10)
            s.sendall(SLOW_REQUEST)
            held.append(s)
        time.sleep(0.5)
        started = time.perf_counter()
        status, _, _ = call(ctx["base"], "/healthz", timeout=60)
        health = time.perf_counter() - started
        started = time.perf_counter()
        search, _, _ = call(ctx["base"], "/api/v1/search", {"query": "Laserschweißen"}, key=ctx["admin"], timeout=60)
        took = time.perf_counter() - started
    finally:
        for s in held:
            s.close()
    return (clients + 2, f"/healthz {status or 'no answer'} after {health:.2f} s, "
                         f"search {search or 'no answer'} after {took:.2f} s")


def nested_json(ctx):
    depth = 100_000
    status, _, text = call(ctx["base"], "/api/v1/search", raw_body=b"[" * depth + b"]" * depth)
    return 1, f"{status} {_message(text)}"


def surrogate(ctx, what):
    if what == "query":
        status, _, text = call(ctx["base"], "/api/v1/search", raw_body=b'{"query": "Laser\\ud800"}')
    elif what == "profile_id":
        status, _, text = call(ctx["base"], "/api/v1/subscriptions",
                               raw_body=b'{"profile_id": "\\ud800", "email": "a@b.example"}')
    else:
        status, _, text = call(ctx["base"], "/api/v1/profiles/demo-001", key=ctx["admin"], method="PUT",
                               raw_body=b'{"name": "Firma \\ud800 GmbH"}')
    return 1, f"{status} {_message(text)}"


def malformed_chunked(ctx):
    answer = raw(ctx["port"], b"POST /api/v1/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                              b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    status = head.split(b" ", 2)[1].decode() if head else "no answer"
    kind = "JSON" if body.startswith(b"{") else "text"
    return 1, f"{status} ({kind}) {_message(body.decode('utf-8', 'replace'))}"


def newline_in_weiter(ctx):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    _, _, page = call(ctx["base"], "/anmelden", opener=opener)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"email": "manager@angriff.example", "passwort": PASSWORD, "csrf_token": token,
                                   "weiter": "/innoslam\r\nSet-Cookie: x=1"}).encode()
    status, headers, text = call(ctx["base"], "/anmelden", raw_body=form, opener=opener,
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    return 2, f"{status}" + (f" → {headers.get('Location')}" if status == 302 else f" {_message(text)}")


def page_rate(ctx, path, n):
    statuses = [call(ctx["base"], path)[0] for _ in range(n)]
    return n, f"{statuses.count(200)} × 200, {statuses.count(429)} × 429"


def api_rate_across_workers(ctx, n):
    statuses = [call(ctx["base"], "/api/v1/search", {"query": "Laser", "limit": 1}, key=ctx["member"])[0]
                for _ in range(n)]
    return n, f"{statuses.count(200)} × 200, {statuses.count(429)} × 429 (limit 120 per minute)"


def host_header_in_csv(ctx):
    status, _, text = call(ctx["base"], "/innoslam/einladungen.csv?thema=Laserschwei%C3%9Fen",
                           key=ctx["manager"], headers={"Host": "evil.example"})
    links = re.findall(r"https?://[^/;\s]+/profil/", text)
    return 1, f"{status}, links: {sorted(set(links)) or 'none'}"


def token_in_log(ctx):
    marker = "VERRAETERISCHES-TOKEN.abc"
    call(ctx["base"], f"/abo/einstellungen/{marker}")
    call(ctx["base"], f"/api/v1/subscriptions/{marker}")
    time.sleep(0.5)
    found = ctx["log"].read_text(errors="replace").count(marker)
    return 2, f"token in the access log {found} ×"


def security_headers(ctx):
    _, headers, _ = call(ctx["base"], "/")
    names = ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy")
    present = [n for n in names if headers.get(n)]
    return 1, ("all four present" if len(present) == 4 else f"present: {present or 'none'}")


def healthz_count(ctx):
    _, _, text = call(ctx["base"], "/healthz")
    try:
        state = json.loads(text)
    except ValueError:
        return 1, text[:80]
    return 1, f"profiles {state.get('profiles')} (177 in all, 172 listed), passages " \
              f"{'shown' if 'passages' in state else 'hidden'}"


def _message(text: str) -> str:
    try:
        return "„" + json.loads(text)["message"][:70] + "“"
    except (ValueError, KeyError, TypeError):
        return repr(text[:60])


ATTACKS = [
    ("1. 6 slow clients (Content-Length 1000, 1 byte), then /healthz and a search", lambda c: slow_clients(c, 6)),
    ("1. 50 slow clients, then /healthz and a search", lambda c: slow_clients(c, 50)),
    ("10. deeply nested JSON (anonymous)", nested_json),
    ("10. lone surrogate in query", lambda c: surrogate(c, "query")),
    ("10. lone surrogate in profile_id (subscriptions)", lambda c: surrogate(c, "profile_id")),
    ("10. lone surrogate in name (PUT, admin)", lambda c: surrogate(c, "name")),
    ("10. malformed chunked encoding", malformed_chunked),
    ("10. newline in weiter after login", newline_in_weiter),
    ("14. Host: evil.example on the Inno Slam CSV", host_header_in_csv),
    ("15. subscription token in the access log", token_in_log),
    ("17. security headers on /", security_headers),
    ("17. /healthz as anonymous", healthz_count),
    # last: they use up the anonymous client's budget, which the attacks above need
    ("8. search page GET /?q=… (anonymous)", lambda c: page_rate(c, "/?q=Laserschwei%C3%9Fen", 200)),
    ("8. profile page GET /profil/<id> (anonymous)", lambda c: page_rate(c, "/profil/demo-005", 200)),
    ("8. API search with one key, 2 workers", lambda c: api_rate_across_workers(c, 300)),
]


def setup(stack: ExitStack, source: Path | None, workers: int) -> dict:
    """The demo database with an admin, a manager and a member (keys through the CLI), served
    until ``stack`` closes; the attacks' context."""
    from partnerradar.config import DEMO_PROFILES

    tmp = Path(tempfile.mkdtemp(prefix="attacks-"))
    db = tmp / "demo.db"
    env = {"PARTNERRADAR_COOKIE_SECURE": "0", **({"PYTHONPATH": str(source)} if source else {})}
    # As the console script does it, but from ``source`` where one is given.
    cli = [sys.executable, "-c", "import sys; from partnerradar.cli import main; sys.argv[0] = 'partnerradar'; main()"]
    cwd = str(source) if source else None

    def run(*args, stdin=None):
        return run_cli(*args, db=db, env=env, stdin=stdin, command=cli, cwd=cwd)

    run("ingest", str(DEMO_PROFILES))
    keys = {}
    for role, extra in (("admin", []), ("manager", ["--region", "Chemnitz"]),
                        ("member", ["--profile", "demo-001"])):
        email = f"{role}@angriff.example"
        run("user", "add", email, "--role", role, *extra, "--password-stdin", stdin=PASSWORD + "\n")
        keys[role] = run("key", "create", email)
    server = stack.enter_context(serving(db, workers=workers, log_path=tmp / "server.log", env=env, command=cli,
                                         cwd=cwd, startup_timeout_s=180))
    return {"base": server.base, "port": server.port, "log": server.log_path, **keys}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--source", type=Path, help="run the server from this checkout (e.g. main's code)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    rows = []
    with ExitStack() as stack:
        ctx = setup(stack, args.source, args.workers)
        for name, attack in ATTACKS:
            tried, result = attack(ctx)
            rows.append({"attack": name, "requests": tried, "result": result})
            if not args.json:
                print(f"| {name} | {tried} | {result} |", flush=True)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
