"""Benchmark: notices against a naive baseline, in the same run, on the same machine.

Generates N synthetic notices of one to three pages (paragraphs, lists and tables
varied from the samples), then times whole runs, start-up included, each in a fresh
process and a fresh output folder:

- baseline: ``naive_baseline.py`` (docxtpl + WeasyPrint defaults, one after another)
- notices:  ``notices build --jobs N`` for DOCX, PDF and both, and with ``--dask WORKERS``
  ``notices build --dask local --jobs WORKERS`` (a LocalCluster on this machine)
- with ``--engine``: WeasyPrint alone (``engine.py``: its own ``render()`` and
  ``write_pdf()`` for notices' HTML, warm, in one process, start-up not counted), the
  cost below which no tool built on it can go

It prints notices per second, the ratios, and the peak memory (max RSS of any process
of the run: for notices that is the larger of the CLI and its workers).

    python benchmarks/bench.py                  # 120 notices, jobs 1 and 2
    python benchmarks/bench.py --engine --dask 2 --repeat 3 --json bench.json
    python benchmarks/bench.py -n 1000 --only-project --jobs 2
    python benchmarks/bench.py --memory 200,2000  # peak memory growth
    python benchmarks/bench.py --noop 10000        # a rebuild with nothing to do
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

WORDS = ("Quartiersmanagement Stadtteil Maßnahme Verwaltung Förderung Bezirksvertretung "
         "Umsetzung Beteiligung Bewohner*innen Verkehr Planung Straße Gebäude Sanierung "
         "Kosten Haushalt Zuschuss Ausschreibung Vergabe Schule Spielplatz Radweg Lärm "
         "Grünfläche Bebauungsplan Einwohner Antrag Prüfung Ergebnis Zeitraum Fortführung").split()


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 18))]
    words[0] = words[0].capitalize()
    if rng.random() < 0.2:
        words[rng.randrange(len(words))] = f"**{rng.choice(WORDS)}**"
    return " ".join(words) + "."


# Characters of facts that fill about one, two or three pages (measured: see the page
# distribution that the benchmark prints).
TARGET_CHARS = {1: 900, 2: 3400, 3: 6300}


def facts(rng: random.Random, pages: int) -> str:
    blocks: list[str] = []
    while sum(len(b) for b in blocks) < TARGET_CHARS[pages]:
        roll = rng.random()
        if roll < 0.15:
            blocks.append("\n".join(f"- {sentence(rng)}" for _ in range(rng.randint(2, 5))))
        elif roll < 0.25:
            blocks.append("\n".join(f"{i}. {sentence(rng)}" for i in range(1, rng.randint(3, 6))))
        elif roll < 0.33:
            rows = "\n".join(f"| {rng.choice(WORDS)} | {rng.randint(1, 99999):,} € | "
                             f"{rng.randint(2020, 2027)} |".replace(",", ".")
                             for _ in range(rng.randint(2, 8)))
            blocks.append("| Maßnahme | Kosten | Jahr |\n|---|--:|--:|\n" + rows)
        else:
            blocks.append(" ".join(sentence(rng) for _ in range(rng.randint(2, 7))))
    return "\n\n".join(blocks)


def make_workspace(root: Path, count: int, seed: int = 1) -> Path:
    from notices.scaffold import init_workspace

    init_workspace(root)
    shutil.rmtree(root / "records" / "2023")  # only the generated notices
    rng = random.Random(seed)
    target = root / "records" / "bench"
    target.mkdir(parents=True)
    for i in range(count):
        pages = 1 + i % 3  # one, two and three pages in equal shares
        body = "\n".join("  " + line if line else "" for line in facts(rng, pages).splitlines())
        (target / f"n{i:05d}.yaml").write_text(
            f"office: Bauamt\nfile_number: 600.{i}\ndate: 18.04.2023\ncontact:\n"
            f"  name: Frau Bültmann\n  phone: 0521 513224\nsession:\n"
            f"  committee: Bezirksvertretung Heepen\n  date: 20.04.2023\n"
            f"  public: {'true' if i % 4 else 'false'}\n"
            f"subject: {rng.choice(WORDS)} – {sentence(rng)}\nfacts: |\n{body}\n"
            f"signatory: Dodenhoff\n", encoding="utf-8")
    return root


def run_child(command: list[str], *, cpu: bool = False):
    """Wall seconds and peak RSS (MB) of a command; with ``cpu``, also the CPU seconds of
    all its processes (user and system), which a busy machine disturbs less than wall."""
    # A fresh interpreter per measurement, so each peak RSS belongs to one run only.
    probe = ("import sys, json, resource, subprocess, time; t=time.perf_counter(); "
             "r=subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, "
             "stderr=subprocess.PIPE, text=True); e=time.perf_counter()-t; "
             "u=resource.getrusage(resource.RUSAGE_CHILDREN); "
             "print(json.dumps([r.returncode, e, u.ru_maxrss / 1024, u.ru_utime + u.ru_stime, "
             "r.stderr[-2000:]]))")
    import json

    out = subprocess.run([sys.executable, "-c", probe, *command], capture_output=True,
                         text=True, check=True).stdout
    code, elapsed, peak, seconds, stderr = json.loads(out)
    if code != 0:
        raise SystemExit(f"failed ({code}): {' '.join(command)}\n{stderr}")
    return (elapsed, peak, seconds) if cpu else (elapsed, peak)


def page_distribution(output: Path) -> str:
    from collections import Counter

    import pypdf

    counts = Counter(len(pypdf.PdfReader(p).pages) for p in output.rglob("*.pdf"))
    return ", ".join(f"{pages} page(s): {n}" for pages, n in sorted(counts.items())) or "-"


def notices_command(workspace: Path, fmt: str, jobs: int) -> list[str]:
    formats = {"docx": "docx", "pdf": "pdf", "both": "docx,pdf"}[fmt]
    return [sys.executable, "-m", "notices", "-C", str(workspace), "build", "--quiet",
            "--force", "--format", formats, "--jobs", str(jobs)]


def fresh_output(workspace: Path) -> None:
    shutil.rmtree(workspace / "output", ignore_errors=True)
    (workspace / "output").mkdir()


def dask_command(workspace: Path, fmt: str, workers: int) -> list[str]:
    return [*notices_command(workspace, fmt, workers), "--dask", "local"]


def engine_seconds(workspace: Path) -> dict:
    """WeasyPrint's own time for the workspace's notices, in a fresh process (engine.py)."""
    import json

    out = subprocess.run([sys.executable, str(HERE / "engine.py"), str(workspace), "--json"],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def comparison(args, base: Path) -> dict:
    """Every run of the table, repeated and interleaved.

    Each run is reported by its best time (other load on a shared machine only ever
    slows a run down, as timeit reasons) and its median; the targets use the best.
    """
    import statistics

    workspace = make_workspace(base / "ws", args.count)
    template = workspace / "templates" / "mitteilung.docx"
    jobs = [int(j) for j in args.jobs.split(",")]
    runs = []  # (format, name, command or None for the engine)
    for fmt in args.formats.split(","):
        if not args.only_project:
            runs.append((fmt, "naive baseline", [sys.executable, str(HERE / "naive_baseline.py"),
                                                 str(workspace / "records"),
                                                 str(base / f"baseline-{fmt}"), str(template),
                                                 fmt]))
        if args.engine and fmt == "pdf":
            runs.append((fmt, "WeasyPrint alone", None))
        runs += [(fmt, f"notices --jobs {j}", notices_command(workspace, fmt, j)) for j in jobs]
        if args.dask:
            runs += [(fmt, f"notices --dask local ({w})", dask_command(workspace, fmt, w))
                     for w in (int(x) for x in args.dask.split(","))]
    from machine import Others, wait_for_quiet

    samples: dict[tuple[str, str], list[dict]] = {}
    for _ in range(args.repeat):
        for fmt, name, command in runs:
            if args.quiet is not None:
                wait_for_quiet(args.quiet)
            others = Others()
            others.start()
            if command is None:
                engine = engine_seconds(workspace)
                sample = {"seconds": engine["seconds"], "peak_mb": 0.0,
                          "cpu_seconds": engine["cpu_seconds"]}
            else:
                fresh_output(workspace)
                elapsed, peak, cpu = run_child(command, cpu=True)
                sample = {"seconds": elapsed, "peak_mb": peak, "cpu_seconds": cpu}
            sample["others_cores"] = others.stop()
            samples.setdefault((fmt, name), []).append(sample)
    rows = []
    for fmt, name, _ in runs:
        runs_of = samples[(fmt, name)]
        best = min(runs_of, key=lambda sample: sample["seconds"])
        rows.append({"format": fmt, "run": name, "seconds": best["seconds"],
                     "median": statistics.median(r["seconds"] for r in runs_of),
                     "others_cores": best["others_cores"], "samples": runs_of,
                     "cpu_seconds": statistics.median(r["cpu_seconds"] for r in runs_of),
                     "peak_mb": max(r["peak_mb"] for r in runs_of)})
    return {"count": args.count, "cpus": os.cpu_count(), "python": sys.version.split()[0],
            "repeat": args.repeat, "load_average": os.getloadavg(), "rows": rows,
            "pages": page_distribution(workspace / "output"), "targets": targets(rows)}


def targets(rows: list[dict]) -> list[dict]:
    """The issue's targets, each with the two measurements it compares."""
    seconds = {(r["format"], r["run"]): r["seconds"] for r in rows}
    checks = []

    def check(what: str, value: float | None, goal: str, met: bool | None):
        if value is not None:
            checks.append({"target": what, "value": round(value, 3), "goal": goal, "met": met})

    engine, one = seconds.get(("pdf", "WeasyPrint alone")), seconds.get(("pdf", "notices --jobs 1"))
    if engine and one:
        check("PDF: notices --jobs 1 per notice / WeasyPrint alone", one / engine,
              "<= 1.10", one / engine <= 1.10)
    for fmt in ("docx", "pdf", "both"):
        one, two = seconds.get((fmt, "notices --jobs 1")), seconds.get((fmt, "notices --jobs 2"))
        dask = seconds.get((fmt, "notices --dask local (2)"))
        if one and two:
            check(f"{fmt}: --jobs 2 speed-up over --jobs 1", one / two, ">= 1.85",
                  one / two >= 1.85)
        if two and dask:
            check(f"{fmt}: --dask local (2) speed / --jobs 2", two / dask, ">= 0.90",
                  two / dask >= 0.9)
    return checks


