"""The attacks of issue 12 on accounts and profiles, each kept as a test named after it.

Each ran against a live server on loopback and worked on the code before this file: a member
took over another firm's profile through a duplicate merge, the login page redirected to
another site, the duplicate check named unlisted profiles, a saved cookie outlived logout,
deleted profiles left rights behind, passwords could be guessed without limit, API keys
outlived a password change, a manager-scoped key kept its admin's creator rights, and
anonymous visitors saw the website (contact data by the README).

Same set-up as tests/test_access.py: profile_klein with one user and key per role (member of
kl-holz, manager of Mittelsachsen, admin); kl-verborgen is unlisted.
"""
from __future__ import annotations

import time

import pytest
from click.testing import CliRunner

from partnerradar.cli import main
from tests.access_helpers import PASSWORD
from tests.test_access import (  # noqa: F401  (fixtures: the writer on both deployments)
    Client, _change_password, _login, _token, access_deployment, access_template, pg_access, pg_access_template,
    writer)

LASER = "Laserfügetechnik Mittweida GmbH"     # kl-laser, a listed firm in Mittelsachsen


def cli(radar, *args):
    return CliRunner().invoke(main, ["--db", str(radar.settings.db_path), *map(str, args)],
                              catch_exceptions=False)


def http_client(client):
    client.app.config["SESSION_COOKIE_SECURE"] = False     # the test client speaks plain HTTP
    return client.app.test_client()


# -- item 2: taking over a profile through a duplicate merge ---------------------------------

def test_member_cannot_take_over_a_profile_through_duplicate_merge(writer, cli_encoder):
    client, radar = writer
    renamed = client("member", "PUT", "/api/v1/profiles/kl-holz", json={"name": LASER})
    assert renamed.status_code == 200

    merged = cli(radar, "duplicates", "--merge")

    assert merged.exit_code == 0, merged.output
    assert "kl-holz" in merged.stdout and "kl-laser" in merged.stdout
    assert "nicht zusammengeführt" in merged.stdout and "verschiedenen Konten" in merged.stdout
    assert "zusammengeführt: kl-" not in merged.stdout
    assert radar.store.get_profile("kl-laser")["name"] == LASER              # the firm is still there
    assert radar.store.get_profile("kl-holz") is not None                    # and so is the member's
    assert app_users(client).user_by_email("holz@test.example").profile_id == "kl-holz"
    laser = client("member", "GET", "/api/v1/profiles/kl-laser")
    assert laser.status_code == 200 and "contact_email" not in laser.get_json()
    assert client("member", "PUT", "/api/v1/profiles/kl-laser", json={"offers": "übernommen"}).status_code == 403
    # the pair is still listed for a person to decide
    assert "kl-holz" in cli(radar, "duplicates").stdout


def test_merge_never_folds_an_unlisted_profile_into_a_listed_one(writer, cli_encoder):
    client, radar = writer
    hidden = radar.store.get_profile("kl-verborgen")
    twin = {"id": "kl-verborgen-2", "name": hidden["name"], "kind": "kmu", "town": "Pirna", "postcode": "01796",
            "description": "Überholung von Zahnradschleifmaschinen, Getriebeprüfständen und Großgetrieben "
                           "aller Hersteller, mit eigener Prüfhalle und Ersatzteillager in Pirna."}
    assert not radar.save([twin]).rejected                                   # listed, no owner

    merged = cli(radar, "duplicates", "--merge")

    assert "nicht zusammengeführt" in merged.stdout and "nur eines ist gelistet" in merged.stdout
    assert radar.store.get_profile("kl-verborgen")["description"] == hidden["description"]
    assert "Zahnradschleifmaschinen und Getriebeprüfstände für Großgetriebe" not in (
        radar.store.get_profile("kl-verborgen-2")["description"])
    assert radar.store.get_profile("kl-verborgen")["listed"] is False


