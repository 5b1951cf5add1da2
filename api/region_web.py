"""A manager's region (``/region``): its Landkreise only (an admin: all of Saxony).

Profiles without a Landkreis (a place outside Saxony or none we know) belong to no manager's
region: the choice "ohne Landkreis" shows an admin all of them and a manager those it created
itself (it may edit them); they count as incomplete ("Landkreis"), so someone fixes them.

- profiles that are new (30 days), stale (unconfirmed for a year, ``confirmations``) and
  incomplete (fields the matcher or an introduction needs are empty);
- an upload (CSV, JSON Lines, the EFRE list, a Förderkatalog export) through the ingest
  pipeline itself (``Radar.ingest_rows``: ``read_rows``, ``RejectKeeper``), its rejected rows
  listed by line and German reason. A manager's file may only write profiles of its own
  Landkreise: a row for another district, or one that would overwrite a profile the
  manager may not edit, is rejected with its line like any other bad row;
- possible duplicates with a merge button (``Radar.merge``, whose ``MergeRefused`` rules
  stand: different owners or visibility are never merged);
- introductions as counts by state, and a monthly funnel (requests → introduced → met →
  cooperation) drawn as server-rendered SVG (the CSP allows no scripts or inline styles);
- exports of the region's profiles (with contact data: the manager is entitled to it) and
  introductions as CSV (``ingest.csv_safe``: formulas defused) and JSON.
"""
from __future__ import annotations

import os
import re
import tempfile
import time
from datetime import datetime
from pathlib import Path

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from werkzeug.exceptions import Forbidden, RequestEntityTooLarge

from api.auth import audited, can_edit, current_principal, require_role
from api.csv_safe import csv_response
from ingest.readers import Row, UnusableFile
from ingest.schema import RecordError, validate_record
from introductions.model import COOPERATION, INTRODUCED, LABELS, MEETING, STATES
from store.db import LAST_CONFIRMED_SQL
from store.files import private_dir
from vocabulary.kinds import KIND_LABELS

bp = Blueprint("region_web", __name__)

NEW_DAYS = 30
SHOWN = 50                      # per list on the page; the exports have all
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
#: Rows one upload may write: each is embedded inside the request. Bigger files go in with
#: ``partnerradar ingest`` (which reports progress); the rows past this are rejected by line.
MAX_UPLOAD_ROWS = 5000
FUNNEL_MONTHS = 12
#: What an incomplete profile lacks, as the page says it.
REQUIRED = {"description": "Beschreibung", "offers": "Angebot", "seeks": "Gesuch",
            "postcode": "Postleitzahl", "contact_email": "E-Mail für Kontaktanfragen",
            "landkreis": "Landkreis (Ort unbekannt oder außerhalb Sachsens)"}
#: The choice of the profiles without a Landkreis, beside the real ones.
WITHOUT_DISTRICT = "ohne Landkreis"
EXPORT_COLUMNS = ("id", "name", "kind", "description", "offers", "seeks", "keywords", "street", "postcode",
                  "town", "landkreis", "website", "contact_name", "contact_email", "listed", "created_at",
                  "updated_at", "last_confirmed")
EXPORT_HEADER = ("ID", "Name", "Art", "Beschreibung", "Bietet", "Sucht", "Schlagworte", "Straße", "PLZ", "Ort",
                 "Landkreis", "Website", "Ansprechpartner", "E-Mail", "Gelistet", "Angelegt", "Geändert",
                 "Zuletzt bestätigt")
INTRO_COLUMNS = ("id", "state", "seeker_id", "seeker", "partner_id", "partner", "region", "created_at",
                 "introduced_at", "state_at", "next_step", "note")
INTRO_HEADER = ("ID", "Stand", "Anfragende Seite (ID)", "Anfragende Seite", "Angefragte Seite (ID)",
                "Angefragte Seite", "Landkreis", "Angefragt am", "Vorgestellt am", "Stand seit",
                "Nächster Schritt", "Notiz")
FUNNEL_STEPS = (("requests", "Anfragen"), ("introduced", "vorgestellt"), ("met", "Gespräch vereinbart"),
                ("cooperation", "Kooperation / Projekt"))


def _radar():
    return current_app.extensions["radar"]


@bp.errorhandler(Forbidden)
def _forbidden(exc):
    return _page("arbeitsplatz/fehler.html", 403, message=exc.description)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc):
    return _page("arbeitsplatz/fehler.html", 413, title="Datei zu groß",
                 message=f"Die Datei ist zu groß (höchstens {MAX_UPLOAD_BYTES // 2**20} MiB); bitte aufteilen.",
                 back=url_for("region_web.region_page"))


