"""An admin's view of users and API keys (``/verwaltung/zugaenge``): list, revoke a key,
lock or unlock a user. Creating users and keys stays with the CLI (``partnerradar user``,
``partnerradar key``), which shows a new key's secret once, on the operator's terminal.

Each change and its audit line are one transaction: no revoked key without its line.
"""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.exceptions import Forbidden

from api.auth import current_principal, require_role, users_of
from store.users import RANK

bp = Blueprint("admin_web", __name__)
ROLE_LABELS = {"admin": "Administrator", "manager": "Innovationsmanager", "member": "Mitglied"}


@bp.errorhandler(Forbidden)
def _forbidden(exc):
    return render_template("arbeitsplatz/fehler.html", message=exc.description), 403


def _admin_only():
    # require_role lets admins through; a key scoped below admin is no admin here.
    if current_principal().role != "admin":
        raise Forbidden("Benutzer und Schlüssel verwalten nur Administratoren.")


def _when(timestamp) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%d.%m.%Y %H:%M") if timestamp else ""


@bp.get("/verwaltung/zugaenge")
@require_role("admin")
def accounts():
    _admin_only()
    users = users_of()
    keys = users.keys()
    live = {}
    for key in keys:
        if key.revoked_at is None:
            live[key.user_id] = live.get(key.user_id, 0) + 1
    people = [{"id": u.id, "email": u.email, "role": ROLE_LABELS.get(u.role, u.role), "region": ", ".join(u.region),
               "profile_id": u.profile_id or "", "disabled": u.disabled, "keys": live.get(u.id, 0),
               "self": u.id == current_principal().user_id}
              for u in sorted(users.users(), key=lambda u: (-RANK[u.role], u.email.casefold()))]
    key_rows = [{"id": k.id, "email": k.email, "role": ROLE_LABELS.get(k.role, k.role), "label": k.label,
                 "created": _when(k.created_at), "revoked": _when(k.revoked_at)}
                for k in sorted(keys, key=lambda k: (k.revoked_at is not None, -k.created_at))]
    return render_template("arbeitsplatz/zugaenge.html", people=people, keys=key_rows,
                           notice=request.args.get("hinweis"))


def _audited_change(action: str, target: str, detail: str, change) -> bool:
    users = users_of()
    who = current_principal()
    with users.store.transaction(bump_generation=False):
        done = change()
        if done:
            users.audit(who.label, who.role, action, target, detail, request.remote_addr or "")
    return done


@bp.post("/verwaltung/schluessel/<key_id>/widerrufen")
@require_role("admin")
def revoke(key_id: str):
    _admin_only()
    key_id = key_id[:64]
    done = _audited_change("key.revoke", key_id, "Verwaltungsseite", lambda: users_of().revoke_key(key_id))
    message = (f"Schlüssel {key_id} ist widerrufen." if done
               else f"Schlüssel {key_id} gibt es nicht oder er war schon widerrufen.")
    return redirect(url_for("admin_web.accounts", hinweis=message), 303)


@bp.post("/verwaltung/benutzer/<int:user_id>/sperren")
@require_role("admin")
def lock(user_id: int):
    _admin_only()
    users = users_of()
    user = users.user(user_id)
    if user is None:
        return redirect(url_for("admin_web.accounts", hinweis="Diesen Benutzer gibt es nicht."), 303)
    disable = request.form.get("sperren") == "ja"
    if disable and user.id == current_principal().user_id:
        return redirect(url_for("admin_web.accounts", hinweis="Das eigene Konto sperren Sie hier nicht."), 303)

    def change():
        users.set_disabled(user.id, disable)
        if disable:        # sessions end at once; keys stop working with the lock itself
            users.conn.execute("DELETE FROM sessions WHERE user_id=?", (user.id,))
        return True

    _audited_change("user.disable" if disable else "user.enable", user.email, "Verwaltungsseite", change)
    return redirect(url_for("admin_web.accounts",
                            hinweis=f"{user.email} ist {'gesperrt' if disable else 'entsperrt'}."), 303)
