"""Bundled fonts: keep the machine's fonts out of the PDF and know what our fonts cover.

Output must not depend on the fonts a machine happens to have, or the same record would
give different PDFs on the clerk's laptop and on the archive server, and a character
missing from our fonts would be drawn from some system font or as an empty box. So
Fontconfig is pointed at a configuration that knows only the fonts bundled with the
package (WeasyPrint adds the template's ``@font-face`` fonts on top), and the characters
that the bundled fonts cover are known, so a record using others gets a warning naming
the field and the characters instead of a silent box.
"""

from __future__ import annotations

import functools
import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

PACKAGE_FONTS = Path(__file__).parent / "skeleton" / "templates" / "fonts"
FONT_SUFFIXES = (".ttf", ".otf")


def isolate_fontconfig() -> None:
    """Point Fontconfig at the bundled fonts only; call before WeasyPrint is imported.

    Respects an explicit ``NOTICES_SYSTEM_FONTS=1`` (for debugging a template with
    system fonts) and never overrides a config the process already chose for us.
    """
    if os.environ.get("NOTICES_SYSTEM_FONTS") == "1" or os.environ.get("_NOTICES_FC_SET"):
        return
    folder = Path(tempfile.gettempdir()) / f"notices-fontconfig-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    config = folder / "fonts.conf"
    text = (
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        f"  <dir>{_xml_escape(str(PACKAGE_FONTS.resolve()))}</dir>\n"
        f"  <cachedir>{_xml_escape(str(folder / 'cache'))}</cachedir>\n"
        "</fontconfig>\n")
    if not config.exists() or config.read_text() != text:
        temporary = config.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(text)
        os.replace(temporary, config)
    os.environ["FONTCONFIG_FILE"] = str(config)
    os.environ["_NOTICES_FC_SET"] = "1"


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# Characters the PDF draws with another glyph that looks the same: Word puts the
# non-breaking hyphen (U+2011) into text that clerks paste, and Liberation Sans has only
# the plain hyphen (U+2010). render_html keeps the word unbroken.
STAND_INS = {0x2011: 0x2010}


@functools.lru_cache(maxsize=8)
def covered_characters(fonts_dir: Path) -> frozenset[int]:
    """Code points that at least one font in ``fonts_dir`` can draw."""
    from fontTools.ttLib import TTFont

    covered: set[int] = set()
    for path in sorted(fonts_dir.glob("*")):
        if path.suffix.lower() not in FONT_SUFFIXES:
            continue
        try:
            with TTFont(path, lazy=True) as font:
                covered.update(font.getBestCmap() or {})
        except Exception as error:  # a broken font file must not stop the build
            log.warning("cannot read font %s: %s", path.name, error)
    covered.update(code for code, stand_in in STAND_INS.items() if stand_in in covered)
    return frozenset(covered)



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
