"""SVG pictures in Word files: a real PNG fallback, so LibreOffice and older Word show the plan.

Item 1 of issue 10: the fallback beside every SVG used to be a 69-byte grey placeholder.
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from conftest import REPO
from libreoffice import libreoffice_pdfs, needs_libreoffice
from notices.render.docx import DocxRenderer
from notices.render.docx.svg_raster import (
    MAX_PIXELS, SvgRasterError, SvgRasterizer, bundled_fonts, raster_size)
from notices.source.records import load_record
from notices.template_set import TemplateSet
from pages import page_image, word_boxes
from test_render_pdf import with_facts

LAGEPLAN = REPO / "records/2023/heepen/zaehlstellen-heeper-strasse.svg"
RED = (0xB2, 0x22, 0x22)  # the counting points of the Zählstellen map
GREY = 0xE8  # the old placeholder's grey
PLAN_RECORD = with_facts("Der Lageplan:\n\n![Lageplan der Zählstellen](plan.svg)\n\nEnde.\n")


def text_svg(text: str, family: str = "Liberation Sans") -> bytes:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="300" height="40">'
            f'<text x="5" y="30" font-family="{family}" font-size="24">{text}</text>'
            "</svg>").encode()


def pixels(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png)).convert("RGBA")
    white = Image.new("RGBA", image.size, "white")
    white.alpha_composite(image)
    return white.convert("RGB")


def dark_pixels(image: Image.Image) -> int:
    return sum(1 for value in image.convert("L").tobytes() if value < 128)


@pytest.fixture(scope="module")
def rasterizer() -> SvgRasterizer:
    return SvgRasterizer(bundled_fonts())


@pytest.fixture
def docx_of(workspace, write_record, tmp_path):
    """``docx_of(svg, fonts=...)``: the .docx of a record showing ``svg`` as plan.svg."""

    def render(svg: bytes, *, fonts: dict[str, bytes] | None = None) -> tuple[Path, list]:
        write_record("plan.svg", svg)
        result = load_record(workspace, write_record("x.yaml", PLAN_RECORD),
                             known_kinds={"mitteilung"})
        assert result.ok, [str(p) for p in result.problems]
        template = (workspace.templates_dir / "mitteilung.docx").read_bytes()
        renderer = DocxRenderer(template, display_name="templates/mitteilung.docx",
                                fonts=fonts)
        out = tmp_path / "x.docx"
        out.write_bytes(renderer.render(result.notice))
        return out, renderer.messages

    return render


def fallback_of(path: Path) -> tuple[bytes, tuple[int, int]]:
    """The fallback PNG of the first picture and its placed size (EMU)."""
    with zipfile.ZipFile(path) as archive:
        body = archive.read("word/document.xml").decode()
        png = archive.read("word/media/notice1-fallback.png")
    cx, cy = re.search(r'<wp:extent cx="(\d+)" cy="(\d+)"/>', body).groups()
    return png, (int(cx), int(cy))


def test_fallback_is_300_dpi_of_the_placed_size_within_caps():
    assert raster_size(914400 * 6, 914400 * 3) == (1800, 900)
    assert raster_size(914400 * 40, 914400 * 2) == (4000, 200)  # a 40-inch banner
    width, height = raster_size(914400 * 13, 914400 * 13)
    assert width == height and width * height <= MAX_PIXELS


def test_the_word_file_carries_the_drawn_plan_with_its_alt_text(docx_of):
    path, messages = docx_of(LAGEPLAN.read_bytes())
    png, (cx, cy) = fallback_of(path)
    image = pixels(png)
    assert image.size == raster_size(cx, cy)  # the picture's place at 300 dpi
    assert len(png) > 10_000  # not the 69-byte placeholder
    assert messages == []
    # circle cx=295 cy=150 in the SVG's 600 x 300 viewBox: a red counting point
    scale = image.width / 600
    assert all(abs(a - b) < 40 for a, b in zip(image.getpixel((round(295 * scale),
                                                                round(150 * scale))), RED))
    assert dark_pixels(image) > 2000  # the street names
    with zipfile.ZipFile(path) as archive:
        body = archive.read("word/document.xml").decode()
    assert 'descr="Lageplan der Zählstellen"' in body
    assert "asvg:svgBlip" in body  # Word 2016 and later still draw the SVG itself


def test_text_is_drawn_only_with_the_template_sets_fonts(rasterizer):
    drawn = dark_pixels(pixels(rasterizer.png(text_svg("Zählstelle"), 300, 40)))
    no_font = SvgRasterizer({"fonts/broken.ttf": b"not a font"})
    assert drawn > 300
    # No machine font stands in, even where no font can draw the text.
    assert dark_pixels(pixels(no_font.png(text_svg("Zählstelle"), 300, 40))) == 0
    expected = rasterizer.png(text_svg("Straße"), 300, 40)
    for family in ("Arial", "sans-serif", "serif", "Comic Sans MS"):
        assert rasterizer.png(text_svg("Straße", family), 300, 40) == expected, family


def test_fonts_come_from_memory_not_from_the_workspace(workspace, docx_of):
    """A render worker without the workspace's files: the fonts travel in the TemplateSet."""
    templates = TemplateSet.read(workspace.templates_dir)
    shutil.rmtree(workspace.templates_dir / "fonts")
    path, _ = docx_of(text_svg("Heeper Straße"), fonts=templates.font_files())
    assert dark_pixels(pixels(fallback_of(path)[0])) > 300


