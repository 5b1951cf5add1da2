"""German pages for offers and requests: browse, post, see matches, a region's potential.

Server-rendered like the other pages (no JavaScript). The rules are those of the API
(``api/listings.py``): everyone browses, anonymous listings name their owner to staff and
the owner's member only; posting, editing and a listing's matches are for those who may
edit the owner profile; the region potential page is for managers and admins.
"""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.exceptions import Forbidden

from api.auth import audit, can_edit, current_principal, require_role
from api.csv_safe import csv_response
from api.page_forms import PageError, radius_km
from api.listings import may_see, reveals_owner, service, visible_matches
from listings.model import ListingError
from listings.potential import CSV_HEADER, RegionError, csv_rows, network, potential, resolve_region
from listings.types import FIELD_LABELS, STATUSES, TYPES, VISIBILITIES

bp = Blueprint("listings_web", __name__)
PER_PAGE = 20
MATCHES_ON_PAGE = 10
FORM_FIELDS = ("type", "title", "text", "material", "waste_code", "quantity", "unit", "period",
               "temperature_c", "power_kw", "process", "hours_per_month", "postcode", "town", "visibility")
MAX_FORM_CHARS = 4000


@bp.app_template_filter("de_date")
def de_date(timestamp: float) -> str:
    from datetime import datetime
    return datetime.fromtimestamp(timestamp).strftime("%d.%m.%Y")


def _render(template: str, status: int = 200, **context):
    radar = service().radar
    context.setdefault("districts", radar.gazetteer.districts())
    context.setdefault("types", list(TYPES.values()))
    context.setdefault("statuses", STATUSES)
    context.setdefault("visibilities", VISIBILITIES)
    context.setdefault("labels", FIELD_LABELS)
    return render_template(template, **context), status


@bp.errorhandler(Forbidden)
def _forbidden(exc):
    return _render("forbidden.html", 403, message=exc.description)


def _listing_or_404(listing_id: str):
    listing = service().store.get(listing_id)
    owner = service().radar.store.get_profile(listing["profile_id"]) if listing else None
    if listing is None or not may_see(current_principal(), listing, owner):
        return None, None
    return listing, owner


