"""Neutral input model shared by the OParl and the xdomea exporter.

The project fills these frozen dataclasses from its records; the exporters only
read them. The model deliberately knows nothing about either output format:

* Every object carries the *caller's* ``created``/``modified`` timestamps
  (timezone-aware). The exporters never look at the clock, so two exports of the
  same model are byte-identical.
* Every object has a ``key``: a stable, URL- and file-name-safe identifier chosen
  by the caller (e.g. a record id). OParl URLs and xdomea UUIDs are derived
  from keys, never from mutable attributes such as a paper number, so they stay
  stable when a paper is renumbered. Keys must not carry content: the key of a
  non-public agenda item is visible in its public stub's URL, so a slug of its
  subject would leak it.
* Confidentiality is described, not enforced, here (``public``, ``draft``).
  Each exporter applies its own rules (OParl: drop; xdomea: include and mark).

References between objects are by key (``ExportPaper.office`` is the key of an
office, ``ExportConsultation.meeting`` the key of a meeting, ...), so the model
is a plain tree that can be built record by record. :func:`check_body` checks
those references once, for both exporters.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

__all__ = [
    "ExportAgendaItem",
    "ExportBody",
    "ExportConsultation",
    "ExportContact",
    "ExportDeleted",
    "ExportFile",
    "ExportLegislativeTerm",
    "ExportLocation",
    "ExportMeeting",
    "ExportOrganization",
    "ExportPaper",
    "ExportSystem",
]

#: Keys become URL path segments and parts of file names: keep them boring.
KEY_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def _check_key(owner: str, key: str) -> None:
    if not isinstance(key, str) or not KEY_RE.fullmatch(key) or key.endswith(".json"):
        raise ValueError(f"{owner}: key {key!r} must match {KEY_RE.pattern} "
                         "(it becomes a URL path segment and part of file names)")


def _check_aware(owner: str, name: str, value: dt.datetime | None) -> None:
    # OParl date-time values must carry an offset; xdomea takes them as they are.
    if value is not None and (not isinstance(value, dt.datetime) or value.utcoffset() is None):
        raise ValueError(f"{owner}: {name} must be a timezone-aware datetime, got {value!r}")


def _check_times(owner: str, created: dt.datetime | None, modified: dt.datetime | None) -> None:
    _check_aware(owner, "created", created)
    _check_aware(owner, "modified", modified)
    if created is not None and modified is not None and modified < created:
        raise ValueError(f"{owner}: modified {modified} is before created {created}")


class _Keyed:
    """What every keyed object checks when made: its key, and its two timestamps."""

    def __post_init__(self) -> None:
        name = type(self).__name__
        _check_key(name, self.key)
        _check_times(f"{name} {self.key!r}", self.created, self.modified)


@dataclass(frozen=True, kw_only=True)
class ExportContact:
    """Contact person printed on a paper (Sachbearbeitung). Vendor extra in OParl."""

    name: str
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True, kw_only=True)
class ExportFile(_Keyed):
    """One rendered document (normally the PDF/A edition) or an attachment.

    ``data`` or ``path`` holds the bytes (exactly one of them). ``text`` is the
    plain text of the document as the project extracted it while rendering;
    OParl publishes it as ``File.text``. ``pdfa`` is the PDF/A conformance level
    the renderer guarantees (``"2b"``, ``"3a"``, ...): only files with it are
    handed to the archive as primary files, since xdomea wants the archival
    format and the exporter cannot verify PDF/A itself. ``public`` is about the
    *file*: a public paper may have a non-public attachment.
    """

    key: str
    name: str
    file_name: str
    mime_type: str
    date: dt.date
    created: dt.datetime
    modified: dt.datetime
    data: bytes | None = None
    path: Path | None = None
    text: str | None = None
    public: bool = True
    pdfa: str | None = None
    license: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        owner = f"ExportFile {self.key!r}"
        if (self.data is None) == (self.path is None):
            raise ValueError(f"{owner}: give exactly one of data and path")
        if not self.file_name or "/" in self.file_name or "\\" in self.file_name \
                or self.file_name in (".", ".."):
            raise ValueError(f"{owner}: file_name {self.file_name!r} is not a plain file name")
        if self.pdfa is not None and not re.fullmatch(r"[1-4][abuef]?", self.pdfa):
            raise ValueError(f"{owner}: pdfa {self.pdfa!r} is not a PDF/A level such as '2b'")

    def read_bytes(self) -> bytes:
        """The file's content (read from ``path`` on every call; callers cache)."""
        return self.data if self.data is not None else Path(self.path).read_bytes()


