"""The OpenAPI 3.1 description of the API, served at /api/v1/openapi.json."""
from flask import Blueprint, jsonify

from vocabulary.kinds import KINDS

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
        "best_sentence_label": {"type": "string",
                                "description": "German: whether the sentence is the firm's offer (Angebot), "
                                               "need (Bedarf) or description (Beschreibung)."},
        "query_sentence": {"type": "string"},
        "semantic_match": {
            "type": ["object", "null"],
            "description": "The model's evidence: the partner sentence closest in meaning to a query sentence; "
                           "shares_words false means the match is by meaning alone (inhaltlich ähnlich).",
            "properties": {"partner_sentence": {"type": "string"}, "partner_field": {"type": "string"},
                           "partner_label": {"type": "string"}, "query_sentence": {"type": "string"},
                           "similarity": {"type": "number"}, "shares_words": {"type": "boolean"}}},
        "offers": {"type": "string"}, "seeks": {"type": "string"},
        "distance_km": {"type": ["number", "null"]},
        "signals": {"type": "object", "additionalProperties": {"type": "number"}},
        "weak_evidence": {"type": "boolean",
                          "description": "Not supported (see the hit's supported) and no shared term: the closest "
                                         "the partner's text comes, not a match (Nur schwach belegt)."},
        "reasons": {"type": "array", "items": {"type": "string"}},
    },
}
_HIT = {"type": "object", "required": ["id", "name", "kind", "town", "landkreis", "distance_km", "score", "supported"],
        "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                       "kind": {"type": "string", "enum": list(KINDS)},
                       "town": {"type": "string"}, "landkreis": {"type": "string"},
                       "distance_km": {"type": ["number", "null"]},
                       "score": {"type": "integer", "minimum": 0, "maximum": 100,
                                 "description": "0..100, falling down the list: 100 is a perfect match in "
                                                "content (and place, when one is asked for)."},
                       "supported": {"type": "boolean",
                                     "description": "The partner's text supports the hit: shared words, or a close "
                                                    "match in meaning. Hits without such support rank after every "
                                                    "supported one and score on their content alone."},
                       "explanation": _EXPLANATION}}
_RESULTS = {"type": "object", "properties": {"results": {"type": "array", "items": _HIT}}}
_SEARCH = {"type": "object", "additionalProperties": False, "required": ["query"],
           "properties": {"query": {"type": "string", "maxLength": 2000},
                          "kinds": {"type": "array", "items": {"type": "string",
                                                               "enum": list(KINDS)}},
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
        "/healthz": {"get": {"summary": "Database, index and model state (anonymous: listed profiles only; "
                                        "staff: the full report)",
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

_FIRM = {**_HIT, "properties": {**_HIT["properties"],
                                "venue_distance_km": {"type": ["number", "null"],
                                                      "description": "Distance to the suggested venue."}}}
_IDS = {"type": "array", "items": {"type": "string"}}
_TALK = {"type": "object", "properties": {
    "id": {"type": "string"}, "name": {"type": "string"}, "score": {"type": "number"},
    "expected_audience": {"type": "integer", "description": "Well-matching firms in the region."},
    "subject": {"type": "array", "items": {"type": "string"}},
    "firms": {"type": "array", "items": {"type": "object"}}}}
SPEC["paths"].update({
    "/api/v1/innoslam/audience": {"post": {
        "summary": "Inno Slam: Saxon districts ranked for a research topic, firms to invite, venue town",
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "additionalProperties": False,
            "description": "Exactly one of topic and profile_id.",
            "properties": {"topic": {"type": "string", "maxLength": 2000}, "profile_id": {"type": "string"},
                           "top_districts": {"type": "integer", "minimum": 1, "maximum": 13},
                           "firms_per_district": {"type": "integer", "minimum": 1, "maximum": 50}}}}}},
        "responses": _ok({"type": "object", "properties": {"districts": {"type": "array", "items": {
            "type": "object", "properties": {
                "name": {"type": "string"}, "score": {"type": "number"},
                "matching_firms": {"type": "integer"}, "venue": {"type": ["string", "null"]},
                "venue_firms_nearby": {"type": "integer"},
                "firms": {"type": "array", "items": _FIRM}}}}}}) | _errors(400, 404)}},
    "/api/v1/innoslam/programme": {"post": {
        "summary": "Inno Slam: a programme of talks on different subjects for a district or town + radius",
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "additionalProperties": False,
            "description": "Either district, or town (with radius_km, default 30).",
            "properties": {"district": {"type": "string"}, "town": {"type": "string"},
                           "radius_km": {"type": "number", "exclusiveMinimum": 0, "maximum": 200},
                           "n": {"type": "integer", "minimum": 1, "maximum": 10}, "candidates": _IDS}}}}},
        "responses": _ok({"type": "object", "properties": {
            "region": {"type": "string"}, "expected_audience": {"type": "integer"},
            "talks": {"type": "array", "items": _TALK}}}) | _errors(400)}},
    "/api/v1/innoslam/tour": {"post": {
        "summary": "Inno Slam: assign signed-up scientists to events so that each has a full programme",
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "additionalProperties": False, "required": ["scientist_ids", "n_events"],
            "properties": {"scientist_ids": _IDS, "n_events": {"type": "integer", "minimum": 1, "maximum": 13},
                           "talks_per_event": {"type": "integer", "minimum": 1, "maximum": 10},
                           "districts": _IDS}}}}},
        "responses": _ok({"type": "object", "properties": {
            "events": {"type": "array", "items": {"type": "object", "properties": {
                "district": {"type": "string"}, "venue": {"type": ["string", "null"]},
                "score": {"type": "number"}, "talks": {"type": "array", "items": _TALK}}}},
            "total_score": {"type": "number"}, "not_assigned": _IDS}}) | _errors(400, 404)}},
})


