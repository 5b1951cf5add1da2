"""Search and "partners for this organisation"."""
from flask import Blueprint, current_app, jsonify, request

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
    req = SearchRequest.from_dict(json_body(), settings.max_limit, settings.max_query_chars)
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
    req = SearchRequest.from_dict({k: v for k, v in data.items() if v not in (None, [])},
                                  settings.max_limit, settings.max_query_chars)
    results = current_app.extensions["radar"].partners(profile_id, req)
    return jsonify(results=results)
