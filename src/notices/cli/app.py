"""The ``notices`` command group and what every command shares: one clean line per problem.

Output convention: listings and machine-readable reports go to stdout; problems,
progress and summaries go to stderr. Exit status: 0 success (warnings allowed), 1 a
record, template or registry problem, 2 bad usage, 130 interrupted.
"""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path

import click

from notices import __version__
from notices.errors import NoticesError, Problem

EXIT_PROBLEM, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130


class Context:
    """What every command gets: the workspace folder (``-C``) and ``--debug``."""

    def __init__(self, directory: Path, debug: bool):
        self.directory = directory
        self.debug = debug
        self._workspace = None

    def workspace(self):
        """The workspace, loaded once; its settings' warnings are shown once."""
        if self._workspace is None:
            from notices.workspace import open_workspace

            self._workspace = open_workspace(self.directory)
            for problem in self._workspace.settings.warnings:
                emit(problem)
        return self._workspace

    def paths(self, paths: tuple[str, ...]) -> list[Path] | None:
        """PATH arguments, relative to the workspace folder given with -C."""
        if not paths:
            return None
        # Made absolute here, so that nothing downstream joins DIR twice when DIR is
        # itself relative.
        base = self.directory.absolute()
        return [Path(p) if Path(p).is_absolute() else base / p for p in paths]


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def emit(problem: Problem | str) -> None:
    """One line on stderr (a problem's line escapes control characters in file names)."""
    click.echo(problem.format() if isinstance(problem, Problem) else problem, err=True)


def run_safely(context: Context, function):
    """Turn library errors into clean lines and exit codes; tracebacks only with --debug."""
    try:
        return function()
    except NoticesError as error:
        for problem in error.problems:
            emit(problem)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        emit("interrupted")
        sys.exit(EXIT_INTERRUPTED)
    except click.exceptions.Exit:
        raise
    except Exception as error:  # noqa: BLE001 - the last line of defence
        if context.debug:
            raise
        emit(f"notices: internal error: {type(error).__name__}: {error} "
             "(run with --debug for the traceback, and please report it)")
        sys.exit(EXIT_PROBLEM)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="notices")
@click.option("-C", "directory", type=click.Path(file_okay=False, path_type=Path),
              default=".", help="Run in this workspace folder instead of the current one.")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logging.")
@click.pass_context
def main(ctx: click.Context, directory: Path, debug: bool) -> None:
    """Render council papers (Mitteilungen) as editable Word files and archival PDFs.

    Records live under records/, templates under templates/, the offices registry in
    notices.toml; outputs are written to output/.
    """
    logging.basicConfig(level=logging.DEBUG if debug else logging.ERROR,
                        format="%(levelname)s %(name)s: %(message)s")
    # Past a file-size limit (ulimit -f) the kernel sends SIGXFSZ, which would kill us
    # mid-build; ignored, the write fails with EFBIG and is reported for its record.
    if hasattr(signal, "SIGXFSZ"):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    ctx.obj = Context(directory, debug)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.pass_obj
def init(context: Context, directory: Path) -> None:
    """Create a new workspace in DIRECTORY with the default templates and a seed notice."""
    from notices.scaffold import init_workspace

    target = directory if directory.is_absolute() else context.directory / directory
    run_safely(context, lambda: init_workspace(target))
    emit(f"created workspace {directory} (try: notices -C {directory} build)")
