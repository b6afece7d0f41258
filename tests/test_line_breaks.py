"""Line and page breaks in both formats (issue 10, item 8).

Numbers and their units never split at a line end (no-break spaces that the renderers
insert, the record untouched); a list's lead-in stays with the list's first two items
(a table's with its first row);
headings (and heading-like lines: "Anlagen:", a question, "Antwort:") are never last on
a page; a nested list has the same space before and after it. The page rules are
checked on families of records whose filler pushes the interesting lines across the foot
of page 1, one step at a time, in the PDF and in LibreOffice's view of the .docx.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pikepdf
import pytest

from conftest import SEED, pdf_text
from libreoffice import libreoffice_pdfs, needs_libreoffice
from notices.render.docx import DocxRenderer
from notices.render.pdf import PdfRenderer
from notices.render.typesetting import NO_BREAK_SPACE, keep_together, typeset
from notices.source.records import load_record
from notices.template_set import TemplateSet
from pages import word_boxes

# The seed record's fields, of any kind, with an Anlage (so that "Anlagen:" is printed).
HEAD = (SEED.split("subject:")[0].replace("kind: mitteilung", "kind: {kind}")
        + "subject: {subject}\nsignatory: Dodenhoff\nattachments:\n"
        "  - title: Lageplananlage Quartiersplatz\n    file: anlage.pdf\n")
FILLER = "Absatz {} mit einem Satz über den Stand der Arbeiten im Stadtbezirk."
TAIL = """\
### Zwischenergebnis

Nachsatz nach der Überschrift.

Einleitungssatz, die Verwaltung schlägt vor:

- Punkteins erster Vorschlag
- Punktzwei zweiter Vorschlag
- Punktdrei dritter Vorschlag

Tabellenvorspann, die Kosten:

| Maßnahme | Kosten |
|---|--:|
| Tabellenzeile | 310.000 € |
"""
UNITS = ("Die Kosten von 96 Mio. € für 2,25 m breite Wege nach § 24 Abs. 2 GO NRW, "
         "z. B. am 13. März, stehen in Anlage 1 und kosten 70 %.")
PAIRS = [("96", "Mio."), ("Mio.", "€"), ("2,25", "m"), ("§", "24"), ("Abs.", "2"),
         ("z.", "B."), ("13.", "März"), ("Anlage", "1"), ("70", "%.")]


@pytest.mark.parametrize(("typed", "printed"), [
    ("96 Mio. €", "96~Mio.~€"), ("1,2 Mrd. Euro", "1,2~Mrd.~Euro"), ("2,25 m breit", "2,25~m breit"),
    ("240 m² groß", "240~m² groß"), ("50 km/h", "50~km/h"), ("95,00 €/m²", "95,00~€/m²"),
    ("4 % weniger", "4~% weniger"), ("um 18 Uhr", "um 18~Uhr"), ("§ 24 Abs. 2 GO", "§~24 Abs.~2 GO"),
    ("§§ 3 ff.", "§§~3 ff."), ("Haus Nr. 312", "Haus Nr.~312"), ("TOP 5.1", "TOP~5.1"),
    ("Anlage 1", "Anlage~1"), ("S. 12", "S.~12"), ("z. B. und i. d. R.", "z.~B. und i.~d.~R."),
    ("vom 13. bis 19. März 2023", "vom 13. bis 19.~März 2023"), ("Dr. Hartmann", "Dr.~Hartmann"),
    ("der Platz „Am Hof“", "der Platz „Am~Hof“"), ("»Am Hof«", "»Am~Hof«"),
    # what stays breakable: words that only look like units, long quotations, years
    ("2019 sind es 4 mit", "2019 sind es 4 mit"), ("im Jahr 2023 an drei", "im Jahr 2023 an drei"),
    ("„ein Zitat aus vier Wörtern“", "„ein Zitat aus vier Wörtern“"), ("H. Meier", "H. Meier"),
])
def test_keep_together(typed, printed):
    assert keep_together(typed) == printed.replace("~", NO_BREAK_SPACE)


@pytest.fixture
def sample(workspace, write_record):
    """``sample(body, kind=..., name=...)``: a record of ``kind`` loaded as a Notice."""
    templates = TemplateSet.read(workspace.templates_dir)
    kinds = templates.declared_kinds()[0]
    write_record("anlage.pdf", _blank_pdf())

    def load(body: str, *, kind: str = "mitteilung", name: str = "x", subject: str = "Betreff"):
        path = write_record(f"{name}.yaml", HEAD.format(kind=kind, subject=subject) + body)
        result = load_record(workspace, path, known_kinds=kinds)
        assert result.ok, [str(p) for p in result.problems]
        return result.notice

    load.templates = templates
    return load


def _blank_pdf() -> bytes:
    pdf, out = pikepdf.new(), io.BytesIO()
    pdf.add_blank_page()
    pdf.save(out)
    return out.getvalue()


def facts(markdown: str) -> str:
    return "facts: |\n" + "".join(f"  {line}\n" if line else "\n" for line in markdown.splitlines())


def render_both(sample, notices, tmp_path: Path, kind: str = "mitteilung", *,
                libreoffice: bool = True) -> tuple[list, list]:
    """The PDFs and LibreOffice's PDFs of the .docx files of ``notices``, in order."""
    tmp_path.mkdir(exist_ok=True)
    pdf_renderer = PdfRenderer(sample.templates, kind, variant="pdf/a-2a", city=None)
    docx_renderer = DocxRenderer(sample.templates.files[f"{kind}.docx"], display_name=kind)
    pdfs, docxs = [], []
    for number, notice in enumerate(notices):
        pdfs.append(tmp_path / f"{kind}-{number}.pdf")
        pdfs[-1].write_bytes(pdf_renderer.render(notice))
        docxs.append(tmp_path / f"{kind}-{number}.docx")
        docxs[-1].write_bytes(docx_renderer.render(notice))
    return pdfs, libreoffice_pdfs(docxs, tmp_path) if libreoffice else []


