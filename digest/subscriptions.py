"""Subscriptions and the record of every digest sent, in the profile database.

Two tables beside the profiles (created here, never by ``store.db``):

- ``subscriptions``: one firm's profile, one e-mail address, its preferences and consent.
  Status ``pending`` (registered, not confirmed: nothing is ever sent but the confirmation
  mail), ``confirmed``, ``paused`` (the address failed for good) or ``unsubscribed``.
- ``digest_deliveries``: one row per (subscription, week): ``sending`` before the mail goes
  out, ``sent``/``empty``/``failed``/``refused`` after. This is what makes a run restartable.
- ``registration_requests``: the outbox of ``POST /api/v1/subscriptions``. A request only
  writes one row here (the same statement for every address, known or new), and never talks
  to the mail server; ``digest.runner.Digest.deliver_registrations`` (a background thread of
  the server, or ``partnerradar digest confirmations``) turns it into a subscription and a
  mail, retrying while the mail server is down.
- ``confirmation_log``: when a mail went out for a registration, under keyed hashes of the
  address (never the address itself), so one address gets at most one such mail per
  subscription and ``MAX_MAILS_PER_ADDRESS`` in all per ``MAIL_PERIOD_S``.

``profile_id`` references ``profiles(id) ON DELETE CASCADE`` (the store's connections turn
foreign keys on), so deleting a profile erases its subscriptions and their deliveries in the
same transaction: no mail can go out for a deleted firm.

These writes don't go through ``Store.transaction()``: that bumps the index generation,
and a subscription change must not make every server reload its search index.
"""
from __future__ import annotations

import json
import re

import idna
import secrets
import time
from dataclasses import asdict, dataclass, field

from matcher.request import BadRequest
from store.db import Store
from vocabulary.kinds import KINDS

STATUSES = ("pending", "confirmed", "paused", "unsubscribed")
#: Delivery states that end a (subscription, week): a run never sends these again.
DONE = ("sent", "empty", "refused")
#: A subscriber whose mail failed (temporarily) in this many runs in a row is paused.
MAX_FAILED_RUNS = 3
#: Registration mails (confirmation, fresh links): at most one per subscription and this many
#: per address in a period, however often someone registers that address.
MAIL_PERIOD_S = 24 * 3600
MAX_MAILS_PER_ADDRESS = 3
#: A request claimed by a sender that died is taken up again after this long.
CLAIM_STALE_S = 300
MAX_TOPICS = 20
MAX_TOPIC_CHARS = 80
_EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]{2,}$")

SCHEMA = """
CREATE TABLE IF NOT EXISTS subscriptions (
    id TEXT PRIMARY KEY,
    profile_id TEXT NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'paused', 'unsubscribed')),
    preferences TEXT NOT NULL DEFAULT '{}',
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    confirmed_at REAL,
    unsubscribed_at REAL,
    paused_reason TEXT NOT NULL DEFAULT '',
    failed_runs INTEGER NOT NULL DEFAULT 0,
    last_cutoff REAL
);
CREATE UNIQUE INDEX IF NOT EXISTS subscriptions_address
    ON subscriptions(profile_id, email) WHERE email != '';
CREATE INDEX IF NOT EXISTS subscriptions_status ON subscriptions(status);
CREATE TABLE IF NOT EXISTS digest_deliveries (
    subscription_id TEXT NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
    week TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'empty', 'failed', 'refused')),
    message_id TEXT NOT NULL DEFAULT '',
    since REAL NOT NULL,
    cutoff REAL NOT NULL,
    partner_ids TEXT NOT NULL DEFAULT '[]',
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT '',
    started_at REAL NOT NULL,
    finished_at REAL,
    PRIMARY KEY (subscription_id, week)
);
CREATE TABLE IF NOT EXISTS registration_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    profile_id TEXT NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    preferences TEXT NOT NULL DEFAULT '{}',
    requested_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before REAL NOT NULL DEFAULT 0,
    claimed_at REAL,
    last_error TEXT NOT NULL DEFAULT '',
    UNIQUE (profile_id, email)
);
CREATE TABLE IF NOT EXISTS confirmation_log (
    address_key TEXT NOT NULL,
    subscription_key TEXT NOT NULL,
    sent_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS confirmation_log_address ON confirmation_log(address_key, sent_at);
"""


@dataclass
class RegistrationRequest:
    id: int
    profile_id: str
    email: str
    preferences: dict
    requested_at: float
    attempts: int


