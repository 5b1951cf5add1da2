"""Production serving with gunicorn: the app is loaded once, before workers fork.

Preloading shares the model weights and the index pages between workers
(copy-on-write); each worker reloads the index when the store's generation moves.
"""
from __future__ import annotations

import os

from gunicorn.app.base import BaseApplication

from api.app import create_app
from partnerradar.config import Settings


class _Server(BaseApplication):
    def __init__(self, app, options):
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return self.application


def run_server(settings: Settings, host: str = "127.0.0.1", port: int = 8000, workers: int | None = None):
    from partnerradar.radar import Radar

    # Memory-mapped index: every worker maps the same file (page cache) instead of holding
    # its own copy, also after a write makes them reload the next generation.
    app = create_app(settings, Radar(settings, mmap=True))
    radar = app.extensions["radar"]
    # Load model, spaCy tables and index before forking: workers share them copy-on-write.
    radar.encoder
    radar.analyzer
    radar.index
    options = {
        "bind": f"{host}:{port}",
        "workers": workers or max(1, os.cpu_count() or 1),
        "threads": 2,
        "timeout": 60,
        "preload_app": True,
        "accesslog": "-",
        "limit_request_line": 8190,
    }
    _Server(app, options).run()
