"""The OParl 1.1 and xdomea 3.0.0 writers on a synthetic model, against the real
(vendored) schemas; tests/test_export.py runs the commands on the sample workspace.

The synthetic model has two committees, two offices, public and non-public
papers, a draft, a wholly non-public meeting, agenda items that are non-public
(and one wrongly marked public that discusses a non-public paper), attachments
of several kinds and tiny but real PDFs. Secrets are spelled out in
``SECRETS`` and searched for byte by byte in the OParl tree.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from notices.export.model import (
    ExportAgendaItem,
    ExportBody,
    ExportConsultation,
    ExportContact,
    ExportDeleted,
    ExportFile,
    ExportLegislativeTerm,
    ExportLocation,
    ExportMeeting,
    ExportOrganization,
    ExportPaper,
    ExportSystem,
)
from notices.errors import NoticesError
from notices.export.checks import check_body
from notices.export.oparl.write import MARKER_NAME, write_oparl
from notices.export.xdomea.message import MESSAGE_SUFFIX, write_xdomea
from oparl_check import validate_oparl_tree
from xdomea_check import validate_xdomea

HERE = Path(__file__).resolve().parent
OPARL_SCHEMAS = HERE / "schemas" / "oparl-1.1" / "schema"
XDOMEA_XSD = HERE / "schemas" / "xdomea-3.0.0" / "xsd" / "xdomea_3.0.0"
BASE = "https://ris.beispielstadt.de/oparl"
TZ = dt.timezone(dt.timedelta(hours=1))
TZ_SUMMER = dt.timezone(dt.timedelta(hours=2))
XNS = {"x": "urn:xoev-de:xdomea:schema:3.0.0"}

# Everything that must never reach the public tree.
SECRETS = [
    "Grundstuecksverkauf Flurstueck 4711",            # subject of non-public paper P3
    "Kaufpreis 1.234.567 EUR",                        # text of P3's PDF
    "NOE-0815/2023",                                  # P3's paper number
    "Personalangelegenheit Amtsleitung",              # non-public paper P5 (item wrongly public)
    "Bewerberin Erika Musterfrau",                    # text of P5's PDF
    "ENTWURF Radverkehrskonzept",                     # draft paper P4
    "Entwurfstext nicht freigegeben",                 # text of the draft's PDF
    "Anlage 3 Eigentuemerliste",                      # non-public attachment of public P1
    "Eigentuemer Hans Beispiel",                      # its text
    "Vollstaendige Einladung mit nichtoeffentlichem Teil",   # internal invitation text
    "Vollstaendige Niederschrift nichtoeffentlicher Teil",   # internal protocol text
    "Ortstermin Vergabe Kita Nord",                   # wholly non-public meeting
    "Vergabevermerk Kita",                            # its protocol text
    "TOP-Name vertraulich Grundstueck",               # name of the non-public agenda item
    "NOE-0816/2023",                                  # P5's paper number
    "Frau Geheim",                                    # P3's contact (vendor extension)
    "Rechtsstreit Firma X",                           # non-public agenda item without a paper
]


def make_pdf(text: str) -> bytes:
    """A tiny but well-formed one-page PDF showing ``text`` (uncompressed, so greppable)."""
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 11 Tf 56 780 Td ({escaped}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def t(day: str, time: str = "09:00", tz: dt.tzinfo = TZ) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=tz)


def pdf_file(key: str, name: str, text: str, day: str, *, public: bool = True,
             pdfa: str | None = "2b") -> ExportFile:
    return ExportFile(key=key, name=name, file_name=f"{name}.pdf", mime_type="application/pdf",
                      data=make_pdf(text), text=text, date=dt.date.fromisoformat(day),
                      created=t(day, "08:00"), modified=t(day, "10:00"), public=public, pdfa=pdfa)


def build_model(tmp_path: Path | None = None) -> ExportBody:
    created = t("2023-01-02")
    org = lambda key, name, cls: ExportOrganization(  # noqa: E731
        key=key, name=name, classification=cls, created=created, modified=created)
    rathaus = ExportLocation(key="rathaus-saal-1", description="Rathaus, Großer Saal, Niederwall 23",
                             room="Großer Saal", street_address="Niederwall 23", postal_code="33602",
                             locality="Beispielstadt", created=created, modified=created)

    # --- papers
    xlsx = ExportFile(key="p1-kosten", name="Anlage 2 Kostenaufstellung",
                      file_name="Kostenaufstellung Straßenbau.xlsx",
                      mime_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                      data=b"PK\x03\x04 not really a spreadsheet", date=dt.date(2023, 4, 20),
                      created=t("2023-04-20"), modified=t("2023-04-20"))
    p1 = ExportPaper(
        key="p1", name="Ausbau der Heeper Straße", paper_type="Beschlussvorlage",
        date=dt.date(2023, 4, 20), office="bauamt", paper_number="0123/2023",
        file_number="660.10", created=t("2023-04-18"), modified=t("2023-04-21"),
        main_file=pdf_file("p1-main", "Beschlussvorlage 0123-2023", "Ausbau der Heeper Strasse",
                           "2023-04-20"),
        auxiliary_files=(
            pdf_file("p1-plan", "Anlage 1 Lageplan", "Lageplan Heeper Strasse", "2023-04-20"),
            xlsx,
            pdf_file("p1-owners", "Anlage 3 Eigentuemerliste", "Eigentuemer Hans Beispiel",
                     "2023-04-20", public=False),
        ),
        consultations=(
            ExportConsultation(key="c1", committee="bv-heepen", meeting="bv-2023-06",
                               agenda_item="top-3", role="Vorberatung"),
            ExportConsultation(key="c2", committee="bau", meeting="bau-2023-05",
                               agenda_item="top-2", role="Entscheidung", authoritative=True),
        ),
        contact=ExportContact(name="Frau Bültmann", phone="0521 513224"), signatory="Dodenhoff")
    p2 = ExportPaper(
        key="p2", name="INSEK Baumheide – Fortführung des Quartiersmanagements",
        paper_type="Mitteilung", date=dt.date(2023, 4, 18), office="bauamt",
        paper_number="0124/2023", created=t("2023-04-18"), modified=t("2023-04-18"),
        main_file=pdf_file("p2-main", "Mitteilung 0124-2023", "Quartiersmanagement Baumheide", "2023-04-18"),
        consultations=(ExportConsultation(key="c1", committee="bau", meeting="bau-2023-05",
                                          agenda_item="top-3", role="Kenntnisnahme"),),
        contact=ExportContact(name="Herr Beispiel", email="bauamt@beispielstadt.de"))
    p3 = ExportPaper(
        key="p3", name="Grundstuecksverkauf Flurstueck 4711", paper_type="Beschlussvorlage",
        date=dt.date(2023, 4, 25), office="bauamt", paper_number="NOE-0815/2023", public=False,
        created=t("2023-04-25"), modified=t("2023-04-25"),
        main_file=pdf_file("p3-main", "Vorlage NOE-0815", "Kaufpreis 1.234.567 EUR", "2023-04-25",
                           public=False),
        consultations=(ExportConsultation(key="c1", committee="bau", meeting="bau-2023-05",
                                          agenda_item="top-4", role="Entscheidung"),),
        contact=ExportContact(name="Frau Geheim"), signatory="Dodenhoff")
    p4 = ExportPaper(
        key="p4", name="ENTWURF Radverkehrskonzept", paper_type="Beschlussvorlage",
        date=dt.date(2023, 5, 2), office="umweltamt", draft=True, created=t("2023-05-02"),
        modified=t("2023-05-02"),
        main_file=pdf_file("p4-main", "Entwurf", "Entwurfstext nicht freigegeben", "2023-05-02"))
    p5 = ExportPaper(
        key="p5", name="Personalangelegenheit Amtsleitung", paper_type="Beschlussvorlage",
        date=dt.date(2023, 4, 26), office="umweltamt", paper_number="NOE-0816/2023", public=False,
        created=t("2023-04-26"), modified=t("2023-04-26"),
        main_file=pdf_file("p5-main", "Vorlage NOE-0816", "Bewerberin Erika Musterfrau", "2023-04-26"),
        consultations=(ExportConsultation(key="c1", committee="bau", meeting="bau-2023-05",
                                          agenda_item="top-5"),))
    p6 = ExportPaper(
        key="p6", name="Anfrage zur Baustellenkoordination", paper_type="Beantwortung einer Anfrage",
        date=dt.date(2023, 5, 25), office="umweltamt", file_number="600.22",
        created=t("2023-05-25"), modified=t("2023-05-26"),
        main_file=pdf_file("p6-main", "Beantwortung", "Antwort Baustellen", "2023-05-25"),
        consultations=(ExportConsultation(key="c1", committee="bv-heepen", meeting="bv-2023-06",
                                          agenda_item="top-4"),))
    p7 = ExportPaper(
        key="p7", name="Sachstand Lärmaktionsplan", paper_type="Mitteilung",
        date=dt.date(2023, 9, 1), office="umweltamt", paper_number="0300/2023",
        created=t("2023-09-01", tz=TZ_SUMMER), modified=t("2023-09-01", tz=TZ_SUMMER),
        main_file=pdf_file("p7-main", "Mitteilung 0300-2023", "Laermaktionsplan", "2023-09-01"),
        consultations=(ExportConsultation(key="c1", committee="bau", role="Kenntnisnahme"),))
    p8 = ExportPaper(  # 2024: a second Akte for the same committee
        key="p8", name="Bebauungsplan Nr. II/2/47.01", paper_type="Beschlussvorlage",
        date=dt.date(2024, 1, 5), office="bauamt", paper_number="0001/2024",
        created=t("2024-01-05"), modified=t("2024-01-05"),
        main_file=pdf_file("p8-main", "Beschlussvorlage 0001-2024", "Bebauungsplan", "2024-01-05"),
        consultations=(ExportConsultation(key="c1", committee="bau", meeting="bau-2024-01",
                                          agenda_item="top-1", role="Entscheidung"),))

    # --- meetings
    bau_2023_05 = ExportMeeting(
        key="bau-2023-05", name="12. Sitzung des Ausschusses für Stadtentwicklung und Bauen",
        committee="bau", start=t("2023-05-10", "17:00", TZ_SUMMER), end=t("2023-05-10", "20:15", TZ_SUMMER),
        location=rathaus, meeting_state="durchgeführt",
        created=t("2023-04-20"), modified=t("2023-05-20"),
        invitation=pdf_file("bau-2023-05-einladung", "Einladung öffentlicher Teil",
                            "Einladung oeffentlicher Teil", "2023-04-28"),
        internal_invitation=pdf_file("bau-2023-05-einladung-voll", "Einladung vollständig",
                                     "Vollstaendige Einladung mit nichtoeffentlichem Teil",
                                     "2023-04-28", public=False),
        results_protocol=pdf_file("bau-2023-05-niederschrift", "Niederschrift öffentlicher Teil",
                                  "Niederschrift oeffentlicher Teil", "2023-05-20"),
        internal_results_protocol=pdf_file("bau-2023-05-niederschrift-voll", "Niederschrift vollständig",
                                           "Vollstaendige Niederschrift nichtoeffentlicher Teil",
                                           "2023-05-20", public=False),
        auxiliary_files=(pdf_file("bau-2023-05-mappe", "Sitzungsmappe öffentlich",
                                  "Sitzungsmappe", "2023-04-28"),),
        agenda_items=(
            ExportAgendaItem(key="top-1", number="1", order=1, name="Eröffnung und Begrüßung"),
            ExportAgendaItem(key="top-2", number="2", order=2, name="Ausbau der Heeper Straße",
                             paper="p1", result="einstimmig beschlossen"),
            ExportAgendaItem(key="top-3", number="3", order=3, name="INSEK Baumheide", paper="p2",
                             result="zur Kenntnis genommen"),
            ExportAgendaItem(key="top-4", number="4", order=4, name="TOP-Name vertraulich Grundstueck",
                             public=False, paper="p3", result="beschlossen"),
            # Wrongly marked public: it discusses the non-public p5. Must still be a stub.
            ExportAgendaItem(key="top-5", number="5", order=5, name="Personalangelegenheit Amtsleitung",
                             public=True, paper="p5", result="vertagt"),
            # Non-public without any paper: only its own flag protects it.
            ExportAgendaItem(key="top-6", number="6", order=6, public=False,
                             name="Muendlicher Bericht Rechtsstreit Firma X", result="zur Kenntnis"),
        ))
    bau_2023_07 = ExportMeeting(  # wholly non-public
        key="bau-2023-07", name="Ortstermin Vergabe Kita Nord", committee="bau", public=False,
        start=t("2023-07-03", "15:00", TZ_SUMMER), created=t("2023-06-20"), modified=t("2023-07-05"),
        internal_results_protocol=pdf_file("bau-2023-07-protokoll", "Protokoll Ortstermin",
                                           "Vergabevermerk Kita", "2023-07-05", public=False))
    bv_2023_06 = ExportMeeting(
        key="bv-2023-06", name="8. Sitzung der Bezirksvertretung Heepen", committee="bv-heepen",
        start=t("2023-06-01", "17:00", TZ_SUMMER), location=rathaus,
        created=t("2023-05-10"), modified=t("2023-06-10"),
        invitation=pdf_file("bv-2023-06-einladung", "Einladung", "Einladung BV", "2023-05-20"),
        agenda_items=(
            ExportAgendaItem(key="top-3", number="3", order=3, name="Ausbau der Heeper Straße",
                             paper="p1", result="empfohlen"),
            ExportAgendaItem(key="top-4", number="4", order=4, name="Baustellenkoordination",
                             paper="p6"),
        ))
    bau_2024_01 = ExportMeeting(
        key="bau-2024-01", name="15. Sitzung des Ausschusses für Stadtentwicklung und Bauen",
        committee="bau", start=t("2024-01-18", "17:00"), created=t("2024-01-05"),
        modified=t("2024-01-20"),
        invitation=pdf_file("bau-2024-01-einladung", "Einladung", "Einladung Januar", "2024-01-08"),
        agenda_items=(ExportAgendaItem(key="top-1", number="1", order=1,
                                       name="Bebauungsplan Nr. II/2/47.01", paper="p8"),))

    return ExportBody(
        key="beispielstadt", name="Stadt Beispielstadt", short_name="Beispielstadt",
        website="https://www.beispielstadt.de/", ags="05711000", classification="Kreisfreie Stadt",
        archive_name="Stadtarchiv Beispielstadt", license="https://creativecommons.org/licenses/by/4.0/",
        created=created, modified=t("2024-01-20"), location=rathaus,
        system=ExportSystem(name="Ratsinformationen Beispielstadt", created=created, modified=created,
                            contact_email="ris@beispielstadt.de", product_version="1.4.0",
                            product="https://github.com/example/notices"),
        committees=(org("bau", "Ausschuss für Stadtentwicklung und Bauen", "Ausschuss"),
                    org("bv-heepen", "Bezirksvertretung Heepen", "Bezirksvertretung")),
        offices=(org("bauamt", "Bauamt", "Amt"), org("umweltamt", "Umweltamt", "Amt")),
        legislative_terms=(ExportLegislativeTerm(
            key="wp-2020", name="Wahlperiode 2020–2025", start_date=dt.date(2020, 11, 1),
            end_date=dt.date(2025, 10, 31), created=created, modified=created),),
        meetings=(bau_2023_05, bau_2023_07, bv_2023_06, bau_2024_01),
        papers=(p1, p2, p3, p4, p5, p6, p7, p8))


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def model() -> ExportBody:
    return build_model()


@pytest.fixture(scope="module")
def oparl_dir(model, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("oparl") / "site"
    write_oparl(model, out, BASE, page_size=2)
    return out


@pytest.fixture(scope="module")
def xdomea_zip(model, tmp_path_factory) -> Path:
    return write_xdomea(model, tmp_path_factory.mktemp("xdomea")).path


def load(oparl_dir: Path, rel: str) -> dict:
    return json.loads((oparl_dir / rel).read_text(encoding="utf-8"))


# =========================================================================== OParl

def test_oparl_tree_validates(oparl_dir):
    assert validate_oparl_tree(oparl_dir, BASE, OPARL_SCHEMAS) == []


def test_oparl_every_json_file_is_checked(oparl_dir):
    """Guard against a validator that silently looks at nothing."""
    json_files = [p for p in oparl_dir.rglob("*.json")]
    assert len(json_files) > 40
    assert any("/papers/2.json" in p.as_posix() for p in json_files)  # pagination happened


def test_oparl_reexport_is_byte_identical(model, oparl_dir, tmp_path):
    other = tmp_path / "again"
    write_oparl(model, other, BASE, page_size=2)
    assert tree_bytes(other) == tree_bytes(oparl_dir)
    # Replacing a previous export in place gives the same tree, mtimes included.
    write_oparl(model, other, BASE, page_size=2)
    assert tree_bytes(other) == tree_bytes(oparl_dir)
    paper = other / "paper" / "p1.json"
    assert paper.stat().st_mtime == t("2023-04-21").timestamp()


def test_oparl_no_secret_leaves(oparl_dir):
    blob = b"\n".join(tree_bytes(oparl_dir).values())
    for secret in SECRETS:
        for encoded in {secret.encode("utf-8"), secret.encode("latin-1"),
                        json.dumps(secret).strip('"').encode()}:
            assert encoded not in blob, f"leaked: {secret!r}"
    for key in ("p3", "p4", "p5"):
        assert not (oparl_dir / "paper" / f"{key}.json").exists()
    assert not (oparl_dir / "meeting" / "bau-2023-07.json").exists()
    assert not list(oparl_dir.glob("file/p1-owners*")) and not list(oparl_dir.glob("download/p1-owners*"))


def test_oparl_nonpublic_agenda_items_are_stubs(oparl_dir):
    stub_keys = {"id", "type", "meeting", "number", "order", "public", "created", "modified"}
    # top-5 was marked public but discusses a non-public paper; top-6 has no paper at all
    for key in ("top-4", "top-5", "top-6"):
        item = load(oparl_dir, f"meeting/bau-2023-05/agenda-item/{key}.json")
        assert set(item) == stub_keys and item["public"] is False
    meeting = load(oparl_dir, "meeting/bau-2023-05.json")
    embedded = {i["number"]: i for i in meeting["agendaItem"]}
    assert set(embedded["4"]) == stub_keys - {"meeting"}  # embedded: no back reference
    assert embedded["2"]["public"] is True and embedded["2"]["name"] == "Ausbau der Heeper Straße"
    assert embedded["2"]["consultation"] == f"{BASE}/paper/p1/consultation/c2.json"
    assert [i["order"] for i in meeting["agendaItem"]] == [1, 2, 3, 4, 5, 6]


def test_oparl_paper_and_file_properties(oparl_dir, model):
    paper = load(oparl_dir, "paper/p1.json")
    assert paper["id"] == f"{BASE}/paper/p1.json"
    assert paper["type"] == "https://schema.oparl.org/1.1/Paper"
    assert (paper["name"], paper["reference"], paper["date"], paper["paperType"]) == (
        "Ausbau der Heeper Straße", "0123/2023", "2023-04-20", "Beschlussvorlage")
    assert paper["underDirectionOf"] == [f"{BASE}/organization/bauamt.json"]
    assert paper["notices:contact"] == {"name": "Frau Bültmann", "phone": "0521 513224"}
    assert paper["notices:signatory"] == "Dodenhoff"
    assert [f["name"] for f in paper["auxiliaryFile"]] == ["Anlage 1 Lageplan", "Anlage 2 Kostenaufstellung"]
    consultation = {c["id"].rsplit("/", 1)[1]: c for c in paper["consultation"]}
    assert consultation["c2.json"]["meeting"] == f"{BASE}/meeting/bau-2023-05.json"
    assert consultation["c2.json"]["authoritative"] is True
    assert load(oparl_dir, "paper/p6.json")["reference"] == "600.22"  # no paper number: file number

    main = paper["mainFile"]
    source = model.papers[0].main_file
    for prop in ("name", "fileName", "mimeType", "size", "sha512Checksum", "accessUrl",
                 "downloadUrl", "date", "text", "created", "modified"):
        assert prop in main, prop
    assert main["text"] == "Ausbau der Heeper Strasse"
    assert main["sha512Checksum"] == hashlib.sha512(source.data).hexdigest()
    standalone = load(oparl_dir, "file/p1-main.json")
    assert standalone["paper"] == [paper["id"]]
    access = oparl_dir / main["accessUrl"][len(BASE) + 1:]
    download = oparl_dir / main["downloadUrl"][len(BASE) + 1:]
    assert access.read_bytes() == download.read_bytes() == source.data
    assert main["downloadUrl"].startswith(f"{BASE}/download/")

    meeting = load(oparl_dir, "meeting/bau-2023-05.json")
    assert meeting["invitation"]["name"] == "Einladung öffentlicher Teil"
    assert meeting["resultsProtocol"]["name"] == "Niederschrift öffentlicher Teil"
    assert [f["name"] for f in meeting["auxiliaryFile"]] == ["Sitzungsmappe öffentlich"]
    assert meeting["organization"] == [f"{BASE}/organization/bau.json"]
    assert meeting["location"]["id"] == f"{BASE}/location/rathaus-saal-1.json"


def test_oparl_body_system_and_lists(oparl_dir):
    system = load(oparl_dir, "system.json")
    assert system["oparlVersion"] == "https://schema.oparl.org/1.1/"
    body = load(oparl_dir, "body/beispielstadt.json")
    for prop in ("organization", "person", "meeting", "paper", "legislativeTerm"):
        assert prop in body
    assert body["legislativeTerm"][0]["name"] == "Wahlperiode 2020–2025"
    papers, ids = "body/beispielstadt/papers/1.json", []
    while papers:
        page = load(oparl_dir, papers)
        ids += [p["id"] for p in page["data"]]
        papers = page["links"].get("next", "")[len(BASE) + 1:]
    assert ids == [f"{BASE}/paper/{k}.json" for k in ("p2", "p1", "p6", "p7", "p8")]
    persons = load(oparl_dir, "body/beispielstadt/persons/1.json")
    assert persons["data"] == [] and "next" not in persons["links"]
    orgs = load(oparl_dir, "body/beispielstadt/organizations/1.json")["data"]
    assert {o["organizationType"] for o in orgs} == {"Gremium"}  # committees sort first
    offices = load(oparl_dir, "body/beispielstadt/organizations/2.json")["data"]
    assert {o["organizationType"] for o in offices} == {"Verwaltungsbereich"}


def test_oparl_json_format(oparl_dir):
    raw = (oparl_dir / "paper" / "p1.json").read_bytes()
    assert raw.endswith(b"}\n") and not raw.startswith(b"\xef\xbb\xbf")
    assert "Straße".encode() in raw  # UTF-8, not \u escapes
    assert list(json.loads(raw))[:2] == ["id", "type"]


def _break_file_id(root: Path):
    path = root / "file" / "p2-main.json"
    obj = json.loads(path.read_text())
    del obj["id"]
    path.write_text(json.dumps(obj))


def _wrong_paper_type(root: Path):
    path = root / "paper" / "p2.json"
    obj = json.loads(path.read_text())
    obj["type"] = "https://schema.oparl.org/1.0/Paper"
    path.write_text(json.dumps(obj))


def _embedded_file_without_id(root: Path):
    path = root / "paper" / "p2.json"
    obj = json.loads(path.read_text())
    del obj["mainFile"]["id"]
    path.write_text(json.dumps(obj))


def _drop_modified_in_embedded(root: Path):
    path = root / "meeting" / "bau-2023-05.json"
    obj = json.loads(path.read_text())
    del obj["agendaItem"][0]["modified"]
    path.write_text(json.dumps(obj))


def _drop_next_link(root: Path):
    path = root / "body" / "beispielstadt" / "papers" / "1.json"
    obj = json.loads(path.read_text())
    del obj["links"]["next"]
    path.write_text(json.dumps(obj))


def _dangling_reference(root: Path):
    (root / "organization" / "bauamt.json").unlink()


def _stray_file(root: Path):
    (root / "paper" / "p3.json").write_text('{"leftover": true}\n')


def _tampered_pdf(root: Path):
    (root / "file" / "p2-main" / "Mitteilung_0124-2023.pdf").write_bytes(b"%PDF-1.7 changed")


@pytest.mark.parametrize("breakage, expected", [
    (_break_file_id, r"file/p2-main\.json: \$: 'id' is a required property"),
    (_wrong_paper_type, r"paper/p2\.json: .*(const|unknown or missing OParl 1\.1 type)"),
    (_embedded_file_without_id, r"paper/p2\.json: \$\.mainFile: 'id' is a required property"),
    (_drop_modified_in_embedded, r"meeting/bau-2023-05\.json: \$\.agendaItem\[0\]: missing modified"),
    (_drop_next_link, r"papers/1\.json: page 1 of 3 has no links\.next"),
    (_dangling_reference, r"URL .*organization/bauamt\.json does not resolve"),
    (_stray_file, r"paper/p3\.json: not reachable from system\.json"),
    (_tampered_pdf, r"sha512Checksum does not match"),
])
def test_oparl_broken_trees_fail(oparl_dir, tmp_path, breakage, expected):
    broken = tmp_path / "broken"
    shutil.copytree(oparl_dir, broken)
    breakage(broken)
    problems = validate_oparl_tree(broken, BASE, OPARL_SCHEMAS)
    assert any(re.search(expected, p) for p in problems), problems


def test_oparl_refuses_foreign_directory(model, tmp_path):
    foreign = tmp_path / "home"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(NoticesError, match="holds no earlier export"):
        write_oparl(model, foreign, BASE)
    assert (foreign / "notes.txt").read_text() == "mine"


def test_oparl_withdrawn_paper_disappears_on_reexport(model, tmp_path):
    out = tmp_path / "site"
    write_oparl(model, out, BASE)
    assert (out / "paper" / "p2.json").exists() and (out / MARKER_NAME).exists()
    papers = tuple(p if p.key != "p2" else ExportPaper(**{**p.__dict__, "public": False})
                   for p in model.papers)
    withdrawn = ExportBody(**{**model.__dict__, "papers": papers})
    write_oparl(withdrawn, out, BASE)
    assert not (out / "paper" / "p2.json").exists()
    assert not list(out.glob("file/p2-main*"))
    assert validate_oparl_tree(out, BASE, OPARL_SCHEMAS) == []

    # With the withdrawal recorded, the URLs keep answering with tombstones (spec 2.8).
    gone = t("2023-06-01")
    tombstones = (ExportDeleted(type="Paper", key="p2", created=t("2023-04-18"), deleted=gone),
                  ExportDeleted(type="File", key="p2-main", created=t("2023-04-18"), deleted=gone),
                  ExportDeleted(type="Consultation", key="c1", parent="p2", created=t("2023-04-18"),
                                deleted=gone))
    write_oparl(ExportBody(**{**withdrawn.__dict__, "deleted": tombstones}), out, BASE)
    assert load(out, "paper/p2.json") == {
        "id": f"{BASE}/paper/p2.json", "type": "https://schema.oparl.org/1.1/Paper",
        "created": "2023-04-18T09:00:00+01:00", "modified": "2023-06-01T09:00:00+01:00",
        "deleted": True}
    assert not list(out.glob("file/p2-main/*"))  # the bytes are gone, the metadata is a tombstone
    assert validate_oparl_tree(out, BASE, OPARL_SCHEMAS) == []
    papers = load(out, "body/beispielstadt/papers/1.json")["data"]
    assert f"{BASE}/paper/p2.json" not in [p["id"] for p in papers]


def test_oparl_tombstone_for_a_live_object_is_refused(model, tmp_path):
    live = ExportDeleted(type="Paper", key="p1", created=t("2023-04-18"), deleted=t("2023-06-01"))
    with pytest.raises(ValueError, match="still published"):
        write_oparl(ExportBody(**{**model.__dict__, "deleted": (live,)}), tmp_path / "site", BASE)


# =========================================================================== xdomea

def message(zip_path: Path) -> ET.Element:
    with zipfile.ZipFile(zip_path) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".xml"))
        return ET.fromstring(archive.read(name))


def test_xdomea_validates(xdomea_zip):
    assert validate_xdomea(xdomea_zip, XDOMEA_XSD) == []


def test_xdomea_reexport_is_byte_identical(model, xdomea_zip, tmp_path):
    again = write_xdomea(model, tmp_path).path
    assert again.name == xdomea_zip.name
    assert again.read_bytes() == xdomea_zip.read_bytes()
    with zipfile.ZipFile(again) as archive:
        infos = archive.infolist()
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert infos[0].filename.endswith(f"{MESSAGE_SUFFIX}.xml")
    assert [i.filename for i in infos[1:]] == sorted(i.filename for i in infos[1:])


def test_xdomea_structure(xdomea_zip):
    root = message(xdomea_zip)
    pid = root.findtext("x:Kopf/x:ProzessID", namespaces=XNS)
    assert xdomea_zip.name == f"{pid}{MESSAGE_SUFFIX}.zip"
    akten = root.findall("x:Schriftgutobjekt/x:Akte", XNS)
    assert [a.findtext("x:AllgemeineMetadaten/x:Betreff", namespaces=XNS) for a in akten] == [
        "Ausschuss für Stadtentwicklung und Bauen: Sitzungen 2023",
        "Ausschuss für Stadtentwicklung und Bauen: Sitzungen 2024",
        "Bezirksvertretung Heepen: Sitzungen 2023"]
    bau_2023 = akten[0]
    vorgaenge = bau_2023.findall("x:Akteninhalt/x:Vorgang", XNS)
    assert [v.findtext("x:AllgemeineMetadaten/x:Betreff", namespaces=XNS) for v in vorgaenge] == [
        "12. Sitzung des Ausschusses für Stadtentwicklung und Bauen", "Ortstermin Vergabe Kita Nord"]
    # The never-scheduled Mitteilung sits directly in the Akte.
    loose = bau_2023.findall("x:Akteninhalt/x:Dokument", XNS)
    assert [d.findtext("x:AllgemeineMetadaten/x:Kennzeichen", namespaces=XNS) for d in loose] == ["0300/2023"]
    docs = vorgaenge[0].findall("x:Dokument", XNS)
    assert [d.findtext("x:Typ", namespaces=XNS) for d in docs] == [
        "Einladung", "Beschlussvorlage", "Mitteilung", "Beschlussvorlage", "Beschlussvorlage",
        "Niederschrift"]
    p1 = docs[1]
    meta = p1.find("x:AllgemeineMetadaten", XNS)
    assert meta.findtext("x:Betreff", namespaces=XNS) == "Ausbau der Heeper Straße"
    assert meta.findtext("x:Kennzeichen", namespaces=XNS) == "0123/2023"
    assert meta.findtext("x:Federfuehrung", namespaces=XNS) == "Bauamt"
    assert meta.findtext("x:Vertraulichkeitsstufe/code", namespaces=XNS) == "003"
    assert p1.findtext("x:DatumDesSchreibens", namespaces=XNS) == "2023-04-20"
    assert p1.findtext("x:Bearbeiter", namespaces=XNS) == "Frau Bültmann"
    anlagen = p1.findall("x:Anlage", XNS)
    assert [a.findtext("x:Nummer", namespaces=XNS) for a in anlagen] == ["1", "2", "3"]
    assert anlagen[1].find("x:Version", XNS) is None  # the xlsx is no PDF/A: metadata only
    assert anlagen[2].findtext("x:AllgemeineMetadaten/x:Vertraulichkeitsstufe/code", namespaces=XNS) == "002"
    # The BV Heepen session refers to p1 instead of filing it twice.
    bv = akten[2].find("x:Akteninhalt/x:Vorgang", XNS)
    verweis = bv.find("x:Verweis", XNS)
    assert verweis.findtext("x:ID", namespaces=XNS) == p1.findtext("x:Identifikation/x:ID", namespaces=XNS)
    assert verweis.findtext("x:SGOKennzeichen", namespaces=XNS) == "0123/2023"
    assert bv.findall("x:Dokument", XNS)[1].findtext(
        "x:AllgemeineMetadaten/x:Kennzeichen", namespaces=XNS) == "600.22"


def test_xdomea_confidentiality_marked_and_drafts_absent(xdomea_zip):
    root = message(xdomea_zip)
    by_subject = {d.findtext("x:AllgemeineMetadaten/x:Betreff", namespaces=XNS): d
                  for d in root.iter(f"{{{XNS['x']}}}Dokument")}
    level = lambda d: d.findtext("x:AllgemeineMetadaten/x:Vertraulichkeitsstufe/code", namespaces=XNS)  # noqa: E731
    assert level(by_subject["Grundstuecksverkauf Flurstueck 4711"]) == "002"
    assert level(by_subject["Personalangelegenheit Amtsleitung"]) == "002"
    assert level(by_subject["INSEK Baumheide – Fortführung des Quartiersmanagements"]) == "003"
    assert "Nicht öffentlich" in by_subject["Grundstuecksverkauf Flurstueck 4711"].findtext(
        "x:AllgemeineMetadaten/x:Bemerkung", namespaces=XNS)
    # The archive gets the complete editions of Einladung and Niederschrift, marked.
    invitation = by_subject["Einladung: 12. Sitzung des Ausschusses für Stadtentwicklung und Bauen"]
    assert level(invitation) == "002"
    assert invitation.findtext(".//x:DateinameOriginal", namespaces=XNS) == "Einladung vollständig.pdf"
    # Containers holding non-public material are marked too; a purely public one is not.
    vorgaenge = {v.findtext("x:AllgemeineMetadaten/x:Betreff", namespaces=XNS): v
                 for v in root.iter(f"{{{XNS['x']}}}Vorgang")}
    assert level(vorgaenge["Ortstermin Vergabe Kita Nord"]) == "002"
    assert level(vorgaenge["8. Sitzung der Bezirksvertretung Heepen"]) == "003"
    assert "ENTWURF Radverkehrskonzept" not in by_subject
    with zipfile.ZipFile(xdomea_zip) as archive:
        assert not any(b"Entwurfstext" in archive.read(n) for n in archive.namelist())
        primaries = [n for n in archive.namelist() if not n.endswith(".xml")]
    assert primaries and all(n.endswith(".pdf") for n in primaries)  # PDF/A only, no xlsx


def test_xdomea_filters(model, tmp_path):
    only_bv = message(write_xdomea(model, tmp_path / "bv", committee="Bezirksvertretung Heepen").path)
    assert len(only_bv.findall("x:Schriftgutobjekt/x:Akte", XNS)) == 1
    # Filed under BV now (no earlier session of this export holds p1).
    assert only_bv.find(".//x:Vorgang/x:Verweis", XNS) is None
    only_2024 = write_xdomea(model, tmp_path / "y2024", committee="bau",
                             date_from=dt.date(2024, 1, 1), date_to=dt.date(2024, 12, 31)).path
    assert validate_xdomea(only_2024, XDOMEA_XSD) == []
    root = message(only_2024)
    assert [a.findtext("x:AllgemeineMetadaten/x:Betreff", namespaces=XNS)
            for a in root.findall("x:Schriftgutobjekt/x:Akte", XNS)] == [
        "Ausschuss für Stadtentwicklung und Bauen: Sitzungen 2024"]
    assert root.findtext("x:Kopf/x:Erstellungszeitpunkt", namespaces=XNS) == "2024-01-20T09:00:00+01:00"
    with pytest.raises(ValueError, match="nothing to export"):
        write_xdomea(model, tmp_path / "none", date_from=dt.date(2030, 1, 1)).path
    with pytest.raises(ValueError, match="no committee"):
        write_xdomea(model, tmp_path / "none", committee="Hauptausschuss").path


def _rewrite_zip(source: Path, target_dir: Path, edit) -> Path:
    target = target_dir / source.name
    with zipfile.ZipFile(source) as src:
        entries = {n: src.read(n) for n in src.namelist()}
    entries = edit(entries)
    with zipfile.ZipFile(target, "w") as dst:
        for name, data in entries.items():
            dst.writestr(name, data)
    return target


def _edit_xml(entries, pattern: bytes, replacement: bytes):
    name = next(n for n in entries if n.endswith(".xml"))
    entries[name] = re.sub(pattern, replacement, entries[name], count=1, flags=re.S)
    return entries


@pytest.mark.parametrize("edit, expected", [
    (lambda e: _edit_xml(e, rb"<xdomea:Erstellungszeitpunkt>.*?</xdomea:Erstellungszeitpunkt>", b""),
     r"xmlschema: .*Kopf: .*'xdomea:Erstellungszeitpunkt' expected"),
    (lambda e: _edit_xml(e, rb"<xdomea:Identifikation>\s*<xdomea:ID>[^<]*</xdomea:ID>",
                         b"<xdomea:Identifikation>"),
     r"xmlschema: .*Identifikation.*'xdomea:ID' expected"),
    (lambda e: _edit_xml(e, rb"<code>044</code>", b"<code>999</code>"), r"code '999' is not in Dateiformat"),
    (lambda e: {n: d for i, (n, d) in enumerate(e.items()) if i != 1},
     r"Primaerdokument .* is not in the zip"),
    (lambda e: {**e, "extra.pdf": b"%PDF-1.7"}, r"'extra.pdf' is referenced by no Primaerdokument"),
])
def test_xdomea_broken_messages_fail(xdomea_zip, tmp_path, edit, expected):
    broken = _rewrite_zip(xdomea_zip, tmp_path, edit)
    problems = validate_xdomea(broken, XDOMEA_XSD)
    assert any(re.search(expected, p) for p in problems), problems


def test_xdomea_wrong_container_name(xdomea_zip, tmp_path):
    renamed = tmp_path / "export.zip"
    shutil.copy(xdomea_zip, renamed)
    assert any("is not <ProzessID>" in p for p in validate_xdomea(renamed, XDOMEA_XSD))


def test_xdomea_content_change_changes_process_id(model, xdomea_zip, tmp_path):
    papers = tuple(p if p.key != "p2" else ExportPaper(**{**p.__dict__, "name": "Neuer Betreff"})
                   for p in model.papers)
    changed = write_xdomea(ExportBody(**{**model.__dict__, "papers": papers}), tmp_path).path
    assert changed.name != xdomea_zip.name
    # ...but the record IDs are identities and stay the same.
    ids = lambda z: sorted(e.text for e in message(z).iter(f"{{{XNS['x']}}}ID"))  # noqa: E731
    assert ids(changed) == ids(xdomea_zip)


# =========================================================================== both

_DIGEST_SCRIPT = """
import hashlib, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import test_export_model as T
from notices.export.oparl.write import write_oparl
from notices.export.xdomea.message import write_xdomea
out = Path(sys.argv[2])
write_oparl(T.build_model(), out / "site", T.BASE, page_size=2)
zip_path = write_xdomea(T.build_model(), out / "archive").path
digest = hashlib.sha256()
for path in sorted((out / "site").rglob("*")):
    if path.is_file():
        digest.update(path.relative_to(out).as_posix().encode() + b"\\0" + path.read_bytes())
