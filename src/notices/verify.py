"""Prove what an output folder holds: every file against the SHA-256 the build recorded.

Hashes prove that a file is what the build wrote; they cannot tell that what it wrote
opens. So every intact output is also checked to parse (a Word file's XML parts, a
PDF's header and trailer), and a file that does not is reported as damaged.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from notices.build.keys import file_sha256
from notices.build.lock import LOCK_NAME
from notices.build.outputs import ERRORS_LOG
from notices.build.state import STATE_NAME, BuildState
from notices.errors import NoticesError, Problem
from notices.render.docx.package import damaged_docx

_BOOKKEEPING = {STATE_NAME, STATE_NAME + "-wal", STATE_NAME + "-shm", STATE_NAME + "-journal",
                LOCK_NAME, ERRORS_LOG}


@dataclass
class VerifyReport:
    ok: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    damaged: list[str] = field(default_factory=list)  # as written, but does not open
    unknown: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.missing or self.changed or self.damaged or self.unknown)


def damaged(path: Path) -> str | None:
    """Why an output would not open in its application, or None."""
    suffix = path.suffix.lower()
    if suffix == ".docx":
        return damaged_docx(path.read_bytes())
    if suffix == ".pdf":
        with open(path, "rb") as handle:
            head = handle.read(8)
            handle.seek(max(0, path.stat().st_size - 1024))
            tail = handle.read()
        if not head.startswith(b"%PDF-") or b"%%EOF" not in tail:
            return "not a complete PDF file"
    return None


def verify_outputs(output_dir: Path) -> VerifyReport:
    """Hash every recorded output (no stat shortcut: this is the proof) and list strays."""
    report = VerifyReport()
    if output_dir.exists() and not output_dir.is_dir():
        raise NoticesError(Problem("output", "is a file, not a folder: there are no outputs "
                                   "to verify"))
    if not (output_dir / STATE_NAME).exists():
        state_outputs = {}
    else:
        try:
            # Read only: verify proves what is there and changes nothing, not even a
            # broken state (the next build sets that aside).
            state = BuildState(output_dir, recover=False)
        except sqlite3.Error as error:
            raise NoticesError(Problem(f"output/{STATE_NAME}", f"cannot be read ({error}), "
                                       "so nothing can be verified against it; the next "
                                       "build sets it aside and rebuilds")) from None
        state_outputs = dict(state.outputs)
        state.close()
    for relative, entry in sorted(state_outputs.items()):
        path = output_dir / relative
        if not path.is_file() or path.is_symlink():
            report.missing.append(relative)
        elif file_sha256(path) != entry.sha256:
            report.changed.append(relative)
        elif damaged(path):
            report.damaged.append(relative)
        else:
            report.ok.append(relative)
    if output_dir.is_dir():
        for dirpath, dirnames, filenames in os.walk(output_dir):
            dirnames.sort()
            for name in sorted(filenames):
                relative = (Path(dirpath) / name).relative_to(output_dir).as_posix()
                if relative in _BOOKKEEPING or relative.startswith(STATE_NAME):
                    continue
                if relative not in state_outputs:
                    report.unknown.append(relative)
    return report
