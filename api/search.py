"""Search and "partners for this organisation".

Hits never carry contact data (the hit keys are fixed in ``Radar._results``, the
explanation quotes profile text only). Unlisted profiles stay out of results; staff
may ask for them with ``include_unlisted``. A seeker a principal may not see is
answered like a missing one (404), so its existence and text don't leak through the
explanation's ``query_sentence``.
"""
from flask import Blueprint, current_app, jsonify, request

from api.auth import can_see_profile, current_principal, forbid
from matcher.request import BadRequest, SearchRequest

bp = Blueprint("search", __name__, url_prefix="/api/v1")


def json_body() -> dict:
    data = request.get_json(silent=True)
    if data is None:
        raise BadRequest("expected a JSON body (Content-Type: application/json)")
    return data


@bp.post("/search")
def search():
    settings = current_app.extensions["settings"]
    body = json_body()
    include_unlisted = False
    if isinstance(body, dict) and current_principal().is_staff:
        include_unlisted = body.pop("include_unlisted", False)
        if not isinstance(include_unlisted, bool):
            raise BadRequest("include_unlisted must be true or false")
    req = SearchRequest.from_dict(body, settings.max_limit, settings.max_query_chars)
    req.include_unlisted = include_unlisted
    if req.seeker:
        _check_seeker(req.seeker)
    results = current_app.extensions["radar"].search(req)
    return jsonify(results=results)


@bp.get("/profiles/<profile_id>/partners")
def partners(profile_id: str):
    settings = current_app.extensions["settings"]
    args = request.args
    data = {"seeker": profile_id, "kinds": args.getlist("kind") or args.getlist("kinds"),
            "near": args.get("near"), "landkreis": args.get("landkreis"),
            "exclude": args.getlist("exclude"),
            "include_known": args.get("include_known", "false").lower() in ("1", "true", "ja")}
    for key, cast in (("radius_km", float), ("limit", int)):
        if args.get(key) is not None:
            try:
                data[key] = cast(args[key])
            except ValueError:
                raise BadRequest(f"{key} must be a number") from None
    _check_seeker(profile_id)
    include_unlisted = args.get("include_unlisted", "false").lower() in ("1", "true", "ja")
    if include_unlisted and not current_principal().is_staff:
        forbid("Nicht gelistete Profile sehen nur Innovationsmanager und Administratoren.")
    req = SearchRequest.from_dict({k: v for k, v in data.items() if v not in (None, [])},
                                  settings.max_limit, settings.max_query_chars)
    req.include_unlisted = include_unlisted
    results = current_app.extensions["radar"].partners(profile_id, req)
    return jsonify(results=results)


def _check_seeker(profile_id: str) -> None:
    from partnerradar.radar import NotFound
    profile = current_app.extensions["radar"].store.get_profile(profile_id)
    if profile is None or not can_see_profile(current_principal(), profile):
        raise NotFound(f"profile {profile_id} not found")
