"""What ``--dask`` costs per notice, and how long a million notices would take on N workers.

Measured on this machine, in one run:

1. **Per-task overhead**: tasks that do nothing, through notices' WorkerPool(2) and
   through the DaskPool on a LocalCluster of 2 workers (the real path: each task goes
   through the scheduler to a worker and its renderer process, and back): wall time per
   task when the pool is saturated, and the coordinator's CPU per task (for a local
   cluster that includes the scheduler, which runs in the coordinator).
2. **Real notices** (DOCX and PDF, synthetic, one to three pages, as ``bench.py``): the
   CPU a worker spends per notice (rendered in-process), then an in-process ``build
   --dask local`` of N notices with 2 workers, counting the bytes of every task and
   result as pickled (Dask adds ~0.5 % of framing) and the coordinator's CPU per notice
   once started.
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


def worker_cpu() -> float:
    """CPU seconds of this Dask worker process and its renderers (run on each worker)."""
    import psutil

    process = psutil.Process()
    times = process.cpu_times()
    total = times.user + times.system + times.children_user + times.children_system
    for child in process.children(recursive=True):
        with __import__("contextlib").suppress(psutil.Error):
            child_times = child.cpu_times()
            total += child_times.user + child_times.system
    return total


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
        client = getattr(pool, "_client", None)  # a benchmark may look inside
        before = sum(client.run(me.worker_cpu).values()) if client else None
        began, cpu = time.perf_counter(), time.process_time()
        for _ in pool.map_unordered(range(tasks)):
            pass
        wall, cpu = time.perf_counter() - began, time.process_time() - cpu
        on_workers = (sum(client.run(me.worker_cpu).values()) - before) if client else None
        pool.close()
        results[name] = {"startup_s": startup, "tasks": tasks,
                         "per_task_ms": 1000 * wall / tasks,
                         "coordinator_cpu_per_task_ms": 1000 * cpu / tasks,
                         "worker_cpu_per_task_ms": (1000 * on_workers / tasks
                                                    if on_workers is not None else None)}
    return results


def real_notices(count: int, base: Path) -> dict:
    """Worker CPU per notice in-process; then an in-process ``build --dask local`` of
    ``count`` notices with every task and result counted, and the coordinator's CPU."""
    from bench import make_workspace

    from notices.build import BuildOptions, build
    from notices.build.dask_pool import DaskPool
    from notices.build.task import RenderSetup, RenderTask, Renderers
    from notices.render import runtime
    from notices.source.discovery import discover_records
    from notices.template_set import TemplateSet
    from notices.workspace import open_workspace

    workspace = make_workspace(base / "ws", count)
    opened = open_workspace(workspace)
    runtime.prepare()
    renderers = Renderers(RenderSetup(TemplateSet.read(opened.templates_dir), opened.settings,
                                      opened.settings.pdf_variant, ("docx", "pdf"),
                                      workspace)).warm_up()
    tasks = [RenderTask(found.path, found.stem, found.source.read_bytes(), ("docx", "pdf"))
             for found in discover_records(workspace, None).records]
    cpu = time.process_time()
    for task in tasks:
        renderers.run(task)
    render_cpu = (time.process_time() - cpu) / count

    sizes = {"task": 0, "result": 0}
    original = DaskPool.map_unordered

    def counting(self, tasks):
        def counted():
            for task in tasks:
                sizes["task"] += len(pickle.dumps(task, protocol=5))
                yield task

        for task, outcome in original(self, counted()):
            sizes["result"] += len(pickle.dumps(outcome, protocol=5))
            yield task, outcome

    DaskPool.map_unordered = counting
    marks = []  # (wall, coordinator CPU) after each record
    try:
        started = time.perf_counter()
        report = build(opened, options=BuildOptions(dask="local", jobs=2),
                       on_record=lambda record: marks.append((time.perf_counter(),
                                                              time.process_time())))
        wall = time.perf_counter() - started
    finally:
        DaskPool.map_unordered = original
    assert not report.failed, report.error_lines()
    skip = min(10, count // 4)  # from the 10th result on: start-up left behind
    steady = len(marks) - 1 - skip
    return {"notices": count, "wall_s": wall, "first_result_s": marks[0][0] - started,
            "render_cpu_per_notice_ms": 1000 * render_cpu,
            "coordinator_cpu_per_notice_ms": 1000 * (marks[-1][1] - marks[skip][1]) / steady,
            "wall_per_notice_2_workers_ms": 1000 * (marks[-1][0] - marks[skip][0]) / steady,
            "task_bytes_per_notice": sizes["task"] / count,
            "result_bytes_per_notice": sizes["result"] / count,
            "record_bytes_avg": sum(p.stat().st_size for p in
                                    (workspace / "records").rglob("*.yaml")) / count}


# Assumptions of the projection; each is printed with it.
NETWORK_BYTES_PER_S = 1e9 / 8  # 1 Gbit/s at the coordinator
SCHEDULER_TASKS_PER_S = 2000  # a remote dask scheduler, about 0.5 ms of its CPU per task
PLANNING_S_PER_RECORD = 0.00027  # README: a no-op rebuild of 10,000 records in 2.5-2.8 s


def projection(measured: dict, dask_worker_ms: float, workers: list[int],
               total: int = 1_000_000) -> list[dict]:
    per_notice = (measured["render_cpu_per_notice_ms"] + dask_worker_ms) / 1000
    coordinator = measured["coordinator_cpu_per_notice_ms"] / 1000
    # A task crosses twice (coordinator -> scheduler -> worker), a result twice through
    # the scheduler (Dask's default for a remote cluster; once with direct_to_workers).
    moved = 2 * measured["task_bytes_per_notice"] + 2 * measured["result_bytes_per_notice"]
    limits = {"coordinator CPU": 1 / coordinator, "scheduler": SCHEDULER_TASKS_PER_S,
              "network": NETWORK_BYTES_PER_S / moved}
    planning = total * PLANNING_S_PER_RECORD  # before the first task, in the coordinator
    rows = []
    for n in workers:
        rates = {"workers": n / per_notice, **limits}
        bound = min(rates, key=rates.get)
        seconds = planning + total / rates[bound]
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

    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="notices-dask-costs-") as temporary:
        costs = overhead(args.tasks)
        measured = real_notices(args.count, Path(temporary))
    dask = costs["DaskPool, LocalCluster(2) (--dask local)"]
    rows = projection(measured, dask["worker_cpu_per_task_ms"], [1, 8, 32, 128, 512, 2048])
    print(f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, dask/distributed "
          f"{distributed.__version__}, load average {load:.1f} at the start, "
          f"{os.getloadavg()[0]:.1f} at the end")
    print("| pool | start-up to 2 results | per no-op task (wall, 2 workers busy) | "
          "coordinator CPU per task | worker CPU per task |\n|---|--:|--:|--:|--:|")
    for name, row in costs.items():
        on_workers = row["worker_cpu_per_task_ms"]
        print(f"| {name} | {row['startup_s']:.2f} s | {row['per_task_ms']:.2f} ms | "
              f"{row['coordinator_cpu_per_task_ms']:.2f} ms | "
              f"{'-' if on_workers is None else f'{on_workers:.2f} ms'} |")
    m = measured
    print(f"\n{m['notices']} notices (DOCX+PDF), --dask local with 2 workers: {m['wall_s']:.1f} s, "
          f"first result after {m['first_result_s']:.1f} s, then "
          f"{m['wall_per_notice_2_workers_ms']:.0f} ms per notice.\nPer notice: record "
          f"{m['record_bytes_avg']:,.0f} B, task {m['task_bytes_per_notice']:,.0f} B, result "
          f"{m['result_bytes_per_notice']:,.0f} B (pickled); rendering "
          f"{m['render_cpu_per_notice_ms']:.0f} ms CPU (in-process), coordinator "
          f"{m['coordinator_cpu_per_notice_ms']:.1f} ms CPU (with the local scheduler)")
    print(f"\n1,000,000 notices, assuming: each worker one core like these, one thread, "
          f"{m['render_cpu_per_notice_ms']:.0f} + {dask['worker_cpu_per_task_ms']:.0f} ms per "
          f"notice; the cluster running; the coordinator's {m['coordinator_cpu_per_notice_ms']:.1f}"
          f" ms per notice; {PLANNING_S_PER_RECORD * 1000:.2f} ms per record of planning first; "
          f"a remote scheduler at {SCHEDULER_TASKS_PER_S:,} tasks/s; "
          f"{NETWORK_BYTES_PER_S * 8 / 1e9:g} Gbit/s at the coordinator; no pictures:\n"
          "| workers | hours | notices/s | bound by |\n|--:|--:|--:|---|")
    for row in rows:
        print(f"| {row['workers']} | {row['hours']:.2f} | {row['notices_per_s']:,.0f} | "
              f"{row['bound_by']} |")
    if args.json:
        args.json.write_text(json.dumps({"overhead": costs, "notices": measured,
                                         "projection": rows, "load_average": load},
                                        indent=2) + "\n")
        print(f"saved {args.json}")


if __name__ == "__main__":
    main()
