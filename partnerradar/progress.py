"""Progress of long commands: a bar on a terminal, plain lines in a log (cron, CI).

Both have tqdm's ``update(n)`` / ``close()``, so the code that does the work does not
care where its progress goes."""
from __future__ import annotations

import sys
import time


class LineProgress:
    """One German line per tenth of the work (and at least every ``every_s`` seconds),
    with an estimate of the time left, so a log shows that a long ingest is alive."""

    def __init__(self, total: int, desc: str, unit: str, stream=None, every_s: float = 30.0):
        self.total, self.desc, self.unit = total, desc, unit
        self.stream = stream or sys.stderr
        self.every_s = every_s
        self.done = 0
        self.started = self._last = time.monotonic()
        self._next_share = 0.1

    def update(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        share = self.done / self.total if self.total else 1.0
        if share >= self._next_share or now - self._last >= self.every_s:
            self._write(now, share)
            while self._next_share <= share:
                self._next_share += 0.1

    def _write(self, now: float, share: float) -> None:
        elapsed = now - self.started
        left = elapsed / share - elapsed if share > 0 else 0.0
        eta = f", noch etwa {_duration(left)}" if self.done < self.total else ""
        print(f"{self.desc}: {_count(self.done)} von {_count(self.total)} {self.unit} ({share:.0%}){eta}",
              file=self.stream, flush=True)
        self._last = now

    def close(self) -> None:
        pass


def _count(n: int) -> str:
    """German thousands: 1.325, not 1,325."""
    return f"{n:,}".replace(",", ".")


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def progress_for(total: int, desc: str, unit: str, stream=None):
    """A tqdm bar when ``stream`` (stderr) is a terminal, else ``LineProgress``."""
    stream = stream or sys.stderr
    if stream.isatty():
        from tqdm import tqdm

        return tqdm(total=total, unit=unit, desc=desc, leave=False, file=stream)
    return LineProgress(total, desc, unit, stream)
