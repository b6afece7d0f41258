"""``notices check`` warns about typographic slips in a paper's prose (issue 10, item 9).

Straight double quotes („…“ expected), a hyphen used as a dash (–) and three dots (…)
in the subject and the Markdown fields: one line each, with the record's line and the
spelling to use. Warnings only, from ``check`` only: the text stays as typed.
"""

from __future__ import annotations

import pytest

from conftest import pdf_text, record_text
from notices.check.typography import typography_problems
from notices.cli import main

SLIPS = """\
  Der Platz "Am Hof" wird umgestaltet.

  Heepen - Baumheide und so weiter...

  Code `"x" - y...` und [Link](https://example.org/a...b) bleiben, wie sie sind.

  ```
  "roh" - ...
  ```
"""


def check(runner, workspace_dir, *paths: str):
    return runner.invoke(main, ["-C", str(workspace_dir), "check", *paths])


def test_check_names_each_slip_with_its_line_and_what_to_write(runner, workspace_dir,
                                                               write_record):
    text = record_text(subject="'Umgestaltung des Platzes \"Am Hof\" - Vorentwurf'").replace(
        "  Das Quartiersmanagement für die Bewohner*innen und Nutzer*innen.\n", SLIPS)
    path = write_record("2023/t.yaml", text)
    before = path.read_bytes()
    result = check(runner, workspace_dir, "records/2023/t.yaml")
    assert result.exit_code == 0, result.output  # warnings only
    lines = [line for line in result.output.splitlines()
             if "warning" in line and "also used by" not in line]  # (a copy of the seed)
    assert lines == [
        "records/2023/t.yaml:13: warning: subject: '\"Am Hof\"' has straight quotation "
        "marks (German ones: „Am Hof“)",
        "records/2023/t.yaml:13: warning: subject: 'Hof\" - Vorentwurf' has a hyphen as a "
        "dash (a dash: 'Hof\" – Vorentwurf')",
        "records/2023/t.yaml:15: warning: facts: '\"Am Hof\"' has straight quotation marks "
        "(German ones: „Am Hof“)",
        "records/2023/t.yaml:17: warning: facts: 'Heepen - Baumheide' has a hyphen as a dash "
        "(a dash: 'Heepen – Baumheide')",
        "records/2023/t.yaml:17: warning: facts: 'weiter...' has three dots (an ellipsis: "
        "'weiter…')",
    ]
    assert path.read_bytes() == before


def test_markdown_records_count_lines_from_the_file(runner, workspace_dir, write_record):
    front = record_text().split("facts: |")[0]
    write_record("2023/m.md", "---\n" + front + "signatory: Dodenhoff\n---\n"
                 "Erste Zeile.\n\nZweite \"Zeile\".\n")
    result = check(runner, workspace_dir, "records/2023/m.md")
    line = next(line for line in result.output.splitlines() if "quotation" in line)
    number = (workspace_dir / "records/2023/m.md").read_text().splitlines().index(
        'Zweite "Zeile".') + 1
    assert line.startswith(f"records/2023/m.md:{number}: warning: facts: ")


def test_the_build_neither_warns_nor_changes_the_text(runner, workspace_dir, write_record):
    """The rule is check's: an archive re-rendered after a template change stays quiet."""
    write_record("2023/t.yaml", record_text(subject="'Platz \"Am Hof\" - Vorentwurf...'"))
    result = runner.invoke(main, ["-C", str(workspace_dir), "build", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "quotation" not in result.output and "dash" not in result.output
    assert 'Platz "Am Hof" - Vorentwurf...' in pdf_text(workspace_dir / "output/2023/t.pdf")


@pytest.mark.parametrize(("text", "rule"), [
    ('„Am Hof“ und – und …', None),
    ('ein "Zitat"', "straight quotation marks"),
    ('ein Zoll-Zeichen 5"', "a straight quotation mark"),
    ("A - B", "hyphen as a dash"),
    ("- ein Listenpunkt", None),
    ("  - ein eingerückter Listenpunkt", None),
    ("Bindestrich-Wort und 2023-04-18", None),
    ("und so...", "three dots"),
    ("Code `a - b...` bleibt", None),
    ("[Text](https://example.org/a - b...)", None),
])
def test_rules(text, rule):
    problems = typography_problems("records/x.yaml", [("facts", text, 10)])
    if rule is None:
        assert problems == []
    else:
        assert len(problems) == 1 and rule in problems[0].message
        assert problems[0].line == 10 and problems[0].field == "facts"


def test_a_long_text_gets_a_few_examples_and_a_count():
    text = "\n".join(f'Zeile {i} mit "Anführung"' for i in range(10))
    problems = typography_problems("records/x.yaml", [("facts", text, 20)])
    assert [p.line for p in problems] == [20, 21, 22, 23]
    assert problems[-1].message == "7 more of these (straight quotes)"
