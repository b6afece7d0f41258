"""Render a notice to Word: a docxtpl template, filled in without re-reading it per record.

``templates/<kind>.docx`` is a real docxtpl template that clerks can restyle in Word.
docxtpl itself re-reads the whole package, re-parses and re-patches its XML, opens a
second document per sub-document and re-zips every part for each record. Most of that
is the same for every record, so a :class:`DocxRenderer` does it once: it reads the
package, runs docxtpl's own XML preparation (``patch_xml``) on the body, headers and
footers and compiles each into a Jinja template. Per record it only renders those
templates, writes the facts as WordprocessingML (from the same document structure the
PDF uses) and assembles a zip whose unchanged members are copied already compressed.

The output is reproducible: members in a fixed order with a fixed timestamp, and core
properties dated by the notice, never by the clock.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import logging
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape as _xml_escape

import jinja2
from docx.oxml.ns import nsmap
from docxtpl import DocxTemplate
from lxml import etree

from notices import content as c
from notices.errors import Problem, RenderError, TemplateError
from notices.table_layout import column_count, column_widths
from notices.templating import error_line, make_environment, one_line, template_context
from notices.textclean import FORBIDDEN


def restore_core_namespace() -> None:
    """Undo docxcompose's rebinding of python-docx's "cp" prefix.

    docxtpl imports docxcompose, which points "cp" at the custom-properties namespace;
    python-docx then reads and writes core properties (title, keywords) under the wrong
    namespace and Word calls such files damaged. Call after anything imports docxcompose.
    """
    nsmap["cp"] = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"


restore_core_namespace()

log = logging.getLogger(__name__)

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
HYPERLINK_REL = f"{R_NS}/hyperlink"
IMAGE_REL = f"{R_NS}/image"
# Parts that docxtpl renders besides the body, and how an error message names them.
TEMPLATED_RELS = {f"{R_NS}/header": "page header", f"{R_NS}/footer": "page footer",
                  f"{R_NS}/footnotes": "footnotes", f"{R_NS}/endnotes": "endnotes"}
DOCUMENT = "word/document.xml"
DOCUMENT_RELS = "word/_rels/document.xml.rels"
NUMBERING = "word/numbering.xml"
STYLES = "word/styles.xml"
CONTENT_TYPES = "[Content_Types].xml"
CORE = "docProps/core.xml"
EMU_PER_PX = 9525  # 914400 EMU per inch at 96 px per inch
EMU_PER_TWIP = 635
CELL_MARGINS_TWIPS = 2 * 108  # Word's default left and right cell margins
DEFAULT_TEXT_WIDTH = 9355  # A4 minus 2.5 cm and 2 cm, in twips
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
MEDIA_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpeg", "image/svg+xml": "svg"}
EXTENSION_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "svg": "image/svg+xml"}
MAX_LIST_LEVEL = 8  # Word has nine list levels (w:ilvl 0-8)
SVG_BLIP_EXTENSION = "{96DAC541-7B7A-43D3-8B79-37D633B846F1}"


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A plain PNG of one colour, made with zlib (no imaging library needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    row = b"\x00" + bytes(rgb) * width
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * height, 9)) + chunk(b"IEND", b""))


# Word shows an SVG through the svgBlip extension and needs a bitmap beside it for
# applications that cannot draw SVG. Rasterising the SVG would need a new dependency, so
# the bitmap is a light grey placeholder of the picture's size (see _FactsWriter.image).
SVG_FALLBACK_PNG = _png(1, 1, (0xE8, 0xE8, 0xE8))


def _escape(text: str) -> str:
    """Text for XML content and attributes, without the characters XML 1.0 cannot carry."""
    return _xml_escape(FORBIDDEN.sub("", text), {'"': "&quot;"})


# --- the zip assembler -------------------------------------------------------------------


@dataclass
class _Member:
    name: str
    local: bytes  # local header + compressed data
    central: bytes  # central directory entry without the offset


def _zip_member(name: str, data: bytes) -> _Member:
    """One deflated zip member with a fixed timestamp, as bytes ready to concatenate."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    compressed = compressor.compress(data) + compressor.flush()
    crc = zlib.crc32(data)
    encoded = name.encode("utf-8")
    year, month, day, hour, minute, second = ZIP_DATE
    dos_time = hour << 11 | minute << 5 | second // 2
    dos_date = (year - 1980) << 9 | month << 5 | day
    flags = 0x800  # names are UTF-8
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, flags, 8, dos_time, dos_date, crc,
                        len(compressed), len(data), len(encoded), 0) + encoded + compressed
    central = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, flags, 8, dos_time, dos_date,
                          crc, len(compressed), len(data), len(encoded), 0, 0, 0, 0,
                          0, 0)
    return _Member(name, local, central + encoded)


def reproducible_zip(entries: list[tuple[str, bytes]]) -> bytes:
    """A zip of ``(name, data)`` in the given order, with fixed timestamps."""
    return _assemble_zip([_zip_member(name, data) for name, data in entries])


