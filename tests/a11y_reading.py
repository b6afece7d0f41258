"""Read a tagged PDF for the accessibility checks: its structure tree, and its pages as drawn.

Independent of :mod:`notices.render.structure_tree` on purpose: the checks must not share
the repairs' way of reading a PDF (and so their blind spots). The pages are read with
pikepdf's full content-stream parser, the tree by following ``/K`` from the structure
tree root, with the role map applied. Text is decoded with the fonts' ``/ToUnicode``
maps, only to make findings readable and to compare header rows; a glyph that a font does
not map shows as U+FFFD.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator

import pikepdf
from pikepdf import Array, Dictionary, Name

# ISO 32000-1, 14.8.4: the standard structure types (PDF 1.7; PDF/UA-1 is based on it).
STANDARD_TYPES = frozenset("""
    Document Part Art Sect Div BlockQuote Caption TOC TOCI Index NonStruct Private
    P H H1 H2 H3 H4 H5 H6 L LI Lbl LBody Table TR TH TD THead TBody TFoot
    Span Quote Note Reference BibEntry Code Link Annot Ruby RB RT RP Warichu WT WP
    Figure Formula Form
""".split())

# Operators that put something on the page (``n`` ends a path without painting it).
PAINTING = frozenset("Tj TJ ' \" Do sh S s f F f* B B* b b* INLINE IMAGE".split())


def key(obj) -> tuple[int, int] | int:
    """An identity for a PDF object (a direct object has none that outlives the call)."""
    return obj.objgen if obj.is_indirect else id(obj)


@dataclass
class Node:
    """A structure element, as reached from the structure tree root."""

    obj: Dictionary
    role: str  # the structure type after the role map, without the slash
    parent: Node | None
    page: int | None  # its /Pg (inherited), 0-based
    children: list[Node] = field(default_factory=list)
    annotations: list[Dictionary] = field(default_factory=list)  # OBJR targets
    order: list = field(default_factory=list)  # child nodes and (page, MCID), in /K order

    def descendants(self) -> Iterator[Node]:
        for child in self.children:
            yield child
            yield from child.descendants()

    def all_content(self) -> list[tuple[int, int]]:
        """Its own and its descendants' marked content, in reading order."""
        found = []
        for item in self.order:
            if isinstance(item, Node):
                found.extend(item.all_content())
            else:
                found.append(item)
        return found


@dataclass
class Piece:
    """One marked-content sequence of a page, as drawn."""

    page: int
    mcid: int | None
    tag: str
    text: str = ""
    glyphs: list[bytes] = field(default_factory=list)  # raw shown strings, to compare


