"""The command line: options in, one library call, a summary out.

``app`` holds the command group and what every command shares; the commands live in
``build`` (commands that write outputs) and ``inspect`` (commands that only read).
"""

from notices.cli import build as _build  # noqa: F401  (registers its commands)
from notices.cli import inspect as _inspect  # noqa: F401
from notices.cli.app import main

__all__ = ["main"]
