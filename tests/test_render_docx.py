"""The Word renderer: real .docx files, checked the way Word and a clerk would see them."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest

from conftest import SEED, docx_text, pdf_text, record_text, rewrite_docx, words
from notices.errors import TemplateError
from notices.records import load_record
from notices.render_docx import DocxRenderer
from test_content import png_bytes

FACTS = """\
  Erster Absatz mit **fett**, *kursiv*, ~~alt~~ und `Code` für Bewohner*innen und Nutzer*innen.
  Quartiers\u00admanagement und {{ notice.subject }} und {% if x %} bleiben Text.

  ### Zwischenüberschrift

  - eins mit [Link](https://www.bielefeld.de/heepen)
  - zwei
    1. zwei-eins
    2. zwei-zwei

  3. drei
  4. vier

  Dazwischen.

  1. neu eins
  2. neu zwei

  | Straße | Kfz/Tag |
  |:--|--:|
  | Heeper Straße | 12.400 |

  ![Lageplan des Quartiers](plan.png)
"""


@pytest.fixture
def render(workspace, write_record, tmp_path):
    renderer = DocxRenderer(workspace.templates_dir / "mitteilung.docx",
                            display_name="templates/mitteilung.docx")
    write_record("plan.png", png_bytes(1200, 600))

    def do(text: str, name: str = "x.yaml") -> Path:
        result = load_record(workspace, write_record(name, text), known_kinds={"mitteilung"})
        assert result.ok, [str(p) for p in result.problems]
        out = tmp_path / (Path(name).stem + ".docx")
        out.write_bytes(renderer.render(result.notice, city=workspace.config.city))
        return out

    return do


def rich(**changes) -> str:
    return record_text(**changes).replace(
        "  Das Quartiersmanagement für die Bewohner*innen und Nutzer*innen.\n", FACTS)


def test_layout_and_styles(render):
    document = docx.Document(str(render(rich())))
    paragraphs = [(p.style.name, p.text) for p in document.paragraphs]
    assert paragraphs[:9] == [
        ("Notice Letterhead", "Stadt Bielefeld"),
        ("Notice File Line", "600.22, 18.04.2023, 0521 513224, Frau Bültmann"),
        ("Title", "Mitteilung des Bauamtes"),
        ("Notice Session", "zur Sitzung: Bezirksvertretung Heepen"),
        ("Notice Session", "☒ öffentlich ☐ nicht öffentlich"),
        ("Notice Session", "am 20.04.2023"),
        ("Heading 2", "Anlass:"),
        ("Notice Subject", "INSEK Baumheide – Fortführung des Quartiersmanagements Baumheide"),
        ("Heading 2", "Sachverhalt:"),
    ]
    assert paragraphs[-1] == ("Notice Signature", "gez. Dodenhoff")
    styles = [name for name, _ in paragraphs]
    for expected in ("List Bullet", "List Number", "List Number 2", "Heading 5"):
        assert expected in styles
    assert document.tables[0].style.name == "Notice Table"
    assert document.tables[0].cell(1, 0).text == "Heeper Straße"


def test_literal_text_survives(render):
    text = docx_text(render(rich()))
    assert "Bewohner*innen und Nutzer*innen" in text
    assert "{{ notice.subject }} und {% if x %} bleiben Text." in text
    with zipfile.ZipFile(render(rich())) as archive:
        body = archive.read("word/document.xml").decode()
    assert "Quartiers</w:t><w:softHyphen/><w:t xml:space=\"preserve\">management" in body


def test_a4_language_header_footer(render):
    path = render(record_text().replace("  public: true", "  public: nicht öffentlich"))
    document = docx.Document(str(path))
    section = document.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    assert section.header.paragraphs[0].text == "nicht öffentlich"
    assert document.paragraphs[4].text == "☐ öffentlich ☒ nicht öffentlich"
    with zipfile.ZipFile(path) as archive:
        footer = archive.read("word/footer1.xml").decode()
        styles = archive.read("word/styles.xml").decode()
    assert "Seite " in footer and " PAGE " in footer and " NUMPAGES " in footer
    assert re.search(r'<w:docDefaults>.*<w:lang w:val="de-DE"', styles, re.S)
    public = docx.Document(str(render(record_text(), name="p.yaml")))
    assert public.sections[0].header.paragraphs[0].text == ""


def test_core_properties(render):
    properties = docx.Document(str(render(rich()))).core_properties
    assert properties.title == "INSEK Baumheide – Fortführung des Quartiersmanagements Baumheide"
    assert properties.author == "Bauamt"
    assert properties.keywords == "600.22, Bezirksvertretung Heepen"
    assert properties.subject.startswith("Mitteilung des Bauamtes zur Sitzung")
    assert properties.language == "de-DE"
    assert properties.created.isoformat().startswith("2023-04-18T00:00:00")


def test_links_images_and_unique_ids(render):
    path = render(rich())
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        assert len(names) == len(set(names))
        body = archive.read("word/document.xml").decode()
        rels = archive.read("word/_rels/document.xml.rels").decode()
        types = archive.read("[Content_Types].xml").decode()
        media = [n for n in names if n.startswith("word/media/")]
    rel_ids = re.findall(r'Id="(rId\d+)"', rels)
    assert len(rel_ids) == len(set(rel_ids))
    for used in re.findall(r'r:(?:id|embed)="(rId\d+)"', body):
        assert used in rel_ids
    assert 'Target="https://www.bielefeld.de/heepen" TargetMode="External"' in rels
    docpr = re.findall(r'<wp:docPr id="(\d+)"', body)
    assert len(docpr) == len(set(docpr)) == 1
    assert 'descr="Lageplan des Quartiers"' in body
    assert media == ["word/media/notice1.png"]
    assert 'Extension="png"' in types
    cx = int(re.search(r'<wp:extent cx="(\d+)"', body).group(1))
    assert cx == (11906 - 1417 - 1134) * 635  # scaled down to the text width


def test_each_ordered_list_restarts(render):
    with zipfile.ZipFile(render(rich())) as archive:
        numbering = archive.read("word/numbering.xml").decode()
        body = archive.read("word/document.xml").decode()
    starts = re.findall(r'<w:num w:numId="(\d+)"><w:abstractNumId w:val="\d+"/>'
                        r'<w:lvlOverride w:ilvl="0"><w:startOverride w:val="(\d+)"/>', numbering)
    assert [start for _, start in starts] == ["1", "3", "1"]
    used = re.findall(r'<w:numId w:val="(\d+)"/>', body)
    assert len(set(used)) == 3


def test_same_notice_same_bytes(render):
    assert render(rich(), name="a.yaml").read_bytes() == render(rich(), name="a.yaml").read_bytes()


def test_undefined_field_names_template_and_paragraph(workspace, write_record, tmp_path):
    broken = rewrite_docx(workspace.templates_dir / "mitteilung.docx", "word/document.xml",
                          b"notice.signatory", b"notice.signatroy", tmp_path / "broken.docx")
    renderer = DocxRenderer(broken, display_name="templates/mitteilung.docx")
    notice = load_record(workspace, write_record("x.yaml", SEED),
                         known_kinds={"mitteilung"}).notice
    with pytest.raises(TemplateError) as error:
        renderer.render(notice, city=None)
    message = error.value.problems[0].format()
    assert message.startswith("templates/mitteilung.docx:")
    assert "has no attribute 'signatroy'" in message
    assert 'in paragraph "gez. {{ notice.signatroy }}"' in message


def test_syntax_error_is_caught_when_loading(workspace, tmp_path):
    broken = rewrite_docx(workspace.templates_dir / "mitteilung.docx", "word/document.xml",
                          b"gez. {{ notice.signatory }}",
                          b"gez. {% if notice.signatory %}{{ notice.signatory }}",
                          tmp_path / "broken.docx")
    with pytest.raises(TemplateError) as error:
        DocxRenderer(broken, display_name="templates/mitteilung.docx")
    message = error.value.problems[0].format()
    assert message.startswith("templates/mitteilung.docx:")
    assert "Unexpected end of template" in message


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_opens_and_converts_it(render, tmp_path):
    path = render(rich())
    result = subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir",
                             str(tmp_path / "lo"), str(path)], capture_output=True, text=True,
                            timeout=180, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    converted = tmp_path / "lo" / (path.stem + ".pdf")
    assert converted.is_file(), result.stderr
    text = pdf_text(converted)
    assert "Mitteilung des Bauamtes" in text and "Heeper Straße" in text
    assert "Seite 1 von" in text


def test_docx_and_pdf_carry_the_same_words(workspace, write_record, tmp_path):
    """Parity: the body of both formats holds the same sequence of words."""
    from notices.render_pdf import PdfRenderer

    text = rich().replace("![Lageplan des Quartiers](plan.png)", "Ende.")
    notice = load_record(workspace, write_record("p.yaml", text),
                         known_kinds={"mitteilung"}).notice
    docx_path, pdf_path = tmp_path / "p.docx", tmp_path / "p.pdf"
    docx_path.write_bytes(DocxRenderer(workspace.templates_dir / "mitteilung.docx",
                                       display_name="t").render(notice, city="Stadt Bielefeld"))
    pdf_path.write_bytes(PdfRenderer(workspace.templates_dir, "mitteilung",
                                     variant="pdf/a-2a").render(notice, city="Stadt Bielefeld"))
    pdf_words = words(pdf_text(pdf_path, layout=True).replace("\u2010\n", "")
                      .replace("\u00ad\n", ""))
    # Page furniture aside: the footer "Seite X von Y" of every page.
    pdf_words = [w for i, w in enumerate(pdf_words)
                 if not (w == "Seite" or (i >= 1 and pdf_words[i - 1] == "Seite")
                         or (w == "von" and i >= 2 and pdf_words[i - 2] == "Seite")
                         or (i >= 3 and pdf_words[i - 3] == "Seite" and pdf_words[i - 1] == "von"))]
    docx_words = words(docx_text(docx_path))
    # List markers are text in the PDF but numbering in Word.
    markers = {"•", "1.", "2.", "3.", "4."}
    assert [w for w in pdf_words if w not in markers] == \
        [w for w in docx_words if w not in markers]