# -- weekly digest (api/subscriptions.py) ----------------------------------------------
_PREFERENCES = {"type": "object", "additionalProperties": False, "properties": {
    "radius_km": {"type": ["number", "null"], "minimum": 1, "maximum": 500,
                  "description": "Around the firm's own address; null: all of Saxony."},
    "kinds": {"type": "array", "items": {"type": "string", "enum": list(KINDS)}},
    "topics": {"type": "array", "items": {"type": "string"}, "description": "Partners mentioning them rank higher."},
    "exclude_topics": {"type": "array", "items": {"type": "string"}, "description": "Partners mentioning them are left out."}}}
_SUBSCRIPTION = {"type": "object", "properties": {
    "id": {"type": "string"}, "profile_id": {"type": "string"},
    "email": {"type": "string", "description": "Masked (j…@firma.example); the full address is never returned."},
    "status": {"type": "string", "enum": ["pending", "confirmed", "paused", "unsubscribed"]},
    "preferences": _PREFERENCES, "created_at": {"type": "number"}, "confirmed_at": {"type": ["number", "null"]},
    "paused_reason": {"type": ["string", "null"]}}}
_TOKEN = [{"name": "token", "in": "path", "required": True, "schema": {"type": "string"},
           "description": "Signed link from a digest or confirmation mail."}]
SPEC["paths"].update({
    "/api/v1/subscriptions": {"post": {
        "summary": "Register a firm's profile for the weekly digest (double opt-in: queues a confirmation mail; "
                   "202 for every valid request, known address or not)",
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["profile_id", "email"], "additionalProperties": False,
            "properties": {"profile_id": {"type": "string"}, "email": {"type": "string", "format": "email"},
                           "preferences": _PREFERENCES}}}}},
        "responses": _ok({"type": "object"}, "202") | _errors(400, 404, 422, 429)}},
    "/api/v1/subscriptions/{token}/confirm": {"post": {
        "summary": "Confirm with the token from the confirmation mail; answers with a manage token",
        "parameters": _TOKEN, "responses": _ok(_SUBSCRIPTION) | _errors(403, 410)}},
    "/api/v1/subscriptions/{token}": {
        "parameters": _TOKEN,
        "get": {"summary": "The subscription behind a manage token (valid 90 days)",
                "responses": _ok(_SUBSCRIPTION) | _errors(403, 410)},
        "patch": {"summary": "Change preferences",
                  "requestBody": {"required": True, "content": {"application/json": {"schema": _PREFERENCES}}},
                  "responses": _ok(_SUBSCRIPTION) | _errors(400, 403, 410)},
        "delete": {"summary": "Unsubscribe at once (the address is erased; a manage token unsubscribes for a year)",
                   "responses": {"204": {"description": "unsubscribed"}} | _errors(403, 410)}},
})


@bp.get("/api/v1/openapi.json")
def openapi():
    return jsonify(SPEC)

from api.openapi_access import extend  # noqa: E402 - the access model documents its own part

extend(SPEC)

from api.openapi_listings import extend as extend_listings  # noqa: E402 - offers and requests

extend_listings(SPEC)

from api.openapi_pages import extend as extend_pages  # noqa: E402 - the people's pages and downloads

extend_pages(SPEC)
