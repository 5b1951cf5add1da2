"""Flask app factory: configuration, the shared ``Radar``, blueprints, JSON errors."""
from __future__ import annotations

import logging

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from matcher.request import BadRequest
from partnerradar.config import Settings, load_settings

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 1 * 1024 * 1024


def create_app(settings: Settings | None = None, radar=None) -> Flask:
    from partnerradar.radar import ModelMismatch, NotFound, Radar

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    settings = settings or load_settings()
    app.extensions["radar"] = radar or Radar(settings)
    app.extensions["settings"] = settings

    from api.health import bp as health_bp
    from api.openapi import bp as openapi_bp
    from api.profiles import bp as profiles_bp
    from api.search import bp as search_bp
    from api.access import bp as access_bp
    from api.auth import init_auth
    from api.innoslam import bp as innoslam_bp
    from api.login import bp as login_bp
    from api.subscriptions import bp as subscriptions_bp
    from api.web import bp as web_bp

    for bp in (health_bp, search_bp, profiles_bp, openapi_bp, innoslam_bp, subscriptions_bp, web_bp,
               login_bp, access_bp):
        app.register_blueprint(bp)
    init_auth(app)

    @app.errorhandler(BadRequest)
    def bad_request(exc):
        return jsonify(error="bad_request", message=str(exc)), 400

    @app.errorhandler(NotFound)
    def not_found(exc):
        return jsonify(error="not_found", message=str(exc)), 404

    @app.errorhandler(ModelMismatch)
    def model_mismatch(exc):
        # Not the client's fault and not a crash: the operator has to re-embed or restart.
        log.error("%s", exc)
        return jsonify(error="model_mismatch", message=str(exc)), 503

    @app.errorhandler(HTTPException)
    def http_error(exc):
        from api.http_errors import german_message
        return jsonify(error=exc.name.lower().replace(" ", "_"), message=german_message(exc)), exc.code

    @app.errorhandler(Exception)
    def unexpected(exc):
        log.exception("unhandled error")
        return jsonify(error="internal_error",
                       message="Interner Fehler; der Vorfall wurde protokolliert."), 500

    return app
