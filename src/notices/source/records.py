"""Load records: read their bytes, decode them, validate them into typed notices.

Gather, then write: every record is read and checked before anything is rendered, and
every problem of a record is reported at once, each naming the file, line and field.
The same :class:`RecordLoader` runs in the build's worker processes (from bytes the build
read and hashed) and in-process for ``check``, ``sessions`` and packets (from disk), so
a record means the same everywhere.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from notices.errors import Problem
from notices.settings import Settings
from notices.source.decode import Undecodable, decode_record
from notices.source.discovery import FoundRecord, discover_records
from notices.source.model import Notice
from notices.source.reading import DiskFiles, NamedFile, Unreadable, read_bounded
from notices.source.kinds import Kind, default_kind
from notices.source.paper import PaperReader
from notices.source.validate import Validator, describe_value
from notices.source.yaml_source import Mapping, parse_yaml


@dataclass
class RecordResult:
    """What loading one record produced: a notice, or the problems that stopped it."""

    path: str  # relative to the workspace
    stem: str  # its outputs' path under output/, without suffix
    notice: Notice | None = None
    problems: list[Problem] = field(default_factory=list)
    source_sha256: str | None = None  # of the bytes as stored; None if unreadable
    # Every file the record names beside itself (pictures), in whatever state: part of
    # its outputs' key, so that adding or fixing one rebuilds the record.
    named_files: dict[str, str] = field(default_factory=dict)  # path -> digest

    @property
    def ok(self) -> bool:
        return self.notice is not None and not any(p.is_error for p in self.problems)


class _Recording:
    """A file source that remembers what was asked of it (the record's named files)."""

    def __init__(self, files):
        self.files = files
        self.seen: dict[str, str] = {}

    def get(self, record_path: str, name: str) -> NamedFile | None:
        found = self.files.get(record_path, name)
        if found is not None:
            self.seen[found.path] = found.digest
        return found


class RecordLoader:
    """Validates records against one workspace's settings and kinds of paper.

    ``kinds`` maps each kind's name to its :class:`~notices.source.kinds.Kind`; names
    alone (or None: any name) give every kind the fields of a Mitteilung.
    """

    def __init__(self, settings: Settings, kinds=None):
        self.settings = settings
        self.default = default_kind()
        if kinds is None:
            self.kinds = _AnyKind(self.default)
        elif isinstance(kinds, dict):
            self.kinds = kinds
        else:
            self.kinds = {name: default_kind(name) for name in kinds}

    def load(self, path: str, stem: str, raw: bytes, files) -> RecordResult:
        """Validate a record from its bytes; ``files`` serves the files it names."""
        result = RecordResult(path, stem, source_sha256=hashlib.sha256(raw).hexdigest())
        try:
            text = decode_record(raw, markdown=path.lower().endswith(".md"))
        except Undecodable as why:
            result.problems.append(Problem(path, str(why), line=1 if "front matter" in str(why)
                                           else None))
            return result
        parsed = parse_yaml(text.yaml)
        for p in parsed.problems:
            result.problems.append(Problem(path, p.message, field=p.key_path, line=p.line,
                                           column=p.column))
        if parsed.root is None and not parsed.problems:
            result.problems.append(Problem(path, "holds no fields (expected a mapping such as "
                                           "'office: Bauamt')"))
        if parsed.root is None or result.problems:
            return result
        if not isinstance(parsed.root, Mapping):
            result.problems.append(Problem(
                path, "expected a mapping of fields (office: …, date: …), found "
                f"{describe_value(parsed.root)}", line=parsed.root.line))
            return result
        recording = _Recording(files)
        validator = Validator(self.settings, path, text, recording)
        notice = PaperReader(validator, self.kinds, self.default).read(
            parsed.root, text.body, text.body_line, result.source_sha256, stem)
        # In the order of the file, as a clerk reads it (fields a kind adds come last).
        result.problems.extend(sorted(validator.problems, key=lambda p: p.line or 10**9))
        result.named_files = dict(sorted(recording.seen.items()))
        if not any(p.is_error for p in result.problems):
            result.notice = notice
        return result

    def load_file(self, root: Path, found: FoundRecord) -> RecordResult:
        """Read a record from the workspace's disk and validate it."""
        try:
            raw = read_record(root, found, self.settings.limits.max_record_bytes)
        except Unreadable as why:
            return RecordResult(found.path, found.stem, problems=[Problem(found.path,
                                                                          str(why))])
        return self.load(found.path, found.stem, raw, DiskFiles(root))


class _AnyKind(dict):
    """Every kind name is known, with the fields of a Mitteilung (no templates to ask)."""

    def __init__(self, default: Kind):
        super().__init__()
        self.default = default

    def __contains__(self, name) -> bool:
        return True

    def __getitem__(self, name) -> Kind:
        return self.default


def read_record(root: Path, found: FoundRecord, limit: int) -> bytes:
    """A record's bytes as stored, under the reading rules; :class:`Unreadable` otherwise."""
    import os

    try:
        return read_bounded(found.source, Path(os.path.realpath(root / "records")), limit)
    except Unreadable as why:
        reason = str(why)
        if reason == "lies outside records/":
            reason = ("is not inside records/ (it is a link to a file elsewhere); records "
                      "must lie under records/")
        elif "more than the limit" in reason:
            reason += " (raise limits.max_record_bytes in notices.toml)"
        raise Unreadable(reason) from None


def load_records(root: Path, loader: RecordLoader, paths: list[Path] | None = None
                 ) -> tuple[list[RecordResult], list[Problem]]:
    """Discover and load records; return per-record results and problems of the request.

    Two records that would write the same outputs (``x.yaml`` beside ``x.md``) are both
    refused, each naming the other.
    """
    discovery = discover_records(root, paths)
    results = []
    for found in discovery.records:
        if found.path in discovery.clashes:
            results.append(RecordResult(found.path, found.stem, problems=[
                Problem(found.path, discovery.clashes[found.path])]))
        else:
            results.append(loader.load_file(root, found))
    return results, discovery.problems


def load_workspace_records(workspace, paths: list[Path] | None = None
                           ) -> tuple[list[RecordResult], list[Problem]]:
    """The records of a workspace (or under ``paths``), validated in this process."""
    from notices.template_set import TemplateSet

    kinds, _ = TemplateSet.read(workspace.templates_dir).declared_kinds()
    return load_records(workspace.root, RecordLoader(workspace.settings, kinds), paths)


def load_record(workspace, path: Path, *, known_kinds=None) -> RecordResult:
    """One record of a workspace, read from disk and validated (as ``check`` sees it)."""
    discovery = discover_records(workspace.root, [path])
    if not discovery.records:
        shown = workspace.relative(path)
        return RecordResult(shown, "", problems=discovery.problems or [
            Problem(shown, "is not a record")])
    loader = RecordLoader(workspace.settings, known_kinds)
    return loader.load_file(workspace.root, discovery.records[0])
