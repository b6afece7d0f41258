"""Change values in a record's YAML as a clerk would by hand, and save it without losing edits.

A form changes a few values; everything else in the file must stay as the clerk left it:
comments, key order, blank lines, quotes, ``600.22`` unquoted, ``0521 513224``. ruamel.yaml's
round-trip mode keeps all that for the nodes we do not touch, so only the changed
values are replaced. Its indentation is one setting per dump, so the setting is chosen
that reproduces the file unchanged (``contact:\\n  name:`` and ``  - committee:`` are
the usual styles); a file that no setting reproduces is written in the closest one.

New values are written plain wherever YAML allows (``600.23``, ``2023-04-20``) and quoted
only where plain text would change meaning to YAML itself (``: `` inside, ``null``):
the record reader reads every scalar as text, so plain keeps them as the clerk typed.

Saving is atomic (a temporary file in the same folder, fsync, ``os.replace``) and
refuses to write over a file whose bytes are not the version the form was loaded from.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.scalarstring import LiteralScalarString

# (mapping indent, sequence indent, sequence dash offset), most usual first.
_INDENTS = ((2, 4, 2), (2, 2, 0), (4, 4, 2), (4, 6, 4), (4, 4, 0), (3, 3, 0))
_NULL_TAG = "tag:yaml.org,2002:null"
_STR_TAG = "tag:yaml.org,2002:str"


def version_of(data: bytes) -> str:
    """The version a form carries: the SHA-256 of the file's bytes as stored."""
    return hashlib.sha256(data).hexdigest()


class Plain(str):
    """A value to write plain where YAML allows it (the reader reads it as text anyway)."""


@dataclass
class RecordText:
    """A record's text in its parts: YAML (or front matter) and, for ``.md``, the body."""

    head: str  # the opening '---' line of a Markdown record, else ""
    yaml: str
    tail: str  # the closing '---' line and the Markdown body, else ""

    @classmethod
    def split(cls, text: str, *, markdown: bool) -> RecordText:
        """Split like :mod:`notices.source.decode` does; a broken front matter stays YAML."""
        if not markdown:
            return cls("", text, "")
        lines = text.splitlines(keepends=True)
        if lines and lines[0].strip() == "---":
            for index in range(1, len(lines)):
                if lines[index].strip() in ("---", "..."):
                    return cls(lines[0], "".join(lines[1:index]), "".join(lines[index:]))
        return cls("", text, "")

    @property
    def body(self) -> str | None:
        if not self.tail:
            return None
        return self.tail.split("\n", 1)[1] if "\n" in self.tail else ""

    def with_body(self, body: str) -> RecordText:
        closing = self.tail.split("\n", 1)[0] + "\n" if self.tail else "---\n"
        return RecordText(self.head or "---\n", self.yaml, closing + body)

    def join(self) -> str:
        return self.head + self.yaml + self.tail


class YamlDocument:
    """One record's YAML, loaded for round-trip editing; :meth:`dump` writes it back."""

    def __init__(self, text: str):
        self.yaml = _round_trip()
        self.data = self.yaml.load(text) if text.strip() else None
        if self.data is None:
            self.data = CommentedMap()
        if not isinstance(self.data, CommentedMap):
            raise ValueError("the record is not a mapping of fields")
        self._indent = _faithful_indent(text, self.data)

    def dump(self) -> str:
        self.yaml.indent(mapping=self._indent[0], sequence=self._indent[1],
                         offset=self._indent[2])
        out = io.StringIO()
        self.yaml.dump(self.data, out)
        return out.getvalue()

    # -- changes ----------------------------------------------------------------------

    def set(self, path: tuple, value, *, order: list[str] | None = None) -> None:
        """Set the value at ``path`` (keys and list indexes); create what is missing.

        ``value`` is text, None (the key stays, empty), or a new list/mapping of text.
        A new key goes after the last key that comes before it in ``order`` (the form's
        order of fields), so a new record reads like one written by ``notices new``.
        """
        parent = self._container(path[:-1], order)
        key = path[-1]
        new = _node(value)
        if isinstance(parent, CommentedSeq):
            while len(parent) <= key:
                parent.append(CommentedMap())
            parent[key] = new
            return
        if key in parent:
            if isinstance(new, LiteralScalarString):
                _move_end_comment_above(parent, key)
            parent[key] = new
            return
        parent.insert(_position(parent, key, order), key, new)

    def remove(self, path: tuple) -> None:
        """Remove a key or a list item (nothing if it is not there)."""
        parent = self._get(path[:-1])
        key = path[-1]
        if isinstance(parent, CommentedSeq) and isinstance(key, int) and key < len(parent):
            del parent[key]
        elif isinstance(parent, CommentedMap) and key in parent:
            del parent[key]

    def length(self, path: tuple) -> int:
        found = self._get(path)
        return len(found) if isinstance(found, CommentedSeq) else 0

    def _get(self, path: tuple):
        node = self.data
        for key in path:
            try:
                node = node[key]
            except (KeyError, IndexError, TypeError):
                return None
        return node

    def _container(self, path: tuple, order):
        node = self.data
        for depth, key in enumerate(path):
            nested_list = isinstance(path[depth + 1] if depth + 1 < len(path) else None, int)
            child = None
            try:
                child = node[key]
            except (KeyError, IndexError, TypeError):
                pass
            if not isinstance(child, (CommentedMap, CommentedSeq)):
                child = CommentedSeq() if nested_list else CommentedMap()
                if isinstance(node, CommentedSeq):
                    while len(node) <= key:
                        node.append(CommentedMap())
                    node[key] = child
                elif key in node:
                    node[key] = child
                else:
                    node.insert(_position(node, key, order if depth == 0 else None), key,
                                child)
            node = child
        return node


