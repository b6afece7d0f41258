"""Generate ``templates/mitteilung.docx``, the Word template of a Mitteilung.

The template is a user file: clerks open it in Word or LibreOffice and restyle it. This
script documents how the shipped version was made and can regenerate it; after that,
edits belong in Word, not here. What it sets up, and why:

- A4 with the margins of the PDF (2 cm top and right, 2.5 cm bottom and left), German
  language (``de-DE`` in the styles' document defaults, so Word spell-checks German),
  German decimal and list separators, no automatic hyphenation (the German dictionary
  breaks common compounds wrongly; soft hyphens typed by the clerk still work), and
  the layout rules of current Word (compatibilityMode 15), so that Word does not open
  the notices in compatibility mode.
- Named styles only, never direct formatting, so that restyling one style restyles every
  notice: Normal (Arial 11 pt; LibreOffice substitutes the metric-compatible Liberation
  Sans), Title, Heading 2 (Anlass, Sachverhalt), Heading 3-5 (headings inside the facts),
  Body Text (paragraphs of the facts), List Bullet/List Number 1-3 and List Continue 1-3,
  Quote, Hyperlink, Strong, and the custom Notice Letterhead, Notice File Line, Notice
  Session, Notice Subject, Notice Signature, Notice Code (preformatted text), Notice Table
  Text (table cells), Inline Code, Ballot Box (the ☒ ☐ glyphs) and the table style Notice
  Table (grid, bold shaded header row).
- Real numbering definitions: one multi-level bulleted and one multi-level numbered list
  in numbering.xml, bound to List Bullet and List Number; levels 1-3 are also bound to
  List Bullet 2/3 and List Number 2/3, so Tab and Shift+Tab in Word move an item between
  levels as clerks expect. ``notices.render.docx`` nests lists by level (w:ilvl) and
  restarts each numbered list with a numbering instance of its own.
- docxtpl tags, each within one run: ``{{ notice.… }}`` fields; ``{{ city }}`` in a
  letterhead inside ``{%p if city %}``; ``{{p facts }}``, a paragraph that the facts
  (Sachverhalt) replace; in the page headers ``{% if not notice.public %}nicht
  öffentlich{% endif %}`` on every page and, from page 2 on (a different first page),
  the file number, paper number and shortened subject (``notice.short_subject``);
  "Seite X von Y" from PAGE and NUMPAGES fields in the footers.

It also makes the meeting's templates on the same base (``make_meeting_templates.py``:
the packet's cover sheet ``sitzungsmappe.docx``, ``einladung.docx``,
``niederschrift.docx``). The output is byte-reproducible (fixed zip timestamps and dates), so a
regenerated template that did not change does not make every build re-render.

Run: ``python tools/make_docx_template.py [TEMPLATES_FOLDER]``
"""

from __future__ import annotations

import datetime as dt
import io
import sys
import zipfile
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor, Twips

TEMPLATES = Path(__file__).resolve().parent.parent / "src/notices/skeleton/templates"
FONT = "Arial"  # what clerks' Word has; LibreOffice maps it to metric-compatible Liberation Sans
MONO = "Courier New"  # likewise mapped to Liberation Mono
# Segoe UI Symbol has ☐ and ☒ and ships with Windows; elsewhere Word and LibreOffice fall
# back to a font that has the glyphs (LibreOffice: DejaVu Sans or OpenSymbol). Arial itself
# lacks them, so leaving the boxes in the body font would mean a fallback everywhere.
BOX_FONT = "Segoe UI Symbol"
TEXT_WIDTH = Cm(21.0 - 2.5 - 2.0)
LIST_INDENT = 397  # twips (0.7 cm) per list level; the marker hangs in it
LIST_LEVELS = 9
# Word's own bullets (Symbol •, Courier New o, Wingdings ▪), like the PDF's disc, circle
# and square; numbers are 1. 2. 3. on every level, like the PDF.
BULLETS = (("\uf0b7", "Symbol"), ("o", MONO), ("\uf0a7", "Wingdings"))
BLACK = RGBColor(0, 0, 0)
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def set_font(style, name=FONT, size=None, bold=None, italic=None, color=BLACK):
    """Give a style a concrete font instead of the theme's (clerks see "Arial", not "+Body")."""
    rfonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attribute), None)
    for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        rfonts.set(qn(attribute), name)
    if size is not None:
        style.font.size = Pt(size)
    if bold is not None:
        style.font.bold = bold
    if italic is not None:
        style.font.italic = italic
    if color is not None:
        style.font.color.rgb = color


