"""Benchmark: the exports, on N synthetic papers built once.

Times, each in a fresh process: ``notices export oparl`` into an empty folder, the same
again over an unchanged workspace (what an archive's nightly run pays), and ``notices
export xdomea``. Side by side in the same run it times the one part of an export that
grows with the papers' length, reading each PDF's text, with PDFium (pypdfium2, what
notices uses) and with pypdf (the pure-Python alternative), and prints the ratio.

    python benchmarks/export.py                 # 300 papers
    python benchmarks/export.py -n 1000
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import make_workspace, run_child  # noqa: E402


def notices(workspace: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "notices", "-C", str(workspace), *args]


def text_seconds(pdfs: list[Path]) -> dict[str, float]:
    """Seconds to read the text of every PDF, by each library (in this process)."""
    import pypdf
    import pypdfium2

    from notices.export.files import pdf_text

    results = {}
    started = time.perf_counter()
    for path in pdfs:
        pdf_text(path)
    results["pypdfium2"] = time.perf_counter() - started
    started = time.perf_counter()
    for path in pdfs:
        for page in pypdf.PdfReader(path).pages:
            page.extract_text()
    results["pypdf"] = time.perf_counter() - started
    del pypdfium2
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=300, help="papers (default 300)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="notices-export-bench-") as temporary:
        root = make_workspace(Path(temporary) / "ws", args.n)
        print(f"building {args.n} papers (PDF) ...", flush=True)
        run_child(notices(root, "build", "--quiet", "--format", "pdf"))
        pdfs = sorted((root / "output").rglob("*.pdf"))
        public = sum(1 for i in range(args.n) if i % 4)  # as make_workspace marks them
        site, archive = Path(temporary) / "site", Path(temporary) / "archive"
        rows = []
        for label, command in (
                ("export oparl, empty folder", notices(root, "export", "oparl", str(site),
                                                       "--base-url", "https://x.de/oparl",
                                                       "--quiet")),
                ("export oparl, nothing changed", notices(root, "export", "oparl",
                                                          str(site), "--base-url",
                                                          "https://x.de/oparl", "--quiet")),
                ("export xdomea", notices(root, "export", "xdomea", str(archive),
                                          "--quiet"))):
            seconds, peak = run_child(command)
            rows.append((label, seconds, peak))
        texts = text_seconds(pdfs)
        pages = 0
        import pypdfium2

        for path in pdfs:
            document = pypdfium2.PdfDocument(str(path))
            pages += len(document)
            document.close()
        size = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
        shutil.rmtree(site)
    print(f"\n{args.n} papers ({public} public), {pages} PDF pages; OParl tree "
          f"{size / 1e6:.1f} MB\n")
    print("| run | seconds | papers/s | peak MB |\n|---|--:|--:|--:|")
    for label, seconds, peak in rows:
        print(f"| {label} | {seconds:.2f} | {args.n / seconds:.0f} | {peak:.0f} |")
    ratio = texts["pypdf"] / texts["pypdfium2"]
    print(f"\nPDF text of {pages} pages: pypdfium2 {texts['pypdfium2']:.2f} s "
          f"({1000 * texts['pypdfium2'] / pages:.1f} ms/page), pypdf {texts['pypdf']:.2f} s "
          f"({1000 * texts['pypdf'] / pages:.1f} ms/page): pypdfium2 {ratio:.1f}x faster")


if __name__ == "__main__":
    main()
