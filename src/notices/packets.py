"""Session packets (Sitzungsmappen): a cover sheet and every notice of a meeting.

Public and non-public notices go into separate packets, because the non-public part
may only reach the members: the public packet is built from the public notices alone,
so nothing of a non-public notice (text, bookmark, metadata) can reach it.

PDF: each notice is laid out exactly as on its own (same template, same renderer, its
own "Seite X von Y"); the pages are then combined behind the cover sheet into one
PDF/A document with one bookmark per notice. Combining laid-out pages keeps the tagged
structure that merging finished PDF files would lose. Word: the cover sheet and each
notice's .docx, composed with docxcompose; each notice starts on a new page and the
cover's page column holds PAGEREF fields to a bookmark at each notice's start (Word
paginates for itself; the cached numbers are those of the PDF packet).

A packet is rebuilt only when a notice of the session, the set or order of notices, the
cover template, the registry, the options or the tool version changed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from notices import __version__
from notices.build import (PACKET_TEMPLATE, SESSION_PREFIX, BuildOptions, OutputLock,
                           _unchanged, build_locked, fill_html_template, template_hashes,
                           template_kinds)
from notices.config import Workspace
from notices.errors import NoticesError, Problem, Severity, TemplateError, UsageError
from notices.records import Notice, format_date, load_records, parse_date
from notices.sessions import Session, SessionKey, group_sessions, kind_label
from notices.state import BuildState, OutputEntry
from notices.writer import OutputWriter

log = logging.getLogger(__name__)

PUBLIC_PART, NON_PUBLIC_PART = "öffentlicher Teil", "nichtöffentlicher Teil"


class SessionNotFound(NoticesError):
    """Raised when no notice belongs to the requested committee and date."""


@dataclass
class PacketResult:
    path: str  # relative to output/
    status: str  # "built" or "up to date"


@dataclass
class PacketReport:
    session: SessionKey | None = None
    packets: list[PacketResult] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    failed: bool = False


def find_sessions(workspace: Workspace) -> tuple[dict[SessionKey, Session], list[Problem]]:
    """All sessions of the valid records, with the problems found on the way."""
    results, problems = load_records(workspace, known_kinds=template_kinds(workspace))
    notices = [r.notice for r in results if r.ok]
    sessions, session_problems = group_sessions(notices)
    # A record that cannot be read belongs to no session: say so, or the counts mislead.
    broken = [p for r in results if not r.ok for p in r.problems if p.is_error]
    return sessions, problems + broken + session_problems


def parse_session_date(text: str) -> dt.date:
    date = parse_date(text)
    if date is None:
        raise UsageError(Problem("--date", f"{text!r} is not a valid date (expected "
                                 "DD.MM.YYYY or YYYY-MM-DD)"))
    return date


def build_packets(workspace: Workspace, committee: str, date: dt.date, *,
                  options: BuildOptions = BuildOptions(), force: bool = False) -> PacketReport:
    """Build the public (and, if any, the non-public) packet of one session."""
    report = PacketReport()
    with OutputLock(workspace.output_dir):
        results, load_problems = load_records(workspace, known_kinds=template_kinds(workspace))
        notices = [r.notice for r in results if r.ok]
        sessions, session_problems = group_sessions(notices)
        key = SessionKey(committee.strip(), date)
        report.session = key
        members = {n.path for n in sessions.get(key, Session(key)).notices}
        report.problems.extend(p for p in session_problems
                               if p.path in members or p.field == "session.committee")
        suspects = [r for r in results if not r.ok and _may_belong(r.source, key)]
        for suspect in suspects:
            report.problems.extend(p for p in suspect.problems if p.is_error)
            report.problems.append(Problem(suspect.path, f"may belong to {key} but has "
                                           "errors; no packet is written until it is fixed"))
        if key not in sessions:
            if suspects:
                report.failed = True
                return report
            raise SessionNotFound(Problem("session", _no_session_message(key, sessions)))
        session = sessions[key]
        namesakes = [k for k in sessions if k != key and k.slug == key.slug]
        if namesakes:
            # Both would be written to the same output/sessions/ files, one over the other.
            others = "; ".join(
                f"{k.committee!r} ({', '.join(n.path for n in sessions[k].notices[:3])})"
                for k in namesakes)
            raise NoticesError(Problem("session", f"the committee {key.committee!r} and {others} "
                                       f"on {format_date(key.date)} would share the packet "
                                       f"output/sessions/{key.slug}.*; spell the committee the "
                                       "same way in all their records"))
        cover_problems = [p for p in check_packet_templates(workspace, options.formats,
                                                            required=True) if p.is_error]
        if cover_problems:
            raise TemplateError(cover_problems)
        # Bring the single notices up to date first, and learn whether any fails.
        build_report = build_locked(workspace, [workspace.root / n.path for n in
                                                session.notices], options=options)
        for record in build_report.records:
            report.problems.extend(record.problems)
        report.problems.extend(build_report.problems)
        if suspects or build_report.failed:
            report.failed = True
            report.problems.append(Problem("session", f"no packet written for {key}: a notice "
                                           "of the session failed"))
            return report
        _write_packets(workspace, session, options, force, report)
    return report


def check_packet_templates(workspace: Workspace, formats=("docx", "pdf"), *,
                           required: bool = False, stylesheets: bool = False
                           ) -> list[Problem]:
    """Fill the cover templates with a probe session, as ``check`` does for the notices'.

    A broken cover is then found by ``notices check`` and before ``notices session``
    renders anything, not after the session's notices have been built. ``stylesheets``
    also loads the cover's CSS with WeasyPrint: only for ``check``, because fonts loaded
    in a process that then forks the render workers would be shared with them.
    """
    import dataclasses

    from notices.templating import probe_notice

    kinds = sorted(template_kinds(workspace))
    if not kinds:
        return []
    problems: list[Problem] = []
    key = SessionKey("Ausschuss", dt.date(2024, 1, 3))
    context = {"session": key, "part": PUBLIC_PART, "public": True,
               "city": workspace.config.city}
    items = [_Item(dataclasses.replace(probe_notice(), kind=kinds[0]), "notice-1", page=2)]
    for fmt in formats:
        path = workspace.templates_dir / f"{PACKET_TEMPLATE}.{'html' if fmt == 'pdf' else fmt}"
        if not path.is_file():
            problems.append(Problem(f"templates/{path.name}", "missing: 'notices session' "
                                    "needs it for the cover sheet of a session packet",
                                    severity=Severity.ERROR if required else Severity.WARNING))
            continue
        try:
            if fmt == "pdf" and stylesheets:
                from notices.render_pdf import PdfRenderer

                cover = PdfRenderer(workspace.templates_dir, PACKET_TEMPLATE,
                                    variant=workspace.config.pdf_variant)
                cover.fill({**context, "items": [item.context() for item in items]})
                problems.extend(cover.setup_problems)
            elif fmt == "pdf":
                fill_html_template(workspace, path.name,
                                   {**context, "items": [item.context() for item in items]})
            else:
                _docx_packet(workspace, context, items)
        except NoticesError as error:
            problems.extend(error.problems)
    return problems


def _no_session_message(key: SessionKey, sessions: dict[SessionKey, Session]) -> str:
    same = sorted(k.date for k in sessions if k.committee == key.committee)
    if same:
        dates = ", ".join(format_date(d) for d in same)
        return (f"no notices for {key.committee!r} on {format_date(key.date)}; that committee "
                f"has sessions on {dates}")
    names = sorted({k.committee for k in sessions})
    import difflib

    close = difflib.get_close_matches(key.committee, names, n=3, cutoff=0.6)
    hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
    return (f"no notices for the committee {key.committee!r}{hint}; 'notices sessions' lists "
            "the sessions that exist")


def _may_belong(source: Path, key: SessionKey) -> bool:
    """A record that failed to load: does its text name this session's committee and date?"""
    try:
        text = source.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    if key.committee.casefold() not in " ".join(text.split()).casefold():
        return False
    return format_date(key.date) in text or key.date.isoformat() in text