def test_the_record_keeps_its_text_as_typed(sample, tmp_path):
    notice = sample(facts(UNITS), subject="96 Mio. € für den Platz „Am Hof“")
    assert NO_BREAK_SPACE not in notice.subject + repr(notice.documents)
    printed = typeset(notice)
    assert printed.subject == "96\u00a0Mio.\u00a0€ für den Platz „Am\u00a0Hof“"
    assert printed.fields["facts"] is printed.documents[0]  # the templates find it by identity
    data = DocxRenderer(sample.templates.files["mitteilung.docx"], display_name="m") \
        .render(notice)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        body = archive.read("word/document.xml").decode()
        core = archive.read("docProps/core.xml").decode()
    assert "96\u00a0Mio.\u00a0€ für 2,25\u00a0m" in body
    assert "<dc:title>96 Mio. € für den Platz „Am Hof“</dc:title>" in core  # as typed


def line_breaks(pdf: Path) -> list[tuple[str, str]]:
    """(last word of a line, first word of the next) for every line end of the body."""
    lines = [line.split() for line in pdf_text(pdf, layout=True, body=True).splitlines()]
    lines = [line for line in lines if line]
    return [(a[-1], b[0]) for a, b in zip(lines, lines[1:])]


@pytest.mark.slow
@needs_libreoffice
def test_numbers_and_units_never_split_at_a_line_end(sample, tmp_path):
    # The same sentence after 0, 1, 2, ... words: its line ends fall everywhere in it.
    paragraphs = "\n\n".join("Wort " * count + UNITS for count in range(0, 16))
    pdfs, converted = render_both(sample, [sample(facts(paragraphs))], tmp_path)
    for pdf in pdfs + converted:
        breaks = line_breaks(pdf)
        assert len(breaks) > 30  # the sentence did wrap, many times
        assert not [pair for pair in breaks if pair in PAIRS], pdf.name


def page_of(boxes, word: str, occurrence: int = 0) -> int:
    pages = [page for page, text, *_ in boxes if text == word]
    return pages[occurrence]


