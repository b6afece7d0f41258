"""The Word packet's sections: the cover, then each paper as a section of its own.

Every page shows two numbers: the paper's own "Seite X von Y" (its template's footer,
as in its own .docx) and the packet's running "Mappe Seite N von T"
(:mod:`notices.packets.word_fields`); the cover's page column (PAGEREF fields) gives N of
each paper's first page. One section per paper keeps its own header and footer (and its
SECTIONPAGES); numbering runs on through the packet (a restart would break PAGEREF and
NUMPAGES in LibreOffice, and PAGEREF in Word).

docxcompose copies bodies, styles, numbering, images and footnotes but drops the
appended documents' section properties, headers and footers; this module puts them
back: it records each paper's body range, gives the range's last paragraph the paper's
own section properties, and copies its header and footer parts (with their own
relationships, e.g. a logo) into the packet under new names.
"""

from __future__ import annotations

import contextlib
import copy
import io
import random
import re
from dataclasses import dataclass

import docx
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from lxml import etree

from notices.packets.word_fields import packet_footer

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
W = f"{{{W_NS}}}"
R_ID = f"{{{R_NS}}}id"
HEADER_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"
FOOTER_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"
VARIANTS = ("default", "first", "even")
# Elements of w:settings that come after w:evenAndOddHeaders in the schema's sequence.
_SETTINGS_AFTER_EVEN_ODD = {
    "bookFoldRevPrinting", "bookFoldPrinting", "bookFoldPrintingSheets",
    "drawingGridHorizontalSpacing", "drawingGridVerticalSpacing",
    "displayHorizontalDrawingGridEvery", "displayVerticalDrawingGridEvery",
    "doNotUseMarginsForDrawingGridOrigin", "drawingGridHorizontalOrigin",
    "drawingGridVerticalOrigin", "doNotShadeFormData", "noPunctuationKerning",
    "characterSpacingControl", "printTwoOnOne", "strictFirstAndLastChars",
    "noLineBreaksAfter", "noLineBreaksBefore", "savePreviewPicture",
    "doNotValidateAgainstSchema", "saveInvalidXml", "ignoreMixedContent",
    "alwaysShowPlaceholderText", "doNotDemarcateInvalidXml", "saveXmlDataOnly",
    "useXSLTWhenSaving", "saveThroughXslt", "showXMLTags", "alwaysMergeEmptyNamespace",
    "updateFields", "hdrShapeDefaults", "footnotePr", "endnotePr", "compat", "docVars",
    "rsids", "mathPr", "attachedSchema", "themeFontLang", "clrSchemeMapping",
    "doNotIncludeSubdocsInStats", "doNotAutoCompressPictures", "forceUpgrade", "captions",
    "readModeInkLockDown", "smartTagType", "schemaLibrary", "shapeDefaults",
    "doNotEmbedSmartTags", "decimalSymbol", "listSeparator"}


@dataclass(frozen=True)
class Layout:
    """Where the PDF packet put a part of the packet: its first page (running) and length."""

    first_page: int
    pages: int


@dataclass
class _Section:
    start: int  # index of the first body element
    end: int  # index after the last body element
    sect_pr: etree._Element  # the part's own section properties (a copy)
    headers: dict[str, tuple[object, bytes]]  # variant -> (source part, xml)
    footers: dict[str, tuple[object, bytes]]
    anchor: str | None  # bookmark at the start (None for the cover)
    layout: Layout


def compose_packet(cover: bytes, notices: list[bytes], *, anchors: list[str],
                   layouts: list[Layout], cover_layout: Layout,
                   running_label: str = "Mappe Seite") -> bytes:
    """The packet .docx: ``cover`` then each of ``notices``, one section each.

    ``anchors`` are the bookmark names the cover's PAGEREF fields and links point at
    (``notice_1`` …); ``layouts`` the PDF packet's first page and page count of each
    notice, ``cover_layout`` the cover's: they only fill in the results that
    LibreOffice shows for the fields it cannot compute (see the module's doc).
    """
    from docxcompose import composer as composer_module

    if not (len(notices) == len(anchors) == len(layouts)):
        raise ValueError("one anchor and one layout per notice")
    master = docx.Document(io.BytesIO(cover))
    body = master.element.body
    sections = [_Section(0, _content_end(body), copy.deepcopy(_body_sect_pr(body)),
                         *_hdr_ftr_sources(master), None, cover_layout)]
    # docxcompose gives each numbering a random nsid: seeded, the packet is reproducible.
    with _seeded(composer_module, 0):
        packer = composer_module.Composer(master)
        for data, anchor, layout in zip(notices, anchors, layouts):
            notice = docx.Document(io.BytesIO(data))
            _bookmark_start(notice, anchor)
            sect_pr = copy.deepcopy(_body_sect_pr(notice.element.body))
            headers, footers = _hdr_ftr_sources(notice)
            start = _content_end(body)
            packer.append(notice)
            headers, footers = (_with_styles(packer, notice, parts)
                                for parts in (headers, footers))
            sections.append(_Section(start, _content_end(body), sect_pr, headers, footers,
                                     anchor, layout))
    total = max(s.layout.first_page + s.layout.pages - 1 for s in sections)
    _attach_sections(master, sections, running_label, total)
    _drop_unreferenced_headers_and_footers(master)
    _enable_even_and_odd(master)
    buffer = io.BytesIO()
    master.save(buffer)
    return buffer.getvalue()


