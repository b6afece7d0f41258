"""Check the templates before any record is rendered: each is filled with a probe notice.

A template that names a field that does not exist, leaves broken XML behind or never
shows a notice's substance (its facts, subject or file number) is reported once, with
the template's name and line, instead of once per record; a build stops before it
writes anything.
"""

from __future__ import annotations

from notices.template_set import TemplateSet

from notices.errors import NoticesError, Problem

def check_templates(templates: TemplateSet, formats: tuple[str, ...], *,
                    city: str | None) -> list[Problem]:
    """Check every kind's schema and templates with a probe paper; return the problems.

    Runs before any record is rendered, so a template error is reported once, with the
    template's name and line, and leaves no half-written output. Only errors of the
    schemas are returned here (their warnings are for ``notices check``).
    """
    from notices.render.templating import probe_notice

    names = templates.kinds
    if not names:
        return [Problem("templates", "no templates found (expected e.g. "
                        "templates/mitteilung.html and templates/mitteilung.docx)")]
    kinds, schema_problems = templates.declared_kinds()
    problems = [p for p in schema_problems if p.is_error]
    for name in sorted(kinds):
        kind = kinds[name]
        for fmt in formats:
            template = f"{name}.html" if fmt == "pdf" else f"{name}.docx"
            if template not in templates.files:
                other = f"templates/{name}.{'docx' if fmt == 'pdf' else 'html'}"
                problems.append(Problem(f"templates/{template}", f"missing (every kind needs "
                                        f"an HTML and a Word template; {other} exists)"
                                        if other[10:] in templates.files else "missing"))
                continue
            try:
                renderer = None
                if fmt == "docx":
                    from notices.render.docx import DocxRenderer

                    renderer = DocxRenderer(templates.files[template],
                                            display_name=f"templates/{template}", city=city)
                for public, draft in ((True, False), (False, True)):
                    probe = probe_notice(public=public, kind=kind, draft=draft)
                    if renderer is None:
                        text = _check_html(templates, name, probe, city)
                    else:
                        text = renderer.check(probe)
                    problems.extend(p for p in _missing_fields(f"templates/{template}", text,
                                                               kind) if p not in problems)
            except NoticesError as error:
                problems.extend(p for p in error.problems if p not in problems)
    return problems


def _essential(kind) -> list[tuple[str, str]]:
    """(field path, probe text) of what every paper of ``kind`` must show.

    Without them a template would turn out documents that silently lack their substance
    (a deleted {{ facts }}, an unterminated tag swallowing the file line): the subject,
    the file number, and every required field of the kind with text in it.
    """
    found = [("subject", "Probebetreff"), ("file_number", "100.1")]

    def walk(spec, path: str) -> None:
        if spec.type == "array":
            walk(spec.items, path)
        elif spec.type == "object":
            for prop in spec.properties:
                if prop.required:
                    walk(prop, f"{path}.{prop.name}")
        elif spec.type == "string" and spec.format != "date":
            found.append((path, f"Probe {path}"))

    for spec in kind.fields:
        if spec.required:
            walk(spec, spec.name)
    return found


def _missing_fields(shown: str, text: str, kind) -> list[Problem]:
    """Problems for the essential fields whose probe values the rendered text lacks."""
    problems = []
    flat = " ".join(text.split()).casefold()  # {{ notice.subject|upper }} shows it too
    html = shown.endswith(".html")
    for name, sample in _essential(kind):
        if sample.casefold() in flat:
            continue
        if name in ("subject", "file_number"):
            tag = f"{{{{ notice.{name} }}}}"
        elif name == "facts":
            tag = "{{ facts }}" if html else "{{p facts }}"
        elif "." not in name:
            spec = kind.spec(name)
            tag = f"{{{{ fields.{name} }}}}" if html or spec.format != "markdown" else \
                f"{{{{p fields.{name} }}}}"
        else:
            tag = f"a loop over fields.{name.split('.')[0]} showing {name.split('.', 1)[1]}"
        problems.append(Problem(shown, f"never shows the {name} of a paper (expected {tag} "
                                "in it; a tag left unclosed can swallow it too)"))
    return problems


def fill_html_template(templates: TemplateSet, name: str, context: dict) -> str:
    """Fill ``templates/NAME`` without WeasyPrint; :class:`TemplateError` names its line."""
    from notices.render.templating import (
        compile_template, make_environment, render_template, template_loader)

    # One environment per template set: Jinja compiles each template (and include) once.
    env = templates.cached("jinja", lambda: make_environment(template_loader(templates)))
    shown = f"templates/{name}"
    return render_template(compile_template(env, name, shown=shown), context, shown=shown)


def _check_html(templates: TemplateSet, kind: str, probe, city: str | None) -> str:
    from notices.render.html import documents_to_html
    from notices.render.templating import template_context

    html = fill_html_template(templates, f"{kind}.html", template_context(
        probe, city=city, rendered=documents_to_html(probe.documents)))
    # The text a reader sees: the body only (not <title> or <meta>), entities resolved.
    import lxml.html

    try:
        root = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return ""
    body = root.find("body")
    return " ".join((body if body is not None else root).itertext())
