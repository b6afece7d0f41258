"""What a page shows, measured on its pixels: where a table's borders are, where text starts."""

from __future__ import annotations

import html
import re
import subprocess
from pathlib import Path

from PIL import Image

DPI = 144  # two pixels a point: enough to tell a 0.5 pt rule from its neighbour


def page_image(pdf: Path, page: int, *, dpi: int = DPI) -> Image.Image:
    """One page of a PDF as a grey-scale picture (poppler's pdftoppm)."""
    stem = pdf.parent / f"{pdf.stem}-page"
    subprocess.run(["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), "-gray",
                    "-png", "-singlefile", str(pdf), str(stem)], check=True)
    return Image.open(f"{stem}.png").convert("L")


def dark(value: int) -> bool:
    return value < 128


def left_border(image: Image.Image, *, min_length_pt: float = 20) -> float:
    """The x (points) of the leftmost vertical line at least ``min_length_pt`` long."""
    pixels, (width, height) = image.load(), image.size
    needed = min_length_pt * DPI / 72
    for x in range(width // 2):
        run = 0
        for y in range(height):
            run = run + 1 if dark(pixels[x, y]) else 0
            if run >= needed:
                return x * 72 / DPI
    raise AssertionError("no vertical line on the page")


def lowest_rule_above(image: Image.Image, x_pt: float, y_pt: float, *,
                      length_pt: float = 40) -> float:
    """The y (points) of the lowest horizontal line above ``y_pt`` that starts at ``x_pt``."""
    pixels = image.load()
    x0, needed = round(x_pt * DPI / 72), round(length_pt * DPI / 72)
    for y in range(round(y_pt * DPI / 72), -1, -1):
        if all(dark(pixels[x, y]) for x in range(x0 + 2, x0 + needed)):
            return y * 72 / DPI
    raise AssertionError(f"no horizontal line above y={y_pt}")


def word_boxes(path: Path) -> list[tuple[int, str, float, float, float, float]]:
    """Each word of a PDF as (page, text, left, right, bottom, top), in points, in reading
    order (poppler's pdftotext -bbox; top and bottom are those of the font's line box)."""
    out = subprocess.run(["pdftotext", "-bbox", str(path), "-"], check=True,
                         capture_output=True, text=True).stdout
    boxes, page = [], 0
    for line in out.splitlines():
        if "<page " in line:
            page += 1
        match = re.search(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">'
                          r"(.*)</word>", line)
        if match:
            left, top, right, bottom, text = match.groups()
            boxes.append((page, html.unescape(text), float(left), float(right), float(bottom),
                          float(top)))
    return boxes
