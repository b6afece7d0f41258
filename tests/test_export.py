"""``notices export oparl`` and ``notices export xdomea`` on the sample workspace: the
trees and messages validate against the real schemas, nothing non-public reaches the
public tree, the exports are reproducible and rewrite nothing when nothing changed,
and only current outputs are ever taken."""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REPO
from oparl_check import validate_oparl_tree
from xdomea_check import validate_xdomea

from notices.cli import main
from notices.scaffold import init_workspace

pytestmark = pytest.mark.slow

BASE = "https://ris.example.de/oparl"
SCHEMAS = Path(__file__).parent / "schemas"
OPARL_SCHEMAS = SCHEMAS / "oparl-1.1" / "schema"
XSD = SCHEMAS / "xdomea-3.0.0" / "xsd" / "xdomea_3.0.0"
XNS = {"x": "urn:xoev-de:xdomea:schema:3.0.0"}
MEETINGS = (("Bezirksvertretung Heepen", "20.04.2023"),
            ("Stadtentwicklungsausschuss", "25.04.2023"),
            ("Schul- und Sportausschuss", "25.04.2023"))
SCHELPSHEIDE = "records/2023/heepen/grundstueck-schelpsheide.yaml"


def run(root, *args):
    return CliRunner().invoke(main, ["-C", str(root), *args])


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The sample workspace with every paper and every meeting's documents built."""
    root = tmp_path_factory.mktemp("export") / "ws"
    init_workspace(root)
    shutil.rmtree(root / "records")
    for folder in ("records", "sessions"):
        shutil.copytree(REPO / folder, root / folder)
    shutil.copy(REPO / "notices.toml", root / "notices.toml")
    result = run(root, "build", "--quiet")
    assert result.exit_code == 0, result.stderr
    for committee, date in MEETINGS:
        result = run(root, "session", "--committee", committee, "--date", date, "--quiet")
        assert result.exit_code == 0, result.stderr
    return root


@pytest.fixture
def workspace(built, tmp_path):
    """A copy of the built workspace, to change (times kept, so it stays current)."""
    return Path(shutil.copytree(built, tmp_path / "ws", symlinks=True))


@pytest.fixture(scope="module")
def oparl(built, tmp_path_factory):
    target = tmp_path_factory.mktemp("oparl") / "site"
    result = run(built, "export", "oparl", str(target), "--base-url", BASE)
    assert result.exit_code == 0, result.stderr
    return target, result


def pdf_words(path: Path) -> str:
    return " ".join(subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"],
                                   capture_output=True, text=True, check=True).stdout.split())


def load(target: Path, relative: str) -> dict:
    return json.loads((target / relative).read_text(encoding="utf-8"))


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


# --- OParl --------------------------------------------------------------------------------

def test_the_oparl_tree_validates_against_the_schemas_and_the_rules(oparl):
    target, result = oparl
    assert validate_oparl_tree(target, BASE, OPARL_SCHEMAS) == []
    summary = result.stderr.splitlines()[-1]
    assert summary.startswith("export oparl: ") and "9 Paper" in summary, result.stderr
    system = load(target, "system.json")
    assert system["oparlVersion"] == "https://schema.oparl.org/1.1/"
    body = load(target, system["body"][len(BASE) + 1:])["data"][0]
    assert body["name"] == "Stadt Bielefeld"


def test_a_deliberately_broken_object_fails_validation(oparl, tmp_path):
    target = Path(shutil.copytree(oparl[0], tmp_path / "site"))
    first, second = sorted((target / "paper").glob("*.json"))[:2]
    data = json.loads(first.read_text(encoding="utf-8"))
    del data["created"]
    first.write_text(json.dumps(data), encoding="utf-8")
    data = json.loads(second.read_text(encoding="utf-8"))
    data["type"] = "https://schema.oparl.org/1.0/Paper"
    second.write_text(json.dumps(data), encoding="utf-8")
    problems = validate_oparl_tree(target, BASE, OPARL_SCHEMAS)
    assert f"paper/{first.name}: $: missing created (required on every object in OParl " \
           "1.1, embedded ones too)" in problems, problems
    assert f"paper/{second.name}: $: unknown or missing OParl 1.1 type " \
           "'https://schema.oparl.org/1.0/Paper'" in problems, problems


