"""Typographic slips in a paper's prose, for ``notices check``: warnings, never changes.

German print wants „…“ for quotations, a dash (–) between words and an ellipsis (…);
a keyboard gives ``"…"``, `` - `` and ``...``, which print as typed. ``check`` names
each with its line and the spelling to use; the text stays as the clerk typed it.

The rule is here, once, and only ``check`` runs it, not the build: a build re-renders
an archive of thousands of old papers whenever a template changes, and typography
warnings about every one of them would bury the problems a build must report. A clerk
writing a paper runs ``check`` on it (``notices new`` prepares it for that).

Markdown code (``code`` spans, fenced blocks) and link targets are left alone: there
the characters are meant as typed.
"""

from __future__ import annotations

import re

from notices.errors import Problem, Severity

MAX_PER_RULE = 3  # per field: a long imported text gets a few examples and a count
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_LINK_TARGET = re.compile(r"\]\([^)\n]*\)")
_FENCE = re.compile(r"^\s*(```|~~~)")
_QUOTED = re.compile(r'"([^"\n]{1,60})"')
_DASH = re.compile(r"(\S+) - (\S+)")
_DOTS = re.compile(r"(\S*?)\.\.\.(?!\.)")


def typography_problems(path: str, prose) -> list[Problem]:
    """Warnings for ``prose``: (field, text, line of its first line) of one record.

    Each is one line with the record's line, what was typed and what to write.
    """
    problems = []
    for field, text, first_line in prose:
        found: dict[str, list[tuple[int | None, str]]] = {}
        for offset, line in _prose_lines(text):
            number = first_line + offset if first_line is not None else None
            for rule, message in _findings(line):
                found.setdefault(rule, []).append((number, message))
        for rule, hits in found.items():
            for number, message in hits[:MAX_PER_RULE]:
                problems.append(Problem(path, message, field=field, line=number,
                                        severity=Severity.WARNING))
            if len(hits) > MAX_PER_RULE:
                problems.append(Problem(path, f"{len(hits) - MAX_PER_RULE} more of these "
                                        f"({rule})", field=field, line=hits[MAX_PER_RULE][0],
                                        severity=Severity.WARNING))
    return problems


def _prose_lines(text: str):
    """(offset, line) of the lines that are prose: fenced code, code spans, link targets out."""
    fenced = False
    for offset, line in enumerate(text.split("\n")):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if fenced:
            continue  # code, printed as typed
        yield offset, _LINK_TARGET.sub("]()", _CODE_SPAN.sub("``", line))


def _findings(line: str):
    """(rule, message) for each slip in one line of prose."""
    for match in _QUOTED.finditer(line):
        quoted = match.group(1)
        yield "straight quotes", (f"'\"{quoted}\"' has straight quotation marks "
                                  f"(German ones: „{quoted}“)")
    if '"' in _QUOTED.sub("", line):
        yield "straight quotes", "a straight quotation mark '\"' (German ones: „…“)"
    for match in _DASH.finditer(line):
        before, after = match.groups()
        yield "dashes", (f"'{before} - {after}' has a hyphen as a dash "
                         f"(a dash: '{before} – {after}')")
    for match in _DOTS.finditer(line):
        word = match.group(1)
        yield "three dots", f"'{word}...' has three dots (an ellipsis: '{word}…')"
