"""Accessibility checks of a tagged PDF (PDF/UA-1, ISO 14289-1), with pikepdf only.

``check_pdf(path)`` returns one readable finding per problem; an empty list means every
check passed. They are the machine-checkable part of what the audit of issue 11 asked
for, reusable for any document notices writes (see ``DOCUMENTS`` in
``test_accessibility.py``). They do not replace a person with a screen reader (see the
README, "Accessibility": what needs a human).

* catalog: ``/Lang``, ``/MarkInfo /Marked true``, ``/ViewerPreferences /DisplayDocTitle
  true``, a structure tree; with ``require_ua`` also ``pdfuaid:part`` 1 and ``dc:title`` in
  the XMP and, in a PDF/A file, the PDF/A extension schema declaring ``pdfuaid``;
* every page's content is tagged content held by an element reachable from the
  structure tree root (and the ``/ParentTree`` says so), or an ``/Artifact``;
* reading order: content is drawn in the order of the structure tree;
* structure types: standard, or role-mapped to a standard type;
* headings start at H1 and never skip a level (ISO 14289-1, 7.4.2);
* every Figure has ``/Alt`` (or ``/ActualText``);
* list items (LI) hold only Lbl and LBody (ISO 32000-1, 14.8.4.3.3);
* links: printed and not hidden, held by a Link element (OBJR and ``/StructParent``),
  with a ``/Contents`` that describes them (not empty, not only digits, not an anchor
  name such as ``notice-1``); a table row links to one target once;
* tables: every TH has ``/Scope``; one Table element however many pages it spans, one
  THead, and its header row is not repeated inside it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from os import PathLike

import pikepdf
from pikepdf import Array, Dictionary, Name

from a11y_reading import STANDARD_TYPES, Node, Reading, key

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
PDFAID = "http://www.aiim.org/pdfa/ns/id/"
PDFUAID = "http://www.aiim.org/pdfua/ns/id/"
PDFA_SCHEMA = "http://www.aiim.org/pdfa/ns/schema#"
DC = "http://purl.org/dc/elements/1.1/"
INVISIBLE, HIDDEN, PRINT, NO_VIEW = 1, 2, 4, 32  # annotation flags, ISO 32000-1 12.5.3
EXAMPLES = 5  # how many examples a finding about many pieces of content quotes
# A /Contents that names an anchor or a number rather than describing the link.
_IDENTIFIER = re.compile(r"#\S+|[A-Za-z_][\w.:-]*[\d_][\w.:-]*")


def check_pdf(path: str | PathLike, *, require_ua: bool = False) -> list[str]:
    """Every accessibility problem found in the PDF at ``path``; empty if it passes.

    ``require_ua``: the file must also declare PDF/UA-1 (``pdfuaid:part`` in the XMP).
    """
    with pikepdf.open(path) as pdf:
        findings = _check_catalog(pdf, require_ua)
        reading = Reading(pdf)
        findings += reading.problems
        if reading.tree_root is None:
            return findings
        for check in (_check_marked_content, _check_reading_order, _check_types,
                      _check_headings, _check_figures, _check_lists, _check_links,
                      _check_tables):
            findings += check(reading)
        return findings


def quote(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[:limit - 1] + "…")


def _more(items: list) -> str:
    return " …" if len(items) > EXAMPLES else ""


# --- catalog and metadata ---------------------------------------------------------------


def _check_catalog(pdf: pikepdf.Pdf, require_ua: bool) -> list[str]:
    found = []
    root = pdf.Root
    lang = root.get("/Lang")
    if not isinstance(lang, pikepdf.String) or not str(lang).strip():
        found.append("catalog: no /Lang (the document's natural language)")
    mark_info = root.get("/MarkInfo")
    if not isinstance(mark_info, Dictionary) or mark_info.get("/Marked") is not True:
        found.append("catalog: /MarkInfo /Marked is not true")
    preferences = root.get("/ViewerPreferences")
    if not isinstance(preferences, Dictionary) or \
            preferences.get("/DisplayDocTitle") is not True:
        found.append("catalog: /ViewerPreferences /DisplayDocTitle is not true")
    if not isinstance(root.get("/StructTreeRoot"), Dictionary):
        found.append("catalog: no structure tree (/StructTreeRoot): the PDF is not tagged")
    stream = root.get("/Metadata")
    xmp = None
    if isinstance(stream, pikepdf.Stream):
        try:
            xmp = ET.fromstring(stream.read_bytes())
        except ET.ParseError:
            found.append("metadata: the XMP packet is not well-formed XML")
    ua_part = _xmp_value(xmp, PDFUAID, "part")
    if require_ua:
        if ua_part != "1":
            found.append("metadata: no PDF/UA-1 identifier (pdfuaid:part = 1) in the XMP"
                         + ("" if ua_part is None else f" (found {ua_part!r})"))
        if xmp is None or xmp.find(f".//{{{DC}}}title") is None:
            found.append("metadata: no dc:title in the XMP")
    if ua_part is not None and _xmp_value(xmp, PDFAID, "part") is not None:
        declared = {(e.text or "").strip() for e in xmp.iter(f"{{{PDFA_SCHEMA}}}namespaceURI")}
        if PDFUAID not in declared:
            found.append("metadata: pdfuaid is used in a PDF/A file without a PDF/A extension "
                         "schema that declares it (ISO 19005-2, 6.6.2.3)")
    return found


def _xmp_value(xmp, namespace: str, name: str) -> str | None:
    if xmp is None:
        return None
    for description in xmp.iter(f"{{{RDF}}}Description"):
        if f"{{{namespace}}}{name}" in description.attrib:
            return description.attrib[f"{{{namespace}}}{name}"].strip()
        element = description.find(f"{{{namespace}}}{name}")
        if element is not None:
            return (element.text or "").strip()
    return None


# --- content: tagged or artifact, in reading order ------------------------------------------


def _check_marked_content(reading: Reading) -> list[str]:
    found = []
    parent_tree = reading.parent_tree()
    for number, page in enumerate(reading.pdf.pages):
        drawn = [p for p in reading.pieces[number] if p.mcid is not None]
        orphans = [p for p in drawn if (number, p.mcid) not in reading.owner]
        if orphans:
            shown = ", ".join(quote(p.text or f"MCID {p.mcid}", 30) for p in orphans[:EXAMPLES])
            found.append(f"page {number + 1}: {len(orphans)} marked-content sequences are "
                         f"neither in the structure tree nor artifacts: {shown}"
                         + _more(orphans))
        drawn_ids = {p.mcid for p in drawn}
        missing = sorted(mcid for (pg, mcid) in reading.owner
                         if pg == number and mcid not in drawn_ids)
        if missing:
            found.append(f"page {number + 1}: structure elements refer to MCIDs that the page "
                         f"does not draw: {missing[:EXAMPLES]}")
        if not drawn:
            continue
        # The parent tree leads from each MCID back to its element (ISO 32000-1, 14.7.4.4).
        index = page.obj.get("/StructParents")
        if index is None:
            found.append(f"page {number + 1}: has tagged content but no /StructParents")
            continue
        entries = parent_tree.get(int(index))
        wrong = []
        for piece in drawn:
            owner = reading.owner.get((number, piece.mcid))
            entry = entries[piece.mcid] if isinstance(entries, Array) and \
                piece.mcid < len(entries) else None
            if owner is not None and (not isinstance(entry, Dictionary)
                                      or key(entry) != key(owner.obj)):
                wrong.append(piece.mcid)
        if wrong:
            found.append(f"page {number + 1}: the /ParentTree does not map MCIDs "
                         f"{wrong[:EXAMPLES]} to the elements that hold them")
    return found


def _check_reading_order(reading: Reading) -> list[str]:
    """Content drawn after content that follows it in the structure tree."""
    found = []
    order = reading.reading_order()
    for number, pieces in reading.pieces.items():
        late, highest = [], -1
        for piece in pieces:
            position = order.get((number, piece.mcid))
            if position is None:
                continue
            if position < highest:
                late.append(piece)
            highest = max(highest, position)
        if late:
            shown = ", ".join(f"{_label(reading, (number, p.mcid))} {quote(p.text, 25)}"
                              for p in late[:EXAMPLES])
            found.append(f"page {number + 1}: {len(late)} pieces of content are drawn after "
                         "content that follows them in reading order (copy and paste, text "
                         f"extraction): {shown}" + _more(late))
    return found


def _label(reading: Reading, item) -> str:
    node = reading.owner.get(item)
    # A Span is WeasyPrint's wrapper of a text run: name what it belongs to.
    while node is not None and node.role in ("Span", "NonStruct") and node.parent:
        node = node.parent
    return node.role if node is not None else "?"


def _check_types(reading: Reading) -> list[str]:
    unknown = sorted({str(n.obj.get("/S")) for n in reading.nodes
                      if n.role not in STANDARD_TYPES})
    return [f"structure: types that are neither standard nor role-mapped to a standard "
            f"type: {', '.join(unknown)}"] if unknown else []


# --- headings, figures, lists ---------------------------------------------------------------


def _check_headings(reading: Reading) -> list[str]:
    found = []
    levels = [(n, int(n.role[1])) for n in reading.nodes if re.fullmatch(r"H[1-6]", n.role)]
    if levels and any(n.role == "H" for n in reading.nodes):
        found.append("headings: both H and H1-H6 are used")
    previous = None
    for node, level in levels:
        if previous is None and level != 1:
            found.append(f"headings: the first heading is H{level} "
                         f"{quote(reading.text_of(node))}, not H1")
        elif previous is not None and level > previous[1] + 1:
            skipped = ", ".join(f"H{k}" for k in range(previous[1] + 1, level))
            found.append(f"headings: H{level} {quote(reading.text_of(node))} follows "
                         f"H{previous[1]} {quote(reading.text_of(previous[0]))} "
                         f"(skips {skipped})")
        previous = (node, level)
    return found


def _check_figures(reading: Reading) -> list[str]:
    found = []
    for node in reading.nodes:
        alt = node.obj.get("/Alt", node.obj.get("/ActualText"))
        if node.role == "Figure" and (not isinstance(alt, pikepdf.String)
                                      or not str(alt).strip()):
            page = "" if node.page is None else f"page {node.page + 1}: "
            found.append(f"{page}a Figure has no /Alt text")
    return found


def _check_lists(reading: Reading) -> list[str]:
    wrong = [n for n in reading.nodes if n.role == "LI"
             and any(c.role not in ("Lbl", "LBody") for c in n.children)]
    if not wrong:
        return []
    kinds = sorted({c.role for n in wrong for c in n.children if c.role not in ("Lbl", "LBody")})
    return [f"lists: {len(wrong)} list items (LI) hold {', '.join(kinds)} besides Lbl and "
            f"LBody, e.g. {quote(reading.text_of(wrong[0]), 40)}"]


# --- links ------------------------------------------------------------------------------------


def _check_links(reading: Reading) -> list[str]:
    found = []
    parent_tree = reading.parent_tree()
    holder = {key(a): n for n in reading.nodes for a in n.annotations
              if isinstance(a, Dictionary)}
    for number, page in enumerate(reading.pdf.pages):
        for annotation in page.obj.get("/Annots", []):
            if not isinstance(annotation, Dictionary) or \
                    annotation.get("/Subtype") != Name.Link:
                continue
            where = f"page {number + 1}: link to {_target(annotation)}"
            flags = int(annotation.get("/F", 0))
            if not flags & PRINT:
                found.append(f"{where}: no print flag (/F 4)")
            if flags & (INVISIBLE | HIDDEN | NO_VIEW):
                found.append(f"{where}: hidden by its flags (/F {flags})")
            node = holder.get(key(annotation))
            if node is None:
                found.append(f"{where}: no Link structure element holds the annotation (OBJR)")
            elif node.role != "Link":
                found.append(f"{where}: held by a {node.role} element, not a Link")
            parent = annotation.get("/StructParent")
            mapped = parent_tree.get(int(parent)) if parent is not None else None
            if parent is None:
                found.append(f"{where}: no /StructParent")
            elif node is not None and (not isinstance(mapped, Dictionary)
                                       or key(mapped) != key(node.obj)):
                found.append(f"{where}: /StructParent {int(parent)} does not lead to its Link "
                             "element in the /ParentTree")
            contents = annotation.get("/Contents")
            text = str(contents).strip() if isinstance(contents, pikepdf.String) else ""
            if not text:
                found.append(f"{where}: no /Contents (alternate description)")
            elif not descriptive(text):
                found.append(f"{where}: /Contents {text!r} does not describe the link")
    for row in (n for n in reading.nodes if n.role == "TR"):
        targets = defaultdict(set)  # one descriptive link per row and target
        for link in (n for n in row.descendants() if n.role == "Link"):
            for annotation in link.annotations:
                if isinstance(annotation, Dictionary):
                    targets[_target(annotation)].add(key(link.obj))
        for target, links in targets.items():
            if len(links) > 1:
                page = "" if row.page is None else f"page {row.page + 1}: "
                found.append(f"{page}a table row {quote(reading.text_of(row), 40)} has "
                             f"{len(links)} links to {target}")
    return found


def _target(annotation) -> str:
    if "/Dest" in annotation:
        dest = annotation.Dest
        return f"#{dest}" if isinstance(dest, (pikepdf.String, Name)) else "a page"
    action = annotation.get("/A")
    if isinstance(action, Dictionary):
        if "/URI" in action:
            return str(action.URI)
        if "/D" in action:
            return f"#{action.D}" if isinstance(action.D, (pikepdf.String, Name)) else "a page"
    return "?"


def descriptive(text: str) -> bool:
    """Does a link's /Contents describe it, rather than name an anchor or a number?"""
    text = text.strip()
    if not any(ch.isalpha() for ch in text):
        return False  # "3", "5.2", "–"
    if " " not in text and "://" not in text and _IDENTIFIER.fullmatch(text):
        return False  # "notice-1", "#top", "anchor_2"
    return True


