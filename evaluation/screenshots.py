"""Screenshots of the main pages into docs/screenshots/ (``make screenshots``).

Serves the app (werkzeug, loopback, a free port) over the given database and photographs
the pages a planner and an innovation manager use, with Debian's chromium. Search and
profile are shot as an anonymous visitor; the Inno Slam pages need a manager, so the app
runs over a temporary copy of the database with a throw-away manager who logs in through
``/anmelden`` (the real database gets no user and no session).

    python -m evaluation.screenshots [--db data/partnerradar.db] [--out docs/screenshots]
"""
from __future__ import annotations

import argparse
import secrets
import shutil
import sqlite3
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
#: Flags for a sandbox-less, offline, quiet headless chromium (no downloads, no updates).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TOPIC = "Additive Fertigung von Metallbauteilen"


@contextmanager
def live_server(app):
    """The Flask app on 127.0.0.1 and a free port, in a thread; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@contextmanager
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def log_in(context, base: str, email: str, password: str) -> None:
    """Through the login form, as a person would: the session cookie lands in ``context``."""
    page = context.new_page()
    page.goto(base + "/anmelden")
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_load_state()
    page.close()


def shoot(base: str, out: Path, profile_id: str, manager: tuple[str, str]) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    pages = [
        ("suche.png", False, "/?q=" + quote("Wer kann uns bei der Digitalisierung der Instandhaltung helfen?")
         + "&ort=Chemnitz&umkreis=40", {"width": 1280, "height": 1400}),
        ("profil.png", False, f"/profil/{profile_id}", {"width": 1280, "height": 1400}),
        ("innoslam.png", True, "/innoslam?thema=" + quote(TOPIC), {"width": 1280, "height": 1500}),
        ("innoslam-tablet.png", True, "/innoslam?thema=" + quote(TOPIC), {"width": 800, "height": 1200}),
    ]
    written = []
    with browser() as b:
        anonymous, planner = b.new_context(locale="de-DE"), b.new_context(locale="de-DE")
        log_in(planner, base, *manager)
        for name, as_manager, path, viewport in pages:
            page = (planner if as_manager else anonymous).new_page()
            page.set_viewport_size(viewport)
            page.goto(base + path)
            page.screenshot(path=str(out / name))
            page.close()
            written.append(out / name)
    return written


def scratch_copy(settings, folder: Path):
    """The database (SQLite backup: consistent while others write) and its index, in ``folder``."""
    target = folder / settings.db_path.name
    source, copy = sqlite3.connect(settings.db_path), sqlite3.connect(target)
    source.backup(copy)
    source.close()
    copy.close()
    if settings.index_dir.exists():
        shutil.copytree(settings.index_dir, target.with_suffix(".index"),
                        ignore=shutil.ignore_patterns("*.lock"))
    return settings.with_db(target)


def main(argv=None):
    from api.app import create_app
    from partnerradar.config import load_settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database (default: the configured one)")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "docs" / "screenshots"))
    parser.add_argument("--profile", default="demo-072", help="profile shown on the profile page")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="partnerradar-screenshots-") as folder:
        settings = scratch_copy(load_settings().with_db(args.db), Path(folder))
        app = create_app(settings)
        app.config["SESSION_COOKIE_SECURE"] = False          # plain HTTP on loopback
        manager = ("planerin@screenshots.invalid", secrets.token_urlsafe(16))
        app.extensions["users"].add_user(*manager, role="manager", region=("Dresden",))
        with live_server(app) as base:
            for path in shoot(base, Path(args.out), args.profile, manager):
                print(path)


if __name__ == "__main__":
    main()
