"""The build state: what each output was built from, and the SHA-256 of the bytes written.

Stored in ``output/.notices-state.sqlite`` (SQLite, stdlib, transactional). One row per
output file::

    outputs(path TEXT PRIMARY KEY,   -- relative to output/, e.g. "2023/x.pdf"
            record TEXT,             -- the record it came from, e.g. "records/2023/x.yaml"
            input_hash TEXT,         -- the output's key (notices/build/keys.py)
            tool_version TEXT, template_hash TEXT,
            sha256 TEXT,             -- of the bytes written
            size INTEGER, mtime_ns INTEGER,  -- stat of the file as written (fast check)
            options TEXT)            -- e.g. the PDF variant it was built as

and one row per record with its kind, the files it names (its pictures and attachments,
also those that were missing or refused), its attachments' copies and its paper number::

    records(record TEXT PRIMARY KEY,
            deps TEXT)  -- JSON: {"kind": "mitteilung", "files": ["records/2023/plan.png"],
                        --   "attachments": {"2023/x_anlage-1.pdf": "records/2023/plan.pdf"},
                        --   "paper_number": "4401/2020-2025"}

A row is written only after its file has been renamed into place, so after a crash the
state never claims an output that is not on disk. An unreadable state file is moved
aside and the build starts from scratch, with a warning.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

STATE_NAME = ".notices-state.sqlite"
SCHEMA_VERSION = 2


@dataclass(frozen=True)
class OutputEntry:
    path: str
    record: str
    input_hash: str
    tool_version: str
    template_hash: str
    sha256: str
    size: int
    mtime_ns: int
    options: str = ""


@dataclass(frozen=True)
class RecordDeps:
    """What the build knows of a record between runs (the ``records`` table)."""

    kind: str
    files: list[str]  # the files it names, whatever their state
    attachments: dict[str, str] = field(default_factory=dict)  # output -> the file it copies
    paper_number: str | None = None


class BuildState:
    """Read and update the state of one output folder."""

    def __init__(self, output_dir: Path, *, recover: bool = True):
        """Open the state; an unreadable one is moved aside (``recover``) or raised."""
        self.path = output_dir / STATE_NAME
        self.warning: str | None = None
        self._recover = recover
        self._db = self._open()
        self.outputs: dict[str, OutputEntry] = {
            row[0]: OutputEntry(*row) for row in self._db.execute(
                "SELECT path, record, input_hash, tool_version, template_hash, sha256, size, "
                f"mtime_ns, {self._options_column} FROM outputs")}
        self.deps: dict[str, RecordDeps] = {}
        for record, deps in self._db.execute("SELECT record, deps FROM records"):
            try:
                data = json.loads(deps)
                self.deps[record] = RecordDeps(
                    str(data["kind"]), list(data["files"]),
                    {str(k): str(v) for k, v in data.get("attachments", {}).items()},
                    data.get("paper_number"))
            except (ValueError, KeyError, TypeError):
                pass  # unreadable row: the record is simply rebuilt

    def _open(self) -> sqlite3.Connection:
        try:
            return self._connect()
        except sqlite3.OperationalError as error:
            if not str(error).startswith(("no such table", "no such column")) or \
                    not self._recover:
                raise  # cannot read or write the folder: not a broken state, a broken disk
            return self._set_aside(error)
        except sqlite3.DatabaseError as error:
            if not self._recover:
                raise
            return self._set_aside(error)

    def _set_aside(self, error: Exception) -> sqlite3.Connection:
        aside = self.path.with_name(self.path.name + ".broken")
        self.warning = (f"the build state {STATE_NAME} was unreadable ({error}); moved it to "
                        f"{aside.name} and rebuilding everything")
        for suffix in ("", "-wal", "-shm", "-journal"):
            candidate = Path(str(self.path) + suffix)
            if candidate.exists():
                os.replace(candidate, Path(str(aside) + suffix))
        return self._connect()

    def _connect(self) -> sqlite3.Connection:
        # A rollback journal rather than WAL: WAL's 32 KB shared-memory file alone would
        # fail under a small file-size limit, and one writer per folder is all we have.
        if self._recover:
            db = sqlite3.connect(self.path, isolation_level=None)
        else:  # read only: verify proves what is there and changes nothing
            db = sqlite3.connect(f"{self.path.absolute().as_uri()}?mode=ro", uri=True,
                                 isolation_level=None)
        db.execute("PRAGMA synchronous=NORMAL")
        self._pending = 0
        self._last_commit = time.monotonic()
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, 1, SCHEMA_VERSION):
            raise sqlite3.DatabaseError(f"unknown state format {version}")
        if version == 1 and self._recover:  # version 1 had no options column
            db.execute("ALTER TABLE outputs ADD COLUMN options TEXT NOT NULL DEFAULT ''")
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        self._options_column = "options" if version != 1 or self._recover else "''"
        if version == 0:
            tables = db.execute("SELECT name FROM sqlite_master").fetchall()
            if tables:  # another program's database: not ours to adopt
                raise sqlite3.DatabaseError("not a notices build state (it holds other tables)")
            db.execute("CREATE TABLE IF NOT EXISTS outputs (path TEXT PRIMARY KEY, "
                       "record TEXT, input_hash TEXT, tool_version TEXT, template_hash TEXT, "
                       "sha256 TEXT, size INTEGER, mtime_ns INTEGER, "
                       "options TEXT NOT NULL DEFAULT '')")
            db.execute("CREATE TABLE IF NOT EXISTS records (record TEXT PRIMARY KEY, "
                       "deps TEXT)")
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        if self._recover:
            # What the build has verified and need not verify again (templates checked).
            db.execute("CREATE TABLE IF NOT EXISTS checked (key TEXT PRIMARY KEY)")
        # Fail early if corrupt, or if another program left a database of its own here.
        db.execute("SELECT path, record, input_hash, tool_version, template_hash, sha256, "
                   f"size, mtime_ns, {self._options_column} FROM outputs LIMIT 1").fetchall()
        db.execute("SELECT record, deps FROM records LIMIT 1").fetchall()
        return db

    def _write(self, sql: str, parameters: tuple) -> None:
        """Run one change inside a transaction that is committed at most every second.

        Committing per output would cost a journal sync per file. Lagging behind the
        files on disk is safe: an output renamed into place but not yet recorded is
        checked byte for byte and adopted by the next build.
        """
        if not self._db.in_transaction:
            self._db.execute("BEGIN")
        self._db.execute(sql, parameters)
        self._pending += 1
        if self._pending >= 200 or time.monotonic() - self._last_commit > 1.0:
            self.commit()

    def commit(self) -> None:
        if self._db.in_transaction:
            self._db.execute("COMMIT")
        self._pending = 0
        self._last_commit = time.monotonic()

    def record_output(self, entry: OutputEntry) -> None:
        """Remember an output; call only after the file has been renamed into place."""
        self._write(
            "INSERT OR REPLACE INTO outputs (path, record, input_hash, tool_version, "
            "template_hash, sha256, size, mtime_ns, options) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (entry.path, entry.record, entry.input_hash, entry.tool_version,
             entry.template_hash, entry.sha256, entry.size, entry.mtime_ns, entry.options))
        self.outputs[entry.path] = entry

    def record_deps(self, record: str, deps: RecordDeps) -> None:
        self._write("INSERT OR REPLACE INTO records VALUES (?, ?)", (record, json.dumps({
            "kind": deps.kind, "files": sorted(deps.files), "attachments": deps.attachments,
            "paper_number": deps.paper_number}, sort_keys=True)))
        self.deps[record] = deps

    def was_checked(self, key: str) -> bool:
        """Whether something identified by ``key`` passed its check in an earlier build."""
        return self._db.execute("SELECT 1 FROM checked WHERE key = ?", (key,)).fetchone() \
            is not None

    def mark_checked(self, key: str) -> None:
        self._write("INSERT OR REPLACE INTO checked VALUES (?)", (key,))

    def forget_output(self, path: str) -> None:
        self._write("DELETE FROM outputs WHERE path = ?", (path,))
        self.outputs.pop(path, None)

    def forget_record(self, record: str) -> None:
        self._write("DELETE FROM records WHERE record = ?", (record,))
        self.deps.pop(record, None)

    def close(self) -> None:
        try:
            self.commit()
        finally:
            self._db.close()
