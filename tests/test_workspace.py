"""The workspace pages' rules (issue 15), through the app's test client over a database of
its own: who may open what, uploads bounded to the manager's region and size, rejected rows
by line and German reason, merges under ``MergeRefused``, exports (formulas defused, contact
data only for the region's manager), the funnel, an admin revoking a key, CSRF on forms.

What a person sees in a browser is in tests/test_workspace_browser.py.
"""
from __future__ import annotations

import csv
import io
import json
import re
import time

import pytest

from api import create_app
from store.users import Users
from tests.access_helpers import PASSWORD, api_key, as_bearer
from tests.smtp_inbox import inbox, mail_env  # noqa: F401  (fixtures)


@pytest.fixture
def small_radar(small_on_both):
    """Every test here runs on both deployments (SQLite + FAISS, PostgreSQL)."""
    return small_on_both


@pytest.fixture
def app(small_radar, mail_env):
    app = create_app(small_radar.settings, radar=small_radar)
    app.config["SESSION_COOKIE_SECURE"] = False
    return app


@pytest.fixture
def keys(small_radar):
    return {"member": api_key(small_radar, "member", "laser@firma.example", profile_id="kl-laser"),
            "manager": api_key(small_radar, "manager", "lk@mittelsachsen.example", region=("Mittelsachsen",)),
            "elsewhere": api_key(small_radar, "manager", "lk@dresden.example", region=("Dresden",)),
            "admin": api_key(small_radar, "admin", "chef@partnerradar.example")}


@pytest.fixture
def as_role(app, keys):
    def client(role):
        c = app.test_client()
        return as_bearer(c, keys[role]) if role != "anonymous" else c
    return client


def upload(client, text: str, name="firmen.csv", data=None):
    body = {"datei": (io.BytesIO(text.encode("utf-8")), name), **(data or {})}
    return client.post("/region/hochladen", data=body, content_type="multipart/form-data")


def audit_actions(radar, action):
    return radar.store.conn.execute("SELECT actor, target FROM audit_log WHERE action=?", (action,)).fetchall()


# -- who may open what ---------------------------------------------------------------------

@pytest.mark.parametrize("path, allowed", [
    ("/meine-firma", {"member"}),
    ("/region", {"manager", "elsewhere", "admin"}),
    ("/region/profile.csv", {"manager", "elsewhere", "admin"}),
    ("/region/anbahnungen.json", {"manager", "elsewhere", "admin"}),
    ("/verwaltung/zugaenge", {"admin"}),
])
def test_each_page_opens_only_for_its_roles(as_role, path, allowed):
    for role in ("member", "manager", "elsewhere", "admin"):
        response = as_role(role).get(path)
        assert response.status_code == (200 if role in allowed else 403), (role, path)
        if response.status_code == 403:
            assert "Keine Berechtigung" in response.get_data(as_text=True)
    anonymous = as_role("anonymous").get(path)
    assert anonymous.status_code == 302 and "/anmelden" in anonymous.headers["Location"]


def test_a_manager_sees_only_its_own_landkreise(as_role):
    page = as_role("manager").get("/region").get_data(as_text=True)
    assert "Laserfügetechnik Mittweida" in page and "Großbäckerei" not in page
    assert as_role("manager").get("/region?landkreis=Dresden").status_code == 403
    exported = as_role("manager").get("/region/profile.csv").get_data(as_text=True)
    assert "kl-laser" in exported and "kl-baeck" not in exported
    # The manager is entitled to its region's contact data; the export carries it.
    assert "Verschwiegenheitsgäßchen" in exported or "kontakt-geheim" in exported or "Geheimnißträger" in exported


# -- upload --------------------------------------------------------------------------------

UPLOAD = """id,name,kind,description,offers,seeks,postcode,town,contact_email,listed
up-gut,Drehteile Roßwein GmbH,kmu,Wir drehen Präzisionsteile aus Edelstahl für den Maschinenbau.,Drehteile,Partner für Härten,04741,Roßwein,info@drehteile.example,ja
up-dresden,Backwaren Dresden GmbH,kmu,Brot und Brötchen.,,,01069,Dresden,,ja
kl-baeck,Großbäckerei Süßmilch GmbH,kmu,Übernommen!,,,04741,Roßwein,,ja
up-plz,Formenbau Zahlendreher GmbH,kmu,Werkzeugbau.,,,12a45,Mittweida,,ja
"""