def normalise_email(value) -> str:
    if not isinstance(value, str):
        raise BadRequest("email muss eine E-Mail-Adresse sein")
    email = value.strip()
    if len(email) > 254 or not _EMAIL.match(email):
        raise BadRequest(f"„{email}“ ist keine gültige E-Mail-Adresse")
    local, domain = email.rsplit("@", 1)
    try:
        # German domains may carry umlauts and ß (müller.de): IDNA 2008, as DENIC registers them.
        ascii_domain(domain)
    except idna.IDNAError:
        raise BadRequest(f"„{domain}“ ist kein gültiger Domainname") from None
    return f"{local}@{domain.lower()}"


def ascii_domain(domain: str) -> str:
    """The domain as mail servers read it: müller.de -> xn--mller-kva.de."""
    return idna.encode(domain, uts46=True).decode("ascii")


def mask_email(email: str) -> str:
    """j.kretzschmar@firma.example -> j…@firma.example (enough to recognise, not to harvest)."""
    if "@" not in email:
        return ""
    local, domain = email.rsplit("@", 1)
    return f"{local[:1]}…@{domain}"


@dataclass
class Preferences:
    radius_km: float | None = None          # around the firm's own address; None: all of Saxony
    kinds: list[str] = field(default_factory=list)            # empty: every kind
    topics: list[str] = field(default_factory=list)           # to stress: partners mentioning them rank higher
    exclude_topics: list[str] = field(default_factory=list)   # partners mentioning them are left out

    @classmethod
    def from_dict(cls, data, base: "Preferences | None" = None) -> "Preferences":
        """Validate (a change to) preferences; messages are German, they reach people."""
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise BadRequest("preferences muss ein JSON-Objekt sein")
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise BadRequest(f"unbekannte Einstellung(en): {', '.join(sorted(unknown))} "
                             f"(erlaubt: radius_km, kinds, topics, exclude_topics)")
        prefs = cls(**asdict(base)) if base else cls()
        if "radius_km" in data:
            radius = data["radius_km"]
            if radius in (None, ""):
                prefs.radius_km = None
            else:
                if isinstance(radius, str):
                    try:
                        radius = float(radius.replace(",", "."))
                    except ValueError:
                        raise BadRequest("radius_km muss eine Zahl zwischen 1 und 500 sein") from None
                if isinstance(radius, bool) or not isinstance(radius, (int, float)) or not 1 <= radius <= 500:
                    raise BadRequest("radius_km muss eine Zahl zwischen 1 und 500 sein")
                prefs.radius_km = float(radius)
        if "kinds" in data:
            kinds = data["kinds"] or []
            if isinstance(kinds, str):
                kinds = [kinds]
            if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
                raise BadRequest("kinds muss eine Liste sein")
            bad = [k for k in kinds if k not in KINDS]
            if bad:
                raise BadRequest(f"unbekannte Art(en) {', '.join(bad)} (erlaubt: {', '.join(KINDS)})")
            prefs.kinds = list(dict.fromkeys(kinds))
        for key in ("topics", "exclude_topics"):
            if key in data:
                prefs.__setattr__(key, _topics(data[key], key))
        return prefs

    def to_dict(self) -> dict:
        return asdict(self)


def _topics(value, key: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):   # "Wasserstoff; Leichtbau" from a form field
        value = re.split(r"[;,\n]", value)
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise BadRequest(f"{key} muss eine Liste von Begriffen sein")
    topics = [t.strip() for t in value if t.strip()]
    if len(topics) > MAX_TOPICS or any(len(t) > MAX_TOPIC_CHARS for t in topics):
        raise BadRequest(f"{key}: höchstens {MAX_TOPICS} Begriffe mit je {MAX_TOPIC_CHARS} Zeichen")
    return list(dict.fromkeys(topics))


@dataclass
class Subscription:
    id: str
    profile_id: str
    email: str
    status: str
    preferences: Preferences
    created_at: float
    updated_at: float
    confirmed_at: float | None = None
    unsubscribed_at: float | None = None
    paused_reason: str = ""
    failed_runs: int = 0
    last_cutoff: float | None = None

    @property
    def since(self) -> float:
        """Start of the window for the next digest: the last one's cutoff, else the confirmation."""
        return self.last_cutoff or self.confirmed_at or self.created_at

    def public(self) -> dict:
        """What the API shows the token holder: the address only masked."""
        return {"id": self.id, "profile_id": self.profile_id, "email": mask_email(self.email),
                "status": self.status, "preferences": self.preferences.to_dict(),
                "created_at": self.created_at, "confirmed_at": self.confirmed_at,
                "paused_reason": self.paused_reason or None}


