"""Who may do what: users, API keys, profile creators and the audit log.

These tables live in the same database as the profiles (``store.db.Store``'s SQLite file,
or the shared PostgreSQL of ``store.postgres.PgStore``: a login or key made through one
server holds on all), so a backup holds both and one ``Store`` connection serves both. They are written outside
``Store.transaction()`` on purpose: that bumps the index generation, and a new API key
or an audit line must not make every worker reload its search index. The audit line of a
change to profiles (an edit, an upload, a delete) is the exception: ``Users.audited``
writes it inside that change's own transaction.

People's sessions are kept here too (``sessions``: a random id per login, stored only as a
hash, with its own expiry): the session cookie only names one, so logging out, changing the
password or the end of its lifetime ends it on the server, whatever a saved cookie says.
Failed logins are counted per address (``login_failures``, the address only as a hash)
and lock it for a while, whether a user with that address exists or not.

Passwords are hashed with Argon2id (argon2-cffi): memory-hard, so a stolen database
does not give up weak passwords to a GPU in minutes. API keys are 256 random bits;
for a secret that cannot be guessed, a plain SHA-256 is enough and keeps every API
request fast (a memory-hard hash per request would cost ~50 ms and 64 MiB).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from store.db import Store

#: Strongest first: a key may be scoped to its user's role or a weaker one.
ROLES = ("admin", "manager", "member")
RANK = {"admin": 3, "manager": 2, "member": 1, "anonymous": 0}
MIN_PASSWORD_CHARS = 10
KEY_PREFIX = "prk"
#: A login session ends this long after it began (also on the server, not only the cookie).
SESSION_LIFETIME_S = 8 * 3600
#: This many failed logins for one address within the window lock it for LOCKOUT_S.
LOCKOUT_FAILURES = 5
LOCKOUT_WINDOW_S = 15 * 60
LOCKOUT_S = 15 * 60
LOCKED_OUT = ("Zu viele fehlgeschlagene Anmeldeversuche für diese E-Mail-Adresse. "
              "Bitte versuchen Sie es in {minutes} Minuten noch einmal.")

_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so a login takes as long either way.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'member')),
    region TEXT NOT NULL DEFAULT '[]',
    profile_id TEXT,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    label TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    revoked_at REAL);
CREATE TABLE IF NOT EXISTS profile_creators (
    profile_id TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    id_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user_id);
CREATE TABLE IF NOT EXISTS login_failures (
    email_hash TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    first_at REAL NOT NULL,
    locked_until REAL NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '',
    ip TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log(at);
"""


class AccessError(ValueError):
    """A user or key request that can't be carried out; the message is German, for people."""


class LockedOut(AccessError):
    """Too many failed logins for this address: no password is checked until the lock ends."""


@dataclass(frozen=True)
class User:
    id: int
    email: str
    role: str
    region: tuple[str, ...] = ()
    profile_id: str | None = None
    disabled: bool = False
    password_changed_at: float = 0.0   # sessions begun before this are over


@dataclass(frozen=True)
class ApiKey:
    id: str
    user_id: int
    role: str
    label: str
    created_at: float
    revoked_at: float | None = None
    email: str = field(default="")


