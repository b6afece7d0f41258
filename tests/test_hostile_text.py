"""Odd characters, huge and wide content, and limits: rendered faithfully or refused cleanly."""

from __future__ import annotations

import pytest

import unicodedata
import zipfile


from conftest import SEED, docx_text, pdf_text, record_text, rewrite_docx
from notices.build import BuildOptions, build
from notices.workspace import open_workspace


def facts(text: str) -> str:
    return SEED.replace("  Das Quartiersmanagement für die Bewohner*innen und Nutzer*innen.\n",
                        "".join(f"  {line}\n" if line else "\n" for line in text.split("\n")))


def pdf_columns(path) -> list[str]:
    """Words of a one-page PDF's facts table by column (left edge), each read top down.

    Also asserts that nothing lies beyond the page's right margin (2 cm).
    """
    import re
    import subprocess

    html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    page_width = float(re.search(r'<page width="([\d.]+)"', html).group(1))
    words = [(float(x0), float(y0), float(x1), text) for x0, y0, x1, text in re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>',
        html)]
    assert max(x1 for _, _, x1, _ in words) <= page_width - 56.6
    top = next(y0 for _, y0, _, text in words if text == "Sachverhalt:")
    bottom = next(y0 for _, y0, _, text in words if text == "gez.")
    groups: dict[int, list] = {}
    for x0, y0, _, text in words:
        if top < y0 < bottom:
            groups.setdefault(round(x0 / 4), []).append((y0, text))
    return ["".join(text for _, text in sorted(group)) for group in groups.values()]


def build_one(workspace_dir, write_record, text, name="x.yaml"):
    write_record(name, text)
    report = build(open_workspace(workspace_dir), [workspace_dir / "records" / name],
                   options=BuildOptions(jobs=1))
    return report.records[0]


def test_spaces_nfd_and_long_words_lose_no_text(workspace_dir, write_record):
    long_word = "Donaudampfschifffahrtsgesellschaftskapitänswitwe" * 6
    nfd = unicodedata.normalize("NFD", "Bültmann Größe Ärger")
    text = facts(f"A\u00a0B Null\u200bBreite {nfd} {long_word} Ende")
    record = build_one(workspace_dir, write_record, text)
    assert record.status == "built", [str(p) for p in record.problems]
    out = workspace_dir / "output" / "x"
    for extracted in (pdf_text(out.with_suffix(".pdf")), docx_text(out.with_suffix(".docx"))):
        flat = unicodedata.normalize("NFC", extracted).replace("\u200b", "")
        joined = "".join(flat.split())
        assert "Bültmann" in flat and "Größe" in flat and "Ärger" in flat
        assert long_word in joined  # broken across lines in the PDF, but all there
        assert "NullBreite" in joined and "Ende" in flat


def test_characters_without_a_font_are_reported(workspace_dir, write_record):
    text = record_text(subject='"Sommerfest 🎉 in 漢字"')
    record = build_one(workspace_dir, write_record, text)
    assert record.status == "built"
    lines = [p.format() for p in record.problems]
    assert any(line.startswith("records/x.yaml: warning: subject: no bundled font has these "
                               "characters") and "🎉 (U+1F389)" in line and "漢 (U+6F22)" in line
               for line in lines), lines


def test_greek_cyrillic_and_symbols_are_covered(workspace_dir, write_record):
    text = record_text(subject='"Ωμέγα Москва ☐ ☒ § € ½ → ✓"')
    record = build_one(workspace_dir, write_record, text)
    assert not [p for p in record.problems if "no bundled font" in p.message]
    assert "Ωμέγα Москва" in pdf_text(workspace_dir / "output" / "x.pdf")


def test_wide_table_keeps_every_cell(workspace_dir, write_record):
    header = "| " + " | ".join(f"Spalte{i}" for i in range(24)) + " |"
    rule = "|" + "---|" * 24
    row = "| " + " | ".join(f"Wert{i}" for i in range(24)) + " |"
    record = build_one(workspace_dir, write_record, facts("\n".join([header, rule, row])))
    assert record.status == "built"
    assert [p.format() for p in record.problems if "too wide" in p.message] == [
        "records/x.yaml: warning: facts: table 1 (24 columns: Spalte0, Spalte1, Spalte2, "
        "Spalte3, …) is too wide for the page: its longest words do not fit side by side and "
        "are broken inside their cells; fewer or narrower columns avoid that"]
    # 24 columns on A4: words break inside their cells, so read the PDF by columns.
    columns = pdf_columns(workspace_dir / "output" / "x.pdf")
    for i in range(24):
        assert f"Spalte{i}Wert{i}" in columns, columns
    with zipfile.ZipFile(workspace_dir / "output" / "x.docx") as archive:
        assert archive.read("word/document.xml").count(b"<w:tc>") == 48


@pytest.mark.slow
def test_hundreds_of_pages_within_the_time_limit_or_a_clean_failure(workspace_dir,
                                                                    write_record):
    toml = workspace_dir / "notices.toml"
    toml.write_text(toml.read_text() + "\n[limits]\nrender_timeout_seconds = 3\n")
    huge = "\n\n".join("Absatz mit etwas Text. " * 30 for _ in range(1200))  # < 1 MB
    write_record("huge.yaml", facts(huge))
    write_record("small.yaml", SEED)
    report = build(open_workspace(workspace_dir), options=BuildOptions(jobs=2))
    by_path = {r.path: r for r in report.records}
    assert by_path["records/small.yaml"].status == "built"
    huge_record = by_path["records/huge.yaml"]
    assert huge_record.status == "failed"
    assert [p.format() for p in huge_record.problems] == [
        "records/huge.yaml: rendering failed: took longer than 3 s to render "
        "(limits.render_timeout_seconds in notices.toml)"]


