"""The command line: options in, one library call, a summary out.

Output convention: listings and machine-readable reports go to stdout; problems,
progress and summaries go to stderr. Exit status: 0 success (warnings allowed), 1 a
record, template or registry problem, 2 bad usage, 130 interrupted.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
from pathlib import Path

import click

from notices import __version__
from notices.errors import NoticesError, Problem

EXIT_PROBLEM, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130


class Context:
    def __init__(self, directory: Path, debug: bool):
        self.directory = directory
        self.debug = debug

    def workspace(self):
        from notices.config import open_workspace

        return open_workspace(self.directory)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def emit(problem: Problem | str) -> None:
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


def parse_paths(context: Context, paths: tuple[str, ...]) -> list[Path] | None:
    if not paths:
        return None
    # Relative to the workspace (-C DIR), made absolute here so that nothing downstream
    # joins DIR twice when DIR is itself relative.
    base = context.directory.absolute()
    return [Path(p) if Path(p).is_absolute() else base / p for p in paths]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="notices")
@click.option("-C", "directory", type=click.Path(file_okay=False, path_type=Path),
              default=".", help="Run in this workspace folder instead of the current one.")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logging.")
@click.pass_context
def main(ctx: click.Context, directory: Path, debug: bool) -> None:
    """Render council notices (Mitteilungen) as editable Word files and archival PDFs.

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
    from notices.workspace import init_workspace

    target = directory if directory.is_absolute() else context.directory / directory
    run_safely(context, lambda: init_workspace(target))
    emit(f"created workspace {directory} (try: notices -C {directory} build)")


def _formats(value: str) -> tuple[str, ...]:
    from notices.build import FORMATS

    chosen = tuple(dict.fromkeys(f.strip().lower() for f in value.split(",") if f.strip()))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise click.BadParameter(f"{', '.join(unknown) or value!r} is not a format "
                                 f"(choose from {', '.join(FORMATS)})")
    return tuple(f for f in FORMATS if f in chosen)


@main.command()
@click.argument("paths", nargs=-1)
@click.option("--format", "formats", default="docx,pdf", show_default=True,
              help="Formats to render, comma-separated: docx, pdf.")
@click.option("--force", is_flag=True,
              help="Rebuild everything, and overwrite outputs changed after they were built.")
@click.option("--prune", is_flag=True, help="Remove the outputs of records that were removed.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Render in N processes [default: the number of CPUs].")
@click.option("--pdf-variant", default=None,
              help="PDF variant, e.g. pdf/a-2a (default), pdf/a-3b, pdf/ua-1, none.")
@click.option("-q", "--quiet", is_flag=True, help="No progress and no summary; problems only.")
@click.option("--json", "as_json", is_flag=True,
              help="Print a machine-readable report of every record to stdout.")
