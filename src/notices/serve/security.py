"""What keeps the desk safe although it has no login: it answers only its own pages.

- **Bound to 127.0.0.1** by default; another address needs ``--allow-remote``
  (:func:`check_bind`), since anyone who reaches the port can read and change records.
- **Host header** must name this server (``127.0.0.1:8000``, ``localhost:8000``), so a
  web page whose DNS name is re-bound to 127.0.0.1 cannot read the desk from the
  clerk's own browser.
- **State-changing requests** carry the server's secret (a CSRF token in every form,
  a header for scripts) and, if the browser says where they come from (``Origin``,
  ``Sec-Fetch-Site``), must come from the desk itself.
- **Headers**: a Content-Security-Policy without inline scripts, no sniffing, frames
  only from the desk itself, no referrer.
"""

from __future__ import annotations

import hmac
import ipaddress
import socket
from urllib.parse import parse_qsl

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
MAX_FORM_BYTES = 4 * 1024 * 1024  # a record is at most 1 MB; its form with the base twice
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; frame-src 'self'; object-src 'self'; form-action 'self'; "
       "frame-ancestors 'self'; base-uri 'none'")
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"referrer-policy", b"same-origin"),  # "no-referrer" makes forms send Origin: null
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class RemoteRefused(Exception):
    """Raised for a non-loopback address without ``--allow-remote``."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, *, allow_remote: bool) -> str | None:
    """A warning to show for ``host``, or :class:`RemoteRefused` if it needs the flag."""
    if is_loopback(host):
        return None
    if not allow_remote:
        raise RemoteRefused(host)
    return (f"warning: serving on {host}: notices serve has no login, so anyone who can reach "
            "this address can read every record (also non-public ones) and change them")


def allowed_hosts(host: str, port: int, *, allow_remote: bool) -> frozenset[str]:
    """The Host headers this server answers: its own names, each with the port."""
    names = {*LOOPBACK_NAMES}
    if not is_loopback(host):
        names.add(f"[{host}]" if ":" in host else host)
    if allow_remote and host in ("0.0.0.0", "::"):
        # Reached by the machine's own names and addresses, never by any name at all.
        names |= {socket.gethostname(), socket.getfqdn()}
        try:
            names |= {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None)}
        except OSError:
            pass
    return frozenset(f"{name}:{port}".lower() for name in names)


class Guard:
    """ASGI middleware: refuse foreign hosts and origins; add the security headers."""

    def __init__(self, app, *, hosts: frozenset[str], refuse):
        self.app = app
        self.hosts = hosts
        self.origins = frozenset(f"http://{h}" for h in hosts)
        self.refuse = refuse  # (status, message) -> an ASGI app showing the error page

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", ())}
        problem = self.problem(scope["method"], headers, scope.get("raw_path") or b"")

        started = False

        async def send_with_headers(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                present = {k.lower() for k, _ in message.get("headers", ())}
                message = dict(message)
                message["headers"] = list(message.get("headers", ())) + [
                    (k, v) for k, v in HEADERS if k not in present]
            await send(message)

        if problem is not None:
            return await self.refuse(*problem)(scope, receive, send_with_headers)
        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:  # noqa: BLE001 - shown as a page already; no traceback on stderr
            # Starlette re-raises after its error page so that servers can log it; the
            # desk has said it in one line (app.py), so it ends here.
            if not started:
                await self.refuse(500, "Etwas ist schiefgegangen.")(scope, receive,
                                                                   send_with_headers)

    def problem(self, method: str, headers: dict[str, str],
                raw_path: bytes = b"") -> tuple[int, str] | None:
        host = headers.get("host", "").lower()
        if host not in self.hosts:
            return 400, ("Diese Adresse gehört nicht zu diesem Schreibtisch. Öffnen Sie ihn "
                         "über http://127.0.0.1 oder http://localhost mit seinem Port.")
        # An encoded slash or backslash would be decoded into a path the routes then
        # take apart; the desk's own links never encode them, so such a path is nothing.
        if any(code in raw_path.lower() for code in (b"%2f", b"%5c")):
            return 404, "Diese Seite gibt es nicht."
        if method not in SAFE_METHODS:
            origin = headers.get("origin")
            if origin is not None and origin.lower() not in self.origins:
                return 403, "Die Anfrage kam von einer fremden Seite und wurde abgelehnt."
            if headers.get("sec-fetch-site") == "cross-site":
                return 403, "Die Anfrage kam von einer fremden Seite und wurde abgelehnt."
        return None


class FormRefused(Exception):
    """A form without this server's token, too large, or not a form at all."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


async def read_form(request, secret: str) -> dict[str, str]:
    """A submitted form (url-encoded, at most 4 MB), after checking its CSRF token.

    The forms carry no files, so the standard library parses them; the token comes in
    the field ``_csrf`` or, from the page's script, the header ``X-CSRF-Token``.
    """
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise FormRefused(413, "Das Formular ist zu groß.")
    if kind == "application/x-www-form-urlencoded":
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True,
                              max_num_fields=20_000)
        except (UnicodeDecodeError, ValueError):
            raise FormRefused(400, "Das Formular ließ sich nicht lesen.") from None
        form = dict(pairs)
    elif kind == "text/plain":
        form = {"text": body.decode("utf-8", errors="replace")}
    else:
        raise FormRefused(415, "Erwartet wird ein Formular.")
    token = form.pop("_csrf", None) or request.headers.get("x-csrf-token", "")
    if not hmac.compare_digest(token.encode(), secret.encode()):
        raise FormRefused(403, "Das Formular ist abgelaufen oder kam nicht von diesem "
                          "Schreibtisch (das Sicherheitsmerkmal fehlt). Laden Sie die Seite "
                          "neu und versuchen Sie es noch einmal.")
    return form
