"""Read a record's values by the rules every field shares, collecting every problem.

Every value is read as the clerk typed it (the YAML was composed, not constructed),
cleaned by the rules of :mod:`notices.source.textclean`, and checked; every problem is
collected with its line and field, so a record reports all its problems at once. What
a paper's fields are is :mod:`notices.source.paper` (the common fields) and
:mod:`notices.source.fields` (a kind's own); both read through a :class:`Validator`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import unicodedata

from notices.errors import Problem, Severity
from notices.settings import Settings
from notices.source import textclean
from notices.source.blocks import Document
from notices.source.decode import RecordText
from notices.source.markdown import parse_markdown
from notices.source.model import DATE_HELP, parse_date
from notices.source.yaml_source import Mapping, Scalar, Sequence, Value


def describe_value(value: Value) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, Sequence):
        return "a list"
    return f"the text {value.text!r}" if value.text is not None else "an empty value"


class Validator:
    """The reading rules for one record, and the problems found in it."""

    def __init__(self, settings: Settings, shown: str, text: RecordText, files):
        self.settings = settings
        self.shown = shown
        self.forbidden = text.forbidden
        self.body_offset = text.body_offset
        self.files = files
        self.problems: list[Problem] = []

    def error(self, field_name: str | None, message: str, line: int | None = None) -> None:
        self.problems.append(Problem(self.shown, message, field=field_name, line=line))

    def warn(self, field_name: str | None, message: str, line: int | None = None) -> None:
        self.problems.append(Problem(self.shown, message, field=field_name, line=line,
                                     severity=Severity.WARNING))

    @property
    def failed(self) -> bool:
        return any(p.is_error for p in self.problems)

    # -- structure --

    def check_keys(self, mapping: Mapping, allowed, prefix: str) -> None:
        """Unknown keys are errors, with a "did you mean" for a near miss."""
        for key in mapping.items:
            if key not in allowed:
                guess = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
                hint = f" (did you mean '{guess[0]}'?)" if guess else \
                    f" (known fields: {', '.join(allowed)})"
                self.error(prefix + key, f"unknown field{hint}", mapping.key_lines.get(key))

    def mapping(self, root: Mapping, key: str, description: str) -> Mapping | None:
        value = root.items.get(key)
        line = root.key_lines.get(key)
        if value is None or (isinstance(value, Scalar) and value.text is None):
            self.error(key, f"missing ({description})", line)
            return None
        if not isinstance(value, Mapping):
            self.error(key, f"expected a mapping with fields, found {describe_value(value)}",
                       line)
            return None
        return value

    # -- text --

    def text(self, mapping: Mapping, key: str, prefix: str, *, multiline: bool = False,
             fields: dict[str, str] | None = None, optional: bool = False) -> str | None:
        """A required or optional text field, cleaned; ``None`` if absent or invalid."""
        name = prefix + key
        value = mapping.items.get(key)
        line = mapping.key_lines.get(key, mapping.key_line if prefix else None)
        if value is None or (isinstance(value, Scalar) and value.text is None):
            if not optional:
                description = (fields or {}).get(key, "")
                self.error(name, f"missing ({description})" if description else "missing", line)
            return None
        if not isinstance(value, Scalar):
            self.error(name, f"expected text, found {describe_value(value)}", line)
            return None
        return self.text_of(value, name, line, multiline=multiline, optional=optional)

    def text_of(self, value: Scalar, name: str, line: int | None, *, multiline: bool = False,
                optional: bool = False) -> str | None:
        """A scalar's text, cleaned by the rules of :mod:`textclean`, with warnings."""
        text, changed = textclean.clean_value(value.text or "")
        changed += [f"U+{ord(c):04X}" for offset, c in self.forbidden
                    if value.start <= offset < max(value.end, value.start + 1)]
        if changed:
            self.warn(name, f"removed or replaced characters that documents cannot hold "
                      f"({textclean.describe(changed)})", line)
        text, reordering = textclean.strip_direction_controls(text)
        if reordering:
            self.warn(name, textclean.DIRECTION_WARNING.format(textclean.describe(reordering)),
                      line)
        text = unicodedata.normalize("NFC", text)
        if not multiline:
            text = " ".join(text.split())
        elif not text.strip():
            text = ""
        if not text.strip():
            if not optional:
                self.error(name, "is empty", line)
            return None
        return text

    def body(self, body: str, body_line: int) -> str | None:
        """The Markdown body of a ``.md`` record (its facts), cleaned like a value."""
        source, changed = textclean.clean_value(body)
        changed += [f"U+{ord(c):04X}" for offset, c in self.forbidden
                    if offset >= self.body_offset]
        if changed:
            self.warn("facts", "removed or replaced characters that documents cannot "
                      f"hold ({textclean.describe(changed)})", body_line + 1)
        source, reordering = textclean.strip_direction_controls(source)
        if reordering:
            self.warn("facts", textclean.DIRECTION_WARNING.format(
                textclean.describe(reordering)), body_line + 1)
        if not source.strip():
            self.error("facts", "missing (write the facts below the front matter)", body_line)
            return None
        return source

    # -- typed values --

    def date(self, mapping: Mapping, key: str, prefix: str, fields) -> dt.date | None:
        text = self.text(mapping, key, prefix, fields=fields)
        if text is None:
            return None
        parsed = parse_date(text)
        if parsed is None:
            self.error(prefix + key, f"{text!r} is not a valid date ({DATE_HELP})",
                       mapping.key_lines.get(key))
        return parsed

    def markdown(self, name: str, source: str, first_line: int) -> Document:
        """A Markdown value as blocks, with the warnings of its parse at their lines."""
        source = unicodedata.normalize("NFC", source)
        source, controls, directions = textclean.strip_character_references(source)
        if controls:
            self.warn(name, "removed character references to characters that documents "
                      f"cannot hold ({textclean.describe(controls)})", first_line)
        if directions:
            self.warn(name, textclean.DIRECTION_WARNING.format(
                textclean.describe(directions)) + ", written as character references",
                first_line)
        document, issues = parse_markdown(source, record_path=self.shown, files=self.files)
        for issue in issues:
            line = first_line + issue.line if issue.line is not None else None
            self.warn(name, issue.message, line)
        return document
