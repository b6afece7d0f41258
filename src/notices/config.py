"""The workspace: where records, templates and outputs live, and what ``notices.toml`` says.

A workspace is a folder holding ``notices.toml`` (the city, the offices registry and a
few limits), ``templates/``, ``records/`` and the generated ``output/``. Every path that
the tool reports is relative to it, so messages read the same on every machine.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from notices.errors import ConfigError, Problem, WorkspaceError

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

CONFIG_NAME = "notices.toml"
PDF_VARIANTS = ("pdf/a-1a", "pdf/a-1b", "pdf/a-2a", "pdf/a-2b", "pdf/a-2u", "pdf/a-3a",
                "pdf/a-3b", "pdf/a-3u", "pdf/a-4u", "pdf/ua-1", "none")
DEFAULT_PDF_VARIANT = "pdf/a-2a"


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
class Config:
    city: str | None
    offices: dict[str, Office]
    limits: Limits = field(default_factory=Limits)
    pdf_variant: str = DEFAULT_PDF_VARIANT
    source_hash: str = ""  # SHA-256 of notices.toml, part of every record's input hash


@dataclass(frozen=True)
class Workspace:
    root: Path  # resolved
    config: Config

    @property
    def records_dir(self) -> Path:
        return self.root / "records"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    @property
    def output_dir(self) -> Path:
        return self.root / "output"

    def relative(self, path: Path) -> str:
        """A path as the user should read it: relative to the workspace where possible."""
        try:
            return Path(os.path.abspath(path)).relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


def open_workspace(root: Path | str = ".") -> Workspace:
    """Find and load the workspace at ``root`` (which must hold ``notices.toml``)."""
    start = Path(os.path.abspath(root))
    if not start.is_dir():  # a typo in -C must not fall back to a workspace above it
        raise WorkspaceError(Problem(str(start), "no such folder"))
    # Like git: from a folder inside the workspace (records/2023, output/) the workspace
    # above it is meant.
    for folder in (start, *start.parents):
        config_path = folder / CONFIG_NAME
        if config_path.is_file():
            return Workspace(folder, load_config(config_path))
    raise WorkspaceError(Problem(
        path=str(start), message=f"not a notices workspace: {CONFIG_NAME} is missing "
        "(create one with 'notices init DIR', or pass -C DIR)"))


# Sane bounds: below them nothing could render, above them a typo (an extra zero, 1e999)
# would switch a safeguard off or overflow the operating system's limits.
LIMIT_RANGES = {
    "max_record_bytes": (1_000, 1_000_000_000),
    "render_timeout_seconds": (1, 86_400),
    "render_memory_mb": (10, 1_000_000),
}


def load_config(path: Path) -> Config:
    """Read ``notices.toml``; every problem is reported at once as a :class:`ConfigError`."""
    name = CONFIG_NAME
    try:
        raw = path.read_bytes()
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ConfigError(Problem(name, "is not UTF-8 text; save it as UTF-8"))
    except tomllib.TOMLDecodeError as error:
        where = re.search(r" \(at line (\d+), column (\d+)\)$", str(error))
        message = str(error)[:where.start()] if where else str(error)
        raise ConfigError(Problem(name, f"invalid TOML: {message}",
                                  line=int(where.group(1)) if where else None,
                                  column=int(where.group(2)) if where else None))
    except OSError as error:
        raise ConfigError(Problem(name, f"cannot be read: {error.strerror}"))
    problems: list[Problem] = []

    def bad(field_name: str, message: str) -> None:
        problems.append(Problem(name, message, field=field_name))

    known = {"city", "offices", "limits", "pdf"}
    for key in sorted(set(data) - known):
        bad(key, f"unknown setting (known: {', '.join(sorted(known))})")
    city = data.get("city")
    if city is not None and not isinstance(city, str):
        bad("city", "expected text")
        city = None

    offices: dict[str, Office] = {}
    raw_offices = data.get("offices", {})
    if not isinstance(raw_offices, dict):
        bad("offices", "expected a table of offices ([offices.NAME])")
        raw_offices = {}
    for key, entry in raw_offices.items():
        where = f"offices.{key}"
        if not isinstance(entry, dict):
            bad(where, "expected a table with number and genitive")
            continue
        for extra in sorted(set(entry) - {"number", "genitive", "name"}):
            bad(f"{where}.{extra}", "unknown setting (known: number, genitive, name)")
        values = {}
        examples = {"number": 'number = "600"', "genitive": 'genitive = "des Bauamtes"'}
        for required in ("number", "genitive"):
            value = entry.get(required)
            if not isinstance(value, str) or not value.strip():
                bad(f"{where}.{required}", "missing or not text (write it in quotes, "
                    f"e.g. {examples[required]})")
            values[required] = value.strip() if isinstance(value, str) else ""
        office_name = entry.get("name", key)
        if not isinstance(office_name, str):
            bad(f"{where}.name", "expected text")
            office_name = key
        offices[key] = Office(key, values["number"], values["genitive"], office_name)

    limits = Limits()
    raw_limits = data.get("limits", {})
    if isinstance(raw_limits, dict):
        defaults = Limits()
        kwargs = {}
        for key, value in raw_limits.items():
            if key not in LIMIT_RANGES:
                bad(f"limits.{key}", "unknown limit (known: max_record_bytes, "
                    "render_timeout_seconds, render_memory_mb)")
            elif isinstance(value, bool) or not isinstance(value, (int, float)):
                bad(f"limits.{key}", f"expected a number, found {value!r}")
            elif not LIMIT_RANGES[key][0] <= value <= LIMIT_RANGES[key][1]:
                low, high = LIMIT_RANGES[key]
                bad(f"limits.{key}", f"{value!r} is out of range (expected {low:,} to {high:,})")
            else:
                kwargs[key] = type(getattr(defaults, key))(value)
        limits = Limits(**kwargs)
    else:
        bad("limits", "expected a table")

    variant = DEFAULT_PDF_VARIANT
    raw_pdf = data.get("pdf", {})
    if isinstance(raw_pdf, dict):
        for extra in sorted(set(raw_pdf) - {"variant"}):
            bad(f"pdf.{extra}", "unknown setting (known: variant)")
        variant = raw_pdf.get("variant", DEFAULT_PDF_VARIANT)
        if variant not in PDF_VARIANTS:
            bad("pdf.variant", f"{variant!r} is not supported (choose one of "
                f"{', '.join(PDF_VARIANTS)})")
            variant = DEFAULT_PDF_VARIANT
    else:
        bad("pdf", "expected a table")

    if problems:
        raise ConfigError(problems)
    return Config(city, offices, limits, variant, hashlib.sha256(raw).hexdigest())
