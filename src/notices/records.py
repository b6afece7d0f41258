"""Load the records under ``records/`` and validate them into typed :class:`Notice` objects.

Gather, then write: every record is read and checked before anything is rendered, and
every problem of a record is reported at once, each naming the file, line and field.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from notices import textclean
from notices.config import Office, Workspace
from notices.content import Document, parse_markdown
from notices.errors import Problem, Severity
from notices.yaml_source import Mapping, Scalar, Sequence, Value, parse_yaml

RECORD_SUFFIXES = (".yaml", ".yml", ".md")
MAX_STEM_BYTES = 250  # + ".docx" stays within the 255 bytes of a file name
RESERVED_DIRS = ("sessions",)  # records/sessions/ belongs to the session packets
DEFAULT_KIND = "mitteilung"

PUBLIC_WORDS = {"true": True, "ja": True, "yes": True, "öffentlich": True,
                "false": False, "nein": False, "no": False, "nicht öffentlich": False,
                "nichtöffentlich": False}
PUBLIC_HELP = "true/false, ja/nein, yes/no, öffentlich/nicht öffentlich/nichtöffentlich"
DATE_HELP = "expected DD.MM.YYYY or YYYY-MM-DD"
DIRECTION_WARNING = ("removed text-direction controls ({}) that would show the text in "
                     "another order than it was typed")

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


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str


@dataclass(frozen=True)
class Session:
    committee: str
    date: dt.date
    public: bool
    agenda_item: str | None = None


@dataclass(frozen=True)
class Notice:
    """One validated paper, ready for the templates."""

    path: str  # relative to the workspace: records/2023/x.yaml
    output_stem: str  # relative to output/: 2023/x
    kind: str
    office: Office
    file_number: str
    date: dt.date
    contact: Contact
    session: Session
    subject: str
    facts: Document
    signatory: str
    source_sha256: str  # of the record file's bytes


@dataclass
class RecordResult:
    """What loading one record produced: a notice, or the problems that stopped it."""

    path: str
    source: Path
    notice: Notice | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.notice is not None and not any(p.is_error for p in self.problems)

    @property
    def output_stem(self) -> str:
        return output_stem_for(self.path)


def output_clash(stem: str, others: list[tuple[str, str]]) -> str:
    """Why a record is refused whose outputs' names clash with ``others`` (path, stem)."""
    paths = ", ".join(path for path, _ in others)
    if all(other == stem for _, other in others):
        return f"writes the same outputs (output/{stem}.*) as {paths}; rename or remove one"
    return (f"writes outputs (output/{stem}.*) whose names differ only in letter case from "
            f"those of {paths}, which Windows and macOS take for the same files; rename or "
            "remove one")


def output_stem_for(record_path: str) -> str:
    """``records/2023/x v2.1.yaml`` -> ``2023/x v2.1`` (the outputs' path without suffix)."""
    relative = Path(record_path).relative_to("records")
    return (relative.parent / relative.stem).as_posix()


# --- discovery ------------------------------------------------------------------


def discover_records(workspace: Workspace, paths: list[Path] | None = None
                     ) -> tuple[list[Path], list[Problem]]:
    """Find record files under the given paths (default ``records/``), sorted.

    A path outside ``records/`` (also through a symlink) is refused with a problem.
    """
    records_root = Path(os.path.realpath(workspace.records_dir))
    problems: list[Problem] = []
    found: set[Path] = set()
    targets = paths or [workspace.records_dir]
    for target in targets:
        target = target if target.is_absolute() else workspace.root / target
        shown = workspace.relative(target)
        if not os.path.lexists(target):
            problems.append(Problem(shown, "no such file or folder"))
            continue
        real = Path(os.path.realpath(target))
        if not real.is_relative_to(records_root):
            problems.append(Problem(shown, "is not inside records/ (records must lie under "
                                    f"{workspace.relative(workspace.records_dir)}/)"))
            continue
        skipped = _skipped_on_the_way(workspace, target)
        if skipped:
            problems.append(Problem(shown, skipped))
            continue
        if real.is_dir():
            before = len(found)
            for dirpath, dirnames, filenames in os.walk(target):
                here = Path(dirpath)
                for name in sorted(d for d in dirnames if (here / d).is_symlink()
                                   and not is_hidden(d)):
                    problems.append(Problem(
                        workspace.relative(here / name), "is a link to a folder, which "
                        "notices does not follow; its records are not built (move them into "
                        "records/)", severity=Severity.WARNING))
                dirnames[:] = sorted(d for d in dirnames
                                     if not is_hidden(d) and not (here / d).is_symlink())
                for name in filenames:
                    if is_record_name(name) and not is_hidden(name):
                        found.add(Path(os.path.abspath(here / name)))
            if paths and len(found) == before:
                problems.append(Problem(shown, "holds no records (files ending in .yaml, .yml "
                                        "or .md)", severity=Severity.WARNING))
        elif is_record_name(target.name):
            found.add(Path(os.path.abspath(target)))
        else:
            problems.append(Problem(shown, "is not a record (expected .yaml, .yml or .md)"))
    # A record in records/sessions/ would write its outputs among the session packets in
    # output/sessions/, and the two would overwrite each other.
    root = os.path.abspath(workspace.records_dir)
    # Case-insensitively: on Windows and macOS records/Sessions/ is records/sessions/.
    reserved = tuple((os.path.join(root, name) + os.sep).casefold() for name in RESERVED_DIRS)
    kept = []
    for path in sorted(found):
        if str(path).casefold().startswith(reserved):
            folder = os.path.relpath(path, root).split(os.sep)[0]
            problems.append(Problem(workspace.relative(path), f"records/{folder}/ is reserved "
                                    "for session packets (output/sessions/); move the record "
                                    "to another folder"))
        else:
            kept.append(path)
    return kept, problems