def _assemble_zip(members: list[_Member]) -> bytes:
    chunks, directory, offset = [], [], 0
    for member in members:
        chunks.append(member.local)
        # The offset sits in the last 4 bytes of the fixed part of the central entry.
        fixed = member.central[:46]
        directory.append(fixed[:42] + struct.pack("<L", offset) + member.central[46:])
        offset += len(member.local)
    central = b"".join(directory)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members),
                      len(central), offset, 0)
    return b"".join(chunks) + central + end


# --- the facts as WordprocessingML -----------------------------------------------------------


@dataclass(frozen=True)
class _ListLevel:
    """How one nesting level of a bulleted or numbered list is written."""

    style: str | None  # paragraph style id (List Bullet 2, …)
    num_id: str | None  # the style's numbering instance (None: the template has no numbering)
    abstract_id: str | None  # its definition, for a fresh instance per numbered list
    ilvl: int  # the level within that definition


@dataclass
class _Styles:
    """Style ids by purpose, looked up by name in the template (clerks may restyle them)."""

    body: str | None
    bullets: list[_ListLevel]
    numbers: list[_ListLevel]
    continues: list[str | None]
    headings: list[str | None]
    quote: str | None
    code: str | None
    table: str | None
    table_text: str | None
    hyperlink: str | None
    inline_code: str | None
    table_font_size: int = 20  # of table text, in half-points (Word's w:sz)
    table_cell_margins: int = CELL_MARGINS_TWIPS  # left plus right, in twips


