"""The engine's own cost: WeasyPrint laying out and writing notices' HTML, warm, in one process.

What no tool built on WeasyPrint can go below: for each notice, the HTML that notices
fills in (computed beforehand, untimed) goes straight to WeasyPrint's
``HTML(...).render()`` and ``Document.write_pdf()``, with the same stylesheet, fonts,
fetcher and PDF options that notices uses, after one warm-up render. Nothing of notices
is timed: no reading, validating, templating, table check, process, pipe or write.
``bench.py --engine`` runs it in a child process and sets notices' whole runs (start-up
included) beside it.

    python benchmarks/engine.py WORKSPACE [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def engine_cost(root: Path) -> dict:
    """Seconds that WeasyPrint alone takes for the notices of the workspace at ``root``."""
    from notices.render import runtime

    runtime.prepare()
    from weasyprint import HTML

    from notices.render.pdf import PdfRenderer
    from notices.source.records import load_workspace_records
    from notices.template_set import TemplateSet
    from notices.workspace import open_workspace

    workspace = open_workspace(root)
    templates = TemplateSet.read(workspace.templates_dir)
    results, _ = load_workspace_records(workspace)
    notices = [result.notice for result in results if result.ok]
    renderer = PdfRenderer(templates, "mitteilung", variant=workspace.settings.pdf_variant,
                           city=workspace.settings.city)
    pages = [(renderer.render_html(notice), notice.images) for notice in notices]

    def render(html: str, images) -> bytes:
        fetcher = renderer.fetcher.with_pictures(images)
        document = HTML(string=html, base_url=renderer.base_url, url_fetcher=fetcher).render(
            font_config=renderer.font_config, stylesheets=renderer.stylesheets,
            **renderer.options)
        return document.write_pdf(stylesheets=renderer.stylesheets, **renderer.options)

    render(*pages[0])  # warm: fonts loaded, caches filled, as in a long-running worker
    started, cpu = time.perf_counter(), time.process_time()
    written = sum(len(render(html, images)) for html, images in pages)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"notices": len(pages), "seconds": elapsed, "cpu_seconds": cpu,
            "per_notice_ms": 1000 * elapsed / len(pages), "pdf_bytes": written}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args()
    result = engine_cost(args.workspace)
    if args.json:
        json.dump(result, sys.stdout)
    else:
        print(f"{result['notices']} notices: WeasyPrint alone {result['seconds']:.2f} s, "
              f"{result['per_notice_ms']:.1f} ms per notice")


if __name__ == "__main__":
    main()
