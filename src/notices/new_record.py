"""``notices new KIND --office NAME``: a new record with every field, ready to fill in.

The record is written under ``records/<year>/``, named after the next free paper number
when ``[numbering]`` is configured (``4406-2020-2025.yaml``), else ``<kind>-<n>.yaml``.
Every common field and every field of the kind is present, empty, with its German
label as a comment; it is dated today and a draft (``status: entwurf``), so that
``notices check`` lists exactly what is still missing and nothing reaches a packet
before it is done.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from notices.errors import Problem, UsageError
from notices.source.kinds import FieldSpec, Kind
from notices.source.model import ROLES, format_date
from notices.workspace import Workspace

COMMENT_COLUMN = 34
# German labels of the common fields, as the comments of a new record show them.
COMMON_LABELS = {
    "kind": "Art der Vorlage", "status": "Status: entwurf oder final", "office": "Amt",
    "paper_number": "Drucksachen-Nr.", "file_number": "Aktenzeichen", "date": "Datum",
    "contact": "Auskunft", "name": "Name", "phone": "Telefon",
    "session": "Sitzung", "consultations": "Beratungsfolge", "committee": "Gremium",
    "session_date": "Sitzungsdatum", "public": "öffentlich? ja oder nein",
    "agenda_item": "TOP (Tagesordnungspunkt)", "role": f"Beratung: {', '.join(ROLES)}",
    "subject": "Betreff", "signatory": "gez. (wer unterschreibt)",
}


@dataclass(frozen=True)
class NewRecord:
    """A new record before it is written: where it goes and its text."""

    path: Path
    text: str
    kind: Kind


def new_record(workspace: Workspace, kind_name: str, office: str, *,
               today: dt.date | None = None) -> Path:
    """Write a new record; return its path. Refuses to overwrite anything."""
    planned = plan_new_record(workspace, kind_name, office, today=today)
    return write_new_record(workspace, planned.path, planned.text)


def plan_new_record(workspace: Workspace, kind_name: str, office: str, *,
                    today: dt.date | None = None) -> NewRecord:
    """The path and text ``notices new`` would write (``notices serve`` fills the text in
    a form first); :class:`UsageError` for an unknown kind or office."""
    from notices.template_set import TemplateSet

    today = today or dt.date.today()
    kinds, _ = TemplateSet.read(workspace.templates_dir).declared_kinds()
    if kind_name not in kinds:
        raise UsageError(Problem("KIND", f"unknown kind {kind_name!r} (this workspace has: "
                                 f"{', '.join(sorted(kinds)) or 'none'}; see 'notices kinds')"))
    offices = workspace.settings.offices
    if office not in offices:
        raise UsageError(Problem("--office", f"unknown office {office!r} (known: "
                                 f"{', '.join(sorted(offices)) or 'none'}; offices are listed "
                                 "in notices.toml)"))
    numbering = workspace.settings.numbering
    folder = workspace.records_dir / str(today.year)
    paper_number = None
    if numbering.pattern:
        paper_number = numbering.format(_next_sequence(workspace))
        name = paper_number.replace("/", "-").replace("\\", "-") + ".yaml"
    else:
        number = 1
        while (folder / f"{kind_name}-{number}.yaml").exists():
            number += 1
        name = f"{kind_name}-{number}.yaml"
    return NewRecord(folder / name, record_text(kinds[kind_name], office, paper_number, today),
                     kinds[kind_name])


def write_new_record(workspace: Workspace, path: Path, text: str) -> Path:
    """Write a new record's text at ``path``, never over an existing file; return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise UsageError(Problem(workspace.relative(path), "already exists; nothing was "
                                 "written")) from None
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


