"""The weekly run: for every confirmed subscriber, select, render, send — exactly once per week.

Each (subscriber, week) is recorded as ``sending`` before the mail leaves and as ``sent``
(or ``empty``, ``failed``, ``refused``) after. A run that crashes or is killed is simply
started again: finished weeks are skipped, the rest is sent. A subscriber left at
``sending`` (the crash hit between the server's "250 OK" and our record) gets the same
digest again with the *same* Message-ID, so a second copy is recognisable as one; the
report lists those. One run at a time (a lock file beside the index).
"""
from __future__ import annotations

import fcntl
import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from pathlib import Path

from digest.mailer import Deferred, Mailer, Refused, Unreachable
from digest.render import Renderer, current_week, parse_week
from digest.selection import Changes, Selector
from digest.settings import MailSettings, load_mail_settings
from digest.subscriptions import DONE, SubscriptionStore
from digest.tokens import Tokens, secret_for

log = logging.getLogger(__name__)
#: After this many subscribers in a row without any SMTP conversation the run stops.
MAX_UNREACHABLE_IN_A_ROW = 3


class RunLocked(RuntimeError):
    pass


@dataclass
class RunReport:
    week: str
    dry_run: bool = False
    subscribers: int = 0
    sent: list[str] = field(default_factory=list)
    empty: int = 0
    already_done: int = 0
    resent: list[str] = field(default_factory=list)          # were at 'sending' after a crash
    deferred: list[tuple[str, str]] = field(default_factory=list)   # (subscription, error): next run
    refused: list[tuple[str, str]] = field(default_factory=list)    # (subscription, error): paused
    skipped: int = 0                                           # unsubscribed or deleted during the run
    files: list[str] = field(default_factory=list)
    aborted: str = ""
    seconds: float = 0.0

    @property
    def complete(self) -> bool:
        return not self.aborted and not self.deferred

    def to_dict(self) -> dict:
        return {"week": self.week, "dry_run": self.dry_run, "subscribers": self.subscribers,
                "sent": len(self.sent), "empty": self.empty, "already_done": self.already_done,
                "resent": self.resent, "deferred": [{"subscription": s, "error": e} for s, e in self.deferred],
                "refused": [{"subscription": s, "error": e} for s, e in self.refused],
                "skipped": self.skipped, "files": self.files, "aborted": self.aborted or None,
                "seconds": round(self.seconds, 2)}

    def summary(self) -> list[str]:
        """German lines for the person (or cron mail) reading the run's output."""
        verb = "als Datei geschrieben" if self.dry_run else "verschickt"
        lines = [f"Digest {self.week}: {self.subscribers} bestätigte Abonnenten, "
                 f"{len(self.files) if self.dry_run else len(self.sent)} {verb}, "
                 f"{self.empty} ohne neue Treffer (keine E-Mail), {self.already_done} schon erledigt"]
        if self.resent:
            lines.append(f"Nach Abbruch erneut verschickt (gleiche Message-ID, evtl. doppelt): {', '.join(self.resent)}")
        for sub, error in self.deferred:
            lines.append(f"Nicht zugestellt, nächster Lauf versucht es wieder: {sub}: {error}")
        for sub, error in self.refused:
            lines.append(f"Adresse abgelehnt, Abo pausiert: {sub}: {error}")
        if self.skipped:
            lines.append(f"{self.skipped} während des Laufs abgemeldet oder gelöscht (nichts verschickt)")
        if self.aborted:
            lines.append(f"Lauf abgebrochen: {self.aborted}. Ein neuer Lauf verschickt den Rest.")
        return lines


