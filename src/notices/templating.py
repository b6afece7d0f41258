"""The Jinja2 environment and the context that both renderers give their templates.

Templates are user files: they receive the typed :class:`~notices.records.Notice` and a
few filters, never raw dicts, and an undefined name is an error (``StrictUndefined``)
rather than silently empty text. Record text is always data, never template source.
"""

from __future__ import annotations

import datetime as dt

import jinja2

from notices.records import format_date


def _de_date(value: dt.date) -> str:
    if not isinstance(value, dt.date):
        raise jinja2.UndefinedError(f"de_date expects a date, got {type(value).__name__}")
    return format_date(value)


def make_environment(loader: jinja2.BaseLoader | None = None) -> jinja2.Environment:
    """An autoescaping, strict environment with the filters templates may use."""
    env = jinja2.Environment(
        loader=loader,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["de_date"] = _de_date
    return env


def template_context(notice, *, city: str | None, facts) -> dict:
    """What every template sees: the notice, the city, and the facts already rendered.

    ``facts`` is renderer specific: safe HTML for the PDF, WordprocessingML for Word.
    """
    return {"notice": notice, "city": city, "facts": facts}


def probe_notice(*, public: bool = True):
    """A notice with every field and every kind of facts block, for checking templates.

    ``notices check`` and ``build`` render each template with it before any record, so
    a template that names a field that does not exist fails once, with the template's
    name and line, instead of once per record.
    """
    from notices.config import Office
    from notices.content import parse_markdown
    from notices.records import Contact, Notice, Session

    facts, _ = parse_markdown(
        "Absatz mit **fett**, *kursiv* und [Link](https://example.org).\n\n"
        "### Überschrift\n\n- Punkt\n  1. Unterpunkt\n\n> Zitat\n\n"
        "| A | B |\n|---|--:|\n| 1 | 2 |\n\n```\ncode\n```\n")
    return Notice(
        path="records/probe.yaml", output_stem="probe", kind="probe",
        office=Office("Amt", "100", "des Amtes", "Amt"), file_number="100.1",
        date=dt.date(2024, 1, 2), contact=Contact("Frau Muster", "0521 51000"),
        session=Session("Ausschuss", dt.date(2024, 1, 3), public, "1"),
        subject="Probe", facts=facts, signatory="Muster", source_sha256="0" * 64)