def test_an_svg_that_refers_to_files_is_never_drawn(rasterizer, tmp_path):
    """resvg would read a local picture: the input rules are applied again before drawing."""
    secret = tmp_path / "secret.png"
    Image.new("RGB", (10, 10), "red").save(secret)
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
           f'<image href="{secret}" width="10" height="10"/></svg>').encode()
    with pytest.raises(SvgRasterError, match="refers to other files"):
        rasterizer.png(svg, 10, 10)


def test_a_picture_that_cannot_be_drawn_keeps_the_grey_box_with_a_warning(docx_of):
    # Accepted on input (the size comes from the viewBox), refused by resvg.
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" width="-10" height="10" '
           b'viewBox="0 0 10 10"><rect width="5" height="5"/></svg>')
    path, messages = docx_of(svg)
    png, _ = fallback_of(path)
    assert Image.open(io.BytesIO(png)).getpixel((0, 0))[:3] == (GREY,) * 3
    assert messages == ["records/plan.svg: cannot draw the picture for Word files opened in "
                        "LibreOffice or Word 2013 and older (resvg cannot draw it (SVG has an "
                        "invalid size)); they show a grey box instead, Word 2016 and later "
                        "the picture"]


@pytest.mark.slow
def test_the_same_picture_gives_the_same_bytes_in_another_process(rasterizer):
    code = ("import hashlib, sys; from pathlib import Path; "
            "from notices.render.docx.svg_raster import SvgRasterizer, bundled_fonts; "
            "print(hashlib.sha256(SvgRasterizer(bundled_fonts()).png("
            "Path(sys.argv[1]).read_bytes(), 900, 450)).hexdigest())")
    other = subprocess.run([sys.executable, "-c", code, str(LAGEPLAN)], check=True,
                           capture_output=True, text=True).stdout.strip()
    assert other == hashlib.sha256(rasterizer.png(LAGEPLAN.read_bytes(), 900, 450)).hexdigest()


@pytest.mark.slow
@needs_libreoffice
def test_libreoffice_shows_the_plan_not_a_grey_box(docx_of, tmp_path):
    path, _ = docx_of(LAGEPLAN.read_bytes())
    (pdf,) = libreoffice_pdfs([path], tmp_path)
    image = page_image(pdf, 1, dpi=50).convert("L")
    # The picture is the area between "Der Lageplan:" and "Ende." (poppler's words).
    boxes = word_boxes(pdf)
    top = next(bottom for _, word, _, _, bottom, _ in boxes if word == "Lageplan:")
    bottom = next(top for _, word, _, _, _, top in boxes if word == "Ende.")
    assert bottom - top > 100  # a picture of some height is there
    area = image.crop((0, round(top * 50 / 72) + 2, image.width, round(bottom * 50 / 72) - 2))
    values = area.tobytes()
    grey = sum(1 for v in values if abs(v - GREY) <= 3)
    non_white = sum(1 for v in values if v < 245)
    assert grey < 0.05 * len(values), "the grey placeholder"
    assert non_white > 0.15 * len(values), "a blank area"
    assert sum(1 for v in values if v < 100) > 50  # outlines and street names


def test_a_changed_font_rebuilds_the_word_files(workspace):
    """The fonts draw the Word files' pictures, so they are part of a Word file's key."""
    before = TemplateSet.read(workspace.templates_dir).digest_for("mitteilung", "docx")
    font = workspace.templates_dir / "fonts" / "LiberationSans-Regular.ttf"
    font.write_bytes(font.read_bytes() + b"\0")
    assert TemplateSet.read(workspace.templates_dir).digest_for("mitteilung", "docx") != before