class Reading:
    """A PDF's structure tree and pages, and what is wrong with how they are put together."""

    def __init__(self, pdf: pikepdf.Pdf):
        self.pdf = pdf
        self.problems: list[str] = []
        self.page_index = {page.obj.objgen: n for n, page in enumerate(pdf.pages)}
        self._fonts: dict = {}
        root = pdf.Root.get("/StructTreeRoot")
        self.tree_root = root if isinstance(root, Dictionary) else None
        role_map = self.tree_root.get("/RoleMap") if self.tree_root is not None else None
        self.role_map = {str(k)[1:]: str(v)[1:] for k, v in role_map.items()} \
            if isinstance(role_map, Dictionary) else {}
        self.nodes: list[Node] = []  # every reachable element, depth first
        self.owner: dict[tuple[int, int], Node] = {}  # (page, MCID) -> its element
        self.pieces: dict[int, list[Piece]] = {}  # page -> marked content as drawn
        if self.tree_root is not None:
            self._walk()
            for number, page in enumerate(pdf.pages):
                self.pieces[number] = self._scan(number, page)
        self.by_item = {(p.page, p.mcid): p for pieces in self.pieces.values()
                        for p in pieces if p.mcid is not None}

    # --- the tree ---

    def _walk(self) -> None:
        seen: set = set()

        def visit(obj, parent: Node | None, page: int | None) -> Node | None:
            if key(obj) in seen:
                self.problems.append(f"structure: element {obj.get('/S')} is reached twice "
                                     "(a cycle or a shared kid)")
                return None
            seen.add(key(obj))
            pg = obj.get("/Pg")
            if isinstance(pg, Dictionary):
                page = self.page_index.get(pg.objgen, page)
            node = Node(obj, self._role(str(obj.get("/S", "/?"))[1:]), parent, page)
            self.nodes.append(node)
            kids = obj.get("/K")
            for kid in (list(kids) if isinstance(kids, Array) else [] if kids is None
                        else [kids]):
                if isinstance(kid, int):
                    self._own(node, page, kid)
                elif isinstance(kid, Dictionary) and kid.get("/Type") == Name.MCR:
                    if "/Stm" not in kid:  # content of a form XObject is not checked here
                        kid_page = kid.get("/Pg")
                        self._own(node, self.page_index.get(kid_page.objgen, page)
                                  if isinstance(kid_page, Dictionary) else page,
                                  int(kid.MCID))
                elif isinstance(kid, Dictionary) and kid.get("/Type") == Name.OBJR:
                    node.annotations.append(kid.get("/Obj"))
                elif isinstance(kid, Dictionary):
                    child = visit(kid, node, page)
                    if child is not None:
                        node.children.append(child)
                        node.order.append(child)
            return node

        kids = self.tree_root.get("/K")
        for kid in list(kids) if isinstance(kids, Array) else [kids]:
            if isinstance(kid, Dictionary):
                visit(kid, None, None)

    def _role(self, name: str) -> str:
        seen = set()
        while name not in STANDARD_TYPES and name in self.role_map and name not in seen:
            seen.add(name)
            name = self.role_map[name]
        return name

    def _own(self, node: Node, page: int | None, mcid: int) -> None:
        if page is None:
            self.problems.append(f"structure: {node.role} holds MCID {mcid} but names no "
                                 "page (/Pg)")
            return
        if (page, mcid) in self.owner:
            self.problems.append(f"page {page + 1}: MCID {mcid} belongs to two structure "
                                 "elements")
        self.owner[(page, mcid)] = node
        node.order.append((page, mcid))

    def reading_order(self) -> dict[tuple[int, int], int]:
        """Each piece of tagged content's position in the structure tree's order."""
        order: dict = {}
        for node in self.nodes:
            if node.parent is None:
                for item in node.all_content():
                    order.setdefault(item, len(order))
        return order

    def parent_tree(self) -> dict[int, object]:
        return _number_tree(self.tree_root.get("/ParentTree"))

    # --- the pages ---

    def _scan(self, number: int, page) -> list[Piece]:
        fonts = page.obj.get("/Resources", Dictionary()).get("/Font", Dictionary())
        pieces: list[Piece] = []
        stack: list[Piece] = []  # the marked-content sequences open at this point
        font, unmarked, tagged_in_artifact = None, 0, 0
        for operands, operator in pikepdf.parse_content_stream(page):
            op = str(operator)
            if op in ("BDC", "BMC"):
                props = operands[1] if op == "BDC" and len(operands) > 1 else None
                mcid = props.get("/MCID") if isinstance(props, Dictionary) else None
                piece = Piece(number, None if mcid is None else int(mcid), str(operands[0])[1:])
                if piece.mcid is not None and any(p.tag == "Artifact" for p in stack):
                    tagged_in_artifact += 1
                stack.append(piece)
                pieces.append(piece)
            elif op == "EMC" and stack:
                stack.pop()
            elif op == "Tf":
                font = fonts.get(str(operands[0]))
            elif op in PAINTING:
                if not any(p.mcid is not None or p.tag == "Artifact" for p in stack):
                    unmarked += 1
                if op in ("Tj", "'", '"', "TJ"):
                    strings = [operands[-1]] if op != "TJ" else \
                        [s for s in operands[0] if isinstance(s, pikepdf.String)]
                    for string in strings:
                        text = self.decode(font, bytes(string))
                        for open_piece in stack:  # text belongs to every sequence around it
                            open_piece.glyphs.append(bytes(string))
                            open_piece.text += text
        if unmarked:
            self.problems.append(f"page {number + 1}: {unmarked} drawing operations are "
                                 "neither tagged content nor an /Artifact")
        if tagged_in_artifact:
            self.problems.append(f"page {number + 1}: {tagged_in_artifact} tagged sequences "
                                 "(MCID) lie inside an /Artifact")
        return pieces

    # --- text ---

    def text_of(self, node: Node) -> str:
        actual = node.obj.get("/ActualText")
        if isinstance(actual, pikepdf.String):
            return str(actual)
        return join_text([self.by_item[item].text for item in node.all_content()
                          if item in self.by_item])

    def glyphs_of(self, node: Node) -> tuple:
        return tuple(tuple(self.by_item[i].glyphs) if i in self.by_item else ()
                     for i in node.all_content())

    def decode(self, font, data: bytes) -> str:
        if font is None:
            return data.decode("latin-1")
        if key(font) not in self._fonts:
            self._fonts[key(font)] = _font_map(font)
        mapping, widths = self._fonts[key(font)]
        if mapping is None:  # no ToUnicode: a simple font's bytes as Latin-1
            return data.decode("latin-1")
        out, index = [], 0
        while index < len(data):
            for width in widths:
                if data[index:index + width] in mapping:
                    out.append(mapping[data[index:index + width]])
                    index += width
                    break
            else:
                out.append("\ufffd")
                index += widths[-1]
        return "".join(out)


