"""The form of a paper: fields from its kind's schema and the common fields, and back.

Every input is named by the field's path exactly as the record validator names it in
messages (``subject``, ``contact.name``, ``consultations[1].date``,
``questions[0].answer``), so a problem of ``notices check`` lands at its field by its
name alone, with no second table to keep in step.

A form is read back into a tree of values (text, None, lists, mappings) and compared
with the record's own values by what they mean (``18.04.2023`` and ``2023-04-18`` are
one date, ``true`` and ``ja`` one answer): only what the clerk changed is written
(:mod:`notices.serve.yaml_edit`), in the style the file already uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from notices.new_record import COMMON_LABELS
from notices.source.fields import YES_NO
from notices.source.kinds import FieldSpec, Kind
from notices.source.model import ROLES, parse_date
from notices.source.yaml_source import Mapping, Scalar, Sequence, Value

# The help under each common field, in the clerk's words.
COMMON_HELP_DE = {
    "status": "Ein Entwurf trägt das Wasserzeichen ENTWURF und kommt in keine Sitzungsmappe.",
    "office": "Das federführende Amt, wie in notices.toml eingetragen.",
    "paper_number": "Die Drucksachen-Nr., z. B. 4401/2020-2025 (freiwillig).",
    "file_number": "Das Aktenzeichen; es beginnt mit der Nummer des Amtes, z. B. 600.22.",
    "date": "Das Datum der Vorlage.",
    "contact": "Wer Auskunft gibt.",
    "session": "Die Sitzung, in der die Vorlage beraten wird.",
    "consultations": "Die Beratungsfolge: jedes Gremium, das die Vorlage berät.",
    "subject": "Der Betreff, wie er über der Vorlage steht.",
    "signatory": "Der Name hinter „gez.“.",
    "attachments": "Anlagen: Dateien (PDF, PNG, JPEG), die neben dem Datensatz liegen.",
    "agenda_item": "Der Tagesordnungspunkt, z. B. 5.1 (freiwillig).",
}
STATUS_CHOICES = (("entwurf", "Entwurf"), ("final", "Endfassung"))
YES_NO_CHOICES = (("ja", "ja"), ("nein", "nein"))


@dataclass(frozen=True)
class FormField:
    """One field of the form; a group (object) or list holds fields of its own."""

    name: str  # the key in the record
    label: str  # German
    widget: str  # text, markdown, date, yesno, select, number, group, list, textlist
    help: str = ""
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()
    children: tuple[FormField, ...] = ()  # of a group, or of each item of a list
    wide: bool = False


def _consultation_fields(*, role_required: bool) -> tuple[FormField, ...]:
    return (
        FormField("committee", COMMON_LABELS["committee"], "text", required=True),
        FormField("date", COMMON_LABELS["session_date"], "date", required=True),
        FormField("public", "öffentlich", "yesno", required=True),
        FormField("agenda_item", "TOP", "text", COMMON_HELP_DE["agenda_item"]),
        FormField("role", "Beratung", "select", required=role_required,
                  choices=tuple((r, r) for r in ROLES)),
    )


def form_fields(kind: Kind, offices, *, consultations: bool) -> tuple[FormField, ...]:
    """The fields of a paper of ``kind``: common ones, then the kind's, in record order."""
    labels = COMMON_LABELS
    fields = [
        FormField("status", "Status", "select", COMMON_HELP_DE["status"],
                  choices=STATUS_CHOICES),
        FormField("office", labels["office"], "select", COMMON_HELP_DE["office"], True,
                  choices=tuple((o, o) for o in sorted(offices))),
        FormField("paper_number", labels["paper_number"], "text",
                  COMMON_HELP_DE["paper_number"]),
        FormField("file_number", labels["file_number"], "text", COMMON_HELP_DE["file_number"],
                  True),
        FormField("date", labels["date"], "date", COMMON_HELP_DE["date"], True),
        FormField("contact", labels["contact"], "group", COMMON_HELP_DE["contact"], True,
                  children=(FormField("name", labels["name"], "text", required=True),
                            FormField("phone", labels["phone"], "text", required=True))),
    ]
    if consultations:
        fields.append(FormField("consultations", labels["consultations"], "list",
                                COMMON_HELP_DE["consultations"], True,
                                children=_consultation_fields(role_required=True)))
    else:
        fields.append(FormField("session", labels["session"], "group", COMMON_HELP_DE["session"],
                                True, children=_consultation_fields(role_required=False)))
    fields.append(FormField("subject", labels["subject"], "text", COMMON_HELP_DE["subject"],
                            True, wide=True))
    fields += [_from_spec(spec) for spec in kind.fields]
    fields.append(FormField("signatory", labels["signatory"], "text",
                            COMMON_HELP_DE["signatory"], True))
    fields.append(FormField("attachments", "Anlagen", "list", COMMON_HELP_DE["attachments"],
                            children=(FormField("title", "Titel", "text", required=True,
                                                wide=True),
                                      FormField("file", "Datei", "text", required=True))))
    return tuple(fields)


