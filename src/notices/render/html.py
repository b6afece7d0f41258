"""Render a notice to HTML: the facts' blocks to markup, then the Jinja2 template.

The HTML is the input of the PDF renderer; it is also useful on its own for previews.
Every piece of record text passes through ``markupsafe.escape``: record text is data,
never markup and never template source.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from notices.source import blocks as c


def documents_to_html(documents, table_widths: dict[int, list[float]] | None = None
                      ) -> list[Markup]:
    """Each Markdown value of a paper as safe HTML, one element per block.

    Tables are numbered across the documents in order (``data-table``), as
    :func:`notices.source.blocks.tables` walks them; ``table_widths`` gives some of them
    fixed column widths in per cent (see the PDF renderer's overflow check), for tables
    whose longest words cannot stand side by side.
    """
    tables = _Tables(table_widths or {})
    return [Markup("\n").join(_block(b, tables) for b in document.blocks)
            for document in documents]


def facts_to_html(document: c.Document, table_widths: dict[int, list[float]] | None = None
                  ) -> Markup:
    """One Markdown document as safe HTML (a paper's facts, say)."""
    return documents_to_html([document], table_widths)[0]


class _Tables:
    def __init__(self, widths: dict[int, list[float]]):
        self.widths = widths
        self.count = 0

    def next(self) -> int:
        self.count += 1
        return self.count - 1


def _block(block, tables: _Tables) -> Markup:
    if isinstance(block, c.Paragraph):
        return Markup("<p>{}</p>").format(_inlines(block.children))
    if isinstance(block, c.Heading):
        # h1/h2 belong to the notice itself; the facts' outline (levels 1-3 that never
        # skip one, see markdown._outline_levels) goes on below them, from h3.
        level = block.level + 2
        return Markup("<h{0} class=\"facts-heading\">{1}</h{0}>").format(
            level, _inlines(block.children))
    if isinstance(block, c.BulletList):
        return Markup("<ul>{}</ul>").format(
            Markup("").join(_item(i, tables) for i in block.items))
    if isinstance(block, c.OrderedList):
        # WeasyPrint ignores the start attribute; the counter-reset says the same to it.
        start = Markup(f' start="{int(block.start)}" style="counter-reset: list-item '
                       f'{int(block.start) - 1}"') if block.start != 1 else Markup("")
        return Markup("<ol{}>{}</ol>").format(
            start, Markup("").join(_item(i, tables) for i in block.items))
    if isinstance(block, c.Table):
        return _table(block, tables)
    if isinstance(block, c.Quote):
        return Markup("<blockquote>{}</blockquote>").format(
            Markup("\n").join(_block(b, tables) for b in block.blocks))
    if isinstance(block, c.Preformatted):
        return Markup("<pre>{}</pre>").format(block.text)
    if isinstance(block, c.Rule):
        return Markup("<hr>")
    raise TypeError(f"unknown block {block!r}")  # pragma: no cover - content.py owns the set


def _item(item: c.ListItem, tables: _Tables) -> Markup:
    # A tight list item holds one paragraph; print it without <p> so spacing stays tight.
    if len(item.blocks) == 1 and isinstance(item.blocks[0], c.Paragraph):
        return Markup("<li>{}</li>").format(_inlines(item.blocks[0].children))
    return Markup("<li>{}</li>").format(Markup("").join(_block(b, tables) for b in item.blocks))


def _table(table: c.Table, tables: _Tables) -> Markup:
    number = tables.next()
    widths = tables.widths.get(number)
    # Fixed widths come with breaks anywhere in a word: the columns are too narrow for
    # some words, and a word that does not fit would otherwise be cut off at the page edge.
    tight = Markup(' style="overflow-wrap: anywhere"') if widths else Markup("")

    def cell(tag: str, cell: c.TableCell) -> Markup:
        cls = Markup(f' class="align-{cell.align}"') if cell.align in (
            "left", "center", "right") else Markup("")
        return Markup("<{0}{1}{2}>{3}</{0}>").format(tag, cls, tight, _inlines(cell.children))

    head = Markup("").join(cell("th", x) for x in table.header)
    rows = Markup("").join(
        Markup("<tr>{}</tr>").format(Markup("").join(cell("td", x) for x in row))
        for row in table.rows)
    style = columns = Markup("")
    if widths:
        style = Markup(' style="table-layout: fixed"')
        columns = Markup("<colgroup>{}</colgroup>").format(
            Markup("").join(Markup(f'<col style="width: {w:.2f}%">') for w in widths))
    return Markup('<table data-table="{}"{}>{}<thead><tr>{}</tr></thead><tbody>{}</tbody>'
                  "</table>").format(number, style, columns, head, rows)


def _inlines(children) -> Markup:
    return Markup("").join(_inline(child) for child in children)


NO_BREAK_HYPHEN = "\u2011"
_NO_BREAK_WORD = re.compile(f"\\S*{NO_BREAK_HYPHEN}\\S*")


def _text(text: str) -> Markup:
    """Escaped text; a word with a non-breaking hyphen is kept on one line.

    The bundled font lacks U+2011, so it is drawn as U+2010 (the same glyph) and the
    word is wrapped in ``white-space: nowrap`` to keep the promise of not breaking.
    """
    if NO_BREAK_HYPHEN not in text:
        return escape(text)
    parts, position = [], 0
    for match in _NO_BREAK_WORD.finditer(text):
        parts.append(escape(text[position:match.start()]))
        parts.append(Markup('<span style="white-space: nowrap">{}</span>').format(
            match.group(0).replace(NO_BREAK_HYPHEN, "\u2010")))
        position = match.end()
    parts.append(escape(text[position:]))
    return Markup("").join(parts)


def _inline(child) -> Markup:
    if isinstance(child, c.Text):
        return _text(child.text)
    if isinstance(child, c.LineBreak):
        return Markup("<br>")
    if isinstance(child, c.Bold):
        return Markup("<strong>{}</strong>").format(_inlines(child.children))
    if isinstance(child, c.Italic):
        return Markup("<em>{}</em>").format(_inlines(child.children))
    if isinstance(child, c.Strike):
        return Markup("<del>{}</del>").format(_inlines(child.children))
    if isinstance(child, c.Code):
        return Markup("<code>{}</code>").format(child.text)
    if isinstance(child, c.Link):
        return Markup('<a href="{}">{}</a>').format(child.href, _inlines(child.children))
    if isinstance(child, c.Image):
        return Markup('<img src="{}" alt="{}">').format(child.url, child.alt)
    raise TypeError(f"unknown inline {child!r}")  # pragma: no cover
