"""A one-line progress bar on stderr: count, rate and time left (CLI only)."""

from __future__ import annotations

import contextlib
import sys
import time


class Progress:
    def __init__(self, *, enabled: bool):
        self.enabled = enabled
        self.total = self.done = 0
        self.started = time.monotonic()
        self._last_draw = 0.0
        self._shown = False

    def start(self, total: int, stale: int) -> None:
        self.total = stale
        self.started = time.monotonic()

    def advance(self, counted: bool) -> None:
        if not counted:
            return
        self.done += 1
        now = time.monotonic()
        if now - self._last_draw > 0.1 or self.done == self.total:
            self._draw(now)

    def _draw(self, now: float) -> None:
        if not self.enabled or not self.total:
            return
        elapsed = max(now - self.started, 1e-6)
        rate = self.done / elapsed
        left = (self.total - self.done) / rate if rate else 0
        width = 30
        filled = int(width * self.done / self.total)
        bar = "#" * filled + "-" * (width - filled)
        sys.stderr.write(f"\r[{bar}] {self.done}/{self.total}  {rate:.1f}/s  "
                         f"{int(left) // 60}:{int(left) % 60:02d} left\x1b[K")
        sys.stderr.flush()
        self._last_draw = now
        self._shown = True

    @contextlib.contextmanager
    def paused(self):
        """Clear the bar while other lines are printed, then draw it again."""
        if self._shown:
            sys.stderr.write("\r\x1b[K")
        yield
        if self._shown:
            self._draw(time.monotonic())

    def finish(self) -> None:
        if self._shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self._shown = False
