"""Checks of a validated notice's content that need the renderers' knowledge.

They run where a notice is rendered (in the build's workers) and in ``notices check``:
characters no bundled font can draw, and tables too wide for the page.
"""

from __future__ import annotations

from notices.errors import Problem, Severity


def content_problems(templates, notice) -> list[Problem]:
    """Every warning about what a notice's outputs would look like (``templates``: a TemplateSet)."""
    return font_problems(templates, notice) + table_problems(notice)


def table_problems(notice) -> list[Problem]:
    """Warn about tables whose longest words cannot stand side by side on the page."""
    from notices.render.table_layout import words_fit
    from notices.source.blocks import plain_text, tables

    problems = []
    for number, table in enumerate(tables(notice.facts.blocks), start=1):
        if not words_fit(table):
            heads = [plain_text(cell.children) for cell in table.header]
            shown = ", ".join(heads[:4]) + (", …" if len(heads) > 4 else "")
            problems.append(Problem(
                notice.path, f"table {number} ({len(heads)} columns: {shown}) is too wide for "
                "the page: its longest words do not fit side by side and are broken inside "
                "their cells; fewer or narrower columns avoid that", field="facts",
                severity=Severity.WARNING))
    return problems


def font_problems(templates, notice) -> list[Problem]:
    """Warn about characters that no bundled font can draw, naming field and characters."""
    from notices.render.fonts import covered_characters, missing_characters
    from notices.source.blocks import document_text

    covered = covered_characters(templates)
    fields = {
        "file_number": notice.file_number, "contact.name": notice.contact.name,
        "contact.phone": notice.contact.phone, "session.committee": notice.session.committee,
        "session.agenda_item": notice.session.agenda_item or "", "subject": notice.subject,
        "facts": document_text(notice.facts), "signatory": notice.signatory,
    }
    problems = []
    for name, text in fields.items():
        missing = missing_characters(text, covered)
        if missing:
            shown = " ".join(f"{c} (U+{ord(c):04X})" for c in missing[:8])
            problems.append(Problem(
                notice.path, f"no bundled font has these characters, they would print as "
                f"empty boxes: {shown}; add a font that has them to templates/fonts/",
                field=name, severity=Severity.WARNING))
    return problems
