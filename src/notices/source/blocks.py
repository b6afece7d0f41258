"""The facts of a record as a small document structure: blocks and inline runs.

One parse, two renderers: the Word and the HTML/PDF renderer both walk the blocks and
inline runs defined here, so both formats show the same content by construction and a
new construct is added in one place (here, in :mod:`notices.source.markdown`, and in
each renderer). The walkers at the end serve checks and metadata.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

# --- inline runs -------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class LineBreak:
    """A hard line break inside a paragraph (two spaces or a backslash at line end)."""


@dataclass(frozen=True)
class Bold:
    children: tuple[Inline, ...]


@dataclass(frozen=True)
class Italic:
    children: tuple[Inline, ...]


@dataclass(frozen=True)
class Strike:
    children: tuple[Inline, ...]


@dataclass(frozen=True)
class Code:
    text: str


@dataclass(frozen=True)
class Link:
    """A clickable link; only web and mail addresses become links (see ``LINK_SCHEMES``)."""

    href: str
    children: tuple[Inline, ...]


@dataclass(frozen=True)
class Image:
    """A picture that lies beside the record inside ``records/`` and passed every check.

    It carries its bytes: renderers never read the file again, so the picture in the
    outputs is the one whose digest is in their key (and a worker needs no file system).
    """

    path: str  # relative to the workspace: records/2023/plan.svg
    alt: str
    media_type: str  # image/png, image/jpeg or image/svg+xml
    data: bytes = b""
    width_px: int | None = None
    height_px: int | None = None

    @property
    def url(self) -> str:
        """The address under which the PDF renderer's fetcher serves the bytes."""
        from urllib.parse import quote

        return f"file:///notices-record-files/{quote(self.path)}"


Inline = Union[Text, LineBreak, Bold, Italic, Strike, Code, Link, Image]

# --- blocks --------------------------------------------------------------------


@dataclass(frozen=True)
class Paragraph:
    children: tuple[Inline, ...]


@dataclass(frozen=True)
class Heading:
    level: int  # 1..3, an outline that never skips a level (markdown._outline_levels)
    children: tuple[Inline, ...]


@dataclass(frozen=True)
class ListItem:
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class BulletList:
    items: tuple[ListItem, ...]


@dataclass(frozen=True)
class OrderedList:
    items: tuple[ListItem, ...]
    start: int = 1


@dataclass(frozen=True)
class TableCell:
    children: tuple[Inline, ...]
    align: str | None = None  # "left", "center", "right"


@dataclass(frozen=True)
class Table:
    header: tuple[TableCell, ...]
    rows: tuple[tuple[TableCell, ...], ...]


@dataclass(frozen=True)
class Rule:
    """A thematic break (``---`` or ``***`` on a line of its own): a horizontal line."""


@dataclass(frozen=True)
class Quote:
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Preformatted:
    text: str


Block = Union[Paragraph, Heading, BulletList, OrderedList, Table, Quote, Preformatted, Rule]


@dataclass(frozen=True)
class Document:
    """The facts of a notice as blocks, plus the images they use (for hashing and copying)."""

    blocks: tuple[Block, ...]

    @property
    def images(self) -> tuple[Image, ...]:
        return tuple(_walk_images(self.blocks))


@dataclass(frozen=True)
class ContentIssue:
    """A warning raised while converting Markdown; ``line`` is 0-based within the text."""

    message: str
    line: int | None = None


def tables(blocks):
    """The tables among ``blocks`` (also in lists and quotes), in document order."""
    for block in blocks:
        if isinstance(block, Table):
            yield block
        elif isinstance(block, (BulletList, OrderedList)):
            for item in block.items:
                yield from tables(item.blocks)
        elif isinstance(block, Quote):
            yield from tables(block.blocks)


def _walk_images(blocks):
    for block in blocks:
        if isinstance(block, (Paragraph, Heading)):
            yield from _inline_images(block.children)
        elif isinstance(block, (BulletList, OrderedList)):
            for item in block.items:
                yield from _walk_images(item.blocks)
        elif isinstance(block, Quote):
            yield from _walk_images(block.blocks)
        elif isinstance(block, Table):
            for cell in block.header + tuple(c for row in block.rows for c in row):
                yield from _inline_images(cell.children)


def _inline_images(children):
    for child in children:
        if isinstance(child, Image):
            yield child
        elif isinstance(child, (Bold, Italic, Strike, Link)):
            yield from _inline_images(child.children)


def plain_text(children) -> str:
    """The visible text of inline runs, for titles, bookmarks and search."""
    out: list[str] = []
    for child in children:
        if isinstance(child, Text):
            out.append(child.text)
        elif isinstance(child, Code):
            out.append(child.text)
        elif isinstance(child, LineBreak):
            out.append(" ")
        elif isinstance(child, Image):
            out.append(child.alt)
        elif isinstance(child, (Bold, Italic, Strike, Link)):
            out.append(plain_text(child.children))
    return "".join(out)


def document_text(document: Document) -> str:
    """All visible text of the facts, one block per line (for font coverage checks)."""
    lines: list[str] = []

    def walk(blocks) -> None:
        for block in blocks:
            if isinstance(block, (Paragraph, Heading)):
                lines.append(plain_text(block.children))
            elif isinstance(block, (BulletList, OrderedList)):
                for item in block.items:
                    walk(item.blocks)
            elif isinstance(block, Quote):
                walk(block.blocks)
            elif isinstance(block, Preformatted):
                lines.append(block.text)
            elif isinstance(block, Table):
                for row in (block.header,) + block.rows:
                    lines.append(" ".join(plain_text(cell.children) for cell in row))

    walk(document.blocks)
    return "\n".join(lines)
