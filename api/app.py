"""Flask app factory: configuration, the shared ``Radar``, blueprints, JSON errors, security headers."""
from __future__ import annotations

import logging
import re

from flask import Flask, current_app, jsonify, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest as MalformedRequest
from werkzeug.exceptions import HTTPException

from matcher.request import BadRequest
from partnerradar.config import Settings, load_settings

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 1 * 1024 * 1024
#: Deeper JSON is no request of ours (the deepest has three levels); parsing and walking
#: it would only cost time, and Python's parser gives up past its recursion limit.
MAX_JSON_DEPTH = 32
_SURROGATE = re.compile("[\ud800-\udfff]")

#: On every response, also the errors the server answers itself (api/server.py). The pages
#: use no JavaScript and no inline styles; nothing may frame them.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class _JSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing what no client of ours sends before it reaches a view.

    A lone surrogate (``"\\ud800"``) is valid JSON but no text: it would fail later,
    when it is written to the database or encoded for the answer.
    """

    def loads(self, s, **kwargs):
        try:
            data = super().loads(s, **kwargs)
        except RecursionError:
            raise MalformedRequest(f"Der JSON-Inhalt ist zu tief verschachtelt (höchstens "
                                   f"{MAX_JSON_DEPTH} Ebenen).") from None
        _check_json(data)
        return data


def _check_json(data) -> None:
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                raise MalformedRequest("Der JSON-Inhalt enthält ein ungültiges Zeichen (ein einzelnes "
                                       "Surrogat wie \\ud800); bitte gültiges Unicode senden.")
        elif isinstance(value, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                raise MalformedRequest(f"Der JSON-Inhalt ist zu tief verschachtelt (höchstens "
                                       f"{MAX_JSON_DEPTH} Ebenen).")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                stack.append((key, depth))
                stack.append((item, depth + 1))


def wants_page() -> bool:
    """Whether the client prefers HTML to JSON, as a browser's Accept header says."""
    if request.method not in ("GET", "HEAD"):
        return False
    accept = request.accept_mimetypes
    return accept["text/html"] > accept["application/json"] and accept.best_match(
        ["application/json", "text/html"]) == "text/html"


def public_url(path: str) -> str:
    """An absolute link for output (CSV, mails): from the configured ``base_url``, never the Host header.

    The Host header is whatever the client wrote; a link built from it in a file a manager
    sends on would point wherever the client chose.
    """
    base = current_app.config.get("BASE_URL")
    if base is None:
        base = current_app.config["BASE_URL"] = current_app.extensions["settings"].mail.base_url
    return base.rstrip("/") + path


def create_app(settings: Settings | None = None, radar=None) -> Flask:
    from partnerradar.radar import ModelMismatch, Radar
    from vocabulary.errors import NotFound

    app = Flask(__name__)
    app.json_provider_class = _JSONProvider
    app.json = _JSONProvider(app)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    # One Settings for the whole app (search, limits, mail, the signing secret): the one
    # the radar was made with, or the one given.
    settings = settings or (radar.settings if radar is not None else load_settings())
    app.extensions["radar"] = radar or Radar(settings)
    app.extensions["settings"] = settings

    from api.health import bp as health_bp
    from api.openapi import bp as openapi_bp
    from api.profiles import bp as profiles_bp
    from api.search import bp as search_bp
    from api.access import bp as access_bp
    from api.auth import init_auth
    from api.innoslam import bp as innoslam_bp
    from api.listings import bp as listings_bp
    from api.listings_web import bp as listings_web_bp
    from api.confirmations import bp as confirmations_bp
    from api.introductions import bp as introductions_bp
    from api.login import bp as login_bp
    from api.subscriptions import bp as subscriptions_bp
    from api.web import bp as web_bp
    from api.firm_web import bp as firm_web_bp
    from api.region_web import bp as region_web_bp
    from api.admin_web import bp as admin_web_bp

    for bp in (health_bp, search_bp, profiles_bp, openapi_bp, innoslam_bp, subscriptions_bp, web_bp,
               login_bp, access_bp, listings_bp, listings_web_bp, introductions_bp, confirmations_bp,
               firm_web_bp, region_web_bp, admin_web_bp):
        app.register_blueprint(bp)
    init_auth(app)

    @app.after_request
    def security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)    # a view may be stricter (no-referrer)
        return response

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
        if exc.code == 404 and wants_page():
            # A person at an unknown address gets a German page (under /api/ too); an API
            # client, which asks for JSON or for anything, gets JSON.
            from flask import render_template
            return render_template("not_found.html", path=request.path[:300]), 404
        return jsonify(error=exc.name.lower().replace(" ", "_"), message=german_message(exc)), exc.code

    @app.errorhandler(Exception)
    def unexpected(exc):
        log.exception("unhandled error")
        return jsonify(error="internal_error",
                       message="Interner Fehler; der Vorfall wurde protokolliert."), 500

    return app
