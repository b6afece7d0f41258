"""Generate ``templates/mitteilung.docx``, the Word template of a Mitteilung.

The template is a user file: clerks open it in Word or LibreOffice and restyle it. This
script documents how the shipped version was made and can regenerate it; after that,
edits belong in Word, not here. It uses only named styles (so the output stays
editable), A4 with German language settings, and docxtpl tags, each within one run:

- ``{{ notice.… }}`` fields and ``{{ city }}``; ``{{p facts }}`` replaces its paragraph with
  the facts (Sachverhalt), rendered by ``notices.render_docx`` in the styles below;
- ``{% if not notice.session.public %}nicht öffentlich{% endif %}`` in the page header;
- "Seite X von Y" from PAGE and NUMPAGES fields in the footer.

It also makes ``templates/sitzungsmappe.docx``, the cover sheet of a session packet.

Run: ``python tools/make_docx_template.py [TEMPLATES_FOLDER]``
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

TEMPLATES = Path(__file__).resolve().parent.parent / "src/notices/skeleton/templates"
FONT = "Arial"  # what clerks' Word has; LibreOffice maps it to metric-compatible Liberation Sans
BOX_FONT = "Segoe UI Symbol"  # has ☐ ☒ on Windows; other systems substitute a font that has them


def set_font(style, name=FONT, size=None, bold=None, italic=None, color=RGBColor(0, 0, 0)):
    font = style.font
    font.name = name
    rfonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        rfonts.set(qn(attribute), name)
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attribute), None)
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    if italic is not None:
        font.italic = italic
    if color is not None:
        font.color.rgb = color


def paragraph_style(document, name, *, base="Normal", size=None, bold=None, italic=None,
                    before=None, after=None, keep_with_next=None, next_style=None):
    styles = document.styles
    style = styles[name] if name in [s.name for s in styles] else styles.add_style(
        name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = styles[base] if base else None
    set_font(style, size=size, bold=bold, italic=italic)
    fmt = style.paragraph_format
    if before is not None:
        fmt.space_before = Pt(before)
    if after is not None:
        fmt.space_after = Pt(after)
    if keep_with_next is not None:
        fmt.keep_with_next = keep_with_next
    if next_style:
        style.next_paragraph_style = styles[next_style]
    style.quick_style = True
    return style


def character_style(document, name, *, font=FONT, color=None, underline=None):
    styles = document.styles
    style = styles[name] if name in [s.name for s in styles] else styles.add_style(
        name, WD_STYLE_TYPE.CHARACTER)
    set_font(style, name=font, color=color)
    if underline is not None:
        style.font.underline = underline
    return style


def remove_border(style):
    ppr = style.element.get_or_add_pPr()
    for border in ppr.findall(qn("w:pBdr")):
        ppr.remove(border)


def set_document_language(document, language="de-DE"):
    defaults = document.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), language)
    lang.set(qn("w:eastAsia"), language)
    # Word may not hyphenate on its own: German compounds break wrongly (see README).
    settings = document.settings.element
    for old in settings.findall(qn("w:autoHyphenation")):
        settings.remove(old)


def add_field(paragraph, instruction):
    """A complex field (PAGE, NUMPAGES) that Word and LibreOffice update when paginating."""
    def char(kind):
        run = paragraph.add_run()
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        run._r.append(element)

    char("begin")
    run = paragraph.add_run()
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instruction} "
    run._r.append(text)
    char("separate")
    paragraph.add_run("1")
    char("end")


def table_style(document):
    styles = document.styles
    style = styles.add_style("Notice Table", WD_STYLE_TYPE.TABLE)
    style.base_style = styles["Table Grid"]
    set_font(style, size=10)
    # A bold, shaded header row via the table style's firstRow condition.
    tbl_style_pr = OxmlElement("w:tblStylePr")
    tbl_style_pr.set(qn("w:type"), "firstRow")
    rpr = OxmlElement("w:rPr")
    rpr.append(OxmlElement("w:b"))
    tbl_style_pr.append(rpr)
    tcpr = OxmlElement("w:tcPr")
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), "E8E8E8")
    tcpr.append(shading)
    tbl_style_pr.append(tcpr)
    style.element.append(tbl_style_pr)
    return style


def base_document():
    """A4, German, the named styles and the header/footer that every template shares."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(2.0), Cm(2.5)
    section.left_margin, section.right_margin = Cm(2.5), Cm(2.0)
    section.header_distance, section.footer_distance = Cm(1.0), Cm(1.2)

    set_document_language(document)
    styles = document.styles
    normal = styles["Normal"]
    set_font(normal, size=11)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.15

    title = styles["Title"]
    set_font(title, size=16, bold=True)
    remove_border(title)
    title.paragraph_format.space_after = Pt(12)
    for name, size, bold, italic, before, after in (
            ("Heading 2", 11, True, False, 14, 4), ("Heading 3", 11, True, False, 10, 3),
            ("Heading 4", 11, True, True, 8, 3), ("Heading 5", 11, False, True, 8, 3)):
        style = styles[name]
        set_font(style, size=size, bold=bold, italic=italic)
        style.paragraph_format.space_before = Pt(before)
        style.paragraph_format.space_after = Pt(after)
        style.paragraph_format.keep_with_next = True
    for name in ("List Bullet", "List Bullet 2", "List Bullet 3", "List Number",
                 "List Number 2", "List Number 3", "List Continue", "List Continue 2",
                 "List Continue 3", "Quote", "Header", "Footer"):
        set_font(styles[name])
    styles["Quote"].paragraph_format.left_indent = Cm(1)
    set_font(styles["Header"], size=9)
    set_font(styles["Footer"], size=9)

    paragraph_style(document, "Notice Letterhead", bold=True, after=12)
    paragraph_style(document, "Notice File Line", after=18)
    paragraph_style(document, "Notice Session", after=4)
    paragraph_style(document, "Notice Subject", bold=True, after=6)
    paragraph_style(document, "Notice Signature", before=30)
    paragraph_style(document, "Notice Code", after=6)
    set_font(styles["Notice Code"], name="Courier New", size=10)
    character_style(document, "Ballot Box", font=BOX_FONT)
    character_style(document, "Hyperlink", color=RGBColor(0x1A, 0x4C, 0x8B), underline=True)
    character_style(document, "Inline Code", font="Courier New")
    table_style(document)

    # --- header and footer ---
    styles["Header"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    styles["Footer"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    header = section.header.paragraphs[0]
    header.style = styles["Header"]
    header.add_run("{% if not notice.session.public %}")
    header.add_run("nicht öffentlich", style="Strong")
    header.add_run("{% endif %}")
    footer = section.footer.paragraphs[0]
    footer.style = styles["Footer"]
    footer.add_run("Seite ")
    add_field(footer, "PAGE")
    footer.add_run(" von ")
    add_field(footer, "NUMPAGES")

    return document


def finish(document, output: Path, title: str, comments: str) -> None:
    # python-docx's default package carries a thumbnail of another document: drop it.
    package_rels = document.part.package.rels
    for rel_id, rel in list(package_rels.items()):
        if rel.reltype.endswith("/thumbnail"):
            del package_rels[rel_id]

    core = document.core_properties
    core.title = title
    core.author = "notices"
    core.comments = comments
    core.language = "de-DE"
    core.revision = 1
    import datetime as dt

    core.created = core.modified = dt.datetime(2024, 1, 1)
    core.last_modified_by = "notices"
    # Same script, same bytes: a regenerated template must not look like a changed one
    # (that would make every build re-render everything).
    import io
    import zipfile

    from notices.render_docx import reproducible_zip

    buffer = io.BytesIO()
    document.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        entries = [(info.filename, archive.read(info)) for info in archive.infolist()]
    output.write_bytes(reproducible_zip(entries))


def build(output: Path) -> None:
    """The template of a Mitteilung."""
    document = base_document()
    body = document.add_paragraph("{%p if city %}")
    document.add_paragraph("{{ city }}", style="Notice Letterhead")
    document.add_paragraph("{%p endif %}")
    document.add_paragraph(
        "{{ notice.file_number }}, {{ notice.date|de_date }}, {{ notice.contact.phone }}, "
        "{{ notice.contact.name }}", style="Notice File Line")
    document.add_paragraph("Mitteilung {{ notice.office.genitive }}", style="Title")
    document.add_paragraph("zur Sitzung: {{ notice.session.committee }}",
                           style="Notice Session")
    visibility = document.add_paragraph(style="Notice Session")
    visibility.add_run("{% if notice.session.public %}☒{% else %}☐{% endif %}",
                       style="Ballot Box")
    visibility.add_run(" öffentlich ")
    visibility.add_run("{% if notice.session.public %}☐{% else %}☒{% endif %}",
                       style="Ballot Box")
    visibility.add_run(" nicht öffentlich")
    document.add_paragraph("am {{ notice.session.date|de_date }}", style="Notice Session")
    document.add_paragraph("Anlass:", style="Heading 2")
    document.add_paragraph("{{ notice.subject }}", style="Notice Subject")
    document.add_paragraph("Sachverhalt:", style="Heading 2")
    document.add_paragraph("{{p facts }}")
    document.add_paragraph("gez. {{ notice.signatory }}", style="Notice Signature")
    del body
    finish(document, output, "Mitteilung", "Template of a Mitteilung for notices (docxtpl tags).")


def build_cover(output: Path) -> None:
    """The cover sheet of a session packet (Sitzungsmappe); notices are appended to it."""
    document = base_document()
    header = document.sections[0].header.paragraphs[0]
    for run in header.runs:  # the packet says "nicht öffentlich" when its part is
        run.text = run.text.replace("not notice.session.public", "not public")
    document.add_paragraph("{%p if city %}")
    document.add_paragraph("{{ city }}", style="Notice Letterhead")
    document.add_paragraph("{%p endif %}")
    document.add_paragraph("Sitzungsmappe", style="Title")
    document.add_paragraph("{{ session.committee }}", style="Notice Subject")
    document.add_paragraph("Sitzung am {{ session.date|de_date }}", style="Notice Session")
    document.add_paragraph("{{ part }}", style="Notice Subject")
    document.add_paragraph("{{p items }}")
    finish(document, output, "Sitzungsmappe",
           "Cover sheet of a session packet for notices (docxtpl tags). {{p items }} becomes "
           "the table of notices: agenda item, subject, kind, file number, office, page.")


if __name__ == "__main__":
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else TEMPLATES
    build(folder / "mitteilung.docx")
    build_cover(folder / "sitzungsmappe.docx")
