"""The HTTP API through Flask's test client, on real databases."""
from __future__ import annotations


import pytest

from api import create_app
from tests.access_helpers import api_key, as_bearer
from tests.both_deployments import demo_accounts, demo_radar, small_radar  # noqa: F401  (every test on both)
from tests.conftest import CONTACT_MARKERS, DEMO_QUERY, ids_of

HIT_KEYS = {"id", "name", "kind", "town", "landkreis", "distance_km", "score", "supported", "explanation"}
CONTACT_KEYS = {"contact_email", "contact_name", "street"}


@pytest.fixture(scope="module")
def demo_client(demo_radar):
    return create_app(demo_radar.settings, radar=demo_radar).test_client()


@pytest.fixture
def client(small_radar):
    """An administrator's client: these tests write (tests/test_access.py covers the other roles)."""
    app = create_app(small_radar.settings, radar=small_radar)
    return as_bearer(app.test_client(), api_key(small_radar, "admin"))


@pytest.fixture
def anonymous(small_radar):
    return create_app(small_radar.settings, radar=small_radar).test_client()


def search(client, **body):
    response = client.post("/api/v1/search", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["results"]


NEW_PROFILE = {
    "name": "Kältemaschinenbau Weißwasser GmbH", "kind": "kmu",
    "description": "Wir bauen Großwärmepumpen und Kältemaschinen mit natürlichen Kältemitteln "
                   "für Molkereien und Brauereien in der Oberlausitz.",
    "offers": "Großwärmepumpen; Abwärmenutzung in Brauereien",
    "seeks": "Forschungspartner für Propan-Kältekreisläufe",
    "keywords": "Wärmepumpe; Kältetechnik; Abwärmenutzung",
    "street": "Verschwiegenheitsgäßchen 99", "postcode": "02826", "town": "Görlitz",
    "contact_name": "Jördis Geheimnißträger-Neu", "contact_email": "neu@kontakt-geheim.example",
    "listed": True,
}
NEW_QUERY = "Großwärmepumpen mit natürlichen Kältemitteln für Brauereien"


# -- search --------------------------------------------------------------------------

def test_search_answers_with_the_json_contract(demo_client, demo_radar):
    response = demo_client.post("/api/v1/search", json={
        "query": DEMO_QUERY, "near": "Chemnitz", "radius_km": 30})

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"results"}
    results = body["results"]
    assert len(results) == 10
    for hit in results:
        assert set(hit) == HIT_KEYS
        assert isinstance(hit["id"], str) and isinstance(hit["name"], str)
        assert hit["kind"] in ("kmu", "research", "startup", "other")
        assert isinstance(hit["score"], int) and 0 <= hit["score"] <= 100
        assert isinstance(hit["distance_km"], (int, float)) and hit["distance_km"] <= 30
        assert hit["explanation"]["best_sentence"] and hit["explanation"]["reasons"]
    # the body is UTF-8 with umlauts as they are, not \u escapes
    raw = response.get_data()
    assert "ü".encode() in raw or "ä".encode() in raw or "ö".encode() in raw
    # the same answer the Python API gives
    from tests.conftest import search as radar_search
    assert ids_of(results) == ids_of(radar_search(demo_radar, query=DEMO_QUERY, near="Chemnitz", radius_km=30))


def test_search_with_filters_over_http(demo_client):
    results = search(demo_client, query="Laserstrahlschweißen von Aluminium im Leichtbau",
                     kinds=["research"], landkreis="Chemnitz", limit=5)
    assert results and {(h["kind"], h["landkreis"]) for h in results} == {("research", "Chemnitz")}


