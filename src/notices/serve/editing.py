"""A paper in the form: open it, apply what the clerk typed, check it as ``check`` does.

The form is checked by running the real record loader over the YAML the save would
write (the same rules and the same one-line messages as ``notices check``), and each
problem is placed at the input whose name is the problem's field, or the nearest
group above it. Fields the form does not know (a typo such as ``signatroy``) are
never touched by a save, and their problems are shown above the form.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from notices.errors import Problem, Severity
from notices.serve.forms import FormField, changes, form_fields, values_of
from notices.serve.yaml_edit import RecordText, YamlDocument
from notices.source.discovery import output_stem_for
from notices.source.kinds import Kind, default_kind
from notices.source.model import DEFAULT_KIND
from notices.source.yaml_source import Mapping, parse_yaml


@dataclass
class Draft:
    """What an edit form shows: the paper's fields, values, version and problems."""

    path: str  # relative to the workspace: records/2023/x.yaml
    kind: Kind
    fields: tuple[FormField, ...]
    values: dict
    base: str  # the text the form was loaded from (a new record: what notices new writes)
    version: str  # SHA-256 of the base's bytes; "" for a record not yet written
    problems: list[Problem] = field(default_factory=list)
    yaml_problems: list[Problem] = field(default_factory=list)  # the form cannot be used

    @property
    def markdown(self) -> bool:
        return self.path.lower().endswith(".md")

    @property
    def is_new(self) -> bool:
        return not self.version


def open_draft(path: str, text: str, version: str, kinds: dict[str, Kind], offices
               ) -> Draft:
    """The form of the record ``path`` whose text is ``text``."""
    parts = RecordText.split(text, markdown=path.lower().endswith(".md"))
    parsed = parse_yaml(parts.yaml)
    problems = [Problem(path, p.message, field=p.key_path, line=p.line + _offset(parts),
                        column=p.column) if p.line else Problem(path, p.message)
                for p in parsed.problems]
    root = parsed.root if isinstance(parsed.root, Mapping) else None
    if parsed.root is not None and root is None:
        problems.append(Problem(path, "expected a mapping of fields (office: …, date: …)"))
    values = values_of(root, parts.body)
    name = values.get("kind") if isinstance(values.get("kind"), str) else DEFAULT_KIND
    kind = kinds.get(name) or kinds.get(DEFAULT_KIND) or default_kind()
    consultations = "consultations" in values or (
        "session" not in values and bool(kind.schema.get("x-notices-consultations")))
    fields = form_fields(kind, offices, consultations=consultations)
    return Draft(path, kind, fields, values, text, version, yaml_problems=problems)


def _offset(parts: RecordText) -> int:
    return 1 if parts.head else 0


def apply_form(draft: Draft, new_values: dict, onto: str | None = None) -> str:
    """The record's text with the form's changes (against the draft's base) written in.

    ``onto`` is another text to write them into: the file as it is now, when it was
    changed since the form was loaded (the changes of both then meet in one form).
    """
    found = changes(draft.fields, new_values, draft.values)
    target = draft.base if onto is None else onto
    if not found:
        return target
    parts = RecordText.split(target, markdown=draft.markdown)
    document = YamlDocument(parts.yaml)
    order = ["kind"] + [f.name for f in draft.fields]
    for path, value in found.set:
        if draft.markdown and path == ("facts",):
            parts = parts.with_body(value or "")
        else:
            document.set(path, value, order=order)
    for path in found.remove:
        document.remove(path)
    return parts.head + document.dump() + parts.tail


def both_changed(draft: Draft, values: dict, current: Draft) -> list[Problem]:
    """Fields this form and the file's newer version both changed, to different values:
    the merged form holds this form's value, and each such field says what the other
    version had, so that neither edit is lost without a word."""
    mine = dict(changes(draft.fields, values, draft.values).set)
    theirs = dict(changes(draft.fields, current.values, draft.values).set)
    found = []
    for path, value in theirs.items():
        if path in mine and mine[path] != value:
            name = "".join(f"[{part}]" if isinstance(part, int) else f".{part}"
                           for part in path).lstrip(".")
            found.append(Problem(draft.path, f"in der anderen Fassung geändert zu "
                                 f"{_shown_value(value)}; hier steht Ihr Wert "
                                 f"{_shown_value(mine[path])}", field=name,
                                 severity=Severity.WARNING))
    return found


def _shown_value(value) -> str:
    return "(leer)" if value in (None, "") else repr(value) if not isinstance(value, str) \
        else f"„{value}“"


def check_text(workspace, path: str, text: str, kinds: dict[str, Kind], templates,
               others=()) -> list[Problem]:
    """The problems ``notices check`` reports for this text as the record ``path``.

    ``others`` holds (path, paper number) of the other records, for numbers used twice.
    """
    from notices.check.content import content_problems
    from notices.source.paper import duplicate_paper_numbers
    from notices.source.reading import DiskFiles
    from notices.source.records import RecordLoader

    loader = RecordLoader(workspace.settings, kinds)
    result = loader.load(path, output_stem_for(path), text.encode("utf-8"),
                         DiskFiles(workspace.root))
    problems = list(result.problems)
    if result.ok:
        problems += content_problems(templates, result.notice)
        numbers = [(p, n) for p, n in others if p != path] + \
            [(path, result.notice.paper_number)]
        problems += [p for p in duplicate_paper_numbers(numbers) if p.path == path]
    return problems


def place_problems(fields: tuple[FormField, ...], problems: list[Problem]
                   ) -> tuple[dict[str, list[Problem]], list[Problem]]:
    """Each problem at its input (or the nearest group above), and those without one."""
    names = set()

    def collect(specs, prefix: str, values_hint: int = 50) -> None:
        for spec in specs:
            name = prefix + spec.name
            names.add(name)
            if spec.widget in ("list", "textlist"):
                for index in range(values_hint):
                    names.add(f"{name}[{index}]")
                    if spec.widget == "list":
                        collect(spec.children, f"{name}[{index}].", 0)
            elif spec.widget == "group":
                collect(spec.children, name + ".")

    collect(fields, "")
    placed: dict[str, list[Problem]] = {}
    general: list[Problem] = []
    for problem in problems:
        name = problem.field
        while name and name not in names:
            name = _parent(name)
        if name:
            placed.setdefault(name, []).append(problem)
        else:
            general.append(problem)
    return placed, general


def _parent(name: str) -> str:
    if name.endswith("]"):
        return name[:name.rindex("[")]
    return name.rpartition(".")[0]
