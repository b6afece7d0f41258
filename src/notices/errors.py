"""Problems found in records, templates and the registry, and the exceptions that carry them.

Problems are values until the edge: the library collects :class:`Problem` objects
(file, line, field, message) and the CLI prints each as one line. Exceptions exist
for the cases where work cannot go on; they carry the same problems.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

# Characters that would break a message's one line or forge another (a newline in a file
# name), or reorder it on a terminal: shown as escapes.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` on one line: controls and direction marks shown as ``\\n``, ``\\u202e``."""
    def escape(match: re.Match) -> str:
        char = match.group(0)
        return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(
            char, f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")

    return _UNPRINTABLE.sub(escape, text)


class Severity(str, Enum):
    """Whether a problem stops a record (error) or only deserves attention (warning)."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input, precise enough for a clerk to find and fix it.

    ``path`` is relative to the workspace (``records/2023/x.yaml``); ``line`` and
    ``column`` are 1-based where known; ``field`` is the dotted record field
    (``session.date``) where one applies.
    """

    path: str
    message: str
    field: str | None = None
    line: int | None = None
    column: int | None = None
    severity: Severity = Severity.ERROR

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def format(self) -> str:
        """The one-line form: ``records/x.yaml:12: session.date: what is wrong``."""
        location = self.path
        if self.line is not None:
            location += f":{self.line}"
            if self.column is not None and self.field is None:
                location += f":{self.column}"
        parts = [location]
        if self.severity is Severity.WARNING:
            parts.append("warning")
        if self.field:
            parts.append(self.field)
        parts.append(self.message)
        return printable(": ".join(parts))

    def __str__(self) -> str:
        return self.format()


class NoticesError(Exception):
    """Base of every error that the CLI reports as clean lines rather than a traceback."""

    exit_code = 1

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(path="notices", message=problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems)
        super().__init__("\n".join(p.format() for p in self.problems))


class WorkspaceError(NoticesError):
    """Raised when the workspace itself is unusable: no ``notices.toml``, a bad path."""


class ConfigError(NoticesError):
    """Raised when ``notices.toml`` (settings or the offices registry) is invalid."""


class RecordError(NoticesError):
    """Raised when a record cannot be read or fails validation."""


class TemplateError(NoticesError):
    """Raised when a template cannot be loaded or fails to render."""


class RenderError(NoticesError):
    """Raised when WeasyPrint or the Word writer fails on otherwise valid input."""


class BuildLockedError(NoticesError):
    """Raised when another build already holds the output folder's lock."""


class UsageError(NoticesError):
    """Raised for a bad request from the caller (unknown format, path outside records/)."""

    exit_code = 2


class ClusterError(NoticesError):
    """Raised when the Dask cluster of ``--dask`` cannot be used; one line for the user."""


class ClusterUnavailable(ClusterError):
    """Raised before rendering: Dask not installed, no scheduler, no workers, other versions."""


class ClusterLost(ClusterError):
    """Raised while rendering when the cluster goes away; what was written stays valid."""
