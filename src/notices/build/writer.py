"""The one place that writes into ``output/``.

Every file is written to a temporary file in the same folder, flushed, and renamed over
the target with ``os.replace``, so a reader (or a crash, or ``kill -9``) never sees a
half-written output. The writer refuses to write one path twice in a build, which is how
two records claiming one output would show up if discovery ever let them through.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from notices.errors import Problem, RenderError


TEMPORARY_PREFIX = ".tmp-"


@dataclass(frozen=True)
class Written:
    path: Path
    sha256: str
    size: int
    mtime_ns: int


class OutputWriter:
    """Atomic writes below one root folder."""

    def __init__(self, root: Path):
        self.root = root
        self._written: set[Path] = set()

    def target(self, relative: str) -> Path:
        """The absolute path of an output; refuses anything that would leave the root.

        Folders on the way are resolved (a link to a folder elsewhere is refused); the
        last part is not, so that a link in an output's place is replaced, not followed.
        """
        joined = self.root / relative
        path = joined.parent.resolve(strict=False) / joined.name
        if not path.parent.is_relative_to(self.root.resolve()) or joined.name in ("", ".", ".."):
            raise RenderError(Problem(f"output/{relative}", "would be written outside output/"))
        return path

    def write(self, relative: str, data: bytes) -> Written:
        path = self.target(relative)
        if path in self._written:
            raise RenderError(Problem(f"output/{relative}",
                                      "was already written in this build by another record"))
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=TEMPORARY_PREFIX,
                                                 suffix=path.suffix)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                # No fsync: rename is atomic for every other process, including after
                # kill -9; durability across power loss is the file system's business.
                handle.write(data)
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)
        except BaseException:
            try:
                os.unlink(temporary)
            except OSError:
                pass
            raise
        self._written.add(path)
        stat = path.stat()
        return Written(path, hashlib.sha256(data).hexdigest(), stat.st_size, stat.st_mtime_ns)

    def write_text(self, relative: str, text: str) -> Written:
        return self.write(relative, text.encode("utf-8"))

    def remove_leftovers(self) -> int:
        """Delete temporary files that an interrupted build (kill -9) left behind.

        Call only while holding the output folder's lock: then no writer is active.
        """
        removed = 0
        for leftover in self.root.rglob(f"{TEMPORARY_PREFIX}*"):
            try:
                leftover.unlink()
                removed += 1
            except OSError:
                pass
        return removed

    def remove(self, relative: str) -> None:
        path = self.target(relative)
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        # Remove folders the build emptied, never output/ itself.
        parent = path.parent
        while parent != self.root.resolve() and parent.is_relative_to(self.root.resolve()):
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent
