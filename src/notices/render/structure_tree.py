"""A tagged PDF's structure tree and marked content, read and rewritten with pikepdf.

The model behind :mod:`notices.render.accessibility`: structure elements as a tree of
:class:`Element` (what each holds, in order: child elements, marked content as
``(page, MCID)``, annotation references), and where each marked-content sequence sits in
its page's content stream, so that a sequence can become an artifact by rewriting one
operator. Written for the PDFs WeasyPrint makes (standard structure types, no role map,
text as hex strings, no inline images); anything else is kept as found.

The content streams are searched with regular expressions, not parsed: a full parse of
a page costs more than all the repairs together. A sequence's text is decoded only when
a repair needs it (a header row, a link's text), with the fonts' ``/ToUnicode`` maps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pikepdf
from pikepdf import Array, Dictionary, Name

Item = tuple[int, int]  # a marked-content sequence: (page index, MCID)

# "/Span <</MCID 12>> BDC": the only form pydyf writes (a property list with just the
# MCID); BDC, BMC and EMC to find where a sequence ends; "/F1 12 Tf" for the font.
_MARKED = re.compile(rb"/([^\s/<>\[\]()]+)\s*<<\s*/MCID\s+(\d+)\s*>>\s*BDC\b")
_NESTING = re.compile(rb"\b(?:BDC|BMC|EMC)\b")
_FONT = re.compile(rb"/([^\s/<>\[\]()]+)\s+[-+\d.]+\s+Tf\b")
# What a sequence shows when it holds only font changes and hex strings, as WeasyPrint
# writes text. Literal strings, nested marked content or inline images need the parser.
_SHOWN = re.compile(rb"/([^\s/<>\[\]()]+)\s+[-+\d.]+\s+Tf\b|<([0-9A-Fa-f\s]*)>")
_NEEDS_PARSER = re.compile(rb"[()]|\bB[DM]C\b|\bBI\b|<<")
ARTIFACT = b"/Artifact <</Type /Pagination>> BDC"


@dataclass(eq=False)
class Element:
    """A structure element and what it holds, in the order of its ``/K``."""

    obj: Dictionary
    parent: Element | None
    page: int | None  # its /Pg (inherited from the parent when it has none)
    role: str  # the structure type without the slash (WeasyPrint maps no roles)
    items: list = field(default_factory=list)  # Element, Item or an OBJR/MCR dictionary

    @property
    def children(self) -> list[Element]:
        return [item for item in self.items if isinstance(item, Element)]

    def descendants(self):
        for child in self.children:
            yield child
            yield from child.descendants()

    def content(self) -> list[Item]:
        """Its own and its descendants' marked content, in reading order."""
        found = []
        for item in self.items:
            if isinstance(item, Element):
                found.extend(item.content())
            elif isinstance(item, tuple):
                found.append(item)
        return found

    def annotations(self) -> list[Dictionary]:
        return [item.Obj for item in self.items
                if isinstance(item, Dictionary) and item.get("/Type") == Name.OBJR]


@dataclass
class _Sequence:
    """Where a marked-content sequence's ``/Tag <</MCID n>> BDC`` is in its page."""

    page: int
    start: int
    end: int
    shown: list | None = None  # (font, bytes) pairs, read when first needed