@dataclass(frozen=True, kw_only=True)
class ExportOrganization(_Keyed):
    """A committee (Gremium) or an office (Amt/Fachbereich) of the body.

    Whether it is one or the other follows from the list of :class:`ExportBody`
    that holds it. ``classification`` is OParl's free text ("Ausschuss",
    "Bezirksvertretung", "Amt", ...).
    """

    key: str
    name: str
    created: dt.datetime
    modified: dt.datetime
    short_name: str | None = None
    classification: str | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    website: str | None = None



@dataclass(frozen=True, kw_only=True)
class ExportLocation(_Keyed):
    """Where meetings take place (OParl Location, embedded in Meeting)."""

    key: str
    description: str
    created: dt.datetime
    modified: dt.datetime
    street_address: str | None = None
    room: str | None = None
    postal_code: str | None = None
    locality: str | None = None



@dataclass(frozen=True, kw_only=True)
class ExportConsultation(_Keyed):
    """One step of a paper's Beratungsfolge: committee, optionally meeting and item.

    ``created``/``modified`` default to the paper's (consultations are edited
    with the paper in the project's records).
    """

    key: str
    committee: str
    meeting: str | None = None
    agenda_item: str | None = None
    role: str | None = None
    authoritative: bool = False
    created: dt.datetime | None = None
    modified: dt.datetime | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.agenda_item is not None and self.meeting is None:
            raise ValueError(f"ExportConsultation {self.key!r}: agenda_item needs meeting")


@dataclass(frozen=True, kw_only=True)
class ExportPaper(_Keyed):
    """A Mitteilung, Beschlussvorlage, Beantwortung, ...

    ``name`` is the subject. ``office`` is the key of the issuing office
    (OParl ``underDirectionOf``, xdomea ``Federfuehrung``). ``paper_number`` is
    the Drucksachennummer, ``file_number`` the Aktenzeichen; see
    :attr:`reference`. ``draft`` papers never leave the system; non-public ones
    go to the archive (marked) but never to OParl.
    """

    key: str
    name: str
    paper_type: str
    date: dt.date
    office: str
    created: dt.datetime
    modified: dt.datetime
    paper_number: str | None = None
    file_number: str | None = None
    public: bool = True
    draft: bool = False
    main_file: ExportFile | None = None
    auxiliary_files: tuple[ExportFile, ...] = ()
    consultations: tuple[ExportConsultation, ...] = ()
    contact: ExportContact | None = None
    signatory: str | None = None


    @property
    def reference(self) -> str | None:
        """OParl ``reference`` / xdomea ``Kennzeichen``: paper number, else file number."""
        return self.paper_number or self.file_number

    @property
    def files(self) -> tuple[ExportFile, ...]:
        return ((self.main_file,) if self.main_file else ()) + tuple(self.auxiliary_files)


@dataclass(frozen=True, kw_only=True)
class ExportAgendaItem(_Keyed):
    """A Tagesordnungspunkt. ``paper`` is the key of the paper discussed, if any.

    ``number`` is the printed TOP number ("5.1"), ``order`` the position in the
    agenda (OParl requires it). ``created``/``modified`` default to the meeting's.
    """

    key: str
    number: str | None
    order: int
    name: str
    public: bool = True
    paper: str | None = None
    result: str | None = None
    created: dt.datetime | None = None
    modified: dt.datetime | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.order, bool) or not isinstance(self.order, int):
            raise ValueError(f"ExportAgendaItem {self.key!r}: order must be an int")


