"""What ``--dask`` costs per notice, and how long a million notices would take on N workers.

Measured on this machine, in one run:

1. **Per-task overhead**: tasks that do nothing, through notices' WorkerPool(2) and
   through the DaskPool on a LocalCluster of 2 workers (the real path: each task goes
   through the scheduler to a worker and its renderer process, and back): wall time per
   task when the pool is saturated, and the coordinator's CPU per task (for a local
   cluster that includes the scheduler, which runs in the coordinator).
2. **Real notices** (DOCX and PDF, synthetic, one to three pages, as ``bench.py``): an
   in-process ``build --dask local`` of N notices with 2 workers, counting the bytes of
   every task and result as pickled (Dask adds ~0.5 % of framing), the coordinator's CPU
   per notice, and the steady-state time per notice and worker.
3. **Projection** for 1,000,000 notices on N workers from these figures (assumptions
   printed with it).

    python benchmarks/dask_costs.py                 # 120 notices, 2,000 no-op tasks
    python benchmarks/dask_costs.py -n 240 --json dask_costs.json
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pickle
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def ready(payload):  # the workers' set-up: nothing to load
    return None


def noop(state, task):
    return task


def overhead(tasks: int) -> dict:
    """No-op tasks through WorkerPool(2) and DaskPool('local', 2 workers)."""
    from notices.build.dask_pool import DaskPool
    from notices.build.workers import WorkerPool

    me = importlib.import_module("dask_costs")  # by name, so that workers can import it
    pools = {
        "WorkerPool(2) (--jobs 2)": lambda: WorkerPool(
            2, me.noop, initializer=me.ready, initargs=(None,), timeout=120, memory_mb=1024),
        "DaskPool, LocalCluster(2) (--dask local)": lambda: DaskPool(
            "local", me.noop, initializer=me.ready, initargs=(None,), digest="noop",
            workers=2, timeout=120, memory_mb=1024, max_tasks=None),
    }
    results = {}
    for name, make in pools.items():
        started = time.perf_counter()
        pool = make()
        for _ in pool.map_unordered(range(2)):
            pass
        startup = time.perf_counter() - started
        began, cpu = time.perf_counter(), time.process_time()
        for _ in pool.map_unordered(range(tasks)):
            pass
        wall, cpu = time.perf_counter() - began, time.process_time() - cpu
        pool.close()
        results[name] = {"startup_s": startup, "tasks": tasks,
                         "per_task_ms": 1000 * wall / tasks,
                         "coordinator_cpu_per_task_ms": 1000 * cpu / tasks}
    return results


def real_notices(count: int, base: Path) -> dict:
    """An in-process ``build --dask local`` of ``count`` notices, bytes and CPU counted."""
    from bench import make_workspace

    from notices.build import BuildOptions, build
    from notices.build.dask_pool import DaskPool
    from notices.workspace import open_workspace

    workspace = make_workspace(base / "ws", count)
    sizes = {"task": 0, "result": 0, "tasks": 0}
    original = DaskPool.map_unordered

    def counting(self, tasks):
        def counted():
            for task in tasks:
                sizes["task"] += len(pickle.dumps(task, protocol=5))
                sizes["tasks"] += 1
                yield task

        for task, outcome in original(self, counted()):
            sizes["result"] += len(pickle.dumps(outcome, protocol=5))
            yield task, outcome

    DaskPool.map_unordered = counting
    times = []
    try:
        started, cpu = time.perf_counter(), time.process_time()
        report = build(open_workspace(workspace), options=BuildOptions(dask="local", jobs=2),
                       on_record=lambda record: times.append(time.perf_counter()))
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        DaskPool.map_unordered = original
    assert not report.failed, report.error_lines()
    # Steady state: from the 10th result on (workers warm), per notice and worker.
    skip = min(10, len(times) // 4)
    steady = (times[-1] - times[skip]) / (len(times) - 1 - skip) * 2
    return {"notices": count, "wall_s": wall, "first_result_s": times[0] - started,
            "coordinator_cpu_per_notice_ms": 1000 * cpu / count,
            "worker_s_per_notice": steady,
            "task_bytes_per_notice": sizes["task"] / count,
            "result_bytes_per_notice": sizes["result"] / count,
            "record_bytes_avg": sum(p.stat().st_size for p in
                                    (workspace / "records").rglob("*.yaml")) / count}


# Assumptions of the projection; each is printed with it.
NETWORK_BYTES_PER_S = 1e9 / 8  # 1 Gbit/s at the coordinator
SCHEDULER_TASKS_PER_S = 2000  # a remote dask scheduler, about 0.5 ms of its CPU per task


def projection(measured: dict, workers: list[int], total: int = 1_000_000) -> list[dict]:
    per_worker = measured["worker_s_per_notice"]
    coordinator = measured["coordinator_cpu_per_notice_ms"] / 1000
    # A task crosses twice (coordinator -> scheduler -> worker), a result once when the
    # workers are reachable (direct_to_workers), twice through the scheduler otherwise.
    moved = 2 * measured["task_bytes_per_notice"] + 2 * measured["result_bytes_per_notice"]
    limits = {"coordinator CPU": 1 / coordinator, "scheduler": SCHEDULER_TASKS_PER_S,
              "network": NETWORK_BYTES_PER_S / moved}
    rows = []
    for n in workers:
        rates = {"workers": n / per_worker, **limits}
        bound = min(rates, key=rates.get)
        seconds = total / rates[bound]
        rows.append({"workers": n, "hours": seconds / 3600, "notices_per_s": rates[bound],
                     "bound_by": bound})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--count", type=int, default=120)
    parser.add_argument("--tasks", type=int, default=2000, help="no-op tasks per pool")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    import distributed

    with tempfile.TemporaryDirectory(prefix="notices-dask-costs-") as temporary:
        costs = overhead(args.tasks)
        measured = real_notices(args.count, Path(temporary))
    rows = projection(measured, [1, 2, 8, 32, 128, 512, 2048])
    print(f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, dask/distributed "
          f"{distributed.__version__}, load average {os.getloadavg()[0]:.1f}")
    print("| pool | start-up to 2 results | per no-op task | coordinator CPU per task |\n"
          "|---|--:|--:|--:|")
    for name, row in costs.items():
        print(f"| {name} | {row['startup_s']:.2f} s | {row['per_task_ms']:.2f} ms | "
              f"{row['coordinator_cpu_per_task_ms']:.2f} ms |")
    m = measured
    print(f"\n{m['notices']} notices (DOCX+PDF) with --dask local, 2 workers: "
          f"{m['wall_s']:.1f} s, first result after {m['first_result_s']:.1f} s; "
          f"per notice: record {m['record_bytes_avg']:,.0f} B, task "
          f"{m['task_bytes_per_notice']:,.0f} B, result {m['result_bytes_per_notice']:,.0f} B, "
          f"coordinator CPU {m['coordinator_cpu_per_notice_ms']:.1f} ms, one worker "
          f"{1000 * m['worker_s_per_notice']:.0f} ms")
    print(f"\n1,000,000 notices (assumed: every worker a core like these, one thread each; "
          f"the cluster already running; {NETWORK_BYTES_PER_S * 8 / 1e9:g} Gbit/s at the "
          f"coordinator; a remote scheduler at {SCHEDULER_TASKS_PER_S:,} tasks/s; no "
          "pictures):\n| workers | hours | notices/s | bound by |\n|--:|--:|--:|---|")
    for row in rows:
        print(f"| {row['workers']} | {row['hours']:.1f} | {row['notices_per_s']:,.0f} | "
              f"{row['bound_by']} |")
    if args.json:
        args.json.write_text(json.dumps({"overhead": costs, "notices": measured,
                                         "projection": rows}, indent=2) + "\n")
        print(f"saved {args.json}")


if __name__ == "__main__":
    main()
