"""The desk's pages: Übersicht, Vorschau, Bearbeiten and Neu, and what their forms do.

Each handler reads what it needs from the :class:`~notices.serve.desk.Desk` and renders
one template; the work is in the library (catalog, editing, yaml_edit), so a page is
what ``check``, ``build`` and ``new`` would say, shown in the browser.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import difflib
import os
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from notices.errors import NoticesError
from notices.serve.builds import LOCKED
from notices.serve.editing import (
    apply_form,
    both_changed,
    check_text,
    open_draft,
    place_problems,
)
from notices.serve.forms import change_list, read_form
from notices.serve.security import read_form as read_checked_form
from notices.serve.yaml_edit import Conflict, OutsideWorkspace, safe_path, save_text, version_of

PACKET_STATUS = {"built": "erstellt", "up to date": "aktuell", "kept": "behalten (von Hand "
                 "geändert)", "removed": "entfernt"}


def render(request: Request, template: str, status_code: int = 200, **context) -> HTMLResponse:
    return request.app.state.render(template, status_code, **context)


def desk_of(request: Request):
    return request.app.state.desk


def record_of(request: Request) -> str:
    """The record path of the URL, if it names a record under records/ (404 otherwise)."""
    path = request.path_params["path"]
    desk = desk_of(request)
    try:
        target = safe_path(desk.root, path)
    except OutsideWorkspace:
        raise HTTPException(404, "Diese Vorlage gibt es nicht.") from None
    if not path.startswith("records/") or not target.is_file():
        raise HTTPException(404, f"Die Vorlage {path} gibt es nicht.")
    return path


def _cached(request: Request, key: tuple, make) -> Response:
    status, body = desk_of(request).page(key, lambda: _body(make()))
    return HTMLResponse(body, status_code=status, headers={"cache-control": "no-store"})


def _body(response: HTMLResponse) -> tuple[int, bytes]:
    return response.status_code, response.body


async def overview(request: Request) -> Response:
    desk = desk_of(request)
    catalog = await desk.catalog_async()
    return _cached(request, ("overview", str(request.query_params)),
                   lambda: _overview(request, desk, catalog))


def _overview(request: Request, desk, catalog) -> Response:
    query = request.query_params
    filters = {"kind": query.get("art", ""), "committee": query.get("gremium", ""),
               "date": query.get("datum", ""), "status": query.get("status", "")}
    papers = catalog.filtered(**filters)
    outputs = {p.path: _outputs(desk, p.stem) for p in papers}
    filters["any"] = any(filters.values())
    return render(request, "overview.html", page="overview", catalog=catalog, papers=papers,
                  filters=filters, outputs=outputs)


def _outputs(desk, stem: str) -> dict[str, bool]:
    return {fmt: os.path.isfile(desk.workspace.output_dir / f"{stem}.{fmt}")
            for fmt in ("pdf", "docx")}


async def preview(request: Request) -> Response:
    desk = desk_of(request)
    path = record_of(request)
    outcome = await desk.ensure_built(path)
    catalog = await desk.catalog_async()
    paper = catalog.paper(path)
    if paper is None:
        raise HTTPException(404, f"{path} ist keine Vorlage (siehe Übersicht).")
    fresh = path in desk.fresh
    return _cached(request, ("preview", path, fresh, id(outcome)),
                   lambda: _preview(request, desk, paper, outcome, fresh))


def _preview(request: Request, desk, paper, outcome, fresh: bool) -> Response:
    pdf = desk.workspace.output_dir / f"{paper.stem}.pdf"
    problems = list(paper.problems)
    if outcome is not None:
        problems += [p for p in outcome.problems if p not in problems]
    return render(request, "preview.html", paper=paper, problems=problems,
                  pdf=pdf.is_file(), pdf_version=_mtime(pdf),
                  docx=(desk.workspace.output_dir / f"{paper.stem}.docx").is_file(),
                  build_status=_build_status(outcome, fresh))


def _mtime(path) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return 0


def _build_status(outcome, fresh: bool) -> str:
    if outcome is None:
        return "Die Vorlage wird erstellt …"
    time = dt.datetime.fromtimestamp(outcome.finished).strftime("%H:%M:%S")
    if outcome.status == LOCKED:
        return (f"Stand {time}: nicht erstellt, weil gerade ein anderer Build in output/ "
                "schreibt (notices build in einem Terminal?); beim nächsten Öffnen oder "
                "Speichern wird sie erstellt.")
    if outcome.status == "failed":
        return (f"Stand {time}: nicht erstellt (siehe Probleme); die PDF-Datei unten ist die "
                "letzte, die sich erstellen ließ.")
    if outcome.status == "kept":
        return (f"Stand {time}: eine Ausgabe wurde von Hand geändert und bleibt, wie sie ist "
                "(notices build --force überschreibt sie).")
    if not fresh:
        return "Die Vorlage wurde geändert und wird neu erstellt …"
    return f"Stand {time}: aktuell, so wie notices build sie schreibt."


# -- editing -----------------------------------------------------------------------


async def edit_page(request: Request) -> Response:
    desk = desk_of(request)
    path = record_of(request)
    data = (desk.root / path).read_bytes()
    catalog = await desk.catalog_async()
    draft = open_draft(path, data.decode("utf-8", errors="replace"), version_of(data),
                       catalog.kinds, desk.workspace.settings.offices)
    paper = catalog.paper(path)
    draft.problems = list(paper.problems) if paper else []
    notice = "Gespeichert." if request.query_params.get("gespeichert") else None
    taken = request.query_params.get("vergeben")
    if notice and taken:
        notice += (f" Die Drucksachen-Nr. {taken} war inzwischen vergeben; diese Vorlage hat "
                   "die nächste freie erhalten.")
    return _edit(request, draft, notice=notice)


def _edit(request: Request, draft, *, notice: str | None = None, status_code: int = 200
          ) -> HTMLResponse:
    placed, _ = place_problems(draft.fields, draft.problems)
    action = "/neu" if draft.is_new else f"/bearbeiten/{draft.path}"
    return render(request, "edit.html", status_code, page="new" if draft.is_new else "",
                  draft=draft, placed=placed, notice=notice, action=action)


async def new_page(request: Request) -> Response:
    desk = desk_of(request)
    catalog = await desk.catalog_async()
    kind, office = request.query_params.get("art"), request.query_params.get("amt")
    if not kind:
        return render(request, "new.html", page="new", kinds=catalog.kinds,
                      offices=sorted(desk.workspace.settings.offices),
                      year=dt.date.today().year)
    draft = _new_draft(desk, catalog, kind, office or "")
    return _edit(request, draft)


def _new_draft(desk, catalog, kind: str, office: str):
    from notices.new_record import plan_new_record

    try:
        planned = plan_new_record(desk.workspace, kind, office)
    except NoticesError as error:
        raise HTTPException(400, error.problems[0].message) from None
    return open_draft(desk.workspace.relative(planned.path), planned.text, "", catalog.kinds,
                      desk.workspace.settings.offices)


async def save(request: Request) -> Response:
    """Bearbeiten and Neu: check, add or remove a list item, merge, or save."""
    desk = desk_of(request)
    form = await read_checked_form(request, desk.secret)
    catalog = await desk.catalog_async()
    version = form.get("_version", "")
    try:
        base = base64.b64decode(form.get("_base", ""), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        base = None
    if base is None or version and version_of(base.encode("utf-8")) != version:
        raise HTTPException(400, "Das Formular wurde verändert; laden Sie die Seite neu.")
    if "path" in request.path_params:
        path = record_of(request)
        draft = open_draft(path, base, version, catalog.kinds, desk.workspace.settings.offices)
    else:
        # A new record: named now (the next free number), filled from the form.
        offices = desk.workspace.settings.offices
        office = form.get("office") if form.get("office") in offices else next(iter(offices), "")
        planned = _new_draft(desk, catalog, form.get("_kind", ""), office)
        draft = open_draft(planned.path, base or planned.base, "", catalog.kinds, offices)
    if draft.yaml_problems:
        return _edit(request, draft, status_code=422)
    values = read_form(draft.fields, form)
    action = form.get("_aktion", "save")
    taken = None
    if "path" not in request.path_params:
        # Two "Neu" forms opened together were given the same next number; the one
        # saved second gets the number that is free now, rather than a duplicate.
        number = values.get("paper_number")
        if number and planned.values.get("paper_number") != number and any(
                p.paper_number == number for p in catalog.papers):
            taken, values["paper_number"] = number, planned.values.get("paper_number")
    if action.startswith(("add:", "remove:")):
        return _edit(request, _shown(draft, change_list(draft.fields, action, values)))
    if action == "merge":
        return await _merge(request, draft, values)
    text = apply_form(draft, values)
    others = [(p.path, p.paper_number) for p in catalog.papers]
    problems = await _check(desk, draft.path, text, catalog, others)
    if action == "check":
        shown = _shown(draft, values)
        shown.problems = problems
        return _edit(request, shown, notice="Geprüft, nicht gespeichert.")
    try:
        await _save(desk, draft.path, text, draft.version or None)
    except Conflict as conflict:
        return _conflict(request, draft, form, text, conflict.current)
    except OutsideWorkspace:
        raise HTTPException(403, "Hier darf nichts gespeichert werden.") from None
    desk.saved(draft.path)
    suffix = f"&vergeben={quote(taken)}" if taken else ""
    return RedirectResponse(f"/bearbeiten/{draft.path}?gespeichert=1{suffix}",
                            status_code=303)


def _shown(draft, values):
    """The draft showing the form's values (not saved; the base stays what was loaded)."""
    draft.values = values
    return draft


