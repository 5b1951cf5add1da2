"""Who is asking, and what they may do.

Every request gets a ``Principal`` before any view runs (``init_auth`` installs the
hook). Views and other blueprints use four small things:

    from api.auth import current_principal, require_role, can_see_contact, can_edit

    @bp.post("/api/v1/innoslam/plan")
    @require_role("manager")              # admin always passes; anonymous -> 401, others -> 403
    def plan():
        who = current_principal()         # .role, .user_id, .email, .region, .profile_id, .key_id
        audit("innoslam.plan", target=...)  # every write leaves an audit line (who, what, when)

    can_see_profile(principal, profile)   # listed, or staff, or the member's own profile
    can_see_contact(principal, profile)   # admin, manager, the member's own profile
    can_edit(principal, profile)          # admin; manager of the profile's Landkreis or its creator
                                          # (created with manager rights); member for its own profile

Roles: ``admin`` > ``manager`` (a list of Landkreise as region) > ``member`` (bound to
one profile id) > ``anonymous``. Credentials: ``Authorization: Bearer prk_…`` (API keys,
``partnerradar key create``) or the session cookie set by the login page ``/anmelden``.
A wrong or revoked key is a 401, never a silent fall-back to anonymous.

CSRF: every unsafe request without a Bearer key that comes with a login session, or
goes to a page outside ``/api/``, must carry the form field ``csrf_token`` (or the
header ``X-CSRFToken``); in templates use ``csrf_token()``. A JSON client with a
Bearer key needs no token: a browser never adds that header on its own. A view that is
authorised by something else than the session (a signed link) and must accept posts
from clients that never saw a form may declare ``@csrf_exempt_when(predicate)``.

Rate limits (Flask-Limiter, per key or else per client IP): the counters live in a
SQLite file beside the database (api/ratelimit_storage.py), so every worker process of
one server draws on the same budget; on PostgreSQL in that database, one budget for every
worker of every server. ``PARTNERRADAR_RATE_SEARCH`` (default
``120 per minute``) is one budget for the search API, partners, the search page with a
query and the Inno Slam page and CSV; ``PARTNERRADAR_RATE_PROFILE`` (``120 per minute``)
for profile pages (each computes partner suggestions); ``PARTNERRADAR_RATE_LOGIN``
(default ``10 per minute``) on login attempts and, per person, on password changes (each
checks the current password); ``PARTNERRADAR_RATE_SUBSCRIBE`` (``10 per minute``) on digest
registrations; per account, ``store.users`` locks an address after repeated failures;
``rate_limit(app, endpoint, config_key)`` adds one to another endpoint.

Session cookie: HttpOnly, SameSite=Lax, Secure unless ``PARTNERRADAR_COOKIE_SECURE=0``
(plain-HTTP development off loopback); it carries only the id of a server-side session
(``store.users``: logout, a password change and the 8-hour lifetime end it there); the secret is ``secret_key`` of the
settings (``PARTNERRADAR_SECRET_KEY`` or the config file, partnerradar/config.py), else it is
generated once and kept in the database's meta table.
"""
from __future__ import annotations

import functools
import os
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, g, jsonify, redirect, request, session, url_for
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import Forbidden, Unauthorized

from store.users import Users

STAFF = ("admin", "manager")


@dataclass(frozen=True)
class Principal:
    role: str = "anonymous"
    user_id: int | None = None
    email: str = ""
    region: tuple[str, ...] = ()
    profile_id: str | None = None
    key_id: str | None = None      # set when the request came with an API key

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF

    @property
    def label(self) -> str:
        """How the audit log names the actor."""
        if self.role == "anonymous":
            return "anonym"
        return self.email + (f" (Schlüssel {self.key_id})" if self.key_id else "")

    def as_dict(self) -> dict:
        return {"role": self.role, "email": self.email or None, "region": list(self.region),
                "profile_id": self.profile_id, "key_id": self.key_id}


ANONYMOUS = Principal()


def users_of(app=None) -> Users:
    return (app or current_app).extensions["users"]


def current_principal() -> Principal:
    return g.get("principal", ANONYMOUS)


# -- decisions ---------------------------------------------------------------------

