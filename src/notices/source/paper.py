"""A paper's common fields, the same for every kind, and the typed paper they make.

Every paper has an office, a file number (and optionally a paper number), a date, a
contact, a session or a Beratungsfolge (``consultations``), a subject, a signatory, a
status (``entwurf`` or ``final``) and optionally attachments; its kind adds the rest
(:mod:`notices.source.fields`). Messages name each field by its path and line.
"""

from __future__ import annotations

import difflib
import posixpath
import re

from notices.errors import Problem
from notices.settings import Office
from notices.source.fields import FieldReader, YES_NO, YES_NO_HELP, markdown_documents
from notices.source.kinds import COMMON_FIELDS, Kind
from notices.source.model import (
    DEFAULT_KIND, ROLES, STATUSES, Attachment, Consultation, Contact, Notice, format_date)
from notices.source.validate import Validator, describe_value
from notices.source.yaml_source import Mapping, Scalar, Sequence

# What a missing common field is, in the words of a message.
COMMON_HELP = {
    "kind": "the kind of paper (default mitteilung)",
    "status": "entwurf or final (default final)",
    "office": "the issuing office, a key of [offices] in notices.toml",
    "paper_number": "the Drucksachen-Nr., e.g. 4401/2020-2025",
    "file_number": "the Aktenzeichen, e.g. 600.22",
    "date": "the date of the paper",
    "contact": "the contact clerk (name and phone)",
    "session": "the session (committee, date, public)",
    "consultations": "the Beratungsfolge: committee, date, public, role per session",
    "subject": "the subject, the Anlass",
    "signatory": "the name after 'gez.'",
    "attachments": "the Anlagen: title and file",
}
CONTACT_FIELDS = {"name": "the contact's name", "phone": "the contact's phone number"}
SESSION_FIELDS = {
    "committee": "the committee, e.g. Bezirksvertretung Heepen",
    "date": "the date of the session",
    "public": f"whether the session is public ({YES_NO_HELP})",
    "agenda_item": "the agenda item (TOP)",
    "role": f"the role: {', '.join(ROLES)}",
}
CONSULTATION_FIELDS = SESSION_FIELDS
ATTACHMENT_FIELDS = {"title": "the title of the Anlage", "file": "the file beside the record"}
ATTACHMENT_TYPES = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg",
                    ".jpeg": "image/jpeg"}