async def _check(desk, path, text, catalog, others):
    import asyncio

    return await asyncio.to_thread(check_text, desk.workspace, path, text, catalog.kinds,
                                   catalog.templates, others)


async def _save(desk, path: str, text: str, version: str | None) -> None:
    import asyncio

    await asyncio.to_thread(save_text, desk.root, path, text, version=version)


def _conflict(request: Request, draft, form: dict, yours: str, current: bytes | None
              ) -> HTMLResponse:
    theirs = current.decode("utf-8", errors="replace") if current is not None else ""
    diff = list(difflib.unified_diff(theirs.splitlines(), yours.splitlines(),
                                     "auf der Festplatte", "Ihre Fassung", lineterm=""))[2:]
    kept = {k: v for k, v in form.items() if k != "_aktion"}
    return render(request, "conflict.html", 409, path=draft.path, theirs=theirs, yours=yours,
                  diff=diff, form=kept, missing=current is None,
                  action="/neu" if draft.is_new else f"/bearbeiten/{draft.path}")


async def _merge(request: Request, draft, values) -> Response:
    """The form again: the file as it is now, with this form's changes written into it."""
    desk = desk_of(request)
    target = desk.root / draft.path
    try:
        current = target.read_bytes()
    except OSError:
        raise HTTPException(409, "Die Datei gibt es nicht mehr; legen Sie sie neu an.") from None
    text = current.decode("utf-8", errors="replace")
    merged = apply_form(draft, values, onto=text)
    catalog = await desk.catalog_async()
    shown = open_draft(draft.path, text, version_of(current), catalog.kinds,
                       desk.workspace.settings.offices)
    mine = open_draft(draft.path, merged, "", catalog.kinds, desk.workspace.settings.offices)
    both = both_changed(draft, values, shown)  # before shown shows the merged values
    shown.values = mine.values
    shown.problems = both + await _check(desk, draft.path, merged, catalog,
                                         [(p.path, p.paper_number) for p in catalog.papers])
    notice = ("Ihre Änderungen stehen jetzt in der neuen Fassung. Prüfen Sie das Formular "
              "und speichern Sie.")
    if both:
        notice += (f" {len(both)} Feld(er) wurden in beiden Fassungen geändert; dort steht "
                   "Ihr Wert, der andere ist am Feld genannt.")
    return _edit(request, shown, notice=notice)


async def markdown_preview(request: Request) -> Response:
    """The facts (or any Markdown field) as they will read, for the form's live preview."""
    from notices.render.html import facts_to_html
    from notices.source.markdown import parse_markdown

    form = await read_checked_form(request, desk_of(request).secret)
    document, _ = parse_markdown(form.get("text", "")[:1_000_000])
    return HTMLResponse(str(facts_to_html(document)))
