"""What the bundled fonts can draw, so that a missing character is a warning, not a box.

Only the bundled fonts reach a PDF (see :mod:`notices.render.runtime`), so a character
they lack would print as an empty box. The characters they cover are known here, and a
record using others gets a warning naming the field and the characters.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

# Characters the PDF draws with another glyph that looks the same: Word puts the
# non-breaking hyphen (U+2011) into text that clerks paste, and Liberation Sans has only
# the plain hyphen (U+2010). render_html keeps the word unbroken.
STAND_INS = {0x2011: 0x2010}


_COVERED: dict[str, frozenset[int]] = {}


def covered_characters(templates) -> frozenset[int]:
    """Code points that at least one font of the templates (``fonts/``) can draw."""
    key = templates.digest
    if key in _COVERED:
        return _COVERED[key]
    fonts = templates.font_files()
    import io

    from fontTools.ttLib import TTFont

    covered: set[int] = set()
    for name in sorted(fonts):
        try:
            with TTFont(io.BytesIO(fonts[name]), lazy=True) as font:
                covered.update(font.getBestCmap() or {})
        except Exception as error:  # a broken font file must not stop the build
            log.warning("cannot read font %s: %s", name, error)
    covered.update(code for code, stand_in in STAND_INS.items() if stand_in in covered)
    _COVERED[key] = frozenset(covered)
    return _COVERED[key]


# Characters that need no glyph: controls that survived cleaning, format characters
# and spaces that Pango handles itself.
_INVISIBLE = {0x09, 0x0A, 0x0D, 0xAD, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF}


def missing_characters(text: str, covered: frozenset[int]) -> list[str]:
    """The distinct characters of ``text`` that no bundled font covers, in order."""
    if not covered:
        return []
    seen: dict[str, None] = {}
    for char in text:
        code = ord(char)
        if code < 0x80 or code in _INVISIBLE or code in covered:
            continue
        if 0x300 <= code <= 0x36F or 0xFE00 <= code <= 0xFE0F:  # marks and selectors
            continue
        seen.setdefault(char, None)
    return list(seen)


def fast_subsetter_available() -> bool:
    """Whether HarfBuzz's subsetter (libharfbuzz-subset0) is there for WeasyPrint to use.

    Lives here, not beside the PDF renderer, so that asking does not import WeasyPrint
    (a second of start-up that a build with nothing to render should not pay).
    """
    import ctypes.util

    return ctypes.util.find_library("harfbuzz-subset") is not None
