"""The only way WeasyPrint may read anything: files under the templates folder and the
images that a record names beside itself.

WeasyPrint's default fetcher follows ``file:``, ``http:`` and ``https:`` URLs wherever
they point. Record text is escaped before it reaches HTML, so it cannot add tags, but a
fetcher that refuses everything else is the layer that holds even if a template or a
future feature lets a URL through: no network access, no file outside the allowed set,
no attachment embedded from elsewhere.
"""

from __future__ import annotations

import logging
import mimetypes
import os
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from weasyprint.urls import URLFetcher, URLFetcherResponse

log = logging.getLogger(__name__)

MAX_RESOURCE_BYTES = 50 * 1024 * 1024


class RefusedResource(ValueError):
    """Raised (and logged by WeasyPrint as a warning) for any URL outside the allowed set."""


class WorkspaceFetcher(URLFetcher):
    """Serve ``file:`` URLs under ``roots`` or exactly in ``files``; refuse everything else.

    ``data:`` URLs are allowed because they read nothing; they can only come from a
    template, since record text is escaped.
    """

    def __init__(self, roots: list[Path], files: frozenset[Path] = frozenset()):
        super().__init__(allowed_protocols=("file", "data"), allow_redirects=False, timeout=1)
        self._roots = [Path(os.path.realpath(r)) for r in roots]
        self._files = frozenset(Path(os.path.realpath(f)) for f in files)
        self.refused: list[str] = []

    def with_files(self, files) -> WorkspaceFetcher:
        """A fetcher with the same roots that also serves these record images."""
        return WorkspaceFetcher(self._roots, frozenset(files))

    def fetch(self, url: str, headers=None):
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme != "file":
            return self._refuse(url, "only files of the workspace may be read")
        path = Path(os.path.realpath(url2pathname(urlsplit(url).path)))
        allowed = path in self._files or any(path.is_relative_to(r) for r in self._roots)
        if not allowed:
            return self._refuse(url, "outside the templates folder and the record's images")
        try:
            if path.stat().st_size > MAX_RESOURCE_BYTES:
                return self._refuse(url, "larger than 50 MB")
            body = path.read_bytes()
        except OSError as error:
            raise RefusedResource(f"cannot read {path.name}: {error.strerror}") from None
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), body, {"Content-Type": media_type})

    def _refuse(self, url: str, why: str):
        self.refused.append(url)
        raise RefusedResource(f"refused {url[:80]!r}: {why}")
