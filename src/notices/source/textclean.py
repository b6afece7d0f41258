"""Characters that XML 1.0 (and so Word and PDF/A) cannot carry, and how we clean them.

A record imported from an old system may hold NUL bytes, vertical tabs or form feeds.
YAML refuses most of them and a .docx holding one will not open in Word. Vertical tab,
form feed and NEL become line breaks (that is what the clerk saw); every other such
character is removed. The caller warns, naming the field.
"""

from __future__ import annotations

import re

LINE_BREAKS = "\x0b\x0c\x85"
# C0 controls except tab/LF/CR, DEL, C1 controls, lone surrogates, U+FFFE/U+FFFF.
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")

# Placeholders that YAML accepts (private use area) and that we map back after parsing;
# they keep every offset and line number of the file unchanged.
BREAK_MARK = "\uf8f0"
DROP_MARK = "\uf8f1"


def mask_forbidden(text: str) -> tuple[str, list[tuple[int, str]]]:
    """Replace forbidden characters by same-length placeholders; return what was found."""
    found: list[tuple[int, str]] = []

    def replace(match: re.Match) -> str:
        char = match.group(0)
        found.append((match.start(), char))
        return BREAK_MARK if char in LINE_BREAKS else DROP_MARK

    return FORBIDDEN.sub(replace, text), found


def clean_value(text: str) -> tuple[str, list[str]]:
    """Turn placeholders and any forbidden character back into clean text.

    Returns the cleaned text and the code points (``U+000B``) that were changed.
    """
    changed: list[str] = []

    def replace(match: re.Match) -> str:
        char = match.group(0)
        changed.append(f"U+{ord(char):04X}")
        return "\n" if char in LINE_BREAKS else ""

    text = FORBIDDEN.sub(replace, text)
    text = text.replace(BREAK_MARK, "\n").replace(DROP_MARK, "")
    return text, changed


# Embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): they make a reader
# show text in another order than it was typed ("Trojan Source"); a notice has no use
# for them. The marks U+200E/U+200F, which only nudge neutral characters, stay.
DIRECTION_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def strip_direction_controls(text: str) -> tuple[str, list[str]]:
    """Remove bidirectional embedding/override/isolate controls; return what was removed."""
    found = [f"U+{ord(c):04X}" for c in DIRECTION_CONTROLS.findall(text)]
    return (DIRECTION_CONTROLS.sub("", text), found) if found else (text, [])


DIRECTION_WARNING = ("removed text-direction controls ({}) that would show the text in "
                     "another order than it was typed")


def describe(code_points: list[str]) -> str:
    unique = sorted(set(code_points))
    return ", ".join(unique[:6]) + (", …" if len(unique) > 6 else "")


_REFERENCE = re.compile(r"&#(?:[xX]([0-9A-Fa-f]{1,8})|([0-9]{1,10}));")


def strip_character_references(text: str) -> tuple[str, list[str], list[str]]:
    """Remove numeric character references (``&#x202E;``) to characters cleaned above.

    Markdown decodes ``&#8238;`` into the character itself, after the record's text was
    cleaned; so the references are judged by the same rules first. Returns the text and
    the code points removed as controls and as direction controls.
    """
    controls: list[str] = []
    directions: list[str] = []

    def replace(match: re.Match) -> str:
        code = int(match.group(1), 16) if match.group(1) else int(match.group(2))
        if code > 0x10FFFF or code == 0 or 0xD800 <= code <= 0xDFFF:
            controls.append(f"U+{code:04X}" if code <= 0x10FFFF else match.group(0))
            return ""
        char = chr(code)
        if FORBIDDEN.match(char):
            controls.append(f"U+{code:04X}")
            return "\n" if char in LINE_BREAKS else ""
        if DIRECTION_CONTROLS.match(char):
            directions.append(f"U+{code:04X}")
            return ""
        return match.group(0)

    if "&#" not in text:
        return text, [], []
    return _REFERENCE.sub(replace, text), controls, directions
