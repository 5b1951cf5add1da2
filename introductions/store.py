"""Introductions in the profile database: requests, their history, pauses and the mail outbox.

Every change is one database transaction (SQLite, or the shared PostgreSQL) that holds the change itself, its history line,
its audit line and the mails it causes (an outbox row each). Nothing is sent inside a
web request: ``partnerradar remind`` (``introductions.runner``) delivers the outbox,
exactly once per row, as the digest does. A recorded cooperation also becomes a known
cooperation (source ``partnerradar``) in that same transaction, through the Radar's write
path, so the ranking's network signal and the index generation move with it.

Who may do what (``can_view``, ``can_manage``, ``may_request``) lives here, so the API,
the pages and the CLI decide alike. An actor is anything with ``label``, ``role``,
``user_id``, ``profile_id`` and ``region`` (``api.auth.Principal`` or ``Actor``).
"""
from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import dataclass, field
from datetime import date, datetime

from introductions.model import (ACCEPTED, ANSWER_LABELS, COOPERATION, COOPERATION_SOURCE,
                                 COOPERATION_TITLE, DECLINED, INTRODUCED, MAX_MESSAGE_CHARS,
                                 MAX_NOTE_CHARS, MIN_MESSAGE_CHARS, OPEN,
                                 REFUSED, REQUESTED, SIDES, Answers, IntroductionError,
                                 check_transition, clean_text, label)
from store.users import Users

WEEK_S = 7 * 86400
DAY_S = 86400

SCHEMA = """
CREATE TABLE IF NOT EXISTS introductions (
    id TEXT PRIMARY KEY,
    seeker_id TEXT NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    partner_id TEXT NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    region TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL,
    state TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    requested_by_role TEXT NOT NULL,
    requested_by_user INTEGER,
    seeker_email TEXT NOT NULL DEFAULT '',
    partner_email TEXT NOT NULL DEFAULT '',
    seeker_answer TEXT, seeker_answered_at REAL,
    partner_answer TEXT, partner_answered_at REAL,
    created_at REAL NOT NULL,
    state_at REAL NOT NULL,
    introduced_at REAL,
    next_step TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS introductions_seeker ON introductions(seeker_id, created_at);
CREATE INDEX IF NOT EXISTS introductions_partner ON introductions(partner_id, created_at);
CREATE INDEX IF NOT EXISTS introductions_region ON introductions(region, state);
CREATE TABLE IF NOT EXISTS introduction_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    introduction_id TEXT NOT NULL REFERENCES introductions(id) ON DELETE CASCADE,
    at REAL NOT NULL,
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    from_state TEXT NOT NULL DEFAULT '',
    to_state TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    next_step TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS introduction_events_of ON introduction_events(introduction_id);
CREATE TABLE IF NOT EXISTS introduction_pauses (
    profile_id TEXT PRIMARY KEY REFERENCES profiles(id) ON DELETE CASCADE,
    at REAL NOT NULL,
    actor TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS introduction_mails (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    introduction_id TEXT NOT NULL REFERENCES introductions(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    side TEXT NOT NULL DEFAULT '',
    recipient TEXT NOT NULL,
    dedupe TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'refused', 'dropped')),
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    sent_at REAL);
CREATE INDEX IF NOT EXISTS introduction_mails_status ON introduction_mails(status);
"""



@dataclass(frozen=True)
class Actor:
    """Who acts, outside a web request (the CLI, the reminder run)."""
    label: str
    role: str = "admin"
    user_id: int | None = None
    profile_id: str | None = None
    region: tuple[str, ...] = ()


#: The reminder run, when it gives up on an introduction nobody answered.
SYSTEM = Actor("Partnerradar (automatisch)", "system")


@dataclass(frozen=True)
class IntroSettings:
    """Limits and deadlines; environment variables override the defaults."""
    cap_per_week: int = 5          # open requests per firm (asked and received) per 7 days
    remind_after_days: int = 14    # a side that has not answered is reminded once
    give_up_after_days: int = 30   # ... and then the introduction becomes "keine Rückmeldung"
    stuck_after_days: int = 14     # the manager hears of an introduction without movement
    answer_link_days: int = 60     # how long an accept/decline link works

    @classmethod
    def from_env(cls, env=None) -> "IntroSettings":
        env = os.environ if env is None else env
        names = {"cap_per_week": "PARTNERRADAR_INTRO_CAP", "remind_after_days": "PARTNERRADAR_INTRO_REMIND_DAYS",
                 "give_up_after_days": "PARTNERRADAR_INTRO_GIVE_UP_DAYS",
                 "stuck_after_days": "PARTNERRADAR_INTRO_STUCK_DAYS"}
        values = {}
        for key, var in names.items():
            if env.get(var):
                try:
                    values[key] = int(env[var])
                except ValueError:
                    raise ValueError(f"{var} muss eine ganze Zahl sein, nicht „{env[var]}“") from None
        return cls(**values)


