"""The touchstone: the seed record renders as the real notice in shared/reference/.

``golden/reference-baumheide.txt`` is a copy of that notice as text (Markdown headings
and a ``\\*`` escape from the conversion). Both formats must carry exactly its words, in
its order; the only intended differences are the letterhead (the city), the marking of
"öffentlich" in the text itself (the original strikes through the other choice) and the
page footer.
"""

from __future__ import annotations

import re

import pytest

from conftest import GOLDEN, docx_text, pdf_text, words
from notices.build import BuildOptions, build
from notices.workspace import open_workspace


def reference_words() -> list[str]:
    text = (GOLDEN / "reference-baumheide.txt").read_text(encoding="utf-8")
    text = text.replace("\\*", "*")
    text = re.sub(r"^#+ ", "", text, flags=re.M)
    text = text.replace("öffentlich /  nicht öffentlich", "☒ öffentlich ☐ nicht öffentlich")
    return words(text)


@pytest.fixture(scope="module")
def seed_outputs(tmp_path_factory):
    from notices.scaffold import init_workspace

    root = tmp_path_factory.mktemp("ref") / "ws"
    init_workspace(root)
    report = build(open_workspace(root), options=BuildOptions(jobs=1))
    assert not report.failed, report.as_json()
    return root / "output" / "2023"


def body_words(text: str) -> list[str]:
    found = words(text.replace("\u2010\n", "").replace("\u00ad\n", ""))
    assert found[:2] == ["Stadt", "Bielefeld"]  # the letterhead from notices.toml
    found = found[2:]
    while len(found) >= 4 and found[-4] == "Seite" and found[-2] == "von":
        found = found[:-4]
    return found


def test_pdf_reads_like_the_reference(seed_outputs):
    assert body_words(pdf_text(seed_outputs / "baumheide.pdf", layout=True)) == reference_words()


def test_docx_reads_like_the_reference(seed_outputs):
    assert body_words(docx_text(seed_outputs / "baumheide.docx")) == reference_words()


def test_seed_is_one_page_like_the_original(seed_outputs):
    import pikepdf

    with pikepdf.open(seed_outputs / "baumheide.pdf") as pdf:
        assert len(pdf.pages) == 1
