"""Shared fixtures: a fresh workspace in tmp_path, a record writer, and a CLI runner."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from notices.render import runtime
from notices.scaffold import init_workspace
from notices.workspace import open_workspace

# pytest's own temporary folders stay where they are, outside the private folder that
# prepare() makes (and removes at exit), so that a failed test's files can be looked at.
os.environ.setdefault("PYTEST_DEBUG_TEMPROOT", tempfile.gettempdir())
runtime.prepare()  # only the bundled fonts, before any test module imports WeasyPrint

REPO = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"

SEED = """\
kind: mitteilung
office: Bauamt
file_number: 600.22
date: 18.04.2023
contact:
  name: Frau Bültmann
  phone: 0521 513224
session:
  committee: Bezirksvertretung Heepen
  date: 20.04.2023
  public: true
  agenda_item: "5.1"
subject: INSEK Baumheide – Fortführung des Quartiersmanagements Baumheide
facts: |
  Das Quartiersmanagement für die Bewohner*innen und Nutzer*innen.
signatory: Dodenhoff
"""


def pytest_addoption(parser):
    parser.addoption("--update-goldens", action="store_true",
                     help="Rewrite tests/golden/* from the current output.")


@pytest.fixture
def update_goldens(request) -> bool:
    return request.config.getoption("--update-goldens")


@pytest.fixture
def workspace_dir(tmp_path: Path) -> Path:
    """A new workspace made by ``notices init`` (the seed notice only)."""
    root = tmp_path / "ws"
    init_workspace(root)
    return root


@pytest.fixture
def workspace(workspace_dir: Path):
    return open_workspace(workspace_dir)


@pytest.fixture
def write_record(workspace_dir: Path):
    """Write a record (dedented text or bytes) under records/ and return its path."""

    def write(relative: str, text: str | bytes) -> Path:
        path = workspace_dir / "records" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def record_text(**changes: str) -> str:
    """The seed record with top-level lines replaced: record_text(subject="X")."""
    lines = SEED.splitlines()
    for key, value in changes.items():
        lines = [f"{key}: {value}" if line.startswith(f"{key}:") else line for line in lines]
    return "\n".join(lines) + "\n"


# The text area of an A4 page with the templates' margins (2 cm top, 2.5 cm bottom), in
# points: what pdftotext reads with ``body=True``.
TEXT_AREA = ["-x", "0", "-y", "57", "-W", "596", "-H", "714"]


def pdf_text(path: Path, *, layout: bool = False, body: bool = False) -> str:
    """Text of a PDF; ``layout`` keeps line ends as they are (no de-hyphenation); ``body``
    reads only the text area, without the page headers and footers in the margins."""
    flags = (["-layout"] if layout else []) + (TEXT_AREA if body else [])
    return subprocess.run(["pdftotext", "-enc", "UTF-8", *flags, str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def docx_text(path: Path) -> str:
    """The body text of a .docx, paragraphs and table cells in document order."""
    import docx

    document = docx.Document(str(path))
    body = document.element.body
    lines = []
    for element in body.iter():
        if element.tag.endswith("}p"):
            texts = []
            for node in element.iter():
                tag = node.tag.rsplit("}", 1)[-1]
                if tag == "t" and node.text:
                    texts.append(node.text)
                elif tag in ("tab", "br"):
                    texts.append(" ")
                elif tag == "noBreakHyphen":  # Word's non-breaking hyphen shows as "-"
                    texts.append("-")
            lines.append("".join(texts))
    return "\n".join(lines)


def words(text: str) -> list[str]:
    """The sequence of words, with soft hyphens and layout differences removed."""
    return text.replace("\u00ad", "").replace("\u200b", "").split()


@pytest.fixture(scope="session")
def has_pdftotext() -> bool:
    return shutil.which("pdftotext") is not None


def rewrite_docx(path: Path, part: str, old: bytes, new: bytes, target: Path | None = None) -> Path:
    """Copy a .docx (to ``target``, or in place) with ``old`` replaced by ``new`` in one part."""
    import zipfile

    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    assert old in parts[part], f"{old!r} not in {part}"
    parts[part] = parts[part].replace(old, new)
    target = target or path
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return target


# --- accessibility: a notice with every construct the audit of issue 11 looked at ------------

PLAN_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="320" height="120">'
            '<rect width="320" height="120" fill="#cfe3c6"/>'
            '<text x="20" y="60" font-family="Liberation Sans">Quartiersplatz</text></svg>')
RICH_FACTS = """\
  Einleitung mit einem [Link, der so lang ist, dass er auf die nächste Zeile umbricht,
  weil sein Text sehr lang ist](https://www.bielefeld.de/lang).

  # Ausgangslage

  - eins
    - eins-eins
  - zwei

  ![Lageplan des Quartiersplatzes](plan.svg)

  Der Absatz nach dem Bild.

  ### Einzelheiten

  1. erstens
  2. zweitens

  ## Zählung

  | Straße | Kfz/Tag |
  |---|--:|
""" + "".join(f"  | Heeper Straße {i} | {i * 100} |\n" for i in range(80))


def rich_record() -> str:
    """A non-public notice over three pages: headings, lists, a picture, a link, a long table."""
    return SEED.replace("  public: true", "  public: nicht öffentlich").replace(
        "  Das Quartiersmanagement für die Bewohner*innen und Nutzer*innen.\n", RICH_FACTS)


def pdf_renderer(root: Path, out: Path):
    """``render(text, variant=..., weasyprint_only=...)``: a record of the workspace at
    ``root`` rendered to a PDF file in ``out``, with the workspace's templates.

    ``weasyprint_only=True`` writes the laid-out pages as WeasyPrint alone would, without
    notices' accessibility repairs (render/accessibility.py, render/reading_order.py).
    """
    from notices.render.pdf import PdfRenderer
    from notices.source.records import load_record
    from notices.template_set import TemplateSet

    (root / "records" / "2023").mkdir(parents=True, exist_ok=True)
    (root / "records" / "2023" / "plan.svg").write_text(PLAN_SVG, encoding="utf-8")

    def render(text: str, *, variant: str = "pdf/a-2a", weasyprint_only: bool = False,
               name: str = "2023/x.yaml") -> Path:
        workspace = open_workspace(root)
        record = root / "records" / name
        record.write_text(textwrap.dedent(text), encoding="utf-8")
        result = load_record(workspace, record, known_kinds={"mitteilung"})
        assert result.ok, [str(p) for p in result.problems]
        renderer = PdfRenderer(TemplateSet.read(workspace.templates_dir), "mitteilung",
                               variant=variant, city=workspace.settings.city)
        if weasyprint_only:
            document = renderer.render_document(result.notice)
            data = document.write_pdf(stylesheets=renderer.stylesheets, **renderer.options)
        else:
            data = renderer.render(result.notice)
        path = out / f"{Path(name).stem}-{variant.replace('/', '')}" \
                     f"{'-weasyprint' if weasyprint_only else ''}.pdf"
        path.write_bytes(data)
        return path

    return render


@pytest.fixture
def render_pdf(workspace_dir, tmp_path):
    """A record rendered with this test's workspace (whose templates a test may change)."""
    return pdf_renderer(workspace_dir, tmp_path)


@pytest.fixture(scope="session")
def rich_pdf(tmp_path_factory):
    """``rich_pdf(variant, weasyprint_only=False)``: the rich record's PDF, rendered once
    per session and variant from the default templates. Read it; do not change it."""
    root = tmp_path_factory.mktemp("rich") / "ws"
    init_workspace(root)
    render, made = pdf_renderer(root, root.parent), {}

    def get(variant: str = "pdf/a-2a", *, weasyprint_only: bool = False) -> Path:
        if (variant, weasyprint_only) not in made:
            made[variant, weasyprint_only] = render(rich_record(), variant=variant,
                                                    weasyprint_only=weasyprint_only)
        return made[variant, weasyprint_only]

    return get