class TaggedPdf:
    """The structure tree of an open PDF, with the means to change it consistently.

    Changes go to :attr:`top` and the elements' ``items``; :meth:`store` writes an
    element's items back to ``/K``, and :meth:`finish` rebuilds the parent tree and
    writes the pages whose content changed.
    """

    def __init__(self, pdf: pikepdf.Pdf):
        self.pdf = pdf
        self.root = pdf.Root.get("/StructTreeRoot")
        self.pages = list(pdf.pages)
        self._page_index = {page.obj.objgen: n for n, page in enumerate(self.pages)}
        self.top: list[Element] = []
        self.owner: dict[Item, Element] = {}  # which element holds each sequence
        self.drawn: dict[Item, _Sequence] = {}  # every tagged sequence, until it is an artifact
        self._data: dict[int, bytes] = {}  # page -> decompressed content
        self._artifacts: dict[int, list[tuple[int, int]]] = {}  # page -> BDCs to rewrite
        self._fonts: dict = {}
        self._elements: list[Element] | None = None
        if isinstance(self.root, Dictionary):
            self._walk()
            self._scan()

    @property
    def tagged(self) -> bool:
        return isinstance(self.root, Dictionary)

    # --- reading ---

    def _walk(self) -> None:
        def visit(obj, parent, page) -> Element:
            pg = obj.get("/Pg")
            if pg is not None:
                page = self._page_index.get(pg.objgen, page)
            element = Element(obj, parent, page, str(obj.get("/S", "/"))[1:])
            for kid in _kids(obj):
                if isinstance(kid, int):
                    self._hold(element, (page, int(kid)))
                elif not isinstance(kid, Dictionary):
                    continue
                elif kid.get("/Type") == Name.MCR and "/Stm" not in kid:
                    kid_page = kid.get("/Pg")
                    self._hold(element, (page if kid_page is None else self._page_index.get(
                        kid_page.objgen, page), int(kid.MCID)))
                elif kid.get("/Type") in (Name.MCR, Name.OBJR):
                    element.items.append(kid)  # an annotation, or content of a form XObject
                else:
                    element.items.append(visit(kid, element, page))
            return element

        self.top = [visit(kid, None, None) for kid in _kids(self.root)
                    if isinstance(kid, Dictionary)]

    def _hold(self, element: Element, item: Item) -> None:
        element.items.append(item)
        self.owner[item] = element

    def _scan(self) -> None:
        for number, page in enumerate(self.pages):
            contents = page.obj.get("/Contents")
            if isinstance(contents, Array):
                data = b"\n".join(part.read_bytes() for part in contents)
            elif isinstance(contents, pikepdf.Stream):
                data = contents.read_bytes()
            else:
                continue
            self._data[number] = data
            for match in _MARKED.finditer(data):
                self.drawn[(number, int(match.group(2)))] = _Sequence(
                    number, match.start(), match.end())

    def elements(self) -> list[Element]:
        """Every element of the tree, depth first (kept until the tree changes)."""
        if self._elements is None:
            found, stack = [], list(reversed(self.top))
            while stack:
                element = stack.pop()
                found.append(element)
                stack.extend(reversed(element.children))
            self._elements = found
        return self._elements

    def changed(self) -> None:
        """Say that elements were added, moved or removed."""
        self._elements = None

    # --- text ---

    def shown(self, item: Item) -> list[tuple[object, bytes]]:
        """The strings a sequence shows, with their font dictionaries, in order."""
        sequence = self.drawn[item]
        if sequence.shown is not None:
            return sequence.shown
        data = self._data[sequence.page]
        depth, end = 1, len(data)
        for match in _NESTING.finditer(data, sequence.end):
            depth += -1 if match.group(0) == b"EMC" else 1
            if depth == 0:
                end = match.start()
                break
        data = data[sequence.end:end]
        found: list[tuple[str | None, bytes]] = []  # (font resource name, string)
        font = ...  # the font set before the sequence, looked up only if it is needed
        if not _NEEDS_PARSER.search(data):
            for match in _SHOWN.finditer(data):
                if match.group(1) is not None:
                    font = "/" + match.group(1).decode()
                    continue
                if font is ...:
                    font = self._font_before(sequence)
                digits = re.sub(rb"\s", b"", match.group(2))
                found.append((font, bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode())))
        else:
            for operands, operator in pikepdf.parse_content_stream(self.pdf.make_stream(data)):
                if str(operator) == "Tf":
                    font = str(operands[0])
                elif str(operator) in ("Tj", "TJ", "'", '"'):
                    if font is ...:
                        font = self._font_before(sequence)
                    strings = operands[0] if str(operator) == "TJ" else [operands[-1]]
                    found.extend((font, bytes(s)) for s in strings
                                 if isinstance(s, pikepdf.String))
        fonts = self.pages[sequence.page].obj.get("/Resources", Dictionary()).get(
            "/Font", Dictionary())
        sequence.shown = [(fonts.get(name) if name else None, string) for name, string in found]
        return sequence.shown

    def _font_before(self, sequence: _Sequence) -> str | None:
        data, window = self._data[sequence.page], 4096
        while True:
            low = max(0, sequence.start - window)
            found = list(_FONT.finditer(data, low, sequence.start))
            if found:
                return "/" + found[-1].group(1).decode()
            if low == 0:
                return None
            window *= 4

    def glyphs(self, element: Element) -> tuple:
        """What an element shows as raw strings: equal for a header row drawn twice."""
        return tuple(tuple(data for _, data in self.shown(item))
                     for item in element.content() if item in self.drawn)

    def text(self, element: Element) -> str:
        """What an element shows, as one line of text."""
        parts = ["".join(self._decode(font, data) for font, data in self.shown(item))
                 for item in element.content() if item in self.drawn]
        out = ""
        for part in parts:  # one part per text box: a line, or a run in another font
            if out.endswith("\u00ad"):  # a soft hyphen where the line broke
                out = out[:-1] + part.lstrip()
            elif out and not out[-1].isspace() and part and not part[0].isspace():
                out += " " + part
            else:
                out += part
        return " ".join(out.split())

    def _decode(self, font, data: bytes) -> str:
        if font is None:
            return ""
        key = font.objgen
        if key not in self._fonts:
            self._fonts[key] = _unicode_map(font)
        mapping, widths = self._fonts[key]
        out, index = [], 0
        while index < len(data):
            for width in widths:
                if data[index:index + width] in mapping:
                    out.append(mapping[data[index:index + width]])
                    index += width
                    break
            else:
                index += widths[-1]
        return "".join(out)

    # --- changing ---

    def store(self, element: Element) -> None:
        """Write an element's items back to its ``/K``."""
        kids = Array()
        for item in element.items:
            if isinstance(item, Element):
                kids.append(item.obj)
                item.obj.P = element.obj
                item.parent = element
            elif isinstance(item, tuple) and item[0] == element.page:
                kids.append(item[1])
                self.owner[item] = element
            elif isinstance(item, tuple):
                kids.append(Dictionary(Type=Name.MCR, MCID=item[1], Pg=self.pages[item[0]].obj))
                self.owner[item] = element
            else:
                kids.append(item)
        element.obj.K = kids

    def make_artifact(self, item: Item) -> None:
        """Turn a tagged sequence into a pagination artifact (no longer in the tree)."""
        self.owner.pop(item, None)
        sequence = self.drawn.pop(item, None)
        if sequence is not None:
            self._artifacts.setdefault(sequence.page, []).append(
                (sequence.start, sequence.end))

    def remove(self, element: Element) -> None:
        """Take an element out of the tree; what it showed becomes an artifact."""
        self.changed()
        for item in element.content():
            self.make_artifact(item)
        parent = element.parent
        siblings = parent.items if parent is not None else self.top
        siblings.remove(element)
        if parent is None:
            self.root.K = Array([e.obj for e in self.top])
        elif parent.items:
            self.store(parent)
        else:
            self.remove(parent)

    def finish(self) -> None:
        """Rebuild the parent tree for the changed tree; rewrite the changed pages."""
        self._rebuild_parent_tree()
        for number, spans in sorted(self._artifacts.items()):
            data, out, position = self._data[number], [], 0
            for start, end in sorted(spans):
                out += [data[position:start], ARTIFACT]
                position = end
            out.append(data[position:])
            self.pages[number].obj.Contents = self.pdf.make_stream(b"".join(out))

    def _rebuild_parent_tree(self) -> None:
        # ISO 32000-1, 14.7.4.4: each page's MCIDs, and each annotation, lead back to
        # the element that holds them.
        nums: dict[int, object] = {}
        by_page: dict[int, list[int]] = {}
        for page, mcid in self.drawn:
            by_page.setdefault(page, []).append(mcid)
        for number, page in enumerate(self.pages):
            key = page.obj.get("/StructParents")
            drawn = by_page.get(number, [])
            if key is None:
                if not drawn:
                    continue
                key = page.obj.StructParents = _next_key(nums)
            entries = [None] * (max(drawn) + 1 if drawn else 0)
            for mcid in drawn:
                owner = self.owner.get((number, mcid))
                entries[mcid] = owner.obj if owner is not None else None
            nums[int(key)] = self.pdf.make_indirect(Array(entries))
        for element in self.elements():
            for annotation in element.annotations():
                key = annotation.get("/StructParent")
                if key is None:
                    key = annotation.StructParent = _next_key(nums)
                nums[int(key)] = element.obj
        tree = Dictionary(Nums=Array([x for key in sorted(nums) for x in (key, nums[key])]))
        self.root.ParentTree = self.pdf.make_indirect(tree)
        self.root.ParentTreeNextKey = _next_key(nums)


