"""Search and "partners for this organisation".

Hits never carry contact data (the hit keys are fixed in ``Radar._results``, the
explanation quotes profile text only). Unlisted profiles stay out of results; staff
may ask for them with ``include_unlisted``. A seeker a principal may not see is
answered like a missing one (404), so its existence and text don't leak through the
explanation's ``query_sentence``.
"""
from flask import Blueprint, current_app, jsonify, request

from api.auth import allow_unlisted, current_principal, visible_profile
from api.params import bool_arg
from matcher.request import BadRequest, SearchRequest

bp = Blueprint("search", __name__, url_prefix="/api/v1")


def json_body() -> dict:
    data = request.get_json(silent=True)
    if data is None:
        raise BadRequest("Erwartet wird ein JSON-Inhalt (Content-Type: application/json)")
    return data


@bp.post("/search")
def search():
    settings = current_app.extensions["settings"]
    body = json_body()
    include_unlisted = False
    if isinstance(body, dict) and current_principal().is_staff:
        include_unlisted = body.pop("include_unlisted", False)
        if not isinstance(include_unlisted, bool):
            raise BadRequest("include_unlisted muss true oder false sein")
    req = SearchRequest.from_dict(body, settings.max_limit, settings.max_query_chars)
    req.include_unlisted = include_unlisted
    if req.seeker:
        visible_profile(req.seeker)
    results = current_app.extensions["radar"].search(req)
    return jsonify(results=results)


@bp.get("/profiles/<profile_id>/partners")
def partners(profile_id: str):
    settings = current_app.extensions["settings"]
    args = request.args
    data = {"seeker": profile_id, "kinds": args.getlist("kind") or args.getlist("kinds"),
            "near": args.get("near"), "landkreis": args.get("landkreis"),
            "exclude": args.getlist("exclude"),
            "include_known": bool_arg("include_known")}
    for key, cast in (("radius_km", float), ("limit", int)):
        if args.get(key) is not None:
            try:
                data[key] = cast(args[key])
            except ValueError:
                raise BadRequest(f"{key} muss eine Zahl sein") from None
    visible_profile(profile_id)
    include_unlisted = allow_unlisted(bool_arg("include_unlisted"))
    req = SearchRequest.from_dict({k: v for k, v in data.items() if v not in (None, [])},
                                  settings.max_limit, settings.max_query_chars)
    req.include_unlisted = include_unlisted
    results = current_app.extensions["radar"].partners(profile_id, req)
    return jsonify(results=results)
