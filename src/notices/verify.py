"""Prove what an output folder holds: every file against the SHA-256 the build recorded."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from notices.build import ERRORS_LOG, LOCK_NAME, file_sha256
from notices.state import STATE_NAME, BuildState

_BOOKKEEPING = {STATE_NAME, STATE_NAME + "-wal", STATE_NAME + "-shm", STATE_NAME + "-journal",
                LOCK_NAME, ERRORS_LOG}


@dataclass
class VerifyReport:
    ok: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.missing or self.changed or self.unknown)


def verify_outputs(output_dir: Path) -> VerifyReport:
    """Hash every recorded output (no stat shortcut: this is the proof) and list strays."""
    report = VerifyReport()
    if not (output_dir / STATE_NAME).exists():
        state_outputs = {}
    else:
        state = BuildState(output_dir)
        state_outputs = dict(state.outputs)
        state.close()
    for relative, entry in sorted(state_outputs.items()):
        path = output_dir / relative
        if not path.is_file():
            report.missing.append(relative)
        elif file_sha256(path) != entry.sha256:
            report.changed.append(relative)
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