@pytest.mark.slow
@needs_libreoffice
def test_lead_ins_and_headings_are_never_left_at_the_foot_of_a_page(sample, tmp_path):
    fillers = range(8, 34)
    notices = [sample(facts("\n\n".join(FILLER.format(i) for i in range(count)) + "\n\n" + TAIL),
                      name=f"v{count}") for count in fillers]
    pdfs, converted = render_both(sample, notices, tmp_path)
    crossed = set()
    for count, pdf in zip(list(fillers) * 2, pdfs + converted):
        boxes = word_boxes(pdf)
        where = f"{pdf} ({count} fillers)"
        assert page_of(boxes, "Zwischenergebnis") == page_of(boxes, "Nachsatz"), where
        assert page_of(boxes, "Einleitungssatz,") == page_of(boxes, "Punktzwei"), where
        assert page_of(boxes, "Tabellenvorspann,") == page_of(boxes, "Tabellenzeile"), where
        assert page_of(boxes, "Anlagen:") == page_of(boxes, "Lageplananlage"), where
        crossed |= {word for word in ("Zwischenergebnis", "Einleitungssatz,",
                                      "Tabellenvorspann,", "Anlagen:")
                    if page_of(boxes, word) > 1}
    assert len(crossed) == 4  # the family did push each of them to page 2


@pytest.mark.slow
@needs_libreoffice
def test_a_question_and_antwort_stay_with_the_answer(sample, tmp_path):
    def record(count: int) -> str:
        first = "\n\n".join(FILLER.format(i) for i in range(count))
        return ("inquiry: Anfrage der Fraktion vom 03.04.2023\nquestions:\n"
                "  - question: Fragevorne?\n    answer: |\n"
                + "".join(f"      {line}\n" if line else "\n" for line in first.splitlines())
                + "  - question: Fragezwei zum Schluss?\n    answer: Antwortzwei kommt hier.\n")

    fillers = range(12, 28)
    notices = [sample(record(count), kind="beantwortung", name=f"b{count}") for count in fillers]
    pdfs, converted = render_both(sample, notices, tmp_path, kind="beantwortung")
    crossed = set()
    for count, pdf in zip(list(fillers) * 2, pdfs + converted):
        boxes = word_boxes(pdf)
        answer = page_of(boxes, "Antwortzwei")
        where = f"{pdf} ({count} fillers)"
        assert page_of(boxes, "Fragezwei") == page_of(boxes, "Antwort:", 1) == answer, where
        crossed.add((pdf.parent.name == "lo", page_of(boxes, "Fragezwei")))
    assert crossed == {(False, 1), (False, 2), (True, 1), (True, 2)}  # page 1, then page 2


NESTED = """\
Vorweg:

1. Punkteins
2. Punktzwei mit Unterpunkten:
   1. Unterpunkteins
   2. Unterpunktzwei
3. Punktdrei
"""


@needs_libreoffice
def test_a_nested_list_has_the_same_space_before_and_after_it(sample, tmp_path):
    """Numbered lists: the bullets of Word's template are in the Symbol font, which
    LibreOffice replaces here by a font with other line heights; numbers are text."""
    bullets = NESTED.replace("1. Punkt", "- Punkt").replace("2. Punkt", "- Punkt") \
        .replace("3. Punkt", "- Punkt")
    pdfs, converted = render_both(sample, [sample(facts(NESTED))], tmp_path)
    bullet_pdfs, _ = render_both(sample, [sample(facts(bullets), name="b")], tmp_path / "b",
                                 libreoffice=False)
    for pdf in pdfs + bullet_pdfs + converted:
        bottoms = {text: bottom for _, text, _, _, bottom, _ in word_boxes(pdf)}
        before = bottoms["Unterpunkteins"] - bottoms["Punktzwei"]
        after = bottoms["Punktdrei"] - bottoms["Unterpunktzwei"]
        between = bottoms["Unterpunktzwei"] - bottoms["Unterpunkteins"]
        assert abs(before - after) < 1, (str(pdf), before, after)
        assert abs(before - between) < 1, (str(pdf), before, between)
