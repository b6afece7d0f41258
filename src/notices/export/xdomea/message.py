"""xdomea 3.0.0 archive export: one ``Aussonderung.Aussonderung.0503`` message per call.

Structure of the message (element paths below ``xdomea:Schriftgutobjekt``)::

    Akte                        one per committee and calendar year
      Akteninhalt/Dokument      papers of the committee never scheduled for a session
      Akteninhalt/Vorgang       one per session (Sitzung)
        Dokument                Einladung, then each paper on the agenda, then Niederschrift
          Anlage                the paper's attachments
        Verweis                 a paper already filed under an earlier session of this export

The transport container is ``<ProzessID>_Aussonderung.Aussonderung.0503.zip``
holding ``<ProzessID>_Aussonderung.Aussonderung.0503.xml`` and the primary files
(the PDF/A renderings only), each named as its ``Primaerdokument/Dateiname``
(``<UUID>_<name>``).

Unlike the OParl export, non-public papers and meetings *are* handed to the
archive, marked with ``AllgemeineMetadaten/Vertraulichkeitsstufe`` (code list
``urn:xoev-de:xdomea:codeliste:vertraulichkeitsstufe`` 1.0; non-public ->
``002`` "NfD" by default, public -> ``003`` "Offen"), a ``Bemerkung`` and the
application field ``Oeffentlich``. Drafts are never handed over.

Determinism: every UUID is ``uuid5(NAMESPACE, <stable identifier>)``; the
ProzessID is derived from a hash of the finished message (which names each
primary file by a UUID over its content hash); ``Erstellungszeitpunkt`` is the
newest ``modified`` of the content, never the clock; zip entries are stored
(no compression, so no dependence on the zlib build) in a fixed order with a
fixed timestamp. The same export twice is byte-identical.

The writer needs only the standard library.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import uuid
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from notices.export.checks import check_body
from notices.export.model import ExportBody, ExportMeeting, ExportOrganization
from notices.export.xdomea.elements import (
    CL_NACHRICHTENTYP,
    CL_SGOTYP,
    MESSAGE_SUFFIX,
    SGOTYP_DOKUMENT,
    UUID_NAMESPACE,
    VERTRAULICHKEIT_NFD,
    ZIP_TIMESTAMP,
    Message,
    archive_metadata,
    code_element,
    container_metadata,
    file_document,
    paper_document,
    qname,
    record_id,
    sub,
)


def _in_range(day: dt.date, date_from: dt.date | None, date_to: dt.date | None) -> bool:
    return (date_from is None or day >= date_from) and (date_to is None or day <= date_to)


def _select_committees(body: ExportBody, committee: str | None) -> list[ExportOrganization]:
    if committee is None:
        return sorted(body.committees, key=lambda o: o.key)
    chosen = [o for o in body.committees if committee in (o.key, o.name, o.short_name)]
    if not chosen:
        raise ValueError(f"no committee {committee!r} (give its key, name or short name)")
    return chosen


def _build_message(
    body: ExportBody,
    committees: list[ExportOrganization],
    date_from: dt.date | None,
    date_to: dt.date | None,
    aussonderungsart: str,
    nonpublic_code: str,
) -> tuple[ET.Element, Message]:
    msg = Message(body=body, nonpublic_code=nonpublic_code)
    committee_keys = {c.key for c in committees}
    offices = {o.key: o for o in body.offices}
    papers = {p.key: p for p in body.papers if not p.draft}  # drafts are no records
    meetings = sorted(
        (
            m
            for m in body.meetings
            if m.committee in committee_keys and _in_range(m.start.date(), date_from, date_to)
        ),
        key=lambda m: (m.start, m.key),
    )

    def papers_of(meeting: ExportMeeting) -> list[str]:
        keys = [
            i.paper
            for i in sorted(meeting.agenda_items, key=lambda i: (i.order, i.key))
            if i.paper in papers
        ]
        keys += sorted(
            p.key for p in papers.values() for c in p.consultations if c.meeting == meeting.key
        )
        return list(dict.fromkeys(keys))

    # Akten: (committee, year) -> sessions, papers never scheduled
    akten: dict[tuple[str, int], dict[str, list]] = {}
    for meeting in meetings:
        akten.setdefault((meeting.committee, meeting.start.year), {"meetings": [], "loose": []})[
            "meetings"
        ].append(meeting)
    for paper in sorted(papers.values(), key=lambda p: (p.date, p.key)):
        unscheduled = paper.consultations and all(c.meeting is None for c in paper.consultations)
        homes = sorted({c.committee for c in paper.consultations} & committee_keys)
        if unscheduled and homes and _in_range(paper.date, date_from, date_to):
            akten.setdefault((homes[0], paper.date.year), {"meetings": [], "loose": []})[
                "loose"
            ].append(paper)
    if not akten:
        raise ValueError("nothing to export for this committee and period")

    root = ET.Element(qname("Aussonderung.Aussonderung.0503"))
    kopf = sub(root, "Kopf")
    names = {c.key: c.name for c in body.committees}
    filed: dict[str, ExportMeeting] = {}  # paper key -> session it is filed under
    for committee_key, year in sorted(akten):
        group = akten[(committee_key, year)]
        akte = sub(sub(root, "Schriftgutobjekt"), "Akte")
        sub(
            sub(akte, "Identifikation"), "ID", record_id("akte", body.key, committee_key, str(year))
        )
        archive_metadata(akte, aussonderungsart)
        sub(akte, "Typ", "Sitzungsakte")
        days = [m.start.date() for m in group["meetings"]] + [p.date for p in group["loose"]]
        laufzeit = sub(akte, "Laufzeit")
        sub(laufzeit, "Beginn", min(days).isoformat())
        sub(laufzeit, "Ende", max(days).isoformat())
        inhalt = sub(akte, "Akteninhalt")
        for paper in group["loose"]:
            paper_document(inhalt, msg, paper, offices)
        for meeting in group["meetings"]:
            vorgang = sub(inhalt, "Vorgang")
            sub(sub(vorgang, "Identifikation"), "ID", record_id("vorgang", body.key, meeting.key))
            archive_metadata(vorgang, aussonderungsart)
            sub(vorgang, "Typ", "Sitzung")
            laufzeit = sub(vorgang, "Laufzeit")
            sub(laufzeit, "Beginn", meeting.start.date().isoformat())
            sub(laufzeit, "Ende", (meeting.end or meeting.start).date().isoformat())
            msg.touch(meeting.modified)
            invitation = meeting.internal_invitation or meeting.invitation
            if invitation is not None:
                file_document(
                    vorgang,
                    msg,
                    tag="Dokument",
                    file=invitation,
                    typ="Einladung",
                    doc_id=record_id("dokument", body.key, "meeting", meeting.key, "einladung"),
                    betreff=f"Einladung: {meeting.name}",
                    public=meeting.public,
                )
            references = []
            for paper_key in papers_of(meeting):
                if paper_key in filed:
                    references.append((paper_key, filed[paper_key]))
                    continue
                filed[paper_key] = meeting
                paper_document(vorgang, msg, papers[paper_key], offices)
            protocol = meeting.internal_results_protocol or meeting.results_protocol
            if protocol is not None:
                file_document(
                    vorgang,
                    msg,
                    tag="Dokument",
                    file=protocol,
                    typ="Niederschrift",
                    doc_id=record_id("dokument", body.key, "meeting", meeting.key, "niederschrift"),
                    betreff=f"Niederschrift: {meeting.name}",
                    public=meeting.public,
                )
            hidden = meeting.nonpublic_results_protocol
            if hidden is not None:
                file_document(
                    vorgang,
                    msg,
                    tag="Dokument",
                    file=hidden,
                    typ="Niederschrift",
                    doc_id=record_id(
                        "dokument",
                        body.key,
                        "meeting",
                        meeting.key,
                        "niederschrift-nichtoeffentlich",
                    ),
                    betreff=f"Niederschrift, nicht öffentlicher Teil: {meeting.name}",
                    public=False,
                )
            for paper_key, first in references:
                verweis = sub(vorgang, "Verweis")
                sub(verweis, "ID", record_id("dokument", body.key, "paper", paper_key))
                code_element(verweis, "SGOTyp", SGOTYP_DOKUMENT, CL_SGOTYP)
                if papers[paper_key].reference:
                    sub(verweis, "SGOKennzeichen", papers[paper_key].reference)
                sub(verweis, "Bemerkung", f"Drucksache abgelegt bei: {first.name}")
            container_metadata(vorgang, msg, betreff=meeting.name, content=vorgang)
        container_metadata(
            akte, msg, betreff=f"{names[committee_key]}: Sitzungen {year}", content=akte
        )

    # Kopf (filled last: it needs the newest timestamp of the content).
    sub(kopf, "ProzessID", "00000000-0000-0000-0000-000000000000")
    nachrichtentyp = sub(
        kopf, "Nachrichtentyp", listURI=CL_NACHRICHTENTYP[0], listVersionID=CL_NACHRICHTENTYP[1]
    )
    ET.SubElement(nachrichtentyp, "code").text = "0503"
    sub(kopf, "Erstellungszeitpunkt", msg.newest.isoformat(timespec="seconds"))
    absender = sub(sub(kopf, "Absender"), "Institution")
    sub(absender, "Name", body.name)
    if body.short_name:
        sub(absender, "Kurzbezeichnung", body.short_name)
    empfaenger = sub(kopf, "Empfaenger")
    if body.archive_name:
        sub(sub(empfaenger, "Institution"), "Name", body.archive_name)
    system = sub(kopf, "SendendesSystem")
    sub(system, "Produktname", body.system.product_name)
    if body.system.product_version:
        sub(system, "Version", body.system.product_version)
    scope = ", ".join(c.name for c in committees)
    first = date_from.isoformat() if date_from else "…"
    last = date_to.isoformat() if date_to else "…"
    period = f"{first} bis {last}"
    sub(kopf, "Hinweis", f"Sitzungsunterlagen; Gremien: {scope}; Zeitraum: {period}")
    for flag in ("Importbestaetigung", "RueckmeldungArchivkennung", "Empfangsbestaetigung"):
        sub(kopf, flag, "1")
    return root, msg


def _serialize(root: ET.Element) -> bytes:
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True) + b"\n"


def write_xdomea(
    model: ExportBody,
    out_dir: Path | str,
    *,
    committee: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    aussonderungsart: str = "A",
    nonpublic_code: str = VERTRAULICHKEIT_NFD,
) -> XdomeaResult:
    """Write the 0503 message for the selected sessions as a zip in ``out_dir``; return its path.

    ``committee`` selects one committee by key, name or short name (default: all).
    ``date_from``/``date_to`` (inclusive) select sessions by their start date and
    never-scheduled papers by their date. ``aussonderungsart`` goes to
    ``ArchivspezifischeMetadaten`` of every Akte and Vorgang (the XSD notes say
    archive metadata must accompany a 0503); ``A`` = archivwürdig, which is what
    council records usually are, ``B`` = to be appraised. ``nonpublic_code`` is the
    Vertraulichkeitsstufe for non-public material (``002`` NfD or ``005``
    Vertraulich, to be agreed with the archive).
    """
    if aussonderungsart not in ("A", "B", "V"):
        raise ValueError("aussonderungsart must be A, B or V (code list Aussonderungsart 1.0)")
    if nonpublic_code not in ("001", "002", "004", "005"):
        raise ValueError("nonpublic_code must be a Vertraulichkeitsstufe other than 003 (Offen)")
    if date_from and date_to and date_from > date_to:
        raise ValueError("date_from is after date_to")
    check_body(model)
    committees = _select_committees(model, committee)
    root, msg = _build_message(
        model, committees, date_from, date_to, aussonderungsart, nonpublic_code
    )

    # ProzessID: a hash of the whole message (file names carry the content hashes).
    draft = _serialize(root)
    process_id = str(uuid.uuid5(UUID_NAMESPACE, "prozess/" + hashlib.sha256(draft).hexdigest()))
    root.find(f"{qname('Kopf')}/{qname('ProzessID')}").text = process_id
    xml = _serialize(root)

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{process_id}{MESSAGE_SUFFIX}.zip"
    tmp = out_dir / f".{target.name}.tmp-{os.getpid()}"
    entries = [(f"{process_id}{MESSAGE_SUFFIX}.xml", xml)] + sorted(msg.primary_files.items())
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as archive:
            for name, data in entries:
                info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
                info.compress_type = zipfile.ZIP_STORED
                info.create_system = 3  # "Unix", whatever the host
                info.external_attr = 0o644 << 16
                archive.writestr(info, data)
            # The name is the content's hash: an existing message of that name is this
            # one, unless damaged. Then an unchanged export rewrites nothing.
        written = not _same_file(tmp, target)
        if written:
            with open(tmp, "rb") as handle:
                os.fsync(handle.fileno())
            os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return XdomeaResult(target, written, _counts(root, len(msg.primary_files)),
                        list(msg.not_archival))


@dataclass(frozen=True)
class XdomeaResult:
    path: Path
    written: bool  # False: the same message was there already
    counts: dict[str, int]
    not_archival: list = field(default_factory=list)  # ExportFiles listed but not handed over


def _counts(root: ET.Element, primary_files: int) -> dict[str, int]:
    """What the message holds, by xdomea's names, and how much of it is marked."""
    counts = {
        name: sum(1 for _ in root.iter(qname(name)))
        for name in ("Akte", "Vorgang", "Dokument", "Anlage", "Verweis")
    }
    levels = [
        found.findtext("code")
        for found in root.iter(qname("Dokument"))
        for found in found.findall(
            f"{qname('AllgemeineMetadaten')}/{qname('Vertraulichkeitsstufe')}"
        )
    ]
    counts["Dokument nicht öffentlich"] = sum(1 for code in levels if code != "003")
    counts["Primärdateien"] = primary_files
    return {name: count for name, count in counts.items() if count}


def _same_file(first: Path, second: Path) -> bool:
    import filecmp

    try:
        return filecmp.cmp(first, second, shallow=False)
    except OSError:
        return False
