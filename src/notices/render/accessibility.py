"""Repair what WeasyPrint 70's tagged PDF lacks for PDF/UA-1, after it is written.

:func:`make_accessible` post-processes every PDF notices writes (notices and session
packets alike, in :meth:`notices.render.pdf.PdfRenderer.write`) with pikepdf:

* content in the page margins (``@page`` margin boxes: "Seite X von Y", the running
  "nicht öffentlich") becomes ``/Artifact /Pagination``. WeasyPrint tags it with
  structure elements that it never links into the tree (``pdf/tags.py``,
  ``_build_box_tree``, the ``MarginBox`` branch), so a screen reader would meet content
  that belongs to no element;
* a table that WeasyPrint split into one Table element per page (it builds the tree page
  by page, ``pdf/tags.py``, ``add_tags``) becomes one Table element: the continuation's
  rows join the first part, the header row repeated on each page becomes an artifact,
  and the data cells' ``/Headers`` point at the first header row;
* header cells (TH) get ``/Scope``: WeasyPrint reads the HTML ``scope`` attribute only to
  fill the data cells' ``/Headers`` and never writes it;
* list items hold only Lbl and LBody, with a nested list inside its item (ISO 32000-1,
  14.8.4.3.3), where WeasyPrint puts further blocks beside the label and a nested list
  beside the items;
* a link broken over lines is one Link element rather than one per line, and every
  link annotation gets its link's text as ``/Contents`` (WeasyPrint writes the target:
  ``notice-1`` or the URL) and the print flag, which WeasyPrint sets only in its PDF/A
  variants (``pdf/pdfa.py``);
* with ``ua``: the PDF/UA-1 identifier in the XMP metadata, beside the PDF/A one where
  there is one, with the PDF/A extension schema that declares it (ISO 19005-2,
  6.6.2.3): WeasyPrint writes one identifier per file.

Same input, same bytes: the XMP gets no date and no UUID, the first half of ``/ID`` is
WeasyPrint's and the second derived from the content.
"""

from __future__ import annotations

import io

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from notices.render.structure_tree import Element, TaggedPdf

# The variants whose files declare PDF/UA-1 besides what WeasyPrint declares: the
# accessible PDF/A levels ("a"). pdf/ua-1 itself already carries the identifier.
DECLARE_UA = frozenset({"pdf/a-2a", "pdf/a-3a"})

# How the repaired file is written: the XMP packet and the content streams as we left
# them (pikepdf.pdfa's own settings), object streams only where WeasyPrint wrote them
# (PDF/A-1 is PDF 1.4, which has none), and an /ID derived from the content.
SAVE_OPTIONS = dict(
    preserve_pdfa=True, fix_metadata_version=False, normalize_content=False, qdf=False,
    deterministic_id=True, compress_streams=True, recompress_flate=False,
    stream_decode_level=pikepdf.StreamDecodeLevel.generalized,
    object_stream_mode=pikepdf.ObjectStreamMode.preserve, linearize=False,
)

INVISIBLE, HIDDEN, PRINT, NO_VIEW = 1, 2, 4, 32  # annotation flags, ISO 32000-1 12.5.3

PDFUAID = b"http://www.aiim.org/pdfua/ns/id/"
PDFAID = b"http://www.aiim.org/pdfa/ns/id/"
XMP_UA = (b'<rdf:Description rdf:about="" xmlns:pdfuaid="' + PDFUAID + b'" '
          b'pdfuaid:part="1"/>')
# ISO 19005-2, 6.6.2.3: a PDF/A file declares each XMP property that XMP 2005 does not
# predefine in an extension schema; pdfuaid:part is defined by ISO 14289-1, not by XMP.
XMP_UA_SCHEMA = (
    b'<rdf:Description rdf:about="" '
    b'xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/" '
    b'xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" '
    b'xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">'
    b"<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType=\"Resource\">"
    b"<pdfaSchema:schema>PDF/UA identification schema</pdfaSchema:schema>"
    b"<pdfaSchema:namespaceURI>" + PDFUAID + b"</pdfaSchema:namespaceURI>"
    b"<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>"
    b"<pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType=\"Resource\">"
    b"<pdfaProperty:name>part</pdfaProperty:name>"
    b"<pdfaProperty:valueType>Integer</pdfaProperty:valueType>"
    b"<pdfaProperty:category>internal</pdfaProperty:category>"
    b"<pdfaProperty:description>Part of ISO 14289 to which the file conforms"
    b"</pdfaProperty:description>"
    b"</rdf:li></rdf:Seq></pdfaSchema:property></rdf:li></rdf:Bag></pdfaExtension:schemas>"
    b"</rdf:Description>")


