"""Read the files of ``records/``: a record's bytes, and the files it names beside itself.

One place decides what may be read, so that nothing blocks and nothing outside
``records/`` is touched: a file is opened only if it is a regular file whose real path
lies inside ``records/`` (FIFOs, devices, sockets and folders are refused by name before
anything is opened), without following a link at the last step, non-blocking, and never
more than its size limit.

The files a record names (its pictures, later its attachments) are part of its outputs'
key *whatever their state*: the digest of a missing file is ``missing``, of a refused
one its bytes' hash, so that adding, fixing or removing it rebuilds the record. The
digest comes from :func:`named_file_digest`, the one function both the build and the
renderer use.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import stat
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

MAX_NAMED_FILE_BYTES = 20 * 1024 * 1024


class Unreadable(Exception):
    """A file that cannot be read under the rules above; the message says why."""


def _kind_of(mode: int) -> str | None:
    """What a non-regular file is, in the words of a message."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return None if stat.S_ISREG(mode) else "not a regular file"


def read_bounded(path: Path, records_root: Path, limit: int) -> bytes:
    """The bytes of a regular file inside ``records_root``; :class:`Unreadable` otherwise.

    ``limit`` is the largest size accepted; a larger file raises with its size.
    """
    real = os.path.realpath(path)
    if not Path(real).is_relative_to(records_root):
        raise Unreadable("lies outside records/")
    try:
        info = os.stat(real)
    except FileNotFoundError:
        raise Unreadable("does not exist") from None
    except OSError as error:
        raise Unreadable(f"cannot be read ({error.strerror})") from None
    kind = _kind_of(info.st_mode)
    if kind:
        raise Unreadable(f"is {kind}, not a file")
    if info.st_size > limit:
        raise Unreadable(f"is {info.st_size:,} bytes, more than the limit of {limit:,}")
    try:
        descriptor = os.open(real, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW
                             | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        raise Unreadable(f"cannot be read ({error.strerror})") from None
    with os.fdopen(descriptor, "rb") as handle:
        # Replaced between the check and the open (a race, or a hostile neighbour)?
        if _kind_of(os.fstat(descriptor).st_mode):
            raise Unreadable("is not a regular file")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise Unreadable(f"is more than the limit of {limit:,} bytes")
    return data


@dataclass(frozen=True)
class NamedFile:
    """A file a record names beside itself, in whatever state it is.

    ``data`` is ``None`` when it cannot be used; ``problem`` then says why, in words that
    complete "image 'x.png' …". ``digest`` is its part of the outputs' key.
    """

    name: str  # as written in the record: "plan.png"
    path: str  # relative to the workspace, normalised: "records/2023/plan.png"
    digest: str
    data: bytes | None = None
    problem: str | None = None


def named_file_path(record_path: str, name: str) -> str | None:
    """Where a name in record ``record_path`` points, relative to the workspace.

    ``None`` for what is not a file beside the record at all (a URL, an absolute path):
    such a name depends on nothing but the record's own text.
    """
    parts = urlsplit(name)
    if parts.scheme or parts.netloc or name.startswith(("/", "\\")):
        return None
    relative = unquote(parts.path)
    if not relative or "\x00" in relative:
        return None
    return posixpath.normpath(posixpath.join(posixpath.dirname(record_path), relative))


def named_file_digest(root: Path, path: str, limit: int = MAX_NAMED_FILE_BYTES) -> NamedFile:
    """Read ``path`` (workspace-relative) under the rules of named files; never raises."""
    records_root = Path(os.path.realpath(root / "records"))
    name = posixpath.basename(path)
    try:
        data = read_bounded(root / path, records_root, limit)
    except Unreadable as why:
        reason = str(why)
        if reason.startswith("is ") and "bytes, more than" in reason:
            reason = f"is larger than {limit // (1024 * 1024)} MB"
        return NamedFile(name, path, f"unusable:{reason}", None, reason)
    return NamedFile(name, path, "sha256:" + hashlib.sha256(data).hexdigest(), data)


class DiskFiles:
    """The files records name, read from the workspace's disk as they are needed."""

    def __init__(self, root: Path):
        self.root = root

    def get(self, record_path: str, name: str) -> NamedFile | None:
        path = named_file_path(record_path, name)
        if path is None:
            return None
        found = named_file_digest(self.root, path)
        return NamedFile(name, found.path, found.digest, found.data, found.problem)


class MissingInput(Exception):
    """A task was not given a file that its record names (the coordinator adds it)."""

    def __init__(self, path: str):
        super().__init__(path)
        self.path = path


class SuppliedFiles:
    """The files records name, as a coordinator supplied them (no shared file system)."""

    def __init__(self, files: dict[str, NamedFile]):
        self.files = files

    def get(self, record_path: str, name: str) -> NamedFile | None:
        path = named_file_path(record_path, name)
        if path is None:
            return None
        if path not in self.files:
            raise MissingInput(path)
        found = self.files[path]
        return NamedFile(name, found.path, found.digest, found.data, found.problem)
