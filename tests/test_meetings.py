"""The meeting's own documents: session records, their agendas, the Einladung, the
Niederschrift, and packets that follow the agenda."""

from __future__ import annotations

import re
from pathlib import Path
import shutil
import zipfile

import docx
import pikepdf
import pytest
from click.testing import CliRunner
from conftest import REPO, docx_text, pdf_text, words
from libreoffice import libreoffice_pdfs, needs_libreoffice

from notices.cli import main
from notices.scaffold import init_workspace

HEEPEN = ("--committee", "Bezirksvertretung Heepen", "--date", "20.04.2023")
STEM = "output/sessions/2023-04-20_bezirksvertretung-heepen"
RECORD = "sessions/2023-04-20-bezirksvertretung-heepen.yaml"


def run(runner, root, *args):
    return runner.invoke(main, ["-C", str(root), *args])


def copy_sample(root):
    init_workspace(root)
    shutil.rmtree(root / "records")
    shutil.copytree(REPO / "records", root / "records")
    shutil.copytree(REPO / "sessions", root / "sessions")
    shutil.copy(REPO / "notices.toml", root / "notices.toml")
    return root


@pytest.fixture
def sample(tmp_path):
    """The repository's sample workspace: papers and the two session records."""
    return copy_sample(tmp_path / "ws")


@pytest.fixture
def heepen(runner, sample):
    """The sample with the Heepen meeting's documents built, to change."""
    result = run(runner, sample, "session", *HEEPEN)
    assert result.exit_code == 0, result.stderr
    return sample


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The Heepen meeting's documents built once, for the tests that only read them."""
    root = copy_sample(tmp_path_factory.mktemp("meetings") / "ws")
    result = run(CliRunner(), root, "session", *HEEPEN)
    assert result.exit_code == 0, result.stderr
    return root


def flat(text: str) -> str:
    """The words of a document on one line, its page footers left out, "Ö1" as "Ö 1"
    (pdftotext may drop the narrow space after a bold "Ö")."""
    text = re.sub(r"Seite \d+ von \d+", " ", text)
    return re.sub(r"\b([ÖN]) ?(\d)", r"\1 \2", " ".join(words(text)))


def pdf_flat(path) -> str:
    """A PDF's text as ``flat``, read with its layout: rows of the agenda stay rows, and a
    result line ending in "-" is not taken for a hyphenated word."""
    return flat(pdf_text(path, layout=True))


def edit(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path, anchor: str) -> int:
    """The line of the record where ``anchor`` starts (messages name it)."""
    text = path.read_text(encoding="utf-8")
    return text[:text.index(anchor)].count("\n") + 1


# --- the session record ---------------------------------------------------------------

def test_sessions_marks_records_and_minutes(runner, sample):
    lines = run(runner, sample, "sessions").stdout.splitlines()
    assert lines[0].split("\t")[-2:] == ["record", "minutes"]
    assert f"20.04.2023\tBezirksvertretung Heepen\t7\t1\t0\t{RECORD}\tyes" in lines
    assert ("25.04.2023\tStadtentwicklungsausschuss\t2\t0\t0\t"
            "sessions/2023-04-25-stadtentwicklungsausschuss.yaml\tno") in lines
    assert "25.04.2023\tSchul- und Sportausschuss\t1\t0\t0\t-\t-" in lines


@pytest.mark.parametrize("old, new, anchor, message", [
    ('start: "17:00"', 'start: "25:00"', "start:",
     f"{RECORD}:{{line}}: start: '25:00' is not a time (expected HH:MM, e.g. 17:00)"),
    ("chair: Bezirks", "chiar: Bezirks", "chiar:",
     f"{RECORD}:{{line}}: chiar: unknown field (did you mean 'chair'?)"),
    ("      yes: 7\n", "      yes: sieben\n", "      yes: sieben",
     f"{RECORD}:{{line}}: minutes.results.7.yes: 'sieben' is not a number of votes"),
    ("place: Bürgerhaus Heepen, Großer Saal, Salzufler Straße 13\n", "", None,
     f"{RECORD}: place: missing (where it meets)"),
])
def test_a_session_record_is_validated_like_a_record(runner, sample, old, new, anchor,
                                                     message):
    edit(sample / RECORD, old, new)
    message = message.format(line=line_of(sample / RECORD, anchor) if anchor else 0)
    result = run(runner, sample, "check")
    assert result.exit_code == 1
    assert message in result.stderr.splitlines(), result.stderr
    # The summary does not read clean above an exit status of 1.
    assert re.fullmatch(r"checked \d+ records: 0 with errors; 1 other error above",
                        result.stderr.splitlines()[-1]), result.stderr


