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
import logging
import re
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape as _xml_escape

from docx.oxml.ns import nsmap
from docxtpl import DocxTemplate

from notices import content as c
from notices.errors import Problem, RenderError, TemplateError
from notices.templating import make_environment, template_context



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
HYPERLINK_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
IMAGE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"
HEADER_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/header"
FOOTER_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer"
DOCUMENT = "word/document.xml"
DOCUMENT_RELS = "word/_rels/document.xml.rels"
NUMBERING = "word/numbering.xml"
CONTENT_TYPES = "[Content_Types].xml"
CORE = "docProps/core.xml"
EMU_PER_PX = 9525  # 914400 EMU per inch at 96 px per inch
EMU_PER_TWIP = 635
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
EXTENSION_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "svg": "image/svg+xml"}
# Word shows an SVG through the svgBlip extension and needs a bitmap fallback beside it.
SVG_FALLBACK_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4e60000000049454e44ae426082")


def _escape(text: str) -> str:
    return _xml_escape(text, {'"': "&quot;"})


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


@dataclass
class _Styles:
    """Style ids by purpose, looked up by name in the template (clerks may restyle them)."""

    body: str | None
    bullets: list[str]
    numbers: list[str]
    continues: list[str]
    headings: list[str]
    quote: str | None
    code: str | None
    table: str | None
    hyperlink: str | None
    inline_code: str | None
    number_abstract: list[str | None]  # abstractNumId behind each List Number style