def parse_day(value) -> str:
    """'' or a date as 2026-12-24 or 24.12.2026 -> ISO date text."""
    text = str(value or "").strip()
    if not text:
        return ""
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            pass
    raise IntroductionError(f"Das Datum „{text[:20]}“ ist ungültig (erwartet: TT.MM.JJJJ oder JJJJ-MM-TT).")


@dataclass
class Introduction:
    id: str
    seeker_id: str
    partner_id: str
    region: str
    message: str
    state: str
    requested_by: str
    requested_by_role: str
    requested_by_user: int | None
    seeker_email: str
    partner_email: str
    seeker_answer: str | None
    seeker_answered_at: float | None
    partner_answer: str | None
    partner_answered_at: float | None
    created_at: float
    state_at: float
    introduced_at: float | None
    next_step: str
    note: str
    events: list[dict] = field(default_factory=list)

    @property
    def answers(self) -> Answers:
        return Answers(self.seeker_answer, self.partner_answer)

    def profile_of(self, side: str) -> str:
        return self.seeker_id if side == "seeker" else self.partner_id

    def email_of(self, side: str) -> str:
        return self.seeker_email if side == "seeker" else self.partner_email

    def answer_of(self, side: str) -> str | None:
        return self.seeker_answer if side == "seeker" else self.partner_answer


_COLUMNS = [f for f in Introduction.__dataclass_fields__ if f != "events"]


def side_of(actor, intro: Introduction) -> str | None:
    """The side a member speaks for (its own profile), else None."""
    if getattr(actor, "role", "") != "member" or not actor.profile_id:
        return None
    if actor.profile_id == intro.seeker_id:
        return "seeker"
    if actor.profile_id == intro.partner_id and intro.state != REQUESTED:
        return "partner"      # the partner hears of a request only once it is introduced
    return None


def can_manage(actor, intro: Introduction) -> bool:
    role = getattr(actor, "role", "anonymous")
    return role in ("admin", "system") or (role == "manager" and intro.region in tuple(actor.region or ()))


def can_view(actor, intro: Introduction) -> bool:
    if can_manage(actor, intro):
        return True
    if getattr(actor, "role", "") == "manager" and intro.requested_by_user == actor.user_id:
        return True
    return side_of(actor, intro) is not None


def may_request(actor, seeker_id: str) -> None:
    role = getattr(actor, "role", "anonymous")
    if role == "anonymous":
        raise IntroductionError("Anmeldung erforderlich, um einen Kontakt anzubahnen.", 401, "unauthorized")
    if role == "member" and actor.profile_id != seeker_id:
        raise IntroductionError("Als Mitglied können Sie Kontakte nur für Ihr eigenes Profil anbahnen.",
                                403, "forbidden")