def _page(template: str, status: int = 200, **context):
    return render_template(template, **context), status


def districts_of(principal) -> tuple[str, ...]:
    """The Landkreise this person looks after: a manager its region, an admin all; and the
    profiles without one (``_in_districts``: an admin all of them, a manager its own)."""
    if principal.role == "admin":
        return tuple(_radar().gazetteer.districts()) + (WITHOUT_DISTRICT,)
    return tuple(principal.region) + (WITHOUT_DISTRICT,)


def _chosen_districts() -> tuple[tuple[str, ...], str]:
    mine = districts_of(current_principal())
    chosen = request.args.get("landkreis", "")
    if chosen and chosen not in mine:
        raise Forbidden(f"Der Landkreis „{chosen[:100]}“ gehört nicht zu Ihrer Region.")
    return ((chosen,) if chosen else mine), chosen


def _marks(values) -> str:
    return ",".join("?" * len(values)) or "NULL"


def _in_districts(districts) -> tuple[str, list]:
    """The SQL condition on profiles ``p`` of these districts, and its parameters."""
    named = [d for d in districts if d != WITHOUT_DISTRICT]
    clause, params = f"p.landkreis IN ({_marks(named)})", list(named)
    if WITHOUT_DISTRICT in districts:
        without = "coalesce(p.landkreis, '') = ''"
        principal = current_principal()
        if principal.role != "admin":
            # A manager's own creations (can_edit lets it fix them); nobody else's.
            without += (" AND p.id IN (SELECT profile_id FROM profile_creators "
                        "WHERE user_id = ? AND role = 'manager')")
            params.append(principal.user_id)
        clause = f"({clause} OR ({without}))"
    return clause, params


# -- the region's profiles --------------------------------------------------------------

def _confirmations():
    from api.confirmations import service
    return service()


def _profile_lists(districts, now: float) -> dict:
    conn = _radar().store.conn
    max_age = _confirmations().max_age_s
    where, params = _in_districts(districts)
    base = (f"SELECT p.id, p.name, p.kind, p.town, p.landkreis, p.created_at, "
            f"{LAST_CONFIRMED_SQL} AS confirmed, "
            f"{', '.join('p.' + k for k in REQUIRED)} FROM profiles p "
            f"LEFT JOIN profile_confirmations c ON c.profile_id = p.id WHERE {where}")

    def rows(condition: str, order: str, extra=()):
        total = conn.execute(f"SELECT count(*) FROM ({base} AND {condition}) AS counted",
                             params + list(extra)).fetchone()[0]
        found = conn.execute(f"{base} AND {condition} ORDER BY {order} LIMIT {SHOWN}", params + list(extra))
        out = []
        for r in found:
            missing = [label for (key, label), value in zip(REQUIRED.items(), r[7:]) if not (value or "").strip()]
            out.append({"id": r[0], "name": r[1], "kind": KIND_LABELS.get(r[2], r[2]), "town": r[3] or "",
                        "landkreis": r[4] or "", "created": _day(r[5]), "confirmed": _day(r[6]),
                        "missing": missing})
        return {"total": total, "rows": out}

    incomplete = " OR ".join(f"trim(coalesce(p.{k}, '')) = ''" for k in REQUIRED)
    total = conn.execute(f"SELECT count(*) FROM profiles p WHERE {where}", params).fetchone()[0]
    return {"total": total,
            "new": rows("p.created_at >= ?", "p.created_at DESC", [now - NEW_DAYS * 86400]),
            "stale": rows(f"{LAST_CONFIRMED_SQL} <= ?", "confirmed",
                          [now - max_age]),
            "incomplete": rows(f"({incomplete})", "p.name")}


def _day(timestamp) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%d.%m.%Y") if timestamp else "–"


# -- introductions: counts and the monthly funnel ---------------------------------------------

def _introductions():
    from api.introductions import service
    return service().store


def _region_clause(districts) -> tuple[str, list]:
    return f"i.region IN ({_marks(districts)})", list(districts)


def state_counts(districts) -> list[tuple[str, str, int]]:
    _introductions()                        # the tables exist once the service is made
    clause, params = _region_clause(districts)
    counts = dict(_radar().store.conn.execute(
        f"SELECT state, count(*) FROM introductions i WHERE {clause} GROUP BY state", params).fetchall())
    return [(state, LABELS[state], counts.get(state, 0)) for state in STATES]


