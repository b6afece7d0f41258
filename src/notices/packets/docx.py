"""The Word packet: the cover sheet, then each paper's .docx as it is in ``output/``.

The papers are composed with docxcompose from the files in ``output/``, so a clerk's
edits made in Word are in the packet. Each paper is a section of its own
(:mod:`notices.packets.word_sections`) with its own header and footer, its own
"Seite X von Y" and the packet's "Mappe Seite N von T", and a bookmark that the
cover's links and PAGEREF fields point at (Word recomputes the page numbers when fields
are updated; the cached numbers are those of the PDF packet).
"""

from __future__ import annotations

import io
import zipfile

from notices.template_set import PACKET_TEMPLATE, TemplateSet
from notices.packets.cover import Item
from notices.render.docx.package import APP, CORE, DOCUMENT, reproducible_zip
from notices.render.docx.properties import app_properties
from notices.source.model import format_date


def render_cover(templates: TemplateSet, context: dict, items: list[Item]) -> tuple[bytes, bytes]:
    """The cover sheet as .docx bytes, and the core properties the packet gets."""
    from notices.packets.word_cover import word_items
    from notices.render.docx import DocxRenderer
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
    cover = renderer.render_context({**context, "items": word_items(items)}, writer=writer,
                                    core=core)
    return _fitted(cover, items), core


def _fitted(cover: bytes, items: list[Item]) -> bytes:
    """The cover with its table's columns measured from their content (word_cover)."""
    from lxml import etree

    from notices.packets.word_cover import fit_cover_table

    with zipfile.ZipFile(io.BytesIO(cover)) as archive:
        entries = [(info.filename, archive.read(info)) for info in archive.infolist()]
    fitted = []
    for name, content in entries:
        if name == DOCUMENT:
            root = etree.fromstring(content)
            fit_cover_table(root, items)
            content = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                     standalone=True)
        fitted.append((name, content))
    return reproducible_zip(fitted)


def render_docx_packet(templates: TemplateSet, context: dict, items: list[Item],
                       members: list[bytes], total_pages: int) -> bytes:
    """Compose the cover and the papers' .docx files (``members``: of the items with a paper).

    ``total_pages`` is the PDF packet's page count: with each item's ``page`` it gives the
    page numbers LibreOffice shows where it cannot compute them (see word_fields).
    """
    from notices.packets.word_sections import Layout, compose_packet
    from notices.render.runtime import restore_core_namespace

    cover, core = render_cover(templates, context, items)
    papers = [item for item in items if item.notice is not None]
    starts = [item.page for item in papers] + [total_pages + 1]
    layouts = [Layout(start, max(1, after - start))
               for start, after in zip(starts, starts[1:])]
    cover_pages = (papers[0].page - 1) if papers else total_pages
    data = compose_packet(cover, members, anchors=[i.anchor.replace("-", "_") for i in papers],
                          layouts=layouts, cover_layout=Layout(1, max(1, cover_pages)))
    restore_core_namespace()
    return _normalized_docx(data, core, context["city"])


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
