"""What a build did, record by record: for the summary line, ``--json`` and the error log."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from notices.errors import Problem

# statuses of a record in a report
BUILT, UP_TO_DATE, FAILED, KEPT = "built", "up to date", "failed", "kept"


@dataclass
class RecordReport:
    path: str
    status: str
    outputs: list[str] = field(default_factory=list)  # written by this run
    problems: list[Problem] = field(default_factory=list)
    stale_outputs: list[str] = field(default_factory=list)  # old outputs kept after a failure
    kept_outputs: list[str] = field(default_factory=list)  # edited by hand, left alone
    # (old, new) options of outputs rebuilt because an option differs: ("pdf/ua-1", "pdf/a-2a")
    options_changed: tuple[str, str] | None = None

    def as_json(self) -> dict:
        return {
            "path": self.path, "status": self.status,
            "outputs": [f"output/{o}" for o in self.outputs],
            "stale_outputs": [f"output/{o}" for o in self.stale_outputs],
            "kept_outputs": [f"output/{o}" for o in self.kept_outputs],
            "errors": [p.format() for p in self.problems if p.is_error],
            "warnings": [p.format() for p in self.problems if not p.is_error],
        }


@dataclass
class BuildReport:
    records: list[RecordReport] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # not tied to one record
    removed: list[str] = field(default_factory=list)  # outputs pruned
    orphaned: list[str] = field(default_factory=list)  # outputs of removed records, kept
    elapsed: float = 0.0
    interrupted: bool = False
    stopped: Problem | None = None  # why rendering stopped early (the Dask cluster went away)

    def count(self, status: str) -> int:
        return sum(1 for r in self.records if r.status == status)

    @property
    def failed(self) -> bool:
        return (self.count(FAILED) > 0 or any(p.is_error for p in self.problems)
                or self.stopped is not None)

    @property
    def notes(self) -> list[str]:
        """Lines worth saying besides the summary: outputs rebuilt because an option differs."""
        changes = Counter(r.options_changed for r in self.records
                          if r.options_changed and r.status == BUILT)
        return [f"{count} notice{'s' if count != 1 else ''} rebuilt as {new} (they were "
                f"{old})" for (old, new), count in sorted(changes.items())]

    def summary(self) -> str:
        parts = [f"built {self.count(BUILT)}", f"up to date {self.count(UP_TO_DATE)}",
                 f"failed {self.count(FAILED)}"]
        kept = sum(1 for r in self.records if r.kept_outputs)
        if kept:
            parts.append(f"kept {kept} edited")
        stale = sum(1 for r in self.records if r.stale_outputs)
        if stale:
            parts.append(f"stale {stale}")
        if self.removed:
            parts.append(f"removed {len(self.removed)}")
        if self.orphaned:
            parts.append(f"orphaned {len(self.orphaned)}")
        return ", ".join(parts) + f" in {self.elapsed:.1f} s"

    def error_lines(self) -> list[str]:
        """Every error of the run, one line each (``output/build-errors.log``)."""
        lines = [p.format() for p in self.problems if p.is_error]
        if self.stopped is not None:
            lines.append(self.stopped.format())
        for record in self.records:
            if record.status == FAILED:
                lines += [p.format() for p in record.problems if p.is_error]
        return lines

    def as_json(self) -> dict:
        return {
            "summary": self.summary(),
            # "kept": records with an output edited by hand and left alone, as in summary().
            "counts": {BUILT: self.count(BUILT), UP_TO_DATE: self.count(UP_TO_DATE),
                       FAILED: self.count(FAILED),
                       KEPT: sum(1 for r in self.records if r.kept_outputs)},
            "records": [r.as_json() for r in self.records],
            "problems": [p.format() for p in self.problems],
            "notes": self.notes,
            "removed": [f"output/{o}" for o in self.removed],
            "orphaned": [f"output/{o}" for o in self.orphaned],
            "interrupted": self.interrupted,
            "stopped": self.stopped.format() if self.stopped else None,
        }
