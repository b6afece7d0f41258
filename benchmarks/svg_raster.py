"""What the PNG fallback of an SVG picture costs a Word file: the time to draw one.

The figures behind the README's "SVG pictures in Word files". Each SVG is drawn as the
Word renderer draws it (300 dpi at the size it is placed at, at most the text's width),
five times with the cache cleared, in-process, after one warm-up; the best and the
median time are printed with the size of the PNG.

    python benchmarks/svg_raster.py                  # the SVGs of records/
    python benchmarks/svg_raster.py plan.svg ...
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> None:
    from notices.render.docx.package import DEFAULT_TEXT_WIDTH, EMU_PER_PX, EMU_PER_TWIP
    from notices.render.docx.svg_raster import SvgRasterizer, _draw, bundled_fonts, raster_size
    from notices.source.images import inspect_image

    paths = [Path(a) for a in argv] or sorted((REPO / "records").rglob("*.svg"))
    rasterizer = SvgRasterizer(bundled_fonts())
    text_width = DEFAULT_TEXT_WIDTH * EMU_PER_TWIP
    for path in paths:
        data = path.read_bytes()
        width, height = inspect_image(data, "image/svg+xml")
        cx, cy = width * EMU_PER_PX, height * EMU_PER_PX
        if cx > text_width:  # as FactsWriter.image places it
            cx, cy = text_width, int(cy * text_width / cx)
        size = raster_size(cx, cy)
        rasterizer.png(data, *size)  # warm-up: the fonts are written once per process
        times = []
        for _ in range(5):
            _draw.cache_clear()
            start = time.perf_counter()
            png = rasterizer.png(data, *size)
            times.append(time.perf_counter() - start)
        print(f"{path.name}: {size[0]}x{size[1]} px, {len(png) // 1024} KiB PNG, "
              f"best {min(times) * 1000:.0f} ms, median {statistics.median(times) * 1000:.0f} ms")


if __name__ == "__main__":
    main(sys.argv[1:])