@pytest.mark.parametrize("kwargs, status, message", [
    ({"data": "Wer kann helfen?", "content_type": "text/plain"}, 400, "JSON"),
    ({"data": "{\"query\": \"Schweißen\"", "content_type": "application/json"}, 400, "JSON"),
    ({"json": ["Schweißen"]}, 400, "Der Inhalt muss ein JSON-Objekt sein"),
    ({"json": {"query": "Schweißen", "sortierung": "Größe"}}, 400, "Unbekannte(s) Feld(er): sortierung (erlaubt: query, kinds,"),
    ({"json": {"query": "Schweißen", "limit": 0}}, 400, "limit muss eine ganze Zahl zwischen 1 und 100 sein"),
    ({"json": {"query": "Schweißen", "limit": 101}}, 400, "limit muss eine ganze Zahl zwischen 1 und 100 sein"),
    ({"json": {"query": "Schweißen", "limit": "zehn"}}, 400, "limit muss eine ganze Zahl"),
    ({"json": {"query": "Schweißen", "radius_km": 30}}, 400, "radius_km braucht near"),
    ({"json": {"query": "Schweißen", "near": "Chemnitz", "radius_km": -5}}, 400, "radius_km muss eine Zahl zwischen 0 und 1000 sein"),
    ({"json": {"query": "Schweißen", "kinds": ["handwerk"]}}, 400, "Unbekannte Art(en) handwerk (erlaubt: kmu, research, startup, other)"),
    ({"json": {"query": "Schweißen" * 300}}, 400, "query ist zu lang (2700 Zeichen, höchstens 2000)"),
    ({"json": {"query": "   "}}, 400, "query ist leer"),
    ({"json": {"query": 42}}, 400, "query muss ein Text sein"),
    ({"json": {"query": "Schweißen", "near": "Großkleinhausen am Meer"}}, 400, "Unbekannter Ort „Großkleinhausen am Meer“"),
    ({"json": {"query": "Schweißen", "landkreis": "Oberbayern"}}, 400, "Unbekannter Landkreis „Oberbayern“"),
    ({"json": {"query": "Schweißen", "include_unlisted": True}}, 400, "Unbekannte(s) Feld(er): include_unlisted"),
    ({"json": {"query": "Schweißen", "seeker": "gibt-es-nicht"}}, 404, "Profil „gibt-es-nicht“ nicht gefunden"),
])
def test_bad_search_requests_get_a_clear_message(demo_client, kwargs, status, message):
    response = demo_client.post("/api/v1/search", **kwargs)
    assert response.status_code == status
    body = response.get_json()
    assert body["error"] in ("bad_request", "not_found")
    assert message in body["message"]


def test_partners_of_a_profile(demo_client):
    response = demo_client.get("/api/v1/profiles/demo-005/partners?limit=7&kind=kmu&near=Chemnitz")
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert len(results) == 7
    assert "demo-005" not in ids_of(results)
    assert all(set(h) == HIT_KEYS and h["kind"] == "kmu" and h["distance_km"] is not None for h in results)


@pytest.mark.parametrize("url, status, message", [
    ("/api/v1/profiles/gibt-es-nicht/partners", 404, "Profil „gibt-es-nicht“ nicht gefunden"),
    ("/api/v1/profiles/demo-005/partners?limit=viele", 400, "limit muss eine Zahl sein"),
    ("/api/v1/profiles/demo-005/partners?radius_km=20", 400, "radius_km braucht near"),
    ("/api/v1/profiles/demo-005/partners?kind=Bäckerei", 400, "Unbekannte Art(en) Bäckerei"),
])
def test_partners_errors(demo_client, url, status, message):
    response = demo_client.get(url)
    assert response.status_code == status
    assert message in response.get_json()["message"]


def test_known_partners_over_http(client, small_radar):
    small_radar.add_cooperations([("kl-laser", "kl-schweissforschung", "p1", "Nahtüberwachung", "test")])
    hidden = client.get("/api/v1/profiles/kl-laser/partners?limit=20").get_json()["results"]
    shown = client.get("/api/v1/profiles/kl-laser/partners?limit=20&include_known=ja").get_json()["results"]
    assert "kl-schweissforschung" not in ids_of(hidden)
    assert "kl-schweissforschung" in ids_of(shown)