@dataclass
class _FactsWriter:
    """Turns a :class:`content.Document` into body XML, collecting relationships and numbering.

    Everything a record adds to the package (hyperlink and image relationships, numbering
    instances, media) is collected here and merged by :meth:`DocxRenderer.render_context`.
    """

    styles: _Styles
    text_width_twips: int
    next_rel: int
    next_num: int
    next_docpr: int = 1
    rels: list[str] = field(default_factory=list)
    nums: list[str] = field(default_factory=list)
    media: list[tuple[str, bytes]] = field(default_factory=list)
    media_types: set[str] = field(default_factory=set)
    images: int = 0
    _width_limit: int | None = None  # twips available to an image (inside a table cell)

    def _rel(self, kind: str, target: str, external: bool) -> str:
        rel_id = f"rId{self.next_rel}"
        self.next_rel += 1
        mode = ' TargetMode="External"' if external else ""
        self.rels.append(f'<Relationship Id="{rel_id}" Type="{kind}" '
                         f'Target="{_escape(target)}"{mode}/>')
        return rel_id

    # blocks

    def blocks(self, blocks, depth: int = 0) -> str:
        out: list[str] = []
        previous_table = False
        for block in blocks:
            if isinstance(block, c.Table) and previous_table:
                out.append(self.paragraph("", self.styles.body))  # Word merges adjacent tables
            out.append(self.block(block, depth))
            previous_table = isinstance(block, c.Table)
        return "".join(out)

    def block(self, block, depth: int) -> str:
        if isinstance(block, c.Paragraph):
            return self.paragraph(self.inlines(block.children), self.styles.body)
        if isinstance(block, c.Heading):
            headings = self.styles.headings
            return self.paragraph(self.inlines(block.children),
                                  headings[min(block.level, len(headings)) - 1])
        if isinstance(block, (c.BulletList, c.OrderedList)):
            return self.list(block, depth)
        if isinstance(block, c.Table):
            return self.table(block)
        if isinstance(block, c.Quote):
            return "".join(self.paragraph(self.inlines(inner.children), self.styles.quote)
                           if isinstance(inner, c.Paragraph) else self.block(inner, depth)
                           for inner in block.blocks)
        if isinstance(block, c.Preformatted):
            # One paragraph, lines separated by breaks: it stays together like the PDF's <pre>.
            lines = block.text.split("\n")
            runs = "<w:r><w:br/></w:r>".join(self.run(line) for line in lines)
            return self.paragraph(runs, self.styles.code)
        if isinstance(block, c.Rule):
            # An empty paragraph with a bottom border: Word's own horizontal line.
            return ('<w:p><w:pPr><w:pBdr><w:bottom w:val="single" w:sz="4" w:space="1" '
                    'w:color="555555"/></w:pBdr></w:pPr></w:p>')
        raise TypeError(f"unknown block {block!r}")  # pragma: no cover

    def paragraph(self, runs: str, style: str | None, numbering: str = "") -> str:
        ppr = ""
        if style or numbering:
            ppr = "<w:pPr>" + (f'<w:pStyle w:val="{style}"/>' if style else "") + \
                numbering + "</w:pPr>"
        return f"<w:p>{ppr}{runs}</w:p>"

    def list(self, block, depth: int) -> str:
        """A list, nested by level (w:ilvl); each numbered list counts from its own start."""
        ordered = isinstance(block, c.OrderedList)
        levels = self.styles.numbers if ordered else self.styles.bullets
        level = levels[min(depth, len(levels) - 1)]
        numbering, marker = "", None
        if level.num_id is None:
            # A template without list numbering: keep the markers as text rather than lose them.
            marker = "{}. " if ordered else "\u2022 "
        elif ordered and level.abstract_id is not None:
            # A numbering instance per list, so that each list starts at its own start
            # instead of continuing the previous one.
            num_id = self.next_num
            self.next_num += 1
            self.nums.append(
                f'<w:num w:numId="{num_id}"><w:abstractNumId w:val="{level.abstract_id}"/>'
                f'<w:lvlOverride w:ilvl="{level.ilvl}"><w:startOverride '
                f'w:val="{int(block.start)}"/></w:lvlOverride></w:num>')
            numbering = (f'<w:numPr><w:ilvl w:val="{level.ilvl}"/>'
                         f'<w:numId w:val="{num_id}"/></w:numPr>')
        else:
            numbering = (f'<w:numPr><w:ilvl w:val="{level.ilvl}"/>'
                         f'<w:numId w:val="{level.num_id}"/></w:numPr>')
        continues = self.styles.continues[min(depth, len(self.styles.continues) - 1)]
        out = []
        for number, item in enumerate(block.items, start=getattr(block, "start", 1)):
            prefix = self.run(marker.format(number)) if marker else ""
            first = True
            for inner in item.blocks:
                if isinstance(inner, c.Paragraph):
                    if first:
                        out.append(self.paragraph(prefix + self.inlines(inner.children),
                                                  level.style, numbering))
                    else:
                        out.append(self.paragraph(self.inlines(inner.children), continues))
                elif isinstance(inner, (c.BulletList, c.OrderedList)):
                    if first:  # an item that starts with a list: keep its marker
                        out.append(self.paragraph(prefix, level.style, numbering))
                    out.append(self.list(inner, depth + 1))
                else:
                    if first:
                        out.append(self.paragraph(prefix, level.style, numbering))
                    out.append(self.block(inner, depth + 1))
                first = False
            if not item.blocks:
                out.append(self.paragraph(prefix, level.style, numbering))
        return "".join(out)

    def table(self, table: c.Table) -> str:
        """A table in the template's table style, as wide as the text, header row repeated."""
        columns = column_count(table)
        margins = self.styles.table_cell_margins
        widths = column_widths(table, columns, self.text_width_twips,
                                font_size=self.styles.table_font_size, margins=margins)
        grid = "".join(f'<w:gridCol w:w="{width}"/>' for width in widths)
        style = f'<w:tblStyle w:val="{self.styles.table}"/>' if self.styles.table else ""
        rows = []
        for index, row in enumerate((table.header,) + table.rows):
            if index == 0 and not table.header:
                continue
            cells = list(row) + [c.TableCell(())] * (columns - len(row))
            tr_pr = "<w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>" if index == 0 else \
                "<w:trPr><w:cantSplit/></w:trPr>"
            xml_cells = []
            for width, cell in zip(widths, cells):
                justify = {"center": "center", "right": "right"}.get(cell.align or "")
                ppr = (f'<w:pStyle w:val="{self.styles.table_text}"/>'
                       if self.styles.table_text else "")
                ppr += f'<w:jc w:val="{justify}"/>' if justify else ""
                ppr = f"<w:pPr>{ppr}</w:pPr>" if ppr else ""
                self._width_limit = width - margins
                try:
                    runs = self.inlines(cell.children)
                finally:
                    self._width_limit = None
                xml_cells.append(f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr>'
                                 f"<w:p>{ppr}{runs}</w:p></w:tc>")
            rows.append(f"<w:tr>{tr_pr}{''.join(xml_cells)}</w:tr>")
        return (f'<w:tbl><w:tblPr>{style}<w:tblW w:w="{sum(widths)}" w:type="dxa"/>'
                f'<w:tblLayout w:type="fixed"/><w:tblLook w:val="04A0" w:firstRow="1" '
                f'w:lastRow="0" w:firstColumn="0" w:lastColumn="0" w:noHBand="0" '
                f'w:noVBand="1"/></w:tblPr><w:tblGrid>{grid}</w:tblGrid>{"".join(rows)}</w:tbl>')

    # inline runs

    def inlines(self, children, props: tuple[str, ...] = ()) -> str:
        return "".join(self.inline(child, props) for child in children)

    def inline(self, child, props: tuple[str, ...]) -> str:
        if isinstance(child, c.Text):
            return self.run(child.text, props)
        if isinstance(child, c.LineBreak):
            return "<w:r><w:br/></w:r>"
        if isinstance(child, c.Bold):
            return self.inlines(child.children, props + ("b",))
        if isinstance(child, c.Italic):
            return self.inlines(child.children, props + ("i",))
        if isinstance(child, c.Strike):
            return self.inlines(child.children, props + ("strike",))
        if isinstance(child, c.Code):
            return self.run(child.text, props + ("code",))
        if isinstance(child, c.Link):
            rel_id = self._rel(HYPERLINK_REL, child.href, external=True)
            inner = self.inlines(child.children, props + ("link",))
            return f'<w:hyperlink r:id="{rel_id}" w:history="1">{inner}</w:hyperlink>'
        if isinstance(child, c.Image):
            return self.image(child)
        raise TypeError(f"unknown inline {child!r}")  # pragma: no cover

    def run(self, text: str, props: tuple[str, ...] = ()) -> str:
        if not text:
            return ""
        rpr = []
        if "link" in props and self.styles.hyperlink:
            rpr.append(f'<w:rStyle w:val="{self.styles.hyperlink}"/>')
        elif "code" in props and self.styles.inline_code:
            rpr.append(f'<w:rStyle w:val="{self.styles.inline_code}"/>')
        # Emphasis is direct formatting, as Word's own Ctrl+B and Ctrl+I produce it.
        if "b" in props:
            rpr.append("<w:b/><w:bCs/>")
        if "i" in props:
            rpr.append("<w:i/><w:iCs/>")
        if "strike" in props:
            rpr.append("<w:strike/>")
        rpr_xml = f"<w:rPr>{''.join(rpr)}</w:rPr>" if rpr else ""
        return f"<w:r>{rpr_xml}{_run_content(text)}</w:r>"

    def image(self, image: c.Image) -> str:
        """An inline picture, at most as wide as the text (or its table cell)."""
        try:
            data = image.path.read_bytes()
        except OSError as error:
            raise RenderError(Problem(str(image.path), f"image cannot be read "
                                      f"({error.strerror})")) from None
        extension = MEDIA_EXTENSIONS[image.media_type]
        self.images += 1
        number = self.images
        self.media.append((f"word/media/notice{number}.{extension}", data))
        self.media_types.add(extension)
        rel_id = self._rel(IMAGE_REL, f"media/notice{number}.{extension}", external=False)
        blip = f'<a:blip r:embed="{rel_id}"/>'
        if extension == "svg":
            fallback = f"notice{number}-fallback.png"
            self.media.append((f"word/media/{fallback}", SVG_FALLBACK_PNG))
            self.media_types.add("png")
            fallback_id = self._rel(IMAGE_REL, f"media/{fallback}", external=False)
            blip = (f'<a:blip r:embed="{fallback_id}"><a:extLst><a:ext '
                    f'uri="{SVG_BLIP_EXTENSION}"><asvg:svgBlip '
                    f'xmlns:asvg="http://schemas.microsoft.com/office/drawing/2016/SVG/main" '
                    f'r:embed="{rel_id}"/></a:ext></a:extLst></a:blip>')
        width_px, height_px = image.width_px or 400, image.height_px or 300
        limit = self._width_limit or self.text_width_twips
        max_width = max(limit, 1) * EMU_PER_TWIP
        cx, cy = width_px * EMU_PER_PX, height_px * EMU_PER_PX
        if cx > max_width:
            cx, cy = max_width, max(1, int(cy * max_width / cx))
        docpr = self.next_docpr
        self.next_docpr += 1
        alt = _escape(image.alt)
        return (
            "<w:r><w:drawing><wp:inline distT=\"0\" distB=\"0\" distL=\"0\" distR=\"0\" "
            'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing">'
            f'<wp:extent cx="{cx}" cy="{cy}"/>'
            f'<wp:docPr id="{docpr}" name="Bild {docpr}" descr="{alt}"/>'
            '<wp:cNvGraphicFramePr><a:graphicFrameLocks '
            'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" noChangeAspect="1"/>'
            '</wp:cNvGraphicFramePr><a:graphic '
            'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
            '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
            '<pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture">'
            f'<pic:nvPicPr><pic:cNvPr id="{docpr}" name="notice{number}.{extension}" '
            f'descr="{alt}"/><pic:cNvPicPr/></pic:nvPicPr>'
            f"<pic:blipFill>{blip}<a:stretch><a:fillRect/></a:stretch></pic:blipFill>"
            f'<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm>'
            '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic>'
            "</a:graphicData></a:graphic></wp:inline></w:drawing></w:r>")


