"""``notices serve``: the desk in the browser (Übersicht, Vorschau, Bearbeiten, Neu)."""

from __future__ import annotations

import logging
import sys

import click

from notices.cli.app import EXIT_USAGE, Context, emit, main, run_safely


class _Lines(logging.Handler):
    """The desk's progress as plain lines on stderr (changes, builds, their problems)."""

    def emit(self, record: logging.LogRecord) -> None:
        emit(record.getMessage())


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; another than 127.0.0.1 needs --allow-remote.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--no-browser", is_flag=True, help="Do not open the browser.")
@click.option("--allow-remote", is_flag=True, help="Allow an address other machines can "
              "reach. There is no login: anyone who reaches it can read and change records.")
@click.pass_obj
def serve(context: Context, host: str, port: int, no_browser: bool, allow_remote: bool) -> None:
    """Open the workspace in the browser: overview, live preview, forms to edit and add
    papers. Stops with Ctrl-C (exit status 130, as every command that is interrupted)."""
    from notices.serve import bind, missing_packages, url_of
    from notices.serve import serve as run_server
    from notices.serve.security import RemoteRefused, check_bind

    missing = missing_packages()
    if missing:
        emit(f"notices serve needs {', '.join(missing)}: pip install 'notices[serve]'")
        sys.exit(EXIT_USAGE)
    try:
        warning = check_bind(host, allow_remote=allow_remote)
    except RemoteRefused:
        emit(f"--host: {host} can be reached from other machines, and notices serve has no "
             "login; add --allow-remote if that is what you want")
        sys.exit(EXIT_USAGE)
    if warning:
        emit(warning)
    workspace = run_safely(context, context.workspace)
    sock = run_safely(context, lambda: bind(host, port))
    handler = _Lines()
    logger = logging.getLogger("notices.serve")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if context.debug else logging.INFO)
    logger.propagate = context.debug
    emit(f"serving {workspace.root} at {url_of(sock)} (Ctrl-C stops)")
    run_safely(context, lambda: run_server(workspace.root, sock, allow_remote=allow_remote,
                                           open_browser=not no_browser))
    emit("stopped")