def test_an_upload_goes_in_except_rows_outside_the_region_each_with_line_and_reason(as_role, small_radar):
    before = small_radar.store.get_profile("kl-baeck")
    response = upload(as_role("manager"), UPLOAD)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "4 gelesen, 1 neu, 0 geändert, 0 unverändert, 3 abgelehnt" in " ".join(page.split())
    rejected = dict(re.findall(r"<tr><td>(\d+)</td><td>([^<]+)</td></tr>", page))
    assert set(rejected) == {"3", "4", "5"}
    assert "liegt in Dresden, nicht in Ihrer Region (Mittelsachsen)" in rejected["3"]
    assert "in einem Landkreis außerhalb Ihrer Region" in rejected["4"]
    assert "Postleitzahl" in rejected["5"]
    assert small_radar.store.get_profile("up-gut")["landkreis"] == "Mittelsachsen"
    assert small_radar.store.get_profile("up-dresden") is None
    assert small_radar.store.get_profile("kl-baeck")["description"] == before["description"]
    [(actor, target)] = audit_actions(small_radar, "upload")
    assert actor.startswith("lk@mittelsachsen.example") and target == "firmen.csv"
    # The admin's file is not bounded to a region.
    admin = " ".join(upload(as_role("admin"), UPLOAD.replace("12a45", "09648")).get_data(as_text=True).split())
    assert "4 gelesen, 2 neu, 1 geändert, 1 unverändert, 0 abgelehnt" in admin


def test_rows_past_the_uploads_row_limit_are_rejected_by_line(as_role, small_radar, monkeypatch):
    import api.region_web

    monkeypatch.setattr(api.region_web, "MAX_UPLOAD_ROWS", 1)
    page = " ".join(upload(as_role("admin"), UPLOAD.replace("12a45", "09648"), name="../../x/groß.csv")
                    .get_data(as_text=True).split())
    assert "4 gelesen, 1 neu, 0 geändert, 0 unverändert, 3 abgelehnt" in page
    assert page.count("Mehr als 1 Zeilen je Datei: bitte die Datei aufteilen") == 3
    assert audit_actions(small_radar, "upload")[0][1] == "groß.csv"      # the name without its path


def test_an_unusable_file_and_an_oversized_one_get_a_german_page(as_role, small_radar):
    broken = upload(as_role("manager"), "nur eine Spalte\nwert\n")
    assert broken.status_code == 400 and "Bitte prüfen" in broken.get_data(as_text=True)
    assert "/tmp" not in broken.get_data(as_text=True)            # no path of the server
    big = "id,name,kind,description,postcode\n" + ("x" * 1000 + "\n") * (21 * 1024)
    too_big = upload(as_role("manager"), big)
    assert too_big.status_code == 413 and "Datei zu groß" in too_big.get_data(as_text=True)
    assert small_radar.store.count_profiles() == 12


# -- duplicates and merge ----------------------------------------------------------------------

def test_duplicates_are_merged_from_the_page_unless_merge_refused_says_no(as_role, small_radar):
    twin = {"id": "kl-laser-2", "name": "Laserfügetechnik Mittweida", "kind": "kmu",
            "description": "Laserschweißen für den Leichtbau.", "postcode": "09648", "town": "Mittweida", "listed": "ja"}
    assert not small_radar.save([twin]).rejected
    section = as_role("manager").get("/region").get_data(as_text=True).split('id="dubletten"')[1]
    # kl-laser has a member login: the two have different owners and stay apart; the page
    # says why instead of offering the button ...
    assert "/profil/kl-laser-2" in section and "verschiedenen Konten" in section
    assert 'value="kl-laser-2"' not in section
    # ... and a hand-made post is refused by the same rule.
    refused = as_role("manager").post("/region/zusammenfuehren", data={"a": "kl-laser", "b": "kl-laser-2"})
    assert refused.status_code == 409 and "verschiedenen" in refused.get_data(as_text=True)
    assert small_radar.store.get_profile("kl-laser-2") is not None
    # A manager of another region may not merge them at all.
    assert as_role("elsewhere").post("/region/zusammenfuehren",
                                     data={"a": "kl-laser", "b": "kl-laser-2"}).status_code == 403

    third = {**twin, "id": "kl-laser-3", "description": "Laserschweißen."}
    assert not small_radar.save([third]).rejected
    section = as_role("manager").get("/region").get_data(as_text=True).split('id="dubletten"')[1]
    assert 'value="kl-laser-3"' in section
    done = as_role("manager").post("/region/zusammenfuehren", data={"a": "kl-laser-2", "b": "kl-laser-3"})
    assert done.status_code == 303
    remaining = [pid for pid in ("kl-laser-2", "kl-laser-3") if small_radar.store.get_profile(pid)]
    assert len(remaining) == 1
    assert audit_actions(small_radar, "profile.merge")[0][1] == "kl-laser-2 + kl-laser-3"


