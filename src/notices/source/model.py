"""The typed record: what a validated paper holds, as the templates see it.

Frozen dataclasses, so a notice cannot be changed on its way through the renderers, and
plain values that travel between processes. Dates are :class:`datetime.date`; German
documents print them ``18.04.2023`` (:func:`format_date`), and records may write them
either that way or ``2023-04-18`` (:func:`parse_date`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from notices.settings import Office
from notices.source.blocks import Document

DEFAULT_KIND = "mitteilung"
DATE_HELP = "expected DD.MM.YYYY or YYYY-MM-DD"


ROLES = ("Anhörung", "Vorberatung", "Entscheidung", "Kenntnisnahme")
STATUSES = ("entwurf", "final")


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str


@dataclass(frozen=True)
class Consultation:
    """One step of a paper's Beratungsfolge: a committee, a session, public or not."""

    committee: str
    date: dt.date
    public: bool
    agenda_item: str | None = None
    role: str | None = None  # Anhörung, Vorberatung, Entscheidung, Kenntnisnahme


Session = Consultation  # ``session:`` is a Beratungsfolge of one


@dataclass(frozen=True)
class Attachment:
    """An Anlage: a file beside the record, listed at the paper's end, copied beside it."""

    number: int
    title: str
    path: str  # relative to the workspace: records/2023/lageplan.pdf
    media_type: str  # application/pdf, image/png or image/jpeg

    @property
    def output_suffix(self) -> str:
        """``_anlage-1.pdf``: where the copy goes, beside the paper's outputs."""
        extension = {"application/pdf": "pdf", "image/png": "png"}.get(self.media_type, "jpg")
        return f"_anlage-{self.number}.{extension}"


@dataclass(frozen=True)
class Notice:
    """One validated paper, ready for the templates (the name is historical: any kind)."""

    path: str  # relative to the workspace: records/2023/x.yaml
    output_stem: str  # relative to output/: 2023/x
    kind: str
    office: Office
    file_number: str
    date: dt.date
    contact: Contact
    consultations: tuple[Consultation, ...]
    subject: str
    signatory: str
    fields: dict = field(default_factory=dict)  # the kind's fields; Markdown as Documents
    kind_label: str = "Mitteilung"
    paper_number: str | None = None
    status: str = "final"
    attachments: tuple[Attachment, ...] = ()
    source_sha256: str = ""  # of the record file's bytes as stored
    documents: tuple[Document, ...] = ()  # every Markdown value, in the kind's order

    @property
    def session(self) -> Consultation:
        """The first consultation (a Mitteilung's one session)."""
        return self.consultations[0]

    @property
    def public(self) -> bool:
        """Non-public in any consultation means non-public everywhere."""
        return all(c.public for c in self.consultations)

    @property
    def draft(self) -> bool:
        return self.status == "entwurf"

    @property
    def facts(self) -> Document:
        """The facts of a kind that has them (a Mitteilung), else an empty document."""
        value = self.fields.get("facts")
        return value if isinstance(value, Document) else Document(())

    @property
    def reference(self) -> str:
        """How the paper is cited: its paper number (Drucksachen-Nr.), else its file number."""
        return self.paper_number or self.file_number

    @property
    def short_subject(self) -> str:
        """The subject for the running header of pages 2 on: cut at a space, with "…"."""
        return shorten(self.subject, SHORT_SUBJECT)

    @property
    def images(self):
        return tuple(image for document in self.documents for image in document.images)

    def summary(self) -> PaperSummary:
        return PaperSummary(self.path, self.kind, self.paper_number, self.file_number,
                            self.subject, self.public, self.draft, self.consultations,
                            self.kind_label)


@dataclass(frozen=True)
class PaperSummary:
    """What other documents need to know of a paper: to put it on an agenda, to number it.

    Kept in the build state for every record built, so that cross-record checks (paper
    numbers used twice, agendas naming papers) need no record read again.
    """

    path: str
    kind: str
    paper_number: str | None
    file_number: str
    subject: str
    public: bool
    draft: bool
    consultations: tuple[Consultation, ...]
    kind_label: str = ""

    def as_json(self) -> dict:
        return {"path": self.path, "kind": self.kind, "paper_number": self.paper_number,
                "file_number": self.file_number, "subject": self.subject,
                "public": self.public, "draft": self.draft, "kind_label": self.kind_label,
                "consultations": [[c.committee, c.date.isoformat(), c.public, c.agenda_item,
                                   c.role] for c in self.consultations]}

    @classmethod
    def from_json(cls, data: dict) -> PaperSummary:
        return cls(data["path"], data["kind"], data["paper_number"], data["file_number"],
                   data["subject"], data["public"], data["draft"], tuple(
                       Consultation(c, dt.date.fromisoformat(d), p, a, r)
                       for c, d, p, a, r in data["consultations"]), data.get("kind_label", ""))


# Characters of the subject in the running header: with the file and paper numbers it
# still fits on one line of 9 pt across the text (about 100 characters).
SHORT_SUBJECT = 55


def shorten(text: str, limit: int) -> str:
    """``text`` if it has at most ``limit`` characters, else cut at a space before, with "…".

    Only ordinary spaces count: a no-break space (``96 Mio. €``) holds its words together
    here too. A word longer than the limit is cut inside.
    """
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    if " " in cut:
        cut = cut[:cut.rindex(" ")]
    return cut.rstrip(" ,;:–-") + " …"


_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def parse_date(text: str) -> dt.date | None:
    """Parse ``DD.MM.YYYY`` or ``YYYY-MM-DD``; ``None`` for anything else or an impossible date."""
    text = text.strip()
    match = _DOTTED.match(text)
    try:
        if match:
            return dt.date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
        match = _ISO.match(text)
        if match:
            return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None
    return None


def format_date(value: dt.date) -> str:
    """Dates in German documents: ``18.04.2023``."""
    return value.strftime("%d.%m.%Y")
