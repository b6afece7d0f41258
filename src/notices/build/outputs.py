"""The one output policy: everything that writes into ``output/`` goes through here.

:class:`OutputFolder` owns the folder for as long as a command writes into it: the lock
(one writer per folder), the atomic writes (:mod:`notices.build.writer`), the build
state (:mod:`notices.build.state`) and the rules that decide what may be overwritten:

- An output is **current** when its recorded key equals the key it would have now, and
  the file on disk still holds the bytes that were written (size and modification
  time, then the SHA-256 if those differ).
- An output whose bytes differ from what was written was **edited** (a clerk finished
  the .docx in Word): it is never overwritten and never called up to date; it is kept
  and reported, unless ``--force``. The same holds for a file that notices did not
  write, and for a link in an output's place. A folder in an output's place is an error.
- A file is written to a temporary file and renamed; only then is it recorded.
- Outputs of removed records are reported, and removed with ``--prune`` unless edited.

Single notices, session packets and every later kind of output use these same rules.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from notices import __version__
from notices.build.keys import file_sha256
from notices.build.lock import OutputLock
from notices.build.state import STATE_NAME, BuildState, OutputEntry
from notices.build.writer import OutputWriter
from notices.errors import NoticesError, Problem, Severity

ERRORS_LOG = "build-errors.log"
SESSION_PREFIX = "session:"  # the "record" of a session's documents in the build state


class Status(Enum):
    CURRENT = "current"
    STALE = "stale"  # missing, or made from other inputs: render it
    EDITED = "edited"  # changed since written (or not ours): keep it
    BLOCKED = "blocked"  # something that is not a file is in the way


@dataclass(frozen=True)
class Verdict:
    status: Status
    reason: str | None = None  # for EDITED and BLOCKED: what was found
    previous_options: str | None = None  # what a stale output was built with


@dataclass(frozen=True)
class Stored:
    written: bool
    problem: Problem | None = None  # a warning when kept, an error when failed
    failed: bool = False


class OutputFolder:
    """``output/`` while one command writes into it; use as a context manager."""

    def __init__(self, output_dir: Path):
        self.root = output_dir
        self._lock = OutputLock(output_dir)
        try:
            self.state = BuildState(output_dir)
        except sqlite3.Error as error:
            self._lock.release()
            raise NoticesError(Problem(f"output/{STATE_NAME}", f"cannot be opened: {error}")
                               ) from None
        self.writer = OutputWriter(output_dir)
        self.writer.remove_leftovers()
        # Said once per command: the state was unreadable and set aside.
        self.problems: list[Problem] = (
            [Problem("output", self.state.warning, severity=Severity.WARNING)]
            if self.state.warning else [])

    def close(self) -> None:
        try:
            self.state.close()
        finally:
            self._lock.release()

    def __enter__(self) -> OutputFolder:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- questions -------------------------------------------------------------------

    def verdict(self, relative: str, key: str) -> Verdict:
        """Whether output ``relative`` is current for ``key``, stale, edited or blocked."""
        entry = self.state.outputs.get(relative)
        found = self._inspect(relative, entry)
        if found is not None:
            return found
        if entry is None:
            return Verdict(Status.STALE)
        if entry.input_hash != key:
            return Verdict(Status.STALE, previous_options=entry.options)
        return Verdict(Status.CURRENT)

    def _inspect(self, relative: str, entry: OutputEntry | None) -> Verdict | None:
        """What is on disk at ``relative``: None when it is missing or as written."""
        path = self.root / relative
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            return Verdict(Status.STALE)
        except OSError as error:
            return Verdict(Status.BLOCKED, f"cannot be examined ({error.strerror})")
        if stat.S_ISDIR(info.st_mode):
            return Verdict(Status.BLOCKED, "is a folder where notices writes a file; move it "
                           "away")
        if stat.S_ISLNK(info.st_mode):
            return Verdict(Status.EDITED, "is a link where notices wrote a file")
        if not stat.S_ISREG(info.st_mode):
            return Verdict(Status.BLOCKED, "is not a regular file; move it away")
        if entry is None:
            return None  # a stray file: judged by its bytes when the output is stored
        if info.st_size == entry.size and info.st_mtime_ns == entry.mtime_ns:
            return None
        if info.st_size == entry.size and file_sha256(path) == entry.sha256:
            return None
        return Verdict(Status.EDITED, "was changed after notices wrote it")

    def recorded_for(self, record: str) -> list[str]:
        """The outputs the state holds for ``record`` (kept after a failure, for the report)."""
        return sorted(p for p, e in self.state.outputs.items() if e.record == record)

    def is_edited(self, relative: str) -> bool:
        verdict = self._inspect(relative, self.state.outputs.get(relative))
        return verdict is not None and verdict.status is Status.EDITED

    # -- writing ---------------------------------------------------------------------

    def store(self, relative: str, data: bytes, *, record: str, key: str, options: str,
              template_hash: str, force: bool) -> Stored:
        """Write an output unless the rules keep what is there; record it in the state."""
        shown = f"output/{relative}"
        entry = self.state.outputs.get(relative)
        found = self._inspect(relative, entry)
        if found is not None and found.status is Status.BLOCKED:
            return Stored(False, Problem(shown, found.reason), failed=True)
        if not force:
            reason = found.reason if found is not None and found.status is Status.EDITED \
                else None
            if reason is None and entry is None and (self.root / relative).is_file() and \
                    file_sha256(self.root / relative) != hashlib.sha256(data).hexdigest():
                reason = "exists but was not written by notices"
            if reason:
                return Stored(False, Problem(shown, f"{reason}; kept it (use --force to "
                                             "overwrite it)", severity=Severity.WARNING))
        try:
            written = self.writer.write(relative, data)
        except OSError as error:
            return Stored(False, Problem(shown, f"cannot be written: {error.strerror or error}"),
                          failed=True)
        except NoticesError as error:
            return Stored(False, error.problems[0], failed=True)
        try:
            self.state.record_output(OutputEntry(
                relative, record, key, __version__, template_hash, written.sha256,
                written.size, written.mtime_ns, options))
        except sqlite3.Error as error:
            # The file is whole on disk; the next build checks its bytes and adopts it.
            return Stored(False, Problem(shown, "written, but the build state could not be "
                                         f"updated: {error}"), failed=True)
        return Stored(True)

    def remove(self, relative: str, *, why: str) -> Problem:
        """Remove an output we wrote (unless edited since); a line saying what happened."""
        shown = f"output/{relative}"
        entry = self.state.outputs.get(relative)
        found = self._inspect(relative, entry)
        if found is not None and found.status is not Status.STALE:
            return Problem(shown, f"{why}, but {found.reason}; remove it by hand")
        self.writer.remove(relative)
        self.state.forget_output(relative)
        return Problem(shown, f"removed: {why}", severity=Severity.WARNING)

    def record_deps(self, record: str, deps) -> Problem | None:
        """Remember what a record's outputs were made from (after they were written)."""
        try:
            self.state.record_deps(record, deps)
        except sqlite3.Error as error:
            return Problem(record, f"the build state could not be updated: {error}")
        return None

    # -- removed records ---------------------------------------------------------------

    def handle_removed(self, present: set[str], *, prune: bool
                       ) -> tuple[list[str], list[str], list[Problem]]:
        """Outputs of records no longer present: (removed, orphaned, problems)."""
        removed, orphaned, problems = [], [], []
        orphans = sorted((p, e) for p, e in self.state.outputs.items()
                         if e.record not in present and not e.record.startswith(SESSION_PREFIX))
        for relative, entry in orphans:
            if not os.path.lexists(self.root / relative):
                # Record and output are both gone (deleted by hand): nothing left to prune.
                self.state.forget_output(relative)
                continue
            if not prune:
                orphaned.append(relative)
                continue
            found = self._inspect(relative, entry)
            if found is not None:
                problems.append(Problem(
                    f"output/{relative}", f"belongs to the removed record {entry.record} but "
                    f"{found.reason}; kept it", severity=Severity.WARNING))
                orphaned.append(relative)
                continue
            self.writer.remove(relative)
            self.state.forget_output(relative)
            removed.append(relative)
        if prune:
            for record in [r for r in self.state.deps if r not in present]:
                if not any(e.record == record for e in self.state.outputs.values()):
                    self.state.forget_record(record)
        return removed, orphaned, problems

    def write_error_log(self, lines: list[str]) -> Problem | None:
        """``output/build-errors.log``: this run's errors, or no file when there were none."""
        try:
            if lines:
                self.writer.write_text(ERRORS_LOG, "\n".join(lines) + "\n")
            elif (self.root / ERRORS_LOG).exists():
                self.writer.remove(ERRORS_LOG)
        except OSError as error:
            return Problem(f"output/{ERRORS_LOG}", f"cannot be written: "
                           f"{error.strerror or error}", severity=Severity.WARNING)
        return None