class PaperReader:
    """Reads one record's common and kind fields into a :class:`Notice`."""

    def __init__(self, validator: Validator, kinds: dict[str, Kind], default: Kind):
        self.v = validator
        self.kinds = kinds
        self.default = default

    def read(self, root: Mapping, body: str | None, body_line: int, source_sha256: str,
             stem: str) -> Notice | None:
        v = self.v
        name = v.text(root, "kind", "", optional=True) or DEFAULT_KIND
        kind = self._kind(name, root)
        v.check_keys(root, list(COMMON_FIELDS) + [f.name for f in kind.fields], "")
        status = self._status(root)
        office = self._office(root)
        file_number = v.text(root, "file_number", "", fields=COMMON_HELP)
        paper_number = v.text(root, "paper_number", "", optional=True)
        date = v.date(root, "date", "", COMMON_HELP)
        contact = self._contact(root)
        consultations = self._consultations(root)
        subject = v.text(root, "subject", "", fields=COMMON_HELP)
        signatory = v.text(root, "signatory", "", fields=COMMON_HELP)
        fields = self._fields(kind, root, body, body_line)
        attachments = self._attachments(root)
        self._warnings(root, office, file_number, paper_number, date, consultations)
        if v.failed:
            return None
        return Notice(
            path=v.shown, output_stem=stem, kind=name, office=office,
            file_number=file_number, date=date, contact=contact,
            consultations=consultations, subject=subject, signatory=signatory, fields=fields,
            kind_label=kind.label, paper_number=paper_number, status=status,
            attachments=attachments, source_sha256=source_sha256,
            documents=tuple(markdown_documents(fields, kind.fields)))

    def _kind(self, name: str, root: Mapping) -> Kind:
        if name in self.kinds:
            return self.kinds[name]
        same = [k for k in self.kinds if k.casefold() == name.casefold()]
        hint = f"; did you mean {same[0]!r}? kinds are lower case" if same else ""
        self.v.error("kind", f"unknown kind {name!r} (templates exist for: "
                     f"{', '.join(sorted(self.kinds)) or 'none'}){hint}",
                     root.key_lines.get("kind"))
        return self.default

    def _status(self, root: Mapping) -> str:
        text = self.v.text(root, "status", "", optional=True)
        if text is None:
            return "final"
        status = text.casefold()
        if status not in STATUSES:
            self.v.error("status", f"{text!r} is not a status (expected entwurf or final)",
                         root.key_lines.get("status"))
        return status

    def _office(self, root: Mapping) -> Office | None:
        key = self.v.text(root, "office", "", fields=COMMON_HELP)
        if key is None:
            return None
        offices = self.v.settings.offices
        if key in offices:
            return offices[key]
        folded = {k.casefold(): k for k in offices}
        guess = folded.get(key.casefold()) or next(
            iter(difflib.get_close_matches(key, list(offices), n=1, cutoff=0.75)), None)
        hint = f"did you mean '{guess}'? " if guess else ""
        known = ", ".join(sorted(offices)) or "none"
        self.v.error("office", f"unknown office {key!r} ({hint}known: {known}); add it to "
                     f"notices.toml as [offices.{_toml_key(key)}] with number and genitive",
                     root.key_lines.get("office"))
        return None

    def _contact(self, root: Mapping) -> Contact | None:
        mapping = self.v.mapping(root, "contact", COMMON_HELP["contact"])
        if mapping is None:
            return None
        self.v.check_keys(mapping, CONTACT_FIELDS, "contact.")
        name = self.v.text(mapping, "name", "contact.", fields=CONTACT_FIELDS)
        phone = self.v.text(mapping, "phone", "contact.", fields=CONTACT_FIELDS)
        return Contact(name, phone) if name and phone else None

    def _consultations(self, root: Mapping) -> tuple[Consultation, ...]:
        v = self.v
        if "session" in root.items and "consultations" in root.items:
            v.error("consultations", "give either session (one) or consultations (a "
                    "Beratungsfolge), not both", root.key_lines.get("consultations"))
            return ()
        if "consultations" not in root.items:
            mapping = v.mapping(root, "session", COMMON_HELP["session"] + " or consultations")
            consultation = mapping and self._consultation(mapping, "session.", SESSION_FIELDS,
                                                          role_required=False)
            return (consultation,) if consultation else ()
        node, line = root.items["consultations"], root.key_lines.get("consultations")
        if not isinstance(node, Sequence) or not node.items:
            v.error("consultations", "expected a list of sessions (- committee: …, date: …, "
                    f"public: …, role: …), found {describe_value(node)}", line)
            return ()
        found: list[Consultation] = []
        for index, item in enumerate(node.items):
            prefix = f"consultations[{index}]."
            if not isinstance(item, Mapping):
                v.error(prefix[:-1], f"expected committee, date, public and role, found "
                        f"{describe_value(item)}", item.line)
                continue
            item.key_line = item.key_line or item.line
            consultation = self._consultation(item, prefix, CONSULTATION_FIELDS,
                                              role_required=True)
            if consultation is None:
                continue
            if any((c.committee, c.date) == (consultation.committee, consultation.date)
                   for c in found):
                v.error(prefix[:-1], f"{consultation.committee} on "
                        f"{format_date(consultation.date)} is listed twice", item.line)
            found.append(consultation)
        return tuple(found)

    def _consultation(self, mapping: Mapping, prefix: str, known: dict, *,
                      role_required: bool) -> Consultation | None:
        v = self.v
        v.check_keys(mapping, known, prefix)
        committee = v.text(mapping, "committee", prefix, fields=known)
        date = v.date(mapping, "date", prefix, known)
        public = None
        text = v.text(mapping, "public", prefix, fields=known)
        if text is not None:
            public = YES_NO.get(" ".join(text.casefold().split()))
            if public is None:
                v.error(f"{prefix}public", f"{text!r} is not understood (expected "
                        f"{YES_NO_HELP})", mapping.key_lines.get("public"))
        agenda_item = v.text(mapping, "agenda_item", prefix, optional=True)
        role_text = v.text(mapping, "role", prefix, fields=known, optional=not role_required)
        role = next((r for r in ROLES if role_text and r.casefold() == role_text.casefold()),
                    None)
        if role_text is not None and role is None:
            v.error(f"{prefix}role", f"{role_text!r} is not a role (expected "
                    f"{', '.join(ROLES)})", mapping.key_lines.get("role"))
        if committee and date and public is not None and (role or not role_required):
            return Consultation(committee, date, public, agenda_item, role)
        return None

    def _fields(self, kind: Kind, root: Mapping, body: str | None, body_line: int) -> dict:
        if body is None:
            return FieldReader(self.v).read(kind, root)
        # A Markdown record: its body is the facts, for a kind that has them.
        if kind.spec("facts") is None:
            self.v.error(None, f"a Markdown body holds the facts, but a {kind.label} has no "
                         "facts field; write its fields in the front matter", body_line)
            return {}
        if "facts" in root.items:
            self.v.error("facts", "given both in the front matter and as the Markdown body; "
                         "keep one", root.key_lines.get("facts"))
            return {}
        fields = FieldReader(self.v).read(kind, _without(root, "facts"), skip=("facts",))
        source = self.v.body(body, body_line)
        if source is not None:
            fields["facts"] = self.v.markdown("facts", source, body_line + 1)
        return fields

    def _attachments(self, root: Mapping) -> tuple[Attachment, ...]:
        v = self.v
        node = root.items.get("attachments")
        if node is None or (isinstance(node, Scalar) and node.text is None):
            return ()
        if not isinstance(node, Sequence):
            v.error("attachments", f"expected a list (- title: …, file: …), found "
                    f"{describe_value(node)}", root.key_lines.get("attachments"))
            return ()
        found = []
        for index, item in enumerate(node.items, start=1):
            prefix = f"attachments[{index - 1}]."
            if not isinstance(item, Mapping):
                v.error(prefix[:-1], "expected title and file", item.line)
                continue
            item.key_line = item.key_line or item.line
            v.check_keys(item, ATTACHMENT_FIELDS, prefix)
            title = v.text(item, "title", prefix, fields=ATTACHMENT_FIELDS)
            name = v.text(item, "file", prefix, fields=ATTACHMENT_FIELDS)
            if name is None:
                continue
            line = item.key_lines.get("file")
            media_type = ATTACHMENT_TYPES.get(posixpath.splitext(name)[1].lower())
            named = v.files.get(v.shown, name) if v.files is not None else None
            if named is None:
                v.error(f"{prefix}file", f"{name!r} is not a file beside the record", line)
            elif media_type is None:
                v.error(f"{prefix}file", f"{name!r} is not a PDF, PNG or JPEG file", line)
            elif named.problem:
                v.error(f"{prefix}file", f"{name!r} {named.problem}", line)
            elif not _looks_like(named.data, media_type):
                v.error(f"{prefix}file", f"{name!r} is not a valid "
                        f"{media_type.split('/')[1].upper()} file", line)
            elif title:
                found.append(Attachment(index, title, named.path, media_type))
        return tuple(found)

    def _warnings(self, root, office, file_number, paper_number, date, consultations) -> None:
        v = self.v
        if office and file_number and office.number and not _has_prefix(file_number,
                                                                         office.number):
            v.warn("file_number", f"{file_number!r} does not start with the office's number "
                   f"{office.number!r} (offices.{office.key}.number in notices.toml)",
                   root.key_lines.get("file_number"))
        if date and consultations and date > min(c.date for c in consultations):
            first = min(c.date for c in consultations)
            v.warn("date", f"the notice is dated {format_date(date)}, after its session on "
                   f"{format_date(first)}", root.key_lines.get("date"))
        pattern = v.settings.numbering.regex
        if paper_number and pattern is not None and not pattern.fullmatch(paper_number):
            v.warn("paper_number", f"{paper_number!r} does not follow the numbering of "
                   f"notices.toml ({v.settings.numbering.example})",
                   root.key_lines.get("paper_number"))


