"""Sessions: which notices belong to a meeting, in which order, and what looks misspelt.

A session is a committee and a date; a record belongs to it through
``session.committee`` (matched exactly as written, after trimming spaces) and
``session.date``. Because one misspelt committee would silently drop a notice from the
packet, near misses (equal after case-folding and collapsing spaces, or within an edit
distance of 2) are reported as warnings naming the record and both spellings.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

from notices.errors import Problem, Severity
from notices.source.model import Consultation, Notice, format_date

_NUMBER = re.compile(r"(\d+)")


@dataclass(frozen=True)
class SessionKey:
    committee: str
    date: dt.date

    @property
    def slug(self) -> str:
        return f"{self.date.isoformat()}_{slugify(self.committee)}"

    def __str__(self) -> str:
        return f"{self.committee} am {format_date(self.date)}"


@dataclass(frozen=True)
class Entry:
    """A paper on a session's agenda: through which of its consultations it is there."""

    notice: Notice
    consultation: Consultation

    @property
    def agenda_item(self) -> str | None:
        return self.consultation.agenda_item


@dataclass
class Session:
    key: SessionKey
    entries: list[Entry] = field(default_factory=list)  # in agenda order, no drafts
    drafts: list[Notice] = field(default_factory=list)  # left out of its packets

    @property
    def notices(self) -> list[Notice]:
        return [entry.notice for entry in self.entries]

    @property
    def public(self) -> list[Entry]:
        """A paper non-public in any of its consultations is in no public part."""
        return [e for e in self.entries if e.notice.public]

    @property
    def non_public(self) -> list[Entry]:
        return [e for e in self.entries if not e.notice.public]


MAX_SLUG = 60


def slugify(text: str) -> str:
    """A safe, bounded file name part: ASCII lower case, ä→ae, ö→oe, ü→ue, ß→ss, é→e.

    Other runs of characters become one '-'. A name that loses letters on the way (Greek,
    Cyrillic, CJK), slugs to nothing (``..``) or is longer than 60 characters gets a short
    hash of the name appended, so that different committees never share a file name.
    Spellings that differ only in letter case or spaces share it (they are reported as
    near misses instead).
    """
    folded = " ".join(unicodedata.normalize("NFC", text).casefold().split())
    lowered = folded
    for umlaut, replacement in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        lowered = lowered.replace(umlaut, replacement)
    decomposed = "".join(c for c in unicodedata.normalize("NFKD", lowered)
                         if not unicodedata.combining(c))
    lossy = any(c.isalnum() and not c.isascii() for c in decomposed)
    slug = re.sub(r"[^a-z0-9]+", "-", decomposed).strip("-")
    if lossy or not slug or len(slug) > MAX_SLUG:
        suffix = hashlib.sha256(folded.encode("utf-8")).hexdigest()[:8]
        slug = f"{slug[:MAX_SLUG].rstrip('-') or 'gremium'}-{suffix}"
    return slug


def natural_key(text: str) -> tuple:
    """Sort key in which ``2`` < ``10`` < ``10.1`` < ``10.2`` < ``11``."""
    parts = []
    for piece in _NUMBER.split(text.strip()):
        if not piece:
            continue
        if piece.isdigit():
            parts.append((0, int(piece), ""))
        else:
            parts.append((1, 0, piece.casefold()))
    return tuple(parts)


def agenda_order(entry: Entry) -> tuple:
    """Agenda items in natural order, papers without one last; then file number, path."""
    item = entry.agenda_item
    return (item is None, natural_key(item or ""), natural_key(entry.notice.file_number),
            entry.notice.path)


def group_sessions(notices: list[Notice]) -> tuple[dict[SessionKey, Session], list[Problem]]:
    """Group papers into sessions (each in agenda order) and warn about near misses.

    A paper belongs to the session of every consultation of its Beratungsfolge. Drafts
    belong to their sessions but are left out of their packets, each with a warning.
    """
    sessions: dict[SessionKey, Session] = {}
    problems: list[Problem] = []
    for notice in notices:
        for consultation in notice.consultations:
            key = SessionKey(consultation.committee.strip(), consultation.date)
            session = sessions.setdefault(key, Session(key))
            if notice.draft:
                session.drafts.append(notice)
                problems.append(Problem(
                    notice.path, f"is a draft (status: entwurf), so it is left out of the "
                    f"packet of {key}; set status: final when it is done", field="status",
                    severity=Severity.WARNING))
            else:
                session.entries.append(Entry(notice, consultation))
    for session in sessions.values():
        session.entries.sort(key=agenda_order)
        seen: dict[str, Notice] = {}
        numbers: dict[str, Notice] = {}
        for entry in session.entries:
            notice = entry.notice
            # The same Aktenzeichen twice in one session is usually a copied record.
            first = numbers.setdefault(notice.file_number, notice)
            if first is not notice:
                problems.append(Problem(
                    notice.path, f"file number {notice.file_number!r} is also used by "
                    f"{first.path} in the same session ({session.key}); a copied record?",
                    field="file_number", severity=Severity.WARNING))
            item = entry.agenda_item
            if item is None:
                continue
            if item in seen:
                problems.append(Problem(
                    notice.path, f"agenda item {item!r} is also used by {seen[item].path} "
                    f"in the same session ({session.key})", field="session.agenda_item",
                    severity=Severity.WARNING))
            else:
                seen[item] = notice
    problems.extend(_near_misses(notices))
    return sessions, problems


def _normalized(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def _near_misses(notices: list[Notice]) -> list[Problem]:
    counts: dict[str, list[Notice]] = {}
    for notice in notices:
        for consultation in notice.consultations:
            counts.setdefault(consultation.committee.strip(), []).append(notice)
    names = sorted(counts)
    problems = []
    for index, first in enumerate(names):
        for second in names[index + 1:]:
            if not (_normalized(first) == _normalized(second)
                    or edit_distance(first, second, limit=2) <= 2):
                continue
            # Warn on the rarer spelling; on a tie, on both.
            for odd, usual in ((first, second), (second, first)):
                if len(counts[odd]) > len(counts[usual]):
                    continue
                for notice in counts[odd]:
                    problems.append(Problem(
                        notice.path, f"{odd!r} looks like {usual!r} (used by "
                        f"{len(counts[usual])} record(s)); if it is the same committee, "
                        "spell it the same, or this notice is missing from that session",
                        field="session.committee" if len(notice.consultations) == 1
                        else "consultations", severity=Severity.WARNING))
    return problems


def edit_distance(first: str, second: str, *, limit: int) -> int:
    """Levenshtein distance, stopping early once it exceeds ``limit``."""
    if abs(len(first) - len(second)) > limit:
        return limit + 1
    previous = list(range(len(second) + 1))
    for i, a in enumerate(first, start=1):
        current = [i]
        for j, b in enumerate(second, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (a != b)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]

