"""Profiles over HTTP: list (paged, filterable), read, create, update, delete."""
from flask import Blueprint, current_app, jsonify, request, url_for

from api.auth import (allow_unlisted, audited, can_edit, can_see_contact, can_see_profile, current_principal,
                      forbid, require_role, users_of, visible_profile)
from api.params import bool_arg, int_arg
from api.search import json_body
from matcher.request import BadRequest
from store.db import CONTACT_FIELDS
from vocabulary.kinds import KINDS
from vocabulary.profile import FIELDS

bp = Blueprint("profiles", __name__, url_prefix="/api/v1/profiles")
MAX_PAGE = 100
#: Contact data (store.db.CONTACT_FIELDS: contact_name, contact_email, street, website) is
#: never part of a public answer.
PUBLIC_FIELDS = ("id", "name", "kind", "description", "offers", "seeks", "keywords", "postcode",
                 "town", "landkreis", "lat", "lon",
                 "listed", "created_at", "updated_at")


def _radar():
    return current_app.extensions["radar"]


def public(profile: dict) -> dict:
    return {k: profile.get(k) for k in PUBLIC_FIELDS}


def view_for(principal, profile: dict) -> dict:
    """The public fields, plus contact data for those entitled to it."""
    body = public(profile)
    if can_see_contact(principal, profile):
        body.update({k: profile.get(k) for k in CONTACT_FIELDS})
    return body


@bp.get("")
def list_profiles():
    kind = request.args.get("kind")
    if kind and kind not in KINDS:
        raise BadRequest(f"Unbekannte Art „{kind}“ (erlaubt: {', '.join(KINDS)})")
    limit = int_arg("limit", 20, 1, MAX_PAGE)
    offset = int_arg("offset", 0, 0, 10**9)
    landkreis = request.args.get("landkreis")
    if landkreis:
        from geo import normalise_district
        canonical = normalise_district(landkreis)
        if canonical is None:
            raise BadRequest(f"Unbekannter Landkreis „{landkreis}“ (erlaubt: "
                             f"{', '.join(_radar().gazetteer.districts())})")
        landkreis = canonical
    principal = current_principal()
    include_unlisted = allow_unlisted(bool_arg("include_unlisted"))
    rows, total = _radar().store.list_profiles(kind=kind, landkreis=landkreis,
                                               town=request.args.get("town"), q=request.args.get("q"),
                                               listed_only=not include_unlisted, limit=limit, offset=offset)
    return jsonify(total=total, limit=limit, offset=offset, profiles=[view_for(principal, r) for r in rows])


@bp.get("/<profile_id>")
def get_profile(profile_id):
    return jsonify(view_for(current_principal(), visible_profile(profile_id)))


def save_profile(record: dict, action: str, changed):
    """The one write path of a profile edit (API and the firm's own page): the same checks
    as a file row, index and database in step, the audit line in the save's transaction.
    Returns the ``IngestReport``; ``report.rejected`` holds the German reason of a refusal."""
    with audited(action, str(record.get("id") or ""), "Felder: " + ", ".join(sorted(changed))):
        report = _radar().save([record])
    principal = current_principal()
    if not report.rejected and action == "profile.create" and principal.user_id is not None:
        users_of().set_creator(report.ids[0], principal.user_id, principal.role)
    return report


def _save(record: dict, status: int, action: str, changed):
    report = save_profile(record, action, changed)
    if report.rejected:
        return jsonify(error="invalid_profile", message=report.rejected[0].reason), 422
    profile_id = report.ids[0]
    principal = current_principal()
    body = public(_radar().get_profile(profile_id))
    # Only duplicates the caller may see: the check must not tell a member which unlisted
    # profiles exist (or what they are called).
    others = [d.b if d.a == profile_id else d.a for d in report.duplicates]
    found = _radar().store.get_profiles(others)
    body["duplicates"] = [{"id": other, "reason": d.reason}
                          for other, d in zip(others, report.duplicates)
                          if other in found and can_see_profile(principal, found[other])]
    response = jsonify(body)
    response.status_code = status
    response.headers["Location"] = url_for("profiles.get_profile", profile_id=profile_id)
    return response


@bp.post("")
@require_role("manager", "member")
def create_profile():
    record = json_body()
    _check_fields(record)
    from ingest.schema import RecordError, clean_text, derive_id, parse_postcode
    try:
        profile_id = clean_text(record.get("id")) or derive_id(clean_text(record.get("name")),
                                                               parse_postcode(record.get("postcode")))
    except RecordError as exc:
        return jsonify(error="invalid_profile", message=str(exc)), 422
    principal = current_principal()
    if principal.role == "member" and profile_id != principal.profile_id:
        forbid(f"Als Mitglied legen Sie nur Ihr eigenes Profil an (id {principal.profile_id}).")
    if _radar().store.get_profile(profile_id) is not None:
        return jsonify(error="conflict", message=f"Profil „{profile_id}“ gibt es schon; zum Ändern PUT verwenden"), 409
    return _save({**record, "id": profile_id}, 201, "profile.create", record)


@bp.put("/<profile_id>")
@require_role("manager", "member")
def update_profile(profile_id):
    record = json_body()
    _check_fields(record)
    existing = visible_profile(profile_id)
    if not can_edit(current_principal(), existing):
        forbid("Dieses Profil dürfen Sie nicht ändern.")
    if record.get("id", profile_id) != profile_id:
        raise BadRequest("Die id im Inhalt weicht von der id in der URL ab")
    merged = {k: existing.get(k) for k in FIELDS}
    merged.update(record)
    if isinstance(merged.get("listed"), bool):   # stored flag; strings go through parse_listed
        merged["listed"] = "ja" if merged["listed"] else "nein"
    merged["extra"] = existing.get("extra") or {}
    return _save(merged, 200, "profile.update", record)


@bp.delete("/<profile_id>")
@require_role("manager", "member")
def delete_profile(profile_id):
    existing = visible_profile(profile_id)
    if not can_edit(current_principal(), existing):
        forbid("Dieses Profil dürfen Sie nicht löschen.")
    with audited("profile.delete", profile_id):
        _radar().delete([profile_id])
    users_of().forget_profile(profile_id)
    return "", 204


def _check_fields(record: dict):
    if not isinstance(record, dict):
        raise BadRequest("Der Inhalt muss ein JSON-Objekt sein")
    unknown = set(record) - set(FIELDS)
    if unknown:
        raise BadRequest(f"Unbekannte(s) Feld(er): {', '.join(sorted(unknown))} (erlaubt: {', '.join(FIELDS)})")
    if "listed" in record and isinstance(record["listed"], bool):
        record["listed"] = "ja" if record["listed"] else "nein"
