"""``notices check``: what a build would complain about, and typographic slips; writes nothing.

Templates (filled with a probe notice; stylesheets loaded as WeasyPrint loads them;
packet covers), then every record (validated, its content checked as the renderers
would see it, its prose for typographic slips), then the sessions the records form
(misspelt committees, doubled agenda items). Runs in a process that renders nothing
afterwards, so it may load the stylesheets with WeasyPrint (a build must not: its
workers are forked after the checks).
"""

from __future__ import annotations

from pathlib import Path

from notices.build.options import FORMATS
from notices.template_set import TemplateSet
from notices.check.content import content_problems
from notices.check.templates import check_templates
from notices.check.typography import typography_problems
from notices.errors import Problem
from notices.source.paper import duplicate_paper_numbers
from notices.source.records import RecordLoader, RecordResult, load_records
from notices.workspace import Workspace


def check_workspace(workspace: Workspace, paths: list[Path] | None = None
                    ) -> tuple[list[Problem], list[RecordResult]]:
    """Problems of the templates and registry, and each record's result with its problems."""
    from notices.packets.cover import check_packet_templates
    from notices.render import runtime

    runtime.prepare()
    templates = TemplateSet.read(workspace.templates_dir)
    kinds = templates.kinds
    settings = workspace.settings
    problems = list(templates.problems)
    problems += [p for p in templates.declared_kinds()[1] if not p.is_error]
    problems += check_templates(templates, FORMATS, city=settings.city)
    if not any(p.is_error for p in problems):
        from notices.render.pdf import PdfRenderer

        for kind in sorted(kinds):  # what WeasyPrint refuses in the stylesheets
            problems.extend(PdfRenderer(templates, kind, city=settings.city,
                                        variant=settings.pdf_variant).setup_problems)
        problems.extend(check_packet_templates(templates, city=settings.city,
                                               variant=settings.pdf_variant, stylesheets=True))
    record_problems, results = check_records(workspace, templates, paths)
    return problems + record_problems, results


def check_records(workspace: Workspace, templates: TemplateSet, paths: list[Path] | None = None
                  ) -> tuple[list[Problem], list[RecordResult]]:
    """The records' half of :func:`check_workspace`: each record validated, its content
    checked, and the rules that span records (sessions, paper numbers, session records).

    ``notices serve`` runs this part on every change (the templates' half fills them
    with probes, which takes seconds); the problems are the same lines either way.
    """
    from notices.packets.sessions import group_sessions

    problems: list[Problem] = []
    loader = RecordLoader(workspace.settings, templates.declared_kinds()[0])
    results, request_problems = load_records(workspace.root, loader, paths)
    for result in results:
        if result.ok:
            result.problems.extend(content_problems(templates, result.notice))
            # Typography only here, not in the build: see check/typography.py.
            result.problems.extend(typography_problems(result.path, result.prose))
    # Misspelt committees and doubled agenda items, before they spoil a packet; paper
    # numbers used twice.
    # Checking some paths, the rules across records still see every record (the others
    # are read here, the requested ones are not read twice).
    everything = results
    if paths:
        from notices.source.discovery import discover_records

        have = {r.path for r in results}
        rest = [workspace.root / found.path for found in
                discover_records(workspace.root).records if found.path not in have]
        everything = results + (load_records(workspace.root, loader, rest)[0] if rest else [])
    _, session_problems = group_sessions([r.notice for r in everything if r.ok])
    session_problems += duplicate_paper_numbers((r.path, r.notice.paper_number)
                                                for r in everything if r.ok)
    session_problems += _meetings(workspace, [r.notice.summary() for r in everything if r.ok],
                                  problems)
    by_path = {r.path: r for r in results}
    others = {r.path for r in everything} - set(by_path)  # records not asked about
    for problem in session_problems:
        if problem.path in by_path:
            by_path[problem.path].problems.append(problem)
        elif problem.path not in others:
            problems.append(problem)
    return problems + request_problems, results


def _meetings(workspace: Workspace, summaries, problems: list[Problem]) -> list[Problem]:
    """The session records' own problems (into ``problems``), and their agendas' checks."""
    from notices.packets.agenda import check_meetings
    from notices.source.meeting import load_meetings

    meetings = load_meetings(workspace)
    for result in meetings:
        problems.extend(result.problems)
    return check_meetings([m.meeting for m in meetings if m.ok], summaries)[1]
