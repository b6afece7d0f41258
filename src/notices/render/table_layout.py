"""Column widths of a facts table, by CSS 2.1's automatic table layout, from font metrics.

Word gets fixed column widths (so Word and LibreOffice show a table as written, without
recomputing it on opening), and the PDF needs them when a table's longest words do not
fit side by side, which WeasyPrint's own automatic layout answers by running off the
page. Both use this one measurement: Liberation Sans advance widths (metric-compatible
with Arial, the font Word substitutes for it), bold in the header row.
"""

from __future__ import annotations

import functools
import logging

from notices.source import blocks as c
from notices.render.runtime import PACKAGE_FONTS

log = logging.getLogger(__name__)


def column_widths(table: c.Table, columns: int, total: int, *, font_size: int,
                  margins: int, safety_percent: int = 0,
                  unbroken: frozenset[int] = frozenset()) -> list[int]:
    """Column widths (twips) summing to ``total``: CSS 2.1's automatic table layout.

    In Word the table has a fixed layout (so Word and LibreOffice show it as written,
    without recomputing it on opening), so the widths must be good ones. Each column has a
    minimum (its longest word) and a maximum (its longest cell on one line). If the
    maximums fit, they are widened in proportion to the text width; otherwise every column
    gets its minimum and the rest of the width goes to the columns in proportion to how
    much they would still like (maximum - minimum). Only when even the minimums do not fit
    must words break, and then only the longest: columns are cut down to a common limit,
    so that a column of ordinary words keeps them whole beside an IBAN or a long address.
    ``unbroken`` columns keep every line whole.
    """
    minimum, maximum = _extents(table, columns, font_size=font_size, margins=margins)
    minimum = _unbroken(minimum, maximum, unbroken)
    # ``safety_percent``: where there is room, the longest words get that much more, in
    # case the reader draws the text in a wider font than Arial (LibreOffice without
    # Liberation Sans takes DejaVu Sans, up to a fifth wider in bold).
    words = sum(least - margins for least in minimum)
    if safety_percent and words and sum(minimum) < total:
        percent = min(safety_percent, (total - sum(minimum)) * 100 // words)
        minimum = [least + (least - margins) * percent // 100 for least in minimum]
        maximum = [max(most, least) for most, least in zip(maximum, minimum)]
    if sum(maximum) <= total:
        widths = [total * width // sum(maximum) for width in maximum]
    elif sum(minimum) <= total:
        spare = total - sum(minimum)
        wanted = [most - least for least, most in zip(minimum, maximum)]
        widths = [least + spare * want // sum(wanted) for least, want in zip(minimum, wanted)]
    else:
        widths = cut_down(minimum, total)
    widths[-1] += total - sum(widths)
    return widths


def minimum_widths(table: c.Table, columns: int, *, font_size: int, margins: int,
                   unbroken: frozenset[int] = frozenset()) -> list[int]:
    """Per column, the narrowest it may be (twips, with margins): its longest word, or
    for an ``unbroken`` column its longest line."""
    minimum, maximum = _extents(table, columns, font_size=font_size, margins=margins)
    return _unbroken(minimum, maximum, unbroken)


def _unbroken(minimum: list[int], maximum: list[int], unbroken: frozenset[int]) -> list[int]:
    # Columns whose lines are looked up rather than read ("Ö 10.1", "4401/2020-2025")
    # are never broken: their narrowest is their longest line.
    return [most if column in unbroken else least
            for column, (least, most) in enumerate(zip(minimum, maximum))]


def words_fit(table: c.Table, total: int = 9355, *, font_size: int = 20,
              margins: int = 216) -> bool:
    """Whether a table's longest words fit side by side in ``total`` twips.

    The defaults are the A4 text width and Word's table text and cell margins, the
    narrower of the two formats: a table that fits there fits in the PDF too.
    """
    minimum, _ = _extents(table, column_count(table), font_size=font_size, margins=margins)
    return sum(minimum) <= total


def column_count(table: c.Table) -> int:
    """The columns of a table: its widest row's (a row may have more cells than the header)."""
    return max([len(table.header)] + [len(row) for row in table.rows] + [1])


def _extents(table: c.Table, columns: int, *, font_size: int, margins: int
             ) -> tuple[list[int], list[int]]:
    """Per column, the widths (twips, with margins) of its longest word and longest line."""
    minimum = [margins] * columns
    maximum = [margins] * columns
    for index, row in enumerate((table.header,) + table.rows):
        for column, cell in enumerate(row[:columns]):
            # The table style sets the header row in bold (tblStylePr firstRow).
            least, most = _cell_extent(cell.children, bold=index == 0, size=font_size)
            minimum[column] = max(minimum[column], least + margins)
            maximum[column] = max(maximum[column], most + margins)
    return minimum, maximum


def cut_down(minimum: list[int], total: int) -> list[int]:
    """``minimum`` with the largest values lowered to one limit, so that they sum to ``total``."""
    remaining, count = total, len(minimum)
    for width in sorted(minimum):
        if width * count > remaining:
            break
        remaining -= width
        count -= 1
    limit = max(remaining // max(count, 1), 1)
    return [min(width, limit) for width in minimum]


def _cell_extent(children, *, bold: bool, size: int) -> tuple[int, int]:
    """The widths (twips) of a cell's longest word and of its longest line, without margins."""
    least = most = 0
    for line in _cell_lines(children, ("b",) if bold else ()):
        line_width = word = 0
        for position, (char, props) in enumerate(line):
            if isinstance(char, int):
                # A picture is scaled down to fit its cell, but not below an inch.
                line_width += char
                least = max(least, min(char, _PICTURE_MIN_TWIPS))
                word = 0
                continue
            if char == "\u00ad":  # a soft hyphen shows as a hyphen where the word breaks
                least = max(least, word + _char_twips("-", props, size))
                word = 0
                continue
            width = _char_twips(char, props, size)
            line_width += width
            if char.isspace() and char not in _NO_BREAK:
                word = 0
                continue
            word += width
            least = max(least, word)
            following = line[position + 1][0] if position + 1 < len(line) else ""
            if char in _BREAK_AFTER and not (isinstance(following, str)
                                              and following.isdigit()):
                word = 0
        most = max(most, line_width)
    # A point to spare for rounding in Word and LibreOffice.
    return least + _SPARE_TWIPS, most + _SPARE_TWIPS


def _cell_lines(children, props: tuple[str, ...]) -> list[list[tuple[str | int, tuple]]]:
    """The characters of a cell with their formatting, as lines (pictures as their width)."""
    lines: list[list[tuple[str | int, tuple]]] = [[]]

    def walk(children, props) -> None:
        for child in children:
            if isinstance(child, (c.Text, c.Code)):
                extra = ("code",) if isinstance(child, c.Code) else ()
                for char in child.text:
                    if char == "\n":
                        lines.append([])
                    else:
                        lines[-1].append((char, props + extra))
            elif isinstance(child, c.LineBreak):
                lines.append([])
            elif isinstance(child, c.Bold):
                walk(child.children, props + ("b",))
            elif isinstance(child, c.Italic):
                walk(child.children, props + ("i",))
            elif isinstance(child, (c.Strike, c.Link)):
                walk(child.children, props)
            elif isinstance(child, c.Image):
                lines[-1].append(((child.width_px or 400) * _TWIPS_PER_PX, props))

    walk(children, props)
    return lines


def _char_twips(char: str, props: tuple, size: int) -> int:
    """The advance width of a character in twips (``size`` in half-points), rounded up."""
    if char == "\t":
        return _TAB_TWIPS
    if char in _ZERO_WIDTH:
        return 0
    if char == "\u2011":  # Word draws a non-breaking hyphen as a hyphen
        char = "-"
    if "code" in props:  # Inline Code is Courier New: 1229/2048 em for every character
        return -(-1229 * size * 10 // 2048)
    units_per_em, advances = _font_metrics()["b" in props, "i" in props]
    advance = advances.get(ord(char))
    if advance is None:
        advance = advances.get(ord("M"), units_per_em)  # a wide guess for the unknown
    # twips = units / units_per_em * size / 2 pt * 20 twips per pt
    return -(-advance * size * 10 // units_per_em)


@functools.lru_cache(maxsize=1)
def _font_metrics() -> dict[tuple[bool, bool], tuple[int, dict[int, int]]]:
    """Advance widths of Liberation Sans (metric-compatible with Arial), by (bold, italic).

    Read from the fonts bundled with the package; without them, an average width per
    character, which wraps text a little earlier than needed but never breaks a word.
    """
    faces = {(False, False): "Regular", (True, False): "Bold", (False, True): "Italic",
             (True, True): "BoldItalic"}
    metrics = {}
    try:
        from fontTools.ttLib import TTFont

        for key, face in faces.items():
            with TTFont(PACKAGE_FONTS / f"LiberationSans-{face}.ttf", lazy=True) as font:
                widths = font["hmtx"].metrics
                metrics[key] = (font["head"].unitsPerEm,
                                {code: widths[name][0]
                                 for code, name in font.getBestCmap().items()})
    except Exception as error:  # a missing or broken font must not stop the build
        log.warning("cannot read the metrics of Liberation Sans (%s); table columns are "
                    "estimated", error)
        return {key: (1000, {ord("M"): 640 if key[0] else 600}) for key in faces}
    return metrics


_TWIPS_PER_PX = 15  # at 96 px per inch
_PICTURE_MIN_TWIPS = 1440
_TAB_TWIPS = 709  # Word's default tab stop, 1.25 cm
_SPARE_TWIPS = 20
# Where Word and LibreOffice may break a word besides spaces: after a hyphen, a dash or a
# slash (in URLs), unless a digit follows ("2024-2025", "03/2024" stay whole, UAX #14).
_BREAK_AFTER = frozenset("-\u2010\u2012\u2013\u2014/\u200b")
_NO_BREAK = frozenset("\u00a0\u2007\u202f")
_ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff")