class IntroductionStore:
    def __init__(self, radar, settings: IntroSettings | None = None):
        self.radar = radar
        self.store = radar.store
        self.settings = settings or IntroSettings.from_env()
        self.users = Users(self.store)          # creates the audit log it writes to
        self.store.conn.executescript(SCHEMA)

    @property
    def conn(self):
        return self.store.conn

    # -- reading ---------------------------------------------------------------------
    def get(self, intro_id: str, with_events: bool = False) -> Introduction | None:
        row = self.conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM introductions WHERE id=?",
                                (str(intro_id)[:64],)).fetchone()
        if row is None:
            return None
        intro = Introduction(*row)
        if with_events:
            names = ("at", "actor", "role", "from_state", "to_state", "note", "next_step")
            intro.events = [dict(zip(names, r)) for r in self.conn.execute(
                f"SELECT {', '.join(names)} FROM introduction_events WHERE introduction_id=? ORDER BY id",
                (intro.id,))]
        return intro

    def visible(self, actor, intro_id: str, with_events: bool = True) -> Introduction:
        """The introduction, or 404 when this actor may not see it (its existence stays hidden)."""
        intro = self.get(intro_id, with_events)
        if intro is None or not can_view(actor, intro):
            raise IntroductionError(f"Anbahnung „{str(intro_id)[:64]}“ nicht gefunden", 404, "not_found")
        return intro

    def list_for(self, actor, state: str | None = None, limit: int = 100, offset: int = 0) -> list[Introduction]:
        """Mine (member: both sides), my region's (manager, and those it asked for), or all (admin)."""
        role = getattr(actor, "role", "anonymous")
        where, params = [], []
        if role == "member":
            where.append("(seeker_id = ? OR (partner_id = ? AND state != 'requested'))")
            params += [actor.profile_id, actor.profile_id]
        elif role == "manager":
            region = list(actor.region or ()) or [""]
            where.append(f"(region IN ({','.join('?' * len(region))}) OR requested_by_user = ?)")
            params += region + [actor.user_id]
        elif role != "admin":
            return []
        if state:
            where.append("state = ?")
            params.append(state)
        clause = ("WHERE " + " AND ".join(where)) if where else ""
        rows = self.conn.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM introductions {clause} ORDER BY created_at DESC, id "
            f"LIMIT ? OFFSET ?", params + [limit, offset])
        return [Introduction(*r) for r in rows]

    def is_paused(self, profile_id: str) -> bool:
        return self.conn.execute("SELECT 1 FROM introduction_pauses WHERE profile_id=?",
                                 (profile_id,)).fetchone() is not None

    def responsiveness(self, profile_id: str) -> tuple[int, int]:
        """(answered, asked): how often this organisation answered an introduction it was part of."""
        answered = asked = 0
        for side in SIDES:
            row = self.conn.execute(
                f"SELECT count(*), count({side}_answer) FROM introductions "
                f"WHERE {side}_id = ? AND introduced_at IS NOT NULL", (profile_id,)).fetchone()
            asked += row[0]
            answered += row[1]
        return answered, asked

    # -- writing ---------------------------------------------------------------------
    def _audit(self, actor, action: str, target: str, detail: str = "", ip: str = "", now: float | None = None):
        self.conn.execute(
            "INSERT INTO audit_log (at, actor, role, action, target, detail, ip) VALUES (?,?,?,?,?,?,?)",
            (now or time.time(), actor.label, actor.role, action, target, detail[:2000], ip))

    def _event(self, intro_id, actor, from_state, to_state, note="", next_step="", now=None):
        self.conn.execute(
            "INSERT INTO introduction_events (introduction_id, at, actor, role, from_state, to_state, note, next_step) "
            "VALUES (?,?,?,?,?,?,?,?)", (intro_id, now, actor.label, actor.role, from_state, to_state, note, next_step))

    def _enqueue(self, intro_id: str, kind: str, recipient: str, side: str = "", key: str = "", now=None) -> bool:
        if not recipient:
            return False
        cursor = self.conn.execute(
            "INSERT INTO introduction_mails (introduction_id, kind, side, recipient, dedupe, created_at) "
            "VALUES (?,?,?,?,?,?) ON CONFLICT DO NOTHING", (intro_id, kind, side, recipient,
                                     f"{intro_id}:{kind}:{side}:{key}:{recipient.casefold()}", now))
        return cursor.rowcount == 1

    def managers_for(self, region: str) -> list[str]:
        """Addresses of the managers responsible for ``region``; the admins when there is none."""
        rows = self.conn.execute("SELECT email, role, region FROM users WHERE disabled=0 AND role IN ('manager', 'admin') "
                                 "ORDER BY id").fetchall()
        managers = [email for email, role, regions in rows
                    if role == "manager" and region in json.loads(regions or "[]")]
        return managers or [email for email, role, _ in rows if role == "admin"]

    def side_address(self, profile: dict, requester_email: str = "") -> str:
        """Where a side's mail goes: the requesting member, else the profile's member login,
        else the profile's contact address."""
        if requester_email:
            return requester_email
        row = self.conn.execute("SELECT email FROM users WHERE role='member' AND disabled=0 AND profile_id=? "
                                "ORDER BY id LIMIT 1", (profile["id"],)).fetchone()
        return row[0] if row else (profile.get("contact_email") or "")

    def request(self, actor, seeker_id: str, partner_id: str, message, ip: str = "",
                now: float | None = None) -> Introduction:
        now = now or time.time()
        seeker_id, partner_id = str(seeker_id or "").strip()[:200], str(partner_id or "").strip()[:200]
        if getattr(actor, "role", "anonymous") == "anonymous":
            may_request(actor, seeker_id)
        if not seeker_id:
            raise IntroductionError("Für wen soll der Kontakt angebahnt werden? (seeker_id fehlt)")
        if not partner_id:
            raise IntroductionError("Mit wem soll der Kontakt angebahnt werden? (partner_id fehlt)")
        may_request(actor, seeker_id)
        message = clean_text(message, "Die Nachricht", MAX_MESSAGE_CHARS, MIN_MESSAGE_CHARS)
        if seeker_id == partner_id:
            raise IntroductionError("Eine Organisation kann nicht mit sich selbst bekannt gemacht werden.")
        staff = actor.role in ("admin", "manager")
        seeker, partner = self.store.get_profile(seeker_id), self.store.get_profile(partner_id)
        for pid, profile in ((seeker_id, seeker), (partner_id, partner)):
            own = actor.role == "member" and actor.profile_id == pid
            if profile is None or not (profile["listed"] or staff or own):
                raise IntroductionError(f"Profil „{pid}“ nicht gefunden", 404, "not_found")
        cap = self.settings.cap_per_week
        with self.store.transaction(bump_generation=False) as conn:
            if self.is_paused(partner_id):
                raise IntroductionError(f"{partner['name']} möchte derzeit keine Kontaktanfragen bekommen.",
                                        409, "paused")
            if self.is_paused(seeker_id):
                raise IntroductionError(f"Für {seeker['name']} sind Kontaktanfragen pausiert; bitte zuerst die "
                                        "Pause beenden.", 409, "paused")
            if conn.execute("SELECT 1 FROM not_suggested WHERE seeker=? AND partner=?",
                            (seeker_id, partner_id)).fetchone():
                raise IntroductionError(f"Eine frühere Anbahnung mit {partner['name']} wurde abgelehnt; "
                                        "eine neue Anfrage ist nicht möglich.", 409, "declined_before")
            marks = ",".join("?" * len(OPEN))
            if conn.execute(f"SELECT 1 FROM introductions WHERE seeker_id=? AND partner_id=? AND state IN ({marks})",
                            (seeker_id, partner_id, *OPEN)).fetchone():
                raise IntroductionError(f"Eine Anbahnung mit {partner['name']} läuft bereits.", 409, "conflict")
            for column, who, what in (("seeker_id", seeker, "gestellt"), ("partner_id", partner, "erhalten")):
                open_count = conn.execute(
                    f"SELECT count(*) FROM introductions WHERE {column}=? AND created_at > ? AND state IN ({marks})",
                    (who["id"], now - WEEK_S, *OPEN)).fetchone()[0]
                if open_count >= cap:
                    raise IntroductionError(
                        f"{who['name']} hat in den letzten 7 Tagen schon {open_count} offene Kontaktanfragen "
                        f"{what} (höchstens {cap} pro Woche). Bitte später erneut versuchen.", 429, "too_many_requests")
            intro_id = secrets.token_hex(6)
            requester = actor.label if actor.role == "member" else ""
            conn.execute(
                "INSERT INTO introductions (id, seeker_id, partner_id, region, message, state, requested_by, "
                "requested_by_role, requested_by_user, seeker_email, created_at, state_at) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (intro_id, seeker_id, partner_id, partner.get("landkreis") or "", message, REQUESTED,
                 actor.label, actor.role, actor.user_id, getattr(actor, "email", "") if requester else "", now, now))
            self._event(intro_id, actor, "", REQUESTED, now=now)
            self._audit(actor, "introduction.request", intro_id, f"seeker={seeker_id} partner={partner_id}", ip, now)
            for address in self.managers_for(partner.get("landkreis") or ""):
                self._enqueue(intro_id, "new_request", address, now=now)
        return self.get(intro_id, with_events=True)

    def change_state(self, actor, intro_id: str, target: str, note="", next_step="", ip: str = "",
                     now: float | None = None) -> Introduction:
        """A manager's move (or the reminder run's, as ``SYSTEM``)."""
        now = now or time.time()
        note = clean_text(note, "Die Notiz", MAX_NOTE_CHARS)
        next_step = parse_day(next_step)
        intro = self.get(intro_id)
        if intro is None or not can_view(actor, intro):
            raise IntroductionError(f"Anbahnung „{str(intro_id)[:64]}“ nicht gefunden", 404, "not_found")
        if not can_manage(actor, intro):
            raise IntroductionError("Den Stand einer Anbahnung ändert nur der zuständige Innovationsmanager "
                                    "(oder ein Administrator).", 403, "forbidden")

        def apply(bump: bool):
            with self.store.transaction(bump_generation=bump) as conn:
                current = self.get(intro.id)      # inside the transaction: nobody moved it meanwhile
                check_transition(current.state, target, current.answers)
                extra = {}
                if target == INTRODUCED:
                    seeker = self.store.get_profile(current.seeker_id)
                    partner = self.store.get_profile(current.partner_id)
                    extra["seeker_email"] = current.seeker_email or self.side_address(seeker)
                    extra["partner_email"] = self.side_address(partner)
                    for side, profile in (("seeker", seeker), ("partner", partner)):
                        if not extra[f"{side}_email"]:
                            raise IntroductionError(f"Für {profile['name']} ist keine E-Mail-Adresse hinterlegt; "
                                                    "bitte zuerst im Profil eintragen (contact_email).",
                                                    422, "no_address")
                    extra["introduced_at"] = now
                sets = ", ".join(f"{k}=?" for k in extra)
                conn.execute(f"UPDATE introductions SET state=?, state_at=?, note=?, next_step=?"
                             f"{', ' + sets if sets else ''} WHERE id=?",
                             (target, now, note, next_step, *extra.values(), intro.id))
                self._event(intro.id, actor, current.state, target, note, next_step, now)
                self._audit(actor, "introduction.state", intro.id, f"{current.state}->{target}", ip, now)
                if target == INTRODUCED:
                    for side in SIDES:
                        self._enqueue(intro.id, "introduction", extra[f"{side}_email"], side, now=now)
                elif target == DECLINED:
                    self._block(conn, current, now)
                elif target == COOPERATION:
                    a, b = sorted((current.seeker_id, current.partner_id))
                    conn.execute("INSERT INTO cooperations (a, b, project_id, title, source) "
                                 "VALUES (?,?,?,?,?) ON CONFLICT DO NOTHING", (a, b, f"partnerradar:{intro.id}", COOPERATION_TITLE,
                                                        COOPERATION_SOURCE))

        if target == COOPERATION:
            # The known cooperations feed the index's graph: through the Radar's write path
            # (write lock, generation bump, index refresh), still one transaction with the rest.
            self.radar._write(lambda: apply(True))
        else:
            apply(False)
        return self.get(intro.id, with_events=True)

    @staticmethod
    def _block(conn, intro: Introduction, now: float) -> None:
        """A declined pair is not suggested to that seeker again (``Radar`` reads the table)."""
        conn.execute("INSERT INTO not_suggested (seeker, partner, reason, created_at) VALUES (?,?,?,?) "
                     "ON CONFLICT DO NOTHING",
                     (intro.seeker_id, intro.partner_id, f"introduction:{intro.id}", now))

    def answer(self, intro_id: str, side: str, answer: str, actor, ip: str = "",
               now: float | None = None) -> Introduction:
        """A side accepts or declines (through its signed link, or its member's page)."""
        now = now or time.time()
        if side not in SIDES:
            raise IntroductionError("Unbekannte Seite")
        if answer not in (ACCEPTED, REFUSED):
            raise IntroductionError("Antwort muss „accept“ (zusagen) oder „decline“ (absagen) sein.")
        with self.store.transaction(bump_generation=False) as conn:
            intro = self.get(intro_id)
            if intro is None:
                raise IntroductionError("Diese Anbahnung gibt es nicht mehr.", 404, "not_found")
            given = intro.answer_of(side)
            if given is not None:
                raise IntroductionError(f"Sie haben bereits geantwortet ({ANSWER_LABELS[given]}).", 409, "conflict")
            if intro.state != INTRODUCED:
                raise IntroductionError(f"Die Anbahnung steht auf „{label(intro.state)}“; eine Antwort ist nicht "
                                        "mehr möglich.", 409, "conflict")
            conn.execute(f"UPDATE introductions SET {side}_answer=?, {side}_answered_at=? WHERE id=?",
                         (answer, now, intro.id))
            self._audit(actor, "introduction.answer", intro.id, f"{side}={answer}", ip, now)
            if answer == REFUSED:
                conn.execute("UPDATE introductions SET state=?, state_at=? WHERE id=?", (DECLINED, now, intro.id))
                self._event(intro.id, actor, INTRODUCED, DECLINED,
                            "Absage der " + ("anfragenden Seite" if side == "seeker" else "angefragten Seite"), now=now)
                self._audit(actor, "introduction.state", intro.id, f"{INTRODUCED}->{DECLINED}", ip, now)
                self._block(conn, intro, now)
            else:
                other = "partner" if side == "seeker" else "seeker"
                if intro.answer_of(other) == ACCEPTED:
                    for s in SIDES:
                        self._enqueue(intro.id, "contacts", intro.email_of(s), s, now=now)
        return self.get(intro.id, with_events=True)

    def set_paused(self, actor, profile_id: str, paused: bool, ip: str = "", now: float | None = None) -> bool:
        now = now or time.time()
        if self.store.get_profile(profile_id) is None:
            raise IntroductionError(f"Profil „{profile_id}“ nicht gefunden", 404, "not_found")
        with self.store.transaction(bump_generation=False) as conn:
            if paused:
                conn.execute("INSERT INTO introduction_pauses VALUES (?,?,?) ON CONFLICT DO NOTHING",
                             (profile_id, now, actor.label))
            else:
                conn.execute("DELETE FROM introduction_pauses WHERE profile_id=?", (profile_id,))
            self._audit(actor, "introduction.pause" if paused else "introduction.resume", profile_id, "", ip, now)
        return paused

    # -- the public shape -------------------------------------------------------------
    def as_dict(self, intro: Introduction, actor) -> dict:
        """What ``actor`` may read of ``intro``: contact data of the other side only for a side,
        and only once both accepted; who did what only for staff."""
        profiles = self.store.get_profiles([intro.seeker_id, intro.partner_id])
        staff = can_manage(actor, intro) or getattr(actor, "role", "") in ("admin", "manager")
        mine = side_of(actor, intro) if not isinstance(actor, SideActor) else actor.side

        def org(pid):
            p = profiles.get(pid) or {}
            return {"id": pid, "name": p.get("name"), "kind": p.get("kind"), "town": p.get("town"),
                    "landkreis": p.get("landkreis")}

        out = {"id": intro.id, "seeker": org(intro.seeker_id), "partner": org(intro.partner_id),
               "region": intro.region, "state": intro.state, "state_label": label(intro.state),
               "message": intro.message, "created_at": _iso(intro.created_at),
               "state_changed_at": _iso(intro.state_at), "next_step": intro.next_step or None,
               "note": intro.note if staff else None,
               "answers": {s: intro.answer_of(s) for s in SIDES},
               "side": mine, "contact": None}
        if staff:
            out["requested_by"] = intro.requested_by
        if intro.events:
            out["history"] = [{"at": _iso(e["at"]), "by": e["actor"] if staff else _role_label(e["role"]),
                               "from": e["from_state"] or None, "to": e["to_state"],
                               "to_label": label(e["to_state"]), "note": e["note"] if staff else None,
                               "next_step": e["next_step"] or None} for e in intro.events]
        if mine and intro.answers.both_accepted:
            other = profiles.get(intro.partner_id if mine == "seeker" else intro.seeker_id) or {}
            out["contact"] = {"name": other.get("name"), "contact_name": other.get("contact_name"),
                              "contact_email": other.get("contact_email") or intro.email_of(
                                  "partner" if mine == "seeker" else "seeker"),
                              "street": other.get("street"), "postcode": other.get("postcode"),
                              "town": other.get("town"), "website": other.get("website")}
        return out


@dataclass(frozen=True)
class SideActor:
    """The holder of a side's signed link: speaks for that side of one introduction only."""
    side: str
    label: str
    role: str = "link"
    user_id: int | None = None
    profile_id: str | None = None
    region: tuple[str, ...] = ()


def _role_label(role: str) -> str:
    return {"admin": "Administrator", "manager": "Innovationsmanager", "member": "Mitglied",
            "link": "per E-Mail-Link", "system": "Partnerradar"}.get(role, role)


def _iso(at: float | None) -> str | None:
    return None if at is None else datetime.fromtimestamp(at).astimezone().isoformat(timespec="seconds")


def day_of(at: float) -> date:
    return datetime.fromtimestamp(at).date()
