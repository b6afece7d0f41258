"""``notices build`` and ``notices session``: the commands that write into ``output/``."""

from __future__ import annotations

import json
import sys

import click

from notices.cli.app import EXIT_INTERRUPTED, EXIT_PROBLEM, Context, emit, main, run_safely
from notices.cli.options import build_options, options_from
from notices.cli.progress import Progress


def _warn_slow_pdfs(formats) -> None:
    from notices.render.fonts import fast_subsetter_available

    if "pdf" in formats and not fast_subsetter_available():
        emit("warning: libharfbuzz-subset0 is not installed, so PDFs are several times slower "
             "and not byte-reproducible; install it (apt-get install libharfbuzz-subset0)")


class _RecordLines:
    """Prints each record's problems as it finishes; a template's problem only once."""

    def __init__(self, progress: Progress):
        self.progress = progress
        self.shown_once: set[str] = set()

    def __call__(self, record) -> None:
        for problem in record.problems:
            line = problem.format()
            if problem.path.startswith("templates/"):  # the same for every record
                if line in self.shown_once:
                    continue
                self.shown_once.add(line)
            self.progress.echo(line)
        if record.status != "up to date":
            self.progress.advance()


@main.command()
@click.argument("paths", nargs=-1)
@build_options
@click.option("--prune", is_flag=True, help="Remove the outputs of records that were removed.")
@click.pass_obj
def build(context: Context, paths, prune, quiet, as_json, **kwargs):
    """Render records (default: all of records/) to output/, mirroring their paths."""
    from notices.build import build as run_build

    options = options_from(kwargs, prune=prune)
    _warn_slow_pdfs(options.formats)
    progress = Progress(enabled=not quiet and not as_json)
    lines = _RecordLines(progress)

    def go():
        return run_build(context.workspace(), context.paths(paths), options=options,
                         on_start=progress.start, on_record=lines)

    try:
        report = run_safely(context, go)
    finally:
        progress.finish()
    for problem in report.problems:
        emit(problem)
    if report.orphaned and not prune:
        emit(f"{len(report.orphaned)} outputs belong to records that no longer exist "
             "(remove them with --prune)")
    if as_json:
        click.echo(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    if not quiet:
        for note in report.notes:
            emit(note)
        emit(report.summary())
    if report.interrupted:
        emit("interrupted; the next build continues where this one stopped")
        sys.exit(EXIT_INTERRUPTED)
    if report.stopped is not None:
        emit(report.stopped)
        emit("stopped; the next build continues where this one stopped")
    sys.exit(EXIT_PROBLEM if report.failed else 0)


@main.command("session")
@click.option("--committee", required=True, help="The committee, exactly as in the records.")
@click.option("--date", "date_text", required=True,
              help="The session date, DD.MM.YYYY or YYYY-MM-DD.")
@build_options
@click.pass_obj
def session_command(context: Context, committee: str, date_text: str, quiet, as_json,
                    **kwargs) -> None:
    """Build the packet (Sitzungsmappe) of one session under output/sessions/.

    The session's papers are brought up to date first. The public packet holds the
    public papers; a separate packet holds the non-public ones, if the session has any.
    """
    from notices.packets.build import build_packets, parse_session_date

    options = options_from(kwargs)
    _warn_slow_pdfs(options.formats)

    def go():
        workspace = context.workspace()
        return build_packets(workspace, committee, parse_session_date(date_text),
                             options=options)

    report = run_safely(context, go)
    for problem in report.problems:
        emit(problem)
    if as_json:
        click.echo(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    if not quiet:
        for note in report.notes:
            emit(note)
        for packet in report.packets:
            emit(f"{packet.status}: output/{packet.path}")
    if report.build is not None and report.build.interrupted:
        emit("interrupted; no packet was written")
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(EXIT_PROBLEM if report.failed else 0)