def get_style(document, name, kind=WD_STYLE_TYPE.PARAGRAPH, *, builtin=False):
    styles = document.styles
    if name in [s.name for s in styles]:
        return styles[name]
    return styles.add_style(name, kind, builtin=builtin)


def paragraph_style(document, name, *, base="Normal", size=None, bold=None, italic=None,
                    before=None, after=None, keep_with_next=None, next_style=None):
    styles = document.styles
    style = get_style(document, name)
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


def character_style(document, name, *, font=FONT, color=None, underline=None, builtin=False):
    style = get_style(document, name, WD_STYLE_TYPE.CHARACTER, builtin=builtin)
    set_font(style, name=font, color=color)
    if underline is not None:
        style.font.underline = underline
    return style


def remove_children(element, *tags):
    for tag in tags:
        for child in element.findall(qn(tag)):
            element.remove(child)


def set_document_defaults(document, language="de-DE"):
    """Arial 11 pt and German for every run that no style overrides."""
    defaults = document.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    remove_children(rpr, "w:rFonts")
    rfonts = OxmlElement("w:rFonts")
    for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        rfonts.set(qn(attribute), FONT)
    rpr.insert(0, rfonts)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), language)
    lang.set(qn("w:eastAsia"), language)


def set_german_settings(document):
    """German separators and theme language; Word re-checks spelling on opening."""
    settings = document.settings.element
    # Word may not hyphenate on its own: German compounds break wrongly (see README).
    remove_children(settings, "w:autoHyphenation", "w:proofState")
    settings.find(qn("w:defaultTabStop")).set(qn("w:val"), "709")  # 1.25 cm, Word (de)
    settings.find(qn("w:decimalSymbol")).set(qn("w:val"), ",")
    settings.find(qn("w:listSeparator")).set(qn("w:val"), ";")
    theme_lang = settings.find(qn("w:themeFontLang"))
    theme_lang.set(qn("w:val"), "de-DE")
    theme_lang.attrib.pop(qn("w:eastAsia"), None)


def current_word_layout(document):
    """Word 2013 and later layout rules (compatibilityMode 15), not Word 2010's (14).

    python-docx's default file says 14: Word then opens every notice in compatibility
    mode ("Kompatibilitätsmodus" in the title bar) and lays tables out by the old rules
    (a table's border hangs into the left margin by the cell margin).
    """
    compat = document.settings.element.find(qn("w:compat"))
    for setting in compat.findall(qn("w:compatSetting")):
        if setting.get(qn("w:name")) == "compatibilityMode":
            setting.set(qn("w:val"), "15")


def drop_unused_parts(document):
    """Remove python-docx's Word 2010 style copy and sample bibliography: dead weight per file."""
    rels = document.part.rels
    for rel_id, rel in list(rels.items()):
        if rel.reltype.endswith(("/stylesWithEffects", "/customXml")):
            del rels[rel_id]
    package_rels = document.part.package.rels
    for rel_id, rel in list(package_rels.items()):
        if rel.reltype.endswith("/thumbnail"):  # a picture of another document
            del package_rels[rel_id]


