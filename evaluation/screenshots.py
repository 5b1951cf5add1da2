"""Screenshots of the main pages into docs/screenshots/ (``make screenshots``).

Serves the app (werkzeug, loopback, a free port) over the given database and photographs
the pages a planner and an innovation manager use, with Debian's chromium.

    python -m evaluation.screenshots [--db data/partnerradar.db] [--out docs/screenshots]
"""
from __future__ import annotations

import argparse
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


def shoot(base: str, out: Path, profile_id: str) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    pages = [
        ("suche.png", "/?q=" + quote("Wer kann uns bei der Digitalisierung der Instandhaltung helfen?")
         + "&ort=Chemnitz&umkreis=40", {"width": 1280, "height": 1400}),
        ("profil.png", f"/profil/{profile_id}", {"width": 1280, "height": 1400}),
        ("innoslam.png", "/innoslam?thema=" + quote(TOPIC), {"width": 1280, "height": 1500}),
        ("innoslam-tablet.png", "/innoslam?thema=" + quote(TOPIC), {"width": 800, "height": 1200}),
    ]
    written = []
    with browser() as b:
        for name, path, viewport in pages:
            page = b.new_page(viewport=viewport)
            page.goto(base + path)
            page.screenshot(path=str(out / name))
            page.close()
            written.append(out / name)
    return written


def main(argv=None):
    from api.app import create_app
    from partnerradar.config import load_settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database (default: the configured one)")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "docs" / "screenshots"))
    parser.add_argument("--profile", default="demo-072", help="profile shown on the profile page")
    args = parser.parse_args(argv)
    settings = load_settings().with_db(args.db)
    app = create_app(settings)
    with live_server(app) as base:
        for path in shoot(base, Path(args.out), args.profile):
            print(path)


if __name__ == "__main__":
    main()