# --- reading the parts ------------------------------------------------------------------------


def _body_sect_pr(body) -> etree._Element:
    sect_pr = body.find(f"{W}sectPr")
    if sect_pr is None:
        raise ValueError("a document without section properties")
    return sect_pr


def _content_end(body) -> int:
    """Index of the body-level sectPr: everything before it is content."""
    return body.index(_body_sect_pr(body))


def _hdr_ftr_sources(document):
    """The header and footer part of each variant (default, first, even) and its XML.

    A variant the document does not define falls back to its default, as Word shows it.
    """
    sect_pr = _body_sect_pr(document.element.body)
    rels = document.part.rels
    found: dict[str, dict[str, tuple[object, bytes]]] = {"header": {}, "footer": {}}
    for kind in ("header", "footer"):
        for reference in sect_pr.findall(f"{W}{kind}Reference"):
            part = rels[reference.get(R_ID)].target_part
            found[kind][reference.get(f"{W}type", "default")] = (part, part.blob)
        default = found[kind].get("default")
        for variant in VARIANTS:
            if variant not in found[kind] and default is not None:
                found[kind][variant] = default
    return found["header"], found["footer"]


def _with_styles(packer, document, parts: dict) -> dict:
    """The header or footer parts with the styles they use added to the packet.

    A paper's running header uses styles of its own template (Notice Running Header,
    Notice Confidential) that a city's cover template need not have; docxcompose adds
    the styles a body uses, this does the same for its headers and footers (and renames
    them as it renames the body's, where the cover has a different style of that name).
    """
    from docx.oxml import parse_xml

    result = {}
    for variant, (part, xml) in parts.items():
        element = parse_xml(xml)
        packer.add_styles(document, element)
        result[variant] = (part, etree.tostring(element, xml_declaration=True,
                                                encoding="UTF-8", standalone=True))
    return result


def _bookmark_start(document, name: str) -> None:
    """A bookmark around the start of the notice's first paragraph (PAGEREF's target)."""
    first = next(document.element.body.iter(f"{W}p"))  # also inside a leading table
    start = etree.SubElement(first, f"{W}bookmarkStart")
    start.set(f"{W}id", "0")  # docxcompose renumbers the bookmarks
    start.set(f"{W}name", name)
    end = etree.SubElement(first, f"{W}bookmarkEnd")
    end.set(f"{W}id", "0")
    first.remove(start)
    properties = first.find(f"{W}pPr")
    first.insert(1 if properties is not None else 0, start)


# --- sections, headers, footers --------------------------------------------------------------------


