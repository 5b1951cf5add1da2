"""Mail settings: defaults, then the config file Partnerradar already reads, then the environment.

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

Kept apart from ``partnerradar.config.Settings`` so that mail credentials never travel
with the search settings; the TOML keys sit in the same ``[partnerradar]`` table.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields
from email.headerregistry import Address
from email.utils import parseaddr
from pathlib import Path

from partnerradar.config import PROJECT_DIR

SECURITY = ("none", "starttls", "ssl")
DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}


@dataclass(frozen=True)
class MailSettings:
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 0                 # 0: the usual port for the security mode
    smtp_security: str = "none"
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_timeout: float = 30.0
    mail_from: str = "Partnerradar <digest@partnerradar.invalid>"
    base_url: str = "http://127.0.0.1:8000"
    secret_key: str = ""
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


_ENV = {"smtp_host": "PARTNERRADAR_SMTP_HOST", "smtp_port": "PARTNERRADAR_SMTP_PORT",
        "smtp_security": "PARTNERRADAR_SMTP_SECURITY", "smtp_user": "PARTNERRADAR_SMTP_USER",
        "smtp_password": "PARTNERRADAR_SMTP_PASSWORD", "mail_from": "PARTNERRADAR_MAIL_FROM",
        "base_url": "PARTNERRADAR_BASE_URL", "secret_key": "PARTNERRADAR_SECRET_KEY",
        "retry_base_s": "PARTNERRADAR_SMTP_RETRY_S"}
_TYPES = {f.name: f.type for f in fields(MailSettings)}


def load_mail_settings(config_file: str | os.PathLike | None = None, env=None) -> MailSettings:
    env = os.environ if env is None else env
    values: dict = {}
    path = Path(config_file or env.get("PARTNERRADAR_CONFIG") or PROJECT_DIR / "partnerradar.toml")
    if path.is_file():
        with path.open("rb") as handle:
            table = tomllib.load(handle)
        table = table.get("partnerradar", table)
        values.update({k: v for k, v in table.items() if k in _TYPES})
    for key, var in _ENV.items():
        if env.get(var):
            values[key] = env[var]
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
