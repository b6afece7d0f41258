"""Turn the Markdown of a record's facts into a small document structure.

One parse, two renderers: the Word and the HTML/PDF renderer both walk the blocks and
inline runs defined here, so both formats show the same content by construction and a
new construct is added in one place. Markdown is parsed by markdown-it-py (CommonMark
plus GFM tables) with raw HTML disabled, so ``<b>`` in a record prints as text.

German texts need one departure from CommonMark: the gender star in
``Bewohner*innen und Nutzer*innen`` would open and close an emphasis. A single ``*``
between two letters is therefore always literal text.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Union

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline

from notices.images import inspect_image

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
    """An image that lies beside the record inside ``records/`` and passed every check."""

    path: Path
    alt: str
    media_type: str  # image/png, image/jpeg or image/svg+xml
    width_px: int | None = None
    height_px: int | None = None


Inline = Union[Text, LineBreak, Bold, Italic, Strike, Code, Link, Image]

# --- blocks --------------------------------------------------------------------


@dataclass(frozen=True)
class Paragraph:
    children: tuple[Inline, ...]


@dataclass(frozen=True)
class Heading:
    level: int  # 1..3 after clamping: facts are a section of a notice, not a book
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


LINK_SCHEMES = ("http://", "https://", "mailto:", "tel:")
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
               ".svg": "image/svg+xml"}
MAX_IMAGE_BYTES = 20 * 1024 * 1024

# --- parsing -----------------------------------------------------------------------


def _gender_star(state: StateInline, silent: bool) -> bool:
    """Keep a single ``*`` between two letters as text (``Bewohner*innen``)."""
    pos = state.pos
    src = state.src
    if src[pos] != "*" or pos == 0 or pos + 1 >= state.posMax:
        return False
    before, after = src[pos - 1], src[pos + 1]
    if not (before.isalnum() and after.isalnum()):
        return False
    if not silent:
        state.pending += "*"
    state.pos += 1
    return True


def _make_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.inline.ruler.before("emphasis", "gender_star", _gender_star)
    # markdown-it drops links and images to file:, data: and javascript: URLs silently and
    # prints their source; we want every link and image to reach our own checks instead,
    # which show its text (or alt text) and warn.
    md.validateLink = lambda url: True
    _keep_deeply_nested_text(md)
    return md


NESTED_TEXT_ENV = "notices_flattened"  # lines whose nesting was too deep, in the parse env


def _keep_deeply_nested_text(md: MarkdownIt) -> None:
    """Past ``maxNesting`` (about nine list levels), keep the text as a plain paragraph.

    markdown-it guards its recursion by skipping whatever is nested deeper, silently;
    a clerk's text must never vanish, so the deeper lines become one paragraph as typed
    and the line is noted in the parse environment for a warning.
    """
    original = md.block.tokenize
    limit = md.options.maxNesting

    def tokenize(state, start_line: int, end_line: int) -> None:
        if state.level < limit:
            return original(state, start_line, end_line)
        line = start_line
        while line < end_line and (state.isEmpty(line)
                                   or state.sCount[line] >= state.blkIndent):
            line += 1
        text = state.getLines(start_line, line, state.blkIndent, False).strip()
        if text:
            opening = state.push("paragraph_open", "p", 1)
            opening.map = [start_line, line]
            inline = state.push("inline", "", 0)
            inline.content, inline.map, inline.children = text, [start_line, line], []
            state.push("paragraph_close", "p", -1)
            state.env.setdefault(NESTED_TEXT_ENV, []).append(start_line)
        state.line = line

    md.block.tokenize = tokenize


_PARSER = _make_parser()


@dataclass
class _Context:
    base_dir: Path | None  # the record's folder (resolved)
    records_root: Path | None  # the workspace's records/ (resolved)
    issues: list[ContentIssue] = field(default_factory=list)


def parse_markdown(
    source: str, *, base_dir: Path | None = None, records_root: Path | None = None
) -> tuple[Document, list[ContentIssue]]:
    """Parse Markdown into a :class:`Document`; return it with the warnings raised.

    Images are resolved against ``base_dir`` and must lie inside ``records_root`` after
    resolving symlinks; without those roots every image shows its alt text.
    """
    context = _Context(base_dir, records_root)
    env: dict = {}
    tokens = _PARSER.parse(source, env)
    blocks, _ = _parse_blocks(tokens, 0, None, context)
    if env.get(NESTED_TEXT_ENV):
        context.issues.append(ContentIssue(
            "lists or quotes nested more than nine levels deep: the deeper lines are shown "
            "as plain text", env[NESTED_TEXT_ENV][0]))
    return Document(tuple(blocks)), context.issues


def _parse_blocks(tokens, index, closing, context):
    blocks: list[Block] = []
    while index < len(tokens):
        token = tokens[index]
        kind = token.type
        if closing is not None and kind == closing:
            return blocks, index + 1
        line = token.map[0] if token.map else None
        if kind == "paragraph_open":
            children = _parse_inline(tokens[index + 1], context, line)
            blocks.append(Paragraph(children))
            index += 3
        elif kind == "heading_open":
            level = min(int(token.tag[1]), 3)
            blocks.append(Heading(level, _parse_inline(tokens[index + 1], context, line)))
            index += 3
        elif kind in ("bullet_list_open", "ordered_list_open"):
            close = kind.replace("_open", "_close")
            items, index = _parse_list_items(tokens, index + 1, close, context)
            if kind == "bullet_list_open":
                blocks.append(BulletList(tuple(items)))
            else:
                start = int(token.attrGet("start") or 1)
                blocks.append(OrderedList(tuple(items), start))
        elif kind == "table_open":
            table, index = _parse_table(tokens, index + 1, context)
            blocks.append(table)
        elif kind == "blockquote_open":
            inner, index = _parse_blocks(tokens, index + 1, "blockquote_close", context)
            blocks.append(Quote(tuple(inner)))
        elif kind in ("fence", "code_block", "html_block"):
            blocks.append(Preformatted(token.content.rstrip("\n")))
            index += 1
        elif kind == "hr":
            blocks.append(Rule())
            index += 1
        else:  # anything unforeseen: nothing to show
            index += 1
    return blocks, index


def _parse_list_items(tokens, index, closing, context):
    items: list[ListItem] = []
    while index < len(tokens) and tokens[index].type != closing:
        if tokens[index].type == "list_item_open":
            inner, index = _parse_blocks(tokens, index + 1, "list_item_close", context)
            items.append(ListItem(tuple(inner)))
        else:
            index += 1
    return items, index + 1


def _parse_table(tokens, index, context):
    header: list[TableCell] = []
    rows: list[tuple[TableCell, ...]] = []
    row: list[TableCell] = []
    in_head = False
    while tokens[index].type != "table_close":
        token = tokens[index]
        if token.type == "thead_open":
            in_head = True
        elif token.type == "thead_close":
            in_head = False
        elif token.type == "tr_open":
            row = []
        elif token.type == "tr_close":
            if in_head:
                header = row
            else:
                rows.append(tuple(row))
        elif token.type in ("th_open", "td_open"):
            style = token.attrGet("style") or ""
            align = style.split(":", 1)[1] if style.startswith("text-align:") else None
            line = tokens[index + 1].map[0] if tokens[index + 1].map else None
            row.append(TableCell(_parse_inline(tokens[index + 1], context, line), align))
            index += 2
        index += 1
    return Table(tuple(header), tuple(rows)), index + 1


def _parse_inline(token, context, line) -> tuple[Inline, ...]:
    stack: list[tuple[str, list, str | None]] = [("root", [], None)]
    children = token.children or []
    for child in children:
        kind = child.type
        top = stack[-1][1]
        if kind == "text":
            _append_text(top, child.content)
        elif kind == "softbreak":
            _append_text(top, " ")
        elif kind == "hardbreak":
            top.append(LineBreak())
        elif kind == "code_inline":
            top.append(Code(child.content))
        elif kind in ("html_inline", "html_block"):
            _append_text(top, child.content)
        elif kind in ("strong_open", "em_open", "s_open"):
            stack.append((kind, [], None))
        elif kind == "link_open":
            stack.append((kind, [], child.attrGet("href") or ""))
        elif kind in ("strong_close", "em_close", "s_close", "link_close"):
            opened, inner, href = stack.pop()
            parent = stack[-1][1]
            if opened == "strong_open":
                parent.append(Bold(tuple(inner)))
            elif opened == "em_open":
                parent.append(Italic(tuple(inner)))
            elif opened == "s_open":
                parent.append(Strike(tuple(inner)))
            else:
                parent.extend(_make_link(href, inner, context, line))
        elif kind == "image":
            top.extend(_make_image(child, context, line))
    while len(stack) > 1:  # unbalanced input: keep the text
        _, inner, _ = stack.pop()
        stack[-1][1].extend(inner)
    return tuple(stack[0][1])


def _append_text(target: list, text: str) -> None:
    if target and isinstance(target[-1], Text):
        target[-1] = Text(target[-1].text + text)
    elif text:
        target.append(Text(text))


def _make_link(href: str, inner: list, context: _Context, line) -> list:
    if href.lower().startswith(LINK_SCHEMES):
        return [Link(href, tuple(inner))]
    context.issues.append(ContentIssue(
        f"link target {_shorten(href)!r} is not a web or mail address; shown as text only",
        line))
    return inner


def _make_image(token, context: _Context, line) -> list:
    alt = "".join(c.content for c in (token.children or []) if c.type in ("text", "code_inline"))
    src = token.attrGet("src") or ""
    image, reason = _resolve_image(src, alt, context)
    if image is not None:
        return [image]
    context.issues.append(ContentIssue(f"image {_shorten(src)!r} {reason}; shown as its alt text",
                                       line))
    return [Text(alt)] if alt else []


def _resolve_image(src: str, alt: str, context: _Context):
    from urllib.parse import unquote, urlsplit

    if context.base_dir is None or context.records_root is None:
        return None, "cannot be resolved here"
    parts = urlsplit(src)
    if parts.scheme or parts.netloc or src.startswith(("/", "\\")):
        return None, "is not a file beside the record"
    relative = unquote(parts.path)
    if not relative:
        return None, "has no file name"
    candidate = context.base_dir / relative
    try:
        resolved = Path(os.path.realpath(candidate))
    except (OSError, ValueError):
        return None, "cannot be resolved"
    if not resolved.is_relative_to(context.records_root):
        return None, "lies outside records/"
    media_type = IMAGE_TYPES.get(resolved.suffix.lower())
    if media_type is None:
        return None, "is not a PNG, JPEG or SVG file"
    try:
        if not resolved.is_file():
            return None, "does not exist"
        if resolved.stat().st_size > MAX_IMAGE_BYTES:
            return None, f"is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB"
    except OSError as error:
        return None, f"cannot be read ({error.strerror})"
    result = inspect_image(resolved, media_type)
    if isinstance(result, str):
        return None, result
    return Image(resolved, alt, media_type, *result), None


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
