"""The files of an export: the build's current outputs, described for OParl and xdomea.

A file is described from what the build knows of it (its bytes in ``output/``, when it
was written, the PDF variant it was built as) and what it says: the plain text of a
PDF, for OParl's full-text ``File.text``, read with PDFium (pypdfium2, the ``export``
extra). Times are local time in Germany (Europe/Berlin), as a council's papers are
dated; the ``tzdata`` package supplies the zone where the system has none.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

from notices.export.current import CurrentOutputs
from notices.export.model import ExportFile

MEDIA_TYPES = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg",
               ".jpeg": "image/jpeg"}


@lru_cache(maxsize=1)
def _berlin():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Europe/Berlin")


def midnight(day: dt.date) -> dt.datetime:
    """The start of ``day`` in Germany: when a paper dated that day was created."""
    return dt.datetime.combine(day, dt.time(), _berlin())


def local_time(moment: dt.datetime) -> dt.datetime:
    """``moment`` in German local time (a naive one is taken as local already)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=_berlin())
    return moment.astimezone(_berlin())


def pdfa_level(options: str) -> str | None:
    """``pdf/a-2a`` -> ``2a``: the PDF/A level an output was built to, if any."""
    if options.startswith("pdf/a-"):
        return options[len("pdf/a-"):]
    return None


def pdf_text(path: Path) -> str:
    """The plain text of a PDF, page by page, with Unix line ends."""
    import pypdfium2

    document = pypdfium2.PdfDocument(str(path))
    try:
        pages = []
        for page in document:
            textpage = page.get_textpage()
            pages.append(textpage.get_text_bounded().replace("\r\n", "\n").strip())
            textpage.close()
            page.close()
        return "\n\n".join(p for p in pages if p)
    finally:
        document.close()


class FileMaker:
    """Describes current outputs as export files; each file's text is read once."""

    def __init__(self, current: CurrentOutputs):
        self.current = current

    def output(self, relative: str, key: str, name: str, day: dt.date, *,
               public: bool = True) -> ExportFile:
        """A paper's output, known to be current."""
        found = self.document(relative, key, name, day, public=public)
        if found is None:
            raise KeyError(relative)
        return found

    def document(self, relative: str, key: str, name: str, day: dt.date, *,
                 public: bool = True) -> ExportFile | None:
        """An output if it is current, else None (a session's document not built)."""
        output = self.current.get(relative)
        if output is None:
            return None
        media_type = MEDIA_TYPES.get(output.path.suffix.lower(), "application/octet-stream")
        written = local_time(output.written)
        return ExportFile(
            key=key, name=name, file_name=output.path.name, mime_type=media_type, date=day,
            created=min(midnight(day), written), modified=written, path=output.path,
            text=pdf_text(output.path) if media_type == "application/pdf" else None,
            public=public, pdfa=pdfa_level(output.options) if media_type ==
            "application/pdf" else None)
