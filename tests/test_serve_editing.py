"""The desk's editing without a server: round-trip YAML, forms from kinds, atomic saves."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest
from desk_browser import REPO

from notices.serve.editing import apply_form, check_text, open_draft, place_problems
from notices.serve.forms import change_list, date_input, read_form
from notices.serve.yaml_edit import (
    Conflict,
    OutsideWorkspace,
    RecordText,
    YamlDocument,
    safe_path,
    save_text,
    version_of,
)
from notices.template_set import TemplateSet
from notices.workspace import open_workspace

SAMPLES = sorted(p.relative_to(REPO).as_posix() for p in (REPO / "records").rglob("*")
                 if p.suffix in (".yaml", ".md"))


def submitted(fields, values, prefix: str = "") -> dict[str, str]:
    """What a browser submits for a form showing ``values`` (dates as date inputs do)."""
    out: dict[str, str] = {}
    for spec in fields:
        name, value = prefix + spec.name, values.get(spec.name)
        if spec.widget == "group":
            out.update(submitted(spec.children, value if isinstance(value, dict) else {},
                                 name + "."))
        elif spec.widget == "list":
            for index, item in enumerate(value if isinstance(value, list) else []):
                out.update(submitted(spec.children, item if isinstance(item, dict) else {},
                                     f"{name}[{index}]."))
        elif spec.widget == "textlist":
            out.update({f"{name}[{i}]": item or "" for i, item in enumerate(value or [])})
        elif spec.widget == "date":
            out[name] = date_input(value) or (value or "")
        elif spec.widget == "markdown":
            out[name] = (value or "").replace("\n", "\r\n")  # as browsers send text areas
        else:
            out[name] = value or ""
    return out


@pytest.fixture(scope="module")
def repo_kinds():
    workspace = open_workspace(REPO)
    return workspace, TemplateSet.read(workspace.templates_dir)


def draft_of(path: str, repo_kinds):
    workspace, templates = repo_kinds
    text = (REPO / path).read_text(encoding="utf-8")
    return open_draft(path, text, version_of(text.encode()), templates.declared_kinds()[0],
                      workspace.settings.offices), text


@pytest.mark.parametrize("path", SAMPLES)
def test_an_unchanged_form_writes_the_record_byte_for_byte(path, repo_kinds):
    draft, text = draft_of(path, repo_kinds)
    assert draft.yaml_problems == []
    assert apply_form(draft, read_form(draft.fields, submitted(draft.fields, draft.values))) == text


@pytest.mark.parametrize("path", SAMPLES)
def test_a_changed_subject_changes_that_line_only(path, repo_kinds):
    draft, text = draft_of(path, repo_kinds)
    form = submitted(draft.fields, draft.values)
    form["subject"] = "Neuer Betreff: <b>fett</b>"
    new = apply_form(draft, read_form(draft.fields, form))
    changed = [line for line in difflib.ndiff(text.splitlines(), new.splitlines())
               if line[:1] in "+-"]
    assert changed[0].startswith("- subject: ")
    assert changed[1:] == ["+ subject: 'Neuer Betreff: <b>fett</b>'"]


def test_comments_quotes_and_typed_scalars_are_kept():
    text = ("# Kopf\nkind: mitteilung   # Art\noffice: Bauamt\nfile_number: 600.20\n"
            "date: 2023-04-18\ncontact:\n  name: Frau B\n  phone: 0521 513224  # Telefon\n"
            "session:\n  committee: BV\n  date: 20.04.2023\n  public: true\n"
            "  agenda_item: \"5.1\"\nsubject: Alt\nfacts: |\n  Text.\nsignatory: X\n")
    document = YamlDocument(text)
    document.set(("subject",), "Neu")
    assert document.dump() == text.replace("subject: Alt", "subject: Neu")


def test_new_values_are_written_plain_unless_yaml_would_read_them_otherwise():
    document = YamlDocument("a: x\n")
    for key, value in {"b": "600.23", "c": "null", "d": "2023-04-20", "e": "ja: nein",
                       "f": "Zeile 1\nZeile 2"}.items():
        document.set((key,), value)
    assert document.dump() == ("a: x\nb: 600.23\nc: 'null'\nd: 2023-04-20\ne: 'ja: nein'\n"
                               "f: |\n  Zeile 1\n  Zeile 2\n")


def test_dates_and_yes_no_keep_the_style_of_the_file(repo_kinds):
    draft, text = draft_of("records/2023/heepen/strassenbaeume-baumheide.md", repo_kinds)
    form = submitted(draft.fields, draft.values)
    form["session.date"], form["session.public"] = "2023-04-27", "nein"
    new = apply_form(draft, read_form(draft.fields, form))
    assert "  date: 2023-04-27\n" in new and "  public: nein\n" in new  # ISO stays ISO
    assert new.split("---", 2)[2] == text.split("---", 2)[2]  # the body (facts) untouched


def test_a_list_item_is_added_and_removed(repo_kinds):
    draft, text = draft_of("records/2023/beschluesse/quartiersplatz-vorentwurf.yaml", repo_kinds)
    values = read_form(draft.fields, submitted(draft.fields, draft.values))
    values = change_list(draft.fields, "add:consultations", values)
    assert len(values["consultations"]) == 3 and values["consultations"][2]["public"] == "ja"
    values["consultations"][2].update(committee="Rat", date="2023-05-11", role="Entscheidung")
    added = apply_form(draft, values)
    assert "  - committee: Rat\n    date: 11.05.2023\n    public: ja\n    role: Entscheidung\n" \
        in added
    values = change_list(draft.fields, "remove:consultations[0]",
                         read_form(draft.fields, submitted(draft.fields, draft.values)))
    assert "Bezirksvertretung Heepen" not in apply_form(draft, values).split("subject:")[0]


def test_problems_land_at_the_field_they_name(repo_kinds):
    workspace, templates = repo_kinds
    draft, text = draft_of("records/2023/beschluesse/quartiersplatz-vorentwurf.yaml", repo_kinds)
    form = submitted(draft.fields, draft.values)
    form["consultations[1].date"], form["proposal"] = "31.02.2023", ""
    broken = apply_form(draft, read_form(draft.fields, form)).replace("signatory:", "signatroy:")
    problems = check_text(workspace, draft.path, broken, templates.declared_kinds()[0], templates)
    placed, general = place_problems(draft.fields, problems)
    assert [p.message for p in placed["consultations[1].date"]] == [
        "'31.02.2023' is not a valid date (expected DD.MM.YYYY or YYYY-MM-DD)"]
    assert [p.message for p in placed["proposal"]] == ["missing (Beschlussvorschlag)"]
    line = broken.splitlines().index(next(x for x in broken.splitlines()
                                          if x.startswith("signatroy:"))) + 1
    assert [p.format() for p in general] == [
        f"{draft.path}:{line}: signatroy: unknown field (did you mean 'signatory'?)"]


def test_save_is_atomic_and_refuses_a_changed_file(tmp_path):
    (tmp_path / "records").mkdir()
    path = tmp_path / "records" / "x.yaml"
    path.write_text("a: 1\n")
    version = version_of(path.read_bytes())
    save_text(tmp_path, "records/x.yaml", "a: 2\n", version=version)
    assert path.read_text() == "a: 2\n"
    with pytest.raises(Conflict) as conflict:
        save_text(tmp_path, "records/x.yaml", "a: 3\n", version=version)  # an old form
    assert conflict.value.current == b"a: 2\n" and path.read_text() == "a: 2\n"
    with pytest.raises(Conflict):
        save_text(tmp_path, "records/x.yaml", "a: 4\n", version=None)  # "new", but it exists
    assert [p.name for p in (tmp_path / "records").iterdir()] == ["x.yaml"]  # no temp files


@pytest.mark.parametrize("relative", [
    "records/../notices.toml", "../outside.yaml", "/etc/passwd.yaml", "records/a\\..\\b.yaml",
    "records/.hidden.yaml", "records/x.txt", "templates/mitteilung.schema.yaml",
    "output/2023/x.yaml", "records/link/x.yaml", "records/linked.yaml", "records/x\n.yaml", ""])
def test_only_record_files_under_records_and_sessions_can_be_written(tmp_path, relative):
    (tmp_path / "records").mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.yaml").write_text("secret: 1\n")
    os.symlink(outside, tmp_path / "records" / "link")
    os.symlink(outside / "x.yaml", tmp_path / "records" / "linked.yaml")
    with pytest.raises(OutsideWorkspace):
        save_text(tmp_path, relative, "a: 1\n", version=None)
    assert (outside / "x.yaml").read_text() == "secret: 1\n"


def test_sessions_are_writable_too(tmp_path):
    (tmp_path / "sessions").mkdir()
    assert safe_path(tmp_path, "sessions/x.yaml") == Path(os.path.realpath(tmp_path)) / \
        "sessions" / "x.yaml"


def test_a_markdown_record_keeps_its_front_matter_apart_from_its_body():
    parts = RecordText.split("---\na: 1\n---\nText\n", markdown=True)
    assert (parts.head, parts.yaml, parts.body) == ("---\n", "a: 1\n", "Text\n")
    assert parts.with_body("Neu\n").join() == "---\na: 1\n---\nNeu\n"


def test_a_group_the_record_lacks_is_written_in_its_place(repo_kinds):
    workspace, templates = repo_kinds
    text = (REPO / "records/2023/baumheide.yaml").read_text(encoding="utf-8")
    without = text.split("session:")[0] + "subject:" + text.split("subject:")[1]
    draft = open_draft("records/2023/x.yaml", without, version_of(without.encode()),
                       templates.declared_kinds()[0], workspace.settings.offices)
    form = submitted(draft.fields, draft.values)
    form.update({"session.committee": "Bezirksvertretung Heepen", "session.date": "2023-04-20",
                 "session.public": "nein"})
    new = apply_form(draft, read_form(draft.fields, form))
    assert "  phone: 0521 513224\nsession:\n  committee: Bezirksvertretung Heepen\n" \
        "  date: 20.04.2023\n  public: nein\nsubject:" in new


def test_removing_a_list_item_leaves_the_others_as_they_were(repo_kinds):
    """Beratungsfolge: remove the first of three entries in the form, save. The file loses
    that entry's lines and nothing else; the entries after it keep their own values,
    comments and spelling (compared by position, each took over the one before's)."""
    workspace, templates = repo_kinds
    path = "records/2023/beschluesse/quartiersplatz-vorentwurf.yaml"
    original = (REPO / path).read_text(encoding="utf-8")
    second = ("  - committee: Stadtentwicklungsausschuss\n    date: 25.04.2023\n"
              "    public: ja  # öffentlich\n")
    text = original.replace(
        "  - committee: Stadtentwicklungsausschuss\n    date: 25.04.2023\n    public: true\n",
        second).replace("subject:", "  - committee: Rat der Stadt\n    date: 11.05.2023\n"
                        "    public: true\n    role: Entscheidung\nsubject:", 1)
    assert second in text and "Rat der Stadt" in text
    draft = open_draft(path, text, version_of(text.encode()), templates.declared_kinds()[0],
                       workspace.settings.offices)
    form = submitted(draft.fields, draft.values)
    form.update({f"consultations[{i}]@": str(i) for i in range(3)})  # as the page posts
    values = change_list(draft.fields, "remove:consultations[0]", read_form(draft.fields, form))
    assert values["consultations@"] == [1, 2]
    first = ("  - committee: Bezirksvertretung Heepen\n    date: 20.04.2023\n    public: true\n"
             "    agenda_item: \"6\"\n    role: Vorberatung\n")
    assert apply_form(draft, values) == text.replace(first, "", 1)
    # The form shown again posts the origins it was given: the same result.
    again = submitted(draft.fields, values)
    again.update({"consultations[0]@": "1", "consultations[1]@": "2"})
    assert apply_form(draft, read_form(draft.fields, again)) == text.replace(first, "", 1)
    # And an entry added after it goes to the end, the others untouched.
    more = change_list(draft.fields, "add:consultations", read_form(draft.fields, again))
    more["consultations"][-1].update(committee="Hauptausschuss", date="01.06.2023")
    assert more["consultations@"] == [1, 2, None]
    result = apply_form(draft, more)
    assert result.startswith(text.replace(first, "", 1).split("subject:")[0])
    assert "  - committee: Hauptausschuss\n" in result and second in result
