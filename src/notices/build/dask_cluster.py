"""Connect a build to a Dask cluster: a LocalCluster on this machine, or a scheduler's address.

Everything that can go wrong before the first record is rendered ends here as one
line (:class:`~notices.errors.ClusterUnavailable`): Dask not installed, no scheduler at
the address, a scheduler without workers, workers running other versions. Dask's own
log lines and its workers' output never reach the user's terminal: they go to the
``notices.dask`` logger (shown with ``--debug``) and to a private log file.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field

from notices.errors import ClusterUnavailable

log = logging.getLogger("notices.dask")

INSTALL_HINT = "install it with: pip install 'notices[dask]'"
# Tasks and results are pickled by reference to notices' code and read by WeasyPrint of
# the same version: these must match between the coordinator and every worker.
CORE_PACKAGES = ("python", "dask", "distributed", "cloudpickle", "msgpack")
WORKER_PACKAGES = ("notices", "weasyprint")
LOCAL_WORKER_LOG = "NOTICES_DASK_LOCAL_WORKER_LOG"  # set only for a LocalCluster's workers


def require_dask() -> None:
    """Raise :class:`ClusterUnavailable` with the install command if Dask is missing."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise ClusterUnavailable(f"--dask needs Dask, which is not installed; "
                                 f"{INSTALL_HINT}") from None


@dataclass
class Connection:
    """A client, and for ``local`` the cluster and private folder this build owns."""

    client: object
    where: str  # "the local Dask cluster" or "the Dask cluster at tcp://…"
    cluster: object | None = None
    local_dir: str | None = None
    worker_log: str | None = None
    _config: object | None = field(default=None, repr=False)

    def close(self, timeout: float) -> None:
        try:
            with contextlib.suppress(Exception):
                self.client.close(timeout=timeout)
            if self.cluster is not None:
                with contextlib.suppress(Exception):
                    self.cluster.close(timeout=timeout)
        finally:
            if self._config is not None:
                self._config.__exit__(None, None, None)
                self._config = None
            if self.worker_log and log.isEnabledFor(logging.DEBUG):
                with contextlib.suppress(OSError), open(self.worker_log,
                                                        errors="replace") as handle:
                    log.debug("local Dask workers' output:\n%s", handle.read()[-20_000:])
            if self.local_dir:
                shutil.rmtree(self.local_dir, ignore_errors=True)
                self.local_dir = None


def connect(address: str, *, workers: int, connect_timeout: float,
            no_workers_timeout: float) -> Connection:
    """A client of a new LocalCluster (``address == "local"``) or of ``address``."""
    require_dask()
    quiet_dask_logs()
    if address == "local":
        return _start_local(workers)
    return _connect_remote(address, connect_timeout, no_workers_timeout)


def _start_local(workers: int) -> Connection:
    import dask
    from distributed import Client, LocalCluster

    local_dir = tempfile.mkdtemp(prefix="notices-dask-")
    worker_log = os.path.join(local_dir, "workers.log")
    settings = {
        # A record that killed this many workers, plus one, fails ("killed every
        # worker that tried it"); Dask's default of 3 costs one more worker restart.
        "distributed.scheduler.allowed-failures": 2,
        # One task per worker thread: a worker that dies takes no innocent queued record
        # with it (each death counts against every task the worker held).
        "distributed.scheduler.worker-saturation": 1.0,
        # The renderer is a process of its own: workers must not be "daemonic" processes,
        # which multiprocessing forbids children.
        "distributed.worker.daemon": False,
        # Scheduler, nannies and workers keep their scratch space in the private folder.
        "temporary-directory": local_dir,
        # Dask's housekeeping, made coarser: with its defaults the scheduler, client and
        # nannies in this process cost about 5 % of a core while idle (event-loop ticks
        # every 20 ms, memory checks every 100 ms), and every worker samples its own
        # stack every 10 ms for a dashboard nobody looks at here (measured:
        # benchmarks/dask_costs.py). The memory check stays a backstop: the renderer's
        # own limit is render_memory_mb.
        "distributed.admin.tick.interval": "1s",
        "distributed.admin.system-monitor.interval": "2s",
        "distributed.worker.memory.monitor-interval": "1s",
        "distributed.worker.profile.enabled": False,
    }
    # Held until the cluster is closed: its nannies live in this process and read the
    # settings again whenever they restart a worker.
    config = dask.config.set(settings)
    cluster = None
    try:
        # Worker processes ignore Ctrl-C (the coordinator stops them) and write their
        # output to the private log (dask_setup(), also in replacement workers).
        with _output_to(worker_log), _sigint_deferred():
            cluster = LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True,
                dashboard_address=None, silence_logs=logging.CRITICAL,
                local_directory=local_dir,
                # A backstop only: the renderer's own limit is render_memory_mb.
                memory_limit="auto",
                preload=["notices.build.dask_worker"],
                env={LOCAL_WORKER_LOG: worker_log})
        # Results come straight from the workers instead of through the scheduler: each
        # result crosses a connection once, not twice.
        client = Client(cluster, set_as_default=False, direct_to_workers=True)
    except BaseException as error:
        last = _last_line(worker_log) or "nothing"
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close(timeout=2)
        config.__exit__(None, None, None)
        shutil.rmtree(local_dir, ignore_errors=True)
        if not isinstance(error, Exception):
            raise  # Ctrl-C
        raise ClusterUnavailable(f"could not start a local Dask cluster ({one_line(error)}); "
                                 f"its workers said: {last}") from None
    return Connection(client, "the local Dask cluster", cluster, local_dir, worker_log,
                      config)


