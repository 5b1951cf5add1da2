"""The weekly run: for every confirmed subscriber, select, render, send — exactly once per week.

Each (subscriber, week) is recorded as ``sending`` before the mail leaves and as ``sent``
(or ``empty``, ``failed``, ``refused``) after. A run that crashes or is killed is simply
started again: finished weeks are skipped, the rest is sent. A subscriber left at
``sending`` (the crash hit between the server's "250 OK" and our record) gets the same
digest again with the *same* Message-ID, so a second copy is recognisable as one; the
report lists those. One run at a time (a lock file beside the index).
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
from dataclasses import dataclass, field
from email import policy
from pathlib import Path

from digest.delivery import Send, run_lock, send_each
from digest.mailer import Deferred, Mailer, Refused, Unreachable
from digest.render import Renderer, current_week, parse_week
from digest.selection import Changes, Selector
from digest.subscriptions import DONE, Preferences, SubscriptionStore
from digest.tokens import Tokens, secret_for
from partnerradar.config import MailSettings

log = logging.getLogger(__name__)

#: Registration mails that could not be sent are retried after 1, 2, 4, ... minutes (at most
#: an hour apart) and given up after this many attempts (about a day and a half).
REQUEST_RETRY_S = 60
REQUEST_RETRY_MAX_S = 3600
REQUEST_ATTEMPTS = 40
#: Meta key: whether the mail server took mailbox names with umlauts (SMTPUTF8) last time.
SMTPUTF8_META = "smtp_smtputf8"


@dataclass
class OutboxReport:
    """What one pass over the registration outbox did."""
    confirmations: int = 0         # confirmation mails sent (double opt-in)
    links: int = 0                 # fresh-link mails to already confirmed subscribers
    throttled: int = 0             # not sent: this address had its mails for the period
    refused: list[str] = field(default_factory=list)    # the server refused the address (given up)
    deferred: list[str] = field(default_factory=list)   # tried again later
    given_up: int = 0
    unreachable: str = ""

    def to_dict(self) -> dict:
        return {"confirmations": self.confirmations, "links": self.links, "throttled": self.throttled,
                "refused": self.refused, "deferred": self.deferred, "given_up": self.given_up,
                "unreachable": self.unreachable or None}

    def summary(self) -> list[str]:
        lines = [f"Anmeldungen: {self.confirmations} Bestätigungsmail(s), {self.links} Mail(s) mit neuen "
                 f"Links verschickt, {self.throttled} nicht (Adresse hatte ihre Mails für heute)"]
        for error in self.refused:
            lines.append(f"Adresse abgelehnt, Anmeldung verworfen: {error}")
        if self.deferred:
            lines.append(f"{len(self.deferred)} Mail(s) noch nicht zugestellt, werden später wiederholt: "
                         f"{self.deferred[0]}")
        if self.given_up:
            lines.append(f"{self.given_up} Anmeldung(en) nach {REQUEST_ATTEMPTS} Versuchen aufgegeben")
        return lines


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


class Digest:
    """The parts of the digest for one database: subscriptions, links, selection, rendering."""

    def __init__(self, radar, settings: MailSettings | None = None):
        self.radar = radar
        self.settings = settings or radar.settings.mail
        self.subscriptions = SubscriptionStore(radar.store)
        self.tokens = Tokens(secret_for(radar.store, self.settings.secret_key), self.settings.confirm_max_age_s,
                             self.settings.manage_max_age_s, self.settings.unsubscribe_max_age_s)
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

    # -- registrations: the outbox ----------------------------------------------------------
    def _keys(self, subscription) -> tuple[str, str]:
        """Keyed hashes of the address (and of the subscription) for the mail log: it can be
        checked against, never read back as an address."""
        secret = self.tokens.secret.encode("utf-8")
        address = hmac.new(secret, subscription.email.casefold().encode("utf-8"), hashlib.sha256).hexdigest()
        return address, hmac.new(secret, subscription.id.encode("utf-8"), hashlib.sha256).hexdigest()

    def refuses_mailbox(self, email: str) -> bool:
        """Whether the mail server is known (from the last conversation) not to take this
        mailbox name: umlauts before the @ without SMTPUTF8. Depends on the address's
        spelling only, never on whether it is subscribed."""
        local = email.rsplit("@", 1)[0]
        return not local.isascii() and self.radar.store.get_meta(SMTPUTF8_META) == "0"

    def deliver_registrations(self, mailer: Mailer | None = None, ignore_schedule: bool = False) -> OutboxReport:
        """Turn queued registrations into subscriptions and mails, one by one.

        New or pending address: the double opt-in mail; already confirmed: a mail with fresh
        links to the settings (nobody else learns which it was, and the subscription is not
        changed). At most one mail per subscription and ``MAX_MAILS_PER_ADDRESS`` per address
        in ``MAIL_PERIOD_S``. Stops at the first unreachable mail server (the rest waits).
        ``ignore_schedule``: also try requests waiting for their next retry (an operator's run).
        """
        from vocabulary.errors import NotFound

        report = OutboxReport()
        subs = self.subscriptions
        own = mailer is None
        mailer = mailer or self.mailer()
        try:
            for request_id in subs.due_requests(ignore_schedule):
                request = subs.claim_request(request_id)
                if request is None:          # another process is on it
                    continue
                try:
                    prefs = Preferences.from_dict(request.preferences)
                    sub, needs_confirmation = subs.register(request.profile_id, request.email, prefs)
                    profile = self.radar.store.get_profile(request.profile_id)
                except (NotFound, ValueError):    # the profile was deleted meanwhile
                    subs.finish_request(request)
                    continue
                address_key, subscription_key = self._keys(sub)
                if profile is None or not subs.may_mail(address_key, subscription_key):
                    report.throttled += profile is not None
                    subs.finish_request(request)
                    continue
                msg = (self.renderer.confirmation(sub, profile) if needs_confirmation
                       else self.renderer.fresh_links(sub, profile))
                try:
                    mailer.send(msg)
                except Refused as exc:       # this address can't get mail from us: don't retry
                    log.warning("registration mail for %s refused: %s", sub.id, exc)
                    report.refused.append(f"{sub.id}: {exc}")
                    subs.finish_request(request)
                except (Deferred, Unreachable) as exc:
                    if request.attempts + 1 >= REQUEST_ATTEMPTS:
                        log.error("registration mail for %s given up: %s", sub.id, exc)
                        report.given_up += 1
                        subs.finish_request(request)
                    else:
                        delay = min(REQUEST_RETRY_MAX_S, REQUEST_RETRY_S * 2 ** request.attempts)
                        subs.defer_request(request, delay, str(exc))
                        report.deferred.append(f"{sub.id}: {exc}")
                    if isinstance(exc, Unreachable):
                        report.unreachable = str(exc)
                        break
                else:
                    subs.log_mail(address_key, subscription_key)
                    subs.finish_request(request)
                    if needs_confirmation:
                        report.confirmations += 1
                    else:
                        report.links += 1
                finally:
                    if mailer.smtputf8 is not None:
                        self.radar.store.set_meta(SMTPUTF8_META, "1" if mailer.smtputf8 else "0")
        finally:
            if own:
                mailer.close()
        return report

    def background_sender(self) -> "RegistrationSender":
        """This process's sender thread for the outbox (one per ``Digest``)."""
        with _sender_lock:
            if getattr(self, "_sender", None) is None:
                self._sender = RegistrationSender(self)
            return self._sender

    def listing_picks(self, subscription, since: float, until: float) -> list[dict]:
        """New offers and requests in the window that match the firm's own (listings/digest.py)."""
        from listings.digest import new_matches
        from listings.service import Listings

        if self._listings is None:
            self._listings = Listings(self.radar)
        return new_matches(self._listings, subscription.profile_id, since, until, self.settings.digest_top,
                           self.settings.base_url)

    def send_week(self, week: str | None = None, dry_run: bool = False, out_dir: str | Path | None = None,
                  mailer: Mailer | None = None, progress=None) -> RunReport:
        week = week or current_week()
        parse_week(week)
        report = RunReport(week=week, dry_run=dry_run)
        started = time.perf_counter()
        if dry_run:
            out = Path(out_dir or f"digest-{week}")
            out.mkdir(parents=True, exist_ok=True)
            for _ in self._run(week, report, out, progress):
                pass                        # with ``out`` every mail is a file: nothing to send
        else:
            with run_lock(self.radar.settings.index_dir, "digest.lock",
                          "Ein anderer Digest-Lauf läuft gerade; bitte warten Sie, bis er fertig ist."), \
                    (mailer or self.mailer()) as smtp:
                send_each(self._run(week, report, None, progress), smtp, self.settings, report)
        report.seconds = time.perf_counter() - started
        return report

    def _run(self, week: str, report: RunReport, out: Path | None, progress):
        """The week's mails, each recorded as ``sending`` before it is yielded (for
        ``send_each``); with ``out`` written there as files instead, nothing recorded."""
        subs = self.subscriptions
        cutoff = time.time()
        confirmed = subs.confirmed()
        report.subscribers = len(confirmed)
        states = subs.week_states(week)
        todo = [s for s in confirmed if states.get(s.id) not in DONE]
        report.already_done = len(confirmed) - len(todo)
        changes = Changes(self.radar.store, min((s.since for s in todo), default=cutoff), cutoff)
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

            def finish(status, attempts, error, unreachable, sub_id=sub.id):
                # A server that can't be reached is not the address's fault: no strike against it.
                subs.finish(sub_id, week, status, attempts, error, counts_against=not unreachable)

            yield Send(sub.id, msg, state == "sending", finish)
            if progress is not None:
                progress(sub.id)


_sender_lock = threading.Lock()


class RegistrationSender:
    """A thread that empties the registration outbox while there is something in it.

    Started (or woken) by each registration, so a request never waits for the mail server:
    during an outage requests are answered as fast as ever, and the thread retries later
    (pausing 30 s, doubling up to 15 min, while the server can't be reached). It ends when
    the queue is empty; requests left by a stopped process go out with the next
    registration or with ``partnerradar digest confirmations`` (cron).
    """

    PAUSE_S, MAX_PAUSE_S = 30.0, 900.0
    #: Wait this long after a wake before sending: the work a registration causes (a new
    #: address costs more than a known one) must not compete with its own request for the
    #: CPU, or the answer time would tell them apart again.
    SETTLE_S = 0.5

    def __init__(self, service: Digest):
        self.service = service
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        self._wake.set()
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="partnerradar-anmeldungen", daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        pause = self.PAUSE_S
        while True:
            time.sleep(self.SETTLE_S)
            self._wake.clear()
            try:
                report = self.service.deliver_registrations()
                wait = self.service.subscriptions.next_request_in()
            except Exception:          # e.g. the database went away: leave it to the next wake
                log.exception("registration outbox: sender stopped")
                wait = None
                report = OutboxReport()
            if report.unreachable:
                wait, pause = pause, min(pause * 2, self.MAX_PAUSE_S)
            else:
                pause = self.PAUSE_S
            with self._lock:
                if wait is None and not self._wake.is_set():
                    self._thread = None
                    return
            if wait:
                self._wake.wait(timeout=min(wait, self.MAX_PAUSE_S))
