"""The command line: options in, one library call, a summary out.

``app`` holds the command group and what every command shares; the commands live in
``build`` (commands that write outputs), ``inspect`` (commands that only read) and
``kinds`` (the kinds of paper, and a new record of one), ``export`` (OParl and
xdomea) and ``serve`` (the desk in the browser).
"""

from notices.cli import build as _build  # noqa: F401  (registers its commands)
from notices.cli import export as _export  # noqa: F401
from notices.cli import inspect as _inspect  # noqa: F401
from notices.cli import kinds as _kinds  # noqa: F401
from notices.cli import serve as _serve  # noqa: F401
from notices.cli.app import main

__all__ = ["main"]
