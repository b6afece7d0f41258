"""Read ``notices.toml``: the city, the offices registry, limits and PDF settings.

The file is the city's, edited by hand and sometimes pasted together from old systems,
so it is read defensively: a size limit and a lexical guard keep a hostile file from
taking minutes or gigabytes in the TOML parser (whose cost grows with the square of a
dotted key's length), every value is cleaned by the same rules as record text, and
every problem is reported at once as ``notices.toml:LINE:COL: field: message``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from notices.errors import ConfigError, Problem, Severity
from notices.source import textclean

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

CONFIG_NAME = "notices.toml"
PDF_VARIANTS = ("pdf/a-1a", "pdf/a-1b", "pdf/a-2a", "pdf/a-2b", "pdf/a-2u", "pdf/a-3a",
                "pdf/a-3b", "pdf/a-3u", "pdf/a-4u", "pdf/ua-1", "none")
DEFAULT_PDF_VARIANT = "pdf/a-2a"
MAX_SETTINGS_BYTES = 256 * 1024
MAX_KEY_PARTS = 16  # offices."Amt für Verkehr".number has three
MAX_NESTING = 32  # arrays and inline tables inside each other


@dataclass(frozen=True)
class Office:
    """An issuing office: its registry key, its file-number prefix, and its genitive."""

    key: str
    number: str
    genitive: str
    name: str  # how the office is named elsewhere (Word author, packet tables)


@dataclass(frozen=True)
class Limits:
    """Per-record safety limits; documented defaults, overridable in ``[limits]``."""

    max_record_bytes: int = 1024 * 1024
    render_timeout_seconds: float = 120.0
    render_memory_mb: int = 1024


@dataclass(frozen=True)
class Numbering:
    """Paper numbers (Drucksachen-Nr.): ``pattern = "{seq}/{term}"``, ``term = "2020-2025"``."""

    pattern: str | None = None
    term: str = ""

    @property
    def regex(self) -> re.Pattern | None:
        """What a paper number of this numbering looks like; ``seq`` is a group."""
        if not self.pattern:
            return None
        parts = re.split(r"(\{seq\}|\{term\})", self.pattern)
        return re.compile("".join(
            "(?P<seq>[0-9]+)" if part == "{seq}" else re.escape(self.term) if part == "{term}"
            else re.escape(part) for part in parts))

    @property
    def example(self) -> str:
        return self.format(4401) if self.pattern else ""

    def format(self, seq: int) -> str:
        return self.pattern.replace("{seq}", str(seq)).replace("{term}", self.term)


@dataclass(frozen=True)
class Settings:
    """What ``notices.toml`` says, validated; ``source_hash`` is part of every output key."""

    city: str | None
    offices: dict[str, Office]
    limits: Limits = field(default_factory=Limits)
    pdf_variant: str = DEFAULT_PDF_VARIANT
    numbering: Numbering = field(default_factory=Numbering)
    source_hash: str = ""  # SHA-256 of notices.toml's bytes
    warnings: tuple[Problem, ...] = ()  # cleaned values, shown once per command


# Sane bounds: below them nothing could render, above them a typo (an extra zero, 1e999)
# would switch a safeguard off or overflow the operating system's limits.
LIMIT_RANGES = {
    "max_record_bytes": (1_000, 1_000_000_000),
    "render_timeout_seconds": (1, 86_400),
    "render_memory_mb": (10, 1_000_000),
}


def load_settings(path: Path) -> Settings:
    """Read ``notices.toml``; every problem is reported at once as a :class:`ConfigError`."""
    raw, data = _parse(path)
    reader = _Reader(raw.decode("utf-8-sig"))
    settings = reader.settings(data, hashlib.sha256(raw).hexdigest())
    if any(p.is_error for p in reader.problems):
        raise ConfigError(reader.problems)
    return settings


def _parse(path: Path) -> tuple[bytes, dict]:
    name = CONFIG_NAME
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_SETTINGS_BYTES + 1)
    except OSError as error:
        raise ConfigError(Problem(name, f"cannot be read: {error.strerror}")) from None
    if len(raw) > MAX_SETTINGS_BYTES:
        raise ConfigError(Problem(name, f"is larger than {MAX_SETTINGS_BYTES // 1024} KB; a "
                                  "registry of offices is a few KB (is it the right file?)"))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(Problem(name, "is not UTF-8 text; save it as UTF-8")) from None
    _guard_shape(text)
    try:
        return raw, tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        where = re.search(r" \(at line (\d+), column (\d+)\)$", str(error))
        message = str(error)[:where.start()] if where else str(error)
        raise ConfigError(Problem(name, f"invalid TOML: {message}",
                                  line=int(where.group(1)) if where else None,
                                  column=int(where.group(2)) if where else None)) from None
    except RecursionError:  # guarded above; kept as a last line of defence
        raise ConfigError(Problem(name, "invalid TOML: nested too deeply")) from None


_TOKEN = re.compile(r'"""|\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|#[^\n]*|[\[\]{}.=,\n]')