def make_accessible(pdf_bytes: bytes, *, ua: bool) -> bytes:
    """The PDF with the repairs listed above; ``ua`` also declares PDF/UA-1."""
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        _set_print_flags(pdf)
        tree = TaggedPdf(pdf)
        if tree.tagged:
            _margins_as_artifacts(tree)
            _merge_split_tables(tree)
            _scope_header_cells(tree)
            _nest_lists(tree)
            _merge_wrapped_links(tree)
            _describe_links(tree)
            tree.finish()
        if ua:
            _declare_ua(pdf)
        out = io.BytesIO()
        pdf.save(out, **SAVE_OPTIONS)
    return out.getvalue()


def _set_print_flags(pdf: pikepdf.Pdf) -> None:
    # PDF/UA-1 7.18.1 (via PDF/A): annotations are printed and never hidden.
    for page in pdf.pages:
        for annotation in page.obj.get("/Annots", []):
            if isinstance(annotation, Dictionary) and annotation.get("/Subtype") != Name.Popup:
                flags = int(annotation.get("/F", 0))
                annotation.F = (flags | PRINT) & ~(INVISIBLE | HIDDEN | NO_VIEW)


def _margins_as_artifacts(tree: TaggedPdf) -> None:
    """Tagged content that no element of the tree holds: WeasyPrint's margin boxes."""
    for item in [item for item in tree.drawn if item not in tree.owner]:
        tree.make_artifact(item)


def _merge_split_tables(tree: TaggedPdf) -> None:
    """One Table element per table, however many pages it spans.

    A Table is the continuation of the one before it when it follows it directly in
    reading order, starts on a later page, and its first row shows exactly the glyphs of
    the first table's header row (the row WeasyPrint repeats). A table without a header
    row is never merged: nothing would show that the two parts are one table.
    """
    order: dict = {}
    for element in tree.top:
        for item in element.content():
            order.setdefault(item, len(order))
    tables = []
    for element in tree.elements():
        if element.role == "Table":
            positions = [order[i] for i in element.content() if i in order]
            rows = [e for e in element.descendants() if e.role == "TR"]
            if positions and rows:
                tables.append([min(positions), max(positions), element, rows])
    tables.sort(key=lambda table: table[0])
    previous = None
    for table in tables:
        if previous is not None and table[0] == previous[1] + 1 \
                and table[2].content()[0][0] > previous[2].content()[-1][0] \
                and tree.glyphs(table[3][0]) \
                and tree.glyphs(table[3][0]) == tree.glyphs(previous[3][0]):
            _merge_table(tree, previous[2], table[2])
            previous[1] = table[1]  # the merged table now ends where this part did
            continue
        previous = table


def _merge_table(tree: TaggedPdf, first: Element, other: Element) -> None:
    tree.changed()
    heads = [e for e in first.children if e.role == "THead"]
    other_heads = [e for e in other.children if e.role == "THead"]
    renamed = {}  # the repeated header cells' IDs -> the first header's
    if heads and other_heads:
        old = [c for c in other_heads[0].descendants() if c.role in ("TH", "TD")]
        new = [c for c in heads[0].descendants() if c.role in ("TH", "TD")]
        for old_cell, new_cell in zip(old, new):
            if "/ID" in old_cell.obj and "/ID" in new_cell.obj:
                renamed[bytes(old_cell.obj.ID)] = new_cell.obj.ID
    for head in other_heads:  # drawn again only because the page broke
        for item in head.content():
            tree.make_artifact(item)
        other.items.remove(head)
    bodies = [e for e in first.children if e.role == "TBody"]
    moved = []
    for kid in list(other.items):
        if isinstance(kid, Element) and kid.role == "TBody" and bodies:
            bodies[-1].items.extend(kid.children)
            moved.extend(kid.children)
        elif isinstance(kid, Element):
            first.items.append(kid)
            moved.append(kid)
    for cell in (c for kid in moved for c in kid.descendants()) if renamed else ():
        attributes = cell.obj.get("/A")
        if cell.role == "TD" and isinstance(attributes, Dictionary) and \
                isinstance(attributes.get("/Headers"), Array):
            attributes.Headers = Array([renamed.get(bytes(h), h) for h in attributes.Headers])
    for body in bodies:
        tree.store(body)
    tree.store(first)
    other.items.clear()
    tree.remove(other)


def _scope_header_cells(tree: TaggedPdf) -> None:
    """``/Scope``: Column for a header row's cells, Row for a cell that heads a row."""
    for row in tree.elements():
        if row.role != "TR":
            continue
        cells = [c for c in row.children if c.role in ("TH", "TD")]
        in_head = row.parent is not None and row.parent.role == "THead"
        for position, cell in enumerate(cells):
            if cell.role != "TH":
                continue
            if in_head or all(c.role == "TH" for c in cells) or position > 0:
                scope = Name.Column
            else:
                scope = Name.Row
            attributes = _table_attributes(cell.obj)
            if "/Scope" not in attributes:
                attributes.Scope = scope


