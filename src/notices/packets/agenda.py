"""A meeting's agenda with its papers, and the checks that keep agenda and papers true.

A session record's agenda names papers by paper number (or file number). Here each item
is resolved to its paper, and the rules that span records are checked (by ``check``,
``build`` and ``session``): an item naming a paper that does not exist, or a non-public
paper on a public item, is an error; a paper of the meeting that is not on its agenda,
numbers out of order or a sub-item without its parent is a warning; a result for an
item that is not on the agenda is an error, and a decision missing from the minutes a
warning.
"""

from __future__ import annotations

from dataclasses import dataclass

from notices.errors import Problem, Severity
from notices.packets.sessions import natural_key
from notices.source.meeting import AgendaItem, Meeting
from notices.source.model import Consultation, PaperSummary, format_date


@dataclass(frozen=True)
class AgendaEntry:
    """An agenda item, with the paper it names (if any) and that paper's consultation."""

    item: AgendaItem
    paper: PaperSummary | None = None
    consultation: Consultation | None = None

    @property
    def public(self) -> bool:
        return self.item.public

    @property
    def label(self) -> str:
        """"Ö 5.1" or "N 10.1", as the Tagesordnung numbers its two parts."""
        return f"{'Ö' if self.item.public else 'N'} {self.item.item}"

    @property
    def title(self) -> str:
        return self.item.title or (self.paper.subject if self.paper else "")

    @property
    def reference(self) -> str | None:
        if self.paper is None:
            return None
        return self.paper.paper_number or self.paper.file_number


@dataclass(frozen=True)
class Agenda:
    meeting: Meeting
    entries: tuple[AgendaEntry, ...]  # in the order of the record

    @property
    def public(self) -> list[AgendaEntry]:
        return [e for e in self.entries if e.public]

    @property
    def non_public(self) -> list[AgendaEntry]:
        return [e for e in self.entries if not e.public]

    def entry(self, item: str) -> AgendaEntry | None:
        return next((e for e in self.entries if e.item.item == item), None)


def meeting_key(committee: str, date) -> tuple[str, object]:
    return " ".join(committee.split()), date


def resolve(meeting: Meeting, papers: list[PaperSummary]) -> tuple[Agenda, list[Problem]]:
    """The agenda with its papers, and the problems of this meeting's record."""
    problems: list[Problem] = []
    shown = meeting.path
    key = meeting_key(meeting.committee, meeting.date)
    by_number: dict[str, list[PaperSummary]] = {}
    by_file: dict[str, list[PaperSummary]] = {}
    for paper in papers:
        if paper.paper_number:
            by_number.setdefault(paper.paper_number, []).append(paper)
        by_file.setdefault(paper.file_number, []).append(paper)
    entries = []
    seen: dict[str, AgendaItem] = {}
    for index, item in enumerate(meeting.agenda):
        where = f"agenda[{index}]"
        if item.item in seen:
            problems.append(Problem(shown, f"item {item.item!r} is on the agenda twice "
                                    f"(first on line {seen[item.item].line}); each item needs "
                                    "its own number", field=f"{where}.item", line=item.line))
        seen.setdefault(item.item, item)
        paper = None
        if item.paper is not None:
            found = by_number.get(item.paper) or by_file.get(item.paper) or []
            if not found:
                problems.append(Problem(shown, f"no paper has the paper number or file number "
                                        f"{item.paper!r}", field=f"{where}.paper",
                                        line=item.line))
            elif len(found) > 1:
                problems.append(Problem(shown, f"{item.paper!r} is the file number of "
                                        f"{', '.join(p.path for p in found)}; name the paper "
                                        "by its paper number", field=f"{where}.paper",
                                        line=item.line))
            else:
                paper = found[0]
        consultation = None
        if paper is not None:
            consultation = next((c for c in paper.consultations
                                 if meeting_key(c.committee, c.date) == key), None)
            if not paper.public and item.public:
                problems.append(Problem(shown, f"the paper {paper.path} is not public, but item "
                                        f"{item.item!r} is: mark the item 'public: nein' (or "
                                        "the paper public)", field=f"{where}.public",
                                        line=item.line))
            if consultation is None:
                problems.append(Problem(shown, f"the paper {paper.path} does not list this "
                                        f"meeting ({meeting.committee} on "
                                        f"{format_date(meeting.date)}) in its session or "
                                        "consultations", field=f"{where}.paper",
                                        line=item.line, severity=Severity.WARNING))
            elif consultation.agenda_item and consultation.agenda_item != item.item:
                problems.append(Problem(paper.path, f"gives agenda item "
                                        f"{consultation.agenda_item!r} for {meeting.committee} "
                                        f"on {format_date(meeting.date)}, where {shown} has "
                                        f"it as {item.item!r}; the session record counts",
                                        field="agenda_item", severity=Severity.WARNING))
            if paper.draft:
                problems.append(Problem(shown, f"item {item.item!r} names {paper.path}, which is "
                                        "a draft (status: entwurf): it is listed without its "
                                        "pages", field=f"{where}.paper", line=item.line,
                                        severity=Severity.WARNING))
        entries.append(AgendaEntry(item, paper, consultation))
    agenda = Agenda(meeting, tuple(entries))
    problems += _order(agenda)
    problems += _missing(agenda, papers, key)
    problems += _results(agenda)
    return agenda, problems


