"""The people's pages and downloads in the OpenAPI document, as ``x-pages``.

They are no JSON API (HTML forms with CSRF tokens, CSV/JSON downloads for a logged-in
person; errors are German pages), so they are listed beside the operations rather than as
operations a generated client would call.
"""
from __future__ import annotations


def _download(path: str, role: str, what: str, json_adds: str = "") -> list[tuple[str, str, str, str]]:
    """One download offered as CSV and as JSON (the same rows; ``json_adds`` what JSON has more)."""
    return [("GET", f"{path}.csv", role, f"{what} als CSV"),
            ("GET", f"{path}.json", role, f"{what}{json_adds} als JSON")]


PAGES = [
    ("GET", "/", "anyone", "Partnersuche; seite=1..10 blättert (jede Seite setzt die vorige fort), mit Karte der Treffer"),
    ("GET", "/suche.csv", "anyone", "Die ersten 100 Treffer einer Suche als CSV (öffentliche Felder, Formeln entschärft)"),
    ("GET", "/innoslam/programm", "manager", "Inno Slam: Programm für einen Landkreis oder Ort mit Umkreis"),
    ("GET", "/innoslam/tour", "manager", "Inno Slam: Tour der angemeldeten Wissenschaftler"),
    ("GET", "/innoslam/einladungen.csv", "manager",
     "Einladungsliste; Ansprechpartner und E-Mail nur für Firmen der eigenen Landkreise (Administrator: alle)"),
    ("GET", "/meine-firma", "member", "Die eigene Firma: Profil, Angebote und Gesuche, Digest, Anbahnungen"),
    ("POST", "/meine-firma", "member", "Profil speichern (derselbe Schreibweg wie PUT /api/v1/profiles/{id})"),
    ("POST", "/meine-firma/digest", "member", "Wöchentlichen Digest abonnieren (Double-Opt-in per E-Mail)"),
    ("POST", "/meine-firma/bestaetigen", "member", "Profil als aktuell bestätigen"),
    ("GET", "/region", "manager", "Eigene Landkreise: neue, veraltete, unvollständige Profile, Dubletten, Trichter"),
    ("POST", "/region/hochladen", "manager",
     "CSV, JSON Lines, EFRE-Liste oder Förderkatalog einlesen (höchstens 20 MiB; Zeilen außerhalb der Region abgelehnt)"),
    ("POST", "/region/zusammenfuehren", "manager", "Zwei Dubletten zusammenführen (Regeln von Radar.merge)"),
    *_download("/region/profile", "manager", "Profile der Region mit Kontaktdaten"),
    *_download("/region/anbahnungen", "manager", "Anbahnungen der Region", " und der Monatstrichter"),
    ("GET", "/verwaltung/zugaenge", "admin", "Benutzer und API-Schlüssel"),
    ("POST", "/verwaltung/schluessel/{id}/widerrufen", "admin", "Einen API-Schlüssel widerrufen"),
    ("POST", "/verwaltung/benutzer/{id}/sperren", "admin", "Einen Benutzer sperren (sperren=ja) oder entsperren"),
]


def extend(spec: dict) -> dict:
    spec["x-pages"] = [{"method": m, "path": p, "role": r, "description": d} for m, p, r, d in PAGES]
    return spec
