"""Two servers on one PostgreSQL share everything a user notices, not only the profiles.

Each server has a working folder of its own (``Radar`` + Flask app, as two ``partnerradar
serve`` behind a load balancer): a login, an API key and its revoke, an introduction, the
search rate limit and the deletion of a profile made through one hold through the other
at once (store/pgsql.py, ``PgStore``, api/ratelimit_storage.py ``PostgresStorage``).
The real throw-away cluster of the ``postgres`` fixture; nothing is skipped.
"""
from __future__ import annotations

import pytest

from api.app import create_app
from tests.access_helpers import PASSWORD, api_key
from tests.conftest import make_radar
from tests.test_access import _login, _token

MESSAGE = "Wir suchen einen Partner für Holz-Aluminium-Verbindungen im Fassadenbau."


class Server:
    """One server: its own working folder, its own app, one test client (cookie jar)."""

    def __init__(self, folder, encoder, url):
        self.radar = make_radar(folder / "p.db", encoder, url)
        self.app = create_app(self.radar.settings, radar=self.radar)
        self.app.config["SESSION_COOKIE_SECURE"] = False     # the test client speaks plain HTTP
        self.http = self.app.test_client()

    def call(self, method, url, key=None, **kwargs):
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return self.http.open(url, method=method, headers=headers, **kwargs)


@pytest.fixture
def servers(tmp_path, encoder, postgres, pg_small_template):
    """Two servers on one fresh copy of profile_klein in PostgreSQL."""
    url = postgres.create_database(template=pg_small_template)
    pair = [Server(tmp_path / name, encoder, url) for name in ("eins", "zwei")]
    yield pair
    for server in pair:
        server.radar.store.close()
    postgres.drop_database(url)


def test_a_login_through_one_server_holds_on_the_other_and_a_logout_there_ends_it(servers):
    first, second = servers
    api_key(first.radar, "manager", "mittelsachsen@test.example")
    assert _login(first.http, "mittelsachsen@test.example", PASSWORD).status_code == 302
    cookie = first.http.get_cookie("partnerradar_session").value
    second.http.set_cookie("partnerradar_session", cookie)
    assert second.call("GET", "/api/v1/me").get_json()["role"] == "manager"
    assert "contact_email" in second.call("GET", "/api/v1/profiles/kl-laser").get_json()

    token = _token(second.call("GET", "/anmelden").get_data(as_text=True))
    assert second.call("POST", "/abmelden", data={"csrf_token": token}).status_code == 302
    assert first.call("GET", "/api/v1/me").get_json()["role"] == "anonymous"     # ended on the server


def test_an_api_key_made_on_one_server_works_on_the_other_until_revoked_on_either(servers):
    from store.users import Users

    first, second = servers
    key = api_key(first.radar, "admin", "chef@test.example")
    assert second.call("GET", "/api/v1/me", key=key).get_json()["role"] == "admin"
    edited = first.call("PUT", "/api/v1/profiles/kl-laser", key=key, json={"offers": "Laserhybridschweißen"})
    assert edited.status_code == 200, edited.get_data(as_text=True)
    entries = second.call("GET", "/api/v1/audit", key=key).get_json()["entries"]     # written with the edit
    assert [e["actor"].split(" ")[0] for e in entries if e["target"] == "kl-laser"] == ["chef@test.example"]
    assert second.radar.store.get_profile("kl-laser")["offers"] == "Laserhybridschweißen"

    key_id = key.split("_")[1]
    assert Users(second.radar.store).revoke_key(key_id)
    for server in servers:
        assert server.call("GET", "/api/v1/me", key=key).status_code == 401


def test_an_introduction_recorded_through_one_server_is_listed_through_the_other(servers):
    first, second = servers
    asked = first.call("POST", "/api/v1/introductions", key=api_key(first.radar, "admin", "eins@test.example"),
                       json={"seeker_id": "kl-holz", "partner_id": "kl-laser", "message": MESSAGE})
    assert asked.status_code == 201, asked.get_data(as_text=True)
    other_key = api_key(second.radar, "admin", "zwei@test.example")
    listed = second.call("GET", "/api/v1/introductions", key=other_key).get_json()["introductions"]
    assert [(i["id"], i["seeker"]["id"], i["partner"]["id"]) for i in listed] == [
        (asked.get_json()["id"], "kl-holz", "kl-laser")]
    # … and moved on there, seen here: one state, not one per server
    moved = second.call("POST", f"/api/v1/introductions/{asked.get_json()['id']}/state", key=other_key,
                        json={"state": "declined", "note": "passt nicht"})
    assert moved.status_code == 200, moved.get_data(as_text=True)
    assert first.call("GET", f"/api/v1/introductions/{asked.get_json()['id']}",
                      key=other_key).get_json()["state"] == "declined"


