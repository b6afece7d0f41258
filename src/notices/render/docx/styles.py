"""The Word template's styles and list numbering, looked up by the names clerks see.

Style ids differ by the language Word runs in ("Heading3" vs "berschrift3"); names do
not. Everything the facts writer needs is found once per template: paragraph styles by
purpose, the numbering behind the list styles, table text size and cell margins.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from notices.render.docx.package import (
    CELL_MARGIN_TWIPS, CELL_MARGINS_TWIPS, MAX_LIST_LEVEL, W_NS)


@dataclass(frozen=True)
class ListLevel:
    """How one nesting level of a bulleted or numbered list is written."""

    style: str | None  # paragraph style id (List Bullet 2, …)
    num_id: str | None  # the style's numbering instance (None: the template has no numbering)
    abstract_id: str | None  # its definition, for a fresh instance per numbered list
    ilvl: int  # the level within that definition


@dataclass
class Styles:
    """Style ids by purpose, looked up by name in the template (clerks may restyle them)."""

    body: str | None
    bullets: list[ListLevel]
    numbers: list[ListLevel]
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
    # w:tblInd that puts a table's left border on the text's left edge (see
    # StyleTable.table_indent); 0 in the layout of current Word.
    table_indent: int = 0


class StyleTable:
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

    def list_levels(self, base: str) -> list[ListLevel]:
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
                levels.append(ListLevel(style, None, None, 0))
                continue
            ilvl = depth if depth < count else min(style_ilvl, count - 1)
            levels.append(ListLevel(style, num_id, abstract, ilvl))
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
        return self.cell_margin(style_id, "left") + self.cell_margin(style_id, "right")

    def cell_margin(self, style_id: str | None, side: str) -> int:
        """One side's cell margin of a table style in twips, from the style or its bases."""
        seen = set()
        while style_id and style_id not in seen:
            seen.add(style_id)
            value = self._margins.get(style_id, {}).get(side)
            if value is not None:
                return value
            style_id = self._based_on.get(style_id)
        return CELL_MARGIN_TWIPS

    def table_indent(self, style_id: str | None, compatibility_mode: int) -> int:
        """The w:tblInd that aligns a table's left border with the text.

        Word 2013 and later (compatibilityMode 15) put the border at the indent; earlier
        modes put the first cell's text there, so the border hangs into the margin by the
        left cell margin (about 2 mm) unless the indent makes up for it. LibreOffice
        follows the mode of the file the same way.
        """
        return 0 if compatibility_mode >= 15 else self.cell_margin(style_id, "left")

    def _style_numbering(self, style_id: str | None) -> tuple[str | None, int]:
        seen = set()
        while style_id and style_id not in seen:  # numbering may come from a base style
            seen.add(style_id)
            if style_id in self._numbering:
                return self._numbering[style_id]
            style_id = self._based_on.get(style_id)
        return None, 0