def test_ingest_with_merge_duplicates_reports_refused_pairs_in_german(writer, cli_encoder, tmp_path):
    _, radar = writer
    rows = tmp_path / "twin.csv"
    rows.write_text("id,name,kind,description,town,listed\n"
                    "kl-holz-neu,Holzbau Weißeritztal GmbH,kmu,Zimmerei und Holzrahmenbau für Mehrfamilienhäuser "
                    "in Freital und Umgebung; Vorfertigung von Wandelementen aus heimischer Fichte.,Freital,ja\n",
                    encoding="utf-8")

    result = cli(radar, "ingest", "--merge-duplicates", rows)

    assert result.exit_code == 0, result.output
    assert "Nicht zusammengeführt:" in result.stderr and "verschiedenen Konten" in result.stderr
    assert radar.store.get_profile("kl-holz") and radar.store.get_profile("kl-holz-neu")


# -- item 3: open redirect after login --------------------------------------------------------

@pytest.mark.parametrize("target", ["/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "/\\evil.example",
                                    "\\/evil.example", " //evil.example", "//evil.example", "https://evil.example/",
                                    "/\x00/evil.example", "/\u2028/evil.example"],
                         ids=["tab", "newline", "crlf", "backslash", "leading-backslash", "space", "scheme-relative",
                              "absolute", "nul", "line-separator"])
def test_login_redirect_stays_on_site(writer, target):
    client, _ = writer
    http = http_client(client)
    token = _token(http.get("/anmelden").get_data(as_text=True))

    answer = http.post("/anmelden", data={"email": "chef@test.example", "passwort": PASSWORD,
                                          "csrf_token": token, "weiter": target})

    assert answer.status_code == 302                        # a newline is no 500
    assert answer.headers["Location"] == "/anmelden"


def test_login_redirect_still_returns_to_a_page_of_the_site(writer):
    client, _ = writer
    http = http_client(client)
    token = _token(http.get("/anmelden").get_data(as_text=True))
    answer = http.post("/anmelden", data={"email": "chef@test.example", "passwort": PASSWORD, "csrf_token": token,
                                          "weiter": "/innoslam?thema=Additive%20Fertigung"})
    assert answer.headers["Location"] == "/innoslam?thema=Additive%20Fertigung"


# -- item 4: unlisted profiles through the duplicate check -------------------------------------

def test_duplicate_check_does_not_reveal_unlisted_profiles_to_a_member(writer):
    client, _ = writer
    probe = {"name": "Zahnradüberholung Pirna GmbH"}          # the name of unlisted kl-verborgen

    member = client("member", "PUT", "/api/v1/profiles/kl-holz", json=probe)
    admin = client("admin", "PUT", "/api/v1/profiles/kl-baeck", json=probe)

    assert member.status_code == 200
    assert [d["id"] for d in member.get_json()["duplicates"]] == []
    assert "kl-verborgen" not in member.get_data(as_text=True)
    assert "kl-verborgen" in [d["id"] for d in admin.get_json()["duplicates"]]   # staff may see it


# -- item 5: logout ends the session on the server ---------------------------------------------

def _cookie(http) -> str:
    return http.get_cookie("partnerradar_session").value


def _with_cookie(client, value):
    other = http_client(client)
    other.set_cookie("partnerradar_session", value)
    return other


def test_logout_ends_the_session_also_for_a_saved_cookie(writer):
    client, _ = writer
    http = http_client(client)
    assert _login(http, "holz@test.example", PASSWORD).status_code == 302
    saved = _cookie(http)
    assert _with_cookie(client, saved).get("/api/v1/me").get_json()["role"] == "member"
    token = _token(http.get("/anmelden").get_data(as_text=True))

    assert http.post("/abmelden", data={"csrf_token": token}).status_code == 302

    replayed = _with_cookie(client, saved)
    assert replayed.get("/api/v1/me").get_json()["role"] == "anonymous"
    assert replayed.put("/api/v1/profiles/kl-holz", json={"offers": "nach dem Abmelden"},
                        headers={"X-CSRFToken": token}).status_code in (400, 401)
    assert client.app.extensions["radar"].store.get_profile("kl-holz")["offers"] != "nach dem Abmelden"