def _level_xml(level, *, ordered, style_id):
    indent = LIST_INDENT * (level + 1)
    if ordered:
        marker = (f'<w:numFmt w:val="decimal"/>{style_id}'
                  f'<w:lvlText w:val="%{level + 1}."/><w:lvlJc w:val="left"/>')
        font = ""
    else:
        glyph, face = BULLETS[level % len(BULLETS)]
        marker = (f'<w:numFmt w:val="bullet"/>{style_id}'
                  f'<w:lvlText w:val="{glyph}"/><w:lvlJc w:val="left"/>')
        font = (f'<w:rPr><w:rFonts w:ascii="{face}" w:hAnsi="{face}" w:hint="default"/>'
                "</w:rPr>")
    return (f'<w:lvl w:ilvl="{level}"><w:start w:val="1"/>{marker}'
            f'<w:pPr><w:tabs><w:tab w:val="num" w:pos="{indent}"/></w:tabs>'
            f'<w:ind w:left="{indent}" w:hanging="{LIST_INDENT}"/></w:pPr>{font}</w:lvl>')


def define_numbering(document):
    """One multi-level bullet and one multi-level number definition, bound to the list styles.

    Replaces python-docx's nine single-level definitions: with them a nested item is a
    different list, and Tab in Word does not indent it.
    """
    definitions = []
    for abstract_id, (ordered, base, nsid) in enumerate(
            ((False, "ListBullet", "4E4F5442"), (True, "ListNumber", "4E4F544E"))):
        levels = []
        for level in range(LIST_LEVELS):
            style_id = base if level == 0 else f"{base}{level + 1}" if level < 3 else None
            link = f'<w:pStyle w:val="{style_id}"/>' if style_id else ""
            levels.append(_level_xml(level, ordered=ordered, style_id=link))
        definitions.append(
            f'<w:abstractNum w:abstractNumId="{abstract_id}"><w:nsid w:val="{nsid}"/>'
            f'<w:multiLevelType w:val="hybridMultilevel"/>{"".join(levels)}</w:abstractNum>')
    numbering = document.part.numbering_part
    numbering._element = parse_xml(
        f'<w:numbering xmlns:w="{W_NS}">{"".join(definitions)}'
        '<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>'
        '<w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num></w:numbering>')
    styles = document.styles
    for num_id, base in ((1, "List Bullet"), (2, "List Number")):
        for level in range(3):
            style = styles[base if level == 0 else f"{base} {level + 1}"]
            set_font(style)
            num_pr = style.element.get_or_add_pPr().get_or_add_numPr()
            num_pr.get_or_add_ilvl().val = level
            num_pr.get_or_add_numId().val = num_id
            style.paragraph_format.space_after = Pt(3)
            # The same 3 pt after every item, nested or not: "contextual spacing" (no
            # space between paragraphs of one style) left a nested list with space
            # before it and none after it.
            remove_children(style.element.get_or_add_pPr(), "w:contextualSpacing")
    for level in range(3):  # a list item's second paragraph, aligned with the item's text
        style = styles["List Continue" if level == 0 else f"List Continue {level + 1}"]
        set_font(style)
        style.paragraph_format.left_indent = Twips(LIST_INDENT * (level + 1))
        style.paragraph_format.space_after = Pt(3)
        remove_children(style.element.get_or_add_pPr(), "w:contextualSpacing")


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
    """Notice Table: a grid with a bold, shaded header row (the table style's firstRow)."""
    styles = document.styles
    style = styles.add_style("Notice Table", WD_STYLE_TYPE.TABLE)
    style.base_style = styles["Table Grid"]
    set_font(style, size=10)
    tbl_style_pr = OxmlElement("w:tblStylePr")
    tbl_style_pr.set(qn("w:type"), "firstRow")
    rpr = OxmlElement("w:rPr")
    rpr.append(OxmlElement("w:b"))
    rpr.append(OxmlElement("w:bCs"))
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


def plain_title(style):
    """Title without python-docx's blue rule, letter spacing and kerning: a bold line."""
    ppr = style.element.get_or_add_pPr()
    remove_children(ppr, "w:pBdr")
    rpr = style.element.get_or_add_rPr()
    remove_children(rpr, "w:spacing", "w:kern")
    # Outline level 1, so that Word's navigation pane and a PDF export nest "Anlass" and
    # "Sachverhalt" (Heading 2) under the title.
    outline = OxmlElement("w:outlineLvl")
    outline.set(qn("w:val"), "0")
    ppr.append(outline)