@contextmanager
def run_lock(radar):
    directory = radar.settings.index_dir
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "digest.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunLocked("Ein anderer Digest-Lauf läuft gerade; bitte warten Sie, bis er fertig ist.") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class Digest:
    """The parts of the digest for one database: subscriptions, links, selection, rendering."""

    def __init__(self, radar, settings: MailSettings | None = None):
        self.radar = radar
        self.settings = settings or load_mail_settings()
        self.subscriptions = SubscriptionStore(radar.store)
        self.tokens = Tokens(secret_for(radar.store, self.settings.secret_key), self.settings.confirm_max_age_s)
        self.renderer = Renderer(self.settings, self.tokens)
        self.selector = Selector(radar, self.settings.digest_top, self.settings.digest_min_score)
        self._listings = None

    def mailer(self) -> Mailer:
        return Mailer(self.settings)

    def picks(self, subscription, changes: Changes, explain: bool = True):
        since = subscription.since
        picks = self.selector.select(subscription, changes.between(since), explain=explain)
        for pick in picks:
            pick.is_new = changes.created.get(pick.id, 0) > since
        return picks

    def listing_picks(self, subscription, since: float, until: float) -> list[dict]:
        """New offers and requests in the window that match the firm's own (listings/digest.py)."""
        from listings.digest import new_matches
        from listings.service import Listings

        if self._listings is None:
            self._listings = Listings(self.radar)
        return new_matches(self._listings, subscription.profile_id, since, until, self.settings.digest_top,
                           self.settings.base_url)

    def send_confirmation(self, subscription) -> None:
        """Double opt-in: the only mail a pending subscriber ever gets."""
        profile = self.radar.get_profile(subscription.profile_id)
        with self.mailer() as mailer:
            mailer.send(self.renderer.confirmation(subscription, profile))

    def send_week(self, week: str | None = None, dry_run: bool = False, out_dir: str | Path | None = None,
                  mailer: Mailer | None = None, progress=None) -> RunReport:
        week = week or current_week()
        parse_week(week)
        report = RunReport(week=week, dry_run=dry_run)
        started = time.perf_counter()
        if dry_run:
            out = Path(out_dir or f"digest-{week}")
            out.mkdir(parents=True, exist_ok=True)
            self._run(week, report, None, out, progress)
        else:
            with run_lock(self.radar), (mailer or self.mailer()) as smtp:
                self._run(week, report, smtp, None, progress)
        report.seconds = time.perf_counter() - started
        return report

    def _run(self, week: str, report: RunReport, mailer, out: Path | None, progress) -> None:
        subs = self.subscriptions
        cutoff = time.time()
        confirmed = subs.confirmed()
        report.subscribers = len(confirmed)
        states = subs.week_states(week)
        todo = [s for s in confirmed if states.get(s.id) not in DONE]
        report.already_done = len(confirmed) - len(todo)
        changes = Changes(self.radar.store, min((s.since for s in todo), default=cutoff), cutoff)
        unreachable = 0
        for sub in todo:
            state = states.get(sub.id)
            since, until = sub.since, cutoff
            if state in ("sending", "failed"):
                # Started before: the same partners and window as recorded then.
                recorded = subs.delivery(sub.id, week)
                since, until = recorded["since"], recorded["cutoff"]
                picks = self.selector.picks_for_ids(sub, recorded["partner_ids"])
                created = dict(self.radar.store.conn.execute(
                    f"SELECT id, created_at FROM profiles WHERE id IN ({','.join('?' * len(picks))})",
                    [p.id for p in picks]).fetchall()) if picks else {}
                for pick in picks:
                    pick.is_new = created.get(pick.id, 0) > since
            else:
                picks = self.picks(sub, changes)
            listings = self.listing_picks(sub, since, until)
            if not picks and not listings:
                report.empty += 1
                if out is None:
                    subs.finish(sub.id, week, "empty", cutoff=until)
                continue
            profile = self.radar.store.get_profile(sub.profile_id)
            if profile is None:
                report.skipped += 1
                continue
            msg = self.renderer.digest(sub, profile, picks, week, listings=listings)
            if out is not None:
                path = out / f"{week}-{sub.id}.eml"
                path.write_bytes(msg.as_bytes(policy=policy.SMTP))
                report.files.append(str(path))
                continue
            if not subs.begin(sub.id, week, msg["Message-ID"], since, until, [p.id for p in picks]):
                report.skipped += 1
                continue
            try:
                attempts = mailer.send(msg)
            except Refused as exc:
                subs.finish(sub.id, week, "refused", exc.attempts, str(exc))
                report.refused.append((sub.id, str(exc)))
                unreachable = 0
            except Deferred as exc:
                subs.finish(sub.id, week, "failed", exc.attempts, str(exc))
                report.deferred.append((sub.id, str(exc)))
                unreachable = 0
            except Unreachable as exc:
                subs.finish(sub.id, week, "failed", exc.attempts, str(exc), counts_against=False)
                report.deferred.append((sub.id, str(exc)))
                unreachable += 1
                if unreachable >= MAX_UNREACHABLE_IN_A_ROW:
                    report.aborted = f"SMTP-Server {self.settings.smtp_host}:{self.settings.smtp_port} " \
                                     f"{unreachable}-mal in Folge nicht erreichbar ({exc})"
                    break
            else:
                subs.finish(sub.id, week, "sent", attempts)
                report.sent.append(sub.id)
                if state == "sending":
                    report.resent.append(sub.id)
                unreachable = 0
            if progress is not None:
                progress(sub.id)
