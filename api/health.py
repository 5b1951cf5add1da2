from flask import Blueprint, current_app, jsonify

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    state = current_app.extensions["radar"].health()
    return jsonify(state), (200 if state["ok"] else 503)