def themeless(document):
    """Every paragraph and character style in Arial, not the theme's Calibri/Cambria."""
    for style in document.styles:
        if style.type not in (WD_STYLE_TYPE.PARAGRAPH, WD_STYLE_TYPE.CHARACTER):
            continue
        rpr = style.element.rPr
        rfonts = rpr.rFonts if rpr is not None else None
        if rfonts is not None and rfonts.get(qn("w:asciiTheme")) is not None:
            set_font(style, color=None)
        if style.name.startswith(("Heading", "Title", "Subtitle", "Quote", "Intense")):
            set_font(style)  # black, not the theme's blue


def base_document():
    """A4, German, the named styles and the header/footer that every template shares."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(2.0), Cm(2.5)
    section.left_margin, section.right_margin = Cm(2.5), Cm(2.0)
    section.header_distance, section.footer_distance = Cm(1.0), Cm(1.2)

    set_document_defaults(document)
    set_german_settings(document)
    current_word_layout(document)
    drop_unused_parts(document)
    themeless(document)
    styles = document.styles
    normal = styles["Normal"]
    set_font(normal, size=11)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.15

    title = styles["Title"]
    set_font(title, size=16, bold=True)
    plain_title(title)
    title.paragraph_format.space_after = Pt(12)
    for name, size, bold, italic, before, after in (
            ("Heading 2", 11, True, False, 14, 4), ("Heading 3", 11, True, False, 10, 3),
            ("Heading 4", 11, True, True, 8, 3), ("Heading 5", 11, False, True, 8, 3)):
        style = styles[name]
        set_font(style, size=size, bold=bold, italic=italic)
        style.paragraph_format.space_before = Pt(before)
        style.paragraph_format.space_after = Pt(after)
        style.paragraph_format.keep_with_next = True
    body = styles["Body Text"]  # the facts' paragraphs (Word (de): "Textkörper")
    set_font(body)
    body.paragraph_format.space_after = Pt(6)
    define_numbering(document)
    quote = styles["Quote"]
    set_font(quote, italic=True)
    quote.paragraph_format.left_indent = Cm(1)

    paragraph_style(document, "Notice Letterhead", bold=True, after=12)
    paragraph_style(document, "Notice File Line", after=18)
    paragraph_style(document, "Notice Session", after=4)
    paragraph_style(document, "Notice Subject", bold=True, after=6)
    paragraph_style(document, "Notice Signature", before=30)
    # Cell text: tighter than body text. A paragraph style, because Word lets the Normal
    # style win over a table style's paragraph and font settings.
    cell = paragraph_style(document, "Notice Table Text", size=10, before=2, after=2)
    cell.paragraph_format.line_spacing = 1.0
    code = paragraph_style(document, "Notice Code", after=6)
    set_font(code, name=MONO, size=10)
    code.paragraph_format.line_spacing = 1.0
    character_style(document, "Ballot Box", font=BOX_FONT)
    # Hyperlink is a built-in style of Word: marked as such, Word does not add a second one.
    hyperlink = character_style(document, "Hyperlink", color=RGBColor(0x1A, 0x4C, 0x8B),
                                underline=True, builtin=True)
    hyperlink.priority = 99
    hyperlink.unhide_when_used = True
    character_style(document, "Inline Code", font=MONO)
    table_style(document)
    agenda_styles(document)

    # --- header and footer ---
    for name in ("Header", "Footer"):
        style = styles[name]
        set_font(style, size=9)
        style.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        tabs = style.paragraph_format.tab_stops
        tabs.clear_all()  # python-docx's stops are for US Letter
        tabs.add_tab_stop(TEXT_WIDTH // 2, WD_TAB_ALIGNMENT.CENTER)
        tabs.add_tab_stop(TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT)
    confidential_style(document)
    confidential_header(document, "not notice.public")
    add_watermark(section.header.paragraphs[0])
    add_page_numbers(section.footer.paragraphs[0], styles)

    return document


def confidential_style(document):
    """Notice Confidential: "nicht öffentlich" as a stamp in the page header, bold, 12 pt,
    framed (a character border, so that the empty line of a public document shows
    nothing), at the header's foot right above the text, where the PDF has it too."""
    confidential = paragraph_style(document, "Notice Confidential", base="Header", size=12,
                                   bold=True, after=0)
    confidential.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
    confidential.element.get_or_add_rPr().append(parse_xml(
        f'<w:bdr xmlns:w="{W_NS}" w:val="single" w:sz="8" w:space="1" w:color="000000"/>'))
    return confidential


