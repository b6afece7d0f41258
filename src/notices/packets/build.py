"""Build a session's packets (Sitzungsmappen): choose its papers, bring them up to date,
write the public and the non-public packet through the one output policy.

Public and non-public papers go into separate packets, because the non-public part may
only reach the members: the public packet is built from the public papers alone, so
nothing of a non-public paper (text, bookmark, metadata) can reach it. A packet's key
(:mod:`notices.build.keys`) covers its papers' keys (the PDF) or their Word files as
they are in ``output/`` (the Word packet), their order, the cover template, the
settings and the options: it is rebuilt exactly when one of them changed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from notices.build.options import BuildOptions
from notices.build.report import BuildReport
from notices.build.outputs import OutputFolder
from notices.build.run import BuildRun
from notices.errors import NoticesError, Problem, Severity, TemplateError, UsageError
from notices.template_set import TemplateSet
from notices.packets.report import PacketReport, PacketResult  # noqa: F401 (API)
from notices.packets.sessions import Session, SessionKey, group_sessions
from notices.source.model import format_date, parse_date
from notices.source.records import (
    RecordLoader, RecordResult, load_records, load_workspace_records)
from notices.workspace import Workspace


class SessionNotFound(NoticesError):
    """Raised when no notice belongs to the requested committee and date."""


def find_sessions(workspace: Workspace) -> tuple[dict[SessionKey, Session], list[Problem]]:
    """All sessions of the valid records, with the problems found on the way."""
    results, problems = load_workspace_records(workspace)
    sessions, session_problems = group_sessions([r.notice for r in results if r.ok])
    # A record that cannot be read belongs to no session: say so, or the counts mislead.
    broken = [p for r in results if not r.ok for p in r.problems if p.is_error]
    return sessions, problems + broken + session_problems


def list_sessions(workspace: Workspace) -> tuple[list[tuple[Session, object]], list[Problem]]:
    """Sessions sorted by date, then committee, each with its session record (or None).

    A meeting that has a record but no papers is listed too.
    """
    from notices.packets.agenda import meeting_key
    from notices.source.meeting import load_meetings

    sessions, problems = find_sessions(workspace)
    meetings = {}
    for result in load_meetings(workspace):
        problems += [p for p in result.problems if p.is_error]
        if result.ok:
            meetings.setdefault(meeting_key(result.meeting.committee, result.meeting.date),
                                result.meeting)
    for key, meeting in meetings.items():
        session_key = SessionKey(*key)
        sessions.setdefault(session_key, Session(session_key))
    rows = [(session, meetings.get(meeting_key(key.committee, key.date)))
            for key, session in sessions.items()]
    return sorted(rows, key=lambda row: (row[0].key.date, row[0].key.committee)), problems


def parse_session_date(text: str) -> dt.date:
    date = parse_date(text)
    if date is None:
        raise UsageError(Problem("--date", f"{text!r} is not a valid date (expected "
                                 "DD.MM.YYYY or YYYY-MM-DD)"))
    return date


def build_packets(workspace: Workspace, committee: str, date: dt.date, *,
                  options: BuildOptions = BuildOptions()) -> PacketReport:
    """Build a session's documents: its packets, and from a session record the Einladung
    and (after the meeting) the Niederschrift."""
    from notices.packets.cover import check_packet_templates
    from notices.packets.write import SessionWriter

    # Spaces as in the records, whose text fields are read with runs of spaces collapsed.
    report = PacketReport(session=SessionKey(" ".join(committee.split()), date))
    templates = TemplateSet.read(workspace.templates_dir)
    kinds, _ = templates.declared_kinds()
    results, _ = load_records(workspace.root, RecordLoader(workspace.settings, kinds))
    meeting = _meeting(workspace, results, report)
    session = _select(workspace, results, report, has_record=meeting is not None)
    if session is None:
        return report
    agenda = None
    if meeting is not None:
        from notices.packets.agenda import resolve

        agenda, problems = resolve(meeting, [r.notice.summary() for r in results if r.ok])
        report.problems += problems
        if any(p.is_error for p in problems):
            report.failed = True
            report.problems.append(Problem("session", f"nothing written for {report.session}: "
                                           f"{meeting.path} has errors"))
            return report
    cover_problems = [p for p in check_packet_templates(
        templates, options.formats, city=workspace.settings.city,
        variant=options.pdf_variant or workspace.settings.pdf_variant, required=True,
        meeting=agenda is not None) if p.is_error]
    if cover_problems:
        raise TemplateError(cover_problems)
    papers = sorted({e.paper.path for e in agenda.entries if e.paper and not e.paper.draft}
                    ) if agenda else [n.path for n in session.notices]
    with OutputFolder(workspace.output_dir) as folder:
        report.problems += folder.problems
        run = BuildRun(workspace, options, folder, templates=templates)
        # Bring the single papers up to date first, and learn whether any fails.
        report.build = run.run([workspace.root / path for path in papers], across=False) \
            if papers else BuildReport()
        for record in report.build.records:
            report.problems.extend(record.problems)
        report.problems.extend(report.build.problems)
        if report.build.interrupted:
            return report
        if report.build.stopped is not None:  # the Dask cluster went away
            report.failed = True
            report.problems += [report.build.stopped, Problem(
                "session", f"no packet written for {report.session}: not every notice of "
                "the session was rendered")]
            return report
        if report.failed or report.build.failed:
            report.failed = True
            report.problems.append(Problem("session", f"no packet written for "
                                           f"{report.session}: a notice of the session failed"))
            return report
        SessionWriter(run, session, agenda, results, report).write()
    return report


def _meeting(workspace: Workspace, results: list[RecordResult], report: PacketReport):
    """The session record of the requested meeting, if there is one (its problems reported)."""
    from notices.packets.agenda import meeting_key
    from notices.source.meeting import load_meetings

    key = meeting_key(report.session.committee, report.session.date)
    meetings = load_meetings(workspace)
    found = [m for m in meetings if m.meeting is not None
             and meeting_key(m.meeting.committee, m.meeting.date) == key]
    broken = [m for m in meetings if m.meeting is None]
    # A broken session record that names this meeting may be its record: it stops the
    # session (and is named, rather than the meeting called unknown). One that names
    # another meeting does not stop this one (one bad record never stops the others).
    ours = [m for m in broken if _may_belong(workspace, m.path, report.session, "sessions")]
    for result in found + ours:
        report.problems += [p for p in result.problems
                            if result.meeting is not None or p.is_error]
    for result in broken:
        if result not in ours:
            report.problems.append(Problem(
                result.path, "has errors ('notices check' lists them); it does not name "
                "this meeting, so it does not stop it", severity=Severity.WARNING))
    report.broken_record = ours[0].path if ours else None
    if len(found) > 1:
        raise NoticesError(Problem(found[1].path, f"describes the same meeting as "
                                   f"{found[0].path}; keep one"))
    if ours:
        report.failed = True
    return found[0].meeting if found and found[0].ok else None


def _select(workspace: Workspace, results: list[RecordResult], report: PacketReport, *,
            has_record: bool = False) -> Session | None:
    """The requested session, or None (with the reasons in ``report``); raises if unknown.

    Spellings of the committee that give the same file name (letter case, spaces) never
    block a packet: the spelling most records use gets it, and each record spelled
    otherwise is left out and named in a warning. Only a request for a rarer spelling is
    refused, naming the usual one.
    """
    key = report.session
    sessions, session_problems = group_sessions([r.notice for r in results if r.ok])
    session = sessions.get(key, Session(key))
    members = {n.path for n in session.notices + session.drafts}
    report.problems.extend(p for p in session_problems
                           if p.path in members or p.field == "session.committee")
    suspects = [r for r in results if not r.ok and _may_belong(workspace, r.path, key)]
    for suspect in suspects:
        report.problems.extend(p for p in suspect.problems if p.is_error)
        report.problems.append(Problem(suspect.path, f"may belong to {key} but has errors; "
                                       "no packet is written until it is fixed"))
    if suspects:
        report.failed = True
    if suspects:
        report.problems.append(Problem("session", f"no packet written for {key}: a notice of "
                                       "the session failed"))
    if key not in sessions:
        if suspects:
            return None
        if has_record:  # a meeting whose agenda has no papers (yet) still has documents
            return None if report.failed else Session(key)
        if report.broken_record:
            report.failed = True
            report.problems.append(Problem("session", f"nothing written for {key}: its "
                                           f"session record {report.broken_record} has "
                                           "errors (above)"))
            return None
        raise SessionNotFound(Problem("session", _no_session_message(key, sessions)))
    namesakes = [k for k in sessions if k.date == key.date and k.slug == key.slug]
    usual = max(namesakes, key=lambda k: (len(sessions[k].notices), _rank(k, namesakes)))
    if usual != key:
        raise NoticesError(Problem(
            "session", f"{key.committee!r} is spelled so by {len(sessions[key].notices)} "
            f"record(s) of {format_date(key.date)}, {usual.committee!r} by "
            f"{len(sessions[usual].notices)}; both would write output/sessions/{key.slug}.*, "
            f"which belongs to the usual spelling: build the packet with --committee "
            f"{usual.committee!r}, and spell the committee that way in "
            f"{', '.join(n.path for n in sessions[key].notices[:3])}"))
    return None if report.failed else sessions[key]


def _rank(key: SessionKey, namesakes: list[SessionKey]) -> int:
    """On a tie, the spelling that sorts first wins (so the choice never depends on order)."""
    return -sorted(k.committee for k in namesakes).index(key.committee)


def _may_belong(workspace: Workspace, path: str, key: SessionKey,
                folder: str = "records") -> bool:
    """A record (or session record) that failed to load: does its text name this
    session's committee and date?"""
    import os

    from notices.source.reading import Unreadable, read_bounded

    try:
        raw = read_bounded(workspace.root / path, Path(os.path.realpath(workspace.root / folder)),
                           workspace.settings.limits.max_record_bytes)
    except Unreadable:
        return False
    text = raw.decode("utf-8", errors="replace")
    if key.committee.casefold() not in " ".join(text.split()).casefold():
        return False
    return format_date(key.date) in text or key.date.isoformat() in text


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


