"""The innovation manager's pages: search, profile, Inno Slam (server-rendered, German).

Plain HTML forms with GET, so every result page has an address a person can bookmark
or send on; no JavaScript is needed. Who sees what follows api/auth.py: contact data
(store.db.CONTACT_FIELDS) and unlisted profiles only for staff (and a member's own
profile); Inno Slam planning (page and CSV) for managers and admins.
"""
from __future__ import annotations

import re

from flask import Blueprint, Response, current_app, render_template, request, url_for
from markupsafe import Markup, escape
from werkzeug.exceptions import Forbidden

import innoslam
from api.app import public_url
from api.auth import can_see_contact, can_see_profile, current_principal, require_role
# One formula defence for every CSV a person downloads (also full-width ＝ and leading blanks).
from api.csv_safe import csv_response
from api.page_forms import PageError, radius_km
from ingest.csv_safe import csv_text
from matcher.request import BadRequest, SearchRequest
from store.db import CONTACT_FIELDS
from vocabulary.kinds import KIND_LABELS, KINDS

# Templates and the stylesheet live in api/templates and api/static, the app's own folders.
bp = Blueprint("web", __name__)

RESULTS_PER_PAGE = 10
#: Pages of a search: page n ranks the first n * 10 (the API's largest limit is 100) and
#: shows the last ten, so a later page always continues the earlier ones.
MAX_PAGES = 10
PARTNERS_ON_PROFILE = 8
MAX_QUERY_CHARS = 2000


def _radar():
    return current_app.extensions["radar"]


@bp.app_template_filter("de_num")
def de_num(value, digits: int = 0) -> str:
    """1234.5 -> '1.234,5' (German number format)."""
    if value is None:
        return "–"
    text = f"{value:,.{digits}f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


@bp.app_template_filter("kind_label")
def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind or "")


@bp.app_template_global("highlight")
def highlight(text: str, terms) -> Markup:
    """``text`` escaped, with every word that starts with one of ``terms`` in <mark>."""
    text = text or ""
    words = sorted({t for t in (terms or []) if t and len(t) > 1}, key=len, reverse=True)
    if not words:
        return escape(text)
    pattern = re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\w*", re.IGNORECASE)
    out, last = [], 0
    for match in pattern.finditer(text):
        out.append(escape(text[last:match.start()]))
        out.append(Markup("<mark>") + escape(match.group(0)) + Markup("</mark>"))
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def _form_text(name: str, max_chars: int = MAX_QUERY_CHARS) -> str:
    value = (request.args.get(name) or "").strip()
    if len(value) > max_chars:
        raise PageError(f"Der Text ist zu lang ({len(value)} Zeichen, höchstens {max_chars}).")
    return value


def _search_form() -> dict:
    try:
        page = int(request.args.get("seite") or 1)
    except ValueError:
        raise PageError("Die Seitenzahl muss eine ganze Zahl sein.") from None
    if not 1 <= page <= MAX_PAGES:
        raise PageError(f"Es gibt höchstens {MAX_PAGES} Seiten mit Ergebnissen; bitte die Suche eingrenzen.")
    return {"q": _form_text("q"), "art": request.args.get("art", ""),
            "landkreis": request.args.get("landkreis", ""), "ort": _form_text("ort", 100),
            "umkreis": (request.args.get("umkreis") or "").strip(), "seite": page}


def _search_request(form: dict) -> SearchRequest:
    radar = _radar()
    if form["art"] and form["art"] not in KINDS:
        raise PageError("Unbekannte Art der Organisation.")
    if form["landkreis"] and form["landkreis"] not in radar.gazetteer.districts():
        raise PageError("Unbekannter Landkreis.")
    radius = radius_km(form["umkreis"])
    if radius is not None:
        if not 0 < radius <= 1000:
            raise PageError("Der Umkreis muss zwischen 1 und 1.000 km liegen.")
        if not form["ort"]:
            raise PageError("Für einen Umkreis bitte auch einen Ort oder eine Postleitzahl angeben.")
    if form["ort"] and radar.gazetteer.locate(form["ort"]) is None:
        raise PageError(f"Den Ort „{form['ort']}“ kennen wir nicht: bitte eine sächsische Stadt "
                        "oder eine Postleitzahl angeben.")
    return SearchRequest(query=form["q"], kinds=[form["art"]] if form["art"] else [],
                         landkreis=form["landkreis"], near=form["ort"], radius_km=radius,
                         limit=RESULTS_PER_PAGE * form.get("seite", 1))


@bp.app_context_processor
def _who():
    return {"principal": current_principal()}


@bp.errorhandler(Forbidden)
def _forbidden(exc):
    return _render("forbidden.html", 403, message=exc.description)


def _render(template: str, status: int = 200, **context):
    radar = _radar()
    context.setdefault("districts", radar.gazetteer.districts())
    context.setdefault("kinds", [(k, KIND_LABELS.get(k, k)) for k in KINDS])
    return render_template(template, **context), status