_SPECIAL = re.compile("([\u00ad\u2011\t\n])")


def _run_content(text: str) -> str:
    """Text of one run; soft hyphens, non-breaking hyphens, tabs and breaks as elements."""
    parts = []
    for piece in _SPECIAL.split(text):
        if not piece:
            continue
        if piece == "\u00ad":
            parts.append("<w:softHyphen/>")
        elif piece == "\u2011":
            parts.append("<w:noBreakHyphen/>")
        elif piece == "\t":
            parts.append("<w:tab/>")
        elif piece == "\n":
            parts.append("<w:br/>")
        else:
            parts.append(f'<w:t xml:space="preserve">{_escape(piece)}</w:t>')
    return "".join(parts)


class RawXml:
    """WordprocessingML that Jinja inserts unescaped (``{{p facts }}``).

    Jinja prints it via ``__html__`` and never parses it as template source, so record
    text such as ``{{ x }}`` arrives in Word as typed.
    """

    def __init__(self, xml: str):
        self.xml = xml

    def __html__(self) -> str:
        return self.xml

    def __str__(self) -> str:
        return self.xml


# --- the renderer -----------------------------------------------------------------------------

# Each paragraph of a part gets a Jinja comment carrying its number, on a line of its own
# (like docxtpl's "\n<w:p" trick, so that Jinja's line numbers point at paragraphs). The
# "-" makes Jinja drop that newline when compiling: the output needs no clean-up pass,
# and a paragraph that patch_xml removes ({%p if %}) still has its number.
_PARAGRAPH = re.compile(r"<w:p[ >]")
_MARK = "<!--notices:p{}-->"
_MARK_PATTERN = re.compile(r"<!--notices:p(\d+)-->")
_LINE_NUMBER = re.compile(r"\{#- p(\d+) #\}")
# The start of a tag, also when Word has split it over runs ("{" in one, "{" in the next).
_TAG_START = re.compile(rb"\{(?:<[^>]*>)*[{%#]")
# docxtpl's escapes for literal braces: turned into Jinja string literals at compile time,
# so that record text containing them is never touched.
_LITERAL_BRACES = {"{_{": "{{ '{{' }}", "}_}": "{{ '}}' }}",
                   "{_%": "{{ '{%' }}", "%_}": "{{ '%}' }}"}


