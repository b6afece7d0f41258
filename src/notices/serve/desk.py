"""The clerk's desk: one workspace open in the browser, and what the server knows of it.

A :class:`Desk` holds what is fixed while the server runs (the workspace folder, the
per-server secret for forms) and what changes with the files: the catalog (every paper
as ``check`` sees it), which records were built since they last changed, and the last
build of each. The watcher tells it what changed; it then rebuilds the records whose
preview is open and tells their pages (:mod:`notices.serve.live`).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
from pathlib import Path

from notices.errors import NoticesError, Problem
from notices.serve.builds import LOCKED, Builder, Outcome, build_record
from notices.serve.catalog import Catalog, make_catalog
from notices.serve.live import Hub
from notices.source.discovery import is_record_name
from notices.workspace import open_workspace

log = logging.getLogger(__name__)

BUILD_WAIT_SECONDS = 60  # a page waits this long for its record's build, then shows it


class Desk:
    """One workspace served to the browser."""

    def __init__(self, root: Path):
        self.workspace = open_workspace(root)
        self.root = self.workspace.root
        self.secret = secrets.token_urlsafe(32)  # the CSRF token of this server's forms
        self.builder = Builder()
        self.hub = Hub()
        self.outcomes: dict[str, Outcome] = {}  # record -> its last build
        self.fresh: set[str] = set()  # records built since they last changed
        self._changes: dict[str, int] = {}  # record -> how often it changed
        self._everything = 0  # how often templates or settings changed
        self._generation = 0
        self._catalog: tuple[int, Catalog] | None = None
        self._catalog_lock = threading.Lock()
        self._pages: dict[tuple, object] = {}
        self._pages_generation = -1

    # -- the catalog ------------------------------------------------------------------

    def catalog(self) -> Catalog:
        """The papers and sessions as they are now (made again after a change)."""
        with self._catalog_lock:
            generation = self._generation
            if self._catalog is None or self._catalog[0] != generation:
                self._catalog = (generation, make_catalog(self.workspace))
            return self._catalog[1]

    @property
    def generation(self) -> int:
        """Changes whenever a source changed or a build ended: what pages are made from."""
        return self._generation

    def page(self, key: tuple, make):
        """A page's response made once per generation (pages change only with the files;
        the overview under load costs a lookup instead of a render)."""
        if self._pages_generation != self._generation:
            self._pages.clear()
            self._pages_generation = self._generation
        found = self._pages.get(key)
        if found is None:
            found = make()
            if len(self._pages) < 512:
                self._pages[key] = found
        return found

    async def catalog_async(self) -> Catalog:
        cached = self._catalog
        if cached is not None and cached[0] == self._generation:
            return cached[1]
        return await asyncio.to_thread(self.catalog)

    # -- changes ----------------------------------------------------------------------

    def files_changed(self, paths: set[str]) -> None:
        """Files under records/, sessions/, templates/ or notices.toml changed (on the loop)."""
        self._generation += 1
        everything = any(p == "notices.toml" or p.startswith("templates/")
                         or (p.startswith("records/") and not is_record_name(p))
                         for p in paths)
        if "notices.toml" in paths:
            self._reload_settings()
        records = {p for p in paths if p.startswith("records/") and is_record_name(p)}
        if everything:
            self._everything += 1
            self.fresh.clear()
        for path in records:
            self._changes[path] = self._changes.get(path, 0) + 1
            self.fresh.discard(path)
        if paths:  # an empty set: output/ changed (a session's documents were built)
            log.info("changed: %s", ", ".join(sorted(paths)))
        self.hub.publish({"type": "changed", "paths": sorted(paths)})
        for record in sorted(self.hub.previewed):
            if everything or record in records:
                self.request_build(record)

    def _reload_settings(self) -> None:
        try:
            self.workspace = open_workspace(self.root)
        except NoticesError as error:
            # Keep serving with the settings that worked; the overview says why.
            for problem in error.problems:
                log.warning("%s", problem.format())

    # -- builds -----------------------------------------------------------------------

    def _stamp(self, path: str) -> tuple[int, int]:
        return self._everything, self._changes.get(path, 0)

    def request_build(self, path: str) -> asyncio.Future:
        """Build ``path`` soon (one build at a time); its pages hear when it is done."""
        loop = asyncio.get_running_loop()
        started = {}

        def job() -> Outcome:
            started["stamp"] = self._stamp(path)
            return build_record(self.workspace, path)

        future = asyncio.wrap_future(self.builder.submit(f"record:{path}", job), loop=loop)

        def done(finished: asyncio.Future) -> None:
            if finished.cancelled():
                return
            error = finished.exception()
            outcome = finished.result() if error is None else Outcome(
                path, "failed", [Problem(path, f"could not be built: {error}")])
            self.outcomes[path] = outcome
            if started.get("stamp") == self._stamp(path) and outcome.status != LOCKED:
                self.fresh.add(path)  # else it changed while building: built again soon
            self._generation += 1  # new outputs: the overview's links and statuses
            log.info("%s: %s", outcome.status, path)
            for problem in outcome.problems:
                log.info("%s", problem.format())
            self.hub.publish({"type": "built", "record": path, "status": outcome.status})

        future.add_done_callback(done)
        return future

    async def ensure_built(self, path: str) -> Outcome | None:
        """The record's last build, after building it if it changed since (or never was)."""
        if path in self.fresh and path in self.outcomes:
            return self.outcomes[path]
        future = self.request_build(path)
        try:
            await asyncio.wait_for(asyncio.shield(future), BUILD_WAIT_SECONDS)
        except asyncio.TimeoutError:
            return self.outcomes.get(path)
        except Exception:  # noqa: BLE001 - the outcome records it
            pass
        await asyncio.sleep(0)  # let the done callback store the outcome
        return self.outcomes.get(path)

    def saved(self, path: str) -> None:
        """A form saved ``path``: the same as an editor's save, without waiting for the
        watcher (an open preview rebuilds now; another is built when it is opened)."""
        self.files_changed({path})

    def stop(self) -> None:
        self.hub.close()
        self.builder.stop()

