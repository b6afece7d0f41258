"""Check the pictures that a record's facts show, and read their pixel size.

A picture must be what its name says (PNG, JPEG or SVG, judged by its bytes) and an SVG
must be self-contained: no DOCTYPE or entities, no scripts, no references to other
files or hosts, because both Word and WeasyPrint would otherwise follow them; and no
``<use>`` that draws itself, which WeasyPrint would turn into a blank picture.
PNG and JPEG are read with Pillow (which WeasyPrint itself uses), so every picture the
PDF can show is accepted, whatever header a camera or scanner wrote.
"""

from __future__ import annotations

import io
import re
import warnings

from lxml import etree

_SVG_NS = "{http://www.w3.org/2000/svg}"
_LENGTH = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(px|pt|mm|cm|in)?\s*$")
_UNIT_PX = {None: 1.0, "px": 1.0, "pt": 96 / 72, "mm": 96 / 25.4, "cm": 96 / 2.54, "in": 96.0}
MAX_PIXELS = 40_000_000  # a photo at print resolution is far less; more is a decompression bomb
MAX_SIDE = 30_000  # pixels, or CSS pixels of an SVG
_EXTERNAL = re.compile(rb"url\(\s*['\"]?(?!#)|@import", re.IGNORECASE)
_SIGNATURES = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8"}
_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG"}


def inspect_image(data: bytes, media_type: str) -> tuple[int, int] | str:
    """Return ``(width_px, height_px)`` for a usable picture, or why it is refused."""
    if media_type == "image/svg+xml":
        return _inspect_svg(data)
    return _inspect_bitmap(data, media_type)


def _inspect_bitmap(data: bytes, media_type: str) -> tuple[int, int] | str:
    from PIL import Image, UnidentifiedImageError

    label = _FORMATS[media_type]
    if not data.startswith(_SIGNATURES[media_type]):
        return f"is not a valid {label} file"
    # Only the header is read (no pixels are decoded), so Pillow's own bomb check, which
    # would refuse without saying the size, is left to ours below.
    limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as image:
                if image.format != label:
                    return f"is not a valid {label} file"
                width, height = image.size
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return f"is not a valid {label} file"
    finally:
        Image.MAX_IMAGE_PIXELS = limit
    if not (0 < width and 0 < height):
        return f"is not a valid {label} file"
    if width > MAX_SIDE or height > MAX_SIDE:
        return (f"is too large ({width}x{height} pixels; a side may have at most "
                f"{MAX_SIDE:,} pixels)")
    if width * height > MAX_PIXELS:
        return (f"is too large ({width}x{height} pixels; at most "
                f"{MAX_PIXELS // 1_000_000} megapixels)")
    return width, height


def safe_svg(data: bytes):
    """The parsed SVG (an lxml element) if it may be drawn, else why it is refused.

    The one place that decides which SVGs are safe: records' pictures are checked with it
    on input, and the Word renderer checks again before rasterising one.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False)
    try:
        root = etree.parse(io.BytesIO(data), parser).getroot()
    except etree.XMLSyntaxError:
        return "is not a valid SVG file"
    if root.getroottree().docinfo.doctype or b"<!ENTITY" in data:
        return "is an SVG with a DOCTYPE, which is not allowed"
    if root.tag != f"{_SVG_NS}svg":
        return "is not a valid SVG file"
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        local = element.tag.rsplit("}", 1)[-1]
        if local in ("script", "foreignObject"):
            return f"is an SVG with a <{local}> element, which is not allowed"
        for name, value in element.attrib.items():
            if name.rsplit("}", 1)[-1] == "href" and not value.strip().startswith("#"):
                return "is an SVG that refers to other files, which is not allowed"
            if name.startswith("on"):
                return "is an SVG with event handlers, which is not allowed"
    if _EXTERNAL.search(data):
        return "is an SVG that refers to other files, which is not allowed"
    if _uses_itself(root):
        return "is an SVG whose <use> elements draw themselves (a loop), which cannot be drawn"
    return root


def _inspect_svg(data: bytes) -> tuple[int, int] | str:
    root = safe_svg(data)
    if isinstance(root, str):
        return root
    width = _length(root.get("width"))
    height = _length(root.get("height"))
    if width is None or height is None:
        box = (root.get("viewBox") or "").replace(",", " ").split()
        try:
            width, height = float(box[2]), float(box[3])
        except (IndexError, ValueError):
            width, height = 600.0, 400.0
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
        return "has an implausible size"
    return max(1, round(width)), max(1, round(height))


def _href(element) -> str | None:
    for name, value in element.attrib.items():
        if name.rsplit("}", 1)[-1] == "href":
            return value.strip()[1:] if value.strip().startswith("#") else None
    return None


def _uses_itself(root) -> bool:
    """Whether following ``<use href="#id">`` from some element comes back to it."""
    by_id = {element.get("id"): element for element in root.iter()
             if isinstance(element.tag, str) and element.get("id")}
    # Each element with an id leads to the ids its <use> descendants (itself included) name.
    leads: dict[str, set[str]] = {}
    for ident, element in by_id.items():
        leads[ident] = {target for use in element.iter() if isinstance(use.tag, str)
                        and use.tag == f"{_SVG_NS}use" for target in [_href(use)]
                        if target in by_id}
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def loops(ident: str) -> bool:
        stack = [(ident, iter(sorted(leads.get(ident, ()))))]
        state[ident] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                return True
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(sorted(leads.get(child, ())))))
        return False

    return any(loops(ident) for ident in sorted(leads) if ident not in state)


def _length(value: str | None) -> float | None:
    if not value:
        return None
    match = _LENGTH.match(value)
    if not match:
        return None
    return float(match.group(1)) * _UNIT_PX[match.group(2)]
