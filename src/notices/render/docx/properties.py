"""The document properties of a Word file: dated by the paper, never by the clock."""

from __future__ import annotations

import datetime as dt

from notices.render.docx.package import xml_escape

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