def _kids(obj) -> list:
    kids = obj.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, Array) else [kids]


def _next_key(nums: dict) -> int:
    return max(nums, default=-1) + 1


_HEX = re.compile(rb"<([0-9A-Fa-f\s]*)>|\[|\]")


def _unicode_map(font) -> tuple[dict[bytes, str], list[int]]:
    """A font's /ToUnicode CMap (bfchar and bfrange): code -> text, and the code lengths."""
    cmap = font.get("/ToUnicode")
    if not isinstance(cmap, pikepdf.Stream):
        return {}, [1]
    data = cmap.read_bytes()
    mapping: dict[bytes, str] = {}
    widths: set[int] = set()

    def tokens(block: bytes) -> list:
        return [m.group(0) if m.group(1) is None
                else bytes.fromhex(re.sub(rb"\s", b"", m.group(1)).decode())
                for m in _HEX.finditer(block)]

    for block in re.findall(rb"begincodespacerange(.*?)endcodespacerange", data, re.S):
        widths.update(len(t) for t in tokens(block) if t not in (b"[", b"]"))
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        found = tokens(block)
        for source, target in zip(found[::2], found[1::2]):
            mapping[source] = target.decode("utf-16-be", "replace")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
        found, index = tokens(block), 0
        while index + 2 < len(found):
            low, high, target = found[index:index + 3]
            index += 3
            start, end = int.from_bytes(low, "big"), int.from_bytes(high, "big")
            for offset in range(end - start + 1):
                if target == b"[":  # one target string per code, in an array
                    if index >= len(found) or found[index] == b"]":
                        break
                    text = found[index].decode("utf-16-be", "replace")
                    index += 1
                else:  # consecutive codes map to consecutive characters
                    value = int.from_bytes(target, "big") + offset
                    text = value.to_bytes(len(target), "big").decode("utf-16-be", "replace")
                mapping[(start + offset).to_bytes(len(low), "big")] = text
            if target == b"[":
                index += 1
    return mapping, sorted(widths or {2}, reverse=True)