def _guard_shape(text: str) -> None:
    """Refuse keys with very many dotted parts and deep nesting before parsing.

    Both are harmless in a real registry and are what makes a small file cost the parser
    minutes, gigabytes or a recursion error. Strings and comments are skipped so that a
    dot or bracket inside them does not count.
    """
    line, depth, parts, multiline, position = 1, 0, 0, None, 0
    while position < len(text):
        if multiline:
            end = text.find(multiline, position)
            if end < 0:
                return  # unterminated: the parser reports it with its position
            line += text.count("\n", position, end)
            position, multiline = end + 3, None
            continue
        match = _TOKEN.search(text, position)
        if match is None:
            return
        token = match.group(0)
        line += text.count("\n", position, match.start())
        position = match.end()
        if token in ('"""', "'''"):
            multiline = token
        elif token == ".":
            parts += 1
            if parts >= MAX_KEY_PARTS:
                raise ConfigError(Problem(CONFIG_NAME, f"a key with more than {MAX_KEY_PARTS} "
                                          "dotted parts; the registry needs at most three "
                                          '(offices."Amt für Verkehr".number)', line=line))
        elif token in "=,\n[]{}":
            parts = 0
            line += token == "\n"
            if token in "[{":
                depth += 1
                if depth > MAX_NESTING:
                    raise ConfigError(Problem(CONFIG_NAME, "values or tables nested more than "
                                              f"{MAX_NESTING} levels deep", line=line))
            elif token in "]}":
                depth = max(0, depth - 1)


