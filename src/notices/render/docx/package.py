"""Word packages as bytes: namespaces, part names, and a reproducible zip writer.

A .docx is a zip of XML parts. Members are written in a fixed order with a fixed
timestamp, so the same document gives the same bytes on any day; members that do not
change between documents can be compressed once and copied (:class:`Member`).
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from xml.sax.saxutils import escape as _xml_escape

from notices.source.textclean import FORBIDDEN

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
HYPERLINK_REL = f"{R_NS}/hyperlink"
IMAGE_REL = f"{R_NS}/image"
# Parts that docxtpl renders besides the body, and how an error message names them.
TEMPLATED_RELS = {f"{R_NS}/header": "page header", f"{R_NS}/footer": "page footer",
                  f"{R_NS}/footnotes": "footnotes", f"{R_NS}/endnotes": "endnotes"}
DOCUMENT = "word/document.xml"
DOCUMENT_RELS = "word/_rels/document.xml.rels"
NUMBERING = "word/numbering.xml"
STYLES = "word/styles.xml"
CONTENT_TYPES = "[Content_Types].xml"
CORE = "docProps/core.xml"
APP = "docProps/app.xml"
EMU_PER_PX = 9525  # 914400 EMU per inch at 96 px per inch
EMU_PER_TWIP = 635
CELL_MARGINS_TWIPS = 2 * 108  # Word's default left and right cell margins
DEFAULT_TEXT_WIDTH = 9355  # A4 minus 2.5 cm and 2 cm, in twips
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
MEDIA_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpeg", "image/svg+xml": "svg"}
EXTENSION_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "svg": "image/svg+xml"}
MAX_LIST_LEVEL = 8  # Word has nine list levels (w:ilvl 0-8)
SVG_BLIP_EXTENSION = "{96DAC541-7B7A-43D3-8B79-37D633B846F1}"


def xml_escape(text: str) -> str:
    """Text for XML content and attributes, without the characters XML 1.0 cannot carry."""
    return _xml_escape(FORBIDDEN.sub("", text), {'"': "&quot;"})




@dataclass
class Member:
    name: str
    local: bytes  # local header + compressed data
    central: bytes  # central directory entry without the offset


def zip_member(name: str, data: bytes) -> Member:
    """One deflated zip member with a fixed timestamp, as bytes ready to concatenate."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    compressed = compressor.compress(data) + compressor.flush()
    crc = zlib.crc32(data)
    encoded = name.encode("utf-8")
    year, month, day, hour, minute, second = ZIP_DATE
    dos_time = hour << 11 | minute << 5 | second // 2
    dos_date = (year - 1980) << 9 | month << 5 | day
    flags = 0x800  # names are UTF-8
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, flags, 8, dos_time, dos_date, crc,
                        len(compressed), len(data), len(encoded), 0) + encoded + compressed
    central = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, flags, 8, dos_time, dos_date,
                          crc, len(compressed), len(data), len(encoded), 0, 0, 0, 0,
                          0, 0)
    return Member(name, local, central + encoded)


def reproducible_zip(entries: list[tuple[str, bytes]]) -> bytes:
    """A zip of ``(name, data)`` in the given order, with fixed timestamps."""
    return assemble_zip([zip_member(name, data) for name, data in entries])


def assemble_zip(members: list[Member]) -> bytes:
    chunks, directory, offset = [], [], 0
    for member in members:
        chunks.append(member.local)
        # The offset sits in the last 4 bytes of the fixed part of the central entry.
        fixed = member.central[:46]
        directory.append(fixed[:42] + struct.pack("<L", offset) + member.central[46:])
        offset += len(member.local)
    central = b"".join(directory)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members),
                      len(central), offset, 0)
    return b"".join(chunks) + central + end


def damaged_docx(data: bytes) -> str | None:
    """Why Word could not open ``data``: not a zip, or an XML part that does not parse."""
    import io
    import zipfile

    from lxml import etree

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in archive.namelist():
                if name.endswith((".xml", ".rels")):
                    etree.fromstring(archive.read(name))
    except (zipfile.BadZipFile, KeyError, ValueError, EOFError) as error:
        return f"not a Word file ({error})"
    except etree.XMLSyntaxError as error:
        return f"{name} does not parse ({' '.join(str(error).split())})"
    return None
