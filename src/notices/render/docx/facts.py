"""Write a record's facts as WordprocessingML, from the blocks the PDF renders too.

The writer produces the body XML of the ``{{p facts }}`` paragraph and collects what the
package must gain for it (hyperlink and image relationships, numbering instances,
media), which :class:`~notices.render.docx.renderer.DocxRenderer` merges in.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass, field

from notices.render.docx.package import (
    EMU_PER_PX, EMU_PER_TWIP, HYPERLINK_REL, IMAGE_REL, MEDIA_EXTENSIONS, SVG_BLIP_EXTENSION,
    xml_escape)
from notices.render.docx.styles import Styles
from notices.render.table_layout import column_count, column_widths
from notices.source import blocks as c


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
# the bitmap is a light grey placeholder of the picture's size (see FactsWriter.image).
SVG_FALLBACK_PNG = _png(1, 1, (0xE8, 0xE8, 0xE8))


@dataclass
class FactsWriter:
    """Turns a :class:`content.Document` into body XML, collecting relationships and numbering.

    Everything a record adds to the package (hyperlink and image relationships, numbering
    instances, media) is collected here and merged by :meth:`DocxRenderer.render_context`.
    """

    styles: Styles
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
                         f'Target="{xml_escape(target)}"{mode}/>')
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
            # Heading 3-5, as the PDF's h3-h5: the facts' outline goes on right below the
            # template's "Sachverhalt:" (Heading 2) without skipping a level.
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
        data = image.data
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
        alt = xml_escape(image.alt)
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
            parts.append(f'<w:t xml:space="preserve">{xml_escape(piece)}</w:t>')
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
