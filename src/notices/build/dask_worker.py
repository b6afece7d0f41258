"""What runs on a Dask worker: the render set-up kept once per worker, each record rendered
in an isolated renderer process under the per-record limits.

A worker has no workspace. The set-up (:class:`~notices.build.task.RenderSetup`: the
template set's bytes, the settings, the PDF variant) travels once per worker inside a
``WorkerPlugin`` whose name carries the set-up's digest; the scheduler keeps the plugin
and installs it on every worker that joins later or is restarted by its nanny, so
nothing depends on one worker's memory surviving. Tasks carry the record's bytes and
the files it names; results carry the outputs' bytes. Nothing is written outside the
process's private temporary folder (:func:`notices.render.runtime.prepare`).

Dask runs a task in a thread and can neither time it out nor stop it, so each worker
thread renders in a private one-process :class:`~notices.build.workers.WorkerPool`, the
local pool's own code: a record that overruns ``render_timeout_seconds``, exceeds
``render_memory_mb`` or crashes the renderer fails alone with the same words as with
``--jobs``, and the Dask worker lives on.
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from distributed import WorkerPlugin, get_worker

from notices.build.dask_cluster import LOCAL_WORKER_LOG, one_line

CLOSING = "the Dask worker was closed while rendering it"

INIT_ERROR_PREFIX = "the renderer could not start: "  # WorkerPool's wording
# Imported in the Dask worker before the renderer is forked, so that a renderer replaced
# after a crash, an overrun or WORKER_MAX_RECORDS records does not import them again.
RENDER_MODULES = ("notices.render.docx", "notices.render.pdf")


class _Renderer:
    """One worker thread's renderer: a one-process WorkerPool, started on first use."""

    def __init__(self, plugin: RenderPlugin):
        self.plugin = plugin
        self.pool = None
        self.relayed = 0  # how many of the pool's ready reports went back already
        self.closed = False

    def run(self, task) -> tuple[str, Any, list]:
        from notices.build.workers import TaskFailure, WorkerPool

        plugin = self.plugin
        if self.pool is None:
            if multiprocessing.current_process().daemon:
                return "init-error", INIT_ERROR_PREFIX + (
                    "this Dask worker may not start the renderer process; start the "
                    "workers with DASK_DISTRIBUTED__WORKER__DAEMON=False"), []
            try:
                _prepare_worker()
            except Exception as error:  # noqa: BLE001 - a worker without WeasyPrint, say
                return "init-error", INIT_ERROR_PREFIX + one_line(error), []
            if self.closed:
                return "failed", CLOSING, []
            self.pool = WorkerPool(1, plugin.function, initializer=plugin.initializer,
                                   initargs=plugin.initargs, timeout=plugin.timeout,
                                   memory_mb=plugin.memory_mb, max_tasks=plugin.max_tasks)
            self.relayed = 0
        pool = self.pool
        finished = list(pool.map_unordered([task]))
        if not finished:  # close() stopped the renderer from the worker's event loop
            return "failed", CLOSING, []
        (_, outcome), = finished
        reports = pool.ready_reports[self.relayed:]
        self.relayed = len(pool.ready_reports)
        if isinstance(outcome, TaskFailure):
            if outcome.reason.startswith(INIT_ERROR_PREFIX):
                self.pool = None  # it stopped itself; the next task tries afresh
                return "init-error", outcome.reason, reports
            return "failed", outcome.reason, reports
        return "ok", outcome, reports

    def close(self) -> None:
        """Stop the renderer now, also while a task waits for it (the worker is closing)."""
        self.closed = True
        if self.pool is not None:
            self.pool.terminate()


def _prepare_worker() -> None:
    """Make this Dask worker process ready to fork renderers (once; cheap after that)."""
    from notices.render import runtime

    # Fontconfig sees only the bundled fonts and temporary files go to a private
    # folder, before WeasyPrint is imported: the same as in the coordinator.
    runtime.prepare()
    for name in RENDER_MODULES:
        importlib.import_module(name)


class RenderPlugin(WorkerPlugin):
    """Carries the render set-up to every worker, once, and keeps each thread's renderer.

    ``setup()`` runs in the worker's event loop and therefore only keeps the payload; the
    expensive part (importing WeasyPrint, loading fonts, the warm-up render) runs lazily
    in the task's thread and the renderer process, where it cannot stall the worker's
    heartbeats.
    """

    idempotent = True

    def __init__(self, name: str, function: Callable, initializer: Callable, initargs: tuple,
                 *, timeout: float | None, memory_mb: int | None, max_tasks: int | None):
        self.name = name
        self.function, self.initializer, self.initargs = function, initializer, initargs
        self.timeout, self.memory_mb, self.max_tasks = timeout, memory_mb, max_tasks

    def setup(self, worker) -> None:
        self._lock = threading.Lock()
        self._renderers: dict[int, _Renderer] = {}

    def renderer(self) -> _Renderer:
        ident = threading.get_ident()
        with self._lock:
            renderer = self._renderers.get(ident)
            if renderer is None:
                renderer = self._renderers[ident] = _Renderer(self)
        return renderer

    def teardown(self, worker) -> None:
        with self._lock:
            renderers, self._renderers = list(self._renderers.values()), {}
        for renderer in renderers:
            with contextlib.suppress(Exception):
                renderer.close()


def run_on_worker(plugin_name: str, task) -> tuple[str, Any, list]:
    """The Dask task: render one task with this worker's set-up; (kind, payload, reports)."""
    worker = get_worker()
    plugin = worker.plugins.get(plugin_name)
    if plugin is None:  # the build was stopped, or a restarted scheduler lost its plugins
        raise RuntimeError(f"the Dask worker {worker.address} does not have this build's "
                           "templates (was the build stopped?)")
    return plugin.renderer().run(task)


def dask_setup(worker) -> None:
    """Preload hook, run in each worker process of a *local* cluster when it starts.

    A LocalCluster's nannies live in the coordinator and start replacement workers from
    there at any time: each worker process therefore ignores Ctrl-C (the coordinator
    handles it and stops them) and writes its output to the cluster's private log file,
    so that nothing reaches the user's terminal or a ``--json`` report on stdout.
    Workers started with ``dask worker`` are left alone (the variable is not set).
    """
    path = os.environ.get(LOCAL_WORKER_LOG)
    if not path:
        return
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.stdout.flush()
    sys.stderr.flush()
    target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(target, 1)
    os.dup2(target, 2)
    os.close(target)
