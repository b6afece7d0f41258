"""The build options, defined once and shared by every command that builds.

As sqlite-utils does: one decorator adds ``--format``, ``--force``, ``--jobs``,
``--dask``, ``--pdf-variant``, ``--quiet`` and ``--json`` to a command, and one function
turns them into a :class:`~notices.build.options.BuildOptions`.
"""

from __future__ import annotations

import re

import click

from notices.build.options import FORMATS, BuildOptions


def _formats(ctx, param, value: str) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(f.strip().lower() for f in value.split(",") if f.strip()))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise click.BadParameter(f"{', '.join(unknown) or value!r} is not a format "
                                 f"(choose from {', '.join(FORMATS)})")
    return tuple(f for f in FORMATS if f in chosen)


def _variant(ctx, param, value: str | None) -> str | None:
    from notices.settings import PDF_VARIANTS

    if value is not None and value not in PDF_VARIANTS:
        raise click.BadParameter(f"{value!r} is not supported (choose from "
                                 f"{', '.join(PDF_VARIANTS)})")
    return value


def _dask_address(ctx, param, value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if value != "local" and not re.fullmatch(r"([a-z][a-z0-9+.-]*://)?(\[[0-9a-fA-F:.]+\]|[^\s/:\[\]]+):\d+/?",
                                           value):
        raise click.BadParameter(f"{value!r} is not a Dask scheduler's address (expected "
                                 "'local' or one like tcp://host:8786)")
    return value


_OPTIONS = [
    click.option("--format", "formats", default="docx,pdf", show_default=True,
                 callback=_formats, help="Formats to render, comma-separated: docx, pdf."),
    click.option("--force", is_flag=True, help="Rebuild everything, and overwrite outputs "
                 "changed after they were built."),
    click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
                 help="Render in N processes [default: the number of CPUs]; with --dask "
                 "local, N Dask workers."),
    click.option("--dask", "dask", metavar="ADDRESS", default=None, callback=_dask_address,
                 help="Render on a Dask cluster: a scheduler's address (tcp://host:8786) "
                 "or 'local' for one on this machine. Needs: pip install 'notices[dask]'."),
    click.option("--pdf-variant", default=None, callback=_variant,
                 help="PDF variant, e.g. pdf/a-2a (default), pdf/a-3b, pdf/ua-1, none."),
    click.option("-q", "--quiet", is_flag=True, help="No progress and no summary; problems "
                 "only."),
    click.option("--json", "as_json", is_flag=True, help="Print a machine-readable report to "
                 "stdout."),
]


def build_options(command):
    """Add the shared build options to a command (they arrive as keyword arguments)."""
    for option in reversed(_OPTIONS):
        command = option(command)
    return command


def options_from(kwargs: dict, **extra) -> BuildOptions:
    """The :class:`BuildOptions` of a command's keyword arguments (removes them)."""
    dask, jobs = kwargs.pop("dask"), kwargs.pop("jobs")
    if dask not in (None, "local") and jobs is not None:
        raise click.UsageError("--jobs sets the number of processes on this machine (or of "
                               "workers with --dask local); a Dask cluster at an address has "
                               "the workers it was started with")
    return BuildOptions(formats=kwargs.pop("formats"), force=kwargs.pop("force"),
                        jobs=jobs, pdf_variant=kwargs.pop("pdf_variant"), dask=dask,
                        **extra)
