"""The OpenAPI 3.1 description of the API, served at /api/v1/openapi.json."""
from flask import Blueprint, jsonify

bp = Blueprint("openapi", __name__)

_ERROR = {"type": "object", "required": ["error", "message"],
          "properties": {"error": {"type": "string"}, "message": {"type": "string"}}}
_EXPLANATION = {
    "type": "object",
    "properties": {
        "shared_terms": {"type": "array", "items": {"type": "string"},
                         "description": "Words of the query the partner's profile shares (lemmas, compound parts)."},
        "partner_terms": {"type": "array", "items": {"type": "string"}},
        "best_sentence": {"type": "string", "description": "The partner's sentence that matched best."},
        "best_sentence_field": {"type": "string"},
        "query_sentence": {"type": "string"},
        "offers": {"type": "string"}, "seeks": {"type": "string"},
        "distance_km": {"type": ["number", "null"]},
        "signals": {"type": "object", "additionalProperties": {"type": "number"}},
        "reasons": {"type": "array", "items": {"type": "string"}},
    },
}
_HIT = {"type": "object", "required": ["id", "name", "kind", "town", "landkreis", "distance_km", "score"],
        "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                       "kind": {"type": "string", "enum": ["kmu", "research", "startup", "other"]},
                       "town": {"type": "string"}, "landkreis": {"type": "string"},
                       "distance_km": {"type": ["number", "null"]},
                       "score": {"type": "integer", "minimum": 0, "maximum": 100},
                       "explanation": _EXPLANATION}}
_RESULTS = {"type": "object", "properties": {"results": {"type": "array", "items": _HIT}}}
_SEARCH = {"type": "object", "additionalProperties": False, "required": ["query"],
           "properties": {"query": {"type": "string", "maxLength": 2000},
                          "kinds": {"type": "array", "items": {"type": "string",
                                                               "enum": ["kmu", "research", "startup", "other"]}},
                          "near": {"type": "string"}, "radius_km": {"type": "number", "exclusiveMinimum": 0,
                                                                     "maximum": 1000},
                          "landkreis": {"type": "string"},
                          "exclude": {"type": "array", "items": {"type": "string"}},
                          "limit": {"type": "integer", "minimum": 1, "maximum": 100},
                          "seeker": {"type": "string"}, "include_known": {"type": "boolean"}}}
_PROFILE_IN = {"type": "object", "required": ["name", "kind"], "additionalProperties": False,
               "properties": {k: {"type": "string"} for k in (
                   "id", "name", "kind", "description", "offers", "seeks", "keywords", "street", "postcode",
                   "town", "website", "contact_name", "contact_email")} | {"listed": {"type": ["boolean", "string"]}}}


def _errors(*codes):
    return {str(c): {"description": "error", "content": {"application/json": {"schema": _ERROR}}} for c in codes}


def _ok(schema, code="200"):
    return {code: {"description": "OK", "content": {"application/json": {"schema": schema}}}}


SPEC = {
    "openapi": "3.1.0",
    "info": {"title": "Partnerradar API", "version": "1",
             "description": "Kooperationspartner für Innovation in Sachsen finden."},
    "paths": {
        "/healthz": {"get": {"summary": "Database, index and model state",
                             "responses": _ok({"type": "object"}) | _errors(503)}},
        "/api/v1/search": {"post": {
            "summary": "Ranked, explained partners for a need in German",
            "requestBody": {"required": True, "content": {"application/json": {"schema": _SEARCH}}},
            "responses": _ok(_RESULTS) | _errors(400, 404, 413)}},
        "/api/v1/profiles/{id}/partners": {"get": {
            "summary": "Partners for an existing organisation (not itself, not its known partners)",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}] + [
                {"name": n, "in": "query", "schema": s} for n, s in (
                    ("kind", {"type": "string"}), ("near", {"type": "string"}), ("radius_km", {"type": "number"}),
                    ("landkreis", {"type": "string"}), ("limit", {"type": "integer"}),
                    ("include_known", {"type": "boolean"}))],
            "responses": _ok(_RESULTS) | _errors(400, 404)}},
        "/api/v1/profiles": {
            "get": {"summary": "List profiles (paged, filterable)",
                    "parameters": [{"name": n, "in": "query", "schema": {"type": t}} for n, t in (
                        ("kind", "string"), ("landkreis", "string"), ("town", "string"), ("q", "string"),
                        ("limit", "integer"), ("offset", "integer"))],
                    "responses": _ok({"type": "object"}) | _errors(400)},
            "post": {"summary": "Create a profile",
                     "requestBody": {"required": True, "content": {"application/json": {"schema": _PROFILE_IN}}},
                     "responses": _ok({"type": "object"}, "201") | _errors(400, 409, 422)}},
        "/api/v1/profiles/{id}": {
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "get": {"summary": "Read a profile", "responses": _ok({"type": "object"}) | _errors(404)},
            "put": {"summary": "Update a profile",
                    "requestBody": {"required": True, "content": {"application/json": {"schema": _PROFILE_IN}}},
                    "responses": _ok({"type": "object"}) | _errors(400, 404, 422)},
            "delete": {"summary": "Delete a profile (database, index and future digests)",
                       "responses": {"204": {"description": "deleted"}} | _errors(404)}},
    },
}


@bp.get("/api/v1/openapi.json")
def openapi():
    return jsonify(SPEC)

from api.openapi_access import extend  # noqa: E402 - the access model documents its own part

extend(SPEC)
