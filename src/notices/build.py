"""Build the outputs of a workspace: find what is stale, render it, write it, remember it.

Stages, in order: take the output folder's lock; check every template once (a broken
template stops the build before any record is rendered); find the records and hash
them; decide per output whether it is up to date (content hashes, not mtimes); render
the stale records in worker processes; write each output atomically and only then
record it in the build state. A record that fails keeps its previous outputs.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable

from notices import __version__
from notices.config import Workspace
from notices.errors import BuildLockedError, NoticesError, Problem, Severity, TemplateError
from notices.records import discover_records, output_clash, output_stem_for
from notices.state import STATE_NAME, BuildState, OutputEntry
from notices.writer import OutputWriter

log = logging.getLogger(__name__)

FORMATS = ("docx", "pdf")
LOCK_NAME = ".notices.lock"
SESSION_PREFIX = "session:"  # the "record" of a session packet in the build state
ERRORS_LOG = "build-errors.log"
WORKER_MAX_RECORDS = 100  # a worker is replaced after this many records (flat memory)


@dataclass(frozen=True)
class BuildOptions:
    formats: tuple[str, ...] = FORMATS
    force: bool = False
    prune: bool = False
    jobs: int | None = None  # default: the number of CPUs
    pdf_variant: str | None = None  # default: notices.toml's [pdf] variant


# statuses of a record in a report
BUILT, UP_TO_DATE, FAILED, KEPT = "built", "up to date", "failed", "kept"


@dataclass
class RecordReport:
    path: str
    status: str
    outputs: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    stale_outputs: list[str] = field(default_factory=list)  # old outputs kept after a failure
    kept_outputs: list[str] = field(default_factory=list)  # edited by hand, left alone

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

    def count(self, status: str) -> int:
        return sum(1 for r in self.records if r.status == status)

    @property
    def failed(self) -> bool:
        return self.count(FAILED) > 0 or any(p.is_error for p in self.problems)

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

    def as_json(self) -> dict:
        return {
            "summary": self.summary(),
            # "kept": records with an output edited by hand and left alone, as in summary().
            "counts": {BUILT: self.count(BUILT), UP_TO_DATE: self.count(UP_TO_DATE),
                       FAILED: self.count(FAILED),
                       KEPT: sum(1 for r in self.records if r.kept_outputs)},
            "records": [r.as_json() for r in self.records],
            "problems": [p.format() for p in self.problems],
            "removed": [f"output/{o}" for o in self.removed],
            "orphaned": [f"output/{o}" for o in self.orphaned],
            "interrupted": self.interrupted,
        }


# --- hashing --------------------------------------------------------------------------


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


PACKET_TEMPLATE = "sitzungsmappe"  # the cover sheet of session packets, not a kind


def template_kinds(workspace: Workspace) -> set[str]:
    """The kinds of paper the templates folder has templates for (``mitteilung``, …)."""
    return {p.stem for p in workspace.templates_dir.glob("*.html")
            if not p.name.startswith(("_", ".")) and p.stem != PACKET_TEMPLATE}


def template_hashes(workspace: Workspace, kinds: set[str]) -> dict[str, str]:
    """Per kind (and for the packet cover), a hash of every template file it may use.

    A kind uses its own ``<kind>.*`` files and everything shared (fonts, partials), but
    not another kind's files: changing ``beschlussvorlage.docx`` rebuilds nothing else.
    """
    kinds = set(kinds) | {PACKET_TEMPLATE}
    files: dict[str, str] = {}
    root = workspace.templates_dir
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            files[path.relative_to(root).as_posix()] = file_sha256(path)
    hashes = {}
    for kind in kinds:
        digest = hashlib.sha256()
        for name, sha in sorted(files.items()):
            stem = name.split("/", 1)[0].split(".", 1)[0]
            if "/" not in name and stem in kinds and stem != kind:
                continue
            digest.update(f"{name}\0{sha}\n".encode())
        hashes[kind] = digest.hexdigest()
    return hashes


def input_hash(*, record_sha: str, template_hash: str, deps: list[tuple[str, str]],
               config_hash: str, fmt: str, pdf_variant: str) -> str:
    """Everything an output depends on, as one hash: the build's definition of 'changed'."""
    digest = hashlib.sha256()
    parts = [__version__, record_sha, template_hash, config_hash, fmt,
             pdf_variant if fmt == "pdf" else ""]
    parts += [f"{path}={sha}" for path, sha in sorted(deps)]
    digest.update("\n".join(parts).encode())
    return digest.hexdigest()