def test_a_session_ends_on_the_server_when_its_lifetime_is_over(writer):
    client, radar = writer
    http = http_client(client)
    assert _login(http, "holz@test.example", PASSWORD).status_code == 302
    assert http.get("/api/v1/me").get_json()["role"] == "member"

    # eight hours later: the server's record says the session is over, whatever the cookie says
    radar.store.conn.execute("UPDATE sessions SET expires_at = ?", (time.time() - 1,))

    assert http.get("/api/v1/me").get_json()["role"] == "anonymous"


# -- item 9: deleting a profile leaves no rights behind ----------------------------------------

KALTE = {"id": "kl-kaelte", "name": "Kältetechnik Löbau GmbH", "kind": "kmu", "postcode": "02708", "town": "Löbau",
         "description": "Wir planen Kühlhäuser für Obstbaubetriebe mit Propan als Kältemittel."}


def test_deleted_profile_reimported_gives_its_old_creator_no_rights(writer, cli_encoder):
    client, radar = writer
    assert client("manager", "POST", "/api/v1/profiles", json=KALTE).status_code == 201   # Görlitz: not its region
    assert client("manager", "PUT", "/api/v1/profiles/kl-kaelte", json={"offers": "Kühlhausplanung"}).status_code == 200

    assert cli(radar, "delete", "kl-kaelte").exit_code == 0
    assert radar.store.conn.execute("SELECT count(*) FROM profile_creators WHERE profile_id='kl-kaelte'").fetchone()[0] == 0
    assert not radar.save([KALTE]).rejected                                 # the same id, imported again

    assert client("manager", "PUT", "/api/v1/profiles/kl-kaelte", json={"offers": "übernommen"}).status_code == 403


def test_deleted_profile_reimported_gives_its_old_member_login_no_rights(writer, cli_encoder):
    client, radar = writer
    holz = radar.store.get_profile("kl-holz")
    record = {k: holz[k] for k in ("id", "name", "kind", "description", "offers", "seeks", "postcode", "town")}

    assert cli(radar, "delete", "kl-holz").exit_code == 0
    assert not radar.save([record]).rejected

    assert client("member", "PUT", "/api/v1/profiles/kl-holz", json={"offers": "übernommen"}).status_code == 401
    assert _login(http_client(client), "holz@test.example", PASSWORD).status_code == 401
    assert client("admin", "DELETE", "/api/v1/profiles/kl-holz").status_code == 204    # the API path alike
    assert radar.store.conn.execute("SELECT count(*) FROM users WHERE profile_id='kl-holz'").fetchone()[0] == 0


# -- item 17: lockout, password-change limit, keys on password change, scoped creator rights ----

def _alert(response) -> str:
    import re

    found = re.search(r'<p role="alert">([^<]+)</p>', response.get_data(as_text=True))
    return found.group(1) if found else ""


def test_repeated_failed_logins_lock_the_account_without_telling_which_accounts_exist(writer):
    client, radar = writer
    client.app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"    # the per-IP limit has its own test
    http = http_client(client)
    answers = {}
    for email in ("chef@test.example", "niemand@test.example"):
        codes = [_login(http, email, f"geraten-{i}").status_code for i in range(5)]
        assert codes == [401] * 5
        answers[email] = _login(http, email, PASSWORD)              # now even the right password waits

    known, unknown = answers["chef@test.example"], answers["niemand@test.example"]
    assert known.status_code == unknown.status_code == 429
    assert _alert(known) == _alert(unknown)
    assert _alert(known).startswith("Zu viele fehlgeschlagene Anmeldeversuche für diese E-Mail-Adresse.")
    assert "Minuten" in _alert(known)
    assert _login(http, "holz@test.example", PASSWORD).status_code == 302      # other accounts go on
    # bounded: when the lock is over, the right password works again
    radar.store.conn.execute("UPDATE login_failures SET locked_until = ?", (time.time() - 1,))
    assert _login(http_client(client), "chef@test.example", PASSWORD).status_code == 302


def test_password_change_current_password_check_is_rate_limited(writer):
    client, _ = writer
    client.app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    http = http_client(client)
    assert _login(http, "holz@test.example", PASSWORD).status_code == 302

    codes = [_change_password(http, f"geraten-{i}", "Neues Passwort 2026!").status_code for i in range(4)]

    assert codes == [400, 400, 400, 429]


