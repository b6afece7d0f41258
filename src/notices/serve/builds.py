"""Builds for the browser: one at a time, off the event loop, through the one build.

Every render goes through :func:`notices.build.build` (or ``notices session``'s
:func:`~notices.packets.build.build_packets`), so the preview shows exactly what
``notices build`` writes, into the same ``output/`` with the same state. The output
folder has one writer at a time (its lock); the jobs therefore run on one thread, in
order, and a request for a record that is already waiting joins that job instead of
queueing a second. The thread is a daemon: Ctrl-C does not wait for a long render (the
build is made to survive being stopped at any point, and its workers die with us).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

from notices.errors import BuildLockedError, NoticesError, Problem

log = logging.getLogger(__name__)
LOCKED = "locked"  # another build (notices build in a terminal) held output/


@dataclass
class Outcome:
    """What the last build of one record did, as the preview reports it."""

    path: str
    status: str  # built, up to date, kept, failed
    problems: list[Problem] = field(default_factory=list)
    version: str | None = None  # the record's version the build read
    finished: float = field(default_factory=time.time)  # when the build ended


class Builder:
    """A queue of build jobs, run one after the other on a thread of their own."""

    def __init__(self):
        self._jobs: queue.Queue = queue.Queue()
        self._waiting: dict[str, Future] = {}  # key -> a job not yet started
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="notices-builds", daemon=True)
        self._thread.start()
        self.busy = False

    def submit(self, key: str, job: Callable[[], object]) -> Future:
        """Run ``job`` after those before it; a job with the same key still waiting is
        reused (its result will hold the changes made until it starts)."""
        with self._lock:
            waiting = self._waiting.get(key)
            if waiting is not None:
                return waiting
            future: Future = Future()
            self._waiting[key] = future
        self._jobs.put((key, job, future))
        return future

    def stop(self) -> None:
        """Cancel the jobs still waiting and end the thread after the running one."""
        with self._lock:
            for future in self._waiting.values():
                future.cancel()
            self._waiting.clear()
        self._jobs.put(None)

    def _run(self) -> None:
        while True:
            item = self._jobs.get()
            if item is None:
                return
            key, job, future = item
            with self._lock:
                self._waiting.pop(key, None)
            if not future.set_running_or_notify_cancel():
                continue
            self.busy = True
            try:
                future.set_result(job())
            except NoticesError as error:
                future.set_exception(error)
            except BaseException as error:  # noqa: BLE001 - reported on the page, not lost
                log.debug("build job %s failed", key, exc_info=True)
                future.set_exception(error)
            finally:
                self.busy = False


def build_record(workspace, path: str) -> Outcome:
    """Bring one record's outputs up to date, as ``notices build PATH`` does."""
    from notices.build import build
    from notices.build.options import BuildOptions
    from notices.serve.yaml_edit import version_of
    from notices.source.discovery import output_stem_for as record_stem

    try:
        version = version_of((workspace.root / path).read_bytes())
    except OSError:
        version = None
    try:
        report = build(workspace, [workspace.root / path], options=BuildOptions())
    except BuildLockedError as error:
        return Outcome(path, LOCKED, list(error.problems), version)
    except NoticesError as error:
        return Outcome(path, "failed", list(error.problems), version)
    record = next((r for r in report.records if r.path == path), None)
    stem = record_stem(path)
    # The build also checks the rules across records; the preview shows this record's.
    problems = [p for p in list(report.problems) + (list(record.problems) if record else [])
                if p.path == path or p.path.startswith(("templates/", f"output/{stem}."))
                or p.path == "output"]
    status = record.status if record else ("failed" if report.failed else "up to date")
    return Outcome(path, status, problems, version)


def build_session(workspace, committee: str, date):
    """A session's packets and documents, as ``notices session`` builds them."""
    from notices.build.options import BuildOptions
    from notices.packets.build import build_packets

    return build_packets(workspace, committee, date, options=BuildOptions())
