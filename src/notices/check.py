"""``notices check``: everything a build would complain about, without writing anything.

Runs in a process that renders nothing afterwards, so it may load the stylesheets with
WeasyPrint (a build must not: its render workers are forked after the checks).
"""

from __future__ import annotations

from pathlib import Path

from notices.build import FORMATS, check_templates, font_problems, table_problems, template_kinds
from notices.config import Workspace
from notices.errors import Problem
from notices.records import RecordResult, load_records
from notices.sessions import group_sessions


def check_workspace(workspace: Workspace, paths: list[Path] | None = None
                    ) -> tuple[list[Problem], list[RecordResult]]:
    """Problems of the templates and registry, and each record's result with its problems."""
    kinds = template_kinds(workspace)
    problems = check_templates(workspace, kinds, FORMATS)
    if not problems:
        from notices.packets import check_packet_templates
        from notices.render_pdf import PdfRenderer

        for kind in sorted(kinds):  # what WeasyPrint refuses in the stylesheets
            problems.extend(PdfRenderer(workspace.templates_dir, kind,
                                        variant=workspace.config.pdf_variant).setup_problems)
        problems.extend(check_packet_templates(workspace, stylesheets=True))
    results, request_problems = load_records(workspace, paths, known_kinds=kinds)
    for result in results:
        if result.ok:
            result.problems.extend(font_problems(workspace, result.notice))
            result.problems.extend(table_problems(result.notice))
    # Misspelt committees and doubled agenda items, before they spoil a packet.
    _, session_problems = group_sessions([r.notice for r in results if r.ok])
    by_path = {r.path: r for r in results}
    for problem in session_problems:
        by_path[problem.path].problems.append(problem)
    return problems + request_problems, results
