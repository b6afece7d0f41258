"""The Jinja2 environment and the context that both renderers give their templates.

Templates are user files: they receive the typed :class:`~notices.records.Notice` and a
few filters, never raw dicts, and an undefined name is an error (``StrictUndefined``)
rather than silently empty text. Record text is always data, never template source.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re

import jinja2

from notices.errors import Problem, TemplateError
from notices.source.model import format_date


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


def template_loader(templates) -> jinja2.BaseLoader:
    """Jinja loads templates (and what they include) from a :class:`TemplateSet` in memory."""

    def load(name: str):
        text = templates.text(name)
        return None if text is None else (text, f"templates/{name}", lambda: True)

    return jinja2.FunctionLoader(load)


def render_template(template: jinja2.Template, context: dict, *, shown: str) -> str:
    """Render a compiled template; a Jinja error becomes a :class:`TemplateError`.

    The error names the template (``shown``, e.g. ``templates/mitteilung.html``) and the
    line in it, taken from the traceback of the compiled template; an error inside an
    included template (``_paper_head.html``) names that one.
    """
    try:
        return template.render(context)
    except jinja2.TemplateError as error:
        where, line = shown, error_line(error, template.filename)
        included = _deepest_template_frame(error)
        if included is not None and included[0] != template.filename:
            where, line = included
        raise TemplateError(Problem(where, one_line(error), line=line)) from None


def _deepest_template_frame(error: BaseException) -> tuple[str, int] | None:
    """(templates/NAME, line) of the innermost template the error passed through."""
    found = None
    tb = error.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.startswith("templates/"):
            found = (name, tb.tb_lineno)
        tb = tb.tb_next
    return found


def compile_template(env: jinja2.Environment, name: str, *, shown: str) -> jinja2.Template:
    """Load and compile a template by name; syntax errors become :class:`TemplateError`."""
    try:
        return env.get_template(name)
    except jinja2.TemplateSyntaxError as error:
        where = f"templates/{error.name}" if error.name and error.name != name else shown
        raise TemplateError(Problem(where, error.message or "syntax error",
                                    line=error.lineno)) from None
    except jinja2.TemplateNotFound as error:
        raise TemplateError(Problem(shown, f"template not found ({error.name})")) from None


def error_line(error: BaseException, filename: str | None) -> int | None:
    """The template line of a Jinja error: its own ``lineno`` or the deepest template frame."""
    line = getattr(error, "lineno", None)
    if line is not None:
        return line
    found = None
    tb = error.__traceback__
    while tb is not None:
        if filename and tb.tb_frame.f_code.co_filename == filename:
            found = tb.tb_lineno
        tb = tb.tb_next
    return found


_NO_ATTRIBUTE = re.compile(r"^'(?:[\w.]+\.)?(\w+) object' has no attribute '(\w+)'$")


def one_line(error: BaseException) -> str:
    """An exception's message on one line (messages are one line per problem).

    Jinja's "'notices.source.model.Notice object' has no attribute 'signatroy'" becomes
    "notice has no field 'signatroy' (did you mean 'signatory'?)": the names a template
    author sees, not the program's.
    """
    message = " ".join(str(error).split()) or type(error).__name__
    match = _NO_ATTRIBUTE.match(message)
    if isinstance(error, jinja2.UndefinedError) and match:
        owner, name = match.groups()
        known = _FIELDS.get(owner, ())
        guess = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        hint = f" (did you mean '{guess[0]}'?)" if guess else (
            f" (known: {', '.join(known)})" if known else "")
        return f"{owner.lower()} has no field '{name}'{hint}"
    return message


def _field_names() -> dict[str, tuple[str, ...]]:
    import dataclasses

    from notices.settings import Office
    from notices.source import model

    internal = {"path", "output_stem", "source_sha256", "key"}
    return {cls.__name__: tuple(f.name for f in dataclasses.fields(cls) if f.name not in internal)
            for cls in (model.Notice, model.Contact, model.Session, Office)}


_FIELDS = _field_names()


def template_context(notice, *, city: str | None, rendered: list) -> dict:
    """What every template sees: the notice, the city, and its fields already rendered.

    ``rendered`` holds each of ``notice.documents`` (the Markdown values, in order)
    rendered for the format: safe HTML for the PDF, WordprocessingML for Word. Templates
    see the kind's fields as ``fields.NAME`` (Markdown ones rendered); ``facts`` stays a
    name of its own for the kinds that have it.
    """
    by_id = {id(document): value for document, value in zip(notice.documents, rendered,
                                                              strict=True)}

    def swap(value):
        if id(value) in by_id:
            return by_id[id(value)]
        if isinstance(value, tuple):
            return tuple(swap(item) for item in value)
        if isinstance(value, dict):
            return {key: swap(item) for key, item in value.items()}
        return value

    fields = swap(notice.fields)
    context = {"notice": notice, "city": city, "fields": fields}
    if "facts" in fields:
        context["facts"] = fields["facts"]
    return context


PROBE_MARKDOWN = (
    "Absatz mit **fett**, *kursiv* und [Link](https://example.org).\n\n"
    "### Überschrift\n\n- Punkt\n  1. Unterpunkt\n\n> Zitat\n\n"
    "| A | B |\n|---|--:|\n| 1 | 2 |\n\n```\ncode\n```\n")


def probe_value(spec, path: str):
    """A value for every field a kind declares, each recognisable in the output.

    Markdown values start with "Probe NAME" and hold every kind of block; texts are
    "Probe NAME"; a list holds one item.
    """
    import datetime as dt

    from notices.source.markdown import parse_markdown

    if spec.type == "array":
        return (probe_value(spec.items, path),)
    if spec.type == "object":
        return {prop.name: probe_value(prop, f"{path}.{prop.name}") for prop in spec.properties}
    if spec.format == "markdown":
        return parse_markdown(f"Probe {path}.\n\n" + PROBE_MARKDOWN)[0]
    if spec.format == "date":
        return dt.date(2024, 1, 2)
    if spec.type == "boolean":
        return True
    if spec.type == "integer":
        return 7
    return f"Probe {path}"


def probe_notice(*, public: bool = True, kind=None, draft: bool = False):
    """A paper of ``kind`` with every field and every kind of block, for checking templates.

    ``notices check`` and ``build`` render each template with it before any record, so
    a template that names a field that does not exist fails once, with the template's
    name and line, instead of once per record.
    """
    from notices.settings import Office
    from notices.source.fields import markdown_documents
    from notices.source.kinds import default_kind
    from notices.source.model import Attachment, Consultation, Contact, Notice

    kind = kind or default_kind("probe")
    fields = {spec.name: probe_value(spec, spec.name) for spec in kind.fields}
    consultations = (Consultation("Ausschuss", dt.date(2024, 1, 3), public, "1", "Vorberatung"),
                     Consultation("Rat", dt.date(2024, 1, 10), public, "2", "Entscheidung"))
    return Notice(
        path="records/probe.yaml", output_stem="probe", kind=kind.name,
        office=Office("Amt", "100", "des Amtes", "Amt"), file_number="100.1",
        date=dt.date(2024, 1, 2), contact=Contact("Frau Muster", "0521 51000"),
        consultations=consultations, subject="Probebetreff", signatory="Muster",
        fields=fields, kind_label=kind.label, paper_number="1/2020-2025",
        status="entwurf" if draft else "final",
        attachments=(Attachment(1, "Probeanlage", "records/probe.pdf", "application/pdf"),),
        source_sha256="0" * 64, documents=tuple(markdown_documents(fields, kind.fields)))