_COLUMNS = ("id", "profile_id", "email", "status", "preferences", "created_at", "updated_at",
            "confirmed_at", "unsubscribed_at", "paused_reason", "failed_runs", "last_cutoff")


def _subscription(row) -> Subscription:
    values = dict(zip(_COLUMNS, row))
    values["preferences"] = Preferences.from_dict(json.loads(values["preferences"] or "{}"))
    return Subscription(**values)


class SubscriptionStore:
    def __init__(self, store: Store):
        self.store = store
        self.store.conn.executescript(SCHEMA)

    @property
    def conn(self):
        return self.store.conn

    def _tx(self):
        return self.store.transaction(bump_generation=False)

    # -- subscriptions ------------------------------------------------------------
    def get(self, subscription_id: str) -> Subscription | None:
        row = self.conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM subscriptions WHERE id=?",
                                (subscription_id,)).fetchone()
        return _subscription(row) if row else None

    def of_profile(self, profile_id: str) -> list[Subscription]:
        rows = self.conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM subscriptions WHERE profile_id=? "
                                 "ORDER BY created_at", (profile_id,))
        return [_subscription(r) for r in rows]

    def confirmed(self) -> list[Subscription]:
        rows = self.conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM subscriptions "
                                 "WHERE status='confirmed' ORDER BY id")
        return [_subscription(r) for r in rows]

    def register(self, profile_id: str, email: str, preferences: Preferences) -> tuple[Subscription, bool]:
        """A new pending subscription, or the existing one for this address.

        Returns (subscription, needs_confirmation). A confirmed subscription is left as it
        is (re-registering must not let a stranger change someone's preferences); a
        pending or unsubscribed one gets the new preferences and a fresh confirmation.
        """
        email = normalise_email(email)
        now = time.time()
        with self._tx() as conn:
            if conn.execute("SELECT 1 FROM profiles WHERE id=?", (profile_id,)).fetchone() is None:
                from vocabulary.errors import NotFound
                raise NotFound.profile(profile_id)
            row = conn.execute("SELECT id, status FROM subscriptions WHERE profile_id=? AND email=?",
                               (profile_id, email)).fetchone()
            if row and row[1] in ("confirmed", "paused"):
                return self.get(row[0]), row[1] == "paused"
            prefs = json.dumps(preferences.to_dict(), ensure_ascii=False)
            if row:
                conn.execute("UPDATE subscriptions SET status='pending', preferences=?, updated_at=?, "
                             "unsubscribed_at=NULL WHERE id=?", (prefs, now, row[0]))
                subscription_id = row[0]
            else:
                subscription_id = "s-" + secrets.token_hex(8)
                conn.execute("INSERT INTO subscriptions (id, profile_id, email, status, preferences, "
                             "created_at, updated_at) VALUES (?, ?, ?, 'pending', ?, ?, ?)",
                             (subscription_id, profile_id, email, prefs, now, now))
        return self.get(subscription_id), True

    def confirm(self, subscription_id: str) -> Subscription | None:
        """Consent given: from now on digests go out (a paused address gets another chance)."""
        now = time.time()
        with self._tx() as conn:
            conn.execute("UPDATE subscriptions SET status='confirmed', confirmed_at=coalesce(confirmed_at, ?), "
                         "updated_at=?, paused_reason='', failed_runs=0 "
                         "WHERE id=? AND status IN ('pending', 'paused', 'confirmed')",
                         (now, now, subscription_id))
        return self.get(subscription_id)

    def update_preferences(self, subscription_id: str, preferences: Preferences) -> Subscription | None:
        with self._tx() as conn:
            conn.execute("UPDATE subscriptions SET preferences=?, updated_at=? WHERE id=? AND status != 'unsubscribed'",
                         (json.dumps(preferences.to_dict(), ensure_ascii=False), time.time(), subscription_id))
        return self.get(subscription_id)

    def unsubscribe(self, subscription_id: str) -> Subscription | None:
        """Stop all mail at once and forget the address (nothing is left to write to)."""
        now = time.time()
        with self._tx() as conn:
            conn.execute("UPDATE subscriptions SET status='unsubscribed', email='', unsubscribed_at=?, "
                         "updated_at=? WHERE id=?", (now, now, subscription_id))
        return self.get(subscription_id)

    def export_profile(self, profile_id: str) -> dict:
        """Everything kept about the subscribers of one firm (for a data-subject request)."""
        subscriptions = []
        for sub in self.of_profile(profile_id):
            record = {k: getattr(sub, k) for k in _COLUMNS if k != "preferences"}
            record["preferences"] = sub.preferences.to_dict()
            record["deliveries"] = self.deliveries(sub.id)
            subscriptions.append(record)
        return {"profile_id": profile_id, "subscriptions": subscriptions}

    def erase_profile(self, profile_id: str) -> int:
        """Remove the subscriptions of a firm and their delivery records (not the profile)."""
        with self._tx() as conn:
            ids = [r[0] for r in conn.execute("SELECT id FROM subscriptions WHERE profile_id=?", (profile_id,))]
            conn.executemany("DELETE FROM digest_deliveries WHERE subscription_id=?", [(i,) for i in ids])
            conn.executemany("DELETE FROM subscriptions WHERE id=?", [(i,) for i in ids])
            conn.execute("DELETE FROM registration_requests WHERE profile_id=?", (profile_id,))
        return len(ids)

    # -- the registration outbox ---------------------------------------------------------
    def request_registration(self, profile_id: str, email: str, preferences: Preferences) -> None:
        """Queue a registration: one statement, whatever is known about the address, and no
        mail server involved (answer time and status say nothing about the address). A
        second request for the same (profile, address) replaces the queued one."""
        self.conn.execute(
            "INSERT INTO registration_requests (profile_id, email, preferences, requested_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (profile_id, email) DO UPDATE SET preferences=excluded.preferences, "
            "requested_at=excluded.requested_at",
            (profile_id, normalise_email(email), json.dumps(preferences.to_dict(), ensure_ascii=False),
             time.time()))

    def due_requests(self, ignore_schedule: bool = False) -> list[int]:
        """Ids of the queued requests to work on now (``ignore_schedule``: also those waiting
        for a retry, for an operator's run), oldest first."""
        now = time.time()
        return [r[0] for r in self.conn.execute(
            "SELECT id FROM registration_requests WHERE (? = 1 OR not_before <= ?) "
            "AND (claimed_at IS NULL OR claimed_at < ?) ORDER BY id",
            (int(ignore_schedule), now, now - CLAIM_STALE_S))]

    def claim_request(self, request_id: int) -> RegistrationRequest | None:
        """Take one queued request (several server processes may send); None if another
        process took it first or it is gone."""
        now = time.time()
        with self._tx() as conn:
            row = conn.execute(
                "SELECT id, profile_id, email, preferences, requested_at, attempts FROM registration_requests "
                "WHERE id=? AND (claimed_at IS NULL OR claimed_at < ?)", (request_id, now - CLAIM_STALE_S)).fetchone()
            if row is None:
                return None
            conn.execute("UPDATE registration_requests SET claimed_at=? WHERE id=?", (now, row[0]))
        return RegistrationRequest(row[0], row[1], row[2], json.loads(row[3] or "{}"), row[4], row[5])

    def finish_request(self, request: RegistrationRequest) -> None:
        """Done with it (sent, nothing to send, or given up). A newer request for the same
        address that came in meanwhile stays queued."""
        with self._tx() as conn:
            conn.execute("DELETE FROM registration_requests WHERE id=? AND requested_at=?",
                         (request.id, request.requested_at))
            conn.execute("UPDATE registration_requests SET claimed_at=NULL WHERE id=?", (request.id,))

    def defer_request(self, request: RegistrationRequest, delay_s: float, error: str) -> None:
        with self._tx() as conn:
            conn.execute("UPDATE registration_requests SET attempts=attempts+1, not_before=?, claimed_at=NULL, "
                         "last_error=? WHERE id=?", (time.time() + delay_s, error[:500], request.id))

    def pending_requests(self) -> int:
        return self.conn.execute("SELECT count(*) FROM registration_requests").fetchone()[0]

    def next_request_in(self) -> float | None:
        """Seconds until a queued request is due (0: now), None when the queue is empty."""
        row = self.conn.execute(
            "SELECT min(max(not_before, coalesce(claimed_at + ?, 0))) FROM registration_requests",
            (CLAIM_STALE_S,)).fetchone()
        return None if row[0] is None else max(0.0, row[0] - time.time())

    def may_mail(self, address_key: str, subscription_key: str) -> bool:
        """Whether one more registration mail may go to this address now (see MAIL_PERIOD_S)."""
        since = time.time() - MAIL_PERIOD_S
        self.conn.execute("DELETE FROM confirmation_log WHERE sent_at < ?", (since,))
        row = self.conn.execute(
            "SELECT count(*), coalesce(sum(CASE WHEN subscription_key = ? THEN 1 ELSE 0 END), 0) FROM confirmation_log "
            "WHERE address_key=? AND sent_at >= ?", (subscription_key, address_key, since)).fetchone()
        return row[0] < MAX_MAILS_PER_ADDRESS and row[1] == 0

    def log_mail(self, address_key: str, subscription_key: str) -> None:
        self.conn.execute("INSERT INTO confirmation_log VALUES (?, ?, ?)", (address_key, subscription_key, time.time()))

    # -- deliveries -----------------------------------------------------------------
    def deliveries(self, subscription_id: str) -> list[dict]:
        cur = self.conn.execute("SELECT * FROM digest_deliveries WHERE subscription_id=? ORDER BY started_at",
                                (subscription_id,))
        names = [d[0] for d in cur.description]
        out = []
        for row in cur:
            record = dict(zip(names, row))
            record["partner_ids"] = json.loads(record["partner_ids"])
            out.append(record)
        return out

    def delivery(self, subscription_id: str, week: str) -> dict | None:
        return next((d for d in self.deliveries(subscription_id) if d["week"] == week), None)

    def week_states(self, week: str) -> dict[str, str]:
        return dict(self.conn.execute("SELECT subscription_id, status FROM digest_deliveries WHERE week=?", (week,)))

    def begin(self, subscription_id: str, week: str, message_id: str, since: float, cutoff: float,
              partner_ids: list[str]) -> bool:
        """Record 'sending' before the mail leaves; False when the subscriber is no longer
        confirmed (unsubscribed or deleted meanwhile) or the week is already done."""
        now = time.time()
        with self._tx() as conn:
            status = conn.execute("SELECT status FROM subscriptions WHERE id=?", (subscription_id,)).fetchone()
            if not status or status[0] != "confirmed":
                return False
            done = conn.execute("SELECT status FROM digest_deliveries WHERE subscription_id=? AND week=?",
                                (subscription_id, week)).fetchone()
            if done and done[0] in DONE:
                return False
            conn.execute(
                "INSERT INTO digest_deliveries (subscription_id, week, status, message_id, since, cutoff, "
                "partner_ids, attempts, started_at) VALUES (?, ?, 'sending', ?, ?, ?, ?, 0, ?) "
                "ON CONFLICT (subscription_id, week) DO UPDATE SET status='sending', message_id=excluded.message_id, "
                "partner_ids=excluded.partner_ids, since=excluded.since, cutoff=excluded.cutoff",
                (subscription_id, week, message_id, since, cutoff, json.dumps(partner_ids), now))
        return True

    def finish(self, subscription_id: str, week: str, status: str, attempts: int = 0, error: str = "",
               cutoff: float | None = None, counts_against: bool = True) -> None:
        """Record the outcome; a sent or empty week moves the subscriber's window on."""
        now = time.time()
        with self._tx() as conn:
            if cutoff is not None and status == "empty":
                # Nothing to send is an outcome too: recorded, so the window moves on.
                conn.execute(
                    "INSERT INTO digest_deliveries (subscription_id, week, status, since, cutoff, started_at, "
                    "finished_at) SELECT id, ?, 'empty', coalesce(last_cutoff, confirmed_at, created_at), ?, ?, ? "
                    "FROM subscriptions WHERE id=? AND status='confirmed' "
                    "ON CONFLICT (subscription_id, week) DO UPDATE SET status='empty', finished_at=excluded.finished_at",
                    (week, cutoff, now, now, subscription_id))
            else:
                conn.execute("UPDATE digest_deliveries SET status=?, attempts=attempts+?, error=?, finished_at=? "
                             "WHERE subscription_id=? AND week=?",
                             (status, attempts, error[:500], now, subscription_id, week))
            if status in ("sent", "empty"):
                conn.execute("UPDATE subscriptions SET failed_runs=0, last_cutoff=max(coalesce(last_cutoff, 0), "
                             "(SELECT cutoff FROM digest_deliveries WHERE subscription_id=? AND week=?)) WHERE id=?",
                             (subscription_id, week, subscription_id))
            elif status == "refused":
                conn.execute("UPDATE subscriptions SET status='paused', paused_reason=?, updated_at=? "
                             "WHERE id=? AND status='confirmed'", (error[:500], now, subscription_id))
            elif status == "failed" and counts_against:
                conn.execute("UPDATE subscriptions SET failed_runs=failed_runs+1 WHERE id=?", (subscription_id,))
                conn.execute("UPDATE subscriptions SET status='paused', paused_reason=?, updated_at=? "
                             "WHERE id=? AND status='confirmed' AND failed_runs >= ?",
                             (f"{MAX_FAILED_RUNS} Läufe in Folge nicht zustellbar: {error[:400]}", now,
                              subscription_id, MAX_FAILED_RUNS))
