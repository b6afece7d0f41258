"""``notices export oparl`` and ``notices export xdomea``: publish and hand over."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from notices.cli.app import EXIT_PROBLEM, EXIT_USAGE, Context, emit, main, run_safely

EXTRA_HINT = ("notices export needs the export extra: pip install 'notices[export]' "
              "(pypdfium2 reads the PDFs' text, tzdata the German time zone)")


def _require_extra() -> None:
    import zoneinfo

    try:
        import pypdfium2  # noqa: F401

        zoneinfo.ZoneInfo("Europe/Berlin")
    except (ImportError, zoneinfo.ZoneInfoNotFoundError):
        emit(EXTRA_HINT)
        sys.exit(EXIT_USAGE)


def _report(report, quiet: bool, as_json: bool) -> None:
    for problem in report.problems:
        emit(problem)
    if as_json:
        click.echo(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    if not quiet:
        emit(report.summary())
    sys.exit(EXIT_PROBLEM if report.failed else 0)


def _date(value: str | None, option: str):
    if value is None:
        return None
    from notices.errors import Problem, UsageError
    from notices.source.model import parse_date

    parsed = parse_date(value)
    if parsed is None:
        raise UsageError(Problem(option, f"{value!r} is not a valid date (expected "
                                 "DD.MM.YYYY or YYYY-MM-DD)"))
    return parsed


def _shared(function):
    """Options every export has."""
    function = click.option("--quiet", "-q", is_flag=True,
                            help="Print problems only, no summary.")(function)
    function = click.option("--json", "as_json", is_flag=True,
                            help="Print a report of what was written as JSON on stdout.")(
        function)
    return click.option(
        "--skip-stale", is_flag=True,
        help="Leave out papers whose outputs are not current (or whose records fail) "
             "instead of stopping; earlier exported files of theirs are removed.")(function)


@main.group()
def export() -> None:
    """Publish the public papers (OParl 1.1) or hand records to the archive (xdomea 3.0).

    Both read the records and the current outputs of the last build: run 'notices
    build' (and 'notices session' for the meetings' documents) first.
    """


@export.command("oparl")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--base-url", required=True, metavar="URL",
              help="Where DIRECTORY will be served, e.g. https://ris.example.de/oparl")
@click.option("--page-size", type=click.IntRange(1, 1000), default=100, show_default=True,
              help="Objects per page of a list.")
@_shared
@click.pass_obj
def oparl_command(context: Context, directory: Path, base_url: str, page_size: int,
                  skip_stale: bool, as_json: bool, quiet: bool) -> None:
    """Write a static OParl 1.1 tree of the public papers and meetings to DIRECTORY.

    Any static web server can serve it (every object's id ends in .json). Nothing
    non-public is written: no non-public paper, file or text, drafts never; a
    non-public agenda item appears only with its number.
    """
    from notices.export.run import export_oparl

    _require_extra()
    target = directory if directory.is_absolute() else context.directory / directory
    report = run_safely(context, lambda: export_oparl(
        context.workspace(), target, base_url, skip_stale=skip_stale, page_size=page_size))
    _report(report, quiet, as_json)


@export.command("xdomea")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--committee", metavar="NAME", help="Only this committee's meetings.")
@click.option("--from", "date_from", metavar="DATE", help="Only meetings on or after DATE.")
@click.option("--to", "date_to", metavar="DATE", help="Only meetings on or before DATE.")
@click.option("--archive", metavar="NAME", help="The receiving archive (Empfänger), e.g. "
              "'Stadtarchiv Bielefeld'.")
@click.option("--non-public-level", type=click.Choice(["002", "005"]), default="002",
              show_default=True, help="Vertraulichkeitsstufe of non-public records: 002 NfD "
              "or 005 Vertraulich (agree it with the archive).")
@_shared
@click.pass_obj
def xdomea_command(context: Context, directory: Path, committee, date_from, date_to,
                   archive, non_public_level, skip_stale, as_json, quiet) -> None:
    """Write one xdomea 3.0.0 Aussonderung (message 0503) as a zip into DIRECTORY.

    An Akte per committee and year, a Vorgang per meeting, a Dokument per paper,
    Einladung and Niederschrift, with the PDF/A files. Non-public records are
    included and marked (Vertraulichkeitsstufe, Bemerkung, Oeffentlich = false).
    """
    from notices.export.run import export_xdomea

    _require_extra()
    target = directory if directory.is_absolute() else context.directory / directory

    def go():
        return export_xdomea(context.workspace(), target, committee=committee,
                             date_from=_date(date_from, "--from"),
                             date_to=_date(date_to, "--to"), archive=archive,
                             nonpublic_code=non_public_level, skip_stale=skip_stale)

    _report(run_safely(context, go), quiet, as_json)
