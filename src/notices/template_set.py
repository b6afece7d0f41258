"""The templates folder, read once: its files, its kinds, and what each output reads.

A command reads ``templates/`` once into a :class:`TemplateSet` and every renderer
works from those bytes in memory (Jinja loads them, the PDF renderer's fetcher serves
them, the Word renderer unzips them): so the outputs are rendered from exactly the
bytes their keys were computed from, even if the city saves a template during a long
re-render, and a worker on another machine needs no shared file system.

What each format reads decides its key (:meth:`TemplateSet.digest_for`): a PDF reads
its kind's HTML and CSS and everything shared (fonts, partials), a Word file its kind's
``.docx`` and the fonts (which draw its SVG pictures). Restyling ``mitteilung.docx`` in
Word therefore rebuilds no PDF, and a CSS change rebuilds no Word file.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from notices.errors import Problem, Severity

# The templates of the meeting's own documents; every other <name>.html is a kind of paper.
DOCUMENT_TEMPLATES = ("sitzungsmappe", "einladung", "niederschrift")
# Shared by the meeting's documents only (einladung.css and niederschrift.css import it):
# restyling the Einladung must not re-render every paper of the archive.
DOCUMENT_SHARED = ("meeting",)
PACKET_TEMPLATE = "sitzungsmappe"
MAX_TEMPLATE_FILE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class TemplateSet:
    """The bytes of every file under ``templates/``, keyed by their relative path."""

    files: dict[str, bytes]
    problems: tuple[Problem, ...] = ()
    _digests: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def read(cls, templates_dir: Path) -> TemplateSet:
        """Read every regular file under ``templates_dir`` (links must stay inside it)."""
        root = Path(os.path.realpath(templates_dir))
        files: dict[str, bytes] = {}
        problems: list[Problem] = []
        for dirpath, dirnames, filenames in os.walk(templates_dir, followlinks=False):
            dirnames.sort()
            for name in sorted(filenames):
                path = Path(dirpath) / name
                relative = path.relative_to(templates_dir).as_posix()
                real = Path(os.path.realpath(path))
                if not real.is_relative_to(root) or not real.is_file():
                    problems.append(Problem(f"templates/{relative}", "skipped: not a file "
                                            "inside templates/", severity=Severity.WARNING))
                    continue
                if real.stat().st_size > MAX_TEMPLATE_FILE_BYTES:
                    problems.append(Problem(f"templates/{relative}", "skipped: larger than "
                                            f"{MAX_TEMPLATE_FILE_BYTES // 2**20} MB",
                                            severity=Severity.WARNING))
                    continue
                files[relative] = real.read_bytes()
        return cls(files, tuple(problems))

    @property
    def kinds(self) -> frozenset[str]:
        """The kinds of paper there are templates or a schema for (``mitteilung``, …)."""
        names = set()
        for name in self.files:
            if "/" in name or name.startswith(("_", ".")):
                continue
            for suffix in (".schema.yaml", ".html"):
                if name.endswith(suffix) and name[:-len(suffix)] not in DOCUMENT_TEMPLATES:
                    names.add(name[:-len(suffix)])
        return frozenset(names)

    @property
    def digest(self) -> str:
        """One hash for the whole set: how a worker knows it already has these templates."""
        if "*" not in self._digests:
            self._digests["*"] = self._digest_of(self.files)
        return self._digests["*"]

    def digest_for(self, name: str, fmt: str) -> str:
        """Hash of the files that output ``fmt`` of template ``name`` reads."""
        key = f"{name}\0{fmt}"
        if key not in self._digests:
            self._digests[key] = self._digest_of(
                {path: data for path, data in self.files.items()
                 if self._reads(name, fmt, path)})
        return self._digests[key]

    def _reads(self, name: str, fmt: str, path: str) -> bool:
        if "/" in path:  # fonts/ and sub-folders: shared by every PDF; the fonts also
            # draw the Word files' SVG pictures (their PNG fallback, render/docx/svg_raster)
            return fmt == "pdf" or (path.startswith("fonts/") and fmt == "docx")
        stem = path.split(".", 1)[0]
        if stem != name and stem in (self.kinds | set(DOCUMENT_TEMPLATES)):
            return False  # another kind's or document's own files
        if stem in DOCUMENT_SHARED and name not in DOCUMENT_TEMPLATES:
            return False
        if fmt == "docx":
            return path in (f"{name}.docx", f"{name}.schema.yaml")
        return not path.lower().endswith(".docx")

    @staticmethod
    def _digest_of(files: dict[str, bytes]) -> str:
        digest = hashlib.sha256()
        for path in sorted(files):
            digest.update(f"{path}\0{hashlib.sha256(files[path]).hexdigest()}\n".encode())
        return digest.hexdigest()

    def __reduce__(self):
        # What is cached (kinds, a compiled environment) is made again on the other side.
        return (TemplateSet, (self.files, self.problems))

    def declared_kinds(self):
        """The kinds (``templates/<kind>.schema.yaml``) and the problems of their schemas.

        Read once per set: every record of a build is validated against them.
        """
        from notices.source.kinds import load_kinds

        return self.cached("kinds", lambda: load_kinds(self))

    def cached(self, key: str, make):
        """What ``make()`` returns, made once per set (kinds, a compiled environment)."""
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def text(self, name: str) -> str | None:
        """A template file as text (UTF-8, a byte-order mark allowed), or None if missing."""
        data = self.files.get(name)
        return None if data is None else data.decode("utf-8-sig", errors="replace")

    def font_files(self) -> dict[str, bytes]:
        """The fonts under ``fonts/``: the only fonts a PDF may use besides the bundled."""
        return {path: data for path, data in self.files.items()
                if path.startswith("fonts/") and path.lower().endswith((".ttf", ".otf"))}
