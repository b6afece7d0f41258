"""``notices serve``: the clerk's desk in the browser, on this machine only.

The pages (Übersicht, Vorschau, Bearbeiten, Neu) are served by Starlette on uvicorn,
and watchfiles tells them when a record or template was saved: the stack of
sphinx-autobuild. Everything a page shows or writes goes through the library (the
record loader, ``check``, the one build, ``notices new``'s record), so the browser is
another way to do what the commands do, never a second implementation of it.

Module map: ``app`` (routes, errors), ``pages`` (the pages and their forms), ``desk``
(the open workspace: catalog, builds, changes), ``catalog`` (what the overview lists),
``builds`` (one build at a time, off the event loop), ``live`` (watcher, server-sent
events), ``forms`` (a kind's schema as a form), ``editing`` (a form applied and checked),
``yaml_edit`` (round-trip YAML, atomic saves), ``security`` (hosts, origins, tokens,
headers).
"""

from __future__ import annotations

import importlib.util
import logging
import socket
import threading
import time
import webbrowser
from pathlib import Path

from notices.errors import Problem, UsageError

# The serve extra (pip install 'notices[serve]'): module -> package.
EXTRA_MODULES = {"starlette": "starlette", "uvicorn": "uvicorn", "watchfiles": "watchfiles"}
GRACEFUL_SECONDS = 2  # open event streams are closed after this on Ctrl-C

log = logging.getLogger(__name__)


def missing_packages() -> list[str]:
    """The packages of the serve extra that are not installed."""
    return [package for module, package in EXTRA_MODULES.items()
            if importlib.util.find_spec(module) is None]


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: any free port); :class:`UsageError`
    when it is taken or the address is not this machine's."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as error:
        sock.close()
        reason = "is in use (choose another with --port)" if error.errno == 98 else \
            f"cannot be used ({error.strerror})"
        raise UsageError(Problem("--port" if error.errno == 98 else "--host",
                                 f"{host}:{port} {reason}")) from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = "127.0.0.1" if host == "0.0.0.0" else (f"[{host}]" if ":" in host else host)
    return f"http://{shown}:{port}/"


def serve(root: Path, sock: socket.socket, *, allow_remote: bool = False,
          open_browser: bool = True) -> None:
    """Serve the desk over the workspace at ``root`` on ``sock`` until Ctrl-C."""
    import uvicorn

    from notices.serve.app import create_app

    host, port = sock.getsockname()[:2]
    app = create_app(root, host=host, port=port, allow_remote=allow_remote)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on",
                            timeout_graceful_shutdown=GRACEFUL_SECONDS, server_header=False,
                            timeout_keep_alive=30)
    server = uvicorn.Server(config)
    if open_browser:
        threading.Thread(target=_open_when_ready, args=(server, url_of(sock)),
                         daemon=True).start()
    server.run(sockets=[sock])


def _open_when_ready(server, url: str) -> None:
    for _ in range(200):
        if server.started:
            webbrowser.open(url)
            return
        time.sleep(0.05)