@bp.get("/angebote")
def browse():
    from api.listings import _filtered

    args = request.args
    form = {"typ": args.get("typ", ""), "landkreis": args.get("landkreis", ""), "q": (args.get("q") or "")[:200]}
    error = None
    if form["typ"] and form["typ"] not in TYPES:
        error, form["typ"] = "Unbekannter Typ.", ""
    if form["landkreis"] and form["landkreis"] not in service().radar.gazetteer.districts():
        error, form["landkreis"] = "Unbekannter Landkreis.", ""
    try:
        page = max(1, int(args.get("seite", "1")))
    except ValueError:
        page = 1
    principal = current_principal()
    rows, total = _filtered(principal, form["typ"] or None, form["landkreis"] or None, None, None,
                            form["q"] or None, PER_PAGE, (page - 1) * PER_PAGE)
    owners = service().owners(rows)
    items = [service().view(r, owners.get(r["profile_id"]), reveals_owner(principal, r["profile_id"]))
             for r in rows]
    return _render("listings.html", 400 if error else 200, form=form, items=items, total=total, page=page,
                   pages=max(1, -(-total // PER_PAGE)), error=error)


def _owner_choices(principal) -> list[dict]:
    """Profiles this person may post for: a member its own, a manager its region's (capped)."""
    store = service().radar.store
    if principal.role == "member":
        own = store.get_profile(principal.profile_id) if principal.profile_id else None
        return [own] if own else []
    if principal.role == "manager":
        out = []
        for district in principal.region:
            out.extend(store.list_profiles(landkreis=district, listed_only=False, limit=300)[0])
        return out
    return []      # admin: types the id


@bp.get("/angebote/neu")
@require_role("manager", "member")
def new_form():
    principal = current_principal()
    return _render("listing_form.html", form={"visibility": "public", "type": request.args.get("typ", "")},
                   owners=_owner_choices(principal))


@bp.post("/angebote/neu")
@require_role("manager", "member")
def create():
    principal = current_principal()
    data = {k: (request.form.get(k) or "").strip()[:MAX_FORM_CHARS] for k in FORM_FIELDS}
    profile_id = principal.profile_id if principal.role == "member" else (request.form.get("profile_id") or "").strip()
    owner = service().radar.store.get_profile(profile_id) if profile_id else None
    try:
        if owner is None:
            raise ListingError("Bitte ein Profil wählen, dem der Eintrag gehört." if not profile_id
                               else f"Profil „{profile_id}“ nicht gefunden")
        if not can_edit(principal, owner):
            raise Forbidden("Einträge stellen Sie nur für Profile ein, die Sie bearbeiten dürfen.")
        listing = service().create({**data, "profile_id": profile_id}, created_by=principal.user_id, source="web")
    except ListingError as exc:
        return _render("listing_form.html", 400, form={**data, "profile_id": profile_id}, error=str(exc),
                       owners=_owner_choices(principal))
    audit("listing.create", listing["id"], "Felder: " + ", ".join(sorted(k for k, v in data.items() if v)))
    return redirect(url_for("listings_web.detail", listing_id=listing["id"]), 303)


@bp.get("/angebote/<listing_id>")
def detail(listing_id: str):
    listing, owner = _listing_or_404(listing_id)
    if listing is None:
        return _render("listing_missing.html", 404, what=listing_id)
    principal = current_principal()
    editable = principal.role != "anonymous" and can_edit(principal, owner)
    matches = visible_matches(listing_id, MATCHES_ON_PAGE, principal) if editable else None
    return _render("listing.html", item=service().view(listing, owner, reveals_owner(principal, owner["id"])),
                   editable=editable, matches=matches, message=request.args.get("hinweis"))


def _editable(listing_id: str):
    listing, owner = _listing_or_404(listing_id)
    if listing is None:
        return None
    if not can_edit(current_principal(), owner):
        raise Forbidden("Diesen Eintrag dürfen Sie nicht ändern.")
    return listing


@bp.post("/angebote/<listing_id>/status")
@require_role("manager", "member")
def set_status(listing_id: str):
    if _editable(listing_id) is None:
        return _render("listing_missing.html", 404, what=listing_id)
    status = request.form.get("status", "")
    if status not in STATUSES:
        return redirect(url_for("listings_web.detail", listing_id=listing_id, hinweis="Unbekannter Status."), 303)
    service().update(listing_id, {"status": status})
    audit("listing.update", listing_id, "Felder: status")
    return redirect(url_for("listings_web.detail", listing_id=listing_id,
                            hinweis=f"Status: {STATUSES[status]}"), 303)


@bp.post("/angebote/<listing_id>/verlaengern")
@require_role("manager", "member")
def renew(listing_id: str):
    if _editable(listing_id) is None:
        return _render("listing_missing.html", 404, what=listing_id)
    service().renew(listing_id)
    audit("listing.renew", listing_id)
    return redirect(url_for("listings_web.detail", listing_id=listing_id,
                            hinweis="Um sechs Monate verlängert."), 303)


@bp.post("/angebote/<listing_id>/loeschen")
@require_role("manager", "member")
def delete(listing_id: str):
    if _editable(listing_id) is None:
        return _render("listing_missing.html", 404, what=listing_id)
    service().delete([listing_id])
    audit("listing.delete", listing_id)
    return redirect(url_for("listings_web.browse"), 303)


def _region_form():
    args = request.args
    form = {"landkreis": args.get("landkreis", ""), "ort": (args.get("ort") or "")[:100],
            "umkreis": (args.get("umkreis") or "").strip()[:10]}
    if not (form["landkreis"] or form["ort"]):
        return form, None
    radius = radius_km(form["umkreis"])
    try:
        region = resolve_region(service().radar, "" if form["ort"] else form["landkreis"], form["ort"], radius)
    except RegionError as exc:
        raise PageError(str(exc)) from None
    return form, potential(service(), region)


@bp.get("/angebote/region")
@require_role("manager")
def region_page():
    form, result, error, picture = {}, None, None, None
    try:
        form, result = _region_form()
    except PageError as exc:
        error = str(exc)
    owners = {}
    if result:
        owners = service().owners([p[s] for p in result["pairs"] for s in ("offer", "request")])
        picture = network(result["pairs"], owners, lambda _pid: True)
    return _render("listings_region.html", 400 if error else 200, form=form, result=result, picture=picture,
                   owners=owners, error=error)


@bp.get("/angebote/region.csv")
@require_role("manager")
def region_csv():
    from flask import Response

    try:
        form, result = _region_form()
    except PageError as exc:
        return Response(str(exc) + "\n", status=400, mimetype="text/plain")
    if result is None:
        return Response("Bitte einen Landkreis (landkreis=…) oder einen Ort (ort=…) angeben.\n", status=400,
                        mimetype="text/plain")
    owners = service().owners([p[s] for p in result["pairs"] for s in ("offer", "request")])
    return csv_response(CSV_HEADER, csv_rows(result["pairs"], owners, lambda _pid: True), "potenzial.csv")
