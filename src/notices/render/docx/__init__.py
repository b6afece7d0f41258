"""Word output: a docxtpl template filled with a notice, the facts written as WordprocessingML.

:class:`DocxRenderer` (``renderer``) reads and prepares a template once and renders any
number of notices into it; ``facts`` writes the blocks of the facts, ``styles`` finds the
template's styles by name, ``svg_raster`` draws the bitmap beside each SVG picture,
``package`` writes reproducible zips and ``properties`` the document properties.
"""

from notices.render.docx.facts import RawXml
from notices.render.docx.renderer import DocxRenderer

__all__ = ["DocxRenderer", "RawXml"]
