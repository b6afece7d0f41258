"""The progress bar of long commands, on stderr, drawn by tqdm.

tqdm rather than Click's bar: problems are printed while the bar runs, and tqdm's
``write`` puts a line above the bar and draws the bar again, which Click's bar cannot.
The bar is off with ``--quiet`` or ``--json`` and when stderr is not a terminal.
"""

from __future__ import annotations

import sys

import click


class Progress:
    """Counts rendered records; prints problem lines without tearing the bar."""

    def __init__(self, *, enabled: bool):
        self.enabled = enabled and sys.stderr.isatty()
        self._bar = None

    def start(self, total: int, stale: int) -> None:
        if self.enabled and stale:
            from tqdm import tqdm

            self._bar = tqdm(total=stale, file=sys.stderr, unit=" notices", leave=False,
                             dynamic_ncols=True, mininterval=0.2)

    def advance(self) -> None:
        if self._bar is not None:
            self._bar.update(1)

    def echo(self, line: str) -> None:
        if self._bar is not None:
            self._bar.write(line, file=sys.stderr)
        else:
            click.echo(line, err=True)

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