def _order(agenda: Agenda) -> list[Problem]:
    """Numbers in natural order within their part; a sub-item's parent present."""
    problems = []
    numbers = {e.item.item for e in agenda.entries}
    for part in (agenda.public, agenda.non_public):
        previous = None
        for entry in part:
            number = entry.item.item
            if previous is not None and natural_key(number) < natural_key(previous):
                problems.append(Problem(agenda.meeting.path, f"item {number!r} comes after "
                                        f"{previous!r}; the agenda is printed in the order of "
                                        "the record", field="agenda", line=entry.item.line,
                                        severity=Severity.WARNING))
            parent = number.rsplit(".", 1)[0] if "." in number else None
            if parent is not None and parent not in numbers:
                problems.append(Problem(agenda.meeting.path, f"item {number!r} has no item "
                                        f"{parent!r} above it", field="agenda",
                                        line=entry.item.line, severity=Severity.WARNING))
            previous = number
    return problems


def _missing(agenda: Agenda, papers: list[PaperSummary], key) -> list[Problem]:
    """Papers that name this meeting but are not on its agenda."""
    listed = {e.paper.path for e in agenda.entries if e.paper is not None}
    meeting = agenda.meeting
    return [Problem(paper.path, f"names {meeting.committee} on {format_date(meeting.date)}, "
                    f"but the agenda in {meeting.path} does not list it: add it there, or it "
                    "is missing from the meeting's packet", field="session",
                    severity=Severity.WARNING)
            for paper in papers if paper.path not in listed and not paper.draft
            and any(meeting_key(c.committee, c.date) == key for c in paper.consultations)]


def _results(agenda: Agenda) -> list[Problem]:
    minutes = agenda.meeting.minutes
    if minutes is None:
        return []
    problems = []
    shown = agenda.meeting.path
    for item, result in minutes.results.items():
        if agenda.entry(item) is None:
            problems.append(Problem(shown, f"a result for item {item!r}, which is not on the "
                                    "agenda", field=f"minutes.results.{item}", line=result.line))
    for entry in agenda.entries:
        if entry.consultation is not None and entry.consultation.role == "Entscheidung" and \
                entry.item.item not in minutes.results:
            problems.append(Problem(shown, f"no result for item {entry.item.item!r}, where "
                                    f"{entry.paper.path} is to be decided (Entscheidung)",
                                    field="minutes.results", severity=Severity.WARNING))
    return problems


def check_meetings(meetings: list[Meeting], papers: list[PaperSummary]
                   ) -> tuple[dict, list[Problem]]:
    """Every meeting's agenda, by (committee, date), and the problems across records."""
    agendas: dict = {}
    problems: list[Problem] = []
    for meeting in meetings:
        key = meeting_key(meeting.committee, meeting.date)
        if key in agendas:
            problems.append(Problem(meeting.path, f"describes the same meeting as "
                                    f"{agendas[key].meeting.path} ({meeting.committee} on "
                                    f"{format_date(meeting.date)}); keep one"))
            continue
        agendas[key], found = resolve(meeting, papers)
        problems += found
    return agendas, problems