@dataclass(frozen=True, kw_only=True)
class ExportMeeting(_Keyed):
    """A session (Sitzung) of one committee.

    ``invitation``, ``results_protocol`` and ``auxiliary_files`` are the editions
    meant for the public (OParl ``invitation``, ``resultsProtocol``,
    ``auxiliaryFile``, e.g. the public session packet). ``internal_invitation``
    and ``internal_results_protocol`` are the complete editions including the
    non-public part; only the archive export uses them (in place of the public
    ones). ``nonpublic_results_protocol`` is the Niederschrift of the non-public part,
    where it is a document of its own: archived beside the public one, never
    published. ``public=False`` marks a wholly non-public meeting: it is left out of
    OParl and marked in xdomea.
    """

    key: str
    name: str
    committee: str
    start: dt.datetime
    created: dt.datetime
    modified: dt.datetime
    end: dt.datetime | None = None
    location: ExportLocation | None = None
    public: bool = True
    cancelled: bool = False
    meeting_state: str | None = None
    invitation: ExportFile | None = None
    results_protocol: ExportFile | None = None
    auxiliary_files: tuple[ExportFile, ...] = ()
    internal_invitation: ExportFile | None = None
    internal_results_protocol: ExportFile | None = None
    nonpublic_results_protocol: ExportFile | None = None
    agenda_items: tuple[ExportAgendaItem, ...] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        owner = f"ExportMeeting {self.key!r}"
        _check_aware(owner, "start", self.start)
        _check_aware(owner, "end", self.end)
        if self.end is not None and self.end < self.start:
            raise ValueError(f"{owner}: end is before start")

    @property
    def files(self) -> tuple[ExportFile, ...]:
        single = (self.invitation, self.results_protocol, self.internal_invitation,
                  self.internal_results_protocol, self.nonpublic_results_protocol)
        return tuple(f for f in single if f is not None) + tuple(self.auxiliary_files)


@dataclass(frozen=True, kw_only=True)
class ExportLegislativeTerm(_Keyed):
    """A Wahlperiode (OParl requires Body.legislativeTerm, possibly empty)."""

    key: str
    name: str
    start_date: dt.date
    end_date: dt.date | None
    created: dt.datetime
    modified: dt.datetime



@dataclass(frozen=True, kw_only=True)
class ExportDeleted:
    """An object that was published before and has been withdrawn since.

    OParl forbids simply removing a published object (spec 2.8, soft delete):
    its URL must keep answering with ``id``, ``type``, ``created``, ``deleted:
    true`` and ``modified`` set to the time of deletion. A static export has no
    memory, so the project records withdrawals and passes them here. ``parent``
    is the meeting key of an AgendaItem or the paper key of a Consultation.
    Only the archive export ignores these.
    """

    type: Literal["Paper", "Meeting", "File", "Organization", "Location", "LegislativeTerm",
                  "AgendaItem", "Consultation"]
    key: str
    created: dt.datetime
    deleted: dt.datetime
    parent: str | None = None

    def __post_init__(self) -> None:
        owner = f"ExportDeleted {self.type} {self.key!r}"
        _check_key("ExportDeleted", self.key)
        _check_times(owner, self.created, self.deleted)
        if (self.parent is not None) != (self.type in ("AgendaItem", "Consultation")):
            raise ValueError(f"{owner}: parent is required for AgendaItem and Consultation only")
        if self.parent is not None:
            _check_key("ExportDeleted.parent", self.parent)


@dataclass(frozen=True, kw_only=True)
class ExportSystem:
    """Who publishes: OParl System; xdomea ``SendendesSystem``."""

    name: str
    created: dt.datetime
    modified: dt.datetime
    contact_email: str | None = None
    contact_name: str | None = None
    website: str | None = None
    vendor: str | None = None
    product: str | None = None
    product_name: str = "notices"
    product_version: str | None = None
    license: str | None = None

    def __post_init__(self) -> None:
        _check_times("ExportSystem", self.created, self.modified)


@dataclass(frozen=True, kw_only=True)
class ExportBody(_Keyed):
    """The city (OParl Body) with everything that is exported.

    ``archive_name`` is the recipient of xdomea messages (e.g. "Stadtarchiv
    Bielefeld"). ``ags``/``rgs`` are the official municipality keys.
    """

    key: str
    name: str
    system: ExportSystem
    created: dt.datetime
    modified: dt.datetime
    short_name: str | None = None
    website: str | None = None
    ags: str | None = None
    rgs: str | None = None
    classification: str | None = None
    contact_email: str | None = None
    contact_name: str | None = None
    license: str | None = None
    archive_name: str | None = None
    location: ExportLocation | None = None
    committees: tuple[ExportOrganization, ...] = ()
    offices: tuple[ExportOrganization, ...] = ()
    legislative_terms: tuple[ExportLegislativeTerm, ...] = ()
    meetings: tuple[ExportMeeting, ...] = ()
    papers: tuple[ExportPaper, ...] = field(default=())
    deleted: tuple[ExportDeleted, ...] = ()