def test_include_known_given_as_a_string_is_not_read_as_yes(client, small_radar):
    small_radar.add_cooperations([("kl-laser", "kl-schweissforschung", "p1", "Nahtüberwachung", "test")])
    response = client.post("/api/v1/search", json={
        "query": "Laserstrahlschweißen von Aluminium", "seeker": "kl-laser", "include_known": "nein"})
    # a string is not a yes: it is refused rather than read as true
    assert response.status_code == 400
    assert "include_known" in response.get_json()["message"]


# -- profiles ------------------------------------------------------------------------

def test_profiles_are_listed_in_pages(demo_client):
    first = demo_client.get("/api/v1/profiles?limit=50").get_json()
    assert (first["total"], first["limit"], first["offset"]) == (172, 50, 0)   # 177 minus 5 unlisted
    pages = [first["profiles"]]
    for offset in (50, 100, 150):
        page = demo_client.get(f"/api/v1/profiles?limit=50&offset={offset}").get_json()
        assert page["total"] == 172 and page["offset"] == offset
        pages.append(page["profiles"])
    assert [len(p) for p in pages] == [50, 50, 50, 22]
    ids = [p["id"] for page in pages for p in page]
    assert len(set(ids)) == 172
    names = [p["name"] for page in pages for p in page]
    assert names == sorted(names)
    assert all(p["listed"] is True for page in pages for p in page)
    assert demo_client.get("/api/v1/profiles").get_json()["limit"] == 20


def test_profiles_filtered_by_kind_landkreis_town_and_name(demo_client):
    research = demo_client.get("/api/v1/profiles?kind=research&limit=100").get_json()
    assert research["total"] == len(research["profiles"]) == 43
    assert {p["kind"] for p in research["profiles"]} == {"research"}

    erz = demo_client.get("/api/v1/profiles?landkreis=erzgebirgskreis&limit=100").get_json()
    assert erz["total"] == 10 and {p["landkreis"] for p in erz["profiles"]} == {"Erzgebirgskreis"}

    goerlitz = demo_client.get("/api/v1/profiles?town=Görlitz").get_json()
    assert goerlitz["total"] >= 1 and {p["town"] for p in goerlitz["profiles"]} == {"Görlitz"}

    named = demo_client.get("/api/v1/profiles?q=Laserstrahlfügen").get_json()
    assert named["total"] == 2
    assert all("Laserstrahlfügen" in p["name"] for p in named["profiles"])


@pytest.mark.parametrize("query, message", [
    ("limit=0", "limit muss zwischen 1 und 100 liegen"), ("limit=500", "limit muss zwischen 1 und 100 liegen"),
    ("offset=-1", "offset muss zwischen 0 und"), ("limit=zwanzig", "limit muss eine ganze Zahl sein"),
    ("kind=bäckerei", "Unbekannte Art „bäckerei“ (erlaubt: kmu, research, startup, other)"),
    ("landkreis=Oberbayern", "Unbekannter Landkreis „Oberbayern“ (erlaubt: Dresden, Leipzig, Chemnitz,"),
])
def test_bad_profile_list_requests(demo_client, query, message):
    response = demo_client.get(f"/api/v1/profiles?{query}")
    assert response.status_code == 400
    assert message in response.get_json()["message"]


def test_create_profile_then_find_it(client, small_radar):
    response = client.post("/api/v1/profiles", json={**NEW_PROFILE, "id": "neu-kaelte"})

    assert response.status_code == 201
    assert response.headers["Location"].endswith("/api/v1/profiles/neu-kaelte")
    body = response.get_json()
    assert body["id"] == "neu-kaelte" and body["name"] == NEW_PROFILE["name"]
    assert body["landkreis"] == "Görlitz" and body["lat"] is not None
    assert not CONTACT_KEYS & set(body)
    # the contact data is stored, just never shown
    assert small_radar.get_profile("neu-kaelte")["contact_email"] == "neu@kontakt-geheim.example"

    read = client.get(response.headers["Location"])
    assert read.status_code == 200 and read.get_json()["name"] == NEW_PROFILE["name"]
    assert ids_of(search(client, query=NEW_QUERY, limit=1)) == ["neu-kaelte"]


