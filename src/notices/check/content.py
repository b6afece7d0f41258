"""Checks of a validated notice's content that need the renderers' knowledge.

They run where a notice is rendered (in the build's workers) and in ``notices check``:
characters no bundled font can draw, and tables too wide for the page.
"""

from __future__ import annotations

from notices.errors import Problem, Severity


def content_problems(templates, notice) -> list[Problem]:
    """Every warning about what a paper's outputs would look like (``templates``: a set)."""
    return font_problems(templates, notice) + table_problems(notice)


def table_problems(notice) -> list[Problem]:
    """Warn about tables whose longest words cannot stand side by side on the page."""
    from notices.render.table_layout import words_fit
    from notices.source.blocks import plain_text, tables

    problems = []
    found = [(name, table) for name, document in _documents(notice)
             for table in tables(document.blocks)]
    for number, (name, table) in enumerate(found, start=1):
        if not words_fit(table):
            heads = [plain_text(cell.children) for cell in table.header]
            shown = ", ".join(heads[:4]) + (", …" if len(heads) > 4 else "")
            problems.append(Problem(
                notice.path, f"table {number} ({len(heads)} columns: {shown}) is too wide for "
                "the page: its longest words do not fit side by side and are broken inside "
                "their cells; fewer or narrower columns avoid that", field=name,
                severity=Severity.WARNING))
    return problems


def font_problems(templates, notice) -> list[Problem]:
    """Warn about characters that no bundled font can draw, naming field and characters."""
    from notices.render.fonts import covered_characters, missing_characters
    from notices.source.blocks import document_text

    covered = covered_characters(templates)
    fields = {
        "file_number": notice.file_number, "paper_number": notice.paper_number or "",
        "contact.name": notice.contact.name, "contact.phone": notice.contact.phone,
        "session.committee": " ".join(c.committee for c in notice.consultations),
        "session.agenda_item": " ".join(c.agenda_item or "" for c in notice.consultations),
        "subject": notice.subject, "signatory": notice.signatory,
        "attachments": " ".join(a.title for a in notice.attachments),
    }
    for name, value in _texts(notice.fields):
        fields[name] = fields.get(name, "") + "\n" + (
            document_text(value) if hasattr(value, "blocks") else str(value))
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


def _documents(notice):
    """(field name, Markdown document) of a paper, in the order its kind declares them."""
    return [(name, value) for name, value in _texts(notice.fields) if hasattr(value, "blocks")]


def _texts(fields: dict, prefix: str = ""):
    """(dotted field name, value) of every text and Markdown value among ``fields``."""
    for key, value in fields.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _texts(value, f"{name}.")
        elif isinstance(value, tuple):
            for item in value:
                yield from (_texts(item, f"{name}.") if isinstance(item, dict)
                            else [(name, item)])
        elif isinstance(value, str) or hasattr(value, "blocks"):
            yield name, value