def test_the_search_rate_limit_is_one_budget_for_both_servers(servers):
    for server in servers:
        server.app.config["SEARCH_RATE_LIMIT"] = "3 per minute"
    first, second = servers
    body = {"query": "Laserstrahlschweißen von Aluminium", "limit": 3}
    statuses = [first.call("POST", "/api/v1/search", json=body).status_code,
                second.call("POST", "/api/v1/search", json=body).status_code,
                first.call("POST", "/api/v1/search", json=body).status_code,
                second.call("POST", "/api/v1/search", json=body).status_code]
    assert statuses == [200, 200, 200, 429]
    assert first.call("POST", "/api/v1/search", json=body).status_code == 429


def test_deleting_a_profile_through_one_server_removes_its_data_for_the_other_at_once(servers):
    from digest.subscriptions import Preferences, SubscriptionStore
    from listings.service import Listings
    from store.listings import ListingStore

    first, second = servers
    admin = api_key(second.radar, "admin", "chef@test.example")
    member = api_key(second.radar, "member", "holz@test.example", profile_id="kl-holz")
    subscriptions = SubscriptionStore(second.radar.store)
    subscriptions.register("kl-holz", "einkauf@holz-weisseritz.example", Preferences())
    intro = second.call("POST", "/api/v1/introductions", key=admin,
                        json={"seeker_id": "kl-holz", "partner_id": "kl-laser", "message": MESSAGE}).get_json()
    assert second.call("GET", "/api/v1/me", key=member).get_json()["role"] == "member"
    assert subscriptions.of_profile("kl-holz")
    Listings(first.radar).create({"id": "holz-abwaerme", "profile_id": "kl-holz", "type": "heat_offer",
                                  "title": "Abwärme aus der Holztrockenkammer", "temperature_c": 60, "power_kw": 80,
                                  "text": "Unsere Trockenkammer gibt ganzjährig warme Abluft ab, die wir Nachbarn "
                                          "für Heizung anbieten."})
    assert ListingStore(second.radar.store).get("holz-abwaerme")["profile_id"] == "kl-holz"

    assert first.radar.delete(["kl-holz"]) == 1
    assert subscriptions.of_profile("kl-holz") == []
    assert second.call("GET", f"/api/v1/introductions/{intro['id']}", key=admin).status_code == 404
    assert second.call("GET", "/api/v1/introductions", key=admin).get_json()["introductions"] == []
    assert second.call("GET", "/api/v1/me", key=member).status_code == 401     # its member login went too
    assert second.call("GET", "/api/v1/profiles/kl-holz", key=admin).status_code == 404
    assert ListingStore(second.radar.store).get("holz-abwaerme") is None


def test_two_serve_processes_share_a_key_its_revoke_and_one_search_budget(tmp_path, postgres, pg_small_template):
    """Two real ``partnerradar serve`` processes (two workers each) with working folders of
    their own: a key made for the first works on the second, a revoke ends it on both, and
    the search limit counts every worker of both servers against one budget."""
    from contextlib import ExitStack

    from evaluation.live_server import serving
    from store.postgres import PgStore
    from store.users import Users
    from tests.test_server import request

    url = postgres.create_database(template=pg_small_template)
    folders = [tmp_path / "server-eins", tmp_path / "server-zwei"]
    for folder in folders:
        folder.mkdir()
    store = PgStore(folders[0] / "p.db", url)
    key = api_key(store, "admin")
    body = {"query": "Laserstrahlschweißen von Aluminium", "limit": 3}
    with ExitStack() as running:
        bases = [running.enter_context(serving(folder / "p.db", workers=2, log_path=folder / "server.log",
                                               env={"PARTNERRADAR_DATABASE_URL": url,
                                                    "PARTNERRADAR_RATE_SEARCH": "6 per minute"})).base
                 for folder in folders]
        for base in bases:
            status, _, text = request(base, "/api/v1/me", key=key)
            assert status == 200 and '"admin"' in text
        statuses = [request(bases[i % 2], "/api/v1/search", body)[0] for i in range(7)]
        assert statuses == [200] * 6 + [429]
        assert request(bases[0], "/api/v1/search", body)[0] == 429

        assert Users(store).revoke_key(key.split("_")[1])
        assert [request(base, "/api/v1/me", key=key)[0] for base in bases] == [401, 401]
    store.close()
    postgres.drop_database(url)
