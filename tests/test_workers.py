"""The worker pool: one stuck, crashing or greedy task never takes the others down."""

from __future__ import annotations

import os
import time

from notices.build.workers import TaskFailure, WorkerPool


def _work(state, task):
    if task == "crash":
        os._exit(3)
    if task == "hang":
        time.sleep(60)
    if task == "greedy":
        return bytearray(512 * 1024 * 1024)
    if task == "raise":
        raise ValueError("bad input")
    return os.getpid()


def run(tasks, **options):
    with WorkerPool(2, _work, **options) as pool:
        return dict(pool.map_unordered(tasks))


def test_failures_are_contained():
    results = run(["ok1", "crash", "hang", "raise", "ok2"], timeout=2)
    assert isinstance(results["ok1"], int) and isinstance(results["ok2"], int)
    assert results["crash"].reason == "the renderer crashed (exit code 3)"
    assert results["hang"].reason.startswith("took longer than 2 s to render")
    assert isinstance(results["raise"], TaskFailure)
    assert results["raise"].reason.startswith("ValueError: bad input")


def test_memory_limit():
    results = run(["greedy", "ok"], memory_mb=128)
    assert results["greedy"].reason.startswith("ran out of the 128 MB render memory limit")
    assert isinstance(results["ok"], int)


def test_workers_are_recycled():
    results = run([f"t{i}" for i in range(12)], max_tasks=2)
    assert len(set(results.values())) >= 5  # 12 tasks, at most 2 per worker process