# --- writing the packets ---------------------------------------------------------------


@dataclass
class _Item:
    notice: Notice
    anchor: str
    page: int = 0

    def context(self) -> dict:
        notice = self.notice
        return {"anchor": self.anchor, "agenda_item": notice.session.agenda_item,
                "subject": notice.subject, "kind": kind_label(notice.kind),
                "file_number": notice.file_number, "office": notice.office.name,
                "page": self.page}


def _write_packets(workspace: Workspace, session: Session, options: BuildOptions, force: bool,
                   report: PacketReport) -> None:
    variant = options.pdf_variant or workspace.config.pdf_variant
    kinds = template_kinds(workspace)
    hashes = template_hashes(workspace, kinds)
    state = BuildState(workspace.output_dir)
    writer = OutputWriter(workspace.output_dir)
    try:
        parts = []
        if session.public:
            parts.append((PUBLIC_PART, True, session.public))
        else:
            report.problems.append(Problem("session", f"{session.key} has no public notices: "
                                           "no public packet is written",
                                           severity=Severity.WARNING))
            _remove_stale_public_packet(workspace, session, state, writer, report)
        if session.non_public:
            parts.append((NON_PUBLIC_PART, False, session.non_public))
        for part, public, notices in parts:
            stem = f"sessions/{session.key.slug}" + ("" if public else "_nichtoeffentlich")
            digest = _packet_hash(workspace, session.key, part, notices, hashes, variant, state)
            wanted = [fmt for fmt in options.formats
                      if force or not _packet_up_to_date(workspace, state, f"{stem}.{fmt}",
                                                         digest)]
            for fmt in options.formats:
                if fmt not in wanted:
                    report.packets.append(PacketResult(f"{stem}.{fmt}", "up to date"))
            if not wanted:
                continue
            items = [_Item(n, f"notice-{i}") for i, n in enumerate(notices, start=1)]
            context = {"session": session.key, "part": part, "public": public,
                       "city": workspace.config.city}
            pdf_bytes = _pdf_packet(workspace, variant, context, items)  # also sets pages
            outputs = {"pdf": pdf_bytes}
            if "docx" in wanted:
                outputs["docx"] = _docx_packet(workspace, context, items)
            for fmt in wanted:
                relative = f"{stem}.{fmt}"
                target = workspace.output_dir / relative
                entry = state.outputs.get(relative)
                if (target.exists() and not force and entry is not None
                        and not _unchanged(target, entry)):
                    report.problems.append(Problem(
                        f"output/{relative}", "was changed after notices wrote it; kept it "
                        "(use --force to overwrite it)", severity=Severity.WARNING))
                    continue
                written = writer.write(relative, outputs[fmt])
                state.record_output(OutputEntry(
                    relative, f"{SESSION_PREFIX}{session.key.committee}|{session.key.date}",
                    digest, __version__, hashes[PACKET_TEMPLATE], written.sha256,
                    written.size, written.mtime_ns))
                report.packets.append(PacketResult(relative, "built"))
    finally:
        state.close()


