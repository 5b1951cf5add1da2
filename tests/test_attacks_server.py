"""Attacks from outside on the server and the app (issue 12), each kept as a test.

Where the attack needs a real server (slow clients, raw HTTP, several worker
processes, the access log) it runs against ``partnerradar serve --workers 2`` on
loopback; the rest goes through Flask's test client.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import socket
import time
from pathlib import Path

import pytest

from api import create_app
from evaluation.live_server import call as live_call
from evaluation.live_server import raw, serving
from tests.access_helpers import PASSWORD, api_key, as_bearer
from tests.conftest import copy_on, radar_on

#: Budget of the live server: small, so the test that exhausts it needs few requests.
LIVE_SEARCH_LIMIT = 5
SEARCH = {"query": "Laserstrahlschweißen von Aluminium", "limit": 3}


def call(base, path, body=None, key=None, headers=None, timeout=30):
    return live_call(base, path, body, key=key, headers=headers, timeout=timeout)


def status_and_json(answer: bytes) -> tuple[int, dict]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(body.decode("utf-8"))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def live(request, tmp_path_factory, small_template):
    """``partnerradar serve --workers 2`` on loopback, on SQLite + FAISS and on PostgreSQL (where
    the rate limits count in the database): (base, port, log path, admin key, process)."""
    from partnerradar.config import Settings
    from partnerradar.radar import open_store

    tmp_path = tmp_path_factory.mktemp("attacks")
    db = tmp_path / "live.db"
    url = copy_on(request.param, request, small_template, "pg_small_template", db)
    store = open_store(Settings(db_path=db, database_url=url))
    key = api_key(store, "admin")
    store.close()
    env = {"PARTNERRADAR_RATE_SEARCH": f"{LIVE_SEARCH_LIMIT} per minute"}
    if url:
        env["PARTNERRADAR_DATABASE_URL"] = url
    with serving(db, workers=2, log_path=tmp_path / "server.log", env=env) as server:
        yield server.base, server.port, server.log_path, key, server.process


def worker_pids(parent: int) -> set[int]:
    children = Path(f"/proc/{parent}/task/{parent}/children")
    return {int(p) for p in children.read_text().split()} if children.exists() else set()


# -- 1. slow clients ---------------------------------------------------------------------

def test_slow_clients_do_not_starve_healthz_or_search(live):
    """50 clients send headers with Content-Length: 1000, then one byte, and wait."""
    base, port, _, key, _ = live
    slow = []
    try:
        for _ in range(50):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(b"POST /api/v1/search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 1000\r\n\r\n{")
            slow.append(s)
        time.sleep(0.5)
        # gunicorn's 2 workers x 2 threads sat in those bodies: nothing was answered for 40 s
        status, _, text = call(base, "/healthz", timeout=15)
        assert status == 200 and json.loads(text)["ok"] is True
        status, _, text = call(base, "/api/v1/search", SEARCH, key=key, timeout=15)
        assert status == 200 and json.loads(text)["results"]
    finally:
        for s in slow:
            s.close()


@pytest.mark.parametrize("live", ["sqlite"], indirect=True)   # 30 s of waitress's read timeout; no store in it
def test_a_trickling_client_is_cut_off_after_the_read_timeout(live):
    """One byte every 2 s is never idle; the request as a whole must still arrive in time."""
    from api.server import REQUEST_READ_TIMEOUT_S
    _, port, _, _, _ = live
    started = time.monotonic()
    give_up = started + REQUEST_READ_TIMEOUT_S + 15
    closed = False
    with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
        s.sendall(b"POST /api/v1/search HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
        while not closed and time.monotonic() < give_up:
            try:
                s.sendall(b" ")
                s.settimeout(2)
                closed = s.recv(1024) == b""
            except socket.timeout:
                continue
            except OSError:                    # reset or broken pipe: closed as well
                closed = True
    assert closed, f"still connected after {time.monotonic() - started:.0f} s"


def test_a_killed_worker_is_replaced(live):
    base, _, _, _, proc = live
    before = worker_pids(proc.pid)
    assert len(before) == 2
    os.kill(sorted(before)[0], signal.SIGKILL)
    deadline = time.monotonic() + 60
    while len(worker_pids(proc.pid) - before) < 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    after = worker_pids(proc.pid)
    assert len(after) == 2 and sorted(before)[0] not in after
    assert all(call(base, "/healthz")[0] == 200 for _ in range(6))


# -- 10. malformed HTTP gets a German JSON 4xx, from the server itself --------------------

def test_malformed_chunked_encoding_is_a_german_400(live):
    _, port, _, _, _ = live
    answer = raw(port, b"POST /api/v1/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n")
    status, body = status_and_json(answer)
    assert status == 400 and "Chunked" in body["message"]
    assert b"X-Frame-Options: DENY" in answer


def test_oversized_request_line_and_headers_are_refused_in_german(live):
    _, port, _, _, _ = live
    status, body = status_and_json(raw(port, b"GET /?q=" + b"a" * 20_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"))
    assert status == 414 and "Anfragezeile ist zu lang" in body["message"]
    status, body = status_and_json(raw(port, b"GET / HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 40_000 + b"\r\n\r\n"))
    assert status == 431 and "Kopfzeilen" in body["message"]
    status, body = status_and_json(raw(port, b"POST /api/v1/search HTTP/1.1\r\nHost: x\r\n"
                                             b"Content-Length: 5000000\r\n\r\n"))
    assert status == 413 and "zu groß" in body["message"]


# -- 8. one rate limit for all workers ---------------------------------------------------

def test_rate_limit_holds_across_two_worker_processes(live):
    """Each request on its own connection: the two workers take turns, the budget is one."""
    base, _, log_path, _, _ = live
    log_before = len(log_path.read_text())
    statuses = [call(base, "/api/v1/search", SEARCH)[0] for _ in range(3 * LIVE_SEARCH_LIMIT)]
    assert statuses == [200] * LIVE_SEARCH_LIMIT + [429] * (2 * LIVE_SEARCH_LIMIT)
    # ... and the search page draws on the same budget
    status, headers, text = call(base, "/?q=Schwei%C3%9Fen")
    assert status == 429 and "Zu viele Anfragen" in text and headers["Content-Type"].startswith("text/html")
    served_by = set(re.findall(r"\[(\d+)\] 127\.0\.0\.1 \"POST /api/v1/search", log_path.read_text()[log_before:]))
    assert len(served_by) == 2, "both workers answered searches"


# -- 15. tokens stay out of the access log -----------------------------------------------

def test_subscription_tokens_are_not_written_to_the_access_log(live):
    base, _, log_path, _, _ = live
    token = "Zm9ybWVyLXRva2VuLW1hcmtlcg.abc123-geheim"
    for path in (f"/abo/einstellungen/{token}", f"/abo/abmelden/{token}", f"/abo/bestaetigen/{token}",
                 f"/api/v1/subscriptions/{token}", f"/api/v1/subscriptions/{token}/confirm"):
        call(base, path)
    time.sleep(0.3)
    text = log_path.read_text()
    assert "geheim" not in text and "Zm9ybWVy" not in text
    assert '"GET /abo/einstellungen/… HTTP/1.1" 403' in text or '"GET /abo/einstellungen/… HTTP/1.1" 400' in text


# -- app-level attacks (test client) -----------------------------------------------------

@pytest.fixture
def app(deployment, request, small_template, tmp_path, encoder):
    """On SQLite + FAISS and on PostgreSQL."""
    radar = radar_on(deployment, request, small_template, "pg_small_template", tmp_path / "attacks.db", encoder)
    app = create_app(radar.settings, radar=radar)
    app.config["SESSION_COOKIE_SECURE"] = False
    app.config["BASE_URL"] = "https://partnerradar.example"
    return app


@pytest.mark.parametrize("path", ["/api/v1/search", "/api/v1/profiles", "/api/v1/subscriptions",
                                  "/api/v1/innoslam/audience"])
def test_deeply_nested_json_is_a_400_not_a_500(app, path):
    client = app.test_client()          # anonymous
    for depth in (40, 100_000):
        response = client.post(path, data="[" * depth + "]" * depth, content_type="application/json")
        assert response.status_code in (400, 401), (depth, response.status_code)
        if response.status_code == 400:
            assert "verschachtelt" in response.get_json()["message"]


def test_lone_surrogate_in_query_profile_id_or_name_is_a_400(app):
    admin = as_bearer(app.test_client(), api_key(app.extensions["radar"], "admin"))
    answers = {
        "query": admin.post("/api/v1/search", data='{"query": "Laser\\ud800"}', content_type="application/json"),
        "profile_id": app.test_client().post("/api/v1/subscriptions", content_type="application/json",
                                             data='{"profile_id": "\\ud800", "email": "a@b.example"}'),
        "name": admin.put("/api/v1/profiles/kl-laser", data='{"name": "Laser \\udc80 GmbH"}',
                          content_type="application/json"),
        "topic": admin.post("/api/v1/innoslam/audience", data='{"topic": "\\ud800"}',
                            content_type="application/json"),
    }
    for what, response in answers.items():
        assert response.status_code == 400, (what, response.status_code)
        assert "Surrogat" in response.get_json()["message"], what
    assert app.extensions["radar"].store.get_profile("kl-laser")["name"] == "Laserfügetechnik Mittweida GmbH"


def test_newline_in_weiter_after_login_is_no_500(app):
    from store.users import Users
    Users(app.extensions["radar"].store).add_user("planer@test.example", PASSWORD, "manager", region=("Zwickau",))
    http = app.test_client()
    page = http.get("/anmelden?weiter=/innoslam%0d%0aSet-Cookie:%20x=1").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = http.post("/anmelden", data={"email": "planer@test.example", "passwort": PASSWORD,
                                            "csrf_token": token, "weiter": "/innoslam\r\nSet-Cookie: x=1"})
    assert response.status_code == 302
    assert "\n" not in response.headers["Location"] and "x=1" not in response.headers.get("Set-Cookie", "")


def test_invitation_csv_links_come_from_base_url_not_the_host_header(app):
    manager = as_bearer(app.test_client(), api_key(app.extensions["radar"], "manager"))
    response = manager.get("/innoslam/einladungen.csv?thema=Laserstrahlschwei%C3%9Fen",
                           headers={"Host": "evil.example"})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert rows and "evil.example" not in response.get_data(as_text=True)
    assert all(row["Profil"].startswith("https://partnerradar.example/profil/") for row in rows)


def test_search_page_and_api_share_one_budget(app):
    app.config["SEARCH_RATE_LIMIT"] = "3 per minute"
    client = app.test_client()
    assert client.get("/").status_code == 200                    # the empty form costs nothing
    assert client.post("/api/v1/search", json=SEARCH).status_code == 200
    assert client.get("/?q=Laser").status_code == 200
    assert client.get("/api/v1/profiles/kl-laser/partners").status_code == 200
    page = client.get("/?q=Laser")
    assert page.status_code == 429 and "Zu viele Anfragen (höchstens 3 pro Minute)" in page.get_data(as_text=True)
    assert client.post("/api/v1/search", json=SEARCH).status_code == 429


def test_profile_pages_are_rate_limited(app):
    app.config["PROFILE_RATE_LIMIT"] = "4 per minute"
    client = app.test_client()
    assert [client.get("/profil/kl-laser").status_code for _ in range(5)] == [200] * 4 + [429]


def test_every_response_carries_the_security_headers(app):
    client = app.test_client()
    for path in ("/", "/?q=Laser", "/profil/kl-laser", "/profil/gibt-es-nicht", "/healthz",
                 "/api/v1/profiles", "/api/v1/gibt-es-nicht", "/static/style.css", "/anmelden",
                 "/abo/einstellungen/falsch"):
        headers = client.get(path).headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], path
        assert "script-src" not in headers["Content-Security-Policy"] and "default-src 'none'" in \
            headers["Content-Security-Policy"], path
        assert headers["X-Frame-Options"] == "DENY", path
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["Referrer-Policy"] in ("same-origin", "no-referrer"), path


def test_healthz_does_not_count_unlisted_profiles_for_anonymous(app):
    state = app.test_client().get("/healthz").get_json()
    assert state["ok"] is True and state["profiles"] == 11          # kl-verborgen is unlisted
    assert "passages" not in state and "generation" not in state
    staff = as_bearer(app.test_client(), api_key(app.extensions["radar"], "manager")).get("/healthz").get_json()
    assert staff["profiles"] == 12