# -- profiles: new, stale, incomplete ----------------------------------------------------------

def test_stale_and_incomplete_profiles_are_listed(as_role, small_radar):
    two_years_ago = time.time() - 2 * 365 * 86400
    small_radar.store.conn.execute("UPDATE profiles SET created_at=?, updated_at=? WHERE id='kl-wasser'",
                                   (two_years_ago, two_years_ago))
    page = as_role("manager").get("/region").get_data(as_text=True)
    stale = page.split('id="veraltet"')[1].split("</section>")[0]
    assert "Wasserstoffspeicherung" in stale and "Laserfügetechnik" not in stale
    new = page.split('id="neu"')[1].split("</section>")[0]
    assert "Laserfügetechnik" in new and "Wasserstoffspeicherung" not in new
    incomplete = page.split('id="unvollstaendig"')[1].split("</section>")[0]
    for row in re.findall(r"<tr>.*?</tr>", incomplete, re.S)[1:]:
        assert re.search(r"<td>[^<]*(Beschreibung|Angebot|Gesuch|Postleitzahl|E-Mail)[^<]*</td>\s*</tr>", row), row


def test_profiles_without_a_landkreis_are_shown_to_those_who_can_fix_them(as_role, small_radar):
    """A profile outside Saxony or without a known place has no Landkreis, so it never
    showed on any region page: nobody saw it to fix it. An admin sees all of them (listed
    as incomplete, "Landkreis"), a manager those it created, nobody else's."""
    berlin = {"id": "kl-berlin", "name": "Strömungsinstitut Berlin-Adlershof", "kind": "research",
              "description": "Wir messen Strömungen in Kühlkreisläufen.", "postcode": "10115", "town": "Berlin"}
    assert not small_radar.save([berlin]).rejected
    created = as_role("manager").post("/api/v1/profiles", json={
        "id": "kl-ohne-ort", "name": "Getriebebau Ohneort GmbH", "kind": "kmu",
        "description": "Wir bauen Stirnradgetriebe für Förderbänder."})
    assert created.status_code == 201, created.get_json()
    assert small_radar.store.get_profile("kl-ohne-ort")["landkreis"] == ""

    admin = as_role("admin").get("/region").get_data(as_text=True)
    incomplete = admin.split('id="unvollstaendig"')[1].split("</section>")[0]
    for name in ("Strömungsinstitut Berlin-Adlershof", "Getriebebau Ohneort GmbH"):
        row = next(r for r in re.findall(r"<tr>.*?</tr>", incomplete, re.S) if name in r)
        assert "Landkreis (Ort unbekannt oder außerhalb Sachsens)" in row, row
    chosen = as_role("admin").get("/region?landkreis=ohne+Landkreis").get_data(as_text=True)
    assert "Profile ohne Landkreis:" in " ".join(chosen.split())
    assert "Strömungsinstitut" in chosen and "Laserfügetechnik" not in chosen
    exported = as_role("admin").get("/region/profile.csv?landkreis=ohne+Landkreis").get_data(as_text=True)
    assert "kl-berlin" in exported and "kl-ohne-ort" in exported and "kl-laser" not in exported

    manager = as_role("manager").get("/region").get_data(as_text=True)
    assert "Getriebebau Ohneort GmbH" in manager and "Strömungsinstitut" not in manager
    assert "kl-ohne-ort" in as_role("manager").get("/region/profile.csv").get_data(as_text=True)
    elsewhere = as_role("elsewhere").get("/region").get_data(as_text=True)
    assert "Getriebebau Ohneort" not in elsewhere and "Strömungsinstitut" not in elsewhere


# -- exports -----------------------------------------------------------------------------------

def test_exports_defuse_formulas_and_are_valid_csv_and_json(as_role, small_radar):
    evil = {"id": "kl-formel", "name": "=HYPERLINK(\"http://böse.example\";\"Klick\")", "kind": "kmu",
            "description": "+cmd|' /C calc'!A0", "postcode": "09648", "town": "Mittweida", "listed": "ja"}
    assert not small_radar.save([evil]).rejected
    response = as_role("manager").get("/region/profile.csv")
    assert response.headers["Content-Disposition"] == 'attachment; filename="profile-region.csv"'
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    header, body = rows[0], rows[1:]
    row = next(r for r in body if r[0] == "kl-formel")
    assert row[header.index("Name")].startswith("'=") and row[header.index("Beschreibung")].startswith("'+")
    data = json.loads(as_role("manager").get("/region/profile.json").get_data(as_text=True))
    assert {p["id"] for p in data["profiles"]} >= {"kl-laser", "kl-formel"}
    assert all(p["landkreis"] == "Mittelsachsen" for p in data["profiles"])
    intros = json.loads(as_role("manager").get("/region/anbahnungen.json").get_data(as_text=True))
    assert intros["introductions"] == [] and len(intros["funnel"]) == 12
    assert as_role("manager").get("/region/profile.xml").status_code == 404


