"""``notices kinds`` and ``notices new``: the kinds of paper, and a new record of one."""

from __future__ import annotations

import json
import sys

import click

from notices.cli.app import EXIT_PROBLEM, Context, emit, main, run_safely


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the kinds as JSON to stdout.")
@click.pass_obj
def kinds(context: Context, as_json: bool) -> None:
    """List the kinds of paper of this workspace and their fields: what a record holds."""
    from notices.source.paper import COMMON_HELP
    from notices.template_set import TemplateSet

    def go():
        return TemplateSet.read(context.workspace().templates_dir).declared_kinds()

    declared, problems = run_safely(context, go)
    for problem in problems:
        emit(problem)
    if as_json:
        click.echo(json.dumps({name: {
            "label": kind.label, "description": kind.description, "schema": kind.source,
            "fields": [_field_json(spec) for spec in kind.fields]}
            for name, kind in sorted(declared.items())}, indent=2, ensure_ascii=False))
    else:
        click.echo("Every kind has the common fields: " + ", ".join(COMMON_HELP) + ".")
        for name, kind in sorted(declared.items()):
            click.echo(f"\n{name}: {kind.label} ({kind.source})")
            for spec in kind.fields:
                _print_field(spec, "  ")
    sys.exit(EXIT_PROBLEM if any(p.is_error for p in problems) else 0)


def _print_field(spec, indent: str) -> None:
    required = "required" if spec.required else "optional"
    click.echo(f"{indent}{spec.name:<14} {spec.label} — {spec.type_label}, {required}")
    inner = spec.items.properties if spec.items is not None else spec.properties
    for prop in inner:
        _print_field(prop, indent + "    ")


def _field_json(spec) -> dict:
    inner = spec.items.properties if spec.items is not None else spec.properties
    return {"name": spec.name, "label": spec.label, "help": spec.help, "type": spec.type,
            "format": spec.format, "required": spec.required,
            "fields": [_field_json(prop) for prop in inner]}


@main.command()
@click.argument("kind")
@click.option("--office", required=True, help="The issuing office, as in notices.toml.")
@click.pass_obj
def new(context: Context, kind: str, office: str) -> None:
    """Write a new record of KIND under records/<year>/, every field ready to fill in."""
    from notices.new_record import new_record

    def go():
        workspace = context.workspace()
        return workspace.relative(new_record(workspace, kind, office))

    path = run_safely(context, go)
    click.echo(path)
    emit(f"created {path}: fill in its fields, then 'notices check {path}' lists what is "
         "still missing")
