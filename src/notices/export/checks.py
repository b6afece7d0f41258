"""Consistency of an export model, checked once for both exporters.

A dangling reference would otherwise turn into a broken OParl link or a silently
missing archive record; a key used twice would make two objects share one URL.
"""

from __future__ import annotations

from notices.export.model import ExportBody, ExportFile, ExportLocation


def check_body(body: ExportBody) -> None:
    """Check cross references and key uniqueness; raise ValueError listing all problems.

    Both exporters call this first: a dangling reference would otherwise turn
    into a broken OParl link or a silently missing archive record.
    """
    problems: list[str] = []

    def unique(kind: str, keys: list[str]) -> set[str]:
        seen: set[str] = set()
        for key in keys:
            if key in seen:
                problems.append(f"duplicate {kind} key {key!r}")
            seen.add(key)
        return seen

    committees = unique("committee", [o.key for o in body.committees])
    offices = unique("office", [o.key for o in body.offices])
    for key in sorted(committees & offices):
        problems.append(f"organization key {key!r} is both a committee and an office")
    meetings = {m.key: m for m in body.meetings}
    unique("meeting", [m.key for m in body.meetings])
    papers = unique("paper", [p.key for p in body.papers])
    unique("legislative term", [t.key for t in body.legislative_terms])

    # A file key names one file: the same key must mean the same object.
    files: dict[str, ExportFile] = {}
    locations: dict[str, ExportLocation] = {}
    all_files = [f for m in body.meetings for f in m.files] + [
        f for p in body.papers for f in p.files
    ]
    for file in all_files:
        if files.setdefault(file.key, file) != file:
            problems.append(f"file key {file.key!r} is used for different files")
    for location in [m.location for m in body.meetings] + [body.location]:
        if location is not None and locations.setdefault(location.key, location) != location:
            problems.append(f"location key {location.key!r} is used for different locations")

    for meeting in body.meetings:
        if meeting.committee not in committees:
            problems.append(f"meeting {meeting.key!r}: unknown committee {meeting.committee!r}")
        unique(f"agenda item (meeting {meeting.key!r})", [i.key for i in meeting.agenda_items])
        for item in meeting.agenda_items:
            if item.paper is not None and item.paper not in papers:
                problems.append(
                    f"meeting {meeting.key!r} item {item.key!r}: unknown paper {item.paper!r}"
                )
    for paper in body.papers:
        if paper.office not in offices:
            problems.append(f"paper {paper.key!r}: unknown office {paper.office!r}")
        unique(f"consultation (paper {paper.key!r})", [c.key for c in paper.consultations])
        for consultation in paper.consultations:
            where = f"paper {paper.key!r} consultation {consultation.key!r}"
            if consultation.committee not in committees:
                problems.append(f"{where}: unknown committee {consultation.committee!r}")
            meeting = meetings.get(consultation.meeting) if consultation.meeting else None
            if consultation.meeting is not None and meeting is None:
                problems.append(f"{where}: unknown meeting {consultation.meeting!r}")
            if (
                meeting is not None
                and consultation.agenda_item is not None
                and consultation.agenda_item not in {i.key for i in meeting.agenda_items}
            ):
                problems.append(f"{where}: unknown agenda item {consultation.agenda_item!r}")
    if problems:
        raise ValueError("inconsistent export model:\n  " + "\n  ".join(problems))