def can_see_profile(principal: Principal, profile: dict) -> bool:
    """Unlisted profiles (no consent to be listed) only for staff and their own member."""
    return bool(profile.get("listed")) or principal.is_staff or _own(principal, profile)


def can_see_contact(principal: Principal, profile: dict) -> bool:
    return principal.is_staff or _own(principal, profile)


def can_edit(principal: Principal, profile: dict) -> bool:
    if principal.role == "admin":
        return True
    if principal.role == "manager":
        # Creator rights only for what this user created as a manager: a key scoped to
        # manager must not inherit what its admin created with an admin's rights.
        return (profile.get("landkreis") in principal.region
                or users_of().creator_of(profile["id"]) == (principal.user_id, "manager"))
    return _own(principal, profile)


def _own(principal: Principal, profile: dict) -> bool:
    return principal.role == "member" and principal.profile_id == profile.get("id")


def require_role(*roles: str):
    """Only these roles (admin always) may call the view; 401 for anonymous, else 403."""
    allowed = set(roles) | {"admin"}

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            principal = current_principal()
            if principal.role == "anonymous":
                if not request.path.startswith("/api/") and request.method == "GET":
                    return redirect(url_for("login.login", weiter=request.full_path.rstrip("?")))
                raise Unauthorized("Anmeldung erforderlich: API-Schlüssel (Authorization: Bearer …) "
                                   "oder Anmeldung unter /anmelden.")
            if principal.role not in allowed:
                raise Forbidden(f"Ihre Rolle ({principal.role}) darf das nicht.")
            return view(*args, **kwargs)
        return wrapper
    return decorate


def csrf_exempt_when(predicate):
    """Skip the CSRF check for this view when ``predicate()`` is true for the request.

    Only for views whose authorisation is not the session cookie (a signed token in
    the URL), so a forged cross-site post gains nothing the attacker did not hold already.
    """
    def decorate(view):
        view.csrf_exempt_when = predicate
        return view
    return decorate


def visible_profile(profile_id: str) -> dict:
    """The profile, or 404 for one this principal may not see (its existence stays hidden)."""
    from vocabulary.errors import NotFound
    profile = current_app.extensions["radar"].store.get_profile(profile_id)
    if profile is None or not can_see_profile(current_principal(), profile):
        raise NotFound.profile(profile_id)
    return profile


def allow_unlisted(requested: bool) -> bool:
    """``include_unlisted`` as asked; only staff may ask."""
    if requested and not current_principal().is_staff:
        forbid("Nicht gelistete Profile sehen nur Innovationsmanager und Administratoren.")
    return requested


def forbid(message: str = "Dafür fehlt Ihnen die Berechtigung."):
    """403 for a known principal; 401 for anonymous (signing in might help)."""
    if current_principal().role == "anonymous":
        raise Unauthorized("Anmeldung erforderlich: " + message)
    raise Forbidden(message)


def audit(action: str, target: str = "", detail: str = "") -> None:
    """One line in the audit log for the current request's principal."""
    principal = current_principal()
    users_of().audit(principal.label, principal.role, action, target, detail, request.remote_addr or "")


def audited(action: str, target: str = "", detail: str = ""):
    """``with audited(...): change()`` -- the line is written inside the change's own
    transaction (``Users.audited``): for changes to profiles, where a line after the fact
    could be missing (a crash between the two) or describe a change that never happened."""
    principal = current_principal()
    return users_of().audited(principal.label, principal.role, action, target, detail,
                              request.remote_addr or "")


# -- wiring ------------------------------------------------------------------------

def _principal_from_request(users: Users) -> Principal:
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Nur API-Schlüssel werden angenommen: Authorization: Bearer …")
        found = users.resolve_key(token.strip())
        if found is None:
            raise Unauthorized("Ungültiger oder widerrufener API-Schlüssel.")
        user, role, key_id = found
        return Principal(role=role, user_id=user.id, email=user.email,
                         region=user.region if role == "manager" else (),
                         profile_id=user.profile_id, key_id=key_id)
    if "uid" in session:                # a cookie from before server-side sessions: log in again
        session.clear()
    sid = session.get("sid")
    if sid is not None:
        # The cookie only names a session; the server decides whether it still lives
        # (logout, a password change and its lifetime end it, whatever a saved cookie says).
        user = users.session_user(sid)
        if user is None:
            session.clear()
            return ANONYMOUS
        return Principal(role=user.role, user_id=user.id, email=user.email, region=user.region,
                         profile_id=user.profile_id)
    return ANONYMOUS