digest.update(zip_path.name.encode() + zip_path.read_bytes())
print(digest.hexdigest())
"""


def test_exports_do_not_depend_on_hash_seed_or_process(tmp_path):
    """Set iteration order varies with PYTHONHASHSEED; the output must not."""
    digests = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run([sys.executable, "-c", _DIGEST_SCRIPT, str(HERE), str(tmp_path / seed)],
                                env=env, capture_output=True, text=True, check=True)
        digests.append(result.stdout.strip())
    assert digests[0] == digests[1] and len(digests[0]) == 64


def test_vendored_oparl_schemas_are_valid_draft7():
    import jsonschema
    for path in sorted(OPARL_SCHEMAS.glob("*.json")):
        jsonschema.Draft7Validator.check_schema(json.loads(path.read_text(encoding="utf-8")))
    assert len(list(OPARL_SCHEMAS.glob("*.json"))) == 12


# =========================================================================== model

def test_model_rejects_dangling_references(model):
    bad = ExportBody(**{**model.__dict__, "offices": model.offices[:1]})
    with pytest.raises(ValueError, match="unknown office 'umweltamt'"):
        check_body(bad)


def test_model_rejects_naive_datetimes_and_bad_keys():
    with pytest.raises(ValueError, match="timezone-aware"):
        ExportOrganization(key="x", name="X", created=dt.datetime(2023, 1, 1), modified=t("2023-01-01"))
    with pytest.raises(ValueError, match="key"):
        ExportOrganization(key="../etc", name="X", created=t("2023-01-01"), modified=t("2023-01-01"))
