"""A small process pool that can kill one stuck task without losing the others.

``concurrent.futures`` cannot stop a single task: a record whose layout runs away (a
table thousands of pages long) would hold its worker forever, and a crash in a native
library takes the whole executor down. Here each worker runs one task at a time; the
parent waits with a deadline, and a worker that overruns, dies or runs out of memory is
replaced and its task reported as failed. Workers ignore SIGINT so that Ctrl-C stops
the build from the parent, cleanly and without tracebacks from the children.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
import traceback
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any
from collections.abc import Callable, Iterable, Iterator


@dataclass
class TaskFailure:
    """Returned in place of a result when a task's worker failed."""

    task: Any
    reason: str


_PARENT_ENDS: list = []  # the parent's ends of every worker pipe (closed in children)


def _die_with_parent() -> None:
    """Ask Linux to kill this worker when the build process dies (even by kill -9)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: workers still exit when their pipe closes


EXIT_MEMORY = 113  # a worker that ran out of its memory limit exits with this


def _worker_main(connection, initializer, initargs, function, memory_mb):
    """A worker's life; every way out is an exit code, never a traceback on stderr."""
    try:
        _serve(connection, initializer, initargs, function, memory_mb)
    except MemoryError:
        _try_send(connection, ("memory", None))
        os._exit(EXIT_MEMORY)
    except BaseException:  # noqa: BLE001 - a broken pipe, a dying parent: just go
        os._exit(1)
    os._exit(0)


def _try_send(connection, message) -> None:
    try:
        connection.send(message)
    except BaseException:  # noqa: BLE001
        pass


def _serve(connection, initializer, initargs, function, memory_mb):
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    # A forked child inherits the parent's ends of all pipes; holding them open would
    # keep it from ever seeing EOF when the parent goes away.
    for end in _PARENT_ENDS:
        try:
            end.close()
        except OSError:
            pass
    try:
        state = initializer(*initargs) if initializer else None
        _limit_memory(memory_mb)
    except BaseException as error:  # report set-up failures instead of dying silently
        connection.send(("init-error", f"{type(error).__name__}: {error}"))
        return
    # Anything the set-up has to tell the parent (problems with the stylesheets, say).
    connection.send(("ready", getattr(state, "ready_report", None)))
    while True:
        try:
            task = connection.recv()
        except EOFError:
            return
        if task is None:
            return
        try:
            result = function(state, task)
            connection.send(("ok", result))
        except MemoryError:
            raise  # the heap may be fragmented beyond use; get a fresh worker
        except BaseException as error:
            connection.send(("error", f"{type(error).__name__}: {error}\n"
                             f"{traceback.format_exc(limit=8)}"))


def _limit_memory(memory_mb: int | None) -> None:
    if not memory_mb:
        return
    try:
        import resource

        with open("/proc/self/statm") as handle:
            pages = int(handle.read().split()[0])
        current = pages * os.sysconf("SC_PAGE_SIZE")
        limit = current + memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, resource.RLIM_INFINITY))
    except (OSError, ValueError, ImportError):
        pass  # not on Linux: no per-worker memory limit


class _Worker:
    def __init__(self, context, initializer, initargs, function, memory_mb):
        parent, child = context.Pipe()
        self.connection = parent
        _PARENT_ENDS.append(parent)
        self.process = context.Process(
            target=_worker_main, args=(child, initializer, initargs, function, memory_mb),
            daemon=True)
        self.process.start()
        child.close()
        self.task = None
        self.started = 0.0
        self.ready = False
        self.done = 0

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.connection.close()
        if self.connection in _PARENT_ENDS:
            _PARENT_ENDS.remove(self.connection)


class Pool:
    """What every pool shares as a context: closed when the work ended, terminated when
    it was interrupted or failed (so no renderer outlives the build)."""

    def close(self) -> None:
        raise NotImplementedError

    def terminate(self) -> None:
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        if exc[0] is None:
            self.close()
        else:
            self.terminate()


