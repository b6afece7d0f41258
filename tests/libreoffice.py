"""LibreOffice for the tests: .docx files converted to PDF as a clerk's LibreOffice shows them."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
from office_pdf import word_to_pdf  # noqa: E402

needs_libreoffice = pytest.mark.skipif(shutil.which("soffice") is None,
                                       reason="LibreOffice is not installed")


def libreoffice_pdfs(paths: list[Path], tmp_path: Path) -> list[Path]:
    """The .docx files converted by LibreOffice, Arial drawn in the bundled Liberation Sans
    (see tools/office_pdf.py)."""
    converted, messages = word_to_pdf(paths, tmp_path)
    assert all(path.is_file() for path in converted), messages
    return converted