@dataclass
class _TemplatePart:
    name: str
    template: jinja2.Template
    source: str  # the prepared source, for error messages
    label: str  # how a clerk knows the part: "page header"


class DocxRenderer:
    """Renders notices into one Word template, paying for the template once.

    Construct one per template file and process (a build keeps one per worker); a
    template that Jinja cannot compile fails here, before any record is rendered.
    """

    def __init__(self, template_path: Path, *, display_name: str):
        self.display_name = display_name
        self.path = Path(template_path)
        self._members, self._order = self._read_package()
        self._env = make_environment()
        try:
            self._parts = [self._compile(name, label)
                           for name, label in self._templated_parts()]
            self._styles = self._find_styles()
            self._text_width = self._find_text_width()
        except (etree.XMLSyntaxError, UnicodeDecodeError) as error:
            raise TemplateError(Problem(self.display_name, f"is damaged ({one_line(error)}); "
                                        "open and save it again in Word")) from None
        templated = {part.name for part in self._parts}
        # Compressed once: members that every notice shares, and the ones that a notice
        # only changes when its facts add links, images or numbered lists.
        self._cached = {name: _zip_member(name, data) for name, data in self._members.items()
                        if name not in templated and name != CORE}
        rels = self._members.get(DOCUMENT_RELS, b"").decode("utf-8")
        self._first_rel = 1 + max([int(n) for n in re.findall(r'Id="rId(\d+)"', rels)] or [0])
        numbering = self._members.get(NUMBERING, b"").decode("utf-8")
        self._first_num = 1 + max(
            [int(n) for n in re.findall(r'<w:num\b[^>]*\bw:numId="(\d+)"', numbering)] or [0])
        # Drawing ids must be unique in the whole document, a clerk's logo included.
        drawing_ids = [int(n) for name, data in self._members.items()
                       if name.startswith("word/") and name.endswith(".xml")
                       for n in re.findall(rb'<wp:docPr\b[^>]*\bid="(\d+)"', data)]
        self._first_docpr = 1 + max(drawing_ids or [0])

    @property
    def table_style(self) -> str | None:
        """The style id of the template's "Notice Table" style, if it has one."""
        return self._styles.table

    # -- preparation --

    def _read_package(self) -> tuple[dict[str, bytes], list[str]]:
        try:
            with zipfile.ZipFile(self.path) as archive:
                infos = archive.infolist()
                members = {info.filename: archive.read(info) for info in infos}
        except OSError as error:
            raise TemplateError(Problem(self.display_name, f"cannot be read "
                                        f"({error.strerror or error})")) from None
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, KeyError) as error:
            raise TemplateError(Problem(self.display_name, f"is not a Word file ({error}); "
                                        "save it from Word as .docx")) from None
        if DOCUMENT not in members:
            raise TemplateError(Problem(self.display_name, "is not a Word document (no "
                                        "word/document.xml); save it from Word as .docx"))
        order = list(dict.fromkeys(info.filename for info in infos))  # no member twice
        return members, order

    def _templated_parts(self) -> list[tuple[str, str]]:
        """The body, and the headers, footers and notes that hold template tags."""
        parts = [(DOCUMENT, "")]
        rels = self._members.get(DOCUMENT_RELS)
        if rels is None:
            return parts
        for rel in etree.fromstring(rels):
            label = TEMPLATED_RELS.get(rel.get("Type", ""))
            if label is None or rel.get("TargetMode") == "External":
                continue
            name = _resolve_target(rel.get("Target", ""))
            data = self._members.get(name)
            if data is not None and _TAG_START.search(data) and \
                    name not in (p for p, _ in parts):
                parts.append((name, label))
        return parts

    def _compile(self, name: str, label: str) -> _TemplatePart:
        source = self._members[name].decode("utf-8")
        counter = itertools.count(1)
        marked = _PARAGRAPH.sub(lambda m: _MARK.format(next(counter)) + m.group(0), source)
        # docxtpl's own clean-up: joins tags split over runs, handles {%p %} and friends.
        prepared = DocxTemplate.patch_xml(None, marked)
        prepared = _MARK_PATTERN.sub(r"\n{#- p\1 #}", prepared)
        for escaped, literal in _LITERAL_BRACES.items():
            prepared = prepared.replace(escaped, literal)
        try:
            template = self._env.from_string(prepared)
        except jinja2.TemplateSyntaxError as error:
            raise TemplateError(self._problem(name, label, prepared, error.lineno,
                                              error.message or "syntax error")) from None
        return _TemplatePart(name, template, prepared, label)

    def _problem(self, part: str, label: str, prepared: str, line: int | None,
                 message: str) -> Problem:
        """A problem that names the paragraph by number and quotes its text."""
        number, text = _paragraph_at(prepared, line)
        where = []
        if text:
            where.append(f'in paragraph "{_shorten(text)}"')
        if label:
            where.append(f"in the {label}")
        message = " ".join(str(message).split())
        if where:
            message += f" ({', '.join(where)})"
        return Problem(self.display_name, message, line=number)

    def _find_styles(self) -> _Styles:
        styles = _StyleTable(self._members.get(STYLES), self._members.get(NUMBERING))
        find = styles.find
        return _Styles(
            body=find("Body Text"),
            bullets=styles.list_levels("List Bullet"),
            numbers=styles.list_levels("List Number"),
            continues=[find("List Continue"), find("List Continue 2", "List Continue"),
                       find("List Continue 3", "List Continue 2", "List Continue")],
            headings=[find("heading 3"), find("heading 4"), find("heading 5")],
            quote=find("Quote"), code=find("Notice Code"), table=find("Notice Table"),
            table_text=find("Notice Table Text"), hyperlink=find("Hyperlink"),
            inline_code=find("Inline Code"),
            table_font_size=(styles.font_size(find("Notice Table Text"))
                             or styles.font_size(find("Notice Table")) or 20),
            table_cell_margins=styles.cell_margins(find("Notice Table")))

    def _find_text_width(self) -> int:
        document = self._members[DOCUMENT].decode("utf-8")
        # The body's own section properties are the last ones in the document.
        sections = re.findall(r"<w:sectPr\b.*?</w:sectPr>", document, re.DOTALL)
        section = sections[-1] if sections else ""
        size = re.search(r'<w:pgSz\b[^>]*\bw:w="(\d+)"', section)
        left = re.search(r'<w:pgMar\b[^>]*\bw:left="(\d+)"', section)
        right = re.search(r'<w:pgMar\b[^>]*\bw:right="(\d+)"', section)
        if size and left and right:
            return int(size.group(1)) - int(left.group(1)) - int(right.group(1))
        return DEFAULT_TEXT_WIDTH

    # -- rendering --

    def render(self, notice, *, city: str | None) -> bytes:
        """The .docx of one notice, as bytes."""
        writer = self.facts_writer()
        facts = RawXml(writer.blocks(notice.facts.blocks)
                       or writer.paragraph("", self._styles.body))
        context = template_context(notice, city=city, facts=facts)
        return self.render_context(context, writer=writer, core=_core_properties(notice))

    def check(self, notice, *, city: str | None = None) -> str:
        """Render ``notice`` in memory, check that Word could open it, return its text.

        For ``notices check``: raises :class:`TemplateError` for a field that does not
        exist and for a template whose tags leave broken XML behind (an ``{% if %}``
        that starts in one paragraph and ends in another, say).
        """
        data = self.render(notice, city=city)
        texts = []
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for part in self._parts:
                try:
                    root = etree.fromstring(archive.read(part.name))
                    texts.append("".join(root.itertext(f"{{{W_NS}}}t")))
                except etree.XMLSyntaxError as error:
                    where = f" in the {part.label}" if part.label else ""
                    raise TemplateError(Problem(
                        self.display_name,
                        f"its tags produce a broken Word file{where} ({one_line(error)}); "
                        "check that each {% if %}/{% for %} starts and ends within one "
                        "paragraph, or use {%p … %} on paragraphs of their own")) from None
        return "\n".join(texts)

    def facts_writer(self) -> _FactsWriter:
        """A writer for body XML whose relationship, numbering and drawing ids fit this template."""
        return _FactsWriter(self._styles, self._text_width, self._first_rel, self._first_num,
                            self._first_docpr)

    def render_context(self, context: dict, *, writer: _FactsWriter, core: bytes) -> bytes:
        """Fill the template with any context (a notice, a packet's cover sheet) as .docx bytes.

        ``writer`` holds the relationships, numbering and media that the XML values in
        ``context`` refer to; ``core`` is the docProps/core.xml to write.
        """
        rendered: dict[str, bytes] = {}
        for part in self._parts:
            rendered[part.name] = self._render_part(part, context).encode("utf-8")
        if writer.rels:
            rendered[DOCUMENT_RELS] = self._with_relationships(writer.rels)
        if writer.nums and NUMBERING in self._members:
            rendered[NUMBERING] = self._with_numbering(writer.nums)
        if writer.media_types:
            rendered[CONTENT_TYPES] = self._with_content_types(writer.media_types)
        rendered[CORE] = core
        members = []
        # The template's order, then what it lacked, then the media: the same every time.
        for name in self._order + [n for n in rendered if n not in self._members]:
            if name in rendered:
                members.append(_zip_member(name, rendered[name]))
            elif name in self._cached:
                members.append(self._cached[name])
        for name, data in writer.media:
            members.append(_zip_member(name, data))
        return _assemble_zip(members)

    def _render_part(self, part: _TemplatePart, context: dict) -> str:
        try:
            return part.template.render(context)
        except jinja2.TemplateError as error:
            line = error_line(error, part.template.filename)
            raise TemplateError(self._problem(part.name, part.label, part.source, line,
                                              one_line(error))) from None
        except Exception as error:
            raise RenderError(Problem(self.display_name, f"rendering failed: "
                                      f"{type(error).__name__}: {error}")) from error

    def _with_relationships(self, rels: list[str]) -> bytes:
        xml = self._members.get(DOCUMENT_RELS)
        if xml is None:
            xml = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                   b'<Relationships xmlns="' + PACKAGE_RELS_NS.encode() + b'"></Relationships>')
        return xml.replace(b"</Relationships>", "".join(rels).encode() + b"</Relationships>")

    def _with_numbering(self, nums: list[str]) -> bytes:
        xml = self._members[NUMBERING].decode("utf-8")
        # Schema order: every w:num after the definitions, before numIdMacAtCleanup.
        if "<w:numIdMacAtCleanup" in xml:
            xml = xml.replace("<w:numIdMacAtCleanup", "".join(nums) + "<w:numIdMacAtCleanup", 1)
        else:
            xml = xml.replace("</w:numbering>", "".join(nums) + "</w:numbering>")
        return xml.encode("utf-8")

    def _with_content_types(self, extensions: set[str]) -> bytes:
        xml = self._members[CONTENT_TYPES].decode("utf-8")
        known = {e.lower() for e in re.findall(r'Extension="([^"]+)"', xml)}
        additions = [f'<Default Extension="{ext}" ContentType="{EXTENSION_TYPES[ext]}"/>'
                     for ext in sorted(extensions) if ext not in known]
        if additions:
            # Beside the other defaults, at the top, where Word writes them.
            xml = re.sub(r"(<Types\b[^>]*>)", lambda m: m.group(1) + "".join(additions), xml,
                         count=1)
        return xml.encode("utf-8")


