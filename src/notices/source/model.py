"""The typed record: what a validated paper holds, as the templates see it.

Frozen dataclasses, so a notice cannot be changed on its way through the renderers, and
plain values that travel between processes. Dates are :class:`datetime.date`; German
documents print them ``18.04.2023`` (:func:`format_date`), and records may write them
either that way or ``2023-04-18`` (:func:`parse_date`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from notices.settings import Office
from notices.source.blocks import Document

DEFAULT_KIND = "mitteilung"
DATE_HELP = "expected DD.MM.YYYY or YYYY-MM-DD"


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str


@dataclass(frozen=True)
class Session:
    committee: str
    date: dt.date
    public: bool
    agenda_item: str | None = None


@dataclass(frozen=True)
class Notice:
    """One validated paper, ready for the templates."""

    path: str  # relative to the workspace: records/2023/x.yaml
    output_stem: str  # relative to output/: 2023/x
    kind: str
    office: Office
    file_number: str
    date: dt.date
    contact: Contact
    session: Session
    subject: str
    facts: Document
    signatory: str
    source_sha256: str  # of the record file's bytes as stored


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
