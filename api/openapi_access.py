"""The access model's part of the OpenAPI document: security scheme, 401/403/429, /me, /audit."""
from __future__ import annotations

_ERROR_REF = {"type": "object", "required": ["error", "message"],
              "properties": {"error": {"type": "string"}, "message": {"type": "string"}}}


def _error(description):
    return {"description": description, "content": {"application/json": {"schema": _ERROR_REF}}}


def extend(spec: dict) -> dict:
    spec.setdefault("components", {})["securitySchemes"] = {
        "apiKey": {"type": "http", "scheme": "bearer",
                   "description": "API-Schlüssel aus 'partnerradar key create'"},
        "session": {"type": "apiKey", "in": "cookie", "name": "partnerradar_session",
                    "description": "Sitzung nach Anmeldung unter /anmelden (Schreibzugriffe mit X-CSRFToken)"}}
    # Reading works anonymously; the role decides what an answer contains.
    spec["security"] = [{}, {"apiKey": []}, {"session": []}]
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            operation["responses"]["401"] = _error("wrong or revoked key / login required")
            if method in ("put", "post", "delete") and path.startswith("/api/v1/profiles"):
                operation["responses"]["403"] = _error("the role may not change this profile")
                operation["responses"]["400"] = _error("bad request or missing CSRF token")
            if path.startswith("/api/v1/innoslam/"):
                # Inno Slam planning is the innovation managers' work: no anonymous access.
                operation["security"] = [{"apiKey": []}, {"session": []}]
                operation["responses"]["403"] = _error("managers and admins only")
            if path in ("/api/v1/search", "/api/v1/profiles/{id}/partners"):
                operation["responses"]["429"] = _error("rate limit reached")
    partners = spec["paths"]["/api/v1/profiles/{id}/partners"]["get"]
    partners["parameters"].append({"name": "include_unlisted", "in": "query", "schema": {"type": "boolean"},
                                   "description": "staff only (403 otherwise)"})
    partners["responses"]["403"] = _error("include_unlisted is for staff")
    listing = spec["paths"]["/api/v1/profiles"]["get"]
    listing["parameters"].append({"name": "include_unlisted", "in": "query", "schema": {"type": "boolean"},
                                  "description": "staff only (403 otherwise)"})
    listing["responses"]["403"] = _error("include_unlisted is for staff")
    search = spec["paths"]["/api/v1/search"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    search["properties"]["include_unlisted"] = {"type": "boolean", "description": "staff only (400 otherwise)"}
    spec["paths"]["/api/v1/me"] = {"get": {
        "summary": "Who is asking: role, e-mail, region, profile",
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {
            "type": "object", "required": ["role"], "properties": {"role": {"type": "string", "enum": [
                "anonymous", "member", "manager", "admin"]}}}}}}, "401": _error("wrong or revoked key")}}}
    spec["paths"]["/api/v1/audit"] = {"get": {
        "summary": "Audit log of every write, newest first (managers and admins; format=csv for spreadsheets)",
        "parameters": [{"name": n, "in": "query", "schema": s} for n, s in (
            ("limit", {"type": "integer", "minimum": 1, "maximum": 100}), ("offset", {"type": "integer"}),
            ("action", {"type": "string"}), ("format", {"type": "string", "enum": ["json", "csv"]}))],
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}},
                                                               "text/csv": {"schema": {"type": "string"}}}},
                      "400": _error("bad parameter"), "401": _error("login required"),
                      "403": _error("managers and admins only")}}}
    return spec