@click.pass_obj
def build(context: Context, paths, formats, force, prune, jobs, pdf_variant, quiet, as_json):
    """Render records (default: all of records/) to output/, mirroring their paths."""
    from notices.build import BuildOptions, build as run_build
    from notices.config import PDF_VARIANTS
    from notices.progress import Progress
    from notices.fonts import fast_subsetter_available

    chosen = _formats(formats)
    if pdf_variant is not None and pdf_variant not in PDF_VARIANTS:
        raise click.BadParameter(f"{pdf_variant!r} is not supported (choose from "
                                 f"{', '.join(PDF_VARIANTS)})", param_hint="--pdf-variant")
    if "pdf" in chosen and not fast_subsetter_available():
        emit("warning: libharfbuzz-subset0 is not installed, so PDFs are several times slower "
             "and not byte-reproducible; install it (apt-get install libharfbuzz-subset0)")
    options = BuildOptions(formats=chosen, force=force, prune=prune, jobs=jobs,
                           pdf_variant=pdf_variant)
    progress = Progress(enabled=not quiet and sys.stderr.isatty())

    shown_once: set[str] = set()

    def on_record(record) -> None:
        with progress.paused():
            for problem in record.problems:
                line = problem.format()
                if problem.path.startswith("templates/"):  # the same for every record
                    if line in shown_once:
                        continue
                    shown_once.add(line)
                emit(line)
        progress.advance(record.status != "up to date")

    def go():
        workspace = context.workspace()
        return run_build(workspace, parse_paths(context, paths), options=options,
                         on_start=progress.start, on_record=on_record)

    report = run_safely(context, go)
    progress.finish()
    for problem in report.problems:
        emit(problem)
    if report.orphaned and not prune:
        emit(f"{len(report.orphaned)} outputs belong to records that no longer exist "
             "(remove them with --prune)")
    if as_json:
        click.echo(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    if not quiet:
        emit(report.summary())
    if report.interrupted:
        emit("interrupted; the next build continues where this one stopped")
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(EXIT_PROBLEM if report.failed else 0)


@main.command()
@click.argument("paths", nargs=-1)
@click.pass_obj
def check(context: Context, paths) -> None:
    """Validate records, the registry and the templates without rendering anything."""
    from notices.check import check_workspace

    def go():
        return check_workspace(context.workspace(), parse_paths(context, paths))

    problems, results = run_safely(context, go)
    for problem in problems:
        emit(problem)
    bad = 0
    for result in results:
        for problem in result.problems:
            emit(problem)
        bad += not result.ok
    emit(f"checked {plural(len(results), 'record')}: {bad} with errors")
    sys.exit(EXIT_PROBLEM if bad or any(p.is_error for p in problems) else 0)


@main.command()
@click.pass_obj
def verify(context: Context) -> None:
    """Check every file in output/ against the SHA-256 recorded when it was built."""
    from notices.verify import verify_outputs

    report = run_safely(context, lambda: verify_outputs(context.workspace().output_dir))
    for label, paths in (("missing", report.missing), ("changed", report.changed),
                         ("unknown", report.unknown)):
        for path in paths:
            click.echo(f"{label}\toutput/{path}")
    checked = len(report.ok) + len(report.missing) + len(report.changed)
    emit(f"verified {plural(checked, 'output')}: {len(report.ok)} intact, "
         f"{len(report.missing)} missing, {len(report.changed)} changed, "
         f"{len(report.unknown)} unknown")
    sys.exit(0 if report.clean else EXIT_PROBLEM)


@main.command("sessions")
@click.pass_obj
def sessions_command(context: Context) -> None:
    """List the sessions found in the records: date, committee, public and non-public notices."""
    from notices.packets import list_sessions
    from notices.records import format_date

    sessions, problems = run_safely(context, lambda: list_sessions(context.workspace()))
    for problem in problems:
        emit(problem)
    click.echo("date\tcommittee\tpublic\tnon-public")
    for session in sessions:
        click.echo(f"{format_date(session.key.date)}\t{session.key.committee}\t"
                   f"{len(session.public)}\t{len(session.non_public)}")
    sys.exit(EXIT_PROBLEM if any(p.is_error for p in problems) else 0)


@main.command("session")
@click.option("--committee", required=True, help="The committee, exactly as in the records.")
@click.option("--date", "date_text", required=True,
              help="The session date, DD.MM.YYYY or YYYY-MM-DD.")
@click.option("--format", "formats", default="docx,pdf", show_default=True,
              help="Formats to build, comma-separated: docx, pdf.")
@click.option("--force", is_flag=True, help="Rebuild the packets even if they are up to date.")
@click.pass_obj
def session_command(context: Context, committee: str, date_text: str, formats: str,
                    force: bool) -> None:
    """Build the packet (Sitzungsmappe) of one session under output/sessions/.

    The public packet holds the public notices; a separate packet holds the
    non-public ones, if the session has any.
    """
    from notices.build import BuildOptions
    from notices.packets import build_packets, parse_session_date

    chosen = _formats(formats)

    def go():
        workspace = context.workspace()
        date = parse_session_date(date_text)
        return build_packets(workspace, committee, date,
                             options=BuildOptions(formats=chosen), force=force)

    report = run_safely(context, go)
    for problem in report.problems:
        emit(problem)
    for packet in report.packets:
        emit(f"{packet.status}: output/{packet.path}")
    sys.exit(EXIT_PROBLEM if report.failed else 0)
