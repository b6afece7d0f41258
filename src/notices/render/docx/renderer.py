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
properties dated by the notice, never by the clock; the extended properties (app.xml) are
counted from the document written, not copied from the template.
"""

from __future__ import annotations

import io
import itertools
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import jinja2
from docxtpl import DocxTemplate
from lxml import etree

from notices.errors import Problem, RenderError, TemplateError
from notices.render.docx.facts import FactsWriter, RawXml
from notices.render.docx.package import (
    APP, CONTENT_TYPES, CORE, DEFAULT_TEXT_WIDTH, DOCUMENT, DOCUMENT_RELS, EXTENSION_TYPES,
    NUMBERING, PACKAGE_RELS_NS, SETTINGS, STYLES, TEMPLATED_RELS, W_NS, assemble_zip, zip_member)
from notices.render.docx.properties import app_properties, notice_properties
from notices.render.docx.styles import Styles, StyleTable
from notices.render.docx.svg_raster import SvgRasterizer, bundled_fonts
from notices.render.templating import error_line, make_environment, one_line, template_context
from notices.render.typesetting import typeset

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

    def __init__(self, template: bytes | Path, *, display_name: str, city: str | None = None,
                 fonts: dict[str, bytes] | None = None):
        """``template`` is the .docx's bytes (from a TemplateSet) or a path to it.

        ``fonts`` (``TemplateSet.font_files()``) are the only fonts SVG pictures are drawn
        with for their PNG fallback; None means the fonts bundled with notices.
        """
        self.display_name = display_name
        self.city = city
        self._rasterizer = SvgRasterizer(fonts or bundled_fonts())
        self.messages: list[str] = []  # what the clerk should know about the last render
        self._source = io.BytesIO(template) if isinstance(template, bytes) else Path(template)
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
        self._cached = {name: zip_member(name, data) for name, data in self._members.items()
                        if name not in templated and name not in (CORE, APP)}
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
            with zipfile.ZipFile(self._source) as archive:
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

    def _find_styles(self) -> Styles:
        styles = StyleTable(self._members.get(STYLES), self._members.get(NUMBERING))
        find = styles.find
        return Styles(
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
            table_cell_margins=styles.cell_margins(find("Notice Table")),
            table_indent=styles.table_indent(find("Notice Table"),
                                             self._compatibility_mode()))

    def _compatibility_mode(self) -> int:
        """The Word version whose layout rules the template asks for (15: Word 2013+).

        A file that names none is laid out as Word 2007 did (12).
        """
        settings = self._members.get(SETTINGS)
        if settings:
            for setting in etree.fromstring(settings).iter(f"{{{W_NS}}}compatSetting"):
                value = setting.get(f"{{{W_NS}}}val", "")
                if setting.get(f"{{{W_NS}}}name") == "compatibilityMode" and value.isdigit():
                    return int(value)
        return 12

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

    def render(self, notice) -> bytes:
        """The .docx of one notice, as bytes; what the clerk should know is in :attr:`messages`."""
        writer = self.facts_writer()
        printed = typeset(notice)  # the document properties keep the text as typed
        rendered = [RawXml(writer.blocks(document.blocks)
                           or writer.paragraph("", self._styles.body))
                    for document in printed.documents]
        context = template_context(printed, city=self.city, rendered=rendered)
        data = self.render_context(context, writer=writer, core=notice_properties(notice))
        self.messages = writer.warnings
        return data

    def check(self, notice) -> str:
        """Render ``notice`` in memory, check that Word could open it, return its body text.

        For ``notices check``: raises :class:`TemplateError` for a field that does not
        exist and for a template whose tags leave broken XML behind (an ``{% if %}``
        that starts in one paragraph and ends in another, say), in any part. The text is
        the body's only: headers and footers are page furniture (the running header names
        the file number too), and a paper's substance must be in its body.
        """
        data = self.render(notice)  # raises for a part that does not parse
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            root = etree.fromstring(archive.read(DOCUMENT))
        return "".join(root.itertext(f"{{{W_NS}}}t"))

    def facts_writer(self) -> FactsWriter:
        """A writer for body XML whose relationship, numbering and drawing ids fit this template."""
        return FactsWriter(self._styles, self._text_width, self._first_rel, self._first_num,
                           self._first_docpr, rasterizer=self._rasterizer)

    def render_context(self, context: dict, *, writer: FactsWriter, core: bytes) -> bytes:
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
        labels = {part.name: part.label for part in self._parts}
        for name, data in rendered.items():
            # A Word file that would not open is never written: fail here, naming the part.
            try:
                etree.fromstring(data)
            except etree.XMLSyntaxError as error:
                where = f" in the {labels[name]}" if labels.get(name) else ""
                raise TemplateError(Problem(
                    self.display_name,
                    f"its tags produce a broken Word file{where} ({one_line(error)}); "
                    "check that each {% if %}/{% for %} starts and ends within one "
                    "paragraph, or use {%p … %} on paragraphs of their own")) from None
        if APP in self._members:  # a template without one gets none: nothing false is said
            rendered[APP] = app_properties(rendered[DOCUMENT], company=self.city)
        members = []
        # The template's order, then what it lacked, then the media: the same every time.
        for name in self._order + [n for n in rendered if n not in self._members]:
            if name in rendered:
                members.append(zip_member(name, rendered[name]))
            elif name in self._cached:
                members.append(self._cached[name])
        for name, data in writer.media:
            members.append(zip_member(name, data))
        return assemble_zip(members)

    def _render_part(self, part: _TemplatePart, context: dict) -> str:
        try:
            return _no_break_hyphens(part.template.render(context))
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


_TEXT_WITH_NO_BREAK_HYPHEN = re.compile("(<w:t(?:\\s[^>]*)?>)([^<]*\u2011[^<]*)</w:t>")


def _no_break_hyphens(xml: str) -> str:
    """U+2011 in a template's text (a paper number "4401/2020\u20112025" that must not
    break) as Word's own non-breaking hyphen, which Word and LibreOffice draw with the
    font's hyphen (Arial and Liberation Sans have no U+2011 glyph)."""
    if "\u2011" not in xml:
        return xml
    piece = '</w:t><w:noBreakHyphen/><w:t xml:space="preserve">'
    return _TEXT_WITH_NO_BREAK_HYPHEN.sub(
        lambda m: '<w:t xml:space="preserve">' + m.group(2).replace("\u2011", piece) + "</w:t>",
        xml)