def _next_sequence(workspace: Workspace) -> int:
    """One more than the highest running number any record uses in this numbering.

    Read from the YAML of every record, valid or not, so a broken record's number is
    never handed out twice.
    """
    from notices.source.decode import Undecodable, decode_record
    from notices.source.discovery import discover_records
    from notices.source.reading import Unreadable, read_bounded
    from notices.source.yaml_source import Mapping, Scalar, parse_yaml

    pattern = workspace.settings.numbering.regex
    highest = 0
    records_root = Path(os.path.realpath(workspace.records_dir))
    for found in discover_records(workspace.root).records:
        try:
            raw = read_bounded(found.source, records_root,
                               workspace.settings.limits.max_record_bytes)
            text = decode_record(raw, markdown=found.path.lower().endswith(".md"))
        except (Unreadable, Undecodable):
            continue
        root = parse_yaml(text.yaml).root
        value = root.items.get("paper_number") if isinstance(root, Mapping) else None
        if isinstance(value, Scalar) and value.text:
            match = pattern.fullmatch(" ".join(value.text.split()))
            if match:
                highest = max(highest, int(match.group("seq")))
    return highest + 1


def record_text(kind: Kind, office: str, paper_number: str | None, today: dt.date) -> str:
    """The YAML of a new record of ``kind``: every field, empty, with its label."""
    lines = [f"# {kind.label}, angelegt mit 'notices new' am {format_date(today)}.",
             "# Füllen Sie jedes Feld aus; 'notices check' nennt, was noch fehlt.",
             _line("kind", kind.name, COMMON_LABELS["kind"]),
             _line("status", "entwurf", COMMON_LABELS["status"]),
             _line("office", _quoted(office), COMMON_LABELS["office"])]
    if paper_number:
        lines.append(_line("paper_number", paper_number, COMMON_LABELS["paper_number"]))
    lines += [_line("file_number", "", COMMON_LABELS["file_number"]),
              _line("date", format_date(today), COMMON_LABELS["date"]),
              _line("contact", "", COMMON_LABELS["contact"]),
              _line("  name", "", COMMON_LABELS["name"]),
              _line("  phone", "", COMMON_LABELS["phone"])]
    if kind.schema.get("x-notices-consultations"):
        lines += [_line("consultations", "", COMMON_LABELS["consultations"]),
                  _line("  - committee", "", COMMON_LABELS["committee"]),
                  _line("    date", "", COMMON_LABELS["session_date"]),
                  _line("    public", "ja", COMMON_LABELS["public"]),
                  _line("    agenda_item", "", COMMON_LABELS["agenda_item"]),
                  _line("    role", "Entscheidung", COMMON_LABELS["role"])]
    else:
        lines += [_line("session", "", COMMON_LABELS["session"]),
                  _line("  committee", "", COMMON_LABELS["committee"]),
                  _line("  date", "", COMMON_LABELS["session_date"]),
                  _line("  public", "ja", COMMON_LABELS["public"]),
                  _line("  agenda_item", "", COMMON_LABELS["agenda_item"])]
    lines.append(_line("subject", "", COMMON_LABELS["subject"]))
    for spec in kind.fields:
        lines += _field_lines(spec, "")
    lines.append(_line("signatory", "", COMMON_LABELS["signatory"]))
    return "\n".join(lines) + "\n"


GERMAN_TYPES = {"markdown": "Markdown", "date": "Datum TT.MM.JJJJ", "boolean": "ja/nein",
                "integer": "Zahl", "array": "Liste"}


def _field_lines(spec: FieldSpec, indent: str, first: str = "") -> list[str]:
    kind = GERMAN_TYPES.get(spec.format or spec.type)
    label = f"{spec.label} ({kind})" if kind else spec.label
    key = f"{indent}{first}{spec.name}"
    if spec.type == "array" and spec.items is not None and spec.items.type == "object":
        lines = [_line(key, "", label)]
        for index, prop in enumerate(spec.items.properties):
            lines += _field_lines(prop, indent + "  ", "- " if index == 0 else "  ")
        return lines
    if spec.type == "array":
        return [_line(key, "", label), _line(f"{indent}  -", "", spec.items.label
                                             if spec.items else "")]
    if spec.type == "object":
        lines = [_line(key, "", label)]
        for prop in spec.properties:
            lines += _field_lines(prop, indent + "  ")
        return lines
    return [_line(key, "", label)]


def _line(key: str, value: str, label: str) -> str:
    text = f"{key}:" + (f" {value}" if value else "")
    return f"{text.ljust(COMMENT_COLUMN - 2)}  # {label}" if label else text


def _quoted(text: str) -> str:
    """A value that YAML reads back as the same text."""
    if text and text.replace(" ", "").replace("-", "").isalnum() and not text[0].isdigit():
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