def _table_attributes(obj: Dictionary) -> Dictionary:
    """The element's attribute dictionary of owner /Table, added if it has none."""
    attributes = obj.get("/A")
    if isinstance(attributes, Array):
        found = next((a for a in attributes if isinstance(a, Dictionary)
                      and a.get("/O") == Name.Table), None)
        if found is None:
            attributes.append(Dictionary(O=Name.Table))
            found = attributes[len(attributes) - 1]
        return found
    if not isinstance(attributes, Dictionary):
        obj.A = Dictionary(O=Name.Table)
        return obj.A
    if attributes.get("/O") != Name.Table:
        obj.A = Array([attributes, Dictionary(O=Name.Table)])
        return obj.A[1]
    return attributes


def _nest_lists(tree: TaggedPdf) -> None:
    """LI holds Lbl and LBody only, and a nested list sits in the LBody of its item."""
    for element in list(tree.elements()):
        if element.role != "L":
            continue
        moved, previous = False, None
        for item in list(element.items):
            if isinstance(item, Element) and item.role == "LI":
                previous = item
            elif isinstance(item, Element) and item.role == "L" and previous is not None:
                element.items.remove(item)
                previous.items.append(item)  # into its LBody, below
                moved = True
        if moved:
            tree.changed()
            tree.store(element)
    for element in list(tree.elements()):
        if element.role != "LI":
            continue
        loose = [i for i in element.items
                 if not (isinstance(i, Element) and i.role in ("Lbl", "LBody"))]
        if not loose:
            continue
        body = next((i for i in element.items if isinstance(i, Element) and i.role == "LBody"),
                    None)
        if body is None:
            obj = tree.pdf.make_indirect(Dictionary(
                Type=Name.StructElem, S=Name.LBody, P=element.obj, K=Array()))
            if "/Pg" in element.obj:
                obj.Pg = element.obj.Pg
            body = Element(obj, element, element.page, "LBody")
        kept = [i for i in element.items if i is not body and i not in loose]
        body.items.extend(loose)
        element.items = kept + [body]
        tree.store(body)
        tree.store(element)
        tree.changed()


def _merge_wrapped_links(tree: TaggedPdf) -> None:
    """Consecutive Link siblings with the same target: one link broken over lines."""
    for parent in list(tree.elements()):
        merged, previous = False, None
        for item in list(parent.items):
            if not (isinstance(item, Element) and item.role == "Link"):
                previous = None
                continue
            if previous is not None and _target(previous) and \
                    _target(previous) == _target(item):
                previous.items.extend(item.items)
                parent.items.remove(item)
                merged = True
                continue
            previous = item
        if merged:
            tree.changed()
            for link in parent.children:
                if link.role == "Link":
                    tree.store(link)
            tree.store(parent)


def _target(link: Element):
    for annotation in link.annotations():
        if "/Dest" in annotation:
            return ("dest", repr(annotation.Dest))
        action = annotation.get("/A")
        if isinstance(action, Dictionary):
            return ("action", repr(action))
    return None


def _describe_links(tree: TaggedPdf) -> None:
    # PDF/UA-1 7.18.5: a link annotation's /Contents is its alternate description.
    for element in tree.elements():
        if element.role == "Link":
            text = tree.text(element)
            if text:
                for annotation in element.annotations():
                    annotation.Contents = String(text)


def _declare_ua(pdf: pikepdf.Pdf) -> None:
    """Add ``pdfuaid:part`` 1 (and in a PDF/A file its extension schema) to the XMP."""
    stream = pdf.Root.get("/Metadata")
    if not isinstance(stream, pikepdf.Stream):
        return  # pragma: no cover - WeasyPrint writes XMP for every PDF/A and PDF/UA
    xmp = stream.read_bytes()
    if PDFUAID in xmp:
        return  # WeasyPrint's pdf/ua-1 variant declares it itself
    end = xmp.rfind(b"</rdf:RDF>")
    if end < 0:
        return  # pragma: no cover - not the packet WeasyPrint writes
    # Inside WeasyPrint's one rdf:RDF: a second one would be ignored by readers and is
    # not allowed in PDF/A (ISO 19005-2, 6.6.2.1).
    extra = XMP_UA + (XMP_UA_SCHEMA if PDFAID in xmp else b"")
    stream.write(xmp[:end] + extra + xmp[end:])