def test_a_paper_maps_as_documented(oparl, built):
    target, _ = oparl
    paper = load(target, "paper/2023-beschluesse-quartiersplatz-vorentwurf.json")
    assert paper["name"] == ("INSEK Baumheide – Umgestaltung des Quartiersplatzes am "
                             "Freizeitzentrum, Vorentwurf")
    assert paper["reference"] == "4401/2020-2025"
    assert paper["paperType"] == "Beschlussvorlage"
    assert paper["date"] == "2023-04-11"
    assert paper["underDirectionOf"] == [f"{BASE}/organization/bauamt.json"]
    assert paper["notices:contact"]["name"]
    main_file = paper["mainFile"]
    assert main_file["mimeType"] == "application/pdf"
    assert main_file["fileName"] == "quartiersplatz-vorentwurf.pdf"
    assert "Quartiersplatz" in main_file["text"]
    pdf = built / "output/2023/beschluesse/quartiersplatz-vorentwurf.pdf"
    assert main_file["size"] == pdf.stat().st_size
    served = target / main_file["accessUrl"][len(BASE) + 1:]
    assert served.read_bytes() == pdf.read_bytes()
    roles = {c["role"] for c in paper["consultation"]}
    assert "Entscheidung" in roles
    (attachment,) = paper["auxiliaryFile"]
    assert attachment["name"] == "Anlage 1: Vorentwurf Quartiersplatz Baumheide, Lageplan"
    assert attachment["fileName"] == "quartiersplatz-vorentwurf_anlage-1.pdf"


def test_the_meeting_has_its_public_documents_only(oparl, built):
    target, _ = oparl
    meeting = load(target, "meeting/2023-04-20_bezirksvertretung-heepen.json")
    assert meeting["start"] == "2023-04-20T17:00:00+02:00"
    assert meeting["end"] == "2023-04-20T19:35:00+02:00"
    assert meeting["location"]["description"].startswith("Bürgerhaus Heepen")
    assert meeting["invitation"]["fileName"] == \
        "2023-04-20_bezirksvertretung-heepen_einladung_oeffentlich.pdf"
    assert meeting["resultsProtocol"]["fileName"] == \
        "2023-04-20_bezirksvertretung-heepen_niederschrift.pdf"
    assert [f["fileName"] for f in meeting["auxiliaryFile"]] == [
        "2023-04-20_bezirksvertretung-heepen.pdf"]
    items = {i.get("number"): i for i in meeting["agendaItem"]}
    hidden = [i for i in items.values() if not i["public"]]
    assert [sorted(i) for i in hidden] == [["created", "id", "modified", "number", "order",
                                           "public", "type"]] * 2
    assert [i["number"] for i in hidden] == ["11", "11.1"]
    assert items["7"]["result"] == "- mit Mehrheit beschlossen -, Ja: 7, Nein: 2, " \
        "Enthaltungen: 1"
    assert items["7"]["consultation"].endswith(
        "/paper/2023-beschluesse-strassenbeleuchtung-heepen/consultation/1.json")


def test_nothing_non_public_is_anywhere_in_the_tree(oparl, built):
    """No subject, number, text or file of the non-public paper, the non-public agenda
    items, the non-public Niederschrift or the members' Einladung; no draft."""
    target, _ = oparl
    out = built / "output"
    secrets = ["Schelpsheide", "600.31", "Herr Wiebusch", "Teilfläche",
               "Grundstücksangelegenheiten", "Veräußerung", "Flurstück 512",
               "Vergabe von Planungsleistungen",  # non-public item without a paper
               "Erneuerung des Spielplatzes am Heeper Holz"]  # the draft
    hidden_pdfs = [out / "2023/heepen/grundstueck-schelpsheide.pdf",
                   out / "sessions/2023-04-20_bezirksvertretung-heepen_einladung.pdf",
                   out / "sessions/2023-04-20_bezirksvertretung-heepen_niederschrift_"
                         "nichtoeffentlich.pdf",
                   out / "sessions/2023-04-20_bezirksvertretung-heepen_nichtoeffentlich.pdf"]
    # Whole sentences of the non-public paper's text, as its PDF shows them.
    text = pdf_words(hidden_pdfs[0])
    secrets += [text[i:i + 40] for i in range(0, len(text) - 40, 200)][2:8]
    hidden_bytes = {p.read_bytes() for p in hidden_pdfs}
    for path in target.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        assert data not in hidden_bytes, path
        readable = pdf_words(path) if data.startswith(b"%PDF") else data.decode("utf-8")
        for secret in secrets:
            assert secret not in readable, (secret, path)
            assert secret.encode("unicode_escape").decode("ascii") not in readable


