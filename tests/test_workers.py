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


def _note_start(path):
    with open(path, "a") as handle:
        handle.write(f"{os.getpid()} {time.monotonic()}\n")


def _take_a_while(state, task):
    time.sleep(0.3)
    return os.getpid(), time.monotonic()


def test_a_retiring_worker_is_followed_by_one_started_during_its_last_task(tmp_path):
    starts = tmp_path / "starts"
    with WorkerPool(1, _take_a_while, initializer=_note_start, initargs=(str(starts),),
                    max_tasks=2) as pool:
        finished = sorted((outcome for _, outcome in pool.map_unordered(range(6))),
                          key=lambda outcome: outcome[1])
    pids = [pid for pid, _ in finished]
    assert len(set(pids)) == 3 and pids == sorted(pids, key=pids.index)  # 2 tasks each
    started = {int(pid): float(at) for pid, at in
               (line.split() for line in starts.read_text().splitlines())}
    assert set(started) == set(pids)  # no worker started in vain
    for previous, following in ((finished[1], finished[2]), (finished[3], finished[4])):
        assert started[following[0]] < previous[1]  # warming up while the other worked
