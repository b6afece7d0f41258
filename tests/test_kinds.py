"""The paper family: kinds declared as data, their fields, Beratungsfolge, drafts,
attachments and paper numbers."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile

import docx
import pytest

from conftest import REPO, docx_text, pdf_text, words
from notices.cli import main

SAMPLES = REPO / "records" / "2023"


def run(runner, root, *args):
    return runner.invoke(main, ["-C", str(root), *args])


@pytest.fixture
def papers(workspace_dir):
    """The sample Beschlussvorlagen and Beantwortungen beside the seed, with numbering."""
    for folder in ("beschluesse", "anfragen"):
        shutil.copytree(SAMPLES / folder, workspace_dir / "records/2023" / folder)
    config = workspace_dir / "notices.toml"
    config.write_text(config.read_text() + '\n[offices.Umweltamt]\nnumber = "360"\n'
                      'genitive = "des Umweltamtes"\n\n[offices."Amt für Verkehr"]\n'
                      'number = "660"\ngenitive = "des Amtes für Verkehr"\n\n[numbering]\n'
                      'pattern = "{seq}/{term}"\nterm = "2020-2025"\n')
    return workspace_dir


def flat(text: str) -> str:
    return " ".join(words(text))


# --- the shipped kinds ------------------------------------------------------------------

def test_kinds_lists_every_kind_with_its_fields(runner, workspace_dir):
    result = run(runner, workspace_dir, "kinds")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "beschlussvorlage: Beschlussvorlage (templates/beschlussvorlage.schema.yaml)" in lines
    assert "  proposal       Beschlussvorschlag — text (Markdown), required" in lines
    assert "      answer         Antwort — text (Markdown), required" in lines
    assert "  facts          Sachverhalt — text (Markdown), required" in lines
    listed = json.loads(run(runner, workspace_dir, "kinds", "--json").stdout)
    assert listed["beantwortung"]["label"] == "Beantwortung einer Anfrage"
    assert [f["name"] for f in listed["beantwortung"]["fields"][1]["fields"]] == [
        "question", "answer"]


def test_a_beschlussvorlage_in_both_formats(runner, papers):
    result = run(runner, papers, "build")
    assert result.exit_code == 0, result.stderr
    stem = papers / "output/2023/beschluesse/quartiersplatz-vorentwurf"
    for text in (pdf_text(stem.with_suffix(".pdf")), docx_text(stem.with_suffix(".docx"))):
        text = flat(text)
        assert "Beschlussvorlage des Bauamtes" in text
        assert "Drucksachen-Nr. 4401/2020-2025" in text
        for heading in ("Beratungsfolge:", "Betreff:", "Beschlussvorschlag:", "Begründung:",
                        "Finanzielle Auswirkungen:", "Anlagen:"):
            assert heading in text
        assert text.index("Beschlussvorschlag:") < text.index("Begründung:") < \
            text.index("Finanzielle Auswirkungen:")
        assert "Bezirksvertretung Heepen 20.04.2023 Vorberatung Ö" in text
        assert "Stadtentwicklungsausschuss 25.04.2023 Entscheidung Ö" in text
        assert "1 Vorentwurf Quartiersplatz Baumheide, Lageplan" in text
    # The same words in the same order (the PDF's list numbers and page footers aside,
    # which Word draws from its numbering and fields).
    import re

    def body(text):
        return [w for w in words(text) if not re.fullmatch(r"\d+\.|Seite|von|\d|•", w)]

    assert body(pdf_text(stem.with_suffix(".pdf"))) == body(docx_text(stem.with_suffix(".docx")))


def test_a_beantwortung_numbers_its_questions_in_both_formats(runner, papers):
    assert run(runner, papers, "build").exit_code == 0
    stem = papers / "output/2023/anfragen/anfrage-radwege"
    pdf = flat(pdf_text(stem.with_suffix(".pdf")))
    word = flat(docx_text(stem.with_suffix(".docx")))
    for text in (pdf, word):
        assert "Beantwortung einer Anfrage" in text
        assert "Anfrage der Fraktion Bündnis 90/Die Grünen vom 05.04.2023" in text
        first = text.index("Wann wird der Lückenschluss")
        second = text.index("Wie wird der Radverkehr")
        assert first < text.index("Die Planung ist abgeschlossen") < second
    assert "1. Wann wird" in word and "2. Wie wird" in word
    assert "1. Wann wird" in pdf and "2. Wie wird" in pdf


# --- validating a kind's fields ----------------------------------------------------------

BESCHLUSS = """\
kind: beschlussvorlage
office: Bauamt
file_number: 600.40
date: 01.04.2023
contact: {name: Frau A, phone: "1"}
consultations:
  - committee: Rat
    date: 05.05.2023
    public: ja
    role: Entscheidung
