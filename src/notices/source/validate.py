"""Validate a record's fields into a typed :class:`~notices.source.model.Notice`.

Every field is read as the clerk typed it (the YAML was composed, not constructed),
cleaned by the rules of :mod:`notices.source.textclean`, and checked; every problem is
collected with its line and field, so a record reports all its problems at once.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata

from notices.errors import Problem, Severity
from notices.settings import Office, Settings
from notices.source import textclean
from notices.source.blocks import Document
from notices.source.decode import RecordText
from notices.source.markdown import parse_markdown
from notices.source.model import (
    DATE_HELP, DEFAULT_KIND, Contact, Notice, Session, format_date, parse_date)
from notices.source.yaml_source import Mapping, Scalar, Sequence, Value

PUBLIC_WORDS = {"true": True, "ja": True, "yes": True, "öffentlich": True,
                "false": False, "nein": False, "no": False, "nicht öffentlich": False,
                "nichtöffentlich": False}
PUBLIC_HELP = "true/false, ja/nein, yes/no, öffentlich/nicht öffentlich/nichtöffentlich"

# field -> (description used in "missing" messages)
TOP_FIELDS = {
    "kind": "the kind of paper (default mitteilung)",
    "office": "the issuing office, a key of [offices] in notices.toml",
    "file_number": "the Aktenzeichen, e.g. 600.22",
    "date": "the date of the notice",
    "contact": "the contact clerk (name and phone)",
    "session": "the session (committee, date, public)",
    "subject": "the subject, the Anlass",
    "facts": "the facts, the Sachverhalt, in Markdown",
    "signatory": "the name after 'gez.'",
}
CONTACT_FIELDS = {"name": "the contact's name", "phone": "the contact's phone number"}
SESSION_FIELDS = {
    "committee": "the committee, e.g. Bezirksvertretung Heepen",
    "date": "the date of the session",
    "public": f"whether the session is public ({PUBLIC_HELP})",
    "agenda_item": "the agenda item (TOP)",
}
OPTIONAL = {"kind", "session.agenda_item"}




def describe_value(value: Value) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, Sequence):
        return "a list"
    return f"the text {value.text!r}" if value.text is not None else "an empty value"


class Validator:
    """Checks one record's fields and builds its :class:`Notice`; collects every problem."""

    def __init__(self, settings: Settings, shown: str, stem: str, text: RecordText,
                 known_kinds: frozenset[str] | None, files):
        self.settings = settings
        self.shown = shown
        self.stem = stem
        self.forbidden = text.forbidden
        self.body_offset = text.body_offset
        self.known_kinds = known_kinds
        self.files = files
        self.problems: list[Problem] = []

    def error(self, field_name: str | None, message: str, line: int | None = None) -> None:
        self.problems.append(Problem(self.shown, message, field=field_name, line=line))

    def warn(self, field_name: str | None, message: str, line: int | None = None) -> None:
        self.problems.append(Problem(self.shown, message, field=field_name, line=line,
                                     severity=Severity.WARNING))

    # -- structure --

    def check_keys(self, mapping: Mapping, allowed: dict[str, str], prefix: str) -> None:
        for key in mapping.items:
            if key not in allowed:
                guess = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
                hint = f" (did you mean '{guess[0]}'?)" if guess else \
                    f" (known fields: {', '.join(allowed)})"
                self.error(prefix + key, f"unknown field{hint}", mapping.key_lines.get(key))

    def text(self, mapping: Mapping, key: str, prefix: str, *, multiline: bool = False,
             fields: dict[str, str] | None = None) -> str | None:
        """A required or optional text field, cleaned; ``None`` if absent or invalid."""
        name = prefix + key
        value = mapping.items.get(key)
        line = mapping.key_lines.get(key, mapping.key_line if prefix else None)
        if value is None or (isinstance(value, Scalar) and value.text is None):
            if name not in OPTIONAL:
                description = (fields or TOP_FIELDS).get(key, "")
                self.error(name, f"missing ({description})" if description else "missing", line)
            return None
        if not isinstance(value, Scalar):
            self.error(name, f"expected text, found {describe_value(value)}", line)
            return None
        text, changed = textclean.clean_value(value.text)
        changed += [f"U+{ord(c):04X}" for offset, c in self.forbidden
                    if value.start <= offset < max(value.end, value.start + 1)]
        if changed:
            self.warn(name, f"removed or replaced characters that documents cannot hold "
                      f"({textclean.describe(changed)})", line)
        text, reordering = textclean.strip_direction_controls(text)
        if reordering:
            self.warn(name, textclean.DIRECTION_WARNING.format(textclean.describe(reordering)), line)
        text = unicodedata.normalize("NFC", text)
        if not multiline:
            text = " ".join(text.split())
        elif not text.strip():
            text = ""
        if not text.strip():
            if name not in OPTIONAL:
                self.error(name, "is empty", line)
            return None
        return text

    def mapping(self, root: Mapping, key: str) -> Mapping | None:
        value = root.items.get(key)
        line = root.key_lines.get(key)
        if value is None or (isinstance(value, Scalar) and value.text is None):
            self.error(key, f"missing ({TOP_FIELDS[key]})", line)
            return None
        if not isinstance(value, Mapping):
            self.error(key, f"expected a mapping with fields, found {describe_value(value)}", line)
            return None
        return value

    # -- typed fields --

    def date(self, mapping: Mapping, key: str, prefix: str, fields) -> dt.date | None:
        text = self.text(mapping, key, prefix, fields=fields)
        if text is None:
            return None
        parsed = parse_date(text)
        if parsed is None:
            self.error(prefix + key, f"{text!r} is not a valid date ({DATE_HELP})",
                       mapping.key_lines.get(key))
        return parsed

    def validate(self, root: Mapping, body: str | None, body_line: int, source_sha256: str
                 ) -> Notice | None:
        self.check_keys(root, TOP_FIELDS, "")
        kind = self.text(root, "kind", "") or DEFAULT_KIND
        if self.known_kinds is not None and kind not in self.known_kinds:
            same = [k for k in self.known_kinds if k.casefold() == kind.casefold()]
            hint = f"; did you mean {same[0]!r}? kinds are lower case" if same else ""
            self.error("kind", f"unknown kind {kind!r} (templates exist for: "
                       f"{', '.join(sorted(self.known_kinds)) or 'none'}){hint}",
                       root.key_lines.get("kind"))
        office = self.office(root)
        file_number = self.text(root, "file_number", "")
        date = self.date(root, "date", "", TOP_FIELDS)
        contact = self.contact(root)
        session = self.session(root)
        subject = self.text(root, "subject", "")
        signatory = self.text(root, "signatory", "")
        facts = self.facts(root, body, body_line)
        if office and file_number and office.number and not _has_prefix(file_number,
                                                                         office.number):
            self.warn("file_number", f"{file_number!r} does not start with the office's number "
                      f"{office.number!r} (offices.{office.key}.number in notices.toml)",
                      root.key_lines.get("file_number"))
        if date and session and date > session.date:
            self.warn("date", f"the notice is dated {format_date(date)}, after its session on "
                      f"{format_date(session.date)}", root.key_lines.get("date"))
        if any(p.is_error for p in self.problems):
            return None
        return Notice(
            path=self.shown, output_stem=self.stem, kind=kind, office=office,
            file_number=file_number, date=date, contact=contact, session=session,
            subject=subject, facts=facts, signatory=signatory,
            source_sha256=source_sha256)

    def office(self, root: Mapping) -> Office | None:
        key = self.text(root, "office", "")
        if key is None:
            return None
        offices = self.settings.offices
        if key in offices:
            return offices[key]
        folded = {k.casefold(): k for k in offices}
        guess = folded.get(key.casefold()) or next(
            iter(difflib.get_close_matches(key, list(offices), n=1, cutoff=0.75)), None)
        hint = f"did you mean '{guess}'? " if guess else ""
        known = ", ".join(sorted(offices)) or "none"
        self.error("office", f"unknown office {key!r} ({hint}known: {known}); add it to "
                   f"notices.toml as [offices.{_toml_key(key)}] with number and genitive",
                   root.key_lines.get("office"))
        return None

    def contact(self, root: Mapping) -> Contact | None:
        mapping = self.mapping(root, "contact")
        if mapping is None:
            return None
        self.check_keys(mapping, CONTACT_FIELDS, "contact.")
        name = self.text(mapping, "name", "contact.", fields=CONTACT_FIELDS)
        phone = self.text(mapping, "phone", "contact.", fields=CONTACT_FIELDS)
        return Contact(name, phone) if name and phone else None

    def session(self, root: Mapping) -> Session | None:
        mapping = self.mapping(root, "session")
        if mapping is None:
            return None
        self.check_keys(mapping, SESSION_FIELDS, "session.")
        committee = self.text(mapping, "committee", "session.", fields=SESSION_FIELDS)
        date = self.date(mapping, "date", "session.", SESSION_FIELDS)
        public_text = self.text(mapping, "public", "session.", fields=SESSION_FIELDS)
        public = None
        if public_text is not None:
            public = PUBLIC_WORDS.get(" ".join(public_text.casefold().split()))
            if public is None:
                self.error("session.public", f"{public_text!r} is not understood (expected "
                           f"{PUBLIC_HELP})", mapping.key_lines.get("public"))
        agenda_item = self.text(mapping, "agenda_item", "session.", fields=SESSION_FIELDS)
        if committee and date and public is not None:
            return Session(committee, date, public, agenda_item)
        return None

    def facts(self, root: Mapping, body: str | None, body_line: int) -> Document | None:
        if body is not None:
            if "facts" in root.items:
                self.error("facts", "given both in the front matter and as the Markdown body; "
                           "keep one", root.key_lines.get("facts"))
                return None
            source, changed = textclean.clean_value(body)
            changed += [f"U+{ord(c):04X}" for offset, c in self.forbidden
                        if offset >= self.body_offset]
            if changed:
                self.warn("facts", "removed or replaced characters that documents cannot "
                          f"hold ({textclean.describe(changed)})", body_line + 1)
            source, reordering = textclean.strip_direction_controls(source)
            if reordering:
                self.warn("facts", textclean.DIRECTION_WARNING.format(textclean.describe(reordering)),
                          body_line + 1)
            first_line = body_line + 1
            if not source.strip():
                self.error("facts", "missing (write the facts below the front matter)",
                           body_line)
                return None
        else:
            source = self.text(root, "facts", "", multiline=True)
            if source is None:
                return None
            value = root.items["facts"]
            first_line = value.line + (1 if value.style in ("|", ">") else 0)
        return self.markdown("facts", source, first_line)

    def markdown(self, name: str, source: str, first_line: int) -> Document:
        """A Markdown field as blocks, with the warnings of its parse at their lines."""
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


def _has_prefix(file_number: str, number: str) -> bool:
    if not file_number.startswith(number):
        return False
    rest = file_number[len(number):]
    return not rest or not rest[0].isdigit()


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else f'"{key}"'