def test_a_second_export_rewrites_nothing_and_a_fresh_one_is_identical(oparl, built,
                                                                        tmp_path):
    target, _ = oparl
    before = snapshot(target)
    result = run(built, "export", "oparl", str(target), "--base-url", BASE, "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["written"] == [] and report["removed"] == []
    assert report["unchanged"] == len(before)
    assert snapshot(target) == before
    other = tmp_path / "other"
    assert run(built, "export", "oparl", str(other), "--base-url", BASE).exit_code == 0
    assert {k: v[0] for k, v in snapshot(other).items()} == {
        k: v[0] for k, v in before.items()}


def test_a_stale_paper_stops_the_export_and_skip_stale_leaves_it_out(workspace, tmp_path):
    target = tmp_path / "site"
    assert run(workspace, "export", "oparl", str(target), "--base-url", BASE).exit_code == 0
    record = workspace / "records/2023/baumheide.yaml"
    record.write_text(record.read_text(encoding="utf-8").replace(
        "subject: INSEK Baumheide", "subject: INSEK Baumheide (neu)"), encoding="utf-8")
    before = snapshot(target)
    result = run(workspace, "export", "oparl", str(target), "--base-url", BASE)
    assert result.exit_code == 1
    assert ("output/2023/baumheide.pdf: is older than its sources: run 'notices build' "
            "first (the export takes only current outputs of records/2023/baumheide.yaml)"
            ) in result.stderr.splitlines(), result.stderr
    assert f"export oparl: nothing written to {target}" in result.stderr
    assert snapshot(target) == before
    result = run(workspace, "export", "oparl", str(target), "--base-url", BASE,
                 "--skip-stale", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["left_out"] == ["records/2023/baumheide.yaml"]
    assert not (target / "paper/2023-baumheide.json").exists()
    assert "paper/2023-baumheide.json" in json.loads(result.stdout)["removed"]
    assert validate_oparl_tree(target, BASE, OPARL_SCHEMAS) == []


def test_a_paper_made_non_public_disappears_from_the_next_export(workspace, tmp_path):
    target = tmp_path / "site"
    assert run(workspace, "export", "oparl", str(target), "--base-url", BASE).exit_code == 0
    assert (target / "paper/2023-heepen-strassenbaeume-baumheide.json").exists()
    record = workspace / "records/2023/heepen/strassenbaeume-baumheide.md"
    text = record.read_text(encoding="utf-8")
    assert "public: öffentlich" in text or "public: ja" in text, text[:600]
    record.write_text(text.replace("public: öffentlich", "public: nicht öffentlich").replace(
        "public: ja", "public: nein"), encoding="utf-8")
    meeting = workspace / "sessions/2023-04-20-bezirksvertretung-heepen.yaml"
    meeting.write_text(meeting.read_text(encoding="utf-8").replace(
        '  - item: "10"\n    paper: "360.14"\n',
        '  - item: "10"\n    paper: "360.14"\n    public: nein\n'), encoding="utf-8")
    assert run(workspace, "build", "--quiet").exit_code == 0
    result = run(workspace, "session", "--committee", "Bezirksvertretung Heepen", "--date",
                 "20.04.2023", "--quiet")
    assert result.exit_code == 0, result.stderr
    result = run(workspace, "export", "oparl", str(target), "--base-url", BASE)
    assert result.exit_code == 0, result.stderr
    assert not (target / "paper/2023-heepen-strassenbaeume-baumheide.json").exists()
    for path in target.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            text = pdf_words(path) if data.startswith(b"%PDF") else data.decode("utf-8")
            assert "Ersatzpflanzungen" not in text, path


def test_an_export_never_empties_a_folder_it_did_not_write(built, tmp_path):
    target = tmp_path / "home"
    target.mkdir()
    (target / "notes.txt").write_text("mine", encoding="utf-8")
    result = run(built, "export", "oparl", str(target), "--base-url", BASE)
    assert result.exit_code == 1
    assert "holds no earlier export" in result.stderr
    assert (target / "notes.txt").read_text(encoding="utf-8") == "mine"
    result = run(built, "export", "oparl", str(built / "output/oparl"), "--base-url", BASE)
    assert result.exit_code == 2 and "inside the workspace's output/" in result.stderr
    result = run(built, "export", "oparl", str(tmp_path / "x"), "--base-url", "ris.example")
    assert result.exit_code == 2 and "--base-url" in result.stderr


# --- xdomea -------------------------------------------------------------------------------

def message(zip_path: Path) -> ET.Element:
    with zipfile.ZipFile(zip_path) as archive:
        return ET.fromstring(archive.read(next(n for n in archive.namelist()
                                               if n.endswith(".xml"))))


@pytest.fixture(scope="module")
def xdomea(built, tmp_path_factory):
    target = tmp_path_factory.mktemp("xdomea")
    result = run(built, "export", "xdomea", str(target), "--archive", "Stadtarchiv Bielefeld",
                 "--json")
    assert result.exit_code == 0, result.stderr
    (zip_path,) = target.glob("*.zip")
    return zip_path, json.loads(result.stdout)


def test_the_xdomea_message_validates_against_the_xsd(xdomea):
    zip_path, report = xdomea
    assert validate_xdomea(zip_path, XSD) == []
    assert report["counts"]["Akte"] == 3 and report["counts"]["Vorgang"] == 3


def test_the_archive_gets_everything_non_public_marked_and_no_draft(xdomea):
    root = message(xdomea[0])
    documents = {d.findtext("x:AllgemeineMetadaten/x:Betreff", namespaces=XNS): d
                 for d in root.iter("{%s}Dokument" % XNS["x"])}
    level = lambda d: d.findtext(  # noqa: E731
        "x:AllgemeineMetadaten/x:Vertraulichkeitsstufe/code", namespaces=XNS)
    hidden = documents["Veräußerung einer städtischen Teilfläche an der Schelpsheide"]
    assert level(hidden) == "002"
    assert hidden.findtext("x:AllgemeineMetadaten/x:Kennzeichen", namespaces=XNS) == "600.31"
    assert "Nicht öffentlich" in hidden.findtext("x:AllgemeineMetadaten/x:Bemerkung",
                                                namespaces=XNS)
    assert level(documents["INSEK Baumheide – Fortführung des Quartiersmanagements "
                           "Baumheide"]) == "003"
    minutes = [s for s in documents if s.startswith("Niederschrift")]
    assert len(minutes) == 2 and level(documents[minutes[1]]) == "002", minutes
    assert "Erneuerung des Spielplatzes am Heeper Holz" not in documents  # the draft
    with zipfile.ZipFile(xdomea[0]) as archive:
        pdfs = [n for n in archive.namelist() if n.endswith(".pdf")]
    assert any(n.endswith("_grundstueck-schelpsheide.pdf") for n in pdfs)
    assert not any("_einladung_oeffentlich" in n or n.endswith("_bezirksvertretung-heepen.pdf")
                   for n in pdfs)


def test_an_attachment_that_is_not_pdf_a_is_listed_and_said_not_handed_over(xdomea):
    """The sample Lageplan (an ordinary PDF) goes into the message as metadata with a
    remark, without its file, and the export says so in a warning naming it."""
    root = message(xdomea[0])
    (anlage,) = [a for a in root.iter("{%s}Anlage" % XNS["x"])
                 if "Lageplan" in a.findtext("x:AllgemeineMetadaten/x:Betreff", namespaces=XNS)]
    assert "nicht als PDF/A" in anlage.findtext("x:AllgemeineMetadaten/x:Bemerkung",
                                               namespaces=XNS)
    assert anlage.find("x:Version", namespaces=XNS) is None
    (warning,) = [p for p in xdomea[1]["problems"] if "not handed over" in p]
    assert warning.startswith("output/2023/beschluesse/quartiersplatz-vorentwurf_anlage-1.pdf: "
                              "warning: not handed over to the archive: 'Anlage 1: Vorentwurf "
                              "Quartiersplatz Baumheide, Lageplan' is not a PDF/A file"), warning


def test_xdomea_is_reproducible_rewrites_nothing_and_filters(xdomea, built, tmp_path):
    zip_path, _ = xdomea
    mtime = zip_path.stat().st_mtime_ns
    result = run(built, "export", "xdomea", str(zip_path.parent), "--archive",
                 "Stadtarchiv Bielefeld", "--json")
    assert json.loads(result.stdout)["written"] == [] and zip_path.stat().st_mtime_ns == mtime
    other = tmp_path / "again"
    run(built, "export", "xdomea", str(other), "--archive", "Stadtarchiv Bielefeld")
    assert (other / zip_path.name).read_bytes() == zip_path.read_bytes()
    result = run(built, "export", "xdomea", str(tmp_path / "one"), "--committee",
                 "Stadtentwicklungsausschuss", "--from", "01.04.2023", "--to", "2023-04-30")
    assert result.exit_code == 0, result.stderr
    (one,) = (tmp_path / "one").glob("*.zip")
    assert validate_xdomea(one, XSD) == []
    akten = message(one).findall("x:Schriftgutobjekt/x:Akte", XNS)
    assert [a.findtext("x:AllgemeineMetadaten/x:Betreff", namespaces=XNS) for a in akten] == [
        "Stadtentwicklungsausschuss: Sitzungen 2023"]
    result = run(built, "export", "xdomea", str(tmp_path / "none"), "--committee",
                 "Stadtentwicklungsauschuss")
    assert result.exit_code == 2
    assert "did you mean 'Stadtentwicklungsausschuss'" in result.stderr


def test_a_broken_message_fails_the_xsd(xdomea, tmp_path):
    zip_path, _ = xdomea
    broken = tmp_path / zip_path.name
    with zipfile.ZipFile(zip_path) as source, zipfile.ZipFile(broken, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith(".xml"):
                data = data.replace(b"<xdomea:Typ>Sitzungsakte</xdomea:Typ>",
                                    b"<xdomea:Sorte>Sitzungsakte</xdomea:Sorte>", 1)
            target.writestr(info, data)
    problems = validate_xdomea(broken, XSD)
    assert any("Sorte" in p for p in problems), problems
