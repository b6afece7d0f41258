"""Kinds of paper as data: ``templates/<kind>.schema.yaml`` declares the fields a kind adds.

A city declares a kind (Mitteilung, Beschlussvorlage, Beantwortung, or one of its own) by
a JSON Schema (draft 2020-12) written in YAML beside the kind's templates: the fields it
adds to the common fields of every paper, each with its German label (``title``) and
help (``description``). Here the schema file is read with its line numbers, checked as
JSON Schema (by the maintained ``jsonschema`` library) and against what notices can
render, and turned into a :class:`Kind` that the record validator and the renderers use.
Every problem names ``templates/<kind>.schema.yaml`` and its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources

from notices.errors import Problem, Severity
from notices.source.yaml_source import Mapping, Sequence, Value, parse_yaml

# The fields every paper has, validated by notices itself; a kind cannot redeclare them.
COMMON_FIELDS = ("kind", "status", "office", "paper_number", "file_number", "date", "contact",
                 "session", "consultations", "subject", "signatory", "attachments")
TYPES = ("string", "boolean", "integer", "array", "object")
FORMATS = ("markdown", "date")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_YAML_INT = re.compile(r"^[-+]?[0-9]+$")
_YAML_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")


@dataclass(frozen=True)
class FieldSpec:
    """One field a kind declares: what it is called, what it holds, whether it must be there."""

    name: str
    label: str  # the German label (title), shown in messages, forms and `notices kinds`
    help: str  # the description
    type: str  # string, boolean, integer, array or object
    format: str | None = None  # markdown or date, for strings
    required: bool = False
    items: FieldSpec | None = None  # of an array
    properties: tuple[FieldSpec, ...] = ()  # of an object

    @property
    def type_label(self) -> str:
        """How ``notices kinds`` describes the type: ``text (Markdown)``, ``list of objects``."""
        if self.type == "array" and self.items is not None:
            inner = "objects" if self.items.type == "object" else self.items.type_label
            return f"list of {inner}"
        return {"string": {"markdown": "text (Markdown)", "date": "date"}.get(self.format or "",
                                                                              "text"),
                "boolean": "yes/no", "integer": "number", "object": "object"}[self.type]


@dataclass(frozen=True)
class Kind:
    """A kind of paper: its label, its schema, and the fields it adds."""

    name: str
    label: str  # e.g. "Beschlussvorlage" (the schema's title)
    description: str
    schema: dict  # the JSON Schema, for jsonschema
    fields: tuple[FieldSpec, ...]  # in the order the schema declares them
    source: str  # "templates/beschlussvorlage.schema.yaml"

    def spec(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass
class _SchemaFile:
    """A schema file turned into Python values, remembering the line of every path."""

    shown: str
    lines: dict[tuple, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def error(self, path: tuple, message: str) -> None:
        where = ".".join(str(p) for p in path)
        self.problems.append(Problem(self.shown, message, field=where or None,
                                     line=self.line(path)))

    def line(self, path: tuple) -> int | None:
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path)

    def value(self, node: Value, path: tuple = ()):
        """YAML 1.2 core types for plain scalars (a schema says ``false``, ``1``)."""
        self.lines[path] = getattr(node, "key_line", None) or node.line
        if isinstance(node, Mapping):
            for key, line in node.key_lines.items():
                self.lines[path + (key,)] = line
            return {key: self.value(child, path + (key,)) for key, child in node.items.items()}
        if isinstance(node, Sequence):
            return [self.value(child, path + (index,)) for index, child in enumerate(node.items)]
        text = node.text
        if node.style is not None or text is None:
            return text
        if text in ("true", "false"):
            return text == "true"
        if _YAML_INT.match(text):
            return int(text)
        if _YAML_FLOAT.match(text):
            return float(text)
        return text


def load_kinds(templates) -> tuple[dict[str, Kind], list[Problem]]:
    """The kinds of a :class:`~notices.template_set.TemplateSet`, and the problems found.

    A kind whose schema file is missing (a workspace from before kinds were data) gets
    the fields of a Mitteilung, with a warning.
    """
    kinds: dict[str, Kind] = {}
    problems: list[Problem] = []
    for name in sorted(templates.kinds):
        shown = f"templates/{name}.schema.yaml"
        text = templates.text(f"{name}.schema.yaml")
        if text is None:
            problems.append(Problem(shown, "missing: this kind gets the fields of a "
                                    "Mitteilung (facts); add the file to declare its own",
                                    severity=Severity.WARNING))
            text, shown = default_schema_text(), shown
        kind, found = parse_kind(name, text, shown)
        problems += found
        if kind is not None:
            kinds[name] = kind
    return kinds, problems


def default_kind(name: str = "mitteilung") -> Kind:
    """The kind of a workspace without schema files: the fields of a Mitteilung."""
    kind, problems = parse_kind(name, default_schema_text(), "templates/mitteilung.schema.yaml")
    assert kind is not None, problems  # the shipped file is tested
    return kind


def default_schema_text() -> str:
    """The shipped schema of a Mitteilung (``notices init`` writes the same file)."""
    path = resources.files("notices") / "skeleton" / "templates" / "mitteilung.schema.yaml"
    return path.read_text(encoding="utf-8")


def parse_kind(name: str, text: str, shown: str) -> tuple[Kind | None, list[Problem]]:
    """Read one schema file; the kind, or None with the problems that stop it."""
    from jsonschema import Draft202012Validator

    reader = _SchemaFile(shown)
    parsed = parse_yaml(text)
    for p in parsed.problems:
        reader.problems.append(Problem(shown, p.message, field=p.key_path, line=p.line,
                                       column=p.column))
    if parsed.root is None or reader.problems:
        if not reader.problems:
            reader.error((), "is empty (expected a JSON Schema: type: object, properties: …)")
        return None, reader.problems
    schema = reader.value(parsed.root)
    if not isinstance(schema, dict):
        reader.error((), "expected a mapping (type: object, properties: …)")
        return None, reader.problems
    meta = Draft202012Validator(Draft202012Validator.META_SCHEMA)
    for error in sorted(meta.iter_errors(schema), key=lambda e: list(e.absolute_path)):
        reader.error(tuple(error.absolute_path), f"not valid JSON Schema: {_meta_message(error)}")
    if reader.problems:
        return None, reader.problems
    if schema.get("type") != "object" or not isinstance(schema.get("properties"), dict):
        reader.error(("type",), "a kind's schema must be 'type: object' with 'properties'")
        return None, reader.problems
    for key in sorted(set(schema["properties"]) & set(COMMON_FIELDS)):
        reader.error(("properties", key), f"clashes with the common field '{key}' that every "
                     "paper has; choose another name")
    if schema.get("additionalProperties", False) is not False:
        reader.error(("additionalProperties",), "must be false: a field the kind does not "
                     "declare is a typo, reported with a suggestion")
    fields = _specs(reader, schema, ("properties",))
    if reader.problems:
        return None, reader.problems
    schema = {**schema, "additionalProperties": False}
    return Kind(name, str(schema.get("title") or name.capitalize()),
                str(schema.get("description") or ""), schema, fields, shown), []


def _specs(reader: _SchemaFile, schema: dict, path: tuple) -> tuple[FieldSpec, ...]:
    required = set(schema.get("required") or ())
    specs = []
    for name, prop in (schema.get("properties") or {}).items():
        here = path + (name,)
        if not _NAME.match(name):
            reader.error(here, f"field name {name!r} must be lower case letters, digits and _ "
                         "(so that templates can say fields.NAME)")
            continue
        spec = _spec(reader, name, prop, here, name in required)
        if spec is not None:
            specs.append(spec)
    for name in sorted(required - set(schema.get("properties") or {})):
        reader.error(path[:-1] + ("required",), f"'{name}' is required but not declared "
                     "under properties")
    return tuple(specs)


def _spec(reader: _SchemaFile, name: str, prop, path: tuple, required: bool
          ) -> FieldSpec | None:
    if not isinstance(prop, dict):
        reader.error(path, "expected a mapping with a type")
        return None
    kind = prop.get("type")
    if kind not in TYPES:
        reader.error(path + ("type",), f"type {kind!r} is not supported (supported: "
                     f"{', '.join(TYPES)})")
        return None
    fmt = prop.get("format")
    if fmt is not None and (kind != "string" or fmt not in FORMATS):
        reader.error(path + ("format",), f"format {fmt!r} is not supported (for strings: "
                     f"{', '.join(FORMATS)})")
        return None
    items, properties = None, ()
    if kind == "array":
        inner = prop.get("items")
        if not isinstance(inner, dict) or inner.get("type") not in ("string", "object"):
            reader.error(path + ("items",), "a list must say what its items are: 'items: "
                         "{type: string}' or 'items: {type: object, properties: …}'")
            return None
        items = _spec(reader, name, inner, path + ("items",), False)
        if items is None:
            return None
    if kind == "object":
        if not isinstance(prop.get("properties"), dict):
            reader.error(path, "an object needs 'properties'")
            return None
        if prop.get("additionalProperties", False) is not False:
            reader.error(path + ("additionalProperties",), "must be false")
            return None
        properties = _specs(reader, prop, path + ("properties",))
    label = prop.get("title")
    return FieldSpec(name, str(label) if label else name, str(prop.get("description") or ""),
                     kind, fmt, required, items, properties)


def _meta_message(error) -> str:
    """A meta-schema error in words (the library's own text can be long JSON)."""
    if error.validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return f"expected {expected}, found {type(error.instance).__name__} {error.instance!r}"
    if error.validator == "enum":
        return f"{error.instance!r} is not one of {', '.join(map(str, error.validator_value))}"
    return " ".join(str(error.message).split())[:200]
