"""Make the README's pictures of papers: docs/images/*.png, from the sample records.

Builds the repository's ``records/`` (with ``notices.toml``) in a temporary workspace with
the default templates, then draws pages with poppler's ``pdftoppm``:

- ``mitteilung.png``: the traffic count (a Mitteilung of two pages: a table, lists, a
  site plan in SVG): the PDF's first page, its continuation page, and the same two
  pages of the Word file as LibreOffice shows it (the plan drawn from its PNG fallback);
- ``beschlussvorlage.png``: the Quartiersplatz Vorentwurf (Beratungsfolge, paper number
  in the running header), the same four pages;
- ``nicht-oeffentlich.png``: the top of a non-public paper's first page, PDF and Word.

Needs poppler-utils and LibreOffice, as the tests do. Run it after a change to the
templates and commit the pictures:

    python tools/readme_pictures.py            # writes docs/images/
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "docs" / "images"
DPI = 60  # a page 496 pixels wide: its layout legible, the README still light
GAP = 12  # pixels between pages
PAPERS = {
    "mitteilung": "2023/heepen/verkehrszaehlung-heeper-strasse",
    "beschlussvorlage": "2023/beschluesse/quartiersplatz-vorentwurf",
}
NON_PUBLIC = "2023/heepen/grundstueck-schelpsheide"


def main() -> None:
    sys.path.insert(0, str(REPO / "tools"))
    from office_pdf import word_to_pdf

    from notices.build import BuildOptions, build
    from notices.render import runtime
    from notices.scaffold import init_workspace
    from notices.workspace import open_workspace

    runtime.prepare()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        root = work / "ws"
        init_workspace(root)
        shutil.rmtree(root / "records")
        shutil.copytree(REPO / "records", root / "records")
        shutil.copy(REPO / "notices.toml", root / "notices.toml")
        report = build(open_workspace(root), options=BuildOptions(jobs=1))
        if report.failed:
            sys.exit(f"the sample records did not build: {report.as_json()}")
        output = root / "output"
        names = list(PAPERS.values()) + [NON_PUBLIC]
        word, messages = word_to_pdf([output / f"{name}.docx" for name in names], work)
        if not all(path.is_file() for path in word):
            sys.exit(f"LibreOffice did not convert the Word files: {messages}")
        word_pdf = dict(zip(names, word))
        OUT.mkdir(parents=True, exist_ok=True)
        for picture, name in PAPERS.items():
            pdf = output / f"{name}.pdf"
            pages = [page(pdf, 1, work), page(pdf, 2, work),
                     page(word_pdf[name], 1, work), page(word_pdf[name], 2, work)]
            side_by_side(pages).save(OUT / f"{picture}.png", optimize=True)
        tops = [page(output / f"{NON_PUBLIC}.pdf", 1, work),
                page(word_pdf[NON_PUBLIC], 1, work)]
        side_by_side([top.crop((0, 0, top.width, top.height * 2 // 5)) for top in tops]) \
            .save(OUT / "nicht-oeffentlich.png", optimize=True)
    for path in sorted(OUT.glob("*.png")):
        print(path.relative_to(REPO))


def page(pdf: Path, number: int, work: Path) -> Image.Image:
    """One page of a PDF as a picture, with a hairline frame so that white meets white."""
    stem = work / f"{pdf.stem}-{pdf.parent.name}-{number}"
    subprocess.run(["pdftoppm", "-r", str(DPI), "-f", str(number), "-l", str(number),
                    "-png", "-singlefile", str(pdf), str(stem)], check=True)
    image = Image.open(f"{stem}.png").convert("RGB")
    framed = Image.new("RGB", (image.width + 2, image.height + 2), (150, 150, 150))
    framed.paste(image, (1, 1))
    return framed


def side_by_side(images: list[Image.Image]) -> Image.Image:
    width = sum(image.width for image in images) + GAP * (len(images) - 1)
    sheet = Image.new("RGB", (width, max(image.height for image in images)), "white")
    left = 0
    for image in images:
        sheet.paste(image, (left, 0))
        left += image.width + GAP
    return sheet.quantize(colors=128)  # a quarter of the size, no visible difference


if __name__ == "__main__":
    main()
