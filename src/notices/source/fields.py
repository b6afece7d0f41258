"""Read the fields a kind declares from a record, and validate them against its schema.

The YAML was composed, not constructed, so every value arrives as the clerk typed it.
Each value is first read by its declared type (text cleaned like every record text,
Markdown parsed into blocks, dates in both forms, yes/no in the words of
``session.public``, whole numbers), with our own one-line messages; then the typed
instance is validated with ``jsonschema`` for what else the schema asks (``enum``,
``minItems``, ``pattern``, …), and each of its errors is turned into one line with the
field's path and line, never the library's raw text.
"""

from __future__ import annotations

import difflib

from notices.source.blocks import Document
from notices.source.kinds import FieldSpec, Kind
from notices.source.model import DATE_HELP, parse_date
from notices.source.yaml_source import Mapping, Scalar, Sequence, Value

YES_NO = {"true": True, "ja": True, "yes": True, "öffentlich": True,
          "false": False, "nein": False, "no": False, "nicht öffentlich": False,
          "nichtöffentlich": False}
YES_NO_HELP = "true/false, ja/nein, yes/no, öffentlich/nicht öffentlich/nichtöffentlich"


class FieldReader:
    """Reads a kind's fields through a record :class:`~notices.source.validate.Validator`."""

    def __init__(self, validator):
        self.v = validator
        self.lines: dict[tuple, int | None] = {}  # path -> line, for schema errors
        self.typed: dict[tuple, object] = {}  # path -> the value as typed (for messages)

    def read(self, kind: Kind, root: Mapping, *, skip=()) -> dict[str, object]:
        """The kind's fields of ``root`` (those in ``skip`` come from elsewhere)."""
        values: dict[str, object] = {}
        instance: dict[str, object] = {}
        for spec in kind.fields:
            node = root.items.get(spec.name)
            line = root.key_lines.get(spec.name)
            if _empty(node):
                if spec.required and spec.name not in skip:
                    self.v.error(spec.name, f"missing ({spec.label})", line)
                continue
            value, plain = self.value(spec, node, (spec.name,), line)
            if value is not None:
                values[spec.name] = value
                instance[spec.name] = plain
        self.validate(kind, instance)
        return values

    def value(self, spec: FieldSpec, node: Value, path: tuple, line: int | None):
        """(the value for templates, its plain JSON form for the schema), or (None, None)."""
        name = _dotted(path)
        line = line or node.line
        self.lines[path] = line
        if spec.type == "array":
            if not isinstance(node, Sequence):
                self.v.error(name, f"expected a list ({spec.label}), found "
                             f"{_describe(node)}", line)
                return None, None
            values, plain = [], []
            for index, child in enumerate(node.items):
                value, item = self.value(spec.items, child, path + (index,), child.line)
                if value is not None:
                    values.append(value)
                    plain.append(item)
            return tuple(values), plain
        if spec.type == "object":
            if not isinstance(node, Mapping):
                self.v.error(name, f"expected fields ({', '.join(p.name for p in spec.properties)})"
                             f", found {_describe(node)}", line)
                return None, None
            self.v.check_keys(node, {p.name: p.label for p in spec.properties}, f"{name}.")
            values, plain = {}, {}
            for prop in spec.properties:
                child = node.items.get(prop.name)
                child_line = node.key_lines.get(prop.name, line)
                if _empty(child):
                    if prop.required:
                        self.v.error(f"{name}.{prop.name}", f"missing ({prop.label})",
                                     child_line)
                    continue
                value, item = self.value(prop, child, path + (prop.name,), child_line)
                if value is not None:
                    values[prop.name] = value
                    plain[prop.name] = item
            return values, plain
        if not isinstance(node, Scalar):
            self.v.error(name, f"expected {spec.type_label}, found {_describe(node)}", line)
            return None, None
        return self.scalar(spec, node, name, line)

    def scalar(self, spec: FieldSpec, node: Scalar, name: str, line: int | None):
        if spec.format == "markdown":
            source = self.v.text_of(node, name, line, multiline=True)
            if source is None:
                return None, None
            first = node.line + (1 if node.style in ("|", ">") else 0)
            return self.v.markdown(name, source, first), source
        text = self.v.text_of(node, name, line, multiline=node.style in ("|", ">"))
        if text is None:
            return None, None
        if spec.format == "date":
            date = parse_date(text)
            if date is None:
                self.v.error(name, f"{text!r} is not a valid date ({DATE_HELP})", line)
                return None, None
            return date, date.isoformat()
        if spec.type == "boolean":
            flag = YES_NO.get(" ".join(text.casefold().split()))
            if flag is None:
                self.v.error(name, f"{text!r} is not understood (expected {YES_NO_HELP})", line)
                return None, None
            return flag, flag
        if spec.type == "integer":
            try:
                number = int(text.replace(".", "").replace(" ", ""), 10)
            except ValueError:
                self.v.error(name, f"{text!r} is not a whole number", line)
                return None, None
            return number, number
        return text, text

    def validate(self, kind: Kind, instance: dict) -> None:
        """What the schema asks beyond the types: each error as one line of ours."""
        from jsonschema import Draft202012Validator

        validator = Draft202012Validator(kind.schema)
        for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.path)):
            if error.validator in ("required", "additionalProperties", "type", "format"):
                continue  # said already, in our words, while reading the values
            path = tuple(error.absolute_path)
            line = None
            probe = path
            while probe and line is None:
                line = self.lines.get(probe)
                probe = probe[:-1]
            self.v.error(_dotted(path) or None, _message(error, kind), line)


