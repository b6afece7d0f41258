"""Build the outputs of a workspace: find what is stale, render it, write it, remember it.

Stages, in order (one :class:`BuildRun` per run): read the templates once and check
them (a broken template stops the build before any record is rendered); find the
records and read their bytes; decide per output whether it is current (its key, see
:mod:`notices.build.keys`); render the stale records in worker processes; hand every
output to the one output policy (:mod:`notices.build.outputs`), which writes it
atomically and only then records it. A record that fails keeps its previous outputs.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from notices.build.attachments import (
    attachment_outputs, copy_attachments, remove_dropped, stale_attachments)
from notices.build.keys import output_key, record_sources
from notices.build.options import BuildOptions, variant_label
from notices.build.outputs import OutputFolder, Status
from notices.build.state import RecordDeps
from notices.build.report import BUILT, FAILED, KEPT, UP_TO_DATE, BuildReport, RecordReport
from notices.build.task import RenderSetup, RenderTask, TaskResult, run_task, start_worker
from notices.template_set import TemplateSet
from notices.errors import ClusterLost, Problem, Severity, TemplateError
from notices.source.discovery import FoundRecord, discover_records
from notices.source.paper import duplicate_paper_numbers
from notices.source.reading import Unreadable, named_file_digest
from notices.source.records import read_record
from notices.workspace import Workspace

log = logging.getLogger(__name__)

WORKER_MAX_RECORDS = 100  # a worker is replaced after this many records (flat memory)


def build(workspace: Workspace, paths: list[Path] | None = None, *,
          options: BuildOptions = BuildOptions(),
          on_start: Callable[[int, int], None] | None = None,
          on_record: Callable[[RecordReport], None] | None = None) -> BuildReport:
    """Render the records under ``paths`` (default: all of ``records/``) into ``output/``.

    ``on_start(total, stale)`` is called once the stale records are known and
    ``on_record(report)`` after each record, for progress display. Raises
    :class:`TemplateError` when a template is broken (nothing is rendered then) and
    :class:`BuildLockedError` when another build holds the output folder.
    """
    with OutputFolder(workspace.output_dir) as folder:
        run = BuildRun(workspace, options, folder, on_start=on_start, on_record=on_record)
        report = run.run(paths)
        report.problems[:0] = folder.problems
        return report


@dataclass
class _Plan:
    """One record on its way through the run."""

    found: FoundRecord
    data: bytes
    sha256: str
    formats: tuple[str, ...]  # the stale ones, to render
    report: RecordReport


class BuildRun:
    """One build: what is fixed for the run (workspace, options, folder, templates) in one place."""

    def __init__(self, workspace: Workspace, options: BuildOptions, folder: OutputFolder, *,
                 templates: TemplateSet | None = None,
                 on_start: Callable[[int, int], None] | None = None,
                 on_record: Callable[[RecordReport], None] | None = None):
        from notices.render import runtime

        if options.dask:
            from notices.build.dask_cluster import require_dask

            require_dask()  # before anything is read: one line with the install command
        runtime.prepare()
        self.workspace = workspace
        self.settings = workspace.settings
        self.options = options
        self.folder = folder
        self.variant = options.pdf_variant or self.settings.pdf_variant
        self.templates = templates or TemplateSet.read(workspace.templates_dir)
        self.on_start = on_start
        self.on_record = on_record
        self.report = BuildReport()

    # -- keys -------------------------------------------------------------------------

    def key(self, fmt: str, kind: str, record_sha256: str, named_files: dict[str, str]) -> str:
        """The key of a paper's output in format ``fmt``: the build's definition of changed."""
        return output_key(fmt=fmt, options=variant_label(fmt, self.variant),
                          templates=self.templates.digest_for(kind, fmt),
                          settings=self.settings.source_hash,
                          sources=record_sources(record_sha256, named_files))

    # -- the run ----------------------------------------------------------------------

    def run(self, paths: list[Path] | None = None, *, across: bool = True) -> BuildReport:
        """Build; ``across`` also checks the rules that span records (a session command
        checks its own meeting's instead)."""
        started = time.monotonic()
        try:
            self._run(paths, across)
        finally:
            self.report.elapsed = time.monotonic() - started
        return self.report

    def _run(self, paths: list[Path] | None, across: bool) -> None:
        from notices.check.templates import check_templates

        report = self.report
        report.problems.extend(self.templates.problems)
        # The templates' check depends on their bytes, the settings and the version only:
        # a set that passed once is not filled with probes again on every build.
        checked = output_key(fmt="check", options=",".join(self.options.formats),
                             templates=self.templates.digest, settings=self.settings.source_hash,
                             sources={})
        if not self.folder.state.was_checked(checked):
            problems = check_templates(self.templates, self.options.formats,
                                       city=self.settings.city)
            if problems:
                raise TemplateError(problems)
            self.folder.state.mark_checked(checked)
        discovery = discover_records(self.workspace.root, paths)
        report.problems.extend(discovery.problems)
        stale: list[_Plan] = []
        for found in discovery.records:
            if found.path in discovery.clashes:
                self._finish(RecordReport(found.path, FAILED, problems=[
                    Problem(found.path, discovery.clashes[found.path])],
                    stale_outputs=self.folder.recorded_for(found.path)))
                continue
            plan = self._plan(found)
            if plan is not None:
                stale.append(plan)
        if self.on_start:
            self.on_start(len(discovery.records), len(stale))
        if stale:
            self._render(stale)
        if across and not report.interrupted and not report.stopped:
            self.check_across_records({found.path for found in discover_records(
                self.workspace.root).records} if paths else
                {found.path for found in discovery.records})
        if paths is None and not report.interrupted and not report.stopped:
            present = {found.path for found in discovery.records}
            removed, orphaned, problems = self.folder.handle_removed(
                present, prune=self.options.prune)
            report.removed += removed
            report.orphaned += orphaned
            report.problems += problems
        problem = self.folder.write_error_log(report.error_lines())
        if problem:
            report.problems.append(problem)

    def _finish(self, record: RecordReport) -> None:
        self.report.records.append(record)
        if self.on_record:
            self.on_record(record)

    def _plan(self, found: FoundRecord) -> _Plan | None:
        """Read a record and decide which of its outputs to render; None if none."""
        import hashlib

        try:
            data = read_record(self.workspace.root, found,
                               self.settings.limits.max_record_bytes)
        except Unreadable as why:
            self._finish(RecordReport(found.path, FAILED, problems=[Problem(found.path,
                                                                            str(why))],
                                      stale_outputs=self.folder.recorded_for(found.path)))
            return None
        sha256 = hashlib.sha256(data).hexdigest()
        record = RecordReport(found.path, UP_TO_DATE)
        plan = _Plan(found, data, sha256, self.options.formats, record)
        deps = self.folder.state.deps.get(found.path)
        if self.options.force or deps is None or deps.kind not in self.templates.kinds:
            return plan
        named = {path: named_file_digest(self.workspace.root, path).digest
                 for path in deps.files}
        stale, current = [], []
        for fmt in self.options.formats:
            relative = f"{found.stem}.{fmt}"
            key = self.key(fmt, deps.kind, sha256, named)
            verdict = self.folder.verdict(relative, key)
            if verdict.status is Status.CURRENT:
                current.append(relative)
            elif verdict.status is Status.EDITED:
                # Its inputs may be unchanged, but the file is not what was written.
                record.kept_outputs.append(relative)
                record.problems.append(Problem(
                    f"output/{relative}", f"{verdict.reason}; kept it (use --force to "
                    "overwrite it)", severity=Severity.WARNING))
            elif verdict.status is Status.BLOCKED:
                record.problems.append(Problem(f"output/{relative}", verdict.reason))
                record.status = FAILED
            else:
                stale.append(fmt)
                option = variant_label(fmt, self.variant)
                if verdict.previous_options and verdict.previous_options != option:
                    record.options_changed = (verdict.previous_options, option)
        if record.status == FAILED or not stale:
            if record.status != FAILED and record.kept_outputs:
                record.status = KEPT
            record.outputs = current  # what is there; a built record lists what it wrote
            copies = stale_attachments(self.workspace.root, self.folder, deps.attachments)
            if copies and record.status != FAILED:
                self._copy(record, copies)
            self._finish(record)
            return None
        return _Plan(found, data, sha256, tuple(stale), record)

    # -- rendering --------------------------------------------------------------------

    def _render(self, stale: list[_Plan]) -> None:
        from notices.build.workers import TaskFailure

        by_path = {plan.found.path: plan for plan in stale}
        pool = self._make_pool(len(stale))
        # Workers elsewhere (--dask) have no workspace: a task carries the files its
        # record named last time, and asks for any other it turns out to need.
        supplied = self.options.dask is not None
        tasks: Iterable[RenderTask] = (self._task(plan, supplied) for plan in stale)
        try:
            while True:
                again = []  # tasks that named a file they were not given: add it, resend
                for task, outcome in pool.map_unordered(tasks):
                    plan = by_path[task.path]
                    if isinstance(outcome, TaskResult) and outcome.needs:
                        retry = self._with_file(task, outcome.needs)
                        if retry is not None:
                            again.append(retry)
                            continue
                        outcome = TaskFailure(task, f"the renderer asked again for "
                                              f"{outcome.needs}, which it was given")
                    if isinstance(outcome, TaskFailure):
                        log.debug("worker failure for %s: %s", plan.found.path,
                                  outcome.reason)
                        plan.report.problems.append(Problem(
                            plan.found.path, f"rendering failed: {outcome.reason}"))
                        plan.report.status = FAILED
                    else:
                        self._store(plan, outcome)
                    if plan.report.status == FAILED:
                        plan.report.stale_outputs = self.folder.recorded_for(plan.found.path)
                    self._finish(plan.report)
                if not again:
                    break
                tasks = again
            pool.close()
        except KeyboardInterrupt:
            pool.terminate()
            self.report.interrupted = True
        except ClusterLost as lost:
            # Everything stored so far is written and recorded; the rest stays stale
            # for the next build, as after Ctrl-C.
            pool.terminate()
            self.report.stopped = lost.problems[0]
        except BaseException:
            pool.terminate()
            raise
        for problems in pool.ready_reports:
            self.report.problems.extend(p for p in problems or ()
                                        if p not in self.report.problems)

    def _make_pool(self, count: int):
        """The pool that renders: worker processes here (--jobs), or a Dask cluster (--dask)."""
        from notices.build.workers import WorkerPool

        setup = RenderSetup(self.templates, self.settings, self.variant, self.options.formats,
                            None if self.options.dask else self.workspace.root)
        limits = self.settings.limits
        jobs = max(1, min(self.options.jobs or os.cpu_count() or 1, count))
        if self.options.dask:
            from notices.build.dask_pool import DaskPool

            return DaskPool(self.options.dask, run_task, initializer=start_worker,
                            initargs=(setup,), digest=self._setup_digest(), workers=jobs,
                            timeout=limits.render_timeout_seconds,
                            memory_mb=limits.render_memory_mb, max_tasks=WORKER_MAX_RECORDS)
        # Imported here, the renderers' modules are shared by every forked worker
        # instead of being imported again by each.
        import notices.render.docx  # noqa: F401
        import notices.render.pdf  # noqa: F401

        return WorkerPool(jobs, run_task, initializer=start_worker,
                          initargs=(setup,), timeout=limits.render_timeout_seconds,
                          memory_mb=limits.render_memory_mb, max_tasks=WORKER_MAX_RECORDS)

    def _setup_digest(self) -> str:
        """What a worker's set-up is made of: the template set, the settings, the options."""
        import hashlib

        parts = (self.templates.digest, self.settings.source_hash, self.variant,
                 ",".join(self.options.formats))
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()

    def _task(self, plan: _Plan, supplied: bool) -> RenderTask:
        files = None
        if supplied:
            deps = self.folder.state.deps.get(plan.found.path)
            files = {path: named_file_digest(self.workspace.root, path)
                     for path in (deps.files if deps else ())}
        return RenderTask(plan.found.path, plan.found.stem, plan.data, plan.formats, files)

    def _with_file(self, task: RenderTask, path: str) -> RenderTask | None:
        """``task`` again with the named file ``path`` added; None if it had it already."""
        if task.files is None or path in task.files:
            return None
        files = {**task.files, path: named_file_digest(self.workspace.root, path)}
        return RenderTask(task.path, task.stem, task.data, task.formats, files)

    def _store(self, plan: _Plan, outcome: TaskResult) -> None:
        """Hand a rendered record's outputs to the output policy, and report what happened."""
        record = plan.report
        record.problems.extend(outcome.problems)
        if not outcome.ok:
            if not record.problems:
                record.problems.append(Problem(plan.found.path, "rendering produced no output"))
            record.status = FAILED
            return
        record.status = BUILT
        wrote = False
        for fmt in plan.formats:
            relative = f"{plan.found.stem}.{fmt}"
            stored = self.folder.store(
                relative, outcome.outputs[fmt], record=plan.found.path,
                key=self.key(fmt, outcome.kind, plan.sha256, outcome.named_files),
                options=variant_label(fmt, self.variant),
                template_hash=self.templates.digest_for(outcome.kind, fmt),
                force=self.options.force)
            if stored.problem:
                record.problems.append(stored.problem)
            if stored.failed:
                record.status = FAILED
            elif stored.written:
                record.outputs.append(relative)
                wrote = True
            else:
                record.kept_outputs.append(relative)
        if record.status != FAILED and not wrote and record.kept_outputs:
            record.status = KEPT  # nothing new written: every output was edited by hand
        if record.status == FAILED:
            return
        copies = attachment_outputs(plan.found.stem, outcome.attachments)
        self._copy(record, copies)
        record.problems += remove_dropped(self.folder, plan.found.path, plan.found.stem, copies)
        problem = self.folder.record_deps(plan.found.path, RecordDeps(
            outcome.kind, list(outcome.named_files), copies, outcome.summary))
        if problem:
            record.status = FAILED
            record.problems.append(problem)

    def _copy(self, record: RecordReport, copies: dict[str, str]) -> None:
        written, kept, problems = copy_attachments(self.workspace.root, self.folder,
                                                   record.path, copies,
                                                   force=self.options.force)
        record.outputs += written
        record.kept_outputs += kept
        record.problems += problems
        if any(p.is_error for p in problems):
            record.status = FAILED
        elif written and record.status == UP_TO_DATE:
            record.status = BUILT

    def check_across_records(self, present: set[str]) -> None:
        """Paper numbers used twice, and the agendas of the session records.

        From what the state knows of each present record (as last built), so that no
        record is read again for rules that span records. A record the state knows
        nothing of (never built: a build of a few paths in a new workspace, the preview
        of ``serve``) is read here, or an agenda would name papers "that do not exist".
        """
        from notices.packets.agenda import check_meetings
        from notices.source.meeting import load_meetings
        from notices.source.records import RecordLoader, load_records

        summaries = [deps.summary for record, deps in sorted(self.folder.state.deps.items())
                     if record in present and deps.summary is not None]
        unknown = sorted(present - {summary.path for summary in summaries})
        if unknown:
            loader = RecordLoader(self.settings, self.templates.declared_kinds()[0])
            results, _ = load_records(self.workspace.root, loader,
                                      [self.workspace.root / path for path in unknown])
            summaries += [r.notice.summary() for r in results if r.ok]
        self.report.problems += duplicate_paper_numbers(
            (summary.path, summary.paper_number) for summary in summaries)
        meetings = load_meetings(self.workspace)
        for result in meetings:
            self.report.problems += result.problems
        self.report.problems += check_meetings(
            [m.meeting for m in meetings if m.ok], summaries)[1]
