"""What every ``partnerradar`` command shares: the radar of the global options, the German
failure line and exit codes, the ``--db`` option after a sub-command's name, and how a
command prints its report (JSON for scripts, German lines for people).

Its own module so that the sub-command modules (``cli_*``, ``evaluation/command.py``) need
not import the ``partnerradar.cli`` that mounts them.
"""
from __future__ import annotations

import json
import sys

import click

from partnerradar.config import Settings, load_settings

EXIT_OK, EXIT_UNUSABLE, EXIT_REJECTED = 0, 1, 3
#: Mail runs: 1 the run stopped (mail server unreachable, another run going), 3 some mails
#: not delivered yet (the next run tries again).
EXIT_ABORTED, EXIT_DEFERRED = 1, 3


def _settings(ctx) -> Settings:
    """The settings of ``--config`` and ``--db``, read once per command: the radar, the mail
    and the server of one command all get this one."""
    obj = ctx.find_root().obj
    if obj.get("settings") is None:
        obj["settings"] = load_settings(obj.get("config")).with_db(obj.get("db"))
    return obj["settings"]


def _radar(ctx):
    from partnerradar.radar import Radar

    try:
        return Radar(_settings(ctx))
    except RuntimeError as exc:
        from store.postgres import StoreUnavailable
        if isinstance(exc, StoreUnavailable):       # PostgreSQL unreachable: German, no traceback
            _fail(str(exc))
        raise


def _mail_settings(radar):
    """The mail settings of the command's file and environment, or a German failure line."""
    try:
        return radar.settings.mail
    except ValueError as exc:
        _fail(f"Mail-Einstellungen: {exc}")


def echo_json(body, indent: int | None = 2) -> None:
    """JSON as scripts read it (umlauts as they are); ``indent=None``: one line (one per file)."""
    click.echo(json.dumps(body, ensure_ascii=False, indent=indent))


def echo_report(report, as_json: bool) -> None:
    """A run's report: its ``to_dict()`` as JSON, or its German ``summary()`` lines."""
    if as_json:
        echo_json(report.to_dict())
        return
    for line in report.summary():
        click.echo(line)


def echo_file_report(report, *lines: str) -> None:
    """A file read in: each rejected row on stdout (``FILE:LINE: reason``, for editors and
    grep), then the German ``lines`` on stderr and where the rejected rows are kept."""
    for rejected in report.rejected:
        click.echo(str(rejected))
    for line in lines:
        click.echo(line, err=True)
    if report.rejects_file:
        click.echo(f"Abgelehnte Zeilen gesichert in {report.rejects_file}", err=True)


def file_exit_code(code: int, report) -> int:
    """The exit code after one more file: 3 once a row was rejected, unless a file was unusable (1)."""
    return EXIT_REJECTED if report.rejected and code == EXIT_OK else code


def _fail(message: str, code: int = 2):
    click.echo(f"Fehler: {message}", err=True)
    sys.exit(code)


def _confirm(question: str) -> None:
    """Ask a German yes/no question; anything but j/ja (or y/yes) aborts.

    click.confirm only understands y/n, so a German "j" was read as a refusal."""
    answer = click.prompt(f"{question} [j/N]", default="", show_default=False, err=True)
    if answer.strip().casefold() not in ("j", "ja", "y", "yes"):
        click.echo("Abgebrochen.", err=True)
        sys.exit(1)


def db_option(f):
    """Every command takes --db too, after the subcommand name."""
    def callback(ctx, _param, value):
        if value:
            ctx.find_root().obj["db"] = value
    return click.option("--db", type=click.Path(dir_okay=False), expose_value=False,
                        callback=callback, help="SQLite-Datei.")(f)
