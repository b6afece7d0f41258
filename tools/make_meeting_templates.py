"""The Word templates of a meeting's documents, on the papers' base (``make_docx_template``):
the cover sheet of a session packet, the Einladung and the Niederschrift.

Run through ``python tools/make_docx_template.py [TEMPLATES_FOLDER]``, which makes all
of them.
"""

from __future__ import annotations

from pathlib import Path

from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.oxml.ns import qn
from docx.shared import Pt, Twips
from make_docx_template import W_NS, base_document, confidential_header, finish

def build_cover(output: Path) -> None:
    """The cover sheet of a session packet (Sitzungsmappe); the papers are appended to it.

    Its table is the template's, so that the city can restyle it in Word: a header row,
    then one row per item from a ``{%tr for %}`` loop. notices sets the columns' widths
    from their content (as the PDF's automatic table layout does) on the table whose
    alternative-text title is "Tagesordnung" and that has these six columns.
    """
    document = base_document()
    cover_styles(document)
    confidential_header(document, "not public")
    # "Deckblatt, Seite 1 von 2", as on the PDF cover: the cover's own pages.
    for paragraph in document.sections[0].footer.paragraphs:
        if paragraph.runs and paragraph.runs[0].text == "Seite ":
            paragraph.runs[0].text = "Deckblatt, Seite "
    document.add_paragraph("{%p if city %}")
    document.add_paragraph("{{ city }}", style="Notice Letterhead")
    document.add_paragraph("{%p endif %}")
    document.add_paragraph("Sitzungsmappe", style="Title")
    document.add_paragraph("{{ session.committee }}", style="Notice Cover Committee")
    document.add_paragraph("Sitzung am {{ session.date|de_date }}{% if meeting %} um "
                           "{{ meeting.start }} Uhr{% endif %}", style="Notice Session")
    document.add_paragraph("{%p if meeting and meeting.number %}")
    document.add_paragraph("Sitzung {{ meeting.number }}", style="Notice Session")
    document.add_paragraph("{%p endif %}")
    document.add_paragraph("{% if meeting %}Tagesordnung, {% endif %}{{ part }}",
                           style="Notice Subject")
    cover_table(document)
    finish(document, output, "Sitzungsmappe",
           "Cover sheet of a session packet (docxtpl tags). Table rows: item.label, "
           "item.subject (link and note), item.kind, item.reference, item.office, item.page "
           "(a field).")


COVER_COLUMNS = (("TOP", "{{ item.label }}", 850), ("Betreff", "{{r item.subject }}", 4200),
                 ("Art", "{{ item.kind }}", 1500), ("Drucksache", "{{ item.reference }}", 1500),
                 ("Amt", "{{ item.office }}", 1300), ("Seite", "{{r item.page }}", 700))


def cover_table(document) -> None:
    """The cover's table: header row (repeated on every page), the item row in a loop."""
    table = document.add_table(rows=4, cols=len(COVER_COLUMNS))
    table.style = document.styles["Notice Cover Table"]
    rows = ([title for title, _, _ in COVER_COLUMNS], ["{%tr for item in items %}"],
            [tag for _, tag, _ in COVER_COLUMNS], ["{%tr endfor %}"])
    for row, texts in zip(table.rows, rows):
        for index, (cell, (_, _, width)) in enumerate(zip(row.cells, COVER_COLUMNS)):
            cell.width = Twips(width)
            paragraph = cell.paragraphs[0]
            paragraph.style = document.styles["Notice Table Text"]
            if index < len(texts):
                paragraph.add_run(texts[index])
            if index == len(COVER_COLUMNS) - 1:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    header, item = table.rows[0], table.rows[2]
    header._tr.get_or_add_trPr().append(parse_xml(f'<w:tblHeader xmlns:w="{W_NS}"/>'))
    item._tr.get_or_add_trPr().append(parse_xml(f'<w:cantSplit xmlns:w="{W_NS}"/>'))
    properties = table._tbl.tblPr
    # The title that screen readers announce, and by which notices finds the table.
    properties.append(parse_xml(f'<w:tblCaption xmlns:w="{W_NS}" w:val="Tagesordnung"/>'))
    properties.append(parse_xml(
        f'<w:tblDescription xmlns:w="{W_NS}" w:val="Die Punkte der Tagesordnung mit '
        'Betreff, Art, Drucksache, Amt und der Seite in der Mappe"/>'))


