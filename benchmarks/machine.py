"""What else the machine is doing: other processes' CPU during a run, and a quiet moment.

The development machine is shared, and another suite running beside a benchmark slows
it by any amount. Every measurement therefore records how many cores *other* processes
kept busy while it ran (all CPU time the kernel counted, minus this benchmark's own and
its children's), and ``--quiet`` waits for a moment when they use almost nothing.
Linux only (``/proc/stat``); elsewhere the figures are simply not recorded.
"""

from __future__ import annotations

import os
import resource
import time

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def busy_seconds() -> float | None:
    """CPU seconds all processes have used since boot (not idle, not waiting for I/O)."""
    try:
        with open("/proc/stat") as handle:
            fields = [int(x) for x in handle.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / TICKS


def own_seconds() -> float:
    """CPU seconds of this process and of its children that have ended."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class Others:
    """Measures the cores other processes keep busy between ``start()`` and ``stop()``."""

    def start(self) -> None:
        self.busy, self.own, self.wall = busy_seconds(), own_seconds(), time.monotonic()

    def stop(self) -> float | None:
        busy = busy_seconds()
        if busy is None or self.busy is None:
            return None
        wall = max(time.monotonic() - self.wall, 1e-6)
        return max(0.0, (busy - self.busy) - (own_seconds() - self.own)) / wall


def wait_for_quiet(cores: float, *, most: float = 600.0, window: float = 3.0) -> float | None:
    """Wait until other processes use fewer than ``cores`` over ``window`` seconds.

    Gives up after ``most`` seconds; returns what they used in the last window.
    """
    deadline = time.monotonic() + most
    while True:
        others = Others()
        others.start()
        time.sleep(window)
        used = others.stop()
        if used is None or used < cores or time.monotonic() > deadline:
            return used