class _StyleTable:
    """The template's styles and list numbering, read once, by the names clerks see."""

    def __init__(self, styles_xml: bytes | None, numbering_xml: bytes | None):
        w = f"{{{W_NS}}}"
        self._by_name: dict[str, str] = {}
        self._numbering: dict[str, tuple[str | None, int]] = {}  # style id -> numId, ilvl
        self._based_on: dict[str, str] = {}
        self._sizes: dict[str, int] = {}  # style id -> font size in half-points
        self._margins: dict[str, dict[str, int]] = {}  # table style id -> side -> twips
        if styles_xml:
            for style in etree.fromstring(styles_xml).iter(f"{w}style"):
                style_id, name = style.get(f"{w}styleId"), style.find(f"{w}name")
                if style_id is None or name is None:
                    continue
                self._by_name.setdefault(name.get(f"{w}val", "").lower(), style_id)
                based_on = style.find(f"{w}basedOn")
                if based_on is not None:
                    self._based_on[style_id] = based_on.get(f"{w}val")
                size = style.find(f"{w}rPr/{w}sz")
                if size is not None and (size.get(f"{w}val") or "").isdigit():
                    self._sizes[style_id] = int(size.get(f"{w}val"))
                for margin in style.iterfind(f"{w}tblPr/{w}tblCellMar/*"):
                    value, kind = margin.get(f"{w}w") or "", margin.get(f"{w}type", "dxa")
                    if value.isdigit() and kind == "dxa":
                        side = etree.QName(margin).localname
                        side = {"start": "left", "end": "right"}.get(side, side)
                        self._margins.setdefault(style_id, {})[side] = int(value)
                num_pr = style.find(f"{w}pPr/{w}numPr")
                if num_pr is not None:
                    num_id = num_pr.find(f"{w}numId")
                    ilvl = num_pr.find(f"{w}ilvl")
                    self._numbering[style_id] = (
                        num_id.get(f"{w}val") if num_id is not None else None,
                        int(ilvl.get(f"{w}val", "0")) if ilvl is not None else 0)
        self._abstract_of: dict[str, str] = {}
        self._levels_of: dict[str, int] = {}
        if numbering_xml:
            root = etree.fromstring(numbering_xml)
            for abstract in root.iter(f"{w}abstractNum"):
                self._levels_of[abstract.get(f"{w}abstractNumId")] = len(
                    abstract.findall(f"{w}lvl"))
            for num in root.iter(f"{w}num"):
                abstract = num.find(f"{w}abstractNumId")
                if abstract is not None:
                    self._abstract_of[num.get(f"{w}numId")] = abstract.get(f"{w}val")

    def find(self, *names: str) -> str | None:
        """The id of the first style that exists (Word's ids differ by language, names do not)."""
        for name in names:
            style_id = self._by_name.get(name.lower())
            if style_id is not None:
                return style_id
        return None

    def list_levels(self, base: str) -> list[_ListLevel]:
        """Levels 0-8 of a list kind, from its styles ("List Bullet", "List Bullet 2", …).

        A multi-level definition behind the styles (the shipped template) nests by
        w:ilvl; older templates with one single-level definition per style nest by style.
        """
        styles = [self.find(base), self.find(f"{base} 2"), self.find(f"{base} 3")]
        for index in range(1, len(styles)):
            styles[index] = styles[index] or styles[index - 1]
        levels = []
        for depth in range(MAX_LIST_LEVEL + 1):
            style = styles[min(depth, len(styles) - 1)]
            num_id, style_ilvl = self._style_numbering(style)
            abstract = self._abstract_of.get(num_id) if num_id else None
            count = self._levels_of.get(abstract, 0) if abstract else 0
            if num_id is None or abstract is None or count == 0:
                levels.append(_ListLevel(style, None, None, 0))
                continue
            ilvl = depth if depth < count else min(style_ilvl, count - 1)
            levels.append(_ListLevel(style, num_id, abstract, ilvl))
        return levels

    def font_size(self, style_id: str | None) -> int | None:
        """The font size of a style in half-points, or None if neither it nor a base sets one."""
        seen = set()
        while style_id and style_id not in seen:
            seen.add(style_id)
            if style_id in self._sizes:
                return self._sizes[style_id]
            style_id = self._based_on.get(style_id)
        return None

    def cell_margins(self, style_id: str | None) -> int:
        """A table style's left plus right cell margin in twips (Word's default: 108 each)."""
        found: dict[str, int] = {}
        seen = set()
        while style_id and style_id not in seen:
            seen.add(style_id)
            for side, value in self._margins.get(style_id, {}).items():
                found.setdefault(side, value)
            style_id = self._based_on.get(style_id)
        return found.get("left", 108) + found.get("right", 108)

    def _style_numbering(self, style_id: str | None) -> tuple[str | None, int]:
        seen = set()
        while style_id and style_id not in seen:  # numbering may come from a base style
            seen.add(style_id)
            if style_id in self._numbering:
                return self._numbering[style_id]
            style_id = self._based_on.get(style_id)
        return None, 0