@pytest.mark.parametrize("old, new, anchor, message", [
    ("    paper: 4404/2020-2025", "    paper: 4499/2020-2025", '  - item: "4.2"',
     f"{RECORD}:{{line}}: agenda[5].paper: no paper has the paper number or file number "
     "'4499/2020-2025'"),
    ('  - item: "11.1"\n    paper: "600.31"\n    public: nein',
     '  - item: "11.1"\n    paper: "600.31"\n    public: ja', '  - item: "11.1"',
     f"{RECORD}:{{line}}: agenda[15].public: the paper "
     "records/2023/heepen/grundstueck-schelpsheide.yaml is not public, but item '11.1' is: "
     "mark the item 'public: nein' (or the paper public)"),
    ('  - item: "9"\n', '  - item: "8"\n    title: Noch einmal\n  - item: "9"\n',
     "    title: Noch einmal",
     f"{RECORD}:{{line}}: agenda[12].item: item '8' is on the agenda twice (first on line "
     "{first}); each item needs its own number"),
    ('    "8": vertagt', '    "12": vertagt', '    "12": vertagt',
     f"{RECORD}:{{line}}: minutes.results.12: a result for item '12', which is not on the "
     "agenda"),
])
def test_agenda_errors(runner, sample, old, new, anchor, message):
    edit(sample / RECORD, old, new)
    line = line_of(sample / RECORD, anchor) - (1 if anchor.startswith("    title") else 0)
    message = message.format(line=line, first=line_of(sample / RECORD, '  - item: "8"'))
    for command in (("check",), ("session", *HEEPEN)):
        result = run(runner, sample, *command)
        assert result.exit_code == 1, result.stderr
        assert message in result.stderr.splitlines(), result.stderr
    assert not (sample / f"{STEM}_einladung.pdf").exists()


@pytest.mark.parametrize("old, new, message", [
    ('  - item: "5.2"\n    paper: "660.41"\n', "",  # (its result then names no item)
     "records/2023/heepen/verkehrszaehlung-heeper-strasse.yaml: warning: session: names "
     f"Bezirksvertretung Heepen on 20.04.2023, but the agenda in {RECORD} does not list it: add "
     "it there, or it is missing from the meeting's packet"),
    ('  - item: "9"\n    title: Verschiedenes', '  - item: "4.5"\n    title: Verschiedenes',
     f"{RECORD}:{{line}}: warning: agenda: item '4.5' comes after '8'; the agenda is printed "
     "in the order of the record"),
    ('  - item: "9"\n    title: Verschiedenes', '  - item: "9.1"\n    title: Verschiedenes',
     f"{RECORD}:{{line}}: warning: agenda: item '9.1' has no item '9' above it"),
    ('    "7":\n      result: mit Mehrheit beschlossen\n      yes: 7\n      no: 2\n'
     '      abstain: 1\n', "",
     f"{RECORD}: warning: minutes.results: no result for item '7', where "
     "records/2023/beschluesse/strassenbeleuchtung-heepen.yaml is to be decided (Entscheidung)"),
])
def test_agenda_warnings(runner, sample, old, new, message):
    edit(sample / RECORD, old, new)
    if '"5.2"' in old:
        edit(sample / RECORD, '    "5.2": Kenntnisnahme\n', "")
    if '"9"' in old:  # its result follows the item
        edit(sample / RECORD, '    "9": Keine',
             '    "%s": Keine' % re.search(r'item: "([^"]+)"', new).group(1))
    if "{line}" in message:
        message = message.format(line=line_of(sample / RECORD, new.split("\n")[0]))
    for command in (("check",), ("build",), ("session", *HEEPEN)):
        result = run(runner, sample, *command)
        assert result.exit_code == 0, result.stderr
        assert message in result.stderr.splitlines(), (command, result.stderr)


