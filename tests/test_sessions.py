"""Session packets: grouping, order, the cover sheet, and the public/non-public split."""

from __future__ import annotations

import zipfile

import docx
import pikepdf
import pytest

from conftest import SEED, docx_text, pdf_text, record_text
from notices.cli import main
from notices.source.records import load_record
from notices.packets.sessions import edit_distance, group_sessions, natural_key, slugify

SESSION = "Bezirksvertretung Heepen"


@pytest.mark.parametrize("text, slug", [
    ("Bezirksvertretung Heepen", "bezirksvertretung-heepen"),
    ("Ausschuss für Umwelt, Klimaschutz & Grün", "ausschuss-fuer-umwelt-klimaschutz-gruen"),
    ("  Straßen-   und Brückenausschuss!! ", "strassen-und-brueckenausschuss"),
    ("Öffentliche Ordnung", "oeffentliche-ordnung"),
])
def test_slugify(text, slug):
    assert slugify(text) == slug


def test_natural_order():
    items = ["11", "10.2", "2", "10", "10.1", "1a", "1"]
    assert sorted(items, key=natural_key) == ["1", "1a", "2", "10", "10.1", "10.2", "11"]


def test_edit_distance():
    assert edit_distance("Heepen", "Hepen", limit=2) == 1
    assert edit_distance("Bezirksvertretung Heepen", "Bezirksvertretung Sennestadt",
                         limit=2) == 3


@pytest.fixture
def session_workspace(workspace_dir, write_record):
    """Four notices of one session (one non-public), agenda items 5.1, 5.2, 10, 11, none."""
    write_record("2023/b.yaml", record_text(subject="Zweiter Punkt").replace(
        'agenda_item: "5.1"', 'agenda_item: "10"'))
    write_record("2023/c.yaml", record_text(subject="Dritter Punkt").replace(
        'agenda_item: "5.1"', 'agenda_item: "5.2"'))
    write_record("2023/geheim.yaml", record_text(
        subject="Geheimer Grundstücksverkauf Schelpsheide").replace(
        "  public: true", "  public: nicht öffentlich").replace(
        'agenda_item: "5.1"', 'agenda_item: "11"').replace(
        "Das Quartiersmanagement für die Bewohner*innen und Nutzer*innen.",
        "Kaufpreis VERTRAULICHZAHL 95,00 Euro je Quadratmeter."))
    write_record("2023/ohne.yaml", record_text(subject="Ohne Tagesordnungspunkt").replace(
        '  agenda_item: "5.1"\n', ""))
    write_record("2023/anderer.yaml", record_text(subject="Anderer Ausschuss").replace(
        "Bezirksvertretung Heepen", "Stadtentwicklungsausschuss").replace(
        "20.04.2023", "25.04.2023"))
    return workspace_dir


def run(runner, root, *args):
    return runner.invoke(main, ["-C", str(root), *args])


def test_sessions_listing(runner, session_workspace):
    result = run(runner, session_workspace, "sessions")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "date\tcommittee\tpublic\tnon-public\tdrafts",
        f"20.04.2023\t{SESSION}\t4\t1\t0",
        "25.04.2023\tStadtentwicklungsausschuss\t1\t0\t0",
    ]


def test_near_miss_and_duplicate_agenda_item_warnings(workspace, write_record):
    paths = [write_record("a.yaml", SEED),
             write_record("b.yaml", SEED.replace("Heepen", "Hepen")),
             write_record("c.yaml", SEED.replace("Bezirksvertretung Heepen",
                                                 "bezirksvertretung  heepen")),
             write_record("d.yaml", SEED.replace("Baumheide", "Sennestadt")),
             write_record("e.yaml", SEED.replace('"5.1"', '"5.2"'))]
    notices = [load_record(workspace, p, known_kinds={"mitteilung"}).notice for p in paths]
    sessions, problems = group_sessions(notices)
    lines = [p.format() for p in problems]
    assert ("records/b.yaml: warning: session.committee: 'Bezirksvertretung Hepen' looks "
            "like 'Bezirksvertretung Heepen' (used by 3 record(s)); if it is the same "
            "committee, spell it the same, or this notice is missing from that session") in lines
    assert any(line.startswith("records/c.yaml: warning: session.committee: "
                               "'bezirksvertretung heepen' looks like") for line in lines)
    assert ("records/d.yaml: warning: session.agenda_item: agenda item '5.1' is also used by "
            "records/a.yaml in the same session (Bezirksvertretung Heepen am 20.04.2023)") in lines


