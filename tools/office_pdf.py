"""Word files converted to PDF by LibreOffice, as a clerk's LibreOffice shows them.

For the tests (``tests/libreoffice.py``) and the README's pictures
(``tools/readme_pictures.py``). LibreOffice runs with a profile and a Fontconfig set-up
of its own in ``workdir``: Arial, the templates' font, is drawn in the bundled
Liberation Sans, which has Arial's metrics, and Word's Symbol bullets in LibreOffice's
own OpenSymbol. Without it LibreOffice draws Arial in
whatever font the machine has (often the much wider DejaVu Sans), and neither a
measured column nor a picture would show what Word shows.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

# LibreOffice's own fonts: OpenSymbol draws the bullets of Word's Symbol font.
OFFICE_FONTS = ("/usr/share/fonts/truetype/libreoffice", "/usr/lib/libreoffice/share/fonts",
                "/opt/libreoffice/share/fonts")


def word_to_pdf(paths: list[Path], workdir: Path) -> tuple[list[Path], str]:
    """The PDFs (in ``workdir/lo``, named after the files) and LibreOffice's messages."""
    from notices.render.runtime import PACKAGE_FONTS

    config = workdir / "fonts.conf"
    office = "".join(f"<dir>{folder}</dir>" for folder in OFFICE_FONTS if Path(folder).is_dir())
    config.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>'
        f"<dir>{PACKAGE_FONTS}</dir>{office}<cachedir>{workdir / 'fc-cache'}</cachedir>"
        "<alias><family>Arial</family><prefer><family>Liberation Sans</family></prefer>"
        "</alias></fontconfig>\n")
    result = subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir",
                             str(workdir / "lo"), *map(str, paths)], check=False,
                            capture_output=True, text=True, timeout=180,
                            env={"HOME": str(workdir), "PATH": "/usr/bin:/bin",
                                 "FONTCONFIG_FILE": str(config)})
    return [workdir / "lo" / (path.stem + ".pdf") for path in paths], result.stderr
