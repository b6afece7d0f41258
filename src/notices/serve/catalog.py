"""What the overview lists: every paper with its status, every session with its documents.

Made by ``notices check``'s own record half (:func:`notices.check.check_records`), so a
paper's status in the browser is what ``check`` says of it, and remade only when a file
under records/, sessions/ or templates/ (or notices.toml) changed: the overview and the
previews then cost a page render, not a validation of every record.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

from notices.errors import Problem
from notices.packets.sessions import SessionKey
from notices.source.model import format_date

STATUS_LABELS = {"ok": "ok", "warnungen": "Warnungen", "fehler": "Fehler",
                 "entwurf": "Entwurf"}


@dataclass(frozen=True)
class PaperRow:
    """One paper as the overview and the preview show it."""

    path: str  # records/2023/x.yaml
    stem: str  # 2023/x (its outputs under output/)
    kind: str
    kind_label: str
    subject: str
    paper_number: str | None
    file_number: str | None
    sessions: tuple[SessionKey, ...]
    draft: bool
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> bool:
        return any(p.is_error for p in self.problems)

    @property
    def warnings(self) -> bool:
        return any(not p.is_error for p in self.problems)

    @property
    def statuses(self) -> tuple[str, ...]:
        """``fehler``, ``warnungen``, ``entwurf`` as they apply, else ``ok``."""
        found = tuple(name for name, flag in (("fehler", self.errors),
                                                ("warnungen", self.warnings and not self.errors),
                                                ("entwurf", self.draft)) if flag)
        return found or ("ok",)

    @property
    def reference(self) -> str:
        return self.paper_number or self.file_number or ""


@dataclass(frozen=True)
class SessionRow:
    key: SessionKey
    papers: tuple[str, ...]  # record paths
    record: str | None  # its session record (sessions/…), if any
    has_minutes: bool
    documents: tuple[str, ...]  # written files under output/sessions/

    @property
    def label(self) -> str:
        return f"{format_date(self.key.date)} {self.key.committee}"


@dataclass
class Catalog:
    papers: list[PaperRow] = field(default_factory=list)
    sessions: list[SessionRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # of the workspace, not a paper
    kinds: dict = field(default_factory=dict)
    templates: object = None

    def paper(self, path: str) -> PaperRow | None:
        return next((p for p in self.papers if p.path == path), None)

    def filtered(self, *, kind: str = "", committee: str = "", date: str = "",
                 status: str = "") -> list[PaperRow]:
        """The papers that match every filter given (empty: any)."""
        def matches(paper: PaperRow) -> bool:
            return ((not kind or paper.kind == kind)
                    and (not committee or any(s.committee == committee for s in paper.sessions))
                    and (not date or any(s.date.isoformat() == date for s in paper.sessions))
                    and (not status or status in paper.statuses))

        return [paper for paper in self.papers if matches(paper)]

    @property
    def committees(self) -> list[str]:
        return sorted({s.committee for p in self.papers for s in p.sessions}
                      | {s.key.committee for s in self.sessions})

    @property
    def dates(self) -> list[dt.date]:
        return sorted({s.date for p in self.papers for s in p.sessions}
                      | {s.key.date for s in self.sessions})


def make_catalog(workspace) -> Catalog:
    """Validate every record (as check does) and group the sessions."""
    from notices.check import check_records
    from notices.packets.agenda import meeting_key
    from notices.packets.sessions import group_sessions
    from notices.source.meeting import load_meetings
    from notices.template_set import TemplateSet

    templates = TemplateSet.read(workspace.templates_dir)
    kinds, kind_problems = templates.declared_kinds()
    problems, results = check_records(workspace, templates)
    catalog = Catalog(problems=list(templates.problems) + kind_problems + problems,
                      kinds=kinds, templates=templates)
    for result in results:
        notice = result.notice
        if notice is not None:
            catalog.papers.append(PaperRow(
                result.path, result.stem, notice.kind, notice.kind_label, notice.subject,
                notice.paper_number, notice.file_number,
                tuple(SessionKey(c.committee, c.date) for c in notice.consultations),
                notice.draft, tuple(result.problems)))
        else:
            catalog.papers.append(_broken_row(workspace, result, kinds))
    sessions, _ = group_sessions([r.notice for r in results if r.ok])
    meetings = {}
    for found in load_meetings(workspace):
        if found.ok:
            meetings.setdefault(meeting_key(found.meeting.committee, found.meeting.date),
                                found.meeting)
    keys = set(sessions) | {SessionKey(*key) for key in meetings}
    for key in sorted(keys, key=lambda k: (k.date, k.committee)):
        session = sessions.get(key)
        meeting = meetings.get(meeting_key(key.committee, key.date))
        papers = tuple(n.path for n in session.notices + session.drafts) if session else ()
        catalog.sessions.append(SessionRow(
            key, papers, meeting.path if meeting else None,
            bool(meeting and meeting.minutes), session_documents(workspace.output_dir, key)))
    return catalog


def session_documents(output_dir: Path, key: SessionKey) -> tuple[str, ...]:
    """The session's files under output/sessions/ (packets, Einladung, Niederschrift)."""
    folder = output_dir / "sessions"
    try:
        names = os.listdir(folder)
    except OSError:
        return ()
    prefix = key.slug
    return tuple(f"sessions/{name}" for name in sorted(names)
                 if (name == prefix + ".pdf" or name == prefix + ".docx"
                     or name.startswith(prefix + "_"))
                 and name.endswith((".pdf", ".docx")))


def _broken_row(workspace, result, kinds) -> PaperRow:
    """A record that does not load still shows what it says of itself."""
    from notices.source.decode import Undecodable, decode_record
    from notices.source.reading import Unreadable, read_bounded
    from notices.source.yaml_source import Mapping, Scalar, parse_yaml

    values: dict[str, str] = {}
    try:
        raw = read_bounded(workspace.root / result.path,
                           Path(os.path.realpath(workspace.records_dir)),
                           workspace.settings.limits.max_record_bytes)
        root = parse_yaml(decode_record(raw, markdown=result.path.lower().endswith(".md")
                                        ).yaml).root
    except (Unreadable, Undecodable):
        root = None
    if isinstance(root, Mapping):
        values = {key: " ".join(value.text.split()) for key, value in root.items.items()
                  if isinstance(value, Scalar) and value.text}
    kind = values.get("kind", "mitteilung")
    label = kinds[kind].label if kind in kinds else kind
    return PaperRow(result.path, result.stem, kind, label, values.get("subject", ""),
                    values.get("paper_number"), values.get("file_number"), (),
                    values.get("status", "").casefold() == "entwurf", tuple(result.problems))
