"""``notices export``: publish for the public (OParl) or hand over to the archive (xdomea).

Both exports read the records and the build's current outputs (:mod:`.collect`) and
write nothing until everything they would take is known to be current: a paper whose
record fails, or whose PDF is older than its sources, stops the export with a line
naming it, unless ``skip_stale`` leaves such papers out (their earlier OParl files are
then removed: nothing stale is ever published). What confidentiality demands is
enforced by the writers themselves, whatever the model says: OParl drops everything
non-public, xdomea includes it, marked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from notices.errors import NoticesError, Problem, Severity, UsageError
from notices.workspace import Workspace


@dataclass
class ExportReport:
    """What an export did, for the summary line and ``--json``."""

    kind: str  # "oparl" or "xdomea"
    target: str
    problems: list[Problem] = field(default_factory=list)
    failed: bool = False
    left_out: list[str] = field(default_factory=list)  # records not exported (stale, broken)
    written: list[str] = field(default_factory=list)  # paths under the target
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    bytes_total: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # exported objects by type
    withheld: dict[str, int] = field(default_factory=dict)  # OParl: kept back, by type

    def summary(self) -> str:
        if self.failed:
            return f"export {self.kind}: nothing written to {self.target}"
        what = ", ".join(f"{n} {kind}" for kind, n in sorted(self.counts.items()))
        changed = (f"{len(self.written)} files written, {self.unchanged} unchanged, "
                   f"{len(self.removed)} removed")
        size = f"{self.bytes_total / 1_000_000:.1f} MB"
        left = f"; {len(self.left_out)} papers left out" if self.left_out else ""
        return f"export {self.kind}: {what} in {self.target} ({changed}; {size}){left}"

    def as_json(self) -> dict:
        return {"export": self.kind, "target": self.target, "failed": self.failed,
                "counts": self.counts, "withheld": self.withheld,
                "written": self.written, "unchanged": self.unchanged,
                "removed": self.removed, "bytes": self.bytes_total,
                "left_out": self.left_out, "problems": [p.format() for p in self.problems]}


def _collected(workspace: Workspace, report: ExportReport, skip_stale: bool):
    """The model, or None when something stale stops the export (problems in report)."""
    from notices.export.collect import collect

    collected = collect(workspace)
    for problem in collected.problems:
        if problem.is_error and skip_stale:
            problem = Problem(problem.path, f"{problem.message} (left out: --skip-stale)",
                              field=problem.field, line=problem.line,
                              severity=Severity.WARNING)
        report.problems.append(problem)
    report.left_out = collected.left_out
    if any(p.is_error for p in report.problems):
        report.failed = True
        report.problems.append(Problem("export", "nothing was exported: the outputs named "
                                       "above are not current (run 'notices build', or "
                                       "export without them with --skip-stale)"))
        return None
    return collected.body


def export_oparl(workspace: Workspace, target: Path, base_url: str, *,
                 skip_stale: bool = False, page_size: int = 100) -> ExportReport:
    """Bring ``target`` to the static OParl 1.1 tree of the workspace's public papers."""
    from notices.export.oparl.tree import normalize_base
    from notices.export.oparl.write import write_oparl

    report = ExportReport("oparl", str(target))
    try:
        normalize_base(base_url)
    except ValueError as error:
        raise UsageError(Problem("--base-url", str(error))) from None
    _refuse_inside(workspace, target, report)
    body = _collected(workspace, report, skip_stale)
    if body is None:
        return report
    summary, synced = _checked(lambda: write_oparl(body, target, base_url,
                                                   page_size=page_size))
    report.counts = dict(summary.objects)
    report.withheld = dict(summary.withheld)
    report.written, report.unchanged = synced.written, synced.unchanged
    report.removed, report.bytes_total = synced.removed, synced.bytes_total
    return report


def export_xdomea(workspace: Workspace, target: Path, *, committee: str | None = None,
                  date_from: dt.date | None = None, date_to: dt.date | None = None,
                  archive: str | None = None, nonpublic_code: str = "002",
                  skip_stale: bool = False) -> ExportReport:
    """Write one xdomea 0503 message (a zip) of the selected meetings into ``target``."""
    from notices.export.model import ExportBody
    from notices.export.xdomea.message import write_xdomea

    report = ExportReport("xdomea", str(target))
    if date_from and date_to and date_from > date_to:
        raise UsageError(Problem("--from", f"{date_from.strftime('%d.%m.%Y')} is after --to "
                                 f"{date_to.strftime('%d.%m.%Y')}"))
    _refuse_inside(workspace, target, report)
    body = _collected(workspace, report, skip_stale)
    if body is None:
        return report
    if archive:
        body = ExportBody(**{**body.__dict__, "archive_name": archive})
    if committee is not None:
        names = {o.name for o in body.committees} | {o.key for o in body.committees}
        if committee not in names:
            import difflib

            close = difflib.get_close_matches(committee, sorted(names), n=3, cutoff=0.6)
            hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
            raise UsageError(Problem("--committee", f"no committee {committee!r}{hint}; "
                                     "'notices sessions' lists them"))
    result = _checked(lambda: write_xdomea(
        body, target, committee=committee, date_from=date_from, date_to=date_to,
        nonpublic_code=nonpublic_code))
    report.counts = result.counts
    for file in result.not_archival:
        report.problems.append(Problem(
            _shown(workspace, file), f"not handed over to the archive: {file.name!r} "
            "is not a PDF/A file; the message lists it with its metadata and the remark "
            "'Datei liegt nicht als PDF/A vor', without the file. Save the file beside "
            "its record as PDF/A to hand it over", severity=Severity.WARNING))
    report.written = [result.path.name] if result.written else []
    report.unchanged = 0 if result.written else 1
    report.bytes_total = result.path.stat().st_size
    return report


def _shown(workspace: Workspace, file) -> str:
    """A file as messages name it: relative to the workspace where it lies in it."""
    if file.path is not None:
        try:
            return Path(file.path).resolve().relative_to(workspace.root.resolve()).as_posix()
        except ValueError:
            pass
    return file.file_name


def _checked(write):
    """A writer's refusal (an inconsistent model, nothing selected) as one clean line."""
    try:
        return write()
    except ValueError as error:
        lines = str(error).splitlines()
        raise NoticesError([Problem("export", line.strip()) for line in lines
                            if line.strip()]) from None


def _refuse_inside(workspace: Workspace, target: Path, report: ExportReport) -> None:
    """An export written into records/, sessions/, templates/ or output/ would be read
    as the workspace's own files, or removed by the next build."""
    resolved = target.resolve()
    for folder in ("records", "sessions", "templates", "output"):
        own = (workspace.root / folder).resolve()
        if resolved == own or own in resolved.parents:
            raise UsageError(Problem(str(target), f"is inside the workspace's {folder}/; "
                                     "export to a folder of its own"))
