"""``Introductions``: the store, the answer links and the mails of one database, and the
reminder run (``partnerradar remind``, for cron).

The run first *schedules*: a side that has not answered ``remind_after_days`` after the
introduction gets one reminder, an introduction without an answer after
``give_up_after_days`` becomes "keine Rückmeldung", and the responsible manager hears once
of an introduction that has not moved for ``stuck_after_days`` (or whose next step is
overdue). Each of these is an outbox row with a unique key, so scheduling twice schedules
nothing. Then it *delivers* the outbox like the digest delivers a week: each row is marked
``sending`` before the mail leaves and ``sent`` after; a run killed in between resends that
row with the same Message-ID, every other row exactly once. A second run sends nothing.
``now`` is injectable (``--now``), so tests and operators can move the clock.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from digest.delivery import Send, run_lock, send_each
from digest.mailer import Mailer
from introductions.mails import AnswerLinks, MailRenderer
from introductions.model import INTRODUCED, NO_RESPONSE, OPEN, SIDES, IntroductionError
from introductions.store import DAY_S, SYSTEM, IntroductionStore, IntroSettings, Introduction, day_of
from partnerradar.config import MailSettings

log = logging.getLogger(__name__)
MAX_ATTEMPT_RUNS = 5


@dataclass
class RemindReport:
    scheduled: dict = field(default_factory=dict)      # kind -> mails added to the outbox
    no_response: list[str] = field(default_factory=list)
    sent: list[int] = field(default_factory=list)
    resent: list[int] = field(default_factory=list)
    dropped: int = 0
    deferred: list[tuple[int, str]] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)
    aborted: str = ""

    def to_dict(self) -> dict:
        return {"scheduled": self.scheduled, "no_response": self.no_response, "sent": len(self.sent),
                "resent": self.resent, "dropped": self.dropped,
                "deferred": [{"mail": m, "error": e} for m, e in self.deferred],
                "refused": [{"mail": m, "error": e} for m, e in self.refused], "aborted": self.aborted or None}

    def summary(self) -> list[str]:
        lines = [f"Anbahnungen: {len(self.sent)} E-Mail(s) verschickt, "
                 f"{sum(self.scheduled.values())} neu eingeplant, {len(self.no_response)} auf „keine Rückmeldung“ "
                 f"gesetzt, {self.dropped} nicht mehr nötig"]
        if self.resent:
            lines.append("Nach Abbruch erneut verschickt (gleiche Message-ID, evtl. doppelt): "
                         + ", ".join(map(str, self.resent)))
        for mail, error in self.deferred:
            lines.append(f"Nicht zugestellt, nächster Lauf versucht es wieder: E-Mail {mail}: {error}")
        for mail, error in self.refused:
            lines.append(f"Adresse abgelehnt: E-Mail {mail}: {error}")
        if self.aborted:
            lines.append(f"Lauf abgebrochen: {self.aborted}. Ein neuer Lauf verschickt den Rest.")
        return lines


class Introductions:
    def __init__(self, radar, mail_settings: MailSettings | None = None, settings: IntroSettings | None = None):
        self.radar = radar
        self.mail_settings = mail_settings or radar.settings.mail
        self.store = IntroductionStore(radar, settings)
        self.settings = self.store.settings
        self.links = AnswerLinks(radar.store, self.mail_settings.secret_key, self.settings.answer_link_days)
        self.renderer = MailRenderer(self.mail_settings, self.links, self.settings)

    # -- the reminder run ------------------------------------------------------------
    def _lock(self):
        return run_lock(self.radar.settings.index_dir, "introductions.lock",
                        "Ein anderer Erinnerungslauf läuft gerade; bitte warten Sie, bis er fertig ist.")

    def remind(self, now: float | None = None, mailer: Mailer | None = None) -> RemindReport:
        now = now or time.time()
        report = RemindReport()
        with self._lock():
            self.schedule(now, report)
            with (mailer or Mailer(self.mail_settings)) as smtp:
                self.deliver(smtp, report, now)
        return report

    def schedule(self, now: float, report: RemindReport) -> None:
        s, store = self.settings, self.store
        marks = ",".join("?" * len(OPEN))
        rows = store.conn.execute(f"SELECT id FROM introductions WHERE state IN ({marks}) ORDER BY created_at",
                                  OPEN).fetchall()
        count = lambda kind: report.scheduled.__setitem__(kind, report.scheduled.get(kind, 0) + 1)  # noqa: E731
        for (intro_id,) in rows:
            intro = store.get(intro_id)
            if intro.state == INTRODUCED and intro.introduced_at is not None:
                waited = now - intro.introduced_at
                if waited >= s.give_up_after_days * DAY_S and not intro.answers.both_accepted:
                    try:
                        store.change_state(SYSTEM, intro.id, NO_RESPONSE,
                                           f"Nach {s.give_up_after_days} Tagen ohne Antwort", now=now)
                        report.no_response.append(intro.id)
                    except IntroductionError as exc:    # moved by someone else meanwhile
                        log.info("introduction %s: %s", intro.id, exc)
                    continue
                if waited >= s.remind_after_days * DAY_S:
                    with store.store.transaction(bump_generation=False):
                        for side in SIDES:
                            if intro.answer_of(side) is None and store._enqueue(
                                    intro.id, "reminder", intro.email_of(side), side, "first", now):
                                count("reminder")
            self._stuck(intro, now, count)

    def _stuck(self, intro: Introduction, now: float, count) -> None:
        overdue = bool(intro.next_step) and intro.next_step < day_of(now).isoformat()
        idle = now - intro.state_at >= self.settings.stuck_after_days * DAY_S
        if not (overdue or idle):
            return
        key = f"{intro.state}:{int(intro.state_at)}" if idle else f"next:{intro.next_step}"
        with self.store.store.transaction(bump_generation=False):
            for address in self.store.managers_for(intro.region):
                if self.store._enqueue(intro.id, "stuck", address, "", key, now):
                    count("stuck")

    def deliver(self, mailer: Mailer, report: RemindReport, now: float | None = None) -> None:
        send_each(self._outbox_mails(report, now), mailer, self.mail_settings, report)

    def _outbox_mails(self, report: RemindReport, now: float | None):
        """The outbox's due mails, each claimed (``sending``) before it is yielded."""
        conn = self.store.conn
        rows = conn.execute(
            "SELECT id, introduction_id, kind, side, recipient, dedupe, status, attempts FROM introduction_mails "
            "WHERE status IN ('pending', 'sending') OR (status = 'failed' AND attempts < ?) ORDER BY id",
            (MAX_ATTEMPT_RUNS,)).fetchall()
        names = ("id", "introduction_id", "kind", "side", "recipient", "dedupe", "status", "attempts")
        for values in rows:
            mail = dict(zip(names, values))
            intro = self.store.get(mail["introduction_id"])
            msg = None
            if intro is not None:
                profiles = self.radar.store.get_profiles([intro.seeker_id, intro.partner_id])
                msg = self.renderer.render(mail, intro, profiles)
            if msg is None:
                conn.execute("UPDATE introduction_mails SET status='dropped' WHERE id=?", (mail["id"],))
                report.dropped += 1
                continue
            # Recorded before the mail leaves: a crash after the server's "250" resends this one row.
            claimed = conn.execute("UPDATE introduction_mails SET status='sending' WHERE id=? AND status=?",
                                   (mail["id"], mail["status"])).rowcount
            if not claimed:
                continue

            def finish(status, attempts, error, unreachable, mail_id=mail["id"]):
                # A failed mail counts runs (MAX_ATTEMPT_RUNS), not SMTP attempts.
                self._finish(mail_id, status, 1 if status == "failed" else attempts, error,
                             sent_at=(now or time.time()) if status == "sent" else None)

            yield Send(mail["id"], msg, mail["status"] == "sending", finish)

    def _finish(self, mail_id: int, status: str, attempts: int, error: str, sent_at: float | None = None) -> None:
        self.store.conn.execute(
            "UPDATE introduction_mails SET status=?, attempts=attempts+?, error=?, sent_at=? WHERE id=?",
            (status, attempts if status == "failed" else 0, error[:500], sent_at, mail_id))

    def outbox(self, intro_id: str | None = None) -> list[dict]:
        names = ("id", "introduction_id", "kind", "side", "recipient", "status", "attempts", "error")
        where, params = ("WHERE introduction_id=?", [intro_id]) if intro_id else ("", [])
        return [dict(zip(names, r)) for r in self.store.conn.execute(
            f"SELECT {', '.join(names)} FROM introduction_mails {where} ORDER BY id", params)]