class Users:
    """Users, keys, creators and audit lines on a ``Store``'s connection."""

    def __init__(self, store: Store):
        self.store = store
        self.store.conn.executescript(SCHEMA)
        columns = {row[1] for row in self.store.conn.execute("PRAGMA table_info(users)")}
        if "password_changed_at" not in columns:      # databases from before password changes
            self.store.conn.execute("ALTER TABLE users ADD COLUMN password_changed_at REAL NOT NULL DEFAULT 0")
        creator_columns = {row[1] for row in self.store.conn.execute("PRAGMA table_info(profile_creators)")}
        if "role" not in creator_columns:             # databases from before scoped creator rights
            self.store.conn.execute("ALTER TABLE profile_creators ADD COLUMN role TEXT NOT NULL DEFAULT ''")
            # The best knowledge there is: the role the creator has now.
            self.store.conn.execute("UPDATE profile_creators SET role = coalesce("
                                    "(SELECT role FROM users WHERE users.id = profile_creators.user_id), '')")

    @property
    def conn(self):
        return self.store.conn

    # -- users --------------------------------------------------------------------
    def add_user(self, email: str, password: str, role: str, region=(), profile_id: str | None = None) -> User:
        email = (email or "").strip()
        if "@" not in email or len(email) > 254 or any(c.isspace() for c in email):
            raise AccessError(f"ungültige E-Mail-Adresse {email!r}")
        if role not in ROLES:
            raise AccessError(f"unbekannte Rolle {role!r} (erlaubt: {', '.join(ROLES)})")
        if len(password or "") < MIN_PASSWORD_CHARS:
            raise AccessError(f"Passwort zu kurz (mindestens {MIN_PASSWORD_CHARS} Zeichen)")
        region = tuple(region or ())
        if role == "manager" and not region:
            raise AccessError("ein Innovationsmanager braucht mindestens einen Landkreis (--region)")
        if role == "member" and not profile_id:
            raise AccessError("ein Mitglied gehört zu genau einem Profil (--profile)")
        if self.user_by_email(email) is not None:
            raise AccessError(f"Benutzer {email} gibt es schon")
        # RETURNING (not lastrowid): the same statement on PostgreSQL (store/pgsql.py).
        (user_id,) = self.conn.execute(
            "INSERT INTO users (email, password_hash, role, region, profile_id, created_at) VALUES (?,?,?,?,?,?) "
            "RETURNING id",
            (email, _hasher.hash(password), role, json.dumps(list(region), ensure_ascii=False),
             profile_id if role == "member" else None, time.time())).fetchone()
        return self.user(user_id)

    def user(self, user_id: int) -> User | None:
        row = self.conn.execute("SELECT id, email, role, region, profile_id, disabled, password_changed_at FROM users WHERE id=?",
                                (user_id,)).fetchone()
        return _user(row)

    def user_by_email(self, email: str) -> User | None:
        row = self.conn.execute("SELECT id, email, role, region, profile_id, disabled, password_changed_at FROM users WHERE email=?",
                                ((email or "").strip(),)).fetchone()
        return _user(row)

    def users(self) -> list[User]:
        rows = self.conn.execute("SELECT id, email, role, region, profile_id, disabled, password_changed_at FROM users ORDER BY id")
        return [_user(r) for r in rows]

    def set_disabled(self, user_id: int, disabled: bool = True) -> None:
        self.conn.execute("UPDATE users SET disabled=? WHERE id=?", (int(disabled), user_id))

    def set_password(self, user_id: int, password: str, keep_session: str | None = None) -> float:
        """A new password: every session (but ``keep_session``) ends and every API key of the
        user is revoked -- whoever had the old password may have made one. Returns the time."""
        if len(password or "") < MIN_PASSWORD_CHARS:
            raise AccessError(f"Das Passwort ist zu kurz (mindestens {MIN_PASSWORD_CHARS} Zeichen).")
        changed = time.time()
        with self.store.transaction(bump_generation=False) as conn:
            updated = conn.execute("UPDATE users SET password_hash=?, password_changed_at=? WHERE id=?",
                                   (_hasher.hash(password), changed, user_id)).rowcount
            if not updated:
                raise AccessError(f"Benutzer {user_id} gibt es nicht")
            conn.execute("DELETE FROM sessions WHERE user_id=? AND id_hash != ?",
                         (user_id, _key_hash(keep_session) if keep_session else ""))
            conn.execute("UPDATE api_keys SET revoked_at=? WHERE user_id=? AND revoked_at IS NULL",
                         (changed, user_id))
        return changed

    def change_password(self, user: User, current: str, new: str, keep_session: str | None = None) -> float:
        """The user's own change: only with the current password (which counts towards the lockout)."""
        if self.authenticate(user.email, current) is None:
            raise AccessError("Das bisherige Passwort stimmt nicht.")
        if new == current:
            raise AccessError("Das neue Passwort muss sich vom bisherigen unterscheiden.")
        return self.set_password(user.id, new, keep_session)

    def authenticate(self, email: str, password: str) -> User | None:
        """The user for a correct e-mail and password, else None (same work either way).

        Raises ``LockedOut`` while the address is locked: after LOCKOUT_FAILURES failures in
        LOCKOUT_WINDOW_S, for LOCKOUT_S. Known and unknown addresses are counted and locked
        alike, so the lock says nothing about whether an account exists.
        """
        email_hash = _email_hash(email)
        self._check_lock(email_hash)
        row = self.conn.execute("SELECT id, password_hash FROM users WHERE email=? AND disabled=0",
                                ((email or "").strip(),)).fetchone()
        stored = row[1] if row else _DUMMY_HASH
        try:
            _hasher.verify(stored, password or "")
        except (VerificationError, InvalidHashError):
            self._record_failure(email_hash)
            return None
        if row is None:
            self._record_failure(email_hash)
            return None
        self.conn.execute("DELETE FROM login_failures WHERE email_hash=?", (email_hash,))
        if _hasher.check_needs_rehash(stored):
            self.conn.execute("UPDATE users SET password_hash=? WHERE id=?", (_hasher.hash(password), row[0]))
        return self.user(row[0])

    def _check_lock(self, email_hash: str) -> None:
        row = self.conn.execute("SELECT locked_until FROM login_failures WHERE email_hash=?",
                                (email_hash,)).fetchone()
        now = time.time()
        if row and row[0] > now:
            raise LockedOut(LOCKED_OUT.format(minutes=max(1, round((row[0] - now) / 60))))

    def _record_failure(self, email_hash: str) -> None:
        now = time.time()
        with self.store.transaction(bump_generation=False) as conn:
            # Bounded: rows whose window and lock are over are of no use any more.
            conn.execute("DELETE FROM login_failures WHERE first_at < ? AND locked_until < ?",
                         (now - LOCKOUT_WINDOW_S, now))
            row = conn.execute("SELECT failures, first_at FROM login_failures WHERE email_hash=?",
                               (email_hash,)).fetchone()
            failures = 1 if row is None or row[1] < now - LOCKOUT_WINDOW_S else row[0] + 1
            first_at = now if failures == 1 else row[1]
            locked_until = 0.0
            if failures >= LOCKOUT_FAILURES:      # locked; afterwards the count starts again
                failures, first_at, locked_until = 0, now, now + LOCKOUT_S
            conn.execute("INSERT INTO login_failures VALUES (?, ?, ?, ?) ON CONFLICT (email_hash) DO UPDATE SET "
                         "failures=excluded.failures, first_at=excluded.first_at, locked_until=excluded.locked_until",
                         (email_hash, failures, first_at, locked_until))

    # -- login sessions -------------------------------------------------------------
    def start_session(self, user: User) -> str:
        """A new session for ``user``; returns its id (for the cookie; stored only as a hash)."""
        session_id = secrets.token_urlsafe(32)
        now = time.time()
        with self.store.transaction(bump_generation=False) as conn:
            conn.execute("DELETE FROM sessions WHERE expires_at < ?", (now,))
            conn.execute("INSERT INTO sessions VALUES (?, ?, ?, ?)",
                         (_key_hash(session_id), user.id, now, now + SESSION_LIFETIME_S))
        return session_id

    def session_user(self, session_id: str) -> User | None:
        """The active user of a live session, else None (ended, expired, unknown, disabled)."""
        if not isinstance(session_id, str) or not session_id:
            return None
        row = self.conn.execute("SELECT user_id FROM sessions WHERE id_hash=? AND expires_at > ?",
                                (_key_hash(session_id), time.time())).fetchone()
        user = self.user(row[0]) if row else None
        return None if user is None or user.disabled else user

    def end_session(self, session_id: str | None) -> None:
        if isinstance(session_id, str) and session_id:
            self.conn.execute("DELETE FROM sessions WHERE id_hash=?", (_key_hash(session_id),))

    # -- API keys -----------------------------------------------------------------
    def create_key(self, user: User, role: str | None = None, label: str = "") -> tuple[ApiKey, str]:
        """A new key for ``user``, scoped to ``role`` (default: the user's). Returns (key, secret).

        The secret is returned once and stored only as a hash.
        """
        role = role or user.role
        if role not in ROLES:
            raise AccessError(f"unbekannte Rolle {role!r} (erlaubt: {', '.join(ROLES)})")
        if RANK[role] > RANK[user.role]:
            raise AccessError(f"ein Schlüssel kann nicht mehr dürfen als sein Benutzer ({user.role})")
        if role == "member" and not user.profile_id:
            raise AccessError("ein Mitglieds-Schlüssel braucht einen Benutzer mit Profil")
        key_id = secrets.token_hex(6)
        secret = f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
        now = time.time()
        self.conn.execute(
            "INSERT INTO api_keys (id, user_id, role, key_hash, label, created_at) VALUES (?,?,?,?,?,?)",
            (key_id, user.id, role, _key_hash(secret), label, now))
        return ApiKey(key_id, user.id, role, label, now, None, user.email), secret

    def revoke_key(self, key_id: str) -> bool:
        cursor = self.conn.execute("UPDATE api_keys SET revoked_at=? WHERE id=? AND revoked_at IS NULL",
                                   (time.time(), key_id))
        return cursor.rowcount == 1

    def keys(self) -> list[ApiKey]:
        rows = self.conn.execute(
            "SELECT k.id, k.user_id, k.role, k.label, k.created_at, k.revoked_at, u.email "
            "FROM api_keys k JOIN users u ON u.id = k.user_id ORDER BY k.created_at")
        return [ApiKey(*r) for r in rows]

    def resolve_key(self, secret: str) -> tuple[User, str, str] | None:
        """(user, scoped role, key id) for a valid, unrevoked key of an active user; else None."""
        parts = (secret or "").split("_", 2)
        if len(parts) != 3 or parts[0] != KEY_PREFIX:
            return None
        row = self.conn.execute(
            "SELECT k.key_hash, k.role, k.user_id FROM api_keys k JOIN users u ON u.id = k.user_id "
            "WHERE k.id=? AND k.revoked_at IS NULL AND u.disabled=0", (parts[1],)).fetchone()
        if row is None or not hmac.compare_digest(row[0], _key_hash(secret)):
            return None
        user = self.user(row[2])
        return user, row[1], parts[1]

    # -- who created a profile ------------------------------------------------------
    def set_creator(self, profile_id: str, user_id: int, role: str) -> None:
        """``role``: the role the creator acted in (a key's scope), which bounds the rights
        creating the profile gives: a manager-scoped key of an admin gets no admin's work."""
        self.conn.execute("INSERT INTO profile_creators (profile_id, user_id, role) VALUES (?, ?, ?) "
                          "ON CONFLICT DO NOTHING", (profile_id, user_id, role))

    def creator_of(self, profile_id: str) -> tuple[int, str] | None:
        """(user id, role it created the profile in), or None."""
        row = self.conn.execute("SELECT user_id, role FROM profile_creators WHERE profile_id=?",
                                (profile_id,)).fetchone()
        return (row[0], row[1]) if row else None

    def forget_profile(self, profile_id: str) -> None:
        self.conn.execute("DELETE FROM profile_creators WHERE profile_id=?", (profile_id,))

    # -- audit log ----------------------------------------------------------------
    def audit(self, actor: str, role: str, action: str, target: str = "", detail: str = "", ip: str = "",
              at: float | None = None) -> None:
        self.conn.execute(
            "INSERT INTO audit_log (at, actor, role, action, target, detail, ip) VALUES (?,?,?,?,?,?,?)",
            (at or time.time(), actor, role, action, target, detail[:2000], ip))

    @contextmanager
    def audited(self, actor: str, role: str, action: str, target: str = "", detail: str = "",
                ip: str = "") -> Iterator[list[int]]:
        """The audit line of a change, written inside the change's own transaction(s).

        Every store transaction this thread commits inside the block gets the line (a file
        that goes in batch by batch gets one per batch, ``[Teil n]`` from the second), so no
        change is without its line and no line is without its change: a rollback takes both.
        Yields a one-item list: how many lines were written (0: nothing changed)."""
        written = [0]

        def write(conn):
            written[0] += 1
            part = f" [Teil {written[0]}]" if written[0] > 1 else ""
            conn.execute(
                "INSERT INTO audit_log (at, actor, role, action, target, detail, ip) VALUES (?,?,?,?,?,?,?)",
                (time.time(), actor, role, action, target[:500], (detail[:2000 - len(part)] + part), ip))

        with self.store.each_transaction(write):
            yield written

    def audit_entries(self, limit: int = 50, offset: int = 0, action: str | None = None) -> tuple[list[dict], int]:
        where, params = ("WHERE action = ?", [action]) if action else ("", [])
        total = self.conn.execute(f"SELECT count(*) FROM audit_log {where}", params).fetchone()[0]
        rows = self.conn.execute(
            f"SELECT id, at, actor, role, action, target, detail, ip FROM audit_log {where} "
            f"ORDER BY id DESC LIMIT ? OFFSET ?", params + [limit, offset])
        names = ("id", "at", "actor", "role", "action", "target", "detail", "ip")
        return [dict(zip(names, r)) for r in rows], total

    # -- the session secret ---------------------------------------------------------
    def secret_key(self) -> str:
        """Generated once per database and kept in its meta table, never in the repository."""
        self.conn.execute("INSERT INTO meta VALUES ('session_secret', ?) ON CONFLICT DO NOTHING",
                          (secrets.token_hex(32),))
        return self.store.get_meta("session_secret")


def _key_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _email_hash(email: str) -> str:
    """The lockout's key: the address as the login looks it up (case-insensitive)."""
    return hashlib.sha256((email or "").strip().casefold().encode("utf-8", "surrogatepass")).hexdigest()


def _user(row) -> User | None:
    if row is None:
        return None
    return User(id=row[0], email=row[1], role=row[2], region=tuple(json.loads(row[3] or "[]")),
                profile_id=row[4], disabled=bool(row[5]), password_changed_at=row[6] or 0.0)
