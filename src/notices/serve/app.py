"""The desk as a Starlette application: routes, the page environment, errors as pages.

Starlette (the ASGI toolkit under sphinx-autobuild) gives routing, static files and
streaming responses and nothing more; the pages are Jinja2 templates with
autoescaping always on, so a record's text can never become markup. Every error,
expected or not, is a page in German with its message, never a traceback.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import os
from http import HTTPStatus
from pathlib import Path
from urllib.parse import quote

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    PlainTextResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from notices.serve import pages
from notices.serve.catalog import STATUS_LABELS
from notices.serve.desk import Desk
from notices.serve.forms import YES_NO_CHOICES, date_input
from notices.serve.live import event_stream, watch
from notices.serve.security import FormRefused, Guard, allowed_hosts, read_form
from notices.serve.yaml_edit import OutsideWorkspace, safe_path
from notices.source.fields import YES_NO
from notices.source.model import format_date, parse_date

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
OUTPUT_TYPES = {".pdf": "application/pdf",
                ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                ".png": "image/png", ".jpg": "image/jpeg"}
ERROR_TITLES = {400: "Ungültige Anfrage", 403: "Nicht erlaubt", 404: "Nicht gefunden",
                405: "Nicht erlaubt", 409: "Konflikt", 413: "Zu groß",
                415: "Falsches Format", 422: "Nicht lesbar", 500: "Interner Fehler"}
DEFAULT_MESSAGES = {404: "Diese Seite gibt es nicht.",
                    405: "Diese Seite nimmt diese Art von Anfrage nicht an."}


def create_app(root: Path, *, host: str = "127.0.0.1", port: int = 8000,
               allow_remote: bool = False, watch_files: bool = True) -> Starlette:
    """The desk over the workspace at ``root``, answering as ``host:port``."""
    desk = Desk(root)
    environment = _environment(desk)

    def render_page(template: str, status_code: int = 200, *, token: bool = True,
                    **context) -> HTMLResponse:
        context.setdefault("page", "")
        html = environment.get_template(template).render(
            csrf=desk.secret if token else "", **context)
        return HTMLResponse(html, status_code=status_code,
                            headers={"cache-control": "no-store"})

    def error_page(status_code: int, message: str, *, token: bool = True) -> HTMLResponse:
        return render_page("error.html", status_code, token=token,
                           title=ERROR_TITLES.get(status_code, "Fehler"), message=message)

    def refused_page(status_code: int, message: str) -> HTMLResponse:
        # What the guard refuses (a foreign host: perhaps a page whose DNS name was
        # re-bound to this machine) never carries the token that would let it post.
        return error_page(status_code, message, token=False)

    async def http_error(request: Request, error: HTTPException) -> Response:
        message = error.detail
        if message == HTTPStatus(error.status_code).phrase:  # Starlette's own, in English
            message = DEFAULT_MESSAGES.get(error.status_code, message)
        return error_page(error.status_code, message)

    async def refused(request: Request, error: FormRefused) -> Response:
        return error_page(error.status, error.message)

    async def internal(request: Request, error: Exception) -> Response:
        log.error("internal error on %s: %s: %s", request.url.path, type(error).__name__, error,
                  exc_info=log.isEnabledFor(logging.DEBUG))
        message = (f"Etwas ist schiefgegangen: {type(error).__name__}: {error}. Die Dateien "
                   "sind unverändert; versuchen Sie es noch einmal.")
        try:
            return error_page(500, message)
        except Exception:  # noqa: BLE001 - the page itself failed: plain text, still no trace
            return PlainTextResponse(message, status_code=500)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        desk.hub.bind(asyncio.get_running_loop())
        stop = asyncio.Event()
        watcher = asyncio.ensure_future(watch(desk.root, desk.files_changed, stop)) \
            if watch_files else None
        try:
            yield
        finally:
            stop.set()
            desk.stop()
            if watcher is not None:
                watcher.cancel()
                await asyncio.gather(watcher, return_exceptions=True)

    routes = [
        Route("/", pages.overview),
        Route("/vorschau/{path:path}", pages.preview),
        Route("/bearbeiten/{path:path}", pages.edit_page, methods=["GET"]),
        Route("/bearbeiten/{path:path}", pages.save, methods=["POST"]),
        Route("/neu", pages.new_page, methods=["GET"]),
        Route("/neu", pages.save, methods=["POST"]),
        Route("/markdown", pages.markdown_preview, methods=["POST"]),
        Route("/sitzung", _session, methods=["POST"]),
        Route("/ausgabe/{path:path}", _output),
        Route("/ereignisse", _events),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={
        HTTPException: http_error, FormRefused: refused, Exception: internal})
    app.state.desk = desk
    app.state.render = render_page
    hosts = allowed_hosts(host, port, allow_remote=allow_remote)
    return Guard(app, hosts=hosts, refuse=refused_page)


def _environment(desk: Desk) -> jinja2.Environment:
    environment = jinja2.Environment(
        # Text-direction controls in a record (which the documents never print) would
        # turn the page's own text around them too: shown without them.
        finalize=_without_direction_controls,
        loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    environment.filters["de_date"] = format_date
    # The form's base text travels as base64: browsers send a field's line ends as CRLF,
    # which would change the bytes its version is the hash of.
    environment.filters["base64"] = lambda text: base64.b64encode(text.encode()).decode()
    environment.globals.update(
        status_labels=STATUS_LABELS, yes_no_choices=YES_NO_CHOICES, date_input=date_input,
        yes_no_value=_yes_no_value, workspace_name=desk.root.name,
        packet_status=pages.PACKET_STATUS,
        url_preview=lambda path: "/vorschau/" + quote(path),
        url_edit=lambda path: "/bearbeiten/" + quote(path),
        url_output=lambda path: "/ausgabe/" + quote(path))
    return environment


def _without_direction_controls(value):
    from markupsafe import Markup

    from notices.source.textclean import DIRECTION_CONTROLS

    if not isinstance(value, str) or not DIRECTION_CONTROLS.search(value):
        return value
    cleaned = DIRECTION_CONTROLS.sub("", value)
    return Markup(cleaned) if isinstance(value, Markup) else cleaned  # safe stays safe


def _yes_no_value(value) -> str | None:
    if not isinstance(value, str):
        return None
    meaning = YES_NO.get(" ".join(value.casefold().split()))
    return value if meaning is None else ("ja" if meaning else "nein")


async def _output(request: Request) -> Response:
    """A file under output/ (a paper's PDF or Word file, a packet), nothing else."""
    desk: Desk = request.app.state.desk
    path = request.path_params["path"]
    suffix = os.path.splitext(path)[1].lower()
    parts = path.split("/")
    if suffix not in OUTPUT_TYPES or "\\" in path or path.startswith("/") or \
            any(p in ("", ".", "..") or p.startswith(".") for p in parts):
        raise HTTPException(404, "Diese Datei gibt es nicht.")
    output = Path(os.path.realpath(desk.workspace.output_dir))
    target = desk.workspace.output_dir.joinpath(*parts)
    real = Path(os.path.realpath(target))
    if not real.is_relative_to(output) or target.is_symlink() or not real.is_file():
        raise HTTPException(404, "Diese Datei gibt es nicht (noch nicht erstellt?).")
    inline = suffix != ".docx" and not request.query_params.get("herunterladen")
    return FileResponse(real, media_type=OUTPUT_TYPES[suffix], filename=parts[-1],
                        content_disposition_type="inline" if inline else "attachment",
                        headers={"cache-control": "no-cache"})


async def _events(request: Request) -> Response:
    desk: Desk = request.app.state.desk
    record = request.query_params.get("akte") or None
    if record is not None:
        try:
            if not record.startswith("records/") or not safe_path(desk.root, record).is_file():
                record = None
        except OutsideWorkspace:
            record = None
    return StreamingResponse(event_stream(desk.hub, record), media_type="text/event-stream",
                             headers={"cache-control": "no-store", "x-accel-buffering": "no"})


async def _session(request: Request) -> Response:
    """Build a session's packets, Einladung and Niederschrift (as ``notices session``)."""
    from notices.errors import NoticesError
    from notices.serve.builds import build_session

    desk: Desk = request.app.state.desk
    form = await read_form(request, desk.secret)
    committee, date = form.get("committee", ""), parse_date(form.get("date", ""))
    if not committee or date is None:
        raise HTTPException(400, "Die Sitzung ist nicht angegeben (Gremium und Datum).")
    future = desk.builder.submit(f"session:{committee}:{date}",
                                 lambda: build_session(desk.workspace, committee, date))
    label = f"{committee} am {format_date(date)}"
    try:
        report = await asyncio.wrap_future(future)
    except NoticesError as error:
        return request.app.state.render("packets.html", 422, label=label, packets=[],
                                        problems=error.problems, failed=True)
    desk.files_changed(set())
    log.info("built the documents of %s: %s", label, ", ".join(
        f"{p.status} output/{p.path}" for p in report.packets) or "none")
    for problem in report.problems:
        log.info("%s", problem.format())
    return request.app.state.render("packets.html", 200, label=label, packets=report.packets,
                                    problems=report.problems, failed=report.failed)