@pytest.fixture
def packets(runner, session_workspace):
    result = run(runner, session_workspace, "session", "--committee", SESSION,
                 "--date", "2023-04-20")
    assert result.exit_code == 0, result.output
    folder = session_workspace / "output" / "sessions"
    return folder / "2023-04-20_bezirksvertretung-heepen", \
        folder / "2023-04-20_bezirksvertretung-heepen_nichtoeffentlich"


def pages_of(path) -> int:
    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


def outline(path) -> list[str]:
    with pikepdf.open(path) as pdf, pdf.open_outline() as tree:
        return [item.title for item in tree.root]


def test_public_packet_pdf(packets, session_workspace):
    public, _ = packets
    pdf = public.with_suffix(".pdf")
    out = session_workspace / "output" / "2023"
    singles = ["baumheide", "c", "b", "ohne"]  # 5.1, 5.2, 10, then no agenda item
    assert pages_of(pdf) == 1 + sum(pages_of(out / f"{name}.pdf") for name in singles)
    assert outline(pdf) == [
        "TOP 5.1: INSEK Baumheide – Fortführung des Quartiersmanagements Baumheide",
        "TOP 5.2: Dritter Punkt", "TOP 10: Zweiter Punkt", "Ohne Tagesordnungspunkt"]
    cover = pdf_text(pdf, layout=True).split("\f")[0]
    assert "Sitzungsmappe" in cover and "öffentlicher Teil" in cover
    assert "Sitzung am 20.04.2023" in cover
    rows = [line.split() for line in cover.splitlines() if "Mitteilung" in line]
    assert [row[0] for row in rows] == ["5.1", "5.2", "10", "–"]
    assert [row[-1] for row in rows] == ["2", "3", "4", "5"]
    with pikepdf.open(pdf) as document:
        assert str(document.docinfo.Title) == \
            "Sitzungsmappe: Bezirksvertretung Heepen, 20.04.2023 – öffentlicher Teil"
        assert str(document.Root.Lang) == "de"
        with document.open_metadata() as meta:
            assert meta["pdfaid:part"] == "2" and meta["pdfaid:conformance"] == "A"
        links = [a for a in document.pages[0].get("/Annots", []) if a.get("/Subtype") == "/Link"]
        # Every row links to its notice once, on the subject, with the subject as the
        # link's description (not "notice-1", not "5.1" or "2").
        assert [str(a.Dest) for a in links] == [f"notice-{n}" for n in range(1, 5)]
        assert [str(a.Contents) for a in links] == [
            "INSEK Baumheide – Fortführung des Quartiersmanagements Baumheide",
            "Dritter Punkt", "Zweiter Punkt", "Ohne Tagesordnungspunkt"]


def test_nothing_non_public_reaches_the_public_packet(packets):
    public, _ = packets
    pdf = public.with_suffix(".pdf")
    assert "Geheimer" not in pdf_text(pdf) and "VERTRAULICHZAHL" not in pdf_text(pdf)
    assert not any("Geheimer" in title for title in outline(pdf))
    with pikepdf.open(pdf) as document:
        streams = b"".join(obj.read_bytes() for obj in document.objects
                           if isinstance(obj, pikepdf.Stream))
        metadata = str(dict(document.docinfo))
    for secret in ("Geheimer", "VERTRAULICHZAHL", "Schelpsheide"):
        assert secret.encode() not in streams and secret not in metadata
    with zipfile.ZipFile(public.with_suffix(".docx")) as archive:
        blob = b"".join(archive.read(n) for n in archive.namelist())
    assert b"Geheimer" not in blob and b"VERTRAULICHZAHL" not in blob


def test_non_public_packet(packets):
    _, secret = packets
    pdf = secret.with_suffix(".pdf")
    pages = pdf_text(pdf).split("\f")[:-1]
    assert all("nicht öffentlich" in page for page in pages)
    assert "nichtöffentlicher Teil" in pages[0]
    assert outline(pdf) == ["TOP 11: Geheimer Grundstücksverkauf Schelpsheide"]
    document = docx.Document(str(secret.with_suffix(".docx")))
    assert document.sections[0].header.paragraphs[0].text == "nicht öffentlich"


