"""Find the record files under ``records/`` and decide which outputs each one writes.

The rules are the same whether a record is found by walking ``records/`` or named on the
command line, so that no output exists that the next full build would call orphaned:
hidden names (``.x``, ``_x``, names of dots only) and links to folders are skipped with
a line each, ``records/sessions/`` is reserved for the session packets, and two records
whose outputs would have the same name (``x.yaml`` beside ``x.md``, or names equal once
letter case and Unicode normalisation are ignored) are both refused.
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from notices.errors import Problem, Severity

RECORD_SUFFIXES = (".yaml", ".yml", ".md")
MAX_STEM_BYTES = 250  # + ".docx" stays within the 255 bytes of a file name
RESERVED_DIRS = ("sessions",)  # records/sessions/ belongs to the session packets


@dataclass(frozen=True)
class FoundRecord:
    """A record file: where it is, how messages name it, and where its outputs go."""

    source: Path  # absolute, not resolved
    path: str  # relative to the workspace: records/2023/x.yaml
    stem: str  # relative to output/, without suffix: 2023/x


@dataclass
class Discovery:
    records: list[FoundRecord] = field(default_factory=list)  # sorted by path
    problems: list[Problem] = field(default_factory=list)  # of the request, not a record
    clashes: dict[str, str] = field(default_factory=dict)  # path -> why it is refused


def output_stem_for(record_path: str) -> str:
    """``records/2023/x v2.1.yaml`` -> ``2023/x v2.1`` (the outputs' path without suffix)."""
    relative = Path(record_path).relative_to("records")
    return (relative.parent / relative.stem).as_posix()


def is_hidden(name: str) -> bool:
    """``.x`` and ``_x`` files and folders are not records (drafts, editor backups, notes)."""
    return name.startswith((".", "_"))


def is_record_name(name: str) -> bool:
    """``x.yaml``, ``x.yml`` or ``x.md``, in any letter case (``X.MD`` from Windows too)."""
    return name.lower().endswith(RECORD_SUFFIXES)


def _fold(stem: str) -> str:
    """The form in which two output names are the same file on some file system."""
    return unicodedata.normalize("NFC", stem).casefold()


def discover_records(root: Path, paths: list[Path] | None = None) -> Discovery:
    """Find record files under ``paths`` (default: all of ``records/``) in workspace ``root``.

    A path outside ``records/`` (also through a symlink) is refused with a problem.
    """
    records_dir = root / "records"
    records_root = Path(os.path.realpath(records_dir))
    found = Discovery()
    files: set[Path] = set()

    def shown(path: Path) -> str:
        try:
            return Path(os.path.abspath(path)).relative_to(root).as_posix()
        except ValueError:
            return str(path)

    for target in paths or [records_dir]:
        target = target if target.is_absolute() else root / target
        if not os.path.lexists(target):
            found.problems.append(Problem(shown(target), "no such file or folder"))
            continue
        real = Path(os.path.realpath(target))
        if not real.is_relative_to(records_root):
            found.problems.append(Problem(shown(target), "is not inside records/ (records must "
                                          "lie under records/)"))
            continue
        skipped = _skipped_on_the_way(records_dir, target)
        if skipped:
            found.problems.append(Problem(shown(target), skipped))
            continue
        if real.is_dir():
            before = len(files)
            _walk(target, files, found.problems, shown)
            if paths and len(files) == before:
                found.problems.append(Problem(shown(target), "holds no records (files ending "
                                              "in .yaml, .yml or .md)",
                                              severity=Severity.WARNING))
        elif is_record_name(target.name):
            files.add(Path(os.path.abspath(target)))
        else:
            found.problems.append(Problem(shown(target), "is not a record (expected .yaml, "
                                          ".yml or .md)"))
    for path in sorted(files):
        _accept(found, path, records_dir, shown)
    _find_clashes(found)
    return found


def _walk(top: Path, files: set[Path], problems: list[Problem], shown) -> None:
    for dirpath, dirnames, filenames in os.walk(top):
        here = Path(dirpath)
        for name in sorted(dirnames):
            if is_hidden(name):
                if _worth_saying(name) and _holds_records(here / name):
                    problems.append(Problem(shown(here / name), "skipped: the records in a "
                                            "folder whose name starts with '.' or '_' are not "
                                            "built", severity=Severity.WARNING))
            elif (here / name).is_symlink():
                problems.append(Problem(
                    shown(here / name), "is a link to a folder, which notices does not "
                    "follow; its records are not built (move them into records/)",
                    severity=Severity.WARNING))
        dirnames[:] = sorted(d for d in dirnames
                             if not is_hidden(d) and not (here / d).is_symlink())
        for name in sorted(filenames):
            if not is_record_name(name):
                continue
            if is_hidden(name) or _only_dots(name):
                problems.append(Problem(shown(here / name), "skipped: a file whose name starts "
                                        "with '.' or '_' is not a record; rename it to build "
                                        "it", severity=Severity.WARNING))
                continue
            files.add(Path(os.path.abspath(here / name)))


def _worth_saying(name: str) -> bool:
    """Folders such as ``.git`` or ``__pycache__`` are skipped without a word."""
    return name not in (".git", ".svn", ".hg", "__pycache__", ".ipynb_checkpoints") and \
        not name.startswith(".~")


def _holds_records(folder: Path) -> bool:
    """Whether a skipped folder has record files in it (only then is skipping news)."""
    for _, _, filenames in os.walk(folder):
        if any(is_record_name(name) for name in filenames):
            return True
    return False


def _only_dots(name: str) -> bool:
    """``.yaml`` or ``...yaml``: nothing before the suffix but dots."""
    stem = name[: name.rfind(".")]
    return not stem.strip(".")


def _accept(found: Discovery, path: Path, records_dir: Path, shown) -> None:
    relative = shown(path)
    # A record in records/sessions/ would write its outputs among the session packets in
    # output/sessions/, and the two would overwrite each other. Case-insensitively: on
    # Windows and macOS records/Sessions/ is records/sessions/.
    inside = os.path.relpath(path, os.path.abspath(records_dir)).split(os.sep)
    if len(inside) > 1 and inside[0].casefold() in RESERVED_DIRS:
        found.problems.append(Problem(relative, f"records/{inside[0]}/ is reserved for session "
                                      "packets (output/sessions/); move the record to another "
                                      "folder"))
        return
    stem = output_stem_for(relative)
    size = len(Path(stem).name.encode("utf-8"))
    if size > MAX_STEM_BYTES:
        # Its outputs (x.docx, x.pdf) would exceed the 255 bytes a file name may have.
        found.problems.append(Problem(relative, f"the file name is too long for its outputs "
                                      f"({size} bytes before the extension; at most "
                                      f"{MAX_STEM_BYTES}): shorten it"))
        return
    found.records.append(FoundRecord(path, relative, stem))


def _find_clashes(found: Discovery) -> None:
    by_name: dict[str, list[FoundRecord]] = {}
    for record in found.records:
        by_name.setdefault(_fold(record.stem), []).append(record)
    for group in by_name.values():
        if len(group) < 2:
            continue
        for record in group:
            others = [other for other in group if other is not record]
            found.clashes[record.path] = _clash_message(record, others)


def _clash_message(record: FoundRecord, others: list[FoundRecord]) -> str:
    paths = ", ".join(other.path for other in others)
    stem = record.stem
    if all(other.stem == stem for other in others):
        return f"writes the same outputs (output/{stem}.*) as {paths}; rename or remove one"
    if all(other.stem.casefold() == stem.casefold() for other in others):
        return (f"writes outputs (output/{stem}.*) whose names differ only in letter case from "
                f"those of {paths}, which Windows and macOS take for the same files; rename or "
                "remove one")
    return (f"writes outputs (output/{stem}.*) whose names differ from those of {paths} only "
            "in how their accented letters are encoded (Unicode NFC/NFD), which macOS and "
            "most people take for the same names; rename or remove one")


def _skipped_on_the_way(records_dir: Path, target: Path) -> str | None:
    """Why a full build would not find ``target``: hidden, or behind a link to a folder."""
    root = os.path.abspath(records_dir)
    try:
        parts = Path(os.path.abspath(target)).relative_to(root).parts
    except ValueError:
        return None
    for depth, name in enumerate(parts, start=1):
        if is_hidden(name) or (depth == len(parts) and _only_dots(name)
                               and is_record_name(name)):
            return (f"{name!r} starts with '.' or '_', which marks files and folders that "
                    "are not records; rename it to build it")
        here = os.path.join(root, *parts[:depth])
        if os.path.islink(here) and os.path.isdir(here):
            return (f"{name!r} is a link to a folder, which notices does not follow; move "
                    "the records into records/")
    return None
