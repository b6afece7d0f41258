"""Word files as a clerk sees them in current Word and in LibreOffice (issue 10).

The layout mode they open in, tables aligned and spaced like the PDF's; what LibreOffice
shows is measured on its pages (``pages.py``), beside the PDF of the same record.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from lxml import etree

from conftest import rewrite_docx
from libreoffice import libreoffice_pdfs, needs_libreoffice
from notices.render.docx import DocxRenderer
from notices.source.records import load_record
from pages import left_border, lowest_rule_above, page_image, word_boxes
from test_render_pdf import with_facts

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
KINDS = ("mitteilung", "beschlussvorlage", "beantwortung")
TABLE_FACTS = with_facts("Vorweg ein Satz.\n\n| Straße | Kfz/Tag |\n|---|--:|\n"
                         "| Heeper Straße | 12.400 |\n| Am Hof | 800 |\n\nDanach ein Satz.\n")


@pytest.fixture
def render_docx(workspace, write_record, tmp_path):
    """``render(text, template=None)``: the .docx of a record, from the workspace's template."""

    def render(text: str, *, template: Path | None = None, name: str = "x") -> Path:
        result = load_record(workspace, write_record(f"{name}.yaml", text),
                             known_kinds={"mitteilung"})
        assert result.ok, [str(p) for p in result.problems]
        renderer = DocxRenderer(template or workspace.templates_dir / "mitteilung.docx",
                                display_name="templates/mitteilung.docx",
                                city=workspace.settings.city)
        out = tmp_path / f"{name}.docx"
        out.write_bytes(renderer.render(result.notice))
        return out

    return render


def compatibility_mode(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        settings = etree.fromstring(archive.read("word/settings.xml"))
    return next(s.get(f"{W}val") for s in settings.iter(f"{W}compatSetting")
                if s.get(f"{W}name") == "compatibilityMode")


def old_mode_template(workspace, tmp_path: Path) -> Path:
    """The shipped template as Word 2010 saved it (compatibilityMode 14)."""
    template = workspace.templates_dir / "mitteilung.docx"
    setting = 'w:name="compatibilityMode" w:uri="http://schemas.microsoft.com/office/word" w:val='
    mode = compatibility_mode(template)
    return rewrite_docx(template, "word/settings.xml", f'{setting}"{mode}"'.encode(),
                        f'{setting}"14"'.encode(), target=tmp_path / "old.docx")


def test_word_files_open_in_current_word_not_in_compatibility_mode(workspace, render_docx):
    for kind in KINDS:
        assert compatibility_mode(workspace.templates_dir / f"{kind}.docx") == "15", kind
    assert compatibility_mode(render_docx(TABLE_FACTS)) == "15"


def test_tables_are_indented_by_the_mode_and_followed_by_space(workspace, render_docx,
                                                               tmp_path):
    """Current mode: the border at the indent; older modes: the text, so make up for it."""
    for template, indent in ((None, "0"), (old_mode_template(workspace, tmp_path), "108")):
        body = etree.fromstring(zipfile.ZipFile(render_docx(TABLE_FACTS, template=template))
                                .read("word/document.xml"))
        (table,) = body.iter(f"{W}tbl")
        assert table.find(f"{W}tblPr/{W}tblInd").get(f"{W}w") == indent
        after = table.getnext()
        assert "".join(after.itertext()) == "Danach ein Satz."
        assert after.find(f"{W}pPr/{W}spacing").get(f"{W}before") == "160"  # 8 pt, as the PDF


@pytest.mark.slow
@needs_libreoffice
def test_libreoffice_shows_tables_aligned_and_spaced_like_the_pdf(workspace, render_docx,
                                                                  render_pdf, tmp_path):
    """The border on the text's edge (it used to hang 2 mm into the margin) and the same
    space below the table as in the PDF (the next paragraph used to stick to it)."""
    current = render_docx(TABLE_FACTS, name="current")
    old = render_docx(TABLE_FACTS, template=old_mode_template(workspace, tmp_path), name="old")
    pdfs = libreoffice_pdfs([current, old], tmp_path) + [render_pdf(TABLE_FACTS)]

    def measure(pdf: Path) -> tuple[float, float, float]:
        boxes = word_boxes(pdf)
        text_left = next(left for _, word, left, *_ in boxes if word == "Vorweg")
        below = next(top for _, word, _, _, _, top in boxes if word == "Danach")
        image = page_image(pdf, 1)
        border = left_border(image)
        return border, text_left, below - lowest_rule_above(image, border, below)

    *word_files, (_, _, pdf_gap) = [measure(pdf) for pdf in pdfs]
    for border, text_left, gap in word_files:
        assert abs(border - text_left) < 1, (border, text_left)
        assert abs(gap - pdf_gap) < 2.5, (gap, pdf_gap)