def confidential_header(document, condition: str) -> None:
    """One header on every page: "nicht öffentlich" when the Jinja ``condition`` holds."""
    section = document.sections[0]
    section.different_first_page_header_footer = False
    header = section.header.paragraphs[0]
    header._p.clear()
    header.style = document.styles["Notice Confidential"]
    header.add_run(f"{{% if {condition} %}}nicht öffentlich{{% endif %}}")


def add_page_numbers(footer, styles) -> None:
    """"Seite X von Y", from fields that Word and LibreOffice update when paginating."""
    footer.style = styles["Footer"]
    footer.add_run("Seite ")
    add_field(footer, "PAGE")
    footer.add_run(" von ")
    add_field(footer, "NUMPAGES")


def paper_document():
    """The base of every kind of paper: styles of its own and its page headers."""
    document = base_document()
    paper_styles(document)
    paper_page_headers(document)
    return document


def paper_styles(document) -> None:
    """The styles only papers use: page headers, and the lines that lead into what follows.

    "Anlagen:", a Beantwortung's questions and "Antwort:" are kept with the next paragraph
    (never last on a page), as the PDF's .attachments-heading, .question, .answer-label.
    """
    running = paragraph_style(document, "Notice Running Header", base="Header", after=3)
    running.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
    ppr = running.element.get_or_add_pPr()
    later = [ppr.find(qn(tag)) for tag in ("w:shd", "w:tabs", "w:spacing", "w:ind", "w:jc")]
    later = [element for element in later if element is not None]
    border = parse_xml(f'<w:pBdr xmlns:w="{W_NS}"><w:bottom w:val="single" w:sz="4" '
                       'w:space="1" w:color="555555"/></w:pBdr>')
    if later:  # schema order: the border before tabs, spacing and alignment
        later[0].addprevious(border)
    else:
        ppr.append(border)
    paragraph_style(document, "Notice Attachments Heading", bold=True, before=18, after=4,
                    keep_with_next=True)
    # Space before: an answer may end in a table, which has none after it.
    paragraph_style(document, "Notice Question", bold=True, before=4, after=4,
                    keep_with_next=True)
    paragraph_style(document, "Notice Answer Label", italic=True, after=2,
                    keep_with_next=True)


def paper_page_headers(document) -> None:
    """A paper's page headers: "nicht öffentlich" on every page, identification from page 2.

    A different first page (w:titlePg): page 1 carries the letterhead and file line
    already, so its header only says "nicht öffentlich" for a non-public paper; from
    page 2 on the header names the file number, the paper number where there is one and
    the subject (shortened), so that a loose page of a packet can be put back. The
    "nicht öffentlich" line is bold and larger, at the header's foot, right above the
    text, where the PDF has it too. Headers are page furniture: Word's PDF export and
    screen readers treat them as such, not as text of the paper.
    """
    styles = document.styles
    running = styles["Notice Running Header"]
    confidential = styles["Notice Confidential"]
    section = document.sections[0]
    section.different_first_page_header_footer = True
    # 0.8 cm from the edge (most printers print from 0.5 cm): both lines of the
    # continuation header then fit above the text, which starts at 2 cm on every page.
    section.header_distance = Cm(0.8)
    first, later = section.first_page_header, section.header
    for header in (first, later):
        for paragraph in header.paragraphs[1:]:
            paragraph._p.getparent().remove(paragraph._p)
        header.paragraphs[0]._p.clear()
    identification = later.paragraphs[0]
    identification.style = running
    identification.add_run("{{ notice.file_number }}{% if notice.paper_number %} · "
                           "Drucksachen-Nr. {{ notice.paper_number }}{% endif %} · "
                           "{{ notice.short_subject }}")
    for header in (first, later):
        # Always there (empty for a public paper), so that the header is never empty and
        # the draft's watermark has a paragraph to stand in.
        line = header.paragraphs[0] if header is first else header.add_paragraph()
        line.style = confidential
        line.add_run("{% if not notice.public %}nicht öffentlich{% endif %}")
        add_watermark(line, 1 if header is later else 2)
    add_page_numbers(section.first_page_footer.paragraphs[0], styles)