def _from_spec(spec: FieldSpec) -> FormField:
    """A kind's field (from its JSON Schema) as a form field."""
    if spec.type == "array" and spec.items is not None:
        if spec.items.type == "object":
            return FormField(spec.name, spec.label, "list", spec.help, spec.required,
                             children=tuple(_from_spec(p) for p in spec.items.properties))
        return FormField(spec.name, spec.label, "textlist", spec.help, spec.required,
                         children=(_from_spec(spec.items),))
    if spec.type == "object":
        return FormField(spec.name, spec.label, "group", spec.help, spec.required,
                         children=tuple(_from_spec(p) for p in spec.properties))
    widget = {"markdown": "markdown", "date": "date"}.get(spec.format or "") or \
        {"boolean": "yesno", "integer": "number"}.get(spec.type, "text")
    return FormField(spec.name, spec.label, widget, spec.help, spec.required, wide=True)


# -- values ---------------------------------------------------------------------------


def values_of(root: Value | None, body: str | None = None) -> dict:
    """A record's values as the form shows them: text as typed, lists and mappings.

    ``body`` is a Markdown record's body, its facts.
    """
    values = plain(root) if isinstance(root, Mapping) else {}
    if body is not None:
        values["facts"] = body
    return values


def plain(value: Value | None):
    if isinstance(value, Mapping):
        return {key: plain(child) for key, child in value.items.items()}
    if isinstance(value, Sequence):
        return [plain(child) for child in value.items]
    if isinstance(value, Scalar):
        return value.text
    return None


_INDEX = re.compile(r"^\[(\d{1,4})\]")


def read_form(fields: tuple[FormField, ...], form: dict[str, str]) -> dict:
    """The values a submitted form holds, as a tree shaped like the record."""
    return _read_group(fields, form, "")


def _read_group(fields, form, prefix: str) -> dict:
    values = {}
    for spec in fields:
        name = prefix + spec.name
        if spec.widget == "group":
            values[spec.name] = _read_group(spec.children, form, name + ".")
        elif spec.widget in ("list", "textlist"):
            items, origins = [], []
            for index in _indexes(form, name):
                if spec.widget == "textlist":
                    items.append(_text(form.get(f"{name}[{index}]"), spec.children[0]))
                else:
                    items.append(_read_group(spec.children, form, f"{name}[{index}]."))
                origin = form.get(f"{name}[{index}]@")
                origins.append(int(origin) if origin and origin.isdigit() else
                               None if origin is not None else index)
            values[spec.name] = items
            values[spec.name + ORIGINS] = origins  # without them (not a browser): by position
        else:
            values[spec.name] = _text(form.get(name), spec)
    return values


def _indexes(form: dict[str, str], name: str) -> list[int]:
    found = set()
    for key in form:
        if key.startswith(name + "["):
            match = _INDEX.match(key[len(name):])
            if match:
                found.add(int(match.group(1)))
    return sorted(found)


def _text(value: str | None, spec: FormField) -> str | None:
    if value is None:
        return None
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    if spec.widget != "markdown":
        value = " ".join(value.split()) if "\n" in value else value.strip()
    return value if value.strip() else None


def change_list(fields: tuple[FormField, ...], action: str, values: dict) -> dict:
    """Add an item to a list (``add:consultations``) or remove one
    (``remove:consultations[1]``); the form is shown again, nothing is saved."""
    verb, _, target = action.partition(":")
    path = _parse_path(target)
    if not path:
        return values
    if verb == "add":
        spec = _spec_at(fields, path)
        items = _at(values, path)
        if spec is not None and isinstance(items, list):
            items.append(None if spec.widget == "textlist" else
                         {child.name: _default(child) for child in spec.children})
            _origins_of(values, path, len(items) - 1).append(None)  # new: in no file yet
    elif verb == "remove" and isinstance(path[-1], int):
        items = _at(values, path[:-1])
        if isinstance(items, list) and path[-1] < len(items):
            origins = _origins_of(values, path[:-1], len(items))
            del items[path[-1]]
            del origins[path[-1]]
    return values


# Beside each list, the form keeps where each of its items came from: its index in the
# file, or None for an item added in the form. A removed item is then removed from the
# file, and the items after it stay what they are (compared by position, each would take
# over the values, comments and style of the one before it).
ORIGINS = "@"


def _origins_of(values, path: tuple, count: int) -> list:
    """The origins kept beside the list at ``path`` (identity if the form had none)."""
    parent = _at(values, path[:-1]) if len(path) > 1 else values
    if not isinstance(parent, dict):
        return list(range(count))
    origins = parent.get(path[-1] + ORIGINS)
    if not isinstance(origins, list) or len(origins) != count:
        origins = parent[path[-1] + ORIGINS] = list(range(count))
    return origins


def _default(spec: FormField):
    return {"public": "ja"}.get(spec.name) if spec.widget == "yesno" else None


def _parse_path(text: str) -> tuple:
    parts: list = []
    for piece in re.findall(r"[^.\[\]]+|\[\d+\]", text):
        parts.append(int(piece[1:-1]) if piece.startswith("[") else piece)
    return tuple(parts)


