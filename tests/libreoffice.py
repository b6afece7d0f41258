"""LibreOffice for the tests: .docx files converted to PDF as a clerk's LibreOffice shows them."""

from __future__ import annotations

import subprocess
from pathlib import Path


def libreoffice_pdfs(paths: list[Path], tmp_path: Path) -> list[Path]:
    """The .docx files converted by LibreOffice, with Arial drawn in the bundled Liberation Sans.

    Liberation Sans has Arial's metrics; without it LibreOffice draws Arial in whatever font
    the machine has (often the much wider DejaVu Sans) and no column estimate would hold.
    """
    from notices.render.runtime import PACKAGE_FONTS

    config = tmp_path / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>'
        f"<dir>{PACKAGE_FONTS}</dir><cachedir>{tmp_path / 'fc-cache'}</cachedir>"
        "<alias><family>Arial</family><prefer><family>Liberation Sans</family></prefer>"
        "</alias></fontconfig>\n")
    result = subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir",
                             str(tmp_path / "lo"), *map(str, paths)], check=False,
                            capture_output=True, text=True, timeout=180,
                            env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin",
                                 "FONTCONFIG_FILE": str(config)})
    converted = [tmp_path / "lo" / (path.stem + ".pdf") for path in paths]
    assert all(path.is_file() for path in converted), result.stderr
    return converted
