"""The PDF packet: the cover sheet, then each paper exactly as it renders on its own.

Each paper is laid out with its own template and renderer (its own "Seite X von Y");
the laid-out pages are then combined behind the cover into one document with one
bookmark per paper. Combining laid-out pages keeps the tagged structure that merging
finished PDF files would lose. The cover's own length decides where the papers start,
so it is laid out until its page count settles.
"""

from __future__ import annotations

import contextlib
import signal
import threading

from notices.template_set import PACKET_TEMPLATE, TemplateSet
from notices.errors import Problem, RenderError
from notices.packets.cover import Item


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


def render_pdf_packet(templates: TemplateSet, variant: str, context: dict, items: list[Item], *,
                      paper_timeout: float | None = None) -> bytes:
    """The PDF packet: the cover, then every paper's pages as they render on their own.

    Each paper's layout gets ``paper_timeout`` seconds, the per-record limit of a build.
    """
    from notices.render.pdf import PdfRenderer

    renderers: dict[str, PdfRenderer] = {}
    font_config = None
    documents = []
    for item in items:
        kind = item.notice.kind
        if kind not in renderers:
            renderers[kind] = PdfRenderer(templates, kind, variant=variant,
                                          city=context["city"], font_config=font_config)
            font_config = renderers[kind].font_config
        try:
            with _time_limit(paper_timeout):
                documents.append(renderers[kind].render_document(item.notice))
        except _PaperTimeout:
            raise RenderError(Problem(item.notice.path, f"took longer than {paper_timeout:g} s "
                                      "to lay out for the packet "
                                      "(limits.render_timeout_seconds in notices.toml)")
                              ) from None
    cover_renderer = PdfRenderer(templates, PACKET_TEMPLATE, variant=variant,
                                 city=context["city"], font_config=font_config)
    cover_pages = 1
    for _ in range(3):  # the cover's own length decides where the notices start
        page = cover_pages + 1
        for item, document in zip(items, documents, strict=True):
            item.page = page
            page += len(document.pages)
        cover = cover_renderer.layout(cover_renderer.fill(
            {**context, "items": [item.context() for item in items]}))
        if len(cover.pages) == cover_pages:
            break
        cover_pages = len(cover.pages)
    pages = list(cover.pages)
    for page in pages:
        page.bookmarks = []
    for item, document in zip(items, documents, strict=True):
        notice = item.notice
        label = (f"TOP {item.agenda_item}: " if item.agenda_item
                 else "") + notice.subject
        for index, page in enumerate(document.pages):
            page.bookmarks = [(1, label, (0, 0), "closed")] if index == 0 else []
        document.pages[0].anchors[item.anchor] = (0, 0, 0, 0)  # x1, y1, x2, y2
        pages.extend(document.pages)
    return cover_renderer.write(cover.copy(pages))