def _resolve_target(target: str) -> str:
    """The zip member a relationship of word/document.xml points at."""
    if target.startswith("/"):
        return target.lstrip("/")
    parts = ["word"]
    for piece in target.split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece and piece != ".":
            parts.append(piece)
    return "/".join(parts)


def _paragraph_at(prepared: str, line: int | None) -> tuple[int | None, str]:
    """The paragraph number and visible text at a line of a prepared part."""
    if not line:
        return None, ""
    lines = prepared.split("\n")
    if not 0 < line <= len(lines):
        return None, ""
    number = None
    for index in range(line - 1, -1, -1):  # the line's own mark, or the closest before
        match = _LINE_NUMBER.search(lines[index])
        if match:
            number = int(match.group(1))
            break
    text = _LINE_NUMBER.sub("", lines[line - 1])
    text = " ".join(re.sub(r"<[^>]+>", "", text).split())
    return number, text


def _shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _core_properties(notice) -> bytes:
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
        f"<dc:title>{_escape(title)}</dc:title>"
        f"<dc:subject>{_escape(subject)}</dc:subject>"
        f"<dc:creator>{_escape(author)}</dc:creator>"
        f"<cp:keywords>{_escape(keywords)}</cp:keywords>"
        "<dc:language>de-DE</dc:language>"
        f"<cp:lastModifiedBy>{_escape(author)}</cp:lastModifiedBy>"
        "<cp:revision>1</cp:revision>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
        "</cp:coreProperties>").encode()


def render_docx(notice, template_path: Path, *, city: str | None) -> bytes:
    """Render one notice without keeping the renderer (convenience for scripts)."""
    return DocxRenderer(template_path, display_name=str(template_path)).render(notice, city=city)
