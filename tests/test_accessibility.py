"""Accessible by law (issue 11): every PDF notices writes passes tests/a11y.py; broken ones fail.

The sample workspace (the repository's records/ and notices.toml) is built in both PDF
variants that promise PDF/UA-1, and every document in it is checked. ``DOCUMENTS`` lists
the kinds of documents notices writes as PDF: a new kind (Einladung, Niederschrift) is
checked by adding its line. The other tests build PDFs with each defect of the audit on
purpose (WeasyPrint's own output, a template that skips a heading level, a repaired PDF
broken again) and show that the check reports them, in words a developer can act on.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pikepdf
import pytest

from a11y import check_pdf
from conftest import REPO, SEED
from notices.cli import main

VARIANTS = ["pdf/a-2a", "pdf/ua-1"]  # the default, and WeasyPrint's PDF/UA variant

# Every kind of PDF notices writes: its outputs in the built sample workspace, and how
# many the sample records must give (so that a glob that finds nothing cannot pass).
# Einladung and Niederschrift are added here when they exist.
DOCUMENTS = {
    "notice": ("20*/**/*.pdf", lambda samples: samples.records),
    "session packet": ("sessions/*.pdf", lambda samples: samples.packets),
}


class Samples:
    """The sample workspace, built with one PDF variant: notices and session packets."""

    def __init__(self, root: Path, variant: str, runner):
        self.root, self.variant = root, variant
        shutil.copytree(REPO / "records", root / "records", dirs_exist_ok=True)
        shutil.copy(REPO / "notices.toml", root / "notices.toml")
        self.records = sum(1 for p in (root / "records").rglob("*")
                           if p.suffix in (".yaml", ".md"))
        self.run(runner, "build", "--format", "pdf", "--pdf-variant", variant, "--quiet")
        listing = self.run(runner, "sessions").stdout.splitlines()[1:]
        self.packets = 0
        for line in listing:
            date, committee, public, non_public, _drafts = line.split("\t")
            if public == non_public == "0":
                continue  # only drafts: no packet
            self.packets += (public != "0") + (non_public != "0")
            self.run(runner, "session", "--committee", committee, "--date", date,
                     "--format", "pdf", "--pdf-variant", variant, "--quiet")

    def run(self, runner, *args):
        result = runner.invoke(main, ["-C", str(self.root), *args])
        assert result.exit_code == 0, result.output
        return result

    def outputs(self, pattern: str) -> list[Path]:
        """The PDFs notices made (not the Anlagen it copies beside them as they are)."""
        return sorted(p for p in (self.root / "output").glob(pattern)
                      if "_anlage-" not in p.name)


@pytest.fixture(scope="module", params=VARIANTS)
def samples(request, tmp_path_factory):
    from click.testing import CliRunner

    from notices.scaffold import init_workspace

    root = tmp_path_factory.mktemp("samples") / "ws"
    init_workspace(root)
    return Samples(root, request.param, CliRunner())


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(DOCUMENTS))
def test_every_sample_document_is_accessible(samples, kind):
    pattern, expected = DOCUMENTS[kind]
    paths = samples.outputs(pattern)
    assert len(paths) == expected(samples) > 0, [p.name for p in paths]
    findings = {p.relative_to(samples.root).as_posix(): check_pdf(p, require_ua=True)
                for p in paths}
    assert findings == {name: [] for name in findings}


@pytest.mark.slow
def test_the_default_declares_pdfa_2a_and_pdfua_1(samples):
    """Both conformances in one file: the PDF/A-2a identification and the PDF/UA-1 one."""
    for path in samples.outputs("**/*.pdf"):
        with pikepdf.open(path) as pdf, pdf.open_metadata() as meta:
            assert meta.get("pdfuaid:part") == "1", path
            if samples.variant == "pdf/a-2a":
                assert (meta.get("pdfaid:part"), meta.get("pdfaid:conformance")) == ("2", "A")


@pytest.mark.slow
def test_a_second_opinion_agrees(samples):
    """page (a veraPDF-compatible validator, pinned in the test extra) finds nothing.

    The default output is checked against the PDF/A-2a profile and the PDF/UA-1 profile,
    so the PDF/A extension schema that declares the PDF/UA identifier is checked too.
    """
    import page

    profiles = {"pdf/a-2a": ("2a", "ua1"), "pdf/ua-1": ("ua1",)}[samples.variant]
    failures = {}
    for path in samples.outputs("**/*.pdf"):
        for profile in profiles:
            report = page.validate_pdf(path, profile=profile)
            found = sorted({f"{f.rule_id}: {f.message}" for f in report.failures
                            if not _misread_stream_end(path, f)})
            if found:
                failures[f"{path.name} {profile}"] = found
    assert failures == {}


def _misread_stream_end(path: Path, failure) -> bool:
    """page 0.11's one known false alarm: a stream whose data ends with a CR byte.

    qpdf writes such a stream as its data, then LF, then ``endstream``; page takes the
    CR LF for the end-of-line marker and finds the data one byte shorter than /Length.
    veraPDF decides with /Length (a CR LF counts as one byte of marker when the data
    would otherwise be short: ``SeekableCOSParser.checkEndstreamSpacings``), as does
    ISO 19005-2 6.1.7.1. The stream is accepted here only if it is that case: its data
    does end with CR and is exactly /Length bytes long.
    """
    if not failure.rule_id.endswith("-STREAM-LENGTH-001") or failure.object_id is None:
        return False
    with pikepdf.open(path) as pdf:
        stream = pdf.get_object(failure.object_id.object_number, failure.object_id.generation)
        data = stream.read_raw_bytes()
        return data.endswith(b"\r") and len(data) == int(stream.Length) and not pdf.get_warnings()


# --- the check fails on PDFs with the defects of the audit --------------------------------------


@pytest.mark.parametrize("variant, findings", [
    ("pdf/a-2a", [
        # the running header and "Seite X von Y": tagged, but by no element of the tree
        "page 1: 2 marked-content sequences are neither in the structure tree nor "
        "artifacts: 'nicht öffentlich', 'Seite 1 von 3'",
        "page 1: 5 pieces of content are drawn after content that follows them in reading "
        "order (copy and paste, text extraction): Lbl '•', Lbl '◦', Lbl '•', Lbl '1.', "
        "Lbl '2.'",
        "lists: 1 list items (LI) hold P besides Lbl and LBody, e.g. '• eins'",
        "page 1: 2 header cells (TH) of a table have no /Scope: 'Straße', 'Kfz/Tag'",
        "page 2: a table continued from page 1 is a second Table element that repeats the "
        "header row 'Straße Kfz/Tag'; a table that spans pages must be one Table element",
        "metadata: no PDF/UA-1 identifier (pdfuaid:part = 1) in the XMP"]),
    ("pdf/ua-1", [
        "page 1: link to https://www.bielefeld.de/lang: no print flag (/F 4)"]),
])
def test_weasyprints_own_pdf_fails_the_check(rich_pdf, variant, findings):
    found = check_pdf(rich_pdf(variant, weasyprint_only=True), require_ua=True)
    assert [f for f in findings if f not in found] == []


def test_a_template_that_skips_a_heading_level_fails_the_check(render_pdf, workspace_dir):
    template = workspace_dir / "templates" / "mitteilung.html"
    template.write_text(template.read_text(encoding="utf-8").replace(
        "<h2>Anlass:</h2>", "<h4>Anlass:</h4>"), encoding="utf-8")
    assert check_pdf(render_pdf(SEED), require_ua=True) == [
        "headings: H4 'Anlass:' follows H1 'Mitteilung des Bauamtes' (skips H2, H3)"]


def test_an_untagged_footer_fails_the_check(render_pdf, tmp_path):
    path, broken = render_pdf(SEED), tmp_path / "broken.pdf"
    with pikepdf.open(path) as pdf:
        page = pdf.pages[0]
        font = next(iter(page.Resources.Font.keys()))
        # A footer drawn outside any marked content: neither content nor artifact.
        page.contents_add(pdf.make_stream(f"BT {font} 9 Tf 1 0 0 1 480 30 Tm <0003> Tj ET"
                                          .encode()))
        pdf.save(broken)
    assert check_pdf(broken, require_ua=True) == [
        "page 1: 1 drawing operations are neither tagged content nor an /Artifact"]


def _elements(pdf, role: str):
    stack = [pdf.Root.StructTreeRoot]
    while stack:
        element = stack.pop(0)
        kids = element.get("/K")
        kids = list(kids) if isinstance(kids, pikepdf.Array) else [kids]
        stack[:0] = [k for k in kids if isinstance(k, pikepdf.Dictionary) and "/S" in k]
        if element.get("/S") == role:
            yield element


def _rename(role: str, to: str, nth: int = 0):
    def change(pdf):
        list(_elements(pdf, role))[nth].S = pikepdf.Name(to)
    return change


def _drop_scope(pdf):
    for cell in _elements(pdf, "/TH"):
        del cell.A.Scope


def _describe_links_as(text: str):
    def change(pdf):
        for annotation in pdf.pages[0].Annots:
            annotation.Contents = pikepdf.String(text)
    return change


def _drop_ua_identifier(pdf):
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        del meta["pdfuaid:part"]


@pytest.mark.parametrize("variant, change, findings", [
    ("pdf/a-2a", lambda pdf: pdf.Root.__delattr__("Lang"),
     ["catalog: no /Lang (the document's natural language)"]),
    ("pdf/a-2a", lambda pdf: setattr(pdf.Root.ViewerPreferences, "DisplayDocTitle", False),
     ["catalog: /ViewerPreferences /DisplayDocTitle is not true"]),
    ("pdf/a-2a", _rename("/H1", "/H2"),
     ["headings: the first heading is H2 'Mitteilung des Bauamtes', not H1"]),
    ("pdf/a-2a", _rename("/H3", "/H5"),
     ["headings: H5 'Ausgangslage' follows H2 'Sachverhalt:' (skips H3, H4)"]),
    ("pdf/a-2a", lambda pdf: next(_elements(pdf, "/Figure")).__delattr__("Alt"),
     ["page 1: a Figure has no /Alt text"]),
    ("pdf/a-2a", _describe_links_as("notice-1"),
     ["page 1: link to https://www.bielefeld.de/lang: /Contents 'notice-1' does not "
      "describe the link"] * 2),
    ("pdf/a-2a", _describe_links_as("2"),
     ["page 1: link to https://www.bielefeld.de/lang: /Contents '2' does not describe "
      "the link"] * 2),
    ("pdf/a-2a", _drop_scope,
     ["page 1: 2 header cells (TH) of a table have no /Scope: 'Straße', 'Kfz/Tag'"]),
    ("pdf/a-2a", _rename("/LBody", "/Absatz"),
     ["structure: types that are neither standard nor role-mapped to a standard type: "
      "/Absatz", "lists: 1 list items (LI) hold Absatz besides Lbl and LBody, e.g. "
      "'• eins ◦ eins-eins'"]),
    ("pdf/ua-1", _drop_ua_identifier,
     ["metadata: no PDF/UA-1 identifier (pdfuaid:part = 1) in the XMP"]),
], ids=["lang", "display-title", "first-heading", "skipped-heading", "figure-alt",
        "link-anchor-name", "link-number", "th-scope", "unknown-type", "ua-identifier"])
def test_a_repaired_pdf_broken_again_fails_the_check(rich_pdf, tmp_path, variant, change,
                                                     findings):
    path, broken = rich_pdf(variant), tmp_path / "broken.pdf"
    assert check_pdf(path, require_ua=True) == []
    with pikepdf.open(path) as pdf:
        change(pdf)
        pdf.save(broken)
    assert check_pdf(broken, require_ua=True) == findings