def test_word_packet(packets, tmp_path):
    public, _ = packets
    path = public.with_suffix(".docx")
    document = docx.Document(str(path))
    texts = [p.text for p in document.paragraphs]
    assert texts.count("Mitteilung des Bauamtes") == 4
    assert document.core_properties.title.startswith("Sitzungsmappe: Bezirksvertretung Heepen")
    breaks = [p for p in document.paragraphs if p.paragraph_format.page_break_before]
    assert len(breaks) == 4
    with zipfile.ZipFile(path) as archive:
        body = archive.read("word/document.xml").decode()
    for number in range(1, 5):
        assert f'w:name="notice_{number}"' in body
        assert f"PAGEREF notice_{number} \\h" in body
        assert body.count(f'w:anchor="notice_{number}"') == 1  # the subject, once per row
    table = document.tables[0]
    assert [table.cell(i, 0).text for i in range(1, 5)] == ["5.1", "5.2", "10", "–"]
    # The extended properties are the packet's, not the cover's nor python-docx's.
    with zipfile.ZipFile(path) as archive:
        app = archive.read("docProps/app.xml").decode()
    assert "<Application>notices</Application>" in app and "Pages" not in app
    assert f"<Words>{len(docx_text(path).split())}</Words>" in app
    import shutil
    import subprocess

    if shutil.which("soffice"):
        subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir",
                        str(tmp_path), str(path)], capture_output=True, timeout=180,
                       env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
        converted = tmp_path / (path.stem + ".pdf")
        assert converted.is_file()
        # The cover's columns are sized to their words: no header breaks inside a word,
        # even in LibreOffice's fallback font on a machine without Arial.
        header = pdf_text(converted, layout=True).split("\f")[0]
        assert "TOP" in header.split() and "Seite" in header.split(), header
        assert "Aktenzeichen" in header.split(), header


def test_packets_are_rebuilt_only_when_needed(runner, packets, session_workspace):
    args = ("session", "--committee", SESSION, "--date", "20.04.2023")
    result = run(runner, session_workspace, *args)
    assert result.stderr.count("up to date: output/sessions/") == 4
    (session_workspace / "records/2023/c.yaml").write_text(record_text(
        subject="Dritter Punkt, geändert").replace('agenda_item: "5.1"', 'agenda_item: "5.2"'))
    result = run(runner, session_workspace, *args)
    assert result.stderr.count("built: output/sessions/2023-04-20_bezirksvertretung-heepen.") == 2
    assert result.stderr.count("up to date: output/sessions/") == 2  # the non-public part
    assert "TOP 5.2: Dritter Punkt, geändert" in outline(packets[0].with_suffix(".pdf"))


def test_unknown_session_names_the_existing_ones(runner, session_workspace):
    result = run(runner, session_workspace, "session", "--committee", SESSION,
                 "--date", "21.04.2023")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "session: no notices for 'Bezirksvertretung Heepen' on 21.04.2023; that committee "
        "has sessions on 20.04.2023")


def test_a_failing_notice_stops_the_packet(runner, session_workspace, write_record):
    write_record("2023/kaputt.yaml", SEED.replace("date: 18.04.2023", "date: 31.02.2023"))
    result = run(runner, session_workspace, "session", "--committee", SESSION,
                 "--date", "20.04.2023")
    assert result.exit_code == 1
    assert "records/2023/kaputt.yaml:4: date: '31.02.2023' is not a valid date" in result.stderr
    assert "no packet written for Bezirksvertretung Heepen am 20.04.2023" in result.stderr
    assert not (session_workspace / "output" / "sessions").exists()


def test_packets_survive_a_normal_build_and_verify(runner, packets, session_workspace):
    result = run(runner, session_workspace, "build", "--prune")
    assert result.exit_code == 0, result.output
    assert packets[0].with_suffix(".pdf").exists()
    result = run(runner, session_workspace, "verify")
    assert result.exit_code == 0, result.output


