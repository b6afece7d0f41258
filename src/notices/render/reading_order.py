"""Paint list markers where they are read: before their item's text, not after the page.

WeasyPrint lays out a list item's outside marker ("•", "1.") as an absolutely positioned
box (``formatting_structure/build.py``, ``marker_to_box``), and paints positioned boxes
after all in-flow content of their stacking context (``stacking._dispatch``). The
marker's text then comes last in the page's content stream: copy and paste, text
extraction and a reader that ignores the tags meet "Eine Verstetigung …" first and "•"
at the end of the page, and the tagged PDF's content order contradicts its structure
(Lbl before LBody). The markers are laid out exactly as before; only the order of the
drawing operations changes, so the pages look the same.
"""

from __future__ import annotations

import contextlib


@contextlib.contextmanager
def markers_in_reading_order():
    """While WeasyPrint paints, outside list markers are painted in flow.

    Wraps ``weasyprint.stacking._dispatch``, which sorts a page's boxes into the CSS
    painting layers, for outside markers that could not define a stacking context of
    their own (``z-index: auto``, opaque, untransformed, not clipped); every other box
    goes through the original. Painting only: layout never calls ``_dispatch``. The
    patch is process-wide while active, which is safe because each build worker is a
    process that paints one document at a time. If a later WeasyPrint has no such
    function the patch does nothing, and the accessibility tests' reading-order check
    fails, naming the markers.
    """
    try:
        from weasyprint import stacking
        from weasyprint.layout.absolute import AbsolutePlaceholder

        original = stacking._dispatch
        dispatch_children = stacking._dispatch_children
    except (ImportError, AttributeError):  # pragma: no cover - another WeasyPrint
        yield
        return

    def dispatch(box, page, child_contexts, blocks, floats, blocks_and_cells):
        marker = box._box if isinstance(box, AbsolutePlaceholder) else box
        style = marker.style
        if (getattr(marker, "is_outside_marker", False) and style["z_index"] == "auto"
                and style["opacity"] >= 1 and not style["transform"]
                and style["overflow"] == "visible"):
            # What the original does with an in-flow block-level box: painted with the
            # blocks, in tree order, where the marker is its item's first child.
            index = len(blocks)
            cells: dict = {}
            marker = dispatch_children(marker, page, child_contexts, blocks, floats, cells)
            blocks.insert(index, marker)
            blocks_and_cells[marker] = cells
            return marker
        return original(box, page, child_contexts, blocks, floats, blocks_and_cells)

    stacking._dispatch = dispatch
    try:
        yield
    finally:
        stacking._dispatch = original