# Word's own watermark ("PowerPlusWaterMarkObject", Design > Watermark): a WordArt text
# behind the page, in the header so that it is on every page. LibreOffice shows it too.
WATERMARK = (
    '<w:r><w:pict><v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136" '
    'adj="10800" path="m@7,l@8,m@5,21600l@6,21600e"><v:formulas>'
    '<v:f eqn="sum #0 0 10800"/><v:f eqn="prod #0 2 1"/><v:f eqn="sum 21600 0 @1"/>'
    '<v:f eqn="sum 0 0 @2"/><v:f eqn="sum 21600 0 @3"/><v:f eqn="if @0 @3 0"/>'
    '<v:f eqn="if @0 21600 @1"/><v:f eqn="if @0 0 @2"/><v:f eqn="if @0 @4 21600"/>'
    '<v:f eqn="mid @5 @6"/><v:f eqn="mid @8 @5"/><v:f eqn="mid @7 @8"/>'
    '<v:f eqn="mid @6 @7"/><v:f eqn="sum @6 0 @5"/></v:formulas>'
    '<v:path textpathok="t" o:connecttype="custom" o:connectlocs="@9,0;@10,10800;@11,21600;'
    '@12,10800" o:connectangles="270,180,90,0"/><v:textpath on="t" fitshape="t"/>'
    '<v:handles><v:h position="#0,bottomRight" xrange="6629,14971"/></v:handles>'
    '<o:lock v:ext="edit" text="t" shapetype="t"/></v:shapetype>'
    '<v:shape id="PowerPlusWaterMarkObject" o:spid="_x0000_s2049" type="#_x0000_t136" '
    'style="position:absolute;margin-left:0;margin-top:0;width:440pt;height:110pt;'
    'rotation:315;z-index:-251657216;mso-position-horizontal:center;'
    'mso-position-horizontal-relative:margin;mso-position-vertical:center;'
    'mso-position-vertical-relative:margin" o:allowincell="f" fillcolor="#d4d4d4" '
    'stroked="f"><v:fill opacity=".6"/><v:textpath style="font-family:&quot;Arial&quot;;'
    'font-size:1pt;font-weight:bold" string="ENTWURF"/></v:shape></w:pict></w:r>')


def add_watermark(paragraph, number: int = 1) -> None:
    """"ENTWURF" across every page of a draft (status: entwurf), only then.

    ``number`` tells apart the watermarks of a document's headers (first page, the
    others): Word wants each shape's id once per document.
    """
    paragraph.add_run("{% if notice.draft %}")
    shape = WATERMARK
    if number != 1:
        shape = shape.replace('id="PowerPlusWaterMarkObject"',
                              f'id="PowerPlusWaterMarkObject{number}"').replace(
            'o:spid="_x0000_s2049"', f'o:spid="_x0000_s{2048 + number}"')
    paragraph._p.append(parse_xml(shape.replace(
        "<w:r>", f'<w:r xmlns:w="{W_NS}" xmlns:v="urn:schemas-microsoft-com:vml" '
        'xmlns:o="urn:schemas-microsoft-com:office:office">', 1)))
    paragraph.add_run("{% endif %}")


