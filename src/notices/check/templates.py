"""Check the templates before any record is rendered: each is filled with a probe notice.

A template that names a field that does not exist, leaves broken XML behind or never
shows a notice's substance (its facts, subject or file number) is reported once, with
the template's name and line, instead of once per record; a build stops before it
writes anything.
"""

from __future__ import annotations

from notices.template_set import TemplateSet

from notices.errors import NoticesError, Problem, TemplateError

def check_templates(templates: TemplateSet, formats: tuple[str, ...], *,
                    city: str | None) -> list[Problem]:
    """Compile every template and render it with a probe notice; return the problems.

    Runs before any record is rendered, so a template error is reported once, with the
    template's name and line, and leaves no half-written output.
    """
    from notices.render.templating import probe_notice

    problems: list[Problem] = []
    kinds = templates.kinds
    if not kinds:
        return [Problem("templates", "no templates found (expected e.g. "
                        "templates/mitteilung.html and templates/mitteilung.docx)")]
    for kind in sorted(kinds):
        for fmt in formats:
            try:
                for public in (True, False):
                    probe = probe_notice(public=public)
                    if fmt == "pdf":
                        text = _check_html(templates, kind, probe, city)
                        shown = f"templates/{kind}.html"
                    else:
                        from notices.render.docx import DocxRenderer

                        data = templates.files.get(f"{kind}.docx")
                        if data is None:
                            raise TemplateError(Problem(
                                f"templates/{kind}.docx", "missing (every kind needs a Word "
                                f"template beside templates/{kind}.html)"))
                        shown = f"templates/{kind}.docx"
                        text = DocxRenderer(data, display_name=shown, city=city).check(probe)
                    problems.extend(p for p in _missing_fields(shown, text, probe)
                                    if p not in problems)
            except NoticesError as error:
                problems.extend(p for p in error.problems if p not in problems)
    return problems


# What every notice must show: without them a template would turn out documents that
# silently lack their substance (a deleted {{ facts }}, an unterminated tag swallowing
# the file line). Other fields may be left out on purpose.
ESSENTIAL_FIELDS = {"facts": "Absatz mit", "subject": None, "file_number": None}


def _missing_fields(shown: str, text: str, probe) -> list[Problem]:
    """Problems for the essential fields whose probe values the rendered text lacks."""
    problems = []
    flat = " ".join(text.split()).casefold()  # {{ notice.subject|upper }} shows it too
    for name, sample in ESSENTIAL_FIELDS.items():
        if " ".join((sample or getattr(probe, name)).split()).casefold() in flat:
            continue
        if name == "facts":
            tag = "{{ facts }}" if shown.endswith(".html") else "{{p facts }}"
        else:
            tag = f"{{{{ notice.{name} }}}}"
        problems.append(Problem(shown, f"never shows the {name} of a notice (expected {tag} "
                                "in it; a tag left unclosed can swallow it too)"))
    return problems


def fill_html_template(templates: TemplateSet, name: str, context: dict) -> str:
    """Fill ``templates/NAME`` without WeasyPrint; :class:`TemplateError` names its line."""
    from notices.render.templating import (
        compile_template, make_environment, render_template, template_loader)

    env = make_environment(template_loader(templates))
    shown = f"templates/{name}"
    return render_template(compile_template(env, name, shown=shown), context, shown=shown)


def _check_html(templates: TemplateSet, kind: str, probe, city: str | None) -> str:
    from notices.render.html import facts_to_html
    from notices.render.templating import template_context

    html = fill_html_template(templates, f"{kind}.html", template_context(
        probe, city=city, facts=facts_to_html(probe.facts)))
    # The text a reader sees: the body only (not <title> or <meta>), entities resolved.
    import lxml.html

    try:
        root = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return ""
    body = root.find("body")
    return " ".join((body if body is not None else root).itertext())