subject: Ein Betreff
proposal: Beschließen.
reasons: Darum.
finances: keine
signatory: B
"""


@pytest.mark.parametrize("change, message", [
    (("finances: keine\n", ""), "records/x.yaml: finances: missing (Finanzielle Auswirkungen)"),
    (("reasons: Darum.\n", "reasons: Darum.\nreason: x\n"),
     "records/x.yaml:14: reason: unknown field (did you mean 'reasons'?)"),
    (("proposal: Beschließen.", "proposal: [a, b]"),
     "records/x.yaml:12: proposal: expected text (Markdown), found a list"),
    (("role: Entscheidung", "role: Beschluss"),
     "records/x.yaml:10: consultations[0].role: 'Beschluss' is not a role (expected Anhörung, "
     "Vorberatung, Entscheidung, Kenntnisnahme)"),
    (("consultations:", "session: {committee: Rat, date: 05.05.2023, public: ja}\n"
      "consultations:"),
     "records/x.yaml:7: consultations: give either session (one) or consultations (a "
     "Beratungsfolge), not both"),
    (("status", "status"), None),
])
def test_kind_fields_are_validated_with_one_line_each(workspace, write_record, change,
                                                      message):
    from notices.source.records import load_workspace_records

    write_record("x.yaml", BESCHLUSS.replace(*change))
    results, _ = load_workspace_records(workspace)
    result = next(r for r in results if r.path == "records/x.yaml")
    lines = [p.format() for p in result.problems]
    if message is None:
        assert result.ok, lines
    else:
        assert message in lines, lines


def test_schema_rules_beyond_types_have_our_words(workspace, write_record):
    from notices.source.records import load_workspace_records

    write_record("a.yaml", """\
        kind: beantwortung
        office: Bauamt
        file_number: 600.41
        date: 01.04.2023
        contact: {name: Frau A, phone: "1"}
        session: {committee: Rat, date: 05.05.2023, public: ja}
        subject: Fragen
        inquiry: Anfrage vom 01.03.2023
        questions: []
        signatory: B
        """)
    results, _ = load_workspace_records(workspace)
    result = next(r for r in results if r.path == "records/a.yaml")
    assert "records/a.yaml:9: questions: has 0 items; expected at least 1" in [
        p.format() for p in result.problems]


# --- a city declares a kind of its own, without code ----------------------------------------

CUSTOM_SCHEMA = """\
title: Antrag
description: Ein Antrag einer Fraktion.
type: object
properties:
  applicant:
    title: Antragsteller
    type: string
    enum: [CDU, SPD, Grüne, FDP]
  urgent:
    title: Eilig
    type: boolean
  received:
    title: Eingegangen
    type: string
    format: date
  copies:
    title: Exemplare
    type: integer
    minimum: 1
  topics:
    title: Themen
    type: array
    items: {type: string}
  text:
    title: Antragstext
    type: string
    format: markdown
required: [applicant, received, text]
additionalProperties: false
"""

CUSTOM_HTML = """<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>{{ notice.subject }}</title></head>
<body><p>{{ notice.file_number }}</p><h1>Antrag der {{ fields.applicant }}</h1>
<p>Eingegangen am {{ fields.received|de_date }}{% if fields.urgent %}, eilig{% endif %},
{{ fields.copies }} Exemplare</p>
<p>Themen: {{ fields.topics|join(", ") }}</p>
<h2>{{ notice.subject }}</h2>{{ fields.text }}
<p>gez. {{ notice.signatory }}</p></body></html>
"""

ANTRAG = """\
kind: antrag
office: Bauamt
file_number: 600.50
date: 01.04.2023
contact: {name: Frau A, phone: "1"}
session: {committee: Rat, date: 05.05.2023, public: ja, agenda_item: "9"}
subject: Mehr Bänke am Obersee
applicant: SPD
urgent: ja
received: 2023-03-30
copies: "3"
topics: [Grün, Freizeit]
text: |
  Die Verwaltung wird gebeten, **zehn Bänke** aufzustellen.