def print_comparison(result: dict) -> None:
    print(f"{result['count']} notices; machine: {result['cpus']} CPUs; python "
          f"{result['python']}; best and median of {result['repeat']}; load average at the "
          f"end {result['load_average'][0]:.1f}")
    print("| format | run | seconds (best) | median | notices/s | ms/notice | CPU s | peak MB "
          "| vs baseline | vs WeasyPrint alone | others' cores |\n"
          "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    seconds = {(r["format"], r["run"]): r["seconds"] for r in result["rows"]}
    for row in result["rows"]:
        baseline = seconds.get((row["format"], "naive baseline"))
        engine = seconds.get((row["format"], "WeasyPrint alone"))
        versus = f"{baseline / row['seconds']:.2f}x" if baseline else "-"
        cost = f"{row['seconds'] / engine:.2f}" if engine else "-"
        peak = f"{row['peak_mb']:.0f}" if row["peak_mb"] else "-"
        others = "-" if row["others_cores"] is None else f"{row['others_cores']:.2f}"
        print(f"| {row['format']} | {row['run']} | {row['seconds']:.2f} | {row['median']:.2f} | "
              f"{result['count'] / row['seconds']:.1f} | "
              f"{1000 * row['seconds'] / result['count']:.0f} | {row['cpu_seconds']:.1f} | "
              f"{peak} | {versus} | {cost} | {others} |")
    print("pages per notice (notices' PDFs):", result["pages"])
    print("others' cores: how many cores other processes kept busy during the best run")
    for target in result["targets"]:
        print(f"target {target['target']}: {target['value']:.2f} (goal {target['goal']}): "
              f"{'met' if target['met'] else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--count", type=int, default=120)
    parser.add_argument("--jobs", default="1,2", help="comma-separated job counts")
    parser.add_argument("--formats", default="docx,pdf,both")
    parser.add_argument("--only-project", action="store_true")
    parser.add_argument("--engine", action="store_true",
                        help="add WeasyPrint's own in-process cost for the PDF (engine.py)")
    parser.add_argument("--dask", default=None, metavar="WORKERS",
                        help="add notices --dask local runs with these worker counts, e.g. 2")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run everything this often, interleaved; report the best and "
                        "the median")
    parser.add_argument("--json", type=Path, default=None, help="also save the results here")
    parser.add_argument("--quiet", type=float, default=None, metavar="CORES",
                        help="before each run, wait (up to 10 min) until other processes "
                        "use fewer than CORES cores, e.g. 0.2 (machine.py)")
    parser.add_argument("--memory", default=None,
                        help="compare peak memory for these counts, e.g. 200,2000")
    parser.add_argument("--noop", type=int, default=None,
                        help="time a no-op rebuild of this many records (built as DOCX first)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="notices-bench-") as temporary:
        base = Path(temporary)
        if args.noop:
            workspace = make_workspace(base / "noop", args.noop)
            command = [sys.executable, "-m", "notices", "-C", str(workspace), "build",
                       "--quiet", "--format", "docx"]
            elapsed, _ = run_child(command)
            print(f"first build of {args.noop} records (DOCX): {elapsed:.1f} s")
            for attempt in range(3):
                elapsed, peak = run_child(command)
                print(f"no-op rebuild {attempt + 1}: {elapsed:.2f} s (peak {peak:.0f} MB)")
            return
        if args.memory:
            sizes = [int(x) for x in args.memory.split(",")]
            peaks = []
            for size in sizes:
                workspace = make_workspace(base / f"m{size}", size)
                elapsed, peak = run_child(notices_command(workspace, "both", 2))
                peaks.append(peak)
                print(f"{size:>6} notices, DOCX+PDF, --jobs 2: {elapsed:7.1f} s, "
                      f"{size / elapsed:6.1f}/s, peak RSS per process {peak:6.0f} MB")
            print(f"growth {sizes[0]} -> {sizes[-1]}: {100 * (peaks[-1] / peaks[0] - 1):+.1f} %")
            return
        result = comparison(args, base)
        print_comparison(result)
        if args.json:
            import json

            args.json.write_text(json.dumps(result, indent=2) + "\n")
            print(f"saved {args.json}")


if __name__ == "__main__":
    main()
