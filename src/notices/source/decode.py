"""Turn a record file's bytes into text: encoding, masked characters, front matter.

A record arrives as the bytes stored on disk (their hash is part of the outputs' key,
byte-order mark included). Here they become text: UTF-8 with or without a byte-order
mark (Windows Notepad writes one); UTF-16 and binary files are named as such; characters
that XML cannot carry are masked with same-length placeholders so that YAML accepts
them and every line number stays right; and a Markdown record is split into its YAML
front matter and its body, the facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from notices.source import textclean

BOM = b"\xef\xbb\xbf"


class Undecodable(Exception):
    """The bytes are not a record's text; the message says what they are."""


@dataclass(frozen=True)
class RecordText:
    yaml: str  # the YAML part, masked; for .md files the front matter
    body: str | None = None  # the Markdown body of a .md record
    body_line: int = 0  # line of the closing '---' (the body starts after it)
    body_offset: int = 0  # character offset of the body in the file
    forbidden: list[tuple[int, str]] = field(default_factory=list)  # (offset, character)


def decode_record(raw: bytes, *, markdown: bool) -> RecordText:
    """Decode a record's bytes; raises :class:`Undecodable` with a clerk's explanation."""
    if not raw.strip() or raw == BOM:
        raise Undecodable("is empty (expected a record with the fields office, file_number, "
                          "date, contact, session, subject, facts, signatory)")
    if raw.startswith(BOM):
        raw = raw[len(BOM):]
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise Undecodable("is UTF-16 text (as Windows Notepad saves 'Unicode'); save it as "
                          "UTF-8")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        if b"\x00" in raw[:4096]:
            raise Undecodable("is not a text file (binary data); a record is UTF-8 "
                              "text") from None
        line = raw[: error.start].count(b"\n") + 1
        raise Undecodable(f"is not UTF-8 text (byte 0x{raw[error.start]:02x} at line {line}; "
                          "perhaps Windows-1252): save it as UTF-8") from None
    masked, forbidden = textclean.mask_forbidden(text)
    if not markdown:
        return RecordText(masked, forbidden=forbidden)
    split = _split_front_matter(masked)
    if split is None:
        raise Undecodable("a Markdown record must begin with YAML front matter between two "
                          "'---' lines")
    yaml_text, body, body_line, body_offset = split
    return RecordText(yaml_text, body, body_line, body_offset, forbidden)


def _split_front_matter(text: str) -> tuple[str, str, int, int] | None:
    """Split ``---`` front matter from the body: (yaml, body, body's first line, offset).

    The YAML part keeps the opening line as blanks, so its line numbers and character
    offsets are those of the file.
    """
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return None
    offset = len(lines[0])
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            yaml_text = " " * (len(lines[0]) - 1) + "\n" + "".join(lines[1:index])
            body = "".join(lines[index + 1:])
            return yaml_text, body, index + 1, offset + len(lines[index])
        offset += len(lines[index])
    return None