def test_create_without_id_derives_one_and_conflicts_on_second_create(client):
    first = client.post("/api/v1/profiles", json=NEW_PROFILE)
    assert first.status_code == 201
    pid = first.get_json()["id"]
    assert pid.startswith("kaeltemaschinenbau-weisswasser-gmbh-")
    assert first.headers["Location"].endswith(f"/api/v1/profiles/{pid}")

    again = client.post("/api/v1/profiles", json=NEW_PROFILE)
    assert again.status_code == 409
    assert again.get_json()["error"] == "conflict" and pid in again.get_json()["message"]

    explicit = client.post("/api/v1/profiles", json={**NEW_PROFILE, "id": "kl-laser"})
    assert explicit.status_code == 409
    assert client.get("/api/v1/profiles/kl-laser").get_json()["name"] == "Laserfügetechnik Mittweida GmbH"


def test_create_with_a_padded_existing_id_is_a_conflict_not_an_overwrite(client, small_radar):
    response = client.post("/api/v1/profiles", json={**NEW_PROFILE, "id": " kl-laser "})
    assert small_radar.get_profile("kl-laser")["name"] == "Laserfügetechnik Mittweida GmbH"
    assert response.status_code == 409


@pytest.mark.parametrize("change, message", [
    ({"kind": "Bäckerei"}, "Unbekannte Art „bäckerei“ in kind"),
    ({"postcode": "12a45"}, "Unlesbare Postleitzahl „12a45“"),
    ({"postcode": "99999", "town": "Nirgendwohausen"}, "Unbekannte Postleitzahl „99999“"),
    ({"contact_email": "keine-adresse"}, "Ungültige E-Mail-Adresse „keine-adresse“ in contact_email"),
    ({"name": "  "}, "name fehlt"),
    ({"description": "", "offers": "", "seeks": "", "keywords": ""}, "Kein Text zum Abgleichen"),
    ({"id": "Größe"}, "Ungültige id „Größe“"),
])
def test_invalid_profile_is_rejected_with_422(client, small_radar, change, message):
    response = client.post("/api/v1/profiles", json={**NEW_PROFILE, **change})
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "invalid_profile" and message in body["message"]
    assert small_radar.store.count_profiles() == 12


@pytest.mark.parametrize("body, message", [
    ({**NEW_PROFILE, "telefon": "0351 123"}, "Unbekannte(s) Feld(er): telefon"),
    (["keine", "Objekte"], "Der Inhalt muss ein JSON-Objekt sein"),
])
def test_malformed_profile_bodies_are_400(client, body, message):
    response = client.post("/api/v1/profiles", json=body)
    assert response.status_code == 400 and message in response.get_json()["message"]


def test_update_profile_changes_what_search_finds(client, small_radar):
    old_query = "Holzrahmenbau für Mehrfamilienhäuser aus heimischer Fichte"
    assert ids_of(search(client, query=old_query, limit=1)) == ["kl-holz"]
    new_description = ("Die Zimmerei errichtet Aufstockungen in Holzmodulbauweise und dämmt "
                       "Dachstühle mit Hanffaserplatten.")

    response = client.put("/api/v1/profiles/kl-holz", json={"description": new_description})

    assert response.status_code == 200
    body = response.get_json()
    assert body["description"] == new_description
    assert body["offers"] == "Holzrahmenbau; Vorfertigung von Wandelementen"    # untouched fields stay
    assert not CONTACT_KEYS & set(body)
    assert small_radar.get_profile("kl-holz")["contact_name"] == "Jördis Geheimnißträger-Fünf"
    hit = search(client, query="Dachdämmung mit Hanffaserplatten", limit=1)[0]
    assert hit["id"] == "kl-holz" and "Hanffaserplatten" in hit["explanation"]["best_sentence"]
    texts = " ".join(p["text"] for p in small_radar.store.passages_for("kl-holz"))
    assert "heimischer Fichte" not in texts