def _at(values, path: tuple):
    for key in path:
        try:
            values = values[key]
        except (KeyError, IndexError, TypeError):
            return None
    return values


def _spec_at(fields, path: tuple) -> FormField | None:
    spec = None
    for key in path:
        if isinstance(key, int):
            continue
        spec = next((f for f in fields if f.name == key), None)
        if spec is None:
            return None
        fields = spec.children
    return spec


# -- changes --------------------------------------------------------------------------


@dataclass
class Changes:
    """What to write: values to set (path -> value) and list items to remove."""

    set: list[tuple[tuple, object]] = field(default_factory=list)
    remove: list[tuple] = field(default_factory=list)  # deepest and last first

    def __bool__(self) -> bool:
        return bool(self.set or self.remove)


def changes(fields: tuple[FormField, ...], new: dict, old: dict) -> Changes:
    """What the form changed against the record's values, by what the values mean."""
    found = Changes()
    _diff_group(fields, new, old if isinstance(old, dict) else {}, (), found)
    found.remove.sort(key=lambda path: (len(path), path[-1]), reverse=True)
    return found


def _diff_group(fields, new: dict, old: dict, path: tuple, found: Changes) -> None:
    for spec in fields:
        here = path + (spec.name,)
        value, before = new.get(spec.name), old.get(spec.name)
        if spec.widget == "group":
            if isinstance(before, dict):
                _diff_group(spec.children, value or {}, before, here, found)
            elif _has_text(value):  # a group the record does not have yet
                found.set.append((here, {child.name: _written(child, value.get(child.name),
                                                              None)
                                         for child in spec.children
                                         if value.get(child.name) is not None}))
        elif spec.widget in ("list", "textlist"):
            _diff_list(spec, value or [], before, here, found, new.get(spec.name + ORIGINS))
        elif not same(spec, value, before):
            found.set.append((here, _written(spec, value, before)))


def _diff_list(spec: FormField, items: list, before, path: tuple, found: Changes,
               origins: list | None = None) -> None:
    if not isinstance(before, list):
        if any(_has_text(item) for item in items):
            found.set.append((path, [_written_item(spec, item) for item in items]))
        return
    if not isinstance(origins, list) or len(origins) != len(items):
        origins = list(range(len(items)))  # a form without them: by position
    kept: set[int] = set()
    added = 0
    for item, origin in zip(items, origins):
        if not isinstance(origin, int) or origin >= len(before) or origin in kept:
            # Added in the form: appended (before the removals, which count from the
            # file's own indexes).
            found.set.append((path + (len(before) + added,), _written_item(spec, item)))
            added += 1
            continue
        kept.add(origin)
        here = path + (origin,)
        if spec.widget == "textlist":
            if not same(spec.children[0], item, before[origin]):
                found.set.append((here, _written(spec.children[0], item, before[origin])))
        elif isinstance(before[origin], dict):
            _diff_group(spec.children, item or {}, before[origin], here, found)
        else:
            found.set.append((here, _written_item(spec, item)))
    for index in range(len(before)):
        if index not in kept:
            found.remove.append(path + (index,))


def _written_item(spec: FormField, item):
    if spec.widget == "textlist":
        return _written(spec.children[0], item, None)
    return {child.name: _written(child, (item or {}).get(child.name), None)
            for child in spec.children if (item or {}).get(child.name) is not None}


def _has_text(value) -> bool:
    if isinstance(value, dict):
        return any(_has_text(v) for k, v in value.items() if not k.endswith(ORIGINS))
    if isinstance(value, list):
        return any(_has_text(v) for v in value)
    return value is not None


def same(spec: FormField, new, old) -> bool:
    """Whether a form value means what the record holds (so it is not rewritten)."""
    if isinstance(old, (dict, list)):
        return False
    if new is None or old is None:
        return new is None and (old is None or not str(old).strip())
    if spec.widget == "date":
        return parse_date(new) is not None and parse_date(new) == parse_date(old)
    if spec.widget == "yesno":
        return YES_NO.get(" ".join(new.casefold().split())) == \
            YES_NO.get(" ".join(old.casefold().split()))
    if spec.widget == "markdown":
        return new.rstrip() == old.rstrip()
    return new == " ".join(old.split())


def _written(spec: FormField, value, before):
    """A changed value as it is written, in the style of the value it replaces."""
    if value is None:
        return None
    if spec.widget == "date":
        date = parse_date(value)
        if date is not None:
            iso = isinstance(before, str) and re.match(r"^\d{4}-", before.strip())
            return date.isoformat() if iso else date.strftime("%d.%m.%Y")
    if spec.widget == "yesno":
        meaning = YES_NO.get(" ".join(value.casefold().split()))
        words = ("true", "false") if isinstance(before, str) and \
            before.strip().casefold() in ("true", "false") else ("ja", "nein")
        if meaning is not None:
            return words[0] if meaning else words[1]
    return value


def date_input(value) -> str | None:
    """The ``YYYY-MM-DD`` an ``<input type=date>`` needs, or None if it is no valid date."""
    date = parse_date(value) if isinstance(value, str) else None
    return date.isoformat() if date else None
