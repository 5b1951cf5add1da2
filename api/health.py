"""``/healthz``: is the service up? The full report only for staff.

Anyone (a load balancer, a monitor) learns whether database, index and model work and how
many *listed* profiles there are; the count including unlisted profiles, passages,
generation and error texts (paths, SQLite messages) are for administrators and managers.
"""
from flask import Blueprint, current_app, jsonify

from api.auth import current_principal

bp = Blueprint("health", __name__)
PUBLIC_KEYS = ("ok", "database", "index", "model", "model_name")


@bp.get("/healthz")
def healthz():
    radar = current_app.extensions["radar"]
    state = radar.health()
    status = 200 if state["ok"] else 503
    if current_principal().is_staff:
        return jsonify(state), status
    public = {key: state[key] for key in PUBLIC_KEYS if key in state}
    for part in ("database", "index"):
        if public.get(part, "ok") != "ok":
            public[part] = "error"
    if public.get("database") == "ok":
        public["profiles"] = radar.store.list_profiles(listed_only=True, limit=1)[1]
    return jsonify(public), status