def _message(error, kind: Kind) -> str:
    """A jsonschema error in the words of a message: what was found, what is expected."""
    value, rule = error.instance, error.validator_value
    shown = (f"{value!r}" if not isinstance(value, (list, dict)) else
             f"{len(value)} item{'s' if len(value) != 1 else ''}")
    messages = {
        "enum": lambda: f"{shown} is not one of {', '.join(repr(v) for v in rule)}",
        "const": lambda: f"{shown} must be {rule!r}",
        "minLength": lambda: f"{shown} is shorter than {rule} characters",
        "maxLength": lambda: f"{shown} is longer than {rule} characters",
        "pattern": lambda: f"{shown} does not have the expected form ({rule})",
        "minimum": lambda: f"{shown} is less than {rule}",
        "maximum": lambda: f"{shown} is more than {rule}",
        "exclusiveMinimum": lambda: f"{shown} must be more than {rule}",
        "exclusiveMaximum": lambda: f"{shown} must be less than {rule}",
        "minItems": lambda: f"has {shown}; expected at least {rule}",
        "maxItems": lambda: f"has {shown}; expected at most {rule}",
        "uniqueItems": lambda: "has the same item twice; each must be different",
    }
    if error.validator in messages:
        return messages[error.validator]()
    return (f"{shown} does not meet the rule '{error.validator}: {rule!r}' of "
            f"{kind.source}")


def _empty(node: Value | None) -> bool:
    return node is None or (isinstance(node, Scalar) and node.text is None)


def _dotted(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _describe(value: Value) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, Sequence):
        return "a list"
    return f"the text {value.text!r}" if value.text is not None else "an empty value"


def did_you_mean(key: str, known) -> str:
    guess = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    return f" (did you mean '{guess[0]}'?)" if guess else f" (known fields: {', '.join(known)})"


def markdown_documents(fields: dict, specs) -> list[Document]:
    """Every Markdown value among ``fields``, in the order the kind declares them."""
    found: list[Document] = []

    def walk(value, spec) -> None:
        if spec.type == "array" and isinstance(value, tuple):
            for item in value:
                walk(item, spec.items)
        elif spec.type == "object" and isinstance(value, dict):
            for prop in spec.properties:
                if prop.name in value:
                    walk(value[prop.name], prop)
        elif spec.format == "markdown" and isinstance(value, Document):
            found.append(value)

    for spec in specs:
        if spec.name in fields:
            walk(fields[spec.name], spec)
    return found