def _month_keys(now: float, months: int) -> list[str]:
    day = datetime.fromtimestamp(now)
    keys = []
    year, month = day.year, day.month
    for _ in range(months):
        keys.append(f"{year:04d}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return keys[::-1]


def funnel(districts, now: float, months: int = FUNNEL_MONTHS) -> list[dict]:
    """Per month: requests made, and of the region's introductions how many reached
    introduced, meeting and cooperation in that month (the date of the state change)."""
    _introductions()
    keys = _month_keys(now, months)
    start = datetime.strptime(keys[0] + "-01", "%Y-%m-%d").timestamp()
    clause, params = _region_clause(districts)
    conn = _radar().store.conn
    table = {k: {"month": k, "requests": 0, "introduced": 0, "met": 0, "cooperation": 0} for k in keys}
    for month, count in conn.execute(
            f"SELECT strftime('%Y-%m', i.created_at, 'unixepoch', 'localtime') AS m, count(*) FROM introductions i "
            f"WHERE {clause} AND i.created_at >= ? GROUP BY m", params + [start]):
        if month in table:
            table[month]["requests"] = count
    steps = {INTRODUCED: "introduced", MEETING: "met", COOPERATION: "cooperation"}
    for state, month, count in conn.execute(
            f"SELECT e.to_state, strftime('%Y-%m', e.at, 'unixepoch', 'localtime') AS m, "
            f"count(DISTINCT e.introduction_id) FROM introduction_events e "
            f"JOIN introductions i ON i.id = e.introduction_id "
            f"WHERE {clause} AND e.at >= ? AND e.to_state IN (?, ?, ?) GROUP BY e.to_state, m",
            params + [start, INTRODUCED, MEETING, COOPERATION]):
        if month in table:
            table[month][steps[state]] = count
    return [table[k] for k in keys]


MONTHS_DE = ("Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sep.", "Okt.", "Nov.", "Dez.")


def funnel_chart(rows: list[dict], width: int = 720, height: int = 260) -> dict:
    """Geometry of a grouped bar chart (four bars a month), drawn by the template as SVG."""
    left, bottom, top_pad = 36, 40, 12
    plot_h = height - bottom - top_pad
    top = max((r[k] for r in rows for k, _ in FUNNEL_STEPS), default=0) or 1
    group_w = (width - left) / max(len(rows), 1)
    bar_w = max(2.0, (group_w - 8) / len(FUNNEL_STEPS))
    groups = []
    for i, r in enumerate(rows):
        x0 = left + i * group_w + 4
        year, month = r["month"].split("-")
        bars = []
        for j, (key, label) in enumerate(FUNNEL_STEPS):
            h = plot_h * r[key] / top
            bars.append({"key": key, "label": label, "value": r[key], "x": round(x0 + j * bar_w, 1),
                         "y": round(top_pad + plot_h - h, 1), "h": round(h, 1), "w": round(bar_w - 1, 1)})
        groups.append({"label": MONTHS_DE[int(month) - 1], "year": year, "x": round(x0 + group_w / 2 - 4, 1),
                       "bars": bars})
    ticks = sorted({0, top, top // 2}) if top > 1 else [0, 1]
    return {"width": width, "height": height, "left": left, "base": top_pad + plot_h, "groups": groups,
            "ticks": [{"value": t, "y": round(top_pad + plot_h - plot_h * t / top, 1)} for t in ticks],
            "steps": FUNNEL_STEPS}


# -- duplicates ------------------------------------------------------------------------------

def region_duplicates(districts, limit: int = SHOWN) -> list[dict]:
    """Probable duplicates with at least one side in the region; both names shown only when
    this person may edit both (a merge needs that anyway)."""
    radar = _radar()
    where, params = _in_districts(districts)
    ids = [r[0] for r in radar.store.conn.execute(f"SELECT p.id FROM profiles p WHERE {where}", params)]
    if not ids:
        return []
    pairs = radar.duplicates(among=ids)
    profiles = radar.store.get_profiles({p.a for p in pairs} | {p.b for p in pairs})
    who = current_principal()
    out = []
    for pair in pairs:
        a, b = profiles.get(pair.a), profiles.get(pair.b)
        if a is None or b is None or not (can_edit(who, a) and can_edit(who, b)):
            continue
        out.append({"a": a, "b": b, "score": round(pair.score), "reason": pair.reason,
                    "refusal": radar.merge_refusal(a, b)})
        if len(out) >= limit:
            break
    return out


# -- the page --------------------------------------------------------------------------------

def _context(**extra) -> dict:
    districts, chosen = _chosen_districts()
    now = time.time()
    rows = funnel(districts, now)
    return {"mine": districts_of(current_principal()), "chosen": chosen,
            "districts_named": [d for d in districts if d != WITHOUT_DISTRICT],
            "lists": _profile_lists(districts, now), "states": state_counts(districts),
            "funnel": rows, "chart": funnel_chart(rows), "duplicates": region_duplicates(districts),
            "max_upload_mib": MAX_UPLOAD_BYTES // 2**20, **extra}


@bp.get("/region")
@require_role("manager")
def region_page():
    return _page("arbeitsplatz/region.html", **_context(notice=request.args.get("hinweis")))


# -- upload ------------------------------------------------------------------------------------

def region_guard(principal, rows, preparer):
    """Rows of a manager's file that it may not write become rejected rows (with their line):
    a profile outside its Landkreise, or an existing profile it may not edit (same id)."""
    store = _radar().store
    for count, row in enumerate(rows, start=1):
        if count > MAX_UPLOAD_ROWS:
            row = Row(row.line, error=f"Mehr als {MAX_UPLOAD_ROWS:,} Zeilen je Datei".replace(",", ".")
                                      + ": bitte die Datei aufteilen (oder 'partnerradar ingest' nutzen)")
        elif principal.role != "admin" and row.error is None and row.record is not None:
            try:
                profile = validate_record(dict(row.record))
                preparer.geocode(profile)
            except RecordError:
                yield row                   # the pipeline rejects it with its own reason
                continue
            existing = store.get_profile(profile.id)
            if existing is not None and not can_edit(principal, existing):
                row = Row(row.line, error=f"Profil „{profile.id}“ gibt es schon, in einem Landkreis außerhalb "
                                          f"Ihrer Region ({existing.get('landkreis') or 'ohne Landkreis'}); "
                                          f"Sie dürfen es nicht ändern", raw=row.raw)
            elif existing is None and profile.landkreis not in principal.region:
                where = f"liegt in {profile.landkreis}" if profile.landkreis else "hat keinen bekannten Ort"
                row = Row(row.line, error=f"Profil „{profile.id}“ {where}, nicht in Ihrer Region "
                                          f"({', '.join(principal.region)})", raw=row.raw)
        yield row


def _upload_dir() -> Path:
    return private_dir(_radar().settings.db_path.parent / "uploads")


def _run_upload(path: Path, label: str):
    from ingest.funding import sniff_format
    from ingest.pipeline import IngestReport
    from ingest.readers import read_rows
    from partnerradar.funding_import import FORMAT_LABELS, grouping_summary, load_dataset, store_dataset

    radar = _radar()
    who = current_principal()
    fmt = sniff_format(path)
    preparer = radar.preparer
    guard = lambda rows: region_guard(who, rows, preparer)  # noqa: E731
    with audited("upload", label, f"Format {fmt or 'Profile'}"):
        if fmt is None:
            report = IngestReport(file=label)
            report = radar.ingest_rows(guard(read_rows(path)), report, label)
            return report, ""
        dataset = load_dataset(path, fmt)
        report = store_dataset(radar, dataset, label, guard=guard)
        return report, f"als {FORMAT_LABELS[fmt]} erkannt: {grouping_summary(dataset)}"


@bp.before_app_request
def _upload_limit():
    # Files are bigger than the app's JSON bodies (1 MiB): only this view reads more.
    if request.endpoint == "region_web.upload":
        request.max_content_length = MAX_UPLOAD_BYTES + 64 * 1024


@bp.post("/region/hochladen")
@require_role("manager")
def upload():
    upload_file = request.files.get("datei")
    if upload_file is None or not upload_file.filename:
        return _page("arbeitsplatz/region.html", 400, **_context(upload_error="Bitte eine Datei auswählen."))
    # The name only labels the report and the rejects file: no path, no odd characters.
    label = re.sub(r"[^\w.\- ]+", "_", Path(upload_file.filename.replace("\\", "/")).name)[:200].strip(" .")
    label = label or "hochgeladen.csv"
    handle, temp = tempfile.mkstemp(prefix="upload-", suffix=Path(label).suffix[:10], dir=_upload_dir())
    try:
        with os.fdopen(handle, "wb") as out:
            upload_file.save(out)
        try:
            report, recognised = _run_upload(Path(temp), label)
        except UnusableFile as exc:
            message = str(exc).replace(temp, label)
            return _page("arbeitsplatz/region.html", 400, **_context(upload_error=message))
    finally:
        Path(temp).unlink(missing_ok=True)
    return _page("arbeitsplatz/region.html", **_context(report=report, recognised=recognised, upload_name=label))


# -- merge -------------------------------------------------------------------------------------

@bp.post("/region/zusammenfuehren")
@require_role("manager")
def merge():
    from partnerradar.radar import MergeRefused, NotFound

    radar = _radar()
    a, b = (request.form.get("a") or "")[:200], (request.form.get("b") or "")[:200]
    who = current_principal()
    pa, pb = radar.store.get_profile(a), radar.store.get_profile(b)
    if pa is None or pb is None or not (can_edit(who, pa) and can_edit(who, pb)):
        raise Forbidden("Zusammenführen dürfen Sie nur Profile, die Sie beide bearbeiten dürfen.")
    try:
        with audited("profile.merge", f"{a} + {b}"):
            kept, removed = radar.merge(a, b)
    except (MergeRefused, NotFound) as exc:
        return _page("arbeitsplatz/region.html", 409, **_context(merge_error=str(exc)))
    return redirect(url_for("region_web.region_page",
                            hinweis=f"„{removed}“ ist in „{kept}“ aufgegangen.") + "#dubletten", 303)


# -- exports -----------------------------------------------------------------------------------

def _export_profiles(districts):
    conn = _radar().store.conn
    _confirmations()
    where, params = _in_districts(districts)
    rows = conn.execute(
        f"SELECT {', '.join('p.' + c for c in EXPORT_COLUMNS[:-1])}, "
        f"{LAST_CONFIRMED_SQL} FROM profiles p "
        f"LEFT JOIN profile_confirmations c ON c.profile_id = p.id "
        f"WHERE {where} ORDER BY p.landkreis, p.name", params)
    for r in rows:
        record = dict(zip(EXPORT_COLUMNS, r))
        record["listed"] = bool(record["listed"])
        yield _iso_days(record, ("created_at", "updated_at", "last_confirmed"))


def _export_introductions(districts):
    store = _introductions()
    clause, params = _region_clause(districts)
    rows = store.conn.execute(
        f"SELECT i.id, i.state, i.seeker_id, s.name, i.partner_id, p.name, i.region, i.created_at, "
        f"i.introduced_at, i.state_at, i.next_step, i.note FROM introductions i "
        f"JOIN profiles s ON s.id = i.seeker_id JOIN profiles p ON p.id = i.partner_id "
        f"WHERE {clause} ORDER BY i.created_at", params)
    for r in rows:
        yield _iso_days(dict(zip(INTRO_COLUMNS, r)), ("created_at", "introduced_at", "state_at"))


def _iso_days(record: dict, keys) -> dict:
    """Timestamps as the day (2026-03-01), None for none."""
    for key in keys:
        record[key] = datetime.fromtimestamp(record[key]).strftime("%Y-%m-%d") if record[key] else None
    return record


def _german(record: dict, columns) -> list:
    out = []
    for c in columns:
        value = record[c]
        if c == "listed":
            value = "ja" if value else "nein"
        elif c == "kind":
            value = KIND_LABELS.get(value, value)
        elif c == "state":
            value = LABELS.get(value, value)
        out.append("" if value is None else value)
    return out


def _export(fmt: str, stem: str, key: str, header, columns, records, **more):
    """The chosen districts' ``records`` as a download: CSV (German headers and values,
    formulas defused) or JSON (``key``, plus each of ``more`` computed for the districts)."""
    districts, chosen = _chosen_districts()
    name = f"{stem}-{chosen or 'region'}"
    if fmt == "csv":
        return csv_response(header, (_german(r, columns) for r in records(districts)), _filename(name, "csv"))
    if fmt == "json":
        body = {"districts": list(districts), key: list(records(districts)),
                **{extra: compute(districts) for extra, compute in more.items()}}
        return _json_download(body, _filename(name, "json"))
    return _page("arbeitsplatz/fehler.html", 404, title="Nicht gefunden", message="Export nur als CSV oder JSON.")


@bp.get("/region/profile.<fmt>")
@require_role("manager")
def export_profiles(fmt):
    return _export(fmt, "profile", "profiles", EXPORT_HEADER, EXPORT_COLUMNS, _export_profiles)


@bp.get("/region/anbahnungen.<fmt>")
@require_role("manager")
def export_introductions(fmt):
    return _export(fmt, "anbahnungen", "introductions", INTRO_HEADER, INTRO_COLUMNS, _export_introductions,
                   funnel=lambda districts: funnel(districts, time.time()))


def _filename(stem: str, ext: str) -> str:
    import re
    import unicodedata
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_stem).strip("-") + "." + ext


def _json_download(body: dict, filename: str):
    response = jsonify(body)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