class _Reader:
    """Validates the parsed TOML; collects every problem, cleans every text value."""

    def __init__(self, text: str):
        self.text = text
        self.problems: list[Problem] = []

    def bad(self, field_name: str, message: str) -> None:
        self.problems.append(Problem(CONFIG_NAME, message, field=field_name))

    def clean(self, field_name: str, value: str) -> str:
        """Registry values get the rules of record values: no controls, no reordering.

        A control character cannot reach a Word file (it would not open) or the PDF's
        metadata; it is refused with its position. Direction controls are removed.
        """
        found = textclean.FORBIDDEN.findall(value)
        if found:
            line, column = self._escape_position(found[0])
            self.problems.append(Problem(
                CONFIG_NAME, f"holds the control character U+{ord(found[0]):04X}, which "
                "documents cannot carry; remove it", field=field_name, line=line,
                column=column))
            return textclean.FORBIDDEN.sub("", value)
        value, removed = textclean.strip_direction_controls(value)
        if removed:
            self.problems.append(Problem(
                CONFIG_NAME, textclean.DIRECTION_WARNING.format(textclean.describe(removed)),
                field=field_name, severity=Severity.WARNING))
        return value

    def _escape_position(self, char: str) -> tuple[int | None, int | None]:
        """Where a character written as an escape (``\\u0000``) stands in the file."""
        code = ord(char)
        pattern = re.compile(rf"\\(?:u{code:04X}|U{code:08X})|{re.escape(char)}", re.IGNORECASE)
        match = pattern.search(self.text)
        if match is None:
            return None, None
        line = self.text.count("\n", 0, match.start()) + 1
        column = match.start() - (self.text.rfind("\n", 0, match.start()) + 1) + 1
        return line, column

    def settings(self, data: dict, source_hash: str) -> Settings:
        known = {"city", "offices", "limits", "pdf", "numbering"}
        for key in sorted(set(data) - known):
            self.bad(key, f"unknown setting (known: {', '.join(sorted(known))})")
        city = data.get("city")
        if city is not None and not isinstance(city, str):
            self.bad("city", "expected text")
            city = None
        elif city is not None:
            city = self.clean("city", city)
        return Settings(city, self.offices(data.get("offices", {})),
                        self.limits(data.get("limits", {})), self.pdf(data.get("pdf", {})),
                        self.numbering(data.get("numbering", {})), source_hash,
                        tuple(p for p in self.problems if not p.is_error))

    def numbering(self, raw) -> Numbering:
        if not isinstance(raw, dict):
            self.bad("numbering", "expected a table ([numbering] pattern = \"{seq}/{term}\")")
            return Numbering()
        for extra in sorted(set(raw) - {"pattern", "term"}):
            self.bad(f"numbering.{extra}", "unknown setting (known: pattern, term)")
        pattern, term = raw.get("pattern"), raw.get("term", "")
        if pattern is None:
            return Numbering()
        if not isinstance(pattern, str) or "{seq}" not in pattern or \
                re.search(r"\{(?!seq\}|term\})", pattern):
            self.bad("numbering.pattern", f"{pattern!r} must hold {{seq}} (the running number) "
                     "and may hold {term}, e.g. \"{seq}/{term}\"")
            return Numbering()
        if not isinstance(term, str) or ("{term}" in pattern and not term.strip()):
            self.bad("numbering.term", "missing or not text (e.g. term = \"2020-2025\")")
            return Numbering()
        return Numbering(self.clean("numbering.pattern", pattern),
                         self.clean("numbering.term", term.strip()))

    def offices(self, raw_offices) -> dict[str, Office]:
        offices: dict[str, Office] = {}
        if not isinstance(raw_offices, dict):
            self.bad("offices", "expected a table of offices ([offices.NAME])")
            return offices
        examples = {"number": 'number = "600"', "genitive": 'genitive = "des Bauamtes"'}
        for key, entry in raw_offices.items():
            where = f"offices.{key}"
            key = self.clean(where, key)
            if not isinstance(entry, dict):
                self.bad(where, "expected a table with number and genitive")
                continue
            for extra in sorted(set(entry) - {"number", "genitive", "name"}):
                self.bad(f"{where}.{extra}", "unknown setting (known: number, genitive, name)")
            values = {}
            for required in ("number", "genitive"):
                value = entry.get(required)
                if not isinstance(value, str) or not value.strip():
                    self.bad(f"{where}.{required}", "missing or not text (write it in quotes, "
                             f"e.g. {examples[required]})")
                    value = ""
                values[required] = " ".join(self.clean(f"{where}.{required}", value).split())
            office_name = entry.get("name", key)
            if not isinstance(office_name, str):
                self.bad(f"{where}.name", "expected text")
                office_name = key
            office_name = " ".join(self.clean(f"{where}.name", office_name).split())
            offices[key] = Office(key, values["number"], values["genitive"], office_name)
        return offices

    def limits(self, raw_limits) -> Limits:
        if not isinstance(raw_limits, dict):
            self.bad("limits", "expected a table")
            return Limits()
        defaults = Limits()
        kwargs = {}
        for key, value in raw_limits.items():
            if key not in LIMIT_RANGES:
                self.bad(f"limits.{key}", "unknown limit (known: max_record_bytes, "
                         "render_timeout_seconds, render_memory_mb)")
            elif isinstance(value, bool) or not isinstance(value, (int, float)):
                self.bad(f"limits.{key}", f"expected a number, found {value!r}")
            elif not LIMIT_RANGES[key][0] <= value <= LIMIT_RANGES[key][1]:
                low, high = LIMIT_RANGES[key]
                self.bad(f"limits.{key}", f"{value!r} is out of range (expected {low:,} to "
                         f"{high:,})")
            else:
                kwargs[key] = type(getattr(defaults, key))(value)
        return Limits(**kwargs)

    def pdf(self, raw_pdf) -> str:
        if not isinstance(raw_pdf, dict):
            self.bad("pdf", "expected a table")
            return DEFAULT_PDF_VARIANT
        for extra in sorted(set(raw_pdf) - {"variant"}):
            self.bad(f"pdf.{extra}", "unknown setting (known: variant)")
        variant = raw_pdf.get("variant", DEFAULT_PDF_VARIANT)
        if variant not in PDF_VARIANTS:
            self.bad("pdf.variant", f"{variant!r} is not supported (choose one of "
                     f"{', '.join(PDF_VARIANTS)})")
            return DEFAULT_PDF_VARIANT
        return variant
