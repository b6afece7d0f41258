"""From the workspace to the export model: what both exports describe, and their files.

Read here, once for both exports: the records (drafts are never exported), the session
records, and the build's current outputs (:mod:`notices.export.current`). Every
timestamp comes from the records' dates and the build state, never from the clock:
a paper was *created* on its date and *modified* when its PDF was last written, so
two exports of one workspace are byte-identical, and a re-render moves ``modified``
exactly where a client has something new to fetch. Keys are slugs of paths and
names (stable while a record keeps its file), never of content that may be secret:
an agenda item's key is its position.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from notices import __version__
from notices.build.options import BuildOptions
from notices.build.outputs import OutputFolder
from notices.build.run import BuildRun
from notices.errors import Problem
from notices.export.current import CurrentOutputs, OutputCheck
from notices.export.files import FileMaker, local_time, midnight
from notices.export.model import (
    ExportAgendaItem,
    ExportBody,
    ExportConsultation,
    ExportContact,
    ExportLocation,
    ExportMeeting,
    ExportOrganization,
    ExportPaper,
    ExportSystem,
)
from notices.packets.agenda import meeting_key, resolve
from notices.packets.report import PacketReport
from notices.packets.sessions import Session, SessionKey, group_sessions, slugify
from notices.source.records import RecordLoader, load_records
from notices.template_set import TemplateSet
from notices.workspace import Workspace


@dataclass
class Collected:
    """The model of an export, and what kept things out of it."""

    body: ExportBody | None
    problems: list[Problem] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)  # papers not exported, and why


def collect(workspace: Workspace) -> Collected:
    """Everything an export may take from ``workspace``; problems name what it may not."""
    from notices.packets.write import SessionWriter
    from notices.source.meeting import load_meetings

    templates = TemplateSet.read(workspace.templates_dir)
    kinds, _ = templates.declared_kinds()
    results, problems = load_records(workspace.root, RecordLoader(workspace.settings, kinds))
    problems = list(problems)
    for result in results:
        if not result.ok:
            problems.append(Problem(result.path, "has errors ('notices check' names them); "
                                    "it cannot be exported until they are fixed"))
    good = [r for r in results if r.ok]
    meetings = {}
    for loaded in load_meetings(workspace):
        problems += [p for p in loaded.problems if p.is_error]
        if loaded.ok:
            meetings.setdefault(meeting_key(loaded.meeting.committee, loaded.meeting.date),
                                loaded.meeting)
    summaries = [r.notice.summary() for r in good]
    agendas = {key: resolve(meeting, summaries)[0] for key, meeting in meetings.items()}
    sessions, _ = group_sessions([r.notice for r in good])
    # A meeting known only from drafts is not exported: drafts leave no trace.
    sessions = {key: session for key, session in sessions.items() if session.entries}
    for committee, date in agendas:
        sessions.setdefault(SessionKey(committee, date), Session(SessionKey(committee, date)))
    with OutputFolder(workspace.output_dir) as folder:
        run = BuildRun(workspace, BuildOptions(formats=("pdf",)), folder, templates=templates)
        check = OutputCheck(run, folder)
        exported = [r for r in good if not r.notice.draft and check.paper(r)]
        for key, session in sorted(sessions.items(), key=lambda i: (i[0].date, i[0].committee)):
            agenda = agendas.get(meeting_key(key.committee, key.date))
            writer = SessionWriter(run, session, agenda, results, PacketReport(session=key),
                                   assess=True)
            check.session(writer, f"notices session --committee {key.committee!r} --date "
                          f"{key.date.strftime('%d.%m.%Y')}")
        current = check.current
    problems += current.problems
    body = ModelBuilder(workspace, current, agendas, sessions).build(exported)
    return Collected(body, problems, sorted(current.stale_records))


class ModelBuilder:
    """The export model of one workspace; one instance per export."""

    def __init__(self, workspace: Workspace, current: CurrentOutputs, agendas: dict,
                 sessions: dict[SessionKey, Session]):
        self.settings = workspace.settings
        self.current = current
        self.agendas = agendas
        self.sessions = sessions
        self.files = FileMaker(current)
        self.papers: dict[str, ExportPaper] = {}  # record path -> paper
        self.notices: dict[str, object] = {}  # paper key -> its Notice
        self.item_keys: dict[tuple, str] = {}  # (meeting, record path) -> agenda item key
        self.meeting_keys = {meeting_key(k.committee, k.date): k.slug for k in sessions}

    def build(self, results) -> ExportBody:
        papers = [self.paper(r.stem, r.notice) for r in results]
        meetings = [self.meeting(key, session) for key, session in sorted(
            self.sessions.items(), key=lambda i: (i[0].date, i[0].committee))]
        papers = [self.with_consultations(p) for p in papers]
        stamps = [p.modified for p in papers] + [m.modified for m in meetings]
        created = min([p.created for p in papers] + [m.created for m in meetings],
                      default=midnight(dt.date(2000, 1, 1)))
        modified = max(stamps, default=created)
        city = self.settings.city or "Stadt"
        system = ExportSystem(name=f"notices: {city}", created=created, modified=modified,
                              product_name="notices", product_version=__version__)
        return ExportBody(
            key=slugify(city), name=city, system=system, created=created, modified=modified,
            committees=self.committees(papers, meetings), offices=self.offices(papers),
            meetings=tuple(meetings), papers=tuple(papers))

    # -- papers -------------------------------------------------------------------------

    def paper(self, stem: str, notice) -> ExportPaper:
        key = paper_key(stem)
        main = self.files.output(f"{stem}.pdf", key, notice.subject, notice.date)
        attachments = tuple(
            self.files.output(f"{stem}{a.output_suffix}", f"{key}-anlage-{a.number}",
                              f"Anlage {a.number}: {a.title}", notice.date)
            for a in notice.attachments)
        modified = max(f.modified for f in (main, *attachments))
        contact = ExportContact(name=notice.contact.name, phone=notice.contact.phone or None)
        paper = ExportPaper(
            key=key, name=notice.subject, paper_type=notice.kind_label, date=notice.date,
            office=slugify(notice.office.key), created=min(midnight(notice.date), modified),
            modified=modified, paper_number=notice.paper_number,
            file_number=notice.file_number, public=notice.public, draft=notice.draft,
            main_file=main, auxiliary_files=attachments, contact=contact,
            signatory=notice.signatory)
        self.papers[notice.path] = paper
        self.notices[key] = notice
        return paper

    def with_consultations(self, paper: ExportPaper) -> ExportPaper:
        """The paper with its Beratungsfolge, linked to the meetings and items exported."""
        notice = self.notices[paper.key]
        consultations = []
        for number, consultation in enumerate(notice.consultations, start=1):
            where = meeting_key(consultation.committee, consultation.date)
            meeting = self.meeting_keys.get(where)
            item = self.item_keys.get((where, notice.path)) if meeting else None
            consultations.append(ExportConsultation(
                key=str(number), committee=slugify(consultation.committee), meeting=meeting,
                agenda_item=item, role=consultation.role,
                authoritative=consultation.role == "Entscheidung"))
        return ExportPaper(**{**paper.__dict__, "consultations": tuple(consultations)})

    # -- meetings -----------------------------------------------------------------------

    def meeting(self, key: SessionKey, session: Session) -> ExportMeeting:
        where = meeting_key(key.committee, key.date)
        agenda = self.agendas.get(where)
        record = agenda.meeting if agenda else None
        stem = f"sessions/{key.slug}"
        items = self.agenda_items(where, agenda, session)
        start = _at(key.date, record.start if record else None)
        end = _at(key.date, record.minutes.end) if record and record.minutes else None
        has_hidden = any(not i.public for i in items)
        day = record.invitation_date if record and record.invitation_date else key.date
        files = self.files
        invitation = files.document(f"{stem}_einladung_oeffentlich.pdf", f"{key.slug}-einladung",
                                    f"Einladung: {key.committee}", day)
        members = files.document(f"{stem}_einladung.pdf", f"{key.slug}-einladung-mitglieder",
                                 f"Einladung: {key.committee} (für die Mitglieder)", day,
                                 public=not has_hidden)
        minutes = files.document(f"{stem}_niederschrift.pdf", f"{key.slug}-niederschrift",
                                 f"Niederschrift: {key.committee}, öffentlicher Teil", key.date)
        hidden = files.document(f"{stem}_niederschrift_nichtoeffentlich.pdf",
                                f"{key.slug}-niederschrift-nichtoeffentlich",
                                f"Niederschrift: {key.committee}, nicht öffentlicher Teil",
                                key.date, public=False)
        packet = files.document(f"{stem}.pdf", f"{key.slug}-mappe",
                                f"Sitzungsmappe: {key.committee}, öffentlicher Teil", day)
        present = [f for f in (invitation, members, minutes, hidden, packet) if f is not None]
        created = min([midnight(day)] + [f.modified for f in present])
        modified = max([created] + [f.modified for f in present] + [
            self.papers[e.notice.path].modified for e in session.entries
            if e.notice.path in self.papers])
        location = ExportLocation(key=f"{key.slug}-ort", description=record.place,
                                  created=created, modified=modified) if record else None
        name = f"{key.committee}, Sitzung am {key.date.strftime('%d.%m.%Y')}"
        if record and record.number:
            name += f" ({record.number})"
        return ExportMeeting(
            key=key.slug, name=name, committee=slugify(key.committee), start=start, end=end,
            created=created, modified=modified, location=location,
            public=any(i.public for i in items) or not items,
            meeting_state="durchgeführt" if end else "eingeladen" if record else None,
            invitation=invitation, internal_invitation=members, results_protocol=minutes,
            nonpublic_results_protocol=hidden, auxiliary_files=(packet,) if packet else (),
            agenda_items=tuple(items))

    def agenda_items(self, where, agenda, session: Session) -> list[ExportAgendaItem]:
        """The Tagesordnung: the session record's, else the papers' own agenda items."""
        items = []
        if agenda is not None:
            results = agenda.meeting.minutes.results if agenda.meeting.minutes else {}
            for order, entry in enumerate(agenda.entries, start=1):
                paper = self.papers.get(entry.paper.path) if entry.paper else None
                if paper is not None:
                    self.item_keys[(where, entry.paper.path)] = str(order)
                result = results.get(entry.item.item)
                items.append(ExportAgendaItem(
                    key=str(order), number=entry.item.item, order=order, name=entry.title,
                    public=entry.public and (paper is None or paper.public),
                    paper=paper.key if paper else None,
                    result=result.line_text if result else None))
            return items
        for order, entry in enumerate(session.entries, start=1):
            paper = self.papers.get(entry.notice.path)
            if paper is not None:
                self.item_keys[(where, entry.notice.path)] = str(order)
            items.append(ExportAgendaItem(
                key=str(order), number=entry.agenda_item, order=order,
                name=entry.notice.subject, public=entry.notice.public,
                paper=paper.key if paper else None))
        return items

    # -- organizations ------------------------------------------------------------------

    def committees(self, papers, meetings) -> tuple[ExportOrganization, ...]:
        names: dict[str, str] = {}
        for key in self.sessions:
            names.setdefault(slugify(key.committee), key.committee)
        for paper in papers:
            for consultation in self.notices[paper.key].consultations:
                names.setdefault(slugify(consultation.committee), consultation.committee)
        organizations = []
        for key, name in sorted(names.items()):
            own = [m for m in meetings if m.committee == key] + [
                p for p in papers if any(c.committee == key for c in p.consultations)]
            created = min((o.created for o in own), default=midnight(dt.date(2000, 1, 1)))
            modified = max((o.modified for o in own), default=created)
            organizations.append(ExportOrganization(
                key=key, name=name, classification=_classification(name), created=created,
                modified=modified))
        return tuple(organizations)

    def offices(self, papers) -> tuple[ExportOrganization, ...]:
        offices = []
        for office in sorted({self.notices[p.key].office for p in papers},
                             key=lambda o: o.key):
            own = [p for p in papers if p.office == slugify(office.key)]
            offices.append(ExportOrganization(
                key=slugify(office.key), name=office.name, classification="Amt",
                created=min(p.created for p in own), modified=max(p.modified for p in own)))
        return tuple(offices)


def paper_key(stem: str) -> str:
    """A paper's key from its output stem: ``2023/baumheide`` -> ``2023-baumheide``."""
    return slugify(stem.replace("/", " "))


def _at(day: dt.date, time: str | None) -> dt.datetime:
    if not time:
        return midnight(day)
    hours, minutes = (int(part) for part in time.split(":"))
    return local_time(dt.datetime.combine(day, dt.time(hours, minutes)))


def _classification(name: str) -> str:
    for prefix, label in (("Bezirksvertretung", "Bezirksvertretung"), ("Rat ", "Rat"),
                          ("Beirat", "Beirat")):
        if name.startswith(prefix):
            return label
    return "Ausschuss"