def _skipped_on_the_way(workspace: Workspace, target: Path) -> str | None:
    """Why a full build would not find ``target``: hidden, or behind a link to a folder.

    A path named on the command line gets the same answer as the full build, so that no
    output exists that the next full build would call orphaned (and --prune delete).
    """
    root = os.path.abspath(workspace.records_dir)
    try:
        parts = Path(os.path.abspath(target)).relative_to(root).parts
    except ValueError:
        return None
    for depth, name in enumerate(parts, start=1):
        if is_hidden(name):
            return (f"{name!r} starts with '.' or '_', which marks files and folders that "
                    "are not records; rename it to build it")
        here = os.path.join(root, *parts[:depth])
        if os.path.islink(here) and os.path.isdir(here):
            return (f"{name!r} is a link to a folder, which notices does not follow; move "
                    "the records into records/")
    return None


def is_hidden(name: str) -> bool:
    """``.x`` and ``_x`` files and folders are not records (drafts, editor backups, notes)."""
    return name.startswith((".", "_"))


def is_record_name(name: str) -> bool:
    """``x.yaml``, ``x.yml`` or ``x.md``, in any letter case (``X.MD`` from Windows too)."""
    return name.lower().endswith(RECORD_SUFFIXES)


def load_records(workspace: Workspace, paths: list[Path] | None = None, *,
                 known_kinds: set[str] | None = None
                 ) -> tuple[list[RecordResult], list[Problem]]:
    """Discover and load records; return per-record results and problems of the request.

    Two records that would write the same outputs (``x.yaml`` beside ``x.md``) are both
    refused, each naming the other.
    """
    files, request_problems = discover_records(workspace, paths)
    results = [load_record(workspace, f, known_kinds=known_kinds) for f in files]
    by_stem: dict[str, list[RecordResult]] = {}
    for result in results:
        by_stem.setdefault(result.output_stem.casefold(), []).append(result)
    for group in by_stem.values():
        if len(group) > 1:
            for result in group:
                result.problems.append(Problem(result.path, output_clash(
                    result.output_stem, [(r.path, r.output_stem) for r in group
                                         if r is not result])))
                result.notice = None
    return results, request_problems


# --- one record ---------------------------------------------------------------------


def load_record(workspace: Workspace, source: Path, *, known_kinds: set[str] | None = None
                ) -> RecordResult:
    """Read and validate one record file; never raises for bad content."""
    shown = workspace.relative(source)
    result = RecordResult(shown, source)
    problems = result.problems
    records_root = Path(os.path.realpath(workspace.records_dir))
    real = Path(os.path.realpath(source))
    if not real.is_relative_to(records_root):
        problems.append(Problem(shown, "is not inside records/ (it is a link to a file "
                                "elsewhere); records must lie under records/"))
        return result
    stem = Path(shown).stem
    if len(stem.encode("utf-8")) > MAX_STEM_BYTES:
        # Its outputs (x.docx, x.pdf) would exceed the 255 bytes a file name may have.
        problems.append(Problem(shown, f"the file name is too long for its outputs "
                                f"({len(stem.encode('utf-8'))} bytes before the extension; "
                                f"at most {MAX_STEM_BYTES}): shorten it"))
        return result
    limit = workspace.config.limits.max_record_bytes
    try:
        size = real.stat().st_size
        if size > limit:
            problems.append(Problem(shown, f"is {size:,} bytes, more than the limit of "
                                    f"{limit:,} (raise limits.max_record_bytes in notices.toml)"))
            return result
        raw = real.read_bytes()
    except OSError as error:
        problems.append(Problem(shown, f"cannot be read: {error.strerror}"))
        return result
    if not raw.strip():
        problems.append(Problem(shown, "is empty (expected a record with the fields office, "
                                "file_number, date, contact, session, subject, facts, signatory)"))
        return result
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        problems.append(Problem(shown, "is UTF-16 text (as Windows Notepad saves 'Unicode'); "
                                "save it as UTF-8"))
        return result
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        if b"\x00" in raw[:4096]:
            problems.append(Problem(shown, "is not a text file (binary data); a record is "
                                    "UTF-8 text"))
            return result
        line = raw[: error.start].count(b"\n") + 1
        problems.append(Problem(
            shown, f"is not UTF-8 text (byte 0x{raw[error.start]:02x} at line {line}; perhaps "
            "Windows-1252): save it as UTF-8", line=None))
        return result
    masked, forbidden = textclean.mask_forbidden(text)
    body_source: str | None = None
    body_line = body_offset = 0
    yaml_text = masked
    if source.suffix.lower() == ".md":
        split = _split_front_matter(masked)
        if split is None:
            problems.append(Problem(shown, "a Markdown record must begin with YAML front matter "
                                    "between two '---' lines", line=1))
            return result
        yaml_text, body_source, body_line, body_offset = split
    parsed = parse_yaml(yaml_text)
    for p in parsed.problems:
        problems.append(Problem(shown, p.message, field=p.key_path, line=p.line,
                                column=p.column))
    if parsed.root is None and not parsed.problems:
        problems.append(Problem(shown, "holds no fields (expected a mapping such as "
                                "'office: Bauamt')"))
        return result
    if any(p.is_error for p in problems):
        return result
    if not isinstance(parsed.root, Mapping):
        problems.append(Problem(shown, "expected a mapping of fields (office: …, date: …), "
                                f"found {_describe(parsed.root)}", line=parsed.root.line))
        return result
    validator = _Validator(workspace, shown, source, forbidden, known_kinds, body_offset)
    notice = validator.validate(parsed.root, body_source, body_line, raw)
    problems.extend(validator.problems)
    if not any(p.is_error for p in problems):
        result.notice = notice
    return result