def paper_head(document) -> None:
    """What every paper starts with: letterhead, Drucksachen-Nr. (if any), file line."""
    document.add_paragraph("{%p if city %}")
    document.add_paragraph("{{ city }}", style="Notice Letterhead")
    document.add_paragraph("{%p endif %}")
    document.add_paragraph("{%p if notice.paper_number %}")
    document.add_paragraph("Drucksachen-Nr. {{ notice.paper_number }}", style="Notice Session")
    document.add_paragraph("{%p endif %}")
    document.add_paragraph(
        "{{ notice.file_number }}, {{ notice.date|de_date }}, {{ notice.contact.phone }}, "
        "{{ notice.contact.name }}", style="Notice File Line")


def visibility(document) -> None:
    """The ballot boxes: which part of the session the paper belongs to."""
    line = document.add_paragraph(style="Notice Session")
    line.add_run("{% if notice.public %}☒{% else %}☐{% endif %}", style="Ballot Box")
    line.add_run(" öffentlich ")
    line.add_run("{% if notice.public %}☐{% else %}☒{% endif %}", style="Ballot Box")
    line.add_run(" nicht öffentlich")


def paper_end(document) -> None:
    """What every paper ends with: the signature, then the Anlagen."""
    document.add_paragraph("gez. {{ notice.signatory }}", style="Notice Signature")
    document.add_paragraph("{%p if notice.attachments %}")
    document.add_paragraph("Anlagen:", style="Notice Attachments Heading")
    document.add_paragraph("{%p for attachment in notice.attachments %}")
    document.add_paragraph("{{ attachment.number }} {{ attachment.title }}")
    document.add_paragraph("{%p endfor %}")
    document.add_paragraph("{%p endif %}")


def finish(document, output: Path, title: str, comments: str) -> None:
    core = document.core_properties
    core.title = title
    core.author = "notices"
    core.comments = comments
    core.language = "de-DE"
    core.revision = 1
    core.created = core.modified = dt.datetime(2024, 1, 1)
    core.last_modified_by = "notices"
    # Same script, same bytes: a regenerated template must not look like a changed one
    # (that would make every build re-render everything).
    from notices.render.docx.package import reproducible_zip

    buffer = io.BytesIO()
    document.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        entries = [(info.filename, archive.read(info)) for info in archive.infolist()]
    output.write_bytes(reproducible_zip(entries))


def build(output: Path) -> None:
    """The template of a Mitteilung, in the order of the reference notice."""
    document = paper_document()
    paper_head(document)
    document.add_paragraph("Mitteilung {{ notice.office.genitive }}", style="Title")
    document.add_paragraph("zur Sitzung: {{ notice.session.committee }}",
                           style="Notice Session")
    visibility(document)
    document.add_paragraph("am {{ notice.session.date|de_date }}", style="Notice Session")
    document.add_paragraph("Anlass:", style="Heading 2")
    document.add_paragraph("{{ notice.subject }}", style="Notice Subject")
    document.add_paragraph("Sachverhalt:", style="Heading 2")
    document.add_paragraph("{{p facts }}", style="Body Text")
    paper_end(document)
    finish(document, output, "Mitteilung", "Template of a Mitteilung for notices (docxtpl tags).")


def consultations_table(document) -> None:
    """The Beratungsfolge: one row per consultation, from a docxtpl row loop ({%tr %})."""
    table = document.add_table(rows=4, cols=4)
    table.style = document.styles["Notice Table"]
    table.autofit = False
    widths = (Cm(7.0), Cm(2.6), Cm(3.4), Cm(1.5))
    for column, width in zip(table.columns, widths):
        column.width = width
    texts = (("Gremium", "Datum", "Beratung", "Ö/N"),
             ("{%tr for c in notice.consultations %}", "", "", ""),
             ("{{ c.committee }}", "{{ c.date|de_date }}", "{{ c.role }}",
              '{{ "Ö" if c.public else "N" }}'),
             ("{%tr endfor %}", "", "", ""))
    for row, values in zip(table.rows, texts):
        for cell, width, value in zip(row.cells, widths, values):
            cell.width = width
            cell.paragraphs[0].text = value
            cell.paragraphs[0].style = document.styles["Notice Table Text"]
    header = table.rows[0]._tr.get_or_add_trPr()
    header.append(OxmlElement("w:tblHeader"))