def _remove_stale_public_packet(workspace, session, state, writer, report) -> None:
    """A public packet from before the session's last notice became non-public must go.

    It holds that notice's text: left in output/ it would be published with the rest.
    """
    for fmt in ("docx", "pdf"):
        relative = f"sessions/{session.key.slug}.{fmt}"
        entry = state.outputs.get(relative)
        if entry is None:
            continue
        target = workspace.output_dir / relative
        if target.exists() and not _unchanged(target, entry):
            report.failed = True
            report.problems.append(Problem(
                f"output/{relative}", "is an earlier public packet, edited since, that holds "
                "notices which are no longer public; remove it by hand"))
            continue
        writer.remove(relative)
        state.forget_output(relative)
        report.problems.append(Problem(
            f"output/{relative}", "removed: the earlier public packet held notices that are "
            "no longer public", severity=Severity.WARNING))


def _packet_hash(workspace, key, part, notices, hashes, variant, state) -> str:
    """Everything a packet depends on: its notices (their inputs), order, cover and options."""
    parts = [__version__, key.committee, key.date.isoformat(), part, hashes[PACKET_TEMPLATE],
             workspace.config.source_hash, variant]
    for notice in notices:
        recorded = [state.outputs.get(f"{notice.output_stem}.{fmt}") for fmt in ("pdf", "docx")]
        parts.append(f"{notice.path}|{notice.source_sha256}|"
                     + "|".join(e.input_hash if e else "-" for e in recorded))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _packet_up_to_date(workspace, state, relative, digest) -> bool:
    entry = state.outputs.get(relative)
    if entry is None or entry.input_hash != digest:
        return False
    return (workspace.output_dir / relative).exists() and \
        _unchanged(workspace.output_dir / relative, entry)