def test_building_or_checking_one_paper_of_a_new_workspace_sees_all_the_others(runner,
                                                                             sample):
    """The agendas name papers never built yet (a new workspace, the desk's preview):
    they are read, not called missing."""
    for command in (("build", "records/2023/baumheide.yaml"),
                    ("check", "records/2023/baumheide.yaml")):
        result = run(runner, sample, *command)
        assert result.exit_code == 0, result.stderr
        assert "no paper has" not in result.stderr and "warning" not in result.stderr, \
            result.stderr
    assert not (sample / "output" / "build-errors.log").exists()


def test_a_broken_session_record_of_another_meeting_does_not_stop_this_one(runner, sample):
    (sample / "sessions" / "2023-06-01-rat.yaml").write_text(
        "committee: Rat der Stadt\ndate: 01.06.2023\nagenda: nein\n", encoding="utf-8")
    result = run(runner, sample, "session", *HEEPEN)
    assert result.exit_code == 0, result.stderr
    assert ("sessions/2023-06-01-rat.yaml: warning: has errors ('notices check' lists them); "
            "it does not name this meeting, so it does not stop it") in result.stderr.splitlines()
    assert (sample / f"{STEM}_einladung.pdf").exists()
    # In Word, too, a paper number never breaks at its hyphen.
    with zipfile.ZipFile(sample / f"{STEM}_einladung.docx") as archive:
        xml = archive.read("word/document.xml").decode()
    assert "4403/2020</w:t><w:noBreakHyphen/><w:t xml:space=\"preserve\">2025" in xml


def test_unanimous_with_votes_against_is_a_warning(runner, sample):
    edit(sample / RECORD, "      result: mit Mehrheit beschlossen\n      yes: 7\n      no: 2\n",
         "      result: einstimmig beschlossen\n      yes: 7\n      no: 2\n")
    line = line_of(sample / RECORD, "      no: 2")
    result = run(runner, sample, "check")
    assert result.exit_code == 0, result.stderr
    assert (f"{RECORD}:{line}: warning: minutes.results.7.no: 2 votes against, but the result "
            "says 'einstimmig beschlossen': unanimous means none against; correct one of "
            "them") in result.stderr.splitlines(), result.stderr


def test_the_sample_records_check_clean(runner, sample):
    result = run(runner, sample, "check")
    assert result.exit_code == 0, result.stderr
    assert not [line for line in result.stderr.splitlines() if "sessions/" in line]


# --- the Einladung -----------------------------------------------------------------------

def test_the_einladung_lists_both_parts_in_both_formats(built):
    pdf = pdf_flat(built / f"{STEM}_einladung.pdf")
    word = flat(docx_text(built / f"{STEM}_einladung.docx"))
    for text in (pdf, word):
        assert "Einladung Bezirksvertretung Heepen Sitzung BVHe/025/2023" in text
        assert "Sitzung am 20.04.2023 um 17:00 Uhr" in text
        assert "Ort: Bürgerhaus Heepen, Großer Saal, Salzufler Straße 13" in text
        assert "Zu dieser Sitzung lade ich Sie ein; die Vorlagen sind beigefügt. " \
               "Stadt Bielefeld, 06.04.2023" in text
        assert "Öffentlicher Teil Ö 1 Eröffnung der Sitzung" in text
        assert "Ö 4.1 Zustand der Spielplätze im Stadtbezirk Heepen 4403/2020-2025" in text
        assert "Ö 5 Mitteilungen Ö 5.1 INSEK Baumheide" in text
        assert "Der Antrag liegt den Mitgliedern schriftlich vor." in text
        assert "Nicht öffentlicher Teil N 11 Grundstücksangelegenheiten N 11.1 Veräußerung " \
               "einer städtischen Teilfläche an der Schelpsheide 600.31" in text
        assert "Bezirksbürgermeister Holger Nolte" in text
    assert flat(pdf_text(built / f"{STEM}_einladung.pdf")) == word  # cell by cell