def test_update_can_unlist_and_relist_a_profile(client):
    query = "Wasserstoffspeicherung in Metallhydriden"
    assert client.put("/api/v1/profiles/kl-wasser", json={"listed": False}).status_code == 200
    assert "kl-wasser" not in ids_of(search(client, query=query, limit=20))
    assert client.put("/api/v1/profiles/kl-wasser", json={"listed": True}).status_code == 200
    assert ids_of(search(client, query=query, limit=1)) == ["kl-wasser"]


@pytest.mark.parametrize("spelling, listed", [("Ja", True), ("yes", True), ("j", True), ("Nein", False)])
def test_update_reads_listed_like_post_and_file_ingest(client, spelling, listed):
    query = "Wasserstoffspeicherung in Metallhydriden"
    # what POST and file ingest read as listed / unlisted ...
    created = client.post("/api/v1/profiles", json={**NEW_PROFILE, "id": "neu-gelistet", "listed": spelling})
    assert created.status_code == 201 and created.get_json()["listed"] is listed
    # ... PUT reads the same way
    response = client.put("/api/v1/profiles/kl-wasser", json={"listed": spelling})
    assert response.status_code == 200
    assert response.get_json()["listed"] is listed
    assert ("kl-wasser" in ids_of(search(client, query=query, limit=1))) is listed


@pytest.mark.parametrize("url, body, status, message", [
    ("/api/v1/profiles/gibt-es-nicht", {"name": "Niemand GmbH"}, 404, "Profil „gibt-es-nicht“ nicht gefunden"),
    ("/api/v1/profiles/kl-holz", {"id": "kl-anders"}, 400, "weicht von der id in der URL ab"),
    ("/api/v1/profiles/kl-holz", {"kind": "Bäckerei"}, 422, "Unbekannte Art „bäckerei“"),
    ("/api/v1/profiles/kl-holz", {"hausnummer": "5"}, 400, "Unbekannte(s) Feld(er): hausnummer"),
])
def test_bad_updates(client, small_radar, url, body, status, message):
    response = client.put(url, json=body)
    assert response.status_code == status
    assert message in response.get_json()["message"]
    assert small_radar.get_profile("kl-holz")["kind"] == "kmu"


def test_delete_profile(client, small_radar):
    query = "Optische Qualitätsprüfung von Blechteilen mit künstlicher Intelligenz"
    assert ids_of(search(client, query=query, limit=1)) == ["kl-pruef"]

    response = client.delete("/api/v1/profiles/kl-pruef")

    assert response.status_code == 204 and response.get_data() == b""
    assert client.get("/api/v1/profiles/kl-pruef").status_code == 404
    assert client.get("/api/v1/profiles/kl-pruef/partners").status_code == 404
    assert client.delete("/api/v1/profiles/kl-pruef").status_code == 404
    assert "kl-pruef" not in ids_of(search(client, query=query, limit=20))
    assert small_radar.store.passages_for("kl-pruef") == []
    assert client.get("/api/v1/profiles").get_json()["total"] == 10


def test_contact_data_never_appears_in_any_answer(client, anonymous, small_radar):
    small_radar.add_cooperations([("kl-laser", "kl-schweissforschung", "p1", "Nahtüberwachung", "test")])
    answers = [
        anonymous.get("/api/v1/profiles?limit=100"),
        anonymous.get("/api/v1/profiles/kl-laser"),
        anonymous.get("/api/v1/profiles/kl-verborgen"),
        anonymous.post("/api/v1/search", json={"query": "Ansprechpartnerin, Straße und E-Mail-Adresse für die Kontaktaufnahme"}),
        anonymous.post("/api/v1/search", json={"query": "Laserstrahlschweißen", "limit": 100}),
        anonymous.post("/api/v1/search", json={"query": "Schweißen", "near": "Chemnitz", "radius_km": 200}),
        anonymous.get("/api/v1/profiles/kl-laser/partners?include_known=true&limit=100"),
        client.post("/api/v1/profiles", json={**NEW_PROFILE, "id": "neu-kontakt"}),
        client.put("/api/v1/profiles/neu-kontakt", json={"contact_name": "Jördis Geheimnißträger-Geändert"}),
        client.put("/api/v1/profiles/kl-baeck", json={"street": "Verschwiegenheitsgäßchen 100"}),
        client.post("/api/v1/profiles", json={**NEW_PROFILE, "id": "neu-kontakt"}),       # 409
        client.post("/api/v1/profiles", json={**NEW_PROFILE, "kind": "Bäckerei"}),   # 422
        client.get("/healthz"),
    ]
    assert [a.status_code for a in answers[-6:]] == [201, 200, 200, 409, 422, 200]
    for answer in answers:
        text = answer.get_data(as_text=True)
        for marker in CONTACT_MARKERS:
            assert marker not in text, (answer.request.path, marker)
        for key in CONTACT_KEYS:
            assert f'"{key}"' not in text, (answer.request.path, key)


