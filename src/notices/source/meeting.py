"""Session records: a meeting's agenda and, afterwards, its minutes, validated and typed.

One YAML file per meeting under ``sessions/`` (any file name): the committee, date,
start and place, the agenda (every item, also those without a paper), and after the
meeting ``minutes``: end, attendance and the result of each item. It is read by the
rules of every record (text as typed, dates in both forms, one line per problem with
file, line and field, unknown keys with "did you mean").
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from notices.source.fields import YES_NO, YES_NO_HELP
from notices.source.validate import Validator, describe_value
from notices.source.yaml_source import Mapping, Scalar, Sequence

MEETING_FIELDS = {
    "committee": "the committee, e.g. Bezirksvertretung Heepen",
    "date": "the date of the meeting",
    "start": "the time it starts, e.g. 17:00",
    "place": "where it meets",
    "chair": "who chairs it",
    "number": "the session's identifier, e.g. BVHe/025/2023",
    "invitation_date": "the date of the Einladung",
    "agenda": "the Tagesordnung: a list of items (item, title, public, paper, note)",
    "minutes": "the Niederschrift: end, present, excused, administration, results",
}
ITEM_FIELDS = {"item": "the agenda number as written, e.g. 5.1",
               "title": "the title of the item", "public": f"public? ({YES_NO_HELP})",
               "paper": "the paper: its paper number or file number",
               "note": "a note printed under the item"}
MINUTES_FIELDS = {"end": "the time it ended, e.g. 19:35",
                  "present": "who was present: names, or group: names",
                  "excused": "who was excused: names, or group: names",
                  "administration": "who attended for the administration",
                  "results": "the result of each item: item: text, or item: {result, …}"}
RESULT_FIELDS = {"result": "the wording, e.g. einstimmig beschlossen",
                 "yes": "votes for", "no": "votes against", "abstain": "abstentions",
                 "text": "the resolution text, in Markdown"}
_TIME = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")


@dataclass(frozen=True)
class AgendaItem:
    item: str  # as written: "5.1"
    title: str | None  # None: the paper's subject
    public: bool = True
    paper: str | None = None  # a paper number or file number
    note: str | None = None
    line: int | None = None  # in the session record, for messages


@dataclass(frozen=True)
class Result:
    """What was decided on an item: a wording, votes, and a resolution text."""

    result: str  # "einstimmig beschlossen", "Kenntnisnahme", "vertagt"
    yes: int | None = None
    no: int | None = None
    abstain: int | None = None
    text: object | None = None  # a Markdown Document
    line: int | None = None

    @property
    def decided(self) -> bool:
        """A resolution with votes or the wording of one ("… beschlossen", "abgelehnt")."""
        return self.yes is not None or "beschlossen" in self.result or "abgelehnt" in self.result

    @property
    def line_text(self) -> str:
        """The result line of the minutes: "- mit Mehrheit beschlossen -, Ja: 44, Nein: 22"."""
        if not self.decided:
            return self.result
        votes = [f"{label}: {value}" for label, value in (
            ("Ja", self.yes), ("Nein", self.no), ("Enthaltungen", self.abstain))
            if value is not None]
        return ", ".join([f"- {self.result} -"] + votes)


@dataclass(frozen=True)
class Attendance:
    """Names, optionally by group ("SPD": [...]); ungrouped names under the group ""."""

    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for _, names in self.groups for name in names)


@dataclass(frozen=True)
class Minutes:
    end: str
    present: Attendance
    excused: Attendance = Attendance()
    administration: tuple[str, ...] = ()
    results: dict = field(default_factory=dict)  # item -> Result


@dataclass(frozen=True)
class Meeting:
    """One meeting of a committee, from ``sessions/<any>.yaml``."""

    path: str  # relative to the workspace: sessions/2023-04-20-heepen.yaml
    committee: str
    date: dt.date
    start: str
    place: str
    agenda: tuple[AgendaItem, ...]
    chair: str | None = None
    number: str | None = None
    invitation_date: dt.date | None = None
    minutes: Minutes | None = None
    source_sha256: str = ""

    @property
    def documents(self):
        """The Markdown resolution texts of the minutes, in agenda order (for rendering)."""
        if self.minutes is None:
            return ()
        return tuple(result.text for item in self.agenda
                     for result in [self.minutes.results.get(item.item)]
                     if result is not None and result.text is not None)


class MeetingReader:
    """Reads one session record through a :class:`Validator` (the record rules)."""

    def __init__(self, validator: Validator):
        self.v = validator

    def read(self, root: Mapping, sha256: str) -> Meeting | None:
        v = self.v
        v.check_keys(root, MEETING_FIELDS, "")
        committee = v.text(root, "committee", "", fields=MEETING_FIELDS)
        date = v.date(root, "date", "", MEETING_FIELDS)
        start = self._time(root, "start", "")
        place = v.text(root, "place", "", fields=MEETING_FIELDS)
        chair = v.text(root, "chair", "", optional=True)
        number = v.text(root, "number", "", optional=True)
        invitation = v.date(root, "invitation_date", "", MEETING_FIELDS) \
            if root.items.get("invitation_date") is not None else None
        agenda = self._agenda(root)
        minutes = self._minutes(root) if "minutes" in root.items else None
        if v.failed:
            return None
        return Meeting(v.shown, committee, date, start, place, agenda, chair, number,
                       invitation, minutes, sha256)

    def _time(self, mapping: Mapping, key: str, prefix: str) -> str | None:
        text = self.v.text(mapping, key, prefix, fields={**MEETING_FIELDS, **MINUTES_FIELDS})
        if text is None:
            return None
        match = _TIME.match(text)
        if match is None:
            self.v.error(prefix + key, f"{text!r} is not a time (expected HH:MM, e.g. 17:00)",
                         mapping.key_lines.get(key))
            return None
        return f"{int(match.group(1)):02d}:{match.group(2)}"

    def _agenda(self, root: Mapping) -> tuple[AgendaItem, ...]:
        v = self.v
        node, line = root.items.get("agenda"), root.key_lines.get("agenda")
        if not isinstance(node, Sequence) or not node.items:
            v.error("agenda", f"expected a list of items (- item: \"1\", title: …), found "
                    f"{describe_value(node) if node is not None else 'nothing'}", line)
            return ()
        items = []
        for index, entry in enumerate(node.items):
            prefix = f"agenda[{index}]."
            if not isinstance(entry, Mapping):
                v.error(prefix[:-1], f"expected item and title, found {describe_value(entry)}",
                        entry.line)
                continue
            entry.key_line = entry.key_line or entry.line
            v.check_keys(entry, ITEM_FIELDS, prefix)
            item = v.text(entry, "item", prefix, fields=ITEM_FIELDS)
            paper = v.text(entry, "paper", prefix, optional=True)
            title = v.text(entry, "title", prefix, fields=ITEM_FIELDS, optional=paper is not None)
            note = v.text(entry, "note", prefix, optional=True)
            public = self._yes_no(entry, "public", prefix, default=True)
            if item is not None and public is not None:
                items.append(AgendaItem(item, title, public, paper, note, entry.line))
        return tuple(items)

    def _yes_no(self, mapping: Mapping, key: str, prefix: str, *, default: bool) -> bool | None:
        text = self.v.text(mapping, key, prefix, optional=True)
        if text is None:
            return default
        value = YES_NO.get(" ".join(text.casefold().split()))
        if value is None:
            self.v.error(prefix + key, f"{text!r} is not understood (expected {YES_NO_HELP})",
                         mapping.key_lines.get(key))
        return value

    def _minutes(self, root: Mapping) -> Minutes | None:
        v = self.v
        node = v.mapping(root, "minutes", MEETING_FIELDS["minutes"])
        if node is None:
            return None
        v.check_keys(node, MINUTES_FIELDS, "minutes.")
        end = self._time(node, "end", "minutes.")
        present = self._attendance(node, "present", required=True)
        excused = self._attendance(node, "excused", required=False)
        administration = self._names(node.items.get("administration"), "minutes.administration",
                                     node.key_lines.get("administration"))
        results = self._results(node)
        if end is None or present is None:
            return None
        return Minutes(end, present, excused or Attendance(), administration, results)

    def _attendance(self, node: Mapping, key: str, *, required: bool) -> Attendance | None:
        value, line = node.items.get(key), node.key_lines.get(key)
        name = f"minutes.{key}"
        if value is None or (isinstance(value, Scalar) and value.text is None):
            if required:
                self.v.error(name, f"missing ({MINUTES_FIELDS[key]})", line)
            return None
        if isinstance(value, Mapping):
            groups = []
            for group, names in value.items.items():
                found = self._names(names, f"{name}.{group}", value.key_lines.get(group))
                groups.append((group, found))
            return Attendance(tuple(groups))
        return Attendance((("", self._names(value, name, line)),))

    def _names(self, node, name: str, line: int | None) -> tuple[str, ...]:
        if node is None:
            return ()
        if not isinstance(node, Sequence):
            self.v.error(name, f"expected a list of names, found {describe_value(node)}", line)
            return ()
        names = []
        for index, child in enumerate(node.items):
            if isinstance(child, Scalar) and child.text is not None:
                text = self.v.text_of(child, f"{name}[{index}]", child.line)
                if text:
                    names.append(text)
            else:
                self.v.error(f"{name}[{index}]", "expected a name", child.line)
        return tuple(names)

    def _results(self, node: Mapping) -> dict:
        v = self.v
        value = node.items.get("results")
        if value is None or (isinstance(value, Scalar) and value.text is None):
            return {}
        if not isinstance(value, Mapping):
            v.error("minutes.results", "expected item: result, one per line", 
                    node.key_lines.get("results"))
            return {}
        results = {}
        for item, entry in value.items.items():
            name, line = f"minutes.results.{item}", value.key_lines.get(item)
            if isinstance(entry, Scalar):
                text = v.text_of(entry, name, line)
                if text:
                    results[item] = Result(text, line=line)
                continue
            if not isinstance(entry, Mapping):
                v.error(name, f"expected a result, found {describe_value(entry)}", line)
                continue
            entry.key_line = entry.key_line or line
            v.check_keys(entry, RESULT_FIELDS, f"{name}.")
            wording = v.text(entry, "result", f"{name}.", fields=RESULT_FIELDS)
            votes = {key: self._count(entry, key, name) for key in ("yes", "no", "abstain")}
            text = None
            source = entry.items.get("text")
            if isinstance(source, Scalar) and source.text is not None:
                cleaned = v.text_of(source, f"{name}.text", entry.key_lines.get("text"),
                                    multiline=True)
                if cleaned:
                    first = source.line + (1 if source.style in ("|", ">") else 0)
                    text = v.markdown(f"{name}.text", cleaned, first)
            if wording and "einstimmig" in wording.casefold() and votes["no"]:
                # Unanimous allows abstentions ("einstimmig bei 2 Enthaltungen"), never
                # votes against: one of the two is a slip, and the minutes are a record.
                v.warn(f"{name}.no", f"{votes['no']} votes against, but the result says "
                       f"{wording!r}: unanimous means none against; correct one of them",
                       entry.key_lines.get("no"))
            if wording:
                results[item] = Result(wording, votes["yes"], votes["no"], votes["abstain"],
                                       text, line)
        return results

    def _count(self, entry: Mapping, key: str, name: str) -> int | None:
        text = self.v.text(entry, key, f"{name}.", optional=True)
        if text is None:
            return None
        if not text.isdigit():
            self.v.error(f"{name}.{key}", f"{text!r} is not a number of votes",
                         entry.key_lines.get(key))
            return None
        return int(text)


@dataclass
class MeetingResult:
    """What loading one session record produced: a meeting, or the problems that stop it."""

    path: str
    meeting: Meeting | None = None
    problems: list = field(default_factory=list)
    source_sha256: str | None = None

    @property
    def ok(self) -> bool:
        return self.meeting is not None and not any(p.is_error for p in self.problems)


def load_meetings(workspace) -> list[MeetingResult]:
    """Every session record under ``sessions/``, read by the rules of records."""
    import hashlib
    import os
    from pathlib import Path

    from notices.errors import Problem
    from notices.source.decode import Undecodable, decode_record
    from notices.source.discovery import is_hidden
    from notices.source.reading import Unreadable, read_bounded
    from notices.source.yaml_source import parse_yaml

    folder = workspace.root / "sessions"
    if not folder.is_dir():
        return []
    root = Path(os.path.realpath(folder))
    results = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not is_hidden(d))
        for name in sorted(filenames):
            if is_hidden(name) or not name.lower().endswith((".yaml", ".yml")):
                continue
            path = Path(dirpath) / name
            shown = workspace.relative(path)
            result = MeetingResult(shown)
            results.append(result)
            try:
                raw = read_bounded(path, root, workspace.settings.limits.max_record_bytes)
                text = decode_record(raw, markdown=False)
            except (Unreadable, Undecodable) as why:
                result.problems.append(Problem(shown, str(why)))
                continue
            result.source_sha256 = hashlib.sha256(raw).hexdigest()
            parsed = parse_yaml(text.yaml)
            result.problems += [Problem(shown, p.message, field=p.key_path, line=p.line,
                                        column=p.column) for p in parsed.problems]
            if parsed.root is None or result.problems:
                if not result.problems:
                    result.problems.append(Problem(shown, "is empty (expected committee, date, "
                                                   "start, place and agenda)"))
                continue
            if not isinstance(parsed.root, Mapping):
                result.problems.append(Problem(shown, "expected committee, date, start, place "
                                               f"and agenda, found {describe_value(parsed.root)}",
                                               line=parsed.root.line))
                continue
            validator = Validator(workspace.settings, shown, text, None)
            result.meeting = MeetingReader(validator).read(parsed.root, result.source_sha256)
            result.problems += sorted(validator.problems, key=lambda p: p.line or 10**9)
    return results
