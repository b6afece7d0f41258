"""The PDF renderer: real WeasyPrint, checked by what a reader and an archive see."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest

from conftest import SEED, pdf_text, words
from notices.records import load_record
from notices.render_pdf import PdfRenderer


@pytest.fixture(scope="module")
def renderer_factory():
    cache = {}

    def make(workspace, variant="pdf/a-2a"):
        key = (str(workspace.templates_dir), variant)
        if key not in cache:
            cache[key] = PdfRenderer(workspace.templates_dir, "mitteilung", variant=variant)
        return cache[key]

    return make


@pytest.fixture
def render(workspace, write_record, renderer_factory, tmp_path):
    def do(text: str, name: str = "x.yaml", variant: str = "pdf/a-2a") -> Path:
        result = load_record(workspace, write_record(name, text), known_kinds={"mitteilung"})
        assert result.ok, [str(p) for p in result.problems]
        data = renderer_factory(workspace, variant).render(result.notice,
                                                           city=workspace.config.city)
        out = tmp_path / (Path(name).stem + ".pdf")
        out.write_bytes(data)
        return out

    return do


def test_layout_of_the_seed(render):
    text = pdf_text(render(SEED))
    expected = ("600.22, 18.04.2023, 0521 513224, Frau Bültmann Mitteilung des Bauamtes "
                "zur Sitzung: Bezirksvertretung Heepen ☒ öffentlich ☐ nicht öffentlich "
                "am 20.04.2023 Anlass: INSEK Baumheide – Fortführung des "
                "Quartiersmanagements Baumheide Sachverhalt: Das Quartiersmanagement für die "
                "Bewohner*innen und Nutzer*innen. gez. Dodenhoff Seite 1 von 1").split()
    found = words(text)
    start = found.index("600.22,")
    assert found[start:] == expected


def test_a4_fonts_embedded_and_metadata(render):
    path = render(SEED)
    with pikepdf.open(path) as pdf:
        box = [float(v) for v in pdf.pages[0].MediaBox]
        assert box[2:] == pytest.approx([595.276, 841.89], abs=0.5)
        fonts = set()
        for page in pdf.pages:
            for font in page.Resources.Font.values():
                descriptor = font.DescendantFonts[0].FontDescriptor
                assert "/FontFile2" in descriptor or "/FontFile3" in descriptor
                fonts.add(str(font.BaseFont).split("+", 1)[1])
        assert fonts <= {"Liberation-Sans", "Liberation-Sans-Bold", "Liberation-Sans-Italic",
                         "Liberation-Sans-Bold-Italic", "Noto-Sans-Symbols2"}
        assert "Liberation-Sans" in fonts and "Noto-Sans-Symbols2" in fonts
        info = pdf.docinfo
        assert str(info.Title) == "INSEK Baumheide – Fortführung des Quartiersmanagements " \
            "Baumheide"
        assert str(info.Author) == "Bauamt"
        assert str(info.Keywords) == "600.22, Bezirksvertretung Heepen"
        assert str(pdf.Root.Lang) == "de"
        assert str(info.CreationDate).startswith("D:20230418")


def test_pdfa_2a_structure(render):
    path = render(SEED)
    from pikepdf import pdfa

    with pikepdf.open(path) as pdf:
        assert pdf.Root.MarkInfo.Marked is True
        assert "/StructTreeRoot" in pdf.Root
        with pdf.open_metadata() as meta:
            assert meta["pdfaid:part"] == "2" and meta["pdfaid:conformance"] == "A"
        report = pdfa.check(pdf, "2b")
        # 2a is 2b plus tagging: the only 2b "violation" allowed is the conformance letter.
        violations = [f for f in report.violations if "pdfaid:conformance" not in f.message]
        assert violations == []


def test_other_variant(render):
    path = render(SEED, variant="pdf/a-3b")
    with pikepdf.open(path) as pdf, pdf.open_metadata() as meta:
        assert meta["pdfaid:part"] == "3" and meta["pdfaid:conformance"] == "B"


def test_non_public_says_so_on_every_page(render):
    long_facts = "\n".join(f"  Absatz {i}: " + "Text des Sachverhalts. " * 30 + "\n"
                           for i in range(30))
    text = SEED.replace("  public: true", "  public: nicht öffentlich").replace(
        "  Das Quartiersmanagement für die Bewohner*innen und Nutzer*innen.\n", long_facts)
    path = render(text)
    pages = pdf_text(path).split("\f")[:-1]
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert "nicht öffentlich" in page.splitlines()[0] or \
            page.count("nicht öffentlich") >= 1
        assert f"Seite {number} von {len(pages)}" in page
    assert "☐ öffentlich ☒ nicht öffentlich" in pages[0]


def test_no_automatic_hyphenation_but_soft_hyphens(render):
    facts = ("  " + "Fortschreibung Lärmaktionsplan Gesamtschule " * 40 +
             "\n\n  " + "Quartiers\u00admanagement " * 60 + "\n")
    text = SEED.replace("  Das Quartiersmanagement für die Bewohner*innen und "
                        "Nutzer*innen.\n", facts)
    raw = pdf_text(render(text))
    assert "Fort-" not in raw and "Lär-" not in raw and "Gesamt-" not in raw
    assert "Quartiers-\nmanagement" in raw or "Quartiers\u00ad\nmanagement" in raw or \
        "Quartiersmanagement" in raw


def test_links_are_clickable(render):
    text = SEED.replace("Nutzer*innen.", "Nutzer*innen, siehe [Stadt](https://www.bielefeld.de).")
    with pikepdf.open(render(text)) as pdf:
        uris = [str(a.A.URI) for a in pdf.pages[0].get("/Annots", []) if "/A" in a]
    assert uris == ["https://www.bielefeld.de"]


def test_table_list_and_literal_text(render):
    facts = ("  - eins\n  - zwei\n\n  1. erstens\n  2. zweitens\n\n"
             "  | Straße | Kfz/Tag |\n  |---|--:|\n  | Heeper Straße | 12.400 |\n\n"
             "  {{ notice.subject }} und <b>kein HTML</b>\n")
    text = SEED.replace("  Das Quartiersmanagement für die Bewohner*innen und "
                        "Nutzer*innen.\n", facts)
    raw = pdf_text(render(text))
    for expected in ("eins", "zwei", "1.", "erstens", "Heeper Straße", "12.400",
                     "{{ notice.subject }} und <b>kein HTML</b>"):
        assert expected in raw


def test_same_input_same_bytes(render):
    first = render(SEED, name="a.yaml").read_bytes()
    second = render(SEED, name="a.yaml").read_bytes()
    assert first == second
