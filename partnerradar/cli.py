"""The ``partnerradar`` command line: a thin layer over ``Radar``, mirroring the HTTP API."""
from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from ingest.readers import UnusableFile
from matcher.request import BadRequest, SearchRequest
from partnerradar.cli_common import (EXIT_OK, EXIT_UNUSABLE, _fail, _radar, _settings, db_option, echo_file_report,
                                     echo_json, file_exit_code)
from partnerradar.config import DEMO_PROFILES


def _audited(radar, action: str, target: str, detail: str = ""):
    """The audit line of a CLI change, in the change's own transaction(s) (``Users.audited``);
    the actor is the account that ran the command, with the rights of whoever holds the file."""
    from partnerradar.cli_access import _actor
    from store.users import Users

    return Users(radar.store).audited(_actor(), "admin", action, target, detail)


@click.group()
@click.option("--db", type=click.Path(dir_okay=False), envvar="PARTNERRADAR_DB",
              help="SQLite-Datei (Standard: $PARTNERRADAR_DB, sonst data/partnerradar.db).")
@click.option("--config", type=click.Path(dir_okay=False), envvar="PARTNERRADAR_CONFIG",
              help="Konfigurationsdatei (TOML).")
@click.option("-v", "--verbose", is_flag=True, help="Ausführlich protokollieren (Log-Meldungen auf stderr).")
@click.pass_context
def main(ctx, db, config, verbose):
    """Partnerradar: Kooperationspartner für Innovation in Sachsen finden."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    ctx.ensure_object(dict)
    ctx.obj.update(db=db, config=config)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["auto", "efre", "ptdesy"]), default="auto",
              help="auto: unsere Spalten (CSV/JSON Lines); efre/ptdesy: öffentliche Förderexporte.")
@click.option("--merge-duplicates", is_flag=True, help="Wahrscheinliche Dubletten zusammenführen.")
@click.option("--json", "as_json", is_flag=True, help="Bericht als JSON ausgeben.")
@db_option
@click.pass_context
def ingest(ctx, files, fmt, merge_duplicates, as_json):
    """Profile aus Dateien in die Datenbank einlesen.

    FILES sind CSV- oder JSON-Lines-Dateien (oder Förderexporte, siehe --format). Exit-Code 0:
    alle Zeilen übernommen, 3: einzelne Zeilen abgelehnt (je eine Zeile DATEI:ZEILE: Grund),
    1: eine Datei ist unbrauchbar.
    """
    from ingest.funding import sniff_format
    from partnerradar.funding_import import FORMAT_LABELS, grouping_summary, load_dataset, store_dataset
    from partnerradar.radar import ModelMismatch

    radar = _radar(ctx)
    code = EXIT_OK
    for file in files:
        grouped = ""
        try:
            # A public funding export is recognised by its header, so `ingest` of the
            # EFRE list just works instead of failing with "Spalte name fehlt".
            file_fmt = fmt if fmt != "auto" else (sniff_format(file) if Path(file).is_file() else None)
            if file_fmt is None:
                with _audited(radar, "ingest", str(file), "Kommandozeile"):
                    report = radar.ingest(file, merge_duplicates=merge_duplicates, progress=not as_json)
            else:
                if fmt == "auto" and not as_json:
                    click.echo(f"{file}: als {FORMAT_LABELS[file_fmt]} erkannt", err=True)
                dataset = load_dataset(file, file_fmt)
                grouped = grouping_summary(dataset)
                with _audited(radar, "ingest", str(file), f"Kommandozeile, Format {file_fmt}"):
                    report = store_dataset(radar, dataset, str(file), merge_duplicates, progress=not as_json)
        except UnusableFile as exc:
            click.echo(f"{exc}", err=True)
            code = EXIT_UNUSABLE
            continue
        except ModelMismatch as exc:
            _fail(str(exc))
        if as_json:
            echo_json(report.to_dict(), indent=None)
        else:
            read = f"{report.read} Organisationen" if grouped else f"{report.read} Zeilen"
            echo_file_report(report, *([f"{file}: {grouped}"] if grouped else []),
                             f"{file}: {read} gelesen, {report.inserted} neu, {report.updated} geändert, "
                             f"{report.unchanged} unverändert, {len(report.rejected)} abgelehnt")
            for d in report.duplicates:
                click.echo(f"Mögliche Dublette: {d.a} ~ {d.b} ({d.reason}, {d.score:.0f})", err=True)
            for kept, removed in report.merged:
                click.echo(f"Zusammengeführt: {removed} -> {kept}", err=True)
            for _, _, reason in report.merge_refused:
                click.echo(f"Nicht zusammengeführt: {reason}", err=True)
        code = file_exit_code(code, report)
    sys.exit(code)


@main.command()
@click.argument("ids", nargs=-1, required=True)
@db_option
@click.pass_context
def delete(ctx, ids):
    """Profile aus Datenbank und Index löschen."""
    radar = _radar(ctx)
    missing = [i for i in ids if radar.store.get_profile(i) is None]
    present = [i for i in ids if i not in missing]
    if present:
        with _audited(radar, "profile.delete", ", ".join(present)[:500], "Kommandozeile"):
            removed = radar.delete(present)
    else:
        removed = 0
    click.echo(f"{removed} Profil(e) gelöscht", err=True)
    if missing:
        _fail("nicht gefunden: " + ", ".join(missing), 1)


def _print_results(results, as_json):
    if as_json:
        echo_json({"results": results})
        return
    if not results:
        click.echo("Keine passenden Partner gefunden.")
    for n, hit in enumerate(results, 1):
        if not hit.get("supported", True) and (n == 1 or results[n - 2].get("supported", True)):
            click.echo("-- Weniger belegte Treffer (wenig Gemeinsames mit der Anfrage) --")
        where = ", ".join(x for x in (hit["town"], hit["landkreis"]) if x)
        dist = f", {hit['distance_km']:.0f} km" if hit["distance_km"] is not None else ""
        click.echo(f"{n:2d}. [{hit['score']:3d}] {hit['name']} ({hit['kind']}; {where}{dist})  id={hit['id']}")
        for reason in hit.get("explanation", {}).get("reasons", [])[:3]:
            click.echo(f"      {reason}")


def _request(query="", kinds=(), near="", radius_km=None, landkreis="", exclude=(), top=10, **extra):
    data = {"query": query, "kinds": list(kinds), "near": near or None, "radius_km": radius_km,
            "landkreis": landkreis or None, "exclude": list(exclude), "limit": top, **extra}
    return SearchRequest.from_dict({k: v for k, v in data.items() if v is not None})


search_options = [
    click.option("--kind", "kinds", multiple=True, help="kmu, research, startup, other (wiederholbar)."),
    click.option("--near", default="", help="Postleitzahl oder Ort, z. B. 09111 oder Chemnitz."),
    click.option("--radius-km", type=float, default=None, help="Nur Partner im Umkreis (km) um --near."),
    click.option("--landkreis", default="", help="Nur Partner in diesem Landkreis."),
    click.option("--exclude", multiple=True, help="Diese Profil-ID auslassen (wiederholbar)."),
    click.option("--top", type=int, default=10, show_default=True, help="Höchstens so viele Treffer."),
    click.option("--json", "as_json", is_flag=True, help="Genau den JSON-Body der API ausgeben."),
]


def with_search_options(f):
    for option in reversed(search_options):
        f = option(f)
    return f


@main.command()
@click.argument("query")
@with_search_options
@db_option
@click.pass_context
def search(ctx, query, kinds, near, radius_km, landkreis, exclude, top, as_json):
    """Partner für einen Bedarf finden.

    QUERY beschreibt auf Deutsch, was gesucht wird, z. B. „Laserstrahlschweißen von Aluminium
    im Leichtbau“.
    """
    from partnerradar.radar import ModelMismatch

    radar = _radar(ctx)
    try:
        results = radar.search(_request(query, kinds, near, radius_km, landkreis, exclude, top))
    except (BadRequest, ModelMismatch) as exc:
        _fail(str(exc))
    _print_results(results, as_json)


@main.command()
@click.argument("profile_id")
@with_search_options
@click.option("--include-known", is_flag=True, help="Auch bisherige Kooperationspartner zeigen.")
@db_option
@click.pass_context
def partners(ctx, profile_id, kinds, near, radius_km, landkreis, exclude, top, as_json, include_known):
    """Partner für ein Profil aus der Datenbank finden.

    PROFILE_ID ist die ID einer Organisation, die schon in der Datenbank steht; ihr Profil ist
    die Suchanfrage.
    """
    from vocabulary.errors import NotFound

    radar = _radar(ctx)
    try:
        req = _request("", kinds, near, radius_km, landkreis, exclude, top, seeker=profile_id,
                       include_known=include_known)
        results = radar.partners(profile_id, req)
    except (BadRequest, NotFound) as exc:
        _fail(str(exc))
    _print_results(results, as_json)


@main.command()
@click.option("--reembed", is_flag=True, help="Alle Vektoren neu berechnen (nach einem Modellwechsel).")
@db_option
@click.pass_context
def reindex(ctx, reembed):
    """Den Index aus der Datenbank neu aufbauen.

    Suchbegriffe, die eine ältere Version abgeleitet hat, werden dabei neu abgeleitet (ohne
    neue Einbettung). Mit --reembed werden alle Texte mit dem eingestellten Modell neu eingebettet (mit
    Fortschritt und Restzeit); laufende Server antworten währenddessen mit den alten Vektoren.
    """
    radar = _radar(ctx)
    progress = None
    if reembed:
        total = radar.store.count_profiles()
        if sys.stderr.isatty():
            from tqdm import tqdm
            progress = tqdm(total=total, unit="Profil", desc="Neu einbetten", file=sys.stderr)
        else:
            progress = ProgressLog(total, lambda line: click.echo(line, err=True))
    rederive = not reembed and radar.terms_outdated()
    try:
        n = radar.reindex(reembed=reembed, progress=progress)
    finally:
        if progress is not None:
            progress.close()
    if rederive:
        click.echo("Suchbegriffe aller Passagen neu abgeleitet (ohne neue Einbettung).", err=True)
    click.echo(f"Index neu aufgebaut: {n} Passagen", err=True)


class ProgressLog:
    """Progress for a log file (no terminal): a line per tenth done, with the time left."""

    def __init__(self, total: int, echo, steps: int = 10):
        import time

        self.total, self.echo, self.done = max(total, 0), echo, 0
        self.clock = time.monotonic
        self.started = self.clock()
        self.every = max(1, -(-self.total // steps))
        self.next_report = self.every

    def update(self, n: int) -> None:
        self.done += n
        if self.done < self.next_report and self.done < self.total:
            return
        self.next_report = (self.done // self.every + 1) * self.every
        elapsed = self.clock() - self.started
        left = elapsed / self.done * (self.total - self.done) if self.done else 0.0
        self.echo(f"Neu eingebettet: {self.done} von {self.total} Profilen "
                  f"({100 * self.done // max(self.total, 1)} %), noch etwa {_duration(left)}")

    def close(self) -> None:
        pass


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


@main.command()
@click.option("--merge", is_flag=True, help="Jedes gefundene Paar zusammenführen.")
@db_option
@click.pass_context
def duplicates(ctx, merge):
    """Wahrscheinliche Dubletten auflisten (und zusammenführen)."""
    from partnerradar.radar import MergeRefused

    radar = _radar(ctx)
    pairs = radar.duplicates()
    gone: set[str] = set()
    for d in pairs:
        if d.a in gone or d.b in gone:
            continue                  # already folded into a third profile above
        a, b = radar.store.get_profile(d.a), radar.store.get_profile(d.b)
        click.echo(f"{d.a} „{a['name']}“ ~ {d.b} „{b['name']}“ ({d.reason}, {d.score:.0f})")
        if merge:
            try:
                kept, removed = radar.merge(d.a, d.b)
            except MergeRefused as exc:
                click.echo(f"  {exc}")
                continue
            gone.add(removed)
            click.echo(f"  zusammengeführt: {removed} -> {kept}")
    if not pairs:
        click.echo("Keine Dubletten gefunden.", err=True)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Adresse, auf der der Server lauscht.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port des Servers.")
@click.option("--workers", default=None, type=int,
              help="Worker-Prozesse (Standard: Zahl der CPU-Kerne, die der Prozess nutzen darf, etwa nach taskset).")
@db_option
@click.pass_context
def serve(ctx, host, port, workers):
    """API und Seiten mit dem Produktionsserver starten.

    waitress in mehreren Worker-Prozessen.
    """
    from api.server import run_server

    try:
        run_server(_settings(ctx), host, port, workers)
    except RuntimeError as exc:
        from store.postgres import StoreUnavailable
        if isinstance(exc, StoreUnavailable):
            _fail(str(exc))
        raise


@main.command()
@click.option("--file", "path", type=click.Path(), default=str(DEMO_PROFILES), show_default=True,
              help="Profildatei (CSV oder JSON Lines).")
@db_option
@click.pass_context
def demo(ctx, path):
    """Die mitgelieferten fiktiven Demo-Profile laden.

    Unveränderte Zeilen werden übersprungen; ein zweiter Aufruf ändert also nichts.
    """
    radar = _radar(ctx)
    report = radar.ingest(Path(path))
    if radar.terms_outdated():       # a demo database from an older version: unchanged rows keep old terms
        radar.reindex()
    click.echo(f"Demo: {report.inserted} neu, {report.updated} geändert, {report.unchanged} unverändert, "
               f"{len(report.rejected)} abgelehnt; {radar.store.count_profiles()} Profile", err=True)
    if Path(path) == DEMO_PROFILES:     # the demo's offers and requests belong to these profiles
        from partnerradar.cli_listings import load_demo_listings
        load_demo_listings(radar)


@main.command()
@db_option
@click.pass_context
def health(ctx):
    """Zustand von Datenbank, Index und Modell anzeigen (JSON)."""
    echo_json(_radar(ctx).health())


# The yardstick's command lives with the evaluation code; the CLI only mounts it.
from evaluation.command import evaluate  # noqa: E402

main.add_command(evaluate)

from partnerradar.cli_innoslam import innoslam  # noqa: E402

main.add_command(innoslam)

# The weekly digest's commands live with their own module, like evaluate.
from partnerradar.cli_digest import digest, subscriber  # noqa: E402

main.add_command(digest)
main.add_command(subscriber)

from partnerradar.cli_access import backup, check, key, restore, user  # noqa: E402
from partnerradar.cli_listings import listing  # noqa: E402
from partnerradar.cli_introductions import introduction, remind  # noqa: E402

main.add_command(introduction)
main.add_command(remind)

main.add_command(user)
main.add_command(key)
main.add_command(check)
main.add_command(backup)
main.add_command(restore)
main.add_command(listing)

if __name__ == "__main__":
    main()
