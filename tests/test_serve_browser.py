"""The desk in a real browser: headless Debian Chromium driven by Selenium.

The real server (``notices serve`` in a subprocess) over a workspace with the sample
records; the clerk's round of :func:`desk_browser.walk_through`, whose screenshots land
in this test's temporary folder (``tools/screenshots.py`` makes the README's from the
same round).
"""

from __future__ import annotations

import io

import pytest
from desk_browser import (
    FROM_EDITOR,
    FROM_FORM,
    browser_available,
    chrome,
    running_desk,
    sample_workspace,
    walk_through,
)

pytest.importorskip("selenium")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not browser_available(),
                                 reason="needs Debian's chromium and chromium-driver")]


def pdf_words(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_the_clerks_round_in_the_browser(tmp_path):
    root = sample_workspace(tmp_path / "ws")
    shots = tmp_path / "screenshots"
    with running_desk(root, tmp_path / "serve.log") as desk:
        driver = chrome()
        try:
            seen = walk_through(driver, desk, root, shots)
            after_editor = pdf_words(seen["pdf_after_editor"])
            after_form = pdf_words(seen["pdf_after_form"])
        except Exception:
            driver.save_screenshot(str(tmp_path / "failure.png"))  # what the browser showed
            print(f"failed on {driver.current_url}: {driver.title}; see {tmp_path}")
            raise
        finally:
            driver.quit()
    assert seen["overview_rows"] == 11
    assert seen["preview_subject"] == "INSEK Baumheide – Fortführung des Quartiersmanagements " \
        "Baumheide"
    # What the preview shows live is the PDF that notices build writes.
    assert FROM_EDITOR in after_editor and FROM_FORM in after_form
    assert seen["conflict_heading"] == "Nicht gespeichert: die Datei wurde inzwischen geändert"
    assert "signatory: Dodenhoff (im Editor)" in seen["conflict_file"]
    assert "im Formular" not in seen["conflict_file"]
    assert seen["missing_message"].endswith("missing (Beschlussvorschlag)")
    saved = (root / seen["new_path"]).read_text(encoding="utf-8")
    assert "kind: beschlussvorlage" in saved and "Neue Bänke am Quartiersplatz" in saved
    assert seen["new_statuses"] == "Fehler Entwurf"
    assert sorted(p.name for p in shots.iterdir()) == [
        "bearbeiten.png", "konflikt.png", "neu-auswahl.png", "neu.png", "uebersicht.png",
        "vorschau.png"]
    # Ctrl-C stops it as it stops every command: exit 130, no traceback.
    assert desk.returncode == 130, desk.log
    assert "Traceback" not in desk.log
    print(f"live: editor's save shown after {seen['editor_seconds']:.1f} s, "
          f"the form's after {seen['form_seconds']:.1f} s")
