"""The document properties of a Word file: true to the paper, dated by it, never by the clock."""

from __future__ import annotations

import datetime as dt

from lxml import etree

from notices.render.docx.package import W_NS, xml_escape

def notice_properties(notice) -> bytes:
    """Title, author, subject, keywords and dates of the notice: the record's, not the clock's."""
    subject = (f"Mitteilung {notice.office.genitive} zur Sitzung: {notice.session.committee} "
               f"am {notice.session.date.strftime('%d.%m.%Y')}")
    return core_properties(title=notice.subject, subject=subject, author=notice.office.name,
                           keywords=f"{notice.file_number}, {notice.session.committee}",
                           date=notice.date)


def core_properties(*, title: str, subject: str, author: str, keywords: str,
                    date: dt.date) -> bytes:
    """docProps/core.xml, dated by the paper (never by the clock, for reproducible bytes)."""
    stamp = dt.datetime.combine(date, dt.time()).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
        'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{xml_escape(title)}</dc:title>"
        f"<dc:subject>{xml_escape(subject)}</dc:subject>"
        f"<dc:creator>{xml_escape(author)}</dc:creator>"
        f"<cp:keywords>{xml_escape(keywords)}</cp:keywords>"
        "<dc:language>de-DE</dc:language>"
        f"<cp:lastModifiedBy>{xml_escape(author)}</cp:lastModifiedBy>"
        "<cp:revision>1</cp:revision>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
        "</cp:coreProperties>").encode()


def app_properties(document_xml: bytes, *, company: str | None = None) -> bytes:
    """docProps/app.xml for the document as written: made by notices, its text counted.

    A template made with python-docx carries that library's defaults ("Microsoft
    Macintosh Word", one page, no words), which file managers and archives show as facts
    about the document. Words, characters and paragraphs are counted from the body's text
    as Word counts them (runs of non-space characters; characters without and with
    spaces; paragraphs that hold text). The page count depends on the layout Word will
    make, which notices does not know, so it is left out rather than guessed; Word writes
    it when the document is saved there.
    """
    words = characters = with_spaces = paragraphs = 0
    for paragraph in etree.fromstring(document_xml).iter(f"{{{W_NS}}}p"):
        text = "".join((node.text or "") if node.tag == f"{{{W_NS}}}t" else " "
                       for node in paragraph.iter(*(f"{{{W_NS}}}{tag}"
                                                    for tag in ("t", "tab", "br", "cr"))))
        if not text.strip():
            continue
        paragraphs += 1
        words += len(text.split())
        characters += sum(not ch.isspace() for ch in text)
        with_spaces += len(text)
    company_xml = f"<Company>{xml_escape(company)}</Company>" if company else ""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
        'extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/'
        '2006/docPropsVTypes">'
        f"<Words>{words}</Words><Characters>{characters}</Characters>"
        f"<Paragraphs>{paragraphs}</Paragraphs>"
        f"<CharactersWithSpaces>{with_spaces}</CharactersWithSpaces>{company_xml}"
        "<Application>notices</Application><DocSecurity>0</DocSecurity>"
        "</Properties>").encode()
