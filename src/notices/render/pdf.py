"""Render a notice to PDF with WeasyPrint: Jinja2 HTML template, CSS, bundled fonts.

Per-document set-up is the expensive part of a small PDF, so a :class:`PdfRenderer` is
built once per template and worker: it parses the stylesheet, loads the fonts of its
``@font-face`` rules into one Fontconfig configuration and compiles the HTML template,
and then renders any number of notices with them.
"""

from __future__ import annotations

import contextlib
import logging

from notices.render import runtime

if not runtime.is_prepared():  # WeasyPrint reads Fontconfig's set-up when imported
    raise RuntimeError("call notices.render.runtime.prepare() before importing "
                       "notices.render.pdf, so that only the bundled fonts are used")
runtime.import_weasyprint()

from weasyprint import CSS, HTML  # noqa: E402
from weasyprint.formatting_structure import boxes  # noqa: E402
from weasyprint.text.fonts import FontConfiguration  # noqa: E402

import pikepdf  # noqa: E402

from notices.errors import Problem, RenderError, Severity  # noqa: E402
from notices.render.accessibility import DECLARE_UA, make_accessible  # noqa: E402
from notices.render.fetcher import TEMPLATES_URL, WorkspaceFetcher, shown_urls  # noqa: E402
from notices.render.html import NO_BREAK_HYPHEN, documents_to_html  # noqa: E402
from notices.render.reading_order import markers_in_reading_order  # noqa: E402
from notices.render.table_layout import column_count, column_widths  # noqa: E402
from notices.render.typesetting import typeset  # noqa: E402
from notices.source import blocks  # noqa: E402
from notices.template_set import TemplateSet  # noqa: E402
from notices.render.templating import (  # noqa: E402
    compile_template, make_environment, one_line, render_template, template_context,
    template_loader)

log = logging.getLogger(__name__)


# What mitteilung.css gives a table cell: 10 pt text and 0.4 em padding on either side
# plus the border (in Word's units: half-points and twips). Only the proportions of the
# fixed widths derive from them, so a restyled table still gets sensible columns.
PDF_TABLE_FONT_SIZE = 20
PDF_CELL_PADDING = 170