# --- tables -----------------------------------------------------------------------------------


def _check_tables(reading: Reading) -> list[str]:
    found = []
    tables = []
    order = reading.reading_order()
    for table in (n for n in reading.nodes if n.role == "Table"):
        page = _first_page(table)
        unscoped = [n for n in table.descendants()
                    if n.role == "TH" and _scope(n.obj) not in ("Row", "Column", "Both")]
        if unscoped:
            shown = ", ".join(quote(reading.text_of(n), 25) for n in unscoped[:EXAMPLES])
            found.append(f"page {page}: {len(unscoped)} header cells (TH) of a table have no "
                         f"/Scope: {shown}" + _more(unscoped))
        heads = [n for n in table.children if n.role == "THead"]
        if len(heads) > 1:
            found.append(f"page {page}: a table has {len(heads)} THead elements")
        rows = [n for n in table.descendants() if n.role == "TR"]
        positions = [order[i] for i in table.all_content() if i in order]
        if rows and positions:
            tables.append((min(positions), max(positions), table, rows))
        header = reading.glyphs_of(rows[0]) if rows else ()
        repeats = [r for r in rows[1:] if header and reading.glyphs_of(r) == header]
        if repeats:
            found.append(f"page {page}: a table repeats its header row "
                         f"{quote(reading.text_of(rows[0]))} {len(repeats)} times inside it")
    tables.sort(key=lambda t: t[0])
    for (_, last, table, rows), (first, _, following, next_rows) in zip(tables, tables[1:]):
        header = reading.glyphs_of(rows[0])
        if first == last + 1 and header and header == reading.glyphs_of(next_rows[0]):
            found.append(f"page {_first_page(following)}: a table continued from page "
                         f"{_first_page(table)} is a second Table element that repeats the "
                         f"header row {quote(reading.text_of(rows[0]))}; a table that spans "
                         "pages must be one Table element")
    return found


def _first_page(node: Node) -> str:
    items = node.all_content()
    return str(items[0][0] + 1) if items else "?"


def _scope(obj) -> str | None:
    attributes = obj.get("/A")
    for attribute in list(attributes) if isinstance(attributes, Array) else [attributes]:
        if isinstance(attribute, Dictionary) and "/Scope" in attribute:
            return str(attribute.Scope)[1:]
    return None