def test_an_item_with_sub_items_is_never_the_last_line_of_a_page(built):
    """"N 11 Grundstücksangelegenheiten" goes to the page of its "N 11.1" (and with it
    the part's heading), never left alone at the foot of the page before."""
    pages = pdf_text(built / f"{STEM}_einladung.pdf").split("\f")
    (page,) = [p for p in pages if "N 11.1" in p]
    assert "Nicht öffentlicher Teil N 11 Grundstücksangelegenheiten N 11.1" in flat(page)
    # In Word: the line keeps with the next (and "Heading 3" keeps with it).
    document = docx.Document(built / f"{STEM}_einladung.docx")
    kept = {p.text.split("\t")[0]: p.style.paragraph_format.keep_with_next
            for p in document.paragraphs if p.style.name.startswith("Notice Agenda")}
    assert kept["N 11"] and kept["Ö 4"] and kept["Ö 5"]
    assert not kept["N 11.1"] and not kept["Ö 4.2"] and not kept["Ö 3"]


def test_a_meeting_with_only_non_public_items_says_so_in_its_public_documents(runner, sample):
    """Its public Einladung and Niederschrift are not left with an empty heading."""
    (sample / "sessions" / "2023-05-04-ausschuss.yaml").write_text(
        "committee: Rechnungsprüfungsausschuss\ndate: 04.05.2023\nstart: \"16:00\"\n"
        "place: Neues Rathaus\ninvitation_date: 20.04.2023\nagenda:\n"
        "  - item: \"1\"\n    title: Prüfung der Kasse\n    public: nein\n"
        "minutes:\n  end: \"17:00\"\n  results:\n    \"1\": Kenntnisnahme\n",
        encoding="utf-8")
    # Its record names the meeting but is not valid yet: it is named, not the meeting
    # called unknown.
    result = run(runner, sample, "session", "--committee", "Rechnungsprüfungsausschuss",
                 "--date", "04.05.2023")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "sessions/2023-05-04-ausschuss.yaml: minutes.present: missing (who was present: "
        "names, or group: names)",
        "session: nothing written for Rechnungsprüfungsausschuss am 04.05.2023: its session "
        "record sessions/2023-05-04-ausschuss.yaml has errors (above)"], result.stderr
    edit(sample / "sessions" / "2023-05-04-ausschuss.yaml", "minutes:\n",
         "minutes:\n  present: [Frau Ahrens, Herr Brandt]\n")
    result = run(runner, sample, "session", "--committee", "Rechnungsprüfungsausschuss",
                 "--date", "04.05.2023")
    assert result.exit_code == 0, result.stderr
    stem = sample / "output/sessions/2023-05-04_rechnungspruefungsausschuss"
    edition = pdf_flat(Path(f"{stem}_einladung_oeffentlich.pdf"))
    assert "Öffentlicher Teil Keine Tagesordnungspunkte" in edition
    assert "Prüfung der Kasse" not in edition
    for text in (pdf_flat(Path(f"{stem}_niederschrift.pdf")),
                 flat(docx_text(Path(f"{stem}_niederschrift.docx")))):
        assert "Verlauf und Ergebnisse In diesem Teil der Sitzung wurden keine " \
               "Tagesordnungspunkte behandelt." in text
        assert "Prüfung der Kasse" not in text
    members = flat(docx_text(Path(f"{stem}_einladung.docx")))
    assert "Öffentlicher Teil Keine Tagesordnungspunkte Nicht öffentlicher Teil N 1 Prüfung " \
           "der Kasse" in members


def test_the_public_einladung_leaves_the_non_public_part_out(built):
    """The edition for the web (OParl's Meeting.invitation): the public part only."""
    path = built / f"{STEM}_einladung_oeffentlich.pdf"
    text = pdf_flat(path)
    assert "Einladung Öffentliche Fassung Bezirksvertretung Heepen" in text
    with pikepdf.open(path) as pdf:
        assert str(pdf.open_metadata()["dc:title"]) == \
            "Einladung: Bezirksvertretung Heepen, 20.04.2023 – Öffentliche Fassung"
    assert "Ö 4.1 Zustand der Spielplätze im Stadtbezirk Heepen 4403/2020-2025" in text
    assert "Zu dieser Sitzung lade ich Sie ein. Stadt Bielefeld, 06.04.2023" in text
    for secret in ("Schelpsheide", "Grundstücksangelegenheiten", "N 11", "600.31",
                   "Nicht öffentlicher Teil"):
        assert secret not in text
    with pikepdf.open(path) as pdf:
        streams = b"".join(o.read_bytes() for o in pdf.objects
                           if isinstance(o, pikepdf.Stream))
    assert b"Schelpsheide" not in streams
    assert not path.with_suffix(".docx").exists()


# --- the Niederschrift ----------------------------------------------------------------------

