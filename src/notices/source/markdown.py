"""Parse the Markdown of a record's facts into :mod:`notices.source.blocks`.

Markdown is parsed by markdown-it-py (CommonMark plus GFM tables) with raw HTML
disabled, so ``<b>`` in a record prints as text. German texts need one departure from
CommonMark: the gender star in ``Bewohner*innen und Nutzer*innen`` would open and close
an emphasis. A single ``*`` between two letters is therefore always literal text.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field, replace

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline

from notices.source.blocks import (
    Block, Bold, BulletList, Code, ContentIssue, Document, Heading, Image, Inline, Italic,
    LineBreak, Link, ListItem, OrderedList, Paragraph, Preformatted, Quote, Rule, Strike,
    Table, TableCell, Text)
from notices.source.images import inspect_image
from notices.source.reading import named_file_path

LINK_SCHEMES = ("http://", "https://", "mailto:", "tel:")
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
               ".svg": "image/svg+xml"}

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
    record_path: str | None  # relative to the workspace; pictures lie beside it
    files: object | None  # a file source (notices.source.reading): DiskFiles, SuppliedFiles
    issues: list[ContentIssue] = field(default_factory=list)


def parse_markdown(source: str, *, record_path: str | None = None, files=None
                   ) -> tuple[Document, list[ContentIssue]]:
    """Parse Markdown into a :class:`Document`; return it with the warnings raised.

    Pictures are looked up through ``files`` beside ``record_path``; without them every
    picture shows its alt text.
    """
    context = _Context(record_path, files)
    env: dict = {}
    tokens = _PARSER.parse(source, env)
    blocks, _ = _parse_blocks(tokens, 0, None, context)
    if env.get(NESTED_TEXT_ENV):
        context.issues.append(ContentIssue(
            "lists or quotes nested more than nine levels deep: the deeper lines are shown "
            "as plain text", env[NESTED_TEXT_ENV][0]))
    return Document(_outline_levels(tuple(blocks))), context.issues


MAX_HEADING_LEVEL = 3  # facts are one section of a notice, not a book


def _outline_levels(blocks: tuple) -> tuple:
    """Heading levels as an outline that starts at 1 and never skips a level.

    The facts are one section of a notice: both renderers put their headings right below
    the notice's own "Sachverhalt:" (h3 to h5 in HTML, Heading 3 to 5 in Word), and a
    reader's outline (PDF/UA, ISO 14289-1 7.4.2; Word's navigation pane) must not jump
    from that h2 to h5 because a clerk wrote ``###``. So the shallowest Markdown level
    used becomes 1, deeper levels follow in their order, and a heading is at most one
    level below the heading before it: a lone ``###`` is 1; ``#``, ``###``, ``##`` are
    1, 2, 2. Levels past three are shown as three. Headings in quotes and list items
    count too, as they are read in that order.
    """
    headings: list[Heading] = []

    def collect(items) -> None:
        for block in items:
            if isinstance(block, Heading):
                headings.append(block)
            elif isinstance(block, Quote):
                collect(block.blocks)
            elif isinstance(block, (BulletList, OrderedList)):
                for item in block.items:
                    collect(item.blocks)

    collect(blocks)
    if not headings:
        return blocks
    base, previous, levels = min(h.level for h in headings), 0, {}
    for heading in headings:
        previous = min(heading.level - base + 1, previous + 1)
        levels[id(heading)] = min(previous, MAX_HEADING_LEVEL)

    def rebuild(items) -> tuple:
        out = []
        for block in items:
            if isinstance(block, Heading):
                block = replace(block, level=levels[id(block)])
            elif isinstance(block, Quote):
                block = replace(block, blocks=rebuild(block.blocks))
            elif isinstance(block, (BulletList, OrderedList)):
                block = replace(block, items=tuple(replace(item, blocks=rebuild(item.blocks))
                                                   for item in block.items))
            out.append(block)
        return tuple(out)

    return rebuild(blocks)


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
            level = int(token.tag[1])  # 1-6 as typed; _outline_levels makes the outline
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
    if context.files is None or context.record_path is None:
        return None, "cannot be resolved here"
    path = named_file_path(context.record_path, src)
    if path is None:
        return None, "is not a file beside the record"
    media_type = IMAGE_TYPES.get(posixpath.splitext(path)[1].lower())
    if media_type is None:
        return None, "is not a PNG, JPEG or SVG file"
    named = context.files.get(context.record_path, src)
    if named.problem is not None:
        return None, named.problem
    result = inspect_image(named.data, media_type)
    if isinstance(result, str):
        return None, result
    return Image(named.path, alt, media_type, named.data, *result), None


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
