"""The cover sheet of a session packet: what it lists, and checking its templates.

The cover (``templates/sitzungsmappe.html``/``.css``/``.docx``, the city's to restyle)
names the committee, the date and the part, and lists each paper with its agenda item,
subject, kind, file number, office and the page where it starts; the subject links to it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from xml.sax.saxutils import escape

from notices.template_set import PACKET_TEMPLATE, TemplateSet
from notices.errors import NoticesError, Problem, Severity
from notices.packets.sessions import SessionKey
from notices.source.model import Notice

PUBLIC_PART, NON_PUBLIC_PART = "öffentlicher Teil", "nichtöffentlicher Teil"


@dataclass
class Item:
    """One paper in a packet: where its pages start, and the anchor that links to them."""

    notice: Notice
    anchor: str
    page: int = 0
    agenda_item: str | None = None  # of the consultation that puts it on this agenda

    def context(self) -> dict:
        notice = self.notice
        return {"anchor": self.anchor, "agenda_item": self.agenda_item,
                "subject": notice.subject, "kind": notice.kind_label,
                "file_number": notice.file_number, "paper_number": notice.paper_number,
                "reference": notice.reference, "office": notice.office.name,
                "page": self.page}


def cover_context(key: SessionKey, part: str, public: bool, city: str | None) -> dict:
    """What the cover templates see besides the items."""
    return {"session": key, "part": part, "public": public, "city": city}


def check_packet_templates(templates: TemplateSet, formats=("docx", "pdf"), *,
                           city: str | None, variant: str, required: bool = False,
                           stylesheets: bool = False) -> list[Problem]:
    """Fill the cover templates with a probe session, as ``check`` does for the notices'.

    A broken cover is then found by ``notices check`` and before ``notices session``
    renders anything, not after the session's notices have been built. ``stylesheets``
    also loads the cover's CSS with WeasyPrint: only for ``check``, because fonts loaded
    in a process that then forks the render workers would be shared with them.
    """
    import dataclasses

    from notices.check.templates import fill_html_template
    from notices.render.templating import probe_notice

    kinds = sorted(templates.kinds)
    if not kinds:
        return []
    problems: list[Problem] = []
    context = cover_context(SessionKey("Ausschuss", dt.date(2024, 1, 3)), PUBLIC_PART, True, city)
    items = [Item(dataclasses.replace(probe_notice(), kind=kinds[0]), "notice-1", page=2,
                  agenda_item="1")]
    for fmt in formats:
        name = f"{PACKET_TEMPLATE}.{'html' if fmt == 'pdf' else fmt}"
        if name not in templates.files:
            problems.append(Problem(f"templates/{name}", "missing: 'notices session' "
                                    "needs it for the cover sheet of a session packet",
                                    severity=Severity.ERROR if required else Severity.WARNING))
            continue
        try:
            if fmt == "pdf" and stylesheets:
                from notices.render.pdf import PdfRenderer

                cover = PdfRenderer(templates, PACKET_TEMPLATE, city=city, variant=variant)
                cover.fill({**context, "items": [item.context() for item in items]})
                problems.extend(cover.setup_problems)
            elif fmt == "pdf":
                fill_html_template(templates, name,
                                   {**context, "items": [item.context() for item in items]})
            else:
                from notices.packets.docx import render_cover

                render_cover(templates, context, items)
        except NoticesError as error:
            problems.extend(error.problems)
    return problems


def items_table_xml(items: list[Item], style: str | None) -> str:
    """The cover's table of notices as WordprocessingML: subject links and PAGEREF fields."""
    headers = ["TOP", "Betreff", "Art", "Aktenzeichen", "Amt", "Seite"]

    def cell(width: int, content: str, right: bool = False) -> str:
        jc = '<w:pPr><w:jc w:val="right"/></w:pPr>' if right else ""
        return (f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr>'
                f"<w:p>{jc}{content}</w:p></w:tc>")

    def text(value: str) -> str:
        return f'<w:r><w:t xml:space="preserve">{escape(value)}</w:t></w:r>'

    def link(anchor: str, value: str) -> str:
        return (f'<w:hyperlink w:anchor="{anchor}" w:history="1"><w:r><w:rPr>'
                f'<w:rStyle w:val="Hyperlink"/></w:rPr><w:t xml:space="preserve">'
                f"{escape(value)}</w:t></w:r></w:hyperlink>")

    def page_field(anchor: str, page: int) -> str:
        return ('<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
                f'<w:r><w:instrText xml:space="preserve"> PAGEREF {anchor} \\h </w:instrText>'
                '</w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r>'
                f"<w:r><w:t>{page}</w:t></w:r>"
                '<w:r><w:fldChar w:fldCharType="end"/></w:r>')

    widths = cover_widths(headers, items)
    rows = ["<w:tr><w:trPr><w:tblHeader/></w:trPr>"
            + "".join(cell(w, text(h), right=(h == "Seite"))
                      for w, h in zip(widths, headers, strict=True))
            + "</w:tr>"]
    for item in items:
        anchor = item.anchor.replace("-", "_")
        notice = item.notice
        values = [item.agenda_item or "–", notice.subject, notice.kind_label,
                  notice.file_number, notice.office.name]
        # One link per row, on the subject, as in the PDF cover: "5.1" says nothing about
        # where a link leads when a screen reader lists the links.
        cells = [cell(widths[0], text(values[0])), cell(widths[1], link(anchor, values[1]))]
        cells += [cell(w, text(v)) for w, v in zip(widths[2:5], values[2:], strict=True)]
        cells.append(cell(widths[5], page_field(anchor, item.page), right=True))
        rows.append("<w:tr><w:trPr><w:cantSplit/></w:trPr>" + "".join(cells) + "</w:tr>")
    table_style = f'<w:tblStyle w:val="{style}"/>' if style else ""
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
    return (f'<w:tbl><w:tblPr>{table_style}<w:tblW w:w="{sum(widths)}" w:type="dxa"/>'
            '<w:tblLayout w:type="fixed"/><w:tblLook w:val="04A0" w:firstRow="1" '
            'w:lastRow="0" w:firstColumn="0" w:lastColumn="0" w:noHBand="0" w:noVBand="1"/>'
            f"</w:tblPr><w:tblGrid>{grid}</w:tblGrid>{''.join(rows)}</w:tbl>")


def cover_widths(headers: list[str], items: list[Item]) -> list[int]:
    """Column widths (twips) of the cover's table, measured like a facts table's."""
    from notices.render.table_layout import column_widths
    from notices.source import blocks as c

    def row(values) -> tuple:
        return tuple(c.TableCell((c.Text(str(value)),)) for value in values)

    table = c.Table(row(headers), tuple(
        row([item.agenda_item or "–", item.notice.subject,
             item.notice.kind_label, item.notice.file_number, item.notice.office.name,
             item.page]) for item in items))
    # 11 pt text, Word's default cell margins; 9355 twips is the A4 text width. A few
    # short headers ("TOP", "Seite") must not break even in a wider font than Arial.
    return column_widths(table, len(headers), 9355, font_size=22, margins=216,
                         safety_percent=25)