def _pdf_packet(workspace: Workspace, variant: str, context: dict, items: list[_Item]) -> bytes:
    from notices.render_pdf import PdfRenderer

    renderers: dict[str, PdfRenderer] = {}
    font_config = None
    documents = []
    for item in items:
        kind = item.notice.kind
        if kind not in renderers:
            renderers[kind] = PdfRenderer(workspace.templates_dir, kind, variant=variant,
                                          font_config=font_config)
            font_config = renderers[kind].font_config
        documents.append(renderers[kind].render_document(item.notice,
                                                         city=workspace.config.city))
    cover_renderer = PdfRenderer(workspace.templates_dir, PACKET_TEMPLATE, variant=variant,
                                 font_config=font_config)
    cover_pages = 1
    for _ in range(3):  # the cover's own length decides where the notices start
        page = cover_pages + 1
        for item, document in zip(items, documents, strict=True):
            item.page = page
            page += len(document.pages)
        cover = cover_renderer.layout(cover_renderer.fill(
            {**context, "items": [item.context() for item in items]}))
        if len(cover.pages) == cover_pages:
            break
        cover_pages = len(cover.pages)
    pages = list(cover.pages)
    for page in pages:
        page.bookmarks = []
    for item, document in zip(items, documents, strict=True):
        notice = item.notice
        label = (f"TOP {notice.session.agenda_item}: " if notice.session.agenda_item
                 else "") + notice.subject
        for index, page in enumerate(document.pages):
            page.bookmarks = [(1, label, (0, 0), "closed")] if index == 0 else []
        document.pages[0].anchors[item.anchor] = (0, 0, 0, 0)  # x1, y1, x2, y2
        pages.extend(document.pages)
    return cover_renderer.write(cover.copy(pages))


def _docx_packet(workspace: Workspace, context: dict, items: list[_Item]) -> bytes:
    import docx
    from docxcompose.composer import Composer

    from notices import render_docx
    from notices.render_docx import DocxRenderer, RawXml, core_properties

    templates = workspace.templates_dir
    cover_renderer = DocxRenderer(templates / f"{PACKET_TEMPLATE}.docx",
                                  display_name=f"templates/{PACKET_TEMPLATE}.docx")
    writer = cover_renderer.facts_writer()
    key: SessionKey = context["session"]
    title = f"Sitzungsmappe: {key.committee}, {format_date(key.date)} – {context['part']}"
    core = core_properties(title=title, subject=title, author=context["city"] or "Sitzungsdienst",
                           keywords=f"{key.committee}, {format_date(key.date)}",
                           date=key.date)
    table = _items_table(items, cover_renderer.table_style)
    cover = cover_renderer.render_context({**context, "items": RawXml(table)}, writer=writer,
                                          core=core)
    renderers: dict[str, DocxRenderer] = {}
    master = docx.Document(io.BytesIO(cover))
    composer = Composer(master)
    for number, item in enumerate(items, start=1):
        kind = item.notice.kind
        if kind not in renderers:
            renderers[kind] = DocxRenderer(templates / f"{kind}.docx",
                                           display_name=f"templates/{kind}.docx")
        data = renderers[kind].render(item.notice, city=workspace.config.city)
        document = docx.Document(io.BytesIO(data))
        _mark_start(document, item.anchor.replace("-", "_"), 9000 + number)
        composer.append(document)
    buffer = io.BytesIO()
    composer.save(buffer)
    render_docx.restore_core_namespace()
    return _normalized_docx(buffer.getvalue(), core)