def cover_styles(document) -> None:
    """Notice Cover Table: as the PDF cover, lines between the rows only, the header row
    bold and shaded; and the committee's name a size larger, as there."""
    import copy

    style = document.styles.add_style("Notice Cover Table", WD_STYLE_TYPE.TABLE)
    base = document.styles["Notice Table"]
    style.base_style = base
    # The header row's look, copied: LibreOffice does not inherit a table style's
    # conditional formatting from its base style.
    for conditional in base.element.findall(qn("w:tblStylePr")):
        style.element.append(copy.deepcopy(conditional))
    line = 'w:val="single" w:sz="4" w:space="0" w:color="555555"'
    borders = parse_xml(
        f'<w:tblPr xmlns:w="{W_NS}"><w:tblBorders><w:top {line}/><w:left w:val="nil"/>'
        f'<w:bottom {line}/><w:right w:val="nil"/><w:insideH {line}/>'
        '<w:insideV w:val="nil"/></w:tblBorders></w:tblPr>')
    # Schema order in a style: rPr, tblPr, then the conditional (tblStylePr) parts.
    after = style.element.find(qn("w:tblStylePr"))
    if after is not None:
        after.addprevious(borders)
    else:
        style.element.append(borders)
    committee = document.styles.add_style("Notice Cover Committee", WD_STYLE_TYPE.PARAGRAPH)
    committee.base_style = document.styles["Notice Subject"]
    committee.font.size = Pt(14)


def meeting_document(header: str | None):
    """The base of the meeting's documents: a header of their own (no paper behind them)."""
    document = base_document()
    section = document.sections[0]
    for part in (section.header, section.first_page_header):
        for paragraph in part.paragraphs:
            for run in list(paragraph._p):
                if run.tag != qn("w:pPr"):
                    paragraph._p.remove(run)
    section.different_first_page_header_footer = False
    if header:
        confidential_header(document, header)
    return document


def build_invitation(output: Path) -> None:
    """The Einladung with its Tagesordnung: both parts, an item per line."""
    document = meeting_document(None)
    document.add_paragraph("{%p if city %}")
    document.add_paragraph("{{ city }}", style="Notice Letterhead")
    document.add_paragraph("{%p endif %}")
    document.add_paragraph("Einladung", style="Title")
    document.add_paragraph("{{ meeting.committee }}", style="Notice Subject")
    document.add_paragraph("{%p if meeting.number %}")
    document.add_paragraph("Sitzung {{ meeting.number }}", style="Notice Session")
    document.add_paragraph("{%p endif %}")
    document.add_paragraph("Sitzung am {{ meeting.date|de_date }} um {{ meeting.start }} Uhr",
                           style="Notice Session")
    document.add_paragraph("Ort: {{ meeting.place }}", style="Notice Session")
    document.add_paragraph("{%p if meeting.invitation_date %}")
    document.add_paragraph("Zu dieser Sitzung lade ich Sie ein{% if not public_only %}; die "
                           "Vorlagen sind beigefügt{% endif %}.")
    document.add_paragraph("{{ city or '' }}{% if city %}, {% endif %}"
                           "{{ meeting.invitation_date|de_date }}")
    document.add_paragraph("{%p endif %}")
    document.add_paragraph("Tagesordnung", style="Heading 2")
    document.add_paragraph("{%p for part in parts %}")
    document.add_paragraph("{{ part.title }}", style="Heading 3")
    document.add_paragraph("{%p for item in part.entries %}")
    document.add_paragraph("{%p if item.has_sub_items %}")
    for style in ("Notice Agenda Parent", "Notice Agenda Item"):
        line = document.add_paragraph(style=style)
        line.add_run("{{ item.label }}\t{{ item.title }}{% if item.reference %}\t"
                     "{{ item.reference }}{% endif %}")
        document.add_paragraph("{%p else %}" if style == "Notice Agenda Parent"
                               else "{%p endif %}")
    document.add_paragraph("{%p if item.note %}")
    document.add_paragraph("{{ item.note }}", style="Notice Agenda Note")
    document.add_paragraph("{%p endif %}")
    document.add_paragraph("{%p endfor %}")
    document.add_paragraph("{%p if not part.entries %}")
    document.add_paragraph("Keine Tagesordnungspunkte", style="Notice Agenda Item")
    document.add_paragraph("{%p endif %}")
    document.add_paragraph("{%p endfor %}")
    document.add_paragraph("{%p if meeting.chair %}")
    document.add_paragraph("{{ meeting.chair }}", style="Notice Signature")
    document.add_paragraph("{%p endif %}")
    finish(document, output, "Einladung",
           "Template of the Einladung with its Tagesordnung for notices (docxtpl tags).")


