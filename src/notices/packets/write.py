"""Write a session's documents through the one output policy, each only when it is stale.

The packets (public and non-public), and where a session record exists the Einladung
and, after the meeting, the Niederschrift. The PDF packet lays its papers out again (in
a worker process, under the render limits of ``notices.toml``: the per-record time limit
for each paper, the memory limit plus a share per paper); the Word packet composes the
papers' .docx files as they are in ``output/``, so that a clerk's edits made in Word are
in it. A PDF packet says which of its papers have Word files edited by hand, since its
PDF pages cannot show those edits.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from notices.build.keys import file_sha256, output_key
from notices.build.options import variant_label
from notices.build.outputs import SESSION_PREFIX, Status
from notices.errors import NoticesError, Problem, Severity
from notices.packets.cover import NON_PUBLIC_PART, PUBLIC_PART, Item, cover_context
from notices.packets.report import PacketResult
from notices.template_set import PACKET_TEMPLATE, TemplateSet

MEMORY_PER_PAPER_MB = 8  # laid-out pages a packet holds at once, on top of the record limit


@dataclass(frozen=True)
class _PdfJob:
    templates: TemplateSet
    variant: str
    context: dict
    items: list
    paper_timeout: float
    page_counts: dict


def _render_pdf(_state, job: _PdfJob) -> tuple[bytes, list[int]] | list[Problem]:
    """In a worker: the PDF packet and the page where each item starts, or the problems."""
    from notices.packets.pdf import render_pdf_packet

    try:
        data = render_pdf_packet(job.templates, job.variant, job.context, job.items,
                                 paper_timeout=job.paper_timeout, page_counts=job.page_counts)
    except NoticesError as error:
        return error.problems
    return data, [item.page for item in job.items]


class SessionWriter:
    """The documents of one session, written by one :class:`~notices.build.run.BuildRun`.

    With ``assess``, nothing is rendered, written or removed: :meth:`write` only fills
    :attr:`assessed` with every document it would write and that document's key, so
    that an export asks the same code which of the session's documents are current.
    """

    def __init__(self, run, session, agenda, results, report, *, assess: bool = False):
        self.assessed: dict[str, str] | None = {} if assess else None
        self.run = run
        self.folder = run.folder
        self.session = session
        self.agenda = agenda  # a packets.agenda.Agenda, or None without a session record
        self.notices = {r.path: r.notice for r in results if r.ok}
        self.results = {r.path: r for r in results}
        self.report = report
        self.record = f"{SESSION_PREFIX}{session.key.committee}|{session.key.date}"
        self.stem = f"sessions/{session.key.slug}"

    def write(self) -> None:
        public, non_public = self._parts()
        if any(item.notice for item in public) or (self.agenda and public):
            self._packet(self.stem, PUBLIC_PART, True, public)
        else:
            self.report.problems.append(Problem(
                "session", f"{self.session.key} has no public papers: no public packet is "
                "written", severity=Severity.WARNING))
            self._remove_packet(self.stem, "the earlier public packet held papers that are "
                                "no longer public")
        if non_public:
            self._packet(f"{self.stem}_nichtoeffentlich", NON_PUBLIC_PART, False, non_public)
        else:
            self._remove_packet(f"{self.stem}_nichtoeffentlich", "the session no longer has "
                                "a non-public part")
        if self.agenda is not None:
            from notices.packets.documents import MeetingDocuments

            MeetingDocuments(self).write()

    def _parts(self) -> tuple[list[Item], list[Item]]:
        """The cover items of each part: the agenda's, or the papers' own agenda items."""
        if self.agenda is None:
            return ([Item(e.notice, f"notice-{i}", agenda_item=e.agenda_item)
                     for i, e in enumerate(self.session.public, start=1)],
                    [Item(e.notice, f"notice-{i}", agenda_item=e.agenda_item)
                     for i, e in enumerate(self.session.non_public, start=1)])
        parts = []
        for entries in (self.agenda.public, self.agenda.non_public):
            items = []
            for number, entry in enumerate(entries, start=1):
                notice = self.notices.get(entry.paper.path) if entry.paper else None
                if notice is not None and notice.draft:
                    notice = None  # listed, without its pages
                items.append(Item(notice, f"notice-{number}" if notice else None,
                                  agenda_item=entry.item.item, label=entry.label,
                                  title=entry.item.title, note=entry.item.note))
            parts.append(items)
        return parts[0], parts[1]

    def _remove_packet(self, stem: str, why: str) -> None:
        """A packet of a part the session no longer has must go.

        A public packet from before the session's last paper became non-public holds that
        paper's text: left in output/ it would be published with the rest. A non-public
        packet left behind would be sent with the next mailing.
        """
        for fmt in ("docx", "pdf"):
            relative = f"{stem}.{fmt}"
            if self.assessed is not None or relative not in self.folder.state.outputs:
                continue
            problem = self.folder.remove(relative, why=why)
            self.report.problems.append(problem)
            if problem.is_error:
                self.report.failed = True

    def _packet_key(self, fmt: str, part: str, items: list[Item]) -> str:
        sources = {"session": f"{self.session.key.committee}\0{self.session.key.date}\0{part}"}
        if self.agenda is not None:
            sources["meeting"] = self.agenda.meeting.source_sha256
        for number, item in enumerate(items, start=1):
            name = f"item:{number:04d}:{item.number}\0{item.heading}"
            notice = item.notice
            if notice is None:
                sources[name] = ""
            elif fmt == "pdf":
                loaded = self.results[notice.path]
                sources[name] = self.run.key("pdf", notice.kind, loaded.source_sha256,
                                             loaded.named_files)
            else:
                sources[name] = "sha256:" + file_sha256(
                    self.folder.root / f"{notice.output_stem}.docx")
        return output_key(fmt=fmt, options=variant_label(fmt, self.run.variant),
                          templates=self.run.templates.digest_for(PACKET_TEMPLATE, fmt),
                          settings=self.run.settings.source_hash, sources=sources)

    def wanted(self, stem: str, keys: dict[str, str]) -> list[str]:
        """The formats of ``stem`` to render; the others are reported as current or kept."""
        if self.assessed is not None:
            self.assessed.update({f"{stem}.{fmt}": key for fmt, key in keys.items()})
            return []
        wanted = []
        for fmt, key in keys.items():
            relative = f"{stem}.{fmt}"
            verdict = self.folder.verdict(relative, key)
            if verdict.status is Status.BLOCKED:
                self.report.problems.append(Problem(f"output/{relative}", verdict.reason))
                self.report.failed = True
            elif verdict.status is Status.EDITED and not self.run.options.force:
                self.report.problems.append(Problem(
                    f"output/{relative}", f"{verdict.reason}; kept it (use --force to "
                    "overwrite it)", severity=Severity.WARNING))
                self.report.packets.append(PacketResult(relative, "kept"))
            elif verdict.status is Status.CURRENT and not self.run.options.force:
                self.report.packets.append(PacketResult(relative, "up to date"))
            else:
                wanted.append(fmt)
        return wanted

    def store(self, stem: str, outputs: dict[str, bytes], keys: dict[str, str],
              template: str) -> None:
        for fmt, data in outputs.items():
            relative = f"{stem}.{fmt}"
            stored = self.folder.store(
                relative, data, record=self.record, key=keys[fmt],
                options=variant_label(fmt, self.run.variant),
                template_hash=self.run.templates.digest_for(template, fmt),
                force=self.run.options.force)
            if stored.problem:
                self.report.problems.append(stored.problem)
            self.report.failed |= stored.failed
            if not stored.failed:
                self.report.packets.append(PacketResult(
                    relative, "built" if stored.written else "kept"))

    def _packet(self, stem: str, part: str, public: bool, items: list[Item]) -> None:
        keys = {fmt: self._packet_key(fmt, part, items) for fmt in self.run.options.formats}
        wanted = self.wanted(stem, keys)
        if not wanted:
            return
        meeting = self.agenda.meeting if self.agenda else None
        context = cover_context(self.session.key, part, public, self.run.settings.city,
                                meeting)
        if "pdf" in wanted:
            for item in items:
                stem_of = item.notice.output_stem if item.notice else None
                if stem_of and self.folder.is_edited(f"{stem_of}.docx"):
                    self.report.problems.append(Problem(
                        f"output/{stem_of}.docx", "was edited in Word; the PDF packet shows "
                        f"{item.notice.path} as rendered from the record, without those "
                        "edits", severity=Severity.WARNING))
        outputs = self._render_packet(wanted, context, items)
        if outputs is not None:
            self.store(stem, {fmt: outputs[fmt] for fmt in wanted}, keys, PACKET_TEMPLATE)

    def _page_counts(self, items: list[Item]) -> dict[str, int]:
        """The pages of each paper's own PDF, as built just before (they lay out alike)."""
        import pikepdf

        counts = {}
        for item in items:
            if item.notice is None:
                continue
            path = self.folder.root / f"{item.notice.output_stem}.pdf"
            try:
                with pikepdf.open(path) as pdf:
                    counts[item.notice.path] = len(pdf.pages)
            except (OSError, pikepdf.PdfError):
                pass  # laid out once more to count
        return counts

    def _render_packet(self, wanted, context, items) -> dict[str, bytes] | None:
        """Both packets' bytes; the PDF's layout also decides the pages on the cover."""
        from notices.build.workers import TaskFailure, run_limited
        from notices.packets.docx import render_docx_packet

        limits = self.run.settings.limits
        templates = self.run.templates
        papers = [item for item in items if item.notice is not None]
        try:
            job = _PdfJob(templates, self.run.variant, context, items,
                          limits.render_timeout_seconds, self._page_counts(items))
            outcome = run_limited(
                _render_pdf, job, timeout=limits.render_timeout_seconds * (2 * len(papers) + 1),
                memory_mb=limits.render_memory_mb + MEMORY_PER_PAPER_MB * len(papers))
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
                import pikepdf

                members = [(self.folder.root / f"{i.notice.output_stem}.docx").read_bytes()
                           for i in papers]
                with pikepdf.open(io.BytesIO(pdf)) as document:
                    total = len(document.pages)
                outputs["docx"] = render_docx_packet(templates, context, items, members,
                                                     total)
            return outputs
        except NoticesError as error:
            self.report.failed = True
            self.report.problems.extend(error.problems)
            return None
