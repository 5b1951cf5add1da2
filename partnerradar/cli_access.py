"""CLI for access and upkeep: ``user``, ``key``, ``check``, ``backup``, ``restore``.

There is no default password: the first administrator is made here
(``partnerradar user add chef@example.org --role admin``). Every change is written to
the audit log with the operating-system user as actor.
"""
from __future__ import annotations

import getpass
import sys

import click

from partnerradar.cli_common import _confirm, _fail, _radar, db_option, echo_json


def _users(ctx):
    from store.users import Users

    radar = _radar(ctx)
    return radar, Users(radar.store)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:     # no user name in a bare container
        return "cli"


def _read_password(from_stdin: bool, prompt: str) -> str:
    """From a script: the first line of stdin; from a person: asked twice, not echoed."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt(prompt, hide_input=True, confirmation_prompt="Passwort wiederholen")


@click.group()
def user():
    """Benutzer anlegen, auflisten, Passwort neu setzen."""


@user.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "manager", "member"]), required=True,
              help="Rolle des Benutzers.")
@click.option("--region", multiple=True, help="Landkreis eines Innovationsmanagers (mehrfach möglich).")
@click.option("--profile", "profile_id", default=None, help="Profil-ID eines Mitglieds.")
@click.option("--password-stdin", is_flag=True, help="Passwort aus der ersten Zeile der Standardeingabe lesen.")
@db_option
@click.pass_context
def user_add(ctx, email, role, region, profile_id, password_stdin):
    """Benutzer anlegen (fragt nach dem Passwort)."""
    from geo import normalise_district
    from store.users import AccessError

    regions = []
    for item in region:
        for name in item.split(","):
            if not name.strip():
                continue
            canonical = normalise_district(name.strip())
            if canonical is None:
                _fail(f"Unbekannter Landkreis „{name.strip()}“")
            regions.append(canonical)
    password = _read_password(password_stdin, "Passwort")
    radar, users = _users(ctx)
    try:
        created = users.add_user(email, password, role, region=regions, profile_id=profile_id)
    except AccessError as exc:
        _fail(str(exc))
    users.audit(_actor(), "admin", "user.add", created.email, f"Rolle {role}")
    click.echo(f"Benutzer {created.email} angelegt (Rolle {role}"
               + (f", Landkreise {', '.join(created.region)}" if created.region else "")
               + (f", Profil {created.profile_id}" if created.profile_id else "") + ")", err=True)
    if profile_id and radar.store.get_profile(profile_id) is None:
        click.echo(f"Hinweis: Profil {profile_id} gibt es noch nicht; das Mitglied kann es anlegen.", err=True)


@user.command("list")
@db_option
@click.pass_context
def user_list(ctx):
    """Benutzer auflisten."""
    _, users = _users(ctx)
    for u in users.users():
        extra = ", ".join(u.region) if u.region else (u.profile_id or "")
        click.echo(f"{u.id:4d}  {u.email}  {u.role}  {extra}{'  (gesperrt)' if u.disabled else ''}")


@user.command("password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Passwort aus der ersten Zeile der Standardeingabe lesen.")
@db_option
@click.pass_context
def user_password(ctx, email, password_stdin):
    """Neues Passwort setzen (z. B. vergessen); alle Sitzungen des Benutzers enden.

    Auch seine API-Schlüssel werden widerrufen (wer das alte Passwort kannte, kann einen
    angelegt haben); neue gibt es mit 'key create'.
    """
    from store.users import AccessError

    _, users = _users(ctx)
    found = users.user_by_email(email)
    if found is None:
        _fail(f"Benutzer {email} gibt es nicht")
    password = _read_password(password_stdin, "Neues Passwort")
    try:
        users.set_password(found.id, password)
    except AccessError as exc:
        _fail(str(exc))
    users.audit(_actor(), "admin", "user.password", found.email)
    click.echo(f"Neues Passwort für {found.email} gesetzt; alle Sitzungen sind beendet und "
               f"alle API-Schlüssel widerrufen.", err=True)


@click.group()
def key():
    """API-Schlüssel erzeugen, auflisten, widerrufen."""


@key.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "manager", "member"]), default=None,
              help="Rolle des Schlüssels (höchstens die des Benutzers; Standard: dessen Rolle).")
@click.option("--label", default="", help="Wofür der Schlüssel ist.")
@db_option
@click.pass_context
def key_create(ctx, email, role, label):
    """Neuen Schlüssel erzeugen; er wird nur dieses eine Mal angezeigt."""
    from store.users import AccessError

    _, users = _users(ctx)
    owner = users.user_by_email(email)
    if owner is None:
        _fail(f"Benutzer {email} gibt es nicht")
    try:
        created, secret = users.create_key(owner, role=role, label=label)
    except AccessError as exc:
        _fail(str(exc))
    users.audit(_actor(), "admin", "key.create", created.id, f"für {owner.email}, Rolle {created.role}")
    click.echo(secret)
    click.echo(f"Schlüssel {created.id} (Rolle {created.role}) für {owner.email}. Er wird nur jetzt "
               f"angezeigt und nur als Hash gespeichert; bitte sicher aufbewahren.", err=True)


@key.command("revoke")
@click.argument("key_id")
@db_option
@click.pass_context
def key_revoke(ctx, key_id):
    """Schlüssel widerrufen (wirkt sofort, auch in laufenden Servern)."""
    _, users = _users(ctx)
    if not users.revoke_key(key_id):
        _fail(f"Schlüssel {key_id} gibt es nicht oder er ist schon widerrufen", 1)
    users.audit(_actor(), "admin", "key.revoke", key_id)
    click.echo(f"Schlüssel {key_id} widerrufen", err=True)


@key.command("list")
@db_option
@click.pass_context
def key_list(ctx):
    """Schlüssel auflisten (ohne Geheimnis)."""
    _, users = _users(ctx)
    for k in users.keys():
        state = "widerrufen" if k.revoked_at else "aktiv"
        click.echo(f"{k.id}  {k.email}  {k.role}  {state}  {k.label}")


@click.command()
@click.option("--repair", is_flag=True, help="Bei Abweichungen den Index aus der Datenbank neu aufbauen.")
@click.option("--json", "as_json", is_flag=True, help="Bericht als JSON ausgeben.")
@db_option
@click.pass_context
def check(ctx, repair, as_json):
    """Prüfen, ob Datenbank und Index übereinstimmen.

    Exit-Code 0: alles in Ordnung, 1: Abweichungen (mit --repair: die nach der Reparatur bleiben).
    """
    from partnerradar.maintenance import check as run_check

    report = run_check(_radar(ctx), repair=repair)
    if as_json:
        echo_json(report.to_dict(), indent=None)
    else:
        for line in report.repaired:
            click.echo(f"Repariert: {line}", err=True)
        for line in report.problems:
            click.echo(f"Problem: {line}")
        if report.ok:
            click.echo(f"In Ordnung: {report.facts.get('profiles')} Profile, {report.facts.get('passages')} "
                       f"Passagen, Index {report.facts.get('index_file')}", err=True)
    sys.exit(0 if report.ok else 1)


@click.command()
@click.argument("path", type=click.Path(file_okay=False))
@db_option
@click.pass_context
def backup(ctx, path):
    """Datenbank und Index in einen neuen Ordner sichern.

    Geht im laufenden Betrieb; PATH muss neu oder leer sein.
    """
    from partnerradar.maintenance import BackupError, backup as run_backup

    radar, users = _users(ctx)
    try:
        manifest = run_backup(radar, path)
    except BackupError as exc:
        _fail(str(exc))
    users.audit(_actor(), "admin", "backup", str(path), f"{manifest['profiles']} Profile")
    click.echo(f"Gesichert: {manifest['profiles']} Profile, Generation {manifest['generation']} -> {path}", err=True)


@click.command()
@click.argument("path", type=click.Path(file_okay=False, exists=True))
@click.option("--yes", is_flag=True, help="Ohne Rückfrage überschreiben.")
@db_option
@click.pass_context
def restore(ctx, path, yes):
    """Datenbank und Index aus einer Sicherung zurückholen.

    Ersetzt den jetzigen Stand; laufende Server übernehmen die Sicherung.
    """
    from partnerradar.maintenance import BackupError, restore as run_restore

    if not yes:
        _confirm("Der jetzige Stand wird durch die Sicherung ersetzt. Fortfahren?")
    radar = _radar(ctx)
    try:
        result = run_restore(radar, path)
    except BackupError as exc:
        _fail(str(exc))
    from store.users import Users

    # The restored database may predate the access tables: open them afresh.
    Users(radar.store).audit(_actor(), "admin", "restore", str(path), f"{result['profiles']} Profile")
    click.echo(f"Wiederhergestellt: {result['profiles']} Profile aus {path}", err=True)
