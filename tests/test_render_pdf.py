"""The PDF renderer: real WeasyPrint, checked by what a reader and an archive see."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest

from conftest import SEED, pdf_text, words
from notices.source.records import load_record
from notices.render.pdf import PdfRenderer
from notices.template_set import TemplateSet


@pytest.fixture(scope="module")
def renderer_factory():
    cache = {}

    def make(workspace, variant="pdf/a-2a"):
        key = (str(workspace.templates_dir), variant)
        if key not in cache:
            cache[key] = PdfRenderer(TemplateSet.read(workspace.templates_dir), "mitteilung", variant=variant,
                                     city=workspace.settings.city)
        return cache[key]

    return make


@pytest.fixture
def render(workspace, write_record, renderer_factory, tmp_path):
    def do(text: str, name: str = "x.yaml", variant: str = "pdf/a-2a") -> Path:
        result = load_record(workspace, write_record(name, text), known_kinds={"mitteilung"})
        assert result.ok, [str(p) for p in result.problems]
        data = renderer_factory(workspace, variant).render(result.notice)
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
            assert meta["pdfuaid:part"] == "1"  # and PDF/UA-1 (render/accessibility.py)
        report = pdfa.check(pdf, "2b")
        # 2a is 2b plus tagging: the 2b "violation" allowed is the conformance letter, and
        # the declaration of PDF/UA-1: pikepdf's allowlist validator denies every PDF/A
        # extension schema on sight, the one that declares pdfuaid:part (ISO 19005-2,
        # 6.6.2.3) included. test_accessibility.py has a validator that reads extension
        # schemas (page, veraPDF's rules) approve the same files as PDF/A-2a.
        allowed = {"pdfaid:conformance is 'A', expected 'B'",
                   "XMP property pdfuaid:part is not permitted",
                   "XMP property pdfaExtension:schemas is not permitted"} | {
            f"XMP namespace {prefix}=http://www.aiim.org/pdfa/ns/{path} is not permitted"
            for prefix, path in (("pdfaExtension", "extension/"), ("pdfaSchema", "schema#"),
                                 ("pdfaProperty", "property#"))}
        violations = [f for f in report.violations if f.message not in allowed]
        assert violations == []
        assert {f.message for f in report.violations} == allowed


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


# --- tables: column widths and pagination ------------------------------------------------------

def markdown_table(*rows: list[str], align: str = "") -> str:
    """A GFM table from rows of cells, the first row the header; ``align`` as "lrl…"."""
    marks = {"l": "---", "r": "--:", "c": ":-:"}
    rule = [marks[a] for a in align.ljust(len(rows[0]), "l")]
    return "".join("| " + " | ".join(row) + " |\n" for row in [rows[0], rule, *rows[1:]])


# The tester's tables: eight columns of short words and amounts; twelve columns with a text
# beside an IBAN, an address and an amount; a remark beside a narrow number column.
ROADWORKS_TABLE = markdown_table(
    ["Abschnitt", "Länge (m)", "Kosten (€)", "Förderung", "Träger", "Beginn", "Zuständig",
     "Bemerkung"],
    ["A – Gütersloher Str. bis Kirche", "420", "312.000,00", "Land NRW", "Stadt", "03/2024",
     "Amt 660", "Vollsperrung"],
    ["B – Kirche bis Markt", "1.250", "1.234.567,89", "GVFG", "moBiel", "09/2024", "Amt 660",
     "halbseitig"],
    ["C", "80", "9.500,00", "keine", "Stadt", "2025", "Bauamt", "–"], align="lrr")
ROADWORKS_WORDS = ["Abschnitt", "Länge", "Kosten", "Förderung", "Träger", "Beginn",
                   "Zuständig", "Bemerkung", "Gütersloher", "312.000,00", "1.234.567,89",
                   "9.500,00", "03/2024", "Vollsperrung", "halbseitig"]
PAYMENTS_TABLE = markdown_table(
    ["Nr", "Text", "IBAN", "Adresse", "Betrag", "Jahr", "Art", "St.", "A", "B", "C", "D"],
    ["1", "Text mit mehreren Wörtern darin", "DE89370400440532013000",
     "https://www.bielefeld.de/service", "1.234.567,89 €", "2024", "neu", "ja", "x", "y", "z",
     "w"], align="llllr")
REMARKS_TABLE = markdown_table(["Nr", "Bemerkung"],
                               ["1", "Die Anlieger werden informiert. " * 12])
PAGE_BOTTOM = 841.89 - 2.5 * 72 / 2.54  # A4 minus the bottom margin, in points
TEXT_RIGHT = 595.28 - 2 * 72 / 2.54  # the right edge of the text


def with_facts(markdown: str) -> str:
    """The seed record with ``markdown`` as its facts."""
    facts = "".join(f"  {line}\n" if line else "\n" for line in markdown.splitlines())
    return SEED.replace("  Das Quartiersmanagement für die Bewohner*innen und "
                        "Nutzer*innen.\n", facts)


def word_boxes(path: Path) -> list[tuple[int, str, float, float, float]]:
    """Each word of a PDF as (page, text, left, right, bottom), in points, in reading order."""
    import html
    import re
    import subprocess

    out = subprocess.run(["pdftotext", "-bbox", str(path), "-"], check=True,
                         capture_output=True, text=True).stdout
    boxes, page = [], 0
    for line in out.splitlines():
        if "<page " in line:
            page += 1
        match = re.search(r'xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="([\d.]+)">'
                          r"(.*)</word>", line)
        if match:
            left, right, bottom, text = match.groups()
            boxes.append((page, html.unescape(text), float(left), float(right), float(bottom)))
    return boxes


def test_table_columns_fit_words_and_amounts(render):
    """Columns are sized to their content: no word or amount is split, all within the text."""
    path = render(with_facts("Die Abschnitte:\n\n" + ROADWORKS_TABLE))
    found = words(pdf_text(path, layout=True))
    for word in ROADWORKS_WORDS:
        assert word in found, f"{word!r} is split or missing: {found}"
    for page, word, left, right, bottom in word_boxes(path):
        assert right <= TEXT_RIGHT + 0.5, f"{word!r} sticks out of the text ({right:.1f} pt)"


def test_a_table_too_wide_for_its_words_stays_within_the_text(render):
    path = render(with_facts(PAYMENTS_TABLE))
    found = words(pdf_text(path, layout=True))
    for word in ["mehreren", "Wörtern", "1.234.567,89", "2024", "St."]:
        assert word in found, f"{word!r} is split or missing: {found}"
    for page, word, left, right, bottom in word_boxes(path):
        assert right <= TEXT_RIGHT + 0.5, f"{word!r} sticks out of the text ({right:.1f} pt)"


def test_a_narrow_column_stays_narrow(render):
    """A number column beside a column of text is as wide as its numbers, not half the table."""
    path = render(with_facts(REMARKS_TABLE))
    left = {word: x for _, word, x, _, _ in word_boxes(path) if word in ("Nr", "Bemerkung")}
    assert left["Bemerkung"] - left["Nr"] < 30  # "Nr" in bold and the cell padding
    lines = [line for line in pdf_text(path, layout=True).splitlines() if "Anlieger" in line]
    assert len(lines) == 4  # the remark has the rest of the width


def test_a_row_taller_than_a_page_is_split_under_repeated_headers(render):
    """900 words in one cell: normal pagination, the header row on every page, nothing lost."""
    remark = " ".join(f"Wort{i}" for i in range(900))
    path = render(with_facts(f"| Nr | Bemerkung |\n|---|---|\n| 1 | {remark} |\n| 2 | kurz |\n"))
    pages = pdf_text(path, layout=True).split("\f")[:-1]
    assert len(pages) == 3
    assert "Sachverhalt:" in pages[0] and "Wort0" in pages[0]  # the row starts right away
    for page in pages:
        first_table_line = next(line for line in page.splitlines()
                                if "Wort" in line or "Nr" in line.split())
        assert first_table_line.split()[:2] == ["Nr", "Bemerkung"], page
    assert [w for w in words("".join(pages)) if w.startswith("Wort")] == remark.split()
    boxes = word_boxes(path)
    for number in (1, 2):  # every page but the last is filled to its foot
        lowest = max(bottom for page, word, _, _, bottom in boxes
                     if page == number and word.startswith("Wort"))
        assert lowest > PAGE_BOTTOM - 30, (number, lowest)


def test_short_rows_are_not_split_across_pages(render):
    """Rows of a few lines move to the next page whole, under the repeated header row."""
    sizes = [3, 12, 30, 45, 20, 8, 40, 25] * 6
    rows = "".join(f"| {i} | " + " ".join(f"r{i}w{j}" for j in range(n)) + f" | Ende{i} |\n"
                   for i, n in enumerate(sizes))
    path = render(with_facts("Vorweg.\n\n| Nr | Bemerkung | Schluss |\n|---|---|---|\n" + rows))
    boxes = word_boxes(path)
    pages_of: dict[int, set[int]] = {}
    for page, word, _, _, _ in boxes:
        if word.startswith("r") and "w" in word:
            pages_of.setdefault(int(word[1:word.index("w")]), set()).add(page)
        elif word.startswith("Ende"):
            pages_of.setdefault(int(word[4:]), set()).add(page)
    assert max(max(p) for p in pages_of.values()) >= 3  # the table does span pages
    assert {row: p for row, p in pages_of.items() if len(p) > 1} == {}
    headers = {page for page, word, _, _, _ in boxes if word == "Schluss"}
    assert headers == {page for page, *_ in boxes}
