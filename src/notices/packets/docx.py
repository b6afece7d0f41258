"""The Word packet: the cover sheet, then each paper's .docx as it is in ``output/``.

The papers are composed with docxcompose from the files in ``output/``, so a clerk's
edits made in Word are in the packet. Each paper starts on a new page with a bookmark
that the cover's links and PAGEREF fields point at (Word recomputes the page numbers
when fields are updated; the cached numbers are those of the PDF packet).
"""

from __future__ import annotations

import io
import zipfile

from notices.template_set import PACKET_TEMPLATE, TemplateSet
from notices.packets.cover import Item, items_table_xml
from notices.render.docx.package import APP, CORE, DOCUMENT, reproducible_zip
from notices.render.docx.properties import app_properties
from notices.source.model import format_date


def render_cover(templates: TemplateSet, context: dict, items: list[Item]) -> tuple[bytes, bytes]:
    """The cover sheet as .docx bytes, and the core properties the packet gets."""
    from notices.render.docx import DocxRenderer, RawXml
    from notices.render.docx.properties import core_properties

    renderer = DocxRenderer(templates.files[f"{PACKET_TEMPLATE}.docx"],
                            display_name=f"templates/{PACKET_TEMPLATE}.docx",
                            city=context["city"])
    writer = renderer.facts_writer()
    key = context["session"]
    title = f"Sitzungsmappe: {key.committee}, {format_date(key.date)} – {context['part']}"
    core = core_properties(title=title, subject=title,
                           author=context["city"] or "Sitzungsdienst",
                           keywords=f"{key.committee}, {format_date(key.date)}", date=key.date)
    table = items_table_xml(items, renderer.table_style)
    cover = renderer.render_context({**context, "items": RawXml(table)}, writer=writer,
                                    core=core)
    return cover, core


def render_docx_packet(templates: TemplateSet, context: dict, items: list[Item],
                       members: list[bytes]) -> bytes:
    """Compose the cover and the papers' .docx files (``members``, in item order)."""
    import docx
    from docxcompose.composer import Composer

    from notices.render.runtime import restore_core_namespace

    cover, core = render_cover(templates, context, items)
    master = docx.Document(io.BytesIO(cover))
    composer = Composer(master)
    for number, (item, data) in enumerate(zip(items, members, strict=True), start=1):
        document = docx.Document(io.BytesIO(data))
        _mark_start(document, item.anchor.replace("-", "_"), 9000 + number)
        composer.append(document)
    buffer = io.BytesIO()
    composer.save(buffer)
    restore_core_namespace()
    return _normalized_docx(buffer.getvalue(), core, context["city"])


def _mark_start(document, name: str, bookmark_id: int) -> None:
    """Start the notice on a new page, with a bookmark the cover's links and fields use."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    first = document.paragraphs[0]
    first.paragraph_format.page_break_before = True
    start = OxmlElement("w:bookmarkStart")
    start.set(qn("w:id"), str(bookmark_id))
    start.set(qn("w:name"), name)
    end = OxmlElement("w:bookmarkEnd")
    end.set(qn("w:id"), str(bookmark_id))
    paragraph = first._p
    properties = paragraph.pPr
    index = 1 if properties is not None else 0
    paragraph.insert(index, start)
    paragraph.append(end)


def _normalized_docx(data: bytes, core: bytes, company: str | None) -> bytes:
    """Re-zip with fixed timestamps and our document properties, so packets are reproducible.

    The extended properties are counted again from the composed document: what python-docx
    saved are the cover's.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        entries = []
        for info in archive.infolist():
            content = archive.read(info)
            if info.filename == CORE:
                content = core
            elif info.filename == APP:
                content = app_properties(archive.read(DOCUMENT), company=company)
            entries.append((info.filename, content))
    return reproducible_zip(entries)
