"""Run a build's render tasks on a Dask cluster, behind the interface of ``WorkerPool``.

``map_unordered(tasks)`` yields ``(task, result)`` or ``(task, TaskFailure)`` as tasks
finish, as :class:`~notices.build.workers.WorkerPool` does; the coordinator (the
``notices`` process) keeps everything that decides correctness: discovery, keys, the
lock, the output policy and the state. The cluster only computes::

    coordinator --submit(plugin name, task)--> scheduler --> worker thread
        (the set-up arrived once per worker, in a WorkerPlugin; see dask_worker)
    worker --(kind, result, ready reports)--> coordinator (as_completed)

At most ``in_flight`` tasks exist at once (twice the worker threads, at least 4): every
worker finds its next record queued when one ends, and the scheduler's memory stays
bounded however many records there are. Each future is released as soon as its result
has been taken, and the next tasks are submitted before results are handed on, so the
cluster stays busy while the coordinator writes files.

Faults: a worker that dies mid-task is replaced by its nanny and the scheduler runs the
task elsewhere; a task that killed every worker that tried it comes back as a
``TaskFailure``; a cluster that goes away raises :class:`~notices.errors.ClusterLost`,
and Ctrl-C cancels what is in flight and re-raises ``KeyboardInterrupt``.
"""

from __future__ import annotations

import contextlib
import itertools
import time
import uuid
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from distributed import as_completed
from distributed.scheduler import KilledWorker

from notices.build.dask_cluster import connect, one_line
from notices.build.dask_worker import RenderPlugin, run_on_worker
from notices.build.workers import Pool, TaskFailure
from notices.errors import ClusterError, ClusterLost, ClusterUnavailable

CONNECT_TIMEOUT = 10.0  # s to reach a scheduler
NO_WORKERS_TIMEOUT = 60.0  # s a scheduler may be without workers, at the start or later
HEALTH_INTERVAL = 5.0  # s without a result before asking the scheduler whether it lives
CLOSE_TIMEOUT = 5.0


