"""The render task: what a worker is given, what it does, and the typed result it returns.

A task carries its inputs: the record's bytes as the coordinator read and hashed them,
and (where workers have no shared file system) the files the record names. The worker
validates the record, renders the formats asked for and returns their bytes with its
problems and the digests of the named files it used. It writes nothing and computes
no keys: the coordinator does that (:mod:`notices.build.keys`) from exactly these
values, so a record means the same bytes on both sides of the process boundary.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from pathlib import Path

from notices.errors import NoticesError, Problem, Severity
from notices.settings import Settings
from notices.source.reading import DiskFiles, MissingInput, NamedFile, SuppliedFiles
from notices.source.records import RecordLoader
from notices.template_set import TemplateSet


@dataclass(frozen=True)
class RenderTask:
    path: str  # the record, relative to the workspace
    stem: str  # its outputs' path under output/, without suffix
    data: bytes  # the record's bytes as stored
    formats: tuple[str, ...]  # the formats to render (only the stale ones)
    files: dict[str, NamedFile] | None = None  # named files; None: read from the workspace


@dataclass(frozen=True)
class TaskResult:
    path: str
    kind: str | None = None
    problems: tuple[Problem, ...] = ()
    outputs: dict[str, bytes] = field(default_factory=dict)  # format -> bytes
    named_files: dict[str, str] = field(default_factory=dict)  # path -> digest
    needs: str | None = None  # a named file the task was not given (coordinator adds it)
    paper_number: str | None = None
    # The Anlagen to copy beside the outputs: (output suffix, record file), e.g.
    # ("_anlage-1.pdf", "records/2023/plan.pdf"); the coordinator copies them.
    attachments: tuple[tuple[str, str], ...] = ()

    @property
    def ok(self) -> bool:
        return bool(self.outputs) and not any(p.is_error for p in self.problems)


@dataclass(frozen=True)
class RenderSetup:
    """What every worker needs once: the templates, settings, variant, formats."""

    templates: TemplateSet
    settings: Settings
    variant: str
    formats: tuple[str, ...]
    workspace_root: Path | None = None  # None on a worker without the workspace


class Renderers:
    """What a worker keeps between records: the loader and one renderer per kind/format.

    Built once per worker, so fonts, stylesheets and the parsed Word template are paid
    for once, not once per record.
    """

    def __init__(self, setup: RenderSetup):
        self.setup = setup
        self.loader = RecordLoader(setup.settings, setup.templates.declared_kinds()[0])
        self._renderers: dict[tuple[str, str], object] = {}
        self.ready_report: list[Problem] = []

    def renderer(self, kind: str, fmt: str):
        key = (kind, fmt)
        if key not in self._renderers:
            city = self.setup.settings.city
            templates = self.setup.templates
            if fmt == "pdf":
                from notices.render.pdf import PdfRenderer

                self._renderers[key] = PdfRenderer(templates, kind, variant=self.setup.variant,
                                                   city=city)
            else:
                from notices.render.docx import DocxRenderer

                self._renderers[key] = DocxRenderer(templates.files[f"{kind}.docx"],
                                                    display_name=f"templates/{kind}.docx",
                                                    city=city)
        return self._renderers[key]

    def warm_up(self) -> Renderers:
        """Load every renderer once before the first record (and its limits) arrive.

        Renderers load fonts and Pango starts a thread on first use, which must not count
        against one record's time or memory; what WeasyPrint refused in a stylesheet (as
        a warning) travels back with the worker's "ready".
        """
        from notices.render.templating import probe_notice

        # One kind is enough to start Pango and the fonts; the others' renderers are made
        # when their first record arrives (a few ms each, far below any limit).
        kinds, _ = self.setup.templates.declared_kinds()
        if kinds:
            name = "mitteilung" if "mitteilung" in kinds else sorted(kinds)[0]
            probe = probe_notice(kind=kinds[name])
            for fmt in self.setup.formats:
                self.renderer(name, fmt).render(probe)
        self.ready_report = [problem for name in sorted(kinds) if "pdf" in self.setup.formats
                             for problem in self.renderer(name, "pdf").setup_problems
                             if not problem.is_error]
        # Layout allocates many short-lived objects; with the default thresholds the
        # cyclic collector runs thousands of times per document (about 5 %, profiled).
        gc.collect()
        gc.freeze()
        gc.set_threshold(50_000, 20, 100)
        return self

    def run(self, task: RenderTask) -> TaskResult:
        """Load, check and render one record; never raises for a bad record."""
        from notices.check.content import content_problems

        if task.files is not None:
            files = SuppliedFiles(task.files)
        else:
            files = DiskFiles(self.setup.workspace_root)
        try:
            loaded = self.loader.load(task.path, task.stem, task.data, files)
        except MissingInput as need:
            return TaskResult(task.path, needs=need.path)
        notice = loaded.notice
        problems = list(loaded.problems)
        if not loaded.ok:
            return TaskResult(task.path, None, tuple(problems), {}, loaded.named_files)
        problems += content_problems(self.setup.templates, notice)
        outputs: dict[str, bytes] = {}
        for fmt in task.formats:
            renderer = self.renderer(notice.kind, fmt)
            broken = [p for p in getattr(renderer, "setup_problems", ()) if p.is_error]
            if broken:
                # A PDF without its stylesheet's import or fonts is not the document the
                # template describes: fail, so that no such output is recorded as current.
                problems += broken + [Problem(task.path, "not rendered: its template's "
                                              f"stylesheet (templates/{notice.kind}.css) has "
                                              "errors, see above")]
                return TaskResult(task.path, notice.kind, tuple(problems), {},
                                  loaded.named_files)
            try:
                outputs[fmt] = renderer.render(notice)
                problems += [Problem(task.path, f"the PDF renderer says: {message}",
                                     severity=Severity.WARNING)
                             for message in getattr(renderer, "messages", ())]
            except NoticesError as error:
                problems += error.problems
                return TaskResult(task.path, notice.kind, tuple(problems), {},
                                  loaded.named_files)
            except OSError as error:  # a full disk or a file-size limit hits temporary files
                problems.append(Problem(task.path, f"rendering the {fmt.upper()} failed: cannot "
                                        f"write a temporary file: {error.strerror or error} "
                                        "(is the disk full?)"))
                return TaskResult(task.path, notice.kind, tuple(problems), {},
                                  loaded.named_files)
        return TaskResult(task.path, notice.kind, tuple(problems), outputs, loaded.named_files,
                          paper_number=notice.paper_number,
                          attachments=tuple((a.output_suffix, a.path)
                                            for a in notice.attachments))


def start_worker(setup: RenderSetup) -> Renderers:
    """The worker pool's initializer: a warmed-up :class:`Renderers`."""
    return Renderers(setup).warm_up()


def run_task(renderers: Renderers, task: RenderTask) -> TaskResult:
    return renderers.run(task)