def build_minutes(output: Path) -> None:
    """The Niederschrift of one part: header, attendance, each item with its result."""
    document = meeting_document("not public")
    document.add_paragraph("{%p if city %}")
    document.add_paragraph("{{ city }}", style="Notice Letterhead")
    document.add_paragraph("{%p endif %}")
    document.add_paragraph("Niederschrift", style="Title")
    document.add_paragraph("{{ meeting.committee }}, {{ part }}",
                           style="Notice Subject")
    for label, value in (("Sitzung", "{{ meeting.number }}"),
                         ("Datum", "{{ meeting.date|de_date }}"), ("Ort", "{{ meeting.place }}"),
                         ("Beginn", "{{ meeting.start }} Uhr"), ("Ende", "{{ minutes.end }} Uhr"),
                         ("Vorsitz", "{{ meeting.chair }}")):
        optional = label in ("Sitzung", "Vorsitz")
        if optional:
            field = "number" if label == "Sitzung" else "chair"
            document.add_paragraph(f"{{%p if meeting.{field} %}}")
        document.add_paragraph(f"{label}:\t{value}", style="Notice Head Line")
        if optional:
            document.add_paragraph("{%p endif %}")
    for title, name in (("Anwesend", "present"), ("Entschuldigt", "excused")):
        document.add_paragraph(f"{{%p if minutes.{name}.groups %}}")
        document.add_paragraph(title, style="Heading 2")
        document.add_paragraph(f"{{%p for group, names in minutes.{name}.groups %}}")
        document.add_paragraph("{% if group %}{{ group }}: {% endif %}{{ names|join(', ') }}")
        document.add_paragraph("{%p endfor %}")
        document.add_paragraph("{%p endif %}")
    document.add_paragraph("{%p if minutes.administration %}")
    document.add_paragraph("Von der Verwaltung", style="Heading 2")
    document.add_paragraph("{{ minutes.administration|join(', ') }}")
    document.add_paragraph("{%p endif %}")
    document.add_paragraph("Verlauf und Ergebnisse", style="Heading 2")
    document.add_paragraph("{%p for item in items %}")
    document.add_paragraph("{{ item.label }} {{ item.title }}{% if item.reference %} "
                           "({{ item.reference }}){% endif %}", style="Heading 3")
    document.add_paragraph("{%p if item.result %}")
    document.add_paragraph("{{ item.result }}", style="Notice Subject")
    document.add_paragraph("{%p endif %}")
    document.add_paragraph("{%p if item.text %}")
    document.add_paragraph("{{p item.text }}", style="Body Text")
    document.add_paragraph("{%p endif %}")
    document.add_paragraph("{%p endfor %}")
    document.add_paragraph("{%p if not items %}")
    document.add_paragraph("In diesem Teil der Sitzung wurden keine Tagesordnungspunkte "
                           "behandelt.", style="Body Text")
    document.add_paragraph("{%p endif %}")
    finish(document, output, "Niederschrift",
           "Template of the Niederschrift (minutes) for notices (docxtpl tags).")


