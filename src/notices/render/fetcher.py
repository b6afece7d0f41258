"""The only way WeasyPrint may read anything: the template files and the pictures a record
names beside itself, both served from memory (as the command read them).

WeasyPrint's default fetcher follows ``file:``, ``http:`` and ``https:`` URLs wherever
they point. Record text is escaped before it reaches HTML, so it cannot add tags, but a
fetcher that refuses everything else is the layer that holds even if a template or a
future feature lets a URL through: no network access, no file outside the allowed set,
no attachment embedded from elsewhere.
"""

from __future__ import annotations

import logging
import mimetypes
import posixpath
from urllib.parse import unquote, urlsplit

from notices.render.runtime import import_weasyprint

import_weasyprint()  # its libraries found quickly (see there)
from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: E402

log = logging.getLogger(__name__)

MAX_RESOURCE_BYTES = 50 * 1024 * 1024


class RefusedResource(ValueError):
    """Raised (and logged by WeasyPrint as a warning) for any URL outside the allowed set."""


TEMPLATES_URL = "file:///notices-templates/"  # where the template files appear to WeasyPrint


def shown_urls(message: str) -> str:
    """A WeasyPrint message with our internal addresses as the clerk knows them."""
    return message.replace(TEMPLATES_URL, "templates/").replace(
        "file:///notices-record-files/", "")


class WorkspaceFetcher(URLFetcher):
    """Serve the template files and the given pictures from memory; refuse everything else.

    ``data:`` URLs are allowed because they read nothing; they can only come from a
    template, since record text is escaped.
    """

    def __init__(self, templates, pictures: dict[str, tuple[bytes, str]] | None = None):
        super().__init__(allowed_protocols=("file", "data"), allow_redirects=False, timeout=1)
        self._templates = templates
        self._pictures = pictures or {}
        self.refused: list[str] = []

    def with_pictures(self, pictures) -> WorkspaceFetcher:
        """A fetcher with the same templates that also serves these pictures (``blocks.Image``)."""
        return WorkspaceFetcher(self._templates,
                                {p.url: (p.data, p.media_type) for p in pictures})

    def fetch(self, url: str, headers=None):
        if url in self._pictures:
            data, media_type = self._pictures[url]
            return URLFetcherResponse(url, data, {"Content-Type": media_type})
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if not url.startswith(TEMPLATES_URL):
            return self._refuse(url, "only the templates and the record's pictures may be read")
        name = posixpath.normpath(unquote(urlsplit(url).path)[len("/notices-templates/"):])
        data = self._templates.files.get(name)
        if data is None or name.startswith(("../", "/")):
            raise RefusedResource(f"templates/{name} does not exist")
        if len(data) > MAX_RESOURCE_BYTES:
            return self._refuse(url, "larger than 50 MB")
        media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, data, {"Content-Type": media_type})

    def _refuse(self, url: str, why: str):
        self.refused.append(url)
        raise RefusedResource(f"refused {url[:80]!r}: {why}")
