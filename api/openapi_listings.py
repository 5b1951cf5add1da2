"""The listings' part of the OpenAPI document (offers and requests, issue 16)."""
from __future__ import annotations

_ERROR = {"type": "object", "required": ["error", "message"],
          "properties": {"error": {"type": "string"}, "message": {"type": "string"}}}
_TYPES = ["technology_offer", "technology_request", "rnd_request", "capacity_offer", "capacity_request",
          "residue_offer", "secondary_request", "heat_offer", "heat_request"]
_NUMBER_OR_TEXT = {"type": ["number", "string", "null"]}
_LISTING_IN = {"type": "object", "additionalProperties": False, "properties": {
    "id": {"type": "string", "maxLength": 64}, "profile_id": {"type": "string"},
    "type": {"type": "string", "description": "A type key or its German label, e.g. 'Abwärme verfügbar'."},
    "title": {"type": "string", "maxLength": 200}, "text": {"type": "string", "maxLength": 4000},
    "material": {"type": "string"}, "waste_code": {"type": "string", "description": "AVV, six digits"},
    "quantity": _NUMBER_OR_TEXT, "unit": {"type": "string"}, "period": {"type": "string"},
    "temperature_c": _NUMBER_OR_TEXT, "power_kw": _NUMBER_OR_TEXT, "process": {"type": "string"},
    "hours_per_month": _NUMBER_OR_TEXT, "postcode": {"type": "string"}, "town": {"type": "string"},
    "status": {"type": "string", "description": "open/offen, in_talks/in Gesprächen, done/erledigt"},
    "visibility": {"type": "string", "description": "public/öffentlich or anonymous/anonym"}}}
_LISTING = {"type": "object", "required": ["id", "type", "title", "owner", "anonymous"], "properties": {
    "id": {"type": "string"}, "type": {"type": "string", "enum": _TYPES}, "type_label": {"type": "string"},
    "title": {"type": "string"}, "owner": {"type": ["object", "null"],
                                           "description": "null for an anonymous listing (except for staff)"},
    "anonymous": {"type": "boolean"}, "status": {"type": "string", "enum": ["open", "in_talks", "done"]}}}
_MATCH = {"type": "object", "properties": {
    "listing": _LISTING, "score": {"type": "integer"}, "mutual": {"type": "boolean"},
    "distance_km": {"type": ["number", "null"]}, "criteria": {"type": "array", "items": {"type": "string"}},
    "explanation": {"type": "string"}}}
_ID = [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]


def _errors(*codes):
    return {str(c): {"description": "error", "content": {"application/json": {"schema": _ERROR}}} for c in codes}


def _ok(schema, code="200"):
    return {code: {"description": "OK", "content": {"application/json": {"schema": schema}}}}


def extend(spec: dict) -> dict:
    page = [{"name": n, "in": "query", "required": False, "schema": s} for n, s in (
        ("limit", {"type": "integer", "minimum": 1, "maximum": 100}), ("offset", {"type": "integer", "minimum": 0}),
        ("type", {"type": "string", "enum": _TYPES}), ("landkreis", {"type": "string"}),
        ("profile_id", {"type": "string"}), ("status", {"type": "string"}), ("q", {"type": "string"}))]
    spec["paths"].update({
        "/api/v1/listings": {
            "get": {"summary": "Offers and requests, paged; anonymous owners hidden from non-staff",
                    "parameters": page,
                    "responses": _ok({"type": "object", "properties": {
                        "total": {"type": "integer"}, "listings": {"type": "array", "items": _LISTING}}})
                    | _errors(400)},
            "post": {"summary": "Post an offer or request (member: its own profile; manager: its region's)",
                     "requestBody": {"required": True, "content": {"application/json": {"schema": _LISTING_IN}}},
                     "responses": _ok(_LISTING, "201") | _errors(400, 403, 422)}},
        "/api/v1/listings/{id}": {
            "parameters": _ID,
            "get": {"summary": "One listing", "responses": _ok(_LISTING) | _errors(404)},
            "put": {"summary": "Change a listing (not its owner)",
                    "requestBody": {"required": True, "content": {"application/json": {"schema": _LISTING_IN}}},
                    "responses": _ok(_LISTING) | _errors(400, 403, 404, 422)},
            "delete": {"summary": "Delete a listing", "responses": {"204": {"description": "deleted"}}
                       | _errors(403, 404)}},
        "/api/v1/listings/{id}/renew": {"parameters": _ID, "post": {
            "summary": "Valid for six more months", "responses": _ok(_LISTING) | _errors(403, 404)}},
        "/api/v1/listings/{id}/matches": {"parameters": _ID, "get": {
            "summary": "Counterparts that pass every hard constraint, ranked, explained in German",
            "parameters": [{"name": "limit", "in": "query", "required": False,
                            "schema": {"type": "integer", "minimum": 1, "maximum": 50}}],
            "responses": _ok({"type": "object", "properties": {"listing": _LISTING,
                                                                "matches": {"type": "array", "items": _MATCH}}})
            | _errors(400, 403, 404)}},
        "/api/v1/listings/potential": {"get": {
            "summary": "A region's matching offer–request pairs with totals per flow (managers)",
            "parameters": [{"name": n, "in": "query", "required": False, "schema": s} for n, s in (
                ("landkreis", {"type": "string"}), ("town", {"type": "string"}),
                ("radius_km", {"type": "number"}), ("format", {"type": "string", "enum": ["json", "csv"]}))],
            "responses": _ok({"type": "object"}) | _errors(400, 403)}},
    })
    for path, item in spec["paths"].items():
        if not path.startswith("/api/v1/listings"):
            continue
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"]["401"] = {"description": "login required",
                                                 "content": {"application/json": {"schema": _ERROR}}}
    return spec