def _attach_sections(master, sections: list[_Section], label: str, total: int) -> None:
    body = master.element.body
    final = _body_sect_pr(body)
    # Paragraphs move when a section's last element needs a new paragraph: go backwards.
    for index in range(len(sections) - 1, -1, -1):
        section = sections[index]
        sect_pr = section.sect_pr
        for reference in sect_pr.findall(f"{W}headerReference") + sect_pr.findall(
                f"{W}footerReference"):
            sect_pr.remove(reference)
        for page_numbers in sect_pr.findall(f"{W}pgNumType"):
            start = f"{W}start"
            if start in page_numbers.attrib:  # a restart would break PAGEREF and NUMPAGES
                del page_numbers.attrib[start]
        references = []
        for variant in VARIANTS:
            part, xml = section.headers.get(variant, (None, None))
            if part is not None:
                xml = packet_footer(xml, variant, section, label, total, running=False)
                references.append(("header", variant, _add_part(master, part, xml,
                                                                "header", HEADER_CT)))
        for variant in VARIANTS:
            part, xml = section.footers.get(variant, (None, None))
            if part is not None:
                xml = packet_footer(xml, variant, section, label, total)
                references.append(("footer", variant, _add_part(master, part, xml,
                                                                "footer", FOOTER_CT)))
        # Schema order: header/footer references first, then the rest; titlePg later on.
        for position, (kind, variant, rel_id) in enumerate(references):
            element = etree.Element(f"{W}{kind}Reference")
            element.set(f"{W}type", variant)
            element.set(R_ID, rel_id)
            sect_pr.insert(position, element)
        _set_child(sect_pr, "type", {"val": "nextPage"},
                   after=("footnotePr", "endnotePr"))
        _set_child(sect_pr, "titlePg", {},
                   after=("footnotePr", "endnotePr", "type", "pgSz", "pgMar", "paperSrc",
                          "pgBorders", "lnNumType", "pgNumType", "cols", "formProt",
                          "vAlign", "noEndnote"))
        if index == len(sections) - 1:
            body.replace(final, sect_pr)
            continue
        last = body[section.end - 1]
        if last.tag != f"{W}p" or last.find(f"{W}pPr/{W}sectPr") is not None:
            last = etree.Element(f"{W}p")
            body.insert(section.end, last)
        properties = last.find(f"{W}pPr")
        if properties is None:
            properties = etree.Element(f"{W}pPr")
            last.insert(0, properties)
        change = properties.find(f"{W}pPrChange")
        if change is not None:
            change.addprevious(sect_pr)
        else:
            properties.append(sect_pr)


def _set_child(parent, name: str, attributes: dict[str, str], *, after: tuple[str, ...]):
    """Set a child element, placed after the last of ``after`` present (schema order)."""
    existing = parent.find(f"{W}{name}")
    if existing is not None:
        parent.remove(existing)
    element = etree.Element(f"{W}{name}")
    for key, value in attributes.items():
        element.set(f"{W}{key}", value)
    position = 0
    for index, child in enumerate(parent):
        if etree.QName(child).localname in after or child.tag.endswith("Reference"):
            position = index + 1
    parent.insert(position, element)


def _add_part(master, source_part, xml: bytes, kind: str, content_type: str) -> str:
    """A copy of a header/footer part in the packet, with its relationships; returns rId."""
    package = master.part.package
    used = {str(part.partname) for part in package.iter_parts()}
    number = 1
    while f"/word/{kind}{number}.xml" in used:
        number += 1
    part = Part(PackURI(f"/word/{kind}{number}.xml"), content_type, xml, package)
    for rel_id, rel in sorted(source_part.rels.items(), key=lambda item: _rid_key(item[0])):
        if rel.is_external:
            part.rels.add_relationship(rel.reltype, rel.target_ref, rel_id, is_external=True)
        elif rel.reltype == RT.IMAGE:
            image = package.image_parts._get_by_sha1(rel.target_part.sha1)
            if image is None:
                from docxcompose.image import ImageWrapper

                image = package.image_parts._add_image_part(ImageWrapper(rel.target_part))
            part.rels.add_relationship(rel.reltype, image, rel_id)
        else:
            part.rels.add_relationship(rel.reltype, rel.target_part, rel_id)
    return master.part.relate_to(part, RT.HEADER if kind == "header" else RT.FOOTER)


def _rid_key(rel_id: str) -> tuple[int, str]:
    digits = re.sub(r"\D", "", rel_id)
    return (int(digits) if digits else 0, rel_id)


def _drop_unreferenced_headers_and_footers(master) -> None:
    """The cover's original header and footer parts, replaced by the packet's copies."""
    used = {element.get(R_ID) for element in master.element.body.iter(
        f"{W}headerReference", f"{W}footerReference")}
    for rel_id, rel in list(master.part.rels.items()):
        if rel.reltype in (RT.HEADER, RT.FOOTER) and rel_id not in used:
            del master.part.rels[rel_id]


def _enable_even_and_odd(master) -> None:
    """Different even-page headers and footers (the even variants are copies otherwise)."""
    settings = master.settings.element
    if settings.find(f"{W}evenAndOddHeaders") is not None:
        return
    element = etree.Element(f"{W}evenAndOddHeaders")
    for child in settings:
        if etree.QName(child).localname in _SETTINGS_AFTER_EVEN_ODD or \
                etree.QName(child).namespace != W_NS:
            child.addprevious(element)
            return
    settings.append(element)


@contextlib.contextmanager
def _seeded(module, seed: int):
    original = module.random
    module.random = random.Random(seed)
    try:
        yield
    finally:
        module.random = original