def _rate_key() -> str:
    principal = current_principal()
    if principal.key_id:
        return f"key:{principal.key_id}"
    return f"ip:{request.remote_addr or '-'}"


def _account_rate_key() -> str:
    """Per person for pages only a logged-in person uses (the limit follows the account
    from address to address); else as ``_rate_key``."""
    principal = current_principal()
    if principal.user_id is not None and principal.key_id is None:
        return f"user:{principal.user_id}"
    return _rate_key()


def rate_limit(app, endpoint: str, config_key: str, methods: list[str] | None = None,
               shared: str | None = None, exempt_when=None, key_func=None) -> None:
    """Limit ``endpoint`` by the limit string in ``app.config[config_key]`` (read per request).

    Endpoints given the same ``shared`` name draw on one budget; a request for which
    ``exempt_when()`` is true is not counted; ``key_func`` counts by something else than
    the key or IP.
    """
    limiter: Limiter = app.extensions["partnerradar_limiter"]
    value = lambda: current_app.config[config_key]      # noqa: E731 - read per request
    options = dict(methods=methods, exempt_when=exempt_when, key_func=key_func)
    decorator = (limiter.shared_limit(value, scope=shared, **options) if shared
                 else limiter.limit(value, **options))
    app.view_functions[endpoint] = decorator(app.view_functions[endpoint])


def ratelimit_path(db_path) -> "os.PathLike":
    """data/partnerradar.db -> data/partnerradar.ratelimit.db"""
    from pathlib import Path
    return Path(db_path).with_suffix(".ratelimit.db")