def _split_front_matter(text: str) -> tuple[str, str, int, int] | None:
    """Split ``---`` front matter from the body: (yaml, body, body's first line, offset).

    The YAML part keeps the opening line as blanks, so its line numbers and character
    offsets are those of the file.
    """
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return None
    offset = len(lines[0])
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            yaml_text = " " * (len(lines[0]) - 1) + "\n" + "".join(lines[1:index])
            body = "".join(lines[index + 1:])
            return yaml_text, body, index + 1, offset + len(lines[index])
        offset += len(lines[index])
    return None


def _describe(value: Value) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, Sequence):
        return "a list"
    return f"the text {value.text!r}" if value.text is not None else "an empty value"


class _Validator:
    def __init__(self, workspace: Workspace, shown: str, source: Path,
                 forbidden: list[tuple[int, str]], known_kinds: set[str] | None,
                 body_offset: int = 0):
        self.workspace = workspace
        self.shown = shown
        self.source = source
        self.forbidden = forbidden
        self.known_kinds = known_kinds
        self.body_offset = body_offset
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
            self.error(name, f"expected text, found {_describe(value)}", line)
            return None
        text, changed = textclean.clean_value(value.text)
        changed += [f"U+{ord(c):04X}" for offset, c in self.forbidden
                    if value.start <= offset < max(value.end, value.start + 1)]
        if changed:
            self.warn(name, f"removed or replaced characters that documents cannot hold "
                      f"({textclean.describe(changed)})", line)
        text, reordering = textclean.strip_direction_controls(text)
        if reordering:
            self.warn(name, DIRECTION_WARNING.format(textclean.describe(reordering)), line)
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
            self.error(key, f"expected a mapping with fields, found {_describe(value)}", line)
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

    def validate(self, root: Mapping, body: str | None, body_line: int, raw: bytes
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
            path=self.shown, output_stem=output_stem_for(self.shown), kind=kind, office=office,
            file_number=file_number, date=date, contact=contact, session=session,
            subject=subject, facts=facts, signatory=signatory,
            source_sha256=hashlib.sha256(raw).hexdigest())

    def office(self, root: Mapping) -> Office | None:
        key = self.text(root, "office", "")
        if key is None:
            return None
        offices = self.workspace.config.offices
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
                self.warn("facts", DIRECTION_WARNING.format(textclean.describe(reordering)),
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
        source = unicodedata.normalize("NFC", source)
        document, issues = parse_markdown(
            source, base_dir=Path(os.path.realpath(self.source.parent)),
            records_root=Path(os.path.realpath(self.workspace.records_dir)))
        for issue in issues:
            line = first_line + issue.line if issue.line is not None else None
            self.warn("facts", issue.message, line)
        return document


def _has_prefix(file_number: str, number: str) -> bool:
    if not file_number.startswith(number):
        return False
    rest = file_number[len(number):]
    return not rest or not rest[0].isdigit()


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else f'"{key}"'


_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def parse_date(text: str) -> dt.date | None:
    """Parse ``DD.MM.YYYY`` or ``YYYY-MM-DD``; ``None`` for anything else or an impossible date."""
    text = text.strip()
    match = _DOTTED.match(text)
    try:
        if match:
            return dt.date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
        match = _ISO.match(text)
        if match:
            return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None
    return None


def format_date(value: dt.date) -> str:
    """Dates in German documents: ``18.04.2023``."""
    return value.strftime("%d.%m.%Y")
