"""Read YAML as the clerk wrote it: every scalar a string, with its line, nothing executed.

Plain YAML loading (1.1 or 1.2) turns ``600.20`` into the float 600.2, ``0521 513224``
into an int in some cases and ``no`` into False, and happily builds arbitrary objects
from ``!!python/object`` tags. We only *compose* the document with ruamel.yaml (which
builds a node graph without constructing any values) and walk that graph ourselves:
scalars stay exactly as typed, explicit tags outside YAML's core schema are refused,
duplicate keys are reported, and any alias is refused on first sight, so an
exponential "billion laughs" document is rejected in linear time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

_CORE_TAGS = {
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")
}
_NULL_WORDS = {"", "~", "null", "Null", "NULL"}


@dataclass
class Scalar:
    """A scalar exactly as written; ``None`` for an empty or explicit null value."""

    text: str | None
    line: int
    column: int
    start: int
    end: int
    style: str | None = None  # None for plain, '"', "'", "|" or ">"


@dataclass
class Sequence:
    items: list[Value]
    line: int
    column: int
    start: int
    end: int


@dataclass
class Mapping:
    """A mapping in document order; ``key_lines`` gives the line of each key."""

    items: dict[str, Value]
    key_lines: dict[str, int]
    line: int
    column: int
    start: int
    end: int
    key_line: int | None = None  # line of the key that holds this mapping, if any


Value = Union[Scalar, Sequence, Mapping]


@dataclass
class YamlProblem:
    """A problem found while composing, located in the YAML text (1-based)."""

    message: str
    line: int | None = None
    column: int | None = None
    key_path: str | None = None


@dataclass
class ParsedYaml:
    root: Value | None
    problems: list[YamlProblem] = field(default_factory=list)


def parse_yaml(text: str) -> ParsedYaml:
    """Compose ``text`` into :class:`Value` nodes without constructing any Python object."""
    yaml = YAML(typ="safe", pure=True)
    try:
        node = yaml.compose(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message = error.problem or error.context or "invalid YAML"
        if error.context and error.problem:
            message = f"{error.context}, {error.problem}"
        message += _hint(message)
        return ParsedYaml(
            None,
            [YamlProblem(f"invalid YAML: {message}",
                         line=mark.line + 1 if mark else None,
                         column=mark.column + 1 if mark else None)],
        )
    except YAMLError as error:  # reader errors (forbidden characters) carry no mark
        return ParsedYaml(None, [YamlProblem(f"invalid YAML: {_one_line(str(error))}")])
    except RecursionError:
        return ParsedYaml(None, [YamlProblem("invalid YAML: nested too deeply")])
    if node is None:
        return ParsedYaml(None)
    walker = _Walker()
    root = walker.walk(node, "")
    return ParsedYaml(root, walker.problems)


def _hint(message: str) -> str:
    """The fix for the YAML mistakes clerks make most."""
    if "'\\t'" in message or "\t" in message:
        return " (YAML needs spaces, not tabs: replace the tab with spaces)"
    if "mapping values are not allowed" in message:
        return (" (a value that contains ': ' must be in quotes, e.g. "
                "subject: \"Anlass: Bericht\")")
    return ""


def _one_line(message: str) -> str:
    return " ".join(message.split())


class _Walker:
    def __init__(self) -> None:
        self.problems: list[YamlProblem] = []
        self._seen: set[int] = set()

    def walk(self, node, key_path: str, depth: int = 0, line_hint: int | None = None
             ) -> Value | None:
        line, column = node.start_mark.line + 1, node.start_mark.column + 1
        if id(node) in self._seen:
            self.problems.append(YamlProblem(
                "YAML aliases (*name) are not supported; write the value out",
                line_hint or line, None if line_hint else column, key_path or None))
            return None
        self._seen.add(id(node))
        if depth > 50:
            self.problems.append(YamlProblem("nested too deeply", line, column, key_path or None))
            return None
        tag = node.tag
        if tag is not None and not isinstance(tag, str):  # ruamel >= 0.18 wraps tags
            tag = getattr(tag, "value", str(tag))
        if tag and tag.startswith("!") or (tag and tag not in _CORE_TAGS):
            self.problems.append(YamlProblem(
                f"the YAML tag {tag!r} is not allowed; remove it", line, column, key_path or None))
            return None
        start, end = node.start_mark.index, node.end_mark.index
        if isinstance(node, ScalarNode):
            text = node.value
            if node.style is None and text in _NULL_WORDS:
                text = None
            return Scalar(text, line, column, start, end, node.style)
        if isinstance(node, SequenceNode):
            items = [self.walk(child, f"{key_path}[{i}]", depth + 1)
                     for i, child in enumerate(node.value)]
            return Sequence([i for i in items if i is not None], line, column, start, end)
        if isinstance(node, MappingNode):
            items: dict[str, Value] = {}
            key_lines: dict[str, int] = {}
            for key_node, value_node in node.value:
                key_line = key_node.start_mark.line + 1
                if not isinstance(key_node, ScalarNode) or key_node.value is None:
                    self.problems.append(YamlProblem(
                        "a key must be a plain name", key_line, key_node.start_mark.column + 1,
                        key_path or None))
                    continue
                key = key_node.value
                child_path = f"{key_path}.{key}" if key_path else key
                if key in items or key in key_lines:
                    self.problems.append(YamlProblem(
                        f"duplicate key (first given on line {key_lines[key]})",
                        key_line, None, child_path))
                    continue
                key_lines[key] = key_line
                value = self.walk(value_node, child_path, depth + 1, key_line)
                if isinstance(value, Mapping):
                    value.key_line = key_line
                if value is not None:
                    items[key] = value
            return Mapping(items, key_lines, line, column, start, end)
        return None  # pragma: no cover - ruamel composes only these three kinds