@bp.get("/")
def search_page():
    form, results, error, more, first = {}, None, None, False, 1
    try:
        form = _search_form()
        if form["q"]:
            ranked = _radar().search(_search_request(form))
            first = (form["seite"] - 1) * RESULTS_PER_PAGE + 1
            results = ranked[first - 1:]
            more = len(ranked) == RESULTS_PER_PAGE * form["seite"] and form["seite"] < MAX_PAGES
    except (PageError, BadRequest) as exc:
        error = str(exc)
    return _render("search.html", 400 if error else 200, form=form, results=results, error=error,
                   more=more, first=first, paging={k: v for k, v in form.items() if v and k != "seite"},
                   map=_hits_map(results, first) if results else None)


def _hits_map(hits: list[dict], first_rank: int) -> dict:
    from api.map_svg import saxony_map

    places = _radar().store.get_profiles([h["id"] for h in hits])
    located = [{**h, "lat": places.get(h["id"], {}).get("lat"), "lon": places.get(h["id"], {}).get("lon")}
               for h in hits]
    return saxony_map(_radar().gazetteer, located, first_rank)


SEARCH_CSV_HEADER = ["Rang", "Organisation", "Art", "Ort", "Landkreis", "Entfernung (km)", "Score",
                     "Inhaltlich belegt", "Gemeinsame Begriffe", "Passende Aussage", "Profil"]


@bp.get("/suche.csv")
def search_csv():
    """The search's first 100 hits as CSV (public fields only, formulas defused)."""
    try:
        form = _search_form()
        if not form["q"]:
            raise PageError("Bitte angeben, was Sie suchen (q=…).")
        form["seite"] = MAX_PAGES
        results = _radar().search(_search_request(form))
    except (PageError, BadRequest) as exc:
        return Response(str(exc) + "\n", status=400, mimetype="text/plain")
    rows = ((rank, hit["name"], KIND_LABELS.get(hit["kind"], hit["kind"]), hit["town"] or "", hit["landkreis"] or "",
             "" if hit["distance_km"] is None else de_num(hit["distance_km"], 1), hit["score"],
             "ja" if hit["supported"] else "nein",
             ", ".join((hit.get("explanation") or {}).get("shared_terms", [])),
             (hit.get("explanation") or {}).get("best_sentence", ""),
             public_url(url_for("web.profile_page", profile_id=hit["id"])))
            for rank, hit in enumerate(results, start=1))
    return csv_response(SEARCH_CSV_HEADER, rows, "partnersuche.csv")


@bp.get("/profil/<profile_id>")
def profile_page(profile_id: str):
    radar = _radar()
    profile = radar.store.get_profile(profile_id)
    principal = current_principal()
    if profile is None or not can_see_profile(principal, profile):
        return _render("not_found.html", 404, what=profile_id)
    contact = {key: profile.pop(key, None) for key in CONTACT_FIELDS}
    if not can_see_contact(principal, profile) or not any(contact.values()):
        contact = None
    partners = radar.partners(profile_id, SearchRequest(limit=PARTNERS_ON_PROFILE))
    keywords = [k.strip() for k in (profile.get("keywords") or "").split(";") if k.strip()]
    return _render("profile.html", profile=profile, keywords=keywords, partners=partners, contact=contact)


def _audience_form() -> tuple[dict, dict | None]:
    form = {"thema": _form_text("thema"), "profil": _form_text("profil", 200)}
    if not form["thema"] and not form["profil"]:
        return form, None
    radar = _radar()
    if form["profil"]:
        profile = radar.store.get_profile(form["profil"])
        if profile is None or not profile["listed"]:
            raise PageError("Dieses Forschungsprofil gibt es nicht.")
        form["profil_name"] = profile["name"]
        return form, innoslam.audience(radar, profile_id=form["profil"])
    return form, innoslam.audience(radar, topic=form["thema"])


@bp.get("/innoslam")
@require_role("manager")
def innoslam_page():
    form, result, error = {}, None, None
    try:
        form, result = _audience_form()
    except (PageError, BadRequest) as exc:
        error = str(exc)
    chart = bar_chart(result["districts"]) if result else None
    return _render("innoslam.html", 400 if error else 200, form=form, result=result, chart=chart,
                   error=error)


@bp.get("/innoslam/einladungen.csv")
@require_role("manager")
def invitations_csv():
    try:
        form, result = _audience_form()
    except (PageError, BadRequest) as exc:
        return Response(str(exc) + "\n", status=400, mimetype="text/plain")
    if result is None:
        return Response("Bitte ein Thema (thema=…) oder ein Forschungsprofil (profil=…) angeben.\n",
                        status=400, mimetype="text/plain")
    # Links from the configured base_url: the Host header is the client's to choose.
    rows = invitation_rows(result, lambda pid: public_url(url_for("web.profile_page", profile_id=pid)),
                           invitation_contacts(result, current_principal()))
    return csv_response(CSV_HEADER, rows, "einladungen.csv")


CSV_HEADER = ["Rang Landkreis", "Landkreis", "Veranstaltungsort", "Organisation", "Art", "Ort",
              "Score", "Entfernung zum Veranstaltungsort (km)", "Gemeinsame Begriffe",
              "Passende Aussage", "Profil", "Ansprechpartner", "E-Mail"]