def _overflowing_tables(document) -> dict[int, float]:
    """Facts tables wider than the room they have: number -> available width (CSS px)."""
    found: dict[int, float] = {}
    for page in document.pages:
        page_box = page._page_box
        right = page_box.content_box_x() + page_box.width
        for box in page_box.descendants():
            if not isinstance(box, boxes.TableBox) or box.element is None:
                continue
            number = box.element.get("data-table")
            if number is None or not number.isdigit():
                continue
            left = box.border_box_x()
            if left + box.border_width() > right + 0.5:
                found[int(number)] = min(found.get(int(number), right - left), right - left)
    return found


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[tuple[int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append((record.levelno, record.getMessage()))


@contextlib.contextmanager
def _weasyprint_messages():
    """Collect WeasyPrint's warnings and errors instead of letting them reach stderr raw."""
    logger = logging.getLogger("weasyprint")
    handler, propagate = _Collect(), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def pdf_options(variant: str) -> dict:
    """WeasyPrint options for a PDF variant; ``none`` is a plain (still tagged) PDF."""
    options = {"pdf_tags": True, "pdf_identifier": True}
    if variant != "none":
        options["pdf_variant"] = variant
    return options


class PdfRenderer:
    """Renders notices of one kind to PDF bytes, reusing fonts, CSS and template."""

    def __init__(self, templates: TemplateSet, kind: str, *, variant: str, city: str | None,
                 font_config: FontConfiguration | None = None):
        self.city = city
        self.kind = kind
        self.variant = variant
        self.fetcher = WorkspaceFetcher(templates)
        self.base_url = TEMPLATES_URL
        # Renderers that share a FontConfiguration can have their pages combined.
        self.font_config = font_config or FontConfiguration()
        env = make_environment(template_loader(templates))
        self.template_name = f"{kind}.html"
        self.template = compile_template(env, self.template_name,
                                         shown=f"templates/{self.template_name}")
        css = templates.text(f"{kind}.css")
        self.stylesheets = []
        # What WeasyPrint refused in the stylesheet (a rule it cannot parse, an @import or
        # a font it could not load): reported once per build and by `notices check`.
        self.setup_problems: list[Problem] = []
        shown_css = f"templates/{kind}.css"
        if css is not None:
            with _weasyprint_messages() as messages:
                self.stylesheets.append(CSS(string=css, base_url=f"{TEMPLATES_URL}{kind}.css",
                                            url_fetcher=self.fetcher,
                                            font_config=self.font_config))
            for level, message in messages:
                self.setup_problems.append(Problem(
                    shown_css, f"WeasyPrint: {one_line(shown_urls(message))}",
                    severity=Severity.ERROR if level >= logging.ERROR else Severity.WARNING))
        else:
            self.setup_problems.append(Problem(
                shown_css, "missing: the PDF is laid out without a stylesheet (no fonts, no "
                "page margins)", severity=Severity.WARNING))
        self.options = pdf_options(variant)
        self.messages: list[str] = []  # what WeasyPrint logged while rendering

    def render_html(self, notice, *, table_widths: dict[int, list[float]] | None = None) -> str:
        """The filled-in HTML template; raises :class:`TemplateError` with template and line."""
        return self._html(typeset(notice), table_widths)

    def _html(self, printed, table_widths: dict[int, list[float]] | None = None) -> str:
        """The HTML of a paper already typeset (:func:`notices.render.typesetting.typeset`)."""
        rendered = documents_to_html(printed.documents, table_widths)
        return self.fill(template_context(printed, city=self.city, rendered=rendered))

    def fill(self, context: dict) -> str:
        """The template filled in with any context (notices, packet cover sheets)."""
        html = render_template(self.template, context, shown=f"templates/{self.template_name}")
        # The rest of U+2011 (subject, names): the same glyph from the plain hyphen, and
        # a word joiner after it (invisible) so that the line still cannot break there.
        return html.replace(NO_BREAK_HYPHEN, "\u2010\u2060")

    def render(self, notice) -> bytes:
        """The PDF of one notice; what WeasyPrint complained about is in :attr:`messages`."""
        self.messages = []
        return self.write(self.render_document(notice))

    def render_document(self, notice, *, extra_css: str | None = None):
        """The laid-out pages of one notice (a WeasyPrint ``Document``), not yet written.

        WeasyPrint never makes a table column narrower than its longest word, so a table
        whose longest words cannot stand side by side runs off the page and its last
        columns are lost. Such tables are found in the layout and laid out once more with
        fixed column widths (the same measurement as the Word file's) and words allowed to
        break anywhere; every other notice is laid out once. ``extra_css`` is added after
        the template's stylesheet (a packet's running page numbers).
        """
        images = notice.images
        notice = typeset(notice)  # once: the tables below are measured as they print
        document = self.layout(self._html(notice), images=images, extra_css=extra_css)
        tables = [table for doc in notice.documents for table in blocks.tables(doc.blocks)]
        if not tables:
            return document
        try:
            overflowing = _overflowing_tables(document)
        except AttributeError:  # WeasyPrint's boxes changed: keep the first layout
            log.warning("cannot check the width of tables with this WeasyPrint version")
            return document
        if not overflowing:
            return document
        widths = {}
        for number, available in overflowing.items():
            table = tables[number]
            columns = column_count(table)
            twips = column_widths(table, columns, max(int(available * 15), columns),
                                  font_size=PDF_TABLE_FONT_SIZE, margins=PDF_CELL_PADDING)
            widths[number] = [100 * width / sum(twips) for width in twips]
        html = self._html(notice, table_widths=widths)
        return self.layout(html, images=images, extra_css=extra_css)

    def write_pdf(self, html: str, *, images=(), url_fetcher=None) -> bytes:
        """Lay out HTML and write the PDF; only template files and ``images`` may be read."""
        return self.write(self.layout(html, images=images, url_fetcher=url_fetcher))

    def layout(self, html: str, *, images=(), url_fetcher=None, extra_css: str | None = None):
        fetcher = url_fetcher or self.fetcher.with_pictures(images)
        with self._weasyprint_errors():
            stylesheets = self.stylesheets
            if extra_css:
                stylesheets = [*stylesheets, CSS(string=extra_css, font_config=self.font_config)]
            # The same options for layout and writing, as HTML.write_pdf passes them.
            return HTML(string=html, base_url=self.base_url, url_fetcher=fetcher).render(
                font_config=self.font_config, stylesheets=stylesheets, **self.options)

    def write(self, document, *, outlines_open: bool = False) -> bytes:
        """Write laid-out pages as a PDF in the configured variant, repaired for PDF/UA-1.

        The one place where PDFs are written (notices and session packets), so every PDF
        gets the same repairs: list markers painted in reading order while WeasyPrint
        draws (:mod:`notices.render.reading_order`), then the post-process of
        :mod:`notices.render.accessibility`, which also declares PDF/UA-1 beside
        PDF/A-2a and PDF/A-3a.
        """
        with self._weasyprint_errors(), markers_in_reading_order():
            data = document.write_pdf(stylesheets=self.stylesheets, **self.options)
        try:
            return make_accessible(data, ua=self.variant in DECLARE_UA,
                                   outlines_open=outlines_open)
        except pikepdf.PdfError as error:  # pragma: no cover - WeasyPrint wrote a bad PDF
            raise RenderError(Problem(f"templates/{self.template_name}",
                                      f"the PDF could not be made accessible: "
                                      f"{one_line(error)}")) from error

    @contextlib.contextmanager
    def _weasyprint_errors(self):
        """WeasyPrint's failures as a :class:`RenderError` naming the template.

        What it only logs (a picture it could not draw, say) is kept in :attr:`messages`,
        as the clerk should read it, instead of reaching stderr raw with internal paths.
        """
        try:
            with _weasyprint_messages() as logged:
                yield
            for _, message in logged:
                line = one_line(shown_urls(message))
                if line not in self.messages:
                    self.messages.append(line)
        except (RecursionError, MemoryError):
            raise
        except SystemError as error:
            # A C library (Pango, cffi) that cannot allocate fails without a Python
            # exception; under the worker's memory limit that means the record is too big.
            raise MemoryError(str(error)) from error
        except Exception as error:
            raise RenderError(Problem(f"templates/{self.template_name}",
                                      f"WeasyPrint failed: {one_line(error)}")) from error

