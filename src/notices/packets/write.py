"""Write a session's packets through the one output policy, each only when it is stale.

The PDF packet lays its papers out again (in a worker process, under the render limits
of ``notices.toml``: the per-record time limit for each paper, the memory limit plus a
share per paper); the Word packet composes the papers' .docx files as they are in
``output/``, so that a clerk's edits made in Word are in it. A PDF packet says which of
its papers have Word files edited by hand, since its PDF pages cannot show those edits.
"""

from __future__ import annotations

from dataclasses import dataclass

from notices.build.keys import file_sha256, output_key
from notices.build.options import variant_label
from notices.build.outputs import SESSION_PREFIX, Status
from notices.template_set import PACKET_TEMPLATE, TemplateSet
from notices.errors import NoticesError, Problem, Severity
from notices.packets.cover import NON_PUBLIC_PART, PUBLIC_PART, Item, cover_context
from notices.packets.report import PacketResult

MEMORY_PER_PAPER_MB = 8  # laid-out pages a packet holds at once, on top of the record limit


@dataclass(frozen=True)
class _PdfJob:
    templates: TemplateSet
    variant: str
    context: dict
    items: list
    paper_timeout: float


def _render_pdf(_state, job: _PdfJob) -> tuple[bytes, list[int]] | list[Problem]:
    """In a worker: the PDF packet and the page where each paper starts, or the problems."""
    from notices.packets.pdf import render_pdf_packet

    try:
        data = render_pdf_packet(job.templates, job.variant, job.context, job.items,
                                 paper_timeout=job.paper_timeout)
    except NoticesError as error:
        return error.problems
    return data, [item.page for item in job.items]


class PacketWriter:
    """The packets of one session, written by one :class:`~notices.build.run.BuildRun`."""

    def __init__(self, run, session, results, report):
        self.run = run
        self.folder = run.folder
        self.session = session
        self.results = {r.path: r for r in results}
        self.report = report
        self.record = f"{SESSION_PREFIX}{session.key.committee}|{session.key.date}"

    def write(self) -> None:
        session = self.session
        if session.public:
            self._part(f"sessions/{session.key.slug}", PUBLIC_PART, True, session.public)
        else:
            self.report.problems.append(Problem(
                "session", f"{session.key} has no public notices: no public packet is written",
                severity=Severity.WARNING))
            self._remove_public_packet()
        if session.non_public:
            self._part(f"sessions/{session.key.slug}_nichtoeffentlich", NON_PUBLIC_PART, False,
                       session.non_public)

    def _remove_public_packet(self) -> None:
        """A public packet from before the session's last notice became non-public must go.

        It holds that notice's text: left in output/ it would be published with the rest.
        """
        for fmt in ("docx", "pdf"):
            relative = f"sessions/{self.session.key.slug}.{fmt}"
            if relative not in self.folder.state.outputs:
                continue
            problem = self.folder.remove(relative, why="the earlier public packet held "
                                         "notices that are no longer public")
            self.report.problems.append(problem)
            if problem.is_error:
                self.report.failed = True

    def _key(self, fmt: str, part: str, notices) -> str:
        sources = {"session": f"{self.session.key.committee}\0{self.session.key.date}\0{part}"}
        for number, notice in enumerate(notices, start=1):
            if fmt == "pdf":
                loaded = self.results[notice.path]
                digest = self.run.key("pdf", notice.kind, loaded.source_sha256,
                                      loaded.named_files)
            else:
                digest = "sha256:" + file_sha256(self.folder.root / f"{notice.output_stem}.docx")
            sources[f"member:{number:04d}:{notice.path}"] = digest
        return output_key(fmt=fmt, options=variant_label(fmt, self.run.variant),
                          templates=self.run.templates.digest_for(PACKET_TEMPLATE, fmt),
                          settings=self.run.settings.source_hash, sources=sources)

    def _part(self, stem: str, part: str, public: bool, entries) -> None:
        notices = [entry.notice for entry in entries]
        formats = self.run.options.formats
        keys = {fmt: self._key(fmt, part, notices) for fmt in formats}
        wanted = []
        for fmt in formats:
            relative = f"{stem}.{fmt}"
            verdict = self.folder.verdict(relative, keys[fmt])
            if verdict.status is Status.BLOCKED:
                self.report.problems.append(Problem(f"output/{relative}", verdict.reason))
                self.report.failed = True
            elif verdict.status is Status.EDITED and not self.run.options.force:
                self.report.problems.append(Problem(
                    f"output/{relative}", f"{verdict.reason}; kept it (use --force to "
                    "overwrite it)", severity=Severity.WARNING))
                self.report.packets.append(_result(relative, "kept"))
            elif verdict.status is Status.CURRENT and not self.run.options.force:
                self.report.packets.append(_result(relative, "up to date"))
            else:
                wanted.append(fmt)
        if not wanted:
            return
        items = [Item(entry.notice, f"notice-{i}", agenda_item=entry.agenda_item)
                 for i, entry in enumerate(entries, start=1)]
        context = cover_context(self.session.key, part, public, self.run.settings.city)
        if "pdf" in wanted:
            for notice in notices:
                if self.folder.is_edited(f"{notice.output_stem}.docx"):
                    self.report.problems.append(Problem(
                        f"output/{notice.output_stem}.docx", "was edited in Word; the PDF "
                        f"packet shows {notice.path} as rendered from the record, without "
                        "those edits", severity=Severity.WARNING))
        outputs = self._render(wanted, context, items, notices)
        if outputs is None:
            return
        for fmt in wanted:
            relative = f"{stem}.{fmt}"
            stored = self.folder.store(
                relative, outputs[fmt], record=self.record, key=keys[fmt],
                options=variant_label(fmt, self.run.variant),
                template_hash=self.run.templates.digest_for(PACKET_TEMPLATE, fmt),
                force=self.run.options.force)
            if stored.problem:
                self.report.problems.append(stored.problem)
            self.report.failed |= stored.failed
            if not stored.failed:
                self.report.packets.append(_result(relative,
                                                   "built" if stored.written else "kept"))

    def _render(self, wanted, context, items, notices) -> dict[str, bytes] | None:
        """Both packets' bytes; the PDF's layout also decides the pages on the cover."""
        from notices.build.workers import TaskFailure, run_limited
        from notices.packets.docx import render_docx_packet

        limits = self.run.settings.limits
        templates = self.run.templates
        try:
            job = _PdfJob(templates, self.run.variant, context, items,
                          limits.render_timeout_seconds)
            outcome = run_limited(
                _render_pdf, job, timeout=limits.render_timeout_seconds * (len(items) + 1),
                memory_mb=limits.render_memory_mb + MEMORY_PER_PAPER_MB * len(items))
            if isinstance(outcome, TaskFailure):
                self.report.failed = True
                self.report.problems.append(Problem(
                    "session", f"the packet of {self.session.key} could not be rendered: "
                    f"{outcome.reason.splitlines()[0]}"))
                return None
            if isinstance(outcome, list):
                self.report.failed = True
                self.report.problems.extend(outcome)
                return None
            pdf, pages = outcome
            for item, page in zip(items, pages, strict=True):
                item.page = page
            outputs = {"pdf": pdf}
            if "docx" in wanted:
                members = [(self.folder.root / f"{n.output_stem}.docx").read_bytes()
                           for n in notices]
                outputs["docx"] = render_docx_packet(templates, context, items, members)
            return outputs
        except NoticesError as error:
            self.report.failed = True
            self.report.problems.extend(error.problems)
            return None


def _result(relative: str, status: str) -> PacketResult:
    return PacketResult(relative, status)