def test_two_spellings_of_one_committee_do_not_share_a_packet(runner, workspace_dir,
                                                              write_record):
    write_record("a.yaml", SEED.replace("Bezirksvertretung Heepen",
                                        "Ausschuss für Umwelt/Klimaschutz"))
    write_record("b.yaml", SEED.replace("Bezirksvertretung Heepen",
                                        "Ausschuß für Umwelt/Klimaschutz"))
    # One record each: on a tie the spelling that sorts first gets the packet; the other
    # is refused, naming it, and never overwrites it.
    result = run(runner, workspace_dir, "session", "--committee",
                 "Ausschuß für Umwelt/Klimaschutz", "--date", "20.04.2023")
    assert result.exit_code == 1
    assert ("session: 'Ausschuß für Umwelt/Klimaschutz' is spelled so by 1 record(s) of "
            "20.04.2023, 'Ausschuss für Umwelt/Klimaschutz' by 1; both would write "
            "output/sessions/2023-04-20_ausschuss-fuer-umwelt-klimaschutz.*, which belongs to "
            "the usual spelling: build the packet with --committee 'Ausschuss für "
            "Umwelt/Klimaschutz', and spell the committee that way in records/b.yaml"
            ) in result.stderr.splitlines()
    assert not (workspace_dir / "output" / "sessions").exists()
    result = run(runner, workspace_dir, "session", "--committee",
                 "Ausschuss für Umwelt/Klimaschutz", "--date", "20.04.2023")
    assert result.exit_code == 0, result.stderr
    assert ("records/b.yaml: warning: session.committee: 'Ausschuß für Umwelt/Klimaschutz' "
            "looks like 'Ausschuss für Umwelt/Klimaschutz'") in result.stderr
    packet = workspace_dir / "output/sessions/2023-04-20_ausschuss-fuer-umwelt-klimaschutz.pdf"
    assert packet.is_file()


def test_a_session_whose_only_notice_is_broken(runner, workspace_dir, write_record):
    (workspace_dir / "records/2023/baumheide.yaml").unlink()
    write_record("kaputt.yaml", SEED.replace("date: 18.04.2023", "date: 32.03.2023"))
    result = run(runner, workspace_dir, "session", "--committee", SESSION,
                 "--date", "20.04.2023")
    assert result.exit_code == 1
    assert "records/kaputt.yaml:4: date: '32.03.2023' is not a valid date" in result.stderr
    assert ("records/kaputt.yaml: may belong to Bezirksvertretung Heepen am 20.04.2023 but "
            "has errors; no packet is written until it is fixed") in result.stderr
    assert "no notices for" not in result.stderr


def test_sessions_listing_reports_broken_records(runner, session_workspace, write_record):
    write_record("kaputt.yaml", SEED.replace("date: 18.04.2023", "date: 32.03.2023"))
    result = run(runner, session_workspace, "sessions")
    assert result.exit_code == 1
    assert "records/kaputt.yaml:4: date: '32.03.2023' is not a valid date" in result.stderr
    assert f"20.04.2023\t{SESSION}\t4\t1\t0" in result.stdout.splitlines()


def test_a_session_without_public_notices_has_no_public_packet(runner, workspace_dir):
    args = ("session", "--committee", SESSION, "--date", "20.04.2023", "--format", "pdf")
    assert run(runner, workspace_dir, *args).exit_code == 0  # public, with the notice
    record = workspace_dir / "records/2023/baumheide.yaml"
    record.write_text(record.read_text().replace("public: true", "public: false"))
    result = run(runner, workspace_dir, *args)
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert ("session: warning: Bezirksvertretung Heepen am 20.04.2023 has no public notices: "
            "no public packet is written") in lines
    # The earlier public packet holds the now non-public notice: it must not stay.
    assert ("output/sessions/2023-04-20_bezirksvertretung-heepen.pdf: warning: removed: the "
            "earlier public packet held notices that are no longer public") in lines
    assert sorted(p.name for p in (workspace_dir / "output/sessions").iterdir()) == [
        "2023-04-20_bezirksvertretung-heepen_nichtoeffentlich.pdf"]
    assert run(runner, workspace_dir, "verify").exit_code == 0


def test_broken_cover_templates_are_found_by_check_and_before_any_rendering(runner,
                                                                            workspace_dir):
    templates = workspace_dir / "templates"
    (templates / "sitzungsmappe.html").write_text(
        (templates / "sitzungsmappe.html").read_text() + "<p>{{ nosuch }}</p>\n")
    (templates / "sitzungsmappe.docx").write_bytes(b"garbage")
    expected = {"templates/sitzungsmappe.docx: is not a Word file (File is not a zip file); "
                "save it from Word as .docx"}
    result = run(runner, workspace_dir, "check")
    assert result.exit_code == 1
    lines = set(result.stderr.splitlines())
    assert expected <= lines and any(line.startswith("templates/sitzungsmappe.html:") and
                                     line.endswith("'nosuch' is undefined") for line in lines)
    result = run(runner, workspace_dir, "session", "--committee", SESSION,
                 "--date", "20.04.2023")
    assert result.exit_code == 1
    assert expected <= set(result.stderr.splitlines())
    # Not even the single notices were rendered (only the build lock is there).
    assert [p.name for p in (workspace_dir / "output").iterdir()] in ([], [".notices.lock"])


