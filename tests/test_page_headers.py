"""Page headers of a paper in both formats (issue 10, items 5 and 6).

From page 2 on, a header names the file number, the paper number where there is one and
the shortened subject, so that a loose page of a packet can be put back; a non-public
paper says "nicht öffentlich" on every page, bold and larger, right above the text. Both
are page furniture: artifacts in the PDF, Word's header in the .docx.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import docx
import pikepdf
import pytest

from a11y import check_pdf
from a11y_reading import Reading
from conftest import REPO
from libreoffice import libreoffice_pdfs, needs_libreoffice
from notices.build import BuildOptions, build
from notices.scaffold import init_workspace
from notices.workspace import open_workspace
from pages import word_boxes

TOP_MARGIN = 2 * 72 / 2.54  # points: where the text area starts
VORLAGE = "2023/beschluesse/quartiersplatz-vorentwurf"  # two pages, with a paper number
SECRET = "2023/heepen/vertraulich"  # a non-public Mitteilung of two pages
VORLAGE_HEADER = ("600.27.1 · Drucksachen-Nr. 4401/2020-2025 · INSEK Baumheide – "
                  "Umgestaltung des Quartiersplatzes …")
SECRET_HEADER = "660.41 · Ergebnisse der Verkehrszählung auf der Heeper Straße …"


@pytest.fixture(scope="module")
def papers(tmp_path_factory) -> Path:
    """The repository's sample records, plus a non-public copy of the traffic count, built."""
    root = tmp_path_factory.mktemp("headers") / "ws"
    init_workspace(root)
    shutil.rmtree(root / "records")
    shutil.copytree(REPO / "records", root / "records")
    shutil.copy(REPO / "notices.toml", root / "notices.toml")
    count = (REPO / "records/2023/heepen/verkehrszaehlung-heeper-strasse.yaml").read_text()
    (root / "records" / f"{SECRET}.yaml").write_text(
        count.replace("public: ja", "public: nicht öffentlich").replace('"5.2"', '"12"'),
        encoding="utf-8")
    report = build(open_workspace(root), options=BuildOptions(jobs=1))
    assert not report.failed, report.as_json()
    return root / "output"


def top_margin_lines(pdf: Path) -> list[str]:
    """Per page, the text in the top margin (above the text area), as one line."""
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-y", "0", "-H", str(int(TOP_MARGIN)),
                          "-x", "0", "-W", "596", str(pdf), "-"], check=True,
                         capture_output=True, text=True).stdout
    return [" ".join(page.split()) for page in out.split("\f")[:-1]]


def test_shortened_subject_is_cut_at_a_space():
    from notices.source.model import shorten

    assert shorten("Kurz", 55) == "Kurz"
    assert shorten("Ergebnisse der Verkehrszählung auf der Heeper Straße im März 2023", 55) \
        == "Ergebnisse der Verkehrszählung auf der Heeper Straße …"
    assert shorten("96\u00a0Mio.\u00a0€ für den Quartiersplatz", 12) == "96\u00a0Mio.\u00a0€ …"


def test_pdf_pages_after_the_first_name_the_paper(papers):
    assert top_margin_lines(papers / f"{VORLAGE}.pdf") == ["", VORLAGE_HEADER]
    assert top_margin_lines(papers / f"{SECRET}.pdf") == [
        "nicht öffentlich", f"{SECRET_HEADER} nicht öffentlich"]


def test_pdf_page_headers_are_artifacts_not_text_read_on_every_page(papers):
    for name in (VORLAGE, SECRET):
        path = papers / f"{name}.pdf"
        assert check_pdf(path, require_ua=True) == []
        with pikepdf.open(path) as pdf:
            reading = Reading(pdf)
            tagged = " ".join(piece.text for pieces in reading.pieces.values()
                              for piece in pieces if piece.mcid is not None)
            artifacts = " ".join(piece.text for pieces in reading.pieces.values()
                                 for piece in pieces if piece.mcid is None)
        assert "Drucksachen-Nr. 4401/2020-2025 ·" not in tagged
        assert "nicht öffentlich" not in re.sub(r"[☐☒]\s*nicht öffentlich", "", tagged)
        assert " · " in artifacts


def test_pdf_says_nicht_oeffentlich_prominently_right_above_the_text(papers):
    boxes = word_boxes(papers / f"{SECRET}.pdf")
    stamps = [(page, bottom, top) for page, word, _, _, bottom, top in boxes
              if word == "öffentlich" and bottom < TOP_MARGIN]
    assert [page for page, _, _ in stamps] == [1, 2]  # every page
    for _, bottom, top in stamps:
        assert bottom - top >= 12  # 12 pt, where it used to be 9 pt
        assert TOP_MARGIN - bottom < 20  # at the foot of the margin, on the text
    public = word_boxes(papers / f"{VORLAGE}.pdf")
    assert not [w for page, w, _, _, bottom, _ in public if bottom < TOP_MARGIN
                and w == "öffentlich"]


def test_word_headers_name_the_paper_from_page_two_and_say_nicht_oeffentlich(papers):
    section = docx.Document(str(papers / f"{VORLAGE}.docx")).sections[0]
    assert section.different_first_page_header_footer
    assert [p.text for p in section.first_page_header.paragraphs] == [""]
    assert [p.text for p in section.header.paragraphs] == [VORLAGE_HEADER, ""]
    secret = docx.Document(str(papers / f"{SECRET}.docx")).sections[0]
    assert [p.text for p in secret.first_page_header.paragraphs] == ["nicht öffentlich"]
    assert [p.text for p in secret.header.paragraphs] == [SECRET_HEADER, "nicht öffentlich"]
    stamp = secret.header.paragraphs[1].style
    assert stamp.name == "Notice Confidential"
    assert stamp.font.bold and stamp.font.size.pt == 12
    # "Seite X von Y" on the first page too
    assert "Seite" in secret.first_page_footer.paragraphs[0].text


@pytest.mark.slow
@needs_libreoffice
def test_libreoffice_shows_the_headers(papers, tmp_path):
    vorlage, secret = libreoffice_pdfs([papers / f"{VORLAGE}.docx",
                                        papers / f"{SECRET}.docx"], tmp_path)
    first, *later = top_margin_lines(vorlage)
    assert first == "" and later and all(line == VORLAGE_HEADER for line in later)
    lines = top_margin_lines(secret)
    assert lines[0] == "nicht öffentlich"
    assert len(lines) > 1 and all(line == f"{SECRET_HEADER} nicht öffentlich"
                                  for line in lines[1:])
    stamps = [bottom - top for page, word, _, _, bottom, top in word_boxes(secret)
              if word == "öffentlich" and bottom < TOP_MARGIN]
    assert len(stamps) == len(lines) and min(stamps) >= 12


def test_papers_spell_nicht_oeffentlich_the_same_everywhere(papers):
    """In both formats, headers included, never "nichtöffentlich"."""
    import zipfile

    for suffix in (".pdf", ".docx"):
        path = papers / f"{SECRET}{suffix}"
        if suffix == ".pdf":
            text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                                  capture_output=True, text=True).stdout
        else:
            with zipfile.ZipFile(path) as archive:
                text = " ".join(archive.read(n).decode() for n in archive.namelist()
                                if n.startswith("word/") and n.endswith(".xml"))
        assert "nicht öffentlich" in text
        assert "nichtöffentlich" not in text.lower()
