"""Password login for people: ``/anmelden`` (form), ``/abmelden`` (POST, with CSRF) and
``/konto/passwort`` (change one's own password; other sessions end)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template_string, request, session, url_for

from api.auth import audit, current_principal, users_of
from store.users import MIN_PASSWORD_CHARS, AccessError, LockedOut

bp = Blueprint("login", __name__)

ROLE_LABELS = {"admin": "Administrator", "manager": "Innovationsmanager", "member": "Mitglied"}

PAGE = """<!doctype html>
<html lang="de">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Anmelden – Partnerradar</title></head>
<body>
<main>
<h1>Partnerradar</h1>
{% if principal.role != "anonymous" %}
  <p>Angemeldet als <strong>{{ principal.email }}</strong> ({{ role_label }}).</p>
  <p><a href="{{ url_for('login.change_password') }}">Passwort ändern</a></p>
  <form method="post" action="{{ url_for('login.logout') }}">
    <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
    <button type="submit">Abmelden</button>
  </form>
{% else %}
  <h2>Anmelden</h2>
  {% if error %}<p role="alert">{{ error }}</p>{% endif %}
  <form method="post" action="{{ url_for('login.login') }}">
    <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
    <input type="hidden" name="weiter" value="{{ weiter }}">
    <p><label for="email">E-Mail-Adresse</label><br>
       <input id="email" name="email" type="email" autocomplete="username" required value="{{ email }}"></p>
    <p><label for="passwort">Passwort</label><br>
       <input id="passwort" name="passwort" type="password" autocomplete="current-password" required></p>
    <p><button type="submit">Anmelden</button></p>
  </form>
{% endif %}
<p><a href="{{ url_for('web.search_page') }}">Zur Partnersuche</a></p>
</main>
</body>
</html>
"""


def _safe_target(target: str | None) -> str:
    """Only paths on this site: an open redirect would make our login a phishing tool.

    Judged as a browser reads a Location: it drops tabs and newlines anywhere and reads a
    backslash as a slash, so ``/%09/evil.example`` (a tab, once the form is decoded) or
    ``/\\evil.example`` mean ``//evil.example``, another site. Any control character or
    backslash, and anything that is not a path with a single leading slash, goes to the
    login page instead (a newline would also be a header injection).
    """
    if (isinstance(target, str) and target.startswith("/") and not target.startswith("//")
            and "\\" not in target and target.isprintable()):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("login.login")


def _page(error: str = "", email: str = "", status: int = 200):
    principal = current_principal()
    body = render_template_string(PAGE, principal=principal, error=error, email=email,
                                  weiter=request.values.get("weiter", ""),
                                  role_label=ROLE_LABELS.get(principal.role, principal.role))
    return body, status, {"Content-Type": "text/html; charset=utf-8"}


@bp.route("/anmelden", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return _page()
    email = request.form.get("email", "")[:254]
    try:
        user = users_of().authenticate(email, request.form.get("passwort", "")[:1024])
    except LockedOut as exc:         # said alike for every address, known or not
        users_of().audit("anonym", "anonymous", "login.locked", email, "", request.remote_addr or "")
        return _page(str(exc), email, 429)
    if user is None:
        users_of().audit("anonym", "anonymous", "login.failed", email, "", request.remote_addr or "")
        return _page("E-Mail-Adresse oder Passwort ist falsch.", email, 401)
    users_of().end_session(session.get("sid"))
    session.clear()                  # a fresh session: nothing from before the login survives
    session["sid"] = users_of().start_session(user)
    session.permanent = True
    users_of().audit(user.email, user.role, "login", user.email, "", request.remote_addr or "")
    return redirect(_safe_target(request.form.get("weiter")))


@bp.post("/abmelden")
def logout():
    if current_principal().role != "anonymous":
        audit("logout", current_principal().email)
    users_of().end_session(session.get("sid"))     # a saved copy of the cookie is worth nothing now
    session.clear()
    return redirect(url_for("login.login"))


PASSWORD_PAGE = """<!doctype html>
<html lang="de">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Passwort ändern – Partnerradar</title></head>
<body>
<main>
<h1>Passwort ändern</h1>
<p>Angemeldet als <strong>{{ principal.email }}</strong>. Nach der Änderung sind Sie auf allen
anderen Geräten abgemeldet, und Ihre API-Schlüssel sind widerrufen.</p>
{% if error %}<p role="alert">{{ error }}</p>{% endif %}
{% if done %}<p role="status">Ihr Passwort ist geändert.</p>{% endif %}
<form method="post" action="{{ url_for('login.change_password') }}">
  <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
  <input type="hidden" name="benutzername" value="{{ principal.email }}" autocomplete="username">
  <p><label for="bisher">Bisheriges Passwort</label><br>
     <input id="bisher" name="bisher" type="password" autocomplete="current-password" required></p>
  <p><label for="neu">Neues Passwort (mindestens {{ min_chars }} Zeichen)</label><br>
     <input id="neu" name="neu" type="password" autocomplete="new-password" minlength="{{ min_chars }}" required></p>
  <p><label for="wiederholung">Neues Passwort wiederholen</label><br>
     <input id="wiederholung" name="wiederholung" type="password" autocomplete="new-password" required></p>
  <p><button type="submit">Passwort ändern</button></p>
</form>
<p><a href="{{ url_for('web.search_page') }}">Zur Partnersuche</a></p>
</main>
</body>
</html>
"""


@bp.route("/konto/passwort", methods=["GET", "POST"])
def change_password():
    principal = current_principal()
    if principal.role == "anonymous" or principal.key_id:    # a person with a session, not a key
        return redirect(url_for("login.login", weiter=url_for("login.change_password")))
    error, done, status = "", False, 200
    if request.method == "POST":
        new = request.form.get("neu", "")[:1024]
        try:
            if new != request.form.get("wiederholung", "")[:1024]:
                raise AccessError("Die beiden neuen Passwörter stimmen nicht überein.")
            user = users_of().user(principal.user_id)
            users_of().change_password(user, request.form.get("bisher", "")[:1024], new,
                                       keep_session=session.get("sid"))
            audit("password.change", principal.email)
            done = True
        except AccessError as exc:
            error, status = str(exc), 400
    body = render_template_string(PASSWORD_PAGE, principal=principal, error=error, done=done,
                                  min_chars=MIN_PASSWORD_CHARS)
    return body, status, {"Content-Type": "text/html; charset=utf-8"}
