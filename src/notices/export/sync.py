"""Bring a folder to exactly a given set of files, touching only what changed.

An export is re-run after every build; the archive and the web server watch what
changed (rsync, ``Last-Modified``). So a file whose bytes are already right is left
alone, a changed one is replaced atomically (a temporary file in the same folder,
then a rename: a reader sees the old bytes or the new, never half), and a file that
is no longer part of the export is removed. Files are written in the order given,
removals come last, so a reader never meets a link to an object that was already
removed.

The folder must be empty, missing, or carry the marker of an earlier export: an
export never empties a folder it did not write. Links inside it are never followed.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from notices.errors import NoticesError, Problem


@dataclass
class SyncResult:
    """What a sync did: paths relative to the folder."""

    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    bytes_total: int = 0  # of every file of the export, written or not


def prepare_folder(folder: Path, marker: str, shown: str) -> None:
    """Refuse a folder that is neither empty, missing, nor an earlier export."""
    try:
        info = os.lstat(folder)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise NoticesError(Problem(shown, "is not a folder (a link or a file is in the way)"))
    if any(os.scandir(folder)) and not (folder / marker).is_file():
        raise NoticesError(Problem(shown, f"is not empty and holds no earlier export "
                                   f"({marker} is missing); choose an empty folder"))


def sync_folder(folder: Path, files: Iterable[tuple[str, bytes, dt.datetime | None]], *,
                marker: str, marker_text: str) -> SyncResult:
    """Make ``folder`` hold exactly ``files`` (relative path, bytes, modification time)
    plus the marker file; return what changed."""
    result = SyncResult()
    folder.mkdir(parents=True, exist_ok=True)
    wanted = {marker}
    for relative, data, modified in [(marker, marker_text.encode("utf-8"), None), *files]:
        wanted.add(relative)
        result.bytes_total += len(data)
        path = _safe_path(folder, relative)
        if _same_bytes(path, data):
            result.unchanged += 1
            continue
        _write(path, data, modified)
        result.written.append(relative)
    result.removed = _remove_others(folder, wanted)
    return result


def _safe_path(folder: Path, relative: str) -> Path:
    """``folder/relative`` with every folder on the way a real folder (made if missing)."""
    parts = relative.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"not a plain relative path: {relative!r}")
    current = folder
    for part in parts[:-1]:
        current = current / part
        try:
            info = os.lstat(current)
        except FileNotFoundError:
            os.mkdir(current)
            continue
        if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
            os.unlink(current)  # a link or a file where the export has a folder
            os.mkdir(current)
    return current / parts[-1]


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False
    if not stat.S_ISREG(info.st_mode) or info.st_size != len(data):
        return False
    with open(path, "rb") as handle:
        return handle.read() == data


def _write(path: Path, data: bytes, modified: dt.datetime | None) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:40]}.",
                                         suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)
        if modified is not None:
            stamp = modified.timestamp()
            os.utime(temporary, (stamp, stamp))
        if os.path.isdir(path) and not os.path.islink(path):
            import shutil

            shutil.rmtree(path)  # an earlier export had a folder here
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _remove_others(folder: Path, wanted: set[str]) -> list[str]:
    """Remove every file (and then empty folder) under ``folder`` not in ``wanted``."""
    removed = []
    for top, dirs, names in os.walk(folder, topdown=False):
        base = Path(top)
        for name in names + [d for d in dirs if os.path.islink(base / d)]:
            relative = (base / name).relative_to(folder).as_posix()
            if relative not in wanted:
                os.unlink(base / name)
                removed.append(relative)
        if base != folder and not any(os.scandir(base)):
            os.rmdir(base)
    return sorted(removed)
