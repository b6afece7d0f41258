"""An exclusive lock on an output folder, so that two builds never write into one."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from notices.errors import BuildLockedError, NoticesError, Problem

LOCK_NAME = ".notices.lock"
_HELD_LOCKS: list = []


def _close_inherited_locks() -> None:
    # A forked worker must not keep the lock alive after its parent died (kill -9).
    for handle in _HELD_LOCKS:
        try:
            handle.close()
        except OSError:
            pass
    _HELD_LOCKS.clear()


os.register_at_fork(after_in_child=_close_inherited_locks)


class OutputLock:
    """Held for as long as a command writes into ``output/``; released on exit or death."""

    def __init__(self, output_dir: Path):
        if os.path.lexists(output_dir) and not output_dir.is_dir():
            raise NoticesError(Problem("output", "is a file, not a folder; move it away so "
                                       "that notices can write its outputs there"))
        try:
            output_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise NoticesError(Problem("output", f"cannot be created: {error.strerror}")
                               ) from None
        self.path = output_dir / LOCK_NAME
        try:
            descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW
                                 | getattr(os, "O_CLOEXEC", 0), 0o644)
        except OSError as error:
            raise NoticesError(Problem(f"output/{LOCK_NAME}", f"cannot be opened: "
                                       f"{error.strerror}")) from None
        self._handle = os.fdopen(descriptor, "a+")
        try:
            fcntl.flock(self._handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._handle.close()
            raise BuildLockedError(Problem(
                "output", "another build is running on this output folder; wait for it to "
                "finish")) from None
        _HELD_LOCKS.append(self._handle)

    def release(self) -> None:
        if self._handle in _HELD_LOCKS:
            _HELD_LOCKS.remove(self._handle)
        fcntl.flock(self._handle, fcntl.LOCK_UN)
        self._handle.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()
