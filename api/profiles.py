"""Profiles over HTTP: list (paged, filterable), read, create, update, delete."""
from flask import Blueprint, current_app, jsonify, request, url_for

from api.search import json_body
from ingest.schema import FIELDS, KINDS
from matcher.request import BadRequest

bp = Blueprint("profiles", __name__, url_prefix="/api/v1/profiles")
MAX_PAGE = 100
#: Contact data (contact_name, contact_email, street) is never part of a public answer.
PUBLIC_FIELDS = ("id", "name", "kind", "description", "offers", "seeks", "keywords", "postcode",
                 "town", "landkreis", "lat", "lon", "website",
                 "listed", "created_at", "updated_at")


def _radar():
    return current_app.extensions["radar"]


def public(profile: dict) -> dict:
    return {k: profile.get(k) for k in PUBLIC_FIELDS}


def _int_arg(name, default, low, high):
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be an integer") from None
    if not low <= value <= high:
        raise BadRequest(f"{name} must be between {low} and {high}")
    return value


@bp.get("")
def list_profiles():
    kind = request.args.get("kind")
    if kind and kind not in KINDS:
        raise BadRequest(f"unknown kind {kind!r} (allowed: {', '.join(KINDS)})")
    limit = _int_arg("limit", 20, 1, MAX_PAGE)
    offset = _int_arg("offset", 0, 0, 10**9)
    landkreis = request.args.get("landkreis")
    if landkreis:
        from ingest.geo import normalise_district
        canonical = normalise_district(landkreis)
        if canonical is None:
            raise BadRequest(f"unknown landkreis {landkreis!r}")
        landkreis = canonical
    rows, total = _radar().store.list_profiles(kind=kind, landkreis=landkreis,
                                               town=request.args.get("town"), q=request.args.get("q"),
                                               limit=limit, offset=offset)
    return jsonify(total=total, limit=limit, offset=offset, profiles=[public(r) for r in rows])


@bp.get("/<profile_id>")
def get_profile(profile_id):
    return jsonify(public(_radar().get_profile(profile_id)))


def _save(record: dict, status: int):
    report = _radar().save([record])
    if report.rejected:
        return jsonify(error="invalid_profile", message=report.rejected[0].reason), 422
    profile_id = report.ids[0]
    body = public(_radar().get_profile(profile_id))
    body["duplicates"] = [{"id": d.b if d.a == profile_id else d.a, "reason": d.reason}
                          for d in report.duplicates]
    response = jsonify(body)
    response.status_code = status
    response.headers["Location"] = url_for("profiles.get_profile", profile_id=profile_id)
    return response


@bp.post("")
def create_profile():
    record = json_body()
    _check_fields(record)
    from ingest.schema import RecordError, clean_text, derive_id, parse_postcode
    try:
        profile_id = clean_text(record.get("id")) or derive_id(clean_text(record.get("name")),
                                                               parse_postcode(record.get("postcode")))
    except RecordError as exc:
        return jsonify(error="invalid_profile", message=str(exc)), 422
    if _radar().store.get_profile(profile_id) is not None:
        return jsonify(error="conflict", message=f"profile {profile_id} exists; use PUT to change it"), 409
    return _save({**record, "id": profile_id}, 201)


@bp.put("/<profile_id>")
def update_profile(profile_id):
    record = json_body()
    _check_fields(record)
    existing = _radar().get_profile(profile_id)
    if record.get("id", profile_id) != profile_id:
        raise BadRequest("the id in the body differs from the URL")
    merged = {k: existing.get(k) for k in FIELDS}
    merged.update(record)
    if isinstance(merged.get("listed"), bool):   # stored flag; strings go through parse_listed
        merged["listed"] = "ja" if merged["listed"] else "nein"
    merged["extra"] = existing.get("extra") or {}
    return _save(merged, 200)


@bp.delete("/<profile_id>")
def delete_profile(profile_id):
    _radar().get_profile(profile_id)
    _radar().delete([profile_id])
    return "", 204


def _check_fields(record: dict):
    if not isinstance(record, dict):
        raise BadRequest("expected a JSON object")
    unknown = set(record) - set(FIELDS)
    if unknown:
        raise BadRequest(f"unknown field(s): {', '.join(sorted(unknown))} (allowed: {', '.join(FIELDS)})")
    if "listed" in record and isinstance(record["listed"], bool):
        record["listed"] = "ja" if record["listed"] else "nein"
