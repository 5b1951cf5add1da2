"""Who am I (``/api/v1/me``) and the audit log (``/api/v1/audit``, JSON or CSV)."""
from flask import Blueprint, jsonify, request

from api.auth import current_principal, require_role, users_of
from api.csv_safe import csv_response
from matcher.request import BadRequest

bp = Blueprint("access", __name__, url_prefix="/api/v1")
MAX_PAGE = 100
AUDIT_COLUMNS = ("id", "at", "actor", "role", "action", "target", "detail", "ip")


@bp.get("/me")
def me():
    return jsonify(current_principal().as_dict())


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


@bp.get("/audit")
@require_role("manager")
def audit_log():
    limit = _int_arg("limit", 50, 1, MAX_PAGE)
    offset = _int_arg("offset", 0, 0, 10**9)
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "csv"):
        raise BadRequest("format must be json or csv")
    entries, total = users_of().audit_entries(limit, offset, request.args.get("action"))
    if fmt == "csv":
        return csv_response(AUDIT_COLUMNS, ([e[c] for c in AUDIT_COLUMNS] for e in entries),
                            "partnerradar-audit.csv")
    return jsonify(total=total, limit=limit, offset=offset, entries=entries)