# --- the lock ------------------------------------------------------------------------


_HELD_LOCKS: list = []


def _close_inherited_locks() -> None:
    # A forked worker must not keep the lock alive after its parent died (kill -9).
    for handle in _HELD_LOCKS:
        try:
            handle.close()
        except OSError:
            pass
    _HELD_LOCKS.clear()


os.register_at_fork(after_in_child=_close_inherited_locks)


class OutputLock:
    """An exclusive lock on an output folder, so two builds never write into one."""

    def __init__(self, output_dir: Path):
        if output_dir.exists() and not output_dir.is_dir():
            raise NoticesError(Problem("output", "is a file, not a folder; move it away so "
                                       "that notices can write its outputs there"))
        try:
            output_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise NoticesError(Problem("output", f"cannot be created: {error.strerror}")
                               ) from None
        self.path = output_dir / LOCK_NAME
        self._handle = open(self.path, "a+")
        try:
            fcntl.flock(self._handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._handle.close()
            raise BuildLockedError(Problem(
                "output", "another build is running on this output folder; wait for it to "
                "finish")) from None
        _HELD_LOCKS.append(self._handle)

    def release(self) -> None:
        if self._handle in _HELD_LOCKS:
            _HELD_LOCKS.remove(self._handle)
        fcntl.flock(self._handle, fcntl.LOCK_UN)
        self._handle.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()


# --- rendering in a worker ------------------------------------------------------------


class RenderSession:
    """What a worker keeps between records: the workspace and one renderer per kind/format.

    Built once per worker, so fonts, stylesheets and the parsed Word template are paid
    for once, not once per record.
    """

    def __init__(self, workspace: Workspace, formats: tuple[str, ...], pdf_variant: str,
                 kinds: set[str], template_hashes: dict[str, str]):
        self.workspace = workspace
        self.formats = formats
        self.pdf_variant = pdf_variant
        self.kinds = kinds
        self.template_hashes = template_hashes
        self._renderers: dict[tuple[str, str], object] = {}

    def renderer(self, kind: str, fmt: str):
        key = (kind, fmt)
        if key not in self._renderers:
            if fmt == "pdf":
                from notices.render_pdf import PdfRenderer

                self._renderers[key] = PdfRenderer(
                    self.workspace.templates_dir, kind, variant=self.pdf_variant)
            else:
                from notices.render_docx import DocxRenderer

                self._renderers[key] = DocxRenderer(
                    self.workspace.templates_dir / f"{kind}.docx",
                    display_name=f"templates/{kind}.docx")
        return self._renderers[key]

    def render_record(self, source: str) -> dict:
        """Load, check and render one record; the result travels back to the parent."""
        from notices.records import load_record

        workspace = self.workspace
        result = load_record(workspace, Path(source), known_kinds=self.kinds)
        outcome = {"path": result.path, "problems": result.problems, "outputs": {},
                   "kind": None, "deps": [], "hashes": {}}
        notice = result.notice
        if not result.ok:
            return outcome
        outcome["problems"] = (result.problems + font_problems(workspace, notice)
                               + table_problems(notice))
        deps = []
        for image in notice.facts.images:
            deps.append((workspace.relative(image.path), file_sha256(image.path)))
        outcome["kind"], outcome["deps"] = notice.kind, deps
        for fmt in self.formats:
            renderer = self.renderer(notice.kind, fmt)
            broken = [p for p in getattr(renderer, "setup_problems", ()) if p.is_error]
            if broken:
                # A PDF without its stylesheet's import or fonts is not the document the
                # template describes: fail, so that no such output is recorded as current.
                outcome["problems"] = outcome["problems"] + broken + [Problem(
                    result.path, "not rendered: its template's stylesheet "
                    f"(templates/{notice.kind}.css) has errors, see above")]
                outcome["outputs"] = {}
                return outcome
            try:
                data = renderer.render(notice, city=workspace.config.city)
            except NoticesError as error:
                outcome["problems"] = outcome["problems"] + error.problems
                outcome["outputs"] = {}
                return outcome
            except OSError as error:  # a full disk or a file-size limit hits temporary files
                outcome["problems"] = outcome["problems"] + [Problem(
                    result.path, f"rendering the {fmt.upper()} failed: cannot write a "
                    f"temporary file: {error.strerror or error} (is the disk full?)")]
                outcome["outputs"] = {}
                return outcome
            outcome["outputs"][fmt] = data
            outcome["hashes"][fmt] = input_hash(
                record_sha=notice.source_sha256, template_hash=self.template_hashes[notice.kind],
                deps=deps, config_hash=workspace.config.source_hash, fmt=fmt,
                pdf_variant=self.pdf_variant)
        return outcome


def table_problems(notice) -> list[Problem]:
    """Warn about tables whose longest words cannot stand side by side on the page."""
    from notices.content import plain_text, tables
    from notices.table_layout import words_fit

    problems = []
    for number, table in enumerate(tables(notice.facts.blocks), start=1):
        if not words_fit(table):
            heads = [plain_text(cell.children) for cell in table.header]
            shown = ", ".join(heads[:4]) + (", …" if len(heads) > 4 else "")
            problems.append(Problem(
                notice.path, f"table {number} ({len(heads)} columns: {shown}) is too wide for "
                "the page: its longest words do not fit side by side and are broken inside "
                "their cells; fewer or narrower columns avoid that", field="facts",
                severity=Severity.WARNING))
    return problems


def font_problems(workspace: Workspace, notice) -> list[Problem]:
    """Warn about characters that no bundled font can draw, naming field and characters."""
    from notices.content import document_text
    from notices.fonts import covered_characters, missing_characters

    covered = covered_characters(workspace.templates_dir / "fonts")
    fields = {
        "file_number": notice.file_number, "contact.name": notice.contact.name,
        "contact.phone": notice.contact.phone, "session.committee": notice.session.committee,
        "session.agenda_item": notice.session.agenda_item or "", "subject": notice.subject,
        "facts": document_text(notice.facts), "signatory": notice.signatory,
    }
    problems = []
    for name, text in fields.items():
        missing = missing_characters(text, covered)
        if missing:
            shown = " ".join(f"{c} (U+{ord(c):04X})" for c in missing[:8])
            problems.append(Problem(
                notice.path, f"no bundled font has these characters, they would print as "
                f"empty boxes: {shown}; add a font that has them to templates/fonts/",
                field=name, severity=Severity.WARNING))
    return problems


def _init_worker(session: RenderSession) -> RenderSession:
    import gc

    from notices.templating import probe_notice

    # Warm up before the per-record memory limit applies: renderers load fonts and Pango
    # starts a thread on first use, which must not count against one record's budget.
    probe = probe_notice()
    for kind in sorted(session.kinds):
        for fmt in session.formats:
            session.renderer(kind, fmt).render(probe, city=session.workspace.config.city)

    # What WeasyPrint refused in the stylesheets travels back with the worker's "ready".
    # (Its errors fail each record instead, so that they are reported until fixed.)
    session.ready_report = [problem for (kind, fmt), renderer in
                            sorted(session._renderers.items()) if fmt == "pdf"
                            for problem in renderer.setup_problems if not problem.is_error]

    # Layout allocates many short-lived objects; with the default thresholds the cyclic
    # collector runs thousands of times per document (about 5 % of the time, profiled).
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    return session


def _run_task(session: RenderSession, source: str) -> dict:
    return session.render_record(source)


# --- template checks -------------------------------------------------------------------


def check_templates(workspace: Workspace, kinds: set[str], formats: tuple[str, ...]
                    ) -> list[Problem]:
    """Compile every template and render it with a probe notice; return the problems.

    Runs before any record is rendered, so a template error is reported once, with the
    template's name and line, and leaves no half-written output.
    """
    from notices.templating import probe_notice

    problems: list[Problem] = []
    if not kinds:
        return [Problem("templates", "no templates found (expected e.g. "
                        "templates/mitteilung.html and templates/mitteilung.docx)")]
    for kind in sorted(kinds):
        for fmt in formats:
            try:
                for public in (True, False):
                    probe = probe_notice(public=public)
                    if fmt == "pdf":
                        text = _check_html(workspace, kind, probe)
                        shown = f"templates/{kind}.html"
                    else:
                        from notices.render_docx import DocxRenderer

                        path = workspace.templates_dir / f"{kind}.docx"
                        if not path.is_file():
                            raise TemplateError(Problem(
                                f"templates/{kind}.docx", "missing (every kind needs a Word "
                                f"template beside templates/{kind}.html)"))
                        shown = f"templates/{kind}.docx"
                        text = DocxRenderer(path, display_name=shown).check(
                            probe, city=workspace.config.city)
                    problems.extend(p for p in _missing_fields(shown, text, probe)
                                    if p not in problems)
            except NoticesError as error:
                problems.extend(p for p in error.problems if p not in problems)
    return problems


# What every notice must show: without them a template would turn out documents that
# silently lack their substance (a deleted {{ facts }}, an unterminated tag swallowing
# the file line). Other fields may be left out on purpose.
ESSENTIAL_FIELDS = {"facts": "Absatz mit", "subject": None, "file_number": None}


def _missing_fields(shown: str, text: str, probe) -> list[Problem]:
    """Problems for the essential fields whose probe values the rendered text lacks."""
    problems = []
    flat = " ".join(text.split()).casefold()  # {{ notice.subject|upper }} shows it too
    for name, sample in ESSENTIAL_FIELDS.items():
        if " ".join((sample or getattr(probe, name)).split()).casefold() in flat:
            continue
        if name == "facts":
            tag = "{{ facts }}" if shown.endswith(".html") else "{{p facts }}"
        else:
            tag = f"{{{{ notice.{name} }}}}"
        problems.append(Problem(shown, f"never shows the {name} of a notice (expected {tag} "
                                "in it; a tag left unclosed can swallow it too)"))
    return problems


def fill_html_template(workspace: Workspace, name: str, context: dict) -> str:
    """Fill ``templates/NAME`` without WeasyPrint; :class:`TemplateError` names its line."""
    import jinja2

    from notices.templating import compile_template, make_environment, render_template

    env = make_environment(jinja2.FileSystemLoader(str(workspace.templates_dir)))
    shown = f"templates/{name}"
    return render_template(compile_template(env, name, shown=shown), context, shown=shown)


def _check_html(workspace: Workspace, kind: str, probe) -> str:
    from notices.render_html import facts_to_html
    from notices.templating import template_context

    html = fill_html_template(workspace, f"{kind}.html", template_context(
        probe, city=workspace.config.city, facts=facts_to_html(probe.facts)))
    # The text a reader sees: the body only (not <title> or <meta>), entities resolved.
    import lxml.html

    try:
        root = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return ""
    body = root.find("body")
    return " ".join((body if body is not None else root).itertext())


# --- the build -----------------------------------------------------------------------


@dataclass
class _Candidate:
    source: Path
    path: str  # workspace-relative
    stem: str
    record_sha: str = ""


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
    with OutputLock(workspace.output_dir):
        return build_locked(workspace, paths, options=options, on_start=on_start,
                            on_record=on_record)


def build_locked(workspace: Workspace, paths: list[Path] | None = None, *,
                 options: BuildOptions = BuildOptions(),
                 on_start: Callable[[int, int], None] | None = None,
                 on_record: Callable[[RecordReport], None] | None = None) -> BuildReport:
    """:func:`build` for a caller that already holds the output folder's lock."""
    started = time.monotonic()
    report = BuildReport()
    variant = options.pdf_variant or workspace.config.pdf_variant
    kinds = template_kinds(workspace)
    template_problems = check_templates(workspace, kinds, options.formats)
    if template_problems:
        raise TemplateError(template_problems)
    try:
        state = BuildState(workspace.output_dir)
    except sqlite3.Error as error:
        raise NoticesError(Problem(f"output/{STATE_NAME}", f"cannot be opened: {error}")
                           ) from None
    try:
        if state.warning:
            report.problems.append(Problem("output", state.warning, severity=Severity.WARNING))
        _build_with_state(workspace, paths, options, variant, kinds, state, report,
                          on_start, on_record)
    finally:
        state.close()
        report.elapsed = time.monotonic() - started
    return report


def _build_with_state(workspace, paths, options, variant, kinds, state, report,
                      on_start, on_record) -> None:
    files, request_problems = discover_records(workspace, paths)
    report.problems.extend(request_problems)
    hashes = template_hashes(workspace, kinds)
    writer = OutputWriter(workspace.output_dir)
    writer.remove_leftovers()

    candidates = [_Candidate(f, shown, output_stem_for(shown))
                  for f, shown in ((f, workspace.relative(f)) for f in files)]
    by_stem: dict[str, list[_Candidate]] = {}
    for candidate in candidates:
        by_stem.setdefault(candidate.stem.casefold(), []).append(candidate)

    stale: list[_Candidate] = []
    for candidate in candidates:
        group = by_stem[candidate.stem.casefold()]
        if len(group) > 1:
            clash = output_clash(candidate.stem, [(c.path, c.stem) for c in group
                                                  if c is not candidate])
            _finish(report, on_record, RecordReport(candidate.path, FAILED, problems=[
                Problem(candidate.path, clash)],
                stale_outputs=_recorded_outputs(state, candidate.path)))
            continue
        try:
            candidate.record_sha = file_sha256(candidate.source)
        except OSError as error:
            _finish(report, on_record, RecordReport(candidate.path, FAILED, problems=[
                Problem(candidate.path, f"cannot be read: {error.strerror}")]))
            continue
        if options.force or not _up_to_date(workspace, state, candidate, hashes,
                                            options.formats, variant):
            stale.append(candidate)
        else:
            _finish(report, on_record, RecordReport(
                candidate.path, UP_TO_DATE,
                outputs=[f"{candidate.stem}.{fmt}" for fmt in options.formats]))

    if on_start:
        on_start(len(candidates), len(stale))
    if stale:
        _render_stale(workspace, stale, options, variant, kinds, hashes, state, writer,
                      report, on_record)
    if paths is None and not report.interrupted:
        _handle_removed(workspace, state, writer, report, {c.path for c in candidates},
                        prune=options.prune)
    _write_error_log(writer, report)


def _finish(report: BuildReport, on_record, record: RecordReport) -> None:
    report.records.append(record)
    if on_record:
        on_record(record)


def _recorded_outputs(state: BuildState, record_path: str) -> list[str]:
    return sorted(p for p, e in state.outputs.items() if e.record == record_path)


def _unchanged(path: Path, entry: OutputEntry) -> bool:
    """Whether the file on disk still holds the bytes the build wrote (stat, then hash)."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return False
    if stat.st_size == entry.size and stat.st_mtime_ns == entry.mtime_ns:
        return True
    return stat.st_size == entry.size and file_sha256(path) == entry.sha256


def _up_to_date(workspace, state, candidate, hashes, formats, variant) -> bool:
    deps = state.deps.get(candidate.path)
    if deps is None or deps.kind not in hashes:
        return False
    dep_hashes = []
    for dep in deps.files:
        try:
            dep_hashes.append((dep, file_sha256(workspace.root / dep)))
        except OSError:
            return False
    for fmt in formats:
        output = f"{candidate.stem}.{fmt}"
        entry = state.outputs.get(output)
        expected = input_hash(record_sha=candidate.record_sha, template_hash=hashes[deps.kind],
                              deps=dep_hashes, config_hash=workspace.config.source_hash,
                              fmt=fmt, pdf_variant=variant)
        if entry is None or entry.input_hash != expected or entry.record != candidate.path:
            return False
        if not os.path.exists(os.path.join(workspace.output_dir, output)):
            return False
    return True


def _render_stale(workspace, stale, options, variant, kinds, hashes, state, writer, report,
                  on_record) -> None:
    from notices.workers import TaskFailure, WorkerPool

    session = RenderSession(workspace, options.formats, variant, kinds, hashes)
    jobs = max(1, min(options.jobs or os.cpu_count() or 1, len(stale)))
    limits = workspace.config.limits
    by_source = {str(c.source): c for c in stale}
    # Imported here, the renderers' modules are shared by every forked worker instead of
    # being imported again by each.
    import notices.render_docx  # noqa: F401
    import notices.render_pdf  # noqa: F401

    pool = WorkerPool(jobs, _run_task, initializer=_init_worker, initargs=(session,),
                      timeout=limits.render_timeout_seconds, memory_mb=limits.render_memory_mb,
                      max_tasks=WORKER_MAX_RECORDS)
    try:
        for task, outcome in pool.map_unordered(str(c.source) for c in stale):
            candidate = by_source[task]
            if isinstance(outcome, TaskFailure):
                reason = outcome.reason.splitlines()[0] if outcome.reason else "failed"
                log.debug("worker failure for %s: %s", candidate.path, outcome.reason)
                record = RecordReport(candidate.path, FAILED, problems=[
                    Problem(candidate.path, f"rendering failed: {reason}")])
            else:
                record = _store_outcome(workspace, candidate, outcome, options, state, writer,
                                        hashes)
            if record.status == FAILED:
                record.stale_outputs = _recorded_outputs(state, candidate.path)
            _finish(report, on_record, record)
        pool.close()
    except KeyboardInterrupt:
        pool.terminate()
        report.interrupted = True
    except BaseException:
        pool.terminate()
        raise
    for problems in pool.ready_reports:
        report.problems.extend(p for p in problems or () if p not in report.problems)


def _store_outcome(workspace, candidate, outcome, options, state, writer, hashes
                   ) -> RecordReport:
    problems: list[Problem] = list(outcome["problems"])
    if any(p.is_error for p in problems) or not outcome["outputs"]:
        if not problems:
            problems.append(Problem(candidate.path, "rendering produced no output"))
        return RecordReport(candidate.path, FAILED, problems=problems)
    record = RecordReport(candidate.path, BUILT, problems=problems)
    for fmt in options.formats:
        data = outcome["outputs"][fmt]
        relative = f"{candidate.stem}.{fmt}"
        target = workspace.output_dir / relative
        entry = state.outputs.get(relative)
        try:
            if target.exists() and not options.force:
                new_sha = hashlib.sha256(data).hexdigest()
                reason = None
                if entry is not None and not _unchanged(target, entry):
                    reason = "was changed after notices wrote it"
                elif entry is None and file_sha256(target) != new_sha:
                    reason = "exists but was not written by notices"
                if reason:
                    record.kept_outputs.append(relative)
                    record.problems.append(Problem(
                        f"output/{relative}", f"{reason}; kept it (use --force to overwrite "
                        "it)", severity=Severity.WARNING))
                    continue
            written = writer.write(relative, data)
        except OSError as error:
            record.status = FAILED
            record.problems.append(Problem(f"output/{relative}",
                                           f"cannot be written: {error.strerror or error}"))
            continue
        except NoticesError as error:
            record.status = FAILED
            record.problems.extend(error.problems)
            continue
        try:
            state.record_output(OutputEntry(
                relative, candidate.path, outcome["hashes"][fmt], __version__,
                hashes[outcome["kind"]], written.sha256, written.size, written.mtime_ns))
        except sqlite3.Error as error:
            # The file is whole on disk; the next build checks its bytes and adopts it.
            record.status = FAILED
            record.problems.append(Problem(f"output/{relative}", "written, but the build "
                                           f"state could not be updated: {error}"))
            continue
        record.outputs.append(relative)
    if record.status != FAILED and record.kept_outputs and not record.outputs:
        record.status = KEPT  # nothing new written: every output was edited by hand
    if record.status != FAILED:
        try:
            state.record_deps(candidate.path, outcome["kind"],
                              [d for d, _ in outcome["deps"]])
        except sqlite3.Error as error:
            record.status = FAILED
            record.problems.append(Problem(candidate.path, "the build state could not be "
                                           f"updated: {error}"))
    return record


def _handle_removed(workspace, state, writer, report, present: set[str], *, prune: bool):
    orphans = sorted((p, e) for p, e in state.outputs.items()
                     if e.record not in present and not e.record.startswith(SESSION_PREFIX))
    for relative, entry in orphans:
        target = workspace.output_dir / relative
        if not os.path.lexists(target):
            # Record and output are both gone (deleted by hand): nothing left to prune.
            state.forget_output(relative)
            continue
        if not prune:
            report.orphaned.append(relative)
            continue
        if target.exists() and not _unchanged(target, entry):
            report.problems.append(Problem(
                f"output/{relative}", f"belongs to the removed record {entry.record} but was "
                "changed after notices wrote it; kept it", severity=Severity.WARNING))
            report.orphaned.append(relative)
            continue
        writer.remove(relative)
        state.forget_output(relative)
        report.removed.append(relative)
    if prune:
        for record in [r for r in state.deps if r not in present]:
            if not any(e.record == record for e in state.outputs.values()):
                state.forget_record(record)


def _write_error_log(writer: OutputWriter, report: BuildReport) -> None:
    lines = [p.format() for p in report.problems if p.is_error]
    for record in report.records:
        if record.status == FAILED:
            lines += [p.format() for p in record.problems if p.is_error]
    try:
        if lines:
            writer.write_text(ERRORS_LOG, "\n".join(lines) + "\n")
        elif (writer.root / ERRORS_LOG).exists():
            writer.remove(ERRORS_LOG)
    except OSError as error:
        report.problems.append(Problem(f"output/{ERRORS_LOG}", f"cannot be written: "
                                       f"{error.strerror or error}", severity=Severity.WARNING))