# -- the funnel ----------------------------------------------------------------------------------

def test_the_funnel_counts_this_months_requests_and_introductions(as_role, small_radar):
    asked = as_role("member").post("/api/v1/introductions", json={
        "partner_id": "kl-wasser", "message": "Wir suchen Partner für wasserstofftaugliche Schweißnähte."})
    assert asked.status_code == 201, asked.get_json()
    intro_id = asked.get_json()["id"]
    moved = as_role("manager").post(f"/api/v1/introductions/{intro_id}/state", json={"state": "introduced"})
    assert moved.status_code == 200, moved.get_json()
    page = as_role("manager").get("/region").get_data(as_text=True)
    month = time.strftime("%m/%Y")
    assert re.search(rf"<td>{month}</td><td>1</td><td>1</td><td>0</td><td>0</td>", page)
    heights = re.findall(r'<rect class="step-(\w+)" x="[\d.]+" y="[\d.]+" width="[\d.]+" height="([\d.]+)"', page)
    assert [k for k, h in heights if float(h) > 0] == ["requests", "introduced"]
    assert "vorgestellt: 1" in page
    exported = as_role("manager").get("/region/anbahnungen.csv").get_data(as_text=True)
    assert intro_id in exported and "vorgestellt" in exported
    # Dresden's manager sees none of Mittelsachsen's introductions.
    assert intro_id not in as_role("elsewhere").get("/region/anbahnungen.csv").get_data(as_text=True)


# -- admin: users and keys ------------------------------------------------------------------------

def test_an_admin_revokes_a_key_and_it_stops_working(as_role, small_radar, keys):
    page = as_role("admin").get("/verwaltung/zugaenge").get_data(as_text=True)
    assert "lk@dresden.example" in page and "Widerrufen" in page
    key_id = keys["elsewhere"].split("_")[1]
    assert keys["elsewhere"] not in page                       # secrets are never shown
    response = as_role("admin").post(f"/verwaltung/schluessel/{key_id}/widerrufen")
    assert response.status_code == 303
    assert as_role("elsewhere").get("/region").status_code == 401
    assert audit_actions(small_radar, "key.revoke")[0][1] == key_id
    # A manager cannot revoke anything.
    assert as_role("manager").post(f"/verwaltung/schluessel/{keys['member'].split('_')[1]}/widerrufen").status_code == 403
    assert as_role("member").get("/meine-firma").status_code == 200


def test_an_admin_locks_a_user_whose_sessions_end(app, small_radar):
    users = Users(small_radar.store)
    admin = users.add_user("chef2@partnerradar.example", PASSWORD, "admin")
    users.add_user("lk2@mittelsachsen.example", PASSWORD, "manager", region=("Mittelsachsen",))
    manager = logged_in(app, "lk2@mittelsachsen.example")
    assert manager.get("/region").status_code == 200
    boss = logged_in(app, admin.email)
    page = boss.get("/verwaltung/zugaenge").get_data(as_text=True)
    target = users.user_by_email("lk2@mittelsachsen.example").id
    locked = boss.post(f"/verwaltung/benutzer/{target}/sperren", data={"sperren": "ja", "csrf_token": token(page)})
    assert locked.status_code == 303
    assert manager.get("/region").status_code == 302                 # back to the login
    assert audit_actions(small_radar, "user.disable")[0][1] == "lk2@mittelsachsen.example"


# -- CSRF -------------------------------------------------------------------------------------------

def token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def logged_in(app, email):
    client = app.test_client()
    form = client.get("/anmelden").get_data(as_text=True)
    response = client.post("/anmelden", data={"email": email, "passwort": PASSWORD, "csrf_token": token(form)})
    assert response.status_code == 302
    return client


