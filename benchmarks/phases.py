"""Where a PDF's time goes, in-process: layout and writing by page count, and their phases.

The figures behind the README's "Where the time goes". Generates N synthetic notices (as
``bench.py`` does), renders them once to warm up, then times each notice's HTML, layout
(``HTML().render()``) and writing (``write_pdf()`` and the accessibility post-process),
and, by wrapping WeasyPrint's own functions and notices' post-process, HTML parsing, the
cascade, box building, PDF generation (drawing, tags, fonts) and the post-process. Also
renders the naive baseline's HTML for the same records, for comparison.

    python benchmarks/phases.py            # 60 notices
    python benchmarks/phases.py -n 120
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--count", type=int, default=60)
    args = parser.parse_args()

    from bench import make_workspace

    from notices.render import runtime

    runtime.prepare()
    from notices.render.pdf import PdfRenderer
    from notices.source.records import load_record
    from notices.template_set import TemplateSet
    from notices.workspace import open_workspace

    with tempfile.TemporaryDirectory(prefix="notices-phases-") as temporary:
        workspace = open_workspace(make_workspace(Path(temporary) / "ws", args.count))
        templates = TemplateSet.read(workspace.templates_dir)
        paths = sorted((workspace.records_dir / "bench").glob("*.yaml"))
        notices = [load_record(workspace, p, known_kinds=templates.kinds).notice for p in paths]
        renderer = PdfRenderer(templates, "mitteilung", variant="pdf/a-2a",
                               city=workspace.settings.city)
        renderer.render(notices[0])  # warm up fonts and caches

        phases = _wrap_weasyprint()
        by_pages: dict[int, list[tuple[float, float]]] = collections.defaultdict(list)
        html_time = 0.0
        for notice in notices:
            start = time.perf_counter()
            html = renderer.render_html(notice)
            laid = time.perf_counter()
            document = renderer.layout(html)
            written = time.perf_counter()
            renderer.write(document)
            end = time.perf_counter()
            html_time += laid - start
            by_pages[len(document.pages)].append((written - laid, end - written))
        count = len(notices)
        print(f"{count} notices, in-process, PDF/A-2a (ms per notice unless said)")
        print(f"  template and facts to HTML   {1000 * html_time / count:7.1f}")
        for name, total in phases.items():
            print(f"  {name:<28} {1000 * total / count:7.1f}")
        for pages, timings in sorted(by_pages.items()):
            layout = 1000 * sum(t[0] for t in timings) / len(timings)
            write = 1000 * sum(t[1] for t in timings) / len(timings)
            print(f"  {pages} page(s) ({len(timings):>3} notices): layout {layout:6.1f}, "
                  f"write {write:6.1f}")

        baseline = _baseline_ms(paths)
        ours = 1000 * sum(a + b for t in by_pages.values() for a, b in t) / count
        print(f"naive baseline's HTML and defaults: {baseline:.1f} ms per notice; "
              f"notices: {ours:.1f} ms ({baseline / ours:.2f}x)")


def _wrap_weasyprint() -> dict[str, float]:
    """Time WeasyPrint's phases by wrapping the functions its document module calls."""
    import weasyprint.css
    import weasyprint.document as document
    import weasyprint.formatting_structure.build as build
    import weasyprint.html
    import weasyprint.pdf

    totals: dict[str, float] = collections.OrderedDict()

    def wrap(module, name: str, label: str, *also):
        original = getattr(module, name)

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                totals[label] = totals.get(label, 0.0) + time.perf_counter() - start

        for target in (module, *also):
            setattr(target, name, timed)

    wrap(weasyprint.css, "get_all_computed_styles", "cascade", document)
    wrap(build, "build_formatting_structure", "box building", document)
    wrap(weasyprint.pdf, "generate_pdf", "drawing, tags, fonts", document)
    try:  # the accessibility repairs, part of writing (notices.render.accessibility)
        import notices.render.pdf as render_pdf

        wrap(render_pdf, "make_accessible", "accessibility post-process")
    except AttributeError:  # a version without them, for comparison
        pass
    original_init = weasyprint.HTML.__init__

    def init(self, *args, **kwargs):
        start = time.perf_counter()
        original_init(self, *args, **kwargs)
        totals["HTML parsing"] = totals.get("HTML parsing", 0.0) + time.perf_counter() - start

    weasyprint.HTML.__init__ = init
    return totals


def _baseline_ms(paths: list[Path]) -> float:
    """The naive baseline's document for each record, rendered in this process."""
    import jinja2
    from markdown_it import MarkdownIt
    from ruamel.yaml import YAML
    from weasyprint import HTML

    import naive_baseline

    pages = []
    for path in paths:
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
        data["genitive"] = "des Bauamtes"
        facts = MarkdownIt("commonmark").enable("table").render(data["facts"])
        pages.append(naive_baseline.HTML_TEMPLATE.render(
            n=naive_baseline.to_namespace(data), facts=jinja2.utils.markupsafe.Markup(facts)))
    HTML(string=pages[0]).write_pdf()
    start = time.perf_counter()
    for page in pages:
        HTML(string=page).write_pdf()
    return 1000 * (time.perf_counter() - start) / len(pages)


if __name__ == "__main__":
    main()
