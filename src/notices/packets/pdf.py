"""The PDF packet: the cover sheet, then each paper exactly as it renders on its own.

Each paper is laid out with its own template and renderer (its own "Seite X von Y");
the laid-out pages are then combined behind the cover into one document with one
bookmark per paper. Combining laid-out pages keeps the tagged structure that merging
finished PDF files would lose.

Every page also carries the packet's running number ("Mappe Seite 7 von 23"), so that a
printed packet can be put back in order and the cover's page column can be trusted: the
cover refers to these numbers. They need the papers' page counts before the papers are
laid out with them, so each count comes from the paper's own PDF (built just before),
or from a first layout; a paper whose layout then differs is laid out again.
"""

from __future__ import annotations

import contextlib
import signal
import threading

from notices.errors import Problem, RenderError
from notices.packets.cover import Item
from notices.template_set import PACKET_TEMPLATE, TemplateSet

# Where the running number goes: the bottom left margin box, free in the shipped
# templates (they put "Seite X von Y" bottom right).
RUNNING_NUMBER_CSS = """
@page {{ counter-increment: packet-page;
  @bottom-left {{ content: "Mappe Seite " counter(packet-page) " von {total}";
                  font: 9pt "Liberation Sans"; }} }}
@page :first {{ counter-reset: packet-page {before}; }}
"""


class _PaperTimeout(BaseException):
    """Raised by the alarm; a BaseException so that no renderer's ``except`` swallows it."""


@contextlib.contextmanager
def _time_limit(seconds: float | None):
    """Raise :class:`_PaperTimeout` after ``seconds`` (only in a process's main thread)."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise _PaperTimeout()

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class _Layouts:
    """Lays out the papers of one packet, each under the per-record time limit."""

    def __init__(self, templates: TemplateSet, variant: str, city: str | None,
                 timeout: float | None):
        from notices.render.pdf import PdfRenderer

        self.make = lambda kind, font_config: PdfRenderer(
            templates, kind, variant=variant, city=city, font_config=font_config)
        self.timeout = timeout
        self.renderers: dict = {}
        self.font_config = None

    def renderer(self, kind: str):
        # One FontConfiguration for all renderers: their pages are combined into one PDF.
        if kind not in self.renderers:
            self.renderers[kind] = self.make(kind, self.font_config)
            self.font_config = self.renderers[kind].font_config
        return self.renderers[kind]

    def paper(self, item: Item, extra_css: str | None = None):
        notice = item.notice
        try:
            with _time_limit(self.timeout):
                return self.renderer(notice.kind).render_document(notice, extra_css=extra_css)
        except _PaperTimeout:
            raise RenderError(Problem(notice.path, f"took longer than {self.timeout:g} s to "
                                      "lay out for the packet "
                                      "(limits.render_timeout_seconds in notices.toml)")
                              ) from None


def render_pdf_packet(templates: TemplateSet, variant: str, context: dict, items: list[Item],
                      *, paper_timeout: float | None = None,
                      page_counts: dict[str, int] | None = None) -> bytes:
    """The PDF packet: the cover, then every paper's pages, each page numbered twice.

    ``page_counts`` maps a paper's path to the pages of its own PDF, where known; each
    paper's layout gets ``paper_timeout`` seconds, the per-record limit of a build.
    """
    layouts = _Layouts(templates, variant, context["city"], paper_timeout)
    papers = [item for item in items if item.notice is not None]
    counts = dict(page_counts or {})
    for item in papers:
        if item.notice.path not in counts:
            counts[item.notice.path] = len(layouts.paper(item).pages)
    cover = layouts.renderer(PACKET_TEMPLATE)
    for _ in range(3):  # a paper whose own PDF was edited may lay out differently
        cover_document = _cover(cover, context, items, papers, counts)
        total = len(cover_document.pages) + sum(counts[i.notice.path] for i in papers)
        documents = [layouts.paper(item, RUNNING_NUMBER_CSS.format(total=total,
                                                                  before=item.page - 1))
                     for item in papers]
        changed = {item.notice.path: len(document.pages)
                   for item, document in zip(papers, documents, strict=True)
                   if len(document.pages) != counts[item.notice.path]}
        if not changed:
            break
        counts.update(changed)
    cover_document = cover.layout(cover.fill({**context, "items": [i.context() for i in items]}),
                                  extra_css=RUNNING_NUMBER_CSS.format(total=total, before=0))
    pages = list(cover_document.pages)
    for index, page in enumerate(pages):
        title = "Tagesordnung" if context.get("meeting") else "Deckblatt"
        page.bookmarks = [(1, f"{title}, {context['part']}", (0, 0), "closed")] \
            if index == 0 else []
    for item, document in zip(papers, documents, strict=True):
        label = f"{item.label}: " if item.label else (
            f"TOP {item.agenda_item}: " if item.agenda_item else "")
        for index, page in enumerate(document.pages):
            page.bookmarks = [(1, label + item.heading, (0, 0), "closed")] if index == 0 else []
        document.pages[0].anchors[item.anchor] = (0, 0, 0, 0)  # x1, y1, x2, y2
        pages.extend(document.pages)
    return cover.write(cover_document.copy(pages), outlines_open=True)


def _cover(cover, context: dict, items: list[Item], papers: list[Item], counts: dict):
    """The cover laid out until its own length, which decides where the papers start, settles."""
    cover_pages = 1
    for _ in range(3):
        page = cover_pages + 1
        for item in papers:
            item.page = page
            page += counts[item.notice.path]
        document = cover.layout(cover.fill({**context, "items": [i.context() for i in items]}))
        if len(document.pages) == cover_pages:
            break
        cover_pages = len(document.pages)
    return document
