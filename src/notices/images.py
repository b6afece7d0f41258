"""Check the images that a record's facts show, and read their pixel size.

An image must be what its name says (PNG, JPEG or SVG, judged by its bytes) and an SVG
must be self-contained: no DOCTYPE or entities, no scripts, no references to other
files or hosts, because both Word and WeasyPrint would otherwise follow them.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from lxml import etree

_SVG_NS = "{http://www.w3.org/2000/svg}"
_LENGTH = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(px|pt|mm|cm|in)?\s*$")
_UNIT_PX = {None: 1.0, "px": 1.0, "pt": 96 / 72, "mm": 96 / 25.4, "cm": 96 / 2.54, "in": 96.0}
MAX_PIXELS = 40_000_000  # a photo at print resolution is far less; more is a decompression bomb
_EXTERNAL = re.compile(rb"url\(\s*['\"]?(?!#)|@import", re.IGNORECASE)


def inspect_image(path: Path, media_type: str) -> tuple[int, int] | str:
    """Return ``(width_px, height_px)`` for a valid image, or the reason it is refused."""
    try:
        data = path.read_bytes()
    except OSError as error:
        return f"cannot be read ({error.strerror})"
    if media_type == "image/svg+xml":
        return _inspect_svg(data)
    return _inspect_bitmap(data, media_type)


def _inspect_bitmap(data: bytes, media_type: str) -> tuple[int, int] | str:
    from docx.image.exceptions import UnrecognizedImageError
    from docx.image.image import Image as DocxImage

    expected = b"\x89PNG\r\n\x1a\n" if media_type == "image/png" else b"\xff\xd8\xff"
    if not data.startswith(expected):
        return f"is not a valid {_label(media_type)} file"
    try:
        image = DocxImage.from_blob(data)
        width, height = image.px_width, image.px_height
    except (UnrecognizedImageError, Exception):  # any parse failure means a broken file
        return f"is not a valid {_label(media_type)} file"
    if not (0 < width <= 30000 and 0 < height <= 30000) or width * height > MAX_PIXELS:
        return (f"is too large ({width}x{height} pixels; at most "
                f"{MAX_PIXELS // 1_000_000} megapixels)")
    return width, height


def _inspect_svg(data: bytes) -> tuple[int, int] | str:
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
    width = _length(root.get("width"))
    height = _length(root.get("height"))
    if width is None or height is None:
        box = (root.get("viewBox") or "").replace(",", " ").split()
        try:
            width, height = float(box[2]), float(box[3])
        except (IndexError, ValueError):
            width, height = 600.0, 400.0
    if not (0 < width <= 30000 and 0 < height <= 30000):
        return "has an implausible size"
    return max(1, round(width)), max(1, round(height))


def _length(value: str | None) -> float | None:
    if not value:
        return None
    match = _LENGTH.match(value)
    if not match:
        return None
    return float(match.group(1)) * _UNIT_PX[match.group(2)]


def _label(media_type: str) -> str:
    return {"image/png": "PNG", "image/jpeg": "JPEG"}.get(media_type, "SVG")
