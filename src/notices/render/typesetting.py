"""Keep together at line ends what a reader must not find split: ``96 Mio. €``, ``§ 24``.

The rules insert no-break spaces (U+00A0) into the text both renderers print: the
blocks of every Markdown value, the paper's other text fields and its subject. They run
once per render, on a copy of the paper (:func:`typeset`), so the record and everything
read from it (messages, keys, metadata of the Word file) keep the text as typed. Word
and WeasyPrint both honour U+00A0, and it has the width of a space.

The rules, in German usage (DIN 5008 and the Duden's), each keeping one space:

- a number and its unit or currency: ``2,25 m``, ``240 m²``, ``95,00 €``, ``4 %``,
  ``50 km/h``, ``18 Uhr``; a magnitude joins both: ``96 Mio. €``, ``1,2 Mrd. Euro``;
- a sign or abbreviation and the number it introduces: ``§ 24``, ``§§ 3``, ``Abs. 2``,
  ``Art. 3``, ``Nr. 312``, ``S. 12``, ``Ziff. 4``, ``Satz 2``, ``Anlage 1``, ``TOP 5.1``;
- abbreviations of several letters: ``z. B.``, ``d. h.``, ``i. d. R.``;
- a day and its month: ``13. März``; a title and a name: ``Dr. Hartmann``;
- a short quoted name (at most three words, 30 characters): ``„Am Hof“``, ``»Am Hof«``.
"""

from __future__ import annotations

import dataclasses
import re

from notices.source import blocks as c

NO_BREAK_SPACE = "\u00a0"

_UNITS = (r"Mio\.|Mrd\.|Tsd\.|Millionen|Milliarden|€|EUR|Euro|Cent|ct|%|‰|Prozent|"
          r"km²|km/h|km|m²|m³|m|cm|mm|qm|ha|kg|g|t|l|h|min|s|Std\.|Uhr|°C|kWh|kW|MW|dB")
_MONTHS = "Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember"
# Each rule: (what stays before the space) spaces (what must follow on the same line).
_RULES = [re.compile(rule) for rule in (
    # A number (2,25; 1.200.000; 18:30) and its unit; the unit is a word of its own.
    rf"(\d) +(?=(?:{_UNITS})(?!\w))",
    # A magnitude and its currency: 96 Mio. €
    r"(?<!\w)(Mio\.|Mrd\.|Tsd\.|Millionen|Milliarden) +(?=(?:€|EUR|Euro)(?!\w))",
    # A sign or abbreviation and its number: § 24, Abs. 2, Nr. 312, TOP 5.1
    r"(§|(?<!\w)(?:Abs|Art|Nr|Ziff|Kap|Bd|Pos|S)\.|(?<!\w)(?:Satz|Anlage|TOP)) +(?=\d)",
    # Abbreviations of several letters: z. B., d. h., i. d. R.
    r"((?<!\w)\w\.) +(?=\w\.(?!\w))",
    # A day and its month: 13. März
    rf"((?<![\d.])\d\d?\.) +(?=(?:{_MONTHS})(?!\w))",
    # A title and a name: Dr. Hartmann
    r"((?<!\w)(?:Dr|Prof)\.) +(?=\w)",
)]
_QUOTED = re.compile(r"„[^„“\n]{1,30}“|»[^»«\n]{1,30}«")


def keep_together(text: str) -> str:
    """``text`` with no-break spaces where a line must not end (the rules above)."""
    if " " not in text:
        return text
    for rule in _RULES:
        text = rule.sub(rf"\1{NO_BREAK_SPACE}", text)
    return _QUOTED.sub(_short_quote, text)


def _short_quote(match: re.Match) -> str:
    quoted = match.group(0)
    return quoted.replace(" ", NO_BREAK_SPACE) if quoted.count(" ") <= 2 else quoted


def typeset(notice):
    """A copy of ``notice`` whose printed text keeps together what :func:`keep_together` says.

    Its Markdown values (``documents``, and the same objects among ``fields``, which the
    templates receive by identity) become new documents; plain text fields and the
    subject get the rules too. Code keeps its characters exactly.
    """
    documents = {id(document): c.Document(_blocks(document.blocks))
                 for document in notice.documents}
    return dataclasses.replace(
        notice, subject=keep_together(notice.subject),
        documents=tuple(documents[id(document)] for document in notice.documents),
        fields=_value(notice.fields, documents))


def _value(value, documents: dict):
    if id(value) in documents:
        return documents[id(value)]
    if isinstance(value, str):
        return keep_together(value)
    if isinstance(value, tuple):
        return tuple(_value(item, documents) for item in value)
    if isinstance(value, dict):
        return {key: _value(item, documents) for key, item in value.items()}
    return value  # dates, numbers, yes/no


def _blocks(blocks) -> tuple:
    return tuple(_block(block) for block in blocks)


def _block(block):
    if isinstance(block, (c.Paragraph, c.Heading)):
        return dataclasses.replace(block, children=_inlines(block.children))
    if isinstance(block, (c.BulletList, c.OrderedList)):
        return dataclasses.replace(block, items=tuple(
            c.ListItem(_blocks(item.blocks)) for item in block.items))
    if isinstance(block, c.Quote):
        return c.Quote(_blocks(block.blocks))
    if isinstance(block, c.Table):
        return c.Table(_cells(block.header), tuple(_cells(row) for row in block.rows))
    return block  # preformatted text and rules print exactly as typed


def _cells(row) -> tuple:
    return tuple(dataclasses.replace(cell, children=_inlines(cell.children)) for cell in row)


def _inlines(children) -> tuple:
    return tuple(_inline(child) for child in children)


def _inline(child):
    if isinstance(child, c.Text):
        return c.Text(keep_together(child.text))
    if isinstance(child, (c.Bold, c.Italic, c.Strike, c.Link)):
        return dataclasses.replace(child, children=_inlines(child.children))
    return child  # code, line breaks and pictures
