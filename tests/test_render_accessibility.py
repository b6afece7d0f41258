"""The accessibility repairs of the PDFs (render/accessibility.py), by what a reader meets."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import docx
import pikepdf
import pytest
from lxml import etree

from a11y import check_pdf
from a11y_reading import Reading
from conftest import rich_record
from notices.render.accessibility import make_accessible

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def structure(path: Path) -> Reading:
    return Reading(pikepdf.open(path))


def raw_text(path: Path) -> list[str]:
    """The PDF's text in the order it is drawn: what copy and paste and a plain reader get."""
    return subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"],
                          check=True, capture_output=True, text=True).stdout.splitlines()


def test_word_and_pdf_share_one_outline(render_pdf, workspace, write_record):
    """# / ### / ## in the facts: H3, H4, H4 below "Sachverhalt:", and Heading 3, 4, 4."""
    from notices.render.docx import DocxRenderer
    from notices.source.records import load_record

    pdf = structure(render_pdf(rich_record()))
    in_pdf = [(int(n.role[1]), pdf.text_of(n)) for n in pdf.nodes if n.role[:1] == "H"]
    notice = load_record(workspace, workspace.records_dir / "2023/x.yaml",
                         known_kinds={"mitteilung"}).notice
    data = DocxRenderer(workspace.templates_dir / "mitteilung.docx",
                        display_name="templates/mitteilung.docx").render(notice)
    path = workspace.root / "x.docx"
    path.write_bytes(data)
    in_word = []
    for paragraph in docx.Document(str(path)).paragraphs:
        level = paragraph.style.element.find(f"{W}pPr/{W}outlineLvl")
        if level is not None and paragraph.text:
            in_word.append((int(level.get(f"{W}val")) + 1, paragraph.text))
    expected = [(1, "Mitteilung des Bauamtes"), (2, "Anlass:"), (2, "Sachverhalt:"),
                (3, "Ausgangslage"), (4, "Einzelheiten"), (4, "Zählung")]
    assert in_pdf == expected
    assert in_word == expected


def test_page_margins_are_printed_but_not_read_as_content(rich_pdf):
    path = rich_pdf()
    reading = structure(path)
    tagged = " ".join(reading.text_of(n) for n in reading.nodes if n.parent is None)
    assert "Seite 1 von 3" not in tagged
    assert tagged.count("nicht öffentlich") == 1  # "☒ nicht öffentlich", not the header
    artifacts = [p.text for pieces in reading.pieces.values() for p in pieces
                 if p.tag == "Artifact"]
    assert {"Seite 1 von 3", "Seite 3 von 3", "nicht öffentlich"} <= set(artifacts)
    assert "Seite 2 von 3" in raw_text(path)  # still on the page for everyone who sees it


def test_a_table_over_three_pages_is_one_table_with_its_header_once(rich_pdf):
    path = rich_pdf()
    reading = structure(path)
    tables = [n for n in reading.nodes if n.role == "Table"]
    assert len(tables) == 1
    rows = [n for n in tables[0].descendants() if n.role == "TR"]
    assert [reading.text_of(r) for r in rows[:2]] == ["Straße Kfz/Tag", "Heeper Straße 0 0"]
    assert len(rows) == 81 and [n.role for n in tables[0].children].count("THead") == 1
    header_cells = [n for n in tables[0].descendants() if n.role == "TH"]
    assert [str(n.obj.A.Scope) for n in header_cells] == ["/Column", "/Column"]
    pages = "\n".join(raw_text(path)).split("\f")
    assert all("Straße Kfz/Tag" in page for page in pages[:3])  # repeated where it is seen


def test_markers_come_before_their_items_and_pictures_before_what_follows(rich_pdf):
    lines = raw_text(rich_pdf())
    assert "• eins" in lines and "◦ eins-eins" in lines and "1. erstens" in lines
    assert lines.index("Quartiersplatz") < lines.index("Der Absatz nach dem Bild.")