def _connect_remote(address: str, connect_timeout: float,
                    no_workers_timeout: float) -> Connection:
    from distributed import Client

    try:
        # Dask's default routes results through the scheduler, which always works; going
        # to the workers directly would need them reachable from here (not behind NAT or
        # a kubectl port-forward).
        with warnings.catch_warnings():  # Dask's version table; checked below, in one line
            warnings.simplefilter("ignore")
            client = Client(address, timeout=connect_timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as error:
        raise ClusterUnavailable(f"cannot reach the Dask scheduler at {address} within "
                                 f"{connect_timeout:g} s ({one_line(error)})") from None
    connection = Connection(client, f"the Dask cluster at {address}")
    try:
        try:
            client.wait_for_workers(1, timeout=no_workers_timeout)
        except (OSError, TimeoutError):
            raise ClusterUnavailable(
                f"the Dask scheduler at {address} has no workers (waited "
                f"{no_workers_timeout:g} s); start some with `dask worker {address}`"
            ) from None
        mismatch = version_mismatch(client, WORKER_PACKAGES)
        if mismatch:
            raise ClusterUnavailable(f"the Dask cluster at {address} runs other versions "
                                     f"than this machine ({mismatch}); install the same "
                                     "notices[dask] everywhere")
    except BaseException:
        connection.close(timeout=2)
        raise
    return connection


def version_mismatch(client, packages: Iterable[str]) -> str:
    """The first difference in the packages that must match, or ''.

    Workers that join later are not checked; a worker that cannot load notices' code
    fails the records it gets with the reason.
    """
    packages = tuple(packages)
    versions = client.get_versions(check=False, packages=list(packages))
    ours = versions["client"]["packages"]
    places = [("the scheduler", versions["scheduler"], CORE_PACKAGES)] + [
        (where, info, CORE_PACKAGES + packages)  # only workers unpickle notices' code
        for where, info in sorted(versions["workers"].items())]
    for where, info, names in places:
        theirs = (info or {}).get("packages", {})
        for name in names:
            mine, other = ours.get(name), theirs.get(name)
            if name == "python":  # 3.11.7.final.0 -> 3.11
                mine, other = (".".join(str(v).split(".")[:2]) for v in (mine, other))
            if mine != other:
                return f"{name} {mine} here, {other} on {where}"
    return ""


_QUIET_LOGGERS = ("distributed", "tornado", "bokeh")


class _Forward(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        if log.isEnabledFor(logging.DEBUG):
            log.debug("[%s] %s", record.name, record.getMessage())


def quiet_dask_logs() -> None:
    """Send Dask's log records to ``notices.dask`` at DEBUG instead of to stderr.

    For the rest of the process, not just the build: the client's event loop still logs
    while it winds down after ``close()`` ("Failed to reconnect…"), and those lines must
    not reach the terminal either.
    """
    forward = _Forward()
    names = [name for name in list(logging.root.manager.loggerDict)
             if name.split(".")[0] in _QUIET_LOGGERS] + list(_QUIET_LOGGERS)
    for name in names:  # Dask's configuration gives several their own stderr handler
        logger = logging.getLogger(name)
        if not any(isinstance(h, _Forward) for h in logger.handlers):
            logger.handlers = [forward]
        logger.propagate = False
        if name in _QUIET_LOGGERS:
            logger.setLevel(logging.INFO)


@contextlib.contextmanager
def _sigint_deferred():
    """A Ctrl-C while the local workers start is kept and raised once they have started.

    Ignoring it instead would be inherited by the workers (which is wanted) but lose the
    user's Ctrl-C for a second or two; a handler is not inherited across exec, so the
    workers ignore SIGINT themselves as soon as they run (:func:`dask_setup`).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pressed = []
    previous = signal.signal(signal.SIGINT, lambda number, frame: pressed.append(number))
    try:
        yield
    except BaseException:
        if pressed:  # the workers died of the same Ctrl-C: say "interrupted", not why
            raise KeyboardInterrupt from None
        raise
    finally:
        signal.signal(signal.SIGINT, previous)
    if pressed:
        raise KeyboardInterrupt


@contextlib.contextmanager
def _output_to(path: str):
    """Point file descriptors 1 and 2 at ``path`` while child processes start, then restore."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.dup2(target, 1)
        os.dup2(target, 2)
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for descriptor in saved + [target]:
            os.close(descriptor)


def _last_line(path: str) -> str:
    try:
        with open(path, errors="replace") as handle:
            lines = [line.strip() for line in handle.read()[-4000:].splitlines()]
    except OSError:
        return ""
    return next((line for line in reversed(lines) if line), "")


def one_line(error: BaseException) -> str:
    """An exception as the first line of its message, with its type."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__
