"""The naive baseline: a user's first script, rendering notices one after another.

For each record: load the YAML, convert the facts with markdown-it, fill a Jinja2 HTML
template that uses the system's default font (no font-family at all), and call
``weasyprint.HTML(...).write_pdf()`` with WeasyPrint's default options; for Word, open
the template with ``DocxTemplate``, build the facts as a sub-document with python-docx,
render and save. Nothing is cached
between records. Run as a separate process by ``bench.py`` so that start-up is timed too.

Usage: python naive_baseline.py RECORDS_DIR OUT_DIR DOCX_TEMPLATE {docx,pdf,both}
"""

import sys
import types
from datetime import date
from pathlib import Path

import jinja2
from docxtpl import DocxTemplate
from markdown_it import MarkdownIt
from ruamel.yaml import YAML
from weasyprint import HTML

HTML_TEMPLATE = jinja2.Template("""<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>{{ n.subject }}</title>
<style>@page { size: A4; margin: 2cm; @bottom-right { content: "Seite " counter(page)
" von " counter(pages) } } body { font-size: 11pt; }
table { border-collapse: collapse; } td, th { border: 1px solid #555; }</style></head>
<body><p>{{ n.file_number }}, {{ n.date }}, {{ n.contact.phone }}, {{ n.contact.name }}</p>
<h1>Mitteilung {{ n.genitive }}</h1><p>zur Sitzung: {{ n.session.committee }}</p>
<p>{{ '☒' if n.session.public else '☐' }} öffentlich {{ '☐' if n.session.public else '☒' }}
nicht öffentlich</p><p>am {{ n.session.date }}</p><h2>Anlass:</h2><p>{{ n.subject }}</p>
<h2>Sachverhalt:</h2>{{ facts }}<p>gez. {{ n.signatory }}</p></body></html>""",
                                autoescape=True)


def to_namespace(value):
    if isinstance(value, dict):
        return types.SimpleNamespace(**{k: to_namespace(v) for k, v in value.items()})
    return value


def de_date(value):
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    return str(value)


def facts_subdoc(template, markdown):
    """The facts as a docxtpl sub-document, built with python-docx (paragraphs, lists, tables)."""
    subdoc = template.new_subdoc()
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    list_style, row, table_rows = None, None, []
    for index, token in enumerate(tokens):
        if token.type in ("bullet_list_open", "ordered_list_open"):
            list_style = "List Bullet" if token.type == "bullet_list_open" else "List Number"
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            list_style = None
        elif token.type == "tr_open":
            row = []
        elif token.type == "tr_close":
            table_rows.append(row)
        elif token.type == "table_close":
            table = subdoc.add_table(rows=len(table_rows), cols=len(table_rows[0]))
            for r, cells in enumerate(table_rows):
                for c, text in enumerate(cells):
                    table.cell(r, c).text = text
            table_rows = []
        elif token.type == "inline":
            if row is not None and tokens[index - 1].type in ("th_open", "td_open"):
                row.append(token.content)
            else:
                subdoc.add_paragraph(token.content, style=list_style)
    return subdoc


def main():
    records, out, docx_template, what = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], \
        sys.argv[4]
    offices = {"Bauamt": "des Bauamtes"}
    env = jinja2.Environment(autoescape=True)
    env.filters["de_date"] = de_date
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted(records.rglob("*.yaml")):
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
        data["genitive"] = offices.get(data["office"], data["office"])
        notice = to_namespace(data)
        if what in ("pdf", "both"):
            facts = MarkdownIt("commonmark").enable("table").render(data["facts"])
            html = HTML_TEMPLATE.render(n=notice, facts=jinja2.utils.markupsafe.Markup(facts))
            HTML(string=html).write_pdf(out / f"{path.stem}.pdf")
        if what in ("docx", "both"):
            template = DocxTemplate(docx_template)
            notice.office = types.SimpleNamespace(genitive=data["genitive"], name=data["office"])
            notice.date = notice.date if isinstance(notice.date, date) else str(notice.date)
            context = {"notice": notice, "city": "Stadt Bielefeld",
                       "facts": facts_subdoc(template, data["facts"])}
            template.render(context, env, autoescape=True)
            template.save(out / f"{path.stem}.docx")


if __name__ == "__main__":
    main()
