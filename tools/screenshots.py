"""Make the README's screenshots of ``notices serve``: one PNG per page in docs/screenshots/.

    python tools/screenshots.py [--out docs/screenshots]

Runs the same round as the browser test (tests/desk_browser.py: the real server over
the sample records, Debian's headless Chromium), then makes each picture small for the
repository: at most 1200 pixels wide and 2400 high, reduced to a palette of 256 colours.
Needs the test extra (Selenium) and the Debian packages chromium and chromium-driver.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from desk_browser import chrome, running_desk, sample_workspace, walk_through  # noqa: E402

MAX_WIDTH, MAX_HEIGHT = 1200, 2400


def optimise(path: Path) -> int:
    """Shrink a screenshot in place (crop very long pages, 256 colours); its new size."""
    from PIL import Image

    with Image.open(path) as image:
        picture = image.convert("RGB")
    if picture.width > MAX_WIDTH:
        picture = picture.resize((MAX_WIDTH, round(picture.height * MAX_WIDTH / picture.width)))
    picture = picture.crop((0, 0, picture.width, min(picture.height, MAX_HEIGHT)))
    picture.quantize(256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    return path.stat().st_size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        root = sample_workspace(Path(scratch) / "Sitzungsdienst")
        with running_desk(root, Path(scratch) / "serve.log") as desk:
            driver = chrome()
            try:
                walk_through(driver, desk, root, args.out)
            finally:
                driver.quit()
    for path in sorted(args.out.glob("*.png")):
        print(f"{path.relative_to(REPO) if path.is_relative_to(REPO) else path}: "
              f"{optimise(path) // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