def test_empty_database_answers_with_empty_lists(tmp_path, encoder, store_url):
    from tests.conftest import make_radar
    radar = make_radar(tmp_path / "leer.db", encoder, database_url=store_url)
    client = as_bearer(create_app(radar.settings, radar=radar).test_client(), api_key(radar, "admin"))

    assert search(client, query="Laserstrahlschweißen", near="Chemnitz", radius_km=30) == []
    assert client.get("/api/v1/profiles").get_json()["total"] == 0
    health = client.get("/healthz")
    assert health.status_code == 200 and health.get_json()["profiles"] == 0

    client.post("/api/v1/profiles", json={**NEW_PROFILE, "id": "einzig"})
    assert ids_of(search(client, query=NEW_QUERY)) == ["einzig"]
    assert client.delete("/api/v1/profiles/einzig").status_code == 204
    assert search(client, query=NEW_QUERY) == []
    assert client.get("/healthz").get_json()["passages"] == 0


# -- what a person reads ----------------------------------------------------------------

def test_an_innovation_manager_reads_every_problem_in_german(tmp_path, small_radar, anonymous):
    """A broken spreadsheet row is named by its line with a German reason; so is a bad search."""
    sheet = tmp_path / "firmen.csv"
    sheet.write_text("name;kind;postcode;description\n"
                     "Drehteile Auerbach GmbH;kmu;08209;Wir drehen Präzisionsteile aus Messing.\n"
                     "Glasbläserei Lauscha;Handwerk;09111;Wir blasen Glaskolben für Labore.\n"
                     "Fräserei Öhme;kmu;O9111;Wir fräsen Gehäuse aus Aluminium.\n", encoding="utf-8")

    report = small_radar.ingest(sheet)

    assert report.inserted == 1
    assert [str(rejected) for rejected in report.rejected] == [
        f"{sheet}:3: Unbekannte Art „handwerk“ in kind (erwartet: kmu, research, startup, other)",
        f"{sheet}:4: Unlesbare Postleitzahl „O9111“ (erwartet: fünf Ziffern)",
    ]

    response = anonymous.post("/api/v1/search", json={"query": "Messingdrehteile", "radius_km": 25})

    assert response.status_code == 400
    assert response.get_json() == {     # the error code stays English for programs
        "error": "bad_request", "message": "radius_km braucht near (eine Postleitzahl oder einen Ort)"}


def test_a_nul_character_in_an_id_is_not_found_not_a_500(client, anonymous):
    """PostgreSQL text can't hold NUL: a lookup with one used to fail there with a 500."""
    for http, method, url, body in ((client, "GET", "/api/v1/profiles/kl-laser%00", None),
                                    (anonymous, "GET", "/api/v1/profiles/kl%00laser/partners", None),
                                    (client, "PUT", "/api/v1/profiles/kl%00laser", {"name": "Laser GmbH"}),
                                    (anonymous, "POST", "/api/v1/subscriptions",
                                     {"profile_id": "kl-laser\u0000", "email": "a@b.example"})):
        response = http.open(url, method=method, json=body)
        assert response.status_code == 404, (url, response.get_json())
        assert response.get_json()["message"].startswith("Profil „kl")
    assert anonymous.get("/api/v1/profiles/kl-laser").status_code == 200


# -- health, spec, errors ------------------------------------------------------------