def test_the_niederschrift_in_both_formats(built):
    public_pdf = pdf_flat(built / f"{STEM}_niederschrift.pdf")
    public_docx = flat(docx_text(built / f"{STEM}_niederschrift.docx"))
    for text in (public_pdf, public_docx):
        assert "Niederschrift Bezirksvertretung Heepen, öffentlicher Teil" in text
        for field in ("BVHe/025/2023", "20.04.2023", "17:00 Uhr", "19:35 Uhr"):
            assert field in text
        assert "SPD: Holger Nolte, Anna Brinkmann, Thomas Wulf, Sabine Heitkamp" in text
        assert "Entschuldigt Heinz Kreft" in text
        assert "Ö 2 Genehmigung der Niederschrift über die Sitzung vom 16.03.2023 " \
               "- einstimmig beschlossen - Die Niederschrift" in text
        assert "- mit Mehrheit beschlossen -, Ja: 7, Nein: 2, Enthaltungen: 1" in text
        assert "(4402/2020-2025)" in text
        assert "Ö 8 Antrag der SPD-Fraktion: Tempo 30 vor der Grundschule Heepen vertagt" in text
        assert "zwei der vierzehn Bäume werden als Obstbäume gepflanzt." in text
        assert "Schelpsheide" not in text and "N 11" not in text
    hidden_pdf = pdf_text(built / f"{STEM}_niederschrift_nichtoeffentlich.pdf")
    hidden_docx = flat(docx_text(built / f"{STEM}_niederschrift_nichtoeffentlich.docx"))
    for text in (pdf_flat(built / f"{STEM}_niederschrift_nichtoeffentlich.pdf"), hidden_docx):
        assert "N 11.1 Veräußerung einer städtischen Teilfläche an der Schelpsheide (600.31) " \
               "- einstimmig beschlossen - Der Veräußerung" in text
        assert "Ö 7" not in text
    assert all("nicht öffentlich" in page for page in hidden_pdf.split("\f")[:-1])
    # Each file's title says which part it is, in both formats.
    for stem, part in (("niederschrift", "öffentlicher Teil"),
                       ("niederschrift_nichtoeffentlich", "nicht öffentlicher Teil")):
        title = f"Niederschrift: Bezirksvertretung Heepen, 20.04.2023 – {part}"
        with pikepdf.open(built / f"{STEM}_{stem}.pdf") as pdf:
            assert str(pdf.open_metadata()["dc:title"]) == title
        assert docx.Document(built / f"{STEM}_{stem}.docx").core_properties.title == title


def test_no_minutes_no_niederschrift(runner, sample):
    """Before the meeting: packets and Einladung. The non-public part has an item but no
    paper: its packet is its Tagesordnung alone, as the public part's would be."""
    sea = sample / "sessions/2023-04-25-stadtentwicklungsausschuss.yaml"
    result = run(runner, sample, "session", "--committee", "Stadtentwicklungsausschuss",
                 "--date", "25.04.2023")
    assert result.exit_code == 0, result.stderr
    stem = "2023-04-25_stadtentwicklungsausschuss"
    names = sorted(p.name for p in (sample / "output/sessions").iterdir())
    assert names == [f"{stem}{suffix}" for suffix in (
        ".docx", ".pdf", "_einladung.docx", "_einladung.pdf", "_einladung_oeffentlich.pdf",
        "_nichtoeffentlich.docx", "_nichtoeffentlich.pdf")]
    assert "Vergabe von Planungsleistungen" in pdf_text(
        sample / f"output/sessions/{stem}_nichtoeffentlich.pdf")
    # Its non-public item taken off the agenda: that packet goes, the others stay.
    edit(sea, "  - item: \"9\"\n    title: Vergabe von Planungsleistungen für den "
         "Quartiersplatz Baumheide\n    public: nein\n", "")
    result = run(runner, sample, "session", "--committee", "Stadtentwicklungsausschuss",
                 "--date", "25.04.2023")
    assert result.exit_code == 0, result.stderr
    assert (f"output/sessions/{stem}_nichtoeffentlich.pdf: warning: removed: the session no "
            "longer has a non-public part") in result.stderr.splitlines(), result.stderr
    names = sorted(p.name for p in (sample / "output/sessions").iterdir())
    assert names == [f"{stem}{suffix}" for suffix in (
        ".docx", ".pdf", "_einladung.docx", "_einladung.pdf", "_einladung_oeffentlich.pdf")]


