"""Who am I (``/api/v1/me``) and the audit log (``/api/v1/audit``, JSON or CSV)."""
from flask import Blueprint, jsonify, request

from api.auth import current_principal, require_role, users_of
from api.csv_safe import csv_response
from api.params import int_arg
from matcher.request import BadRequest

bp = Blueprint("access", __name__, url_prefix="/api/v1")
MAX_PAGE = 100
AUDIT_COLUMNS = ("id", "at", "actor", "role", "action", "target", "detail", "ip")


@bp.get("/me")
def me():
    return jsonify(current_principal().as_dict())


@bp.get("/audit")
@require_role("manager")
def audit_log():
    limit = int_arg("limit", 50, 1, MAX_PAGE)
    offset = int_arg("offset", 0, 0, 10**9)
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "csv"):
        raise BadRequest("format muss json oder csv sein")
    entries, total = users_of().audit_entries(limit, offset, request.args.get("action"))
    if fmt == "csv":
        return csv_response(AUDIT_COLUMNS, ([e[c] for c in AUDIT_COLUMNS] for e in entries),
                            "partnerradar-audit.csv")
    return jsonify(total=total, limit=limit, offset=offset, entries=entries)
