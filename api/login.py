"""Password login for people: ``/anmelden`` (form) and ``/abmelden`` (POST, with CSRF)."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template_string, request, session, url_for

from api.auth import audit, current_principal, users_of

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
    """Only paths on this site: an open redirect would make our login a phishing tool."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
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
    user = users_of().authenticate(email, request.form.get("passwort", "")[:1024])
    if user is None:
        users_of().audit("anonym", "anonymous", "login.failed", email, "", request.remote_addr or "")
        return _page("E-Mail-Adresse oder Passwort ist falsch.", email, 401)
    session.clear()                  # a fresh session: nothing from before the login survives
    session["uid"] = user.id
    session.permanent = True
    users_of().audit(user.email, user.role, "login", user.email, "", request.remote_addr or "")
    return redirect(_safe_target(request.form.get("weiter")))


@bp.post("/abmelden")
def logout():
    if current_principal().role != "anonymous":
        audit("logout", current_principal().email)
    session.clear()
    return redirect(url_for("login.login"))
