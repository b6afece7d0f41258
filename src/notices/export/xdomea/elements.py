"""The parts of an xdomea 3.0.0 message: metadata blocks, documents, their files.

Non-public papers and meetings *are* handed to the archive, marked three ways:
``AllgemeineMetadaten/Vertraulichkeitsstufe`` (code list
``urn:xoev-de:xdomea:codeliste:vertraulichkeitsstufe`` 1.0: public ``003`` "Offen",
non-public ``002`` "NfD" by default), a ``Bemerkung``, and the application field
``Oeffentlich``. A container (Akte, Vorgang) takes the strictest level inside it.
Every UUID is ``uuid5(NAMESPACE, <stable identifier>)``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from notices.export.model import (
    ExportBody,
    ExportFile,
    ExportOrganization,
    ExportPaper,
)
from notices.export.names import ascii_file_name

XDOMEA_NS = "urn:xoev-de:xdomea:schema:3.0.0"
#: Fixed namespace for all uuid5 values of this exporter. Never change it: archives
#: recognise records they already hold by these IDs.
UUID_NAMESPACE = uuid.UUID("bcc820cd-a0c3-4ba3-a164-da35699f8a2c")
MESSAGE_SUFFIX = "_Aussonderung.Aussonderung.0503"
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)  # earliest time a zip entry can hold

# Code lists (listURI, listVersionID), as fixed by the XSD.
CL_NACHRICHTENTYP = ("urn:xoev-de:xdomea:codeliste:nachrichtentyp", "2.0")
CL_DATEIFORMAT = ("urn:xoev-de:xdomea:codeliste:dateiformat", "1.0")
CL_VERTRAULICHKEIT = ("urn:xoev-de:xdomea:codeliste:vertraulichkeitsstufe", "1.0")
CL_MEDIUM = ("urn:xoev-de:xdomea:codeliste:medium", "1.0")
CL_AUSSONDERUNGSART = ("urn:xoev-de:xdomea:codeliste:aussonderungsart", "1.0")
CL_SGOTYP = ("urn:xoev-de:xdomea:codeliste:schriftgutobjekttyp", "1.0")
CL_DATENTYP = ("urn:xoev-de:xdomea:codeliste:datentyp", "1.1")

DATEIFORMAT_PDFA = "044"  # "pdf - Portable Document Format (Archival)"
VERTRAULICHKEIT_OFFEN = "003"  # "Offen: Das Schriftgutobjekt ist nicht eingestuft."
VERTRAULICHKEIT_NFD = "002"  # "NfD: ... nur für den Dienstgebrauch"
MEDIUM_ELEKTRONISCH = "001"
SGOTYP_DOKUMENT = "002"
DATENTYP_BOOLEAN, DATENTYP_STRING = "003", "038"
#: Kennung of our AnwendungsspezifischeErweiterung (application-specific fields).
EXTENSION_KENNUNG = "urn:notices:xdomea:ratsdokument:1"
NONPUBLIC_REMARK = "Nicht öffentlich: nicht zur Veröffentlichung bestimmt."
CONTAINER_NONPUBLIC_REMARK = (
    "Enthält nicht öffentliche Unterlagen (siehe Vertraulichkeitsstufe der Dokumente)."
)
NOT_ARCHIVAL_REMARK = "Datei liegt nicht als PDF/A vor und wurde nicht übergeben."

ET.register_namespace("xdomea", XDOMEA_NS)


def qname(name: str) -> str:
    return f"{{{XDOMEA_NS}}}{name}"


def record_id(*parts: str) -> str:
    return str(uuid.uuid5(UUID_NAMESPACE, "/".join(parts)))


def sub(parent: ET.Element, name: str, text: str | None = None, **attrib: str) -> ET.Element:
    element = ET.SubElement(parent, qname(name), attrib)
    if text is not None:
        element.text = text
    return element


def code_element(
    parent: ET.Element, name: str, code: str, code_list: tuple[str, str]
) -> ET.Element:
    element = sub(parent, name, listURI=code_list[0], listVersionID=code_list[1])
    ET.SubElement(element, "code").text = code  # XÖV code children are unqualified
    return element


@dataclass
class Message:
    """State while building one message: the primary files and the newest timestamp."""

    body: ExportBody
    nonpublic_code: str
    primary_files: dict[str, bytes] = field(default_factory=dict)
    newest: dt.datetime | None = None
    not_archival: list[ExportFile] = field(default_factory=list)  # listed, not handed over

    def touch(self, when: dt.datetime) -> None:
        if self.newest is None or when > self.newest:
            self.newest = when

    def vertraulichkeit(self, public: bool) -> str:
        return VERTRAULICHKEIT_OFFEN if public else self.nonpublic_code


def general_metadata(
    parent: ET.Element,
    msg: Message,
    *,
    betreff: str,
    kennzeichen: str | None = None,
    federfuehrung: str | None = None,
    public: bool,
    remarks: list[str] = (),
    nonpublic_remark: str = NONPUBLIC_REMARK,
) -> None:
    meta = sub(parent, "AllgemeineMetadaten")
    sub(meta, "Betreff", betreff)
    if kennzeichen:
        sub(meta, "Kennzeichen", kennzeichen)
    if federfuehrung:
        sub(meta, "Federfuehrung", federfuehrung)
    code_element(meta, "Vertraulichkeitsstufe", msg.vertraulichkeit(public), CL_VERTRAULICHKEIT)
    remarks = ([nonpublic_remark] if not public else []) + list(remarks)
    if remarks:
        sub(meta, "Bemerkung", " ".join(remarks))
    code_element(meta, "Medium", MEDIUM_ELEKTRONISCH, CL_MEDIUM)


def archive_metadata(parent: ET.Element, aussonderungsart: str) -> None:
    meta = sub(parent, "ArchivspezifischeMetadaten")
    art = sub(meta, "Aussonderungsart")
    code_element(art, "Aussonderungsart", aussonderungsart, CL_AUSSONDERUNGSART)


def primary_version(parent: ET.Element, msg: Message, file: ExportFile) -> bool:
    """Add ``Version/Format/Primaerdokument`` for a PDF/A file; False if it is none."""
    if file.pdfa is None or file.mime_type != "application/pdf":
        if all(known.key != file.key for known in msg.not_archival):
            msg.not_archival.append(file)
        return False
    data = file.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    safe = ascii_file_name(file.file_name, "dokument.pdf")
    name = f"{record_id('primaerdokument', msg.body.key, file.key, digest)}_{safe}"
    msg.primary_files[name] = data
    msg.touch(file.modified)
    version = sub(parent, "Version")
    sub(version, "Nummer", "1")
    fmt = sub(version, "Format")
    code_element(fmt, "Name", DATEIFORMAT_PDFA, CL_DATEIFORMAT)
    sub(fmt, "Version", file.pdfa)
    primary = sub(fmt, "Primaerdokument")
    sub(primary, "Dateiname", name)
    sub(primary, "DateinameOriginal", file.file_name)
    sub(primary, "DatumUhrzeit", file.modified.isoformat(timespec="seconds"))
    return True


def extension(parent: ET.Element, fields: list[tuple[str, str, str | None]]) -> None:
    """AnwendungsspezifischeErweiterung: Ratsdokument fields xdomea has no element for."""
    fields = [(n, t, v) for n, t, v in fields if v]
    if not fields:
        return
    ext = sub(parent, "AnwendungsspezifischeErweiterung")
    sub(ext, "Kennung", EXTENSION_KENNUNG)
    sub(ext, "Name", "notices: Ratsdokument")
    for name, datentyp, value in fields:
        feld = sub(ext, "Feld")
        sub(feld, "Name", name)
        code_element(feld, "Datentyp", datentyp, CL_DATENTYP)
        sub(feld, "Wert", value)


def file_document(
    parent: ET.Element,
    msg: Message,
    *,
    tag: str,
    doc_id: str,
    file: ExportFile,
    betreff: str,
    typ: str,
    public: bool,
    nummer: str | None = None,
) -> None:
    """A Dokument (or Anlage) that is just one file: Einladung, Niederschrift, attachment."""
    public = public and file.public
    doc = sub(parent, tag)
    sub(sub(doc, "Identifikation"), "ID", doc_id)
    remarks = [] if (file.pdfa and file.mime_type == "application/pdf") else [NOT_ARCHIVAL_REMARK]
    general_metadata(doc, msg, betreff=betreff, public=public, remarks=remarks)
    sub(doc, "DatumDesSchreibens", file.date.isoformat())
    sub(doc, "Typ", typ)
    primary_version(doc, msg, file)
    msg.touch(file.modified)
    extension(doc, [("Oeffentlich", DATENTYP_BOOLEAN, "true" if public else "false")])
    if nummer is not None:
        sub(doc, "Nummer", nummer)  # AnlageDokumentType's own element comes last


def paper_document(
    parent: ET.Element, msg: Message, paper: ExportPaper, offices: dict[str, ExportOrganization]
) -> None:
    body_key = msg.body.key
    doc = sub(parent, "Dokument")
    sub(sub(doc, "Identifikation"), "ID", record_id("dokument", body_key, "paper", paper.key))
    archival = (
        paper.main_file is not None
        and paper.main_file.pdfa is not None
        and paper.main_file.mime_type == "application/pdf"
    )
    general_metadata(
        doc,
        msg,
        betreff=paper.name,
        kennzeichen=paper.reference,
        federfuehrung=offices[paper.office].name,
        public=paper.public,
        remarks=[] if archival else [NOT_ARCHIVAL_REMARK],
    )
    sub(doc, "DatumDesSchreibens", paper.date.isoformat())
    if paper.contact is not None:
        sub(doc, "Bearbeiter", paper.contact.name)
    sub(doc, "Typ", paper.paper_type)
    if paper.main_file is not None:
        primary_version(doc, msg, paper.main_file)
    for number, attachment in enumerate(paper.auxiliary_files, start=1):
        file_document(
            doc,
            msg,
            tag="Anlage",
            doc_id=record_id("dokument", body_key, "paper", paper.key, "file", attachment.key),
            file=attachment,
            betreff=attachment.name,
            typ="Anlage",
            public=paper.public,
            nummer=str(number),
        )
    msg.touch(paper.modified)
    extension(
        doc,
        [
            ("Oeffentlich", DATENTYP_BOOLEAN, "true" if paper.public else "false"),
            ("Drucksachennummer", DATENTYP_STRING, paper.paper_number),
            ("Aktenzeichen", DATENTYP_STRING, paper.file_number),
            ("Unterzeichnung", DATENTYP_STRING, paper.signatory),
        ],
    )


def contains_nonpublic(element: ET.Element) -> bool:
    code = VERTRAULICHKEIT_OFFEN
    for found in element.iter(qname("Vertraulichkeitsstufe")):
        if found.findtext("code") != VERTRAULICHKEIT_OFFEN:
            code = found.findtext("code")
    return code != VERTRAULICHKEIT_OFFEN


def container_metadata(
    container: ET.Element, msg: Message, *, betreff: str, content: ET.Element
) -> None:
    """Insert AllgemeineMetadaten after Identifikation; the level is the strictest inside.

    An archive applies access rules per container as well, so an Akte or
    Vorgang holding a non-public document is marked as well.
    """
    holder = ET.Element("holder")
    general_metadata(
        holder,
        msg,
        betreff=betreff,
        public=not contains_nonpublic(content),
        nonpublic_remark=CONTAINER_NONPUBLIC_REMARK,
    )
    container.insert(1, holder[0])
