"""ASCII file names for URLs and container entries (OParl's file URLs, xdomea's zip)."""

from __future__ import annotations

import unicodedata

_TRANSLITERATION = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe",
                                  "Ü": "Ue", "ß": "ss"})


def ascii_file_name(name: str, fallback: str = "file") -> str:
    """ASCII-only version of a file name for URLs and container entries.

    German transliteration first (``Straße`` -> ``Strasse``), then accents are
    dropped and anything but letters, digits, ``.``, ``_`` and ``-`` becomes
    ``_``: such names need no percent-encoding in URLs and survive every zip
    tool and archive ingest. The original name is kept in the metadata.
    """
    ascii_name = unicodedata.normalize("NFKD", name.translate(_TRANSLITERATION))
    ascii_name = ascii_name.encode("ascii", "ignore").decode("ascii")
    cleaned = "".join(c if c.isalnum() or c in "._-" else "_" for c in ascii_name).strip("._")
    return cleaned or fallback