def test_a_file_number_used_twice_in_one_session_is_reported(runner, workspace_dir,
                                                             write_record):
    write_record("kopie.yaml", SEED.replace('agenda_item: "5.1"', 'agenda_item: "6"'))
    result = run(runner, workspace_dir, "check")
    assert result.exit_code == 0, result.output
    assert ("records/kopie.yaml: warning: file_number: file number '600.22' is also used by "
            "records/2023/baumheide.yaml in the same session (Bezirksvertretung Heepen am "
            "20.04.2023); a copied record?") in result.stderr.splitlines()


@pytest.mark.parametrize("name", ["..", "/", "数据委员会", "Επιτροπή", "Комитет", "A" * 300])
def test_committee_names_that_slug_to_nothing_get_safe_unique_names(name):
    slug = slugify(name)
    assert 1 <= len(slug) <= 70 and slug.isascii() and "/" not in slug and slug != ".."
    assert slugify(name + " X") != slug


def test_names_that_slug_to_nothing_do_not_share_packets():
    names = ["..", "/", "数据委员会", "Επιτροπή", "Комитет", "財務委員会"]
    assert len({slugify(name) for name in names}) == len(names)


def test_a_colleagues_near_miss_spelling_never_blocks_the_packet(runner, session_workspace,
                                                                 write_record):
    """'Bezirksvertretung  heepen' (case, two spaces) in one record: the packet of the usual
    spelling is built, that record is left out and named with both spellings."""
    write_record("2023/tippfehler.yaml", record_text(subject="Vertippt").replace(
        "Bezirksvertretung Heepen", "Bezirksvertretung  heepen"))
    result = run(runner, session_workspace, "session", "--committee", SESSION, "--date",
                 "20.04.2023")
    assert result.exit_code == 0, result.stderr
    assert ("records/2023/tippfehler.yaml: warning: session.committee: 'Bezirksvertretung "
            "heepen' looks like 'Bezirksvertretung Heepen' (used by 5 record(s)); if it is the "
            "same committee, spell it the same, or this notice is missing from that session"
            ) in result.stderr.splitlines()
    packet = session_workspace / "output/sessions/2023-04-20_bezirksvertretung-heepen.pdf"
    assert "Vertippt" not in pdf_text(packet)
    # The rare spelling is refused, naming the usual one, and the packet stays as it was.
    before = packet.read_bytes()
    result = run(runner, session_workspace, "session", "--committee",
                 "Bezirksvertretung  heepen", "--date", "20.04.2023")
    assert result.exit_code == 1
    assert "build the packet with --committee 'Bezirksvertretung Heepen'" in result.stderr
    assert packet.read_bytes() == before


def test_session_keeps_the_pdf_variant_it_is_given_and_says_when_it_changes_one(
        runner, session_workspace):
    """'notices session' no longer silently turns PDF/UA notices into PDF/A."""
    result = run(runner, session_workspace, "build", "--pdf-variant", "pdf/ua-1")
    assert result.exit_code == 0, result.stderr
    result = run(runner, session_workspace, "session", "--committee", SESSION, "--date",
                 "20.04.2023", "--pdf-variant", "pdf/ua-1")
    assert result.exit_code == 0, result.stderr
    assert "rebuilt as" not in result.stderr
    assert "built: output/sessions/2023-04-20_bezirksvertretung-heepen.pdf" in result.stderr
    with pikepdf.open(session_workspace / "output/2023/c.pdf") as pdf:
        assert "pdfuaid" in str(pdf.open_metadata())
    # Without the option, the variant of notices.toml applies, and it is said.
    result = run(runner, session_workspace, "session", "--committee", SESSION, "--date",
                 "20.04.2023")
    assert result.exit_code == 0, result.stderr
    assert "5 notices rebuilt as pdf/a-2a (they were pdf/ua-1)" in result.stderr.splitlines()


def test_session_shares_the_build_options(runner, session_workspace):
    result = run(runner, session_workspace, "session", "--committee", SESSION, "--date",
                 "20.04.2023", "--json", "--quiet", "--jobs", "1", "--format", "pdf")
    assert result.exit_code == 0, result.stderr
    import json

    report = json.loads(result.stdout)
    assert [p["path"] for p in report["packets"]] == [
        "output/sessions/2023-04-20_bezirksvertretung-heepen.pdf",
        "output/sessions/2023-04-20_bezirksvertretung-heepen_nichtoeffentlich.pdf"]
    assert report["build"]["counts"]["built"] == 5
    assert not (session_workspace / "output/2023/c.docx").exists()