def _round_trip() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 1_000_000  # never fold a long subject onto two lines
    resolver = yaml.resolver

    def represent_plain(representer, data):
        tag = resolver.resolve(ScalarNode, str(data), (True, False))
        if tag == _NULL_TAG or not str(data):
            tag = _STR_TAG  # 'null' or '~' typed as text must stay text: quote it
        return representer.represent_scalar(tag, str(data))

    yaml.representer.add_representer(Plain, represent_plain)
    return yaml


def _faithful_indent(text: str, data) -> tuple[int, int, int]:
    """The indentation setting that writes ``text`` back unchanged (or the usual one)."""
    if not any(isinstance(v, (CommentedMap, CommentedSeq)) for v in data.values()):
        return _INDENTS[0]
    for indent in _INDENTS:
        yaml = _round_trip()
        yaml.indent(mapping=indent[0], sequence=indent[1], offset=indent[2])
        out = io.StringIO()
        yaml.dump(yaml.load(text), out)
        if out.getvalue() == text:
            return indent
    return _INDENTS[0]


def _node(value):
    if value is None:
        return None
    if isinstance(value, dict):
        mapping = CommentedMap()
        for key, item in value.items():
            if item is not None:
                mapping[key] = _node(item)
        return mapping
    if isinstance(value, (list, tuple)):
        return CommentedSeq(_node(item) for item in value)
    text = str(value)
    if "\n" in text.rstrip("\n"):
        return LiteralScalarString(text.rstrip("\n") + "\n")
    return Plain(text)


def _position(mapping: CommentedMap, key: str, order: list[str] | None) -> int:
    keys = list(mapping.keys())
    if not order or key not in order:
        return len(keys)
    before = order[:order.index(key)]
    positions = [keys.index(k) for k in before if k in keys]
    return max(positions) + 1 if positions else 0


def _move_end_comment_above(mapping: CommentedMap, key: str) -> None:
    """A ``# label`` after an empty value cannot stay beside a ``|`` block: put it above."""
    entry = mapping.ca.items.get(key)
    if not entry or len(entry) < 3 or entry[2] is None:
        return
    comment = entry[2].value.strip()
    entry[2] = None
    if comment.startswith("#"):
        mapping.yaml_set_comment_before_after_key(key, before=comment[1:].strip())


# -- saving ---------------------------------------------------------------------------


class Conflict(Exception):
    """The file changed on disk since the form was loaded; ``current`` is what is there now."""

    def __init__(self, current: bytes | None):
        super().__init__("the file was changed since it was loaded")
        self.current = current


class OutsideWorkspace(Exception):
    """A path that is not a record file inside ``records/`` or ``sessions/``."""


def save_text(root: Path, relative: str, text: str, *, version: str | None) -> bytes:
    """Write ``text`` to ``root/relative`` atomically, if the file is still at ``version``.

    ``version`` None means a new file: it must not exist. Returns the bytes written.
    Raises :class:`Conflict` when the file is not (or no longer) the version the form
    was loaded from, :class:`OutsideWorkspace` for a path outside records/ and sessions/.
    """
    target = safe_path(root, relative)
    data = text.encode("utf-8")
    if version is None:
        target.parent.mkdir(parents=True, exist_ok=True)
    current = _current(target)
    if version is None and current is not None or \
            version is not None and (current is None or version_of(current) != version):
        raise Conflict(current)
    descriptor, temporary = tempfile.mkstemp(prefix=".notices-", suffix=".tmp",
                                             dir=target.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if current is not None:
            os.chmod(temporary, os.stat(target).st_mode & 0o777)
        else:
            os.chmod(temporary, 0o644)
        # Checked once more right before the rename: an editor may have saved meanwhile.
        again = _current(target)
        if again != current:
            raise Conflict(again)
        if version is None:
            os.link(temporary, target)  # fails if the file appeared meanwhile
            os.unlink(temporary)
        else:
            os.replace(temporary, target)
    except FileExistsError:
        os.unlink(temporary)
        raise Conflict(_current(target)) from None
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
    return data


def _current(path: Path) -> bytes | None:
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return None
    with os.fdopen(descriptor, "rb") as handle:
        return handle.read()


EDITABLE_FOLDERS = ("records", "sessions")
RECORD_SUFFIXES = (".yaml", ".yml", ".md")


def safe_path(root: Path, relative: str) -> Path:
    """``root/relative`` if it names a record file inside records/ or sessions/.

    Refused: absolute paths, ``..``, backslashes, empty or hidden parts, control
    characters, other suffixes, and anything whose real path (links resolved) leaves
    its folder. The file itself need not exist yet, its folder must.
    """
    if not relative or "\\" in relative or relative.startswith("/") or \
            any(ord(c) < 32 or ord(c) == 127 for c in relative):
        raise OutsideWorkspace(relative)
    parts = relative.split("/")
    if len(parts) < 2 or parts[0] not in EDITABLE_FOLDERS or \
            any(part in ("", ".", "..") or part.startswith((".", "_")) for part in parts):
        raise OutsideWorkspace(relative)
    if not parts[-1].lower().endswith(RECORD_SUFFIXES):
        raise OutsideWorkspace(relative)
    folder = Path(os.path.realpath(root / parts[0]))
    target = root.joinpath(*parts)
    real_parent = Path(os.path.realpath(target.parent))
    if not real_parent.is_relative_to(folder) or \
            (os.path.lexists(target) and (target.is_symlink() or not target.is_file())):
        raise OutsideWorkspace(relative)
    return real_parent / parts[-1]