def duplicate_paper_numbers(numbers) -> list[Problem]:
    """Two records with one paper number (Drucksachen-Nr.) are an error naming both.

    ``numbers`` holds (record path, paper number or None); a cross-record rule, used by
    ``check`` and by the build alike.
    """
    by_number: dict[str, list[str]] = {}
    for path, number in sorted(numbers):
        if number:
            by_number.setdefault(number, []).append(path)
    problems = []
    for number, paths in sorted(by_number.items()):
        for path in paths if len(paths) > 1 else ():
            others = ", ".join(p for p in paths if p != path)
            problems.append(Problem(path, f"paper number {number!r} is also used by {others}; "
                                    "each paper needs its own", field="paper_number"))
    return problems


def _without(root: Mapping, key: str) -> Mapping:
    return Mapping({k: val for k, val in root.items.items() if k != key},
                   {k: line for k, line in root.key_lines.items() if k != key},
                   root.line, root.column, root.start, root.end, root.key_line)


def _looks_like(data: bytes | None, media_type: str) -> bool:
    signatures = {"application/pdf": b"%PDF-", "image/png": b"\x89PNG\r\n\x1a\n",
                  "image/jpeg": b"\xff\xd8"}
    return bool(data) and data.startswith(signatures[media_type])


def _has_prefix(file_number: str, number: str) -> bool:
    if not file_number.startswith(number):
        return False
    rest = file_number[len(number):]
    return not rest or not rest[0].isdigit()


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else f'"{key}"'