def test_healthz_reports_database_index_and_model(demo_client, demo_accounts):
    response = as_bearer(demo_client, demo_accounts["manager"][1]).get("/healthz")
    assert response.status_code == 200
    state = response.get_json()
    assert state["ok"] is True
    assert state["database"] == "ok" and state["index"] == "ok"
    assert state["model"] in ("loaded", "not loaded") and state["model_name"] == "multilingual-e5-small"
    assert state["profiles"] == 177 and state["passages"] > 177


def test_healthz_reports_a_broken_database_as_503(client, small_radar, monkeypatch):
    def broken():
        raise RuntimeError("database disk image is malformed")
    monkeypatch.setattr(small_radar.store, "generation", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    state = response.get_json()
    assert state["ok"] is False and state["database"].startswith("error")


def test_openapi_describes_the_paths(demo_client):
    spec = demo_client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert {"/api/v1/search", "/api/v1/profiles", "/api/v1/profiles/{id}",
            "/api/v1/profiles/{id}/partners", "/healthz"} <= set(spec["paths"])
    assert "post" in spec["paths"]["/api/v1/search"]
    assert {"get", "post"} <= set(spec["paths"]["/api/v1/profiles"])
    assert {"get", "put", "delete"} <= set(spec["paths"]["/api/v1/profiles/{id}"])
    hit = spec["paths"]["/api/v1/search"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(hit["properties"]["results"]["items"]["required"]) == HIT_KEYS - {"explanation"}


def test_errors_are_json_without_traceback(client, small_radar, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("interner Zustand: /geheim/pfad/partnerradar.db")
    monkeypatch.setattr(small_radar, "search", explode)
    answers = [
        client.post("/api/v1/search", json={"query": "Schweißen"}),                     # 500
        client.get("/api/v1/gibt-es-nicht"),                                           # 404
        client.delete("/api/v1/search"),                                               # 405
        client.post("/api/v1/search", data="x" * (2 * 1024 * 1024), content_type="application/json"),  # 413
        client.post("/api/v1/search", data=b"\xff\xfe\x00kaputt", content_type="application/json"),  # 400
        client.post("/api/v1/profiles", data="{", content_type="application/json"),   # 400
    ]
    assert [a.status_code for a in answers] == [500, 404, 405, 413, 400, 400]
    for answer in answers:
        assert answer.mimetype == "application/json"
        body = answer.get_json()
        assert set(body) == {"error", "message"} and body["message"]
        text = answer.get_data(as_text=True)
        assert "Traceback" not in text and 'File "' not in text and "/geheim/pfad" not in text
    assert answers[0].get_json()["error"] == "internal_error"
    # Werkzeug's own errors (404, 405, 413) speak German too; the error codes stay as they were.
    assert [(a.get_json()["error"], a.get_json()["message"]) for a in answers[1:]] == [
        ("not_found", "Diese Adresse gibt es nicht; bitte die URL prüfen (alle Adressen: /api/v1/openapi.json)."),
        ("method_not_allowed", "Die Methode DELETE ist für diese Adresse nicht erlaubt (erlaubt: OPTIONS, POST)."),
        ("request_entity_too_large", "Der Inhalt der Anfrage ist zu groß (höchstens 1 MiB)."),
        ("bad_request", "Erwartet wird ein JSON-Inhalt (Content-Type: application/json)"),
        ("bad_request", "Erwartet wird ein JSON-Inhalt (Content-Type: application/json)"),
    ]


@pytest.mark.parametrize("short", [1, 5, 6])
def test_a_longer_list_extends_a_shorter_one(demo_client, short):
    """Page size only cuts: `limit=6` is the start of `limit=10`, for partners and for search."""
    def partners(limit):
        return ids_of(demo_client.get(f"/api/v1/profiles/demo-045/partners?limit={limit}").get_json()["results"])

    def found(limit):
        body = {"query": "Digitalisierung der Instandhaltung", "limit": limit}
        return ids_of(demo_client.post("/api/v1/search", json=body).get_json()["results"])

    for ask in (partners, found):
        longer = ask(10)
        assert len(longer) == 10 and ask(short) == longer[:short]
