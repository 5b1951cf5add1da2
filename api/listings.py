"""Offers and requests over HTTP: ``/api/v1/listings`` (see listings/ and the README).

Who may do what follows the access matrix: everyone reads and lists listings, but an
anonymous listing (and one of an unlisted profile) names its owner to staff and to the
owner's own member only; a member posts and edits its own profile's listings, a manager
those of profiles in its Landkreise (or that it created), an admin all. A listing's
matches are for those who may edit it; a region's potential is for managers and admins.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request, url_for

from api.auth import audit, can_edit, current_principal, forbid, require_role
from api.csv_safe import csv_response
from api.params import int_arg
from listings.model import FIELDS, ListingError
from listings.potential import CSV_HEADER, RegionError, csv_rows, potential, resolve_region
from listings.service import ListingNotFound, Listings
from listings.types import STATUSES, TYPES
from matcher.request import BadRequest

bp = Blueprint("listings", __name__, url_prefix="/api/v1/listings")
MAX_PAGE = 100
MAX_MATCHES = 50
WRITABLE = set(FIELDS) - {"id"}


def service() -> Listings:
    """One per app: its matcher keeps the listings table in memory between requests."""
    app = current_app
    found = app.extensions.get("listings")
    if found is None:
        found = app.extensions["listings"] = Listings(app.extensions["radar"])
    return found


def owner_of(listing: dict) -> dict | None:
    return service().radar.store.get_profile(listing["profile_id"])


def reveals_owner(principal, profile_id: str) -> bool:
    """Staff see every owner; a member sees its own profile's."""
    return principal.is_staff or (principal.role == "member" and principal.profile_id == profile_id)


def may_see(principal, listing: dict, owner: dict | None) -> bool:
    """A listing of an unlisted profile exists for staff and its own member only."""
    return owner is not None and (bool(owner.get("listed")) or reveals_owner(principal, owner["id"]))


@bp.errorhandler(ListingNotFound)
def _missing(exc):
    return jsonify(error="not_found", message=str(exc)), 404


def visible_listing(listing_id: str) -> tuple[dict, dict]:
    listing = service().store.get(listing_id)
    owner = owner_of(listing) if listing else None
    if listing is None or not may_see(current_principal(), listing, owner):
        raise ListingNotFound(f"Eintrag „{listing_id}“ nicht gefunden")
    return listing, owner


def editable_listing(listing_id: str, verb: str) -> tuple[dict, dict]:
    listing, owner = visible_listing(listing_id)
    if not can_edit(current_principal(), owner):
        forbid(f"Diesen Eintrag dürfen Sie nicht {verb}.")
    return listing, owner


def view(listing: dict, owner: dict | None) -> dict:
    return service().view(listing, owner, reveals_owner(current_principal(), listing["profile_id"]))


def _body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest("Erwartet wird ein JSON-Objekt (Content-Type: application/json)")
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise BadRequest(f"Unbekannte(s) Feld(er): {', '.join(sorted(unknown))} (erlaubt: {', '.join(FIELDS)})")
    return data


def invalid(exc: ListingError):
    return jsonify(error="invalid_listing", message=str(exc)), 422


@bp.get("")
def list_listings():
    principal = current_principal()
    limit = int_arg("limit", 20, 1, MAX_PAGE)
    offset = int_arg("offset", 0, 0, 10**9)
    kind = request.args.get("type") or None
    if kind and kind not in TYPES:
        raise BadRequest(f"Unbekannter Typ „{kind}“ (erlaubt: {', '.join(TYPES)})")
    status = request.args.get("status") or None
    if status and status not in STATUSES:
        raise BadRequest(f"Unbekannter Status „{status}“ (erlaubt: {', '.join(STATUSES)})")
    landkreis = request.args.get("landkreis") or None
    if landkreis:
        from geo import normalise_district
        landkreis = normalise_district(landkreis)
        if landkreis is None:
            raise BadRequest(f"Unbekannter Landkreis „{request.args['landkreis']}“")
    profile_id = request.args.get("profile_id") or None
    q = (request.args.get("q") or "")[:200] or None
    rows, total = _filtered(principal, kind, landkreis, profile_id, status, q, limit, offset)
    owners = service().owners(rows)
    return jsonify(total=total, limit=limit, offset=offset,
                   listings=[view(r, owners.get(r["profile_id"])) for r in rows])


def _filtered(principal, kind, landkreis, profile_id, status, q, limit, offset):
    """A page of listings this principal may see. Asking for a profile's listings must not
    reveal which anonymous ones are its own, so those are left out unless the owner shows."""
    store = service().store
    if principal.is_staff:
        return store.list(type_=kind, landkreis=landkreis, profile_id=profile_id, status=status, q=q,
                          limit=limit, offset=offset)
    own = principal.profile_id if principal.role == "member" else None
    clauses, params = ["(p.listed = 1" + (" OR l.profile_id = ?" if own else "") + ")"], ([own] if own else [])
    if profile_id:
        clauses.append("l.profile_id = ?")
        params.append(profile_id)
        if profile_id != own:
            clauses.append("l.visibility = 'public'")
    for column, value in (("type", kind), ("landkreis", landkreis), ("status", status)):
        if value:
            clauses.append(f"l.{column} = ?")
            params.append(value)
    if q:
        clauses.append("(l.title LIKE ? OR l.text LIKE ? OR l.material LIKE ? OR l.process LIKE ?)")
        params.extend([f"%{q}%"] * 4)
    where = " AND ".join(clauses)
    conn = store.conn
    total = conn.execute(f"SELECT count(*) FROM listings l JOIN profiles p ON p.id = l.profile_id WHERE {where}",
                         params).fetchone()[0]
    found = [r[0] for r in conn.execute(
        f"SELECT l.id FROM listings l JOIN profiles p ON p.id = l.profile_id WHERE {where} "
        f"ORDER BY l.updated_at DESC, l.id LIMIT ? OFFSET ?", params + [limit, offset])]
    records = store.get_many(found)
    return [records[i] for i in found if i in records], total