class WorkerPool(Pool):
    """Run ``function(state, task)`` in ``jobs`` processes; ``state = initializer(*initargs)``."""

    def __init__(self, jobs: int, function: Callable, *, initializer: Callable | None = None,
                 initargs: tuple = (), timeout: float | None = None,
                 memory_mb: int | None = None, max_tasks: int | None = None):
        methods = multiprocessing.get_all_start_methods()
        # fork shares the parent's imported modules (WeasyPrint, lxml): workers start fast.
        self._context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self._args = (initializer, initargs, function, memory_mb)
        self._timeout = timeout
        # Long-lived layout engines grow slowly (caches, fragmentation): a worker is
        # replaced after max_tasks records, so memory stays flat over thousands.
        self._max_tasks = max_tasks
        self.ready_reports: list[Any] = []  # what each worker's set-up reported
        # Set by terminate(), which may come from another thread (a Dask worker closing
        # its renderer): map_unordered then ends instead of replacing the workers.
        self._terminated = False
        self._workers = [_Worker(self._context, *self._args) for _ in range(max(1, jobs))]
        # A worker's successor, started when it takes its last task, so that its warm-up
        # (fonts, the probe render: most of a second) overlaps that task instead of
        # stalling the pool every max_tasks records.
        self._successors: dict[_Worker, _Worker] = {}

    def _retire(self, worker: _Worker) -> None:
        """Stop an idle worker politely and start a fresh one in its place."""
        try:
            worker.connection.send(None)
        except (OSError, ValueError):
            pass
        worker.process.join(timeout=5)
        self._replace(worker)

    def _replace(self, worker: _Worker) -> _Worker:
        worker.kill()
        if self._terminated:
            return worker
        fresh = self._successors.pop(worker, None) or _Worker(self._context, *self._args)
        self._workers[self._workers.index(worker)] = fresh
        return fresh

    def _hear_successor(self, successor: _Worker) -> None:
        """A waiting successor is ready, or failed to start (then it is simply dropped:
        the worker it was to follow is replaced the ordinary way, which reports why)."""
        try:
            kind, payload = successor.connection.recv()
        except (EOFError, OSError):
            kind, payload = "died", None
        if kind == "ready":
            successor.ready = True
            self.ready_reports.append(payload)
            return
        for worker, waiting in list(self._successors.items()):
            if waiting is successor:
                del self._successors[worker]
        successor.kill()

    def map_unordered(self, tasks: Iterable) -> Iterator[tuple[Any, Any]]:
        """Yield ``(task, result or TaskFailure)`` as tasks finish."""
        pending = deque(tasks)
        while pending or any(w.task is not None for w in self._workers):
            if self._terminated:
                return
            for worker in list(self._workers):
                if (self._max_tasks and worker.ready and worker.task is None
                        and worker.done >= self._max_tasks and pending):
                    self._retire(worker)
                    continue
                if worker.ready and worker.task is None and pending:
                    worker.task = pending.popleft()
                    worker.started = time.monotonic()
                    worker.connection.send(worker.task)
                    if (self._max_tasks and worker.done + 1 >= self._max_tasks and pending
                            and worker not in self._successors):
                        self._successors[worker] = _Worker(self._context, *self._args)
            by_connection = {w.connection: w for w in self._workers}
            successors = {s.connection: s for s in self._successors.values() if not s.ready}
            try:
                ready = wait(list(by_connection) + list(successors), timeout=0.2)
            except (OSError, ValueError):  # a connection closed by terminate()
                if self._terminated:
                    return
                raise
            for connection in ready:
                if connection in successors:
                    self._hear_successor(successors[connection])
                    continue
                worker = by_connection[connection]
                try:
                    kind, payload = connection.recv()
                except (EOFError, OSError):
                    task = worker.task
                    worker.process.join(timeout=2)  # the pipe closes before the exit is reaped
                    code = worker.process.exitcode
                    self._replace(worker)
                    if task is not None:
                        yield task, TaskFailure(task, self._death(code))
                    continue
                if kind == "ready":
                    worker.ready = True
                    self.ready_reports.append(payload)
                    continue
                if kind == "init-error":
                    # Nothing can render (a full disk, a broken font): fail every record
                    # that is left, each with the reason, instead of stopping the build.
                    reason = f"the renderer could not start: {payload}"
                    stranded = [w.task for w in self._workers if w.task is not None]
                    for other in self._workers:
                        other.task = None
                    for task in stranded + list(pending):
                        yield task, TaskFailure(task, reason)
                    pending.clear()
                    self.terminate()
                    return
                task, worker.task = worker.task, None
                worker.done += 1
                if kind == "ok":
                    yield task, payload
                elif kind == "memory":
                    self._replace(worker)
                    yield task, TaskFailure(task, self._death(EXIT_MEMORY))
                else:
                    yield task, TaskFailure(task, payload)
            if self._timeout:
                now = time.monotonic()
                for worker in list(self._workers):
                    if worker.task is not None and now - worker.started > self._timeout:
                        task = worker.task
                        self._replace(worker)
                        yield task, TaskFailure(
                            task, f"took longer than {self._timeout:g} s to render "
                            "(limits.render_timeout_seconds in notices.toml)")

    def _death(self, code: int | None) -> str:
        """Why a worker ended, in the words of a message: memory, a signal, a crash."""
        memory_mb = self._args[3]
        if code == EXIT_MEMORY:
            return (f"ran out of the {memory_mb} MB render memory limit "
                    "(limits.render_memory_mb in notices.toml)")
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            if name == "SIGKILL":
                return ("the renderer was killed (SIGKILL; usually the system ran out of "
                        "memory)")
            return f"the renderer was killed by {name}"
        return f"the renderer crashed (exit code {code})"

    def close(self) -> None:
        workers = self._workers + list(self._successors.values())
        self._successors.clear()
        for worker in workers:
            try:
                worker.connection.send(None)
            except (OSError, ValueError):
                pass
        for worker in workers:
            worker.process.join(timeout=2)
            worker.kill()

    def terminate(self) -> None:
        self._terminated = True
        successors = list(self._successors.values())
        self._successors.clear()
        for worker in self._workers + successors:
            worker.kill()


def run_limited(function: Callable, argument, *, timeout: float | None,
                memory_mb: int | None):
    """Run ``function(None, argument)`` in one worker under the limits; result or failure.

    For the work of one command that is not a record (a session packet): the same time
    and memory limits, the same clean reports when they are hit.
    """
    with WorkerPool(1, function, timeout=timeout, memory_mb=memory_mb) as pool:
        for _, outcome in pool.map_unordered([argument]):
            return outcome
    return TaskFailure(argument, "the renderer did not answer")  # pragma: no cover
