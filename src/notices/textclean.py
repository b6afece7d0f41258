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


def describe(code_points: list[str]) -> str:
    unique = sorted(set(code_points))
    return ", ".join(unique[:6]) + (", …" if len(unique) > 6 else "")