def invitation_contacts(result: dict, principal) -> dict[str, tuple[str, str]]:
    """Contact name and e-mail of the firms this person may invite: an admin all, a manager
    those of its own Landkreise (contact data only for those entitled to it)."""
    if principal.role == "admin":
        wanted = [f["id"] for d in result["districts"] for f in d["firms"]]
    elif principal.role == "manager":
        wanted = [f["id"] for d in result["districts"] if d["name"] in principal.region for f in d["firms"]]
    else:
        return {}
    profiles = _radar().store.get_profiles(wanted)
    return {pid: (p.get("contact_name") or "", p.get("contact_email") or "") for pid, p in profiles.items()
            if principal.role == "admin" or p.get("landkreis") in principal.region}


def invitation_rows(result: dict, profile_url, contacts: dict[str, tuple[str, str]] | None = None):
    """One row per firm to invite, districts in their ranking order; ``contacts`` (id -> name,
    e-mail) fills the last two columns for the firms the reader may contact."""
    contacts = contacts or {}
    for rank, district in enumerate(result["districts"], start=1):
        for firm in district["firms"]:
            explanation = firm.get("explanation") or {}
            distance = firm.get("venue_distance_km")
            yield (rank, district["name"], district["venue"] or "", firm["name"],
                   KIND_LABELS.get(firm["kind"], firm["kind"]), firm["town"] or "", firm["score"],
                   "" if distance is None else de_num(distance, 1),
                   ", ".join(explanation.get("shared_terms", [])), explanation.get("best_sentence", ""),
                   profile_url(firm["id"]), *contacts.get(firm["id"], ("", "")))


def invitations_table(result: dict, profile_url) -> str:
    """The invitation list as CSV text (``;``, formulas defused)."""
    return csv_text(CSV_HEADER, invitation_rows(result, profile_url))


def bar_chart(districts: list[dict], width: int = 700, bar_height: int = 26) -> dict:
    """Geometry of a horizontal bar chart (one bar per district), drawn by the template."""
    # Room for the longest name, "Sächsische Schweiz-Osterzgebirge", at 14 px.
    label_width, value_width, gap = 270, 130, 8
    top = max((d["score"] for d in districts), default=0) or 1.0
    span = width - label_width - value_width
    bars = []
    for i, d in enumerate(districts):
        length = span * d["score"] / top
        bars.append({"name": d["name"], "score": d["score"], "firms": d["matching_firms"],
                     "y": i * (bar_height + gap), "length": max(length, 2 if d["score"] else 0)})
    return {"width": width, "height": len(districts) * (bar_height + gap), "bar_height": bar_height,
            "label_width": label_width, "span": span, "bars": bars}


def _small_int(name: str, default: int | None, low: int, high: int, label: str) -> int | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise PageError(f"{label} muss eine ganze Zahl sein.") from None
    if not low <= value <= high:
        raise PageError(f"{label} muss zwischen {low} und {high} liegen.")
    return value


@bp.get("/innoslam/programm")
@require_role("manager")
def programme_page():
    """Which research groups to put on one event's programme (as ``innoslam programme``)."""
    form = {"landkreis": request.args.get("landkreis", ""), "ort": _form_text("ort", 100),
            "umkreis": (request.args.get("umkreis") or "").strip()[:10], "anzahl": request.args.get("anzahl", "")}
    result, error = None, None
    try:
        if form["landkreis"] or form["ort"]:
            radius = radius_km(form["umkreis"])
            n = _small_int("anzahl", 5, innoslam.TALKS_MIN, innoslam.TALKS_MAX, "Die Zahl der Vorträge")
            result = innoslam.plan_programme(_radar(), district="" if form["ort"] else form["landkreis"],
                                   town=form["ort"], radius_km=radius, n=n)
    except (PageError, BadRequest) as exc:
        error = str(exc)
    return _render("innoslam_programm.html", 400 if error else 200, form=form, result=result, error=error)


@bp.get("/innoslam/tour")
@require_role("manager")
def tour_page():
    """Events in several districts for the scientists who signed up (as ``innoslam tour``)."""
    raw = _form_text("wissenschaftler", 4000)
    form = {"wissenschaftler": raw, "veranstaltungen": request.args.get("veranstaltungen", "")}
    result, error = None, None
    try:
        ids = [part.strip() for part in re.split(r"[\s,;]+", raw) if part.strip()]
        if ids:
            n_events = _small_int("veranstaltungen", None, 1, innoslam.EVENTS_MAX, "Die Zahl der Veranstaltungen")
            if n_events is None:
                raise PageError("Bitte die Zahl der Veranstaltungen angeben.")
            for pid in ids:
                profile = _radar().store.get_profile(pid)
                if profile is None or not profile["listed"]:
                    raise PageError(f"Ein Forschungsprofil „{pid[:100]}“ gibt es nicht.")
            result = innoslam.plan_tour(_radar(), ids, n_events)
    except (PageError, BadRequest) as exc:
        error = str(exc)
    return _render("innoslam_tour.html", 400 if error else 200, form=form, result=result, error=error)