@pytest.mark.parametrize("variant", ["pdf/a-2a", "pdf/ua-1"])
def test_a_wrapped_link_is_one_described_printed_link(rich_pdf, variant):
    reading = structure(rich_pdf(variant))
    links = [n for n in reading.nodes if n.role == "Link"]
    assert len(links) == 1 and len(links[0].annotations) == 2  # two lines, one link
    described = ("Link, der so lang ist, dass er auf die nächste Zeile umbricht, weil sein "
                 "Text sehr lang ist")
    for annotation in links[0].annotations:
        assert str(annotation.Contents) == described
        assert int(annotation.F) & 4  # printed


def test_lists_hold_labels_and_bodies_with_the_nested_list_inside_its_item(rich_pdf):
    reading = structure(rich_pdf())
    items = [n for n in reading.nodes if n.role == "LI"]
    assert all([c.role for c in item.children] == ["Lbl", "LBody"] for item in items)
    first = items[0]
    assert [c.role for c in first.children[1].children] == ["P", "L"]
    assert reading.text_of(first.children[1].children[1]) == "◦ eins-eins"


@pytest.mark.parametrize("variant, declares", [
    ("pdf/a-2a", {"pdfaid:part": "2", "pdfaid:conformance": "A", "pdfuaid:part": "1"}),
    ("pdf/a-3a", {"pdfaid:part": "3", "pdfaid:conformance": "A", "pdfuaid:part": "1"}),
    ("pdf/ua-1", {"pdfaid:part": None, "pdfaid:conformance": None, "pdfuaid:part": "1"}),
    ("pdf/a-2b", {"pdfaid:part": "2", "pdfaid:conformance": "B", "pdfuaid:part": None}),
])
def test_which_variants_declare_pdf_ua(rich_pdf, variant, declares):
    with pikepdf.open(rich_pdf(variant)) as pdf, \
            pdf.open_metadata() as meta:
        assert {name: meta.get(name) for name in declares} == declares


@pytest.mark.parametrize("variant, flavour", [
    ("pdf/a-1b", "1b"), ("pdf/a-2b", "2b"), ("pdf/a-2u", "2b"), ("pdf/a-3b", "3b")])
def test_the_repairs_keep_pdfa(rich_pdf, variant, flavour):
    """What WeasyPrint's own file passes, the repaired file passes (PDF/A-1: no object streams)."""
    from pikepdf import pdfa

    def violations(path: Path) -> list[str]:
        return sorted(f"{f.rule}: {f.message}" for f in pdfa.validate_written(path, flavour)
                      .violations)

    own = rich_pdf(variant, weasyprint_only=True)
    repaired = rich_pdf(variant)
    assert violations(repaired) == violations(own)
    assert check_pdf(repaired) == []


def test_the_repairs_give_the_same_bytes_every_time(render_pdf):
    own = render_pdf(rich_record(), weasyprint_only=True).read_bytes()
    assert make_accessible(own, ua=True) == make_accessible(own, ua=True)
    assert render_pdf(rich_record()).read_bytes() == render_pdf(rich_record()).read_bytes()


def test_a_document_without_tags_is_left_as_it_is_but_printed(tmp_path):
    """No structure tree: nothing to repair but the print flag; the check says untagged."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.pages[0].Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 10, 10]))]))
    source = tmp_path / "plain.pdf"
    pdf.save(source)
    repaired = tmp_path / "repaired.pdf"
    repaired.write_bytes(make_accessible(source.read_bytes(), ua=False))
    with pikepdf.open(repaired) as result:
        assert int(result.pages[0].Annots[0].F) == 4
    assert "catalog: no structure tree (/StructTreeRoot): the PDF is not tagged" in \
        check_pdf(repaired)


def test_the_shipped_word_templates_state_their_outline(workspace):
    """Title is outline level 1 like the PDF's h1, Heading 2-5 the levels below it."""
    with zipfile.ZipFile(workspace.templates_dir / "mitteilung.docx") as archive:
        styles = etree.fromstring(archive.read("word/styles.xml"))
    levels = {}
    for style in styles.iter(f"{W}style"):
        name = style.find(f"{W}name").get(f"{W}val")
        level = style.find(f"{W}pPr/{W}outlineLvl")
        if level is not None:
            levels[name] = int(level.get(f"{W}val")) + 1
    assert {name: levels.get(name) for name in ("Title", "heading 2", "heading 3",
                                                 "heading 4", "heading 5")} == \
        {"Title": 1, "heading 2": 2, "heading 3": 3, "heading 4": 4, "heading 5": 5}
