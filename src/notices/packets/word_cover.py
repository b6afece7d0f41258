"""The Word packet's cover sheet: its table from the city's template, its widths ours.

The table is the template's own (``templates/sitzungsmappe.docx``: a header row and a
``{%tr for item in items %}`` row), so that a city restyles it in Word. Each item gives
the template plain fields and two pieces of WordprocessingML: ``subject``, a link to
the paper's first page (with the item's note below it), and ``page``, a PAGEREF field
showing where the paper starts (the PDF packet's number until Word updates the field).
Word cannot size columns by their content the way the PDF's automatic table layout
does without recomputing them on every opening, so after rendering, the table titled
"Tagesordnung" (its alternative text) with the six default columns gets widths
measured from its content: the subject as wide as the rest allows, up to 45 %, TOP,
Drucksache and Seite never broken.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from lxml import etree

from notices.packets.cover import Item
from notices.packets.word_fields import field

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W = f"{{{W_NS}}}"
CAPTION = "Tagesordnung"
HEADERS = ["TOP", "Betreff", "Art", "Drucksache", "Amt", "Seite"]


def word_items(items: list[Item]) -> list[dict]:
    """What the Word cover's rows see: the PDF cover's fields, ``subject`` and ``page``
    as WordprocessingML."""
    from notices.render.docx import RawXml

    rows = []
    for item in items:
        context = item.context()
        anchor = item.anchor.replace("-", "_") if item.notice is not None else None
        subject = _link(anchor, context["title"]) if anchor else _text(context["title"])
        if context["note"]:
            subject += ('<w:r><w:br/></w:r><w:r><w:rPr><w:i/><w:sz w:val="18"/></w:rPr>'
                        f'<w:t xml:space="preserve">{escape(context["note"])}</w:t></w:r>')
        page = _page_field(anchor, item.page) if anchor else ""
        rows.append({**context, "subject": RawXml(subject), "page": RawXml(page),
                     # never broken at its hyphen ("4401/2020-2025")
                     "reference": (context["reference"] or "").replace("-", "\u2011")})
    return rows


def _text(value: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{escape(value)}</w:t></w:r>'


def _link(anchor: str, value: str) -> str:
    # One link per row, on the subject, as on the PDF cover ("5.1" says nothing about
    # where a link leads when a screen reader lists the links); set like the text around
    # it, as there: an underline would run on into the spaces where the subject wraps.
    return (f'<w:hyperlink w:anchor="{anchor}" w:history="1"><w:r><w:rPr>'
            '<w:rStyle w:val="Hyperlink"/><w:color w:val="auto"/><w:u w:val="none"/>'
            f'</w:rPr><w:t xml:space="preserve">{escape(value)}</w:t></w:r></w:hyperlink>')


def _page_field(anchor: str, page: int) -> str:
    return field(f"PAGEREF {anchor} \\h", str(page))


def fit_cover_table(body: etree._Element, items: list[Item]) -> None:
    """Give the cover's table (found by its title and its six columns) measured widths."""
    for table in body.iter(f"{W}tbl"):
        caption = table.find(f"{W}tblPr/{W}tblCaption")
        grid = table.find(f"{W}tblGrid")
        if caption is None or caption.get(f"{W}val") != CAPTION or grid is None \
                or len(grid) != len(HEADERS):
            continue
        widths = cover_widths(HEADERS, items)
        for column, width in zip(grid, widths):
            column.set(f"{W}w", str(width))
        properties = table.find(f"{W}tblPr")
        table_width = properties.find(f"{W}tblW")
        if table_width is None:
            table_width = etree.SubElement(properties, f"{W}tblW")
        table_width.set(f"{W}w", str(sum(widths)))
        table_width.set(f"{W}type", "dxa")
        for row in table.iter(f"{W}tr"):
            for cell, width in zip(row.findall(f"{W}tc"), widths):
                cell_width = cell.find(f"{W}tcPr/{W}tcW")
                if cell_width is not None:
                    cell_width.set(f"{W}w", str(width))
                    cell_width.set(f"{W}type", "dxa")


def cover_widths(headers: list[str], items: list[Item]) -> list[int]:
    """Column widths (twips) of the cover's table, measured like a facts table's.

    The subject gets what the other columns leave at their narrowest, up to 45 % of the
    width (the PDF cover's share); they share the rest by their content. TOP,
    Drucksache and Seite are never broken.
    """
    from notices.render.table_layout import column_widths, minimum_widths
    from notices.source import blocks as c

    names = ("label", "title", "kind", "reference", "office", "page")

    def table(columns: list[int]) -> c.Table:
        def row(values) -> tuple:
            return tuple(c.TableCell((c.Text(str(values[i])),)) for i in columns)

        return c.Table(row(headers), tuple(
            row([item.context()[name] for name in names]) for item in items))

    # 10 pt text (Notice Table Text, as the PDF cover), Word's default cell margins;
    # 9355 twips is the A4 text width; short headers keep a margin for a font wider
    # than Arial.
    total, size, margins = 9355, 20, 216
    widths = column_widths(table(list(range(6))), 6, total, font_size=size, margins=margins,
                           safety_percent=25, unbroken=frozenset({0, 3, 5}))
    others, unbroken = [0, 2, 3, 4, 5], frozenset({0, 2, 4})  # TOP, Drucksache, Seite
    # Their narrowest: the subject's share is what is left beside them, up to 45 %.
    floor = sum(minimum_widths(table(others), 5, font_size=size, margins=margins,
                               unbroken=unbroken))
    subject = min(total * 45 // 100, total - floor)
    # Never below the subject's own longest word: then the automatic layout, which gives
    # every column at least its longest word where they fit side by side, decides.
    longest = minimum_widths(table([1]), 1, font_size=size, margins=margins)[0]
    if subject <= widths[1] or subject < longest:
        return widths
    rest = column_widths(table(others), 5, total - subject, font_size=size, margins=margins,
                         safety_percent=25, unbroken=unbroken)
    return rest[:1] + [subject] + rest[1:]