@dataclass
class _FactsWriter:
    """Turns a :class:`content.Document` into body XML, collecting relationships and numbering."""

    styles: _Styles
    text_width_twips: int
    next_rel: int
    next_num: int
    next_docpr: int = 1000
    rels: list[str] = field(default_factory=list)
    nums: list[str] = field(default_factory=list)
    media: list[tuple[str, bytes]] = field(default_factory=list)
    media_types: set[str] = field(default_factory=set)

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
            style = self.styles.headings[min(block.level, len(self.styles.headings)) - 1]
            return self.paragraph(self.inlines(block.children), style)
        if isinstance(block, (c.BulletList, c.OrderedList)):
            return self.list(block, depth)
        if isinstance(block, c.Table):
            return self.table(block)
        if isinstance(block, c.Quote):
            inner = [self.paragraph(self.inlines(b.children), self.styles.quote)
                     if isinstance(b, c.Paragraph) else self.block(b, depth)
                     for b in block.blocks]
            return "".join(inner)
        if isinstance(block, c.Preformatted):
            lines = block.text.split("\n")
            runs = "<w:r><w:br/></w:r>".join(self.run(line) for line in lines)
            return self.paragraph(runs, self.styles.code)
        raise TypeError(f"unknown block {block!r}")  # pragma: no cover

    def paragraph(self, runs: str, style: str | None, numbering: str = "") -> str:
        ppr = ""
        if style or numbering:
            ppr = "<w:pPr>" + (f'<w:pStyle w:val="{style}"/>' if style else "") + \
                numbering + "</w:pPr>"
        return f"<w:p>{ppr}{runs}</w:p>"

    def list(self, block, depth: int) -> str:
        level = min(depth, 2)
        ordered = isinstance(block, c.OrderedList)
        style = (self.styles.numbers if ordered else self.styles.bullets)[level]
        numbering = ""
        if ordered:
            abstract = self.styles.number_abstract[level]
            if abstract is not None:
                # A new numbering instance per list, so each list starts at its own start.
                num_id = self.next_num
                self.next_num += 1
                self.nums.append(
                    f'<w:num w:numId="{num_id}"><w:abstractNumId w:val="{abstract}"/>'
                    f'<w:lvlOverride w:ilvl="0"><w:startOverride w:val="{int(block.start)}"/>'
                    f"</w:lvlOverride></w:num>")
                numbering = f'<w:numPr><w:ilvl w:val="0"/><w:numId w:val="{num_id}"/></w:numPr>'
        out = []
        for item in block.items:
            first = True
            for inner in item.blocks:
                if isinstance(inner, c.Paragraph):
                    if first:
                        out.append(self.paragraph(self.inlines(inner.children), style, numbering))
                    else:
                        out.append(self.paragraph(self.inlines(inner.children),
                                                  self.styles.continues[level]))
                elif isinstance(inner, (c.BulletList, c.OrderedList)):
                    if first:  # an item that starts with a list: keep its marker
                        out.append(self.paragraph("", style, numbering))
                    out.append(self.list(inner, depth + 1))
                else:
                    if first:
                        out.append(self.paragraph("", style, numbering))
                    out.append(self.block(inner, depth + 1))
                first = False
            if not item.blocks:
                out.append(self.paragraph("", style, numbering))
        return "".join(out)

    def table(self, table: c.Table) -> str:
        columns = max([len(table.header)] + [len(row) for row in table.rows] + [1])
        width = self.text_width_twips // columns
        grid = "".join(f'<w:gridCol w:w="{width}"/>' for _ in range(columns))
        style = f'<w:tblStyle w:val="{self.styles.table}"/>' if self.styles.table else ""
        rows = []
        for index, row in enumerate((table.header,) + table.rows):
            if index == 0 and not table.header:
                continue
            cells = list(row) + [c.TableCell(())] * (columns - len(row))
            tr_pr = "<w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>" if index == 0 else \
                "<w:trPr><w:cantSplit/></w:trPr>"
            xml_cells = []
            for cell in cells:
                justify = {"center": "center", "right": "right"}.get(cell.align or "")
                ppr = f'<w:pPr><w:jc w:val="{justify}"/></w:pPr>' if justify else ""
                xml_cells.append(f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr>'
                                 f"<w:p>{ppr}{self.inlines(cell.children)}</w:p></w:tc>")
            rows.append(f"<w:tr>{tr_pr}{''.join(xml_cells)}</w:tr>")
        return (f'<w:tbl><w:tblPr>{style}<w:tblW w:w="{width * columns}" w:type="dxa"/>'
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
        if "b" in props:
            rpr.append("<w:b/><w:bCs/>")
        if "i" in props:
            rpr.append("<w:i/><w:iCs/>")
        if "strike" in props:
            rpr.append("<w:strike/>")
        rpr_xml = f"<w:rPr>{''.join(rpr)}</w:rPr>" if rpr else ""
        return f"<w:r>{rpr_xml}{_run_content(text)}</w:r>"

    def image(self, image: c.Image) -> str:
        data = image.path.read_bytes()
        extension = {"image/png": "png", "image/jpeg": "jpeg", "image/svg+xml": "svg"}[
            image.media_type]
        number = len(self.media) + 1
        name = f"word/media/notice{number}.{extension}"
        self.media.append((name, data))
        self.media_types.add(extension)
        rel_id = self._rel(IMAGE_REL, f"media/notice{number}.{extension}", external=False)
        blip = f'<a:blip r:embed="{rel_id}"/>'
        if extension == "svg":
            fallback_name = f"word/media/notice{number}-fallback.png"
            self.media.append((fallback_name, SVG_FALLBACK_PNG))
            self.media_types.add("png")
            fallback_id = self._rel(IMAGE_REL, f"media/notice{number}-fallback.png",
                                    external=False)
            blip = (f'<a:blip r:embed="{fallback_id}"><a:extLst><a:ext '
                    f'uri="{{96DAC541-7B7A-43D3-8B79-37D633B846F1}}"><asvg:svgBlip '
                    f'xmlns:asvg="http://schemas.microsoft.com/office/drawing/2016/SVG/main" '
                    f'r:embed="{rel_id}"/></a:ext></a:extLst></a:blip>')
        width_px, height_px = image.width_px or 400, image.height_px or 300
        max_width = self.text_width_twips * EMU_PER_TWIP
        cx, cy = width_px * EMU_PER_PX, height_px * EMU_PER_PX
        if cx > max_width:
            cx, cy = max_width, int(cy * max_width / cx)
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
    """WordprocessingML that Jinja inserts unescaped (``{{p facts }}``)."""

    def __init__(self, xml: str):
        self.xml = xml

    def __html__(self) -> str:
        return self.xml

    def __str__(self) -> str:
        return self.xml


# --- the renderer -----------------------------------------------------------------------------


@dataclass
class _TemplatePart:
    name: str
    template: object  # jinja2.Template
    source: str  # the prepared XML, for error messages


class DocxRenderer:
    """Renders notices into one Word template, paying for the template once."""

    def __init__(self, template_path: Path, *, display_name: str):
        self.display_name = display_name
        self.path = Path(template_path)
        try:
            import zipfile

            with zipfile.ZipFile(self.path) as archive:
                self._members = {info.filename: archive.read(info) for info in archive.infolist()}
                self._order = [info.filename for info in archive.infolist()]
        except (OSError, KeyError, ValueError) as error:
            raise TemplateError(Problem(display_name, f"cannot be read as a Word file: "
                                        f"{error}")) from None
        except Exception as error:  # zipfile.BadZipFile and friends
            raise TemplateError(Problem(display_name, f"is not a Word file: {error}")) from None
        if DOCUMENT not in self._members:
            raise TemplateError(Problem(display_name, "is not a Word document (no "
                                        "word/document.xml)"))
        self._env = make_environment()
        self._parts: list[_TemplatePart] = []
        for name in self._templated_parts():
            self._parts.append(self._compile(name))
        self._cached = {name: _zip_member(name, data) for name, data in self._members.items()
                        if name not in {p.name for p in self._parts}
                        and name not in (DOCUMENT_RELS, NUMBERING, CONTENT_TYPES, CORE)}
        self._styles = self._find_styles()
        self._text_width = self._find_text_width()
        rels = self._members.get(DOCUMENT_RELS, b"").decode("utf-8")
        self._first_rel = 1 + max([int(n) for n in re.findall(r'Id="rId(\d+)"', rels)] or [0])
        numbering = self._members.get(NUMBERING, b"").decode("utf-8")
        self._first_num = 1 + max(
            [int(n) for n in re.findall(r'<w:num w:numId="(\d+)"', numbering)] or [0])

    @property
    def table_style(self) -> str | None:
        """The style id of the template's "Notice Table" style, if it has one."""
        return self._styles.table

    # -- preparation --

    def _templated_parts(self) -> list[str]:
        rels = self._members.get(DOCUMENT_RELS, b"").decode("utf-8")
        names = [DOCUMENT]
        for kind, target in re.findall(r'Type="([^"]+)"\s+Target="([^"]+)"', rels) + [
                (k, t) for t, k in re.findall(r'Target="([^"]+)"\s+Type="([^"]+)"', rels)]:
            if kind in (HEADER_REL, FOOTER_REL):
                name = "word/" + target.lstrip("/").removeprefix("word/")
                if name in self._members and name not in names:
                    names.append(name)
        return names

    def _compile(self, name: str) -> _TemplatePart:
        source = self._members[name].decode("utf-8")
        # docxtpl's own clean-up: joins tags split over runs, handles {%p %} and friends.
        prepared = DocxTemplate.patch_xml(None, source)
        prepared = re.sub(r"<w:p([ >])", r"\n<w:p\1", prepared)
        try:
            template = self._env.from_string(prepared)
        except Exception as error:  # jinja2.TemplateSyntaxError
            raise TemplateError(self._problem(name, prepared, getattr(error, "lineno", None),
                                              getattr(error, "message", str(error)))) from None
        return _TemplatePart(name, template, prepared)

    def _problem(self, part: str, prepared: str, line: int | None, message: str) -> Problem:
        """Name the paragraph (docxtpl puts each on its own line) and quote its text."""
        where = "" if part == DOCUMENT else f" (in {part.removeprefix('word/')})"
        quoted = ""
        if line:
            lines = prepared.split("\n")
            if 0 < line <= len(lines):
                text = re.sub(r"<[^>]+>", "", lines[line - 1]).strip()
                if text:
                    quoted = f' in paragraph "{text[:80]}"'
        message = " ".join(str(message).split())
        return Problem(self.display_name, f"{message}{quoted}{where}",
                       line=(line - 1 if line and line > 1 else line))

    def _find_styles(self) -> _Styles:
        styles = self._members.get("word/styles.xml", b"").decode("utf-8")
        by_name = {name.lower(): style_id for style_id, name in re.findall(
            r'<w:style\b[^>]*w:styleId="([^"]+)"[^>]*>\s*<w:name w:val="([^"]+)"', styles)}

        def find(*names: str) -> str | None:
            for name in names:
                if name.lower() in by_name:
                    return by_name[name.lower()]
            return None

        def numbering_of(style_id: str | None) -> str | None:
            if style_id is None:
                return None
            match = re.search(rf'w:styleId="{re.escape(style_id)}".*?</w:style>', styles, re.S)
            num = re.search(r'<w:numId w:val="(\d+)"', match.group(0)) if match else None
            if not num:
                return None
            numbering = self._members.get(NUMBERING, b"").decode("utf-8")
            abstract = re.search(rf'<w:num w:numId="{num.group(1)}"[^>]*>\s*'
                                 r'<w:abstractNumId w:val="(\d+)"', numbering)
            return abstract.group(1) if abstract else None

        bullets = [find("List Bullet"), find("List Bullet 2", "List Bullet"),
                   find("List Bullet 3", "List Bullet 2", "List Bullet")]
        numbers = [find("List Number"), find("List Number 2", "List Number"),
                   find("List Number 3", "List Number 2", "List Number")]
        return _Styles(
            body=None,
            bullets=bullets, numbers=numbers,
            continues=[find("List Continue"), find("List Continue 2", "List Continue"),
                       find("List Continue 3", "List Continue 2", "List Continue")],
            headings=[find("heading 3"), find("heading 4"), find("heading 5")],
            quote=find("Quote"), code=find("Notice Code"), table=find("Notice Table"),
            hyperlink=find("Hyperlink"), inline_code=find("Inline Code"),
            number_abstract=[numbering_of(s) for s in numbers])

    def _find_text_width(self) -> int:
        document = self._members[DOCUMENT].decode("utf-8")
        size = re.search(r'<w:pgSz[^>]*w:w="(\d+)"', document)
        left = re.search(r'<w:pgMar[^>]*w:left="(\d+)"', document)
        right = re.search(r'<w:pgMar[^>]*w:right="(\d+)"', document)
        if size and left and right:
            return int(size.group(1)) - int(left.group(1)) - int(right.group(1))
        return 9355  # A4 minus 2.5 cm and 2 cm

    # -- rendering --

    def render(self, notice, *, city: str | None) -> bytes:
        """The .docx of one notice, as bytes."""
        writer = self.facts_writer()
        facts = RawXml(writer.blocks(notice.facts.blocks) or writer.paragraph("", None))
        context = template_context(notice, city=city, facts=facts)
        return self.render_context(context, writer=writer, core=_core_properties(notice))

    def facts_writer(self) -> _FactsWriter:
        """A writer for body XML whose relationship and numbering ids fit this template."""
        return _FactsWriter(self._styles, self._text_width, self._first_rel, self._first_num)

    def render_context(self, context: dict, *, writer: _FactsWriter, core: bytes) -> bytes:
        """Fill the template with any context (a notice, a packet's cover sheet) as .docx bytes.

        ``writer`` holds the relationships, numbering and media that the XML values in
        ``context`` refer to; ``core`` is the docProps/core.xml to write.
        """
        rendered: dict[str, bytes] = {}
        for part in self._parts:
            rendered[part.name] = self._render_part(part, context).encode("utf-8")
        rendered[DOCUMENT_RELS] = self._with_relationships(writer.rels)
        if NUMBERING in self._members:
            rendered[NUMBERING] = self._with_numbering(writer.nums)
        rendered[CONTENT_TYPES] = self._with_content_types(writer.media_types)
        rendered[CORE] = core
        members = []
        for name in self._order:
            if name in rendered:
                members.append(_zip_member(name, rendered[name]))
            else:
                members.append(self._cached[name])
        if CORE not in self._order:
            members.append(_zip_member(CORE, core))
        for name, data in writer.media:
            members.append(_zip_member(name, data))
        return _assemble_zip(members)

    def _render_part(self, part: _TemplatePart, context: dict) -> str:
        import jinja2

        try:
            xml = part.template.render(context)
        except jinja2.TemplateError as error:
            from notices.templating import error_line

            line = error_line(error, "<template>")
            raise TemplateError(self._problem(part.name, part.source, line, error)) from None
        except Exception as error:
            raise RenderError(Problem(self.display_name, f"rendering failed: "
                                      f"{type(error).__name__}: {error}")) from error
        xml = re.sub(r"\n<w:p([ >])", r"<w:p\1", xml)
        return (xml.replace("{_{", "{{").replace("}_}", "}}")
                .replace("{_%", "{%").replace("%_}", "%}"))

    def _with_relationships(self, rels: list[str]) -> bytes:
        xml = self._members.get(DOCUMENT_RELS, b"").decode("utf-8")
        if not rels:
            return xml.encode("utf-8")
        return xml.replace("</Relationships>", "".join(rels) + "</Relationships>").encode()

    def _with_numbering(self, nums: list[str]) -> bytes:
        xml = self._members[NUMBERING].decode("utf-8")
        if not nums:
            return xml.encode("utf-8")
        if "<w:numIdMacAtCleanup" in xml:
            xml = xml.replace("<w:numIdMacAtCleanup", "".join(nums) + "<w:numIdMacAtCleanup", 1)
        else:
            xml = xml.replace("</w:numbering>", "".join(nums) + "</w:numbering>")
        return xml.encode("utf-8")

    def _with_content_types(self, extensions: set[str]) -> bytes:
        xml = self._members[CONTENT_TYPES].decode("utf-8")
        additions = [f'<Default Extension="{ext}" ContentType="{EXTENSION_TYPES[ext]}"/>'
                     for ext in sorted(extensions)
                     if f'Extension="{ext}"' not in xml]
        if additions:
            xml = xml.replace("</Types>", "".join(additions) + "</Types>")
        return xml.encode("utf-8")


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