signatory: C
"""


def _custom_kind(templates):
    (templates / "antrag.schema.yaml").write_text(CUSTOM_SCHEMA, encoding="utf-8")
    (templates / "antrag.html").write_text(CUSTOM_HTML, encoding="utf-8")
    (templates / "antrag.css").write_text("@import url(paper.css);\n", encoding="utf-8")
    document = docx.Document()
    for text in ("{{ notice.file_number }}", "Antrag der {{ fields.applicant }}",
                 "Eingegangen am {{ fields.received|de_date }}{% if fields.urgent %}, eilig"
                 "{% endif %}, {{ fields.copies }} Exemplare",
                 "Themen: {{ fields.topics|join(', ') }}", "{{ notice.subject }}",
                 "{{p fields.text }}", "gez. {{ notice.signatory }}"):
        document.add_paragraph(text)
    document.save(str(templates / "antrag.docx"))


def test_a_city_adds_a_kind_by_adding_four_files(runner, workspace_dir, write_record):
    _custom_kind(workspace_dir / "templates")
    write_record("2023/antrag.yaml", ANTRAG)
    result = run(runner, workspace_dir, "build")
    assert result.exit_code == 0, result.stderr
    for path in ("output/2023/antrag.pdf", "output/2023/antrag.docx"):
        reader = pdf_text if path.endswith(".pdf") else docx_text
        text = flat(reader(workspace_dir / path))
        assert "Antrag der SPD" in text
        assert "Eingegangen am 30.03.2023, eilig, 3 Exemplare" in text
        assert "Themen: Grün, Freizeit" in text
        assert "Die Verwaltung wird gebeten, zehn Bänke aufzustellen." in text
    listing = run(runner, workspace_dir, "kinds").stdout
    assert "antrag: Antrag (templates/antrag.schema.yaml)" in listing
    assert "  urgent         Eilig — yes/no, optional" in listing


@pytest.mark.parametrize("change, message", [
    (("applicant: SPD", "applicant: Piraten"),
     "records/2023/antrag.yaml:8: applicant: 'Piraten' is not one of 'CDU', 'SPD', 'Grüne', "
     "'FDP'"),
    (("urgent: ja", "urgent: vielleicht"),
     "records/2023/antrag.yaml:9: urgent: 'vielleicht' is not understood (expected "
     "true/false, ja/nein, yes/no, öffentlich/nicht öffentlich/nichtöffentlich)"),
    (("received: 2023-03-30", "received: 31.02.2023"),
     "records/2023/antrag.yaml:10: received: '31.02.2023' is not a valid date (expected "
     "DD.MM.YYYY or YYYY-MM-DD)"),
    (('copies: "3"', "copies: drei"), "records/2023/antrag.yaml:11: copies: 'drei' is not a "
     "whole number"),
    (('copies: "3"', "copies: 0"), "records/2023/antrag.yaml:11: copies: 0 is less than 1"),
])
def test_a_custom_kinds_fields_are_validated_by_its_schema(runner, workspace_dir,
                                                           write_record, change, message):
    _custom_kind(workspace_dir / "templates")
    write_record("2023/antrag.yaml", ANTRAG.replace(*change))
    result = run(runner, workspace_dir, "check")
    assert result.exit_code == 1
    assert message in result.stderr.splitlines(), result.stderr


@pytest.mark.parametrize("schema, message", [
    ("type: object\nproperties:\n  x: {type: strng}\n",
     "templates/antrag.schema.yaml:3: properties.x.type: not valid JSON Schema"),
    ("type: object\nproperties:\n  x: {type: number}\n",
     "templates/antrag.schema.yaml:3: properties.x.type: type 'number' is not supported "
     "(supported: string, boolean, integer, array, object)"),
    ("type: object\nproperties:\n  x: {type: string, format: email}\n",
     "templates/antrag.schema.yaml:3: properties.x.format: format 'email' is not supported "
     "(for strings: markdown, date)"),
    ("type: object\nproperties:\n  subject: {type: string}\n",
     "templates/antrag.schema.yaml:3: properties.subject: clashes with the common field "
     "'subject' that every paper has; choose another name"),
    ("type: object\nproperties:\n  x: {type: string\n",
     "templates/antrag.schema.yaml:4:1: invalid YAML"),
    ("type: array\n", "templates/antrag.schema.yaml:1: type: a kind's schema must be "
     "'type: object' with 'properties'"),
])
def test_a_broken_schema_is_an_error_with_its_line(runner, workspace_dir, schema, message):
    _custom_kind(workspace_dir / "templates")
    (workspace_dir / "templates/antrag.schema.yaml").write_text(schema)
    for command in ("check", "build"):
        result = run(runner, workspace_dir, command)
        assert result.exit_code == 1
        assert any(line.startswith(message) for line in result.stderr.splitlines()), \
            result.stderr
    assert not (workspace_dir / "output/2023").exists()


def test_a_workspace_without_schema_files_keeps_rendering_with_a_warning(runner,
                                                                         workspace_dir):
    """A workspace from before kinds were data: Mitteilung templates, no schema."""
    for path in (workspace_dir / "templates").glob("*.*"):
        if path.name.startswith(("beschlussvorlage.", "beantwortung.")) or \
                path.name.endswith(".schema.yaml"):
            path.unlink()
    result = run(runner, workspace_dir, "check")
    assert "templates/mitteilung.schema.yaml: warning: missing: this kind gets the fields " \
           "of a Mitteilung (facts)" in result.stderr
    assert run(runner, workspace_dir, "build").exit_code == 0
    assert "Das Quartiersmanagement" in pdf_text(workspace_dir / "output/2023/baumheide.pdf")


# --- Beratungsfolge and packets -------------------------------------------------------

def test_a_paper_belongs_to_the_session_of_every_consultation(runner, papers):
    listing = run(runner, papers, "sessions").stdout.splitlines()
    assert "25.04.2023\tStadtentwicklungsausschuss\t1\t0\t0" in listing
    assert "15.06.2023\tBezirksvertretung Heepen\t0\t0\t1" in listing  # the draft
    for committee, date, item in (("Bezirksvertretung Heepen", "20.04.2023", "TOP 6:"),
                                  ("Stadtentwicklungsausschuss", "25.04.2023", "TOP 8:")):
        result = run(runner, papers, "session", "--committee", committee, "--date", date,
                     "--format", "pdf")
        assert result.exit_code == 0, result.stderr
        packet = next((papers / "output/sessions").glob(f"{date[6:]}-{date[3:5]}-{date[:2]}_"
                                                        "*[!h].pdf"))
        import pikepdf

        with pikepdf.open(packet) as pdf:
            titles = [item.title for item in pdf.open_outline().root]
        assert f"{item} INSEK Baumheide – Umgestaltung des Quartiersplatzes am Freizeitzentrum, " \
               "Vorentwurf" in titles


def test_non_public_in_one_consultation_is_non_public_everywhere(runner, papers):
    record = papers / "records/2023/beschluesse/quartiersplatz-vorentwurf.yaml"
    record.write_text(record.read_text().replace("    public: true\n    agenda_item: \"8\"",
                                                 "    public: nein\n    agenda_item: \"8\""))
    result = run(runner, papers, "session", "--committee", "Bezirksvertretung Heepen",
                 "--date", "20.04.2023")
    assert result.exit_code == 0, result.stderr
    public = pdf_text(papers / "output/sessions/2023-04-20_bezirksvertretung-heepen.pdf")
    hidden = pdf_text(papers / "output/sessions/"
                      "2023-04-20_bezirksvertretung-heepen_nichtoeffentlich.pdf")
    assert "Quartiersplatzes am Freizeitzentrum, Vorentwurf" not in public
    assert "Quartiersplatzes am Freizeitzentrum, Vorentwurf" in hidden
    paper = pdf_text(papers / "output/2023/beschluesse/quartiersplatz-vorentwurf.pdf")
    assert paper.count("nicht öffentlich") >= 2  # header of each page, and the boxes


def test_drafts_carry_a_watermark_and_stay_out_of_packets(runner, papers):
    from PIL import Image

    result = run(runner, papers, "build")
    assert result.exit_code == 0
    draft = papers / "output/2023/beschluesse/spielplatz-heeper-holz"
    final = papers / "output/2023/beschluesse/strassenbeleuchtung-heepen"

    def grey_pixels(pdf) -> int:
        subprocess.run(["pdftoppm", "-png", "-r", "30", "-f", "1", "-l", "1", str(pdf),
                        str(pdf.with_suffix(""))], check=True)
        image = Image.open(f"{pdf.with_suffix('')}-1.png").convert("RGB")
        return sum(1 for pixel in image.get_flattened_data() if pixel == (0xd4, 0xd4, 0xd4))

    assert grey_pixels(draft.with_suffix(".pdf")) > 2000
    assert grey_pixels(final.with_suffix(".pdf")) < 200  # only the edges of grey shading
    with zipfile.ZipFile(draft.with_suffix(".docx")) as archive:
        assert b'string="ENTWURF"' in archive.read("word/header1.xml")
    with zipfile.ZipFile(final.with_suffix(".docx")) as archive:
        assert b"ENTWURF" not in archive.read("word/header1.xml")
    assert "ENTWURF" not in pdf_text(draft.with_suffix(".pdf"))  # outlines, not text
    record = papers / "records/2023/beschluesse/spielplatz-heeper-holz.yaml"
    record.write_text(record.read_text().replace('agenda_item', 'x').replace(
        "  date: 15.06.2023", "  date: 20.04.2023"))
    result = run(runner, papers, "session", "--committee", "Bezirksvertretung Heepen",
                 "--date", "20.04.2023", "--format", "pdf")
    assert result.exit_code == 0, result.stderr
    assert ("records/2023/beschluesse/spielplatz-heeper-holz.yaml: warning: status: is a draft "
            "(status: entwurf), so it is left out of the packet of Bezirksvertretung Heepen am "
            "20.04.2023; set status: final when it is done") in result.stderr.splitlines()
    assert "Spielplatzes am Heeper Holz" not in pdf_text(
        papers / "output/sessions/2023-04-20_bezirksvertretung-heepen.pdf")


# --- attachments --------------------------------------------------------------------------

def test_attachments_are_copied_tracked_and_removed(runner, papers):
    record = papers / "records/2023/beschluesse/quartiersplatz-vorentwurf.yaml"
    source = papers / "records/2023/beschluesse/vorentwurf-lageplan.pdf"
    copy = papers / "output/2023/beschluesse/quartiersplatz-vorentwurf_anlage-1.pdf"
    assert run(runner, papers, "build").exit_code == 0
    assert copy.read_bytes() == source.read_bytes()
    source.write_bytes(source.read_bytes() + b"\n% a new version of the plan\n")
    result = run(runner, papers, "build", "--json")
    built = {r["path"]: r for r in json.loads(result.stdout)["records"]}
    assert built["records/2023/beschluesse/quartiersplatz-vorentwurf.yaml"]["status"] == "built"
    assert copy.read_bytes() == source.read_bytes()
    copy.unlink()
    assert run(runner, papers, "build").exit_code == 0
    assert copy.read_bytes() == source.read_bytes()  # restored without rendering
    record.write_text(record.read_text().split("attachments:")[0].replace(
        "\n  (Anlage 1)", ""))
    result = run(runner, papers, "build")
    assert result.exit_code == 0, result.stderr
    assert not copy.exists()
    assert "removed: records/2023/beschluesse/quartiersplatz-vorentwurf.yaml no longer lists " \
           "it as an attachment" in result.stderr


@pytest.mark.parametrize("name, content, message", [
    ("fehlt.pdf", None, "'fehlt.pdf' does not exist"),
    ("plan.docx", b"PK", "'plan.docx' is not a PDF, PNG or JPEG file"),
    ("falsch.pdf", b"not a pdf", "'falsch.pdf' is not a valid PDF file"),
])
def test_an_attachment_that_cannot_be_used_is_an_error(workspace, write_record, name, content,
                                                       message):
    from notices.source.records import load_workspace_records

    if content is not None:
        (workspace.records_dir / name).write_bytes(content)
    write_record("x.yaml", BESCHLUSS + f"attachments:\n  - title: Plan\n    file: {name}\n")
    results, _ = load_workspace_records(workspace)
    result = next(r for r in results if r.path == "records/x.yaml")
    assert f"records/x.yaml:18: attachments[0].file: {message}" in [
        p.format() for p in result.problems]


# --- paper numbers and new records ------------------------------------------------------------

def test_a_paper_number_used_twice_is_an_error_naming_both(runner, papers):
    other = papers / "records/2023/anfragen/anfrage-radwege.yaml"
    other.write_text(other.read_text().replace("4404/2020-2025", "4403/2020-2025"))
    for command in ("check", "build"):
        result = run(runner, papers, command)
        assert result.exit_code == 1
        assert ("records/2023/anfragen/anfrage-radwege.yaml: paper_number: paper number "
                "'4403/2020-2025' is also used by records/2023/anfragen/anfrage-spielplaetze.yaml;"
                " each paper needs its own") in result.stderr.splitlines()


def test_new_writes_the_next_paper_number_with_every_field(runner, papers):
    result = run(runner, papers, "new", "beschlussvorlage", "--office", "Bauamt")
    assert result.exit_code == 0, result.stderr
    import datetime as dt

    year = dt.date.today().year
    path = result.stdout.strip()
    assert path == f"records/{year}/4406-2020-2025.yaml"  # after 4405 of the draft
    text = (papers / path).read_text()
    assert "paper_number: 4406/2020-2025" in text and "status: entwurf" in text
    assert "proposal:                         # Beschlussvorschlag (Markdown)" in text
    assert "consultations:" in text
    check = run(runner, papers, "check", path)
    assert check.exit_code == 1
    missing = [line for line in check.stderr.splitlines() if ": missing (" in line]
    assert [line.split(": ")[1] for line in missing] == [
        "file_number", "contact.name", "contact.phone", "consultations[0].committee",
        "consultations[0].date", "subject", "proposal", "reasons", "finances", "signatory"]
    again = run(runner, papers, "new", "beantwortung", "--office", "Umweltamt")
    assert again.stdout.strip() == f"records/{year}/4407-2020-2025.yaml"
    assert "- question:" in (papers / again.stdout.strip()).read_text()


def test_new_without_numbering_and_bad_requests(runner, workspace_dir):
    import datetime as dt

    result = run(runner, workspace_dir, "new", "mitteilung", "--office", "Bauamt")
    assert result.stdout.strip() == f"records/{dt.date.today().year}/mitteilung-1.yaml"
    result = run(runner, workspace_dir, "new", "mitteilung", "--office", "Bauamt")
    assert result.stdout.strip().endswith("/mitteilung-2.yaml")
    bad = run(runner, workspace_dir, "new", "antrag", "--office", "Bauamt")
    assert bad.exit_code == 2
    assert "KIND: unknown kind 'antrag'" in bad.stderr
    bad = run(runner, workspace_dir, "new", "mitteilung", "--office", "Bauamtt")
    assert bad.exit_code == 2
    assert "--office: unknown office 'Bauamtt' (known: Bauamt" in bad.stderr


def test_a_markdown_body_needs_a_kind_with_facts(workspace, write_record):
    from notices.source.records import load_workspace_records

    write_record("x.md", "---\n" + BESCHLUSS.replace("finances: keine\n", "") + "---\nText\n")
    results, _ = load_workspace_records(workspace)
    result = next(r for r in results if r.path == "records/x.md")
    assert any("a Markdown body holds the facts, but a Beschlussvorlage has no facts field"
               in p.message for p in result.problems)