# --- packets that follow the agenda ------------------------------------------------------

def outline(path) -> list[str]:
    with pikepdf.open(path) as pdf, pdf.open_outline() as tree:
        return [item.title for item in tree.root]


def cover_rows(cover: str) -> dict[str, list[str]]:
    """The first line of each row of a cover's table, by agenda item ("4.1": [words])."""
    rows = {}
    for line in cover.splitlines():
        match = re.match(r"\s*Ö ?(\d+(?:\.\d+)*)\s+(.*)", line)
        if match:
            rows[match.group(1)] = match.group(2).split()
    return rows


def test_the_packet_follows_the_agenda(built):
    packet = built / f"{STEM}.pdf"
    assert outline(packet) == [
        "Tagesordnung, öffentlicher Teil",
        "Ö 4.1: Zustand der Spielplätze im Stadtbezirk Heepen",
        "Ö 4.2: Radwegeverbindung zwischen Heepen und Baumheide",
        "Ö 5.1: INSEK Baumheide – Fortführung des Quartiersmanagements Baumheide",
        "Ö 5.2: Ergebnisse der Verkehrszählung auf der Heeper Straße im März 2023",
        "Ö 6: INSEK Baumheide – Umgestaltung des Quartiersplatzes am Freizeitzentrum, "
        "Vorentwurf",
        "Ö 7: Umrüstung der Straßenbeleuchtung auf LED in den Wohnstraßen des Stadtbezirks "
        "Heepen",
        "Ö 10: Ersatzpflanzungen für Straßenbäume im Stadtteil Baumheide"]
    cover = pdf_text(packet, layout=True).split("\f")[0]
    assert "Tagesordnung, öffentlicher Teil" in cover
    rows = cover_rows(cover)
    assert not rows["1"][-1].isdigit()  # no paper, no page
    assert rows["4.1"][-1].isdigit()
    hidden = built / f"{STEM}_nichtoeffentlich.pdf"
    assert outline(hidden) == ["Tagesordnung, nicht öffentlicher Teil",
                               "N 11.1: Veräußerung einer städtischen Teilfläche an der "
                               "Schelpsheide"]
    with pikepdf.open(packet) as pdf:
        assert pdf.Root.PageMode == pikepdf.Name.UseOutlines


def test_every_packet_page_carries_its_running_number(built):
    """"Mappe Seite N von M" on every page, and the cover's column names those pages."""
    packet = built / f"{STEM}.pdf"
    pages = pdf_text(packet, layout=True).split("\f")[:-1]
    total = len(pages)
    for number, page in enumerate(pages, start=1):
        assert f"Mappe Seite {number} von {total}" in page, page[-300:]
    cover = "\n".join(p for p in pages if "Tagesordnung, öffentlicher Teil" in p
                      or "Deckblatt" in p)
    starts = {item: int(row[-1]) for item, row in cover_rows(cover).items()
              if row[-1].isdigit()}
    assert "Zustand der Spielplätze" in pages[starts["4.1"] - 1]
    assert "Seite 1 von" in pages[starts["6"] - 1]
    assert "Umrüstung der Straßenbeleuchtung" in pages[starts["7"] - 1]


def page_numbers(page: str) -> tuple[tuple[str, str] | None, tuple[str, str] | None]:
    """A page's own "Seite X von Y" and the packet's "Mappe Seite N von T"."""
    own = re.search(r"(?<!Mappe )Seite (\d+) von (\d+)", page)
    running = re.search(r"Mappe Seite (\d+) von (\d+)", page)
    return (own.groups() if own else None), (running.groups() if running else None)


