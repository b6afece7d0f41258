"""Draw an SVG picture as the PNG that Word files show where SVG cannot be drawn.

A Word file shows an SVG through the ``svgBlip`` extension of the picture's ``a:blip``,
which only Word 2016 and later read; LibreOffice and older Word show the bitmap the
``a:blip`` itself names. That bitmap is the SVG drawn at print resolution (300 dpi at the
size the picture is placed at, capped at 4000 pixels a side and 12 megapixels).

The renderer is resvg (the ``resvg_py`` wheel, pinned exactly in pyproject.toml: a new
version may move pixels, and outputs must stay byte-reproducible). It is one binary
wheel without system libraries, it never reads the machine's fonts when told not to and
takes the fonts it may use as files, and it holds no process-wide state (unlike anything
built on Fontconfig, which WeasyPrint's set-up in runtime.py already owns). The fonts
are the template set's ``fonts/``, from memory: a render worker may have no shared file
system, so they are written once per process into a private temporary folder
(``tempfile`` lives in runtime.py's private per-process folder).

resvg would read a local file named by ``<image href>``; every SVG is therefore checked
again with the rules of :func:`notices.source.images.safe_svg` before it is drawn, and
resvg gets the re-serialised text, never a path.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import os
import shutil
import tempfile

from lxml import etree

from notices.source.images import safe_svg

DPI = 300
MAX_SIDE = 4000  # pixels on the longer side
MAX_PIXELS = 12_000_000  # 48 MB of RGBA while drawing; a whole A4 page at 300 dpi is 8.7 MP
EMU_PER_INCH = 914400
# Every family an SVG names, generic or not, is drawn in the bundled Liberation Sans
# (metric-compatible with Arial); glyphs it lacks come from the other fonts given.
FAMILY = "Liberation Sans"


class SvgRasterError(ValueError):
    """The SVG cannot, or may not, be drawn."""


def raster_size(cx_emu: int, cy_emu: int) -> tuple[int, int]:
    """Pixels for a picture placed at ``cx_emu`` x ``cy_emu``: 300 dpi, within the caps."""
    width, height = cx_emu / EMU_PER_INCH * DPI, cy_emu / EMU_PER_INCH * DPI
    scale = min(1.0, MAX_SIDE / max(width, height, 1),
                (MAX_PIXELS / max(width * height, 1)) ** 0.5)
    return max(1, round(width * scale)), max(1, round(height * scale))


class SvgRasterizer:
    """Draws SVG pictures as PNG with the given fonts (``fonts/NAME`` -> bytes) only."""

    def __init__(self, fonts: dict[str, bytes]):
        self._fonts = {name: fonts[name] for name in sorted(fonts)}
        self._digest = hashlib.sha256(b"".join(
            hashlib.sha256(name.encode() + b"\0" + data).digest()
            for name, data in self._fonts.items())).hexdigest()

    def png(self, svg: bytes, width_px: int, height_px: int) -> bytes:
        """The SVG fitted into ``width_px`` x ``height_px`` pixels, as PNG bytes.

        Raises :class:`SvgRasterError` for an SVG that is refused or that resvg cannot
        draw, and for a size outside the caps.
        """
        if not (0 < width_px <= MAX_SIDE and 0 < height_px <= MAX_SIDE
                and width_px * height_px <= MAX_PIXELS):
            raise SvgRasterError(f"{width_px}x{height_px} pixels is more than the fallback "
                                 f"may have ({MAX_SIDE} a side, {MAX_PIXELS:,} in all)")
        root = safe_svg(svg)
        if isinstance(root, str):
            raise SvgRasterError(root)
        text = etree.tostring(root, encoding="unicode")  # resvg reads UTF-8 text only
        return _draw(text, width_px, height_px, _font_files(self._digest, self._fonts))


@functools.lru_cache(maxsize=32)
def _draw(text: str, width: int, height: int, font_files: tuple[str, ...]) -> bytes:
    # A session packet renders its notices again: a picture is drawn once per process.
    import resvg_py

    try:
        return bytes(resvg_py.svg_to_bytes(
            svg_string=text, width=width, height=height, skip_system_fonts=True,
            font_files=list(font_files), font_family=FAMILY, serif_family=FAMILY,
            sans_serif_family=FAMILY, cursive_family=FAMILY, fantasy_family=FAMILY,
            monospace_family=FAMILY, languages=["de", "en"]))
    except (ValueError, OSError) as error:
        raise SvgRasterError(f"resvg cannot draw it ({' '.join(str(error).split())})") \
            from None


_FONT_FILES: dict[str, tuple[str, ...]] = {}  # fonts digest -> their files on disk


def _font_files(digest: str, fonts: dict[str, bytes]) -> tuple[str, ...]:
    """The fonts written once per process into a fresh private folder (mode 0700)."""
    if digest not in _FONT_FILES:
        folder = tempfile.mkdtemp(prefix="notices-svg-fonts-")
        owner = os.getpid()

        def remove() -> None:
            if os.getpid() == owner:  # not from a forked worker that happens to run atexit
                shutil.rmtree(folder, ignore_errors=True)

        atexit.register(remove)
        paths = []
        for number, (name, data) in enumerate(fonts.items()):
            # Our own names: a font's name is the city's, never part of a path we build.
            path = os.path.join(folder, f"font-{number}{os.path.splitext(name)[1].lower()}")
            # O_EXCL|O_NOFOLLOW: the folder is new and ours; refuse anything already there.
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW,
                                 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
            paths.append(path)
        _FONT_FILES[digest] = tuple(paths)
    return _FONT_FILES[digest]


@functools.lru_cache(maxsize=1)
def bundled_fonts() -> dict[str, bytes]:
    """The fonts shipped with notices, for a renderer given no template set."""
    from notices.render.runtime import PACKAGE_FONTS

    return {f"fonts/{path.name}": path.read_bytes() for path in sorted(PACKAGE_FONTS.iterdir())
            if path.suffix.lower() in (".ttf", ".otf")}