class DaskPool(Pool):
    """Run ``function(state, task)`` on a Dask cluster; ``state = initializer(*initargs)``.

    ``address`` is ``"local"`` (a LocalCluster of ``workers`` single-threaded processes
    on this machine) or a scheduler's address such as ``tcp://host:8786``. ``timeout``
    and ``memory_mb`` apply to each task, in a renderer process on its worker, and
    ``max_tasks`` recycles that process, as with ``WorkerPool``. ``digest`` identifies
    the set-up (``initargs``: the template set, settings, variant). Raises
    :class:`ClusterUnavailable` when the cluster cannot be used.
    """

    def __init__(self, address: str, function: Callable, *, initializer: Callable,
                 initargs: tuple, digest: str, workers: int = 2,
                 timeout: float | None = None, memory_mb: int | None = None,
                 max_tasks: int | None = None, in_flight: int | None = None):
        self.address = address
        self.ready_reports: list[Any] = []  # what each renderer's set-up reported
        self._futures: dict = {}  # key -> (future, task): what is in flight now
        self._closed = False
        self._token = uuid.uuid4().hex[:8]
        self._counter = itertools.count()
        self._connection = connect(address, workers=workers, connect_timeout=CONNECT_TIMEOUT,
                                   no_workers_timeout=NO_WORKERS_TIMEOUT)
        self._client = self._connection.client
        try:
            # The name carries the set-up's digest, so a worker can tell which templates
            # it holds, and this pool's token, so that two builds sharing a cluster never
            # remove each other's.
            self._plugin_name = f"notices-setup-{digest[:16]}-{self._token}"
            plugin = RenderPlugin(self._plugin_name, function, initializer, initargs,
                                  timeout=timeout, memory_mb=memory_mb, max_tasks=max_tasks)
            try:
                self._client.register_plugin(plugin, name=self._plugin_name)
            except Exception as error:  # noqa: BLE001 - a worker that cannot unpickle it
                raise ClusterUnavailable(
                    f"the Dask workers of {self._connection.where} cannot load the "
                    f"renderer ({one_line(error)}); install the same notices[dask] on "
                    "every worker") from None
            self._in_flight = in_flight or max(4, 2 * self._total_threads())
        except BaseException:
            self.terminate()
            raise

    def _total_threads(self) -> int:
        info = self._client.sync(self._client.scheduler.identity, n_workers=0,
                                 callback_timeout=HEALTH_INTERVAL)
        return int(info.get("total_threads", 0))

    # -- running ----------------------------------------------------------------------

    def map_unordered(self, tasks: Iterable) -> Iterator[tuple[Any, Any]]:
        """Yield ``(task, result or TaskFailure)`` as tasks finish.

        Raises :class:`ClusterLost` if the cluster goes away; on ``KeyboardInterrupt``
        cancels what is in flight, shuts the client (and a local cluster) down and
        re-raises.
        """
        if self._closed:
            raise ClusterError("the Dask pool is closed")
        client = self._client
        source = iter(tasks)
        exhausted = False
        completed = as_completed(loop=client.loop, with_results=True, raise_errors=False)

        def refill() -> None:
            nonlocal exhausted
            while not exhausted and len(self._futures) < self._in_flight:
                try:
                    task = next(source)
                except StopIteration:
                    exhausted = True
                    return
                # Unique keys: two identical tasks must not share a result. retries=0: a
                # render that raises fails the same way on any worker; a worker that
                # dies is Dask's business (allowed-failures), not a retry.
                key = (f"notices-render-{self._token}", next(self._counter))
                with warnings.catch_warnings():
                    # A task carries its record's pictures (up to 20 MB each): Dask's
                    # advice about large graphs would only garble the terminal.
                    warnings.filterwarnings("ignore", message="Sending large graph")
                    future = client.submit(run_on_worker, self._plugin_name, task, key=key,
                                           pure=False, retries=0)
                self._futures[future.key] = (future, task)
                completed.add(future)

        last_progress = time.monotonic()
        no_workers_since: float | None = None
        try:
            refill()
            while self._futures:
                batch = _next_batch(completed, wait=0.5)
                if not batch:
                    if client.status not in ("running", "connecting"):
                        raise self._lost("the client was closed")
                    now = time.monotonic()
                    if now - last_progress >= HEALTH_INTERVAL:
                        last_progress = now  # a quiet spell: does the scheduler answer?
                        no_workers_since = self._check_workers(no_workers_since)
                    continue
                last_progress = time.monotonic()
                no_workers_since = None
                finished, init_error = [], None
                for future, result in batch:
                    entry = self._futures.pop(future.key, None)
                    if entry is None:
                        continue
                    outcome = self._outcome(future, result, entry[1])
                    future.release()
                    if isinstance(outcome, _InitError):
                        init_error = init_error or outcome
                        outcome = TaskFailure(entry[1], outcome.reason)
                    finished.append((entry[1], outcome))
                if init_error is None:
                    refill()  # keep the cluster busy while the caller handles results
                yield from finished
                if init_error is not None:
                    # Nothing can render: fail every task left with the reason, as
                    # WorkerPool does, instead of failing them one by one for an hour.
                    stranded = [task for _, task in self._futures.values()]
                    self._cancel_all()
                    for task in stranded + list(source):
                        yield task, TaskFailure(task, init_error.reason)
                    return
        except KeyboardInterrupt:
            self.terminate()
            raise
        finally:
            if self._futures:  # also when the caller stops early: nothing keeps computing
                self._cancel_all()

    def _outcome(self, future, result, task):
        status = future.status
        if status == "finished":
            kind, payload, reports = result
            self.ready_reports.extend(reports)
            if kind == "ok":
                return payload
            if kind == "init-error":
                return _InitError(payload)
            return TaskFailure(task, payload)
        if status == "error":
            error = result[1] if isinstance(result, tuple) and len(result) == 3 else result
            if isinstance(error, KilledWorker):
                return TaskFailure(task, (
                    f"killed every worker that tried it ({error.allowed_failures + 1} "
                    "attempts): the Dask worker process died each time (a crash, or its "
                    "memory limit); see the workers' logs"))
            return TaskFailure(task, f"failed on the Dask cluster: {one_line(error)}")
        # Cancelled: by a lost connection to the scheduler, or by someone else.
        reason = getattr(result, "reason", None) or ""
        if self._client.status != "running" or "connection" in reason:
            raise self._lost("lost the connection to its scheduler")
        return TaskFailure(task, "was cancelled on the Dask cluster")

    def _check_workers(self, since: float | None) -> float | None:
        """Raise ClusterLost if the scheduler does not answer, or has had no workers."""
        try:
            threads = self._total_threads()
        except (OSError, TimeoutError):
            raise self._lost("its scheduler stopped answering: no reply within "
                             f"{HEALTH_INTERVAL:g} s") from None
        if threads:
            return None
        now = time.monotonic()
        since = since or now
        if now - since >= NO_WORKERS_TIMEOUT:
            raise self._lost(f"no workers for {NO_WORKERS_TIMEOUT:g} s")
        return since

    def _lost(self, why: str) -> ClusterLost:
        waiting = len(self._futures)
        self._cancel_all()
        return ClusterLost(f"{self._connection.where} went away ({why}); the {waiting} "
                           f"record{'s' if waiting != 1 else ''} in flight "
                           f"{'were' if waiting != 1 else 'was'} not rendered")

    def _cancel_all(self) -> None:
        futures = [future for future, _ in self._futures.values()]
        self._futures.clear()
        if futures and self._client is not None and self._client.status == "running":
            with contextlib.suppress(Exception):
                self._client.cancel(futures, force=True)
        for future in futures:
            with contextlib.suppress(Exception):
                future.release()

    # -- shutting down ----------------------------------------------------------------

    def close(self) -> None:
        """Finish politely: take the set-up back from a shared cluster's workers, disconnect."""
        self._shutdown(timeout=CLOSE_TIMEOUT)

    def terminate(self) -> None:
        """Stop now: cancel what is in flight, drop the connection (and a local cluster)."""
        self._cancel_all()
        # Short for a shared cluster, which goes on without us; a local one is given the
        # time to close, or Dask's exit handler would wait for it again.
        self._shutdown(timeout=2 if self._connection.cluster is None else CLOSE_TIMEOUT)

    def _shutdown(self, timeout: float) -> None:
        if self._closed:
            return
        self._closed = True
        self._cancel_all()
        client = self._client
        if self._connection.cluster is None and client.status == "running" \
                and hasattr(self, "_plugin_name"):
            # A shared cluster outlives this build: removing the plugin also stops its
            # renderer processes on every worker. (Client has no public call for it;
            # this one is in distributed 2024.8 to 2026.8, and a failure only leaves an
            # idle plugin behind.)
            with contextlib.suppress(Exception):
                client.sync(client._unregister_worker_plugin, name=self._plugin_name,
                            callback_timeout=timeout)
        self._connection.close(timeout=timeout)


class _InitError:
    """A worker's renderer could not start: every task left fails with this reason."""

    def __init__(self, reason: str):
        self.reason = reason


def _next_batch(completed: as_completed, wait: float) -> list:
    """Finished ``(future, result)`` pairs, waiting at most ``wait`` seconds for the first.

    ``as_completed`` can only block without a limit; its condition variable is how it
    signals a new result, so a bounded wait on it keeps the health checks and Ctrl-C
    responsive.
    """
    with completed.thread_condition:
        if not completed.has_ready():
            completed.thread_condition.wait(timeout=wait)
    return completed.next_batch(block=False)