@needs_libreoffice
@pytest.mark.slow
def test_both_packets_show_the_same_two_numbers_and_the_cover_names_them(built, tmp_path):
    """Every page of the PDF packet and of the Word packet (as LibreOffice lays it out,
    Arial drawn in its metric twin) carries the paper's own "Seite X von Y" and the
    packet's "Mappe Seite N von T", the same on the same page; each cover's page column
    names the running number of the page where that paper starts."""
    pdf_pages = pdf_text(built / f"{STEM}.pdf", layout=True).split("\f")[:-1]
    (word,) = libreoffice_pdfs([built / f"{STEM}.docx"], tmp_path)
    word_pages = pdf_text(word, layout=True).split("\f")[:-1]
    assert len(word_pages) == len(pdf_pages) == 10
    for number, (pdf_page, word_page) in enumerate(zip(pdf_pages, word_pages), start=1):
        own, running = page_numbers(pdf_page)
        assert running == (str(number), "10"), pdf_page[-300:]
        assert page_numbers(word_page) == (own, running), (number, word_page[-300:])
    # A row's last word on its first line is its page, if it is one of the packet's
    # (item 8 has no paper; its subject's first line ends in "Tempo 30").
    pdf_starts = {item: row[-1] for item, row in cover_rows(pdf_pages[0]).items()
                  if row[-1].isdigit() and int(row[-1]) <= len(pdf_pages)}
    word_starts = {item: row[-1] for item, row in cover_rows(word_pages[0]).items()
                   if row[-1].isdigit() and int(row[-1]) <= len(word_pages)}
    assert pdf_starts == word_starts
    assert sorted(pdf_starts) == ["10", "4.1", "4.2", "5.1", "5.2", "6", "7"]
    for cover in (pdf_pages[0], word_pages[0]):  # both say whose pages these are
        assert "Deckblatt, Seite 1 von 1" in cover, cover[-300:]
    for start in pdf_starts.values():
        assert page_numbers(pdf_pages[int(start) - 1])[0][0] == "1"  # a paper's first page
    assert "Umrüstung der Straßenbeleuchtung" in word_pages[int(pdf_starts["7"]) - 1]


def test_meeting_documents_are_rebuilt_only_when_needed(runner, heepen):
    result = run(runner, heepen, "session", *HEEPEN)
    assert result.stderr.count("up to date: output/sessions/") == 11, result.stderr
    edit(heepen / "records/2023/anfragen/anfrage-radwege.yaml",
         "subject: Radwegeverbindung zwischen Heepen und Baumheide",
         "subject: Radweg zwischen Heepen und Baumheide")
    result = run(runner, heepen, "session", *HEEPEN)
    assert result.exit_code == 0
    rebuilt = {line.split("output/sessions/")[1] for line in result.stderr.splitlines()
               if line.startswith("built: ")}
    # The public packet, the Einladung (it prints the subject) and the public minutes.
    assert {"2023-04-20_bezirksvertretung-heepen.pdf",
            "2023-04-20_bezirksvertretung-heepen_einladung.pdf",
            "2023-04-20_bezirksvertretung-heepen_niederschrift.pdf"} <= rebuilt
    assert "2023-04-20_bezirksvertretung-heepen_nichtoeffentlich.pdf" not in rebuilt
    assert "Radweg zwischen Heepen und Baumheide" in pdf_text(heepen / f"{STEM}_einladung.pdf")
    # The meeting documents' own stylesheet: they are rebuilt, no paper is.
    papers = sorted((heepen / "output" / "2023").rglob("*.pdf"))
    written = [paper.stat().st_mtime_ns for paper in papers]
    css = heepen / "templates" / "meeting.css"
    css.write_text(css.read_text() + "\n/* restyled */\n")
    result = run(runner, heepen, "session", *HEEPEN)
    built = [line for line in result.stderr.splitlines() if line.startswith("built: ")]
    assert "built: output/sessions/2023-04-20_bezirksvertretung-heepen_einladung.pdf" in built
    assert len(papers) >= 7 and [paper.stat().st_mtime_ns for paper in papers] == written


def test_a_meeting_whose_agenda_has_no_papers_has_its_documents(runner, sample):
    (sample / "sessions/2023-09-01-rat.yaml").write_text(
        "committee: Rat der Stadt\ndate: 01.09.2023\nstart: '16:00'\nplace: Ratssaal\n"
        "agenda:\n  - item: '1'\n    title: Eröffnung\n  - item: '2'\n    title: "
        "Einwohnerfragestunde\n", encoding="utf-8")
    result = run(runner, sample, "session", "--committee", "Rat der Stadt", "--date",
                 "01.09.2023")
    assert result.exit_code == 0, result.stderr
    assert "Einwohnerfragestunde" in pdf_text(
        sample / "output/sessions/2023-09-01_rat-der-stadt_einladung.pdf")