def init_auth(app) -> None:
    """Sessions, CSRF, principal per request, rate limits: call once per app, after blueprints."""
    radar = app.extensions["radar"]
    users = Users(radar.store)
    app.extensions["users"] = users
    # The one settings reader (file, then environment) like the mail links: a server started
    # with ``--config site.toml`` signs its cookies with that file's secret_key.
    app.config["SECRET_KEY"] = app.extensions["settings"].secret_key or users.secret_key()
    app.config.update(
        SESSION_COOKIE_NAME="partnerradar_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("PARTNERRADAR_COOKIE_SECURE", "1") != "0",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
        # Checked by hand below: unsafe requests with a Bearer key are exempt.
        WTF_CSRF_CHECK_DEFAULT=False,
        SEARCH_RATE_LIMIT=os.environ.get("PARTNERRADAR_RATE_SEARCH", "120 per minute"),
        LOGIN_RATE_LIMIT=os.environ.get("PARTNERRADAR_RATE_LOGIN", "10 per minute"),
        PROFILE_RATE_LIMIT=os.environ.get("PARTNERRADAR_RATE_PROFILE", "120 per minute"),
        SUBSCRIBE_RATE_LIMIT=os.environ.get("PARTNERRADAR_RATE_SUBSCRIBE", "10 per minute"),
        UPLOAD_RATE_LIMIT=os.environ.get("PARTNERRADAR_RATE_UPLOAD", "20 per hour"),
    )
    csrf = CSRFProtect(app)

    @app.before_request
    def resolve_principal():
        g.principal = ANONYMOUS
        g.principal = _principal_from_request(users)
        unsafe = request.method not in ("GET", "HEAD", "OPTIONS", "TRACE")
        if unsafe and g.principal.key_id is None and (
                "sid" in session or not request.path.startswith("/api/")):
            exempt = getattr(app.view_functions.get(request.endpoint), "csrf_exempt_when", None)
            if exempt is None or not exempt():
                csrf.protect()

    # After the hook above (hooks run in order), so the limit key sees the principal.
    # Counters in a file beside the database, shared by all worker processes (they fork
    # from this app, so they share its key prefix too); the prefix is new for each app,
    # so counters of one app (or test) never leak into another's.
    # On PostgreSQL the counters are the database's, for every server on it, under one
    # prefix kept in its meta table.
    from api.ratelimit_storage import PG_SCHEME, storage_uri
    if radar.store.engine == "postgresql":
        radar.store.conn.execute("INSERT INTO meta VALUES ('ratelimit_prefix', ?) ON CONFLICT DO NOTHING",
                                 (f"db-{secrets.token_hex(6)}",))
        storage = dict(storage_uri=f"{PG_SCHEME}://", storage_options={"database_url": radar.store.url},
                       key_prefix=radar.store.get_meta("ratelimit_prefix"))
    else:
        storage = dict(storage_uri=storage_uri(ratelimit_path(radar.store.path)),
                       key_prefix=f"app-{secrets.token_hex(6)}")
    limiter = Limiter(_rate_key, app=app, headers_enabled=True, **storage)
    app.extensions["partnerradar_limiter"] = limiter

    @app.errorhandler(Unauthorized)
    def unauthorized(exc):
        response = jsonify(error="unauthorized", message=exc.description)
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer realm="partnerradar"'
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return jsonify(error="csrf", message="Sicherheitstoken (CSRF) fehlt oder ist abgelaufen; "
                                             "bitte die Seite neu laden und noch einmal senden."), 400

    @app.errorhandler(RateLimitExceeded)
    def too_many(exc):
        from api.http_errors import rate_limit_text
        message = f"Zu viele Anfragen (höchstens {rate_limit_text(exc.limit.limit)}); bitte kurz warten."
        if not request.path.startswith("/api/"):       # a person at a page gets a page
            from flask import render_template
            return render_template("error.html", title="Zu viele Anfragen", message=message), 429
        response = jsonify(error="too_many_requests", message=message)
        response.status_code = 429
        return response

    if "search.search" in app.view_functions:
        rate_limit(app, "search.search", "SEARCH_RATE_LIMIT", shared="search")
        rate_limit(app, "search.partners", "SEARCH_RATE_LIMIT", shared="search")
    if "web.search_page" in app.view_functions:
        # The pages run the same searches: without a limit they were a way around it.
        rate_limit(app, "web.search_page", "SEARCH_RATE_LIMIT", shared="search",
                   exempt_when=lambda: not (request.args.get("q") or "").strip())
        rate_limit(app, "web.innoslam_page", "SEARCH_RATE_LIMIT", shared="search",
                   exempt_when=lambda: not (request.args.get("thema") or request.args.get("profil")))
        rate_limit(app, "web.invitations_csv", "SEARCH_RATE_LIMIT", shared="search")
        rate_limit(app, "web.search_csv", "SEARCH_RATE_LIMIT", shared="search")
        for endpoint in ("web.programme_page", "web.tour_page"):
            rate_limit(app, endpoint, "SEARCH_RATE_LIMIT", shared="search",
                       exempt_when=lambda: not (request.args.get("landkreis") or request.args.get("ort")
                                                or request.args.get("wissenschaftler")))
        rate_limit(app, "web.profile_page", "PROFILE_RATE_LIMIT")
    if "login.login" in app.view_functions:
        rate_limit(app, "login.login", "LOGIN_RATE_LIMIT", methods=["POST"])
    if "subscriptions.register" in app.view_functions:
        # Each registration may end in a mail: bounded per client as well as per address.
        rate_limit(app, "subscriptions.register", "SUBSCRIBE_RATE_LIMIT", methods=["POST"])
    if "region_web.upload" in app.view_functions:
        # Each upload embeds up to 5,000 rows inside the request: per person, bounded.
        rate_limit(app, "region_web.upload", "UPLOAD_RATE_LIMIT", methods=["POST"], key_func=_account_rate_key)
    if "firm_web.subscribe" in app.view_functions:
        # The firm page's digest form queues the same registrations (and mails) as the API.
        rate_limit(app, "firm_web.subscribe", "SUBSCRIBE_RATE_LIMIT", methods=["POST"], key_func=_account_rate_key)
    if "login.change_password" in app.view_functions:
        # Each POST checks the current password: a stolen session must not guess it freely.
        rate_limit(app, "login.change_password", "LOGIN_RATE_LIMIT", methods=["POST"],
                   key_func=_account_rate_key)