def join_text(parts: list[str]) -> str:
    """Text pieces (one per marked-content sequence) as one line of text."""
    out = ""
    for part in parts:
        if out.endswith("\u00ad"):
            out = out[:-1] + part.lstrip()
        elif out and not out[-1].isspace() and part and not part[0].isspace():
            out += " " + part
        else:
            out += part
    return " ".join(out.split())


def _number_tree(tree) -> dict[int, object]:
    found: dict[int, object] = {}
    if not isinstance(tree, Dictionary):
        return found
    nums = tree.get("/Nums")
    if isinstance(nums, Array):
        for number, value in zip(list(nums)[::2], list(nums)[1::2]):
            found[int(number)] = value
    for kid in tree.get("/Kids", []):
        found.update(_number_tree(kid))
    return found


_HEX = re.compile(rb"<([0-9A-Fa-f\s]*)>|\[|\]")


def _font_map(font) -> tuple[dict[bytes, str] | None, list[int]]:
    """A font's /ToUnicode CMap: code bytes -> text, and the code lengths to try."""
    cmap = font.get("/ToUnicode")
    if not isinstance(cmap, pikepdf.Stream):
        return None, [1]
    data = cmap.read_bytes()
    mapping: dict[bytes, str] = {}
    widths: set[int] = set()

    def tokens(block: bytes) -> list:
        return [m.group(0) if m.group(1) is None
                else bytes.fromhex(re.sub(rb"\s", b"", m.group(1)).decode("ascii"))
                for m in _HEX.finditer(block)]

    for block in re.findall(rb"begincodespacerange(.*?)endcodespacerange", data, re.S):
        widths.update(len(t) for t in tokens(block) if t not in (b"[", b"]"))
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        found = [t for t in tokens(block) if t not in (b"[", b"]")]
        for source, target in zip(found[::2], found[1::2]):
            mapping[source] = target.decode("utf-16-be", errors="replace")
            widths.add(len(source))
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
        found, index = tokens(block), 0
        while index + 2 < len(found):
            low, high, target = found[index:index + 3]
            index += 3
            start, end = int.from_bytes(low, "big"), int.from_bytes(high, "big")
            if target == b"[":
                for offset in range(end - start + 1):
                    if index >= len(found) or found[index] == b"]":
                        break
                    mapping[(start + offset).to_bytes(len(low), "big")] = \
                        found[index].decode("utf-16-be", errors="replace")
                    index += 1
                index += 1  # the closing ]
            else:
                base = int.from_bytes(target, "big")
                for offset in range(end - start + 1):
                    value = (base + offset).to_bytes(len(target), "big")
                    mapping[(start + offset).to_bytes(len(low), "big")] = \
                        value.decode("utf-16-be", errors="replace")
            widths.add(len(low))
    return mapping, sorted(widths or {2}, reverse=True)