@bp.post("")
@require_role("manager", "member")
def create_listing():
    data = _body()
    principal = current_principal()
    profile_id = str(data.get("profile_id") or (principal.profile_id if principal.role == "member" else ""))
    owner = service().radar.store.get_profile(profile_id) if profile_id else None
    if owner is None:
        return invalid(ListingError(f"Profil „{profile_id}“ nicht gefunden" if profile_id else
                                    "profile_id fehlt (welchem Profil gehört der Eintrag?)"))
    if not can_edit(principal, owner):
        forbid("Einträge legen Sie nur für Profile an, die Sie bearbeiten dürfen"
               + (f" (Ihr Profil: {principal.profile_id})." if principal.role == "member" else "."))
    try:
        listing = service().create({**data, "profile_id": profile_id}, created_by=principal.user_id)
    except ListingError as exc:
        return invalid(exc)
    audit("listing.create", listing["id"], "Felder: " + ", ".join(sorted(data)))
    response = jsonify(view(listing, owner))
    response.status_code = 201
    response.headers["Location"] = url_for("listings.get_listing", listing_id=listing["id"])
    return response


@bp.get("/<listing_id>")
def get_listing(listing_id):
    return jsonify(view(*visible_listing(listing_id)))


@bp.put("/<listing_id>")
@require_role("manager", "member")
def update_listing(listing_id):
    data = _body()
    listing, owner = editable_listing(listing_id, "ändern")
    if data.get("profile_id", listing["profile_id"]) != listing["profile_id"]:
        raise BadRequest("Der Besitzer eines Eintrags lässt sich nicht ändern (profile_id)")
    try:
        updated = service().update(listing_id, data)
    except ListingError as exc:
        return invalid(exc)
    audit("listing.update", listing_id, "Felder: " + ", ".join(sorted(data)))
    return jsonify(view(updated, owner))


@bp.post("/<listing_id>/renew")
@require_role("manager", "member")
def renew_listing(listing_id):
    _, owner = editable_listing(listing_id, "verlängern")
    renewed = service().renew(listing_id)
    audit("listing.renew", listing_id)
    return jsonify(view(renewed, owner))


@bp.delete("/<listing_id>")
@require_role("manager", "member")
def delete_listing(listing_id):
    editable_listing(listing_id, "löschen")
    service().delete([listing_id])
    audit("listing.delete", listing_id)
    return "", 204


@bp.get("/<listing_id>/matches")
@require_role("manager", "member")
def listing_matches(listing_id):
    listing, owner = editable_listing(listing_id, "abgleichen")
    limit = int_arg("limit", 10, 1, MAX_MATCHES)
    principal = current_principal()
    return jsonify(listing=view(listing, owner), matches=visible_matches(listing_id, limit, principal))


def visible_matches(listing_id: str, limit: int, principal) -> list[dict]:
    """Matches as this principal may see them: unlisted profiles' listings only for staff."""
    svc = service()
    hits = svc.matches(listing_id, limit=limit)
    owners = svc.owners([h.listing for h in hits])
    shown = [h for h in hits if may_see(principal, h.listing, owners.get(h.listing["profile_id"]))]
    return [svc.hit_view(h, owners, reveals_owner(principal, h.listing["profile_id"])) for h in shown]


@bp.get("/potential")
@require_role("manager")
def region_potential():
    args = request.args
    try:
        region = resolve_region(service().radar, args.get("landkreis", ""), args.get("town", ""),
                                _radius(args.get("radius_km")))
    except RegionError as exc:
        raise BadRequest(str(exc)) from None
    result = potential(service(), region)
    owners = service().owners([p[s] for p in result["pairs"] for s in ("offer", "request")])
    if args.get("format", "json") == "csv":
        return csv_response(CSV_HEADER, csv_rows(result["pairs"], owners, lambda _pid: True),
                            "potenzial.csv")
    if args.get("format", "json") != "json":
        raise BadRequest("format muss json oder csv sein")
    svc = service()
    return jsonify(region=result["region"], listings=result["listings"], totals=result["totals"],
                   pairs=[{"offer": svc.view(p["offer"], owners.get(p["offer"]["profile_id"]), True),
                           "request": svc.view(p["request"], owners.get(p["request"]["profile_id"]), True),
                           "score": p["hit"].score, "mutual": p["hit"].mutual,
                           "distance_km": p["hit"].distance_km, "criteria": p["hit"].criteria,
                           "explanation": p["hit"].explanation} for p in result["pairs"]])


def _radius(value):
    if value in (None, ""):
        return None
    try:
        return float(value)
    except ValueError:
        raise BadRequest("radius_km muss eine Zahl sein") from None


__all__ = ["bp", "service", "reveals_owner", "may_see", "visible_matches"]