def build_beschlussvorlage(output: Path) -> None:
    """The template of a Beschlussvorlage: Beratungsfolge, Betreff, Beschlussvorschlag, …"""
    document = paper_document()
    paper_head(document)
    document.add_paragraph("Beschlussvorlage {{ notice.office.genitive }}", style="Title")
    visibility(document)
    document.add_paragraph("Beratungsfolge:", style="Heading 2")
    consultations_table(document)
    document.add_paragraph("Betreff:", style="Heading 2")
    document.add_paragraph("{{ notice.subject }}", style="Notice Subject")
    for title, name in (("Beschlussvorschlag:", "proposal"), ("Begründung:", "reasons"),
                        ("Finanzielle Auswirkungen:", "finances")):
        document.add_paragraph(title, style="Heading 2")
        document.add_paragraph(f"{{{{p fields.{name} }}}}", style="Body Text")
    paper_end(document)
    finish(document, output, "Beschlussvorlage",
           "Template of a Beschlussvorlage for notices (docxtpl tags).")


def build_beantwortung(output: Path) -> None:
    """The template of a Beantwortung einer Anfrage: numbered questions, each answered."""
    document = paper_document()
    paper_head(document)
    document.add_paragraph("Beantwortung einer Anfrage", style="Title")
    document.add_paragraph("{{ fields.inquiry }}", style="Notice Session")
    document.add_paragraph("zur Sitzung: {{ notice.session.committee }}",
                           style="Notice Session")
    visibility(document)
    document.add_paragraph("am {{ notice.session.date|de_date }}", style="Notice Session")
    document.add_paragraph("Betreff:", style="Heading 2")
    document.add_paragraph("{{ notice.subject }}", style="Notice Subject")
    document.add_paragraph("Fragen und Antworten:", style="Heading 2")
    document.add_paragraph("{%p for item in fields.questions %}")
    document.add_paragraph("{{ loop.index }}. {{ item.question }}", style="Notice Question")
    document.add_paragraph("Antwort:", style="Notice Answer Label")
    document.add_paragraph("{{p item.answer }}", style="Body Text")
    document.add_paragraph("{%p endfor %}")
    paper_end(document)
    finish(document, output, "Beantwortung einer Anfrage",
           "Template of a Beantwortung einer Anfrage for notices (docxtpl tags).")


def agenda_styles(document) -> None:
    """Tagesordnung lines: the number at the margin, the title beside it, the paper right."""
    item = paragraph_style(document, "Notice Agenda Item", after=4)
    tabs = item.paragraph_format.tab_stops
    tabs.add_tab_stop(Cm(1.8))
    tabs.add_tab_stop(TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT)
    item.paragraph_format.left_indent = Cm(1.8)
    item.paragraph_format.first_line_indent = -Cm(1.8)
    item.paragraph_format.keep_together = True  # an item's lines on one page
    # An item with sub-items ("11", then "11.1") stays on the page of its first one.
    paragraph_style(document, "Notice Agenda Parent", base="Notice Agenda Item",
                    keep_with_next=True)
    note = paragraph_style(document, "Notice Agenda Note", italic=True, size=10, after=4)
    note.paragraph_format.left_indent = Cm(1.8)
    head = paragraph_style(document, "Notice Head Line", after=2)  # "Ort:<Tab>Rathaus"
    head.paragraph_format.tab_stops.add_tab_stop(Cm(2.5))


if __name__ == "__main__":
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else TEMPLATES
    build(folder / "mitteilung.docx")
    build_beschlussvorlage(folder / "beschlussvorlage.docx")
    build_beantwortung(folder / "beantwortung.docx")
    from make_meeting_templates import build_cover, build_invitation, build_minutes

    build_cover(folder / "sitzungsmappe.docx")
    build_invitation(folder / "einladung.docx")
    build_minutes(folder / "niederschrift.docx")
