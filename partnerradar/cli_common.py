"""What every ``partnerradar`` command shares: the radar of the global options, the German
failure line and exit codes, the ``--db`` option after a sub-command's name.

Its own module so that the sub-command modules (``cli_*``, ``evaluation/command.py``) need
not import the ``partnerradar.cli`` that mounts them.
"""
from __future__ import annotations

import sys

import click

from partnerradar.config import Settings, load_settings

EXIT_OK, EXIT_UNUSABLE, EXIT_REJECTED = 0, 1, 3


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