def test_the_forms_need_the_pages_csrf_token(app, small_radar):
    Users(small_radar.store).add_user("laser2@firma.example", PASSWORD, "member", profile_id="kl-laser")
    client = logged_in(app, "laser2@firma.example")
    before = small_radar.store.get_profile("kl-laser")["offers"]
    forged = client.post("/meine-firma", data={"name": "Übernommen", "kind": "kmu", "offers": "gefälscht"})
    assert forged.status_code == 400
    assert small_radar.store.get_profile("kl-laser")["offers"] == before
    page = client.get("/meine-firma").get_data(as_text=True)
    form = {k: small_radar.store.get_profile("kl-laser")[k] or "" for k in (
        "name", "kind", "description", "seeks", "keywords", "street", "postcode", "town", "website",
        "contact_name", "contact_email")}
    saved = client.post("/meine-firma", data={**form, "offers": "Laserschweißen von Kupfer", "listed": "ja",
                                              "csrf_token": token(page)})
    assert saved.status_code == 303
    assert small_radar.store.get_profile("kl-laser")["offers"] == "Laserschweißen von Kupfer"


# -- unknown addresses ------------------------------------------------------------------------------

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


@pytest.mark.parametrize("path", ["/gibt-es-nicht", "/region/gibt-es-nicht", "/api/v1/gibt-es-nicht", "/api/"])
def test_an_unknown_address_is_a_german_page_for_browsers_and_json_for_api_clients(app, path):
    client = app.test_client()
    page = client.get(path, headers={"Accept": BROWSER_ACCEPT})
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "Seite nicht gefunden" in page.get_data(as_text=True) and "{" not in page.get_data(as_text=True)[:20]
    for accept in ("application/json", "*/*", None):
        answer = client.get(path, headers={"Accept": accept} if accept else {})
        assert answer.status_code == 404 and answer.get_json()["error"] == "not_found", accept


# -- search pages: paging and export --------------------------------------------------------------

def test_search_pages_continue_each_other_and_the_csv_has_the_same_order(app, small_radar):
    from tests.conftest import ids_of, search

    client = app.test_client()
    query = "Fertigung, Prüfung und Forschung für Unternehmen in Sachsen"
    ranked = ids_of(search(small_radar, query=query, limit=20))
    assert len(ranked) > 10
    shown = lambda html: re.findall(r'<h3 id="treffer-([^"]+)"><span class="rank">(\d+)\.</span>', html)  # noqa: E731
    first = client.get("/", query_string={"q": query}).get_data(as_text=True)
    assert [pid for pid, _ in shown(first)] == ranked[:10] and 'rel="next"' in first
    # The map marks each hit of the page (all have a postcode) over Saxony's districts.
    assert first.count('<g class="marker">') == 10 and len(re.findall(r'class="district( city)?"', first)) == 13
    assert "<title>1. " in first and "Erzgebirgskreis</text>" in first
    second = client.get("/", query_string={"q": query, "seite": 2}).get_data(as_text=True)
    assert shown(second) == [(pid, str(n)) for n, pid in enumerate(ranked[10:], start=11)]
    assert 'rel="prev"' in second and 'rel="next"' not in second
    assert client.get("/", query_string={"q": query, "seite": 11}).status_code == 400
    exported = client.get("/suche.csv", query_string={"q": query})
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:2] == ["Rang", "Organisation"]
    names = {p["id"]: p["name"] for p in small_radar.store.get_profiles(ranked).values()}
    assert [r[1] for r in rows[1:]] == [names[pid] for pid in ranked]
    assert not any(marker in exported.get_data(as_text=True)
                   for marker in ("Verschwiegenheitsgäßchen", "Geheimnißträger", "kontakt-geheim"))


# -- Inno Slam invitations: contact data only for those entitled ---------------------------------

def test_the_invitation_csv_names_contacts_only_in_the_managers_own_districts(as_role, small_radar):
    url = "/innoslam/einladungen.csv?thema=" + "Laserstrahlschweißen von Aluminium und Prüfung"
    laser = small_radar.store.get_profile("kl-laser")

    def rows(role):
        response = as_role(role).get(url)
        assert response.status_code == 200, response.get_data(as_text=True)
        found = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
        return {r["Organisation"]: (r["Landkreis"], r["Ansprechpartner"], r["E-Mail"]) for r in found}

    assert laser["contact_email"]
    # The manager of Mittelsachsen may invite the Mittweida firm: its contact is in the list ...
    assert rows("manager")[laser["name"]] == ("Mittelsachsen", laser["contact_name"], laser["contact_email"])
    # ... Dresden's manager gets the firm, not its contact; the admin gets it.
    assert rows("elsewhere")[laser["name"]] == ("Mittelsachsen", "", "")
    assert rows("admin")[laser["name"]] == ("Mittelsachsen", laser["contact_name"], laser["contact_email"])
