"""``notices check``, ``verify`` and ``sessions``: commands that read and report only."""

from __future__ import annotations

import sys

import click

from notices.cli.app import EXIT_PROBLEM, Context, emit, main, plural, run_safely


@main.command()
@click.argument("paths", nargs=-1)
@click.pass_obj
def check(context: Context, paths) -> None:
    """Validate records, the registry and the templates without rendering anything."""
    from notices.check import check_workspace

    def go():
        return check_workspace(context.workspace(), context.paths(paths))

    problems, results = run_safely(context, go)
    for problem in problems:
        emit(problem)
    bad = 0
    for result in results:
        for problem in result.problems:
            emit(problem)
        bad += not result.ok
    others = sum(p.is_error for p in problems)
    # Errors outside the records (session records, templates, notices.toml) are counted
    # too, so that a summary never reads clean above an exit status of 1.
    emit(f"checked {plural(len(results), 'record')}: {bad} with errors"
         + (f"; {plural(others, 'other error')} above" if others else ""))
    sys.exit(EXIT_PROBLEM if bad or any(p.is_error for p in problems) else 0)


@main.command()
@click.pass_obj
def verify(context: Context) -> None:
    """Check every file in output/ against the SHA-256 recorded when it was built."""
    from notices.verify import verify_outputs

    report = run_safely(context, lambda: verify_outputs(context.workspace().output_dir))
    for label, paths in (("missing", report.missing), ("changed", report.changed),
                         ("damaged", report.damaged), ("unknown", report.unknown)):
        for path in paths:
            click.echo(f"{label}\toutput/{path}")
    checked = len(report.ok) + len(report.missing) + len(report.changed) + len(report.damaged)
    emit(f"verified {plural(checked, 'output')}: {len(report.ok)} intact, "
         f"{len(report.missing)} missing, {len(report.changed)} changed, "
         f"{len(report.damaged)} damaged, {len(report.unknown)} unknown")
    sys.exit(0 if report.clean else EXIT_PROBLEM)


@main.command("sessions")
@click.pass_obj
def sessions_command(context: Context) -> None:
    """List the sessions: date, committee, papers, drafts, session record and minutes."""
    from notices.packets.build import list_sessions
    from notices.source.model import format_date

    sessions, problems = run_safely(context, lambda: list_sessions(context.workspace()))
    for problem in problems:
        emit(problem)
    click.echo("date\tcommittee\tpublic\tnon-public\tdrafts\trecord\tminutes")
    for session, meeting in sessions:
        record = meeting.path if meeting else "-"
        minutes = "-" if meeting is None else ("yes" if meeting.minutes else "no")
        click.echo(f"{format_date(session.key.date)}\t{session.key.committee}\t"
                   f"{len(session.public)}\t{len(session.non_public)}\t{len(session.drafts)}\t"
                   f"{record}\t{minutes}")
    sys.exit(EXIT_PROBLEM if any(p.is_error for p in problems) else 0)