def test_guessing_the_current_password_on_the_password_page_locks_the_account(writer):
    client, _ = writer
    client.app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    http = http_client(client)
    assert _login(http, "holz@test.example", PASSWORD).status_code == 302
    for i in range(5):
        assert _change_password(http, f"geraten-{i}", "Neues Passwort 2026!").status_code == 400

    right = _change_password(http, PASSWORD, "Neues Passwort 2026!")

    assert right.status_code == 400 and "Zu viele fehlgeschlagene Anmeldeversuche" in right.get_data(as_text=True)
    assert _login(http_client(client), "holz@test.example", "Neues Passwort 2026!").status_code == 429


def test_password_change_revokes_the_api_keys(writer, cli_encoder):
    client, radar = writer
    assert client("member", "GET", "/api/v1/me").get_json()["role"] == "member"
    http = http_client(client)
    assert _login(http, "holz@test.example", PASSWORD).status_code == 302

    changed = _change_password(http, PASSWORD, "Neues Passwort für die Zimmerei 2026")

    assert changed.status_code == 200 and "API-Schlüssel sind widerrufen" in changed.get_data(as_text=True)
    assert client("member", "GET", "/api/v1/me").status_code == 401
    assert http.get("/api/v1/me").get_json()["role"] == "member"          # the session that changed it goes on
    # an administrator's reset from the command line alike
    assert client("manager", "GET", "/api/v1/me").status_code == 200
    reset = CliRunner().invoke(main, ["--db", str(radar.settings.db_path), "user", "password",
                                      "mittelsachsen@test.example", "--password-stdin"], input="Ersatzpasswort-2026\n")
    assert reset.exit_code == 0 and "API-Schlüssel widerrufen" in reset.stderr
    assert client("manager", "GET", "/api/v1/me").status_code == 401


def test_manager_scoped_key_of_an_admin_has_no_admin_creator_rights(writer):
    client, radar = writer
    users = app_users(client)
    boss = users.add_user("leitung@test.example", PASSWORD, "admin")
    _, admin_key = users.create_key(boss)
    _, scoped_key = users.create_key(boss, role="manager", label="Importskript")
    as_admin = {"Authorization": f"Bearer {admin_key}"}
    as_scoped = {"Authorization": f"Bearer {scoped_key}"}
    assert client.http.post("/api/v1/profiles", json=KALTE, headers=as_admin).status_code == 201

    scoped = client.http.put("/api/v1/profiles/kl-kaelte", json={"offers": "mit Admin-Rechten"}, headers=as_scoped)

    assert scoped.status_code == 403
    assert client.http.get("/api/v1/me", headers=as_scoped).get_json()["role"] == "manager"
    # what the scoped key created itself, as a manager, it may change
    own = {**KALTE, "id": "kl-kaelte-2", "name": "Kältetechnik Zittau GmbH", "postcode": "02763", "town": "Zittau"}
    assert client.http.post("/api/v1/profiles", json=own, headers=as_scoped).status_code == 201
    assert client.http.put("/api/v1/profiles/kl-kaelte-2", json={"offers": "Kühlhäuser"},
                           headers=as_scoped).status_code == 200


def test_website_is_contact_data_as_the_readme_says(writer):
    client, _ = writer
    website = "https://laserfuegetechnik.example"
    for role in ("anonymous", "member"):
        assert "website" not in client(role, "GET", "/api/v1/profiles/kl-laser").get_json()
        assert website not in client(role, "GET", "/api/v1/profiles?limit=100").get_data(as_text=True)
        assert website not in client(role, "GET", "/profil/kl-laser").get_data(as_text=True)
    assert client("member", "GET", "/api/v1/profiles/kl-holz").get_json()["website"]   # its own profile
    for role in ("manager", "admin"):
        assert client(role, "GET", "/api/v1/profiles/kl-laser").get_json()["website"] == website
        assert website in client(role, "GET", "/profil/kl-laser").get_data(as_text=True)


def app_users(client):
    return client.app.extensions["users"]