@pytest.mark.slow
def test_memory_limit_fails_one_record(workspace_dir, write_record):
    toml = workspace_dir / "notices.toml"
    toml.write_text(toml.read_text() + "\n[limits]\nrender_memory_mb = 40\n")
    big_table = "| A | B |\n|---|---|\n" + "\n".join(
        f"| {'x' * 100} {i} | {'y' * 100} |" for i in range(3000))  # < 1 MB
    write_record("wide.yaml", facts(big_table))
    write_record("small.yaml", SEED)
    report = build(open_workspace(workspace_dir), options=BuildOptions(jobs=1))
    by_path = {r.path: r for r in report.records}
    assert by_path["records/small.yaml"].status == "built"
    assert by_path["records/wide.yaml"].status == "failed"
    assert "render memory limit (limits.render_memory_mb in notices.toml)" in \
        by_path["records/wide.yaml"].problems[0].message


def test_check_reports_a_broken_word_template(runner, workspace_dir):
    from notices.cli import main

    rewrite_docx(workspace_dir / "templates" / "mitteilung.docx", "word/document.xml",
                 b"notice.signatory", b"notice.unterschrift")
    result = runner.invoke(main, ["-C", str(workspace_dir), "check"])
    assert result.exit_code == 1
    line = result.stderr.splitlines()[0]
    assert line.startswith("templates/mitteilung.docx:")
    assert "has no field 'unterschrift'" in line
    assert 'in paragraph "gez. {{ notice.unterschrift }}"' in line


def test_lists_nested_too_deep_keep_their_text(workspace_dir, write_record):
    nested = "\n".join("  " * depth + f"- Ebene{depth}" for depth in range(40))
    record = build_one(workspace_dir, write_record, facts(nested))
    assert record.status == "built", [str(p) for p in record.problems]
    warnings = [p.format() for p in record.problems]
    assert any("facts: lists or quotes nested more than nine levels deep: the deeper lines "
               "are shown as plain text" in line for line in warnings), warnings
    out = workspace_dir / "output" / "x"
    for extracted in (pdf_text(out.with_suffix(".pdf")), docx_text(out.with_suffix(".docx"))):
        assert all(f"Ebene{depth}" in extracted for depth in range(40)), extracted


def test_ordered_list_continues_after_a_paragraph_in_both_formats(workspace_dir, write_record):
    text = facts("1. Planung beauftragen\n2. Mittel bereitstellen\n\nZu Punkt 2 ein Satz.\n\n"
                 "3. Bürgerbeteiligung durchführen\n4. Bericht im Herbst")
    build_one(workspace_dir, write_record, text)
    pdf = pdf_text(workspace_dir / "output" / "x.pdf")
    assert "3. Bürgerbeteiligung durchführen" in pdf and "4. Bericht im Herbst" in pdf
    numbering = zipfile.ZipFile(workspace_dir / "output" / "x.docx").read("word/numbering.xml")
    assert b'<w:startOverride w:val="3"/>' in numbering


def test_non_breaking_hyphen_from_word_needs_no_font_warning(workspace_dir, write_record):
    text = record_text(subject='"Anfrage per E\u2011Mail"').replace(
        "Das Quartiersmanagement", "Bitte per E\u2011Mail an das Quartiersmanagement")
    record = build_one(workspace_dir, write_record, text)
    assert record.status == "built"
    assert not [p for p in record.problems if "no bundled font" in p.message]
    pdf = pdf_text(workspace_dir / "output" / "x.pdf")
    assert "Anfrage per E\u2010Mail" in pdf and "Bitte per E\u2010Mail an" in pdf
    # In Word, the subject's and the facts' alike: Word's own non-breaking hyphen, which
    # Arial and Liberation Sans draw (they have no U+2011).
    word = workspace_dir / "output" / "x.docx"
    assert "Anfrage per E-Mail" in docx_text(word) and "Bitte per E-Mail an" in docx_text(word)
    xml = zipfile.ZipFile(word).read("word/document.xml").decode()
    assert "\u2011" not in xml and xml.count("E</w:t><w:noBreakHyphen/>") == 2


def test_thematic_break_is_a_line_in_both_formats(workspace_dir, write_record):
    record = build_one(workspace_dir, write_record,
                       facts("Erster Teil.\n\n---\n\nZweiter Teil."))
    assert record.status == "built"
    out = workspace_dir / "output" / "x"
    assert "Erster Teil.\nZweiter Teil." in pdf_text(out.with_suffix(".pdf"))
    import pikepdf

    with pikepdf.open(out.with_suffix(".pdf")) as pdf:
        drawing = pdf.pages[0].Contents.read_bytes()
    assert b" re" in drawing or b" l" in drawing  # the rule is drawn
    body = zipfile.ZipFile(out.with_suffix(".docx")).read("word/document.xml").decode()
    assert '<w:pBdr><w:bottom w:val="single"' in body
    assert body.index("Erster Teil.") < body.index("<w:pBdr>") < body.index("Zweiter Teil.")
