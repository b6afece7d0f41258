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
    def images(self):
        return tuple(image for document in self.documents for image in document.images)


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