def _items_table(items: list[_Item], style: str | None) -> str:
    """The cover's table of notices as WordprocessingML: links and PAGEREF fields."""
    headers = ["TOP", "Betreff", "Art", "Aktenzeichen", "Amt", "Seite"]

    def cell(width: int, content: str, right: bool = False) -> str:
        jc = '<w:pPr><w:jc w:val="right"/></w:pPr>' if right else ""
        return (f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr>'
                f"<w:p>{jc}{content}</w:p></w:tc>")

    def text(value: str) -> str:
        return f'<w:r><w:t xml:space="preserve">{escape(value)}</w:t></w:r>'

    def link(anchor: str, value: str) -> str:
        return (f'<w:hyperlink w:anchor="{anchor}" w:history="1"><w:r><w:rPr>'
                f'<w:rStyle w:val="Hyperlink"/></w:rPr><w:t xml:space="preserve">'
                f"{escape(value)}</w:t></w:r></w:hyperlink>")

    def page_field(anchor: str, page: int) -> str:
        return ('<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
                f'<w:r><w:instrText xml:space="preserve"> PAGEREF {anchor} \\h </w:instrText>'
                '</w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r>'
                f"<w:r><w:t>{page}</w:t></w:r>"
                '<w:r><w:fldChar w:fldCharType="end"/></w:r>')

    widths = _cover_widths(headers, items)
    rows = ["<w:tr><w:trPr><w:tblHeader/></w:trPr>"
            + "".join(cell(w, text(h), right=(h == "Seite"))
                      for w, h in zip(widths, headers, strict=True))
            + "</w:tr>"]
    for item in items:
        anchor = item.anchor.replace("-", "_")
        notice = item.notice
        values = [notice.session.agenda_item or "–", notice.subject, kind_label(notice.kind),
                  notice.file_number, notice.office.name]
        cells = [cell(widths[0], link(anchor, values[0])), cell(widths[1], link(anchor, values[1]))]
        cells += [cell(w, text(v)) for w, v in zip(widths[2:5], values[2:], strict=True)]
        cells.append(cell(widths[5], page_field(anchor, item.page), right=True))
        rows.append("<w:tr><w:trPr><w:cantSplit/></w:trPr>" + "".join(cells) + "</w:tr>")
    table_style = f'<w:tblStyle w:val="{style}"/>' if style else ""
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
    return (f'<w:tbl><w:tblPr>{table_style}<w:tblW w:w="{sum(widths)}" w:type="dxa"/>'
            '<w:tblLayout w:type="fixed"/><w:tblLook w:val="04A0" w:firstRow="1" '
            'w:lastRow="0" w:firstColumn="0" w:lastColumn="0" w:noHBand="0" w:noVBand="1"/>'
            f"</w:tblPr><w:tblGrid>{grid}</w:tblGrid>{''.join(rows)}</w:tbl>")


def _cover_widths(headers: list[str], items: list[_Item]) -> list[int]:
    """Column widths (twips) of the cover's table, measured like a facts table's."""
    from notices import content as c
    from notices.table_layout import column_widths

    def row(values) -> tuple:
        return tuple(c.TableCell((c.Text(str(value)),)) for value in values)

    table = c.Table(row(headers), tuple(
        row([item.notice.session.agenda_item or "–", item.notice.subject,
             kind_label(item.notice.kind), item.notice.file_number, item.notice.office.name,
             item.page]) for item in items))
    # 11 pt text, Word's default cell margins; 9355 twips is the A4 text width. A few
    # short headers ("TOP", "Seite") must not break even in a wider font than Arial.
    return column_widths(table, len(headers), 9355, font_size=22, margins=216,
                         safety_percent=25)


def _mark_start(document, name: str, bookmark_id: int) -> None:
    """Start the notice on a new page, with a bookmark the cover's links and fields use."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    first = document.paragraphs[0]
    first.paragraph_format.page_break_before = True
    start = OxmlElement("w:bookmarkStart")
    start.set(qn("w:id"), str(bookmark_id))
    start.set(qn("w:name"), name)
    end = OxmlElement("w:bookmarkEnd")
    end.set(qn("w:id"), str(bookmark_id))
    paragraph = first._p
    properties = paragraph.pPr
    index = 1 if properties is not None else 0
    paragraph.insert(index, start)
    paragraph.append(end)


def _normalized_docx(data: bytes, core: bytes) -> bytes:
    """Re-zip with fixed timestamps and our core properties, so packets are reproducible."""
    import zipfile

    from notices.render_docx import reproducible_zip

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        entries = []
        for info in archive.infolist():
            content = archive.read(info)
            if info.filename == "docProps/core.xml":
                content = core
            entries.append((info.filename, content))
    return reproducible_zip(entries)


def list_sessions(workspace: Workspace) -> tuple[list[Session], list[Problem]]:
    """Sessions sorted by date, then committee."""
    sessions, problems = find_sessions(workspace)
    ordered = sorted(sessions.values(), key=lambda s: (s.key.date, s.key.committee))
    return ordered, problems

